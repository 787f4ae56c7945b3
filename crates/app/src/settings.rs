//! The configuration of an instance (issue #21): a TOML file (`/etc/maillage/maillage.toml`
//! in the Debian package) holding every setting, each of which the environment overrides with
//! its variable (`MAILLAGE_…`), as before the file existed.
//!
//! Every setting is declared once in [`catalogue`]: its place in the file, its variable, what
//! it is, whether it is secret, and how its value is checked. `maillage config check` prints
//! the effective configuration (secrets hidden) and what is wrong, in French.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use maillage_domain::retention::Kept;

/// How a value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// `sqlite://…` or `postgres://…`.
    Database,
    /// `host:port`.
    Address,
    /// `http(s)://…`.
    Url,
    /// `smtp://…` or `smtps://…`.
    Smtp,
    /// An e-mail sender (`Nom <adresse@domaine>` or the address alone).
    Sender,
    /// A path on this machine.
    Path,
    /// `true`/`false` (also `1`/`0`).
    Bool,
    /// A whole number of at least 1.
    Whole,
    /// An HTTP header name.
    Header,
    /// An address of map tiles with `{z}`, `{x}`, `{y}`, or `aucun`.
    Tiles,
    /// `texte` or `json`.
    LogFormat,
    /// A delay of [`Kept`], checked by its bounds.
    Retention(Kept),
}

/// One setting.
#[derive(Debug, Clone)]
pub struct Setting {
    /// Place in the file: `section.name`.
    pub key: String,
    /// The environment variable that overrides it.
    pub variable: String,
    /// What it is, in French.
    pub help: String,
    /// Hidden in `config check`.
    pub secret: bool,
    pub kind: Kind,
}

fn setting(key: &str, variable: &str, kind: Kind, secret: bool, help: &str) -> Setting {
    Setting {
        key: key.into(),
        variable: variable.into(),
        help: help.into(),
        secret,
        kind,
    }
}

/// Every setting of an instance.
pub fn catalogue() -> Vec<Setting> {
    use Kind::*;
    let mut all = vec![
        setting(
            "base.url",
            "MAILLAGE_DATABASE_URL",
            Database,
            true,
            "Base de données : sqlite://fichier ou postgres://utilisateur:motdepasse@hôte/base",
        ),
        setting(
            "donnees.dossier",
            "MAILLAGE_DATA_DIR",
            Path,
            false,
            "Dossier de données (la base SQLite par défaut y est créée)",
        ),
        setting(
            "donnees.referentiel",
            "MAILLAGE_REFERENTIAL",
            Path,
            false,
            "Fichier plus récent du référentiel des communes (sinon celui intégré au binaire)",
        ),
        setting(
            "donnees.contours",
            "MAILLAGE_CONTOURS",
            Path,
            false,
            "Fichier plus récent des contours des communes (sinon celui intégré au binaire)",
        ),
        setting(
            "donnees.sources_locales",
            "MAILLAGE_SOURCES_LOCALES",
            Bool,
            false,
            "Autoriser les sources moissonnées sur le réseau local (adresses privées : un hub hébergé en interne)",
        ),
        setting(
            "donnees.producteur",
            "MAILLAGE_PRODUCTEUR",
            Text,
            false,
            "Nom du réseau comme producteur des fichiers data·inclusion (champ source)",
        ),
        setting(
            "serveur.adresse",
            "MAILLAGE_ADDR",
            Address,
            false,
            "Adresse et port d'écoute (127.0.0.1:8080 derrière un proxy inverse)",
        ),
        setting(
            "serveur.url_publique",
            "MAILLAGE_PUBLIC_URL",
            Url,
            false,
            "Adresse publique du site, pour les liens des courriels et des données publiées",
        ),
        setting(
            "serveur.entete_ip_client",
            "MAILLAGE_CLIENT_IP_HEADER",
            Header,
            false,
            "En-tête où le proxy inverse met l'adresse du client (X-Forwarded-For, X-Real-IP), pour les limites de débit",
        ),
        setting(
            "serveur.cookies_securises",
            "MAILLAGE_SECURE_COOKIES",
            Bool,
            false,
            "Cookies réservés à HTTPS (automatique quand l'adresse publique est en https)",
        ),
        setting(
            "serveur.tuiles",
            "MAILLAGE_TILES_URL",
            Tiles,
            false,
            "Fond de carte : adresse des tuiles avec {z}, {x}, {y}, ou « aucun »",
        ),
        setting(
            "serveur.verifier_liens",
            "MAILLAGE_LINK_CHECK",
            Bool,
            false,
            "Vérifier chaque heure les liens de la ressourcerie",
        ),
        setting(
            "serveur.cache_recherches",
            "MAILLAGE_SEARCH_CACHE",
            Bool,
            false,
            "Garder les recherches récentes en mémoire (oui en production)",
        ),
        setting(
            "courriel.smtp",
            "MAILLAGE_SMTP_URL",
            Smtp,
            true,
            "Serveur d'envoi : smtp://hôte:25, smtp://hôte:587?tls=required ou smtps://utilisateur:motdepasse@hôte",
        ),
        setting(
            "courriel.expediteur",
            "MAILLAGE_MAIL_FROM",
            Sender,
            false,
            "Expéditeur des courriels : Nom <adresse@domaine>",
        ),
        setting(
            "journal.niveau",
            "MAILLAGE_LOG",
            Text,
            false,
            "Niveau du journal : error, warn, info, debug",
        ),
        setting(
            "journal.format",
            "MAILLAGE_LOG_FORMAT",
            LogFormat,
            false,
            "Format du journal : texte ou json (une ligne JSON par événement)",
        ),
        setting(
            "sauvegardes.dossier",
            "MAILLAGE_BACKUP_DIR",
            Path,
            false,
            "Dossier des sauvegardes automatiques (aucune sauvegarde automatique sans lui)",
        ),
        setting(
            "sauvegardes.toutes_les_heures",
            "MAILLAGE_BACKUP_EVERY_HOURS",
            Whole,
            false,
            "Intervalle entre deux sauvegardes, en heures (24 par défaut)",
        ),
        setting(
            "sauvegardes.garder",
            "MAILLAGE_BACKUP_KEEP",
            Whole,
            false,
            "Nombre de sauvegardes gardées (les plus anciennes sont effacées ; 7 par défaut)",
        ),
        setting(
            "metriques.jeton",
            "MAILLAGE_METRICS_TOKEN",
            Text,
            true,
            "Jeton demandé par /metrics (Authorization: Bearer …) ; sans lui, /metrics ne répond qu'à la machine elle-même",
        ),
        setting(
            "orientation.reponse_jours",
            "MAILLAGE_ORIENTATION_REPONSE_JOURS",
            Whole,
            false,
            "Délai de réponse à une orientation, en jours",
        ),
        setting(
            "orientation.lien_jours",
            "MAILLAGE_ORIENTATION_LIEN_JOURS",
            Whole,
            false,
            "Validité du lien envoyé à une structure sans compte, en jours",
        ),
        setting(
            "orientation.rappel_jours",
            "MAILLAGE_ORIENTATION_RAPPEL_JOURS",
            Whole,
            false,
            "Relance d'une orientation sans réponse, en jours",
        ),
    ];
    for kept in Kept::ALL {
        all.push(setting(
            &format!("conservation.{}", kept.key().replace('-', "_")),
            &crate::retention::variable(kept),
            Kind::Retention(kept),
            false,
            &format!("Conservation : {}", kept.what()),
        ));
    }
    all
}

/// Where an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Environment,
    File,
    Default,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Origin::Environment => "environnement",
            Origin::File => "fichier",
            Origin::Default => "par défaut",
        }
    }
}

/// The values of the configuration file, by variable, and what was wrong in it.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The file read, if any.
    pub file: Option<PathBuf>,
    values: BTreeMap<String, String>,
    /// Problems of the file itself (syntax, unknown keys, wrong types), in French.
    pub file_problems: Vec<String>,
}

/// A line of `config check`.
#[derive(Debug, Clone)]
pub struct Effective {
    pub key: String,
    pub variable: String,
    /// The value, secrets hidden; `None` when unset.
    pub shown: Option<String>,
    pub origin: Origin,
    pub help: String,
}

/// Errors that stop a command: the file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("fichier de configuration {path} illisible : {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Settings {
    /// No file: the environment only.
    pub fn environment_only() -> Self {
        Settings::default()
    }

    /// Reads a configuration file. A file that is not valid TOML, an unknown key or a value of
    /// the wrong type is a problem ([`Settings::problems`]), not an error: `config check` lists
    /// them all, and `serve` refuses to start with them.
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut settings = Self::parse(&text);
        settings.file = Some(path.to_path_buf());
        Ok(settings)
    }

    /// Reads the text of a configuration file.
    pub fn parse(text: &str) -> Self {
        let mut settings = Settings::default();
        let table = match text.parse::<toml::Table>() {
            Ok(t) => t,
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
                settings.file_problems.push(match line {
                    Some(l) => format!("ligne {l} : TOML mal formé ({})", e.message()),
                    None => format!("TOML mal formé ({})", e.message()),
                });
                return settings;
            }
        };
        let catalogue = catalogue();
        for (section, inner) in &table {
            let Some(inner) = inner.as_table() else {
                settings.file_problems.push(format!(
                    "« {section} » : une section [{section}] est attendue, pas une valeur"
                ));
                continue;
            };
            for (name, value) in inner {
                let key = format!("{section}.{name}");
                let Some(s) = catalogue.iter().find(|s| s.key == key) else {
                    settings.file_problems.push(format!(
                        "clé « {key} » inconnue (voir `maillage config exemple` pour la liste)"
                    ));
                    continue;
                };
                let text = match value {
                    toml::Value::String(v) => v.clone(),
                    toml::Value::Integer(n) => n.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    other => {
                        settings.file_problems.push(format!(
                            "« {key} » : un texte, un nombre ou true/false est attendu, pas {}",
                            other.type_str()
                        ));
                        continue;
                    }
                };
                settings.values.insert(s.variable.clone(), text);
            }
        }
        settings
    }

    /// The effective value of a variable: the environment's, else the file's.
    pub fn get(&self, variable: &str) -> Option<String> {
        match std::env::var(variable) {
            Ok(v) => Some(v),
            Err(_) => self.values.get(variable).cloned(),
        }
    }

    /// Where the value of a variable comes from.
    pub fn origin(&self, variable: &str) -> Origin {
        if std::env::var_os(variable).is_some() {
            Origin::Environment
        } else if self.values.contains_key(variable) {
            Origin::File
        } else {
            Origin::Default
        }
    }

    /// A yes/no setting (`true`, `1`, `oui` are yes).
    pub fn flag(&self, variable: &str) -> Option<bool> {
        self.get(variable).map(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "true" | "1" | "oui" | "yes"
            )
        })
    }

    /// Every setting with its effective value, secrets hidden.
    pub fn effective(&self) -> Vec<Effective> {
        catalogue()
            .into_iter()
            .map(|s| {
                let shown = self.get(&s.variable).map(|v| {
                    if !s.secret {
                        v
                    } else if matches!(s.kind, Kind::Database | Kind::Smtp) {
                        redact_url(&v)
                    } else {
                        "(caché)".to_string()
                    }
                });
                Effective {
                    origin: self.origin(&s.variable),
                    key: s.key,
                    variable: s.variable,
                    shown,
                    help: s.help,
                }
            })
            .collect()
    }

    /// Everything wrong: the file's problems, then each value that does not pass its check.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.file_problems.clone();
        for s in catalogue() {
            let Some(value) = self.get(&s.variable) else {
                continue;
            };
            if let Err(reason) = check(s.kind, value.trim()) {
                let place = match self.origin(&s.variable) {
                    Origin::Environment => format!("{} (environnement)", s.variable),
                    _ => format!("« {} »", s.key),
                };
                problems.push(format!("{place} : {reason}"));
            }
        }
        problems
    }

    /// The commented example of a configuration file (`maillage config exemple`): every key,
    /// commented out, with what it is.
    pub fn example() -> String {
        let mut out = String::from(
            "# Configuration de Maillage. Chaque réglage peut aussi être donné par sa variable\n\
             # d'environnement, qui l'emporte sur ce fichier. Vérifiez avec `maillage config check`.\n",
        );
        let mut section = String::new();
        for s in catalogue() {
            let (sec, name) = s.key.split_once('.').unwrap_or(("", s.key.as_str()));
            if sec != section {
                out.push_str(&format!("\n[{sec}]\n"));
                section = sec.to_string();
            }
            out.push_str(&format!("# {} ({})\n# {name} = …\n", s.help, s.variable));
        }
        out
    }
}

/// `scheme://user:password@host…` with the password (and a user alone) hidden.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(caché)".into();
    };
    match rest.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

/// Checks a value of a kind; the reason in French.
pub fn check(kind: Kind, value: &str) -> Result<(), String> {
    let ok = |good: bool, reason: &str| {
        if good {
            Ok(())
        } else {
            Err(reason.to_string())
        }
    };
    match kind {
        Kind::Text | Kind::Path => ok(!value.is_empty(), "valeur vide"),
        Kind::Database => ok(
            value.starts_with("sqlite:")
                || value.starts_with("postgres://")
                || value.starts_with("postgresql://"),
            "une base s'écrit sqlite://chemin ou postgres://utilisateur:motdepasse@hôte/base",
        ),
        Kind::Address => ok(
            value.parse::<std::net::SocketAddr>().is_ok()
                || value
                    .rsplit_once(':')
                    .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok()),
            "une adresse d'écoute s'écrit hôte:port, par exemple 127.0.0.1:8080",
        ),
        Kind::Url => ok(
            url::Url::parse(value)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some()),
            "une adresse web complète est attendue, par exemple https://annuaire.exemple.fr",
        ),
        Kind::Smtp => ok(
            value.starts_with("smtp://") || value.starts_with("smtps://"),
            "un serveur d'envoi s'écrit smtp://hôte:port ou smtps://utilisateur:motdepasse@hôte",
        ),
        Kind::Sender => ok(
            value.parse::<lettre::message::Mailbox>().is_ok(),
            "un expéditeur s'écrit Nom <adresse@domaine> ou adresse@domaine",
        ),
        Kind::Bool => ok(
            matches!(
                value.to_ascii_lowercase().as_str(),
                "true" | "false" | "1" | "0" | "oui" | "non" | "yes" | "no"
            ),
            "true ou false est attendu",
        ),
        Kind::Whole => ok(
            value.parse::<u32>().is_ok_and(|n| n >= 1),
            "un nombre entier d'au moins 1 est attendu",
        ),
        Kind::Header => ok(
            axum_free_header_name(value),
            "un nom d'en-tête HTTP est attendu, par exemple X-Forwarded-For",
        ),
        Kind::Tiles => ok(
            value == "aucun"
                || (value.starts_with("https://")
                    && ["{z}", "{x}", "{y}"].iter().all(|p| value.contains(p))),
            "une adresse https de tuiles avec {z}, {x} et {y} est attendue, ou « aucun »",
        ),
        Kind::LogFormat => ok(
            matches!(value, "texte" | "json"),
            "« texte » ou « json » est attendu",
        ),
        Kind::Retention(kept) => maillage_domain::retention::Retention::default().set(kept, value),
    }
}

/// A token of RFC 9110 (letters, digits and `!#$%&'*+-.^_`|~`).
fn axum_free_header_name(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_and_its_mistakes_named() {
        let s = Settings::parse(
            "[serveur]\nadresse = \"127.0.0.1:9000\"\nurl_publique = \"pas une adresse\"\ncookies_securises = true\n\n[base]\nurl = \"postgres://maillage:secret@localhost/maillage\"\n\n[conservation]\nsessions = 100000\n\n[inconnue]\ncle = 1\n",
        );
        assert_eq!(
            s.values.get("MAILLAGE_ADDR").map(String::as_str),
            Some("127.0.0.1:9000")
        );
        assert_eq!(
            s.values.get("MAILLAGE_SECURE_COOKIES").map(String::as_str),
            Some("true")
        );
        let problems = s.problems().join("\n");
        assert!(
            problems.contains("clé « inconnue.cle » inconnue"),
            "{problems}"
        );
        assert!(
            problems.contains("« serveur.url_publique » : une adresse web complète"),
            "{problems}"
        );
        assert!(problems.contains("« conservation.sessions »"), "{problems}");
        let shown = s
            .effective()
            .into_iter()
            .find(|e| e.key == "base.url")
            .and_then(|e| e.shown)
            .unwrap_or_default();
        assert_eq!(shown, "postgres://maillage:***@localhost/maillage");
        assert!(!format!("{:?}", s.effective()).contains("secret"));
    }

    #[test]
    fn a_broken_file_says_its_line() {
        let s = Settings::parse("[serveur]\nadresse = \"127.0.0.1:9000\"\nurl_publique = \n");
        assert!(
            s.file_problems[0].starts_with("ligne 3"),
            "{:?}",
            s.file_problems
        );
    }

    #[test]
    fn the_example_lists_every_key_and_reads_back_without_problem() {
        let example = Settings::example();
        for s in catalogue() {
            let name = s.key.split_once('.').map(|(_, n)| n).unwrap_or_default();
            assert!(example.contains(&format!("# {name} = …")), "{}", s.key);
        }
        assert!(Settings::parse(&example).file_problems.is_empty());
    }

    #[test]
    fn every_value_kind_refuses_nonsense_and_accepts_a_real_value() {
        for (kind, good) in [
            (Kind::Database, "sqlite:///var/lib/maillage/maillage.sqlite"),
            (Kind::Address, "127.0.0.1:8080"),
            (Kind::Url, "https://annuaire.exemple.fr"),
            (Kind::Smtp, "smtp://localhost:25"),
            (Kind::Sender, "Maillage <annuaire@exemple.fr>"),
            (Kind::Bool, "true"),
            (Kind::Whole, "7"),
            (Kind::Header, "X-Forwarded-For"),
            (
                Kind::Tiles,
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            ),
            (Kind::LogFormat, "json"),
            (Kind::Retention(Kept::Sessions), "8"),
        ] {
            assert_eq!(check(kind, good), Ok(()), "{kind:?}");
            assert!(check(kind, "n'importe quoi ?").is_err(), "{kind:?}");
        }
    }
}
