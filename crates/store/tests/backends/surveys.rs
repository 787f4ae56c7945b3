//! Network surveys: links kept as hashes, one answer per partner's place, changes confirmed
//! once, exchanges, and the purge of what they hold of persons.

use super::*;
use maillage_domain::surveys::{Answer, Answers, ExchangeStatus, SurveyKind};
use maillage_store::{NewInvitation, NewSurvey, NewSurveyAnswer, PlaceUpdate};

fn answers(pairs: &[(&str, Answer)]) -> Answers {
    Answers(
        pairs
            .iter()
            .map(|(k, a)| (k.to_string(), a.clone()))
            .collect(),
    )
}

#[tokio::test]
async fn a_survey_s_answers_links_changes_and_purge() {
    for store in backends().await {
        let a = store
            .create_place(
                place("", "Médiathèque", "00000000000000", "2024-02-02"),
                None,
                None,
            )
            .await
            .expect("lieu");
        let b = store
            .create_place(
                place("", "Centre social", "00000000000000", "2024-02-02"),
                None,
                None,
            )
            .await
            .expect("lieu");
        let (survey, issued) = store
            .create_survey(
                &NewSurvey {
                    kind: SurveyKind::Partners,
                    title: "Besoins 2027".into(),
                    scope: "Rhône · 2 lieux".into(),
                    closes_on: "2027-01-31".into(),
                },
                Some("coord"),
                &[
                    NewInvitation {
                        place_id: a.clone(),
                        email: Some("lea@mediatheque.fr".into()),
                    },
                    NewInvitation {
                        place_id: b.clone(),
                        email: None,
                    },
                ],
                "2026-12-01T10:00:00Z",
            )
            .await
            .expect("enquête");
        let token = issued[0].token.clone().expect("lien");
        assert_eq!(issued[1].token, None);
        let link = store
            .survey_link(&token)
            .await
            .expect("lien")
            .expect("trouvé");
        assert_eq!(link.invitation.place_id, a);
        assert_eq!(link.survey.kind, SurveyKind::Partners);
        assert_eq!(link.survey.closes_on, "2027-01-31");
        assert!(
            store
                .survey_link(&"0".repeat(64))
                .await
                .expect("lien")
                .is_none()
        );
        // A new link for the place without address; the old one of A still works.
        let fresh = store
            .renew_invitation_link(&issued[1].invitation_id)
            .await
            .expect("nouveau")
            .expect("invitation");
        assert_eq!(
            store
                .survey_link(&fresh)
                .await
                .expect("lien")
                .expect("trouvé")
                .invitation
                .place_id,
            b
        );

        // One answer per partner's place: the second replaces the first.
        let first = NewSurveyAnswer {
            survey_id: survey.clone(),
            place_id: a.clone(),
            one_per_place: true,
            source: "lien",
            answers: answers(&[("wifi", Answer::YesNo(false))]),
            entered_by: None,
            place_update: PlaceUpdate::None,
        };
        let id1 = store
            .save_survey_answer(&first, "2026-12-02T10:00:00Z")
            .await
            .expect("réponse");
        let second = NewSurveyAnswer {
            answers: answers(&[
                ("wifi", Answer::YesNo(true)),
                (
                    "materiel_besoin",
                    Answer::Multiple(vec!["ordinateur".into()]),
                ),
                ("materiel_besoin_detail", Answer::Text("deux postes".into())),
                (
                    "referent",
                    Answer::Contact(maillage_domain::place::Referent {
                        name: "Léa Martin".into(),
                        role: None,
                        email: Some("lea@mediatheque.fr".into()),
                        phone: None,
                    }),
                ),
            ]),
            place_update: PlaceUpdate::Pending,
            ..first.clone()
        };
        let id2 = store
            .save_survey_answer(&second, "2026-12-03T10:00:00Z")
            .await
            .expect("réponse");
        assert_eq!(id1, id2);
        let all = store.survey_answers(&survey).await.expect("réponses");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].answers, second.answers);
        assert_eq!(all[0].created_at, "2026-12-02T10:00:00Z");
        assert_eq!(all[0].updated_at, "2026-12-03T10:00:00Z");
        // B's paper answer, typed in.
        let id_b = store
            .save_survey_answer(
                &NewSurveyAnswer {
                    place_id: b.clone(),
                    source: "papier",
                    entered_by: Some("coord".into()),
                    answers: answers(&[(
                        "materiel_don",
                        Answer::Multiple(vec!["ordinateur".into()]),
                    )]),
                    place_update: PlaceUpdate::None,
                    ..first.clone()
                },
                "2026-12-03T11:00:00Z",
            )
            .await
            .expect("papier");

        // The changes wait for the structure, and are applied once.
        let pending = store.pending_survey_changes().await.expect("en attente");
        assert_eq!(
            pending.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            [id2.as_str()]
        );
        let mut changed = store.place(&a).await.expect("lieu").expect("trouvé").place;
        changed.extras.step_free_access = Some(true);
        assert!(
            store
                .confirm_survey_changes(&id2, &changed, None, "2026-12-04T10:00:00Z")
                .await
                .expect("confirmé")
        );
        assert!(
            !store
                .confirm_survey_changes(&id2, &changed, None, "2026-12-04T10:00:00Z")
                .await
                .expect("déjà")
        );
        assert!(!store.dismiss_survey_changes(&id2).await.expect("déjà"));
        let now = store.place(&a).await.expect("lieu").expect("trouvé");
        assert_eq!(now.place.extras.step_free_access, Some(true));
        assert!(
            store
                .pending_survey_changes()
                .await
                .expect("vide")
                .is_empty()
        );

        // An exchange, once per need, giver and equipment; its status moves within its survey.
        let ex = store
            .create_exchange(
                &survey,
                "ordinateur",
                &id2,
                &id_b,
                Some("coord"),
                "2026-12-04T11:00:00Z",
            )
            .await
            .expect("échange");
        let again = store
            .create_exchange(
                &survey,
                "ordinateur",
                &id2,
                &id_b,
                Some("coord"),
                "2026-12-04T12:00:00Z",
            )
            .await
            .expect("échange");
        assert_eq!(ex, again);
        assert!(
            store
                .set_exchange_status(&survey, &ex, ExchangeStatus::Done, "2026-12-05T10:00:00Z")
                .await
                .expect("état")
        );
        assert!(
            !store
                .set_exchange_status(
                    "autre",
                    &ex,
                    ExchangeStatus::Dropped,
                    "2026-12-05T10:00:00Z"
                )
                .await
                .expect("état")
        );
        let exchanges = store.survey_exchanges(&survey).await.expect("échanges");
        assert_eq!(exchanges.len(), 1);
        assert_eq!(exchanges[0].status, ExchangeStatus::Done);

        // Closed, then purged once its delay is over: addresses, links, referent and free texts
        // go; the choices stay.
        assert!(
            store
                .close_survey(&survey, "2026-12-10T10:00:00Z")
                .await
                .expect("close")
        );
        assert!(
            !store
                .close_survey(&survey, "2026-12-10T10:00:00Z")
                .await
                .expect("déjà")
        );
        assert_eq!(
            store
                .purge_survey_contacts("2026-12-01T00:00:00Z", "2026-12-20T00:00:00Z")
                .await
                .expect("rien"),
            0
        );
        assert_eq!(
            store
                .purge_survey_contacts("2027-01-10T00:00:00Z", "2027-01-10T00:00:00Z")
                .await
                .expect("purge"),
            1
        );
        assert_eq!(
            store
                .purge_survey_contacts("2027-01-10T00:00:00Z", "2027-01-10T00:00:00Z")
                .await
                .expect("une fois"),
            0
        );
        assert!(store.survey_link(&token).await.expect("lien").is_none());
        let invitations = store
            .survey_invitations(&survey)
            .await
            .expect("invitations");
        assert!(invitations.iter().all(|i| i.email.is_none() && !i.has_link));
        let kept = store
            .survey_answer(&id2)
            .await
            .expect("réponse")
            .expect("gardée");
        assert_eq!(
            kept.answers,
            answers(&[
                ("wifi", Answer::YesNo(true)),
                (
                    "materiel_besoin",
                    Answer::Multiple(vec!["ordinateur".into()])
                ),
            ])
        );
    }
}
