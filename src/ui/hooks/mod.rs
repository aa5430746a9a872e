//! Browser plumbing as hooks.

mod download;
mod use_interval;

pub use download::download;
pub use use_interval::use_interval;
