//! Diagnostic of a person's digital situation with the network's shared grid: questionnaires
//! as versioned reference data ([`questionnaire`]), scoring onto the five INSEE/Eurostat skill
//! domains then the grid's level, characteristics and need profile ([`scoring`]), and the
//! comparison of a re-test ([`compare`]). The rules are documented in `docs/DIAGNOSTIC.md`.

pub mod grid;
pub mod questionnaire;
pub mod scoring;

pub use grid::{Equipment, FrenchLevel, LearningCapacity, Level, NeedProfile};
pub use questionnaire::{
    AnswerSheet, Answers, Questionnaire, QuestionnaireError, Signal, SkillDomain, builtin,
};
pub use scoring::{Assessment, DomainLevel, OverallSkills, assess};

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
