//! Files and links of the library: accepted types, safe names, link health.

use super::*;

/// Largest file a member may upload.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// A file type the library accepts: what its content must be, and the extensions its name may
/// have. Browsers open these safely; anything else is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptedType {
    pub mime: &'static str,
    pub extensions: &'static [&'static str],
    pub label: &'static str,
}

pub const ACCEPTED_TYPES: [AcceptedType; 6] = [
    AcceptedType {
        mime: "application/pdf",
        extensions: &["pdf"],
        label: "PDF",
    },
    AcceptedType {
        mime: "image/png",
        extensions: &["png"],
        label: "image PNG",
    },
    AcceptedType {
        mime: "image/jpeg",
        extensions: &["jpg", "jpeg"],
        label: "image JPEG",
    },
    AcceptedType {
        mime: "image/webp",
        extensions: &["webp"],
        label: "image WebP",
    },
    AcceptedType {
        mime: "application/vnd.oasis.opendocument.text",
        extensions: &["odt"],
        label: "texte OpenDocument",
    },
    AcceptedType {
        mime: "application/vnd.oasis.opendocument.presentation",
        extensions: &["odp"],
        label: "présentation OpenDocument",
    },
];

/// Why a file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileRefusal {
    #[error("le fichier est vide")]
    Empty,
    #[error("le fichier pèse {size_kib} Kio : 10 Mio au plus")]
    TooLarge { size_kib: usize },
    #[error(
        "type de fichier non accepté : PDF, images (PNG, JPEG, WebP) ou documents OpenDocument (ODT, ODP)"
    )]
    Type,
    #[error(
        "le nom du fichier (« .{extension} ») ne correspond pas à son contenu ({detected}) : renommez-le ou choisissez le bon fichier"
    )]
    Mismatch {
        extension: String,
        detected: &'static str,
    },
}

/// Checks a file: its size, the type its content reveals (`detected_mime`, read from its first
/// bytes by the caller), and that its name's extension agrees. Returns the accepted type.
pub fn check_file(
    file_name: &str,
    size: usize,
    detected_mime: Option<&str>,
) -> Result<AcceptedType, FileRefusal> {
    if size == 0 {
        return Err(FileRefusal::Empty);
    }
    if size > MAX_FILE_BYTES {
        return Err(FileRefusal::TooLarge {
            size_kib: size.div_ceil(1024),
        });
    }
    let accepted = detected_mime
        .and_then(|m| ACCEPTED_TYPES.iter().find(|t| t.mime == m))
        .ok_or(FileRefusal::Type)?;
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !accepted.extensions.contains(&extension.as_str()) {
        return Err(FileRefusal::Mismatch {
            extension,
            detected: accepted.label,
        });
    }
    Ok(*accepted)
}

/// Keeps a file name safe to show and to send back (`Content-Disposition`): the base name,
/// letters, digits, dots, dashes and underscores, at most 80 characters.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let folded = deunicode::deunicode(base);
    let cleaned: String = folded
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches(['-', '.']);
    let mut out: String = trimmed
        .chars()
        .rev()
        .take(80)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if out.is_empty() {
        out = "fichier".into();
    }
    out
}

/// What the dead-link checker knows of a link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkHealth {
    /// Last time it was checked (RFC 3339).
    pub checked_at: Option<String>,
    /// Consecutive failed checks.
    pub failures: u32,
    /// The last failure, in French (« erreur 404 », « le serveur ne répond pas »).
    pub last_error: Option<String>,
}

/// Outcome of one check of a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkCheck {
    Answered,
    /// The server answered with an error status (404, 410, 500…).
    Status(u16),
    /// No answer: name unknown, connection refused, timeout, bad certificate.
    Unreachable(String),
}

/// A link is flagged after this many failed checks in a row (a site down for an hour is not
/// dead).
pub const FAILURES_BEFORE_FLAG: u32 = 2;

/// Days between two checks of the same link.
pub const CHECK_EVERY_DAYS: i64 = 7;

/// Days before a failing link is checked again.
pub const RECHECK_FAILING_AFTER_DAYS: i64 = 1;

impl LinkHealth {
    /// The link stopped answering (checked and failed enough times in a row).
    pub fn is_dead(&self) -> bool {
        self.failures >= FAILURES_BEFORE_FLAG
    }

    /// Whether the link is due for a check at `now`.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        let Some(at) = self
            .checked_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        else {
            return true;
        };
        let wait = if self.failures > 0 {
            Duration::days(RECHECK_FAILING_AFTER_DAYS)
        } else {
            Duration::days(CHECK_EVERY_DAYS)
        };
        now.signed_duration_since(at.with_timezone(&Utc)) >= wait - Duration::minutes(5)
    }

    /// The state after a check.
    pub fn after(&self, check: &LinkCheck, now: DateTime<Utc>) -> LinkHealth {
        let checked_at = Some(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        match check {
            LinkCheck::Answered => LinkHealth {
                checked_at,
                failures: 0,
                last_error: None,
            },
            LinkCheck::Status(code) => LinkHealth {
                checked_at,
                failures: self.failures.saturating_add(1),
                last_error: Some(format!("la page répond « erreur {code} »")),
            },
            LinkCheck::Unreachable(why) => LinkHealth {
                checked_at,
                failures: self.failures.saturating_add(1),
                last_error: Some(why.clone()),
            },
        }
    }
}

/// Whether a round of checks says the server itself is offline: every link failed without an
/// answer. Nothing is recorded then — a server without internet must not flag the whole
/// library as dead.
pub fn server_offline(checks: &[LinkCheck]) -> bool {
    checks.len() >= 3
        && checks
            .iter()
            .all(|c| matches!(c, LinkCheck::Unreachable(_)))
}
