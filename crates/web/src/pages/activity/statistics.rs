//! The statistics: dashboard with its charts, printable report, downloads, public share links.

use super::*;
use crate::kit::charts::{bar_chart, column_chart};

/// One bar of a chart and its row of the table.
pub(super) struct Bar {
    pub(super) label: String,
    pub(super) value: String,
    pub(super) share: String,
    /// The count, for the bar drawn in the table (a `<meter>`, legible at any width).
    pub(super) count: u64,
}

/// A table of the dashboard: its chart and its data.
pub(super) struct Panel {
    pub(super) id: &'static str,
    pub(super) title: &'static str,
    pub(super) definition: &'static str,
    pub(super) svg: String,
    pub(super) bars: Vec<Bar>,
    /// The largest count of the table (the bars' scale).
    pub(super) max: u64,
    pub(super) empty: bool,
}

pub(super) fn panels(stats: &Statistics) -> Vec<Panel> {
    stats
        .tables
        .iter()
        .map(|t| Panel {
            id: t.indicator.id(),
            title: t.indicator.title(),
            definition: t.indicator.definition(),
            svg: if t.indicator == Indicator::ByMonth {
                column_chart(t)
            } else {
                bar_chart(t)
            },
            bars: t
                .rows
                .iter()
                .map(|r| Bar {
                    label: r.label.clone(),
                    value: french::number(r.value as f64),
                    share: format!("{} %", french::number(t.share(r.value))),
                    count: r.value,
                })
                .collect(),
            max: t.rows.iter().map(|r| r.value).max().unwrap_or(0).max(1),
            empty: t.rows.iter().all(|r| r.value == 0),
        })
        .collect()
}

pub(super) struct FigureView {
    pub(super) id: &'static str,
    pub(super) title: &'static str,
    pub(super) definition: &'static str,
    pub(super) value: String,
}

pub(super) fn figures(stats: &Statistics) -> Vec<FigureView> {
    stats
        .figures
        .iter()
        .map(|f| FigureView {
            id: f.indicator.id(),
            title: f.indicator.title(),
            definition: f.indicator.definition(),
            value: french::number(f.value),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "activity/statistics.html")]
pub(super) struct StatsPage {
    pub(super) chrome: Chrome,
    pub(super) heading: String,
    /// « du 1er janvier 2026 au 31 décembre 2026 · Atelier collectif ».
    pub(super) described: String,
    pub(super) figures: Vec<FigureView>,
    pub(super) panels: Vec<Panel>,
    /// The query string of the current filters, for downloads and the report.
    pub(super) query: String,
    /// Filter form (absent on the printed report and the public page).
    pub(super) controls: Option<Controls>,
    pub(super) printable: bool,
    pub(super) share: Option<ShareBox>,
    pub(super) generated: String,
}

pub(super) struct Controls {
    pub(super) scope: String,
    pub(super) scopes: Vec<Choice>,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) kinds: Vec<(String, String, bool)>,
    pub(super) themes: Vec<(String, String, bool)>,
    pub(super) levels: Vec<(String, String, bool)>,
    pub(super) communes: String,
    pub(super) tags: String,
    pub(super) places: Vec<(String, String, bool)>,
    pub(super) helpers: Vec<(String, String, bool)>,
    /// The records themselves may be exported (members of every structure in scope).
    pub(super) records_export: bool,
}

impl Controls {
    /// A filter beyond the period is in use: its box opens.
    pub(super) fn filtered(&self) -> bool {
        let any = |l: &[(String, String, bool)]| l.iter().any(|c| c.2);
        !self.communes.is_empty()
            || !self.tags.is_empty()
            || any(&self.kinds)
            || any(&self.themes)
            || any(&self.levels)
            || any(&self.places)
            || any(&self.helpers)
    }
}

pub(super) struct ShareBox {
    pub(super) organisation: String,
    pub(super) organisation_name: String,
    pub(super) shared: bool,
}

pub(crate) fn describe(filter: &Filter) -> String {
    let mut parts = Vec::new();
    match (filter.from, filter.to) {
        (Some(f), Some(t)) => parts.push(format!("du {} au {}", french::date(f), french::date(t))),
        (Some(f), None) => parts.push(format!("depuis le {}", french::date(f))),
        (None, Some(t)) => parts.push(format!("jusqu'au {}", french::date(t))),
        (None, None) => parts.push("toute la période".into()),
    }
    if !filter.kinds.is_empty() {
        parts.push(
            filter
                .kinds
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if !filter.themes.is_empty() {
        parts.push(
            filter
                .themes
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if !filter.levels.is_empty() {
        parts.push(format!(
            "niveau {}",
            filter
                .levels
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !filter.communes.is_empty() {
        parts.push(format!("commune(s) {}", filter.communes.join(", ")));
    }
    if !filter.tags.is_empty() {
        parts.push(format!("étiquette(s) {}", filter.tags.join(", ")));
    }
    parts.join(" · ")
}

pub(super) fn query_of(scope: &Scope, filter: &Filter) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("portee", scope.slug());
    for (k, v) in filter.to_pairs() {
        if k != "structure" {
            s.append_pair(k, &v);
        }
    }
    s.finish()
}

pub(super) async fn stats_for(
    state: &State,
    viewer: &Viewer,
    StatsQuery { scope, filter, .. }: StatsQuery,
) -> Result<(Scope, Filter, Statistics, String), AppError> {
    let heading = match &scope {
        Scope::Mine => "Mes statistiques".to_string(),
        Scope::Organisation(id) => format!(
            "Statistiques de {}",
            state
                .app
                .organisation(id)
                .await?
                .map(|o| o.name)
                .unwrap_or_default()
        ),
        Scope::Territory => "Statistiques du territoire".to_string(),
    };
    let stats = state
        .app
        .statistics(viewer.actor(), &scope, filter.clone())
        .await?;
    Ok((scope, filter, stats, heading))
}

pub(super) async fn dashboard(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Stats(asked): Stats,
) -> Result<Response, PageError> {
    let (scope, filter, stats, heading) = stats_for(&state, &viewer, asked).await?;
    let actor = viewer.actor().ok_or(AppError::SignInRequired)?;
    let visible = state.app.visible_organisations(Some(actor)).await?;
    let mut scopes = vec![
        ("moi".to_string(), "Mes activités".to_string()),
        (
            "territoire".to_string(),
            if actor.administrator {
                "Tout le réseau".to_string()
            } else {
                "Mes structures et mon territoire".to_string()
            },
        ),
    ];
    scopes.extend(visible.iter().map(|o| (o.id.clone(), o.name.clone())));
    let picked = |list: Vec<Choice>, chosen: &[String]| -> Vec<(String, String, bool)> {
        list.into_iter()
            .map(|(k, l)| {
                let on = chosen.contains(&k);
                (k, l, on)
            })
            .collect()
    };
    let places_table = stats.table(Indicator::Places);
    let helpers_table = stats.table(Indicator::Helpers);
    let entity = |t: Option<&Table>| -> Vec<Choice> {
        t.map(|t| {
            t.rows
                .iter()
                .filter(|r| !r.key.is_empty())
                .map(|r| (r.key.clone(), r.label.clone()))
                .collect()
        })
        .unwrap_or_default()
    };
    let share = match &scope {
        Scope::Organisation(id) if actor.member_of(id, today()) => Some(ShareBox {
            organisation: id.clone(),
            organisation_name: visible
                .iter()
                .find(|o| &o.id == id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            shared: state
                .app
                .has_share_link(Some(actor), id, SharePurpose::Statistics)
                .await?,
        }),
        _ => None,
    };
    let records_export = state
        .app
        .records_filter(viewer.actor(), &scope, filter.clone())
        .await
        .is_ok();
    let controls = Controls {
        records_export,
        scope: scope.slug().to_string(),
        scopes,
        from: filter.from.map(|d| d.to_string()).unwrap_or_default(),
        to: filter.to.map(|d| d.to_string()).unwrap_or_default(),
        kinds: picked(
            vocab::<ActivityKind>(),
            &filter
                .kinds
                .iter()
                .map(|k| k.slug().to_string())
                .collect::<Vec<_>>(),
        ),
        themes: picked(
            vocab::<MediationTheme>(),
            &filter
                .themes
                .iter()
                .map(|k| k.slug().to_string())
                .collect::<Vec<_>>(),
        ),
        levels: picked(
            levels(),
            &filter
                .levels
                .iter()
                .map(|k| k.slug().to_string())
                .collect::<Vec<_>>(),
        ),
        communes: filter.communes.join(", "),
        tags: filter.tags.join(", "),
        places: picked(entity(places_table), &filter.places),
        helpers: picked(entity(helpers_table), &filter.helpers),
    };
    Ok(render(&StatsPage {
        chrome: Chrome::new("statistiques", &viewer),
        heading,
        described: describe(&filter),
        figures: figures(&stats),
        panels: panels(&stats),
        query: query_of(&scope, &filter),
        controls: Some(controls),
        printable: false,
        share,
        generated: french::date(today()),
    }))
}

pub(super) async fn report(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Stats(asked): Stats,
) -> Result<Response, PageError> {
    let (scope, filter, stats, heading) = stats_for(&state, &viewer, asked).await?;
    Ok(render(&StatsPage {
        chrome: Chrome::new("statistiques", &viewer),
        heading: format!(
            "Rapport d'activité — {}",
            heading.trim_start_matches("Statistiques ")
        ),
        described: describe(&filter),
        figures: figures(&stats),
        panels: panels(&stats),
        query: query_of(&scope, &filter),
        controls: None,
        printable: true,
        share: None,
        generated: french::date(today()),
    }))
}

pub(super) async fn stats_xlsx(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Stats(asked): Stats,
) -> Result<Response, PageError> {
    let (_, filter, stats, heading) = stats_for(&state, &viewer, asked).await?;
    let bytes = maillage_app::activity::statistics_xlsx(
        &stats,
        &format!("{heading} — {}", describe(&filter)),
    )?;
    Ok(download(bytes, XLSX, "statistiques.xlsx"))
}

pub(super) async fn stats_csv(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Stats(asked): Stats,
) -> Result<Response, PageError> {
    let (_, _, stats, _) = stats_for(&state, &viewer, asked).await?;
    Ok(download(
        maillage_app::activity::statistics_csv(&stats)?,
        "text/csv; charset=utf-8",
        "statistiques.csv",
    ))
}

pub(super) async fn share(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(form): Form<maillage_app::activity::ShareForm>,
) -> Result<Response, PageError> {
    let Some(token) = state
        .app
        .apply_share(viewer.actor(), &form, SharePurpose::Statistics)
        .await?
    else {
        let back = form_urlencoded::Serializer::new(String::from("/statistiques?"))
            .append_pair("portee", &form.organisation)
            .finish();
        return Ok(Redirect::to(&back).into_response());
    };
    let link = format!("{}/statistiques/publiques/{token}", state.app.public_url);
    Ok(crate::pages::message_page_for(
        &viewer,
        "Lien public des statistiques",
        &format!(
            "Voici le lien à partager (il ne sera plus affiché) : {link} — il montre les chiffres agrégés de la structure, jamais les données d'une personne ni les noms des intervenants. Un nouveau lien remplace le précédent ; vous pouvez le retirer depuis la page des statistiques."
        ),
    ))
}

pub(super) async fn public_stats(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
    Stats(asked): Stats,
) -> Result<Response, PageError> {
    // The link's structure only: a scope in the query changes nothing.
    let filter = asked.filter;
    let (org, stats) = state.app.shared_statistics(&token, filter.clone()).await?;
    let mut r = render(&StatsPage {
        chrome: Chrome::new("", &viewer),
        heading: format!("Activité de {}", org.name),
        described: describe(&filter),
        figures: figures(&stats),
        panels: panels(&stats),
        query: String::new(),
        controls: None,
        printable: false,
        share: None,
        generated: french::date(today()),
    });
    r.headers_mut().insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    Ok(r)
}
