//! Signing in and out.

use super::*;

#[derive(Template)]
#[template(path = "accounts/login.html")]
pub(super) struct LoginPage {
    pub(super) chrome: Chrome,
    pub(super) error: Option<String>,
    pub(super) email: String,
}

pub(super) async fn login_form(viewer: Viewer) -> Response {
    render(&LoginPage {
        chrome: Chrome::new("connexion", &viewer),
        error: None,
        email: String::new(),
    })
}

/// The sign-in form (the password as typed).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct SignIn {
    pub(super) email: String,
    pub(super) password: Raw,
}

pub(super) async fn login(
    AxState(state): AxState<State>,
    client: auth::Client,
    Form(signing_in): Form<SignIn>,
) -> Result<Response, PageError> {
    let email = signing_in.email.to_lowercase();
    let password = signing_in.password.0;
    let account = format!("compte:{email}");
    let viewer = Viewer::default();
    let wait = state.limits.login.wait(client.key(), &account).await;
    if !wait.is_zero() {
        let mut r = render(&LoginPage {
            chrome: Chrome::new("connexion", &viewer),
            error: Some(format!(
                "Trop de tentatives de connexion. Attendez {} avant de réessayer.",
                french::duration(wait)
            )),
            email,
        });
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    match state.app.sign_in(&email, &password).await? {
        Some(user) => {
            state.limits.login.succeeded(client.key(), &account).await;
            let cookie = auth::open_session(&state, &user.id).await?;
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().insert(SET_COOKIE, cookie);
            Ok(r)
        }
        None => {
            state.limits.login.failed(client.key(), &account).await;
            let mut r = render(&LoginPage {
                chrome: Chrome::new("connexion", &viewer),
                error: Some("Adresse électronique ou mot de passe incorrect.".into()),
                email,
            });
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(r)
        }
    }
}

pub(super) async fn logout(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    if let Some(id) = &viewer.session_id {
        state.app.sign_out(id).await?;
    }
    let (name, value) = auth::clear_cookie(&state);
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(name, value);
    Ok(r)
}

// ----- create / edit -----
