//! The small kit every page and API module uses: typed input ([`input`]).

pub mod input;
