//! Diagnostic pages. **Alone** (no account): one question per screen, large choices with
//! pictograms, read-aloud where the browser can, stop and resume with a code, a result in plain
//! words printable on one page. **Guided** (a helper, member of a structure): the full
//! questionnaire on one page with observations, the level the helper may override, a followed
//! person with their consent or anonymous, re-tests compared side by side.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_app::StoredDiagnostic;
use maillage_domain::diagnostic::{
    Change, DomainLevel, LearningCapacity, Level, Questionnaire, SkillDomain,
};
use maillage_domain::french;

use serde::Deserialize;

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{self, Flags, Form, Query};
use maillage_app::AppError;
use maillage_app::diagnostic::{DiagnosticView, GuidedInput};

mod alone;
mod guided;
mod persons;
mod questionnaires;
mod results;

use alone::*;
use guided::*;
use persons::*;
use questionnaires::*;
use results::*;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/diagnostic", get(home))
        .route("/diagnostic/commencer", post(start))
        .route("/diagnostic/reprendre", post(resume))
        .route(
            "/diagnostic/seul/{code}/{n}",
            get(question_page).post(answer),
        )
        .route("/diagnostic/seul/{code}/resultat", get(alone_result))
        .route("/diagnostics", get(helper_list))
        .route("/diagnostics/nouveau", get(guided_form).post(guided_submit))
        .route("/diagnostics/{id}", get(guided_result))
        .route("/personnes/{id}", get(person_page))
        .route("/personnes/{id}/export", get(person_export))
        .route("/personnes/{id}/effacer", post(person_erase))
        .route(
            "/diagnostic/questionnaires",
            get(questionnaires_page).post(adapt_questionnaire),
        )
        .route("/static/lecture.js", get(crate::assets::read_aloud_script))
}

/// Inline pictograms (decorative: the text says everything).
pub fn pictogram(name: &str) -> &'static str {
    match name {
        "appareils" | "smartphone" | "tablette" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><rect x="14" y="4" width="20" height="40" rx="3" fill="none" stroke="currentColor" stroke-width="3"/><circle cx="24" cy="38" r="2"/></svg>"#
        }
        "ordinateur" | "portable" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><rect x="6" y="8" width="36" height="24" rx="2" fill="none" stroke="currentColor" stroke-width="3"/><path d="M2 38h44" stroke="currentColor" stroke-width="4"/></svg>"#
        }
        "main" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><path d="M18 26V8a3 3 0 0 1 6 0v14M24 22v-4a3 3 0 0 1 6 0v6M30 22a3 3 0 0 1 6 0v8c0 8-5 14-12 14s-12-6-14-10l-2-6a3 3 0 0 1 5-2l4 5" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round"/></svg>"#
        }
        "globe" | "wifi" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><circle cx="24" cy="24" r="18" fill="none" stroke="currentColor" stroke-width="3"/><path d="M6 24h36M24 6c-8 10-8 26 0 36M24 6c8 10 8 26 0 36" fill="none" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        "enveloppe" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><rect x="5" y="10" width="38" height="28" rx="2" fill="none" stroke="currentColor" stroke-width="3"/><path d="M5 12l19 15 19-15" fill="none" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        "papiers" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><path d="M12 4h18l8 8v32H12z" fill="none" stroke="currentColor" stroke-width="3"/><path d="M18 22h14M18 29h14M18 36h10" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        "livre" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><path d="M24 12c-5-4-12-4-18-2v28c6-2 13-2 18 2 5-4 12-4 18-2V10c-6-2-13-2-18 2zM24 12v28" fill="none" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        "ampoule" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><path d="M24 4a13 13 0 0 0-7 24v6h14v-6A13 13 0 0 0 24 4zM18 40h12M20 45h8" fill="none" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        "visage" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><circle cx="24" cy="24" r="19" fill="none" stroke="currentColor" stroke-width="3"/><circle cx="17" cy="20" r="2.5"/><circle cx="31" cy="20" r="2.5"/><path d="M15 30c5 6 13 6 18 0" fill="none" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        _ => "",
    }
}

/// The alone pages run one script (read-aloud), served by Maillage; everything else is HTML.
fn with_read_aloud(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    r
}

// ----- alone -----
