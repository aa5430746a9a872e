//! The fuzz targets' shared code: `harness`, which tests/fuzz_regressions.rs
//! also includes to replay the crashes found.

pub mod harness;
