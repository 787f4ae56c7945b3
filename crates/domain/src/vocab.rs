//! Closed vocabularies of the national standard « Lieux de médiation numérique » v1.0.2, and the
//! vocabularies of the field's directory template (seed `002_…`, « trame de répertoire ») that
//! Maillage keeps beside the standard.
//!
//! Each vocabulary is declared once with [`vocabulary!`]: the Rust variant, the exact label
//! written in exports (the spelling the schema's regular expression accepts) and the other
//! spellings accepted on import.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::compact_key;

/// A closed list of values with a French label.
pub trait Vocabulary: Sized + Copy + Eq + Ord + 'static {
    /// Every value, in the order of the standard.
    const ALL: &'static [Self];
    /// Name of the field of the standard (or of Maillage's extension) that holds the list.
    const FIELD: &'static str;
    /// Label written in exports and shown to people.
    fn label(self) -> &'static str;
    /// Stable identifier used in URLs and filters (ASCII, kebab case).
    fn slug(self) -> &'static str;
    /// Extra spellings accepted on import.
    fn aliases(self) -> &'static [&'static str];

    /// Parses a label tolerantly: case, accents, spaces and punctuation are ignored, aliases
    /// and slugs are accepted.
    fn parse(input: &str) -> Option<Self> {
        // Exact labels (stored data, clean files) need no folding.
        if let Some(v) = Self::ALL.iter().copied().find(|v| v.label() == input) {
            return Some(v);
        }
        let key = compact_key(input);
        if key.is_empty() {
            return None;
        }
        Self::ALL.iter().copied().find(|v| {
            compact_key(v.label()) == key
                || compact_key(v.slug()) == key
                || v.aliases().iter().any(|a| compact_key(a) == key)
        })
    }

    /// Parses a slug exactly (for URL filters, which are validated item by item).
    fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.slug() == slug)
    }
}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, field = $field:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $slug:literal, $label:literal $(, aliases = [$($alias:literal),*])? ;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl Vocabulary for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            const FIELD: &'static str = $field;
            fn label(self) -> &'static str {
                match self { $(Self::$variant => $label,)+ }
            }
            fn slug(self) -> &'static str {
                match self { $(Self::$variant => $slug,)+ }
            }
            fn aliases(self) -> &'static [&'static str] {
                match self { $(Self::$variant => &[$($($alias),*)?],)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.label())
            }
        }

        /// In the API contract: one of the labels.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.label())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                <$name as Vocabulary>::parse(&raw).ok_or_else(|| {
                    serde::de::Error::custom(format!("valeur inconnue pour {} : « {} »", $field, raw))
                })
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary! {
    /// `services`: the kinds of help a place offers.
    Service, field = "services" {
        AdministrativeProcedures = "demarches", "Aide aux démarches administratives";
        EverydayTools = "outils-quotidien", "Maîtrise des outils numériques du quotidien";
        ProfessionalIntegration = "insertion-pro", "Insertion professionnelle via le numérique";
        SafeUse = "securite", "Utilisation sécurisée du numérique";
        Parenting = "parentalite", "Parentalité et éducation avec le numérique";
        Leisure = "loisirs", "Loisirs et créations numériques";
        UnderstandingDigital = "culture-numerique", "Compréhension du monde numérique";
        InternetAccess = "acces-internet", "Accès internet et matériel informatique";
        SolidarityEquipment = "materiel-solidaire", "Acquisition de matériel informatique à prix solidaire";
    }
}

vocabulary! {
    /// `publics_specifiquement_adresses`: publics a place is specifically for.
    Public, field = "publics_specifiquement_adresses" {
        Youth = "jeunes", "Jeunes";
        Students = "etudiants", "Étudiants";
        Families = "familles", "Familles et/ou enfants";
        Seniors = "seniors", "Seniors";
        Women = "femmes", "Femmes";
    }
}

vocabulary! {
    /// `prise_en_charge_specifique`: particular needs a place can support.
    SpecificSupport, field = "prise_en_charge_specifique" {
        Deafness = "surdite", "Surdité";
        MotorDisability = "handicap-moteur", "Handicaps moteurs";
        MentalDisability = "handicap-mental", "Handicaps mentaux";
        Illiteracy = "illettrisme", "Illettrisme";
        English = "anglais", "Langues étrangères (anglais)";
        OtherLanguages = "autres-langues", "Langues étrangères (autres)";
        VisualImpairment = "deficience-visuelle", "Déficience visuelle";
    }
}

vocabulary! {
    /// `frais_a_charge`: financial conditions.
    Fee, field = "frais_a_charge" {
        Free = "gratuit", "Gratuit";
        FreeUnderCondition = "gratuit-sous-condition", "Gratuit sous condition";
        Paid = "payant", "Payant";
    }
}

vocabulary! {
    /// `itinerance`: fixed place or mobile (bus, caravan).
    Mobility, field = "itinerance" {
        Mobile = "itinerant", "Itinérant";
        Fixed = "fixe", "Fixe";
    }
}

vocabulary! {
    /// `dispositif_programmes_nationaux`: national programmes the place belongs to.
    NationalProgramme, field = "dispositif_programmes_nationaux" {
        AidantsConnect = "aidants-connect", "Aidants Connect";
        ReferenceLibraries = "bnr", "Bibliothèques numérique de référence";
        PixCertification = "pix", "Certification PIX";
        DigitalAdvisors = "conseillers-numeriques", "Conseillers numériques", aliases = ["Conseiller numérique", "CNFS"];
        EmmausConnect = "emmaus-connect", "Emmaüs Connect";
        FranceServices = "france-services", "France Services";
        DigitalSchool = "gen", "Grande école du numérique", aliases = ["Grandes écoles du numérique"];
        RedCross = "croix-rouge", "La Croix Rouge";
        CafAccessPoint = "point-caf", "Point d'accès numérique CAF", aliases = ["Point numérique CAF"];
        PromeneursDuNet = "promeneurs-du-net", "Promeneurs du net";
        DigitalRelay = "relais-numerique", "Relais numérique (Emmaüs Connect)";
    }
}

vocabulary! {
    /// `formations_labels`: trainings and labels. The export keeps the schema's spelling
    /// `Étapes numériques(La Poste)` (no space), the only one its pattern accepts.
    TrainingLabel, field = "formations_labels" {
        MonEspaceSante = "mon-espace-sante", "Formé à « Mon Espace Santé »";
        Duplex = "duplex", "Formé à « DUPLEX » (illettrisme)";
        Arnia = "arnia", "Arnia/MedNum BFC (Bourgogne-Franche-Comté)";
        ReuseNormandy = "reemploi-normandie", "Collectif ressources et acteurs réemploi (Normandie)";
        EtapesNumeriques = "etapes-numeriques", "Étapes numériques(La Poste)", aliases = ["Étapes numériques (La Poste)"];
        FabriquesDeTerritoire = "fabriques-de-territoire", "Fabriques de Territoire";
        Eclaireurs = "eclaireurs", "Les Éclaireurs du numérique (Drôme)";
        MesPapiers = "mes-papiers", "Mes Papiers (Métropole de Lyon)";
        Ordi3 = "ordi-3", "ORDI 3.0";
        SudLabs = "sud-labs", "SUD LABS (PACA)";
    }
}

vocabulary! {
    /// `modalites_acces`: how to get the place's help.
    AccessMode, field = "modalites_acces" {
        WalkIn = "se-presenter", "Se présenter";
        Phone = "telephoner", "Téléphoner";
        Email = "mail", "Contacter par mail";
        OnlineBooking = "rdv-en-ligne", "Prendre un RDV en ligne";
        NoPublic = "pas-de-public", "Ce lieu n'accueille pas de public";
        Prescription = "prescription", "Envoyer un mail avec une fiche de prescription";
    }
}

vocabulary! {
    /// `modalites_accompagnement`: forms of support.
    SupportMode, field = "modalites_accompagnement" {
        Autonomous = "autonomie", "En autonomie";
        Individual = "individuel", "Accompagnement individuel";
        Workshop = "atelier", "Dans un atelier collectif",
            aliases = ["Dans un atelier collectif : j'apprends collectivement à utiliser le numérique"];
        Remote = "a-distance", "À distance", aliases = ["À distance (par téléphone ou en visioconférence)"];
    }
}

vocabulary! {
    /// Forms of mediation of the field's typology (seed `002_…`): what a helper needs to know to
    /// orient someone, finer than the standard's `services`.
    MediationForm, field = "formes_mediation" {
        SelfServiceComputers = "ordinateurs-libre-service", "Ordinateurs en libre-service, sans médiateur";
        MediatedComputers = "ordinateurs-avec-mediateur", "Ordinateurs en libre-service avec un médiateur";
        FreeWifi = "wifi", "Wi-fi gratuit";
        MobileEquipment = "equipements-mobiles", "Équipements mobiles d'accès aux services en ligne";
        Repair = "reparation", "Réparation de matériel informatique";
        MediationInterview = "entretien-mediation", "Entretien individuel de médiation numérique";
        SimpleRights = "droits-simples", "Entretien individuel d'accès aux droits simples";
        InDepthRights = "droits-approfondis", "Entretien individuel approfondi d'accès aux droits";
        Emergency = "urgence", "Entretien individuel de gestion de l'urgence";
        SkillsWorkshops = "ateliers-competences", "Ateliers de montée en compétences";
        ProfessionalTraining = "formation-pro", "Formation numérique professionnalisante";
        RiskAwareness = "sensibilisation-risques", "Ateliers de sensibilisation aux risques d'internet";
        ParentingYouth = "parentalite-jeunesse", "Ateliers numérique, parentalité et jeunesse";
        MediaInformation = "medias-information", "Ateliers médias et information";
        MutualAid = "entraide", "Ateliers d'entraide autour du numérique";
        Fablab = "fablab", "Fab lab";
        Coworking = "coworking", "Espace de co-working";
        MobileOutreach = "aller-vers", "Dispositif mobile d'aller-vers";
    }
}

vocabulary! {
    /// Domains of intervention beyond digital (seed `002_…`): what the structure knows of
    /// people's situations, so a helper can send them to the right desk.
    InterventionDomain, field = "domaines_intervention" {
        Employment = "emploi", "Emploi";
        Training = "formation", "Formation";
        Housing = "logement", "Logement";
        Family = "famille", "Famille";
        Health = "sante", "Santé";
        ForeignersRights = "droit-des-etrangers", "Droit des étrangers";
        OverIndebtedness = "surendettement", "Surendettement et budget";
        Retirement = "retraite", "Retraite";
        Schooling = "scolarite", "Scolarité";
        Taxes = "impots", "Impôts";
        SocialBenefits = "prestations-sociales", "Prestations sociales";
        Mobility = "mobilite", "Mobilité et transports";
        Disability = "handicap", "Handicap";
        Justice = "justice", "Accès au droit et justice";
    }
}

/// Splits a list field of the standard. v1 uses `|`; v0.1 and many real files use `;`.
pub fn split_list(raw: &str, separator: char) -> impl Iterator<Item = &str> {
    raw.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

vocabulary! {
    /// Categories of an error reported on a place's page (Maillage's own vocabulary).
    ReportCategory, field = "signalement" {
        Hours = "horaires", "Horaires";
        Services = "services", "Services proposés";
        Address = "adresse", "Adresse ou accès";
        Contact = "contact", "Téléphone, courriel ou site";
        Publics = "publics", "Publics accueillis et conditions";
        Closed = "ferme", "Ce lieu n'existe plus";
        Other = "autre", "Autre chose";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip_all<V: Vocabulary + std::fmt::Debug>() {
        for v in V::ALL {
            assert_eq!(V::parse(v.label()), Some(*v), "{}", v.label());
            assert_eq!(V::from_slug(v.slug()), Some(*v));
        }
        let mut slugs: Vec<_> = V::ALL.iter().map(|v| v.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(
            slugs.len(),
            V::ALL.len(),
            "slugs of {} are unique",
            V::FIELD
        );
    }

    #[test]
    fn every_vocabulary_round_trips() {
        roundtrip_all::<Service>();
        roundtrip_all::<Public>();
        roundtrip_all::<SpecificSupport>();
        roundtrip_all::<Fee>();
        roundtrip_all::<Mobility>();
        roundtrip_all::<NationalProgramme>();
        roundtrip_all::<TrainingLabel>();
        roundtrip_all::<AccessMode>();
        roundtrip_all::<SupportMode>();
        roundtrip_all::<MediationForm>();
        roundtrip_all::<InterventionDomain>();
    }

    #[test]
    fn accepts_real_world_spellings() {
        assert_eq!(
            TrainingLabel::parse("Étapes numériques (La Poste)"),
            Some(TrainingLabel::EtapesNumeriques)
        );
        assert_eq!(
            Service::parse("Comprehension du monde numérique"),
            Some(Service::UnderstandingDigital)
        );
        assert_eq!(
            SupportMode::parse("À distance (par téléphone ou en visioconférence)"),
            Some(SupportMode::Remote)
        );
        assert_eq!(Fee::parse("gratuit"), Some(Fee::Free));
        assert_eq!(Fee::parse("Gratuit sous conditions"), None);
    }
}

vocabulary! {
    /// Themes of digital mediation, as the national activity reporting names them (workshops,
    /// resources, activity records).
    MediationTheme, field = "thematiques" {
        Equipment = "materiel", "Prendre en main du matériel", aliases = ["PrendreEnMainDuMateriel"];
        Internet = "internet", "Naviguer sur internet", aliases = ["Navigation sur internet", "NavigationSurInternet"];
        Email = "courriel", "Courriels", aliases = ["E-mail", "Email", "mail"];
        Office = "bureautique", "Bureautique";
        SocialMedia = "reseaux-sociaux", "Réseaux sociaux et communication", aliases = ["Réseaux sociaux communication", "ReseauxSociaux"];
        OnlineProcedures = "demarches", "Démarches en ligne et accès aux droits", aliases = ["Aide aux démarches administratives", "Démarches en ligne"];
        Health = "sante", "Santé";
        BankingShopping = "banque-achats", "Banque et achats en ligne", aliases = ["BanqueEtAchatsEnLigne"];
        Entrepreneurship = "entrepreneuriat", "Entrepreneuriat";
        Employment = "insertion-pro", "Insertion professionnelle";
        Safety = "securite", "Sécurité numérique et désinformation", aliases = ["Prévention en sécurité numérique"];
        Parenting = "parentalite", "Parentalité numérique";
        School = "scolarite", "Scolarité et numérique";
        Creating = "creer", "Créer avec le numérique";
        Culture = "culture-numerique", "Culture numérique";
        ArtificialIntelligence = "ia", "Intelligence artificielle";
    }
}

vocabulary! {
    /// How a workshop is run.
    WorkshopFormat, field = "format" {
        Collective = "collectif", "Atelier collectif";
        IndividualInGroup = "individuel-collectif", "Individuel dans le collectif";
        Hybrid = "hybride", "Hybride (sur place et à distance)";
        Remote = "a-distance", "À distance";
    }
}

vocabulary! {
    /// How people register to a workshop.
    RegistrationMode, field = "inscription" {
        Open = "libre", "Inscription libre (en ligne ou sur place)";
        ReferralOnly = "orientation", "Sur orientation d'un aidant seulement";
        ByPhone = "telephone", "Par téléphone";
    }
}
