//! Diagnostic of a person's digital situation with the network's shared grid: questionnaires
//! as versioned reference data ([`questionnaire`]), scoring onto the five INSEE/Eurostat skill
//! domains then the grid's level, characteristics and need profile ([`scoring`]), and the
//! comparison of a re-test ([`compare`]). The rules are documented in `docs/DIAGNOSTIC.md`.

pub mod grid;
pub mod questionnaire;
pub mod scoring;
pub mod steps;

pub use grid::{Equipment, FrenchLevel, LearningCapacity, Level, NeedProfile};
pub use questionnaire::{
    AnswerSheet, Answers, Questionnaire, QuestionnaireError, Signal, SkillDomain, builtin,
};
pub use scoring::{Assessment, DomainLevel, OverallSkills, assess};
pub use steps::{Step, StepEvidence, blanks_that_matter};

/// One line of a re-test comparison: before, after, and whether it is progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub what: String,
    pub before: String,
    pub after: String,
    /// `Some(true)` progress, `Some(false)` regression, `None` unchanged or not comparable.
    pub progress: Option<bool>,
}

/// A first diagnostic and its re-test, side by side: level, each domain, each
/// characteristic, the person's own sense of ease.
pub fn compare(before: &Assessment, after: &Assessment) -> Vec<Change> {
    fn cmp<T: PartialOrd>(a: &T, b: &T) -> Option<bool> {
        match a.partial_cmp(b) {
            Some(std::cmp::Ordering::Less) => Some(true),
            Some(std::cmp::Ordering::Greater) => Some(false),
            _ => None,
        }
    }
    let mut out = vec![Change {
        what: "Niveau".into(),
        before: before.level.label().into(),
        after: after.level.label().into(),
        progress: cmp(&before.level, &after.level),
    }];
    for d in SkillDomain::ALL {
        let (b, a) = (before.domains.get(&d), after.domains.get(&d));
        if b.is_none() && a.is_none() {
            continue;
        }
        let label = |l: Option<&DomainLevel>| l.map_or("non évalué", |l| l.label()).to_string();
        out.push(Change {
            what: d.label().into(),
            before: label(b),
            after: label(a),
            progress: match (b, a) {
                (Some(b), Some(a)) => cmp(b, a),
                _ => None,
            },
        });
    }
    let rank = |e: Equipment| match e {
        Equipment::None => 0,
        Equipment::SmartphoneOnly => 1,
        Equipment::Computer => 2,
    };
    out.push(Change {
        what: "Équipement".into(),
        before: before.equipment.label().into(),
        after: after.equipment.label().into(),
        progress: cmp(&rank(before.equipment), &rank(after.equipment)),
    });
    if before.french.is_some() || after.french.is_some() {
        let label = |f: Option<FrenchLevel>| f.map_or("non renseigné", |f| f.label()).to_string();
        out.push(Change {
            what: "Français".into(),
            before: label(before.french),
            after: label(after.french),
            progress: match (before.french, after.french) {
                (Some(b), Some(a)) => cmp(&b, &a),
                _ => None,
            },
        });
    }
    if before.ease.is_some() || after.ease.is_some() {
        let label = |e: Option<u8>| match e {
            Some(0) => "pas du tout à l'aise",
            Some(1) => "pas très à l'aise",
            Some(2) => "plutôt à l'aise",
            Some(_) => "très à l'aise",
            None => "non renseigné",
        };
        out.push(Change {
            what: "Aisance ressentie".into(),
            before: label(before.ease).into(),
            after: label(after.ease).into(),
            progress: match (before.ease, after.ease) {
                (Some(b), Some(a)) => cmp(&b, &a),
                _ => None,
            },
        });
    }
    out
}

/// Counts of a set of diagnostics, defined once for pages, exports and the API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiagnosticStats {
    pub total: usize,
    /// By level, Éloigné first.
    pub by_level: [usize; 5],
    pub alone: usize,
    /// Re-tests (a diagnostic linked to a previous one of the same person).
    pub retests: usize,
    /// Re-tests whose level went up.
    pub retests_progressing: usize,
    /// Re-tests whose own sense of ease went up.
    pub retests_more_at_ease: usize,
    /// Also oriented to French classes.
    pub french_classes: usize,
}

impl DiagnosticStats {
    /// From (assessment, taken alone, previous assessment if a re-test).
    pub fn of<'a>(
        items: impl IntoIterator<Item = (&'a Assessment, bool, Option<&'a Assessment>)>,
    ) -> Self {
        let mut s = Self::default();
        for (a, alone, previous) in items {
            s.total += 1;
            s.by_level[usize::from(a.level.number() - 1)] += 1;
            s.alone += usize::from(alone);
            s.french_classes += usize::from(a.french_classes);
            if let Some(p) = previous {
                s.retests += 1;
                s.retests_progressing += usize::from(a.level > p.level);
                s.retests_more_at_ease +=
                    usize::from(matches!((p.ease, a.ease), (Some(b), Some(n)) if n > b));
            }
        }
        s
    }
}

#[cfg(test)]
mod stats_tests {
    use super::*;

    #[test]
    fn counts_levels_and_progress_of_retests() {
        let q = builtin()
            .into_iter()
            .find(|q| q.id == "court")
            .expect("court");
        let answers = |pairs: &[(&str, &str)]| -> Answers {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                .collect()
        };
        let before = assess(
            &q,
            &answers(&[
                ("appareils", "smartphone"),
                ("maitrise", "non"),
                ("aisance", "peu"),
            ]),
        );
        let after = assess(
            &q,
            &answers(&[
                ("appareils", "smartphone"),
                ("maitrise", "bien"),
                ("internet", "souvent"),
                ("courriel", "envoie"),
                ("aisance", "plutot"),
                ("francais", "un_peu"),
            ]),
        );
        let s = DiagnosticStats::of([(&before, true, None), (&after, false, Some(&before))]);
        assert_eq!(s.total, 2);
        assert_eq!(s.by_level, [0, 1, 0, 1, 0]);
        assert_eq!(
            (
                s.alone,
                s.retests,
                s.retests_progressing,
                s.retests_more_at_ease,
                s.french_classes
            ),
            (1, 1, 1, 1, 1)
        );
    }
}
