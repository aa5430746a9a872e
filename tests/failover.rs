//! FAILOVER where real Redis cannot be recorded deterministically: while it
//! waits for its target, and when the target never catches up (a cut
//! link). The expectations come from Redis 7.0's replication.c
//! (failoverCommand, updateFailoverStatus, abortFailover,
//! replicaofCommand); the hand-over itself is the recorded golden
//! `tests/scenarios/failover`.

use redis_playground::scenario::{self, RunOptions};

fn transcript(source: &str) -> Vec<String> {
    let steps = scenario::parse(source).expect("the scenario parses");
    scenario::run(&steps, RunOptions::default()).expect("the scenario runs")
}

const SETUP: &str = "server 6379\nserver 6380 replicaof 127.0.0.1 6379\nwaitsync 6380\n";

fn has(lines: &[String], wanted: &str) -> bool {
    lines.iter().any(|l| l == wanted)
}

#[test]
fn while_it_waits_writes_wait_replicaof_is_refused_and_abort_ends_it() {
    // A write the replica has not acknowledged yet (it does once a second).
    let lines = transcript(&format!(
        "{SETUP}6379> SET k 1\n6379> FAILOVER TO 127.0.0.1 6380\n6379> REPLICAOF NO ONE\n6379> INFO replication\n6379> FAILOVER ABORT\n6379> FAILOVER ABORT\n6379> ROLE\n6379> SET k 2\n"
    ));
    assert!(has(&lines, "(error) ERR REPLICAOF not allowed while failing over."), "{lines:#?}");
    assert!(has(&lines, "master_failover_state:waiting-for-sync"), "{lines:#?}");
    assert!(has(&lines, "(error) ERR No failover in progress."), "{lines:#?}");
    assert!(has(&lines, "1) \"master\""), "{lines:#?}");
    assert_eq!(lines.last().map(String::as_str), Some("OK"), "writes go on after the abort");
}

#[test]
fn a_target_that_never_catches_up_aborts_it_or_with_force_takes_over_anyway() {
    // The link is cut: the replica cannot acknowledge the write.
    let aborted = transcript(&format!(
        "{SETUP}cut 6379 6380\n6379> SET k 1\n6379> FAILOVER TO 127.0.0.1 6380 TIMEOUT 500\nsleep 1s\n6379> INFO replication\n6379> SET k 2\n"
    ));
    assert!(has(&aborted, "master_failover_state:no-failover"), "{aborted:#?}");
    assert!(has(&aborted, "role:master"), "{aborted:#?}");
    assert_eq!(aborted.last().map(String::as_str), Some("OK"));

    let forced = transcript(&format!(
        "{SETUP}cut 6379 6380\n6379> SET k 1\n6379> FAILOVER TO 127.0.0.1 6380 TIMEOUT 500 FORCE\nsleep 1s\nheal 6379 6380\nsleep 2s\n6379> ROLE\n6380> ROLE\n"
    ));
    let at = forced.iter().position(|l| l == "127.0.0.1:6379> ROLE").expect("ROLE on 6379");
    assert_eq!(forced[at + 1], "1) \"slave\"", "{forced:#?}");
    assert_eq!(forced[at + 3], "3) (integer) 6380", "{forced:#?}");
    let at = forced.iter().position(|l| l == "127.0.0.1:6380> ROLE").expect("ROLE on 6380");
    assert_eq!(forced[at + 1], "1) \"master\"", "{forced:#?}");
}

#[test]
fn the_log_says_why_it_ended() {
    let steps = scenario::parse(&format!(
        "{SETUP}cut 6379 6380\n6379> SET k 1\n6379> FAILOVER TO 127.0.0.1 6380 TIMEOUT 500\nsleep 1s\n6379> FAILOVER\n6379> FAILOVER ABORT\n"
    ))
    .unwrap();
    let (_, sim) = scenario::run_on_sim(&steps, RunOptions::default()).unwrap();
    let log: Vec<String> = sim.recent_log().filter(|(port, _)| *port == 6379).map(|(_, l)| l.text.clone()).collect();
    assert!(log.iter().any(|l| l == "FAILOVER requested to 127.0.0.1:6380."), "{log:#?}");
    assert!(log.iter().any(|l| l == "FAILOVER to 127.0.0.1:6380 aborted: Replica never caught up before timeout"), "{log:#?}");
    assert!(log.iter().any(|l| l == "FAILOVER requested to any replica."), "{log:#?}");
    assert!(log.iter().any(|l| l == "FAILOVER to any replica aborted: Failover manually aborted"), "{log:#?}");
}
