//! The wire inspector's offsets against real Redis: every
//! `master_repl_offset` a real Redis 7.0.15 master printed in a recorded
//! scenario (its golden transcript) is where one of the frames the
//! inspector decodes from the engine's link ends, and every partial
//! resynchronization real Redis logged (`# psync: CONTINUE from offset N`)
//! starts a stream the inspector reads on from N - 1.

use std::collections::BTreeSet;
use std::path::Path;

use redis_playground::app::wire::{link_frames, Direction, FrameKind};
use redis_playground::scenario::{self, RunOptions};

fn offsets_real_redis_printed(golden: &str) -> BTreeSet<i64> {
    golden.lines().filter_map(|l| l.strip_prefix("master_repl_offset:")).filter_map(|v| v.parse().ok()).filter(|v| *v > 0).collect()
}

fn check(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let source = std::fs::read_to_string(dir.join(format!("{name}.scn"))).unwrap();
    let golden = std::fs::read_to_string(dir.join(format!("{name}.out"))).unwrap();
    let (_, sim) = scenario::run_on_sim(&scenario::parse(&source).unwrap(), RunOptions::default()).unwrap();
    let frames = link_frames(&sim, 6379, 6380);
    let ends: BTreeSet<i64> = frames.iter().filter_map(|f| f.offsets.map(|(_, end)| end)).collect();
    let printed = offsets_real_redis_printed(&golden);
    let missing: Vec<_> = printed.iter().filter(|o| !ends.contains(o)).collect();
    assert!(missing.is_empty(), "{name}: real Redis's offsets {missing:?} end no decoded frame ({ends:?})");
    let starts: BTreeSet<i64> = frames.iter().filter_map(|f| f.offsets.map(|(start, _)| start)).collect();
    let continued: Vec<i64> = golden
        .lines()
        .filter_map(|l| l.strip_prefix("# psync: CONTINUE from offset "))
        .filter_map(|rest| rest.split([' ', ':']).next()?.parse().ok())
        .collect();
    for offset in &continued {
        assert!(starts.contains(&(offset - 1)), "{name}: no frame starts at {} after a CONTINUE ({starts:?})", offset - 1);
    }
    assert!(printed.len() + continued.len() > 0, "{name}: the golden gives no offsets");
    // Every stream frame follows the one before it, byte for byte.
    for pair in frames.windows(2).filter(|w| w[0].connection == w[1].connection) {
        if let (Some((_, end)), Some((start, _))) = (pair[0].offsets, pair[1].offsets) {
            assert_eq!(end, start, "{name}: a gap between {:?} and {:?}", pair[0].text, pair[1].text);
        }
    }
    assert!(frames.iter().any(|f| f.kind == FrameKind::Rdb && f.direction == Direction::ToReplica));
}

#[test]
fn offsets_match_real_redis_in_repl_offsets() {
    check("repl_offsets");
}

#[test]
fn offsets_match_real_redis_across_resyncs() {
    check("partial_resync");
}
