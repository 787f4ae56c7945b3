//! Network surveys (issue #20, seed 002): a coordinator asks the places of a zone of their
//! territory — the partners' needs (annexe 3) or the public's uses (annexe 2) — through a
//! personal link sent to each place's referent, or on paper typed in by the place's structure
//! or the coordinator. Results are counted over the answers of the places the caller
//! coordinates; a partner's answer that describes its place updates the entry once the
//! structure confirms; equipment needed is matched with equipment given, nearest first, and
//! the coordinator follows the exchanges. The rules are the domain's
//! ([`maillage_domain::surveys`], [`maillage_domain::policy`]).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use maillage_domain::campaigns::{LinkRefusal, referent_email};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::surveys::{
    Answers, EquipmentMatch, ExchangeStatus, FieldProblem, Partner, PlaceChange, SectionResult,
    SurveyKind, apply_answers, match_equipment, parse_answers, place_changes, tally,
};
use maillage_store::{
    NewInvitation, NewSurvey, NewSurveyAnswer, PlaceUpdate, StoredExchange, StoredPlace,
    StoredSurveyAnswer, Survey, SurveyInvitation,
};

use crate::mail::MailError;
use crate::mail::messages::{Message, SurveyMessage};
use crate::{App, AppError, allow, location_of, today};

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The longest a survey stays open.
pub const MAX_OPEN_DAYS: i64 = 365;
/// The most places one survey asks.
pub const MAX_PLACES: usize = 5_000;

/// The form that starts a survey.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SurveyForm {
    /// `partenaires` or `usages`.
    #[serde(rename = "questionnaire")]
    pub kind: String,
    #[serde(rename = "titre")]
    pub title: String,
    /// The last day answers are taken (`AAAA-MM-JJ`).
    #[serde(rename = "cloture")]
    pub closes_on: String,
    /// A zone within the coordinator's territory (empty: all of it).
    pub zone: String,
}

/// A survey with where it stands, for the list.
#[derive(Debug, Clone)]
pub struct SurveySummary {
    pub survey: Survey,
    /// Places asked (of the caller's territory).
    pub places: usize,
    /// Answers received (of those places).
    pub answers: usize,
    /// Whether answers are still taken.
    pub open: bool,
}

/// One place asked, where it stands.
#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub invitation: SurveyInvitation,
    pub place: StoredPlace,
    pub answers: usize,
    /// When the last answer came.
    pub answered_at: Option<String>,
}

/// A survey's dashboard: its places, its results, the changes waiting for structures.
#[derive(Debug, Clone)]
pub struct SurveyDashboard {
    pub summary: SurveySummary,
    pub rows: Vec<InvitationRow>,
    pub results: Vec<SectionResult>,
    /// Answers whose changes to their place's entry wait for the structure.
    pub pending_changes: usize,
    /// Partners' surveys: how many need and give each kind of equipment.
    pub equipment: Vec<EquipmentCount>,
}

/// One kind of equipment: partners that need it, partners that give it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = EnqueteMateriel)]
pub struct EquipmentCount {
    #[serde(rename = "materiel")]
    pub equipment: String,
    #[serde(rename = "libelle")]
    pub label: String,
    #[serde(rename = "demande_par")]
    pub needed_by: usize,
    #[serde(rename = "donne_par")]
    pub given_by: usize,
}

/// What a personal link opens.
#[derive(Debug, Clone)]
pub struct SurveyLinkView {
    pub survey: Survey,
    pub place: StoredPlace,
    /// A partner's previous answer (to change it).
    pub previous: Option<StoredSurveyAnswer>,
    /// What the place's answer would change on its entry, waiting for confirmation.
    pub pending: Vec<PlaceChange>,
}

/// An answer received.
#[derive(Debug, Clone)]
pub struct AnswerReceipt {
    pub answer_id: String,
    /// What it would change on the place's entry (partners; empty: nothing to confirm).
    pub changes: Vec<PlaceChange>,
}

/// An answer whose changes wait for the caller's confirmation.
#[derive(Debug, Clone)]
pub struct PendingChange {
    pub answer: StoredSurveyAnswer,
    pub survey: Survey,
    pub place: StoredPlace,
    pub changes: Vec<PlaceChange>,
}

/// The exchanges of equipment of a partners' survey.
#[derive(Debug, Clone)]
pub struct ExchangeBoard {
    pub survey: Survey,
    /// Possible exchanges not followed yet, nearest first by equipment.
    pub proposals: Vec<EquipmentMatch>,
    /// Exchanges the coordinator follows, with the places' names.
    pub followed: Vec<FollowedExchange>,
}

#[derive(Debug, Clone)]
pub struct FollowedExchange {
    pub exchange: StoredExchange,
    pub equipment_label: String,
    pub need_place: String,
    pub offer_place: String,
    pub km: Option<f64>,
}

/// A survey's results in a zone, for the territory's page and diagnosis.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = EnqueteDeZone)]
pub struct ZoneSurvey {
    pub id: String,
    /// `partenaires` or `usages`.
    pub questionnaire: String,
    #[serde(rename = "titre")]
    pub title: String,
    /// Answers from places of the zone.
    #[serde(rename = "reponses")]
    pub answers: usize,
    /// Places of the zone asked.
    #[serde(rename = "lieux")]
    pub places: usize,
    /// The last day answers are taken.
    #[serde(rename = "cloture")]
    pub closes_on: String,
    #[serde(rename = "resultats")]
    pub results: Vec<SectionResult>,
    /// Partners: equipment needed and given.
    #[serde(rename = "materiel")]
    pub equipment: Vec<EquipmentCount>,
}

fn oversees(actor: Option<&Actor>, place: &StoredPlace) -> bool {
    actor.is_some_and(|a| {
        a.administrator
            || a.coordinates(&location_of(&place.place, place.organisation_id.as_deref()))
    })
}

fn is_open(survey: &Survey, day: NaiveDate) -> bool {
    survey.closed_at.is_none()
        && survey.closes_on.as_str() >= day.format("%Y-%m-%d").to_string().as_str()
}

fn equipment_counts(answers: &[&Answers]) -> Vec<EquipmentCount> {
    maillage_domain::surveys::EQUIPMENT
        .iter()
        .map(|c| EquipmentCount {
            equipment: c.slug.into(),
            label: c.label.into(),
            needed_by: answers
                .iter()
                .filter(|a| a.choices("materiel_besoin").iter().any(|s| s == c.slug))
                .count(),
            given_by: answers
                .iter()
                .filter(|a| a.choices("materiel_don").iter().any(|s| s == c.slug))
                .count(),
        })
        .collect()
}

impl App {
    async fn places_by_id(
        &self,
        ids: impl IntoIterator<Item = String>,
    ) -> Result<HashMap<String, StoredPlace>, AppError> {
        let ids: Vec<String> = ids.into_iter().collect();
        Ok(self
            .store
            .places(&ids)
            .await?
            .into_iter()
            .map(|p| (p.place.id.clone(), p))
            .collect())
    }

    /// Starts a survey over the places of the actor's territory (within the zone given) and
    /// sends each place's referent its personal link. Without e-mail, the links are made from
    /// the survey's page and answers typed in.
    pub async fn start_survey(
        &self,
        actor: Option<&Actor>,
        form: &SurveyForm,
        now: DateTime<Utc>,
    ) -> Result<String, AppError> {
        allow(authorize(actor, &Action::RunSurvey, today()))?;
        let kind = SurveyKind::from_slug(form.kind.trim()).ok_or_else(|| {
            AppError::Invalid(
                "questionnaire : choisissez « partenaires » (besoins des partenaires) ou « usages » (usages du public)"
                    .into(),
            )
        })?;
        let title = form.title.trim();
        if title.is_empty() || title.chars().count() > 120 {
            return Err(AppError::Invalid(
                "nom de l'enquête : de 1 à 120 caractères".into(),
            ));
        }
        let day = today();
        let closes_on =
            NaiveDate::parse_from_str(form.closes_on.trim(), "%Y-%m-%d").map_err(|_| {
                AppError::Invalid(
                    "date de clôture : écrivez-la AAAA-MM-JJ (par exemple 2027-01-31)".into(),
                )
            })?;
        if closes_on < day || (closes_on - day).num_days() > MAX_OPEN_DAYS {
            return Err(AppError::Invalid(format!(
                "date de clôture : entre aujourd'hui et dans {MAX_OPEN_DAYS} jours"
            )));
        }
        let zone = if form.zone.trim().is_empty() {
            None
        } else {
            // Names are matched against the referential: off the async threads.
            let app = self.clone();
            let input = form.zone.clone();
            Some(
                tokio::task::spawn_blocking(move || {
                    let codes = app.resolve_zone_input(&input)?;
                    app.zone_plan(&codes)
                })
                .await
                .map_err(|e| AppError::Invalid(format!("zone interrompue : {e}")))??,
            )
        };
        let places: Vec<StoredPlace> = self
            .store
            .all_places()
            .await?
            .into_iter()
            .filter(|p| oversees(actor, p))
            .filter(|p| {
                zone.as_ref().is_none_or(|z| {
                    p.place.insee_code.as_deref().is_some_and(|c| {
                        z.contains(c, p.place.departement().as_deref().unwrap_or(""))
                    })
                })
            })
            .collect();
        if places.is_empty() {
            return Err(AppError::Invalid(
                "aucun lieu de votre territoire dans cette zone : personne à interroger".into(),
            ));
        }
        if places.len() > MAX_PLACES {
            return Err(AppError::TooLarge(format!(
                "{} lieux : une enquête en interroge {MAX_PLACES} au plus ; choisissez une zone plus petite",
                places.len()
            )));
        }
        let mailing = self.mailer.is_enabled();
        let invitations: Vec<NewInvitation> = places
            .iter()
            .map(|p| NewInvitation {
                place_id: p.place.id.clone(),
                email: if mailing {
                    referent_email(&p.place)
                } else {
                    None
                },
            })
            .collect();
        let where_ = match &zone {
            Some(z) => z.label.clone(),
            None => crate::territory_words(actor),
        };
        let new = NewSurvey {
            kind,
            title: title.to_string(),
            scope: format!("{where_} · {} lieux", places.len()),
            closes_on: closes_on.format("%Y-%m-%d").to_string(),
        };
        let (id, issued) = self
            .store
            .create_survey(
                &new,
                actor.map(|a| a.user_id.as_str()),
                &invitations,
                &stamp(now),
            )
            .await?;
        let by_id: HashMap<&str, &StoredPlace> =
            places.iter().map(|p| (p.place.id.as_str(), p)).collect();
        for inv in &issued {
            let (Some(to), Some(token), Some(place)) =
                (&inv.email, &inv.token, by_id.get(inv.place_id.as_str()))
            else {
                continue;
            };
            let Some(mail) = (SurveyMessage {
                public: kind == SurveyKind::Public,
                survey: title.to_string(),
                place: place.place.name.clone(),
                address: place.place.address.clone(),
                postcode: place.place.postcode.clone(),
                commune: place.place.commune.clone(),
                token: token.clone(),
                closes: closes_on.format("%d/%m/%Y").to_string(),
                url: self.public_url.clone(),
            })
            .to(to) else {
                continue;
            };
            let (sent, detail) = match self.mailer.send(&mail).await {
                Ok(_) => (Some(stamp(Utc::now())), None),
                Err(e) => {
                    let detail = match &e {
                        MailError::Address => "adresse invalide".to_string(),
                        other => format!("envoi impossible ({other})"),
                    };
                    // The address is never logged.
                    tracing::warn!("enquête : courriel non remis ({detail})");
                    (None, Some(detail))
                }
            };
            self.store
                .set_invitation_sent(&inv.invitation_id, sent.as_deref(), detail.as_deref())
                .await?;
        }
        Ok(id)
    }

    /// Surveys the actor sees: for a coordinator, those that asked places of their territory;
    /// for a member, the open ones that asked their structures' places (to type paper answers).
    pub async fn surveys_for(&self, actor: Option<&Actor>) -> Result<Vec<SurveySummary>, AppError> {
        allow(authorize(actor, &Action::ViewTerritory, today()))?;
        let coordinator = authorize(actor, &Action::RunSurvey, today()).is_allowed();
        let day = today();
        let mut out = Vec::new();
        for survey in self.store.surveys().await? {
            let open = is_open(&survey, day);
            if !coordinator && !open {
                continue;
            }
            let invitations = self.store.survey_invitations(&survey.id).await?;
            let places = self
                .places_by_id(invitations.iter().map(|i| i.place_id.clone()))
                .await?;
            let seen: Vec<&StoredPlace> = places
                .values()
                .filter(|p| {
                    if coordinator {
                        oversees(actor, p)
                    } else {
                        self.may_enter(actor, p)
                    }
                })
                .collect();
            if seen.is_empty() {
                continue;
            }
            let answers = self
                .store
                .survey_answers(&survey.id)
                .await?
                .iter()
                .filter(|a| seen.iter().any(|p| p.place.id == a.place_id))
                .count();
            out.push(SurveySummary {
                places: seen.len(),
                answers,
                open,
                survey,
            });
        }
        Ok(out)
    }

    fn may_enter(&self, actor: Option<&Actor>, place: &StoredPlace) -> bool {
        authorize(
            actor,
            &Action::EnterSurveyAnswer(location_of(&place.place, place.organisation_id.as_deref())),
            today(),
        )
        .is_allowed()
    }

    /// A survey the actor coordinates (some place of it in their territory), else not found.
    async fn coordinated_survey(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<(Survey, Vec<SurveyInvitation>, HashMap<String, StoredPlace>), AppError> {
        allow(authorize(actor, &Action::RunSurvey, today()))?;
        let survey = self.store.survey(id).await?.ok_or(AppError::NotFound)?;
        let invitations = self.store.survey_invitations(id).await?;
        let places: HashMap<String, StoredPlace> = self
            .places_by_id(invitations.iter().map(|i| i.place_id.clone()))
            .await?
            .into_iter()
            .filter(|(_, p)| oversees(actor, p))
            .collect();
        if places.is_empty() {
            return Err(AppError::NotFound);
        }
        let invitations = invitations
            .into_iter()
            .filter(|i| places.contains_key(&i.place_id))
            .collect();
        Ok((survey, invitations, places))
    }

    /// A survey's dashboard, over the places of the actor's territory.
    pub async fn survey_dashboard(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<SurveyDashboard, AppError> {
        let (survey, invitations, places) = self.coordinated_survey(actor, id).await?;
        let answers: Vec<StoredSurveyAnswer> = self
            .store
            .survey_answers(id)
            .await?
            .into_iter()
            .filter(|a| places.contains_key(&a.place_id))
            .collect();
        let mut per_place: BTreeMap<&str, (usize, Option<&str>)> = BTreeMap::new();
        for a in &answers {
            let e = per_place.entry(a.place_id.as_str()).or_default();
            e.0 += 1;
            e.1 = Some(a.updated_at.as_str()).max(e.1);
        }
        let mut rows: Vec<InvitationRow> = invitations
            .iter()
            .filter_map(|i| {
                let place = places.get(&i.place_id)?.clone();
                let (n, at) = per_place
                    .get(i.place_id.as_str())
                    .copied()
                    .unwrap_or_default();
                Some(InvitationRow {
                    invitation: i.clone(),
                    place,
                    answers: n,
                    answered_at: at.map(str::to_string),
                })
            })
            .collect();
        rows.sort_by(|a, b| {
            (a.answers > 0)
                .cmp(&(b.answers > 0))
                .then(a.place.place.commune.cmp(&b.place.place.commune))
                .then(a.place.place.name.cmp(&b.place.place.name))
        });
        let refs: Vec<&Answers> = answers.iter().map(|a| &a.answers).collect();
        let results = tally(survey.kind.questionnaire(), &refs);
        let equipment = if survey.kind == SurveyKind::Partners {
            equipment_counts(&refs)
        } else {
            Vec::new()
        };
        let pending_changes = answers
            .iter()
            .filter(|a| a.place_update == PlaceUpdate::Pending)
            .count();
        let day = today();
        Ok(SurveyDashboard {
            summary: SurveySummary {
                places: rows.len(),
                answers: answers.len(),
                open: is_open(&survey, day),
                survey,
            },
            rows,
            results,
            pending_changes,
            equipment,
        })
    }

    /// Closes a survey: its links stop taking answers.
    pub async fn close_survey(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        self.coordinated_survey(actor, id).await?;
        if !self.store.close_survey(id, &stamp(Utc::now())).await? {
            return Err(AppError::Invalid("cette enquête est déjà close".into()));
        }
        Ok(())
    }

    /// A new personal link for a place asked (the previous one stops working), shown once: to
    /// hand over, print or send another way.
    pub async fn renew_survey_link(
        &self,
        actor: Option<&Actor>,
        survey_id: &str,
        invitation_id: &str,
    ) -> Result<String, AppError> {
        let (survey, invitations, _) = self.coordinated_survey(actor, survey_id).await?;
        if !is_open(&survey, today()) {
            return Err(AppError::Invalid("cette enquête est close".into()));
        }
        if !invitations.iter().any(|i| i.id == invitation_id) {
            return Err(AppError::NotFound);
        }
        self.store
            .renew_invitation_link(invitation_id)
            .await?
            .ok_or(AppError::NotFound)
    }

    async fn usable_survey_link(
        &self,
        token: &str,
    ) -> Result<(Survey, SurveyInvitation, StoredPlace), AppError> {
        // Tokens are 64 hexadecimal characters: anything else is not looked up.
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::LinkRefused(LinkRefusal::Unknown));
        }
        let link = self
            .store
            .survey_link(token)
            .await?
            .ok_or(AppError::LinkRefused(LinkRefusal::Unknown))?;
        if !is_open(&link.survey, today()) {
            return Err(AppError::LinkRefused(LinkRefusal::SurveyClosed));
        }
        let place = self.place(&link.invitation.place_id).await?;
        Ok((link.survey, link.invitation, place))
    }

    /// What a personal link opens, if the survey still takes answers.
    pub async fn open_survey_link(&self, token: &str) -> Result<SurveyLinkView, AppError> {
        let (survey, invitation, place) = self.usable_survey_link(token).await?;
        let previous = if survey.kind.one_answer_per_place() {
            self.store
                .survey_answer_of_place(&survey.id, &invitation.place_id)
                .await?
        } else {
            None
        };
        let pending = previous
            .as_ref()
            .filter(|a| a.place_update == PlaceUpdate::Pending)
            .map(|a| place_changes(&place.place, &a.answers))
            .unwrap_or_default();
        Ok(SurveyLinkView {
            survey,
            place,
            previous,
            pending,
        })
    }

    async fn save_answer(
        &self,
        survey: &Survey,
        place: &StoredPlace,
        answers: Answers,
        source: &'static str,
        entered_by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<AnswerReceipt, AppError> {
        let changes = if survey.kind == SurveyKind::Partners {
            place_changes(&place.place, &answers)
        } else {
            Vec::new()
        };
        let answer_id = self
            .store
            .save_survey_answer(
                &NewSurveyAnswer {
                    survey_id: survey.id.clone(),
                    place_id: place.place.id.clone(),
                    one_per_place: survey.kind.one_answer_per_place(),
                    source,
                    answers,
                    entered_by: entered_by.map(str::to_string),
                    place_update: if changes.is_empty() {
                        PlaceUpdate::None
                    } else {
                        PlaceUpdate::Pending
                    },
                },
                &stamp(now),
            )
            .await?;
        Ok(AnswerReceipt { answer_id, changes })
    }

    /// An answer through a personal link. `Ok(Err(problems))`: the answer is refused, each
    /// problem naming its question (nothing written).
    pub async fn answer_survey_by_link(
        &self,
        token: &str,
        fields: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<Result<AnswerReceipt, Vec<FieldProblem>>, AppError> {
        let (survey, _, place) = self.usable_survey_link(token).await?;
        let answers = match parse_answers(survey.kind.questionnaire(), fields) {
            Ok(a) => a,
            Err(p) => return Ok(Err(p)),
        };
        if answers.is_empty() {
            return Err(AppError::Invalid(
                "aucune réponse : répondez au moins à une question".into(),
            ));
        }
        Ok(Ok(self
            .save_answer(&survey, &place, answers, "lien", None, now)
            .await?))
    }

    /// The place's structure, through its personal link, accepts (or sets aside) what its
    /// answer changes on the entry.
    pub async fn decide_survey_changes_by_link(
        &self,
        token: &str,
        accept: bool,
        now: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let (survey, invitation, place) = self.usable_survey_link(token).await?;
        let answer = self
            .store
            .survey_answer_of_place(&survey.id, &invitation.place_id)
            .await?
            .filter(|a| a.place_update == PlaceUpdate::Pending)
            .ok_or_else(|| AppError::Invalid("rien à confirmer sur la fiche de ce lieu".into()))?;
        self.decide_changes(&answer, &place, accept, now).await?;
        Ok(place.place.id)
    }

    async fn decide_changes(
        &self,
        answer: &StoredSurveyAnswer,
        place: &StoredPlace,
        accept: bool,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let done = if accept {
            let mut updated = apply_answers(&place.place, &answer.answers);
            updated.updated_on = today();
            let done = self
                .store
                .confirm_survey_changes(
                    &answer.id,
                    &updated,
                    place.organisation_id.as_deref(),
                    &stamp(now),
                )
                .await?;
            if done {
                self.refresh_index().await?;
                self.answer_campaigns_of_place(
                    &place.place.id,
                    maillage_domain::campaigns::RequestStatus::Corrected,
                )
                .await?;
            }
            done
        } else {
            self.store.dismiss_survey_changes(&answer.id).await?
        };
        if !done {
            return Err(AppError::Invalid(
                "ces changements ont déjà été confirmés ou écartés".into(),
            ));
        }
        Ok(())
    }

    /// The places of a survey for which the actor may type a paper answer.
    pub async fn survey_entry_places(
        &self,
        actor: Option<&Actor>,
        survey_id: &str,
    ) -> Result<(Survey, Vec<StoredPlace>), AppError> {
        allow(authorize(actor, &Action::ViewTerritory, today()))?;
        let survey = self
            .store
            .survey(survey_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let invitations = self.store.survey_invitations(survey_id).await?;
        let mut places: Vec<StoredPlace> = self
            .places_by_id(invitations.iter().map(|i| i.place_id.clone()))
            .await?
            .into_values()
            .filter(|p| self.may_enter(actor, p))
            .collect();
        if places.is_empty() {
            return Err(AppError::NotFound);
        }
        places.sort_by(|a, b| {
            a.place
                .commune
                .cmp(&b.place.commune)
                .then(a.place.name.cmp(&b.place.name))
        });
        Ok((survey, places))
    }

    /// A paper answer typed in for a place the survey asked: by its structure's members or its
    /// territory's coordinators. `Ok(Err(problems))`: refused, nothing written.
    pub async fn enter_survey_answer(
        &self,
        actor: Option<&Actor>,
        survey_id: &str,
        place_id: &str,
        fields: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<Result<AnswerReceipt, Vec<FieldProblem>>, AppError> {
        let (survey, places) = self.survey_entry_places(actor, survey_id).await?;
        // The place comes from a form: it must be one the survey asked and the actor may enter.
        let place =
            places
                .into_iter()
                .find(|p| p.place.id == place_id)
                .ok_or(AppError::Forbidden(
                    "ce lieu n'est pas interrogé par cette enquête, ou pas par vous",
                ))?;
        if !is_open(&survey, today()) {
            return Err(AppError::Invalid(
                "cette enquête est close : elle ne reçoit plus de réponse".into(),
            ));
        }
        let answers = match parse_answers(survey.kind.questionnaire(), fields) {
            Ok(a) => a,
            Err(p) => return Ok(Err(p)),
        };
        if answers.is_empty() {
            return Err(AppError::Invalid(
                "aucune réponse : saisissez au moins une question".into(),
            ));
        }
        Ok(Ok(self
            .save_answer(
                &survey,
                &place,
                answers,
                "papier",
                actor.map(|a| a.user_id.as_str()),
                now,
            )
            .await?))
    }

    /// Answers whose changes wait for the actor's confirmation (their structures' places, and
    /// the places no structure holds in their territory).
    pub async fn pending_survey_changes(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<PendingChange>, AppError> {
        allow(authorize(actor, &Action::ViewTerritory, today()))?;
        // The answers waiting are few: their places only are read, then kept if the actor
        // confirms for them.
        let waiting = self.store.pending_survey_changes().await?;
        let mine: HashMap<String, StoredPlace> = self
            .places_by_id(waiting.iter().map(|a| a.place_id.clone()))
            .await?
            .into_iter()
            .filter(|(_, p)| self.may_confirm(actor, p))
            .collect();
        let mut out = Vec::new();
        let mut surveys: HashMap<String, Survey> = HashMap::new();
        for answer in waiting {
            let Some(place) = mine.get(&answer.place_id) else {
                continue;
            };
            if !surveys.contains_key(&answer.survey_id) {
                let Some(s) = self.store.survey(&answer.survey_id).await? else {
                    continue;
                };
                surveys.insert(s.id.clone(), s);
            }
            let Some(survey) = surveys.get(&answer.survey_id) else {
                continue;
            };
            let changes = place_changes(&place.place, &answer.answers);
            out.push(PendingChange {
                survey: survey.clone(),
                place: place.clone(),
                changes,
                answer,
            });
        }
        Ok(out)
    }

    fn may_confirm(&self, actor: Option<&Actor>, place: &StoredPlace) -> bool {
        authorize(
            actor,
            &Action::ConfirmSurveyChanges(location_of(
                &place.place,
                place.organisation_id.as_deref(),
            )),
            today(),
        )
        .is_allowed()
    }

    /// The actor's structure accepts (or sets aside) what an answer changes on its place.
    pub async fn decide_survey_changes(
        &self,
        actor: Option<&Actor>,
        answer_id: &str,
        accept: bool,
        now: DateTime<Utc>,
    ) -> Result<String, AppError> {
        allow(authorize(actor, &Action::ViewTerritory, today()))?;
        let answer = self
            .store
            .survey_answer(answer_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let place = self.place(&answer.place_id).await?;
        allow(authorize(
            actor,
            &Action::ConfirmSurveyChanges(location_of(
                &place.place,
                place.organisation_id.as_deref(),
            )),
            today(),
        ))?;
        if answer.place_update != PlaceUpdate::Pending {
            return Err(AppError::Invalid(
                "ces changements ont déjà été confirmés ou écartés".into(),
            ));
        }
        self.decide_changes(&answer, &place, accept, now).await?;
        Ok(place.place.id)
    }

    /// The exchanges of equipment of a partners' survey, over the actor's territory.
    pub async fn survey_exchanges(
        &self,
        actor: Option<&Actor>,
        survey_id: &str,
    ) -> Result<ExchangeBoard, AppError> {
        let (survey, _, places) = self.coordinated_survey(actor, survey_id).await?;
        if survey.kind != SurveyKind::Partners {
            return Err(AppError::NotFound);
        }
        let answers: Vec<StoredSurveyAnswer> = self
            .store
            .survey_answers(survey_id)
            .await?
            .into_iter()
            .filter(|a| places.contains_key(&a.place_id))
            .collect();
        let partners: Vec<Partner> = answers
            .iter()
            .filter_map(|a| {
                let p = places.get(&a.place_id)?;
                Some(Partner::from_answers(&a.id, &p.place, &a.answers))
            })
            .collect();
        let all = match_equipment(&partners);
        let exchanges = self.store.survey_exchanges(survey_id).await?;
        let key = |need: &str, offer: &str, eq: &str| format!("{need}|{offer}|{eq}");
        let followed_keys: Vec<String> = exchanges
            .iter()
            .map(|e| key(&e.need_answer_id, &e.offer_answer_id, &e.equipment))
            .collect();
        let proposals = all
            .iter()
            .filter(|m| {
                !followed_keys.contains(&key(&m.need_answer, &m.offer_answer, &m.equipment))
            })
            .cloned()
            .collect();
        let by_answer: HashMap<&str, &Partner> =
            partners.iter().map(|p| (p.answer_id.as_str(), p)).collect();
        let followed = exchanges
            .into_iter()
            .filter_map(|e| {
                let need = by_answer.get(e.need_answer_id.as_str())?;
                let offer = by_answer.get(e.offer_answer_id.as_str())?;
                let km = match (need.location, offer.location) {
                    (Some(a), Some(b)) => Some((a.distance_m(b) / 100.0).round() / 10.0),
                    _ => None,
                };
                Some(FollowedExchange {
                    equipment_label: maillage_domain::surveys::EQUIPMENT
                        .iter()
                        .find(|c| c.slug == e.equipment)
                        .map(|c| c.label.to_string())
                        .unwrap_or_else(|| e.equipment.clone()),
                    need_place: need.place_name.clone(),
                    offer_place: offer.place_name.clone(),
                    km,
                    exchange: e,
                })
            })
            .collect();
        Ok(ExchangeBoard {
            survey,
            proposals,
            followed,
        })
    }

    /// The coordinator puts a partner who needs in touch with one who gives: only a pairing
    /// the survey's answers propose (ids from the form are checked against them).
    pub async fn propose_exchange(
        &self,
        actor: Option<&Actor>,
        survey_id: &str,
        need_answer: &str,
        offer_answer: &str,
        equipment: &str,
    ) -> Result<String, AppError> {
        let board = self.survey_exchanges(actor, survey_id).await?;
        let proposed = board.proposals.iter().any(|m| {
            m.need_answer == need_answer
                && m.offer_answer == offer_answer
                && m.equipment == equipment
        });
        if !proposed {
            return Err(AppError::Invalid(
                "cet échange n'est pas proposé par les réponses de l'enquête (ou il est déjà suivi)"
                    .into(),
            ));
        }
        Ok(self
            .store
            .create_exchange(
                survey_id,
                equipment,
                need_answer,
                offer_answer,
                actor.map(|a| a.user_id.as_str()),
                &stamp(Utc::now()),
            )
            .await?)
    }

    /// Where an exchange the coordinator follows stands now.
    pub async fn set_exchange_status(
        &self,
        actor: Option<&Actor>,
        survey_id: &str,
        exchange_id: &str,
        status: &str,
    ) -> Result<(), AppError> {
        let status = ExchangeStatus::from_slug(status).ok_or_else(|| {
            AppError::Invalid("état de l'échange : « propose », « fait » ou « abandonne »".into())
        })?;
        let board = self.survey_exchanges(actor, survey_id).await?;
        // Only an exchange between places of the actor's territory.
        if !board.followed.iter().any(|f| f.exchange.id == exchange_id) {
            return Err(AppError::NotFound);
        }
        self.store
            .set_exchange_status(survey_id, exchange_id, status, &stamp(Utc::now()))
            .await?;
        Ok(())
    }

    /// For the territory: for each questionnaire, the latest survey with answers from places
    /// of the zone, counted over those answers.
    pub(crate) async fn zone_surveys(
        &self,
        in_zone: impl Fn(&StoredPlace) -> bool,
    ) -> Result<Vec<ZoneSurvey>, AppError> {
        let mut out = Vec::new();
        // Newest first: the first survey of each kind with answers in the zone is kept.
        let surveys = self.store.surveys().await?;
        for kind in SurveyKind::ALL {
            for survey in surveys.iter().filter(|s| s.kind == kind) {
                let invitations = self.store.survey_invitations(&survey.id).await?;
                let places: HashMap<String, StoredPlace> = self
                    .places_by_id(invitations.iter().map(|i| i.place_id.clone()))
                    .await?
                    .into_iter()
                    .filter(|(_, p)| in_zone(p))
                    .collect();
                let answers: Vec<StoredSurveyAnswer> = self
                    .store
                    .survey_answers(&survey.id)
                    .await?
                    .into_iter()
                    .filter(|a| places.contains_key(&a.place_id))
                    .collect();
                if answers.is_empty() {
                    continue;
                }
                let refs: Vec<&Answers> = answers.iter().map(|a| &a.answers).collect();
                out.push(ZoneSurvey {
                    id: survey.id.clone(),
                    questionnaire: kind.slug().into(),
                    title: survey.title.clone(),
                    answers: answers.len(),
                    places: places.len(),
                    closes_on: survey.closes_on.clone(),
                    results: tally(kind.questionnaire(), &refs),
                    equipment: if kind == SurveyKind::Partners {
                        equipment_counts(&refs)
                    } else {
                        Vec::new()
                    },
                });
                break;
            }
        }
        Ok(out)
    }
}
