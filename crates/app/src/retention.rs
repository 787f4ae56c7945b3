//! The keeping delays of this instance: the network's rules ([`Retention::default`]) unless
//! its configuration changes one, within the bounds the domain sets —
//! `MAILLAGE_CONSERVATION_PERSONNES_SUIVIES=365` (days), `MAILLAGE_CONSERVATION_SESSIONS=8`
//! (hours), `MAILLAGE_CONSERVATION_ORIENTATIONS=6` (months)… one variable per
//! [`Kept::key`], in capitals with `_`.

use maillage_domain::retention::{Kept, Retention};

/// The environment variable of a delay.
pub fn variable(kept: Kept) -> String {
    format!(
        "MAILLAGE_CONSERVATION_{}",
        kept.key().to_ascii_uppercase().replace('-', "_")
    )
}

/// The delays from the environment; a value out of bounds stops the server with its reason
/// (a network must not run with a delay it did not mean).
pub fn from_env() -> Result<Retention, String> {
    from_lookup(|name| std::env::var(name).ok())
}

/// The delays from any source of variables (the environment, or a test's).
pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Retention, String> {
    let mut retention = Retention::default();
    let mut errors = Vec::new();
    for kept in Kept::ALL {
        // The referrals' variable of issue #6 is still read.
        let value = lookup(&variable(kept)).or_else(|| {
            (kept == Kept::Referrals)
                .then(|| lookup("MAILLAGE_ORIENTATION_CONSERVATION_MOIS"))
                .flatten()
        });
        if let Some(v) = value
            && let Err(e) = retention.set(kept, &v)
        {
            errors.push(format!("{} : {e}", variable(kept)));
        }
    }
    if errors.is_empty() {
        Ok(retention)
    } else {
        Err(errors.join(" ; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_read_and_bad_ones_refused_with_their_variable() {
        let r = from_lookup(|name| {
            (name == "MAILLAGE_CONSERVATION_PERSONNES_SUIVIES").then(|| "365".to_string())
        });
        assert_eq!(r.map(|r| r.value(Kept::FollowedPersons)), Ok(365));
        let legacy = from_lookup(|name| {
            (name == "MAILLAGE_ORIENTATION_CONSERVATION_MOIS").then(|| "6".to_string())
        });
        assert_eq!(legacy.map(|r| r.value(Kept::Referrals)), Ok(6));
        let bad =
            from_lookup(|name| (name == "MAILLAGE_CONSERVATION_SESSIONS").then(|| "72".into()));
        assert!(bad.is_err_and(|e| e.contains("MAILLAGE_CONSERVATION_SESSIONS")));
    }
}
