//! The activity record's form: every field as typed, checked one by one with French messages.

use super::*;

/// An activity as typed in the form or read from a row of an import file: every field is
/// text, multi-valued fields are lists. Field names are the form's and the template's.
#[derive(Debug, Clone, Default)]
pub struct ActivityForm {
    /// `type`
    pub kind: String,
    /// `date`
    pub date: String,
    /// `duree`
    pub duration: String,
    /// `lieu`
    pub venue: String,
    /// `lieu_id`
    pub place_id: String,
    /// `commune` (INSEE code, resolved by the adapter from a name or postcode)
    pub insee_code: String,
    /// `thematiques`
    pub themes: Vec<String>,
    /// `thematiques_demarche`
    pub procedure_themes: Vec<String>,
    /// `demarche`
    pub procedure_name: String,
    /// `materiel`
    pub equipment: Vec<String>,
    /// `autonomie`
    pub autonomy: String,
    /// `finalisation`
    pub outcome: String,
    /// `orientation`
    pub redirection: String,
    /// `titre`
    pub title: String,
    /// `niveau`
    pub level: String,
    /// `personnes` (ids of followed persons, already checked by the adapter)
    pub persons: Vec<String>,
    /// `participants` (anonymous participants of a workshop)
    pub anonymous_total: String,
    /// `tranche_age`, `genre`, `statut_social`: for one anonymous person, the value; for a
    /// workshop, `valeur=nombre` pairs (`60-69=4`).
    pub ages: Vec<String>,
    pub genders: Vec<String>,
    pub statuses: Vec<String>,
    /// `commune_residence` (INSEE code) of an anonymous person.
    pub residence: String,
    /// `etiquettes`
    pub tags: Vec<String>,
}

/// A field in error and why, in French.
pub type FieldError = (&'static str, String);

pub(super) fn text(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub(super) fn list<V: Vocabulary>(
    items: &[String],
    field: &'static str,
    errors: &mut Vec<FieldError>,
) -> Vec<V> {
    let mut out = Vec::new();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        match V::parse(item) {
            Some(v) if !out.contains(&v) => out.push(v),
            Some(_) => {}
            None => errors.push((field, unknown::<V>(item))),
        }
    }
    out.sort();
    out
}

pub(super) fn one<V: Vocabulary>(
    item: &str,
    field: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<V> {
    let item = item.trim();
    if item.is_empty() {
        return None;
    }
    let v = V::parse(item);
    if v.is_none() {
        errors.push((field, unknown::<V>(item)));
    }
    v
}

pub(super) fn unknown<V: Vocabulary>(item: &str) -> String {
    let expected: Vec<&str> = V::ALL.iter().map(|v| v.label()).collect();
    format!(
        "« {item} » n'est pas une valeur connue (attendu : {})",
        expected.join(", ")
    )
}

/// Counts of a workshop's anonymous participants, `valeur=nombre` each; or one bare value.
pub(super) fn counts<V: Vocabulary>(
    items: &[String],
    field: &'static str,
    errors: &mut Vec<FieldError>,
) -> Counts<V> {
    let mut out = std::collections::BTreeMap::new();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        let (value, n) = match item.rsplit_once('=') {
            Some((v, n)) => match n.trim().parse::<u32>() {
                Ok(n) => (v.trim(), n),
                Err(_) => {
                    errors.push((field, format!("« {item} » : nombre attendu après « = »")));
                    continue;
                }
            },
            None => (item, 1),
        };
        match V::parse(value) {
            Some(v) => *out.entry(v).or_insert(0) += n,
            None => errors.push((field, unknown::<V>(value))),
        }
    }
    out.retain(|_, n| *n > 0);
    Counts(out)
}

/// Parses a date typed in French or ISO form.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

impl ActivityForm {
    /// Checks the form; `today` bounds the date (no record of the future).
    pub fn validate(&self, today: NaiveDate) -> Result<Activity, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = match self.kind.trim() {
            "" => {
                errors.push((
                    "type",
                    "choisissez : accompagnement individuel, atelier collectif ou démarche"
                        .to_string(),
                ));
                None
            }
            k => one::<ActivityKind>(k, "type", &mut errors),
        };
        let date = match self.date.trim() {
            "" => {
                errors.push(("date", "indiquez la date".to_string()));
                None
            }
            d => match parse_date(d) {
                Some(d) if d > today => {
                    errors.push(("date", "la date ne peut pas être dans le futur".to_string()));
                    None
                }
                Some(d) if d.year_ce().1 < 2000 => {
                    errors.push(("date", "date trop ancienne".to_string()));
                    None
                }
                Some(d) => Some(d),
                None => {
                    errors.push((
                        "date",
                        format!("« {d} » : date attendue sous la forme 2026-11-23 ou 23/11/2026"),
                    ));
                    None
                }
            },
        };
        let duration = match parse_duration(&self.duration) {
            Some(m) if (1..=MAX_DURATION_MINUTES).contains(&m) => Some(m),
            _ => {
                errors.push((
                    "duree",
                    if self.duration.trim().is_empty() {
                        "indiquez la durée".to_string()
                    } else {
                        format!(
                            "« {} » : durée attendue en minutes (45) ou en heures (1h30), 12 h au plus",
                            self.duration.trim()
                        )
                    },
                ));
                None
            }
        };
        let venue = match self.venue.trim() {
            "" => {
                errors.push(("lieu", "indiquez où s'est passée l'activité".to_string()));
                None
            }
            v => one::<Venue>(v, "lieu", &mut errors),
        };
        let place_id = text(&self.place_id);
        let insee_code = text(&self.insee_code);
        match venue {
            Some(Venue::Place) if place_id.is_none() => errors.push((
                "lieu_id",
                "choisissez le lieu d'activité parmi ceux de la structure".to_string(),
            )),
            Some(Venue::Elsewhere) if insee_code.is_none() => errors.push((
                "commune",
                "indiquez la commune où s'est passée l'activité".to_string(),
            )),
            _ => {}
        }
        let mut themes = list::<MediationTheme>(&self.themes, "thematiques", &mut errors);
        let procedure_themes =
            list::<ProcedureTheme>(&self.procedure_themes, "thematiques_demarche", &mut errors);
        let equipment = list::<Equipment>(&self.equipment, "materiel", &mut errors);
        let autonomy = one::<Autonomy>(&self.autonomy, "autonomie", &mut errors);
        let outcome = one::<ProcedureOutcome>(&self.outcome, "finalisation", &mut errors);
        let redirection = one::<Redirection>(&self.redirection, "orientation", &mut errors);
        let level = match self.level.trim() {
            "" => None,
            l => {
                let level = Level::from_slug(l).or_else(|| Level::parse(l));
                if level.is_none() {
                    errors.push((
                        "niveau",
                        format!(
                            "« {l} » n'est pas un niveau (Éloigné, Débutant, Intermédiaire, Avancé, Autonome)"
                        ),
                    ));
                }
                level
            }
        };
        let title = text(&self.title);
        let procedure_name = text(&self.procedure_name);
        if procedure_name
            .as_ref()
            .is_some_and(|p| p.chars().count() > 200)
        {
            errors.push(("demarche", "200 caractères au plus".to_string()));
        }
        if title.as_ref().is_some_and(|t| t.chars().count() > 120) {
            errors.push(("titre", "120 caractères au plus".to_string()));
        }
        let persons: Vec<String> = {
            let mut p: Vec<String> = self.persons.iter().filter_map(|p| text(p)).collect();
            p.sort();
            p.dedup();
            p
        };
        let anonymous_total = match self.anonymous_total.trim() {
            "" => None,
            n => match n.parse::<u32>() {
                Ok(n) if n <= MAX_PARTICIPANTS => Some(n),
                _ => {
                    errors.push((
                        "participants",
                        format!(
                            "« {n} » : un nombre de participants entre 0 et {MAX_PARTICIPANTS}"
                        ),
                    ));
                    None
                }
            },
        };
        let ages = counts::<AgeBracket>(&self.ages, "tranche_age", &mut errors);
        let genders = counts::<Gender>(&self.genders, "genre", &mut errors);
        let statuses = counts::<SocialStatus>(&self.statuses, "statut_social", &mut errors);
        let residence = text(&self.residence);
        let mut tags: Vec<String> = self
            .tags
            .iter()
            .filter_map(|t| text(t))
            .map(|t| t.chars().take(40).collect())
            .collect();
        tags.sort();
        tags.dedup();

        let mut anonymous = Group {
            total: 0,
            ages,
            genders,
            statuses,
            commune: None,
        };
        match kind {
            Some(ActivityKind::Collective) => {
                if title.is_none() {
                    errors.push(("titre", "donnez le titre de l'atelier".to_string()));
                }
                anonymous.total = anonymous_total.unwrap_or(0);
                if persons.is_empty() && anonymous.total == 0 {
                    errors.push((
                        "participants",
                        "indiquez au moins un participant (suivi ou anonyme)".to_string(),
                    ));
                }
                for (field, n) in [
                    ("tranche_age", anonymous.ages.total()),
                    ("genre", anonymous.genders.total()),
                    ("statut_social", anonymous.statuses.total()),
                ] {
                    if n > anonymous.total {
                        errors.push((
                            field,
                            format!(
                                "{n} personnes réparties pour {} participants anonymes",
                                anonymous.total
                            ),
                        ));
                    }
                }
                if outcome.is_some() {
                    errors.push((
                        "finalisation",
                        "seulement pour une aide aux démarches".to_string(),
                    ));
                }
            }
            Some(_) => {
                match (persons.len(), anonymous_total.unwrap_or(0)) {
                    (0, 0..=1) => anonymous.total = 1,
                    (1, 0) => {}
                    _ => errors.push((
                        "personnes",
                        "un accompagnement individuel concerne une seule personne : suivie, ou anonyme"
                            .to_string(),
                    )),
                }
                for (field, n) in [
                    ("tranche_age", anonymous.ages.total()),
                    ("genre", anonymous.genders.total()),
                    ("statut_social", anonymous.statuses.total()),
                ] {
                    if n > anonymous.total {
                        errors.push((field, "une seule valeur pour une personne".to_string()));
                    }
                }
                if anonymous.total == 1 {
                    anonymous.commune = residence;
                }
                if kind == Some(ActivityKind::Procedure) {
                    if procedure_themes.is_empty() {
                        errors.push((
                            "thematiques_demarche",
                            "choisissez le domaine de la démarche".to_string(),
                        ));
                    }
                    if !themes.contains(&MediationTheme::OnlineProcedures) {
                        themes.push(MediationTheme::OnlineProcedures);
                        themes.sort();
                    }
                } else if outcome.is_some() {
                    errors.push((
                        "finalisation",
                        "seulement pour une aide aux démarches".to_string(),
                    ));
                }
            }
            None => {}
        }
        if themes.is_empty() && kind.is_some() {
            errors.push((
                "thematiques",
                "choisissez au moins une thématique".to_string(),
            ));
        }
        let (Some(kind), Some(date), Some(duration_minutes), Some(venue), true) =
            (kind, date, duration, venue, errors.is_empty())
        else {
            return Err(errors);
        };
        Ok(Activity {
            kind,
            date,
            duration_minutes,
            venue,
            place_id: if venue == Venue::Place {
                place_id
            } else {
                None
            },
            insee_code,
            themes,
            procedure_themes,
            procedure_name,
            equipment,
            autonomy,
            outcome,
            redirection,
            referral_id: None,
            mandate_id: None,
            title,
            level,
            workshop: None,
            persons,
            anonymous,
            tags,
        })
    }
}
