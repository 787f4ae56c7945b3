//! Mandates (issue #19): a habilitated helper records, with the person, the démarches a
//! structure may do on their behalf and for how long; each act under it is recorded against it;
//! the person sees and stops it alone with their link; the journal proves what happened. Rules
//! in `maillage_domain::mandates`; the policy's `ActUnderMandate`, `ReadMandates`,
//! `GrantHabilitation`, `VerifyJournal`.

use chrono::{Duration, NaiveDate, Utc};
use maillage_domain::mandates::{
    ActManner, ChainBroken, ConsentMode, Demarche, HabilitationState, MandateDates, MandateFacts,
    MandateForm, MandateStatus, RevokedBy, TEXT_VERSION, digest, fingerprint, may_link_record,
    may_use, share_with, text,
};
use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Action, Actor, Location, authorize};
use maillage_domain::retention::Kept;
use maillage_domain::vocab::Vocabulary;
use maillage_store::{Entry, NewAct, NewMandate, StoreError};
use serde::Serialize;

pub use maillage_store::{StoredAct, StoredHabilitation, StoredMandate};

use crate::{App, AppError, allow, today};

/// The person's link works this long after it is given (renewed with each mandate).
const PERSON_LINK_DAYS: i64 = 400;

/// A mandate with what pages, the API and the CLI show of it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Mandat)]
pub struct MandateView {
    pub id: String,
    #[serde(rename = "structure")]
    pub organisation_id: String,
    #[serde(rename = "structure_nom")]
    pub organisation_name: String,
    #[serde(rename = "personne")]
    pub person_id: String,
    #[serde(rename = "nom")]
    pub person_name: String,
    pub contact: Option<String>,
    #[serde(rename = "statut")]
    pub status: MandateStatus,
    #[serde(rename = "statut_libelle")]
    pub status_label: &'static str,
    /// Démarches still covered.
    pub demarches: Vec<String>,
    /// Démarches a newer mandate took over.
    #[serde(rename = "demarches_reprises")]
    pub replaced: Vec<String>,
    #[serde(rename = "duree")]
    pub duration: String,
    #[serde(rename = "debut")]
    pub starts_on: String,
    #[serde(rename = "dernier_jour")]
    pub last_day: String,
    #[serde(rename = "accord")]
    pub consent_mode: String,
    #[serde(rename = "accord_le")]
    pub consented_at: Option<String>,
    #[serde(rename = "revoque_le")]
    pub revoked_at: Option<String>,
    #[serde(rename = "revoque_par")]
    pub revoked_by: Option<String>,
    #[serde(rename = "version_texte")]
    pub text_version: u32,
    #[serde(rename = "texte")]
    pub text: String,
    #[serde(rename = "empreinte")]
    pub fingerprint: String,
    /// Who recorded it.
    #[serde(rename = "aidant")]
    pub helper_name: Option<String>,
    /// Days left when the end is near.
    #[serde(rename = "fin_proche_jours")]
    pub ends_in_days: Option<i64>,
    #[serde(rename = "cree_le")]
    pub created_at: String,
}

impl MandateView {
    /// The démarches covered, in the order of the national list.
    pub fn demarche_labels(&self) -> Vec<&'static str> {
        let mut list: Vec<Demarche> = self
            .demarches
            .iter()
            .filter_map(|d| Demarche::from_slug(d))
            .collect();
        list.sort();
        list.into_iter().map(Demarche::label).collect()
    }

    pub fn is_active(&self) -> bool {
        self.status == MandateStatus::Active
    }

    pub fn is_awaiting_consent(&self) -> bool {
        self.status == MandateStatus::AwaitingConsent
    }

    pub fn starts_on_text(&self) -> String {
        french_day(&self.starts_on)
    }

    pub fn last_day_text(&self) -> String {
        french_day(&self.last_day)
    }

    pub fn consent_text(&self) -> &'static str {
        ConsentMode::from_slug(&self.consent_mode).map_or("", ConsentMode::short)
    }
}

/// An act with what pages show of it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ActeSousMandat)]
pub struct ActView {
    pub id: String,
    #[serde(rename = "mandat")]
    pub mandate_id: String,
    pub demarche: String,
    #[serde(rename = "maniere")]
    pub manner: String,
    #[serde(rename = "quoi")]
    pub what: String,
    #[serde(rename = "aidant")]
    pub helper_name: Option<String>,
    #[serde(rename = "le")]
    pub at: String,
    /// The number of its line in the journal.
    #[serde(rename = "ligne_journal")]
    pub journal_seq: i64,
}

impl ActView {
    pub fn demarche_label(&self) -> &'static str {
        Demarche::from_slug(&self.demarche).map_or("", Demarche::label)
    }

    pub fn manner_label(&self) -> &'static str {
        match ActManner::from_slug(&self.manner) {
            Some(ActManner::With) => "avec la personne",
            _ => "à la place de la personne",
        }
    }

    pub fn at_text(&self) -> String {
        french_time(&self.at)
    }
}

/// A mandate and its acts, as its page shows them.
#[derive(Debug, Clone)]
pub struct MandatePage {
    pub mandate: MandateView,
    pub acts: Vec<ActView>,
    /// The caller may act under it (habilitated member).
    pub may_act: bool,
    /// Démarches the caller may record an act for today.
    pub usable: Vec<Demarche>,
    /// Activity records of démarches done under it: (id, day).
    pub records: Vec<(String, String)>,
}

/// The structure's mandate indicators, named as in `docs/INDICATORS.md` (section « Mandats »).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = IndicateursMandats)]
pub struct MandateIndicators {
    /// `mandats-actifs`
    #[serde(rename = "mandats_actifs")]
    pub active: u64,
    /// `actes-avec`
    #[serde(rename = "actes_avec")]
    pub acts_with: u64,
    /// `actes-a-la-place`
    #[serde(rename = "actes_a_la_place")]
    pub acts_in_place: u64,
    /// `part-avec`, in percent; null when no act was recorded.
    #[serde(rename = "part_avec")]
    pub share_with: Option<u32>,
}

/// Where the caller stands with the mandates of a structure.
#[derive(Debug, Clone)]
pub struct MandateDesk {
    pub organisation: Organisation,
    pub habilitation: Option<HabilitationState>,
    /// The caller may record mandates and act under them.
    pub may_act: bool,
    /// The caller may grant habilitations for this structure.
    pub may_grant: bool,
    /// The démarches the structure offers mandates for.
    pub offered: Vec<Demarche>,
    pub mandates: Vec<MandateView>,
    /// The caller is the structure's referent for personal data (reads the access log).
    pub data_referent: bool,
    /// Acts of the last twelve months done with the person and in their place.
    pub acts_with: u64,
    pub acts_in_place: u64,
}

impl MandateDesk {
    /// The share of acts done « avec » the person, in percent.
    pub fn share_with_percent(&self) -> Option<u32> {
        share_with(self.acts_with, self.acts_in_place).map(|s| (s * 100.0).round() as u32)
    }

    /// The structure's mandate indicators (definitions in `maillage_domain::mandates::INDICATORS`).
    pub fn indicators(&self) -> MandateIndicators {
        MandateIndicators {
            active: self
                .mandates
                .iter()
                .filter(|m| m.status == MandateStatus::Active)
                .count() as u64,
            acts_with: self.acts_with,
            acts_in_place: self.acts_in_place,
            share_with: self.share_with_percent(),
        }
    }

    pub fn habilitation_text(&self) -> String {
        match self.habilitation {
            Some(h) => h.label(),
            None => "pas d'habilitation : demandez-la au coordinateur de votre territoire".into(),
        }
    }

    pub fn ending_soon(&self) -> Vec<&MandateView> {
        self.mandates
            .iter()
            .filter(|m| m.ends_in_days.is_some())
            .collect()
    }
}

/// A mandate just recorded, with the person's link (given once: it is stored as its hash).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub mandate_id: String,
    /// The raw token of the person's link, when one was given now.
    pub link_token: Option<String>,
}

/// What the person sees through their link.
#[derive(Debug, Clone)]
pub struct PersonSpace {
    pub person_name: String,
    pub mandates: Vec<MandateView>,
    pub acts: Vec<ActView>,
}

/// The public check of an attestation: no name, only what the paper already says.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = VerificationAttestation)]
pub struct AttestationCheck {
    /// The fingerprint matches the mandate as recorded.
    #[serde(rename = "conforme")]
    pub genuine: bool,
    #[serde(rename = "statut")]
    pub status: MandateStatus,
    #[serde(rename = "statut_libelle")]
    pub status_label: &'static str,
    #[serde(rename = "structure_nom")]
    pub organisation_name: String,
    pub demarches: Vec<String>,
    #[serde(rename = "debut")]
    pub starts_on: String,
    #[serde(rename = "dernier_jour")]
    pub last_day: String,
}

/// An act to record, from the page, the API or the CLI.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = FormulaireActe)]
pub struct ActForm {
    pub demarche: String,
    /// `avec` or `a-la-place`.
    #[serde(rename = "maniere")]
    pub manner: String,
    /// What was done, in a few words (no password, no number: masked when it looks like one).
    #[serde(rename = "quoi")]
    pub what: String,
}

/// A revocation: `par` is `personne-aidant` (the person asked the helper) or `structure`.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = Revocation)]
pub struct RevokeForm {
    #[serde(rename = "par")]
    pub by: String,
}

/// A habilitation to grant: the member and the date of their training.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct HabilitationForm {
    #[serde(rename = "aidant")]
    pub user_id: String,
    #[serde(rename = "formation")]
    pub trained_on: String,
    /// `donner`, `retirer`, or `offre` (the démarches the structure offers).
    pub action: String,
    /// With `offre`: the démarches offered (none: all).
    pub demarches: Vec<String>,
}

/// A habilitation with the names a page shows.
#[derive(Debug, Clone)]
pub struct HabilitationLine {
    pub user_name: String,
    pub user_id: String,
    pub state: Option<HabilitationState>,
    pub history: Vec<StoredHabilitation>,
}

/// The state of the journal as a whole.
#[derive(Debug, Clone)]
pub struct JournalReport {
    pub lines: u64,
    pub broken: Option<ChainBroken>,
}

/// After an act done in the person's place: what could teach them to do it alone next time.
#[derive(Debug, Clone, Default)]
pub struct TowardAutonomy {
    pub demarche: Option<Demarche>,
    /// (title, address) of resources of the library.
    pub resources: Vec<(String, String)>,
    /// (title, date, address) of coming workshops.
    pub workshops: Vec<(String, String, String)>,
}

/// A key for a mandate form, sent with it once: a second submission records nothing more.
pub fn new_form_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn french_day(s: &str) -> String {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_or_else(|_| s.to_string(), maillage_domain::french::date)
}

fn french_time(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s).map_or_else(
        |_| s.to_string(),
        |t| {
            let local = t.with_timezone(&chrono_tz::Europe::Paris);
            format!(
                "{} à {}",
                maillage_domain::french::date(local.date_naive()),
                local.format("%H h %M")
            )
        },
    )
}

fn parse_day(s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| AppError::Store(StoreError::Corrupt(format!("date illisible {s}"))))
}

fn dates_of(m: &StoredMandate) -> Result<MandateDates, AppError> {
    Ok(MandateDates {
        starts_on: parse_day(&m.starts_on)?,
        last_day: parse_day(&m.last_day)?,
        consented: m.consented_at.is_some(),
        revoked: m.revoked_at.is_some(),
        demarches_left: m.demarches.iter().filter(|(_, r)| r.is_none()).count(),
    })
}

/// The day of a stored time (`2026-12-04T10:00:00Z`).
fn day_of(stamp: &str) -> Result<NaiveDate, AppError> {
    parse_day(stamp.get(..10).unwrap_or(stamp))
}

fn stamp(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl App {
    /// Whether an activity record of `organisation_id` may name this mandate (issue #19): the
    /// structure's own mandate (an id from a hidden field is never trusted), then the rule of
    /// [`may_link_record`] — the reason, in French, when it may not.
    pub(crate) async fn check_record_mandate(
        &self,
        organisation_id: &str,
        mandate_id: &str,
        activity: &maillage_domain::activity::Activity,
    ) -> Result<Result<(), String>, AppError> {
        let Some(m) = self
            .store
            .mandate(mandate_id)
            .await?
            .filter(|m| m.organisation_id == organisation_id)
        else {
            return Err(AppError::Forbidden(
                "ce mandat n'est pas un mandat de votre structure",
            ));
        };
        let revoked_on = m.revoked_at.as_deref().map(day_of).transpose()?;
        Ok(may_link_record(
            activity.kind == maillage_domain::activity::ActivityKind::Procedure,
            &dates_of(&m)?,
            revoked_on,
            activity.date,
        )
        .map_err(|why| why.to_string()))
    }

    /// The record form of a démarche done under a mandate, from the act just noted (or from
    /// the mandate alone): the structure, the followed person, the domain, what was done and
    /// how autonomous the person was.
    pub async fn form_of_mandate(
        &self,
        actor: Option<&Actor>,
        mandate_id: &str,
        act_id: Option<&str>,
    ) -> Result<(String, maillage_domain::activity::ActivityForm), AppError> {
        let page = self.mandate_page(actor, mandate_id).await?;
        let m = &page.mandate;
        let act = act_id.and_then(|id| page.acts.iter().find(|a| a.id == id));
        let demarche = act
            .and_then(|a| Demarche::from_slug(&a.demarche))
            .or_else(|| m.demarches.first().and_then(|d| Demarche::from_slug(d)));
        let autonomy = match act.and_then(|a| ActManner::from_slug(&a.manner)) {
            Some(ActManner::InPlace) => maillage_domain::activity::Autonomy::DoneForThem,
            _ => maillage_domain::activity::Autonomy::DoneWith,
        };
        let form = maillage_domain::activity::ActivityForm {
            kind: maillage_domain::activity::ActivityKind::Procedure
                .slug()
                .to_string(),
            date: today().to_string(),
            duration: "30".into(),
            venue: "lieu-activite".into(),
            procedure_themes: demarche
                .map(|d| vec![d.procedure_theme().slug().to_string()])
                .unwrap_or_default(),
            procedure_name: act.map(|a| a.what.clone()).unwrap_or_default(),
            autonomy: autonomy.slug().to_string(),
            persons: vec![m.person_id.clone()],
            ..Default::default()
        };
        Ok((m.organisation_id.clone(), form))
    }

    /// The structure the caller works with mandates for: the one asked (they must be a member),
    /// or their only one.
    pub(crate) async fn mandate_organisation(
        &self,
        actor: Option<&Actor>,
        wanted: Option<&str>,
    ) -> Result<Organisation, AppError> {
        let Some(actor) = actor else {
            return Err(AppError::SignInRequired);
        };
        let day = today();
        let id = match wanted.filter(|w| !w.is_empty()) {
            Some(w) => w.to_string(),
            None => {
                let mut own = actor
                    .memberships
                    .iter()
                    .filter(|m| m.in_force(day))
                    .map(|m| m.organisation_id.clone());
                match (own.next(), own.next()) {
                    (Some(one), None) => one,
                    (Some(_), Some(_)) => {
                        return Err(AppError::Invalid(
                            "vous êtes membre de plusieurs structures : choisissez laquelle".into(),
                        ));
                    }
                    (None, _) => {
                        return Err(AppError::Forbidden(
                            "les mandats sont réservés aux membres d'une structure",
                        ));
                    }
                }
            }
        };
        allow(authorize(
            Some(actor),
            &Action::ReadMandates {
                organisation_id: id.clone(),
            },
            day,
        ))?;
        self.store
            .organisation(&id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// The caller's habilitation for a structure, today.
    async fn habilitation_state(
        &self,
        actor: &Actor,
        organisation_id: &str,
    ) -> Result<Option<HabilitationState>, AppError> {
        let Some(h) = self
            .store
            .habilitation(organisation_id, &actor.user_id)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(domain_habilitation(&h)?.state(today())))
    }

    /// Whether the caller may record mandates for the structure and act under them, or why not.
    async fn check_act(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
    ) -> Result<(), AppError> {
        let Some(a) = actor else {
            return Err(AppError::SignInRequired);
        };
        let habilitated = matches!(
            self.habilitation_state(a, organisation_id).await?,
            Some(HabilitationState::Active { .. })
        );
        allow(authorize(
            actor,
            &Action::ActUnderMandate {
                organisation_id: organisation_id.to_string(),
                habilitated,
            },
            today(),
        ))
    }

    async fn offered(&self, organisation_id: &str) -> Result<Vec<Demarche>, AppError> {
        let listed = self.store.mandate_offers(organisation_id).await?;
        Ok(if listed.is_empty() {
            Demarche::ALL.to_vec()
        } else {
            listed
                .iter()
                .filter_map(|d| Demarche::from_slug(d))
                .collect()
        })
    }

    async fn mandate_view_of(
        &self,
        m: StoredMandate,
        organisation_name: &str,
    ) -> Result<MandateView, AppError> {
        let dates = dates_of(&m)?;
        let day = today();
        let status = dates.status(day);
        let helper_name = match &m.helper_id {
            Some(id) => self.store.user(id).await?.map(|u| u.display_name),
            None => None,
        };
        let (kept, replaced): (Vec<_>, Vec<_>) = m.demarches.iter().partition(|(_, r)| r.is_none());
        Ok(MandateView {
            id: m.id,
            organisation_id: m.organisation_id,
            organisation_name: organisation_name.to_string(),
            person_id: m.person_id,
            person_name: m.person_name,
            contact: m.contact,
            status,
            status_label: status.label(),
            demarches: kept.into_iter().map(|(d, _)| d.clone()).collect(),
            replaced: replaced.into_iter().map(|(d, _)| d.clone()).collect(),
            duration: m.duration,
            starts_on: m.starts_on,
            last_day: m.last_day,
            consent_mode: m.consent_mode,
            consented_at: m.consented_at,
            revoked_at: m.revoked_at,
            revoked_by: m.revoked_by,
            text_version: m.text_version,
            text: m.text,
            fingerprint: m.fingerprint,
            helper_name,
            ends_in_days: dates.ends_soon(day),
            created_at: m.created_at,
        })
    }

    async fn act_view(&self, a: StoredAct) -> Result<ActView, AppError> {
        let helper_name = match &a.helper_id {
            Some(id) => self.store.user(id).await?.map(|u| u.display_name),
            None => None,
        };
        Ok(ActView {
            id: a.id,
            mandate_id: a.mandate_id,
            demarche: a.demarche,
            manner: a.manner,
            what: a.what,
            helper_name,
            at: a.at,
            journal_seq: a.journal_seq,
        })
    }

    /// The mandates of the caller's structure, with where the caller stands.
    pub async fn mandate_desk(
        &self,
        actor: Option<&Actor>,
        organisation_id: Option<&str>,
    ) -> Result<MandateDesk, AppError> {
        let organisation = self.mandate_organisation(actor, organisation_id).await?;
        let Some(a) = actor else {
            return Err(AppError::SignInRequired);
        };
        let habilitation = self.habilitation_state(a, &organisation.id).await?;
        let may_act = self.check_act(actor, &organisation.id).await.is_ok();
        let may_grant = self.may(
            actor,
            &Action::GrantHabilitation(location_of_organisation(&organisation)),
        );
        let mut mandates = Vec::new();
        for m in self
            .store
            .mandates_of_organisation(&organisation.id)
            .await?
        {
            mandates.push(self.mandate_view_of(m, &organisation.name).await?);
        }
        let since = Utc::now()
            .checked_sub_months(chrono::Months::new(
                maillage_domain::mandates::INDICATOR_MONTHS,
            ))
            .map_or_else(String::new, stamp);
        let (acts_with, acts_in_place) = self.store.act_counts(&organisation.id, &since).await?;
        Ok(MandateDesk {
            data_referent: self.is_data_referent(actor, &organisation.id).await?,
            offered: self.offered(&organisation.id).await?,
            organisation,
            habilitation,
            may_act,
            may_grant,
            mandates,
            acts_with,
            acts_in_place,
        })
    }

    /// Records a mandate: the caller is a habilitated member, the form is checked against the
    /// démarches the structure offers, the text of today's version is kept with it, and its
    /// fingerprint. A form sent twice (same `form_key`) records nothing more and answers the
    /// first mandate. `Ok(Err(errors))` when the form is wrong, each error named.
    pub async fn record_mandate(
        &self,
        actor: Option<&Actor>,
        form: &MandateForm,
        form_key: Option<&str>,
    ) -> Result<Result<Recorded, Vec<(&'static str, String)>>, AppError> {
        let organisation = self
            .mandate_organisation(
                actor,
                Some(form.organisation_id.as_str()).filter(|s| !s.is_empty()),
            )
            .await?;
        self.check_act(actor, &organisation.id).await?;
        let helper = actor.map(|a| a.user_id.clone()).unwrap_or_default();
        // A renewed mandate must be one of this structure's: its person is the new one's.
        let renewed = match form.renews.trim() {
            "" => None,
            id => match self.store.mandate(id).await? {
                Some(m) if m.organisation_id == organisation.id => Some(m),
                _ => return Err(AppError::NotFound),
            },
        };
        // A followed person named in the form must be one of this structure's.
        let person_id = match (form.person_id.trim(), &renewed) {
            (_, Some(m)) => Some(m.person_id.clone()),
            ("", None) => None,
            (id, None) => match self.store.person(id).await? {
                Some(p) if p.organisation_id == organisation.id => Some(p.id),
                _ => return Err(AppError::NotFound),
            },
        };
        let input = match form.validate(&self.offered(&organisation.id).await?) {
            Ok(i) => i,
            Err(errors) => return Ok(Err(errors)),
        };
        let start = today();
        let last_day = input.duration.last_day(start);
        let keep = self.retention.duration(Kept::Mandates);
        let facts = MandateFacts {
            person_name: input.person_name.clone(),
            organisation_name: organisation.name.clone(),
            demarches: input.demarches.clone(),
            starts_on: start,
            last_day,
            kept_for: self.retention.phrase(Kept::Mandates),
        };
        let body = text(TEXT_VERSION, &facts)
            .ok_or_else(|| AppError::Invalid("version du texte inconnue".into()))?;
        let id = uuid::Uuid::now_v7().simple().to_string();
        let print = fingerprint(&id, TEXT_VERSION, &body, input.consent);
        let contact = input.contact.as_ref().map(|c| match c {
            maillage_domain::referrals::Contact::Phone(p) => p.clone(),
            maillage_domain::referrals::Contact::Email(e) => e.clone(),
        });
        let (token, hash) = maillage_store::new_token();
        let link_expires = stamp(Utc::now() + Duration::days(PERSON_LINK_DAYS));
        let demarches: Vec<&str> = input.demarches.iter().map(|d| d.slug()).collect();
        let keep_until = (last_day + keep).format("%Y-%m-%dT23:59:59Z").to_string();
        let renewed_from = renewed.map(|m| m.id);
        let outcome = self
            .store
            .create_mandate(&NewMandate {
                organisation_id: &organisation.id,
                person_id: person_id.as_deref(),
                new_person: Some((&input.person_name, contact.as_deref())),
                person_name: &input.person_name,
                contact: contact.as_deref(),
                helper_id: &helper,
                consent_mode: input.consent.slug(),
                consented: input.consent != ConsentMode::Link,
                duration: input.duration.slug(),
                starts_on: &start.to_string(),
                last_day: &last_day.to_string(),
                text_version: TEXT_VERSION,
                text: &body,
                id: &id,
                fingerprint: &print,
                demarches: &demarches,
                renewed_from: renewed_from.as_deref(),
                form_key,
                keep_until: &keep_until,
                link: Some((&hash, &link_expires)),
            })
            .await;
        match outcome {
            Ok(()) => Ok(Ok(Recorded {
                mandate_id: id,
                link_token: Some(token),
            })),
            Err(StoreError::Conflict(first)) => Ok(Ok(Recorded {
                mandate_id: first,
                link_token: None,
            })),
            Err(e) => Err(e.into()),
        }
    }

    /// A mandate of the caller's structure (another structure's is « introuvable »).
    async fn own_mandate(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<(StoredMandate, Organisation), AppError> {
        let Some(a) = actor else {
            return Err(AppError::SignInRequired);
        };
        let m = self.store.mandate(id).await?.ok_or(AppError::NotFound)?;
        if !a.member_of(&m.organisation_id, today()) {
            // Not « forbidden »: whether it exists is not the caller's to know.
            return Err(AppError::NotFound);
        }
        allow(authorize(
            actor,
            &Action::ReadMandates {
                organisation_id: m.organisation_id.clone(),
            },
            today(),
        ))?;
        let organisation = self
            .store
            .organisation(&m.organisation_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((m, organisation))
    }

    /// A mandate with its acts.
    pub async fn mandate_page(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<MandatePage, AppError> {
        let (m, organisation) = self.own_mandate(actor, id).await?;
        self.note_access(actor, &organisation.id, "mandat", &m.id)
            .await?;
        let may_act = self.check_act(actor, &organisation.id).await.is_ok();
        let dates = dates_of(&m)?;
        let usable = m
            .demarches
            .iter()
            .filter(|(_, r)| r.is_none())
            .filter_map(|(d, _)| Demarche::from_slug(d))
            .filter(|d| may_use(&dates, true, *d, today()).is_ok())
            .collect();
        let mut acts = Vec::new();
        for a in self.store.acts_of_mandate(&m.id).await? {
            acts.push(self.act_view(a).await?);
        }
        let records = self.store.activities_of_mandate(&m.id).await?;
        Ok(MandatePage {
            mandate: self.mandate_view_of(m, &organisation.name).await?,
            acts,
            records,
            may_act: may_act
                && !matches!(
                    dates.status(today()),
                    MandateStatus::Revoked | MandateStatus::Expired
                ),
            usable,
        })
    }

    /// A mandate for the API and the CLI.
    pub async fn mandate_view(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<MandateView, AppError> {
        let (m, organisation) = self.own_mandate(actor, id).await?;
        self.note_access(actor, &organisation.id, "mandat", &m.id)
            .await?;
        self.mandate_view_of(m, &organisation.name).await
    }

    /// Records an act done under a mandate: the caller is habilitated, the mandate is active
    /// and covers the démarche; otherwise the use is refused with its reason, and the refusal
    /// journaled. What was done is masked of anything like a credential before it is kept.
    /// Answers the act's id, whether something was masked, and what could teach the person to
    /// do it alone.
    pub async fn record_act(
        &self,
        actor: Option<&Actor>,
        mandate_id: &str,
        form: &ActForm,
    ) -> Result<Result<(String, bool, TowardAutonomy), Vec<(&'static str, String)>>, AppError> {
        let (m, organisation) = self.own_mandate(actor, mandate_id).await?;
        self.check_act(actor, &organisation.id).await?;
        let helper = actor.map(|a| a.user_id.clone()).unwrap_or_default();
        let mut errors = Vec::new();
        let demarche = Demarche::parse(&form.demarche);
        if demarche.is_none() {
            errors.push(("demarche", "choisissez la démarche faite".to_string()));
        }
        let manner = ActManner::parse(&form.manner);
        if manner.is_none() {
            errors.push((
                "maniere",
                "dites si la démarche a été faite avec la personne ou à sa place".to_string(),
            ));
        }
        let what = form.what.split_whitespace().collect::<Vec<_>>().join(" ");
        if what.chars().count() < 3
            || what.chars().count() > maillage_domain::mandates::ACT_TEXT_MAX
        {
            errors.push((
                "quoi",
                format!(
                    "ce qui a été fait, en quelques mots ({} caractères au plus)",
                    maillage_domain::mandates::ACT_TEXT_MAX
                ),
            ));
        }
        let (Some(demarche), Some(manner), true) = (demarche, manner, errors.is_empty()) else {
            return Ok(Err(errors));
        };
        let dates = dates_of(&m)?;
        let covers = m
            .demarches
            .iter()
            .any(|(d, r)| d == demarche.slug() && r.is_none());
        let replaced = m
            .demarches
            .iter()
            .any(|(d, r)| d == demarche.slug() && r.is_some());
        let refused = match may_use(&dates, covers, demarche, today()) {
            Err(_) if replaced && dates.status(today()) == MandateStatus::Active => {
                Some(maillage_domain::mandates::UseRefused::Replaced)
            }
            Err(e) => Some(e),
            Ok(()) => None,
        };
        if let Some(reason) = refused {
            self.store
                .journal_entry(Entry {
                    event: maillage_domain::mandates::JournalEvent::UseRefused,
                    organisation_id: &organisation.id,
                    mandate_id: Some(&m.id),
                    actor_id: Some(&helper),
                    demarche: Some(demarche.slug()),
                    detail_digest: None,
                })
                .await?;
            return Err(AppError::Invalid(format!(
                "usage du mandat refusé : {reason}"
            )));
        }
        let masked = maillage_domain::sensitive::mask(&what);
        let what = masked.text;
        let id = self
            .store
            .record_act(&NewAct {
                organisation_id: &organisation.id,
                mandate_id: &m.id,
                demarche: demarche.slug(),
                manner: manner.slug(),
                what: &what,
                helper_id: &helper,
                digest: &digest(&format!("{}\n{}", manner.slug(), what)),
            })
            .await?;
        let autonomy = if manner == ActManner::InPlace {
            self.toward_autonomy(demarche).await?
        } else {
            TowardAutonomy::default()
        };
        Ok(Ok((id, !masked.found.is_empty(), autonomy)))
    }

    /// Resources and coming workshops that teach a démarche: what the helper offers after
    /// doing it in the person's place.
    pub async fn toward_autonomy(&self, demarche: Demarche) -> Result<TowardAutonomy, AppError> {
        let themes = demarche.learning_themes();
        let mut resources = self
            .find_resources(
                None,
                &crate::resources::ResourceFilter {
                    themes: themes.to_vec(),
                    ..Default::default()
                },
            )
            .await?;
        // The most specific theme first.
        resources.sort_by_key(|r| {
            themes
                .iter()
                .position(|t| r.resource.themes.contains(t))
                .unwrap_or(themes.len())
        });
        let workshops = self
            .find_workshops(&crate::workshops::WorkshopFilter {
                themes: themes.to_vec(),
                seats_only: true,
                ..Default::default()
            })
            .await?;
        Ok(TowardAutonomy {
            demarche: Some(demarche),
            resources: resources
                .into_iter()
                .take(3)
                .map(|r| {
                    (
                        r.resource.title.clone(),
                        format!("/ressources/{}", r.resource.id),
                    )
                })
                .collect(),
            workshops: workshops
                .into_iter()
                .take(3)
                .map(|w| {
                    let when = w
                        .stored
                        .workshop
                        .first_day()
                        .map(maillage_domain::french::date)
                        .unwrap_or_default();
                    (
                        w.stored.workshop.title.clone(),
                        when,
                        format!("/ateliers/{}", w.stored.workshop.id),
                    )
                })
                .collect(),
        })
    }

    /// Revokes a mandate of the caller's structure: at the person's request (`personne-aidant`)
    /// or the structure's (`structure`). Any member may: stopping never waits for a habilitation.
    pub async fn revoke_mandate(
        &self,
        actor: Option<&Actor>,
        id: &str,
        form: &RevokeForm,
    ) -> Result<bool, AppError> {
        let (m, _) = self.own_mandate(actor, id).await?;
        let by = match RevokedBy::parse(&form.by) {
            Some(RevokedBy::PersonAlone) | None => RevokedBy::PersonThroughHelper,
            Some(b) => b,
        };
        Ok(self
            .store
            .revoke_mandate(&m.id, by.slug(), actor.map(|a| a.user_id.as_str()))
            .await?)
    }

    /// A new personal link for the person of a mandate (the older one stops working).
    pub async fn renew_person_link(
        &self,
        actor: Option<&Actor>,
        mandate_id: &str,
    ) -> Result<String, AppError> {
        let (m, _) = self.own_mandate(actor, mandate_id).await?;
        let (token, hash) = maillage_store::new_token();
        let expires = stamp(Utc::now() + Duration::days(PERSON_LINK_DAYS));
        self.store
            .renew_person_link(&m.person_id, &hash, &expires)
            .await?;
        Ok(token)
    }

    /// The person a link opens, or « introuvable ».
    async fn person_of_link(&self, token: &str) -> Result<String, AppError> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::NotFound);
        }
        self.store
            .person_of_link(&maillage_store::token_hash(token), &stamp(Utc::now()))
            .await?
            .ok_or(AppError::NotFound)
    }

    /// What the person sees through their link: their mandates and what was done for them.
    pub async fn person_space(&self, token: &str) -> Result<PersonSpace, AppError> {
        let person_id = self.person_of_link(token).await?;
        let mut mandates = Vec::new();
        let mut name = String::new();
        for m in self.store.mandates_of_person(&person_id).await? {
            name.clone_from(&m.person_name);
            let org = self
                .store
                .organisation(&m.organisation_id)
                .await?
                .map(|o| o.name)
                .unwrap_or_default();
            mandates.push(self.mandate_view_of(m, &org).await?);
        }
        let mut acts = Vec::new();
        for a in self.store.acts_of_person(&person_id).await? {
            acts.push(self.act_view(a).await?);
        }
        Ok(PersonSpace {
            person_name: name,
            mandates,
            acts,
        })
    }

    /// The person accepts, through their link, a mandate waiting for their consent.
    pub async fn person_consents(&self, token: &str, mandate_id: &str) -> Result<bool, AppError> {
        let person_id = self.person_of_link(token).await?;
        let m = self
            .store
            .mandate(mandate_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if m.person_id != person_id {
            return Err(AppError::NotFound);
        }
        let expired = chrono::DateTime::parse_from_rfc3339(&m.created_at)
            .map(|c| {
                Utc::now() - c.with_timezone(&Utc)
                    > Duration::hours(maillage_domain::mandates::CONSENT_LINK_HOURS)
            })
            .unwrap_or(true);
        if expired {
            return Err(AppError::Invalid(
                "le délai pour donner votre accord est passé : demandez à l'aidant d'enregistrer à nouveau le mandat".into(),
            ));
        }
        Ok(self.store.consent_mandate(mandate_id).await?)
    }

    /// The person stops one of their mandates alone, through their link.
    pub async fn person_revokes(&self, token: &str, mandate_id: &str) -> Result<bool, AppError> {
        let person_id = self.person_of_link(token).await?;
        let m = self
            .store
            .mandate(mandate_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if m.person_id != person_id {
            return Err(AppError::NotFound);
        }
        Ok(self
            .store
            .revoke_mandate(&m.id, RevokedBy::PersonAlone.slug(), None)
            .await?)
    }

    /// Checks an attestation from its QR code: the fingerprint printed on it against the
    /// mandate as recorded. No name is given back.
    pub async fn check_attestation(
        &self,
        id: &str,
        print: &str,
    ) -> Result<AttestationCheck, AppError> {
        if id.len() > 64 || print.len() > 128 {
            return Err(AppError::NotFound);
        }
        let m = self.store.mandate(id).await?.ok_or(AppError::NotFound)?;
        let wanted: String = print
            .chars()
            .filter(|c| c.is_ascii_hexdigit())
            .collect::<String>()
            .to_ascii_lowercase();
        let genuine = !wanted.is_empty() && wanted == m.fingerprint;
        if !genuine {
            return Err(AppError::NotFound);
        }
        let status = dates_of(&m)?.status(today());
        let organisation_name = self
            .store
            .organisation(&m.organisation_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        Ok(AttestationCheck {
            genuine,
            status,
            status_label: status.label(),
            organisation_name,
            demarches: m
                .demarches
                .iter()
                .filter(|(_, r)| r.is_none())
                .map(|(d, _)| d.clone())
                .collect(),
            starts_on: m.starts_on,
            last_day: m.last_day,
        })
    }

    // ---- habilitations ----

    /// A structure, once the caller may do `action` at its location (habilitations, its data
    /// referent: the coordinators of its territory and administrators).
    pub(crate) async fn organisation_checked(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        action: fn(Location) -> Action,
    ) -> Result<Organisation, AppError> {
        let organisation = self
            .store
            .organisation(organisation_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.check(actor, &action(location_of_organisation(&organisation)))?;
        Ok(organisation)
    }

    /// The account is a member of the structure today, or « introuvable ».
    pub(crate) async fn check_member(
        &self,
        organisation_id: &str,
        user_id: &str,
    ) -> Result<(), AppError> {
        let members = self
            .store
            .members_of(organisation_id, &today().to_string())
            .await?;
        if members.iter().any(|u| u.id == user_id) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The members of a structure with their habilitation and its history: for whoever may
    /// grant them (the coordinators of its territory, administrators).
    pub async fn habilitations(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
    ) -> Result<(Organisation, Vec<HabilitationLine>, Vec<Demarche>), AppError> {
        let organisation = self
            .organisation_checked(actor, organisation_id, Action::GrantHabilitation)
            .await?;
        let history = self.store.habilitations_of(&organisation.id).await?;
        let members = self
            .store
            .members_of(&organisation.id, &today().to_string())
            .await?;
        let mut lines = Vec::new();
        for u in members {
            let mine: Vec<StoredHabilitation> = history
                .iter()
                .filter(|h| h.user_id == u.id)
                .cloned()
                .collect();
            let state = match mine.iter().find(|h| h.withdrawn_at.is_none()) {
                Some(h) => Some(domain_habilitation(h)?.state(today())),
                None => None,
            };
            lines.push(HabilitationLine {
                user_name: u.display_name,
                user_id: u.id,
                state,
                history: mine,
            });
        }
        Ok((
            organisation.clone(),
            lines,
            self.offered(&organisation.id).await?,
        ))
    }

    /// Grants or withdraws a member's habilitation.
    pub async fn change_habilitation(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        form: &HabilitationForm,
    ) -> Result<Result<(), Vec<(&'static str, String)>>, AppError> {
        let organisation = self
            .organisation_checked(actor, organisation_id, Action::GrantHabilitation)
            .await?;
        let by = actor.map(|a| a.user_id.clone()).unwrap_or_default();
        self.check_member(&organisation.id, &form.user_id).await?;
        match form.action.as_str() {
            "retirer" => {
                self.store
                    .withdraw_habilitation(&organisation.id, &form.user_id, &by)
                    .await?;
                Ok(Ok(()))
            }
            _ => {
                let Ok(trained) = NaiveDate::parse_from_str(form.trained_on.trim(), "%Y-%m-%d")
                else {
                    return Ok(Err(vec![(
                        "formation",
                        "la date de la formation suivie, au format jj/mm/aaaa".to_string(),
                    )]));
                };
                if trained > today() || trained < today() - Duration::days(365 * 5) {
                    return Ok(Err(vec![(
                        "formation",
                        "une formation suivie ces cinq dernières années, pas dans le futur"
                            .to_string(),
                    )]));
                }
                self.store
                    .grant_habilitation(&organisation.id, &form.user_id, &trained.to_string(), &by)
                    .await?;
                Ok(Ok(()))
            }
        }
    }

    /// Restricts the démarches a structure offers mandates for (none checked: all).
    pub async fn set_mandate_offers(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        demarches: &[String],
    ) -> Result<(), AppError> {
        let organisation = self
            .organisation_checked(actor, organisation_id, Action::GrantHabilitation)
            .await?;
        let mut chosen = Vec::new();
        for d in demarches {
            let d = Demarche::parse(d)
                .ok_or_else(|| AppError::Invalid(format!("démarche inconnue « {d} »")))?;
            if !chosen.contains(&d.slug()) {
                chosen.push(d.slug());
            }
        }
        if chosen.len() == Demarche::ALL.len() {
            chosen.clear();
        }
        Ok(self
            .store
            .set_mandate_offers(&organisation.id, &chosen)
            .await?)
    }

    // ---- the journal ----

    /// Follows the whole journal's hash chain (operators).
    pub async fn verify_journal(&self, actor: Option<&Actor>) -> Result<JournalReport, AppError> {
        self.check(actor, &Action::VerifyJournal)?;
        let lines = self.store.journal().await?;
        let count = lines.len() as u64;
        let store_result =
            tokio::task::spawn_blocking(move || maillage_domain::mandates::verify_chain(lines))
                .await
                .map_err(|e| AppError::Operation(format!("vérification interrompue : {e}")))?;
        Ok(match store_result {
            Ok(n) => JournalReport {
                lines: n,
                broken: None,
            },
            Err(b) => JournalReport {
                lines: count,
                broken: Some(b),
            },
        })
    }
}

fn domain_habilitation(
    h: &StoredHabilitation,
) -> Result<maillage_domain::mandates::Habilitation, AppError> {
    let day = |s: &str| -> Result<NaiveDate, AppError> {
        NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
            .map_err(|_| AppError::Store(StoreError::Corrupt(format!("date illisible {s}"))))
    };
    Ok(maillage_domain::mandates::Habilitation {
        trained_on: day(&h.trained_on)?,
        granted_on: day(&h.granted_at)?,
        last_used_on: h.last_used_at.as_deref().map(day).transpose()?,
        withdrawn_on: h.withdrawn_at.as_deref().map(day).transpose()?,
    })
}

pub(crate) fn location_of_organisation(o: &Organisation) -> Location {
    Location {
        organisation_id: Some(o.id.clone()),
        insee_code: None,
        departement: o.departement.clone(),
    }
}

impl App {
    /// Announces, once, the mandates whose last day comes within
    /// [`EXPIRY_WARNING_DAYS`](maillage_domain::mandates::EXPIRY_WARNING_DAYS): to the person
    /// when they gave an e-mail address, and to the structure's habilitated helpers (one
    /// message per structure, without names). Returns the messages sent. A mandate is marked
    /// announced only when e-mail is configured, so that turning e-mail on later still warns.
    pub async fn send_mandate_expiry_warnings(
        &self,
        now: chrono::DateTime<Utc>,
    ) -> Result<usize, AppError> {
        use crate::mail::messages::{MandateEnding, MandatesEnding, Message};
        if !self.mailer.is_enabled() {
            return Ok(0);
        }
        let day = now.date_naive();
        let until = day + Duration::days(maillage_domain::mandates::EXPIRY_WARNING_DAYS - 1);
        let ending = self
            .store
            .mandates_ending(&day.to_string(), &until.to_string())
            .await?;
        let mut sent = 0;
        let mut by_structure: std::collections::BTreeMap<String, (usize, NaiveDate)> =
            std::collections::BTreeMap::new();
        let at = stamp(now);
        // Each structure read once, for its mandates and its helpers' message.
        let mut organisations: std::collections::HashMap<String, Organisation> =
            std::collections::HashMap::new();
        for m in ending {
            let dates = dates_of(&m)?;
            if dates.status(day) != MandateStatus::Active {
                continue;
            }
            if !organisations.contains_key(&m.organisation_id) {
                let Some(o) = self.store.organisation(&m.organisation_id).await? else {
                    continue;
                };
                organisations.insert(m.organisation_id.clone(), o);
            }
            let Some(organisation) = organisations.get(&m.organisation_id) else {
                continue;
            };
            if let Some(to) = m.contact.as_deref().filter(|c| c.contains('@')) {
                let demarches = m
                    .demarches
                    .iter()
                    .filter(|(_, replaced)| replaced.is_none())
                    .filter_map(|(d, _)| Demarche::from_slug(d))
                    .map(Demarche::label)
                    .collect::<Vec<_>>()
                    .join(", ");
                let message = MandateEnding {
                    person: m.person_name.clone(),
                    structure: organisation.name.clone(),
                    last_day: maillage_domain::french::date(dates.last_day),
                    demarches,
                };
                if let Some(mail) = message.to(to) {
                    match self.mailer.send(&mail).await {
                        Ok(true) => sent += 1,
                        Ok(false) => {}
                        Err(e) => tracing::warn!("fin de mandat : courriel non envoyé : {e}"),
                    }
                }
            }
            let entry = by_structure
                .entry(m.organisation_id.clone())
                .or_insert((0, dates.last_day));
            entry.0 += 1;
            entry.1 = entry.1.max(dates.last_day);
            self.store.set_expiry_warned(&m.id, &at).await?;
        }
        for (organisation_id, (count, last)) in by_structure {
            let Some(organisation) = organisations.get(&organisation_id) else {
                continue;
            };
            let message = MandatesEnding {
                count,
                structure: organisation.name.clone(),
                structure_id: organisation.id.clone(),
                until: maillage_domain::french::date(last),
                url: self.public_url.clone(),
            };
            for h in self.store.habilitations_of(&organisation_id).await? {
                let active = matches!(
                    domain_habilitation(&h)?.state(day),
                    HabilitationState::Active { .. }
                );
                if !active {
                    continue;
                }
                let Some(user) = self.store.user(&h.user_id).await? else {
                    continue;
                };
                if let Some(mail) = message.to(&user.email) {
                    match self.mailer.send(&mail).await {
                        Ok(true) => sent += 1,
                        Ok(false) => {}
                        Err(e) => tracing::warn!("fin de mandat : courriel non envoyé : {e}"),
                    }
                }
            }
        }
        Ok(sent)
    }
}
