//! Watch pages: the news of the public platforms (filter by platform or procedure), an item's
//! page, the coordinators' form (urgent items leave at once), and each helper's subscription.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_domain::Vocabulary;
use maillage_domain::french;
use maillage_domain::policy::{Action, authorize};
use maillage_domain::watch::{Frequency, NewsForm, NewsItem, Platform};

use super::{Chrome, field, form_pairs, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::filters::Pairs;
use maillage_app::resources::Refused;
use maillage_app::today;

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
#[template(path = "watch.html")]
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
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let pairs = crate::filters::pairs(query.as_deref());
    let platform = Platform::from_slug(&field(&pairs, "plateforme"));
    let procedure = field(&pairs, "demarche");
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
        can_post: authorize(viewer.actor(), &Action::PostNews, today()).is_allowed(),
        signed_in: viewer.signed_in(),
        subscribed,
        message: match field(&pairs, "fait").as_str() {
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
#[template(path = "watch_item.html")]
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
        can_post: authorize(viewer.actor(), &Action::PostNews, today()).is_allowed(),
        item,
    }))
}

#[derive(Template)]
#[template(path = "watch_form.html")]
struct FormPage {
    chrome: Chrome,
    action: String,
    heading: &'static str,
    errors: Vec<(&'static str, String)>,
    values: Pairs,
    platforms: Vec<(&'static str, &'static str)>,
}

impl FormPage {
    fn value(&self, key: &str) -> String {
        field(&self.values, key)
    }
    fn has(&self, key: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == key && v == value)
    }
    fn error_of(&self, key: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn form_of(pairs: &Pairs) -> NewsForm {
    let text = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.replace("\r\n", "\n"))
            .unwrap_or_default()
    };
    NewsForm {
        title: field(pairs, "titre"),
        what_changed: text("ce_qui_change"),
        who: text("pour_qui"),
        what_to_say: text("quoi_dire"),
        links: text("liens"),
        platforms: pairs
            .iter()
            .filter(|(k, _)| k == "plateforme")
            .map(|(_, v)| v.clone())
            .collect(),
        procedures: text("demarches"),
        urgent: field(pairs, "urgent") == "1",
        effective: field(pairs, "date_effet"),
    }
}

fn values_of(item: &NewsItem) -> Pairs {
    let mut v: Pairs = vec![
        ("titre".into(), item.title.clone()),
        ("ce_qui_change".into(), item.what_changed.clone()),
        ("pour_qui".into(), item.who.clone()),
        ("quoi_dire".into(), item.what_to_say.clone()),
        ("liens".into(), item.links.join("\n")),
        ("demarches".into(), item.procedures.join(", ")),
        (
            "date_effet".into(),
            item.effective.map(|d| d.to_string()).unwrap_or_default(),
        ),
    ];
    if item.urgent {
        v.push(("urgent".into(), "1".into()));
    }
    v.extend(
        item.platforms
            .iter()
            .map(|p| ("plateforme".to_string(), p.slug().to_string())),
    );
    v
}

fn form_page(
    viewer: &Viewer,
    action: String,
    heading: &'static str,
    values: Pairs,
    errors: Vec<(&'static str, String)>,
) -> Response {
    let failed = !errors.is_empty();
    let mut r = render(&FormPage {
        chrome: Chrome::new("veille", viewer),
        action,
        heading,
        errors,
        values,
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

async fn new_form(viewer: Viewer) -> Result<Response, PageError> {
    maillage_app::allow(authorize(viewer.actor(), &Action::PostNews, today()))?;
    Ok(form_page(
        &viewer,
        "/veille/nouvelle".into(),
        "Publier une nouvelle de la veille",
        Vec::new(),
        Vec::new(),
    ))
}

async fn create(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = form_pairs(&body);
    let author = viewer
        .user
        .as_ref()
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    match state
        .app
        .post_news(viewer.actor(), &author, &form_of(&pairs))
        .await
    {
        Ok((_, told)) if field(&pairs, "urgent") == "1" => {
            Ok(Redirect::to(&format!("/veille?fait=urgente-{told}")).into_response())
        }
        Ok(_) => Ok(Redirect::to("/veille?fait=publiee").into_response()),
        Err(Refused::Form(errors)) => Ok(form_page(
            &viewer,
            "/veille/nouvelle".into(),
            "Publier une nouvelle de la veille",
            pairs,
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
    maillage_app::allow(authorize(viewer.actor(), &Action::PostNews, today()))?;
    let item = state.app.news_item(&id).await?;
    Ok(form_page(
        &viewer,
        format!("/veille/{id}/modifier"),
        "Modifier la nouvelle",
        values_of(&item),
        Vec::new(),
    ))
}

async fn update(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = form_pairs(&body);
    match state
        .app
        .edit_news(viewer.actor(), &id, &form_of(&pairs))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/veille/{id}")).into_response()),
        Err(Refused::Form(errors)) => Ok(form_page(
            &viewer,
            format!("/veille/{id}/modifier"),
            "Modifier la nouvelle",
            pairs,
            errors,
        )),
        Err(Refused::App(e)) => Err(e.into()),
    }
}

/// Sends every subscriber's digest now (a coordinator pushing this week's news early); the
/// next one still leaves on Monday, with what is new by then.
async fn send_now(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    maillage_app::allow(authorize(viewer.actor(), &Action::PostNews, today()))?;
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
#[template(path = "watch_subscription.html")]
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
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = form_pairs(&body);
    let message = if field(&pairs, "action") == "desabonner" {
        state.app.unsubscribe(viewer.actor()).await?;
        "Vous ne recevez plus la veille."
    } else {
        let platforms: Vec<Platform> = pairs
            .iter()
            .filter(|(k, _)| k == "plateforme")
            .filter_map(|(_, v)| Platform::from_slug(v))
            .collect();
        let frequency =
            Frequency::from_slug(&field(&pairs, "frequence")).unwrap_or(Frequency::Weekly);
        state
            .app
            .subscribe(
                viewer.actor(),
                platforms,
                frequency,
                field(&pairs, "urgent") == "1",
            )
            .await?;
        "Votre abonnement est enregistré."
    };
    subscription_page(&state, &viewer, Some(message)).await
}
