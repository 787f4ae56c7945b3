//! Building the world: structures, accounts and every object of A, made through the services.

use super::*;

pub(super) fn since() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 1, 1).expect("date")
}

pub(super) fn member_of(org: &str) -> Vec<Membership> {
    vec![Membership {
        organisation_id: org.to_string(),
        since: since(),
        until: None,
    }]
}

/// A place validated by the standard's rules, as the form does.
pub(super) fn new_place(
    app: &App,
    name: &str,
    address: &str,
    postcode: &str,
    commune: &str,
    email: Option<&str>,
) -> Place {
    let mut raw = RawPlace::default();
    for (field, value) in [
        ("nom", name),
        ("adresse", address),
        ("code_postal", postcode),
        ("commune", commune),
        ("telephone", "03 83 00 00 00"),
        (
            "services",
            "Aide aux démarches administratives|Maîtrise des outils numériques du quotidien",
        ),
        ("horaires", "Mo-Fr 09:00-12:00,14:00-17:00"),
        ("date_maj", &day(maillage_app::today())),
        ("pivot", maillage_domain::fields::UNKNOWN_PIVOT),
        ("courriels", email.unwrap_or_default()),
    ] {
        raw.set(field, value.to_string());
    }
    let (place, validation) = raw.validate("", &app.validation_context());
    place.unwrap_or_else(|| panic!("lieu « {name} » invalide : {:?}", validation.errors))
}

pub(super) async fn actor(store: &Store, user_id: &str) -> Actor {
    store
        .actor(user_id)
        .await
        .expect("acteur")
        .expect("compte présent")
}

pub(super) async fn populate(app: &App, store: &Store) -> (Ids, HashMap<Caller, String>) {
    let today = maillage_app::today();
    let mut ids = Ids::default();
    for (name, field) in [
        (ORG_A, &mut ids.org_a),
        (ORG_B, &mut ids.org_b),
        (ORG_C, &mut ids.org_c),
    ] {
        *field = store
            .create_organisation(&Organisation {
                id: String::new(),
                name: name.into(),
                pivot: None,
                typologies: vec![],
                departement: Some("54".into()),
            })
            .await
            .expect("structure");
    }
    // (e-mail, name, administrator, territory, memberships)
    type Account<'a> = (&'a str, &'a str, bool, Vec<TerritoryUnit>, Vec<Membership>);
    let accounts: Vec<Account> = vec![
        (
            "membre.a@test.fr",
            "Camille Membre-de-A",
            false,
            vec![],
            member_of(&ids.org_a),
        ),
        (
            COLLEAGUE_A,
            "Dominique Collègue-de-A",
            false,
            vec![],
            member_of(&ids.org_a),
        ),
        (
            "membre.b@test.fr",
            "Bérénice Membre-de-B",
            false,
            vec![],
            member_of(&ids.org_b),
        ),
        (
            MEMBER_C,
            "Accueil de C",
            false,
            vec![],
            member_of(&ids.org_c),
        ),
        (
            "coord54@test.fr",
            "Coordination 54",
            false,
            vec![TerritoryUnit::Departement("54".into())],
            vec![],
        ),
        (
            "coord13@test.fr",
            "Coordination 13",
            false,
            vec![TerritoryUnit::Departement("13".into())],
            vec![],
        ),
        ("admin@test.fr", "Administration", true, vec![], vec![]),
    ];
    for (email, name, administrator, territory, memberships) in accounts {
        let id = store
            .create_user(&NewUser {
                email: email.into(),
                display_name: name.into(),
                password: PASSWORD.into(),
                administrator,
                territory,
                memberships,
            })
            .await
            .expect("compte");
        ids.users.insert(email.to_string(), id);
    }
    let member_a = actor(store, &ids.users["membre.a@test.fr"]).await;
    let colleague_a = actor(store, &ids.users[COLLEAGUE_A]).await;
    let member_b = actor(store, &ids.users["membre.b@test.fr"]).await;
    let member_c = actor(store, &ids.users[MEMBER_C]).await;
    let coord = actor(store, &ids.users["coord54@test.fr"]).await;
    let coord13 = actor(store, &ids.users["coord13@test.fr"]).await;

    // Places: A's with its referent, B's, C's, one without structure, one in 13, a duplicate
    // of A's from another source, and two places merged by the coordinator.
    let mut place = new_place(
        app,
        PLACE_A,
        "12 rue de la Commanderie",
        "54000",
        "Nancy",
        Some("contact.alpha@exemple.fr"),
    );
    // Last updated half a year ago: an import with a newer date changes it.
    place.updated_on = today - Duration::days(200);
    place.extras.referent = Some(Referent {
        name: REFERENT_A.into(),
        role: Some("Responsable de l'espace".into()),
        email: Some(REFERENT_A_EMAIL.into()),
        phone: Some("+33383112233".into()),
    });
    ids.place_a = app
        .create_place(Some(&member_a), place, Some(&ids.org_a))
        .await
        .expect("lieu de A");
    ids.place_b = app
        .create_place(
            Some(&member_b),
            new_place(
                app,
                "Espace numérique Bravo",
                "3 rue Jeanne d'Arc",
                "54000",
                "Nancy",
                None,
            ),
            Some(&ids.org_b),
        )
        .await
        .expect("lieu de B");
    ids.place_c = app
        .create_place(
            Some(&member_c),
            new_place(
                app,
                "France Services Charlie",
                "1 place Ronde",
                "54200",
                "Toul",
                Some("accueil.charlie@exemple.fr"),
            ),
            Some(&ids.org_c),
        )
        .await
        .expect("lieu de C");
    ids.place_outside = app
        .create_place(
            Some(&coord),
            new_place(
                app,
                "Association Delta",
                "8 rue des Fabriques",
                "54000",
                "Nancy",
                Some("bonjour.delta@exemple.fr"),
            ),
            None,
        )
        .await
        .expect("lieu sans structure");
    ids.place_13 = app
        .create_place(
            Some(&coord13),
            new_place(
                app,
                "Point numérique de la Canebière",
                "10 La Canebière",
                "13001",
                "Marseille",
                Some("canebiere@exemple.fr"),
            ),
            None,
        )
        .await
        .expect("lieu du 13");
    let mut duplicate = new_place(
        app,
        PLACE_A,
        "12 rue de la Commanderie",
        "54000",
        "Nancy",
        Some("contact.alpha@exemple.fr"),
    );
    duplicate.source = Some("hub-regional".into());
    ids.place_duplicate = app
        .create_place(Some(&coord), duplicate, None)
        .await
        .expect("doublon");
    let mut merged = Vec::new();
    for source in ["source-un", "source-deux"] {
        let mut p = new_place(
            app,
            "Espace public numérique Echo",
            "5 rue Saint-Dizier",
            "54000",
            "Nancy",
            None,
        );
        p.source = Some(source.into());
        merged.push(
            app.create_place(Some(&coord), p, None)
                .await
                .expect("lieu à fusionner"),
        );
    }
    ids.merge = app
        .merge_duplicates(Some(&coord), &merged, &merged[0])
        .await
        .expect("fusion");

    // A followed person of A, with a guided diagnostic.
    ids.diagnostic_a = app
        .record_guided(
            Some(&member_a),
            GuidedInput {
                questionnaire: "complet".into(),
                answers: [
                    ("acces_smartphone", "proprietaire"),
                    ("maitrise_smartphone", "non"),
                    ("aisance", "peu"),
                ]
                .iter()
                .map(|(q, c)| (q.to_string(), vec![c.to_string()]))
                .collect(),
                organisation_id: ids.org_a.clone(),
                new_person: Some((PERSON_A.into(), Some(PERSON_A_CONTACT.into()))),
                consent: true,
                observations: vec![DIAGNOSTIC_A_OBSERVATION.into()],
                ..Default::default()
            },
        )
        .await
        .expect("diagnostic de A");
    ids.person_a = app
        .diagnostic_for(Some(&member_a), &ids.diagnostic_a)
        .await
        .expect("diagnostic")
        .person
        .expect("personne suivie")
        .id;

    // A's referrals: to C (oral consent), to a structure without account (answered by link),
    // and one waiting for the person's consent by link.
    let referral = |place: &str, label: &str, contact: &str, consent: &str| Outgoing {
        place_id: place.to_string(),
        request_id: None,
        request_title: "Créer son compte sur le site de la CAF".into(),
        level: Some("debutant".into()),
        constraints: None,
        journey_id: None,
        from_organisation_id: Some(ids.org_a.clone()),
        form: ReferralForm {
            person_label: label.into(),
            contact: contact.into(),
            note: if label == REFERRAL_A_PERSON {
                REFERRAL_A_NOTE.into()
            } else {
                String::new()
            },
            consent: consent.into(),
            explained: "Je lui ai expliqué qui recevra sa demande et pourquoi".into(),
            confirmed: consent == "orale",
        },
    };
    let send_referral = |out: Outgoing| {
        let app = app.clone();
        let member_a = member_a.clone();
        async move {
            app.send_referral(Some(&member_a), &out)
                .await
                .expect("orientation")
                .expect("formulaire d'orientation valide")
        }
    };
    ids.referral_a = send_referral(referral(
        &ids.place_c,
        REFERRAL_A_PERSON,
        REFERRAL_A_CONTACT,
        "orale",
    ))
    .await;
    ids.journey_a = store
        .referral(&ids.referral_a)
        .await
        .expect("orientation")
        .expect("présente")
        .journey_id;
    ids.referral_link = send_referral(referral(
        &ids.place_outside,
        REFERRAL_LINK_PERSON,
        "",
        "orale",
    ))
    .await;
    ids.referral_consent = send_referral(referral(
        &ids.place_c,
        REFERRAL_CONSENT_PERSON,
        REFERRAL_CONSENT_CONTACT,
        "lien",
    ))
    .await;
    // The links went by e-mail: new ones (which replace them) for the tests.
    let expires =
        (Utc::now() + Duration::days(8)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    ids.response_token = store
        .issue_referral_link(&ids.referral_link, "reponse", &expires)
        .await
        .expect("lien de réponse");
    ids.consent_token = store
        .issue_referral_link(&ids.referral_consent, "accord", &expires)
        .await
        .expect("lien d'accord");

    // A's mandate: the coordinator of 54 habilitated the member of A, who recorded a mandate
    // with A's followed person and noted a démarche under it.
    app.change_habilitation(
        Some(&coord),
        &ids.org_a,
        &maillage_app::mandates::HabilitationForm {
            user_id: member_a.user_id.clone(),
            trained_on: today.to_string(),
            action: "donner".into(),
            ..Default::default()
        },
    )
    .await
    .expect("habilitation")
    .expect("formulaire valide");
    // The member of A is the structure's referent for personal data (reads its access log).
    app.appoint_data_referent(Some(&coord), &ids.org_a, &member_a.user_id)
        .await
        .expect("référent données personnelles");
    let recorded = app
        .record_mandate(
            Some(&member_a),
            &maillage_domain::mandates::MandateForm {
                person_name: MANDATE_A_PERSON.into(),
                demarches: vec!["social".into(), "papiers".into()],
                duration: "1-an".into(),
                consent: "ecran".into(),
                text_read: true,
                person_id: ids.person_a.clone(),
                organisation_id: ids.org_a.clone(),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("mandat")
        .expect("formulaire valide");
    ids.mandate_a = recorded.mandate_id;
    ids.mandate_token = recorded.link_token.expect("lien personnel");
    app.record_act(
        Some(&member_a),
        &ids.mandate_a,
        &maillage_app::mandates::ActForm {
            demarche: "social".into(),
            manner: "a-la-place".into(),
            what: MANDATE_A_ACT.into(),
        },
    )
    .await
    .expect("acte")
    .expect("valide");
    let pending = app
        .record_mandate(
            Some(&member_a),
            &maillage_domain::mandates::MandateForm {
                person_name: MANDATE_A_PERSON.into(),
                contact: PERSON_A_CONTACT.into(),
                demarches: vec!["logement".into()],
                duration: "31-jours".into(),
                consent: "lien".into(),
                text_read: true,
                person_id: ids.person_a.clone(),
                organisation_id: ids.org_a.clone(),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("mandat en attente")
        .expect("formulaire valide");
    ids.mandate_pending = pending.mandate_id;
    ids.mandate_pending_token = pending.link_token.expect("lien personnel");
    ids.mandate_fingerprint = app
        .mandate_view(Some(&member_a), &ids.mandate_a)
        .await
        .expect("mandat")
        .fingerprint;

    // A request of A's followed person about her data.
    ids.request_a = app
        .record_person_request(
            Some(&member_a),
            Some(&ids.org_a),
            &maillage_domain::requests::RequestForm {
                kind: "acces".into(),
                person_id: ids.person_a.clone(),
                ..Default::default()
            },
        )
        .await
        .expect("demande")
        .expect("formulaire valide");

    // A's workshop (a held session, one to come) with a registration.
    let held = today - Duration::days(7);
    let coming = today + Duration::days(14);
    let mut workshop = WorkshopForm {
        title: WORKSHOP_A.into(),
        summary: "Prendre en main son smartphone en petit groupe".into(),
        themes: vec!["internet".into()],
        level_required: "debutant".into(),
        commune: "Nancy".into(),
        sessions: format!("{} 14:00-16:00\n{} 14:00-16:00", day(held), day(coming)),
        capacity: "10".into(),
        free: true,
        ..Default::default()
    }
    .validate("")
    .expect("atelier valide");
    workshop.organisation_id = Some(ids.org_a.clone());
    workshop.place_id = Some(ids.place_a.clone());
    ids.workshop_a = app
        .publish_workshop(Some(&member_a), workshop)
        .await
        .expect("atelier de A");
    ids.session_start = format!("{}T14:00", day(held));
    ids.workshop_session = format!("{}|{}", ids.workshop_a, ids.session_start);
    let (registration, token) = app
        .register_person(
            None,
            CLIENT,
            &ids.workshop_a,
            REGISTRATION_A,
            REGISTRATION_A_CONTACT,
        )
        .await
        .expect("inscription");
    ids.registration_a = registration.id;
    ids.cancel_token = token;

    // A's records: the member's own (linked to the person and the referral), a colleague's.
    let record = |notes: &str| RecordInput {
        organisation_id: ids.org_a.clone(),
        form: ActivityForm {
            kind: "individuel".into(),
            date: day(today - Duration::days(3)),
            duration: "45".into(),
            venue: "domicile".into(),
            insee_code: "54395".into(),
            themes: vec!["internet".into()],
            autonomy: "avec".into(),
            persons: vec![ids.person_a.clone()],
            ..Default::default()
        },
        notes: notes.into(),
        new_person: None,
        session: None,
        referral_id: Some(ids.referral_a.clone()),
        mandate_id: None,
    };
    ids.activity_a = app
        .record_activity(Some(&member_a), &record(ACTIVITY_A_NOTE))
        .await
        .expect("activité")
        .expect("activité valide");
    ids.activity_colleague = app
        .record_activity(Some(&colleague_a), &record(ACTIVITY_COLLEAGUE_NOTE))
        .await
        .expect("activité")
        .expect("activité valide");

    // A resource proposed by A, with its file.
    ids.resource_a = app
        .propose_resource(
            Some(&member_a),
            &ResourceForm {
                title: RESOURCE_A.into(),
                summary: "Une fiche pour choisir et garder des mots de passe solides".into(),
                kind: "guide".into(),
                themes: vec!["securite".into()],
                audiences: vec!["aidants".into()],
                author: ORG_A.into(),
                has_file: true,
                ..Default::default()
            },
            Some(&ids.org_a),
            Some(&Upload {
                name: "fiche-alpha.pdf".into(),
                content: b"%PDF-1.7\n1 0 obj\n".to_vec(),
            }),
        )
        .await
        .expect("ressource de A")
        .0;

    // A news item of the watch, by the coordinator.
    ids.news = app
        .post_news(
            Some(&coord),
            "Coordination 54",
            &NewsForm {
                title: NEWS.into(),
                what_changed: "La connexion passe par FranceConnect uniquement".into(),
                who: "Les allocataires".into(),
                what_to_say: "Préparer ses identifiants FranceConnect avant le rendez-vous".into(),
                platforms: vec!["caf".into()],
                ..Default::default()
            },
        )
        .await
        .expect("nouvelle de la veille")
        .0;

    // The member of A follows the CAF's news (a digest is due to them).
    app.subscribe(
        Some(&member_a),
        vec![maillage_domain::watch::Platform::Caf],
        maillage_domain::watch::Frequency::Weekly,
        false,
    )
    .await
    .expect("abonnement à la veille");

    // An error reported on A's place.
    ids.report_a = app
        .report_error(
            CLIENT,
            &ids.place_a,
            "horaires",
            REPORT_A_MESSAGE,
            REPORTER_EMAIL,
        )
        .await
        .expect("signalement");

    // The coordinator's campaign asks A's referent.
    let now = Utc::now();
    let stamp = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (campaign, issued) = store
        .create_campaign(
            CAMPAIGN_A,
            "toutes",
            Some(&ids.users["coord54@test.fr"]),
            &[NewRequest {
                place_id: ids.place_a.clone(),
                email: Some(REFERENT_A_EMAIL.into()),
            }],
            // Sent eight days ago: a reminder is due.
            &stamp(now - Duration::days(8)),
            &stamp(now + Duration::days(22)),
        )
        .await
        .expect("campagne");
    ids.campaign = campaign;
    ids.campaign_request = issued[0].request_id.clone();
    ids.campaign_token = issued[0].token.clone().expect("lien de campagne");

    // The coordinator of 54 pulls a regional hub's file every day.
    ids.pulled_source = store
        .create_source(
            &maillage_store::NewSource {
                name: super::SOURCE_54.into(),
                url: "https://hub.exemple.fr/lieux.csv".into(),
                format: "standard".into(),
                every_hours: 24,
                skip_invalid: false,
                owner_id: ids.users["coord54@test.fr"].clone(),
            },
            // Due in a month: no round of the tests fetches it.
            &stamp(now + Duration::days(30)),
        )
        .await
        .expect("source moissonnée");

    // The coordinator's survey of the partners asks A, B and C; A answers by its link (it
    // needs a computer and gives a new referent: a change waiting for A); B and C give a
    // computer; the coordinator follows B's gift to A.
    let (network_survey, invited) = store
        .create_survey(
            &maillage_store::NewSurvey {
                kind: maillage_domain::surveys::SurveyKind::Partners,
                title: SURVEY_A.into(),
                scope: "Meurthe-et-Moselle (54) · 3 lieux".into(),
                closes_on: (today + Duration::days(30)).format("%Y-%m-%d").to_string(),
            },
            Some(&ids.users["coord54@test.fr"]),
            &[&ids.place_a, &ids.place_b, &ids.place_c].map(|p| maillage_store::NewInvitation {
                place_id: p.clone(),
                email: Some(REFERENT_A_EMAIL.into()),
            }),
            &stamp(now),
        )
        .await
        .expect("enquête");
    ids.network_survey = network_survey;
    ids.survey_invitation_a = invited[0].invitation_id.clone();
    ids.survey_link_a = invited[0].token.clone().expect("lien d'enquête");
    let fields = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    ids.survey_answer_a = app
        .answer_survey_by_link(
            &ids.survey_link_a,
            &fields(&[
                ("q.materiel_besoin", "ordinateur"),
                ("q.referent.nom", SURVEY_REFERENT_A),
                ("q.sites_formation.caf", "1"),
            ]),
            now,
        )
        .await
        .expect("réponse de A")
        .expect("valide")
        .answer_id;
    let mut givers = Vec::new();
    for (i, who) in [(1, &member_b), (2, &member_c)] {
        givers.push(
            app.enter_survey_answer(
                Some(who),
                &ids.network_survey,
                &invited[i].place_id,
                &fields(&[("q.materiel_don", "ordinateur")]),
                now,
            )
            .await
            .expect("réponse papier")
            .expect("valide")
            .answer_id,
        );
    }
    ids.survey_exchange = store
        .create_exchange(
            &ids.network_survey,
            "ordinateur",
            &ids.survey_answer_a,
            &givers[0],
            Some(&ids.users["coord54@test.fr"]),
            &stamp(now),
        )
        .await
        .expect("échange");

    // A's public links: statistics and survey.
    ids.stats_token = app
        .share_statistics(
            Some(&member_a),
            &ids.org_a,
            maillage_domain::indicators::SharePurpose::Statistics,
        )
        .await
        .expect("lien des statistiques");
    ids.survey_token = app
        .share_statistics(
            Some(&member_a),
            &ids.org_a,
            maillage_domain::indicators::SharePurpose::Survey,
        )
        .await
        .expect("lien de l'enquête");

    // A diagnostic taken alone (its resume code), the catalogue and the library loaded.
    let (_, code) = app.start_alone("court").await.expect("brouillon");
    app.answer_alone(CLIENT, &code, 0, vec!["smartphone".into()])
        .await
        .expect("réponse");
    ids.draft_code = code;
    ids.catalogue_entry = app
        .catalogue()
        .await
        .expect("catalogue")
        .entries
        .first()
        .expect("une demande")
        .id
        .clone();
    app.seed_library().await.expect("ressourcerie");
    ids.reset_token = store
        .issue_password_reset(
            &ids.users["membre.a@test.fr"],
            (now + Duration::hours(1)).timestamp(),
        )
        .await
        .expect("lien de réinitialisation");

    // Sessions, through the sign-in form.
    let router = router(app.clone(), Config::default());
    let mut cookies = HashMap::new();
    for caller in Caller::ALL {
        if let Some(email) = caller.email() {
            cookies.insert(caller, sign_in(&router, email).await);
        }
    }
    (ids, cookies)
}
