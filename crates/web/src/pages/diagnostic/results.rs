//! Results (alone and guided) and a helper's list of diagnostics.

use super::*;

pub(super) struct DomainRow {
    pub(super) label: &'static str,
    pub(super) level: &'static str,
    pub(super) good: bool,
}

#[derive(Template)]
#[template(path = "diagnostic/diagnostic_result.html")]
pub(super) struct ResultPage {
    pub(super) chrome: Chrome,
    /// Paused test: show the code, not the result.
    pub(super) paused: Option<String>,
    pub(super) alone: bool,
    pub(super) level_number: u8,
    pub(super) level: &'static str,
    pub(super) definition: &'static str,
    pub(super) definition_for_you: &'static str,
    /// For the person alone: the search's fields for the help the level calls for, and the
    /// commune when it was said.
    pub(super) search_fields: Vec<(&'static str, &'static str)>,
    pub(super) commune: String,
    pub(super) next_step: &'static str,
    pub(super) need: &'static str,
    pub(super) equipment: &'static str,
    pub(super) french_classes: bool,
    pub(super) solidarity_equipment: bool,
    pub(super) can_do: Vec<String>,
    pub(super) to_learn: Vec<&'static str>,
    pub(super) domains: Vec<DomainRow>,
    pub(super) overall: Option<&'static str>,
    pub(super) search_link: String,
    pub(super) retest_on: Option<String>,
    pub(super) date: String,
    pub(super) questionnaire: String,
    /// Helper's view.
    pub(super) person: Option<(String, String)>,
    pub(super) observations: Vec<String>,
    pub(super) override_reason: Option<(String, String)>,
    pub(super) rules: Vec<String>,
    /// The steps of the grid the level rests on: (step, rule, for, against, blank, reached).
    pub(super) steps: Vec<StepRow>,
    /// Blank questions whose answer could change the level.
    pub(super) blanks: Vec<String>,
    pub(super) changes: Vec<Change>,
    pub(super) id: String,
    pub(super) code: String,
}

pub(super) struct StepRow {
    pub(super) label: &'static str,
    pub(super) rule: &'static str,
    pub(super) for_: usize,
    pub(super) against: usize,
    pub(super) blank: usize,
    pub(super) reached: bool,
}

/// Orientation with what the diagnostic found: the level, the equipment, and the commune when
/// it was noted (the helper or the person then says the request).
pub(super) fn orient_link(
    a: &maillage_domain::diagnostic::Assessment,
    commune: Option<&str>,
) -> String {
    use maillage_domain::diagnostic::Equipment;
    let equipment = match a.equipment {
        Equipment::None => "aucun",
        Equipment::SmartphoneOnly => "smartphone",
        Equipment::Computer => "ordinateur",
    };
    let mut link = format!("/orienter?niveau={}&equipement={equipment}", a.level.slug());
    if let Some(c) = commune.filter(|c| !c.trim().is_empty()) {
        link.push_str("&commune=");
        link.push_str(&form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>());
    }
    link
}

/// For the person who took the test alone: the public search's fields for places that give the
/// help their level calls for (issue #10 — not the helpers' orientation form); the person adds
/// their commune on the result page.
pub(super) fn search_fields(
    a: &maillage_domain::diagnostic::Assessment,
) -> Vec<(&'static str, &'static str)> {
    use maillage_domain::diagnostic::Level;
    // Any of these services (the search reads them as alternatives).
    let services: &[&'static str] = match a.level {
        Level::Distant => &["demarches"],
        Level::Beginner | Level::Intermediate => &["outils-quotidien"],
        Level::Advanced => &["securite", "outils-quotidien"],
        Level::Autonomous => &["acces-internet", "outils-quotidien"],
    };
    let mut fields: Vec<(&'static str, &'static str)> =
        services.iter().map(|s| ("service", *s)).collect();
    if a.level == Level::Distant {
        fields.push(("accompagnement", "individuel"));
    }
    fields
}

pub(super) fn result_page(
    viewer: &Viewer,
    view: &DiagnosticView,
    alone: bool,
    code: &str,
) -> ResultPage {
    let d: &StoredDiagnostic = &view.diagnostic;
    let a = &d.assessment;
    ResultPage {
        chrome: Chrome::new(if alone { "diagnostic" } else { "diagnostics" }, viewer),
        paused: None,
        alone,
        level_number: a.level.number(),
        level: a.level.label(),
        definition: a.level.definition(),
        definition_for_you: a.level.definition_for_you(),
        next_step: a.level.next_step(),
        need: a.need.label(),
        equipment: a.equipment.label(),
        french_classes: a.french_classes,
        solidarity_equipment: a.solidarity_equipment,
        can_do: a.can_do.clone(),
        to_learn: a.to_learn.iter().map(|d| d.label()).collect(),
        domains: SkillDomain::ALL
            .iter()
            .filter_map(|dom| {
                a.domains.get(dom).map(|l| DomainRow {
                    label: dom.label(),
                    level: l.label(),
                    good: *l >= DomainLevel::Basic,
                })
            })
            .collect(),
        overall: a.overall.map(|o| o.label()),
        search_link: orient_link(a, d.commune.as_deref()),
        search_fields: search_fields(a),
        commune: d.commune.clone().unwrap_or_default(),
        retest_on: d
            .retest_on
            .as_deref()
            .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(french::date),
        date: d
            .created_at
            .get(..10)
            .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(french::date)
            .unwrap_or_default(),
        // The person reads the test's name; the helper also its version.
        questionnaire: if alone {
            match a.questionnaire.as_str() {
                "court" => "test rapide".to_string(),
                "complet" => "questionnaire complet".to_string(),
                other => other.to_string(),
            }
        } else {
            format!("questionnaire {} v{}", a.questionnaire, a.version)
        },
        person: view
            .person
            .as_ref()
            .map(|p| (p.id.clone(), p.pseudonym.clone())),
        observations: d
            .observations
            .as_deref()
            .map(|o| o.lines().map(str::to_string).collect())
            .unwrap_or_default(),
        override_reason: a.computed_level.map(|c| {
            (
                c.label().to_string(),
                a.override_reason.clone().unwrap_or_default(),
            )
        }),
        rules: a.rules.clone(),
        steps: a
            .steps
            .iter()
            .map(|s| StepRow {
                label: s.step.label(),
                rule: s.step.rule(),
                for_: s.for_,
                against: s.against,
                blank: s.blank,
                reached: s.reached,
            })
            .collect(),
        blanks: view.blanks_that_matter.clone(),
        changes: view.changes.clone(),
        id: d.id.clone(),
        code: code.to_string(),
    }
}

pub(super) async fn alone_result(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Path(code): Path<String>,
    Query(flags): Query<Flags>,
) -> Result<Response, PageError> {
    if flags.pause {
        // Stopped: the code to come back, nothing computed yet.
        state.app.draft(client.key(), &code).await?;
        let mut page = empty_result(&viewer);
        page.paused = Some(code.clone());
        page.code = code;
        return Ok(with_read_aloud(render(&page)));
    }
    let view = state.app.diagnostic_of_draft(client.key(), &code).await?;
    Ok(with_read_aloud(render(&result_page(
        &viewer, &view, true, &code,
    ))))
}

pub(super) fn empty_result(viewer: &Viewer) -> ResultPage {
    ResultPage {
        chrome: Chrome::new("diagnostic", viewer),
        paused: None,
        alone: true,
        level_number: 0,
        level: "",
        definition: "",
        definition_for_you: "",
        search_fields: Vec::new(),
        commune: String::new(),
        next_step: "",
        need: "",
        equipment: "",
        french_classes: false,
        solidarity_equipment: false,
        can_do: Vec::new(),
        to_learn: Vec::new(),
        domains: Vec::new(),
        overall: None,
        search_link: String::new(),
        retest_on: None,
        date: String::new(),
        questionnaire: String::new(),
        person: None,
        observations: Vec::new(),
        override_reason: None,
        rules: Vec::new(),
        steps: Vec::new(),
        blanks: Vec::new(),
        changes: Vec::new(),
        id: String::new(),
        code: String::new(),
    }
}

pub(super) async fn guided_result(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = state.app.diagnostic_for(viewer.actor(), &id).await?;
    let mut r = render(&result_page(&viewer, &view, false, ""));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

// ----- guided -----

pub(super) struct DiagnosticRow {
    pub(super) id: String,
    pub(super) date: String,
    pub(super) level: &'static str,
    pub(super) person: Option<String>,
    pub(super) mode: &'static str,
}

pub(super) struct OrgBlock {
    pub(super) name: String,
    pub(super) diagnostics: Vec<DiagnosticRow>,
    pub(super) persons: Vec<(String, String)>,
    pub(super) stats: maillage_domain::diagnostic::DiagnosticStats,
    pub(super) levels: Vec<(&'static str, usize)>,
}

#[derive(Template)]
#[template(path = "diagnostic/diagnostics.html")]
pub(super) struct ListPage {
    pub(super) chrome: Chrome,
    pub(super) orgs: Vec<OrgBlock>,
    pub(super) erased: bool,
}

pub(super) async fn helper_list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(flags): Query<Flags>,
) -> Result<Response, PageError> {
    let orgs = state.app.diagnostics_of_helper(viewer.actor()).await?;
    let orgs = orgs
        .into_iter()
        .map(|(name, diagnostics, persons)| {
            let pseudonyms: std::collections::HashMap<String, String> = persons
                .iter()
                .map(|p| (p.id.clone(), p.pseudonym.clone()))
                .collect();
            let by_id: std::collections::HashMap<&str, &StoredDiagnostic> =
                diagnostics.iter().map(|d| (d.id.as_str(), d)).collect();
            let stats =
                maillage_domain::diagnostic::DiagnosticStats::of(diagnostics.iter().map(|d| {
                    (
                        &d.assessment,
                        d.mode == "seul",
                        d.previous_id
                            .as_deref()
                            .and_then(|p| by_id.get(p))
                            .map(|p| &p.assessment),
                    )
                }));
            OrgBlock {
                levels: Level::ALL
                    .iter()
                    .zip(stats.by_level)
                    .map(|(l, n)| (l.label(), n))
                    .collect(),
                stats,
                name,
                diagnostics: diagnostics
                    .iter()
                    .map(|d| DiagnosticRow {
                        id: d.id.clone(),
                        date: d.created_at.get(..10).unwrap_or_default().to_string(),
                        level: d.assessment.level.label(),
                        person: d
                            .person_id
                            .as_ref()
                            .and_then(|p| pseudonyms.get(p).cloned()),
                        mode: if d.mode == "seul" {
                            "seul"
                        } else {
                            "accompagné"
                        },
                    })
                    .collect(),
                persons: persons.into_iter().map(|p| (p.id, p.pseudonym)).collect(),
            }
        })
        .collect();
    Ok(render(&ListPage {
        chrome: Chrome::new("diagnostics", &viewer),
        orgs,
        erased: flags.erased,
    }))
}
