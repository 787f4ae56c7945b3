//! The directory of places: import, search and edit.

mod edit;
mod export;
mod query;

pub use export::{ExportAsked, ExportFile};
pub use query::{Choice, Group, PlaceQuery, PlaceSearch};
mod import;
mod search;
