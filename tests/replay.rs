//! A session as the page makes one replays from its seed and its steps to
//! the identical trace: through the page's model, through a bare session,
//! and through the steps' text form (a scenario file). The digest it
//! leaves in the target folder is what the same session gives in wasm
//! (tests/e2e/replay.test.js builds and compares it).

#[path = "common/browser_session.rs"]
mod browser_session;

use browser_session::{browser_session, trace_digest};
use redis_playground::app::playground::{Playground, PAGE_OPTIONS};
use redis_playground::session::{step, Session, Step};

const SEED: u64 = 7;
const START: i64 = 1_767_225_600_000;

fn steps_of(p: &Playground) -> Vec<Step> {
    p.session().steps().iter().map(|(_, step)| step.clone()).collect()
}

#[test]
fn a_page_session_replays_from_its_seed_and_steps() {
    let original = browser_session(SEED, START);
    let steps = steps_of(&original);
    assert!(steps.len() > 30, "{} steps", steps.len());
    let trace = format!("{:?}", original.sim().trace());
    // The page's model, rebuilt: the same trace, the same consoles.
    let replayed = Playground::replay(SEED, START, steps.clone());
    assert_eq!(format!("{:?}", replayed.sim().trace()), trace);
    assert_eq!(replayed.nodes(), original.nodes());
    assert_eq!(replayed.sentinels(), original.sentinels());
    // A bare session with the page's options: the same trace.
    let bare = Session::replay(SEED, START, PAGE_OPTIONS, steps.clone());
    assert_eq!(format!("{:?}", bare.sim().trace()), trace);
    // Written down as a scenario and read back: the same steps, the same trace.
    let text: Vec<String> = steps.iter().map(Step::to_string).collect();
    let read: Vec<Step> = text.iter().map(|line| step::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"))).collect();
    assert_eq!(read, steps);
    let from_text = Session::replay(SEED, START, PAGE_OPTIONS, read);
    assert_eq!(format!("{:?}", from_text.sim().trace()), trace);
    // Another seed is another run.
    let other = browser_session(SEED + 1, START);
    assert_ne!(format!("{:?}", other.sim().trace()), trace);
    let digest = format!("{:016x}\n", trace_digest(&original));
    std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("replay-trace.digest"), digest).unwrap();
}

#[test]
fn the_session_really_happened() {
    let p = browser_session(SEED, START);
    let nodes = p.nodes();
    // The failover promoted a replica, and the old master follows it.
    let masters: Vec<u16> = nodes.iter().filter(|n| n.up && n.role == "master").map(|n| n.port).collect();
    assert_eq!(masters.len(), 1, "{nodes:?}");
    assert_ne!(masters[0], 6379);
    let lines: Vec<String> = nodes[2].console.lines.iter().map(|l| l.text.clone()).collect();
    assert!(lines.iter().any(|l| l == "(1.00s)"), "{lines:?}");
    let lines: Vec<String> = nodes[0].console.lines.iter().map(|l| l.text.clone()).collect();
    assert!(lines.windows(2).any(|w| w[0] == "127.0.0.1:6379> WAIT 1 500" && w[1] == "(integer) 1"), "{lines:?}");
}
