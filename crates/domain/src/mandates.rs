//! Mandates (issue #19): when a helper acts on a person's behalf (« faire à la place »), the
//! person and a structure — not one helper — agree in writing on the démarches it covers and for
//! how long. The rules here: the national list of démarches, durations, how consent is given,
//! the form, the text the person reads (versioned: a mandate keeps the text it was signed with),
//! the fingerprint printed on the attestation, the status of a mandate on a day, the
//! habilitation of helpers and its lapse, and the journal's hash chain with its verification.
//!
//! Pure: no I/O. The store keeps the journal append-only; [`verify_chain`] finds a removed or
//! altered line.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::vocab::{MediationTheme, Vocabulary, vocabulary};

vocabulary! {
    /// The démarches a mandate covers: the themes of the national service (keys as Aidants
    /// Connect uses them).
    Demarche, field = "demarches" {
        Papers = "papiers", "Papiers - Citoyenneté";
        Family = "famille", "Famille - Scolarité";
        Social = "social", "Social - Santé";
        Work = "travail", "Travail - Formation";
        Housing = "logement", "Logement";
        Transport = "transports", "Transports";
        Money = "argent", "Argent - Impôts - Consommation";
        Justice = "justice", "Justice";
        Abroad = "etranger", "Étranger";
        Leisure = "loisirs", "Loisirs - Sports - Culture";
    }
}

impl Demarche {
    /// What it covers, in plain words (the person reads it before agreeing).
    pub fn examples(self) -> &'static str {
        match self {
            Demarche::Papers => "carte d'identité, passeport, état civil, listes électorales",
            Demarche::Family => "allocations familiales, naissance, mariage, école des enfants",
            Demarche::Social => "carte Vitale, santé, RSA, handicap, retraite",
            Demarche::Work => "inscription à France Travail, emploi, formation",
            Demarche::Housing => "aide au logement, logement social, factures d'énergie",
            Demarche::Transport => "carte grise, permis de conduire, amendes",
            Demarche::Money => "impôts, banque, consommation, dettes",
            Demarche::Justice => "casier judiciaire, plainte, aide juridictionnelle",
            Demarche::Abroad => "titre de séjour, naturalisation, regroupement familial",
            Demarche::Leisure => "sport, culture, loisirs, animaux",
        }
    }

    /// The themes of workshops and resources that teach it (toward autonomy), the most
    /// specific first.
    pub fn learning_themes(self) -> &'static [MediationTheme] {
        use MediationTheme as T;
        match self {
            Demarche::Family => &[T::Parenting, T::School, T::OnlineProcedures],
            Demarche::Social => &[T::Health, T::OnlineProcedures],
            Demarche::Work => &[T::Employment, T::OnlineProcedures],
            Demarche::Money => &[T::BankingShopping, T::OnlineProcedures],
            Demarche::Leisure => &[T::Culture, T::Internet],
            Demarche::Papers
            | Demarche::Housing
            | Demarche::Transport
            | Demarche::Justice
            | Demarche::Abroad => &[T::OnlineProcedures],
        }
    }
}

vocabulary! {
    /// How long a mandate lasts.
    MandateDuration, field = "duree" {
        OneDay = "1-jour", "Aujourd'hui seulement";
        Month = "31-jours", "31 jours";
        HalfYear = "182-jours", "6 mois (182 jours)";
        Year = "1-an", "1 an (365 jours)";
    }
}

impl MandateDuration {
    pub fn days(self) -> i64 {
        match self {
            MandateDuration::OneDay => 1,
            MandateDuration::Month => 31,
            MandateDuration::HalfYear => 182,
            MandateDuration::Year => 365,
        }
    }

    /// The last day a mandate starting on `start` is valid (included).
    pub fn last_day(self, start: NaiveDate) -> NaiveDate {
        start + Duration::days(self.days() - 1)
    }
}

vocabulary! {
    /// How the person gave their consent.
    ConsentMode, field = "accord" {
        Paper = "papier", "Sur papier : la personne signe l'attestation imprimée";
        Screen = "ecran", "Sur l'écran : la personne lit et accepte elle-même";
        Link = "lien", "Sur son téléphone : la personne ouvre un lien et accepte";
    }
}

impl ConsentMode {
    /// Short form for lists and the attestation.
    pub fn short(self) -> &'static str {
        match self {
            ConsentMode::Paper => "attestation signée",
            ConsentMode::Screen => "accord donné sur l'écran",
            ConsentMode::Link => "accord donné par lien sur son téléphone",
        }
    }
}

vocabulary! {
    /// How an act was done: with the person at the keyboard, or in their place.
    ActManner, field = "maniere" {
        With = "avec", "Avec la personne : elle a fait elle-même, accompagnée";
        InPlace = "a-la-place", "À la place de la personne";
    }
}

vocabulary! {
    /// What a line of the journal records.
    JournalEvent, field = "evenement" {
        MandateCreated = "mandat-cree", "Mandat enregistré";
        ConsentGiven = "accord-donne", "Accord donné par la personne";
        Act = "acte", "Démarche faite pour la personne";
        UseRefused = "usage-refuse", "Usage refusé";
        Replaced = "demarche-remplacee", "Démarche reprise par un nouveau mandat";
        Revoked = "mandat-revoque", "Mandat révoqué";
        Renewed = "mandat-renouvele", "Mandat renouvelé";
        HabilitationGranted = "habilitation-donnee", "Habilitation donnée";
        HabilitationWithdrawn = "habilitation-retiree", "Habilitation retirée";
        IdentityErased = "identite-effacee", "Identité de la personne effacée";
    }
}

vocabulary! {
    /// Who revoked a mandate.
    RevokedBy, field = "revoque_par" {
        PersonThroughHelper = "personne-aidant", "La personne, avec l'aidant";
        PersonAlone = "personne-lien", "La personne elle-même, avec son lien";
        Structure = "structure", "La structure";
    }
}

/// Warned this many days before a mandate ends.
pub const EXPIRY_WARNING_DAYS: i64 = 7;
/// A single-use consent link works this long (hours).
pub const CONSENT_LINK_HOURS: i64 = 24;
/// A habilitation unused this many days lapses: the coordinator grants it again.
pub const HABILITATION_LAPSE_DAYS: i64 = 180;
/// Most characters of what was done, in an act.
pub const ACT_TEXT_MAX: usize = 300;

/// Where a mandate stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(as = StatutMandat)]
pub enum MandateStatus {
    /// Waiting for the person to accept through their link.
    AwaitingConsent,
    Active,
    /// Every démarche it covered is now covered by a newer mandate.
    Replaced,
    Expired,
    Revoked,
}

impl MandateStatus {
    pub fn label(self) -> &'static str {
        match self {
            MandateStatus::AwaitingConsent => "En attente de l'accord de la personne",
            MandateStatus::Active => "Actif",
            MandateStatus::Replaced => "Remplacé par un nouveau mandat",
            MandateStatus::Expired => "Terminé (durée écoulée)",
            MandateStatus::Revoked => "Révoqué",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            MandateStatus::AwaitingConsent => "attente-accord",
            MandateStatus::Active => "actif",
            MandateStatus::Replaced => "remplace",
            MandateStatus::Expired => "expire",
            MandateStatus::Revoked => "revoque",
        }
    }
}

/// What decides a mandate's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateDates {
    pub starts_on: NaiveDate,
    pub last_day: NaiveDate,
    pub consented: bool,
    pub revoked: bool,
    /// Démarches still covered (not replaced by a newer mandate).
    pub demarches_left: usize,
}

impl MandateDates {
    pub fn status(&self, today: NaiveDate) -> MandateStatus {
        if self.revoked {
            MandateStatus::Revoked
        } else if today > self.last_day {
            MandateStatus::Expired
        } else if self.demarches_left == 0 {
            MandateStatus::Replaced
        } else if !self.consented {
            MandateStatus::AwaitingConsent
        } else {
            MandateStatus::Active
        }
    }

    /// Days left (today included) when the end is near enough to warn.
    pub fn ends_soon(&self, today: NaiveDate) -> Option<i64> {
        let left = (self.last_day - today).num_days() + 1;
        (self.status(today) == MandateStatus::Active && left <= EXPIRY_WARNING_DAYS).then_some(left)
    }
}

/// Why a mandate may not be used for a démarche today.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UseRefused {
    #[error("la personne n'a pas encore donné son accord")]
    AwaitingConsent,
    #[error("le mandat a été révoqué")]
    Revoked,
    #[error("le mandat est terminé depuis le {0}")]
    Expired(String),
    #[error("le mandat ne couvre pas la démarche « {0} »")]
    NotCovered(&'static str),
    #[error("cette démarche est couverte par un mandat plus récent")]
    Replaced,
}

/// Whether a mandate may be used for `demarche` today.
pub fn may_use(
    dates: &MandateDates,
    covers: bool,
    demarche: Demarche,
    today: NaiveDate,
) -> Result<(), UseRefused> {
    match dates.status(today) {
        MandateStatus::Revoked => Err(UseRefused::Revoked),
        MandateStatus::Expired => Err(UseRefused::Expired(crate::french::date(dates.last_day))),
        MandateStatus::AwaitingConsent => Err(UseRefused::AwaitingConsent),
        MandateStatus::Replaced => Err(UseRefused::Replaced),
        MandateStatus::Active if !covers => Err(UseRefused::NotCovered(demarche.label())),
        MandateStatus::Active => Ok(()),
    }
}

/// Why an activity record (issue #7) may not name a mandate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefused {
    #[error("seule une aide aux démarches peut être faite sous mandat")]
    NotProcedure,
    #[error("la personne n'avait pas donné son accord à cette date")]
    NotConsented,
    #[error("le mandat ne courait pas à cette date (du {0} au {1})")]
    OutsidePeriod(String, String),
    #[error("le mandat avait été révoqué le {0}")]
    RevokedBefore(String),
}

/// Whether an activity record of `kind` done on `day` may say it was done under a mandate:
/// a procedure, on a day the mandate was in force (consented, begun, not ended nor revoked
/// before). A record may be written after the fact: what counts is the day of the démarche.
pub fn may_link_record(
    is_procedure: bool,
    dates: &MandateDates,
    revoked_on: Option<NaiveDate>,
    day: NaiveDate,
) -> Result<(), LinkRefused> {
    if !is_procedure {
        return Err(LinkRefused::NotProcedure);
    }
    if !dates.consented {
        return Err(LinkRefused::NotConsented);
    }
    if day < dates.starts_on || day > dates.last_day {
        return Err(LinkRefused::OutsidePeriod(
            crate::french::date(dates.starts_on),
            crate::french::date(dates.last_day),
        ));
    }
    match revoked_on {
        Some(r) if r < day => Err(LinkRefused::RevokedBefore(crate::french::date(r))),
        _ => Ok(()),
    }
}

impl Demarche {
    /// The activity records' domain of démarche (national vocabulary of the CRA) this démarche
    /// falls under: the record made from an act is prefilled with it.
    pub fn procedure_theme(self) -> crate::activity::ProcedureTheme {
        use crate::activity::ProcedureTheme as P;
        match self {
            Demarche::Papers => P::Papers,
            Demarche::Family => P::Family,
            Demarche::Social => P::SocialHealth,
            Demarche::Work => P::WorkTraining,
            Demarche::Housing => P::Housing,
            Demarche::Transport => P::Transport,
            Demarche::Money => P::MoneyTaxes,
            Demarche::Justice => P::Justice,
            Demarche::Abroad => P::Foreigners,
            Demarche::Leisure => P::Leisure,
        }
    }
}

/// The mandate form, as the helper fills it with the person.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = FormulaireMandat)]
pub struct MandateForm {
    /// The person's first and last names, as on the attestation.
    #[serde(rename = "nom")]
    pub person_name: String,
    /// A phone or an e-mail the person chose (for the link), or nothing.
    pub contact: String,
    /// Démarche keys (`papiers`, `famille`…).
    pub demarches: Vec<String>,
    /// `1-jour`, `31-jours`, `182-jours` or `1-an`.
    #[serde(rename = "duree")]
    pub duration: String,
    /// `papier`, `ecran` or `lien`.
    #[serde(rename = "accord")]
    pub consent: String,
    /// The helper read the text to the person, or the person read it.
    #[serde(rename = "texte_lu")]
    pub text_read: bool,
    /// A followed person of the structure (when the mandate starts from their page).
    #[serde(rename = "personne")]
    pub person_id: String,
    /// The structure, when the helper belongs to several.
    #[serde(rename = "structure")]
    pub organisation_id: String,
    /// The mandate this one renews (same person, same structure).
    #[serde(rename = "renouvelle")]
    pub renews: String,
    /// Sent with the form once (the page's): a second submission records nothing more.
    #[serde(rename = "cle")]
    pub form_key: String,
}

/// A checked mandate form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateInput {
    pub person_name: String,
    pub contact: Option<crate::referrals::Contact>,
    pub demarches: Vec<Demarche>,
    pub duration: MandateDuration,
    pub consent: ConsentMode,
}

/// Most characters of a person's name.
pub const NAME_MAX: usize = 80;

impl MandateForm {
    /// Checks the form against the démarches the structure offers; errors as (field, French
    /// reason).
    pub fn validate(
        &self,
        offered: &[Demarche],
    ) -> Result<MandateInput, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let person_name = self
            .person_name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if person_name.chars().count() < 2 || person_name.chars().count() > NAME_MAX {
            errors.push((
                "nom",
                format!("le prénom et le nom de la personne, comme sur sa pièce d'identité ({NAME_MAX} caractères au plus)"),
            ));
        }
        let contact = match self.contact.trim() {
            "" => None,
            raw => match crate::referrals::Contact::parse(raw) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(("contact", e));
                    None
                }
            },
        };
        let mut demarches = Vec::new();
        for raw in &self.demarches {
            match Demarche::parse(raw) {
                Some(d) if !offered.contains(&d) => errors.push((
                    "demarches",
                    format!(
                        "la structure ne propose pas de mandat pour « {} »",
                        d.label()
                    ),
                )),
                Some(d) if !demarches.contains(&d) => demarches.push(d),
                Some(_) => {}
                None => errors.push(("demarches", format!("démarche inconnue « {raw} »"))),
            }
        }
        demarches.sort();
        if demarches.is_empty() && !errors.iter().any(|(f, _)| *f == "demarches") {
            errors.push(("demarches", "cochez au moins une démarche".to_string()));
        }
        let duration = MandateDuration::parse(&self.duration);
        if duration.is_none() {
            errors.push(("duree", "choisissez une durée".to_string()));
        }
        let consent = ConsentMode::parse(&self.consent);
        match consent {
            None => errors.push((
                "accord",
                "choisissez comment la personne donne son accord".to_string(),
            )),
            Some(ConsentMode::Link) if contact.is_none() => errors.push((
                "contact",
                "pour un accord par lien, notez le téléphone ou l'adresse e-mail de la personne"
                    .to_string(),
            )),
            Some(_) => {}
        }
        if !self.text_read {
            errors.push((
                "texte_lu",
                "lisez le texte du mandat avec la personne, puis cochez cette case".to_string(),
            ));
        }
        match (duration, consent, errors.is_empty()) {
            (Some(duration), Some(consent), true) => Ok(MandateInput {
                person_name,
                contact,
                demarches,
                duration,
                consent,
            }),
            _ => Err(errors),
        }
    }
}

/// The version of the mandate's text recorded today.
pub const TEXT_VERSION: u32 = 1;

/// What the text of a mandate names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandateFacts {
    pub person_name: String,
    pub organisation_name: String,
    pub demarches: Vec<Demarche>,
    pub starts_on: NaiveDate,
    pub last_day: NaiveDate,
    /// How long the mandate is kept after its end, in words (« 1 an »).
    pub kept_for: String,
}

/// The text the person reads, in plain words, in a given version (`None`: unknown version).
/// Each paragraph on its own line.
pub fn text(version: u32, facts: &MandateFacts) -> Option<String> {
    if version != 1 {
        return None;
    }
    let demarches = facts
        .demarches
        .iter()
        .map(|d| format!("- {} ({})", d.label(), d.examples()))
        .collect::<Vec<_>>()
        .join("\n");
    let period = if facts.starts_on == facts.last_day {
        format!(
            "Ce mandat vaut seulement le {}.",
            crate::french::date(facts.starts_on)
        )
    } else {
        format!(
            "Ce mandat vaut du {} au {} inclus.",
            crate::french::date(facts.starts_on),
            crate::french::date(facts.last_day)
        )
    };
    Some(format!(
        "Moi, {name}, je donne mandat à la structure « {org} ».\n\
         Ses aidants habilités peuvent faire pour moi, à ma place, ces démarches en ligne :\n\
         {demarches}\n\
         {period}\n\
         Les aidants ne gardent jamais mes mots de passe.\n\
         Chaque démarche faite pour moi est notée : ce qui a été fait, quand, par qui. Je peux voir cette liste quand je veux.\n\
         La structure garde mon nom et ce mandat {kept} après sa fin, puis les efface.\n\
         Je peux arrêter ce mandat quand je veux : je le dis à la structure, ou j'utilise mon lien personnel.",
        name = facts.person_name,
        org = facts.organisation_name,
        kept = facts.kept_for,
    ))
}

/// The fingerprint printed on the attestation: SHA-256 of everything it says, in hexadecimal.
/// Any change to the mandate's content gives another fingerprint.
pub fn fingerprint(mandate_id: &str, version: u32, text: &str, consent: ConsentMode) -> String {
    let mut h = Sha256::new();
    for part in [mandate_id, &version.to_string(), consent.slug(), text] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex(&h.finalize())
}

/// A fingerprint for reading aloud or copying: groups of four characters.
pub fn grouped(fingerprint: &str) -> String {
    fingerprint
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a free text, as a journal line keeps it: the line proves the text without
/// holding it (the text itself is erased with the person).
pub fn digest(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// A habilitation of a helper to record and use mandates for a structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Habilitation {
    pub trained_on: NaiveDate,
    pub granted_on: NaiveDate,
    pub last_used_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
}

/// Where a habilitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HabilitationState {
    Active {
        lapses_on: NaiveDate,
    },
    /// Unused for [`HABILITATION_LAPSE_DAYS`] days.
    Lapsed {
        since: NaiveDate,
    },
    Withdrawn {
        on: NaiveDate,
    },
}

impl Habilitation {
    pub fn state(&self, today: NaiveDate) -> HabilitationState {
        if let Some(on) = self.withdrawn_on {
            return HabilitationState::Withdrawn { on };
        }
        let last = self
            .last_used_on
            .map_or(self.granted_on, |u| u.max(self.granted_on));
        let lapses_on = last + Duration::days(HABILITATION_LAPSE_DAYS);
        if today >= lapses_on {
            HabilitationState::Lapsed { since: lapses_on }
        } else {
            HabilitationState::Active { lapses_on }
        }
    }

    pub fn is_active(&self, today: NaiveDate) -> bool {
        matches!(self.state(today), HabilitationState::Active { .. })
    }
}

impl HabilitationState {
    pub fn label(self) -> String {
        match self {
            HabilitationState::Active { lapses_on } => {
                format!(
                    "habilité (jusqu'au {} sans usage)",
                    crate::french::date(lapses_on)
                )
            }
            HabilitationState::Lapsed { since } => format!(
                "habilitation échue le {} faute d'usage : à renouveler",
                crate::french::date(since)
            ),
            HabilitationState::Withdrawn { on } => {
                format!("habilitation retirée le {}", crate::french::date(on))
            }
        }
    }
}

/// The hash before the first line of the journal.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the journal, as the hash chain reads it. No identity of the person: an opaque
/// mandate id, and the digest of what was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalLine {
    /// 1, 2, 3… without gaps.
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub event: JournalEvent,
    pub organisation_id: String,
    pub mandate_id: Option<String>,
    /// The account that did it (`None`: the person through their link, or the system).
    pub actor_id: Option<String>,
    pub demarche: Option<Demarche>,
    /// SHA-256 of the details kept beside the journal (what was done), when any.
    pub detail_digest: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a line: SHA-256 over the previous hash and each field, length-prefixed.
#[allow(clippy::too_many_arguments)]
pub fn line_hash(
    prev_hash: &str,
    seq: i64,
    at: &str,
    event: JournalEvent,
    organisation_id: &str,
    mandate_id: Option<&str>,
    actor_id: Option<&str>,
    demarche: Option<Demarche>,
    detail_digest: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    let fields: [Option<&str>; 9] = [
        Some(prev_hash),
        Some(&seq),
        Some(at),
        Some(event.slug()),
        Some(organisation_id),
        mandate_id,
        actor_id,
        demarche.map(Demarche::slug),
        detail_digest,
    ];
    for field in fields {
        match field {
            // A missing field is not an empty one.
            None => h.update([0u8]),
            Some(f) => {
                h.update([1u8]);
                h.update((f.len() as u64).to_be_bytes());
                h.update(f.as_bytes());
            }
        }
    }
    hex(&h.finalize())
}

impl JournalLine {
    /// The hash this line should carry after `prev_hash`.
    pub fn expected_hash(&self, prev_hash: &str) -> String {
        line_hash(
            prev_hash,
            self.seq,
            &self.at,
            self.event,
            &self.organisation_id,
            self.mandate_id.as_deref(),
            self.actor_id.as_deref(),
            self.demarche,
            self.detail_digest.as_deref(),
        )
    }
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBroken {
    #[error("ligne {seq} : une ligne manque avant elle (attendu la ligne {expected})")]
    Missing { seq: i64, expected: i64 },
    #[error("ligne {seq} : elle ne suit pas la ligne précédente (empreinte précédente différente)")]
    Unlinked { seq: i64 },
    #[error("ligne {seq} : son contenu a été modifié (empreinte différente)")]
    Altered { seq: i64 },
}

impl ChainBroken {
    pub fn seq(&self) -> i64 {
        match self {
            ChainBroken::Missing { seq, .. }
            | ChainBroken::Unlinked { seq }
            | ChainBroken::Altered { seq } => *seq,
        }
    }
}

/// Follows the chain in order of `seq`; the number of lines when intact, or the first break.
/// (A removal of the last lines leaves no trace in the chain itself: the count is printed so
/// that it can be compared with a count noted elsewhere, e.g. in the backups' digests.)
pub fn verify_chain<I: IntoIterator<Item = JournalLine>>(lines: I) -> Result<u64, ChainBroken> {
    let mut prev = GENESIS.to_string();
    let mut count = 0;
    for (expected, line) in (1i64..).zip(lines) {
        if line.seq != expected {
            return Err(ChainBroken::Missing {
                seq: line.seq,
                expected,
            });
        }
        if line.prev_hash != prev {
            return Err(ChainBroken::Unlinked { seq: line.seq });
        }
        if line.expected_hash(&prev) != line.hash {
            return Err(ChainBroken::Altered { seq: line.seq });
        }
        prev = line.hash;
        count += 1;
    }
    Ok(count)
}

/// Share of acts done « avec » the person among the acts of a period (the structure's autonomy
/// indicator, shown with its mandates): `None` when no act was recorded.
pub fn share_with(with: u64, in_place: u64) -> Option<f64> {
    let all = with + in_place;
    (all > 0).then(|| with as f64 / all as f64)
}

/// Months of acts the structure's mandate indicators look back on (the desk, the API).
pub const INDICATOR_MONTHS: u32 = 12;

/// The structure's mandate indicators (`/mandats`, `/api/v1/mandats`): identifier, title,
/// definition. `docs/INDICATORS.md` prints them (section « Mandats »).
pub const INDICATORS: [(&str, &str, &str); 4] = [
    (
        "mandats-actifs",
        "Mandats en cours",
        "Mandats de la structure que l'on peut utiliser aujourd'hui : la personne a donné son \
         accord, ils ne sont ni terminés, ni révoqués, ni entièrement repris par un mandat plus \
         récent.",
    ),
    (
        "actes-avec",
        "Démarches faites avec la personne",
        "Actes notés sous un mandat de la structure ces douze derniers mois, faits « avec » la \
         personne (elle était là et a participé).",
    ),
    (
        "actes-a-la-place",
        "Démarches faites à la place de la personne",
        "Actes notés sous un mandat de la structure ces douze derniers mois, faits « à sa \
         place » (l'aidant a tout fait).",
    ),
    (
        "part-avec",
        "Part des démarches faites avec la personne",
        "Actes « avec » divisés par tous les actes notés sous mandat ces douze derniers mois, en \
         pourcentage arrondi à l'unité ; sans objet quand aucun acte n'a été noté. Elle monte \
         quand les personnes apprennent à faire elles-mêmes : c'est l'indicateur du chemin vers \
         l'autonomie.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn form() -> MandateForm {
        MandateForm {
            person_name: "  Odette   Lambert ".into(),
            contact: "06 12 34 56 78".into(),
            demarches: vec!["social".into(), "papiers".into(), "argent".into()],
            duration: "1-an".into(),
            consent: "ecran".into(),
            text_read: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_form_is_accepted_and_cleaned() {
        let input = form().validate(Demarche::ALL).expect("valide");
        assert_eq!(input.person_name, "Odette Lambert");
        assert_eq!(
            input.demarches,
            vec![Demarche::Papers, Demarche::Social, Demarche::Money]
        );
        assert_eq!(input.duration, MandateDuration::Year);
    }

    #[test]
    fn each_missing_part_is_named() {
        let bad = MandateForm {
            demarches: vec!["cuisine".into()],
            ..Default::default()
        };
        let errors = bad.validate(Demarche::ALL).expect_err("refusé");
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            vec!["nom", "demarches", "duree", "accord", "texte_lu"]
        );
        assert!(errors[1].1.contains("« cuisine »"));
    }

    #[test]
    fn a_structure_offers_only_some_demarches() {
        let errors = form()
            .validate(&[Demarche::Social, Demarche::Papers])
            .expect_err("refusé");
        assert_eq!(errors[0].0, "demarches");
        assert!(errors[0].1.contains("Argent"));
    }

    #[test]
    fn consent_by_link_needs_a_contact() {
        let f = MandateForm {
            contact: String::new(),
            consent: "lien".into(),
            ..form()
        };
        let errors = f.validate(Demarche::ALL).expect_err("refusé");
        assert_eq!(errors[0].0, "contact");
    }

    #[test]
    fn durations_end_on_their_last_day() {
        let start = day("2026-12-04");
        assert_eq!(MandateDuration::OneDay.last_day(start), start);
        assert_eq!(MandateDuration::Month.last_day(start), day("2027-01-03"));
        assert_eq!(MandateDuration::Year.last_day(start), day("2027-12-03"));
    }

    fn dates() -> MandateDates {
        MandateDates {
            starts_on: day("2026-12-01"),
            last_day: day("2026-12-31"),
            consented: true,
            revoked: false,
            demarches_left: 2,
        }
    }

    #[test]
    fn status_and_use_follow_the_dates() {
        let d = dates();
        assert_eq!(d.status(day("2026-12-31")), MandateStatus::Active);
        assert_eq!(d.status(day("2027-01-01")), MandateStatus::Expired);
        assert_eq!(d.ends_soon(day("2026-12-25")), Some(7));
        assert_eq!(d.ends_soon(day("2026-12-20")), None);
        assert!(may_use(&d, true, Demarche::Social, day("2026-12-10")).is_ok());
        assert_eq!(
            may_use(&d, false, Demarche::Justice, day("2026-12-10")),
            Err(UseRefused::NotCovered("Justice"))
        );
        let err = may_use(&d, true, Demarche::Social, day("2027-01-02")).expect_err("échu");
        assert_eq!(
            err.to_string(),
            "le mandat est terminé depuis le 31 décembre 2026"
        );
        let revoked = MandateDates {
            revoked: true,
            ..dates()
        };
        assert_eq!(
            may_use(&revoked, true, Demarche::Social, day("2026-12-10")),
            Err(UseRefused::Revoked)
        );
        let pending = MandateDates {
            consented: false,
            ..dates()
        };
        assert_eq!(
            pending.status(day("2026-12-10")),
            MandateStatus::AwaitingConsent
        );
        let replaced = MandateDates {
            demarches_left: 0,
            ..dates()
        };
        assert_eq!(replaced.status(day("2026-12-10")), MandateStatus::Replaced);
    }

    #[test]
    fn habilitations_lapse_without_use() {
        let h = Habilitation {
            trained_on: day("2026-01-10"),
            granted_on: day("2026-01-15"),
            last_used_on: None,
            withdrawn_on: None,
        };
        assert!(h.is_active(day("2026-07-13")));
        assert_eq!(
            h.state(day("2026-07-14")),
            HabilitationState::Lapsed {
                since: day("2026-07-14")
            }
        );
        let used = Habilitation {
            last_used_on: Some(day("2026-07-01")),
            ..h.clone()
        };
        assert!(used.is_active(day("2026-12-01")));
        let withdrawn = Habilitation {
            withdrawn_on: Some(day("2026-02-01")),
            ..h
        };
        assert!(!withdrawn.is_active(day("2026-02-02")));
    }

    #[test]
    fn the_text_names_everything_the_person_agrees_to() {
        let facts = MandateFacts {
            person_name: "Odette Lambert".into(),
            organisation_name: "France Services de Toul".into(),
            demarches: vec![Demarche::Social],
            starts_on: day("2026-12-04"),
            last_day: day("2027-12-03"),
            kept_for: "1 an".into(),
        };
        let t = text(TEXT_VERSION, &facts).expect("version connue");
        for part in [
            "Odette Lambert",
            "France Services de Toul",
            "Social - Santé",
            "du 4 décembre 2026 au 3 décembre 2027",
            "mots de passe",
            "arrêter ce mandat",
            "1 an après sa fin",
        ] {
            assert!(t.contains(part), "{part} absent de {t}");
        }
        assert_eq!(text(99, &facts), None);
        let a = fingerprint("m1", 1, &t, ConsentMode::Paper);
        assert_eq!(a.len(), 64);
        assert_ne!(
            a,
            fingerprint("m1", 1, &t.replace("Social", "Sociale"), ConsentMode::Paper)
        );
        assert_ne!(a, fingerprint("m1", 1, &t, ConsentMode::Screen));
        assert_eq!(grouped("abcd1234ef").as_str(), "ABCD 1234 EF");
    }

    fn chain(n: i64) -> Vec<JournalLine> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut line = JournalLine {
                    seq,
                    at: format!("2026-12-04T10:00:{:02}Z", seq % 60),
                    event: if seq % 2 == 0 {
                        JournalEvent::Act
                    } else {
                        JournalEvent::MandateCreated
                    },
                    organisation_id: "o1".into(),
                    mandate_id: Some(format!("m{}", seq / 2)),
                    actor_id: Some("u1".into()),
                    demarche: (seq % 2 == 0).then_some(Demarche::Social),
                    detail_digest: (seq % 2 == 0).then(|| digest("déclaration trimestrielle")),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                line.hash = line.expected_hash(&prev);
                prev = line.hash.clone();
                line
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_chain(chain(5)), Ok(5));
        assert_eq!(verify_chain(Vec::new()), Ok(0));
    }

    proptest! {
        /// Any removed or altered line is found, and named.
        #[test]
        fn any_removal_or_change_is_found(n in 2i64..30, pick in 0usize..30, what in 0u8..4) {
            let mut lines = chain(n);
            let i = pick % lines.len();
            let seq = lines[i].seq;
            match what {
                0 => { lines.remove(i); }
                1 => lines[i].actor_id = Some("u2".into()),
                2 => lines[i].demarche = Some(Demarche::Justice),
                _ => lines[i].at = "2025-01-01T00:00:00Z".into(),
            }
            let broken = verify_chain(lines);
            if what == 0 && i == (n - 1) as usize {
                // The last line removed: the chain is shorter, not broken.
                prop_assert_eq!(broken, Ok((n - 1) as u64));
            } else {
                let broken = broken.expect_err("rupture");
                let at = if what == 0 { seq + 1 } else { seq };
                prop_assert_eq!(broken.seq(), at);
            }
        }
    }

    #[test]
    fn a_record_names_a_mandate_in_force_on_its_day() {
        let dates = MandateDates {
            starts_on: day("2026-11-01"),
            last_day: day("2026-12-01"),
            consented: true,
            revoked: true,
            demarches_left: 1,
        };
        let revoked = Some(day("2026-11-20"));
        assert_eq!(
            may_link_record(true, &dates, revoked, day("2026-11-20")),
            Ok(())
        );
        assert_eq!(
            may_link_record(false, &dates, None, day("2026-11-10")),
            Err(LinkRefused::NotProcedure)
        );
        assert!(matches!(
            may_link_record(true, &dates, revoked, day("2026-11-21")),
            Err(LinkRefused::RevokedBefore(_))
        ));
        assert!(matches!(
            may_link_record(true, &dates, None, day("2026-12-02")),
            Err(LinkRefused::OutsidePeriod(..))
        ));
        assert!(matches!(
            may_link_record(true, &dates, None, day("2026-10-31")),
            Err(LinkRefused::OutsidePeriod(..))
        ));
        let pending = MandateDates {
            consented: false,
            ..dates
        };
        assert_eq!(
            may_link_record(true, &pending, None, day("2026-11-10")),
            Err(LinkRefused::NotConsented)
        );
        // Every démarche has its domain in the records' vocabulary, each a different one.
        let themes: std::collections::BTreeSet<_> = Demarche::ALL
            .iter()
            .map(|d| d.procedure_theme().slug())
            .collect();
        assert_eq!(themes.len(), Demarche::ALL.len());
    }

    #[test]
    fn the_autonomy_share() {
        assert_eq!(share_with(0, 0), None);
        assert_eq!(share_with(1, 3), Some(0.25));
    }
}
