//! The browser-shaped session of tests/replay.rs, built for wasm32: it
//! replays the session from its seed and steps inside wasm and gives the
//! trace's digest (0 when the replay differs), which
//! tests/e2e/replay.test.js compares with the native one. Exports a plain
//! function, so Node needs no bindings.

#[path = "../common/browser_session.rs"]
mod browser_session;

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
