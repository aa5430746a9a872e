//! The split-brain lab against an independent count: its lost writes are
//! exactly the acknowledged writes that the master the Sentinels name
//! afterwards lacks, key by key (asked with EXISTS); without a guard they
//! are every write acknowledged during the partition, with
//! min-replicas-to-write 1 / min-replicas-max-lag 10 only those of its
//! first ten seconds or so, the rest refused with NOREPLICAS.

use redis_playground::app::builtins::builtin;
use redis_playground::scenario::{self, RunOptions, Step};
use redis_playground::session::writer::{key_of, reckon};
use redis_playground::session::Session;

/// The scenario run up to its `n`th `writes` step (1-based).
fn run_until_writes(n: usize) -> Session {
    let lines = scenario::parse(builtin("split-brain", "en").unwrap().text).unwrap();
    let end = lines.iter().enumerate().filter(|(_, l)| matches!(l.item, scenario::Item::Step(Step::Writes))).nth(n - 1).unwrap().0;
    let run = scenario::run_session(&lines[..=end], RunOptions::default()).unwrap();
    assert!(run.failed.is_empty(), "{:?}", run.failed);
    run.session
}

/// Counted without the lab's code: Sentinel's answer, then EXISTS for each key.
fn lost_counted_apart(session: &Session) -> (u16, Vec<u64>) {
    let answer = session.probe(26379, "SENTINEL get-master-addr-by-name mymaster").unwrap();
    let master: u16 = answer[1].trim_start_matches("2) ").trim_matches('"').parse().unwrap();
    let writer = session.writer().unwrap();
    let lost = writer
        .log
        .iter()
        .filter(|w| w.outcome.is_ok())
        .map(|w| w.seq)
        .filter(|seq| session.probe(master, &format!("EXISTS {}", key_of(*seq))).unwrap() == ["(integer) 0"])
        .collect();
    (master, lost)
}

/// When the session isolated `port`.
fn isolated_at(session: &Session, port: u16) -> i64 {
    session.steps().iter().find(|(_, s)| *s == Step::Isolate { port }).unwrap().0
}

#[test]
fn without_a_guard_every_write_of_the_partition_is_lost() {
    let session = run_until_writes(2);
    let reckoning = reckon(session.sim(), session.writer().unwrap());
    let (master, lost) = lost_counted_apart(&session);
    assert_eq!(reckoning.master, Some(master));
    assert_eq!(master, 6380);
    assert_eq!(reckoning.lost, lost);
    let cut = isolated_at(&session, 6379);
    let writer = session.writer().unwrap();
    let acknowledged_during: Vec<u64> = writer.log.iter().filter(|w| w.outcome.is_ok() && w.sent_at > cut).map(|w| w.seq).collect();
    assert!(!lost.is_empty());
    assert_eq!(lost, acknowledged_during);
}

#[test]
fn with_min_replicas_the_loss_stops_after_the_lag_allowed() {
    let session = run_until_writes(4);
    let reckoning = reckon(session.sim(), session.writer().unwrap());
    let (master, lost) = lost_counted_apart(&session);
    assert_eq!(reckoning.master, Some(master));
    assert_eq!(reckoning.lost, lost);
    let cut = isolated_at(&session, 6380);
    let writer = session.writer().unwrap();
    let sent = |seq: u64| writer.log.iter().find(|w| w.seq == seq).unwrap().sent_at;
    assert!(!lost.is_empty());
    // Lost: only writes of the first seconds of the partition (lag up to 10 s, counted in whole seconds).
    assert!(lost.iter().all(|&seq| sent(seq) > cut && sent(seq) - cut <= 11_000), "{lost:?}");
    // After that, 6380 refused: NOREPLICAS, and the client knew.
    let refused: Vec<_> = writer.log.iter().filter(|w| w.outcome.as_ref().is_err_and(|e| e.starts_with("NOREPLICAS"))).collect();
    assert!(!refused.is_empty());
    assert!(refused.iter().all(|w| w.sent_at - cut >= 9_000));
}
