//! No credentials in free text (issue #11): the seeds insist that helpers never keep a person's
//! passwords. Before a note, an observation or a message is saved, what looks like a password, a
//! social security number (NIR, checked with its key), an IBAN (checked) or a bank card number
//! (checked with Luhn) is replaced by a mark saying what was there; nothing of it is stored.

use std::sync::LazyLock;

use regex::Regex;

/// A kind of secret or identifier that must not be kept in free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sensitive {
    Password,
    SocialSecurityNumber,
    Iban,
    BankCard,
}

impl Sensitive {
    /// What the text said, in words (the warning and the mark).
    pub fn label(self) -> &'static str {
        match self {
            Sensitive::Password => "mot de passe",
            Sensitive::SocialSecurityNumber => "numéro de sécurité sociale",
            Sensitive::Iban => "IBAN",
            Sensitive::BankCard => "numéro de carte bancaire",
        }
    }

    fn mark(self) -> String {
        format!("[{} masqué]", self.label())
    }
}

/// A text with what must not be kept replaced, and what was found (each kind once, in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked {
    pub text: String,
    pub found: Vec<Sensitive>,
}

impl Masked {
    /// The warning for the helper, when something was masked.
    pub fn warning(&self) -> Option<String> {
        if self.found.is_empty() {
            return None;
        }
        let said: Vec<&str> = self.found.iter().map(|k| k.label()).collect();
        Some(format!(
            "Ce qui ressemblait à un {} a été masqué : ne notez jamais les codes ni les numéros personnels d'une personne.",
            said.join(", un ")
        ))
    }
}

/// « mot de passe : Soleil2024! », « mdp Soleil2024 », « password=… », « code secret 1234 »: the
/// word after the keyword (and an optional separator) is the secret.
static PASSWORD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(mots? de passe|mdp|password|passwd|pwd|code secret|code confidentiel|code pin|code de la carte)(\s*(?:est|:|=|-)?\s*)(\S+)",
    )
    .ok()
});

/// 13 to 15 digits shaped as a NIR (sex, year, month, département, commune, order, key),
/// spaces allowed between groups.
static NIR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b([12])\s?(\d{2})\s?(\d{2})\s?(\d{2}|2a|2b)\s?(\d{3})\s?(\d{3})(?:\s?(\d{2}))?\b",
    )
    .ok()
});

/// Two letters, two check digits, then 11 to 30 letters or digits, in groups of four or not.
static IBAN: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b[a-z]{2}\d{2}(?:\s?[a-z0-9]){11,30}\b").ok());

/// 13 to 19 digits, in groups separated by spaces or hyphens, or not.
static CARD: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b\d(?:[ -]?\d){12,18}\b").ok());

/// The remainder modulo 97 of a number written in decimal digits (any length).
fn mod97(digits: &str) -> Option<u32> {
    let mut r = 0u32;
    for c in digits.chars() {
        r = (r * 10 + c.to_digit(10)?) % 97;
    }
    Some(r)
}

/// A NIR's key: 97 minus the number modulo 97 (Corsica: 2A counts as 19, 2B as 18).
fn nir_valid(groups: &regex::Captures<'_>) -> bool {
    let month: u32 = groups
        .get(3)
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(0);
    // Months 1–12, and 20–42 or 50–99 for people born abroad or without a known month.
    if month == 0 || (13..20).contains(&month) {
        return false;
    }
    let dept = groups
        .get(4)
        .map_or("", |m| m.as_str())
        .to_ascii_lowercase();
    let dept_digits = match dept.as_str() {
        "2a" => "19".to_string(),
        "2b" => "18".to_string(),
        d => d.to_string(),
    };
    let number = format!(
        "{}{}{}{}{}{}",
        groups.get(1).map_or("", |m| m.as_str()),
        groups.get(2).map_or("", |m| m.as_str()),
        groups.get(3).map_or("", |m| m.as_str()),
        dept_digits,
        groups.get(5).map_or("", |m| m.as_str()),
        groups.get(6).map_or("", |m| m.as_str()),
    );
    match groups.get(7) {
        // Without its key, thirteen digits shaped as a NIR are one all the same.
        None => true,
        Some(key) => {
            let key: u32 = key.as_str().parse().unwrap_or(100);
            mod97(&number).is_some_and(|r| 97 - r == key)
        }
    }
}

/// The IBAN check: the first four characters moved to the end, letters as numbers (A = 10),
/// modulo 97 is 1.
fn iban_valid(raw: &str) -> bool {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if compact.len() < 15 || compact.len() > 34 {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut digits = String::new();
    for c in tail.chars().chain(head.chars()) {
        match c {
            '0'..='9' => digits.push(c),
            'A'..='Z' => digits.push_str(&(c as u32 - 'A' as u32 + 10).to_string()),
            _ => return false,
        }
    }
    mod97(&digits) == Some(1)
}

/// The Luhn check of card numbers.
fn luhn_valid(raw: &str) -> bool {
    let digits: Vec<u32> = raw.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A word that looks like a secret rather than French: a digit, a symbol inside it, or a capital
/// after its first letter.
fn secret_like(token: &str) -> bool {
    let word = token.trim_end_matches(['.', ',', ';', ')', '!', '?']);
    word.chars().any(|c| c.is_ascii_digit())
        || word
            .chars()
            .any(|c| !c.is_alphanumeric() && !matches!(c, '\'' | '-' | '’'))
        || word.chars().skip(1).any(char::is_uppercase)
}

/// Replaces what must not be kept.
pub fn mask(text: &str) -> Masked {
    let mut found = Vec::new();
    let mut out = text.to_string();
    let mut note = |k: Sensitive| {
        if !found.contains(&k) {
            found.push(k);
        }
    };
    if let Some(re) = PASSWORD.as_ref() {
        let replaced = re.replace_all(&out, |c: &regex::Captures<'_>| {
            let whole = c.get(0).map_or("", |m| m.as_str());
            let separator = c.get(2).map_or("", |m| m.as_str());
            let token = c.get(3).map_or("", |m| m.as_str());
            // Already masked, or words about a password rather than the password itself
            // (« a retrouvé son mot de passe grâce à l'e-mail »).
            let explicit = separator.contains(':')
                || separator.contains('=')
                || separator.to_lowercase().contains("est");
            if token.starts_with('[')
                || token.starts_with("masqué")
                || !(explicit || secret_like(token))
            {
                return whole.to_string();
            }
            note(Sensitive::Password);
            format!(
                "{}{}{}",
                c.get(1).map_or("", |m| m.as_str()),
                separator,
                Sensitive::Password.mark()
            )
        });
        out = replaced.into_owned();
    }
    if let Some(re) = IBAN.as_ref() {
        let replaced = re.replace_all(&out, |c: &regex::Captures<'_>| {
            let m = c.get(0).map_or("", |m| m.as_str());
            if iban_valid(m) {
                note(Sensitive::Iban);
                Sensitive::Iban.mark()
            } else {
                m.to_string()
            }
        });
        out = replaced.into_owned();
    }
    if let Some(re) = NIR.as_ref() {
        let replaced = re.replace_all(&out, |c: &regex::Captures<'_>| {
            let m = c.get(0).map_or("", |m| m.as_str());
            if nir_valid(c) {
                note(Sensitive::SocialSecurityNumber);
                Sensitive::SocialSecurityNumber.mark()
            } else {
                m.to_string()
            }
        });
        out = replaced.into_owned();
    }
    if let Some(re) = CARD.as_ref() {
        let replaced = re.replace_all(&out, |c: &regex::Captures<'_>| {
            let m = c.get(0).map_or("", |m| m.as_str());
            if luhn_valid(m) {
                note(Sensitive::BankCard);
                Sensitive::BankCard.mark()
            } else {
                m.to_string()
            }
        });
        out = replaced.into_owned();
    }
    found.sort();
    Masked { text: out, found }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn secrets_and_numbers_are_masked_and_named() {
        let m = mask("Mot de passe : Soleil2024! pour ameli, mdp=azerty");
        assert_eq!(
            m.text,
            "Mot de passe : [mot de passe masqué] pour ameli, mdp=[mot de passe masqué]"
        );
        assert_eq!(m.found, [Sensitive::Password]);
        // A NIR with its key (valid), spaced as on the card, and one of Corsica.
        let m = mask("NIR 2 84 05 75 115 425 52 à vérifier");
        assert_eq!(m.found, [Sensitive::SocialSecurityNumber], "{}", m.text);
        assert!(!m.text.contains("425"));
        let corsica = format!(
            "1 85 01 2A 004 007 {:02}",
            97 - mod97("1850119004007").unwrap_or(0)
        );
        assert_eq!(mask(&corsica).found, [Sensitive::SocialSecurityNumber]);
        // A wrong key is not a NIR (and thirteen unrelated digits with an impossible month
        // neither).
        assert!(mask("2 84 05 75 115 425 53").found.is_empty());
        assert!(mask("1 84 15 75 115 425").found.is_empty());
        // IBAN (the example of the French banks' documentation) and a test card number.
        let m = mask("IBAN FR76 3000 6000 0112 3456 7890 189, carte 4970 1000 0000 0063.");
        assert_eq!(
            m.found,
            [Sensitive::Iban, Sensitive::BankCard],
            "{}",
            m.text
        );
        assert_eq!(
            m.text,
            "IBAN [IBAN masqué], carte [numéro de carte bancaire masqué]."
        );
        assert!(mask("FR76 3000 6000 0112 3456 7890 188").found.is_empty());
        // Ordinary notes are left as written: phone numbers, dates, amounts, postcodes.
        for plain in [
            "Rappeler au 06 12 34 56 78 le 12/03/2026",
            "RSA de 607,75 € ; code postal 54000 ; dossier n° 2024-118",
            "A créé son compte Ameli seule, a retrouvé son mot de passe grâce à l'e-mail.",
        ] {
            let m = mask(plain);
            assert_eq!(m.text, plain);
            assert!(m.found.is_empty(), "{plain}: {:?}", m.found);
        }
        assert!(
            mask("mdp : x")
                .warning()
                .is_some_and(|w| w.contains("mot de passe"))
        );
    }

    proptest! {
        /// Whatever the text, masking terminates, is idempotent, and never leaves a checked
        /// number or a keyword's secret behind.
        #[test]
        fn masking_is_idempotent(text in ".{0,200}") {
            let once = mask(&text);
            let twice = mask(&once.text);
            prop_assert_eq!(&twice.text, &once.text);
            prop_assert!(twice.found.is_empty() || twice.found.iter().all(|k| *k == Sensitive::Password));
        }

        #[test]
        fn a_valid_card_number_anywhere_is_masked(prefix in "[a-z ]{0,20}", body in proptest::collection::vec(0u32..10, 15)) {
            // Complete the Luhn check digit of 15 digits into a 16-digit number.
            let mut digits = body.clone();
            let sum: u32 = digits.iter().rev().enumerate().map(|(i, d)| if i % 2 == 0 { let x = d * 2; if x > 9 { x - 9 } else { x } } else { *d }).sum();
            digits.push((10 - sum % 10) % 10);
            let number: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
            let m = mask(&format!("{prefix} {number} fin"));
            prop_assert!(!m.text.contains(&number), "{}", m.text);
        }
    }
}
