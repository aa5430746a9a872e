//! `cut` and `heal`: the network between two nodes drops and returns.
//! Real Redis cannot be partitioned on one loopback interface without
//! root tools, so these expectations come from Redis 7.0's source and
//! documented behaviour rather than recorded goldens: while cut, nothing
//! passes and nothing is refused; a short cut goes unnoticed and the held
//! writes arrive on healing; past `repl-timeout` both ends give the link up
//! (with Redis's log lines), and after healing the replica continues with
//! a partial resynchronization.

use redis_playground::scenario::{self, RunOptions};
use redis_playground::sim::{Sim, TraceEvent};

fn run(source: &str) -> (Vec<String>, Sim) {
    let steps = scenario::parse(source).expect("the scenario parses");
    scenario::run_on_sim(&steps, RunOptions::default()).expect("the scenario runs")
}

/// The lines printed after the `n`th occurrence of the prompt line `head`.
fn reply_after(transcript: &[String], head: &str, n: usize) -> Vec<String> {
    let at = transcript.iter().enumerate().filter(|(_, l)| l.as_str() == head).nth(n).map(|(i, _)| i);
    let at = at.unwrap_or_else(|| panic!("no {head:?} #{n} in\n{}", transcript.join("\n")));
    const STEPS: &[&str] = &["# server", "# sleep", "# waitsync", "# cut", "# heal", "# crash", "# restart"];
    let is_step = |l: &str| l.starts_with("127.0.0.1:") || STEPS.iter().any(|s| l.starts_with(s));
    transcript[at + 1..].iter().take_while(|l| !is_step(l)).cloned().collect()
}

fn logged(sim: &Sim, port: u16, text: &str) -> bool {
    sim.trace().iter().any(|e| matches!(e, TraceEvent::Log { port: p, line } if *p == port && line.text == text))
}

#[test]
fn a_short_cut_delays_the_stream_and_nothing_more() {
    let (transcript, sim) = run(
        "server 6379\nserver 6380 replicaof 127.0.0.1 6379\n6379> SET k1 v1\nwaitsync 6380\ncut 6379 6380\n\
         6379> SET k2 v2\nsleep 3s\n6380> GET k2\n6380> ROLE\nheal 6379 6380\nsleep 100ms\n6380> GET k2\n",
    );
    assert_eq!(reply_after(&transcript, "127.0.0.1:6380> GET k2", 0), ["(nil)"]);
    // The replica has not noticed: its link still looks up.
    assert_eq!(reply_after(&transcript, "127.0.0.1:6380> ROLE", 0)[3], "4) \"connected\"");
    assert_eq!(reply_after(&transcript, "127.0.0.1:6380> GET k2", 1), ["\"v2\""]);
    assert!(!logged(&sim, 6380, "MASTER timeout: no data nor PING received..."));
}

#[test]
fn a_long_cut_times_out_both_ends_then_heals_with_a_partial_resync() {
    let (transcript, sim) = run(
        "server 6379 repl-timeout 5\nserver 6380 replicaof 127.0.0.1 6379 ; repl-timeout 5\n6379> SET k1 v1\n\
         waitsync 6380\ncut 6380 6379\n6379> SET k2 v2\nsleep 20s\n6380> ROLE\n6379> ROLE\n6380> GET k2\n\
         heal 6379 6380\nsleep 1500ms\n6380> ROLE\n6380> GET k2\n6379> INFO stats\n",
    );
    let role = reply_after(&transcript, "127.0.0.1:6380> ROLE", 0);
    assert!(role[3] == "4) \"connect\"" || role[3] == "4) \"connecting\"", "{role:?}");
    assert_eq!(reply_after(&transcript, "127.0.0.1:6379> ROLE", 0)[2], "3) (empty array)");
    assert_eq!(reply_after(&transcript, "127.0.0.1:6380> GET k2", 0), ["(nil)"]);
    assert!(logged(&sim, 6380, "MASTER timeout: no data nor PING received..."));
    assert!(logged(&sim, 6379, "Disconnecting timedout replica (streaming sync): 127.0.0.1:6380"));
    assert!(logged(&sim, 6380, "Timeout connecting to the MASTER..."));
    // Healed: the replica is back and continued where it was.
    assert_eq!(reply_after(&transcript, "127.0.0.1:6380> ROLE", 1)[3], "4) \"connected\"");
    assert_eq!(reply_after(&transcript, "127.0.0.1:6380> GET k2", 1), ["\"v2\""]);
    let stats = reply_after(&transcript, "127.0.0.1:6379> INFO stats", 0);
    assert!(stats.contains(&"sync_partial_ok:1".to_string()), "{stats:?}");
    assert!(stats.contains(&"sync_full:1".to_string()), "{stats:?}");
}

#[test]
fn connection_attempts_across_a_cut_wait_instead_of_being_refused() {
    let (transcript, sim) =
        run("server 6379\nserver 6380\ncut 6379 6380\n6380> REPLICAOF 127.0.0.1 6379\nsleep 2s\n6380> ROLE\nheal 6380 6379\nwaitsync 6380\n");
    assert_eq!(reply_after(&transcript, "127.0.0.1:6380> ROLE", 0)[3], "4) \"connecting\"");
    assert!(!sim.trace().iter().any(|e| matches!(e, TraceEvent::LinkRefused { .. })));
    assert_eq!(transcript.last().map(String::as_str), Some("# waitsync 6380"));
}

#[test]
fn a_master_dying_behind_a_cut_goes_unseen_until_the_heal() {
    let (transcript, sim) = run(
        "server 6379\nserver 6380 replicaof 127.0.0.1 6379\nwaitsync 6380\ncut 6379 6380\ncrash 6379\n\
         6380> ROLE\ncut 6380 6381\nheal 6380 6381\n6380> ROLE\nheal 6379 6380\n6380> ROLE\n",
    );
    assert_eq!(reply_after(&transcript, "127.0.0.1:6380> ROLE", 0)[3], "4) \"connected\"");
    // Healing another pair changes nothing for this link.
    assert_eq!(reply_after(&transcript, "127.0.0.1:6380> ROLE", 1)[3], "4) \"connected\"");
    assert_eq!(reply_after(&transcript, "127.0.0.1:6380> ROLE", 2)[3], "4) \"connect\"");
    assert!(logged(&sim, 6380, "Connection with master lost."));
}
