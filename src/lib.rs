//! A Redis 7.0 replication playground: virtual Redis servers that run in a
//! web page (or natively, for tests and the command line). From the
//! bottom up:
//!
//! - `engine/`: pure Redis logic — RESP, the redis-cli splitter and reply
//!   formatter, the keyspace, RDB, config, a server's state and machinery
//!   (`server/`: clients, replication, persistence), the command table and
//!   every command (`commands/`), Sentinel (`sentinel/`), and the sans-IO
//!   face every node shows the network (`node.rs`). No web crate, no real
//!   clock, no real randomness.
//! - `sim/`: the deterministic simulator — a virtual clock, the machines
//!   (config file, disk) and the processes on them, the links between them
//!   (values with a lane of bytes each way), cuts and latency, a trace of
//!   everything. It drives every node through `engine::node::Node`.
//! - `session/`: what can happen, as values (`Step`, each with its text
//!   form) and a session that applies them to a simulator with its
//!   redis-cli consoles; a session is its seed plus its steps.
//! - `scenario/`: scenario files (SCENARIO.md) parsed into steps, and the
//!   runner that prints transcripts.
//! - `app/`: the page's model — the playground (a session and its consoles'
//!   screens), the views the UI renders, the save format, the data view and
//!   the graph layout. No web crate: tested natively.
//! - `ui/` (wasm only): the Yew page; it renders `app`'s views and sends
//!   it actions.

pub mod app;
pub mod engine;
pub mod scenario;
pub mod session;
pub mod sim;

#[cfg(target_arch = "wasm32")]
pub mod ui;
