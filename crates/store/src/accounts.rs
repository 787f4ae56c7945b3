//! Accounts: users (argon2 password hashes, never the password), coordinators' territories and
//! dated memberships, read back as the policy's [`Actor`].

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::NaiveDate;
use maillage_domain::policy::{Actor, Membership, TerritoryUnit};
use sqlx::Row;

use crate::BeginWrite;
use crate::{Result, Store, StoreError, corrupt, new_id, now, on_pool};

/// A user account as pages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub administrator: bool,
}

/// What creating an account needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub administrator: bool,
    pub territory: Vec<TerritoryUnit>,
    pub memberships: Vec<Membership>,
}

/// Minimum password length (ANSSI recommends 12+ for passwords without other factor).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Hashing is deliberately slow (tens of milliseconds): it runs on a blocking thread, never on
/// the threads that serve requests.
async fn hash_password_off_thread(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| corrupt(format!("hachage interrompu : {e}")))?
}

async fn verify_password_off_thread(password: &str, hash: String) -> bool {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| corrupt(format!("hachage du mot de passe : {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

fn decode_user<R: Row>(r: &R) -> Result<User>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        administrator: r.try_get("is_admin")?,
    })
}

fn date(raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|e| corrupt(format!("date « {raw} » : {e}")))
}

impl Store {
    /// Creates an account. E-mail addresses are unique (case-insensitive).
    pub async fn create_user(&self, new: &NewUser) -> Result<String> {
        let email = new.email.trim().to_lowercase();
        if !email.contains('@') {
            return Err(StoreError::Conflict(format!(
                "adresse électronique invalide « {email} »"
            )));
        }
        if new.password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(StoreError::Conflict(format!(
                "mot de passe trop court : {MIN_PASSWORD_CHARS} caractères au moins"
            )));
        }
        if self.user_by_email(&email).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "un compte existe déjà pour {email}"
            )));
        }
        let id = new_id();
        let hash = hash_password_off_thread(&new.password).await?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO users (id, email, display_name, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(&email)
            .bind(new.display_name.trim())
            .bind(&hash)
            .bind(new.administrator)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            for unit in &new.territory {
                sqlx::query("INSERT INTO coordinator_territories (user_id, unit) VALUES ($1, $2)")
                    .bind(&id)
                    .bind(unit.code())
                    .execute(&mut *tx)
                    .await?;
            }
            for m in &new.memberships {
                sqlx::query(
                    "INSERT INTO memberships (user_id, organisation_id, since, until) VALUES ($1, $2, $3, $4)",
                )
                .bind(&id)
                .bind(&m.organisation_id)
                .bind(m.since.to_string())
                .bind(m.until.map(|d| d.to_string()))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(id)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        Ok(self.credentials(email).await?.map(|(u, _)| u))
    }

    async fn credentials(&self, email: &str) -> Result<Option<(User, String)>> {
        let email = email.trim().to_lowercase();
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, email, display_name, is_admin, password_hash FROM users WHERE email = $1",
            )
            .bind(&email)
            .fetch_optional(pool)
            .await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some((decode_user(&r)?, r.try_get("password_hash")?))),
            }
        })
    }

    /// Checks a password; `None` for an unknown e-mail or a wrong password (same answer).
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<Option<User>> {
        match self.credentials(email).await? {
            Some((user, hash)) => Ok(verify_password_off_thread(password, hash)
                .await
                .then_some(user)),
            None => {
                // Same work for an unknown address, so timing does not reveal accounts.
                let _ = verify_password_off_thread(
                    password,
                    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$8mUUJ5LAeSk9dmuGPJ66xnRmVU0hrQr8gqnWOGtbMHs".into(),
                )
                .await;
                Ok(None)
            }
        }
    }

    /// Changes a user's password and closes every session of theirs (the one in use too: the
    /// caller opens a new one), in one transaction.
    pub async fn set_password(&self, user_id: &str, password: &str) -> Result<()> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(StoreError::Conflict(format!(
                "mot de passe trop court : {MIN_PASSWORD_CHARS} caractères au moins"
            )));
        }
        let hash = hash_password_off_thread(password).await?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(&hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE data = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM password_resets WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Issues a password-reset link for an account, valid until `expires_at` (Unix seconds):
    /// returns the token to send (only its hash is kept; an earlier link stops working).
    pub async fn issue_password_reset(&self, user_id: &str, expires_at: i64) -> Result<String> {
        let (token, hash) = crate::campaigns::new_token();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM password_resets WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
                .bind(&hash)
                .bind(user_id)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(token)
    }

    /// The account a reset link opens, if the link is still valid at `now` (Unix seconds).
    pub async fn password_reset_user(&self, token: &str, now: i64) -> Result<Option<User>> {
        let hash = crate::campaigns::token_hash(token);
        let user_id: Option<String> = on_pool!(self, pool => {
            let row = sqlx::query("SELECT user_id FROM password_resets WHERE token_hash = $1 AND expires_at > $2")
                .bind(&hash)
                .bind(now)
                .fetch_optional(pool)
                .await?;
            row.map(|r| r.try_get("user_id")).transpose()?
        });
        match user_id {
            Some(id) => self.user(&id).await,
            None => Ok(None),
        }
    }

    /// Uses a reset link: the new password is set, the link and every session of the account
    /// are gone, in one transaction. `None` when the link is not (or no longer) valid — two
    /// uses at once cannot both win.
    pub async fn reset_password(
        &self,
        token: &str,
        password: &str,
        now: i64,
    ) -> Result<Option<String>> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(StoreError::Conflict(format!(
                "mot de passe trop court : {MIN_PASSWORD_CHARS} caractères au moins"
            )));
        }
        let hash = crate::campaigns::token_hash(token);
        let password_hash = hash_password_off_thread(password).await?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query("DELETE FROM password_resets WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id")
                .bind(&hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let user_id: String = row.try_get("user_id")?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(&password_hash)
                .bind(&user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE data = $1")
                .bind(&user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM password_resets WHERE user_id = $1")
                .bind(&user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(user_id))
        })
    }

    /// Purges reset links past their date.
    pub async fn purge_password_resets(&self, now: i64) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM password_resets WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// Accounts of the members of an organisation whose membership is in force on that day
    /// (`YYYY-MM-DD`): who is told when the organisation receives a referral.
    pub async fn members_of(&self, organisation_id: &str, day: &str) -> Result<Vec<User>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT DISTINCT u.id, u.email, u.display_name, u.is_admin FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.organisation_id = $1 AND m.since <= $2 AND (m.until IS NULL OR m.until >= $2) ORDER BY u.email")
                .bind(organisation_id)
                .bind(day)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_user).collect()
        })
    }

    /// E-mail addresses of who keeps a place up to date, in one query: members (in force on
    /// `day`) of its organisation, and coordinators of its département or commune —
    /// administrators excepted (they are not told of every report).
    pub async fn keepers_of(
        &self,
        organisation_id: Option<&str>,
        departement: Option<&str>,
        insee_code: Option<&str>,
        day: &str,
    ) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT u.email FROM users u WHERE u.is_admin = FALSE AND (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.organisation_id = $1 AND m.since <= $2 AND (m.until IS NULL OR m.until >= $2)) OR EXISTS (SELECT 1 FROM coordinator_territories t WHERE t.user_id = u.id AND (t.unit = $3 OR t.unit = $4))) ORDER BY u.email")
                .bind(organisation_id)
                .bind(day)
                .bind(departement)
                .bind(insee_code)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("email")?)).collect()
        })
    }

    pub async fn user(&self, id: &str) -> Result<Option<User>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT id, email, display_name, is_admin FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode_user).transpose()
        })
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, email, display_name, is_admin FROM users ORDER BY display_name, email")
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_user).collect()
        })
    }

    /// The account as the policy sees it.
    pub async fn actor(&self, user_id: &str) -> Result<Option<Actor>> {
        let Some(user) = self.user(user_id).await? else {
            return Ok(None);
        };
        on_pool!(self, pool => {
            let units = sqlx::query("SELECT unit FROM coordinator_territories WHERE user_id = $1 ORDER BY unit")
                .bind(user_id)
                .fetch_all(pool)
                .await?;
            let mut territory = Vec::new();
            for r in &units {
                let code: String = r.try_get("unit")?;
                territory.push(TerritoryUnit::parse(&code).ok_or_else(|| corrupt(format!("territoire « {code} »")))?);
            }
            let rows = sqlx::query("SELECT organisation_id, since, until FROM memberships WHERE user_id = $1 ORDER BY since")
                .bind(user_id)
                .fetch_all(pool)
                .await?;
            let mut memberships = Vec::new();
            for r in &rows {
                let since: String = r.try_get("since")?;
                let until: Option<String> = r.try_get("until")?;
                memberships.push(Membership {
                    organisation_id: r.try_get("organisation_id")?,
                    since: date(&since)?,
                    until: until.as_deref().map(date).transpose()?,
                });
            }
            Ok(Some(Actor {
                user_id: user.id,
                administrator: user.administrator,
                territory,
                memberships,
            }))
        })
    }

    /// Replaces a user's role: administrator flag, territory, memberships.
    pub async fn set_roles(
        &self,
        user_id: &str,
        administrator: bool,
        territory: &[TerritoryUnit],
        memberships: &[Membership],
    ) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE users SET is_admin = $2 WHERE id = $1")
                .bind(user_id)
                .bind(administrator)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM coordinator_territories WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM memberships WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for unit in territory {
                sqlx::query("INSERT INTO coordinator_territories (user_id, unit) VALUES ($1, $2)")
                    .bind(user_id)
                    .bind(unit.code())
                    .execute(&mut *tx)
                    .await?;
            }
            for m in memberships {
                sqlx::query("INSERT INTO memberships (user_id, organisation_id, since, until) VALUES ($1, $2, $3, $4)")
                    .bind(user_id)
                    .bind(&m.organisation_id)
                    .bind(m.since.to_string())
                    .bind(m.until.map(|d| d.to_string()))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn delete_user(&self, user_id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM users WHERE id = $1").bind(user_id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_and_verified() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("x", "not a hash"));
    }
}
