//! The small kit every page and API module uses: typed input ([`input`]), server-drawn charts
//! ([`charts`]) and downloads ([`download`]).

pub mod charts;
pub mod download;
pub mod input;
