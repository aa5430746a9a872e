//! MIGRATE where the goldens cannot go (`migrate.scn` and
//! `migrate_replication.scn` are recorded from real Redis): across a cut
//! network, which one loopback interface cannot make, with commands
//! pipelined behind it, and inside MULTI or a script, which the playground
//! refuses. Redis 7.0's source is the reference: the connect and each read
//! wait up to the timeout, the whole server waits with them.

use redis_playground::engine::resp::encode_command;
use redis_playground::scenario::{self, RunOptions};
use redis_playground::sim::Sim;

fn run(source: &str) -> Vec<String> {
    let steps = scenario::parse(source).expect("the scenario parses");
    scenario::run_on_sim(&steps, RunOptions::default()).expect("the scenario runs").0
}

/// The replies printed after each prompt line `head`, in order.
fn replies(transcript: &[String], head: &str) -> Vec<String> {
    transcript.windows(2).filter(|w| w[0] == head).map(|w| w[1].clone()).collect()
}

#[test]
fn a_cut_times_out_the_connect_then_the_reads() {
    let transcript = run("server 6379\nserver 6380\n6379> MSET a 1 b 2\ncut 6379 6380\n\
         6379> MIGRATE 127.0.0.1 6380 a 0 500\nheal 6379 6380\n6379> MIGRATE 127.0.0.1 6380 a 0 500\n\
         cut 6379 6380\n6379> MIGRATE 127.0.0.1 6380 b 0 500\n6379> MGET a b\nheal 6379 6380\nsleep 1s\n\
         6380> MGET a b\n6379> MIGRATE 127.0.0.1 6380 b 0 500\n6380> MGET a b\n6379> INFO stats\n");
    assert_eq!(
        replies(&transcript, "127.0.0.1:6379> MIGRATE 127.0.0.1 6380 a 0 500"),
        ["(error) IOERR error or timeout connecting to the client", "OK"]
    );
    // The cached connection is up but nothing crosses: the read times out,
    // the key stays, and what was sent is lost with the closed connection.
    assert_eq!(
        replies(&transcript, "127.0.0.1:6379> MIGRATE 127.0.0.1 6380 b 0 500"),
        ["(error) IOERR error or timeout reading to target instance", "OK"]
    );
    assert_eq!(replies(&transcript, "127.0.0.1:6379> MGET a b"), ["1) (nil)"]);
    assert_eq!(replies(&transcript, "127.0.0.1:6380> MGET a b"), ["1) \"1\"", "1) \"1\""]);
    let after = transcript.iter().position(|l| l == "127.0.0.1:6380> MGET a b").map(|i| &transcript[i..]).unwrap_or_default();
    assert!(after.iter().any(|l| l == "2) \"2\""), "{after:?}");
    assert!(transcript.iter().any(|l| l == "migrate_cached_sockets:1"), "the working connection is kept");
}

#[test]
fn the_server_waits_for_the_target_and_answers_in_order() {
    let mut sim = Sim::new(7, 0);
    sim.start_server(6379, &["enable-debug-command yes"]).unwrap();
    sim.start_server(6380, &["enable-debug-command yes"]).unwrap();
    sim.advance(100);
    let (source, other) = (sim.connect(6379).unwrap(), sim.connect(6379).unwrap());
    let mut bytes = Vec::new();
    encode_command(&["SET", "k", "v"], &mut bytes);
    encode_command(&["MIGRATE", "127.0.0.1", "6380", "k", "0", "1000"], &mut bytes);
    encode_command(&["EXISTS", "k"], &mut bytes);
    sim.send(source, &bytes);
    let mut ask = Vec::new();
    encode_command(&["DBSIZE"], &mut ask);
    sim.send(other, &ask);
    sim.advance(50);
    assert_eq!(sim.take_inbox(source), b"+OK\r\n+OK\r\n:0\r\n");
    // The other client's command ran after the migration: the key was gone.
    assert_eq!(sim.take_inbox(other), b":0\r\n");
    let target = sim.connect(6380).unwrap();
    let mut get = Vec::new();
    encode_command(&["GET", "k"], &mut get);
    sim.send(target, &get);
    sim.advance(10);
    assert_eq!(sim.take_inbox(target), b"$1\r\nv\r\n");
}

#[test]
fn inside_multi_or_a_script_it_is_refused_with_the_key_left_alone() {
    let transcript = run("server 6379\nserver 6380\n6379> SET k v\n6379> MULTI\n\
         6379> MIGRATE 127.0.0.1 6380 k 0 1000\n6379> MIGRATE 127.0.0.1 6380 gone 0 1000\n6379> EXEC\n\
         6379> EVAL \"return redis.pcall('migrate', '127.0.0.1', '6380', 'k', '0', '1000')\" 0\n6379> GET k\n");
    let refusal = "MIGRATE inside MULTI/EXEC or a script is not supported by the playground";
    let exec = transcript.iter().position(|l| l == "127.0.0.1:6379(TX)> EXEC").expect("EXEC");
    assert_eq!(transcript[exec + 1], format!("1) (error) ERR {refusal}"));
    assert_eq!(transcript[exec + 2], "2) NOKEY");
    assert_eq!(replies(&transcript, "127.0.0.1:6379> GET k"), ["\"v\""]);
    assert!(transcript.iter().any(|l| l.contains(refusal) && l.starts_with("(error)")), "{transcript:?}");
}

#[test]
fn a_restarted_target_gets_a_fresh_connection() {
    let transcript = run("server 6379\nserver 6380\n6379> MSET a 1 b 2\n6379> MIGRATE 127.0.0.1 6380 a 0 1000\n\
         crash 6380\nrestart 6380\n6379> MIGRATE 127.0.0.1 6380 b 0 1000\n6380> MGET a b\n6379> INFO stats\n");
    assert_eq!(replies(&transcript, "127.0.0.1:6379> MIGRATE 127.0.0.1 6380 b 0 1000"), ["OK"]);
    assert_eq!(replies(&transcript, "127.0.0.1:6380> MGET a b"), ["1) (nil)"], "a was not saved before the crash");
    assert!(transcript.iter().any(|l| l == "migrate_cached_sockets:1"));
}
