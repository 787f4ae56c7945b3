//! Activity records: the list, the form (individual, workshop, procedure), detail, edit, delete, a person's profile.

use super::*;

pub(super) type Choice = (String, String);

pub(super) fn vocab<V: Vocabulary>() -> Vec<Choice> {
    V::ALL
        .iter()
        .map(|v| (v.slug().to_string(), v.label().to_string()))
        .collect()
}

pub(super) fn levels() -> Vec<Choice> {
    Level::ALL
        .iter()
        .map(|l| (l.slug().to_string(), l.label().to_string()))
        .collect()
}

/// The record form as posted (names are the template's columns), and its context: the
/// structure, the person, the notes, where the record comes from.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Posted {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) date: String,
    #[serde(rename = "duree")]
    pub(super) duration: String,
    #[serde(rename = "lieu")]
    pub(super) venue: String,
    #[serde(rename = "lieu_id")]
    pub(super) place_id: String,
    pub(super) commune: String,
    #[serde(rename = "thematiques")]
    pub(super) themes: Vec<String>,
    #[serde(rename = "thematiques_demarche")]
    pub(super) procedure_themes: Vec<String>,
    #[serde(rename = "demarche")]
    pub(super) procedure_name: String,
    #[serde(rename = "materiel")]
    pub(super) equipment: Vec<String>,
    #[serde(rename = "autonomie")]
    pub(super) autonomy: String,
    #[serde(rename = "finalisation")]
    pub(super) outcome: String,
    #[serde(rename = "orientation")]
    pub(super) redirection: String,
    #[serde(rename = "titre")]
    pub(super) title: String,
    #[serde(rename = "niveau")]
    pub(super) level: String,
    /// A workshop's followed persons.
    #[serde(rename = "personnes")]
    pub(super) persons: Vec<String>,
    /// One person's record: a followed person's id, `anonyme` or `nouvelle`.
    #[serde(rename = "personne")]
    pub(super) person: String,
    #[serde(rename = "participants")]
    pub(super) anonymous_total: String,
    #[serde(rename = "tranche_age")]
    pub(super) ages: Vec<String>,
    #[serde(rename = "genre")]
    pub(super) genders: Vec<String>,
    #[serde(rename = "statut_social")]
    pub(super) statuses: Vec<String>,
    #[serde(rename = "commune_residence")]
    pub(super) residence: String,
    #[serde(rename = "etiquettes")]
    pub(super) tags: String,
    #[serde(rename = "structure")]
    pub(super) organisation: String,
    pub(super) notes: String,
    /// A new followed person's first name, and their consent (`accord=oui`).
    #[serde(rename = "prenom")]
    pub(super) new_person: String,
    #[serde(rename = "accord")]
    pub(super) consent: bool,
    /// The workshop session (`id|2026-12-03T14:00`) and the referral the record comes from.
    #[serde(rename = "seance")]
    pub(super) session: String,
    #[serde(rename = "orientation_id")]
    pub(super) referral: String,
    /// The mandate a démarche was done under, and the act the new record comes from.
    #[serde(rename = "mandat")]
    pub(super) mandate: String,
    #[serde(rename = "acte")]
    pub(super) act: String,
    /// `encore`: record another one next.
    #[serde(rename = "suite")]
    pub(super) next: String,
    /// A new record's origin: a record to duplicate, a workshop session, a place referred to.
    #[serde(rename = "depuis")]
    pub(super) duplicate_of: String,
    #[serde(rename = "atelier")]
    pub(super) workshop: String,
    #[serde(rename = "vers")]
    pub(super) referred_to: String,
}

/// Texts by field name: a workshop's demographics come as one number per value
/// (`age-60-69=4`).
pub(super) type Texts = std::collections::BTreeMap<String, String>;

impl Posted {
    /// From a form body or a query string.
    pub(super) fn read(raw: &[u8]) -> Result<(Posted, Texts), AppError> {
        Ok((input::form(raw)?, input::form(raw)?))
    }

    pub(super) fn form(&self, texts: &Texts) -> ActivityForm {
        let collective = ActivityKind::parse(&self.kind) == Some(ActivityKind::Collective);
        let counts = |prefix: &str, single: &[String]| -> Vec<String> {
            if collective {
                texts
                    .iter()
                    .filter_map(|(k, n)| {
                        let value = k.strip_prefix(prefix)?;
                        (!n.is_empty() && n != "0").then(|| format!("{value}={n}"))
                    })
                    .collect()
            } else {
                single.to_vec()
            }
        };
        let person = self.person.as_str();
        ActivityForm {
            kind: self.kind.clone(),
            date: self.date.clone(),
            duration: self.duration.clone(),
            venue: self.venue.clone(),
            place_id: self.place_id.clone(),
            insee_code: self.commune.clone(),
            themes: self.themes.clone(),
            procedure_themes: self.procedure_themes.clone(),
            procedure_name: self.procedure_name.clone(),
            equipment: self.equipment.clone(),
            autonomy: self.autonomy.clone(),
            outcome: self.outcome.clone(),
            redirection: self.redirection.clone(),
            title: self.title.clone(),
            level: self.level.clone(),
            persons: if collective {
                self.persons.clone()
            } else if !person.is_empty() && person != "anonyme" && person != "nouvelle" {
                vec![person.to_string()]
            } else {
                Vec::new()
            },
            anonymous_total: self.anonymous_total.clone(),
            ages: counts("age-", &self.ages),
            genders: counts("genre-", &self.genders),
            statuses: counts("statut-", &self.statuses),
            residence: self.residence.clone(),
            tags: self
                .tags
                .split([',', ';'])
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
        }
    }
}

/// The list's query: my records only, the page, what was just done.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ListQuery {
    #[serde(rename = "moi")]
    pub(super) mine_only: bool,
    pub(super) page: Option<u32>,
    pub(super) fait: String,
}

/// A followed person's profile.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ProfileForm {
    pub(super) tranche_age: String,
    pub(super) genre: String,
    pub(super) statut_social: String,
    pub(super) commune_residence: String,
}

// ----- the list -----

pub(super) struct ListRow {
    pub(super) id: String,
    pub(super) date: String,
    pub(super) summary: String,
    pub(super) duration: String,
    pub(super) people: u32,
    pub(super) mine: bool,
}

#[derive(Template)]
#[template(path = "activity/activities.html")]
pub(super) struct ListPage {
    pub(super) chrome: Chrome,
    pub(super) rows: Vec<ListRow>,
    pub(super) mine_only: bool,
    pub(super) page: u32,
    pub(super) message: Option<String>,
}

pub(super) async fn list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<ListQuery>,
) -> Result<Response, PageError> {
    let mine_only = asked.mine_only;
    let page: u32 = asked.page.unwrap_or(0);
    let me = viewer.user.as_ref().map(|u| u.id.clone());
    let list = state
        .app
        .recent_activities(viewer.actor(), mine_only, page)
        .await?;
    let rows = list
        .iter()
        .map(|a| ListRow {
            id: a.id.clone(),
            date: french::date(a.activity.date),
            summary: a.activity.summary(),
            duration: duration_phrase(u32::from(a.activity.duration_minutes)),
            people: a.activity.accompaniments(),
            mine: a.helper_id == me,
        })
        .collect();
    let message = match asked.fait.as_str() {
        "enregistree" => {
            Some("Activité enregistrée : elle compte déjà dans les statistiques.".into())
        }
        "masquee" => Some(format!("Activité enregistrée. {}", MASKED_NOTICE)),
        "supprimee" => Some("Activité supprimée.".into()),
        "modifiee" => Some("Activité modifiée.".into()),
        _ => None,
    };
    Ok(render(&ListPage {
        chrome: Chrome::new("activites", &viewer),
        rows,
        mine_only,
        page,
        message,
    }))
}

// ----- the form -----

#[derive(Template)]
#[template(path = "activity/activity_form.html")]
pub(super) struct FormPage {
    pub(super) chrome: Chrome,
    pub(super) heading: String,
    /// The previous record was just saved (« Enregistrer et une autre »): said, with the focus.
    pub(super) saved: bool,
    /// What looked like a password or a personal number was masked in its notes.
    pub(super) masked_notice: Option<&'static str>,
    pub(super) action: String,
    /// Record being edited (delete and duplicate buttons).
    pub(super) editing: Option<String>,
    pub(super) form: ActivityForm,
    pub(super) notes: String,
    pub(super) notes_visible: bool,
    pub(super) organisation: String,
    pub(super) organisations: Vec<Choice>,
    pub(super) places: Vec<Choice>,
    pub(super) persons: Vec<Choice>,
    pub(super) person: String,
    pub(super) new_person: String,
    pub(super) consent: bool,
    pub(super) errors: Vec<(String, String)>,
    pub(super) kinds: Vec<Choice>,
    pub(super) venues: Vec<Choice>,
    pub(super) themes: Vec<Choice>,
    pub(super) procedure_themes: Vec<Choice>,
    pub(super) equipment: Vec<Choice>,
    pub(super) autonomy: Vec<Choice>,
    pub(super) outcomes: Vec<Choice>,
    pub(super) redirections: Vec<Choice>,
    pub(super) ages: Vec<Choice>,
    pub(super) genders: Vec<Choice>,
    pub(super) statuses: Vec<Choice>,
    pub(super) levels: Vec<Choice>,
    /// Hidden: the workshop session and the referral the record comes from.
    pub(super) session: String,
    pub(super) referral: String,
    /// The mandate a démarche was done under.
    pub(super) mandate: String,
    /// Counts of a workshop's demographics, by `prefix-value`.
    pub(super) counts: Vec<(String, String)>,
}

/// Themes shown unfolded on the form (the most frequent in the field, seed 003).
pub(super) const COMMON_THEMES: [&str; 8] = [
    "materiel",
    "internet",
    "courriel",
    "demarches",
    "sante",
    "banque-achats",
    "securite",
    "reseaux-sociaux",
];

impl FormPage {
    pub(super) fn is_kind(&self, k: &str) -> bool {
        self.form.kind == k
    }
    pub(super) fn has(&self, list: &[String], v: &str) -> bool {
        list.iter().any(|x| x == v)
    }
    pub(super) fn count(&self, prefix: &str, value: &str) -> String {
        self.counts
            .iter()
            .find(|(k, _)| k.strip_prefix(prefix) == Some(value))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    /// The themes most recorded, shown first; the others are folded.
    pub(super) fn is_common(&self, slug: &str) -> bool {
        COMMON_THEMES.contains(&slug)
    }
    pub(super) fn other_checked(&self) -> bool {
        self.form
            .themes
            .iter()
            .any(|t| !COMMON_THEMES.contains(&t.as_str()))
    }
    pub(super) fn first(&self, list: &[String]) -> String {
        list.first().cloned().unwrap_or_default()
    }
}

/// Said after saving when the notes held what looked like a password or a personal number.
const MASKED_NOTICE: &str = "Ce qui ressemblait à un mot de passe ou à un numéro personnel (sécurité sociale, IBAN, carte bancaire) a été masqué dans les notes : ne notez jamais les codes ni les numéros d'une personne.";

pub(super) struct FormContext {
    pub(super) heading: String,
    pub(super) action: String,
    pub(super) editing: Option<String>,
    pub(super) organisation: String,
    pub(super) person: String,
    pub(super) new_person: String,
    pub(super) consent: bool,
    pub(super) notes: String,
    pub(super) notes_visible: bool,
    pub(super) session: String,
    pub(super) referral: String,
    /// The mandate the démarche was done under (hidden field of a new record; a link on a
    /// recorded one).
    pub(super) mandate: String,
    /// The previous record was just saved.
    pub(super) saved: bool,
    /// …and what looked like a password or a personal number was masked in its notes.
    pub(super) masked: bool,
}

pub(super) async fn form_page(
    state: &State,
    viewer: &Viewer,
    form: ActivityForm,
    ctx: FormContext,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    if orgs.is_empty() {
        return Ok(crate::pages::message_page_for(
            viewer,
            "Enregistrer une activité",
            "Votre compte n'est membre d'aucune structure : demandez à un administrateur de vous y rattacher.",
        ));
    }
    let organisation = if orgs.iter().any(|o| o.id == ctx.organisation) {
        ctx.organisation.clone()
    } else {
        orgs[0].id.clone()
    };
    let places: Vec<Choice> = state
        .app
        .places_of(&maillage_search::SearchQuery {
            organisation_id: Some(organisation.clone()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|p| (p.id, format!("{} ({})", p.name, p.commune)))
        .collect();
    let persons: Vec<Choice> = state
        .app
        .persons_of(viewer.actor(), &organisation)
        .await?
        .into_iter()
        .map(|p| (p.id, p.pseudonym))
        .collect();
    let collective = form.kind == "collectif";
    let mut counts = Vec::new();
    if collective {
        for (prefix, list) in [
            ("age-", &form.ages),
            ("genre-", &form.genders),
            ("statut-", &form.statuses),
        ] {
            for item in list {
                if let Some((v, n)) = item.rsplit_once('=') {
                    counts.push((format!("{prefix}{v}"), n.to_string()));
                }
            }
        }
    }
    let mut page = FormPage {
        chrome: Chrome::new("activites", viewer),
        heading: ctx.heading,
        saved: ctx.saved,
        masked_notice: ctx.masked.then_some(MASKED_NOTICE),
        action: ctx.action,
        editing: ctx.editing,
        form,
        notes: ctx.notes,
        notes_visible: ctx.notes_visible,
        organisation,
        organisations: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
        places,
        persons,
        person: ctx.person,
        new_person: ctx.new_person,
        consent: ctx.consent,
        errors,
        kinds: vocab::<ActivityKind>(),
        venues: vocab::<Venue>(),
        themes: vocab::<MediationTheme>(),
        procedure_themes: vocab::<ProcedureTheme>(),
        equipment: vocab::<Equipment>(),
        autonomy: vocab::<Autonomy>(),
        outcomes: vocab::<ProcedureOutcome>(),
        redirections: vocab::<Redirection>(),
        ages: vocab::<AgeBracket>(),
        genders: vocab::<Gender>(),
        statuses: vocab::<SocialStatus>(),
        levels: levels(),
        session: ctx.session,
        referral: ctx.referral,
        mandate: ctx.mandate,
        counts,
    };
    // Canonical slugs in the form, whatever spelling came in.
    page.form.kind = ActivityKind::parse(&page.form.kind)
        .map(|k| k.slug().to_string())
        .unwrap_or(page.form.kind);
    let status = if page.errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = render(&page);
    *r.status_mut() = status;
    Ok(r)
}

pub(super) async fn new_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if !viewer.signed_in() {
        return Err(AppError::SignInRequired.into());
    }
    let (asked, _) = Posted::read(query.as_deref().unwrap_or_default().as_bytes())?;
    let kind = ActivityKind::parse(&asked.kind)
        .unwrap_or(ActivityKind::Individual)
        .slug()
        .to_string();
    let mut organisation = asked.organisation.clone();
    let mut session = String::new();
    let mut heading = match kind.as_str() {
        "collectif" => "Enregistrer un atelier collectif",
        "demarche" => "Enregistrer une aide aux démarches",
        _ => "Enregistrer un accompagnement",
    }
    .to_string();
    let mut form = ActivityForm {
        kind,
        date: today().to_string(),
        duration: "45".into(),
        venue: "lieu-activite".into(),
        ..Default::default()
    };
    // Duplicate: the record's content, today.
    let from = &asked.duplicate_of;
    if !from.is_empty() {
        let a = state.app.activity_for(viewer.actor(), from).await?;
        form = a.activity.to_form();
        form.date = today().to_string();
        form.persons.clear();
        organisation = a.organisation_id;
        heading = "Dupliquer une activité".into();
    }
    // From a held workshop session: attendance and the workshop's details prefilled.
    let workshop = &asked.workshop;
    if !workshop.is_empty() {
        let start = chrono::NaiveDateTime::parse_from_str(&asked.session, "%Y-%m-%dT%H:%M")
            .map_err(|_| AppError::Invalid("séance : date attendue (2026-12-03T14:00)".into()))?;
        if let Some(id) = state
            .app
            .activity_of_session(viewer.actor(), workshop, start)
            .await?
        {
            return Ok(Redirect::to(&format!("/activites/{id}")).into_response());
        }
        let (org, f) = state
            .app
            .form_of_session(viewer.actor(), workshop, start)
            .await?;
        form = f;
        organisation = org;
        session = format!("{workshop}|{}", start.format("%Y-%m-%dT%H:%M"));
        heading = "Compte rendu de la séance".into();
    }
    // From a referral sent: the national category of the structure it went to.
    let to_place = &asked.referred_to;
    if !to_place.is_empty()
        && let Ok(p) = state.app.place(to_place).await
    {
        form.redirection =
            maillage_domain::activity::Redirection::of_typologies(&p.place.typologies)
                .slug()
                .to_string();
    }
    // From an act under a mandate (issue #19): the démarche, its domain, the person.
    let mut person = asked.person.clone();
    if !asked.mandate.is_empty() {
        let (org, f) = state
            .app
            .form_of_mandate(
                viewer.actor(),
                &asked.mandate,
                Some(asked.act.as_str()).filter(|a| !a.is_empty()),
            )
            .await?;
        person = f.persons.first().cloned().unwrap_or_default();
        form = f;
        organisation = org;
        heading = "Compter la démarche faite sous mandat".into();
    }
    let done: Option<String> =
        form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "fait")
            .map(|(_, v)| v.into_owned());
    let saved = done.as_deref() == Some("enregistree");
    let masked = done.as_deref() == Some("masquee");
    form_page(
        &state,
        &viewer,
        form,
        FormContext {
            saved: saved || masked,
            masked,
            heading,
            action: "/activites/nouvelle".into(),
            editing: None,
            organisation,
            person: if person.is_empty() {
                "anonyme".into()
            } else {
                person
            },
            new_person: String::new(),
            consent: false,
            notes: String::new(),
            notes_visible: true,
            session,
            referral: asked.referral.clone(),
            mandate: asked.mandate.clone(),
        },
        Vec::new(),
    )
    .await
}

pub(super) fn session_of(value: &str) -> Option<maillage_domain::activity::WorkshopSession> {
    let (id, start) = value.split_once('|')?;
    Some(maillage_domain::activity::WorkshopSession {
        workshop_id: id.to_string(),
        start: chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M").ok()?,
    })
}

pub(super) async fn create(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let (posted, texts) = Posted::read(&body)?;
    let form = posted.form(&texts);
    let input = RecordInput {
        organisation_id: posted.organisation.clone(),
        form: form.clone(),
        notes: posted.notes.clone(),
        new_person: (posted.person == "nouvelle")
            .then(|| (posted.new_person.clone(), posted.consent)),
        session: session_of(&posted.session),
        referral_id: Some(posted.referral.clone()).filter(|r| !r.is_empty()),
        mandate_id: Some(posted.mandate.clone()).filter(|m| !m.is_empty()),
    };
    match state.app.record_activity(viewer.actor(), &input).await? {
        Ok(_) => {
            // What looked like a password or a personal number was masked by the service: the
            // helper is told (issue #11).
            let done = if maillage_domain::sensitive::mask(&posted.notes)
                .found
                .is_empty()
            {
                "enregistree"
            } else {
                "masquee"
            };
            let next = if posted.next == "encore" {
                format!(
                    "/activites/nouvelle?type={}&structure={}&fait={done}",
                    form.kind, input.organisation_id
                )
            } else {
                format!("/activites?fait={done}")
            };
            Ok(Redirect::to(&next).into_response())
        }
        Err(errors) => {
            form_page(
                &state,
                &viewer,
                form,
                FormContext {
                    saved: false,
                    masked: false,
                    heading: "Enregistrer une activité".into(),
                    action: "/activites/nouvelle".into(),
                    editing: None,
                    organisation: input.organisation_id,
                    person: posted.person,
                    new_person: posted.new_person,
                    consent: posted.consent,
                    notes: input.notes,
                    notes_visible: true,
                    session: posted.session,
                    referral: posted.referral,
                    mandate: posted.mandate,
                },
                errors
                    .into_iter()
                    .map(|(f, m)| (f.to_string(), m))
                    .collect(),
            )
            .await
        }
    }
}

pub(super) async fn detail(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let a = state.app.activity_for(viewer.actor(), &id).await?;
    let author = viewer.user.as_ref().map(|u| u.id.clone()) == a.helper_id;
    let form = a.activity.to_form();
    let person = match (a.activity.kind, a.activity.persons.first()) {
        (ActivityKind::Collective, _) | (_, None) => "anonyme".to_string(),
        (_, Some(p)) => p.clone(),
    };
    form_page(
        &state,
        &viewer,
        form,
        FormContext {
            saved: false,
            masked: false,
            heading: format!("Activité du {}", french::date(a.activity.date)),
            action: format!("/activites/{id}"),
            editing: Some(id.clone()),
            organisation: a.organisation_id,
            person,
            new_person: String::new(),
            consent: false,
            notes: a.notes.unwrap_or_default(),
            notes_visible: author,
            session: String::new(),
            referral: String::new(),
            mandate: a.activity.mandate_id.clone().unwrap_or_default(),
        },
        Vec::new(),
    )
    .await
}

pub(super) async fn update(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let (posted, texts) = Posted::read(&body)?;
    let form = posted.form(&texts);
    let notes = posted.notes.clone();
    match state
        .app
        .update_activity(viewer.actor(), &id, &form, &notes)
        .await?
    {
        Ok(()) => Ok(Redirect::to("/activites?fait=modifiee").into_response()),
        Err(errors) => {
            form_page(
                &state,
                &viewer,
                form,
                FormContext {
                    saved: false,
                    masked: false,
                    heading: "Modifier l'activité".into(),
                    action: format!("/activites/{id}"),
                    editing: Some(id.clone()),
                    organisation: posted.organisation,
                    person: posted.person,
                    new_person: String::new(),
                    consent: false,
                    notes,
                    notes_visible: true,
                    session: String::new(),
                    referral: String::new(),
                    mandate: String::new(),
                },
                errors
                    .into_iter()
                    .map(|(f, m)| (f.to_string(), m))
                    .collect(),
            )
            .await
        }
    }
}

pub(super) async fn delete(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    state.app.delete_activity(viewer.actor(), &id).await?;
    Ok(Redirect::to("/activites?fait=supprimee").into_response())
}

pub(super) async fn profile(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(p): Form<ProfileForm>,
) -> Result<Response, PageError> {
    state
        .app
        .set_profile(
            viewer.actor(),
            &id,
            &p.tranche_age,
            &p.genre,
            &p.statut_social,
            &p.commune_residence,
        )
        .await?;
    Ok(Redirect::to(&format!("/personnes/{id}?profil=1")).into_response())
}

// ----- import -----
