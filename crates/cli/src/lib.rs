//! The library side of the `maillage` command: what the binary and the benchmarks share.

pub mod demo;
