//! A Redis 7.0 replication playground: virtual Redis servers that run in a
//! web page (or natively, for tests and the command line).
//!
//! - `engine/`: pure Redis logic — RESP, the redis-cli splitter and reply
//!   formatter, the keyspace, commands, config, replication, Sentinel. No
//!   web crate, no real clock, no real randomness.
//! - `sim/`: the deterministic simulator — virtual clock, seeded RNG, the
//!   servers and Sentinels on their ports, their connections, a trace of
//!   every step, and the redis-cli console session used by transcripts and
//!   the page.
//! - `scenario/`: the scenario file format (see SCENARIO.md in the docs) and
//!   its runner, which prints transcripts.
//! - `ui/` (wasm only): the Yew page; it reads snapshots of the simulator and
//!   sends it actions.

pub mod app;
pub mod engine;
pub mod scenario;
pub mod session;
pub mod sim;

#[cfg(target_arch = "wasm32")]
pub mod ui;
