//! Impact (issue #7): the before/after survey a person answers alone (seed 003's questions, in
//! plain words), the progression measured by diagnostics (issue #4) — who moved up a level, in
//! which domain, after how long and how many sessions — and the beneficiary typology of seed
//! 003 (séniors débutants, séniors initiés, perfectionnement, insertion) computed from the data.
//! Each figure has its definition here, shown beside it and listed in `docs/INDICATORS.md`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::activity::{AgeBracket, Profile, SocialStatus};
use crate::diagnostic::{Assessment, Level, SkillDomain};
use crate::vocab::{Vocabulary, vocabulary};

vocabulary! {
    /// « Comment vous sentiez-vous par rapport au numérique ? »
    Ease, field = "aisance" {
        NotAtAll = "pas-du-tout", "Pas du tout à l'aise";
        ALittle = "peu", "Peu à l'aise";
        Fairly = "plutot", "Plutôt à l'aise";
        Very = "tres", "Très à l'aise";
    }
}

vocabulary! {
    /// « Globalement, avez-vous le sentiment d'avoir progressé ? »
    Progressed, field = "progres" {
        ALot = "beaucoup", "Oui, beaucoup";
        ALittle = "un-peu", "Oui, un peu";
        No = "non", "Non, pas vraiment";
    }
}

vocabulary! {
    /// Things the person can now do that they could not.
    NewAbility, field = "nouveau" {
        UseDevice = "appareil", "Allumer, utiliser mon appareil";
        Search = "chercher", "Chercher une information sur internet";
        Email = "courriel", "Envoyer un courriel, une pièce jointe";
        Procedure = "demarche", "Faire une démarche en ligne";
        Appointment = "rendez-vous", "Prendre un rendez-vous en ligne";
        Keep = "garder-lien", "Échanger avec mes proches (visio, messages)";
        Money = "argent", "Gérer mon argent, acheter en ligne";
        Safety = "arnaques", "Repérer les arnaques, protéger mes données";
        Create = "creer", "Créer (photos, documents)";
    }
}

vocabulary! {
    /// Domains where the person feels they progressed.
    ProgressDomain, field = "domaine" {
        Procedures = "demarches", "Démarches administratives";
        Health = "sante", "Santé";
        Money = "budget", "Budget, banque, achats";
        Work = "travail", "Travail, recherche d'emploi";
        Training = "formation", "Formation";
        Relatives = "proches", "Échanges avec les proches";
        Leisure = "loisirs", "Loisirs et culture";
        News = "information", "S'informer";
    }
}

vocabulary! {
    /// What changed for the person.
    Change, field = "changement" {
        LessStress = "moins-stresse", "Je suis moins stressé·e face au numérique";
        MoreAutonomous = "plus-autonome", "Je me débrouille plus seul·e";
        StoppedAsking = "ne-demande-plus", "Je fais moi-même ce que je faisais faire";
        Confidence = "confiance", "J'ai plus confiance en moi";
        Equipped = "equipe", "Je me suis équipé·e";
    }
}

/// One answer to the survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyAnswer {
    pub ease_before: Ease,
    pub ease_now: Ease,
    pub progressed: Option<Progressed>,
    #[serde(default)]
    pub new_abilities: Vec<NewAbility>,
    #[serde(default)]
    pub domains: Vec<ProgressDomain>,
    #[serde(default)]
    pub changes: Vec<Change>,
    /// Optional, for the typology of respondents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<AgeBracket>,
    /// « Autre chose ? » — their own words (never shown outside the structure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<String>,
}

/// The survey as typed (every field text, lists for the boxes), with the form's names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SurveyForm {
    #[serde(rename = "avant")]
    pub ease_before: String,
    #[serde(rename = "maintenant")]
    pub ease_now: String,
    #[serde(rename = "progres")]
    pub progressed: String,
    #[serde(rename = "nouveau")]
    pub new_abilities: Vec<String>,
    #[serde(rename = "domaine")]
    pub domains: Vec<String>,
    #[serde(rename = "changement")]
    pub changes: Vec<String>,
    pub age: String,
    #[serde(rename = "mots")]
    pub words: String,
}

impl SurveyForm {
    pub fn validate(&self) -> Result<SurveyAnswer, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let ease = |v: &str, field: &'static str, errors: &mut Vec<(&'static str, String)>| {
            let e = Ease::from_slug(v.trim());
            if e.is_none() {
                errors.push((field, "choisissez une réponse".to_string()));
            }
            e
        };
        let before = ease(&self.ease_before, "avant", &mut errors);
        let now = ease(&self.ease_now, "maintenant", &mut errors);
        fn list<V: Vocabulary>(items: &[String]) -> Vec<V> {
            let mut out: Vec<V> = items
                .iter()
                .filter_map(|i| V::from_slug(i.trim()))
                .collect();
            out.sort();
            out.dedup();
            out
        }
        let words: String = self.words.trim().chars().take(500).collect();
        let (Some(ease_before), Some(ease_now)) = (before, now) else {
            return Err(errors);
        };
        Ok(SurveyAnswer {
            ease_before,
            ease_now,
            progressed: Progressed::from_slug(self.progressed.trim()),
            new_abilities: list(&self.new_abilities),
            domains: list(&self.domains),
            changes: list(&self.changes),
            age: AgeBracket::from_slug(self.age.trim()),
            words: Some(words).filter(|w| !w.is_empty()),
        })
    }
}

/// A row of an impact table: label, count, share of the base in percent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactRow {
    pub key: String,
    pub label: String,
    pub value: u64,
    pub share: f64,
}

/// A table of the impact page, with its definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactTable {
    pub id: &'static str,
    pub title: &'static str,
    pub definition: &'static str,
    pub base: u64,
    pub rows: Vec<ImpactRow>,
}

fn share(v: u64, base: u64) -> f64 {
    if base == 0 {
        0.0
    } else {
        (v as f64 * 1000.0 / base as f64).round() / 10.0
    }
}

fn table(
    id: &'static str,
    title: &'static str,
    definition: &'static str,
    base: u64,
    rows: Vec<(String, String, u64)>,
) -> ImpactTable {
    ImpactTable {
        id,
        title,
        definition,
        base,
        rows: rows
            .into_iter()
            .map(|(key, label, value)| ImpactRow {
                key,
                label,
                value,
                share: share(value, base),
            })
            .collect(),
    }
}

fn vocab_rows<V: Vocabulary>(count: impl Fn(V) -> u64) -> Vec<(String, String, u64)> {
    V::ALL
        .iter()
        .map(|v| (v.slug().to_string(), v.label().to_string(), count(*v)))
        .collect()
}

/// The definitions of the impact tables (also in `docs/INDICATORS.md`).
pub const IMPACT_TABLES: [(&str, &str, &str); 9] = [
    (
        "aisance",
        "Aisance avec le numérique, avant et maintenant",
        "Réponses au questionnaire avant/après : nombre de personnes par degré d'aisance avant leur accompagnement et aujourd'hui.",
    ),
    (
        "progres",
        "Sentiment d'avoir progressé",
        "Réponses à « Globalement, avez-vous le sentiment d'avoir progressé ? » ; part sur les personnes qui ont répondu au questionnaire.",
    ),
    (
        "nouveau",
        "Ce que les personnes font maintenant et ne faisaient pas avant",
        "Nombre de personnes qui cochent chaque action nouvelle (plusieurs réponses possibles) ; part sur les répondants.",
    ),
    (
        "domaines",
        "Domaines où les personnes ont progressé",
        "Nombre de personnes qui cochent chaque domaine (plusieurs réponses possibles) ; part sur les répondants.",
    ),
    (
        "changements",
        "Ce qui a changé pour elles",
        "Nombre de personnes qui cochent chaque changement (plusieurs réponses possibles) ; part sur les répondants.",
    ),
    (
        "progression-niveau",
        "Progression mesurée par les diagnostics",
        "Personnes suivies ayant au moins deux diagnostics (premier et dernier de la période ou d'avant) : niveau monté, stable ou descendu sur la grille partagée.",
    ),
    (
        "progression-domaines",
        "Progression par domaine de compétences",
        "Parmi les personnes dont le domaine est évalué au premier et au dernier diagnostic, celles dont le niveau du domaine a monté ; part sur les personnes évaluées dans ce domaine.",
    ),
    (
        "progression-effort",
        "Temps et séances pour monter d'un niveau",
        "Pour les personnes qui ont monté d'au moins un niveau : jours entre le premier et le dernier diagnostic, et activités enregistrées pour elles entre les deux (médianes).",
    ),
    (
        "typologie",
        "Typologie des personnes accompagnées",
        "Personnes suivies classées comme l'enquête nationale de 2023 (seed 003) : séniors débutants (60 ans et plus, niveau Éloigné ou Débutant au départ), séniors initiés (60 ans et plus, niveau Intermédiaire ou plus), parcours d'insertion (moins de 60 ans, sans emploi, scolarisées ou de moins de 25 ans, ou surtout aidées dans des démarches), parcours de perfectionnement (les autres de moins de 60 ans) ; « non classées » quand l'âge ou le niveau manque.",
    ),
];

fn meta(id: &str) -> (&'static str, &'static str, &'static str) {
    IMPACT_TABLES
        .iter()
        .copied()
        .find(|(i, _, _)| *i == id)
        .unwrap_or(("", "", ""))
}

/// The survey's tables over its answers.
pub fn survey_tables(answers: &[SurveyAnswer]) -> Vec<ImpactTable> {
    let n = answers.len() as u64;
    let count = |f: &dyn Fn(&SurveyAnswer) -> bool| answers.iter().filter(|a| f(a)).count() as u64;
    let (id, title, def) = meta("aisance");
    let mut ease_rows = Vec::new();
    for e in Ease::ALL {
        ease_rows.push((
            format!("avant-{}", e.slug()),
            format!("Avant : {}", e.label()),
            count(&|a| a.ease_before == *e),
        ));
    }
    for e in Ease::ALL {
        ease_rows.push((
            format!("maintenant-{}", e.slug()),
            format!("Maintenant : {}", e.label()),
            count(&|a| a.ease_now == *e),
        ));
    }
    let at_ease = |e: Ease| matches!(e, Ease::Fairly | Ease::Very);
    ease_rows.push((
        "a-l-aise-avant".into(),
        "À l'aise avant (plutôt ou très)".into(),
        count(&|a| at_ease(a.ease_before)),
    ));
    ease_rows.push((
        "a-l-aise-maintenant".into(),
        "À l'aise maintenant (plutôt ou très)".into(),
        count(&|a| at_ease(a.ease_now)),
    ));
    ease_rows.push((
        "plus-a-l-aise".into(),
        "Plus à l'aise qu'avant".into(),
        count(&|a| a.ease_now > a.ease_before),
    ));
    let mut out = vec![table(id, title, def, n, ease_rows)];
    let (id, title, def) = meta("progres");
    out.push(table(
        id,
        title,
        def,
        n,
        vocab_rows::<Progressed>(|p| count(&|a| a.progressed == Some(p))),
    ));
    let (id, title, def) = meta("nouveau");
    out.push(table(
        id,
        title,
        def,
        n,
        vocab_rows::<NewAbility>(|v| count(&|a| a.new_abilities.contains(&v))),
    ));
    let (id, title, def) = meta("domaines");
    out.push(table(
        id,
        title,
        def,
        n,
        vocab_rows::<ProgressDomain>(|v| count(&|a| a.domains.contains(&v))),
    ));
    let (id, title, def) = meta("changements");
    out.push(table(
        id,
        title,
        def,
        n,
        vocab_rows::<Change>(|v| count(&|a| a.changes.contains(&v))),
    ));
    out
}

/// What the data say of one followed person, for progression and typology.
#[derive(Debug, Clone, Default)]
pub struct PersonPath {
    pub profile: Profile,
    /// Diagnostics, oldest first: (date, assessment).
    pub diagnostics: Vec<(NaiveDate, Assessment)>,
    /// Dates of the records the person took part in, and whether each was a procedure.
    pub activities: Vec<(NaiveDate, bool)>,
    /// Level written on records, when no diagnostic gives it.
    pub recorded_level: Option<Level>,
}

/// The four profiles of seed 003, and the persons the data cannot place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Typology {
    BeginnerSeniors,
    InitiatedSeniors,
    Improvement,
    Integration,
    Unclassified,
}

impl Typology {
    pub const ALL: [Typology; 5] = [
        Typology::BeginnerSeniors,
        Typology::InitiatedSeniors,
        Typology::Improvement,
        Typology::Integration,
        Typology::Unclassified,
    ];
    pub fn slug(self) -> &'static str {
        match self {
            Typology::BeginnerSeniors => "seniors-debutants",
            Typology::InitiatedSeniors => "seniors-inities",
            Typology::Improvement => "perfectionnement",
            Typology::Integration => "insertion",
            Typology::Unclassified => "non-classees",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Typology::BeginnerSeniors => "Séniors débutants",
            Typology::InitiatedSeniors => "Séniors initiés",
            Typology::Improvement => "Parcours de perfectionnement",
            Typology::Integration => "Parcours d'insertion",
            Typology::Unclassified => "Non classées (âge ou niveau inconnu)",
        }
    }
    /// Share in the national survey of 2023 (seed 003), for comparison.
    pub fn national_share(self) -> Option<u8> {
        match self {
            Typology::BeginnerSeniors => Some(26),
            Typology::InitiatedSeniors => Some(35),
            Typology::Improvement => Some(26),
            Typology::Integration => Some(13),
            Typology::Unclassified => None,
        }
    }
}

impl PersonPath {
    /// The level at the start: the first diagnostic's, or the one written on records.
    pub fn first_level(&self) -> Option<Level> {
        self.diagnostics
            .first()
            .map(|(_, a)| a.level)
            .or(self.recorded_level)
    }

    /// Where seed 003's typology places the person (rules in [`IMPACT_TABLES`]).
    pub fn typology(&self) -> Typology {
        let Some(age) = self.profile.age else {
            return Typology::Unclassified;
        };
        if age.is_senior() {
            return match self.first_level() {
                Some(l) if l <= Level::Beginner => Typology::BeginnerSeniors,
                Some(_) => Typology::InitiatedSeniors,
                None => Typology::Unclassified,
            };
        }
        let procedures = self.activities.iter().filter(|(_, p)| *p).count();
        let mostly_procedures =
            !self.activities.is_empty() && procedures * 2 > self.activities.len();
        let young = matches!(age, AgeBracket::Minor | AgeBracket::From18To24);
        let status = matches!(
            self.profile.status,
            Some(SocialStatus::Unemployed | SocialStatus::Schooling)
        );
        if young || status || mostly_procedures {
            Typology::Integration
        } else {
            Typology::Improvement
        }
    }
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2])
}

/// Progression and typology tables over the persons' paths.
pub fn path_tables(paths: &[PersonPath]) -> Vec<ImpactTable> {
    let retested: Vec<&PersonPath> = paths.iter().filter(|p| p.diagnostics.len() >= 2).collect();
    let n = retested.len() as u64;
    let (mut up, mut same, mut down) = (0, 0, 0);
    let mut days = Vec::new();
    let mut sessions = Vec::new();
    let mut domains: BTreeMap<SkillDomain, (u64, u64)> = BTreeMap::new();
    for p in &retested {
        let (Some((d0, first)), Some((d1, last))) = (p.diagnostics.first(), p.diagnostics.last())
        else {
            continue;
        };
        match last.level.cmp(&first.level) {
            std::cmp::Ordering::Greater => {
                up += 1;
                days.push((*d1 - *d0).num_days());
                sessions.push(
                    p.activities
                        .iter()
                        .filter(|(d, _)| d >= d0 && d <= d1)
                        .count() as i64,
                );
            }
            std::cmp::Ordering::Equal => same += 1,
            std::cmp::Ordering::Less => down += 1,
        }
        for (domain, before) in &first.domains {
            if let Some(after) = last.domains.get(domain) {
                let e = domains.entry(*domain).or_default();
                e.0 += 1;
                if after > before {
                    e.1 += 1;
                }
            }
        }
    }
    let (id, title, def) = meta("progression-niveau");
    let mut out = vec![table(
        id,
        title,
        def,
        n,
        vec![
            ("monte".into(), "Ont monté d'au moins un niveau".into(), up),
            ("stable".into(), "Même niveau".into(), same),
            ("descendu".into(), "Niveau descendu".into(), down),
        ],
    )];
    let (id, title, def) = meta("progression-domaines");
    let mut t = table(id, title, def, n, Vec::new());
    for (d, (evaluated, moved)) in &domains {
        t.rows.push(ImpactRow {
            key: format!("{d:?}").to_lowercase(),
            label: format!("{} ({} évaluées)", d.label(), evaluated),
            value: *moved,
            share: share(*moved, *evaluated),
        });
    }
    out.push(t);
    let (id, title, def) = meta("progression-effort");
    out.push(table(
        id,
        title,
        def,
        up,
        vec![
            (
                "jours".into(),
                "Jours entre le premier et le dernier diagnostic (médiane)".into(),
                median(days).unwrap_or(0).max(0) as u64,
            ),
            (
                "seances".into(),
                "Activités enregistrées entre les deux (médiane)".into(),
                median(sessions).unwrap_or(0).max(0) as u64,
            ),
        ],
    ));
    // Shares of the effort rows are not meaningful: they are medians.
    if let Some(t) = out.last_mut() {
        for r in &mut t.rows {
            r.share = 0.0;
        }
    }
    let (id, title, def) = meta("typologie");
    let total = paths.len() as u64;
    let mut rows = Vec::new();
    for t in Typology::ALL {
        rows.push((
            t.slug().to_string(),
            match t.national_share() {
                Some(s) => format!("{} (enquête nationale : {s} %)", t.label()),
                None => t.label().to_string(),
            },
            paths.iter().filter(|p| p.typology() == t).count() as u64,
        ));
    }
    out.push(table(id, title, def, total, rows));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{assess, builtin};

    fn answer(before: &str, now: &str) -> SurveyAnswer {
        SurveyForm {
            ease_before: before.into(),
            ease_now: now.into(),
            progressed: "beaucoup".into(),
            new_abilities: vec!["demarche".into(), "courriel".into(), "inconnu".into()],
            domains: vec!["sante".into()],
            changes: vec!["moins-stresse".into()],
            ..Default::default()
        }
        .validate()
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn the_survey_needs_both_feelings_and_ignores_unknown_boxes() {
        let errors = SurveyForm::default().validate().expect_err("empty");
        assert_eq!(
            errors.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            vec!["avant", "maintenant"]
        );
        let a = answer("pas-du-tout", "plutot");
        assert_eq!(
            a.new_abilities,
            vec![NewAbility::Email, NewAbility::Procedure]
        );
    }

    #[test]
    fn survey_tables_count_each_answer() {
        let answers = vec![
            answer("pas-du-tout", "plutot"),
            answer("peu", "peu"),
            answer("plutot", "tres"),
        ];
        let t = survey_tables(&answers);
        let ease = &t[0];
        let row = |k: &str| ease.rows.iter().find(|r| r.key == k).map(|r| r.value);
        assert_eq!(row("a-l-aise-avant"), Some(1));
        assert_eq!(row("a-l-aise-maintenant"), Some(2));
        assert_eq!(row("plus-a-l-aise"), Some(2));
        assert_eq!(ease.base, 3);
        let new = &t[2];
        assert_eq!(
            new.rows
                .iter()
                .find(|r| r.key == "demarche")
                .map(|r| r.share),
            Some(100.0)
        );
    }

    fn assessment(answers: &[(&str, &str)]) -> Assessment {
        let q = builtin()
            .into_iter()
            .find(|q| q.id == "court")
            .expect("court");
        let mut a = crate::diagnostic::Answers::new();
        for (k, v) in answers {
            a.insert((*k).into(), vec![(*v).into()]);
        }
        assess(&q, &a)
    }

    #[test]
    fn progression_counts_persons_who_moved_up_with_time_and_sessions() {
        let low = assessment(&[("internet", "jamais")]);
        let high = assessment(&[("internet", "souvent"), ("courriel", "envoie")]);
        assert!(high.level > low.level, "{:?} {:?}", low.level, high.level);
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let climber = PersonPath {
            diagnostics: vec![
                (d("2026-01-05"), low.clone()),
                (d("2026-03-06"), high.clone()),
            ],
            activities: vec![
                (d("2026-01-12"), false),
                (d("2026-02-02"), false),
                (d("2026-05-02"), false),
            ],
            ..Default::default()
        };
        let stable = PersonPath {
            diagnostics: vec![
                (d("2026-01-05"), low.clone()),
                (d("2026-02-05"), low.clone()),
            ],
            ..Default::default()
        };
        let once = PersonPath {
            diagnostics: vec![(d("2026-01-05"), low.clone())],
            ..Default::default()
        };
        let t = path_tables(&[climber, stable, once]);
        assert_eq!(t[0].base, 2, "only persons tested twice");
        assert_eq!(t[0].rows[0].value, 1);
        assert_eq!(t[0].rows[0].share, 50.0);
        assert_eq!(t[2].rows[0].value, 60, "days");
        assert_eq!(
            t[2].rows[1].value, 2,
            "sessions between the two diagnostics"
        );
    }

    #[test]
    fn the_typology_of_seed_003() {
        let p = |age: Option<AgeBracket>,
                 status: Option<SocialStatus>,
                 level: Option<Level>,
                 procedures: usize| PersonPath {
            profile: Profile {
                age,
                status,
                ..Default::default()
            },
            recorded_level: level,
            activities: (0..3)
                .map(|i| (NaiveDate::default(), i < procedures))
                .collect(),
            ..Default::default()
        };
        use AgeBracket::*;
        assert_eq!(
            p(Some(From70), None, Some(Level::Distant), 0).typology(),
            Typology::BeginnerSeniors
        );
        assert_eq!(
            p(Some(From60To69), None, Some(Level::Intermediate), 0).typology(),
            Typology::InitiatedSeniors
        );
        assert_eq!(
            p(Some(From60To69), None, None, 0).typology(),
            Typology::Unclassified
        );
        assert_eq!(
            p(Some(From18To24), None, None, 0).typology(),
            Typology::Integration
        );
        assert_eq!(
            p(Some(From40To59), Some(SocialStatus::Unemployed), None, 0).typology(),
            Typology::Integration
        );
        assert_eq!(
            p(Some(From40To59), Some(SocialStatus::Employed), None, 2).typology(),
            Typology::Integration
        );
        assert_eq!(
            p(Some(From40To59), Some(SocialStatus::Employed), None, 1).typology(),
            Typology::Improvement
        );
        assert_eq!(
            p(None, None, Some(Level::Distant), 0).typology(),
            Typology::Unclassified
        );
    }
}
