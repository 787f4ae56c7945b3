//! Workshops: the calendar found by theme, level, date, place and distance; registration by a
//! helper or by the person, with a waiting list, cancellation that promotes the next person and
//! tells them; the organiser's list; iCalendar feeds and exports.

use chrono::{NaiveDate, TimeZone, Utc};
use icalendar::{Calendar, Component, EventLike};
use maillage_domain::diagnostic::Level;
use maillage_domain::french;
use maillage_domain::geo::GeoPoint;
use maillage_domain::hours::timezone_of_departement;
use maillage_domain::policy::{Action, Actor, Location, authorize};
use maillage_domain::vocab::{MediationTheme, RegistrationMode, WorkshopFormat};
use maillage_domain::workshops::{RegistrationStatus, Workshop, seats_left};
use maillage_store::{Registration, StoredWorkshop};

use crate::mail::Mail;
use crate::mail::messages::{Message, Registered, SeatFreed, WorkshopReminder};
use crate::{App, AppError, allow, today};

/// Filters of the calendar (every one optional).
#[derive(Debug, Clone, Default)]
pub struct WorkshopFilter {
    pub themes: Vec<MediationTheme>,
    /// The person's level: workshops that fit it.
    pub level: Option<Level>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Near a point, within `radius_km`.
    pub near: Option<(GeoPoint, f64)>,
    pub free_only: bool,
    pub format: Option<WorkshopFormat>,
    pub seats_only: bool,
    pub organisation_id: Option<String>,
    pub place_id: Option<String>,
}

/// The calendar's filters as the page's and the API's query give them (`thematique`,
/// `niveau`, `gratuit`, `places`, `format`, `du`, `au`, `pres_de`, `rayon`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct WorkshopQuery {
    #[serde(rename = "thematique")]
    pub themes: Vec<String>,
    #[serde(rename = "niveau")]
    pub level: String,
    #[serde(rename = "gratuit")]
    pub free_only: bool,
    #[serde(rename = "places")]
    pub seats_only: bool,
    pub format: String,
    #[serde(rename = "du")]
    pub from: String,
    #[serde(rename = "au")]
    pub to: String,
    #[serde(rename = "pres_de")]
    pub near: String,
    /// Kilometres around `pres_de` (15 by default, 1 to 200).
    #[serde(rename = "rayon")]
    pub radius: String,
}

/// A calendar filter read from a query: the filter, the French errors of bad values, and the
/// name of the place it is near.
pub struct ReadFilter {
    pub filter: WorkshopFilter,
    pub errors: Vec<String>,
    pub near_label: String,
}

/// A workshop found, with its distance and seats.
#[derive(Debug, Clone)]
pub struct WorkshopHit {
    pub stored: StoredWorkshop,
    pub distance_m: Option<f64>,
    pub seats_left: Option<u32>,
    pub place_name: Option<String>,
}

impl App {
    /// The calendar's filter of a query (the page and the API read it alike).
    pub fn workshop_filter(&self, q: &WorkshopQuery) -> ReadFilter {
        use maillage_domain::Vocabulary;
        let mut errors = Vec::new();
        let mut filter = WorkshopFilter {
            themes: q
                .themes
                .iter()
                .filter_map(|t| MediationTheme::from_slug(t))
                .collect(),
            level: Level::from_slug(&q.level),
            free_only: q.free_only,
            seats_only: q.seats_only,
            format: WorkshopFormat::from_slug(&q.format),
            ..Default::default()
        };
        for (v, slot) in [(&q.from, &mut filter.from), (&q.to, &mut filter.to)] {
            if !v.is_empty() {
                match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                    Ok(d) => *slot = Some(d),
                    Err(_) => {
                        errors.push(format!("date « {v} » : attendue sous la forme 2026-12-03"))
                    }
                }
            }
        }
        let mut near_label = String::new();
        if !q.near.is_empty() {
            let radius = q.radius.parse::<f64>().unwrap_or(15.0).clamp(1.0, 200.0);
            match self.resolve_near(&q.near) {
                Ok((point, label)) => {
                    near_label = label;
                    filter.near = Some((point, radius));
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        ReadFilter {
            filter,
            errors,
            near_label,
        }
    }
}

fn location_of_workshop(w: &Workshop) -> Location {
    Location {
        organisation_id: w.organisation_id.clone(),
        insee_code: w.insee_code.clone(),
        departement: w
            .insee_code
            .as_deref()
            .and_then(maillage_domain::fields::departement_of_insee)
            .map(str::to_string),
    }
}

impl App {
    /// Upcoming workshops matching the filter, soonest first (the nearer first on the same day
    /// when searching near a place). The workshops' places are read in one round trip.
    pub async fn find_workshops(&self, f: &WorkshopFilter) -> Result<Vec<WorkshopHit>, AppError> {
        let from = f.from.unwrap_or_else(today);
        let matching: Vec<StoredWorkshop> = self
            .store
            .workshops_from(&from.to_string())
            .await?
            .into_iter()
            .filter(|stored| {
                let w = &stored.workshop;
                (f.themes.is_empty() || w.themes.iter().any(|t| f.themes.contains(t)))
                    && f.level.is_none_or(|l| w.fits(l))
                    && f.to.is_none_or(|to| w.first_day().is_none_or(|d| d <= to))
                    && (!f.free_only || w.free)
                    && f.format.is_none_or(|x| x == w.format)
                    && f.organisation_id
                        .as_ref()
                        .is_none_or(|o| w.organisation_id.as_ref() == Some(o))
                    && f.place_id
                        .as_ref()
                        .is_none_or(|p| w.place_id.as_ref() == Some(p))
                    && !(f.seats_only && seats_left(w.capacity, stored.registered) == Some(0))
            })
            .collect();
        let place_ids: Vec<String> = matching
            .iter()
            .filter_map(|s| s.workshop.place_id.clone())
            .collect();
        let places: std::collections::HashMap<String, maillage_domain::Place> = self
            .store
            .places(&place_ids)
            .await?
            .into_iter()
            .map(|p| (p.place.id.clone(), p.place))
            .collect();
        let mut out = Vec::new();
        for stored in matching {
            let w = &stored.workshop;
            let place = w.place_id.as_ref().and_then(|p| places.get(p));
            // Where it happens: its place's position, else its commune's centre.
            let position = place.and_then(|p| p.location).or_else(|| {
                w.insee_code
                    .as_deref()
                    .and_then(|c| self.referential.centre_of(c))
                    .map(|(p, _)| p)
            });
            let distance_m = f
                .near
                .and_then(|(centre, _)| position.map(|p| centre.distance_m(p)));
            if let Some((_, radius)) = f.near
                && w.format != WorkshopFormat::Remote
                && distance_m.is_none_or(|d| d > radius * 1000.0)
            {
                continue;
            }
            out.push(WorkshopHit {
                seats_left: seats_left(w.capacity, stored.registered),
                distance_m,
                place_name: place.map(|p| p.name.clone()),
                stored,
            });
        }
        if f.near.is_some() {
            out.sort_by(|a, b| {
                a.stored
                    .workshop
                    .first_day()
                    .cmp(&b.stored.workshop.first_day())
                    .then(
                        a.distance_m
                            .unwrap_or(f64::MAX)
                            .total_cmp(&b.distance_m.unwrap_or(f64::MAX)),
                    )
            });
        }
        Ok(out)
    }

    /// Whether the actor may manage this workshop (its list, attendance, cancellations).
    pub fn may_manage_workshop(&self, actor: Option<&Actor>, w: &Workshop) -> bool {
        authorize(
            actor,
            &Action::ManageWorkshop(location_of_workshop(w)),
            today(),
        )
        .is_allowed()
    }

    pub async fn workshop(&self, id: &str) -> Result<StoredWorkshop, AppError> {
        self.store.workshop(id).await?.ok_or(AppError::NotFound)
    }

    /// Publishes a workshop for a structure, at a place of the directory or elsewhere.
    pub async fn publish_workshop(
        &self,
        actor: Option<&Actor>,
        mut w: Workshop,
    ) -> Result<String, AppError> {
        if let Some(pid) = &w.place_id {
            let place = self.place(pid).await?;
            w.commune = place.place.commune.clone();
            w.insee_code = place.place.insee_code.clone();
        } else if w.insee_code.is_none() && !w.commune.is_empty() {
            let commune = self
                .referential
                .find_by_name(&w.commune, None)
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "commune : « {} » inconnue du référentiel officiel",
                        w.commune
                    ))
                })?;
            w.commune = commune.name.clone();
            w.insee_code = Some(commune.insee_code.clone());
        }
        allow(authorize(
            actor,
            &Action::ManageWorkshop(location_of_workshop(&w)),
            today(),
        ))?;
        Ok(self
            .store
            .create_workshop(&w, actor.map(|a| a.user_id.as_str()))
            .await?)
    }

    /// Registers a person (a first name or pseudonym, a contact they choose or none). Workshops
    /// "on referral only" take registrations from signed-in helpers. A confirmation e-mail
    /// asked without an account is limited per client and per address (`client`: see
    /// `maillage_web::auth::Client`).
    pub async fn register_person(
        &self,
        actor: Option<&Actor>,
        client: &str,
        workshop_id: &str,
        pseudonym: &str,
        contact: &str,
    ) -> Result<(Registration, String), AppError> {
        let stored = self.workshop(workshop_id).await?;
        let w = &stored.workshop;
        if w.registration == RegistrationMode::ReferralOnly && actor.is_none() {
            return Err(AppError::Invalid(
                "cet atelier se rejoint sur orientation d'un aidant : demandez à la structure qui vous accompagne".into(),
            ));
        }
        if w.sessions.iter().all(|s| s.start.date() < today()) {
            return Err(AppError::Invalid("cet atelier a déjà eu lieu".into()));
        }
        let pseudonym = pseudonym.trim();
        if pseudonym.is_empty() || pseudonym.chars().count() > 60 {
            return Err(AppError::Invalid(
                "prénom ou pseudonyme : de 1 à 60 caractères".into(),
            ));
        }
        let contact = contact.trim();
        let contact = if contact.is_empty() {
            None
        } else if contact.contains('@') {
            Some(
                maillage_domain::fields::email(contact)
                    .map_err(|r| AppError::Invalid(format!("contact : {r}")))?,
            )
        } else {
            Some(
                maillage_domain::fields::phone_e164(contact)
                    .map_err(|r| AppError::Invalid(format!("contact : {r}")))?
                    .value,
            )
        };
        if actor.is_none()
            && let Some(to) = contact.as_deref().filter(|c| c.contains('@'))
            && !self.limits.mail_allowed(client, to).await
        {
            return Err(AppError::TooMany(
                "beaucoup d'inscriptions ont été demandées depuis votre connexion ou pour cette adresse : réessayez dans une heure".into(),
            ));
        }
        let (registration, token) = self
            .store
            .register(
                workshop_id,
                w.capacity,
                pseudonym,
                contact.as_deref(),
                actor.map(|a| a.user_id.as_str()),
            )
            .await?;
        if let Some(to) = contact.as_deref().filter(|c| c.contains('@')) {
            let to = to.to_string();
            let mail = self.registration_mail(&to, w, &registration, &token);
            self.mailer.send_all(mail.as_slice()).await;
        }
        Ok((registration, token))
    }

    fn registration_mail(
        &self,
        to: &str,
        w: &Workshop,
        r: &Registration,
        token: &str,
    ) -> Option<Mail> {
        Registered {
            waiting: r.status != RegistrationStatus::Registered,
            person: r.pseudonym.clone(),
            title: w.title.clone(),
            when: sessions_text(w),
            place: w.location.clone().unwrap_or_else(|| w.commune.clone()),
            bring: w.bring.clone(),
            token: token.to_string(),
            url: self.public_url.clone(),
        }
        .to(to)
    }

    /// Cancels by the token sent at registration; the first person waiting gets the seat and
    /// is told.
    pub async fn cancel_by_token(&self, token: &str) -> Result<Registration, AppError> {
        let r = self
            .store
            .registration_by_token(token)
            .await?
            .ok_or(AppError::NotFound)?;
        self.cancel_registration_inner(&r).await?;
        Ok(r)
    }

    /// The organiser cancels a registration.
    pub async fn cancel_registration(
        &self,
        actor: Option<&Actor>,
        registration_id: &str,
    ) -> Result<String, AppError> {
        let r = self
            .store
            .registration(registration_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let stored = self.workshop(&r.workshop_id).await?;
        allow(authorize(
            actor,
            &Action::HandleRegistrations(location_of_workshop(&stored.workshop)),
            today(),
        ))?;
        self.cancel_registration_inner(&r).await?;
        Ok(r.workshop_id)
    }

    async fn cancel_registration_inner(&self, r: &Registration) -> Result<(), AppError> {
        let stored = self.workshop(&r.workshop_id).await?;
        let (done, promoted) = self
            .store
            .cancel_registration(&r.id, stored.workshop.capacity)
            .await?;
        if !done {
            return Err(AppError::Invalid(
                "cette inscription est déjà annulée".into(),
            ));
        }
        if let Some(p) = promoted
            && let Some(to) = p.contact.as_deref().filter(|c| c.contains('@'))
        {
            let w = &stored.workshop;
            let mail = SeatFreed {
                person: p.pseudonym.clone(),
                title: w.title.clone(),
                when: sessions_text(w),
                place: w.location.clone().unwrap_or_else(|| w.commune.clone()),
                contact: w.contact.clone(),
            }
            .to(to);
            self.mailer.send_all(mail.as_slice()).await;
        }
        Ok(())
    }

    /// The organiser's list.
    pub async fn workshop_registrations(
        &self,
        actor: Option<&Actor>,
        workshop_id: &str,
    ) -> Result<(StoredWorkshop, Vec<Registration>), AppError> {
        let stored = self.workshop(workshop_id).await?;
        allow(authorize(
            actor,
            &Action::HandleRegistrations(location_of_workshop(&stored.workshop)),
            today(),
        ))?;
        let list = self.store.registrations(workshop_id).await?;
        Ok((stored, list))
    }

    /// Attendance taken by the organiser.
    pub async fn take_attendance(
        &self,
        actor: Option<&Actor>,
        workshop_id: &str,
        present: &[String],
    ) -> Result<(), AppError> {
        let (_, list) = self.workshop_registrations(actor, workshop_id).await?;
        for r in list
            .iter()
            .filter(|r| r.status == RegistrationStatus::Registered)
        {
            self.store
                .set_attendance(&r.id, present.contains(&r.id))
                .await?;
        }
        Ok(())
    }

    /// Reminds registered people (with an e-mail) of a session starting within the next 24
    /// hours, once per session. Run every hour by the server. Returns how many were sent.
    pub async fn send_workshop_reminders(
        &self,
        now: chrono::DateTime<Utc>,
    ) -> Result<usize, AppError> {
        if !self.mailer.is_enabled() {
            return Ok(0);
        }
        let mut sent = 0;
        let day = now.date_naive().pred_opt().unwrap_or(now.date_naive());
        for stored in self.store.workshops_from(&day.to_string()).await? {
            let w = &stored.workshop;
            let tz = timezone_of_departement(
                w.insee_code
                    .as_deref()
                    .and_then(maillage_domain::fields::departement_of_insee)
                    .unwrap_or("75"),
            );
            let upcoming = w.sessions.iter().find(|s| {
                tz.from_local_datetime(&s.start)
                    .earliest()
                    .is_some_and(|start| {
                        let start = start.with_timezone(&Utc);
                        start > now && start - now <= chrono::Duration::hours(24)
                    })
            });
            let Some(session) = upcoming else { continue };
            let key = session.start.format("%Y-%m-%dT%H:%M").to_string();
            for r in self.store.registrations(&w.id).await? {
                if r.status != RegistrationStatus::Registered
                    || r.reminded_for.as_deref() == Some(key.as_str())
                {
                    continue;
                }
                let Some(to) = r.contact.as_deref().filter(|c| c.contains('@')) else {
                    continue;
                };
                let Some(mail) = (WorkshopReminder {
                    person: r.pseudonym.clone(),
                    title: w.title.clone(),
                    day: french::date(session.start.date()),
                    start: session.start.format("%H:%M").to_string(),
                    end: session.end.format("%H:%M").to_string(),
                    place: w.location.clone().unwrap_or_else(|| w.commune.clone()),
                    bring: w.bring.clone(),
                    contact: w.contact.clone(),
                })
                .to(to) else {
                    continue;
                };
                if self.mailer.send(&mail).await.is_ok() {
                    self.store.set_reminded(&r.id, &key).await?;
                    sent += 1;
                }
            }
        }
        Ok(sent)
    }

    /// An iCalendar feed of workshops (each session an event, in UTC).
    pub async fn workshops_ics(&self, f: &WorkshopFilter, name: &str) -> Result<String, AppError> {
        let mut cal = Calendar::new();
        cal.name(name);
        for hit in self.find_workshops(f).await? {
            let w = &hit.stored.workshop;
            let tz = timezone_of_departement(
                w.insee_code
                    .as_deref()
                    .and_then(maillage_domain::fields::departement_of_insee)
                    .unwrap_or("75"),
            );
            for (i, s) in w.sessions.iter().enumerate() {
                let (Some(start), Some(end)) = (
                    tz.from_local_datetime(&s.start).earliest(),
                    tz.from_local_datetime(&s.end).earliest(),
                ) else {
                    continue;
                };
                let event = icalendar::Event::new()
                    .uid(&format!("{}-{i}@maillage", w.id))
                    .summary(&w.title)
                    .description(&format!("{}\n\n{}", w.who_for(), w.summary))
                    .location(&match (&hit.place_name, &w.location) {
                        (Some(p), _) => format!("{p}, {}", w.commune),
                        (None, Some(l)) => format!("{l}, {}", w.commune),
                        _ => w.commune.clone(),
                    })
                    .url(&format!("{}/ateliers/{}", self.public_url, w.id))
                    .starts(start.with_timezone(&Utc))
                    .ends(end.with_timezone(&Utc))
                    .timestamp(Utc::now())
                    .done();
                cal.push(event);
            }
        }
        Ok(cal.done().to_string())
    }
}

/// The sessions in French (« le jeudi 3 décembre 2026 de 14 h à 16 h »).
pub fn sessions_text(w: &Workshop) -> String {
    w.sessions
        .iter()
        .map(|s| {
            format!(
                "le {} de {} à {}",
                french::date(s.start.date()),
                s.start.format("%H:%M"),
                s.end.format("%H:%M")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl App {
    /// The calendar as CSV (French Excel: semicolons, BOM), one line per session.
    pub async fn workshops_csv(&self, f: &WorkshopFilter) -> Result<Vec<u8>, AppError> {
        let hits = self.find_workshops(f).await?;
        let write = || -> Result<Vec<u8>, csv::Error> {
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(vec![0xEF, 0xBB, 0xBF]);
            w.write_record([
                "id",
                "titre",
                "debut",
                "fin",
                "commune",
                "lieu",
                "niveau_requis",
                "niveau_atteint",
                "thematiques",
                "format",
                "places",
                "places_libres",
                "gratuit",
                "tarif",
                "inscription",
                "lien",
            ])?;
            for h in &hits {
                let x = &h.stored.workshop;
                for s in &x.sessions {
                    w.write_record(maillage_domain::spreadsheet::row([
                        x.id.as_str(),
                        x.title.as_str(),
                        &s.start.format("%Y-%m-%dT%H:%M").to_string(),
                        &s.end.format("%Y-%m-%dT%H:%M").to_string(),
                        x.commune.as_str(),
                        h.place_name
                            .as_deref()
                            .or(x.location.as_deref())
                            .unwrap_or(""),
                        x.level_required.slug(),
                        x.level_reached.map(|l| l.slug()).unwrap_or(""),
                        &x.themes
                            .iter()
                            .map(|t| maillage_domain::Vocabulary::slug(*t))
                            .collect::<Vec<_>>()
                            .join("|"),
                        maillage_domain::Vocabulary::slug(x.format),
                        &x.capacity.map(|c| c.to_string()).unwrap_or_default(),
                        &h.seats_left.map(|c| c.to_string()).unwrap_or_default(),
                        if x.free { "oui" } else { "non" },
                        x.price.as_deref().unwrap_or(""),
                        maillage_domain::Vocabulary::slug(x.registration),
                        &format!("{}/ateliers/{}", self.public_url, x.id),
                    ]))?;
                }
            }
            w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
        };
        write().map_err(|e| AppError::Invalid(format!("export CSV : {e}")))
    }
}

impl App {
    /// A registration by its cancellation link (the link is the credential: nobody else
    /// knows it).
    pub async fn registration_by_link(
        &self,
        token: &str,
    ) -> Result<maillage_store::Registration, AppError> {
        self.store
            .registration_by_token(token)
            .await?
            .ok_or(AppError::NotFound)
    }
}
