//! Activity records: record (with a new followed person and their consent), check, read,
//! edit, delete, the recent list, a workshop session's form, a person's timeline and profile.

use super::*;

impl App {
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
        if let Some(mandate) = &input.mandate_id
            && let Err(why) = self
                .check_record_mandate(&input.organisation_id, mandate, &activity)
                .await?
        {
            errors.push(("mandat", why));
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let mut activity = activity;
        activity.workshop = input.session.clone();
        activity.referral_id = input.referral_id.clone();
        activity.mandate_id = input.mandate_id.clone();
        let keep_until = (Utc::now() + self.retention.duration(Kept::FollowedPersons))
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
        // Nothing that looks like a password or a personal number is kept (issue #11).
        let masked = maillage_domain::sensitive::mask(input.notes.trim());
        let notes = masked.text.as_str();
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
        // Done under a mandate: the record stays a démarche of a day the mandate was in force.
        if let Some(mandate) = &existing.activity.mandate_id {
            if let Err(why) = self
                .check_record_mandate(&existing.organisation_id, mandate, &activity)
                .await?
            {
                return Ok(Err(vec![(
                    "mandat",
                    format!("cette démarche a été faite sous mandat : {why}"),
                )]));
            }
            activity.mandate_id = Some(mandate.clone());
        }
        let stored_notes = if author {
            Some(maillage_domain::sensitive::mask(notes.trim()).text).filter(|n| !n.is_empty())
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
