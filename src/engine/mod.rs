//! The Redis engine: pure Rust, no web crate, no real clock, no real
//! randomness. Everything time-dependent takes virtual milliseconds from the
//! caller; everything random takes values the caller drew from a seeded RNG.
//!
//! From the bottom up: numbers, hashes, time and the argument splitter
//! (`numfmt`, `fnv`, `sha1`, `sha256`, `time`, `splitargs`, ...); RESP,
//! values (streams in `stream`), the keyspace, RDB, INFO's rendering, the
//! recorded command table, ACL users, config (`resp`, `value`, `keyspace`,
//! `rdb`, `info`, `command_table`, `acl`, `params`, `config`); a server's
//! state and machinery (`server/`);
//! every command and the one table they are run through (`commands/`); a
//! redis-server reading its connections and running its timers
//! (`server_node`); Sentinel (`sentinel/`); redis-cli's side of a console
//! (`cli`, `cli_help`). `node` is the sans-IO interface both kinds of
//! process show the network; `psync` and `ranking` are the decisions they
//! hand out through it for the instruments (why a resync was partial or
//! full, which replica a failover promoted and why).

pub mod acl;
pub mod acl_file;
pub mod cli;
pub mod cli_help;
pub mod client_info;
pub mod command_table;
pub mod commands;
pub mod config;
pub mod digest;
pub mod disk;
pub mod fnv;
pub mod glob;
pub mod info;
pub mod keyspace;
pub mod log;
pub mod lua;
pub mod longdouble;
pub mod memory;
pub mod notify;
pub mod node;
pub mod numfmt;
pub mod params;
pub mod psync;
pub mod ranking;
pub mod rdb;
pub mod resp;
pub mod rng;
pub mod sentinel;
pub mod server;
pub mod server_node;
pub mod sha1;
pub mod sha256;
pub mod splitargs;
pub mod stream;
pub mod time;
pub mod value;
