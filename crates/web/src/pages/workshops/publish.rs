//! The printable programme of a month, and the form that publishes a workshop.

use super::*;

pub(super) struct Day {
    pub(super) label: String,
    pub(super) items: Vec<(String, String, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "workshops/workshop_programme.html")]
pub(super) struct ProgrammePage {
    pub(super) chrome: Chrome,
    pub(super) month: String,
    pub(super) previous: String,
    pub(super) next: String,
    pub(super) scope: String,
    pub(super) query: String,
    pub(super) days: Vec<Day>,
}

/// The printable programme: a month (`2026-12`), of a structure or a place.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct ProgrammeQuery {
    #[serde(rename = "mois")]
    pub(super) month: String,
    #[serde(rename = "structure")]
    pub(super) organisation: String,
    #[serde(rename = "lieu")]
    pub(super) place: String,
}

/// The structure and the place of a workshop (or of a programme).
#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct Placement {
    #[serde(rename = "structure")]
    pub(super) organisation: String,
    #[serde(rename = "lieu")]
    pub(super) place: String,
}

pub(super) async fn programme(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<ProgrammeQuery>,
) -> Result<Response, PageError> {
    let today = today();
    let first = NaiveDate::parse_from_str(&format!("{}-01", asked.month), "%Y-%m-%d")
        .unwrap_or_else(|_| today.with_day(1).unwrap_or(today));
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let previous = first
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(first);
    let mut f = WorkshopFilter {
        from: Some(first),
        to: next.pred_opt(),
        ..Default::default()
    };
    let mut scope = "tout le réseau".to_string();
    let structure = asked.organisation;
    let lieu = asked.place;
    if !structure.is_empty() {
        if let Some(o) = state.app.organisation(&structure).await? {
            scope = o.name;
        }
        f.organisation_id = Some(structure.clone());
    }
    if !lieu.is_empty() {
        scope = state.app.place(&lieu).await?.place.name;
        f.place_id = Some(lieu.clone());
    }
    let mut by_day: std::collections::BTreeMap<
        NaiveDate,
        Vec<(String, String, String, &'static str)>,
    > = Default::default();
    for hit in state.app.find_workshops(&f).await? {
        let w = &hit.stored.workshop;
        for s in w
            .sessions
            .iter()
            .filter(|s| s.start.date() >= first && s.start.date() < next)
        {
            by_day.entry(s.start.date()).or_default().push((
                format!("{}–{}", s.start.format("%H:%M"), s.end.format("%H:%M")),
                w.title.clone(),
                hit.place_name
                    .clone()
                    .map(|p| format!("{p}, {}", w.commune))
                    .unwrap_or_else(|| w.commune.clone()),
                w.level_required.label(),
            ));
        }
    }
    let month_label = {
        let d = french::date(first);
        // « 1er décembre 2026 » → « décembre 2026 »
        d.split_once(' ').map(|(_, m)| m.to_string()).unwrap_or(d)
    };
    let keep: Vec<String> = [("structure", &structure), ("lieu", &lieu)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("&{k}={v}"))
        .collect();
    Ok(render(&ProgrammePage {
        chrome: Chrome::new("ateliers", &viewer),
        month: month_label,
        previous: previous.format("%Y-%m").to_string(),
        next: next.format("%Y-%m").to_string(),
        scope,
        query: keep.concat(),
        days: by_day
            .into_iter()
            .map(|(d, mut items)| {
                items.sort();
                Day {
                    label: french::date(d),
                    items,
                }
            })
            .collect(),
    }))
}

#[derive(Template)]
#[template(path = "workshops/workshop_form.html")]
pub(super) struct FormPage {
    pub(super) chrome: Chrome,
    pub(super) errors: Vec<(&'static str, String)>,
    pub(super) form: WorkshopForm,
    pub(super) placement: Placement,
    pub(super) themes: Vec<(&'static str, &'static str, bool)>,
    pub(super) levels: Vec<(&'static str, String)>,
    pub(super) formats: Vec<(&'static str, &'static str)>,
    pub(super) modes: Vec<(&'static str, &'static str)>,
    pub(super) organisations: Vec<(String, String)>,
}

impl FormPage {
    pub(super) fn error_of(&self, key: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

pub(super) async fn form_page(
    state: &State,
    viewer: &Viewer,
    (form, placement): (WorkshopForm, Placement),
    errors: Vec<(&'static str, String)>,
) -> Result<Response, PageError> {
    let actor = viewer.actor().ok_or(AppError::SignInRequired)?;
    let mut organisations = Vec::new();
    for o in state.app.organisations().await? {
        if actor.administrator || actor.is_coordinator() || actor.member_of(&o.id, today()) {
            organisations.push((o.id, o.name));
        }
    }
    let failed = !errors.is_empty();
    let chosen = &form.themes;
    let mut r = render(&FormPage {
        chrome: Chrome::new("ateliers", viewer),
        themes: MediationTheme::ALL
            .iter()
            .map(|t| (t.slug(), t.label(), chosen.iter().any(|c| c == t.slug())))
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| (l.slug(), format!("{} — {}", l.label(), l.definition())))
            .collect(),
        formats: WorkshopFormat::ALL
            .iter()
            .map(|f| (f.slug(), f.label()))
            .collect(),
        modes: RegistrationMode::ALL
            .iter()
            .map(|m| (m.slug(), m.label()))
            .collect(),
        organisations,
        errors,
        form,
        placement,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub(super) async fn new_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    form_page(
        &state,
        &viewer,
        (
            WorkshopForm {
                free: true,
                ..Default::default()
            },
            Placement::default(),
        ),
        Vec::new(),
    )
    .await
}

pub(super) async fn create(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: WorkshopForm = input::form(&body)?;
    let placement: Placement = input::form(&body)?;
    match form.validate("") {
        Ok(mut w) => {
            w.organisation_id = Some(placement.organisation.clone()).filter(|s| !s.is_empty());
            w.place_id = Some(placement.place.clone()).filter(|s| !s.is_empty());
            match state.app.publish_workshop(viewer.actor(), w).await {
                Ok(id) => Ok(Redirect::to(&format!("/ateliers/{id}")).into_response()),
                Err(AppError::Invalid(m)) => {
                    form_page(&state, &viewer, (form, placement), vec![("commune", m)]).await
                }
                Err(e) => Err(e.into()),
            }
        }
        Err(errors) => form_page(&state, &viewer, (form, placement), errors).await,
    }
}
