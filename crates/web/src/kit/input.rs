//! Typed input: every form body and query string is read into its own struct by [`form`] or
//! [`query`], derived with serde — never field by field. The same rules for every page and the
//! API:
//!
//! - values are trimmed (a password keeps its spaces: declare it [`Raw`]), and the line ends
//!   of text areas (`\r\n`, as browsers send them, or a lone `\r`) made `\n`;
//! - a key given several times fills a list (`Vec<String>`), empty values left out; a single
//!   field takes the first value that is not empty;
//! - a `bool` is a checkbox or a yes/no choice: absent, empty, `0`, `non`, `false` or `off`
//!   is false, any other value true;
//! - an `Option` is `None` when the value is empty;
//! - a number that is not one is refused with a French message naming the field;
//! - keys the struct does not know are ignored (a form may carry its buttons' names).
//!
//! Structs take `#[serde(default)]` so that a missing field is its default, and rename their
//! fields to the French names of the forms (`#[serde(rename = "titre")]`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use maillage_app::AppError;
use maillage_app::activity::StatsQuery;
use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{DeserializeOwned, Deserializer, IntoDeserializer, Visitor};

use crate::PageError;

/// A page's form body, read into `T` (refused with a French page when it cannot be).
pub struct Form<T>(pub T);

/// A page's query string, read into `T`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        // The body limits of the router apply (`Bytes` reads through them).
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            PageError(if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge("formulaire trop volumineux".into())
            } else {
                AppError::Invalid("formulaire illisible".into())
            })
        })?;
        Ok(Form(form(&body)?))
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, PageError> {
        Ok(Query(query(parts.uri.query())?))
    }
}

/// Reads a form body (`application/x-www-form-urlencoded`).
pub fn form<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    read(form_urlencoded::parse(body))
}

/// Reads a query string (absent: every field its default).
pub fn query<T: DeserializeOwned>(query: Option<&str>) -> Result<T, AppError> {
    read(form_urlencoded::parse(query.unwrap_or("").as_bytes()))
}

/// Reads the text fields of a multipart form (the file is read apart).
pub fn fields<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, AppError> {
    read(
        pairs
            .iter()
            .map(|(k, v)| (k.as_str().into(), v.as_str().into())),
    )
}

fn read<'a, T: DeserializeOwned>(
    pairs: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
) -> Result<T, AppError> {
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        // Line ends as `\n`: `\r\n` (what browsers send) and any lone `\r`, so that a text read,
        // written into a link and read again stays the same.
        let v = if v.contains('\r') {
            v.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            v.into_owned()
        };
        fields.entry(k.into_owned()).or_default().push(v);
    }
    let map = MapDeserializer::new(fields.into_iter().map(|(key, values)| {
        let value = Values {
            key: key.clone(),
            values,
        };
        (key, value)
    }));
    T::deserialize(map).map_err(|e: Error| AppError::Invalid(e.to_string()))
}

/// `?fait=…`: what was just done, for the notice a page shows after a redirect.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Done {
    pub fait: String,
}

/// The flags a page takes after a redirect to say what was done: `?pause=1`, `?efface=1`,
/// `?profil=1`, `?enregistre=1`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Flags {
    pub pause: bool,
    #[serde(rename = "efface")]
    pub erased: bool,
    #[serde(rename = "profil")]
    pub profile: bool,
    #[serde(rename = "enregistre")]
    pub saved: bool,
}

/// The statistics' query of a page (the last twelve months unless a period is asked).
pub struct Stats(pub StatsQuery);

/// Reads the statistics' query: every key with its values, given to the indicators' filter.
pub fn stats(query: Option<&str>) -> Result<StatsQuery, AppError> {
    let all: BTreeMap<String, Vec<String>> = self::query(query)?;
    StatsQuery::from_pairs(
        all.iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str()))),
    )
}

impl<S: Send + Sync> FromRequestParts<S> for Stats {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, PageError> {
        Ok(Stats(stats(parts.uri.query())?.with_default_period()))
    }
}

/// A value kept as it was typed (not trimmed): passwords.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Raw(pub String);

impl<'de> serde::Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("un texte")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
                <String as serde::Deserialize>::deserialize(d).map(Raw)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw(v.to_string()))
            }
        }
        deserializer.deserialize_newtype_struct("Raw", RawVisitor)
    }
}

/// The values of one key, deserialized as the field asks: a list, or its first value.
struct Values {
    key: String,
    values: Vec<String>,
}

impl Values {
    /// The first value that is not empty (a form may send a key twice, the first one empty).
    fn first(&self) -> &str {
        self.values
            .iter()
            .map(|v| v.trim())
            .find(|v| !v.is_empty())
            .unwrap_or("")
    }

    fn refuse(&self, expected: &str) -> Error {
        serde::de::Error::custom(format!(
            "champ « {} » : « {} » n'est pas {expected}",
            self.key,
            self.first()
        ))
    }
}

impl<'de> IntoDeserializer<'de, Error> for Values {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! numbers {
    ($($method:ident $visit:ident $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.first().replace(',', ".").parse::<$t>() {
                Ok(n) => visitor.$visit(n),
                Err(_) => Err(self.refuse("un nombre")),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for Values {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(self.first().to_string())
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let off = matches!(
            self.first().to_lowercase().as_str(),
            "" | "0" | "non" | "false" | "off"
        );
        visitor.visit_bool(!off)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.first().is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(SeqDeserializer::new(
            self.values
                .into_iter()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty()),
        ))
    }

    /// A newtype takes the value as it was typed: [`Raw`].
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let raw = self.values.into_iter().next().unwrap_or_default();
        visitor.visit_newtype_struct(raw.into_deserializer())
    }

    numbers!(
        deserialize_u8 visit_u8 u8, deserialize_u16 visit_u16 u16, deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64, deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32, deserialize_i64 visit_i64 i64,
        deserialize_f32 visit_f32 f32, deserialize_f64 visit_f64 f64
    );

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct tuple tuple_struct map struct
        enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Sample {
        #[serde(rename = "titre")]
        title: String,
        #[serde(rename = "thematique")]
        themes: Vec<String>,
        #[serde(rename = "gratuit")]
        free: bool,
        #[serde(rename = "places")]
        seats: Option<u32>,
        #[serde(rename = "mot_de_passe")]
        password: Raw,
        #[serde(rename = "note")]
        mark: f64,
    }

    fn read(text: &str) -> Result<Sample, AppError> {
        form(text.as_bytes())
    }

    #[test]
    fn fields_are_trimmed_lists_filled_and_the_first_value_taken() {
        let s = read("titre=+Atelier+&titre=autre&thematique=a&thematique=+b+&thematique=&zz=1")
            .unwrap_or_default();
        assert_eq!(s.title, "Atelier");
        assert_eq!(s.themes, ["a", "b"]);
        assert_eq!(
            read("titre=&titre=velo").map(|s| s.title).ok(),
            Some("velo".into())
        );
        assert_eq!(read("").ok(), Some(Sample::default()));
        let s = read("titre=un%0D%0Adeux%0D%0A").unwrap_or_default();
        assert_eq!(s.title, "un\ndeux");
    }

    #[test]
    fn checkboxes_options_and_passwords() {
        for (v, expected) in [
            ("on", true),
            ("1", true),
            ("oui", true),
            ("0", false),
            ("non", false),
            ("", false),
            ("OFF", false),
        ] {
            assert_eq!(
                read(&format!("gratuit={v}")).map(|s| s.free).ok(),
                Some(expected),
                "{v}"
            );
        }
        assert_eq!(read("places=").map(|s| s.seats).ok(), Some(None));
        assert_eq!(read("places=+12+").map(|s| s.seats).ok(), Some(Some(12)));
        assert_eq!(read("note=2,5").map(|s| s.mark).ok(), Some(2.5));
        assert_eq!(
            read("mot_de_passe=+secret+").map(|s| s.password).ok(),
            Some(Raw(" secret ".into()))
        );
    }

    #[test]
    fn a_number_that_is_not_one_names_its_field() {
        let e = read("places=douze")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(e, "champ « places » : « douze » n'est pas un nombre");
        assert!(read("places=-1").is_err());
    }

    #[test]
    fn queries_read_alike() {
        let s: Sample = query(Some("titre=x&gratuit=1")).unwrap_or_default();
        assert_eq!((s.title.as_str(), s.free), ("x", true));
        assert_eq!(query::<Sample>(None).ok(), Some(Sample::default()));
    }

    proptest! {
        /// Any body is read or refused with a message, never a panic; what is read is trimmed.
        #[test]
        fn any_body_is_read_or_refused(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(s) = form::<Sample>(&body) {
                prop_assert_eq!(s.title.trim(), s.title.as_str());
                prop_assert!(s.themes.iter().all(|t| t.trim() == t));
            }
        }

        /// A text read, written back into a query string and read again is the same (the links
        /// of result pages give the same search back).
        #[test]
        fn reading_is_idempotent(title in "[a-z\r\n \\x00]{0,30}") {
            let once: Sample = query(Some(&form_urlencoded::Serializer::new(String::new())
                .append_pair("titre", &title)
                .finish())).unwrap_or_default();
            let twice: Sample = query(Some(&form_urlencoded::Serializer::new(String::new())
                .append_pair("titre", &once.title)
                .finish())).unwrap_or_default();
            prop_assert_eq!(once.title, twice.title);
        }

        /// What a browser sends for typed text comes back as typed (trimmed).
        #[test]
        fn typed_text_comes_back(title in "\\PC{0,40}", themes in proptest::collection::vec("[a-z-]{1,12}", 0..5)) {
            let mut body = form_urlencoded::Serializer::new(String::new());
            body.append_pair("titre", &title);
            for t in &themes {
                body.append_pair("thematique", t);
            }
            let s = read(&body.finish()).unwrap_or_default();
            prop_assert_eq!(s.title, title.trim());
            prop_assert_eq!(s.themes, themes);
        }
    }
}
