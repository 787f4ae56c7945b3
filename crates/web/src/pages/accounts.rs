//! Pages of one's account: change the password, sign out everywhere; a forgotten password reset
//! by an e-mail link.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use serde::Deserialize;

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::{self, Client, Viewer};
use crate::kit::input::{Done, Form, Query, Raw};
use maillage_app::AppError;
use maillage_app::accounts::FieldErrors;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/compte", get(account))
        .route("/compte/mot-de-passe", post(change_password))
        .route("/compte/deconnexion-partout", post(sign_out_everywhere))
        .route("/mot-de-passe-oublie", get(forgot_form).post(forgot_submit))
        .route("/mot-de-passe/{token}", get(reset_form).post(reset_submit))
}

/// The password change form (passwords as typed: spaces may be part of them).
#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordChange {
    #[serde(rename = "actuel")]
    current: Raw,
    #[serde(rename = "nouveau")]
    new: Raw,
    confirmation: Raw,
}

/// The forgotten password form.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Forgotten {
    email: String,
}

fn error_of<'a>(errors: &'a FieldErrors, field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, m)| m.as_str())
}

#[derive(Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    chrome: Chrome,
    email: String,
    errors: FieldErrors,
    /// « mot-de-passe » after a change.
    done: String,
}

impl AccountPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

async fn account(viewer: Viewer, Query(done): Query<Done>) -> Result<Response, PageError> {
    let user = viewer.user.clone().ok_or(AppError::SignInRequired)?;
    Ok(render(&AccountPage {
        chrome: Chrome::new("compte", &viewer),
        email: user.email,
        errors: Vec::new(),
        done: done.fait,
    }))
}

async fn change_password(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(form): Form<PasswordChange>,
) -> Result<Response, PageError> {
    match state
        .app
        .change_password(
            viewer.actor(),
            &form.current.0,
            &form.new.0,
            &form.confirmation.0,
        )
        .await?
    {
        Ok(()) => {
            // Every session was closed, this one too: a new one for this device.
            let user_id = viewer
                .actor()
                .map(|a| a.user_id.clone())
                .unwrap_or_default();
            let cookie = auth::open_session(&state, &user_id).await?;
            let mut r = Redirect::to("/compte?fait=mot-de-passe").into_response();
            r.headers_mut().insert(SET_COOKIE, cookie);
            Ok(r)
        }
        Err(errors) => {
            let mut r = render(&AccountPage {
                chrome: Chrome::new("compte", &viewer),
                email: viewer.user.map(|u| u.email).unwrap_or_default(),
                errors,
                done: String::new(),
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

async fn sign_out_everywhere(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    state.app.sign_out_everywhere(viewer.actor()).await?;
    let (name, value) = auth::clear_cookie(&state);
    let mut r = Redirect::to("/connexion").into_response();
    r.headers_mut().insert(name, value);
    Ok(r)
}

#[derive(Template)]
#[template(path = "accounts/password_forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    sent: bool,
    mail_enabled: bool,
}

async fn forgot_form(AxState(state): AxState<State>, viewer: Viewer) -> Response {
    render(&ForgotPage {
        chrome: Chrome::new("connexion", &viewer),
        sent: false,
        mail_enabled: state.app.mailer.is_enabled(),
    })
}

async fn forgot_submit(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: Client,
    Form(form): Form<Forgotten>,
) -> Result<Response, PageError> {
    state
        .app
        .request_password_reset(client.key(), &form.email)
        .await?;
    // The same answer whether the address has an account or not.
    Ok(render(&ForgotPage {
        chrome: Chrome::new("connexion", &viewer),
        sent: true,
        mail_enabled: state.app.mailer.is_enabled(),
    }))
}

#[derive(Template)]
#[template(path = "accounts/password_reset.html")]
struct ResetPage {
    chrome: Chrome,
    token: String,
    email: String,
    errors: FieldErrors,
}

impl ResetPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

async fn reset_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let user = state.app.password_reset_account(&token).await?;
    Ok(render(&ResetPage {
        chrome: Chrome::new("connexion", &viewer),
        token,
        email: user.email,
        errors: Vec::new(),
    }))
}

async fn reset_submit(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(form): Form<PasswordChange>,
) -> Result<Response, PageError> {
    match state
        .app
        .reset_password(&token, &form.new.0, &form.confirmation.0)
        .await?
    {
        Ok(user_id) => {
            let cookie = auth::open_session(&state, &user_id).await?;
            let mut r = Redirect::to("/compte?fait=reinitialise").into_response();
            r.headers_mut().insert(SET_COOKIE, cookie);
            Ok(r)
        }
        Err(errors) => {
            let user = state.app.password_reset_account(&token).await?;
            let mut r = render(&ResetPage {
                chrome: Chrome::new("connexion", &viewer),
                token,
                email: user.email,
                errors,
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}
