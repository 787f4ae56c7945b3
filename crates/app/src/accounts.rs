//! One's own account: change the password (the current one asked first), sign out everywhere,
//! and the reset by e-mail link for a forgotten password (one hour, used once, every session
//! closed). The answer to « forgotten password » is the same whether the address has an
//! account or not, and the e-mail it sends is rate limited per client and per recipient.

use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_store::{NewUser, SessionRecord, StoreError, User};
use rand::RngCore;

use crate::mail::messages::{Message, PasswordReset};
use crate::{App, AppError, allow, today};

/// A reset link lives this long.
pub const RESET_LINK_MINUTES: i64 = 60;

/// A form's errors: (field, French message).
pub type FieldErrors = Vec<(&'static str, String)>;

fn check_new_password(new: &str, confirm: &str) -> FieldErrors {
    let mut errors = Vec::new();
    if new.chars().count() < maillage_store::MIN_PASSWORD_CHARS {
        errors.push((
            "nouveau",
            format!(
                "le mot de passe doit compter {} caractères au moins (une phrase de quelques mots convient)",
                maillage_store::MIN_PASSWORD_CHARS
            ),
        ));
    } else if new.chars().count() > 200 {
        errors.push(("nouveau", "200 caractères au plus".to_string()));
    }
    if new != confirm {
        errors.push((
            "confirmation",
            "la confirmation ne correspond pas au nouveau mot de passe".to_string(),
        ));
    }
    errors
}

fn is_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

impl App {
    /// The signed-in user changes their password: every other session of theirs is closed.
    pub async fn change_password(
        &self,
        actor: Option<&Actor>,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> Result<Result<(), FieldErrors>, AppError> {
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let user = self
            .store
            .user(&actor.user_id)
            .await?
            .ok_or(AppError::SignInRequired)?;
        let mut errors = Vec::new();
        if current.len() > 200
            || self
                .store
                .authenticate(&user.email, current)
                .await?
                .is_none()
        {
            errors.push((
                "actuel",
                "le mot de passe actuel n'est pas le bon".to_string(),
            ));
        }
        errors.extend(check_new_password(new, confirm));
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        self.store.set_password(&user.id, new).await?;
        tracing::info!("compte : mot de passe changé");
        Ok(Ok(()))
    }

    /// Closes every session of the signed-in user (on every device); returns how many.
    pub async fn sign_out_everywhere(&self, actor: Option<&Actor>) -> Result<u64, AppError> {
        let actor = actor.ok_or(AppError::SignInRequired)?;
        Ok(self.store.delete_sessions_of(&actor.user_id).await?)
    }

    /// Someone asks for a reset link for `email`: sent if an account has this address and the
    /// limits allow it. The caller always shows the same answer.
    pub async fn request_password_reset(&self, client: &str, email: &str) -> Result<(), AppError> {
        let email = email.trim().to_lowercase();
        if email.len() > 254 || !email.contains('@') {
            return Ok(());
        }
        if !self.limits.mail_allowed(client, &email).await {
            tracing::info!("compte : demande de réinitialisation au-delà des limites");
            return Ok(());
        }
        let Some(user) = self.store.user_by_email(&email).await? else {
            return Ok(());
        };
        let expires = chrono::Utc::now().timestamp() + RESET_LINK_MINUTES * 60;
        let token = self.store.issue_password_reset(&user.id, expires).await?;
        let Some(mail) = (PasswordReset {
            minutes: RESET_LINK_MINUTES,
            token,
            url: self.public_url.clone(),
        })
        .to(&user.email) else {
            return Ok(());
        };
        if let Err(e) = self.mailer.send(&mail).await {
            tracing::warn!("compte : lien de réinitialisation non envoyé : {e}");
        }
        Ok(())
    }

    /// The account a reset link opens, if the link is still valid.
    pub async fn password_reset_account(&self, token: &str) -> Result<User, AppError> {
        let gone = || {
            AppError::Invalid(
                "ce lien n'est plus valable (utilisé, expiré ou remplacé) : demandez-en un nouveau"
                    .into(),
            )
        };
        if !is_token(token) {
            return Err(gone());
        }
        self.store
            .password_reset_user(token, chrono::Utc::now().timestamp())
            .await?
            .ok_or_else(gone)
    }

    /// Uses a reset link: returns the account's id (the caller opens a session), or the form's
    /// errors.
    pub async fn reset_password(
        &self,
        token: &str,
        new: &str,
        confirm: &str,
    ) -> Result<Result<String, FieldErrors>, AppError> {
        self.password_reset_account(token).await?;
        let errors = check_new_password(new, confirm);
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        match self
            .store
            .reset_password(token, new, chrono::Utc::now().timestamp())
            .await
        {
            Ok(Some(user_id)) => {
                tracing::info!("compte : mot de passe réinitialisé par lien");
                Ok(Ok(user_id))
            }
            Ok(None) => Err(AppError::Invalid(
                "ce lien n'est plus valable (utilisé, expiré ou remplacé) : demandez-en un nouveau"
                    .into(),
            )),
            Err(StoreError::Conflict(m)) => Ok(Err(vec![("nouveau", m)])),
            Err(e) => Err(e.into()),
        }
    }
}

/// An account as the administration page lists it: the user and what they may do.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub actor: Actor,
}

impl App {
    /// Who a session is, when it is known and not expired: the user and what they may do.
    pub async fn session_user(
        &self,
        session_id: &str,
        now: i64,
    ) -> Result<Option<(User, Option<Actor>)>, AppError> {
        let Some(record) = self.store.load_session(session_id, now).await? else {
            return Ok(None);
        };
        let Some(user) = self.store.user(&record.data).await? else {
            return Ok(None);
        };
        let actor = self.store.actor(&user.id).await?;
        Ok(Some((user, actor)))
    }

    /// Opens a session of `hours` for a user who just proved who they are; returns its token
    /// (32 random bytes in hexadecimal; the store keeps only its hash).
    pub async fn open_session(&self, user_id: &str, hours: i64) -> Result<String, AppError> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.store
            .save_session(&SessionRecord {
                id: id.clone(),
                data: user_id.to_string(),
                expires_at: chrono::Utc::now().timestamp() + hours * 3600,
            })
            .await?;
        Ok(id)
    }

    /// The user of this address and password, if they match (the hash is checked off the async
    /// threads). The caller counts failures ([`crate::limits::LoginLimiter`]).
    /// The actor of an account named by its address, for the command line acting on its behalf
    /// (an operator registers a source for a coordinator: the coordinator's rights apply).
    pub async fn actor_by_email(
        &self,
        operator: Option<&Actor>,
        email: &str,
    ) -> Result<Actor, AppError> {
        allow(authorize(operator, &Action::ManageAccounts, today()))?;
        let user = self
            .store
            .user_by_email(email)
            .await?
            .ok_or_else(|| AppError::Invalid(format!("aucun compte « {email} »")))?;
        self.store.actor(&user.id).await?.ok_or(AppError::NotFound)
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Option<User>, AppError> {
        Ok(self.store.authenticate(email, password).await?)
    }

    /// Closes one session.
    pub async fn sign_out(&self, session_id: &str) -> Result<(), AppError> {
        Ok(self.store.delete_session(session_id).await?)
    }

    /// Every account with its rights, and the structures, for administrators.
    pub async fn accounts(
        &self,
        actor: Option<&Actor>,
    ) -> Result<(Vec<Account>, Vec<Organisation>), AppError> {
        allow(authorize(actor, &Action::ManageAccounts, today()))?;
        let organisations = self.store.organisations().await?;
        let mut accounts = Vec::new();
        for user in self.store.users().await? {
            let actor = self.store.actor(&user.id).await?.unwrap_or_default();
            accounts.push(Account { user, actor });
        }
        Ok((accounts, organisations))
    }

    /// Creates an account (administrators): the structures it joins must exist; an address
    /// already taken is a conflict ([`crate::ErrorKind::Conflict`]) with its French message.
    pub async fn create_account(
        &self,
        actor: Option<&Actor>,
        new: &NewUser,
    ) -> Result<String, AppError> {
        allow(authorize(actor, &Action::ManageAccounts, today()))?;
        for m in &new.memberships {
            if self.store.organisation(&m.organisation_id).await?.is_none() {
                return Err(AppError::Invalid(format!(
                    "structure « {} » inconnue",
                    m.organisation_id
                )));
            }
        }
        Ok(self.store.create_user(new).await?)
    }
}

/// A password drawn for a new account (16 characters without look-alikes: no 0/O, 1/l/I),
/// shown once to the operator, who hands it over.
pub fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
