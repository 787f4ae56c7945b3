//! Referral pages: the form (consent first, the minimum shared), the list of a structure's
//! referrals sent and received, a referral with its answer form, history and journey; the pages
//! opened by a link (a receiver without account answers, the person gives or refuses consent);
//! the coordinators' flows.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maillage_app::StoredReferral;
use maillage_domain::Vocabulary;
use maillage_domain::diagnostic::Level;
use maillage_domain::referrals::{DeclineReason, Event, Outcome, ReferralForm, ReferralStatus};

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{Done, Form, Query};
use maillage_app::AppError;
use maillage_app::referrals::{AnswerForm, Flows, ReferralView, SendForm};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/orientations", get(list))
        .route("/orientations/nouvelle", get(new_form).post(send))
        .route("/orientations/flux", get(flows))
        .route("/orientations/{id}", get(detail).post(answer))
        .route("/orientations/{id}/export", get(export))
        .route(
            "/orientations/reponse/{token}",
            get(link_page).post(link_answer),
        )
        .route(
            "/orientations/accord/{token}",
            get(consent_page).post(consent_answer),
        )
}

type Choice = (String, String);

fn vocab<V: Vocabulary>() -> Vec<Choice> {
    V::ALL
        .iter()
        .map(|v| (v.slug().to_string(), v.label().to_string()))
        .collect()
}

struct Row {
    id: String,
    person: String,
    request: String,
    other: String,
    received: bool,
    status: String,
    date: String,
}

fn row(r: &StoredReferral, received: bool, from_name: &str) -> Row {
    Row {
        id: r.id.clone(),
        person: r
            .person_label
            .clone()
            .unwrap_or_else(|| "(données effacées)".into()),
        request: r.request_title.clone(),
        other: if received {
            from_name.to_string()
        } else {
            r.to_name.clone()
        },
        received,
        status: r.status.label().to_string(),
        date: r.created_at.chars().take(10).collect(),
    }
}

#[derive(Template)]
#[template(path = "referrals/referrals.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    message: Option<String>,
}

async fn list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let all = state.app.my_referrals(viewer.actor.as_ref()).await?;
    let mut rows = Vec::new();
    for (r, received) in &all {
        let from = match &r.from_organisation_id {
            Some(o) => state
                .app
                .organisation(o)
                .await?
                .map(|o| o.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        rows.push(row(r, *received, &from));
    }
    Ok(render(&ListPage {
        chrome: Chrome::new("orientations", &viewer),
        rows,
        message: (done.fait == "envoyee")
            .then(|| "L'orientation est enregistrée ; la structure est prévenue (ou la personne, pour son accord).".to_string()),
    }))
}

#[derive(Template)]
#[template(path = "referrals/referral_form.html")]
struct FormPage {
    chrome: Chrome,
    place_id: String,
    place_name: String,
    on_maillage: bool,
    request_id: String,
    request_title: String,
    level: String,
    level_label: String,
    constraints: String,
    journey: String,
    form: ReferralForm,
    organisations: Vec<Choice>,
    organisation: String,
    errors: Vec<(String, String)>,
}

async fn form_page(
    state: &State,
    viewer: &Viewer,
    sent: &SendForm,
    form: ReferralForm,
    errors: Vec<(String, String)>,
) -> Result<FormPage, AppError> {
    let actor = viewer.actor.as_ref().ok_or(AppError::SignInRequired)?;
    let place = state.app.place(&sent.place_id).await?;
    let catalogue = state.app.catalogue().await?;
    let request_id = sent.request_id.clone();
    let request_title = catalogue
        .entry(&request_id)
        .map(|e| e.title.clone())
        .unwrap_or_else(|| sent.request_title.clone());
    let level = sent.level.clone();
    let mut organisations = Vec::new();
    for m in actor
        .memberships
        .iter()
        .filter(|m| m.in_force(maillage_app::today()))
    {
        if let Some(o) = state.app.organisation(&m.organisation_id).await? {
            organisations.push((o.id, o.name));
        }
    }
    Ok(FormPage {
        chrome: Chrome::new("orientations", viewer),
        place_id: place.place.id.clone(),
        place_name: place.place.name.clone(),
        on_maillage: place.organisation_id.is_some(),
        request_id,
        request_title,
        level_label: Level::parse(&level)
            .map(|l| l.label().to_string())
            .unwrap_or_default(),
        level,
        constraints: sent.constraints.clone(),
        journey: sent.journey_id.clone(),
        form,
        organisations,
        organisation: sent.organisation_id.clone(),
        errors,
    })
}

async fn new_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(sent): Query<SendForm>,
) -> Result<Response, PageError> {
    let page = form_page(
        &state,
        &viewer,
        &sent,
        ReferralForm {
            consent: "orale".into(),
            ..ReferralForm::default()
        },
        Vec::new(),
    )
    .await?;
    Ok(render(&page))
}

async fn send(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(sent): Form<SendForm>,
) -> Result<Response, PageError> {
    let form = sent.form();
    let out = sent.outgoing();
    match state.app.send_referral(viewer.actor.as_ref(), &out).await? {
        Ok(_) => Ok(Redirect::to("/orientations?fait=envoyee").into_response()),
        Err(errors) => {
            let errors = errors
                .into_iter()
                .map(|(f, why)| (f.to_string(), why))
                .collect();
            let mut response = render(&form_page(&state, &viewer, &sent, form, errors).await?);
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

struct Step {
    at: String,
    status: String,
    actor: String,
}

struct Hop {
    id: String,
    to: String,
    status: String,
    date: String,
}

#[derive(Template)]
#[template(path = "referrals/referral.html")]
struct DetailPage {
    chrome: Chrome,
    r: StoredReferral,
    from_name: String,
    level: String,
    status: String,
    consent: String,
    decline: String,
    outcome: String,
    steps: Vec<Step>,
    journey: Vec<Hop>,
    may_answer: bool,
    is_sender: bool,
    can_take: bool,
    can_decline: bool,
    can_no_show: bool,
    can_close: bool,
    can_withdraw: bool,
    /// The sender may send it again (a new link for a receiver without account).
    can_resend: bool,
    reasons: Vec<Choice>,
    outcomes: Vec<Choice>,
    /// The answer form posts here (a page, or a link without account).
    action: String,
    error: Option<String>,
}

fn detail_page(
    chrome: Chrome,
    v: ReferralView,
    action: String,
    error: Option<String>,
) -> DetailPage {
    use maillage_domain::referrals::next;
    let r = v.referral;
    let can = |e: Event| next(r.status, &e).is_ok();
    DetailPage {
        chrome,
        from_name: v.from_name,
        level: r
            .shared
            .level
            .as_deref()
            .and_then(Level::from_slug)
            .map(|l| l.label().to_string())
            .unwrap_or_default(),
        status: r.status.label().to_string(),
        consent: match &r.consent {
            maillage_domain::referrals::Consent::Oral { explained } => {
                format!("Accord oral confirmé par l'aidant. Expliqué : « {explained} »")
            }
            maillage_domain::referrals::Consent::Link => {
                "Accord donné par la personne elle-même (lien)".to_string()
            }
        },
        decline: r
            .decline_reason
            .map(|d| d.label().to_string())
            .unwrap_or_default(),
        outcome: r.outcome.map(|o| o.label().to_string()).unwrap_or_default(),
        steps: v
            .events
            .iter()
            .map(|e| Step {
                at: e.at.replace('T', " ").trim_end_matches('Z').to_string(),
                status: e.status.label().to_string(),
                actor: e.actor.clone(),
            })
            .collect(),
        journey: v
            .journey
            .iter()
            .map(|j| Hop {
                id: j.id.clone(),
                to: j.to_name.clone(),
                status: j.status.label().to_string(),
                date: j.created_at.chars().take(10).collect(),
            })
            .collect(),
        may_answer: v.may_answer,
        is_sender: v.is_sender,
        can_take: v.may_answer && can(Event::TakeInCharge),
        can_decline: v.may_answer
            && can(Event::Decline {
                reason: DeclineReason::Other,
            }),
        can_no_show: v.may_answer && can(Event::NoShow),
        can_close: v.may_answer
            && can(Event::Close {
                outcome: Outcome::Other,
            }),
        can_withdraw: (v.is_sender || v.may_answer) && can(Event::Withdraw),
        can_resend: v.is_sender && r.status.awaits_answer(),
        reasons: vocab::<DeclineReason>(),
        outcomes: vocab::<Outcome>(),
        action,
        error,
        r,
    }
}

async fn detail(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let v = state.app.referral_view(viewer.actor.as_ref(), &id).await?;
    Ok(render(&detail_page(
        Chrome::new("orientations", &viewer),
        v,
        format!("/orientations/{id}"),
        None,
    )))
}

async fn answer(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(answer): Form<AnswerForm>,
) -> Result<Response, PageError> {
    if answer.action == "relancer" {
        state
            .app
            .resend_referral(viewer.actor.as_ref(), &id)
            .await?;
        return Ok(Redirect::to(&format!("/orientations/{id}")).into_response());
    }
    let result = match answer.event() {
        Ok(e) => state
            .app
            .answer_referral(viewer.actor.as_ref(), &id, e, Some(&answer.partner))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/orientations/{id}")).into_response()),
        Err(AppError::Invalid(why)) => {
            let v = state.app.referral_view(viewer.actor.as_ref(), &id).await?;
            let mut response = render(&detail_page(
                Chrome::new("orientations", &viewer),
                v,
                format!("/orientations/{id}"),
                Some(why),
            ));
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

/// The person's data for the person (JSON, not cached).
async fn export(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    use axum::http::{HeaderValue, header};
    let data = state.app.journey_export(viewer.actor.as_ref(), &id).await?;
    let mut r = axum::Json(data).into_response();
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"parcours-personne.json\""),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// A referral seen through a receiver's link (no account): the same page, answering by link.
async fn link_view(state: &State, token: &str) -> Result<ReferralView, AppError> {
    let r = state.app.referral_by_link(token, "reponse").await?;
    let from_name = match &r.from_organisation_id {
        Some(o) => state
            .app
            .organisation(o)
            .await?
            .map(|o| o.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let r = if r.status == ReferralStatus::Sent {
        state.app.answer_by_link(token, Event::Opened, None).await?
    } else {
        r
    };
    Ok(ReferralView {
        events: state.app.referral_events_by_link(token).await?,
        journey: Vec::new(),
        from_name,
        referral: r,
        may_answer: true,
        is_sender: false,
    })
}

async fn link_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let v = link_view(&state, &token).await?;
    let mut page = detail_page(
        Chrome::new("", &viewer),
        v,
        format!("/orientations/reponse/{token}"),
        None,
    );
    page.can_withdraw = false;
    Ok(render(&page))
}

async fn link_answer(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(answer): Form<AnswerForm>,
) -> Result<Response, PageError> {
    let r = state
        .app
        .answer_by_link(&token, answer.event()?, Some(&answer.partner))
        .await?;
    Ok(super::message_page_for(
        &viewer,
        "Réponse enregistrée",
        &format!(
            "L'orientation est maintenant : {}. La structure qui a orienté la personne en est informée. Merci.",
            r.status.label().to_lowercase()
        ),
    ))
}

#[derive(Template)]
#[template(path = "referrals/referral_consent.html")]
struct ConsentPage {
    chrome: Chrome,
    person: String,
    request: String,
    to: String,
    note: bool,
    token: String,
}

async fn consent_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let r = state.app.referral_by_link(&token, "accord").await?;
    Ok(render(&ConsentPage {
        chrome: Chrome::new("", &viewer),
        person: r.person_label.clone().unwrap_or_default(),
        request: r.request_title.clone(),
        to: r.to_name.clone(),
        note: r.shared.note.is_some(),
        token,
    }))
}

/// The person's answer through their consent link: `accord=oui` or not.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Consent {
    #[serde(rename = "accord")]
    agrees: bool,
}

async fn consent_answer(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(consent): Form<Consent>,
) -> Result<Response, PageError> {
    if consent.agrees {
        let r = state.app.confirm_consent(&token).await?;
        Ok(super::message_page_for(
            &viewer,
            "Merci, votre accord est enregistré",
            &format!(
                "{} a reçu votre demande et vous contactera. Pour retirer votre accord, adressez-vous à la structure qui vous a orienté : ce qui a été transmis sera effacé.",
                r.to_name
            ),
        ))
    } else {
        state.app.refuse_consent(&token).await?;
        Ok(super::message_page_for(
            &viewer,
            "C'est noté",
            "Rien n'a été transmis, et votre prénom et votre contact sont effacés.",
        ))
    }
}

#[derive(Template)]
#[template(path = "referrals/referral_flows.html")]
struct FlowsPage {
    chrome: Chrome,
    flows: Flows,
    rate: String,
}

async fn flows(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    let flows = state.app.referral_flows(viewer.actor.as_ref()).await?;
    Ok(render(&FlowsPage {
        chrome: Chrome::new("orientations", &viewer),
        rate: flows
            .acceptance_rate
            .map(|r| format!("{:.0} %", r * 100.0))
            .unwrap_or_else(|| "—".into()),
        flows,
    }))
}
