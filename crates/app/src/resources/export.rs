//! The library as the API, the CLI and the CSV export give it: French keys, vocabulary slugs.

use maillage_domain::Vocabulary;
use maillage_store::StoredResource;

/// A resource as the API and the exports give it (French keys, vocabulary slugs).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Ressource)]
pub struct ResourceView {
    pub id: String,
    pub titre: String,
    pub resume: String,
    /// Slug of the kind (`fiche`, `video`…).
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource's address, for a link.
    pub lien: Option<String>,
    /// The steps, for a written sheet.
    pub deroule: Option<String>,
    pub fichier: Option<ResourceFileView>,
    pub thematiques: Vec<String>,
    pub pratique: Vec<String>,
    pub niveaux: Vec<String>,
    pub public: Vec<String>,
    pub langue: String,
    pub licence: String,
    pub auteur: String,
    pub date: Option<chrono::NaiveDate>,
    /// Slug of the state (`publiee`, `proposee`…).
    pub etat: String,
    /// The link answered with an error at its last check.
    pub lien_mort: bool,
    pub lien_verifie_le: Option<String>,
    pub publiee_le: Option<String>,
    /// The resource's page on Maillage.
    pub page: String,
}

/// The file attached to a resource.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = FichierRessource)]
pub struct ResourceFileView {
    pub nom: String,
    #[serde(rename = "type")]
    pub mime: String,
    /// Size in bytes.
    pub taille: u64,
    pub adresse: String,
}

impl ResourceView {
    pub fn of(public_url: &str, s: &StoredResource) -> Self {
        fn slugs<V: Vocabulary>(values: &[V]) -> Vec<String> {
            values.iter().map(|v| v.slug().to_string()).collect()
        }
        let r = &s.resource;
        ResourceView {
            id: r.id.clone(),
            titre: r.title.clone(),
            resume: r.summary.clone(),
            kind: r.kind.slug().to_string(),
            lien: r.url.clone(),
            deroule: r.body.clone(),
            fichier: s.file.as_ref().map(|f| ResourceFileView {
                nom: f.name.clone(),
                mime: f.mime.clone(),
                taille: f.size,
                adresse: format!("{public_url}/ressources/{}/fichier", r.id),
            }),
            thematiques: slugs(&r.themes),
            pratique: slugs(&r.practice),
            niveaux: r.levels.iter().map(|l| l.slug().to_string()).collect(),
            public: slugs(&r.audiences),
            langue: r.language.clone(),
            licence: r.licence.clone(),
            auteur: r.author.clone(),
            date: r.date,
            etat: s.status.slug().to_string(),
            lien_mort: s.link.is_dead(),
            lien_verifie_le: s.link.checked_at.clone(),
            publiee_le: s.published_at.clone(),
            page: format!("{public_url}/ressources/{}", r.id),
        }
    }
}
