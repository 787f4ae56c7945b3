//! The directory's pages: the public search and a place's page (`places.rs`), its map
//! (`map.rs`), the place form (`form.rs`), imports and exports (`import.rs`).

use super::*;

mod form;
mod import;
pub(super) mod map;
mod places;
mod publication;

pub(super) use form::*;
pub(super) use import::*;
pub use places::*;
pub(super) use publication::*;
