//! What the organiser sees: registrations, attendance, cancellation, CSV, calendars (iCalendar).

use super::*;

pub(super) struct RegRow {
    pub(super) id: String,
    pub(super) pseudonym: String,
    pub(super) contact: String,
    pub(super) status: &'static str,
    pub(super) registered: bool,
    pub(super) attended: Option<bool>,
}

#[derive(Template)]
#[template(path = "workshops/workshop_list.html")]
pub(super) struct OrganiserPage {
    pub(super) chrome: Chrome,
    pub(super) id: String,
    pub(super) title: String,
    pub(super) sessions: Vec<String>,
    pub(super) place: String,
    pub(super) rows: Vec<RegRow>,
    pub(super) registered: usize,
    pub(super) waiting: usize,
    pub(super) saved: bool,
    /// Sessions already held: (label, value for the record's link).
    pub(super) held: Vec<(String, String)>,
}

pub(super) async fn organiser_list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(flags): Query<Flags>,
) -> Result<Response, PageError> {
    let (stored, list) = state
        .app
        .workshop_registrations(viewer.actor(), &id)
        .await?;
    let w = &stored.workshop;
    let rows: Vec<RegRow> = list
        .iter()
        .filter(|r| r.status != RegistrationStatus::Cancelled)
        .map(|r| RegRow {
            id: r.id.clone(),
            pseudonym: r.pseudonym.clone(),
            contact: r.contact.clone().unwrap_or_default(),
            status: r.status.label(),
            registered: r.status == RegistrationStatus::Registered,
            attended: r.attended,
        })
        .collect();
    let mut page = render(&OrganiserPage {
        chrome: Chrome::new("ateliers", &viewer),
        id: w.id.clone(),
        title: w.title.clone(),
        sessions: sessions_text(w).lines().map(str::to_string).collect(),
        place: w.location.clone().unwrap_or_else(|| w.commune.clone()),
        registered: rows.iter().filter(|r| r.registered).count(),
        waiting: rows.iter().filter(|r| !r.registered).count(),
        rows,
        saved: flags.saved,
        held: w
            .sessions
            .iter()
            .filter(|s| s.start.date() <= maillage_app::today())
            .map(|s| {
                (
                    maillage_domain::orientation::session_phrase(s.start),
                    s.start.format("%Y-%m-%dT%H:%M").to_string(),
                )
            })
            .collect(),
    });
    page.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(page)
}

/// The registrations ticked present.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct Attendance {
    pub(super) present: Vec<String>,
}

pub(super) async fn attendance(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(attendance): Form<Attendance>,
) -> Result<Redirect, PageError> {
    state
        .app
        .take_attendance(viewer.actor(), &id, &attendance.present)
        .await?;
    Ok(Redirect::to(&format!(
        "/ateliers/{id}/inscrits?enregistre=1"
    )))
}

pub(super) async fn organiser_cancel(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let workshop = state.app.cancel_registration(viewer.actor(), &id).await?;
    Ok(Redirect::to(&format!("/ateliers/{workshop}/inscrits")))
}

pub(super) async fn organiser_csv(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (_, list) = state
        .app
        .workshop_registrations(viewer.actor(), &id)
        .await?;
    let write = || -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(vec![0xEF, 0xBB, 0xBF]);
        w.write_record([
            "prenom_ou_pseudonyme",
            "contact",
            "etat",
            "present",
            "inscrit_le",
        ])?;
        for r in &list {
            w.write_record(maillage_domain::spreadsheet::row([
                r.pseudonym.as_str(),
                r.contact.as_deref().unwrap_or(""),
                r.status.label(),
                match r.attended {
                    Some(true) => "oui",
                    Some(false) => "non",
                    None => "",
                },
                r.created_at.get(..10).unwrap_or_default(),
            ]))?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    };
    let bytes = write().map_err(|e| AppError::Invalid(format!("export CSV : {e}")))?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"inscrits.csv\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

pub(super) fn ics_response(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

pub(super) async fn ics_all(AxState(state): AxState<State>) -> Result<Response, PageError> {
    Ok(ics_response(
        state
            .app
            .workshops_ics(&WorkshopFilter::default(), "Ateliers du réseau")
            .await?,
    ))
}

pub(super) async fn ics_organisation(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let org = state
        .app
        .organisation(&id)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = WorkshopFilter {
        organisation_id: Some(id),
        ..Default::default()
    };
    Ok(ics_response(
        state
            .app
            .workshops_ics(&f, &format!("Ateliers — {}", org.name))
            .await?,
    ))
}

pub(super) async fn ics_place(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let place = state.app.place(&id).await?;
    let f = WorkshopFilter {
        place_id: Some(id),
        ..Default::default()
    };
    Ok(ics_response(
        state
            .app
            .workshops_ics(&f, &format!("Ateliers — {}", place.place.name))
            .await?,
    ))
}
