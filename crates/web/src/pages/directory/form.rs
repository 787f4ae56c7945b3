//! The place form: create, edit, confirm, delete (a campaign's link uses it too).

use super::*;

pub(in crate::pages) struct FormField {
    pub(in crate::pages) name: &'static str,
    pub(in crate::pages) label: &'static str,
    pub(in crate::pages) value: String,
    pub(in crate::pages) required: bool,
    pub(in crate::pages) multiline: bool,
    pub(in crate::pages) hint: Option<&'static str>,
    pub(in crate::pages) error: Option<String>,
}

#[derive(Template)]
#[template(path = "directory/place_form.html")]
pub(in crate::pages) struct PlaceForm {
    pub(in crate::pages) chrome: Chrome,
    pub(in crate::pages) creating: bool,
    /// Through a campaign's personal link.
    pub(in crate::pages) by_link: bool,
    pub(in crate::pages) id: String,
    pub(in crate::pages) heading: String,
    pub(in crate::pages) action: String,
    pub(in crate::pages) cancel: String,
    pub(in crate::pages) errors: Vec<(String, String)>,
    pub(in crate::pages) fields: Vec<FormField>,
    pub(in crate::pages) groups: Vec<Group>,
    pub(in crate::pages) organisations: Vec<(String, String)>,
    pub(in crate::pages) organisation: String,
    pub(in crate::pages) step_free: bool,
}

/// Text fields of the form: (form name = standard field, label, required, multiline, hint).
pub(in crate::pages) const TEXT_FIELDS: &[(&str, &str, bool, bool, Option<&str>)] = &[
    ("nom", "Nom du lieu", true, false, None),
    ("adresse", "Adresse", true, false, Some("Numéro et voie.")),
    (
        "complement_adresse",
        "Complément d'adresse",
        false,
        false,
        None,
    ),
    ("code_postal", "Code postal", true, false, None),
    ("commune", "Commune", true, false, None),
    (
        "telephone",
        "Téléphone",
        false,
        false,
        Some("Un numéro ; il sera enregistré au format international."),
    ),
    (
        "courriels",
        "Courriel",
        false,
        false,
        Some("Plusieurs adresses : séparez-les par « | »."),
    ),
    ("site_web", "Site web", false, false, None),
    (
        "horaires",
        "Horaires (format OpenStreetMap)",
        false,
        false,
        Some("Exemple : Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00; PH off"),
    ),
    (
        "presentation_resume",
        "Présentation courte",
        false,
        true,
        Some("280 caractères au plus."),
    ),
    (
        "presentation_detail",
        "Présentation détaillée",
        false,
        true,
        None,
    ),
    (
        "typologie",
        "Type de structure (codes)",
        false,
        false,
        Some("Codes du référentiel, séparés par « | » : BIB, CCAS, CS, ASSO…"),
    ),
    (
        "prise_rdv",
        "Lien de prise de rendez-vous",
        false,
        false,
        None,
    ),
    ("fiche_acces_libre", "Fiche Accès libre", false, false, None),
    (
        "limites",
        "Limites de l'intervention",
        false,
        true,
        Some("Ce que la structure ne fait pas (ex. : « n'intervient pas sur le budget »)."),
    ),
    (
        "conditions",
        "Conditions d'accès (texte libre)",
        false,
        true,
        None,
    ),
    (
        "contribution",
        "Contribution demandée",
        false,
        false,
        Some("Ex. : « adhésion 5 € / an »."),
    ),
];

pub(in crate::pages) fn choice_group<V: Vocabulary>(
    key: &'static str,
    legend: &'static str,
    selected: &[V],
) -> Group {
    Group {
        key,
        legend,
        choices: V::ALL
            .iter()
            .map(|v| Choice {
                slug: v.slug(),
                label: v.label(),
                checked: selected.contains(v),
            })
            .collect(),
    }
}

pub(in crate::pages) fn slugs<V: Vocabulary>(values: &[String]) -> Vec<V> {
    values.iter().filter_map(|v| V::from_slug(v)).collect()
}

/// The place form as posted (or as shown): the standard's text fields by their names ([`TEXT_FIELDS`]),
/// the vocabularies' slugs, step-free access and the structure.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlaceInput {
    /// Text fields of [`TEXT_FIELDS`], by name.
    pub(crate) texts: std::collections::BTreeMap<String, String>,
    pub(crate) lists: PlaceLists,
}

/// The place form's boxes and its structure.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct PlaceLists {
    service: Vec<String>,
    public: Vec<String>,
    prise_en_charge: Vec<String>,
    frais: Vec<String>,
    acces: Vec<String>,
    accompagnement: Vec<String>,
    dispositif: Vec<String>,
    itinerance: Vec<String>,
    forme: Vec<String>,
    domaine: Vec<String>,
    plain_pied: bool,
    pub(crate) organisation: String,
}

impl PlaceInput {
    /// From a form body: the texts of [`TEXT_FIELDS`] only.
    pub(crate) fn read(body: &[u8]) -> Result<Self, AppError> {
        let mut texts: std::collections::BTreeMap<String, String> = input::form(body)?;
        texts.retain(|k, _| TEXT_FIELDS.iter().any(|(name, ..)| name == k));
        Ok(PlaceInput {
            texts,
            lists: input::form(body)?,
        })
    }

    pub(in crate::pages) fn text(&self, name: &str) -> String {
        self.texts.get(name).cloned().unwrap_or_default()
    }

    pub(in crate::pages) fn given(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|s| !s.is_empty())
    }
}

pub(in crate::pages) fn join_labels<V: Vocabulary>(values: &[V]) -> Option<String> {
    (!values.is_empty()).then(|| {
        values
            .iter()
            .map(|v| v.label())
            .collect::<Vec<_>>()
            .join("|")
    })
}

/// The place's current values, in the form's shape.
pub(crate) fn form_values(place: &Place, organisation: Option<String>) -> PlaceInput {
    let raw = place.to_raw();
    let mut texts: std::collections::BTreeMap<String, String> = TEXT_FIELDS
        .iter()
        .filter_map(|(name, ..)| raw.get(name).map(|v| (name.to_string(), v.to_string())))
        .collect();
    for (k, v) in [
        ("limites", &place.extras.limits),
        ("conditions", &place.extras.access_conditions),
        ("contribution", &place.extras.contribution),
    ] {
        if let Some(v) = v {
            texts.insert(k.into(), v.clone());
        }
    }
    pub(in crate::pages) fn slugs_of<V: Vocabulary>(values: &[V]) -> Vec<String> {
        values.iter().map(|v| v.slug().to_string()).collect()
    }
    PlaceInput {
        texts,
        lists: PlaceLists {
            service: slugs_of(&place.services),
            public: slugs_of(&place.publics),
            prise_en_charge: slugs_of(&place.specific_support),
            frais: slugs_of(&place.fees),
            acces: slugs_of(&place.access_modes),
            accompagnement: slugs_of(&place.support_modes),
            dispositif: slugs_of(&place.national_programmes),
            itinerance: slugs_of(&place.mobility),
            forme: slugs_of(&place.extras.mediation_forms),
            domaine: slugs_of(&place.extras.intervention_domains),
            plain_pied: place.extras.step_free_access == Some(true),
            organisation: organisation.unwrap_or_default(),
        },
    }
}

/// Validates the form through the standard's rules; the place keeps what the form does not
/// carry (coordinates, labels, referent) from `base`.
pub(crate) fn place_from_form(
    state: &State,
    form: &PlaceInput,
    base: Option<&Place>,
    id: &str,
) -> (Option<Place>, Vec<(String, String)>) {
    let mut raw = base.map(Place::to_raw).unwrap_or_default();
    for (name, ..) in TEXT_FIELDS {
        raw.set(name, form.text(name));
    }
    let l = &form.lists;
    raw.services = join_labels(&slugs::<Service>(&l.service));
    raw.publics_specifiquement_adresses = join_labels(&slugs::<Public>(&l.public));
    raw.prise_en_charge_specifique = join_labels(&slugs::<SpecificSupport>(&l.prise_en_charge));
    raw.frais_a_charge = join_labels(&slugs::<Fee>(&l.frais));
    raw.modalites_acces = join_labels(&slugs::<AccessMode>(&l.acces));
    raw.modalites_accompagnement = join_labels(&slugs::<SupportMode>(&l.accompagnement));
    raw.dispositif_programmes_nationaux = join_labels(&slugs::<NationalProgramme>(&l.dispositif));
    raw.itinerance = join_labels(&slugs::<Mobility>(&l.itinerance));
    raw.date_maj = Some(today().to_string());
    if raw.pivot.is_none() {
        raw.pivot = Some(maillage_domain::fields::UNKNOWN_PIVOT.into());
    }
    let (place, validation) = raw.validate(id, &state.app.validation_context());
    let errors: Vec<(String, String)> = validation
        .errors
        .iter()
        .map(|e| {
            let label = TEXT_FIELDS
                .iter()
                .find(|(n, ..)| *n == e.field)
                .map(|(_, l, ..)| *l)
                .unwrap_or(e.field.as_str());
            (e.field.clone(), format!("{label} : {}", e.reason))
        })
        .collect();
    let place = place.map(|mut p| {
        p.extras = base.map(|b| b.extras.clone()).unwrap_or_default();
        p.extras.mediation_forms = slugs::<MediationForm>(&l.forme);
        p.extras.intervention_domains = slugs::<InterventionDomain>(&l.domaine);
        p.extras.limits = form.given("limites");
        p.extras.access_conditions = form.given("conditions");
        p.extras.contribution = form.given("contribution");
        p.extras.step_free_access = Some(l.plain_pied);
        p
    });
    (place, errors)
}

/// Who fills the place form: a signed-in user creating or editing, or a referent through a
/// campaign's personal link (no account: no choice of structure, no deletion).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormMode<'a> {
    Create,
    Edit,
    Link(&'a str),
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn form_page(
    state: &State,
    viewer: &Viewer,
    mode: FormMode<'_>,
    id: &str,
    heading: &str,
    form: &PlaceInput,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let organisation = form.lists.organisation.clone();
    let l = &form.lists;
    let fields = TEXT_FIELDS
        .iter()
        .map(|(name, label, required, multiline, hint)| FormField {
            name,
            label,
            value: form.text(name),
            required: *required,
            multiline: *multiline,
            hint: *hint,
            error: errors
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, m)| m.clone()),
        })
        .collect();
    let groups = vec![
        choice_group(
            "service",
            "Services (standard)",
            &slugs::<Service>(&l.service),
        ),
        choice_group(
            "forme",
            "Formes de médiation",
            &slugs::<MediationForm>(&l.forme),
        ),
        choice_group(
            "domaine",
            "Domaines d'intervention",
            &slugs::<InterventionDomain>(&l.domaine),
        ),
        choice_group(
            "public",
            "Publics spécifiquement adressés",
            &slugs::<Public>(&l.public),
        ),
        choice_group(
            "prise_en_charge",
            "Prises en charge spécifiques",
            &slugs::<SpecificSupport>(&l.prise_en_charge),
        ),
        choice_group("frais", "Frais à charge", &slugs::<Fee>(&l.frais)),
        choice_group("acces", "Modalités d'accès", &slugs::<AccessMode>(&l.acces)),
        choice_group(
            "accompagnement",
            "Modalités d'accompagnement",
            &slugs::<SupportMode>(&l.accompagnement),
        ),
        choice_group(
            "dispositif",
            "Dispositifs nationaux",
            &slugs::<NationalProgramme>(&l.dispositif),
        ),
        choice_group(
            "itinerance",
            "Itinérance",
            &slugs::<Mobility>(&l.itinerance),
        ),
    ];
    // A helper picks among their organisations; coordinators and administrators among all.
    let organisations = if matches!(mode, FormMode::Link(_)) {
        Vec::new()
    } else {
        let actor = viewer.actor();
        state
            .app
            .organisations()
            .await?
            .into_iter()
            .filter(|o| {
                actor.is_some_and(|a| {
                    a.administrator
                        || a.is_coordinator()
                        || a.memberships
                            .iter()
                            .any(|m| m.organisation_id == o.id && m.in_force(today()))
                })
            })
            .map(|o| (o.id, o.name))
            .collect()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (action, cancel) = match mode {
        FormMode::Create => ("/lieux/nouveau".to_string(), "/".to_string()),
        FormMode::Edit => (format!("/lieux/{id}/modifier"), format!("/lieux/{id}")),
        FormMode::Link(token) => (
            format!("/mise-a-jour/{token}/corriger"),
            format!("/mise-a-jour/{token}"),
        ),
    };
    let mut r = render(&PlaceForm {
        chrome: Chrome::new(
            if mode == FormMode::Create {
                "nouveau"
            } else {
                ""
            },
            viewer,
        ),
        creating: mode == FormMode::Create,
        by_link: matches!(mode, FormMode::Link(_)),
        id: id.to_string(),
        heading: heading.to_string(),
        action,
        cancel,
        errors,
        fields,
        groups,
        organisations,
        organisation,
        step_free: l.plain_pied,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub(in crate::pages) fn require_signed_in(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.signed_in() {
        Ok(())
    } else {
        Err(AppError::SignInRequired)
    }
}

pub(in crate::pages) async fn new_place_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    let org = viewer
        .actor()
        .and_then(|a| a.memberships.iter().find(|m| m.in_force(today())))
        .map(|m| m.organisation_id.clone())
        .unwrap_or_default();
    let mut form = PlaceInput::default();
    form.lists.organisation = org;
    form_page(&state, &viewer, FormMode::Create, "", "", &form, Vec::new()).await
}

pub(in crate::pages) async fn create_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    let form = PlaceInput::read(&body)?;
    let organisation = form.lists.organisation.clone();
    let (place, errors) = place_from_form(&state, &form, None, "");
    match place {
        Some(place) => {
            let id = state
                .app
                .create_place(
                    viewer.actor(),
                    place,
                    Some(organisation.as_str()).filter(|o| !o.is_empty()),
                )
                .await?;
            Ok(Redirect::to(&format!("/lieux/{id}")).into_response())
        }
        None => form_page(&state, &viewer, FormMode::Create, "", "", &form, errors).await,
    }
}

pub(in crate::pages) async fn edit_place_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    let stored = state.app.place(&id).await?;
    state.app.check(
        viewer.actor(),
        &Action::UpdatePlace(location_of(
            &stored.place,
            stored.organisation_id.as_deref(),
        )),
    )?;
    let form = form_values(&stored.place, stored.organisation_id.clone());
    form_page(
        &state,
        &viewer,
        FormMode::Edit,
        &id,
        &stored.place.name,
        &form,
        Vec::new(),
    )
    .await
}

pub(in crate::pages) async fn update_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    let stored = state.app.place(&id).await?;
    let form = PlaceInput::read(&body)?;
    let organisation = form.lists.organisation.clone();
    let (place, errors) = place_from_form(&state, &form, Some(&stored.place), &id);
    match place {
        Some(place) => {
            state
                .app
                .update_place(
                    viewer.actor(),
                    place,
                    Some(organisation.as_str()).filter(|o| !o.is_empty()),
                )
                .await?;
            Ok(Redirect::to(&format!("/lieux/{id}")).into_response())
        }
        None => {
            form_page(
                &state,
                &viewer,
                FormMode::Edit,
                &id,
                &stored.place.name,
                &form,
                errors,
            )
            .await
        }
    }
}

pub(in crate::pages) async fn confirm_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    state.app.confirm_place(viewer.actor(), &id).await?;
    Ok(Redirect::to(&format!("/lieux/{id}")).into_response())
}

pub(in crate::pages) async fn delete_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    state.app.delete_place(viewer.actor(), &id).await?;
    Ok(Redirect::to("/").into_response())
}

// ----- import -----
