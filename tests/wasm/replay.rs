//! The browser-shaped session of tests/replay.rs, built for wasm32: it
//! replays the session from its seed and steps inside wasm and gives the
//! trace's digest (0 when the replay differs), which
//! tests/e2e/replay.test.js compares with the native one; and the fault
//! schedules of tests/replication_property.rs by seed, whose traces must
//! be the ones the native build wrote. Exports plain functions, so Node
//! needs no bindings.

#[path = "../common/browser_session.rs"]
mod browser_session;
#[allow(dead_code)]
#[path = "../common/fault_schedule.rs"]
mod fault_schedule;

use browser_session::{browser_session, trace_digest};
use redis_playground::app::playground::Playground;

const SEED: u64 = 7;
const START: i64 = 1_767_225_600_000;

#[no_mangle]
pub extern "C" fn replay_digest() -> u64 {
    let original = browser_session(SEED, START);
    let steps = original.session().steps().iter().map(|(_, step)| step.clone());
    let replayed = Playground::replay(SEED, START, steps);
    let digest = trace_digest(&original);
    if trace_digest(&replayed) == digest && replayed.nodes() == original.nodes() {
        digest
    } else {
        0
    }
}

/// The trace digest of the fault schedule of `seed`, run in wasm.
#[no_mangle]
pub extern "C" fn fault_schedule_digest(seed: u64) -> u64 {
    fault_schedule::trace_digest(&fault_schedule::Run::complete(seed).sim)
}
