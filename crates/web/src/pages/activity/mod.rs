//! Activity pages: the list of the structure's records, the recording form (one screen on a
//! phone: the essentials first, details folded), a record with its edit form, duplicate and
//! delete, the import of past records with its per-cell report, the dashboards (helper,
//! structure, territory) with the same filters everywhere, their charts (SVG drawn here, each
//! with its data table), the printable report, XLSX/CSV downloads and the public share link.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, RawQuery, State as AxState};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_domain::Vocabulary;
use maillage_domain::activity::{
    ActivityForm, ActivityKind, AgeBracket, Autonomy, Equipment, Gender, ProcedureOutcome,
    ProcedureTheme, Redirection, SocialStatus, Venue, duration_phrase,
};
use maillage_domain::diagnostic::Level;
use maillage_domain::french;
use maillage_domain::indicators::SharePurpose;
use maillage_domain::indicators::{Filter, Indicator, Statistics, Table};
use maillage_domain::vocab::MediationTheme;

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{self, Form, Query, Stats};
use maillage_app::activity::StatsQuery;
use maillage_app::activity::{ImportReport, RecordInput, Scope};
use maillage_app::{AppError, today};
use serde::Deserialize;

mod import;
mod records;
mod statistics;

pub(crate) use import::*;
use records::*;
pub(crate) use statistics::*;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/activites", get(list))
        .route("/activites/nouvelle", get(new_form).post(create))
        .route(
            "/activites/import",
            get(import_page)
                .post(import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    maillage_app::limits::ACTIVITY_IMPORT_BYTES,
                )),
        )
        .route("/activites/modele.xlsx", get(template_xlsx))
        .route("/activites/modele.csv", get(template_csv))
        .route("/activites/export.csv", get(export_csv))
        .route("/activites/{id}", get(detail).post(update))
        .route("/activites/{id}/supprimer", post(delete))
        .route("/personnes/{id}/profil", post(profile))
        .route("/statistiques", get(dashboard))
        .route("/statistiques/rapport", get(report))
        .route("/statistiques/export.xlsx", get(stats_xlsx))
        .route("/statistiques/export.csv", get(stats_csv))
        .route("/statistiques/partage", post(share))
        .route("/statistiques/publiques/{token}", get(public_stats))
        .route("/indicateurs", get(indicators))
}

struct IndicatorRow {
    id: &'static str,
    title: &'static str,
    definition: &'static str,
}

#[derive(Template)]
#[template(path = "activity/indicators.html")]
struct IndicatorsPage {
    chrome: Chrome,
    figures: Vec<IndicatorRow>,
    tables: Vec<IndicatorRow>,
    mandates: Vec<IndicatorRow>,
    territory: Vec<IndicatorRow>,
}

/// Rows of a capability's indicators declared as (identifier, title, definition).
fn rows_of(indicators: &[(&'static str, &'static str, &'static str)]) -> Vec<IndicatorRow> {
    indicators
        .iter()
        .map(|&(id, title, definition)| IndicatorRow {
            id,
            title,
            definition,
        })
        .collect()
}

/// The definitions of the indicators (the same text as `docs/INDICATORS.md`).
async fn indicators(viewer: Viewer) -> Response {
    let row = |i: Indicator| IndicatorRow {
        id: i.id(),
        title: i.title(),
        definition: i.definition(),
    };
    render(&IndicatorsPage {
        chrome: Chrome::new("statistiques", &viewer),
        figures: Indicator::FIGURES.into_iter().map(row).collect(),
        tables: Indicator::TABLES.into_iter().map(row).collect(),
        mandates: rows_of(&maillage_domain::mandates::INDICATORS),
        territory: rows_of(
            &[
                &maillage_domain::territory::INDICATORS[..],
                &maillage_domain::surveys::INDICATORS[..],
            ]
            .concat(),
        ),
    })
}
