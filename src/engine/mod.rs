//! The Redis engine: pure Rust, no web crate, no real clock, no real
//! randomness. Everything time-dependent takes virtual milliseconds from the
//! caller; everything random takes values the caller drew from a seeded RNG.

pub mod cli;
pub mod cli_help;
pub mod client_info;
pub mod commands;
pub mod config;
pub mod digest;
pub mod disk;
pub mod fnv;
pub mod glob;
pub mod info;
pub mod keyspace;
pub mod log;
pub mod longdouble;
pub mod node;
pub mod numfmt;
pub mod params;
pub mod rdb;
pub mod resp;
pub mod rng;
pub mod server;
pub mod server_node;
pub mod sentinel;
pub mod sha1;
pub mod splitargs;
pub mod time;
pub mod value;
