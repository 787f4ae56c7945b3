//! The directory of places: import, search and edit.

mod edit;
mod query;

pub use query::{Choice, Group, PlaceQuery, PlaceSearch};
mod import;
mod search;
