//! French text normalisation shared by matching rules (vocabularies, communes, deduplication).

/// Folds a French string to a comparison key: accents removed, lower case, every run of
/// characters that is not a letter or a digit turned into a single space, trimmed.
///
/// `"Saint-Étienne "` and `"ST ETIENNE"` differ only by the abbreviation, which
/// [`commune_key`] expands.
pub fn fold(input: &str) -> String {
    // Each character transliterated in turn, without an intermediate string (this runs for
    // every candidate of every duplicate comparison); one without transliteration separates.
    let ascii = input.chars().flat_map(|c| {
        let piece = if c.is_ascii() {
            None
        } else {
            Some(deunicode::deunicode_char(c).unwrap_or(" "))
        };
        let own = piece.is_none().then_some(c);
        own.into_iter()
            .chain(piece.into_iter().flat_map(str::chars))
    });
    words_of(ascii, input.len())
}

/// ASCII characters to a comparison key: letters and digits in lower case, every run of
/// anything else one space, trimmed.
fn words_of(ascii: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut pending_space = false;
    for c in ascii {
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// Like [`fold`] but without any separator: used for closed vocabularies, where producers
/// write `Étapes numériques(La Poste)` as well as `Etapes numeriques (La Poste)`.
pub fn compact_key(input: &str) -> String {
    fold(input).replace(' ', "")
}

/// Comparison key of a commune name: folded, with the abbreviations found in real files
/// expanded (`ST` → saint, `STE` → sainte) and the articles kept.
pub fn commune_key(input: &str) -> String {
    fold(input)
        .split(' ')
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            "sts" => "saints",
            "stes" => "saintes",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_real_spellings_of_the_same_commune() {
        assert_eq!(commune_key("ST ETIENNE"), commune_key("Saint-Étienne"));
        assert_eq!(commune_key("saint-etienne"), commune_key("Saint Étienne"));
        assert_eq!(commune_key("Aix les bains"), commune_key("Aix-les-Bains"));
        assert_eq!(commune_key("L'Isle-sur-la-Sorgue"), "l isle sur la sorgue");
    }

    #[test]
    fn compact_key_ignores_spacing_and_punctuation() {
        assert_eq!(
            compact_key("Étapes numériques(La Poste)"),
            compact_key("Etapes numeriques (La Poste)")
        );
    }

    proptest! {
        #[test]
        fn fold_is_idempotent_and_ascii(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert!(once.is_ascii());
            prop_assert_eq!(fold(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
        }

        /// Transliterating character by character folds as transliterating the whole text
        /// first (accents, ligatures, other scripts, symbols). Control characters always
        /// separate words (the whole text's transliteration kept them or dropped them depending
        /// on what came before).
        #[test]
        fn fold_equals_the_fold_of_the_whole_transliteration(s in "(\\PC|[ -~]|[À-ÿ]|[œŒæÆ’–—«»]){0,40}") {
            let whole = deunicode::deunicode(&s);
            let expected = words_of(whole.chars(), whole.len());
            prop_assert_eq!(fold(&s), expected);
        }
    }
}

/// Characters of a typed search (directory, library, a request in a person's words), at most.
pub const MAX_QUERY_CHARS: usize = 300;
/// Words of a typed search, at most: each word costs a look-up (and its typos), so the cost of
/// a search stays flat whatever is typed.
pub const MAX_QUERY_WORDS: usize = 30;

/// Whether a typed search is within the limits; the French reason when it is not.
pub fn check_query(text: &str) -> Result<(), String> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(format!(
            "recherche trop longue : {MAX_QUERY_CHARS} caractères au plus ; gardez les mots importants"
        ));
    }
    if text.split_whitespace().count() > MAX_QUERY_WORDS {
        return Err(format!(
            "recherche trop longue : {MAX_QUERY_WORDS} mots au plus ; gardez les mots importants"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod query_limits {
    use super::*;

    #[test]
    fn typed_searches_are_bounded_in_characters_and_words() {
        assert!(check_query("je dois m'inscrire à pôle emploi").is_ok());
        assert!(check_query(&"mot ".repeat(MAX_QUERY_WORDS)).is_ok());
        let words = check_query(&"mot ".repeat(MAX_QUERY_WORDS + 1)).expect_err("trop de mots");
        assert!(words.contains("30 mots"), "{words}");
        let chars = check_query(&"é".repeat(MAX_QUERY_CHARS + 1)).expect_err("trop long");
        assert!(chars.contains("300 caractères"), "{chars}");
    }
}
