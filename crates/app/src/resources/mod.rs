//! The resource library: search by words (the directory's French engine), theme, level,
//! audience and type; proposals by members, publication by coordinators; files checked by their
//! content; the dead-link checker run on a schedule.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use maillage_domain::Vocabulary;
use maillage_domain::diagnostic::Level;
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::resources::{
    self, Audience, LinkCheck, PracticeTopic, Resource, ResourceForm, ResourceKind, ResourceStatus,
    SpecialName, is_public_address, special_use_name,
};
use maillage_domain::vocab::MediationTheme;
use maillage_search::{TextDocument, TextIndex};
use maillage_store::{FileChange, FileInfo, NewFile, Proposer, StoredResource};

use crate::{App, AppError, Upload, allow, today};

mod export;
pub use export::{ResourceFileView, ResourceView};

/// Which part of the library is listed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Shelf {
    /// What everyone sees.
    #[default]
    Published,
    /// Proposals waiting for a coordinator (coordinators: all; members: their structures').
    Proposed,
    /// Refused proposals (same visibility).
    Refused,
    /// Published resources whose link stopped answering (coordinators).
    DeadLinks,
}

impl Shelf {
    pub fn slug(self) -> &'static str {
        match self {
            Shelf::Published => "publiees",
            Shelf::Proposed => "proposees",
            Shelf::Refused => "refusees",
            Shelf::DeadLinks => "liens-morts",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        [
            Shelf::Published,
            Shelf::Proposed,
            Shelf::Refused,
            Shelf::DeadLinks,
        ]
        .into_iter()
        .find(|x| x.slug() == s)
    }
}

/// Filters of the library (every one optional).
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    pub text: Option<String>,
    pub themes: Vec<MediationTheme>,
    pub practice: Vec<PracticeTopic>,
    pub level: Option<Level>,
    pub audience: Option<Audience>,
    pub kind: Option<ResourceKind>,
    pub shelf: Shelf,
}

/// The library's filters as a page's or the API's query gives them (`q`, `thematique`,
/// `pratique`, `niveau`, `public`, `type`, `etat`); unknown values are left out.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ResourceQuery {
    pub q: String,
    #[serde(rename = "thematique")]
    pub themes: Vec<String>,
    #[serde(rename = "pratique")]
    pub practice: Vec<String>,
    #[serde(rename = "niveau")]
    pub level: String,
    pub public: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The shelf (pages of coordinators; the API lists the published one).
    #[serde(rename = "etat")]
    #[param(ignore)]
    pub shelf: String,
}

impl ResourceQuery {
    pub fn filter(&self) -> ResourceFilter {
        ResourceFilter {
            text: Some(self.q.clone()).filter(|t| !t.is_empty()),
            themes: self
                .themes
                .iter()
                .filter_map(|t| MediationTheme::from_slug(t))
                .collect(),
            practice: self
                .practice
                .iter()
                .filter_map(|t| PracticeTopic::from_slug(t))
                .collect(),
            level: Level::from_slug(&self.level),
            audience: Audience::from_slug(&self.public),
            kind: ResourceKind::from_slug(&self.kind),
            shelf: Shelf::from_slug(&self.shelf).unwrap_or_default(),
        }
    }
}

/// What one round of the link checker did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkReport {
    pub checked: usize,
    pub answered: usize,
    pub failed: usize,
    /// Titles of the resources flagged by this round.
    pub newly_dead: Vec<String>,
    /// Every link failed without an answer: the server is offline, nothing was recorded.
    pub offline: bool,
}

/// Errors of a form: field and French reason.
pub type FormErrors = Vec<(&'static str, String)>;

/// Either a form to show again with its errors, or an error of the service.
#[derive(Debug)]
pub enum Refused {
    Form(FormErrors),
    App(AppError),
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Self {
        Refused::App(e)
    }
}

impl From<maillage_store::StoreError> for Refused {
    fn from(e: maillage_store::StoreError) -> Self {
        Refused::App(e.into())
    }
}

/// Checks an uploaded file by its content (its first bytes), its size and its name.
pub fn check_upload(upload: &Upload) -> Result<NewFile, String> {
    let detected = infer::get(&upload.content).map(|t| t.mime_type());
    let accepted = resources::check_file(&upload.name, upload.content.len(), detected)
        .map_err(|e| e.to_string())?;
    Ok(NewFile {
        name: resources::safe_file_name(&upload.name),
        mime: accepted.mime.to_string(),
        content: upload.content.clone(),
    })
}

/// The organisation a proposal is made for: the one chosen, which must be one of the actor's
/// structures, or the actor's only structure.
fn proposing_organisation(actor: &Actor, chosen: Option<&str>) -> Option<String> {
    let day = today();
    match chosen.filter(|c| !c.is_empty()) {
        Some(c) if actor.member_of(c, day) => Some(c.to_string()),
        _ => actor
            .memberships
            .iter()
            .find(|m| m.in_force(day))
            .map(|m| m.organisation_id.clone()),
    }
}

impl App {
    /// The text index of the library, rebuilt after each write (a library holds thousands of
    /// resources at most: a rebuild takes milliseconds).
    async fn library_index(&self) -> Result<Arc<TextIndex>, AppError> {
        if let Some(index) = self.library_cache().clone() {
            return Ok(index);
        }
        let all = self.store.resources(None).await?;
        let docs: Vec<TextDocument> = all
            .iter()
            .map(|s| TextDocument {
                id: s.resource.id.clone(),
                title: s.resource.title.clone(),
                body: s.resource.searchable_text(),
            })
            .collect();
        let index = tokio::task::spawn_blocking(move || TextIndex::build(docs))
            .await
            .map_err(|e| AppError::Invalid(format!("index des ressources : {e}")))??;
        let index = Arc::new(index);
        *self.library_cache() = Some(index.clone());
        Ok(index)
    }

    fn library_changed(&self) {
        *self.library_cache() = None;
    }

    /// Whether this actor may see a resource (published: everyone; otherwise the proposer's
    /// structure and the coordinators).
    pub fn may_see_resource(&self, actor: Option<&Actor>, s: &StoredResource) -> bool {
        s.status == ResourceStatus::Published || self.may_edit_resource(actor, s)
    }

    pub fn may_edit_resource(&self, actor: Option<&Actor>, s: &StoredResource) -> bool {
        authorize(
            actor,
            &Action::EditResource {
                organisation_id: s.organisation_id.clone(),
            },
            today(),
        )
        .is_allowed()
            || actor.is_some_and(|a| s.proposed_by.as_deref() == Some(a.user_id.as_str()))
    }

    /// Resources of a shelf matching the filter: by relevance when words are typed, else the
    /// newest first.
    pub async fn find_resources(
        &self,
        actor: Option<&Actor>,
        f: &ResourceFilter,
    ) -> Result<Vec<StoredResource>, AppError> {
        if f.shelf == Shelf::DeadLinks {
            allow(authorize(actor, &Action::PublishResources, today()))?;
        }
        let status = match f.shelf {
            Shelf::Published | Shelf::DeadLinks => ResourceStatus::Published,
            Shelf::Proposed => ResourceStatus::Proposed,
            Shelf::Refused => ResourceStatus::Refused,
        };
        let mut all: Vec<StoredResource> = self
            .store
            .resources(Some(status))
            .await?
            .into_iter()
            .filter(|s| self.may_see_resource(actor, s))
            .filter(|s| f.shelf != Shelf::DeadLinks || s.link.is_dead())
            .filter(|s| {
                let r = &s.resource;
                (f.themes.is_empty() && f.practice.is_empty()
                    || r.themes.iter().any(|t| f.themes.contains(t))
                    || r.practice.iter().any(|p| f.practice.contains(p)))
                    && f.level.is_none_or(|l| r.suits(l))
                    && f.audience.is_none_or(|a| r.audiences.contains(&a))
                    && f.kind.is_none_or(|k| r.kind == k)
            })
            .collect();
        if let Some(text) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
            maillage_domain::text::check_query(text).map_err(AppError::TooLarge)?;
            let index = self.library_index().await?;
            let typed = text.to_string();
            let ranked = tokio::task::spawn_blocking(move || index.search(&typed))
                .await
                .map_err(|e| AppError::Invalid(format!("recherche interrompue : {e}")))??;
            let rank: std::collections::HashMap<&str, usize> = ranked
                .iter()
                .enumerate()
                .map(|(i, (id, _))| (id.as_str(), i))
                .collect();
            all.retain(|s| rank.contains_key(s.resource.id.as_str()));
            all.sort_by_key(|s| rank.get(s.resource.id.as_str()).copied());
        }
        Ok(all)
    }

    pub async fn resource(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<StoredResource, AppError> {
        let s = self.store.resource(id).await?.ok_or(AppError::NotFound)?;
        if !self.may_see_resource(actor, &s) {
            return Err(AppError::NotFound);
        }
        Ok(s)
    }

    /// A proposal: published at once when a coordinator proposes, else waiting for one.
    /// Returns the new resource's id and its status.
    pub async fn propose_resource(
        &self,
        actor: Option<&Actor>,
        form: &ResourceForm,
        organisation: Option<&str>,
        upload: Option<&Upload>,
    ) -> Result<(String, ResourceStatus), Refused> {
        allow(authorize(actor, &Action::ProposeResource, today()))?;
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let (resource, file) = validate(form, upload)?;
        let status = if authorize(Some(actor), &Action::PublishResources, today()).is_allowed() {
            ResourceStatus::Published
        } else {
            ResourceStatus::Proposed
        };
        let organisation_id = proposing_organisation(actor, organisation);
        let id = self
            .store
            .create_resource(
                &resource,
                status,
                Proposer {
                    organisation_id: organisation_id.as_deref(),
                    user_id: Some(&actor.user_id),
                },
                file.as_ref(),
            )
            .await?;
        self.library_changed();
        Ok((id, status))
    }

    /// Edits a resource (its structure's members, its proposer, the coordinators). A refused
    /// proposal edited by its structure goes back to the queue.
    pub async fn edit_resource(
        &self,
        actor: Option<&Actor>,
        id: &str,
        form: &ResourceForm,
        upload: Option<&Upload>,
        remove_file: bool,
    ) -> Result<(), Refused> {
        let stored = self.resource(actor, id).await?;
        if !self.may_edit_resource(actor, &stored) {
            return Err(Refused::App(AppError::Forbidden(
                "cette ressource a été proposée par une autre structure",
            )));
        }
        let has_file = stored.file.is_some() && !remove_file;
        let form = ResourceForm {
            has_file: form.has_file || has_file,
            ..form.clone()
        };
        let (resource, file) = validate(&form, upload)?;
        let change = match (file, remove_file) {
            (Some(f), _) => FileChange::Replace(f),
            (None, true) => FileChange::Remove,
            (None, false) => FileChange::Keep,
        };
        let resource = Resource {
            id: id.to_string(),
            ..resource
        };
        if !self.store.update_resource(&resource, &change).await? {
            return Err(Refused::App(AppError::NotFound));
        }
        if stored.status == ResourceStatus::Refused {
            self.store
                .set_resource_status(id, ResourceStatus::Proposed, None)
                .await?;
        }
        self.library_changed();
        Ok(())
    }

    /// Publishes a proposal (coordinators).
    pub async fn publish_resource(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        allow(authorize(actor, &Action::PublishResources, today()))?;
        if !self
            .store
            .set_resource_status(id, ResourceStatus::Published, None)
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.library_changed();
        Ok(())
    }

    /// Refuses a proposal with a reason the proposer reads (coordinators).
    pub async fn refuse_resource(
        &self,
        actor: Option<&Actor>,
        id: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        allow(authorize(actor, &Action::PublishResources, today()))?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid(
                "dites en une phrase pourquoi la ressource est refusée".into(),
            ));
        }
        if !self
            .store
            .set_resource_status(id, ResourceStatus::Refused, Some(reason))
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.library_changed();
        Ok(())
    }

    /// Deletes a resource (coordinators; a structure may withdraw its own proposal).
    pub async fn delete_resource(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        let stored = self.resource(actor, id).await?;
        let coordinator = authorize(actor, &Action::PublishResources, today()).is_allowed();
        let own_proposal =
            stored.status != ResourceStatus::Published && self.may_edit_resource(actor, &stored);
        if !coordinator && !own_proposal {
            return Err(AppError::Forbidden(
                "seul un coordinateur retire une ressource publiée",
            ));
        }
        self.store.delete_resource(id).await?;
        self.library_changed();
        Ok(())
    }

    /// The file of a resource the actor may see.
    pub async fn resource_file(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<(FileInfo, Vec<u8>), AppError> {
        self.resource(actor, id).await?;
        self.store
            .resource_file(id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Loads the field's sheets into a new network's library, once.
    pub async fn seed_library(&self) -> Result<usize, AppError> {
        let content = resources::initial_content()
            .map_err(|e| AppError::Invalid(format!("contenu initial illisible : {e}")))?;
        let n = self
            .store
            .seed_resources(resources::INITIAL_CONTENT, &content)
            .await?;
        if n > 0 {
            self.library_changed();
        }
        Ok(n)
    }

    /// One round of the dead-link checker: the published links due for a check (at most
    /// `limit`), eight at a time. When every link fails without an answer the server is
    /// considered offline and nothing is recorded.
    pub async fn check_links(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<LinkReport, AppError> {
        let due: Vec<StoredResource> = self
            .store
            .resources(Some(ResourceStatus::Published))
            .await?
            .into_iter()
            .filter(|s| s.resource.url.is_some() && s.link.due(now))
            .take(limit)
            .collect();
        let checker = LinkChecker::with_policy(self.private_links_checked)?;
        let semaphore = Arc::new(tokio::sync::Semaphore::new(8));
        let mut set = tokio::task::JoinSet::new();
        for (n, s) in due.iter().enumerate() {
            let url = s.resource.url.clone().unwrap_or_default();
            let checker = checker.clone();
            let semaphore = semaphore.clone();
            set.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                (n, checker.check(&url).await)
            });
        }
        let mut checks: Vec<Option<LinkCheck>> = vec![None; due.len()];
        while let Some(done) = set.join_next().await {
            if let Ok((n, check)) = done
                && let Some(slot) = checks.get_mut(n)
            {
                *slot = Some(check);
            }
        }
        let checks: Vec<LinkCheck> = checks
            .into_iter()
            .map(|c| c.unwrap_or_else(|| LinkCheck::Unreachable("vérification interrompue".into())))
            .collect();
        let mut report = LinkReport {
            checked: checks.len(),
            ..Default::default()
        };
        if resources::server_offline(&checks) {
            report.offline = true;
            report.failed = checks.len();
            return Ok(report);
        }
        for (s, check) in due.iter().zip(&checks) {
            let health = s.link.after(check, now);
            if matches!(check, LinkCheck::Answered) {
                report.answered += 1;
            } else {
                report.failed += 1;
            }
            if health.is_dead() && !s.link.is_dead() {
                report.newly_dead.push(s.resource.title.clone());
            }
            self.store
                .record_link_health(&s.resource.id, &health)
                .await?;
        }
        Ok(report)
    }
}

fn validate(
    form: &ResourceForm,
    upload: Option<&Upload>,
) -> Result<(Resource, Option<NewFile>), Refused> {
    let mut errors = Vec::new();
    let file = match upload {
        Some(u) => match check_upload(u) {
            Ok(f) => Some(f),
            Err(e) => {
                errors.push(("fichier", e));
                None
            }
        },
        None => None,
    };
    let form = ResourceForm {
        has_file: form.has_file || upload.is_some(),
        ..form.clone()
    };
    match form.validate("") {
        Ok(r) if errors.is_empty() => Ok((r, file)),
        Ok(_) => Err(Refused::Form(errors)),
        Err(mut e) => {
            e.extend(errors);
            Err(Refused::Form(e))
        }
    }
}

/// Asks web servers whether a link still answers: `HEAD`, then `GET` for servers that refuse
/// `HEAD`; redirects followed (up to 5); 10 seconds at most. A page behind a login or an
/// anti-robot wall (401, 403, 429) still answers.
///
/// Only public internet addresses are asked ([`is_public_address`]): a name is resolved first
/// and its private or local addresses dropped (a name with nothing else is not asked); an
/// address written in the link, or in a redirection, is checked likewise.
#[derive(Clone)]
pub struct LinkChecker {
    client: reqwest::Client,
    allow_private: bool,
}

/// How long a name's resolution may take: a resolver that does not answer fails the request
/// early instead of holding it for the whole request's time.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Resolves names to their public addresses only.
struct PublicResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let allow_private = self.allow_private;
        Box::pin(async move {
            match special_use_name(&host) {
                Some(SpecialName::Nowhere) => {
                    return Err("nom de domaine réservé, inexistant sur internet".into());
                }
                Some(SpecialName::ThisMachine) if !allow_private => {
                    return Err("adresse privée ou locale : non vérifiée".into());
                }
                _ => {}
            }
            let lookup = tokio::net::lookup_host((host.as_str(), 0));
            let found: Vec<std::net::SocketAddr> = tokio::time::timeout(LOOKUP_TIMEOUT, lookup)
                .await
                .map_err(|_| "nom de domaine sans réponse")??
                .filter(|a| allow_private || is_public_address(a.ip()))
                .collect();
            if found.is_empty() {
                return Err("adresse privée ou locale : non vérifiée".into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// A web client that asks public internet addresses only (unless `allow_private`, for tests
/// against a local server): names resolved to their public addresses, literal private
/// addresses and redirections to them refused, five redirections at most.
pub(crate) fn public_client(
    allow_private: bool,
    timeout: Duration,
    user_agent: &'static str,
) -> Result<reqwest::Client, AppError> {
    // One TLS provider for the process (ring, as for e-mail); installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let redirect = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 {
            attempt.error("trop de redirections")
        } else if !allow_private && private_literal(attempt.url()) {
            attempt.error("redirection vers une adresse privée ou locale")
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .redirect(redirect)
        .dns_resolver(PublicResolver { allow_private })
        .user_agent(user_agent)
        .build()
        .map_err(|e| AppError::Invalid(format!("client web : {e}")))
}

/// Whether a URL names a private or local address outright (an IP literal, which no resolver
/// sees).
pub(crate) fn private_literal(url: &reqwest::Url) -> bool {
    url.host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| !is_public_address(ip))
}

impl LinkChecker {
    pub fn new() -> Result<Self, AppError> {
        Self::with_policy(false)
    }

    /// `allow_private`: also ask private and local addresses — for tests against a local
    /// web server only, never in production.
    pub fn with_policy(allow_private: bool) -> Result<Self, AppError> {
        let client = public_client(
            allow_private,
            Duration::from_secs(10),
            "Maillage-verification-des-liens/1.0",
        )?;
        Ok(LinkChecker {
            client,
            allow_private,
        })
    }

    pub async fn check(&self, url: &str) -> LinkCheck {
        match reqwest::Url::parse(url) {
            Ok(u) if !self.allow_private && private_literal(&u) => {
                return LinkCheck::Unreachable("adresse privée ou locale : non vérifiée".into());
            }
            Err(_) => return LinkCheck::Unreachable("adresse invalide".into()),
            Ok(_) => {}
        }
        let answer = |status: reqwest::StatusCode| {
            if status.is_success()
                || status.is_redirection()
                || matches!(status.as_u16(), 401 | 403 | 429)
            {
                LinkCheck::Answered
            } else {
                LinkCheck::Status(status.as_u16())
            }
        };
        match self.client.head(url).send().await {
            Ok(r) if r.status().is_success() => LinkCheck::Answered,
            Ok(_) | Err(_) => match self.client.get(url).send().await {
                Ok(r) => answer(r.status()),
                Err(e) if e.is_timeout() => {
                    LinkCheck::Unreachable("le site ne répond pas (délai dépassé)".into())
                }
                Err(e) if e.is_connect() => {
                    LinkCheck::Unreachable("connexion au site impossible".into())
                }
                Err(e) if e.is_redirect() => LinkCheck::Unreachable("trop de redirections".into()),
                Err(_) => LinkCheck::Unreachable("le site ne répond pas".into()),
            },
        }
    }
}
