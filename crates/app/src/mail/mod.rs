//! E-mail through a real SMTP server (`MAILLAGE_SMTP_URL`), or nowhere when none is configured.
//! A failed sending never fails the action that caused it; logs never hold the addresses.

pub mod messages;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// One message, in plain text (readable everywhere, including screen readers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Why a message did not leave. Its text names codes only — never an address, a subject or
/// the server's own words, which may quote the recipient — so it may go to the logs.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("adresse d'expéditeur ou de destinataire invalide")]
    Address,
    #[error("message mal formé")]
    Build(#[from] lettre::error::Error),
    #[error("serveur SMTP : {}", smtp_code(.0))]
    Smtp(#[from] lettre::transport::smtp::Error),
}

/// The SMTP reply code (« 550 ») or the kind of failure, without the server's text.
fn smtp_code(e: &lettre::transport::smtp::Error) -> String {
    match e.status() {
        Some(code) if e.is_permanent() => format!("refus définitif {code}"),
        Some(code) => format!("refus temporaire {code}"),
        None if e.is_timeout() => "délai dépassé".into(),
        None if e.is_tls() => "échec TLS".into(),
        None => "connexion ou réponse impossible".into(),
    }
}

/// A configured SMTP server and the sender.
#[derive(Clone)]
pub struct SmtpServer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Where e-mail goes.
#[derive(Clone, Default)]
pub enum Mailer {
    Smtp(Box<SmtpServer>),
    /// No server configured: nothing is sent (the interface says so where it matters).
    #[default]
    Disabled,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::Disabled => f.write_str("Mailer::Disabled"),
        }
    }
}

/// Default sender when `MAILLAGE_MAIL_FROM` is not set.
pub const DEFAULT_FROM: &str = "Maillage <ne-pas-repondre@maillage.localhost>";

impl Mailer {
    /// `smtp://host:port` (plain, e.g. a local relay), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://user:password@host` (TLS), and the sender.
    pub fn smtp(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build();
        let from: Mailbox = from.parse().map_err(|_| MailError::Address)?;
        Ok(Mailer::Smtp(Box::new(SmtpServer { transport, from })))
    }

    /// From `MAILLAGE_SMTP_URL` and `MAILLAGE_MAIL_FROM`; disabled when the URL is not set.
    pub fn from_env() -> Result<Self, MailError> {
        Self::from_settings(&crate::settings::Settings::environment_only())
    }

    /// From the configuration (`courriel.smtp`, `courriel.expediteur`), the environment
    /// overriding it; disabled when no server is set.
    pub fn from_settings(settings: &crate::settings::Settings) -> Result<Self, MailError> {
        match settings.get("MAILLAGE_SMTP_URL") {
            Some(url) if !url.trim().is_empty() => {
                let from = settings
                    .get("MAILLAGE_MAIL_FROM")
                    .unwrap_or_else(|| DEFAULT_FROM.into());
                Self::smtp(url.trim(), &from)
            }
            _ => Ok(Mailer::Disabled),
        }
    }

    pub fn is_enabled(&self) -> bool {
        matches!(self, Mailer::Smtp(_))
    }

    /// Sends one message. `Ok(false)` when e-mail is disabled.
    pub async fn send(&self, mail: &Mail) -> Result<bool, MailError> {
        let Mailer::Smtp(server) = self else {
            return Ok(false);
        };
        let SmtpServer { transport, from } = server.as_ref();
        let to: Mailbox = mail.to.parse().map_err(|_| MailError::Address)?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&mail.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(mail.body.clone())?;
        transport.send(message).await?;
        Ok(true)
    }

    /// Sends every message, logging failures without addresses; returns how many left.
    pub async fn send_all(&self, mails: &[Mail]) -> usize {
        let mut sent = 0;
        for mail in mails {
            match self.send(mail).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!("courriel non envoyé : {e}"),
            }
        }
        sent
    }
}
