//! The directory of places: import, search and edit.

mod edit;
mod export;
mod listed;
mod publication;
mod published;
mod query;

pub use export::{ExportAsked, ExportFile};
pub use listed::ListedPlace;
pub(crate) use publication::PublicationCache;
pub use publication::{DataInclusionFiles, Publication, Published, PublishedFile};
pub use published::PublishedPlace;
pub use query::{Choice, Group, PlaceQuery, PlaceSearch};
pub use search::{FoundListed, FoundPlaces, FoundPublished};
mod import;
mod search;
pub(crate) mod shelf;
