//! The directory of places: import, search and edit.

mod edit;
mod import;
mod search;
