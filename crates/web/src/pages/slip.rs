//! The printable one-page slip of a place, for the person being oriented: where, when, how to
//! reach it, a QR code to its page, and blanks for the helper to fill in.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maillage_domain::Vocabulary;

use super::{Chrome, render, weekly_hours};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{Form, Query};
use maillage_app::AppError;
use maillage_app::mail::messages::{Message, PlaceSlip};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/lieux/{id}/fiche-a-imprimer", get(slip))
        .route("/lieux/{id}/fiche-a-imprimer/envoyer", post(send_slip))
}

#[derive(Template)]
#[template(path = "directory/slip.html")]
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
    /// The request the person came with (`?demande=`), its title and what to bring.
    request_id: String,
    request_title: Option<String>,
    bring: Vec<String>,
    /// The essentials in one short text (an SMS), to copy.
    short_text: String,
    sent: Option<String>,
    errors: Vec<(String, String)>,
    email: String,
    /// Where the person comes from, kept for the form that sends the slip.
    from: String,
    /// A sketch of the way from where the person lives to the place, when known.
    sketch: Option<Sketch>,
}

/// A sketch « à vol d'oiseau »: where the person starts, where the place is, the direction and
/// the distance. Coordinates are in the SVG's 320 × 160 box.
pub struct Sketch {
    pub ox: i32,
    pub oy: i32,
    pub px: i32,
    pub py: i32,
    pub distance: String,
    pub direction: &'static str,
    pub from: String,
}

/// The direction of `to` seen from `from`, in words, and the sketch's points.
pub fn sketch(
    from: maillage_domain::geo::GeoPoint,
    to: maillage_domain::geo::GeoPoint,
    from_label: &str,
) -> Sketch {
    let (lat1, lat2) = (from.lat.to_radians(), to.lat.to_radians());
    let dlon = (to.lon - from.lon).to_radians();
    let y = dlon.sin() * lat2.cos();
    let x = lat1.cos() * lat2.sin() - lat1.sin() * lat2.cos() * dlon.cos();
    let bearing = y.atan2(x);
    let degrees = (bearing.to_degrees() + 360.0) % 360.0;
    const WORDS: [&str; 8] = [
        "au nord",
        "au nord-est",
        "à l'est",
        "au sud-est",
        "au sud",
        "au sud-ouest",
        "à l'ouest",
        "au nord-ouest",
    ];
    let sector = (((degrees + 22.5) / 45.0).floor() as usize) % 8;
    let (dx, dy) = (bearing.sin() * 110.0, -bearing.cos() * 50.0);
    Sketch {
        ox: (160.0 - dx).round() as i32,
        oy: (85.0 - dy).round() as i32,
        px: (160.0 + dx).round() as i32,
        py: (85.0 + dy).round() as i32,
        distance: maillage_domain::orientation::distance_phrase(from.distance_m(to)),
        direction: WORDS.get(sector).copied().unwrap_or("près"),
        from: from_label.to_string(),
    }
}

/// Two SMS.
pub const SMS_LIMIT: usize = 306;

/// The essentials of a place in a short text: name, address, phone, days open, what to bring
/// as far as two SMS allow.
pub fn short_text(
    place: &maillage_domain::Place,
    phone: Option<&str>,
    week: &[(bool, String, String)],
    bring: &[String],
) -> String {
    let mut parts = vec![format!(
        "{}, {}, {} {}",
        place.name, place.address, place.postcode, place.commune
    )];
    if let Some(p) = phone {
        parts.push(format!("Tél. {p}"));
    }
    let open: Vec<String> = week
        .iter()
        .filter(|(_, _, hours)| hours.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|(_, day, hours)| {
            let day: String = day.chars().take(3).collect();
            format!("{day}. {hours}")
        })
        .collect();
    if !open.is_empty() {
        parts.push(format!("Ouvert {}", open.join(", ")));
    }
    // What to bring, as long as the whole stays within two SMS (306 characters in the GSM
    // alphabet with accents): the first items are the ones that matter most.
    let essentials = parts.join(". ");
    let mut items: Vec<String> = Vec::new();
    for b in bring {
        let item = b
            .split(['(', ':'])
            .next()
            .unwrap_or(b)
            .trim()
            .to_lowercase();
        let candidate = format!("{essentials}. Apporter : {}, {item}", items.join(", "));
        if candidate.chars().count() > SMS_LIMIT {
            break;
        }
        items.push(item);
    }
    if !items.is_empty() {
        parts.push(format!("Apporter : {}", items.join(", ")));
    }
    parts.join(". ")
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

/// The slip's query (and its e-mail form): the request it answers, where the person comes
/// from, and the address to send it to.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SlipAsked {
    #[serde(rename = "demande")]
    request: String,
    #[serde(rename = "pres_de")]
    from: String,
    #[serde(rename = "courriel")]
    email: String,
}

async fn slip(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(asked): Query<SlipAsked>,
) -> Result<Response, PageError> {
    let page = slip_page(&state, &viewer, &id, &asked.request, &asked.from).await?;
    Ok(render(&page))
}

async fn slip_page(
    state: &State,
    viewer: &Viewer,
    id: &str,
    request_id: &str,
    from: &str,
) -> Result<SlipPage, AppError> {
    let place = state.app.place(id).await?.place;
    let (today, _, week) = weekly_hours(&place);
    let url = format!("{}/lieux/{}", state.app.public_url, place.id);
    let catalogue = state.app.catalogue().await?;
    let entry = catalogue.entry(request_id);
    let bring = entry.map(|e| e.bring.clone()).unwrap_or_default();
    let phone = place
        .phone
        .as_deref()
        .map(maillage_domain::fields::phone_national);
    Ok(SlipPage {
        chrome: Chrome::new("", viewer),
        short_text: short_text(&place, phone.as_deref(), &week, &bring),
        phone,
        week,
        services: labels(&place.services),
        fees: labels(&place.fees),
        access: labels(&place.access_modes),
        qr_svg: qr_svg(&url).unwrap_or_default(),
        url,
        printed_on: today.format("%d/%m/%Y").to_string(),
        request_id: entry.map(|e| e.id.clone()).unwrap_or_default(),
        request_title: entry.map(|e| e.title.clone()),
        bring,
        sent: None,
        errors: Vec::new(),
        email: String::new(),
        from: from.to_string(),
        sketch: match (state.app.resolve_near(from).ok(), place.location) {
            (Some((origin, label)), Some(at)) if !from.trim().is_empty() => {
                Some(sketch(origin, at, &label))
            }
            _ => None,
        },
        place,
    })
}

/// Sends the slip by e-mail to the address the person gives, only if they want it: the
/// address is used for this message and kept nowhere.
async fn send_slip(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Path(id): Path<String>,
    Form(asked): Form<SlipAsked>,
) -> Result<Response, PageError> {
    let email = asked.email;
    let mut page = slip_page(&state, &viewer, &id, &asked.request, &asked.from).await?;
    match maillage_domain::fields::email(&email) {
        Err(why) => {
            page.errors
                .push(("courriel".into(), format!("Adresse e-mail : {why}")));
            page.email = email;
            let mut response = render(&page);
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
        Ok(address) if !state.limits.mail_allowed(client.key(), &address).await => {
            page.errors.push((
                "courriel".into(),
                "Beaucoup de fiches ont été envoyées depuis votre connexion ou à cette adresse : réessayez dans une heure, ou imprimez la fiche.".into(),
            ));
            page.email = email;
            let mut response = render(&page);
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return Ok(response);
        }
        Ok(address) => {
            let message = PlaceSlip {
                place: page.place.name.clone(),
                request: page.request_title.as_deref().map(str::to_lowercase),
                summary: page.short_text.clone(),
                week: page
                    .week
                    .iter()
                    .map(|(_, day, hours)| (day.clone(), hours.clone()))
                    .collect(),
                link: page.url.clone(),
            };
            let sent = match message.to(&address) {
                Some(mail) => state
                    .app
                    .mailer
                    .send(&mail)
                    .await
                    .map_err(|e| AppError::Invalid(format!("envoi impossible : {e}")))?,
                None => false,
            };
            page.sent = Some(if sent {
                "La fiche est envoyée. L'adresse n'est pas conservée.".into()
            } else {
                "Les courriels ne sont pas configurés sur ce serveur : imprimez la fiche ou copiez le texte.".into()
            });
        }
    }
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use maillage_domain::geo::GeoPoint;

    #[test]
    fn the_short_text_fits_two_sms_and_keeps_the_essentials() {
        let mut place = maillage_domain::Place::new(
            "p",
            "France Services de Nancy",
            "47 rue du Moulin",
            "54000",
            "Nancy",
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        );
        place.phone = Some("+33353015718".into());
        let week = vec![
            (false, "mardi 24".to_string(), "14 h – 18 h".to_string()),
            (false, "mercredi 25".to_string(), "fermé".to_string()),
            (
                false,
                "samedi 28".to_string(),
                "9 h 30 – 12 h 30".to_string(),
            ),
        ];
        let bring: Vec<String> = [
            "Le numéro d'allocataire (sur un courrier de la CAF)",
            "Une pièce d'identité en cours de validité",
            "Les justificatifs de ressources des trois derniers mois",
            "Un RIB",
            "Les identifiants du compte s'il existe déjà (à taper soi-même)",
            "Le dernier courrier reçu de la CAF, et tout autre papier utile à la démarche du jour",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let text = short_text(&place, Some("03 53 01 57 18"), &week, &bring);
        assert!(
            text.chars().count() <= SMS_LIMIT,
            "{} : {text}",
            text.chars().count()
        );
        assert!(text.starts_with("France Services de Nancy, 47 rue du Moulin, 54000 Nancy"));
        assert!(text.contains("Tél. 03 53 01 57 18"));
        assert!(text.contains("mar. 14 h – 18 h") && !text.contains("mer."));
        assert!(text.contains("Apporter : le numéro d'allocataire"));
    }

    #[test]
    fn the_sketch_says_the_direction_and_the_distance() {
        let nancy = GeoPoint::new(48.6921, 6.1844);
        let north = GeoPoint::new(48.7130, 6.1844);
        let k = sketch(nancy, north, "Nancy (54)");
        assert_eq!(k.direction, "au nord");
        assert_eq!(k.distance, "à 2,3 km");
        assert!(k.py < k.oy, "the place is drawn above");
        let west = sketch(nancy, GeoPoint::new(48.6921, 6.10), "Nancy (54)");
        assert_eq!(west.direction, "à l'ouest");
        assert!(west.px < west.ox);
        let south_east = sketch(nancy, GeoPoint::new(48.65, 6.25), "Nancy (54)");
        assert_eq!(south_east.direction, "au sud-est");
    }
}
