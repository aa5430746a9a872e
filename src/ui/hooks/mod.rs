//! Browser plumbing as hooks.

mod use_interval;

pub use use_interval::use_interval;
