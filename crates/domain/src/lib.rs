//! Pure domain of Maillage: the vocabulary of the national standard « Lieux de médiation
//! numérique », the place and its validation rules, opening hours, geography and the
//! authorisation policy. No I/O, no async: every adapter builds on this crate.

pub mod activity;
pub mod booklet;
pub mod campaigns;
pub mod consent;
pub mod diagnostic;
pub mod duplicates;
pub mod fields;
pub mod fragility;
pub mod french;
pub mod freshness;
pub mod geo;
pub mod hours;
pub mod impact;
pub mod indicators;
pub mod mandates;
pub mod offer;
pub mod organisation;
pub mod orientation;
pub mod place;
pub mod policy;
pub mod progress;
pub mod referrals;
pub mod register;
pub mod reports;
pub mod requests;
pub mod resources;
pub mod retention;
pub mod sensitive;
pub mod spreadsheet;
pub mod surveys;
pub mod territory;
pub mod text;
pub mod typology;
pub mod vocab;
pub mod watch;
pub mod workshops;

pub use place::{
    CommuneLookup, CommuneRef, FieldIssue, Place, RawPlace, STANDARD_FIELDS, Validation,
    ValidationContext,
};
pub use vocab::Vocabulary;
