//! Calibration of the diagnostic (issue #10): 42 people described in plain facts, as field
//! workers write them (`tests/calibration/personnes.json`: devices, what they can do, the help
//! they get for procedures, French, wish to learn, ease), each with the level and need a field
//! worker gives from the seed's definitions of the levels — written before and apart from the
//! scoring rules. The facts become answers to the questionnaire the person took (the short or
//! the complete one) as a helper would tick them; the agreement is measured and printed
//! (`cargo test -p maillage-domain --test calibration -- --nocapture`). Target: at least 90 % on
//! levels, no error of more than one level; every disagreement is explained in
//! docs/DIAGNOSTIC.md (« Calibration »).

use std::collections::BTreeMap;

use maillage_domain::diagnostic::questionnaire::{Question, QuestionKind};
use maillage_domain::diagnostic::{Answers, Level, Questionnaire, Signal, assess, builtin};
use serde::Deserialize;

#[derive(Deserialize)]
struct Person {
    id: String,
    qui: String,
    questionnaire: String,
    faits: Facts,
    terrain: FieldView,
}

/// What a field worker writes down.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Facts {
    /// Screen devices: `a_soi`, `prete`, `lieu_public`, `aucun` (unnamed: none).
    appareils: BTreeMap<String, String>,
    /// How well the person uses a device: `bon`, `moyen`, `non`.
    maitrise: BTreeMap<String, String>,
    /// Activities the person does or knows how to do (the questionnaires' activity names).
    fait: Vec<String>,
    /// Activities the person says they do not need.
    pas_besoin: Vec<String>,
    /// The other activities of the complete questionnaire: `ne_sait_pas` (asked, cannot) or
    /// left blank.
    reste: Option<String>,
    /// The short test's internet question when the facts say it (`souvent`, `parfois`,
    /// `jamais`); otherwise read from the activities.
    internet: Option<String>,
    /// The short test's e-mail question when the facts say it (`sans_savoir`).
    courriel: Option<String>,
    /// Online procedures: `seul`, `aide`, `a_sa_place`, `jamais`.
    demarches: Option<String>,
    francais: Option<String>,
    envie: Option<bool>,
    aisance: Option<u8>,
}

#[derive(Deserialize)]
struct FieldView {
    niveau: String,
    besoin: String,
}

fn questionnaire(id: &str) -> Questionnaire {
    builtin()
        .into_iter()
        .find(|q| q.id == id)
        .expect("questionnaire livré")
}

/// The activity a question measures (the activity of its « I do it » choice).
fn activity_of(q: &Question) -> Option<&str> {
    q.choices
        .iter()
        .flat_map(|c| c.signals.iter())
        .find_map(|s| match s {
            Signal::Activity { activity, .. } => Some(activity.as_str()),
            _ => None,
        })
}

fn choice<'q>(q: &'q Question, ids: &[&str]) -> Option<&'q str> {
    ids.iter()
        .find_map(|id| q.choices.iter().find(|c| c.id == *id))
        .map(|c| c.id.as_str())
}

/// The facts as answers to the complete questionnaire, ticked as a helper would.
fn complete_answers(q: &Questionnaire, f: &Facts) -> Answers {
    let mut answers = Answers::new();
    let mut put = |id: &str, value: &str| {
        answers.insert(id.to_string(), vec![value.to_string()]);
    };
    for device in ["ordinateur", "portable", "smartphone", "tablette"] {
        let access = match f.appareils.get(device).map(String::as_str) {
            Some("a_soi") => "proprietaire",
            Some("prete") => "prete",
            Some("lieu_public") => "lieu_public",
            _ => "non",
        };
        put(&format!("acces_{device}"), access);
    }
    for (device, mastery) in &f.maitrise {
        put(&format!("maitrise_{device}"), mastery);
    }
    let does = |a: &str| f.fait.iter().any(|x| x == a);
    let rest_unknown = f.reste.as_deref() == Some("ne_sait_pas");
    for question in &q.questions {
        if question.kind != QuestionKind::Single {
            continue;
        }
        if question.id == "courriel_frequence" {
            if does("courriel") {
                put("courriel_frequence", "semaine");
            } else if rest_unknown {
                put("courriel_frequence", "jamais");
            }
            continue;
        }
        let Some(activity) = activity_of(question) else {
            continue;
        };
        let chosen = if does(activity) {
            choice(question, &["le_fais", "oui"])
        } else if f.pas_besoin.iter().any(|x| x == activity) {
            choice(question, &["pas_besoin"])
        } else if rest_unknown {
            choice(question, &["ne_sait_pas", "non"])
        } else {
            None
        };
        if let Some(c) = chosen {
            put(&question.id, c);
        }
    }
    put("courriel", if does("courriel") { "oui" } else { "non" });
    if let Some(d) = &f.demarches {
        put(
            "demarches",
            match d.as_str() {
                "a_sa_place" => "a_ma_place",
                other => other,
            },
        );
    }
    characteristics(f, &mut answers);
    answers
}

/// The facts as answers to the short test.
fn short_answers(f: &Facts) -> Answers {
    let mut answers = Answers::new();
    let owned: Vec<String> = ["smartphone", "tablette", "ordinateur", "portable"]
        .iter()
        .filter(|d| f.appareils.get(**d).is_some_and(|a| a == "a_soi"))
        .map(|d| if *d == "portable" { "ordinateur" } else { d }.to_string())
        .collect();
    answers.insert(
        "appareils".into(),
        if owned.is_empty() {
            vec!["aucun".into()]
        } else {
            owned
        },
    );
    let rank = |m: &str| match m {
        "bon" => 2,
        "moyen" => 1,
        _ => 0,
    };
    if let Some(best) = f.maitrise.values().max_by_key(|m| rank(m)) {
        let said = match best.as_str() {
            "bon" => "bien",
            "moyen" => "un_peu",
            _ => "non",
        };
        answers.insert("maitrise".into(), vec![said.into()]);
    }
    let does = |a: &str| f.fait.iter().any(|x| x == a);
    let internet = f.internet.clone().unwrap_or_else(|| {
        if does("recherche") {
            "souvent".into()
        } else if does("courriel") || does("reseaux_sociaux") || does("appel_video") {
            "parfois".into()
        } else {
            "jamais".into()
        }
    });
    answers.insert("internet".into(), vec![internet]);
    let mail = f.courriel.clone().unwrap_or_else(|| {
        if does("courriel") {
            "envoie".into()
        } else {
            "non".into()
        }
    });
    answers.insert("courriel".into(), vec![mail]);
    if let Some(d) = &f.demarches {
        let said = match d.as_str() {
            "a_sa_place" => "a_ma_place",
            other => other,
        };
        answers.insert("demarches".into(), vec![said.into()]);
    }
    characteristics(f, &mut answers);
    answers
}

/// French, wish to learn and ease: the same questions in both questionnaires.
fn characteristics(f: &Facts, answers: &mut Answers) {
    if let Some(fr) = &f.francais {
        let said = match fr.as_str() {
            "a_l_aise" => "facile",
            "un_peu_difficile" => "un_peu",
            _ => "difficile",
        };
        answers.insert("francais".into(), vec![said.into()]);
    }
    if let Some(wants) = f.envie {
        answers.insert(
            "envie".into(),
            vec![if wants { "oui" } else { "non" }.into()],
        );
    }
    if let Some(ease) = f.aisance {
        let said = match ease {
            3 => "tres",
            2 => "plutot",
            1 => "peu",
            _ => "pas",
        };
        answers.insert("aisance".into(), vec![said.into()]);
    }
}

fn rank(level: Level) -> usize {
    Level::ALL.iter().position(|l| *l == level).unwrap_or(0)
}

#[test]
fn levels_agree_with_field_workers() {
    let text = include_str!("calibration/personnes.json");
    let people: Vec<Person> = serde_json::from_str(text).expect("personnes");
    assert!(people.len() >= 40, "{} personnes", people.len());
    let (court, complet) = (questionnaire("court"), questionnaire("complet"));
    let mut level_agree = 0;
    let mut need_agree = 0;
    let mut per_level: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for p in &people {
        let (q, answers) = match p.questionnaire.as_str() {
            "court" => (&court, short_answers(&p.faits)),
            _ => (&complet, complete_answers(&complet, &p.faits)),
        };
        q.check_answers(&answers)
            .unwrap_or_else(|e| panic!("{} : {e}", p.id));
        let a = assess(q, &answers);
        let want = Level::parse(&p.terrain.niveau).expect("niveau du terrain");
        let got_need = serde_json::to_value(a.need).expect("besoin");
        let entry = per_level.entry(rank(want)).or_default();
        entry.1 += 1;
        let gap = rank(a.level).abs_diff(rank(want));
        assert!(
            gap <= 1,
            "{} ({}) : {} pour le terrain, {} calculé — {:?}",
            p.id,
            p.qui,
            want.label(),
            a.level.label(),
            a.rules
        );
        if gap == 0 {
            level_agree += 1;
            entry.0 += 1;
        } else {
            disagreements.push(format!(
                "  {} — {} : terrain {}, calculé {}",
                p.id,
                p.qui,
                want.label(),
                a.level.label()
            ));
        }
        if got_need == serde_json::Value::String(p.terrain.besoin.clone()) {
            need_agree += 1;
        } else {
            disagreements.push(format!(
                "  {} — besoin : terrain {}, calculé {}",
                p.id, p.terrain.besoin, got_need
            ));
        }
    }
    let n = people.len();
    let level_rate = level_agree as f64 / n as f64;
    let need_rate = need_agree as f64 / n as f64;
    println!(
        "Calibration du diagnostic : {n} personnes ; niveau identique au terrain pour {level_agree} ({:.0} %), aucun écart de plus d'un niveau ; besoin identique pour {need_agree} ({:.0} %).",
        level_rate * 100.0,
        need_rate * 100.0
    );
    for (level, (agree, total)) in &per_level {
        println!(
            "  {} : {agree} sur {total}",
            Level::ALL.get(*level).map_or("?", |l| l.label())
        );
    }
    for d in &disagreements {
        println!("{d}");
    }
    assert!(level_rate >= 0.9, "niveaux : {level_rate:.2}");
    assert!(need_rate >= 0.85, "besoins : {need_rate:.2}");
}
