//! Every integration test of the web crate, in one binary (one link instead of nine): each
//! module is what used to be its own test target, run with `cargo test -p maillage-web --test web
//! <module>::` — for example `route_matrix::the_matrix` or `openapi::`.

mod activity;
mod api;
mod common;
mod diagnostic;
mod instances;
mod library;
mod mail;
mod openapi;
mod orientation;
mod publication;
mod route_matrix;
mod sources;
mod trust;
