//! Mandate pages (issue #19): the structure's desk, the form recorded with the person on a phone
//! by keyboard, a mandate with its acts and the form to record one, the printable one-page
//! attestation (QR codes to check it and for the person's link, the fingerprint), the printable
//! revocation, the habilitations of a structure (coordinators), the person's own page opened by
//! their link, and the public check of an attestation.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_app::AppError;
use maillage_app::mandates::{
    ActForm, ActView, AttestationCheck, HabilitationForm, HabilitationLine, MandateDesk,
    MandateView, PersonSpace, RevokeForm, TowardAutonomy,
};
use maillage_domain::Vocabulary;
use maillage_domain::mandates::{
    ActManner, ConsentMode, Demarche, MandateDuration, MandateForm, MandateStatus, grouped,
};

use super::slip::qr_svg;
use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{Form, Query};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/mandats", get(desk))
        .route("/mandats/nouveau", get(new_form).post(record))
        .route("/mandats/verifier/{id}", get(check))
        .route(
            "/mandats/habilitations/{organisation}",
            get(habilitations).post(change_habilitation),
        )
        .route("/mandats/{id}", get(mandate))
        .route("/mandats/{id}/actes", post(act))
        .route("/mandats/{id}/revocation", get(revocation).post(revoke))
        .route("/mandats/{id}/attestation", get(attestation))
        .route("/mandats/{id}/lien", post(new_link))
        .route("/structures/{organisation}/consultations", get(access_log))
        .route("/mon-mandat/{token}", get(person_page))
        .route("/mon-mandat/{token}/accord", post(person_consent))
        .route("/mon-mandat/{token}/arret", post(person_stop))
}

type Choice = (String, String, String);

fn demarche_choices(offered: &[Demarche]) -> Vec<Choice> {
    offered
        .iter()
        .map(|d| {
            (
                d.slug().to_string(),
                d.label().to_string(),
                d.examples().to_string(),
            )
        })
        .collect()
}

/// `?structure=…&fait=…`: the desk's query.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct DeskQuery {
    structure: String,
    fait: String,
}

#[derive(Template)]
#[template(path = "mandates/desk.html")]
struct DeskPage {
    chrome: Chrome,
    switch: super::StructureSwitch,
    switch_path: &'static str,
    desk: MandateDesk,
    active: Vec<MandateView>,
    ended: Vec<MandateView>,
    message: Option<String>,
}

async fn desk(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(q): Query<DeskQuery>,
) -> Result<Response, PageError> {
    let switch = super::StructureSwitch::of(&state, &viewer, &q.structure).await?;
    let desk = state
        .app
        .mandate_desk(viewer.actor.as_ref(), switch.wanted())
        .await?;
    let (active, ended) = desk.mandates.iter().cloned().partition(|m| {
        matches!(
            m.status,
            MandateStatus::Active | MandateStatus::AwaitingConsent
        )
    });
    Ok(render(&DeskPage {
        chrome: Chrome::new("mandats", &viewer),
        switch,
        switch_path: "/mandats",
        desk,
        active,
        ended,
        message: (q.fait == "habilitations")
            .then(|| "Les habilitations sont enregistrées.".to_string()),
    }))
}

/// `?personne=…&renouvelle=…&structure=…`: who the form starts from.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct StartQuery {
    personne: String,
    renouvelle: String,
    structure: String,
}

#[derive(Template)]
#[template(path = "mandates/form.html")]
struct FormPage {
    chrome: Chrome,
    organisation_name: String,
    form: MandateForm,
    demarches: Vec<Choice>,
    durations: Vec<(String, String)>,
    consents: Vec<(String, String)>,
    /// Sent once: a second submission of the same form records nothing more.
    form_key: String,
    errors: Vec<(String, String)>,
}

async fn form_page(
    state: &State,
    viewer: &Viewer,
    form: MandateForm,
    form_key: String,
    errors: Vec<(String, String)>,
) -> Result<FormPage, AppError> {
    let desk = state
        .app
        .mandate_desk(
            viewer.actor.as_ref(),
            Some(form.organisation_id.as_str()).filter(|s| !s.is_empty()),
        )
        .await?;
    if !desk.may_act {
        return Err(AppError::Forbidden(
            "seuls les aidants habilités de la structure enregistrent des mandats : demandez l'habilitation à votre coordinateur",
        ));
    }
    Ok(FormPage {
        chrome: Chrome::new("mandats", viewer),
        organisation_name: desk.organisation.name.clone(),
        form: MandateForm {
            organisation_id: desk.organisation.id.clone(),
            ..form
        },
        demarches: demarche_choices(&desk.offered),
        durations: MandateDuration::ALL
            .iter()
            .map(|d| (d.slug().to_string(), d.label().to_string()))
            .collect(),
        consents: ConsentMode::ALL
            .iter()
            .map(|c| (c.slug().to_string(), c.label().to_string()))
            .collect(),
        form_key,
        errors,
    })
}

fn new_key() -> String {
    maillage_app::mandates::new_form_key()
}

async fn new_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(q): Query<StartQuery>,
) -> Result<Response, PageError> {
    let mut form = MandateForm {
        duration: MandateDuration::Year.slug().into(),
        consent: ConsentMode::Screen.slug().into(),
        person_id: q.personne.clone(),
        organisation_id: q.structure.clone(),
        ..Default::default()
    };
    if !q.renouvelle.is_empty() {
        // Renewal in one step: everything as before, the person reads and agrees again.
        let old = state
            .app
            .mandate_view(viewer.actor.as_ref(), &q.renouvelle)
            .await?;
        form.person_name = old.person_name.clone();
        form.contact = match old.contact.as_deref() {
            Some(c) if c.starts_with('+') => maillage_domain::fields::phone_national(c),
            Some(c) => c.to_string(),
            None => String::new(),
        };
        form.demarches = old.demarches.clone();
        form.duration = old.duration.clone();
        form.renews = old.id.clone();
        form.organisation_id = old.organisation_id.clone();
    }
    Ok(render(
        &form_page(&state, &viewer, form, new_key(), Vec::new()).await?,
    ))
}

async fn record(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(sent): Form<MandateForm>,
) -> Result<Response, PageError> {
    let key = Some(sent.form_key.as_str()).filter(|k| !k.is_empty() && k.len() <= 64);
    match state
        .app
        .record_mandate(viewer.actor.as_ref(), &sent, key)
        .await?
    {
        Ok(recorded) => match recorded.link_token {
            // The attestation with the person's link, given now only (stored as its hash).
            Some(token) => {
                let view = state
                    .app
                    .mandate_view(viewer.actor.as_ref(), &recorded.mandate_id)
                    .await?;
                Ok(render(&attestation_page(
                    &state,
                    &viewer,
                    view,
                    Some(token),
                    true,
                )))
            }
            None => Ok(
                Redirect::to(&format!("/mandats/{}/attestation", recorded.mandate_id))
                    .into_response(),
            ),
        },
        Err(errors) => {
            let errors = errors
                .into_iter()
                .map(|(f, why)| (f.to_string(), why))
                .collect();
            let mut response =
                render(&form_page(&state, &viewer, sent.clone(), sent.form_key, errors).await?);
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[derive(Template)]
#[template(path = "mandates/attestation.html")]
struct AttestationPage {
    chrome: Chrome,
    m: MandateView,
    paragraphs: Vec<String>,
    fingerprint: String,
    check_url: String,
    check_qr: String,
    /// The person's link, when just given.
    person_url: Option<String>,
    person_qr: String,
    just_recorded: bool,
    paper: bool,
}

fn attestation_page(
    state: &State,
    viewer: &Viewer,
    m: MandateView,
    token: Option<String>,
    just_recorded: bool,
) -> AttestationPage {
    let base = state.app.public_url.trim_end_matches('/');
    let check_url = format!(
        "{base}/mandats/verifier/{}?empreinte={}",
        m.id, m.fingerprint
    );
    let person_url = token.map(|t| format!("{base}/mon-mandat/{t}"));
    AttestationPage {
        chrome: Chrome::new("mandats", viewer),
        paragraphs: m.text.lines().map(str::to_string).collect(),
        fingerprint: grouped(&m.fingerprint),
        check_qr: qr_svg(&check_url).unwrap_or_default(),
        person_qr: person_url.as_deref().and_then(qr_svg).unwrap_or_default(),
        check_url,
        person_url,
        just_recorded,
        paper: m.consent_mode == ConsentMode::Paper.slug(),
        m,
    }
}

async fn attestation(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = state.app.mandate_view(viewer.actor.as_ref(), &id).await?;
    Ok(render(&attestation_page(
        &state, &viewer, view, None, false,
    )))
}

async fn new_link(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let token = state
        .app
        .renew_person_link(viewer.actor.as_ref(), &id)
        .await?;
    let view = state.app.mandate_view(viewer.actor.as_ref(), &id).await?;
    Ok(render(&attestation_page(
        &state,
        &viewer,
        view,
        Some(token),
        false,
    )))
}

/// `?fait=…&demarche=…`: what was just done on a mandate's page.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct MandateQuery {
    fait: String,
    acte: String,
    demarche: String,
    masque: bool,
}

#[derive(Template)]
#[template(path = "mandates/mandate.html")]
struct MandatePageT {
    chrome: Chrome,
    m: MandateView,
    acts: Vec<ActView>,
    may_act: bool,
    usable: Vec<(String, String)>,
    manners: Vec<(String, String)>,
    act: ActForm,
    errors: Vec<(String, String)>,
    message: Option<String>,
    autonomy: TowardAutonomy,
    replaced_labels: Vec<&'static str>,
    /// The act just noted, to count it in the structure's activity.
    act_done: String,
    /// Activity records of démarches done under it: (id, day in French).
    records: Vec<(String, String)>,
}

async fn mandate_page(
    state: &State,
    viewer: &Viewer,
    id: &str,
    act: ActForm,
    errors: Vec<(String, String)>,
    message: Option<String>,
    autonomy: TowardAutonomy,
) -> Result<MandatePageT, AppError> {
    let page = state.app.mandate_page(viewer.actor.as_ref(), id).await?;
    Ok(MandatePageT {
        chrome: Chrome::new("mandats", viewer),
        replaced_labels: page
            .mandate
            .replaced
            .iter()
            .filter_map(|d| Demarche::from_slug(d))
            .map(Demarche::label)
            .collect(),
        records: page
            .records
            .iter()
            .map(|(id, day)| {
                let text = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .map(maillage_domain::french::date)
                    .unwrap_or_else(|_| day.clone());
                (id.clone(), text)
            })
            .collect(),
        act_done: String::new(),
        m: page.mandate,
        acts: page.acts,
        may_act: page.may_act,
        usable: page
            .usable
            .iter()
            .map(|d| (d.slug().to_string(), d.label().to_string()))
            .collect(),
        manners: ActManner::ALL
            .iter()
            .map(|m| (m.slug().to_string(), m.label().to_string()))
            .collect(),
        act,
        errors,
        message,
        autonomy,
    })
}

async fn mandate(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<MandateQuery>,
) -> Result<Response, PageError> {
    let message = match q.fait.as_str() {
        "acte" if q.masque => Some("La démarche est notée. Ce qui ressemblait à un mot de passe ou à un numéro personnel a été masqué : rien de tel n'est gardé.".to_string()),
        "acte" => Some("La démarche est notée dans le journal du mandat.".to_string()),
        "lien" => Some("Un nouveau lien personnel a été donné ; l'ancien ne marche plus.".to_string()),
        _ => None,
    };
    // After an act done in the person's place: what could teach them to do it alone.
    let autonomy = match Demarche::from_slug(&q.demarche) {
        Some(d) if q.fait == "acte" => state.app.toward_autonomy(d).await?,
        _ => TowardAutonomy::default(),
    };
    let act = ActForm {
        manner: ActManner::With.slug().into(),
        ..Default::default()
    };
    let mut page = mandate_page(&state, &viewer, &id, act, Vec::new(), message, autonomy).await?;
    // Only an act of this mandate is offered to be counted (the id comes from the address).
    if q.fait == "acte" && page.acts.iter().any(|a| a.id == q.acte) {
        page.act_done = q.acte;
    }
    Ok(render(&page))
}

async fn act(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<ActForm>,
) -> Result<Response, PageError> {
    match state
        .app
        .record_act(viewer.actor.as_ref(), &id, &form)
        .await
    {
        Ok(Ok((act, masked, autonomy))) => {
            let in_place = autonomy.demarche.map(|d| d.slug()).unwrap_or_default();
            Ok(Redirect::to(&format!(
                "/mandats/{id}?fait=acte&acte={act}&demarche={in_place}&masque={}#autonomie",
                if masked { "oui" } else { "non" }
            ))
            .into_response())
        }
        Ok(Err(errors)) => {
            let errors = errors
                .into_iter()
                .map(|(f, why)| (f.to_string(), why))
                .collect();
            let mut response = render(
                &mandate_page(
                    &state,
                    &viewer,
                    &id,
                    form,
                    errors,
                    None,
                    TowardAutonomy::default(),
                )
                .await?,
            );
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        // A refused use (revoked, expired, not covered): said on the page, with the reason.
        Err(AppError::Invalid(reason)) => {
            let mut response = render(
                &mandate_page(
                    &state,
                    &viewer,
                    &id,
                    form,
                    vec![("demarche".into(), reason)],
                    None,
                    TowardAutonomy::default(),
                )
                .await?,
            );
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, PageError> {
    state
        .app
        .revoke_mandate(viewer.actor.as_ref(), &id, &form)
        .await?;
    Ok(Redirect::to(&format!("/mandats/{id}/revocation")).into_response())
}

#[derive(Template)]
#[template(path = "mandates/revocation.html")]
struct RevocationPage {
    chrome: Chrome,
    m: MandateView,
    revoked_on: String,
    by: String,
}

async fn revocation(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let m = state.app.mandate_view(viewer.actor.as_ref(), &id).await?;
    let Some(at) = m.revoked_at.clone() else {
        return Ok(Redirect::to(&format!("/mandats/{id}")).into_response());
    };
    Ok(render(&RevocationPage {
        chrome: Chrome::new("mandats", &viewer),
        revoked_on: french_time(&at),
        by: m
            .revoked_by
            .as_deref()
            .and_then(maillage_domain::mandates::RevokedBy::from_slug)
            .map(|b| b.label().to_string())
            .unwrap_or_default(),
        m,
    }))
}

fn french_time(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s).map_or_else(
        |_| s.to_string(),
        |t| maillage_domain::french::date(t.with_timezone(&chrono_tz::Europe::Paris).date_naive()),
    )
}

#[derive(Template)]
#[template(path = "mandates/habilitations.html")]
struct HabilitationsPage {
    chrome: Chrome,
    organisation_id: String,
    organisation_name: String,
    lines: Vec<HabilitationLine>,
    demarches: Vec<Choice>,
    offered: Vec<String>,
    errors: Vec<(String, String)>,
    today: String,
    data_referent: Option<String>,
}

async fn habilitations_page(
    state: &State,
    viewer: &Viewer,
    organisation: &str,
    errors: Vec<(String, String)>,
) -> Result<HabilitationsPage, AppError> {
    let (org, lines, offered) = state
        .app
        .habilitations(viewer.actor.as_ref(), organisation)
        .await?;
    Ok(HabilitationsPage {
        chrome: Chrome::new("mandats", viewer),
        organisation_id: org.id,
        organisation_name: org.name,
        lines,
        demarches: demarche_choices(Demarche::ALL),
        offered: offered.iter().map(|d| d.slug().to_string()).collect(),
        errors,
        today: maillage_app::today().to_string(),
        data_referent: state.app.data_referent_name(organisation).await?,
    })
}

async fn habilitations(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(organisation): Path<String>,
) -> Result<Response, PageError> {
    Ok(render(
        &habilitations_page(&state, &viewer, &organisation, Vec::new()).await?,
    ))
}

async fn change_habilitation(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(organisation): Path<String>,
    Form(change): Form<HabilitationForm>,
) -> Result<Response, PageError> {
    if change.action == "referent" {
        state
            .app
            .appoint_data_referent(viewer.actor.as_ref(), &organisation, &change.user_id)
            .await?;
        return Ok(Redirect::to(&format!("/mandats/habilitations/{organisation}")).into_response());
    }
    if change.action == "offre" {
        state
            .app
            .set_mandate_offers(viewer.actor.as_ref(), &organisation, &change.demarches)
            .await?;
        return Ok(Redirect::to(&format!("/mandats/habilitations/{organisation}")).into_response());
    }
    match state
        .app
        .change_habilitation(viewer.actor.as_ref(), &organisation, &change)
        .await?
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/mandats/habilitations/{organisation}")).into_response())
        }
        Err(errors) => {
            let errors = errors
                .into_iter()
                .map(|(f, why)| (f.to_string(), why))
                .collect();
            let mut response =
                render(&habilitations_page(&state, &viewer, &organisation, errors).await?);
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[derive(Template)]
#[template(path = "mandates/person.html")]
struct PersonPage {
    chrome: Chrome,
    token: String,
    space: PersonSpace,
    message: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct PersonQuery {
    fait: String,
}

async fn person_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
    Query(q): Query<PersonQuery>,
) -> Result<Response, PageError> {
    let space = state.app.person_space(&token).await?;
    Ok(render(&PersonPage {
        chrome: Chrome::new("", &viewer),
        token,
        space,
        message: match q.fait.as_str() {
            "accord" => Some("Merci : votre accord est enregistré. Le mandat est actif.".into()),
            "arret" => Some("C'est fait : le mandat est arrêté. Plus personne ne peut faire de démarche en votre nom avec lui.".into()),
            _ => None,
        },
    }))
}

/// The mandate a person answers about on their page.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct PersonChoice {
    mandat: String,
}

async fn person_consent(
    AxState(state): AxState<State>,
    Path(token): Path<String>,
    Form(choice): Form<PersonChoice>,
) -> Result<Response, PageError> {
    state.app.person_consents(&token, &choice.mandat).await?;
    Ok(Redirect::to(&format!("/mon-mandat/{token}?fait=accord")).into_response())
}

async fn person_stop(
    AxState(state): AxState<State>,
    Path(token): Path<String>,
    Form(choice): Form<PersonChoice>,
) -> Result<Response, PageError> {
    state.app.person_revokes(&token, &choice.mandat).await?;
    Ok(Redirect::to(&format!("/mon-mandat/{token}?fait=arret")).into_response())
}

#[derive(Template)]
#[template(path = "mandates/check.html")]
struct CheckPage {
    chrome: Chrome,
    check: AttestationCheck,
    demarches: Vec<&'static str>,
    starts_on: String,
    last_day: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct CheckQuery {
    empreinte: String,
}

async fn check(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<CheckQuery>,
) -> Result<Response, PageError> {
    let check = state.app.check_attestation(&id, &q.empreinte).await?;
    let day = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_or_else(|_| s.to_string(), maillage_domain::french::date)
    };
    Ok(render(&CheckPage {
        chrome: Chrome::new("", &viewer),
        demarches: check
            .demarches
            .iter()
            .filter_map(|d| Demarche::from_slug(d))
            .map(Demarche::label)
            .collect(),
        starts_on: day(&check.starts_on),
        last_day: day(&check.last_day),
        check,
    }))
}

#[derive(Template)]
#[template(path = "mandates/access_log.html")]
struct AccessLogPage {
    chrome: Chrome,
    organisation_name: String,
    lines: Vec<(String, String, &'static str, String)>,
    kept: String,
}

/// Who opened which followed person, diagnostic or mandate: the structure's referent for
/// personal data.
async fn access_log(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(organisation): Path<String>,
) -> Result<Response, PageError> {
    let (org, lines) = state
        .app
        .access_log(viewer.actor.as_ref(), &organisation)
        .await?;
    let link = |kind: &str, id: &str| match kind {
        "personne" => format!("/personnes/{id}"),
        "diagnostic" => format!("/diagnostics/{id}"),
        _ => format!("/mandats/{id}"),
    };
    Ok(render(&AccessLogPage {
        chrome: Chrome::new("mandats", &viewer),
        organisation_name: org.name,
        lines: lines
            .iter()
            .map(|l| {
                (
                    french_time(&l.at) + " " + l.at.get(11..16).unwrap_or_default(),
                    l.user_name
                        .clone()
                        .unwrap_or_else(|| "(compte supprimé)".into()),
                    match l.kind.as_str() {
                        "personne" => "la fiche d'une personne suivie",
                        "diagnostic" => "un diagnostic",
                        _ => "un mandat",
                    },
                    link(&l.kind, &l.object_id),
                )
            })
            .collect(),
        kept: state
            .app
            .retention()
            .phrase(maillage_domain::retention::Kept::AccessLog),
    }))
}
