//! The catalogue of requests: its entries as the field wrote them, and the form coordinators edit.

use super::*;

/// Name of the initial catalogue in the table of loaded seeds.
pub const INITIAL_CATALOGUE: &str = "demandes-du-terrain-v2";

/// Earlier versions of the initial catalogue. A network that loaded one gets the new version's
/// corrections on the entries no coordinator edited, and no entry back that one deleted (v2,
/// issue #10: each request's own help apart from neighbouring help, equipment on site).
pub const EARLIER_CATALOGUES: [&str; 1] = ["demandes-du-terrain-v1"];

/// One common request of the catalogue, in the person's words, with what answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RequestEntry {
    /// Stable identifier (kebab case).
    pub id: String,
    /// The request as the person says it (« Créer son compte Ameli »).
    #[serde(rename = "intitule")]
    pub title: String,
    /// Other words people use for it, for the text engine.
    #[serde(rename = "mots", default)]
    pub words: String,
    /// Services of the standard that answer it (a place offers at least one).
    #[serde(default)]
    pub services: Vec<Service>,
    /// Forms of mediation that answer it (seed `002_…`).
    #[serde(rename = "formes_mediation", default)]
    pub mediation_forms: Vec<MediationForm>,
    /// Neighbouring help: services that may help instead when no place within reach gives the
    /// request's own help (proposed apart, labelled as what they are, never as a match).
    #[serde(rename = "voisins_services", default)]
    pub neighbour_services: Vec<Service>,
    /// Neighbouring forms of mediation, likewise.
    #[serde(rename = "voisins_formes_mediation", default)]
    pub neighbour_forms: Vec<MediationForm>,
    /// The help is given with equipment on site (a computer, a printer, a scanner): only places
    /// that say they have some are proposed.
    #[serde(rename = "equipement_sur_place", default)]
    pub on_site_equipment: bool,
    /// Domains of intervention behind it (housing, employment…).
    #[serde(rename = "domaines", default)]
    pub domains: Vec<InterventionDomain>,
    /// Themes of workshops and resources that help with it.
    #[serde(rename = "thematiques", default)]
    pub themes: Vec<MediationTheme>,
    /// Typology codes of the partners usually competent (CAF, CCAS, ML…).
    #[serde(default)]
    pub typologies: Vec<String>,
    /// National programmes usually competent (France Services, Aidants Connect…).
    #[serde(rename = "dispositifs", default)]
    pub programmes: Vec<NationalProgramme>,
    /// The partners usually competent, in words (shown to the helper).
    #[serde(rename = "partenaires", default)]
    pub partners: Vec<String>,
    /// What the person should bring.
    #[serde(rename = "apporter", default)]
    pub bring: Vec<String>,
    /// Questions that uncover hidden needs.
    #[serde(default)]
    pub questions: Vec<String>,
    /// Public platforms concerned (news items of the watch are shown beside the request).
    #[serde(rename = "plateformes", default)]
    pub platforms: Vec<Platform>,
    /// An administrative procedure: doing it in the person's place may be needed, with a
    /// legal frame (Aidants Connect, France Services).
    #[serde(rename = "demarche", default)]
    pub procedure: bool,
}

impl RequestEntry {
    /// Text given to the search engine.
    pub fn searchable_text(&self) -> String {
        let mut text = format!("{} {}", self.words, self.partners.join(" "));
        for s in &self.services {
            text.push(' ');
            text.push_str(s.label());
        }
        text
    }
}

/// The field's common requests (seed `002_…` and the list), loaded into a new network.
pub fn initial_catalogue() -> Result<Vec<RequestEntry>, serde_json::Error> {
    serde_json::from_str(include_str!("../../data/demandes-initiales.json"))
}

/// The catalogue entry form, as a coordinator types it (lists one item per line), with the
/// form's names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    #[serde(rename = "intitule")]
    pub title: String,
    #[serde(rename = "mots")]
    pub words: String,
    pub services: Vec<String>,
    #[serde(rename = "formes_mediation")]
    pub mediation_forms: Vec<String>,
    #[serde(rename = "voisins_services")]
    pub neighbour_services: Vec<String>,
    #[serde(rename = "voisins_formes_mediation")]
    pub neighbour_forms: Vec<String>,
    #[serde(rename = "equipement_sur_place")]
    pub on_site_equipment: bool,
    #[serde(rename = "domaines")]
    pub domains: Vec<String>,
    #[serde(rename = "thematiques")]
    pub themes: Vec<String>,
    pub typologies: String,
    #[serde(rename = "dispositifs")]
    pub programmes: Vec<String>,
    #[serde(rename = "partenaires")]
    pub partners: String,
    #[serde(rename = "apporter")]
    pub bring: String,
    pub questions: String,
    #[serde(rename = "plateformes")]
    pub platforms: Vec<String>,
    #[serde(rename = "demarche")]
    pub procedure: bool,
}

pub(super) fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

pub(super) fn slugs<V: Vocabulary>(
    raw: &[String],
    field: &'static str,
    errors: &mut Vec<(&'static str, String)>,
) -> Vec<V> {
    let mut out = Vec::new();
    for s in raw {
        match V::from_slug(s) {
            Some(v) if !out.contains(&v) => out.push(v),
            Some(_) => {}
            None => errors.push((field, format!("valeur inconnue « {s} »"))),
        }
    }
    out
}

impl RequestForm {
    /// The form of an existing entry.
    pub fn of(e: &RequestEntry) -> Self {
        fn s<V: Vocabulary>(v: &[V]) -> Vec<String> {
            v.iter().map(|x| x.slug().to_string()).collect()
        }
        RequestForm {
            title: e.title.clone(),
            words: e.words.clone(),
            services: s(&e.services),
            mediation_forms: s(&e.mediation_forms),
            neighbour_services: s(&e.neighbour_services),
            neighbour_forms: s(&e.neighbour_forms),
            on_site_equipment: e.on_site_equipment,
            domains: s(&e.domains),
            themes: s(&e.themes),
            typologies: e.typologies.join(" "),
            programmes: s(&e.programmes),
            partners: e.partners.join("\n"),
            bring: e.bring.join("\n"),
            questions: e.questions.join("\n"),
            platforms: s(&e.platforms),
            procedure: e.procedure,
        }
    }

    /// Checks the form; errors as (field, French reason).
    pub fn validate(
        &self,
        id: &str,
        known_typology: impl Fn(&str) -> bool,
    ) -> Result<RequestEntry, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_string();
        if title.chars().count() < 5 || title.chars().count() > 150 {
            errors.push((
                "intitule",
                "de 5 à 150 caractères, dans les mots de la personne".to_string(),
            ));
        }
        let services = slugs::<Service>(&self.services, "services", &mut errors);
        let mediation_forms =
            slugs::<MediationForm>(&self.mediation_forms, "formes_mediation", &mut errors);
        if services.is_empty() && mediation_forms.is_empty() {
            errors.push((
                "services",
                "cochez au moins un service ou une forme de médiation qui répond à la demande"
                    .to_string(),
            ));
        }
        let neighbour_services =
            slugs::<Service>(&self.neighbour_services, "voisins_services", &mut errors);
        let neighbour_forms = slugs::<MediationForm>(
            &self.neighbour_forms,
            "voisins_formes_mediation",
            &mut errors,
        );
        if neighbour_services.iter().any(|x| services.contains(x))
            || neighbour_forms.iter().any(|x| mediation_forms.contains(x))
        {
            errors.push((
                "voisins_services",
                "une aide voisine ne peut pas être aussi l'aide demandée : décochez-la d'un côté"
                    .to_string(),
            ));
        }
        let mut typologies = Vec::new();
        for code in self
            .typologies
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|c| !c.is_empty())
        {
            if known_typology(code) {
                if !typologies.iter().any(|t| t == code) {
                    typologies.push(code.to_string());
                }
            } else {
                errors.push((
                    "typologies",
                    format!("« {code} » n'est pas un code de typologie du standard"),
                ));
            }
        }
        let entry = RequestEntry {
            id: id.to_string(),
            title,
            words: self.words.trim().to_string(),
            services,
            mediation_forms,
            neighbour_services,
            neighbour_forms,
            on_site_equipment: self.on_site_equipment,
            domains: slugs(&self.domains, "domaines", &mut errors),
            themes: slugs(&self.themes, "thematiques", &mut errors),
            typologies,
            programmes: slugs(&self.programmes, "dispositifs", &mut errors),
            partners: lines(&self.partners),
            bring: lines(&self.bring),
            questions: lines(&self.questions),
            platforms: slugs(&self.platforms, "plateformes", &mut errors),
            procedure: self.procedure,
        };
        for (field, list) in [
            ("partenaires", &entry.partners),
            ("apporter", &entry.bring),
            ("questions", &entry.questions),
        ] {
            if list.len() > 20 || list.iter().any(|l| l.chars().count() > 300) {
                errors.push((field, "20 lignes de 300 caractères au plus".to_string()));
            }
        }
        if errors.is_empty() {
            Ok(entry)
        } else {
            Err(errors)
        }
    }
}
