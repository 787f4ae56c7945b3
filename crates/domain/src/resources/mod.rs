//! The helpers' resource library (« ressourcerie »): links, workshop outlines written by members,
//! files and games, each described the same way (themes, levels, audience, language, licence,
//! author, date). Members propose, coordinators publish. The rules of the form, of the files
//! accepted and of the dead-link checker are pure functions here.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diagnostic::Level;
use crate::vocab::{MediationTheme, Vocabulary};

mod files;

pub use files::*;

crate::vocab::vocabulary! {
    /// What a resource is.
    ResourceKind, field = "type" {
        Site = "site", "Site ou outil en ligne";
        Outline = "deroule", "Déroulé d'atelier";
        Guide = "guide", "Guide ou fiche pratique";
        Game = "jeu", "Jeu ou quiz";
        Video = "video", "Vidéo ou podcast";
    }
}

crate::vocab::vocabulary! {
    /// Who a resource is meant for.
    Audience, field = "public" {
        Helpers = "aidants", "Aidants et médiateurs";
        Public = "personnes", "Personnes accompagnées";
    }
}

crate::vocab::vocabulary! {
    /// The helpers' own practice, beside the national themes of mediation (seed `000_…`:
    /// posture, legal framework, diagnostic, play, knowing who does what, keeping up to date).
    PracticeTopic, field = "pratique" {
        Posture = "posture", "Posture d'accompagnement";
        LegalFramework = "cadre-juridique", "Cadre juridique et RGPD";
        Assessment = "evaluation", "Diagnostic et évaluation";
        Play = "jeu-pedagogique", "Animer par le jeu";
        Directories = "orientation", "Orienter : annuaires et cartes";
        News = "actualite", "Actualité et veille du numérique";
    }
}

/// Where a resource stands in the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceStatus {
    /// Proposed by a member, waiting for a coordinator.
    #[serde(rename = "proposee")]
    Proposed,
    #[serde(rename = "publiee")]
    Published,
    /// Refused by a coordinator, with a reason the proposer reads.
    #[serde(rename = "refusee")]
    Refused,
}

impl ResourceStatus {
    pub const ALL: [ResourceStatus; 3] = [Self::Proposed, Self::Published, Self::Refused];

    pub fn slug(self) -> &'static str {
        match self {
            Self::Proposed => "proposee",
            Self::Published => "publiee",
            Self::Refused => "refusee",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.slug() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Proposed => "Proposée, en attente de publication",
            Self::Published => "Publiée",
            Self::Refused => "Refusée",
        }
    }
}

/// Licences offered in the form (any other text is accepted too).
pub const LICENCES: [&str; 6] = [
    "CC BY 4.0",
    "CC BY-SA 4.0",
    "CC BY-NC-SA 4.0",
    "Licence Ouverte 2.0",
    "Tous droits réservés (lien seulement)",
    "Licence non précisée",
];

/// A resource of the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub kind: ResourceKind,
    /// The web address, for a link (and for a game or a video played online).
    pub url: Option<String>,
    /// The text of a workshop outline written by a member (paragraphs separated by blank
    /// lines).
    pub body: Option<String>,
    pub themes: Vec<MediationTheme>,
    pub practice: Vec<PracticeTopic>,
    /// Levels of the shared grid the resource suits (for resources used with people).
    pub levels: Vec<Level>,
    pub audiences: Vec<Audience>,
    /// Language, as an ISO 639-1 code (`fr`, `en`, `ar`…).
    pub language: String,
    pub licence: String,
    pub author: String,
    /// Date of the resource (its publication by its author).
    pub date: Option<NaiveDate>,
}

impl Resource {
    pub fn themes_label(&self) -> String {
        self.themes
            .iter()
            .map(|t| t.label())
            .chain(self.practice.iter().map(|p| p.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn levels_label(&self) -> String {
        if self.levels.is_empty() || self.levels.len() == Level::ALL.len() {
            return "Tous niveaux".into();
        }
        self.levels
            .iter()
            .map(|l| l.label())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The text the search engine reads, besides the title.
    pub fn searchable_text(&self) -> String {
        [
            self.summary.as_str(),
            &self.themes_label(),
            self.kind.label(),
            &self.author,
            self.body.as_deref().unwrap_or_default(),
        ]
        .join("\n")
    }

    /// Suits a person of this level (a resource without levels suits everyone).
    pub fn suits(&self, level: Level) -> bool {
        self.levels.is_empty() || self.levels.contains(&level)
    }
}

/// The resource form, as typed, with the form's names; errors as (field, French reason).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceForm {
    #[serde(rename = "titre")]
    pub title: String,
    #[serde(rename = "resume")]
    pub summary: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "lien")]
    pub url: String,
    /// The workshop outline, steps separated by an empty line.
    #[serde(rename = "deroule")]
    pub body: String,
    #[serde(rename = "thematique")]
    pub themes: Vec<String>,
    #[serde(rename = "pratique")]
    pub practice: Vec<String>,
    #[serde(rename = "niveau")]
    pub levels: Vec<String>,
    #[serde(rename = "public")]
    pub audiences: Vec<String>,
    #[serde(rename = "langue")]
    pub language: String,
    pub licence: String,
    #[serde(rename = "auteur")]
    pub author: String,
    pub date: String,
    /// A file comes with the form (checked on its own by [`check_file`]).
    #[serde(skip)]
    pub has_file: bool,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl ResourceForm {
    pub fn validate(&self, id: &str) -> Result<Resource, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 150 {
            errors.push(("titre", "de 1 à 150 caractères".to_string()));
        }
        let summary = self.summary.trim().to_string();
        if summary.chars().count() < 10 || summary.chars().count() > 1_000 {
            errors.push((
                "resume",
                "dites en quelques phrases (10 à 1 000 caractères) à quoi sert la ressource"
                    .to_string(),
            ));
        }
        let kind = ResourceKind::from_slug(&self.kind);
        if kind.is_none() {
            errors.push(("type", "choisissez le type de ressource".to_string()));
        }
        let url = match opt(&self.url) {
            None => None,
            Some(raw) => match crate::fields::url(&raw) {
                Ok(r) => Some(r.value),
                Err(e) => {
                    errors.push(("lien", e));
                    None
                }
            },
        };
        let body = opt(&self.body);
        if body.as_ref().is_some_and(|b| b.chars().count() > 20_000) {
            errors.push(("deroule", "20 000 caractères au plus".to_string()));
        }
        if url.is_none()
            && body.is_none()
            && !self.has_file
            && !errors.iter().any(|(f, _)| *f == "lien")
        {
            errors.push((
                "lien",
                "donnez un lien, écrivez le déroulé ou joignez un fichier".to_string(),
            ));
        }
        let themes: Vec<MediationTheme> = self
            .themes
            .iter()
            .filter_map(|t| MediationTheme::from_slug(t))
            .collect();
        let practice: Vec<PracticeTopic> = self
            .practice
            .iter()
            .filter_map(|t| PracticeTopic::from_slug(t))
            .collect();
        if themes.is_empty() && practice.is_empty() {
            errors.push((
                "thematique",
                "choisissez au moins une thématique".to_string(),
            ));
        }
        let mut levels: Vec<Level> = self
            .levels
            .iter()
            .filter_map(|l| Level::from_slug(l))
            .collect();
        levels.sort();
        levels.dedup();
        let audiences: Vec<Audience> = self
            .audiences
            .iter()
            .filter_map(|a| Audience::from_slug(a))
            .collect();
        if audiences.is_empty() {
            errors.push((
                "public",
                "dites si la ressource sert aux aidants, aux personnes, ou aux deux".to_string(),
            ));
        }
        let language = match self.language.trim().to_ascii_lowercase() {
            l if l.is_empty() => "fr".to_string(),
            l if l.len() == 2 && l.chars().all(|c| c.is_ascii_lowercase()) => l,
            _ => {
                errors.push((
                    "langue",
                    "code de langue à deux lettres (fr, en, ar…)".to_string(),
                ));
                String::new()
            }
        };
        let licence = opt(&self.licence).unwrap_or_else(|| "Licence non précisée".into());
        if licence.chars().count() > 80 {
            errors.push(("licence", "80 caractères au plus".to_string()));
        }
        let author = self.author.trim().to_string();
        if author.is_empty() || author.chars().count() > 120 {
            errors.push((
                "auteur",
                "indiquez l'auteur ou la structure qui a produit la ressource".to_string(),
            ));
        }
        let date = match opt(&self.date) {
            None => None,
            Some(d) => match crate::fields::date(&d) {
                Ok(r) => Some(r.value),
                Err(e) => {
                    errors.push(("date", e));
                    None
                }
            },
        };
        let Some(kind) = kind else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Resource {
            id: id.to_string(),
            title,
            summary,
            kind,
            url,
            body,
            themes,
            practice,
            levels,
            audiences,
            language,
            licence,
            author,
            date,
        })
    }

    /// The form filled with a resource (to edit it).
    pub fn of(r: &Resource) -> Self {
        ResourceForm {
            title: r.title.clone(),
            summary: r.summary.clone(),
            kind: r.kind.slug().into(),
            url: r.url.clone().unwrap_or_default(),
            body: r.body.clone().unwrap_or_default(),
            themes: r.themes.iter().map(|t| t.slug().to_string()).collect(),
            practice: r.practice.iter().map(|t| t.slug().to_string()).collect(),
            levels: r.levels.iter().map(|l| l.slug().to_string()).collect(),
            audiences: r.audiences.iter().map(|a| a.slug().to_string()).collect(),
            language: r.language.clone(),
            licence: r.licence.clone(),
            author: r.author.clone(),
            date: r.date.map(|d| d.to_string()).unwrap_or_default(),
            has_file: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn form() -> ResourceForm {
        ResourceForm {
            title: "Les mots de passe".into(),
            summary: "Un atelier pour reconnaître un mot de passe solide.".into(),
            kind: "deroule".into(),
            url: "lesbases.anct.gouv.fr/ressources/les-mots-de-passe".into(),
            themes: vec!["securite".into()],
            levels: vec!["intermediaire".into(), "debutant".into()],
            audiences: vec!["aidants".into()],
            author: "Les Bases".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_form_gives_a_resource_with_defaults() {
        let r = form().validate("r1").expect("valide");
        assert_eq!(
            r.url.as_deref(),
            Some("https://lesbases.anct.gouv.fr/ressources/les-mots-de-passe")
        );
        assert_eq!(r.levels, vec![Level::Beginner, Level::Intermediate]);
        assert_eq!(r.language, "fr");
        assert_eq!(r.licence, "Licence non précisée");
        assert!(r.suits(Level::Beginner) && !r.suits(Level::Autonomous));
        assert_eq!(ResourceForm::of(&r).validate("r1"), Ok(r));
    }

    #[test]
    fn errors_name_the_field() {
        let bad = ResourceForm {
            url: String::new(),
            themes: vec![],
            audiences: vec![],
            language: "français".into(),
            date: "32/13/2020".into(),
            ..form()
        };
        let errors = bad.validate("r").expect_err("invalide");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["lien", "thematique", "public", "langue", "date"]);
        // A file is content enough.
        let with_file = ResourceForm {
            url: String::new(),
            has_file: true,
            ..form()
        };
        assert!(with_file.validate("r").is_ok());
    }

    #[test]
    fn files_are_checked_by_content_and_name() {
        assert_eq!(
            check_file("fiche.PDF", 2_000, Some("application/pdf")).map(|t| t.mime),
            Ok("application/pdf")
        );
        assert_eq!(check_file("vide.pdf", 0, None), Err(FileRefusal::Empty));
        assert_eq!(
            check_file("gros.pdf", MAX_FILE_BYTES + 1, Some("application/pdf")),
            Err(FileRefusal::TooLarge { size_kib: 10_241 })
        );
        assert_eq!(
            check_file("prog.exe", 10, Some("application/x-msdownload")),
            Err(FileRefusal::Type)
        );
        assert_eq!(check_file("script.pdf", 10, None), Err(FileRefusal::Type));
        assert!(matches!(
            check_file("photo.pdf", 10, Some("image/png")),
            Err(FileRefusal::Mismatch { .. })
        ));
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            safe_file_name("C:\\Fiche été 2026.pdf"),
            "Fiche-ete-2026.pdf"
        );
        assert_eq!(safe_file_name("\"; rm -rf"), "rm--rf");
        assert_eq!(safe_file_name("..."), "fichier");
    }

    #[test]
    fn links_are_flagged_after_two_failures_in_a_row() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .expect("date")
            .with_timezone(&Utc);
        let fresh = LinkHealth::default();
        assert!(fresh.due(now));
        let once = fresh.after(&LinkCheck::Status(404), now);
        assert!(!once.is_dead());
        assert!(!once.due(now + Duration::hours(2)));
        assert!(once.due(now + Duration::days(1)));
        let twice = once.after(
            &LinkCheck::Unreachable("le serveur ne répond pas".into()),
            now,
        );
        assert!(twice.is_dead());
        let back = twice.after(&LinkCheck::Answered, now);
        assert!(!back.is_dead() && back.last_error.is_none());
        assert!(!back.due(now + Duration::days(6)) && back.due(now + Duration::days(7)));
        assert!(server_offline(&[
            LinkCheck::Unreachable("a".into()),
            LinkCheck::Unreachable("b".into()),
            LinkCheck::Unreachable("c".into()),
        ]));
        assert!(!server_offline(&[
            LinkCheck::Unreachable("a".into()),
            LinkCheck::Status(404),
            LinkCheck::Unreachable("c".into()),
        ]));
    }

    proptest! {
        #[test]
        fn any_form_is_judged_without_panicking(
            title in ".{0,200}", summary in ".{0,300}", url in ".{0,60}", date in ".{0,12}",
            language in ".{0,4}",
        ) {
            let f = ResourceForm { title, summary, url, date, language, ..form() };
            if let Ok(r) = f.validate("x") {
                prop_assert!(!r.title.is_empty());
                prop_assert!(r.url.is_some());
            }
        }

        #[test]
        fn safe_names_stay_safe(name in ".{0,200}") {
            let s = safe_file_name(&name);
            prop_assert!(!s.is_empty() && s.len() <= 80);
            prop_assert!(s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')));
        }
    }
}

/// Name under which the initial content is loaded once into a new network.
pub const INITIAL_CONTENT: &str = "fiches-du-terrain-v1";

/// The initial content of a new network's library: the field's own thematic sheets and
/// « ressourcerie » (seed `000_…`), written in Maillage's words with their links. Each `id` is
/// a stable key of the sheet.
pub fn initial_content() -> Result<Vec<Resource>, serde_json::Error> {
    serde_json::from_str(include_str!("../../data/ressources-initiales.json"))
}

#[cfg(test)]
mod initial_content_tests {
    use super::*;

    #[test]
    fn the_initial_content_covers_every_theme_of_the_field_sheets() {
        let all = initial_content().expect("contenu initial lisible");
        assert!(all.len() >= 45, "{}", all.len());
        let mut ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "clés uniques");
        // The eight themes of the seed's sheets, and the helpers' practice.
        for theme in [
            MediationTheme::OnlineProcedures,
            MediationTheme::Culture,
            MediationTheme::Equipment,
            MediationTheme::Internet,
            MediationTheme::Safety,
            MediationTheme::Parenting,
            MediationTheme::ArtificialIntelligence,
            MediationTheme::Creating,
        ] {
            assert!(all.iter().any(|r| r.themes.contains(&theme)), "{theme:?}");
        }
        for topic in PracticeTopic::ALL {
            assert!(all.iter().any(|r| r.practice.contains(topic)), "{topic:?}");
        }
        // Each one passes the same form as a member's proposal.
        for r in &all {
            let again = ResourceForm {
                has_file: false,
                ..ResourceForm::of(r)
            }
            .validate(&r.id);
            assert_eq!(again.as_ref(), Ok(r), "{}", r.id);
        }
    }
}

/// Whether the dead-link checker may ask this address: a public internet address only — never
/// the server itself (loopback), the local network (private, link-local, CGNAT, unique-local),
/// nor special ranges (unspecified, broadcast, multicast, documentation, benchmarking,
/// reserved). A published link cannot make the server probe its own network.
pub fn is_public_address(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_address(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x0064 && s[1] == 0xff9b))
        }
    }
}

/// A name that no resolver should be asked about: the domains reserved for tests,
/// documentation and invalid names (RFC 2606, RFC 6761) exist nowhere on the internet, and
/// `localhost` names are the machine itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialName {
    Nowhere,
    ThisMachine,
}

/// Whether a host name is one of the special-use names ([`SpecialName`]), whatever its case
/// and with or without the final dot.
pub fn special_use_name(host: &str) -> Option<SpecialName> {
    let last = host
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap_or_default();
    if ["invalid", "test", "example"]
        .iter()
        .any(|t| last.eq_ignore_ascii_case(t))
    {
        Some(SpecialName::Nowhere)
    } else if last.eq_ignore_ascii_case("localhost") {
        Some(SpecialName::ThisMachine)
    } else {
        None
    }
}

#[cfg(test)]
mod addresses {
    use super::{SpecialName, is_public_address, special_use_name};

    #[test]
    fn reserved_names_are_never_resolved() {
        for (host, expected) in [
            ("hub.exemple.invalid", Some(SpecialName::Nowhere)),
            ("maillage.test", Some(SpecialName::Nowhere)),
            ("www.example.", Some(SpecialName::Nowhere)),
            ("EXAMPLE", Some(SpecialName::Nowhere)),
            ("localhost", Some(SpecialName::ThisMachine)),
            ("app.LOCALHOST.", Some(SpecialName::ThisMachine)),
            ("example.org", None),
            ("invalid.fr", None),
            ("lieux.test-hub.fr", None),
            ("", None),
        ] {
            assert_eq!(special_use_name(host), expected, "{host}");
        }
    }

    #[test]
    fn only_public_addresses_are_checked() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            assert!(
                !is_public_address(private.parse().expect("adresse")),
                "{private}"
            );
        }
        for public in [
            "93.184.216.34",
            "2a01:e0a:1::1",
            "8.8.8.8",
            "::ffff:8.8.8.8",
        ] {
            assert!(
                is_public_address(public.parse().expect("adresse")),
                "{public}"
            );
        }
    }
}
