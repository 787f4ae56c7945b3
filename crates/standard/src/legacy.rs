//! Legacy files of the standard v0.1 (`;` lists, old vocabularies): the correspondence to v1.
//!
//! The v0.1 vocabularies were reorganised in v1; each old value maps to the v1 value(s) of the
//! same meaning. Old values with no v1 equivalent are kept in Maillage's directory extras (free
//! text) so nothing is lost. The table is documented in `docs/STANDARD.md`.

use maillage_domain::FieldIssue;
use maillage_domain::place::{DirectoryExtras, RawPlace};
use maillage_domain::text::compact_key;
use maillage_domain::vocab::split_list;

/// Where an old value goes.
enum Target {
    /// A v1 field and the value to add to it.
    Field(&'static str, &'static str),
    /// Free text of the directory's access conditions.
    AccessCondition(&'static str),
    /// Free text of `autres_formations_labels`.
    OtherLabel(&'static str),
    /// Nothing in v1 (e.g. « Adultes »: every place receives adults).
    Nothing,
}

use Target::*;

const SERVICES: &[(&str, &[Target])] = &[
    (
        "Devenir autonome dans les démarches administratives",
        &[Field("services", "Aide aux démarches administratives")],
    ),
    (
        "Réaliser des démarches administratives avec un accompagnement",
        &[Field("services", "Aide aux démarches administratives")],
    ),
    (
        "Prendre en main un smartphone ou une tablette",
        &[Field(
            "services",
            "Maîtrise des outils numériques du quotidien",
        )],
    ),
    (
        "Prendre en main un ordinateur",
        &[Field(
            "services",
            "Maîtrise des outils numériques du quotidien",
        )],
    ),
    (
        "Utiliser le numérique au quotidien",
        &[Field(
            "services",
            "Maîtrise des outils numériques du quotidien",
        )],
    ),
    (
        "Approfondir ma culture numérique",
        &[Field("services", "Compréhension du monde numérique")],
    ),
    (
        "Favoriser mon insertion professionnelle",
        &[Field(
            "services",
            "Insertion professionnelle via le numérique",
        )],
    ),
    (
        "Accéder à une connexion internet",
        &[Field("services", "Accès internet et matériel informatique")],
    ),
    (
        "Accéder à du matériel",
        &[Field("services", "Accès internet et matériel informatique")],
    ),
    (
        "S'équiper en matériel informatique",
        &[Field(
            "services",
            "Acquisition de matériel informatique à prix solidaire",
        )],
    ),
    (
        "Créer et développer mon entreprise",
        &[Field(
            "services",
            "Insertion professionnelle via le numérique",
        )],
    ),
    (
        "Créer avec le numérique",
        &[Field("services", "Loisirs et créations numériques")],
    ),
    (
        "Accompagner les démarches de santé",
        &[Field("services", "Aide aux démarches administratives")],
    ),
    (
        "Promouvoir la citoyenneté numérique",
        &[Field("services", "Compréhension du monde numérique")],
    ),
    (
        "Soutenir la parentalité et l'éducation avec le numérique",
        &[Field(
            "services",
            "Parentalité et éducation avec le numérique",
        )],
    ),
];

const PUBLICS: &[(&str, &[Target])] = &[
    (
        "Seniors (+ 65 ans)",
        &[Field("publics_specifiquement_adresses", "Seniors")],
    ),
    (
        "Familles/enfants",
        &[Field(
            "publics_specifiquement_adresses",
            "Familles et/ou enfants",
        )],
    ),
    ("Adultes", &[Nothing]),
    (
        "Jeunes (16-26 ans)",
        &[Field("publics_specifiquement_adresses", "Jeunes")],
    ),
    (
        "Public langues étrangères",
        &[Field(
            "prise_en_charge_specifique",
            "Langues étrangères (autres)",
        )],
    ),
    (
        "Déficience visuelle",
        &[Field("prise_en_charge_specifique", "Déficience visuelle")],
    ),
    ("Surdité", &[Field("prise_en_charge_specifique", "Surdité")]),
    (
        "Handicaps psychiques : troubles psychiatriques donnant lieu à des atteintes comportementales",
        &[Field("prise_en_charge_specifique", "Handicaps mentaux")],
    ),
    (
        "Handicaps mentaux : déficiences limitant les activités d'une personne",
        &[Field("prise_en_charge_specifique", "Handicaps mentaux")],
    ),
    (
        "Uniquement femmes",
        &[Field("publics_specifiquement_adresses", "Femmes")],
    ),
    (
        "Personnes en situation d'illettrisme",
        &[Field("prise_en_charge_specifique", "Illettrisme")],
    ),
];

const CONDITIONS: &[(&str, &[Target])] = &[
    (
        "Gratuit : Je peux accéder gratuitement au lieu et à ses services",
        &[Field("frais_a_charge", "Gratuit")],
    ),
    (
        "Gratuit sous condition : La gratuité est conditionnée à des critères (situation familiale, convention avec un organisme social...)",
        &[Field("frais_a_charge", "Gratuit sous condition")],
    ),
    (
        "Payant : L'accès au lieu et/ou à ses services est payant",
        &[Field("frais_a_charge", "Payant")],
    ),
    (
        "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder au lieu",
        &[AccessCondition("Accepte le Pass numérique (APTIC)")],
    ),
    (
        "Adhésion : L'accès au lieu et/ou à ses services nécessite d'y adhérer",
        &[
            Field("frais_a_charge", "Payant"),
            AccessCondition("Adhésion demandée"),
        ],
    ),
];

const LABELS: &[(&str, &[Target])] = &[
    (
        "France Services",
        &[Field("dispositif_programmes_nationaux", "France Services")],
    ),
    (
        "CNFS",
        &[Field(
            "dispositif_programmes_nationaux",
            "Conseillers numériques",
        )],
    ),
    (
        "APTIC",
        &[AccessCondition("Accepte le Pass numérique (APTIC)")],
    ),
    (
        "Aidants Connect",
        &[Field("dispositif_programmes_nationaux", "Aidants Connect")],
    ),
    (
        "Fabriques de Territoire",
        &[Field("formations_labels", "Fabriques de Territoire")],
    ),
    (
        "Grandes écoles du numérique",
        &[Field(
            "dispositif_programmes_nationaux",
            "Grande école du numérique",
        )],
    ),
    (
        "Point relais CAF",
        &[Field(
            "dispositif_programmes_nationaux",
            "Point d'accès numérique CAF",
        )],
    ),
    (
        "Point numérique CAF",
        &[Field(
            "dispositif_programmes_nationaux",
            "Point d'accès numérique CAF",
        )],
    ),
    ("Relais pôle emploi", &[OtherLabel("Relais pôle emploi")]),
    ("French Tech", &[OtherLabel("French Tech")]),
    ("Campus connecté", &[OtherLabel("Campus connecté")]),
];

const MODALITIES: &[(&str, &[Target])] = &[
    (
        "Seul : j'ai accès à du matériel et une connexion",
        &[Field("modalites_accompagnement", "En autonomie")],
    ),
    (
        "Avec de l'aide : je suis accompagné seul dans l'usage du numérique",
        &[Field(
            "modalites_accompagnement",
            "Accompagnement individuel",
        )],
    ),
    (
        "Dans un atelier : j'apprends collectivement à utiliser le numérique",
        &[Field(
            "modalites_accompagnement",
            "Dans un atelier collectif",
        )],
    ),
    (
        "A ma place : une personne habilitée fait les démarches à ma place",
        &[
            Field("modalites_accompagnement", "Accompagnement individuel"),
            AccessCondition(
                "Démarches faites à la place de la personne par une personne habilitée",
            ),
        ],
    ),
];

/// Fields of a v0.1 record, by name.
pub trait LegacyRecord {
    fn get(&self, field: &str) -> Option<&str>;
}

/// Converts a v0.1 record into the v1 text form, plus extras for what v1 cannot carry.
/// Unknown old values are reported as errors, like unknown v1 values.
pub fn to_v1(rec: &dyn LegacyRecord) -> (RawPlace, DirectoryExtras, Vec<FieldIssue>) {
    let mut raw = RawPlace::default();
    let mut extras = DirectoryExtras::default();
    let mut errors = Vec::new();
    // Same name, same meaning.
    for f in [
        "id",
        "pivot",
        "nom",
        "commune",
        "code_postal",
        "code_insee",
        "adresse",
        "complement_adresse",
        "latitude",
        "longitude",
        "telephone",
        "horaires",
        "presentation_resume",
        "presentation_detail",
        "source",
        "structure_parente",
        "date_maj",
        "prise_rdv",
    ] {
        if let Some(v) = rec.get(f) {
            raw.set(f, v.to_string());
        }
    }
    if let Some(v) = rec.get("typologie") {
        raw.typologie = Some(v.replace(';', "|"));
    }
    if let Some(v) = rec.get("courriel") {
        raw.courriels = Some(v.replace(';', "|"));
    }
    if let Some(v) = rec.get("site_web") {
        raw.site_web = Some(v.replace(';', "|"));
    }
    if let Some(v) = rec.get("accessibilite") {
        raw.fiche_acces_libre = Some(v.to_string());
    }
    let mut lists: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    let mut conditions: Vec<&'static str> = Vec::new();
    let mut other_labels: Vec<String> = Vec::new();
    for (field, table) in [
        ("services", SERVICES),
        ("publics_accueillis", PUBLICS),
        ("conditions_acces", CONDITIONS),
        ("labels_nationaux", LABELS),
        ("modalites_accompagnement", MODALITIES),
    ] {
        let Some(value) = rec.get(field) else {
            continue;
        };
        for item in split_list(value, ';') {
            let key = compact_key(item);
            // Old files sometimes hold only the label before « : ».
            let short = compact_key(item.split(" : ").next().unwrap_or(item));
            let found = table.iter().find(|(old, _)| {
                compact_key(old) == key
                    || compact_key(old.split(" : ").next().unwrap_or(old)) == short
            });
            match found {
                Some((_, targets)) => {
                    for t in *targets {
                        match t {
                            Field(f, v) => match lists.iter_mut().find(|(name, _)| name == f) {
                                Some((_, vs)) => vs.push(v),
                                None => lists.push((f, vec![v])),
                            },
                            AccessCondition(c) => conditions.push(c),
                            OtherLabel(l) => other_labels.push((*l).to_string()),
                            Nothing => {}
                        }
                    }
                }
                None => errors.push(FieldIssue {
                    field: field.to_string(),
                    value: item.to_string(),
                    reason: format!(
                        "valeur inconnue du standard v0.1 (valeurs permises : {})",
                        table
                            .iter()
                            .map(|(o, _)| *o)
                            .collect::<Vec<_>>()
                            .join(" ; ")
                    ),
                }),
            }
        }
    }
    for (field, mut values) in lists {
        values.sort_unstable();
        values.dedup();
        raw.set(field, values.join("|"));
    }
    if let Some(v) = rec.get("labels_autres") {
        other_labels.push(v.to_string());
    }
    if !other_labels.is_empty() {
        raw.autres_formations_labels = Some(other_labels.join(", "));
    }
    conditions.sort_unstable();
    conditions.dedup();
    if !conditions.is_empty() {
        extras.access_conditions = Some(conditions.join(" ; "));
    }
    (raw, extras, errors)
}

/// Field names that exist only in v0.1: their presence marks a legacy file.
pub const LEGACY_ONLY_FIELDS: [&str; 7] = [
    "courriel",
    "publics_accueillis",
    "conditions_acces",
    "labels_nationaux",
    "labels_autres",
    "accessibilite",
    "cle_ban",
];

/// Field names that exist only in v1.
pub const V1_ONLY_FIELDS: [&str; 9] = [
    "courriels",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "modalites_acces",
    "itinerance",
    "fiche_acces_libre",
];

/// Whether a `services` value uses the v0.1 vocabulary.
pub fn looks_like_v0_1_services(value: &str) -> bool {
    split_list(value, ';').any(|item| {
        let key = compact_key(item);
        SERVICES.iter().any(|(old, _)| compact_key(old) == key)
    })
}
