//! Workshops: what a structure offers in groups, with the level it requires and the level it
//! leads to (the network's shared grid), when and where, and who may come. Registration rules
//! (seats, waiting list, promotion on cancellation) are pure functions here.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::diagnostic::Level;
use crate::vocab::{MediationTheme, RegistrationMode, Vocabulary, WorkshopFormat};

/// One session of a workshop (local time of the place).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Session {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// Seats a workshop offers from `from` on: its capacity once for a series (one registration
/// for all its sessions), per session otherwise; nothing without a capacity (the territory's
/// offer, issue #20).
pub fn seats_from(w: &Workshop, from: NaiveDate) -> u64 {
    let capacity = u64::from(w.capacity.unwrap_or(0));
    let sessions = w.sessions.iter().filter(|s| s.start.date() >= from).count() as u64;
    if w.series {
        if sessions > 0 { capacity } else { 0 }
    } else {
        capacity * sessions
    }
}

/// A workshop, or a series of sessions (a « parcours »: one registration for all).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workshop {
    pub id: String,
    pub organisation_id: Option<String>,
    pub title: String,
    pub summary: String,
    pub themes: Vec<MediationTheme>,
    pub level_required: Level,
    /// The level the workshop leads to, when it says.
    pub level_reached: Option<Level>,
    pub format: WorkshopFormat,
    /// A place of the directory, or an outreach location (`location`).
    pub place_id: Option<String>,
    pub location: Option<String>,
    pub commune: String,
    pub insee_code: Option<String>,
    pub sessions: Vec<Session>,
    /// Sessions form one series (register once for all).
    pub series: bool,
    /// Seats; `None` = no limit.
    pub capacity: Option<u32>,
    pub free: bool,
    /// Price in words when not free (« 2 € la séance »).
    pub price: Option<String>,
    /// APTIC digital-services vouchers accepted.
    pub aptic: bool,
    pub bring: Option<String>,
    pub equipment_provided: Option<String>,
    pub language_support: Option<String>,
    pub accessibility: Option<String>,
    pub registration: RegistrationMode,
    pub contact: Option<String>,
}

impl Workshop {
    pub fn first_day(&self) -> Option<NaiveDate> {
        self.sessions.iter().map(|s| s.start.date()).min()
    }

    /// Whether a person of this level fits: at or above the level required, and the workshop
    /// still teaches them something (below the level reached, when given).
    pub fn fits(&self, level: Level) -> bool {
        level >= self.level_required && self.level_reached.is_none_or(|r| level < r)
    }

    /// Who the workshop is for, in plain words (every page says it).
    /// Who can follow it, in one short line for lists (the full sentence is on the workshop's
    /// page): what one must already know.
    pub fn who_for_short(&self) -> &'static str {
        match self.level_required {
            Level::Distant => "Pour tout le monde, même sans jamais avoir utilisé d'appareil.",
            Level::Beginner => "Il faut avoir un appareil à soi.",
            Level::Intermediate => "Il faut déjà savoir se servir de son appareil.",
            Level::Advanced => "Il faut déjà savoir aller sur internet et envoyer un courriel.",
            Level::Autonomous => "Pour les personnes déjà à l'aise seules.",
        }
    }

    pub fn who_for(&self) -> String {
        let mut s = if self.level_required == Level::Distant {
            "Pour tout le monde, même les personnes qui n'ont jamais touché un ordinateur ni un smartphone.".to_string()
        } else {
            format!(
                "Pour les personnes de niveau {} ou plus : la personne {}",
                self.level_required.label(),
                self.level_required.definition()
            )
        };
        let not_needed: Vec<&str> = Level::ALL
            .iter()
            .filter(|l| **l > self.level_required)
            .filter_map(|l| match l {
                Level::Beginner => Some("d'avoir un appareil à soi"),
                Level::Intermediate => Some("de savoir se servir d'un appareil"),
                Level::Advanced => Some("de savoir naviguer sur internet ou envoyer un courriel"),
                Level::Autonomous => Some("de faire ses démarches seul"),
                Level::Distant => None,
            })
            .collect();
        if !not_needed.is_empty() {
            s.push_str(&format!(" Pas besoin {}.", not_needed.join(", ni ")));
        }
        if let Some(r) = self.level_reached {
            s.push_str(&format!(" À la fin : niveau {}.", r.label()));
        }
        s
    }

    pub fn themes_label(&self) -> String {
        self.themes
            .iter()
            .map(|t| t.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RegistrationStatus {
    #[serde(rename = "inscrit")]
    Registered,
    #[serde(rename = "en_attente")]
    Waiting,
    #[serde(rename = "annule")]
    Cancelled,
}

impl RegistrationStatus {
    pub fn slug(self) -> &'static str {
        match self {
            RegistrationStatus::Registered => "inscrit",
            RegistrationStatus::Waiting => "en_attente",
            RegistrationStatus::Cancelled => "annule",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        [
            RegistrationStatus::Registered,
            RegistrationStatus::Waiting,
            RegistrationStatus::Cancelled,
        ]
        .into_iter()
        .find(|x| x.slug() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            RegistrationStatus::Registered => "Inscrit",
            RegistrationStatus::Waiting => "Liste d'attente",
            RegistrationStatus::Cancelled => "Annulé",
        }
    }
}

/// A new registration gets a seat while some are left, else a place on the waiting list.
pub fn status_for_new(capacity: Option<u32>, registered: u32) -> RegistrationStatus {
    match capacity {
        Some(c) if registered >= c => RegistrationStatus::Waiting,
        _ => RegistrationStatus::Registered,
    }
}

/// Seats left (`None`: no limit).
pub fn seats_left(capacity: Option<u32>, registered: u32) -> Option<u32> {
    capacity.map(|c| c.saturating_sub(registered))
}

/// The workshop form, with the form's names; [`WorkshopForm::validate`] gives errors as
/// (field, French reason).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WorkshopForm {
    #[serde(rename = "titre")]
    pub title: String,
    #[serde(rename = "resume")]
    pub summary: String,
    #[serde(rename = "thematique")]
    pub themes: Vec<String>,
    #[serde(rename = "niveau_requis")]
    pub level_required: String,
    #[serde(rename = "niveau_atteint")]
    pub level_reached: String,
    pub format: String,
    /// Another place than the directory's (a room, a partner's).
    #[serde(rename = "lieu_autre")]
    pub location: String,
    pub commune: String,
    /// One session per line: `2026-12-03 14:00-16:00`.
    #[serde(rename = "seances")]
    pub sessions: String,
    /// The sessions are one course (registration for all).
    #[serde(rename = "parcours")]
    pub series: bool,
    #[serde(rename = "places")]
    pub capacity: String,
    #[serde(rename = "gratuit")]
    pub free: bool,
    #[serde(rename = "tarif")]
    pub price: String,
    pub aptic: bool,
    #[serde(rename = "apporter")]
    pub bring: String,
    #[serde(rename = "materiel")]
    pub equipment_provided: String,
    #[serde(rename = "langues")]
    pub language_support: String,
    #[serde(rename = "accessibilite")]
    pub accessibility: String,
    #[serde(rename = "inscription")]
    pub registration: String,
    pub contact: String,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Parses one session line: `2026-12-03 14:00-16:00` or `03/12/2026 14h-16h`.
pub fn parse_session(line: &str) -> Result<Session, String> {
    let line = line.trim();
    let (date, times) = line.split_once(char::is_whitespace).ok_or_else(|| {
        format!("« {line} » : date puis horaires attendus (2026-12-03 14:00-16:00)")
    })?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(date, "%d/%m/%Y"))
        .map_err(|_| {
            format!("« {date} » : date attendue sous la forme 2026-12-03 ou 03/12/2026")
        })?;
    let (start, end) = times
        .trim()
        .split_once('-')
        .ok_or_else(|| format!("« {times} » : horaires attendus sous la forme 14:00-16:00"))?;
    let time = |t: &str| {
        let t = t.trim().replace('h', ":");
        let t = if t.ends_with(':') {
            format!("{t}00")
        } else {
            t
        };
        chrono::NaiveTime::parse_from_str(&t, "%H:%M")
            .map_err(|_| format!("« {t} » : heure attendue sous la forme 14:00"))
    };
    let (start, end) = (date.and_time(time(start)?), date.and_time(time(end)?));
    if end <= start {
        return Err(format!("« {line} » : la fin doit suivre le début"));
    }
    Ok(Session { start, end })
}

impl WorkshopForm {
    pub fn validate(&self, id: &str) -> Result<Workshop, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 120 {
            errors.push(("titre", "de 1 à 120 caractères".to_string()));
        }
        let themes: Vec<MediationTheme> = self
            .themes
            .iter()
            .filter_map(|t| MediationTheme::from_slug(t))
            .collect();
        if themes.is_empty() {
            errors.push((
                "thematique",
                "choisissez au moins une thématique".to_string(),
            ));
        }
        let level_required = Level::from_slug(&self.level_required);
        if level_required.is_none() {
            errors.push((
                "niveau_requis",
                "choisissez le niveau nécessaire pour suivre l'atelier".to_string(),
            ));
        }
        let level_reached = Level::from_slug(&self.level_reached);
        if let (Some(r), Some(q)) = (level_reached, level_required)
            && r <= q
        {
            errors.push((
                "niveau_atteint",
                "le niveau atteint doit être au-dessus du niveau nécessaire".to_string(),
            ));
        }
        let format = WorkshopFormat::from_slug(&self.format).unwrap_or(WorkshopFormat::Collective);
        let registration =
            RegistrationMode::from_slug(&self.registration).unwrap_or(RegistrationMode::Open);
        let mut sessions = Vec::new();
        for line in self.sessions.lines().filter(|l| !l.trim().is_empty()) {
            match parse_session(line) {
                Ok(s) => sessions.push(s),
                Err(e) => errors.push(("seances", e)),
            }
        }
        if sessions.is_empty() && !errors.iter().any(|(f, _)| *f == "seances") {
            errors.push(("seances", "indiquez au moins une séance".to_string()));
        }
        sessions.sort();
        let capacity = match self.capacity.trim() {
            "" => None,
            c => match c.parse::<u32>() {
                Ok(n) if (1..=500).contains(&n) => Some(n),
                _ => {
                    errors.push((
                        "places",
                        "un nombre de places entre 1 et 500, ou rien".to_string(),
                    ));
                    None
                }
            },
        };
        let commune = self.commune.trim().to_string();
        if commune.is_empty() && format != WorkshopFormat::Remote {
            errors.push((
                "commune",
                "indiquez la commune où a lieu l'atelier".to_string(),
            ));
        }
        if !self.free && opt(&self.price).is_none() {
            errors.push(("tarif", "gratuit, ou dites le tarif".to_string()));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(level_required), false) = (level_required, sessions.is_empty()) else {
            return Err(vec![(
                "seances",
                "indiquez au moins une séance".to_string(),
            )]);
        };
        Ok(Workshop {
            id: id.to_string(),
            organisation_id: None,
            title,
            summary: self.summary.trim().chars().take(2_000).collect(),
            themes,
            level_required,
            level_reached,
            format,
            place_id: None,
            location: opt(&self.location),
            commune,
            insee_code: None,
            sessions,
            series: self.series,
            capacity,
            free: self.free,
            price: if self.free { None } else { opt(&self.price) },
            aptic: self.aptic,
            bring: opt(&self.bring),
            equipment_provided: opt(&self.equipment_provided),
            language_support: opt(&self.language_support),
            accessibility: opt(&self.accessibility),
            registration,
            contact: opt(&self.contact),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workshop(required: Level, reached: Option<Level>) -> Workshop {
        WorkshopForm {
            title: "Premiers pas sur smartphone".into(),
            themes: vec!["materiel".into()],
            level_required: required.slug().into(),
            level_reached: reached.map(|l| l.slug().to_string()).unwrap_or_default(),
            commune: "Toul".into(),
            sessions: "2026-12-03 14:00-16:00\n10/12/2026 14h-16h".into(),
            capacity: "8".into(),
            free: true,
            ..Default::default()
        }
        .validate("a1")
        .expect("valide")
    }

    #[test]
    fn seats_count_sessions_or_a_series_once() {
        let mut w = workshop(Level::Beginner, None);
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap_or_default();
        assert_eq!(
            seats_from(&w, day("2026-01-01")),
            16,
            "deux séances de 8 places"
        );
        assert_eq!(
            seats_from(&w, day("2026-12-05")),
            8,
            "une séance depuis le 5"
        );
        w.series = true;
        assert_eq!(
            seats_from(&w, day("2026-01-01")),
            8,
            "un parcours : ses places une fois"
        );
        assert_eq!(seats_from(&w, day("2027-01-01")), 0);
        w.capacity = None;
        assert_eq!(
            seats_from(&w, day("2026-01-01")),
            0,
            "sans limite : pas de nombre"
        );
    }

    #[test]
    fn a_workshop_fits_from_its_level_up_to_the_level_it_leads_to() {
        let w = workshop(Level::Beginner, Some(Level::Intermediate));
        assert!(!w.fits(Level::Distant));
        assert!(w.fits(Level::Beginner));
        assert!(!w.fits(Level::Intermediate), "déjà atteint");
        assert_eq!(w.sessions.len(), 2);
        assert_eq!(w.first_day(), NaiveDate::from_ymd_opt(2026, 12, 3));
        let who = w.who_for();
        assert!(who.contains("niveau Débutant ou plus"), "{who}");
        assert!(
            who.contains("Pas besoin de savoir se servir d'un appareil"),
            "{who}"
        );
    }

    #[test]
    fn seats_and_waiting_list() {
        assert_eq!(status_for_new(Some(2), 1), RegistrationStatus::Registered);
        assert_eq!(status_for_new(Some(2), 2), RegistrationStatus::Waiting);
        assert_eq!(status_for_new(None, 200), RegistrationStatus::Registered);
        assert_eq!(seats_left(Some(8), 10), Some(0));
    }

    #[test]
    fn bad_forms_name_their_fields() {
        let errors = WorkshopForm {
            sessions: "demain 14h\n2026-12-03 16:00-14:00".into(),
            capacity: "beaucoup".into(),
            level_required: "avance".into(),
            level_reached: "debutant".into(),
            ..Default::default()
        }
        .validate("")
        .expect_err("refusé");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        for f in [
            "titre",
            "thematique",
            "niveau_atteint",
            "seances",
            "places",
            "commune",
            "tarif",
        ] {
            assert!(fields.contains(&f), "{f} : {errors:?}");
        }
        assert!(parse_session("2026-12-03 14:00-16:00").is_ok());
        assert!(parse_session("2026-12-03 14h30-16h").is_ok());
        assert!(parse_session("2026-13-03 14:00-16:00").is_err());
    }
}
