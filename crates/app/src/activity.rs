//! Activity records and their statistics (issue #7): recording, editing, duplicating and
//! deleting records, a followed person's timeline, the statistics of a helper, a structure or a
//! territory from the in-memory cube (kept up to date from the store's log of changes, so every
//! instance sees every write), public share links, and the exports (XLSX one sheet per table,
//! CSV) that read the same [`Statistics`] as the pages and the API.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime, Utc};
use maillage_domain::CommuneLookup;
use maillage_domain::Vocabulary;
use maillage_domain::activity::{
    Activity, ActivityForm, AgeBracket, FieldError, Gender, Profile, SocialStatus, WorkshopSession,
};
use maillage_domain::indicators::SharePurpose;
use maillage_domain::indicators::{Cube, Entry, Filter, Indicator, Statistics};
use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Action, Actor, Location, authorize};
use maillage_domain::referrals::ReferralStatus;
use maillage_store::{NewActivity, NewPerson, StoredActivity};
use tokio::sync::RwLock;

use crate::{App, AppError, allow, today};

/// The share-link form of a structure's statistics or survey: give a new public link, or
/// withdraw the current one.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ShareForm {
    #[serde(rename = "structure")]
    pub organisation: String,
    /// `retirer` withdraws the link; otherwise a new one is given.
    pub action: String,
}

impl ShareForm {
    pub fn withdraws(&self) -> bool {
        self.action == "retirer"
    }
}

/// The statistics cube of this instance and the last change of the store it has applied.
#[derive(Debug, Default)]
pub struct CubeState {
    pub cube: Cube,
    seq: i64,
    loaded: bool,
}

/// Shared handle on the cube.
#[derive(Debug, Clone, Default)]
pub struct StatsCube(Arc<RwLock<CubeState>>);

/// Changes re-read before the last one applied: on PostgreSQL, concurrent transactions may
/// commit their log entries out of order; re-applying a change is harmless.
const OVERLAP: i64 = 64;
/// Records read per round trip when loading the cube or streaming an export.
pub const PAGE: u32 = 5_000;

/// A stable number for a record id (ids are UUIDs in hexadecimal).
pub fn key_of(id: &str) -> u128 {
    u128::from_str_radix(id, 16).unwrap_or_else(|_| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        u128::from(h.finish())
    })
}

/// Whose statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The signed-in helper's own records.
    Mine,
    /// One structure.
    Organisation(String),
    /// Every structure the viewer may see (their territory, or the whole network).
    Territory,
}

impl Scope {
    pub fn parse(s: &str) -> Self {
        match s {
            "" | "territoire" => Scope::Territory,
            "moi" => Scope::Mine,
            id => Scope::Organisation(id.to_string()),
        }
    }
    pub fn slug(&self) -> &str {
        match self {
            Scope::Mine => "moi",
            Scope::Organisation(id) => id,
            Scope::Territory => "territoire",
        }
    }
}

/// The statistics' query, as the pages, the API and the CLI give it: the scope (`portee`), the
/// indicators' shared filter (`du`, `au`, `type`, `thematique`, `lieu`… — read by
/// [`Filter::from_pairs`]) and `tout=1` for every date.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    pub scope: Scope,
    pub filter: Filter,
    pub every_date: bool,
}

impl StatsQuery {
    pub fn from_pairs<'a>(
        pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Result<Self, AppError> {
        let first = |key: &str| {
            pairs
                .clone()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.trim())
                .unwrap_or_default()
        };
        Ok(StatsQuery {
            scope: Scope::parse(first("portee")),
            every_date: first("tout") == "1",
            filter: Filter::from_pairs(pairs).map_err(|e| AppError::Invalid(e.to_string()))?,
        })
    }

    /// The last twelve months when no period is asked (nor every date): what the pages show.
    pub fn with_default_period(mut self) -> Self {
        if self.filter.from.is_none() && self.filter.to.is_none() && !self.every_date {
            let t = today();
            self.filter.to = Some(t);
            self.filter.from = t
                .checked_sub_months(chrono::Months::new(12))
                .map(|d| d + Duration::days(1));
        }
        self
    }
}

/// What the recording form sends besides the record itself.
#[derive(Debug, Clone, Default)]
pub struct RecordInput {
    pub organisation_id: String,
    pub form: ActivityForm,
    pub notes: String,
    /// A new followed person to create with the record: (first name or pseudonym, consent).
    pub new_person: Option<(String, bool)>,
    pub session: Option<WorkshopSession>,
    pub referral_id: Option<String>,
}

/// One line of a followed person's timeline.
#[derive(Debug, Clone)]
pub struct TimelineItem {
    pub date: String,
    pub what: &'static str,
    pub summary: String,
    pub link: Option<String>,
}

fn location_of_org(o: &Organisation) -> Location {
    Location {
        organisation_id: Some(o.id.clone()),
        insee_code: None,
        departement: o.departement.clone(),
    }
}

impl App {
    // ----- the cube -----

    /// Brings the cube up to date with the store (everything on first use, then the log of
    /// changes) and returns it for reading.
    pub async fn cube(&self) -> Result<tokio::sync::OwnedRwLockReadGuard<CubeState>, AppError> {
        let (loaded, seq) = {
            let s = self.stats.0.read().await;
            (s.loaded, s.seq)
        };
        if !loaded {
            let mut s = self.stats.0.clone().write_owned().await;
            if !s.loaded {
                let seq = self.store.last_activity_change().await?;
                s.cube = self.load_cube().await?;
                s.seq = seq;
                s.loaded = true;
            }
            return Ok(s.downgrade());
        }
        let changes = self
            .store
            .activity_changes_since(seq.saturating_sub(OVERLAP))
            .await?;
        // Changes this instance never saw were purged (it stayed idle more than a day): the
        // log cannot bring it up to date, the store can.
        if changes.first().is_some_and(|(n, _, _)| *n > seq + 1)
            && self.store.first_activity_change().await? > seq + 1
        {
            let mut s = self.stats.0.clone().write_owned().await;
            let last = self.store.last_activity_change().await?;
            s.cube = self.load_cube().await?;
            s.seq = last;
            return Ok(s.downgrade());
        }
        if changes.iter().any(|(n, _, _)| *n > seq) {
            let mut s = self.stats.0.clone().write_owned().await;
            for (n, kind, id) in &changes {
                self.apply_change(&mut s.cube, kind, id).await?;
                s.seq = s.seq.max(*n);
            }
            return Ok(s.downgrade());
        }
        Ok(self.stats.0.clone().read_owned().await)
    }

    async fn apply_change(&self, cube: &mut Cube, kind: &str, id: &str) -> Result<(), AppError> {
        match kind {
            "activite" => match self.store.activity(id).await? {
                Some(a) => cube.upsert(Entry {
                    key: key_of(&a.id),
                    activity: &a.activity,
                    organisation_id: &a.organisation_id,
                    helper_id: a.helper_id.as_deref(),
                }),
                None => cube.remove(key_of(id)),
            },
            "personne" => {
                let profile = self.store.person_profile(id).await?;
                cube.set_person(id, &profile);
            }
            "orientation" => {
                if let Some(status) = self
                    .store
                    .referral_status(id)
                    .await?
                    .as_deref()
                    .and_then(ReferralStatus::from_slug)
                {
                    cube.set_referral_status(id, status);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Builds the cube from every record, page by page.
    pub async fn load_cube(&self) -> Result<Cube, AppError> {
        let mut cube = Cube::default();
        for (id, profile) in self.store.person_profiles().await? {
            cube.set_person(&id, &profile);
        }
        for (id, status) in self.store.linked_referral_statuses().await? {
            if let Some(s) = ReferralStatus::from_slug(&status) {
                cube.set_referral_status(&id, s);
            }
        }
        let mut after: Option<String> = None;
        loop {
            let page = self.store.activities_page(after.as_deref(), PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            for a in &page {
                cube.upsert(Entry {
                    key: key_of(&a.id),
                    activity: &a.activity,
                    organisation_id: &a.organisation_id,
                    helper_id: a.helper_id.as_deref(),
                });
            }
        }
        Ok(cube)
    }

    // ----- who sees what -----

    /// The structures whose statistics the viewer may see.
    pub async fn visible_organisations(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<Organisation>, AppError> {
        let day = today();
        Ok(self
            .store
            .organisations()
            .await?
            .into_iter()
            .filter(|o| {
                authorize(actor, &Action::ViewStatistics(location_of_org(o)), day).is_allowed()
            })
            .collect())
    }

    /// The structures the viewer records for (member today).
    pub async fn recording_organisations(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<Organisation>, AppError> {
        let Some(actor) = actor else {
            return Err(AppError::SignInRequired);
        };
        let day = today();
        Ok(self
            .store
            .organisations()
            .await?
            .into_iter()
            .filter(|o| actor.member_of(&o.id, day))
            .collect())
    }

    /// Narrows a filter to what the viewer may see in a scope.
    /// The filter of an export of records, one line each (not aggregates): the scope's
    /// structures must all be the actor's own — records stay within the structure that made
    /// them, coordinators and administrators included unless members (they have the
    /// statistics and their exports).
    pub async fn records_filter(
        &self,
        actor: Option<&Actor>,
        scope: &Scope,
        filter: Filter,
    ) -> Result<Filter, AppError> {
        let filter = self.scoped_filter(actor, scope, filter).await?;
        let day = today();
        for org in filter
            .organisations
            .iter()
            .filter(|o| !o.starts_with('\u{0}'))
        {
            allow(authorize(
                actor,
                &Action::RecordActivity {
                    organisation_id: org.clone(),
                },
                day,
            ))
            .map_err(|_| {
                AppError::Forbidden(
                    "l'export ligne à ligne des comptes rendus est réservé aux membres de la structure : les statistiques et leurs exports donnent les chiffres",
                )
            })?;
        }
        Ok(filter)
    }

    pub async fn scoped_filter(
        &self,
        actor: Option<&Actor>,
        scope: &Scope,
        mut filter: Filter,
    ) -> Result<Filter, AppError> {
        let Some(actor) = actor else {
            return Err(AppError::SignInRequired);
        };
        match scope {
            Scope::Mine => {
                filter.helpers = vec![actor.user_id.clone()];
                filter.organisations = self
                    .recording_organisations(Some(actor))
                    .await?
                    .into_iter()
                    .map(|o| o.id)
                    .collect();
                // Records of structures the helper left stay theirs.
                if filter.organisations.is_empty() {
                    filter.organisations = vec![String::from("\u{0}aucune")];
                }
            }
            Scope::Organisation(id) => {
                let o = self
                    .store
                    .organisation(id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                allow(authorize(
                    Some(actor),
                    &Action::ViewStatistics(location_of_org(&o)),
                    today(),
                ))?;
                filter.organisations = vec![o.id];
            }
            Scope::Territory => {
                let visible: HashSet<String> = self
                    .visible_organisations(Some(actor))
                    .await?
                    .into_iter()
                    .map(|o| o.id)
                    .collect();
                if visible.is_empty() {
                    return Err(AppError::Forbidden(
                        "aucune structure dont vous pouvez voir les statistiques",
                    ));
                }
                filter.organisations = if filter.organisations.is_empty() {
                    visible.into_iter().collect()
                } else {
                    filter
                        .organisations
                        .into_iter()
                        .filter(|o| visible.contains(o))
                        .collect()
                };
                filter.organisations.sort();
                if filter.organisations.is_empty() {
                    filter.organisations = vec![String::from("\u{0}aucune")];
                }
            }
        }
        Ok(filter)
    }

    // ----- statistics -----

    /// Every indicator for a scope and filter, with places, communes and helpers named.
    pub async fn statistics(
        &self,
        actor: Option<&Actor>,
        scope: &Scope,
        filter: Filter,
    ) -> Result<Statistics, AppError> {
        let filter = self.scoped_filter(actor, scope, filter).await?;
        self.statistics_of(&filter).await
    }

    /// Statistics for a filter already bounded (share links, CLI).
    pub async fn statistics_of(&self, filter: &Filter) -> Result<Statistics, AppError> {
        let guard = self.cube().await?;
        let f = filter.clone();
        let mut stats = tokio::task::spawn_blocking(move || guard.cube.statistics(&f))
            .await
            .map_err(|e| AppError::Invalid(format!("calcul interrompu : {e}")))?;
        self.name_entities(&mut stats).await?;
        Ok(stats)
    }

    async fn name_entities(&self, stats: &mut Statistics) -> Result<(), AppError> {
        let ids = |i: Indicator, s: &Statistics| -> Vec<String> {
            s.table(i)
                .map(|t| {
                    t.rows
                        .iter()
                        .filter(|r| !r.key.is_empty())
                        .map(|r| r.key.clone())
                        .collect()
                })
                .unwrap_or_default()
        };
        let places: HashMap<String, String> = self
            .store
            .places(&ids(Indicator::Places, stats))
            .await?
            .into_iter()
            .map(|p| (p.place.id, p.place.name))
            .collect();
        stats.relabel(Indicator::Places, |k| places.get(k).cloned());
        let mut helpers = HashMap::new();
        for id in ids(Indicator::Helpers, stats) {
            if let Some(u) = self.store.user(&id).await? {
                helpers.insert(id, u.display_name);
            }
        }
        stats.relabel(Indicator::Helpers, |k| {
            Some(
                helpers
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| "Compte supprimé ou import".to_string()),
            )
        });
        let referential = self.referential.clone();
        stats.relabel(Indicator::Communes, |k| {
            referential
                .by_code(k)
                .map(|c| format!("{} ({})", c.name, c.departement))
        });
        Ok(())
    }

    // ----- records -----

    /// Records an activity (or returns the fields in error). The persons must be followed by
    /// the structure; a new followed person is created with the record, with their consent.
    pub async fn record_activity(
        &self,
        actor: Option<&Actor>,
        input: &RecordInput,
    ) -> Result<Result<String, Vec<FieldError>>, AppError> {
        let actor_ref = actor.ok_or(AppError::SignInRequired)?;
        allow(authorize(
            actor,
            &Action::RecordActivity {
                organisation_id: input.organisation_id.clone(),
            },
            today(),
        ))?;
        let mut form = input.form.clone();
        let mut errors = Vec::new();
        let mut new_person = None;
        if let Some((pseudonym, consent)) = &input.new_person {
            let pseudonym = pseudonym.trim();
            if !consent {
                errors.push((
                    "accord",
                    "la personne doit accepter d'être suivie (cochez après le lui avoir demandé), sinon laissez-la anonyme".to_string(),
                ));
            } else if pseudonym.is_empty() || pseudonym.chars().count() > 60 {
                errors.push((
                    "prenom",
                    "prénom ou pseudonyme : de 1 à 60 caractères".to_string(),
                ));
            } else {
                new_person = Some(pseudonym.to_string());
                // Placeholder replaced by the new person's id once the record is valid.
                form.persons.push(String::from("\u{0}nouvelle"));
            }
        }
        // Ids that come from the form (hidden fields): a referral this structure sent or
        // received, a session of one of its workshops — never another structure's.
        if let Some(referral) = &input.referral_id {
            let ours = self.store.referral(referral).await?.is_some_and(|r| {
                r.from_organisation_id.as_deref() == Some(input.organisation_id.as_str())
                    || r.to_organisation_id.as_deref() == Some(input.organisation_id.as_str())
            });
            if !ours {
                return Err(AppError::Forbidden(
                    "cette orientation n'a été ni envoyée ni reçue par votre structure",
                ));
            }
        }
        if let Some(session) = &input.session {
            let ours = self
                .store
                .workshop(&session.workshop_id)
                .await?
                .is_some_and(|w| {
                    w.workshop.organisation_id.as_deref() == Some(input.organisation_id.as_str())
                        && w.workshop.sessions.iter().any(|s| s.start == session.start)
                });
            if !ours {
                return Err(AppError::Forbidden(
                    "cette séance n'est pas celle d'un atelier de votre structure",
                ));
            }
        }
        let (activity, profile) = match self.check_record(&input.organisation_id, &form).await? {
            Ok(a) => a,
            Err(mut e) => {
                errors.append(&mut e);
                return Ok(Err(errors));
            }
        };
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let mut activity = activity;
        activity.workshop = input.session.clone();
        activity.referral_id = input.referral_id.clone();
        let keep_until = (Utc::now() + Duration::days(crate::diagnostic::PERSON_KEEP_DAYS))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if let Some(pseudonym) = new_person {
            let id = self
                .store
                .create_person(&NewPerson {
                    organisation_id: &input.organisation_id,
                    pseudonym: &pseudonym,
                    contact: None,
                    consent_by: Some(&actor_ref.user_id),
                    keep_until: &keep_until,
                })
                .await?;
            self.store
                .set_person_profile(&id, &profile.clone().unwrap_or_default())
                .await?;
            activity.persons.retain(|p| !p.starts_with('\u{0}'));
            activity.persons.push(id);
            activity.anonymous = Default::default();
        }
        for p in &activity.persons {
            self.store.extend_person(p, &keep_until).await?;
        }
        // A followed person already known: what was typed completes their profile.
        if let (Some(typed), [person]) = (&profile, activity.persons.as_slice())
            && typed != &Profile::default()
        {
            let known = self.store.person_profile(person).await?;
            let merged = Profile {
                age: typed.age.or(known.age),
                gender: typed.gender.or(known.gender),
                status: typed.status.or(known.status),
                commune: typed.commune.clone().or(known.commune.clone()),
            };
            if merged != known {
                self.store.set_person_profile(person, &merged).await?;
            }
        }
        let notes = input.notes.trim();
        let ids = self
            .store
            .insert_activities(&[NewActivity {
                organisation_id: &input.organisation_id,
                helper_id: Some(&actor_ref.user_id),
                activity: &activity,
                notes: (!notes.is_empty()).then_some(notes),
            }])
            .await?;
        Ok(Ok(ids.into_iter().next().unwrap_or_default()))
    }

    /// Validates a form for a structure: the rules of the domain, then what only the store
    /// knows (places, persons, communes). Also returns what was typed about one followed
    /// person (age bracket, gender, status, commune), for their profile.
    pub async fn check_record(
        &self,
        organisation_id: &str,
        form: &ActivityForm,
    ) -> Result<Result<(Activity, Option<Profile>), Vec<FieldError>>, AppError> {
        let mut form = form.clone();
        let mut errors = Vec::new();
        for (field, value) in [
            ("commune", &mut form.insee_code),
            ("commune_residence", &mut form.residence),
        ] {
            if value.trim().is_empty() {
                continue;
            }
            match self.commune_code(value) {
                Some(code) => *value = code,
                None => errors.push((
                    field,
                    format!(
                        "« {} » : commune inconnue (nom, code postal ou code INSEE)",
                        value.trim()
                    ),
                )),
            }
        }
        let persons: Vec<String> = form.persons.clone();
        form.persons = persons.iter().filter(|p| !p.is_empty()).cloned().collect();
        // For one followed person, what is typed about them goes to their profile, not to the
        // record (which counts them through their profile).
        let individual = maillage_domain::activity::ActivityKind::parse(&form.kind)
            .is_some_and(|k| k != maillage_domain::activity::ActivityKind::Collective);
        let typed = if individual && !form.persons.is_empty() {
            fn first<V: Vocabulary>(
                items: &mut Vec<String>,
                field: &'static str,
                errors: &mut Vec<FieldError>,
            ) -> Option<V> {
                let item = std::mem::take(items)
                    .into_iter()
                    .map(|i| i.trim().to_string())
                    .find(|i| !i.is_empty())?;
                let v = V::parse(&item);
                if v.is_none() {
                    errors.push((field, format!("« {item} » n'est pas une valeur connue")));
                }
                v
            }
            Some(Profile {
                age: first(&mut form.ages, "tranche_age", &mut errors),
                gender: first(&mut form.genders, "genre", &mut errors),
                status: first(&mut form.statuses, "statut_social", &mut errors),
                commune: Some(std::mem::take(&mut form.residence)).filter(|c| !c.is_empty()),
            })
        } else {
            None
        };
        let mut activity = match form.validate(today()) {
            Ok(a) => a,
            Err(mut e) => {
                errors.append(&mut e);
                return Ok(Err(errors));
            }
        };
        for p in &activity.persons {
            if p.starts_with('\u{0}') {
                continue;
            }
            match self.store.person(p).await? {
                Some(person) if person.organisation_id == organisation_id => {}
                _ => errors.push((
                    "personnes",
                    "une personne choisie n'est pas suivie par cette structure".to_string(),
                )),
            }
        }
        if let Some(place_id) = &activity.place_id {
            match self.store.place(place_id).await? {
                Some(p) => {
                    if activity.insee_code.is_none() {
                        activity.insee_code = p.place.insee_code.clone();
                    }
                }
                None => errors.push(("lieu_id", "ce lieu n'est pas dans l'annuaire".to_string())),
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        Ok(Ok((activity, typed)))
    }

    /// An INSEE code from a code, a postcode or a commune's name.
    pub fn commune_code(&self, input: &str) -> Option<String> {
        let s = input.trim();
        if let Some(c) = self.referential.by_code(s) {
            return Some(c.insee_code.clone());
        }
        // A postcode: the most populous commune it serves (« 54000 » is Nancy).
        if s.len() == 5 && s.chars().all(|c| c.is_ascii_digit()) {
            return self
                .referential
                .communes()
                .filter(|c| c.postcodes.iter().any(|p| p == s))
                .max_by_key(|c| c.population)
                .map(|c| c.insee_code.clone());
        }
        self.referential
            .find_by_name(s, None)
            .map(|c| c.insee_code.clone())
    }

    /// A record the viewer may handle (member of its structure).
    pub async fn activity_for(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<StoredActivity, AppError> {
        let mut a = self.store.activity(id).await?.ok_or(AppError::NotFound)?;
        allow(authorize(
            actor,
            &Action::RecordActivity {
                organisation_id: a.organisation_id.clone(),
            },
            today(),
        ))?;
        if !authorize(
            actor,
            &Action::ReadActivityNotes {
                author_id: a.helper_id.clone(),
            },
            today(),
        )
        .is_allowed()
        {
            a.notes = None;
        }
        Ok(a)
    }

    /// Replaces a record. Private notes are kept unless their author edits them.
    pub async fn update_activity(
        &self,
        actor: Option<&Actor>,
        id: &str,
        form: &ActivityForm,
        notes: &str,
    ) -> Result<Result<(), Vec<FieldError>>, AppError> {
        let existing = self.activity_for(actor, id).await?;
        let author = actor.is_some_and(|a| existing.helper_id.as_deref() == Some(&a.user_id));
        let (mut activity, _) = match self.check_record(&existing.organisation_id, form).await? {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        activity.workshop = existing.activity.workshop.clone();
        activity.referral_id = existing.activity.referral_id.clone();
        let stored_notes = if author {
            Some(notes.trim())
                .filter(|n| !n.is_empty())
                .map(str::to_string)
        } else {
            self.store.activity(id).await?.and_then(|a| a.notes)
        };
        if !self
            .store
            .update_activity(id, &activity, stored_notes.as_deref())
            .await?
        {
            return Err(AppError::NotFound);
        }
        Ok(Ok(()))
    }

    pub async fn delete_activity(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        self.activity_for(actor, id).await?;
        if self.store.delete_activity(id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The latest records of the viewer's structures (a helper sees the team's, with their
    /// own notes only).
    pub async fn recent_activities(
        &self,
        actor: Option<&Actor>,
        mine_only: bool,
        page: u32,
    ) -> Result<Vec<StoredActivity>, AppError> {
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let orgs: Vec<String> = self
            .recording_organisations(Some(actor))
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
        let mut list = self
            .store
            .recent_activities(
                &orgs,
                mine_only.then_some(actor.user_id.as_str()),
                50,
                page.saturating_mul(50),
            )
            .await?;
        for a in &mut list {
            if a.helper_id.as_deref() != Some(&actor.user_id) {
                a.notes = None;
            }
        }
        Ok(list)
    }

    /// The form of a workshop session's record, with what the workshop and its attendance
    /// say: title, themes, level, place, duration, participants present.
    pub async fn form_of_session(
        &self,
        actor: Option<&Actor>,
        workshop_id: &str,
        start: NaiveDateTime,
    ) -> Result<(String, ActivityForm), AppError> {
        let w = self
            .store
            .workshop(workshop_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let organisation_id = w
            .workshop
            .organisation_id
            .clone()
            .ok_or(AppError::NotFound)?;
        allow(authorize(
            actor,
            &Action::RecordActivity {
                organisation_id: organisation_id.clone(),
            },
            today(),
        ))?;
        let session = w
            .workshop
            .sessions
            .iter()
            .find(|s| s.start == start)
            .ok_or(AppError::NotFound)?;
        let present = self
            .store
            .registrations(workshop_id)
            .await?
            .iter()
            .filter(|r| r.attended == Some(true))
            .count();
        let minutes = (session.end - session.start).num_minutes().max(1);
        let form = ActivityForm {
            kind: "collectif".into(),
            date: session.start.date().to_string(),
            duration: minutes.to_string(),
            venue: if w.workshop.place_id.is_some() {
                "lieu-activite".into()
            } else {
                "autre".into()
            },
            place_id: w.workshop.place_id.clone().unwrap_or_default(),
            insee_code: w.workshop.insee_code.clone().unwrap_or_default(),
            themes: w.workshop.themes.iter().map(|t| t.slug().into()).collect(),
            title: w.workshop.title.clone(),
            level: w.workshop.level_required.slug().into(),
            anonymous_total: present.to_string(),
            ..Default::default()
        };
        Ok((organisation_id, form))
    }

    /// A followed person's timeline: records, diagnostics and referrals, oldest first.
    pub async fn person_activity_timeline(
        &self,
        actor: Option<&Actor>,
        person_id: &str,
    ) -> Result<Vec<TimelineItem>, AppError> {
        let (person, diagnostics) = self.person_timeline(actor, person_id).await?;
        let mut items = Vec::new();
        let mut referrals = HashSet::new();
        for a in self.store.activities_of_person(&person.id).await? {
            if let Some(r) = &a.activity.referral_id {
                referrals.insert(r.clone());
            }
            items.push(TimelineItem {
                date: a.activity.date.to_string(),
                what: "Activité",
                summary: format!(
                    "{} ({})",
                    a.activity.summary(),
                    maillage_domain::activity::duration_phrase(u32::from(
                        a.activity.duration_minutes
                    ))
                ),
                link: Some(format!("/activites/{}", a.id)),
            });
        }
        for d in &diagnostics {
            items.push(TimelineItem {
                date: d.created_at.chars().take(10).collect(),
                what: "Diagnostic",
                summary: format!("Niveau {}", d.assessment.level.label()),
                link: Some(format!("/diagnostics/{}", d.id)),
            });
        }
        for r in referrals {
            if let Some(r) = self.store.referral(&r).await? {
                items.push(TimelineItem {
                    date: r.created_at.chars().take(10).collect(),
                    what: "Orientation",
                    summary: format!("{} → {} : {}", r.request_title, r.to_name, r.status.label()),
                    link: Some(format!("/orientations/{}", r.id)),
                });
            }
        }
        items.sort_by(|a, b| a.date.cmp(&b.date));
        Ok(items)
    }

    /// Updates a followed person's profile (age bracket, gender, status, commune).
    pub async fn set_profile(
        &self,
        actor: Option<&Actor>,
        person_id: &str,
        age: &str,
        gender: &str,
        status: &str,
        commune: &str,
    ) -> Result<(), AppError> {
        let (person, _) = self.person_timeline(actor, person_id).await?;
        let commune = match commune.trim() {
            "" => None,
            c => Some(
                self.commune_code(c)
                    .ok_or_else(|| AppError::Invalid(format!("commune « {c} » inconnue")))?,
            ),
        };
        let profile = Profile {
            age: AgeBracket::from_slug(age),
            gender: Gender::from_slug(gender),
            status: SocialStatus::from_slug(status),
            commune,
        };
        self.store.set_person_profile(&person.id, &profile).await?;
        Ok(())
    }

    // ----- share links -----

    /// The share-link form (statistics and survey alike): gives a new link — returned, shown
    /// once — or withdraws it.
    pub async fn apply_share(
        &self,
        actor: Option<&Actor>,
        form: &ShareForm,
        purpose: SharePurpose,
    ) -> Result<Option<String>, AppError> {
        if form.withdraws() {
            self.revoke_share(actor, &form.organisation, purpose)
                .await?;
            Ok(None)
        } else {
            Ok(Some(
                self.share_statistics(actor, &form.organisation, purpose)
                    .await?,
            ))
        }
    }

    /// Gives out a new public link to a structure's statistics (revoking the previous one).
    pub async fn share_statistics(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        purpose: SharePurpose,
    ) -> Result<String, AppError> {
        allow(authorize(
            actor,
            &Action::ShareStatistics {
                organisation_id: organisation_id.to_string(),
            },
            today(),
        ))?;
        self.store
            .revoke_share_links(organisation_id, purpose.as_str())
            .await?;
        Ok(self
            .store
            .create_share_link(organisation_id, purpose.as_str())
            .await?)
    }

    pub async fn revoke_share(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        purpose: SharePurpose,
    ) -> Result<(), AppError> {
        allow(authorize(
            actor,
            &Action::ShareStatistics {
                organisation_id: organisation_id.to_string(),
            },
            today(),
        ))?;
        self.store
            .revoke_share_links(organisation_id, purpose.as_str())
            .await?;
        Ok(())
    }

    /// The aggregated statistics behind a public link (never a person's data: aggregated
    /// tables only, helpers' names left out).
    pub async fn shared_statistics(
        &self,
        token: &str,
        filter: Filter,
    ) -> Result<(Organisation, Statistics), AppError> {
        let org_id = self
            .store
            .share_link(token, SharePurpose::Statistics.as_str())
            .await?
            .ok_or(AppError::NotFound)?;
        let org = self
            .store
            .organisation(&org_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let filter = Filter {
            organisations: vec![org_id],
            ..filter
        }
        .for_public(today())
        .map_err(|e| AppError::Invalid(e.to_string()))?;
        let stats = self.statistics_of(&filter).await?;
        Ok((org, stats.for_public()))
    }
}

// ----- exports of statistics -----

/// The statistics as CSV: one line per figure and per table row (`indicateur`, `cle`,
/// `libelle`, `valeur`, `part`).
pub fn statistics_csv(stats: &Statistics) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Invalid(format!("écriture du CSV : {e}"));
    w.write_record([
        "indicateur",
        "titre",
        "cle",
        "libelle",
        "valeur",
        "part_pourcent",
    ])
    .map_err(err)?;
    for f in &stats.figures {
        w.write_record([
            f.indicator.id(),
            f.indicator.title(),
            "",
            "",
            &f.value.to_string(),
            "",
        ])
        .map_err(err)?;
    }
    for t in &stats.tables {
        for r in &t.rows {
            w.write_record([
                t.indicator.id(),
                t.indicator.title(),
                &maillage_domain::spreadsheet::cell(&r.key),
                &maillage_domain::spreadsheet::cell(&r.label),
                &r.value.to_string(),
                &t.share(r.value).to_string(),
            ])
            .map_err(err)?;
        }
    }
    w.into_inner()
        .map_err(|e| AppError::Invalid(format!("écriture du CSV : {e}")))
}

/// The statistics as XLSX: a sheet of figures (with the filters and definitions), then one
/// sheet per table.
pub fn statistics_xlsx(stats: &Statistics, heading: &str) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Invalid(format!("écriture du XLSX : {e}"));
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("chiffres-cles").map_err(err)?;
    sheet.write_with_format(0, 0, heading, &bold).map_err(err)?;
    for (c, h) in ["Identifiant", "Indicateur", "Valeur", "Définition"]
        .iter()
        .enumerate()
    {
        sheet
            .write_with_format(2, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, f) in stats.figures.iter().enumerate() {
        let row = 3 + i as u32;
        sheet.write(row, 0, f.indicator.id()).map_err(err)?;
        sheet.write(row, 1, f.indicator.title()).map_err(err)?;
        sheet.write(row, 2, f.value).map_err(err)?;
        sheet.write(row, 3, f.indicator.definition()).map_err(err)?;
    }
    sheet.set_column_width(1, 32).map_err(err)?;
    sheet.set_column_width(3, 80).map_err(err)?;
    for t in &stats.tables {
        let sheet = book.add_worksheet();
        // Sheet names: 31 characters at most.
        let name: String = t.indicator.id().chars().take(31).collect();
        sheet.set_name(&name).map_err(err)?;
        sheet
            .write_with_format(0, 0, t.indicator.title(), &bold)
            .map_err(err)?;
        sheet.write(1, 0, t.indicator.definition()).map_err(err)?;
        for (c, h) in ["Clé", "Libellé", "Valeur", "Part (%)"].iter().enumerate() {
            sheet
                .write_with_format(3, c as u16, *h, &bold)
                .map_err(err)?;
        }
        for (i, r) in t.rows.iter().enumerate() {
            let row = 4 + i as u32;
            sheet
                .write(row, 0, maillage_domain::spreadsheet::cell(&r.key).as_ref())
                .map_err(err)?;
            sheet
                .write(
                    row,
                    1,
                    maillage_domain::spreadsheet::cell(&r.label).as_ref(),
                )
                .map_err(err)?;
            sheet.write(row, 2, r.value as f64).map_err(err)?;
            sheet.write(row, 3, t.share(r.value)).map_err(err)?;
        }
        sheet.set_column_width(1, 48).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

/// The statistics as JSON for the API: figures by id, tables by id with rows and shares.
pub fn statistics_json(stats: &Statistics, filter: &Filter) -> serde_json::Value {
    let figures: serde_json::Map<String, serde_json::Value> = stats
        .figures
        .iter()
        .map(|f| (f.indicator.id().to_string(), serde_json::json!(f.value)))
        .collect();
    let tables: serde_json::Map<String, serde_json::Value> = stats
        .tables
        .iter()
        .map(|t| {
            (
                t.indicator.id().to_string(),
                serde_json::json!({
                    "titre": t.indicator.title(),
                    "definition": t.indicator.definition(),
                    "base": t.base,
                    "lignes": t.rows.iter().map(|r| serde_json::json!({
                        "cle": r.key,
                        "libelle": r.label,
                        "valeur": r.value,
                        "part": t.share(r.value),
                    })).collect::<Vec<_>>(),
                }),
            )
        })
        .collect();
    let filters: serde_json::Map<String, serde_json::Value> = filter
        .to_pairs()
        .into_iter()
        .filter(|(k, _)| *k != "structure")
        .fold(serde_json::Map::new(), |mut m, (k, v)| {
            let entry = m
                .entry(k.to_string())
                .or_insert_with(|| serde_json::json!([]));
            if let Some(a) = entry.as_array_mut() {
                a.push(serde_json::json!(v));
            }
            m
        });
    serde_json::json!({ "filtres": filters, "chiffres": figures, "tableaux": tables })
}

// ----- import of past records -----

/// Columns of the import template, with what each accepts (the form's field names).
pub const TEMPLATE_COLUMNS: [(&str, &str); 21] = [
    (
        "type",
        "Accompagnement individuel, Atelier collectif ou Aide aux démarches administratives (obligatoire)",
    ),
    (
        "date",
        "2026-03-14 ou 14/03/2026 (obligatoire, pas dans le futur)",
    ),
    ("duree", "en minutes (45) ou en heures (1h30) (obligatoire)"),
    (
        "lieu",
        "Lieu d'activité, Au domicile de la personne, À distance ou Autre lieu (obligatoire)",
    ),
    (
        "lieu_id",
        "identifiant du lieu dans l'annuaire (onglet « lieux »), pour un lieu d'activité",
    ),
    (
        "commune",
        "commune où a eu lieu l'activité (nom, code postal ou code INSEE), pour un autre lieu",
    ),
    (
        "thematiques",
        "thématiques séparées par « ; » (vocabulaire national, onglet « aide »)",
    ),
    (
        "thematiques_demarche",
        "domaines de la démarche séparés par « ; » (obligatoire pour une démarche)",
    ),
    ("demarche", "nom de la démarche (« Demande de RSA »)"),
    (
        "materiel",
        "Ordinateur ; Téléphone ; Tablette ; Autre matériel ; Pas de matériel",
    ),
    (
        "autonomie",
        "Fait à la place de la personne, Fait avec la personne ou Fait par la personne, seule",
    ),
    (
        "finalisation",
        "pour une démarche : Démarche finalisée, À finaliser par la personne, seule, La personne doit revenir, Orientée vers une autre structure",
    ),
    (
        "orientation",
        "catégorie de la structure vers laquelle la personne a été orientée",
    ),
    ("titre", "titre de l'atelier (obligatoire pour un atelier)"),
    (
        "niveau",
        "Éloigné, Débutant, Intermédiaire, Avancé ou Autonome",
    ),
    (
        "participants",
        "nombre de participants d'un atelier (obligatoire pour un atelier)",
    ),
    (
        "tranche_age",
        "une tranche (individuel) ou « 60-69=4 ; 70-plus=2 » (atelier)",
    ),
    (
        "genre",
        "Femme ou Homme (individuel) ou « femme=5 ; homme=2 » (atelier)",
    ),
    (
        "statut_social",
        "Scolarisé(e), Sans emploi, En emploi, Retraité(e) (ou « retraite=4 » pour un atelier)",
    ),
    (
        "commune_residence",
        "commune de résidence de la personne (individuel)",
    ),
    ("etiquettes", "étiquettes libres séparées par « ; »"),
];

/// A cell the import refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// Line of the file (the header is line 1).
    pub line: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub rows: usize,
    pub written: usize,
    pub problems: Vec<ImportProblem>,
}

type Rows = Vec<(usize, HashMap<String, String>)>;

/// The rows of a file as read: line number (the header's is 1) and cells by column.
type Sheet = Vec<(usize, BTreeMap<usize, String>)>;

/// Reads a CSV (`,` or `;`) or XLSX file into rows keyed by column name.
pub fn read_import(bytes: &[u8], file_name: &str) -> Result<Rows, AppError> {
    let lower = file_name.to_lowercase();
    let sheet = if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, file_name)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            AppError::Invalid(format!(
                "« {file_name} » : le fichier n'est pas en UTF-8 (enregistrez-le en « CSV UTF-8 »)"
            ))
        })?;
        let text = text.trim_start_matches('\u{feff}');
        let first = text.lines().next().unwrap_or_default();
        let delimiter = if first.matches(';').count() > first.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut out = Vec::new();
        let mut cells = 0usize;
        let too_many = |line: usize| {
            AppError::Invalid(format!(
                "ligne {line} : plus de {MAX_COLUMNS} colonnes ou de 2 500 000 cellules dans le \
                 fichier ; importez-le en plusieurs fichiers"
            ))
        };
        for (i, record) in reader.records().enumerate() {
            let record = record
                .map_err(|e| AppError::Invalid(format!("ligne {} : CSV illisible ({e})", i + 1)))?;
            cells += record.len();
            if record.len() > MAX_COLUMNS || cells > MAX_CELLS {
                return Err(too_many(i + 1));
            }
            out.push((
                i + 1,
                record
                    .iter()
                    .map(|v| maillage_domain::spreadsheet::uncell(v).to_string())
                    .enumerate()
                    .collect(),
            ));
        }
        out
    };
    let mut lines = sheet.into_iter();
    let Some((_, header)) = lines.next() else {
        return Err(AppError::Invalid(format!("« {file_name} » : fichier vide")));
    };
    let header: BTreeMap<usize, String> = header
        .into_iter()
        .map(|(c, h)| (c, maillage_domain::text::fold(&h).replace([' ', '-'], "_")))
        .collect();
    let known: HashSet<&str> = TEMPLATE_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain(["notes"])
        .chain(EXPORT_ONLY_COLUMNS)
        .collect();
    let unknown: Vec<&String> = header
        .values()
        .filter(|h| !h.is_empty() && !known.contains(h.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::Invalid(format!(
            "ligne 1 : colonne(s) inconnue(s) {} — utilisez le modèle (colonnes : {})",
            unknown
                .iter()
                .map(|u| format!("« {u} »"))
                .collect::<Vec<_>>()
                .join(", "),
            TEMPLATE_COLUMNS
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for required in ["type", "date", "duree", "lieu"] {
        if !header.values().any(|h| h == required) {
            return Err(AppError::Invalid(format!(
                "ligne 1 : la colonne « {required} » manque"
            )));
        }
    }
    // One column per name (the last one when a name is repeated): a row costs the template's
    // columns, whatever the width of the file.
    let mut columns: HashMap<&str, usize> = HashMap::new();
    for (c, h) in &header {
        if !h.is_empty() {
            columns.insert(h, *c);
        }
    }
    Ok(lines
        .filter(|(_, row)| row.values().any(|c| !c.trim().is_empty()))
        .map(|(line, row)| {
            let cells = columns
                .iter()
                .map(|(h, c)| (h.to_string(), row.get(c).cloned().unwrap_or_default()))
                .collect();
            (line, cells)
        })
        .collect())
}

/// Cells read from one file at most (with empty ones): 100,000 records of the template's
/// columns. A compressed sheet can name far more in a few megabytes, a CSV line of commas
/// millions.
const MAX_CELLS: usize = 2_500_000;

/// Columns of one CSV line at most (the template has 26 with the export's).
const MAX_COLUMNS: usize = 200;

/// The first sheet of a workbook, cell by cell: only the cells present are kept, so a file
/// naming far-apart cells (`A1` and `XFD1048576`) costs its size, never the rectangle between
/// them (calamine's `Range` allocates every cell of it).
fn read_xlsx(bytes: &[u8], file_name: &str) -> Result<Sheet, AppError> {
    use calamine::{Data, DataRef, DataType, Reader, XlsxError};
    let unreadable =
        |e: XlsxError| AppError::Invalid(format!("« {file_name} » : feuille illisible ({e})"));
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).map_err(|e| {
            AppError::Invalid(format!("« {file_name} » : classeur XLSX illisible ({e})"))
        })?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| AppError::Invalid(format!("« {file_name} » : aucune feuille")))?;
    let mut reader = match book.worksheet_cells_reader(&name) {
        Ok(reader) => reader,
        // A chart sheet first: no cells, as calamine's own ranges say.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(e) => return Err(unreadable(e)),
    };
    let mut rows: BTreeMap<u32, BTreeMap<usize, String>> = BTreeMap::new();
    let mut count = 0usize;
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        count += 1;
        if count > MAX_CELLS {
            return Err(AppError::Invalid(format!(
                "« {file_name} » : la feuille compte plus de 2 500 000 cellules ; importez-la en \
                 plusieurs fichiers"
            )));
        }
        let (row, col) = cell.get_position();
        let value = match cell.get_value() {
            DataRef::Empty => continue,
            v @ (DataRef::DateTime(_) | DataRef::DateTimeIso(_)) => v
                .as_datetime()
                .map(|d| d.date().to_string())
                .unwrap_or_else(|| Data::from(v.clone()).to_string()),
            // A whole number as such (a duration, a count); beyond 2^53 a float is not one.
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                format!("{f:.0}")
            }
            DataRef::String(text) => maillage_domain::spreadsheet::uncell(text).to_string(),
            DataRef::SharedString(text) => maillage_domain::spreadsheet::uncell(text).to_string(),
            other => Data::from(other.clone()).to_string(),
        };
        rows.entry(row).or_default().insert(col as usize, value);
    }
    // Lines count from the first row holding a cell (the header), as the template is read.
    let first = rows.keys().next().copied().unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|(row, cells)| ((row - first) as usize + 1, cells))
        .collect())
}

fn split_list(s: &str) -> Vec<String> {
    s.split(';')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// A row of the template as a form.
pub fn form_of_row(cells: &HashMap<String, String>) -> ActivityForm {
    let get = |k: &str| cells.get(k).cloned().unwrap_or_default();
    ActivityForm {
        kind: get("type"),
        date: get("date"),
        duration: get("duree"),
        venue: get("lieu"),
        place_id: get("lieu_id"),
        insee_code: get("commune"),
        themes: split_list(&get("thematiques")),
        procedure_themes: split_list(&get("thematiques_demarche")),
        procedure_name: get("demarche"),
        equipment: split_list(&get("materiel")),
        autonomy: get("autonomie"),
        outcome: get("finalisation"),
        redirection: get("orientation"),
        title: get("titre"),
        level: get("niveau"),
        persons: Vec::new(),
        anonymous_total: get("participants"),
        ages: split_list(&get("tranche_age")),
        genders: split_list(&get("genre")),
        statuses: split_list(&get("statut_social")),
        residence: get("commune_residence"),
        tags: split_list(&get("etiquettes")),
    }
}

impl App {
    /// Imports past records of a structure: every row is checked; with any problem nothing is
    /// written (unless `valid_only`, which writes the valid rows and reports the others).
    pub async fn import_activities(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        bytes: &[u8],
        file_name: &str,
        valid_only: bool,
    ) -> Result<ImportReport, AppError> {
        let actor_ref = actor.ok_or(AppError::SignInRequired)?;
        allow(authorize(
            actor,
            &Action::RecordActivity {
                organisation_id: organisation_id.to_string(),
            },
            today(),
        ))?;
        let rows = read_import(bytes, file_name)?;
        let mut report = ImportReport {
            rows: rows.len(),
            ..Default::default()
        };
        let mut valid: Vec<(Activity, Option<String>)> = Vec::new();
        for (line, cells) in &rows {
            let form = form_of_row(cells);
            match self.check_record(organisation_id, &form).await? {
                Ok((activity, _)) => {
                    let notes = cells
                        .get("notes")
                        .map(|n| n.trim().to_string())
                        .filter(|n| !n.is_empty());
                    valid.push((activity, notes));
                }
                Err(errors) => {
                    for (field, reason) in errors {
                        report.problems.push(ImportProblem {
                            line: *line,
                            column: field.to_string(),
                            value: cells.get(field).cloned().unwrap_or_default(),
                            reason,
                        });
                    }
                }
            }
        }
        if report.problems.is_empty() || valid_only {
            let records: Vec<NewActivity> = valid
                .iter()
                .map(|(a, notes)| NewActivity {
                    organisation_id,
                    helper_id: Some(&actor_ref.user_id),
                    activity: a,
                    notes: notes.as_deref(),
                })
                .collect();
            report.written = self.store.insert_activities(&records).await?.len();
        }
        Ok(report)
    }
}

/// The import template: a sheet to fill, a sheet explaining each column with the accepted
/// values, and the structure's places with their identifiers.
pub fn template_xlsx(places: &[(String, String)]) -> Result<Vec<u8>, AppError> {
    use maillage_domain::activity::{
        ActivityKind, Autonomy, Equipment, ProcedureOutcome, ProcedureTheme, Redirection, Venue,
    };
    use maillage_domain::vocab::MediationTheme;
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Invalid(format!("écriture du XLSX : {e}"));
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("activites").map_err(err)?;
    for (c, (name, _)) in TEMPLATE_COLUMNS.iter().enumerate() {
        sheet
            .write_with_format(0, c as u16, *name, &bold)
            .map_err(err)?;
        sheet.set_column_width(c as u16, 18).map_err(err)?;
    }
    sheet
        .write_with_format(0, TEMPLATE_COLUMNS.len() as u16, "notes", &bold)
        .map_err(err)?;
    let help = book.add_worksheet();
    help.set_name("aide").map_err(err)?;
    help.write_with_format(0, 0, "Colonne", &bold)
        .map_err(err)?;
    help.write_with_format(0, 1, "Ce qu'elle accepte", &bold)
        .map_err(err)?;
    let mut row = 1u32;
    for (name, what) in TEMPLATE_COLUMNS {
        help.write(row, 0, name).map_err(err)?;
        help.write(row, 1, what).map_err(err)?;
        row += 1;
    }
    help.write(row, 0, "notes").map_err(err)?;
    help.write(
        row,
        1,
        "notes privées (vues par vous seul·e, jamais exportées)",
    )
    .map_err(err)?;
    row += 2;
    fn values<V: Vocabulary>() -> String {
        V::ALL
            .iter()
            .map(|v| v.label())
            .collect::<Vec<_>>()
            .join(" ; ")
    }
    for (name, list) in [
        ("type", values::<ActivityKind>()),
        ("lieu", values::<Venue>()),
        ("thematiques", values::<MediationTheme>()),
        ("thematiques_demarche", values::<ProcedureTheme>()),
        ("materiel", values::<Equipment>()),
        ("autonomie", values::<Autonomy>()),
        ("finalisation", values::<ProcedureOutcome>()),
        ("orientation", values::<Redirection>()),
        ("tranche_age", values::<AgeBracket>()),
        ("genre", values::<Gender>()),
        ("statut_social", values::<SocialStatus>()),
    ] {
        help.write_with_format(row, 0, name, &bold).map_err(err)?;
        help.write(row, 1, list).map_err(err)?;
        row += 1;
    }
    help.set_column_width(0, 22).map_err(err)?;
    help.set_column_width(1, 120).map_err(err)?;
    let sheet = book.add_worksheet();
    sheet.set_name("lieux").map_err(err)?;
    sheet
        .write_with_format(0, 0, "lieu_id", &bold)
        .map_err(err)?;
    sheet.write_with_format(0, 1, "Nom", &bold).map_err(err)?;
    for (i, (id, name)) in places.iter().enumerate() {
        sheet.write(1 + i as u32, 0, id).map_err(err)?;
        sheet.write(1 + i as u32, 1, name).map_err(err)?;
    }
    sheet.set_column_width(0, 36).map_err(err)?;
    sheet.set_column_width(1, 60).map_err(err)?;
    book.save_to_buffer().map_err(err)
}

/// The CSV template: the header line (UTF-8 with BOM, `;`, as spreadsheets expect in France).
pub fn template_csv() -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let header: Vec<&str> = TEMPLATE_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain(["notes"])
        .collect();
    out.extend_from_slice(header.join(";").as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

// ----- export of records -----

/// Columns an export adds before and after the template's (ignored when re-imported).
pub const EXPORT_ONLY_COLUMNS: [&str; 5] = [
    "id",
    "structure_id",
    "intervenant_id",
    "personnes_suivies",
    "accompagnements",
];

/// The header of an export of records.
pub fn export_header() -> Vec<&'static str> {
    EXPORT_ONLY_COLUMNS[..3]
        .iter()
        .copied()
        .chain(TEMPLATE_COLUMNS.iter().map(|(c, _)| *c))
        .chain(EXPORT_ONLY_COLUMNS[3..].iter().copied())
        .collect()
}

/// A record as a line of the export (labels of the vocabularies, lists joined by « ; »;
/// never the private notes nor who the followed persons are).
pub fn export_row(a: &StoredActivity) -> Vec<String> {
    fn labels<V: Vocabulary>(v: &[V]) -> String {
        v.iter().map(|x| x.label()).collect::<Vec<_>>().join(" ; ")
    }
    fn counts<V: Vocabulary>(c: &maillage_domain::activity::Counts<V>, single: bool) -> String {
        c.0.iter()
            .map(|(v, n)| {
                if single {
                    v.label().to_string()
                } else {
                    format!("{}={n}", v.label())
                }
            })
            .collect::<Vec<_>>()
            .join(" ; ")
    }
    let x = &a.activity;
    let single = x.kind != maillage_domain::activity::ActivityKind::Collective;
    let opt = |v: Option<&'static str>| v.unwrap_or_default().to_string();
    let row = vec![
        a.id.clone(),
        a.organisation_id.clone(),
        a.helper_id.clone().unwrap_or_default(),
        x.kind.label().to_string(),
        x.date.to_string(),
        x.duration_minutes.to_string(),
        x.venue.label().to_string(),
        x.place_id.clone().unwrap_or_default(),
        x.insee_code.clone().unwrap_or_default(),
        labels(&x.themes),
        labels(&x.procedure_themes),
        x.procedure_name.clone().unwrap_or_default(),
        labels(&x.equipment),
        opt(x.autonomy.map(|v| v.label())),
        opt(x.outcome.map(|v| v.label())),
        opt(x.redirection.map(|v| v.label())),
        x.title.clone().unwrap_or_default(),
        opt(x.level.map(|v| v.label())),
        if single {
            String::new()
        } else {
            x.anonymous.total.to_string()
        },
        counts(&x.anonymous.ages, single),
        counts(&x.anonymous.genders, single),
        counts(&x.anonymous.statuses, single),
        x.anonymous.commune.clone().unwrap_or_default(),
        x.tags.join(" ; "),
        x.persons.len().to_string(),
        x.accompaniments().to_string(),
    ];
    // Every cell escaped against formulas (read back by `read_import`).
    row.into_iter()
        .map(|v| maillage_domain::spreadsheet::cell(&v).into_owned())
        .collect()
}

impl App {
    /// Streams the records that pass a (scoped) filter to `visit`, page by page: memory holds
    /// one page, whatever the number of records.
    pub async fn each_activity(
        &self,
        filter: &Filter,
        mut visit: impl FnMut(&StoredActivity) -> Result<(), AppError>,
    ) -> Result<u64, AppError> {
        let mut after: Option<String> = None;
        let mut n = 0;
        loop {
            let page = self.store.activities_page(after.as_deref(), PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            for a in &page {
                if filter.accepts(&a.activity, &a.organisation_id, a.helper_id.as_deref()) {
                    visit(a)?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Writes the records as CSV (UTF-8, `,`) to a writer, streaming.
    pub async fn export_activities_csv<W: std::io::Write>(
        &self,
        filter: &Filter,
        out: W,
    ) -> Result<u64, AppError> {
        let err = |e: csv::Error| AppError::Invalid(format!("écriture du CSV : {e}"));
        let mut w = csv::Writer::from_writer(out);
        w.write_record(export_header()).map_err(err)?;
        let n = self
            .each_activity(filter, |a| w.write_record(export_row(a)).map_err(err))
            .await?;
        w.flush()
            .map_err(|e| AppError::Invalid(format!("écriture du CSV : {e}")))?;
        Ok(n)
    }

    /// Writes the records as XLSX to a file, rows going to disk as they come (constant
    /// memory).
    pub async fn export_activities_xlsx(
        &self,
        filter: &Filter,
        path: &std::path::Path,
    ) -> Result<u64, AppError> {
        use rust_xlsxwriter::{Format, Workbook};
        let err =
            |e: rust_xlsxwriter::XlsxError| AppError::Invalid(format!("écriture du XLSX : {e}"));
        let mut book = Workbook::new();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            book.set_tempdir(dir).map_err(err)?;
        }
        let bold = Format::new().set_bold();
        let sheet = book.add_worksheet_with_constant_memory().map_err(err)?;
        sheet.set_name("activites").map_err(err)?;
        for (c, h) in export_header().iter().enumerate() {
            sheet
                .write_with_format(0, c as u16, *h, &bold)
                .map_err(err)?;
        }
        let mut row = 0u32;
        let n = self
            .each_activity(filter, |a| {
                row += 1;
                if row >= 1_048_576 {
                    return Err(AppError::Invalid(
                        "plus d'un million de lignes : le format XLSX ne peut pas les contenir, exportez en CSV ou filtrez".into(),
                    ));
                }
                for (c, v) in export_row(a).iter().enumerate() {
                    if !v.is_empty() {
                        sheet.write(row, c as u16, v).map_err(err)?;
                    }
                }
                Ok(())
            })
            .await?;
        book.save(path).map_err(err)?;
        Ok(n)
    }
}

impl App {
    /// The records that pass a (scoped) filter as CSV chunks, one page of records per chunk,
    /// for a streamed HTTP body.
    pub fn activities_csv_stream(
        &self,
        filter: Filter,
    ) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
        struct Cursor {
            app: App,
            filter: Filter,
            after: Option<String>,
            first: bool,
        }
        let start = Cursor {
            app: self.clone(),
            filter,
            after: None,
            first: true,
        };
        futures_util::stream::unfold(Some(start), |cursor| async move {
            let mut c = cursor?;
            let io = |e: String| std::io::Error::other(e);
            let mut w = csv::Writer::from_writer(Vec::new());
            if c.first {
                if let Err(e) = w.write_record(export_header()) {
                    return Some((Err(io(e.to_string())), None));
                }
                c.first = false;
            }
            let page = match c.app.store.activities_page(c.after.as_deref(), PAGE).await {
                Ok(p) => p,
                Err(e) => return Some((Err(io(AppError::from(e).public_message())), None)),
            };
            let next = page.last().map(|l| l.id.clone());
            for a in &page {
                if c.filter
                    .accepts(&a.activity, &a.organisation_id, a.helper_id.as_deref())
                    && let Err(e) = w.write_record(export_row(a))
                {
                    return Some((Err(io(e.to_string())), None));
                }
            }
            let bytes = match w.into_inner() {
                Ok(b) => b,
                Err(e) => return Some((Err(io(e.to_string())), None)),
            };
            match next {
                Some(after) => {
                    c.after = Some(after);
                    Some((Ok(bytes), Some(c)))
                }
                // Last (possibly empty) chunk: the header when there was nothing at all.
                None => Some((Ok(bytes), None)),
            }
        })
    }
}

impl App {
    /// Whether a structure has a live share link for this purpose,
    /// for who may give such links (its members).
    pub async fn has_share_link(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        purpose: SharePurpose,
    ) -> Result<bool, AppError> {
        allow(authorize(
            actor,
            &Action::ShareStatistics {
                organisation_id: organisation_id.to_string(),
            },
            today(),
        ))?;
        Ok(self
            .store
            .has_share_link(organisation_id, purpose.as_str())
            .await?)
    }

    /// The record already made of a workshop's session, if any, for who may record in the
    /// workshop's structure.
    pub async fn activity_of_session(
        &self,
        actor: Option<&Actor>,
        workshop_id: &str,
        start: NaiveDateTime,
    ) -> Result<Option<String>, AppError> {
        let w = self
            .store
            .workshop(workshop_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let organisation_id = w.workshop.organisation_id.ok_or(AppError::NotFound)?;
        allow(authorize(
            actor,
            &Action::RecordActivity { organisation_id },
            today(),
        ))?;
        Ok(self.store.activity_of_session(workshop_id, start).await?)
    }
}

#[cfg(test)]
mod import_tests {
    use super::*;

    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (row, col, value) in cells {
            sheet.write(*row, *col, *value).expect("cellule");
        }
        book.save_to_buffer().expect("classeur")
    }

    /// Found by fuzzing (`fuzz/fuzz_targets/activity_xlsx.rs`): two far-apart cells made
    /// calamine's range allocate every cell between them (512 GiB for `A1` and
    /// `XFD1048576`), which aborts the server, from a file of a few kilobytes.
    #[test]
    fn far_apart_cells_cost_the_size_of_the_file() {
        let bytes = workbook(&[
            (0, 0, "type"),
            (0, 1, "date"),
            (0, 2, "duree"),
            (0, 3, "lieu"),
            (1, 0, "Atelier collectif"),
            (1_048_575, 16_383, "loin"),
        ]);
        let rows = read_import(&bytes, "activites.xlsx").expect("lu");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1["type"], "Atelier collectif");
        assert_eq!(rows[0].1["lieu"], "");
        // The far cell is a row of its own, outside the template's columns (then refused by
        // the record's checks, with its line).
        assert_eq!(rows[1].0, 1_048_576);
        assert_eq!(rows[1].1["type"], "");
    }

    #[test]
    fn lines_and_columns_count_from_the_header_as_before() {
        // The header starts at C3: lines count from it, and a repeated name keeps its last
        // column (as a row read into a map always did).
        let bytes = workbook(&[
            (2, 2, "type"),
            (2, 3, "date"),
            (2, 4, "duree"),
            (2, 5, "lieu"),
            (2, 6, "type"),
            (4, 2, "ignoré"),
            (4, 6, "Aide aux démarches administratives"),
            (4, 4, "45"),
        ]);
        let rows = read_import(&bytes, "activites.xlsx").expect("lu");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 3);
        assert_eq!(rows[0].1["type"], "Aide aux démarches administratives");
        assert_eq!(rows[0].1["duree"], "45");
        let csv =
            "type;date;duree;lieu;type\n;;;;\nignoré;2026-01-02;45;À distance;Atelier collectif\n";
        let rows = read_import(csv.as_bytes(), "activites.csv").expect("lu");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 3);
        assert_eq!(rows[0].1["type"], "Atelier collectif");
        assert_eq!(rows[0].1["lieu"], "À distance");
    }

    /// A line of commas or a sheet of millions of cells, a few megabytes once compressed, is
    /// refused with its reason before it costs its size in memory.
    #[test]
    fn huge_sheets_are_refused_before_they_are_held() {
        let mut csv = String::from("type,date,duree,lieu\n");
        csv.push_str(&",".repeat(10_000));
        let Err(AppError::Invalid(message)) = read_import(csv.as_bytes(), "activites.csv") else {
            panic!("ligne de 10 001 colonnes acceptée");
        };
        assert!(
            message.starts_with("ligne 2 : plus de 200 colonnes"),
            "{message}"
        );

        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for row in 0..2_600_000u32 / 20 {
            for col in 0..20u16 {
                sheet.write(row, col, 1).expect("cellule");
            }
        }
        let bytes = book.save_to_buffer().expect("classeur");
        let Err(AppError::Invalid(message)) = read_import(&bytes, "activites.xlsx") else {
            panic!("2 600 000 cellules acceptées");
        };
        assert!(message.contains("plus de 2 500 000 cellules"), "{message}");
    }

    #[test]
    fn whole_numbers_stay_whole_and_big_ones_are_not_clamped() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (col, name) in ["type", "date", "duree", "lieu"].iter().enumerate() {
            sheet.write(0, col as u16, *name).expect("en-tête");
        }
        sheet.write(1, 2, 45.0).expect("durée");
        sheet.write(1, 3, 1e20).expect("nombre");
        let bytes = book.save_to_buffer().expect("classeur");
        let rows = read_import(&bytes, "activites.xlsx").expect("lu");
        assert_eq!(rows[0].1["duree"], "45");
        assert_eq!(rows[0].1["lieu"], "100000000000000000000");
    }
}
