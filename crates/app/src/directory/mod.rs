//! The directory of places: import, search and edit.

mod edit;
mod export;
mod publication;
mod query;

pub use export::{ExportAsked, ExportFile};
pub(crate) use publication::PublicationCache;
pub use publication::{DataInclusionFiles, Publication, Published, PublishedFile};
pub use query::{Choice, Group, PlaceQuery, PlaceSearch};
pub use search::FoundPlaces;
mod import;
mod search;
pub(crate) mod shelf;
