//! A person's requests about their data (issue #19): recorded by a member of the structure with
//! the one-month deadline, handled from one page — what is held about the person, found in every
//! capability, given as a JSON file and a readable page; an erasure done everywhere at once (see
//! `Store::erase_person_everywhere`); the answer recorded. Rules in
//! `maillage_domain::requests`; the policy's `HandlePersons`.

use chrono::{NaiveDate, Utc};
use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Action, Actor};
use maillage_domain::requests::{RequestForm, RequestKind, RequestStatus, days_left, due_on};
use maillage_domain::retention::Kept;
use maillage_domain::vocab::Vocabulary;
use maillage_store::NewPersonRequest;
use serde::Serialize;

pub use maillage_store::{Erased, Person, StoredRequest};

use crate::diagnostic::PersonExport;
use crate::mandates::MandateView;
use crate::{App, AppError, today};

/// A request with what pages show of it.
#[derive(Debug, Clone)]
pub struct RequestView {
    pub request: StoredRequest,
    pub kind: Option<RequestKind>,
    pub status: Option<RequestStatus>,
    /// Days left to answer (negative: late), while open.
    pub days_left: Option<i64>,
}

impl RequestView {
    pub fn kind_label(&self) -> &'static str {
        self.kind.map_or("", RequestKind::label)
    }

    pub fn status_label(&self) -> &'static str {
        self.status.map_or("", RequestStatus::label)
    }

    pub fn is_open(&self) -> bool {
        self.status == Some(RequestStatus::Open)
    }

    pub fn due_text(&self) -> String {
        NaiveDate::parse_from_str(&self.request.due_on, "%Y-%m-%d").map_or_else(
            |_| self.request.due_on.clone(),
            maillage_domain::french::date,
        )
    }

    pub fn who(&self) -> String {
        match (&self.request.person_name, &self.request.contact) {
            (Some(n), Some(c)) => format!("{n} ({c})"),
            (Some(n), None) => n.clone(),
            (None, Some(c)) => c.clone(),
            (None, None) if self.request.person_id.is_some() => "une personne suivie".into(),
            (None, None) => "(identité effacée)".into(),
        }
    }
}

/// A journey that names the person, as the export gives it.
#[derive(Debug, Clone, Serialize)]
pub struct JourneyExport {
    pub demande: String,
    pub vers: String,
    pub statut: &'static str,
    pub le: String,
    pub prenom: Option<String>,
    pub contact: Option<String>,
}

/// Everything the structure holds about the person of a request (access, portability).
#[derive(Debug, Clone, Serialize)]
pub struct RequestExport {
    pub structure: String,
    pub personnes_suivies: Vec<PersonExport>,
    pub mandats: Vec<MandateView>,
    pub orientations: Vec<JourneyExport>,
}

/// A request and what the structure holds about its person.
#[derive(Debug, Clone)]
pub struct RequestPage {
    pub organisation: Organisation,
    pub view: RequestView,
    pub found: RequestExport,
}

/// The answer to a request: `effacer` (erasure, objection), `repondre` (with a text), or
/// `refuser` (with the reason).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AnswerRequestForm {
    pub action: String,
    #[serde(rename = "reponse")]
    pub answer: String,
}

fn view(r: StoredRequest) -> RequestView {
    let status = RequestStatus::from_slug(&r.status);
    let days = (status == Some(RequestStatus::Open))
        .then(|| NaiveDate::parse_from_str(&r.due_on, "%Y-%m-%d").ok())
        .flatten()
        .map(|d| days_left(d, today()));
    RequestView {
        kind: RequestKind::from_slug(&r.kind),
        status,
        days_left: days,
        request: r,
    }
}

/// A structure's requests still open, for the operator: counts and dates, no person.
#[derive(Debug, Clone, Serialize)]
pub struct RequestDeadlines {
    #[serde(rename = "structure")]
    pub organisation_id: String,
    #[serde(rename = "nom")]
    pub organisation_name: String,
    #[serde(rename = "a_traiter")]
    pub open: u64,
    /// Open past their one-month deadline.
    #[serde(rename = "en_retard")]
    pub late: u64,
    /// The soonest deadline (`2026-12-24`).
    #[serde(rename = "prochaine_echeance")]
    pub next_due: String,
}

impl App {
    /// Requests still open in every structure, with the late ones: administrators (the pages
    /// of the register) and the command line's operator. Counts only — the requests
    /// themselves stay with their structure.
    pub async fn request_deadlines(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<RequestDeadlines>, AppError> {
        self.check(actor, &Action::ManageAccounts)?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(self
            .store
            .open_request_deadlines(&today().to_string())
            .await?
            .into_iter()
            .map(|(id, name, open, late, next)| RequestDeadlines {
                organisation_id: id,
                organisation_name: name,
                open: count(open),
                late: count(late),
                next_due: next,
            })
            .collect())
    }

    fn check_persons(&self, actor: Option<&Actor>, organisation_id: &str) -> Result<(), AppError> {
        self.check(
            actor,
            &Action::HandlePersons {
                organisation_id: organisation_id.to_string(),
            },
        )
    }

    /// The requests of the caller's structure (open first, soonest due), with its followed
    /// persons for the form.
    pub async fn person_requests(
        &self,
        actor: Option<&Actor>,
        organisation_id: Option<&str>,
    ) -> Result<(Organisation, Vec<RequestView>, Vec<Person>), AppError> {
        let organisation = self.mandate_organisation(actor, organisation_id).await?;
        self.check_persons(actor, &organisation.id)?;
        let list = self
            .store
            .person_requests_of(&organisation.id)
            .await?
            .into_iter()
            .map(view)
            .collect();
        let persons = self.store.persons_of(&organisation.id).await?;
        Ok((organisation, list, persons))
    }

    /// Records a request received by the structure, due one month after its receipt.
    pub async fn record_person_request(
        &self,
        actor: Option<&Actor>,
        organisation_id: Option<&str>,
        form: &RequestForm,
    ) -> Result<Result<String, Vec<(&'static str, String)>>, AppError> {
        let organisation = self.mandate_organisation(actor, organisation_id).await?;
        self.check_persons(actor, &organisation.id)?;
        let input = match form.validate(today()) {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        // A followed person named must be one of this structure's.
        if let Some(p) = &input.person_id {
            match self.store.person(p).await? {
                Some(person) if person.organisation_id == organisation.id => {}
                _ => return Err(AppError::NotFound),
            }
        }
        let by = actor.map(|a| a.user_id.clone()).unwrap_or_default();
        let id = self
            .store
            .create_person_request(&NewPersonRequest {
                organisation_id: &organisation.id,
                kind: input.kind.slug(),
                person_id: input.person_id.as_deref(),
                person_name: input.person_name.as_deref(),
                contact: input.contact.as_deref(),
                received_on: &input.received_on.to_string(),
                due_on: &due_on(input.received_on).to_string(),
                recorded_by: &by,
            })
            .await?;
        Ok(Ok(id))
    }

    async fn own_request(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<StoredRequest, AppError> {
        let Some(a) = actor else {
            return Err(AppError::SignInRequired);
        };
        let r = self
            .store
            .person_request(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !a.member_of(&r.organisation_id, today()) {
            return Err(AppError::NotFound);
        }
        self.check_persons(actor, &r.organisation_id)?;
        Ok(r)
    }

    /// A request with everything the structure holds about its person.
    pub async fn person_request_page(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<RequestPage, AppError> {
        let r = self.own_request(actor, id).await?;
        let organisation = self
            .store
            .organisation(&r.organisation_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut personnes_suivies = Vec::new();
        let mut mandats = Vec::new();
        let open = r.status == RequestStatus::Open.slug();
        if open {
            for p in self
                .store
                .persons_designated(
                    &r.organisation_id,
                    r.person_id.as_deref(),
                    r.person_name.as_deref(),
                    r.contact.as_deref(),
                )
                .await?
            {
                personnes_suivies.push(self.person_export(actor, &p).await?);
                for m in self.store.mandates_of_person(&p).await? {
                    mandats.push(self.mandate_view(actor, &m.id).await?);
                }
            }
        }
        let mut orientations = Vec::new();
        if open {
            for j in self
                .store
                .journeys_designated(
                    &r.organisation_id,
                    r.person_name.as_deref(),
                    r.contact.as_deref(),
                )
                .await?
            {
                for s in self.store.journey(&j).await? {
                    orientations.push(JourneyExport {
                        demande: s.request_title.clone(),
                        vers: s.to_name.clone(),
                        statut: s.status.label(),
                        le: s.created_at.clone(),
                        prenom: s.person_label.clone(),
                        contact: s.contact.clone(),
                    });
                }
            }
        }
        Ok(RequestPage {
            found: RequestExport {
                structure: organisation.name.clone(),
                personnes_suivies,
                mandats,
                orientations,
            },
            organisation,
            view: view(r),
        })
    }

    /// Answers a request: an erasure done across every capability (for an erasure or an
    /// objection), an answer given, or a refusal with its reason. `Ok(false)` when it was
    /// answered already.
    pub async fn answer_person_request(
        &self,
        actor: Option<&Actor>,
        id: &str,
        form: &AnswerRequestForm,
    ) -> Result<Result<bool, Vec<(&'static str, String)>>, AppError> {
        let r = self.own_request(actor, id).await?;
        let by = actor.map(|a| a.user_id.clone()).unwrap_or_default();
        let keep_until = (Utc::now() + self.retention.duration(Kept::PersonRequests))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let answer = form.answer.split_whitespace().collect::<Vec<_>>().join(" ");
        if answer.chars().count() > 1000 {
            return Ok(Err(vec![(
                "reponse",
                "1000 caractères au plus".to_string(),
            )]));
        }
        let answer = maillage_domain::sensitive::mask(&answer).text;
        let (status, text, forget) = match form.action.as_str() {
            "effacer" => {
                let kind = RequestKind::from_slug(&r.kind);
                if !matches!(kind, Some(RequestKind::Erasure | RequestKind::Objection)) {
                    return Ok(Err(vec![(
                        "action",
                        "l'effacement répond à une demande d'effacement ou d'opposition"
                            .to_string(),
                    )]));
                }
                let erased = self
                    .store
                    .erase_person_everywhere(
                        &r.organisation_id,
                        r.person_id.as_deref(),
                        r.person_name.as_deref(),
                        r.contact.as_deref(),
                    )
                    .await?;
                (
                    RequestStatus::Done,
                    format!(
                        "Effacement fait : {} personne(s) suivie(s) avec leurs diagnostics et mandats, {} parcours d'orientation, {} inscription(s) à un atelier.{}",
                        erased.persons,
                        erased.journeys,
                        erased.registrations,
                        if answer.is_empty() {
                            String::new()
                        } else {
                            format!(" {answer}")
                        }
                    ),
                    true,
                )
            }
            "repondre" if !answer.is_empty() => (RequestStatus::Done, answer, false),
            "refuser" if !answer.is_empty() => (RequestStatus::Refused, answer, false),
            "repondre" | "refuser" => {
                return Ok(Err(vec![(
                    "reponse",
                    "dites ce qui a été répondu (ou pourquoi la demande est refusée)".to_string(),
                )]));
            }
            _ => {
                return Ok(Err(vec![(
                    "action",
                    "choisissez la suite donnée".to_string(),
                )]));
            }
        };
        Ok(Ok(self
            .store
            .answer_person_request(&r.id, status.slug(), &text, &by, &keep_until, forget)
            .await?))
    }
}
