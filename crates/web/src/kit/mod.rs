//! The small kit every page and API module uses: typed input ([`input`]) and server-drawn
//! charts ([`charts`]).

pub mod charts;
pub mod input;
