//! The printable one-page slip of a place, for the person being oriented: where, when, how to
//! reach it, a QR code to its page, and blanks for the helper to fill in.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::response::Response;
use axum::routing::get;
use maillage_domain::Vocabulary;

use super::{Chrome, render, weekly_hours};
use crate::State;
use crate::app::AppError;
use crate::auth::Viewer;

pub fn routes() -> Router<State> {
    Router::new().route("/lieux/{id}/fiche-a-imprimer", get(slip))
}

#[derive(Template)]
#[template(path = "slip.html")]
struct SlipPage {
    chrome: Chrome,
    place: maillage_domain::Place,
    phone: Option<String>,
    week: Vec<(bool, String, String)>,
    services: String,
    fees: String,
    access: String,
    url: String,
    /// Inline SVG of the QR code (generated here, no user content in it).
    qr_svg: String,
    printed_on: String,
}

/// A QR code of `url` as an SVG element sized for print.
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build();
    // Drop the XML prolog: the SVG is embedded in the page.
    Some(match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    })
}

fn labels<V: Vocabulary>(values: &[V]) -> String {
    values
        .iter()
        .map(|v| v.label())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn slip(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let place = state.app.place(&id).await?.place;
    let (today, _, week) = weekly_hours(&place);
    let url = format!("{}/lieux/{}", state.app.public_url, place.id);
    Ok(render(&SlipPage {
        chrome: Chrome::new("", &viewer),
        phone: place
            .phone
            .as_deref()
            .map(maillage_domain::fields::phone_national),
        week,
        services: labels(&place.services),
        fees: labels(&place.fees),
        access: labels(&place.access_modes),
        qr_svg: qr_svg(&url).unwrap_or_default(),
        url,
        printed_on: today.format("%d/%m/%Y").to_string(),
        place,
    }))
}
