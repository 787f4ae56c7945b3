//! The administration: accounts and structures.

use super::*;

/// A keeping delay, as the administration and the privacy page show it.
pub(crate) struct RetentionRow {
    pub(crate) what: &'static str,
    pub(crate) delay: String,
    pub(crate) from_when: &'static str,
    pub(crate) variable: String,
    pub(crate) bounds: String,
}

pub(crate) fn retention_rows(r: &maillage_domain::retention::Retention) -> Vec<RetentionRow> {
    use maillage_domain::retention::{Kept, phrase};
    Kept::ALL
        .into_iter()
        .map(|k| {
            let (low, high) = k.bounds();
            RetentionRow {
                what: k.what(),
                delay: r.phrase(k),
                from_when: k.from_when(),
                variable: maillage_app::retention::variable(k),
                bounds: format!("de {} à {}", phrase(low, k.unit()), phrase(high, k.unit())),
            }
        })
        .collect()
}

/// A periodic job and its last run.
pub(super) struct JobRow {
    pub(super) key: &'static str,
    pub(super) label: &'static str,
    pub(super) when: String,
    pub(super) outcome: String,
}

/// `2026-12-04T05:00:00Z` as « 4 décembre 2026 à 06:00 » (Paris time).
fn french_stamp(stamp: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(stamp) {
        Ok(t) => {
            let t = t.with_timezone(&chrono_tz::Europe::Paris);
            format!("{} à {}", french::date(t.date_naive()), t.format("%H:%M"))
        }
        Err(_) => stamp.to_string(),
    }
}

#[derive(Template)]
#[template(path = "accounts/admin.html")]
pub(super) struct AdminPage {
    pub(super) chrome: Chrome,
    pub(super) retention: Vec<RetentionRow>,
    pub(super) jobs: Vec<JobRow>,
    pub(super) message: Option<String>,
    pub(super) error: Option<String>,
    pub(super) users: Vec<(String, String, String, String)>,
    pub(super) organisations: Vec<(String, String)>,
}

pub(super) async fn admin_view(
    state: &State,
    viewer: &Viewer,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let (accounts, orgs) = state.app.accounts(viewer.actor()).await?;
    let mut users = Vec::new();
    for maillage_app::accounts::Account { user: u, actor } in accounts {
        let scope = actor
            .territory
            .iter()
            .map(|t| t.code().to_string())
            .chain(actor.memberships.iter().map(|m| {
                orgs.iter()
                    .find(|o| o.id == m.organisation_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_else(|| m.organisation_id.clone())
            }))
            .collect::<Vec<_>>()
            .join(", ");
        users.push((
            u.display_name,
            u.email,
            actor.role_label().to_string(),
            scope,
        ));
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let jobs = state
        .app
        .scheduled_jobs(viewer.actor())
        .await?
        .into_iter()
        .map(|s| JobRow {
            key: s.job.key(),
            label: s.job.label(),
            when: s
                .last
                .as_ref()
                .map(|r| french_stamp(&r.claimed_at))
                .unwrap_or_else(|| "pas encore".into()),
            outcome: match &s.last {
                None => String::new(),
                Some(r) => match (r.ok, &r.summary) {
                    (None, _) => "en cours (ou interrompue)".into(),
                    (Some(true), Some(s)) => s.clone(),
                    (Some(true), None) => "faite".into(),
                    (Some(false), s) => format!("échec : {}", s.clone().unwrap_or_default()),
                },
            },
        })
        .collect();
    let mut r = render(&AdminPage {
        chrome: Chrome::new("admin", viewer),
        retention: retention_rows(state.app.retention()),
        jobs,
        message,
        error,
        users,
        organisations: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
    });
    *r.status_mut() = status;
    Ok(r)
}

pub(super) async fn admin_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    admin_view(&state, &viewer, None, None).await
}

/// The administration's account form: `role` is `aidant` (member of `structure`),
/// `coordinateur` (of `territoire`: départements or INSEE codes) or `admin`.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct AccountForm {
    pub(super) email: String,
    pub(super) name: String,
    pub(super) password: Raw,
    pub(super) role: String,
    #[serde(rename = "territoire")]
    pub(super) territory: String,
    #[serde(rename = "structure")]
    pub(super) organisation: String,
}

pub(super) async fn admin_create_user(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(asked): Form<AccountForm>,
) -> Result<Response, PageError> {
    state.app.check(viewer.actor(), &Action::ManageAccounts)?;
    let role = asked.role.as_str();
    let mut territory = Vec::new();
    for code in asked
        .territory
        .split([' ', ',', ';'])
        .filter(|s| !s.is_empty())
    {
        match TerritoryUnit::parse(code) {
            Some(t) => territory.push(t),
            None => {
                return admin_view(
                    &state,
                    &viewer,
                    None,
                    Some(format!(
                        "territoire « {code} » : département (54, 2A, 971) ou code INSEE attendu"
                    )),
                )
                .await;
            }
        }
    }
    if role == "coordinateur" && territory.is_empty() {
        return admin_view(
            &state,
            &viewer,
            None,
            Some("un coordinateur a besoin d'un territoire".into()),
        )
        .await;
    }
    let structure = asked.organisation.clone();
    let memberships = if role == "aidant" && !structure.is_empty() {
        vec![Membership {
            organisation_id: structure,
            since: today(),
            until: None,
        }]
    } else {
        Vec::new()
    };
    let new = NewUser {
        email: asked.email.clone(),
        display_name: asked.name.clone(),
        password: asked.password.0.clone(),
        administrator: role == "admin",
        territory: if role == "coordinateur" {
            territory
        } else {
            Vec::new()
        },
        memberships,
    };
    match state.app.create_account(viewer.actor(), &new).await {
        Ok(_) => {
            admin_view(
                &state,
                &viewer,
                Some(format!("Compte créé pour {}.", new.email.trim())),
                None,
            )
            .await
        }
        Err(e) if e.kind() == ErrorKind::Conflict || e.kind() == ErrorKind::Invalid => {
            admin_view(&state, &viewer, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer to the structure form: the administration page for administrators; a page of its
/// own for a coordinator of the territory (the same rule as the API: `ManageOrganisation`).
pub(super) async fn organisation_answer(
    state: &State,
    viewer: &Viewer,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    if state.app.may(viewer.actor(), &Action::ManageAccounts) {
        return admin_view(state, viewer, message, error).await;
    }
    Ok(match error {
        Some(error) => {
            let mut r = message_page_for(viewer, "Structure non créée", &error);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
        None => message_page_for(viewer, "Structure créée", &message.unwrap_or_default()),
    })
}

pub(super) async fn admin_create_organisation(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(input): Form<maillage_app::organisations::NewOrganisation>,
) -> Result<Response, PageError> {
    match state.app.create_organisation(viewer.actor(), &input).await {
        Ok(Ok(org)) => {
            let message = format!("Structure « {} » créée.", org.name);
            organisation_answer(&state, &viewer, Some(message), None).await
        }
        Ok(Err(errors)) => {
            let msg = errors
                .into_iter()
                .map(|(f, r)| format!("{f} : {r}"))
                .collect::<Vec<_>>()
                .join(" ; ");
            organisation_answer(&state, &viewer, None, Some(msg)).await
        }
        Err(e) if e.kind() == ErrorKind::Conflict => {
            organisation_answer(&state, &viewer, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One message of the preview: what it is, when it leaves, its subject and its text.
pub(super) struct MailPreview {
    pub(super) title: &'static str,
    pub(super) when: &'static str,
    pub(super) subject: String,
    pub(super) body: String,
}

#[derive(Template)]
#[template(path = "accounts/admin_mail.html")]
pub(super) struct MailPreviewPage {
    pub(super) chrome: Chrome,
    pub(super) enabled: bool,
    pub(super) messages: Vec<MailPreview>,
}

/// Every message Maillage sends, filled with sample values (administrators).
pub(super) async fn admin_mail_preview(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    state.app.check(viewer.actor(), &Action::ManageAccounts)?;
    let messages = maillage_app::mail::messages::samples(&state.app.public_url)
        .into_iter()
        .filter_map(|(title, when, mail)| {
            mail.map(|m| MailPreview {
                title,
                when,
                subject: m.subject,
                body: m.body,
            })
        })
        .collect();
    Ok(render(&MailPreviewPage {
        chrome: Chrome::new("admin", &viewer),
        enabled: state.app.mailer.is_enabled(),
        messages,
    }))
}

#[derive(Template)]
#[template(path = "accounts/admin_register.html")]
struct RegisterPage {
    chrome: Chrome,
    processings: Vec<maillage_app::register::ProcessingView>,
    not_personal: &'static [(&'static str, &'static str)],
    /// Requests of persons still open, per structure (counts only).
    deadlines: Vec<maillage_app::requests::RequestDeadlines>,
}

/// The register of processing (RGPD art. 30), written from the declarations of the code.
pub(super) async fn register_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let processings = state.app.register(viewer.actor())?;
    let deadlines = state.app.request_deadlines(viewer.actor()).await?;
    Ok(render(&RegisterPage {
        chrome: Chrome::new("admin", &viewer),
        processings,
        deadlines,
        not_personal: maillage_domain::register::NOT_PERSONAL,
    }))
}

/// The same register in Markdown, to keep or to hand to the data protection officer.
pub(super) async fn register_markdown(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let md = state.app.register_markdown(viewer.actor())?;
    Ok(crate::kit::download::attachment(
        md.into_bytes(),
        "text/markdown; charset=utf-8",
        "registre-des-traitements.md",
    ))
}
