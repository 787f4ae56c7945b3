//! Watch pages: the news of the public platforms (filter by platform or procedure), an item's
//! page, the coordinators' form (urgent items leave at once), and each helper's subscription.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_domain::Vocabulary;
use maillage_domain::french;
use maillage_domain::policy::Action;
use maillage_domain::watch::{Frequency, NewsForm, NewsItem, Platform};

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{Done, Form, Query};
use maillage_app::resources::Refused;
use maillage_app::watch::{NewsQuery, SubscriptionForm};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/veille", get(list))
        .route("/veille/nouvelle", get(new_form).post(create))
        .route("/veille/abonnement", get(subscription).post(subscribe))
        .route("/veille/envoyer", post(send_now))
        .route("/veille/{id}", get(detail))
        .route("/veille/{id}/modifier", get(edit_form).post(update))
        .route("/veille/{id}/supprimer", post(delete))
}

struct Row {
    id: String,
    title: String,
    platforms: String,
    published: String,
    urgent: bool,
    what_to_say: String,
}

fn published_label(item: &NewsItem) -> String {
    chrono::DateTime::parse_from_rfc3339(&item.published_at)
        .map(|d| french::date(d.date_naive()))
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "watch/watch.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    platforms: Vec<(&'static str, &'static str, bool)>,
    procedure: String,
    can_post: bool,
    signed_in: bool,
    subscribed: Option<String>,
    message: Option<String>,
}

async fn list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<NewsQuery>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    // The page ignores an unknown platform (an old link): every platform then.
    let platform = asked.platform().unwrap_or_default();
    let procedure = asked.procedure;
    let items = state.app.news(platform, Some(&procedure)).await?;
    let subscribed = if viewer.signed_in() {
        state.app.subscription(viewer.actor()).await?.map(|s| {
            if s.platforms.is_empty() {
                "toutes les plateformes".to_string()
            } else {
                super::vocab_labels(&s.platforms)
            }
        })
    } else {
        None
    };
    let mut r = render(&ListPage {
        chrome: Chrome::new("veille", &viewer),
        rows: items
            .iter()
            .map(|i| Row {
                id: i.id.clone(),
                title: i.title.clone(),
                platforms: i.platforms_label(),
                published: published_label(i),
                urgent: i.urgent,
                what_to_say: i.what_to_say.clone(),
            })
            .collect(),
        platforms: Platform::ALL
            .iter()
            .map(|p| (p.slug(), p.label(), platform == Some(*p)))
            .collect(),
        procedure,
        can_post: state.app.may(viewer.actor(), &Action::PostNews),
        signed_in: viewer.signed_in(),
        subscribed,
        message: match done.fait.as_str() {
            "publiee" => Some("La nouvelle est publiée.".to_string()),
            "supprimee" => Some("La nouvelle est supprimée.".to_string()),
            other => other
                .strip_prefix("urgente-")
                .and_then(|n| n.parse::<usize>().ok())
                .map(|n| format!("La nouvelle urgente est publiée et envoyée à {n} abonné(s).")),
        },
    });
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("cookie"));
    Ok(r)
}

#[derive(Template)]
#[template(path = "watch/watch_item.html")]
struct DetailPage {
    chrome: Chrome,
    item: NewsItem,
    platforms: String,
    published: String,
    effective: Option<String>,
    can_post: bool,
}

async fn detail(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let item = state.app.news_item(&id).await?;
    Ok(render(&DetailPage {
        chrome: Chrome::new("veille", &viewer),
        platforms: item.platforms_label(),
        published: published_label(&item),
        effective: item.effective.map(french::date),
        can_post: state.app.may(viewer.actor(), &Action::PostNews),
        item,
    }))
}

#[derive(Template)]
#[template(path = "watch/watch_form.html")]
struct FormPage {
    chrome: Chrome,
    action: String,
    heading: &'static str,
    errors: Vec<(&'static str, String)>,
    form: NewsForm,
    platforms: Vec<(&'static str, &'static str)>,
}

impl FormPage {
    fn has(&self, list: &[String], value: &str) -> bool {
        list.iter().any(|v| v == value)
    }
    fn error_of(&self, key: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn form_page(
    viewer: &Viewer,
    action: String,
    heading: &'static str,
    form: NewsForm,
    errors: Vec<(&'static str, String)>,
) -> Response {
    let failed = !errors.is_empty();
    let mut r = render(&FormPage {
        chrome: Chrome::new("veille", viewer),
        action,
        heading,
        errors,
        form,
        platforms: Platform::ALL
            .iter()
            .map(|p| (p.slug(), p.label()))
            .collect(),
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn new_form(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    state.app.check(viewer.actor(), &Action::PostNews)?;
    Ok(form_page(
        &viewer,
        "/veille/nouvelle".into(),
        "Publier une nouvelle de la veille",
        NewsForm::default(),
        Vec::new(),
    ))
}

async fn create(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(form): Form<NewsForm>,
) -> Result<Response, PageError> {
    let author = viewer
        .user
        .as_ref()
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    match state.app.post_news(viewer.actor(), &author, &form).await {
        Ok((_, told)) if form.urgent => {
            Ok(Redirect::to(&format!("/veille?fait=urgente-{told}")).into_response())
        }
        Ok(_) => Ok(Redirect::to("/veille?fait=publiee").into_response()),
        Err(Refused::Form(errors)) => Ok(form_page(
            &viewer,
            "/veille/nouvelle".into(),
            "Publier une nouvelle de la veille",
            form,
            errors,
        )),
        Err(Refused::App(e)) => Err(e.into()),
    }
}

async fn edit_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    state.app.check(viewer.actor(), &Action::PostNews)?;
    let item = state.app.news_item(&id).await?;
    Ok(form_page(
        &viewer,
        format!("/veille/{id}/modifier"),
        "Modifier la nouvelle",
        NewsForm::of(&item),
        Vec::new(),
    ))
}

async fn update(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<NewsForm>,
) -> Result<Response, PageError> {
    match state.app.edit_news(viewer.actor(), &id, &form).await {
        Ok(()) => Ok(Redirect::to(&format!("/veille/{id}")).into_response()),
        Err(Refused::Form(errors)) => Ok(form_page(
            &viewer,
            format!("/veille/{id}/modifier"),
            "Modifier la nouvelle",
            form,
            errors,
        )),
        Err(Refused::App(e)) => Err(e.into()),
    }
}

/// Sends every subscriber's digest now (a coordinator pushing this week's news early); the
/// next one still leaves on Monday, with what is new by then.
async fn send_now(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    state.app.check(viewer.actor(), &Action::PostNews)?;
    let n = state.app.send_digests(chrono::Utc::now(), true).await?;
    Ok(Redirect::to(&format!("/veille?fait=resumes-{n}")).into_response())
}

async fn delete(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    state.app.delete_news(viewer.actor(), &id).await?;
    Ok(Redirect::to("/veille?fait=supprimee").into_response())
}

#[derive(Template)]
#[template(path = "watch/watch_subscription.html")]
struct SubscriptionPage {
    chrome: Chrome,
    platforms: Vec<(&'static str, &'static str, bool)>,
    subscribed: bool,
    weekly: bool,
    urgent: bool,
    next_digest: Option<String>,
    email_enabled: bool,
    message: Option<&'static str>,
}

async fn subscription_page(
    state: &State,
    viewer: &Viewer,
    message: Option<&'static str>,
) -> Result<Response, PageError> {
    let current = state.app.subscription(viewer.actor()).await?;
    let chosen = |p: &Platform| current.as_ref().is_some_and(|s| s.platforms.contains(p));
    Ok(render(&SubscriptionPage {
        chrome: Chrome::new("veille", viewer),
        platforms: Platform::ALL
            .iter()
            .map(|p| (p.slug(), p.label(), chosen(p)))
            .collect(),
        subscribed: current.is_some(),
        weekly: current
            .as_ref()
            .is_none_or(|s| s.frequency == Frequency::Weekly),
        urgent: current.as_ref().is_none_or(|s| s.urgent_at_once),
        next_digest: current
            .as_ref()
            .and_then(|s| s.next_digest_at.as_deref())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| {
                let local = t.with_timezone(&chrono_tz::Europe::Paris);
                format!(
                    "{} à {}",
                    french::date(local.date_naive()),
                    local.format("%H h %M")
                )
            }),
        email_enabled: state.app.mailer.is_enabled(),
        message,
    }))
}

async fn subscription(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    subscription_page(&state, &viewer, None).await
}

async fn subscribe(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(form): Form<SubscriptionForm>,
) -> Result<Response, PageError> {
    let message = if form.unsubscribes() {
        state.app.unsubscribe(viewer.actor()).await?;
        "Vous ne recevez plus la veille."
    } else {
        state
            .app
            .subscribe(
                viewer.actor(),
                form.platforms(),
                form.frequency(),
                form.urgent,
            )
            .await?;
        "Votre abonnement est enregistré."
    };
    subscription_page(&state, &viewer, Some(message)).await
}
