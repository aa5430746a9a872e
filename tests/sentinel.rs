//! Sentinel on the simulator, held to what real redis-sentinel 7.0.15 did
//! in the same situations (the oracle transcripts in SCENARIO's format):
//! discovery, SDOWN/ODOWN, the leader vote, the failover's steps in order,
//! replica selection, and the old master turned into a replica.

mod common;

use common::call;
use redis_playground::engine::resp::Frame;
use redis_playground::sim::{Sim, TraceEvent};

const START: i64 = 1_767_225_600_000;

/// Every event line a Sentinel logged, as `LEVEL text`, ids masked.
fn events(sim: &Sim, port: u16) -> Vec<String> {
    sim.trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Log { port: p, line } if *p == port && line.text.starts_with(['+', '-']) => Some(format!("{} {}", line.level, line.text)),
            _ => None,
        })
        .map(|l| l.split(' ').map(|w| if w.len() == 40 { "<id>" } else { w }).collect::<Vec<_>>().join(" "))
        .collect()
}

fn logged_at(sim: &Sim, port: u16, needle: &str) -> Option<i64> {
    sim.trace().iter().find_map(|e| match e {
        TraceEvent::Log { port: p, line } if *p == port && line.text.contains(needle) => Some(line.at),
        _ => None,
    })
}

fn shutdown(sim: &mut Sim, port: u16) {
    let h = sim.connect(port).unwrap();
    sim.send(h, b"SHUTDOWN\r\n");
    assert!(!sim.is_up(port));
}

fn bulk_text(frame: Frame) -> String {
    match frame {
        Frame::Bulk(b) => String::from_utf8(b).unwrap(),
        other => panic!("not a bulk string: {other:?}"),
    }
}

fn master_addr(sim: &mut Sim, sentinel: u16) -> Frame {
    call(sim, sentinel, &["SENTINEL", "get-master-addr-by-name", "mymaster"])
}

fn addr(port: u16) -> Frame {
    Frame::Array(vec![Frame::bulk("127.0.0.1"), Frame::bulk(port.to_string())])
}

/// 6379 with replicas 6380 and 6381, in sync.
fn three_servers(seed: u64, priorities: [u32; 2]) -> Sim {
    let mut sim = Sim::new(seed, START);
    sim.start_server(6379, &[] as &[&str]).unwrap();
    for (port, priority) in [6380u16, 6381].into_iter().zip(priorities) {
        sim.start_server(port, &["replicaof 127.0.0.1 6379".to_string(), format!("replica-priority {priority}")]).unwrap();
    }
    call(&mut sim, 6379, &["SET", "before", "failover"]);
    sim.advance(6000);
    assert!(sim.link_up(6380) && sim.link_up(6381));
    sim
}

const FAST: [&str; 3] =
    ["sentinel monitor mymaster 127.0.0.1 6379 2", "sentinel down-after-milliseconds mymaster 2000", "sentinel failover-timeout mymaster 10000"];

#[test]
fn three_sentinels_discover_each_other_and_fail_over_once() {
    let mut sim = three_servers(7, [100, 100]);
    for port in [26379u16, 26380, 26381] {
        sim.start_sentinel(port, &FAST).unwrap();
    }
    sim.advance(5000);
    let info = bulk_text(call(&mut sim, 26379, &["INFO", "sentinel"]));
    assert!(info.contains("master0:name=mymaster,status=ok,address=127.0.0.1:6379,slaves=2,sentinels=3"), "{info}");
    assert_eq!(
        call(&mut sim, 26379, &["SENTINEL", "ckquorum", "mymaster"]),
        Frame::Simple("OK 3 usable Sentinels. Quorum and failover authorization can be reached".into())
    );
    let died = sim.now();
    shutdown(&mut sim, 6379);
    sim.advance(10_000);

    // One leader ran the failover; the others followed its new configuration.
    let leaders: Vec<u16> = [26379u16, 26380, 26381].into_iter().filter(|&p| logged_at(&sim, p, "+elected-leader").is_some()).collect();
    assert_eq!(leaders.len(), 1);
    let leader = leaders[0];
    let sdown = logged_at(&sim, leader, "+sdown master").unwrap() - died;
    assert!((2000..=3200).contains(&sdown), "+sdown {sdown} ms after the death (down-after 2000)");
    let steps: Vec<String> = events(&sim, leader).into_iter().skip_while(|l| !l.contains("+sdown master")).collect();
    let expected = [
        "# +sdown master mymaster 127.0.0.1 6379",
        "# +odown master mymaster 127.0.0.1 6379 #quorum 3/2",
        "# +new-epoch 1",
        "# +try-failover master mymaster 127.0.0.1 6379",
        "# +vote-for-leader <id> 1",
        "# +elected-leader master mymaster 127.0.0.1 6379",
        "# +failover-state-select-slave master mymaster 127.0.0.1 6379",
    ];
    let odown_votes = steps.iter().position(|l| l.starts_with("# +odown")).unwrap();
    assert!(steps[odown_votes].ends_with("/2"), "{steps:?}");
    for want in expected.iter().filter(|w| !w.contains("+odown")) {
        assert!(steps.iter().any(|l| l == want), "missing {want} in {steps:?}");
    }
    let order = |needle: &str| steps.iter().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle} in {steps:?}"));
    let chain = [
        "+try-failover",
        "+elected-leader",
        "+selected-slave",
        "+failover-state-send-slaveof-noone",
        "+failover-state-wait-promotion",
        "+promoted-slave",
        "+failover-state-reconf-slaves",
        "+slave-reconf-sent",
        "+slave-reconf-inprog",
        "+slave-reconf-done",
        "+failover-end",
        "+switch-master",
    ];
    for pair in chain.windows(2) {
        assert!(order(pair[0]) < order(pair[1]), "{} before {}: {steps:?}", pair[0], pair[1]);
    }
    // Equal priority and offset: the smaller run id wins (i1).
    let promoted: u16 = if steps.iter().any(|l| l.contains("+selected-slave slave 127.0.0.1:6381")) { 6381 } else { 6380 };
    let other = if promoted == 6381 { 6380 } else { 6381 };
    let run_id = |sim: &Sim, p: u16| sim.server(p).unwrap().run_id.clone();
    assert!(run_id(&sim, promoted) < run_id(&sim, other), "equal priority and offset: the smaller run id is promoted");
    for port in [26379u16, 26380, 26381] {
        assert_eq!(master_addr(&mut sim, port), addr(promoted), "sentinel {port}");
        if port != leader {
            let lines = events(&sim, port);
            assert!(lines.iter().any(|l| l == "# +config-update-from sentinel <id> 127.0.0.1 26380 @ mymaster 127.0.0.1 6379"
                || l.starts_with("# +config-update-from sentinel <id> 127.0.0.1")), "{lines:?}");
            assert!(lines.iter().any(|l| l == &format!("# +switch-master mymaster 127.0.0.1 6379 127.0.0.1 {promoted}")));
        }
    }
    // The promoted replica is a master, the other follows it.
    let role = |sim: &mut Sim, p: u16| bulk_text(call(sim, p, &["INFO", "replication"]));
    assert!(role(&mut sim, promoted).contains("role:master"));
    let follower = role(&mut sim, other);
    assert!(follower.contains(&format!("master_port:{promoted}")) && follower.contains("master_link_status:up"), "{follower}");
    // Sentinel rewrote the promoted node's redis.conf (no replicaof) and the other's.
    assert!(!sim.config_lines(promoted).unwrap().iter().any(|l| l.starts_with("replicaof")));
    assert!(sim.config_lines(other).unwrap().iter().any(|l| l == &format!("replicaof 127.0.0.1 {promoted}")));
    // Sentinel's own file follows the new master.
    assert!(sim.sentinel_config_lines(26379).unwrap().iter().any(|l| l == &format!("sentinel monitor mymaster 127.0.0.1 {promoted} 2")));

    // The old master comes back as a master, and one Sentinel converts it.
    sim.restart(6379).unwrap();
    sim.advance(20_000);
    let converted: Vec<u16> =
        [26379u16, 26380, 26381].into_iter().filter(|&p| logged_at(&sim, p, "+convert-to-slave slave 127.0.0.1:6379").is_some()).collect();
    assert!(!converted.is_empty());
    let info = role(&mut sim, 6379);
    assert!(info.contains("role:slave") && info.contains(&format!("master_port:{promoted}")) && info.contains("master_link_status:up"), "{info}");
    assert_eq!(call(&mut sim, 6379, &["GET", "before"]), Frame::bulk("failover"));
}

#[test]
fn one_sentinel_with_default_timings_waits_thirty_seconds() {
    let mut sim = three_servers(11, [100, 100]);
    sim.start_sentinel(26379, &["sentinel monitor mymaster 127.0.0.1 6379 1"]).unwrap();
    sim.advance(1000);
    let master = call(&mut sim, 26379, &["SENTINEL", "master", "mymaster"]);
    let Frame::Array(fields) = master else { panic!() };
    let field = |name: &str| {
        let i = fields.iter().position(|f| *f == Frame::bulk(name)).unwrap();
        fields[i + 1].clone()
    };
    assert_eq!(field("flags"), Frame::bulk("master"));
    assert_eq!(field("down-after-milliseconds"), Frame::bulk("30000"));
    assert_eq!(field("failover-timeout"), Frame::bulk("180000"));
    assert_eq!(field("num-slaves"), Frame::bulk("2"));
    assert_eq!(field("quorum"), Frame::bulk("1"));
    let died = sim.now();
    shutdown(&mut sim, 6379);
    sim.advance(29_000);
    assert!(logged_at(&sim, 26379, "+sdown").is_none());
    sim.advance(5_000);
    let sdown = logged_at(&sim, 26379, "+sdown master").unwrap() - died;
    assert!((30_000..=31_200).contains(&sdown), "{sdown}");
    let lines = events(&sim, 26379);
    assert!(lines.contains(&"# +odown master mymaster 127.0.0.1 6379 #quorum 1/1".to_string()), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("# +switch-master mymaster 127.0.0.1 6379 127.0.0.1 638")), "{lines:?}");
}

#[test]
fn replica_priority_decides_and_zero_is_never_promoted() {
    // i3: priorities 0 and 10: 6381 (10) is chosen.
    let mut sim = three_servers(3, [0, 10]);
    sim.start_sentinel(26379, &["sentinel monitor mymaster 127.0.0.1 6379 1", "sentinel down-after-milliseconds mymaster 2000"]).unwrap();
    sim.advance(3000);
    shutdown(&mut sim, 6379);
    sim.advance(8000);
    assert_eq!(master_addr(&mut sim, 26379), addr(6381));
    // Now only the priority-0 replica is left to take over from 6381.
    shutdown(&mut sim, 6381);
    sim.advance(8000);
    let lines = events(&sim, 26379);
    assert!(lines.contains(&"# -failover-abort-no-good-slave master mymaster 127.0.0.1 6381".to_string()), "{lines:?}");
    assert_eq!(master_addr(&mut sim, 26379), addr(6381));
}

#[test]
fn sentinel_commands_answer_as_redis_sentinel() {
    let mut sim = Sim::new(1, START);
    sim.start_sentinel(26390, &["sentinel monitor m 127.0.0.1 7390 1"]).unwrap();
    sim.advance(100);
    assert_eq!(call(&mut sim, 26390, &["SENTINEL", "get-master-addr-by-name", "nosuch"]), Frame::NullArray);
    assert_eq!(call(&mut sim, 26390, &["SENTINEL", "replicas", "m"]), Frame::Array(vec![]));
    assert_eq!(call(&mut sim, 26390, &["SENTINEL", "SET", "m", "quorum", "2"]), Frame::ok());
    assert_eq!(call(&mut sim, 26390, &["SENTINEL", "FAILOVER", "m"]), Frame::Error("NOGOODSLAVE No suitable replica to promote".into()));
    assert_eq!(call(&mut sim, 26390, &["SENTINEL", "RESET", "*"]), Frame::Integer(1));
    assert_eq!(call(&mut sim, 26390, &["SENTINEL", "REMOVE", "m"]), Frame::ok());
    assert_eq!(call(&mut sim, 26390, &["SENTINEL", "MONITOR", "m", "127.0.0.1", "7390", "1"]), Frame::ok());
    assert_eq!(call(&mut sim, 26390, &["SENTINEL", "MONITOR", "m", "127.0.0.1", "7390", "1"]), Frame::Error("ERR Duplicate master name.".into()));
    assert_eq!(
        call(&mut sim, 26390, &["SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "7390", "0", "*"]),
        Frame::Array(vec![Frame::Integer(0), Frame::bulk("*"), Frame::Integer(0)])
    );
    assert_eq!(call(&mut sim, 26390, &["SENTINEL"]), Frame::Error("ERR wrong number of arguments for 'sentinel' command".into()));
    assert_eq!(call(&mut sim, 26390, &["SENTINEL", "foo"]), Frame::Error("ERR unknown subcommand 'foo'. Try SENTINEL HELP.".into()));
    assert_eq!(
        call(&mut sim, 26390, &["SET", "a", "b"]),
        Frame::Error("ERR unknown command 'SET', with args beginning with: 'a' 'b' ".into())
    );
    sim.advance(200);
    assert_eq!(call(&mut sim, 26390, &["ROLE"]), Frame::Array(vec![Frame::bulk("sentinel"), Frame::Array(vec![Frame::bulk("m")])]));
    let Frame::Array(masters) = call(&mut sim, 26390, &["SENTINEL", "masters"]) else { panic!() };
    let Frame::Array(fields) = &masters[0] else { panic!() };
    assert_eq!(fields[9], Frame::bulk("master,disconnected"));
    assert_eq!(fields[11], Frame::bulk("2"), "CLIENT SETNAME and PING wait on the refused link");
    let info = bulk_text(call(&mut sim, 26390, &["INFO", "server"]));
    assert!(info.contains("redis_mode:sentinel") && info.contains("tcp_port:26390"));
}

#[test]
fn bad_sentinel_conf_is_refused_and_runs_replay() {
    let mut sim = Sim::new(1, START);
    let e = sim.start_sentinel(26379, &["sentinel monitor m 127.0.0.1 6379 0"]).unwrap_err().to_string();
    assert!(e.contains("Quorum must be 1 or greater."), "{e}");
    assert!(!sim.is_sentinel(26379));
    let run = |seed| {
        let mut sim = three_servers(seed, [100, 100]);
        sim.start_sentinel(26379, &FAST).unwrap();
        sim.start_sentinel(26380, &FAST).unwrap();
        sim.advance(4000);
        sim.crash(6379).unwrap();
        sim.advance(10_000);
        sim.trace().to_vec()
    };
    assert_eq!(run(5), run(5));
}

#[test]
fn simulated_failure_and_debug_timings() {
    let mut sim = three_servers(13, [100, 100]);
    sim.start_sentinel(26379, &["sentinel monitor mymaster 127.0.0.1 6379 1", "sentinel down-after-milliseconds mymaster 2000"]).unwrap();
    // SENTINEL DEBUG changes the periods: INFO every 2 s instead of 10.
    assert_eq!(call(&mut sim, 26379, &["SENTINEL", "DEBUG", "info-period", "2000"]), Frame::ok());
    assert_eq!(sim.sentinel(26379).unwrap().timings.info_period, 2000);
    assert_eq!(call(&mut sim, 26379, &["SENTINEL", "SIMULATE-FAILURE", "crash-after-election"]), Frame::ok());
    sim.advance(2000);
    sim.crash(6379).unwrap();
    sim.advance(6000);
    assert!(!sim.sentinel_running(26379), "the Sentinel exits once elected");
    assert!(logged_at(&sim, 26379, "Sentinel CRASH because of SENTINEL simulate-failure").is_some());
    assert!(logged_at(&sim, 26379, "+selected-slave").is_none());
    // Restarted, it reads the epoch it saved and finishes the job itself.
    sim.restart(26379).unwrap();
    sim.advance(40_000);
    let lines = events(&sim, 26379);
    assert!(lines.iter().any(|l| l.starts_with("# +switch-master mymaster 127.0.0.1 6379")), "{lines:?}");
    assert!(lines.iter().any(|l| l == "# +new-epoch 2"), "a new epoch after the one it crashed in: {lines:?}");
}

#[test]
fn sentinel_conf_is_rewritten_as_redis_sentinel_writes_it() {
    let mut sim = three_servers(7, [100, 100]);
    let conf = ["port 26379", "sentinel monitor mymaster 127.0.0.1 6379 2", "sentinel down-after-milliseconds mymaster 2000", "sentinel failover-timeout mymaster 10000"];
    for port in [26379u16, 26380, 26381] {
        let mut lines = conf.to_vec();
        let own = format!("port {port}");
        lines[0] = &own;
        sim.start_sentinel(port, &lines).unwrap();
    }
    sim.advance(5000);
    shutdown(&mut sim, 6379);
    sim.advance(10_000);
    let promoted = match master_addr(&mut sim, 26379) {
        Frame::Array(a) if a[1] == Frame::bulk("6380") => 6380,
        _ => 6381,
    };
    let other = if promoted == 6380 { 6381 } else { 6380 };
    let id = |port: u16| sim.sentinel(port).unwrap().myid.clone();
    // As i1's 26379/sentinel.conf after the failover (pidfile, logfile and
    // dir lines aside): original lines in place, the rest generated.
    let mut expected: Vec<String> = vec![
        "port 26379".into(),
        format!("sentinel monitor mymaster 127.0.0.1 {promoted} 2"),
        "sentinel down-after-milliseconds mymaster 2000".into(),
        "sentinel failover-timeout mymaster 10000".into(),
        "".into(),
        "# Generated by CONFIG REWRITE".into(),
        "protected-mode no".into(),
        "latency-tracking-info-percentiles 50 99 99.9".into(),
        "user default on nopass ~* &* +@all".into(),
        format!("sentinel myid {}", id(26379)),
        "sentinel config-epoch mymaster 1".into(),
        "sentinel leader-epoch mymaster 1".into(),
        "sentinel current-epoch 1".into(),
    ];
    let mut replicas = [6379u16, other];
    replicas.sort_by_key(|p| format!("127.0.0.1:{p}"));
    for p in replicas {
        expected.push("".into());
        expected.push(format!("sentinel known-replica mymaster 127.0.0.1 {p}"));
    }
    let mut others = [(26380u16, id(26380)), (26381, id(26381))];
    others.sort_by(|a, b| a.1.cmp(&b.1));
    for (p, runid) in others {
        expected.push("".into());
        expected.push(format!("sentinel known-sentinel mymaster 127.0.0.1 {p} {runid}"));
    }
    assert_eq!(sim.sentinel_config_lines(26379).unwrap(), expected.as_slice());
    // Read back at a restart, it knows everything it knew.
    sim.crash(26379).unwrap();
    sim.restart(26379).unwrap();
    sim.advance(3000);
    let info = bulk_text(call(&mut sim, 26379, &["INFO", "sentinel"]));
    assert!(info.contains(&format!("master0:name=mymaster,status=ok,address=127.0.0.1:{promoted},slaves=2,sentinels=3")), "{info}");
}

#[test]
fn extreme_settings_do_not_break_a_sentinel() {
    let mut sim = three_servers(17, [100, 100]);
    let huge = i64::MAX.to_string();
    sim.start_sentinel(26379, &["sentinel monitor mymaster 127.0.0.1 6379 1".to_string(), format!("sentinel failover-timeout mymaster {huge}")]).unwrap();
    assert_eq!(call(&mut sim, 26379, &["SENTINEL", "SET", "mymaster", "down-after-milliseconds", &huge]), Frame::ok());
    assert_eq!(call(&mut sim, 26379, &["SENTINEL", "DEBUG", "info-period", &huge, "ping-period", &huge, "ask-period", &huge]), Frame::ok());
    assert_eq!(call(&mut sim, 26379, &["SENTINEL", "SET", "mymaster", "down-after-milliseconds", "1"]), Frame::ok());
    sim.crash(6379).unwrap();
    sim.advance(5000);
    // A myid of 40 bytes that are not 40 ASCII characters is still a myid.
    let odd_id = "é".repeat(20);
    sim.start_sentinel(26380, &["sentinel monitor mymaster 127.0.0.1 6380 1".to_string(), format!("sentinel myid {odd_id}")]).unwrap();
    sim.advance(3000);
    assert!(sim.sentinel_running(26379) && sim.sentinel_running(26380));
}

#[test]
fn the_replica_with_more_of_the_stream_wins_over_a_smaller_run_id() {
    // i4: equal priorities; 6380 missed writes, so 6381 is promoted
    // whichever run id is smaller (several seeds cover both orders).
    let mut smaller_lost = 0;
    for seed in 20..26 {
        let mut sim = three_servers(seed, [100, 100]);
        sim.start_sentinel(26379, &["sentinel monitor mymaster 127.0.0.1 6379 1", "sentinel down-after-milliseconds mymaster 2000"]).unwrap();
        sim.advance(2000);
        sim.cut(6380, 6379);
        for i in 0..20 {
            call(&mut sim, 6379, &["SET", &format!("k{i}"), "v"]);
        }
        sim.advance(1500);
        sim.crash(6379).unwrap();
        sim.advance(8000);
        assert_eq!(master_addr(&mut sim, 26379), addr(6381), "seed {seed}");
        if sim.server(6380).unwrap().run_id < sim.server(6381).unwrap().run_id {
            smaller_lost += 1;
        }
    }
    assert!(smaller_lost > 0, "no seed gave 6380 the smaller run id");
}

#[test]
fn events_are_published_on_the_sentinels_own_channels() {
    use redis_playground::engine::resp::encode_command;
    let mut sim = three_servers(9, [100, 50]);
    sim.start_sentinel(26379, &["sentinel monitor mymaster 127.0.0.1 6379 1", "sentinel down-after-milliseconds mymaster 2000"]).unwrap();
    sim.advance(1000);
    let listener = sim.connect(26379).unwrap();
    let mut bytes = Vec::new();
    encode_command(&["SUBSCRIBE", "+switch-master"], &mut bytes);
    encode_command(&["PSUBSCRIBE", "*down", "*role-change"], &mut bytes);
    sim.send(listener, &bytes);
    sim.take_inbox(listener);
    sim.crash(6379).unwrap();
    sim.advance(8000);
    let mut inbox = sim.take_inbox(listener);
    let mut messages = Vec::new();
    while let Ok(Some((frame, used))) = redis_playground::engine::resp::parse_frame(&inbox) {
        inbox.drain(..used);
        messages.push(frame);
    }
    let bulk = |s: &str| Frame::bulk(s);
    assert!(messages.contains(&Frame::Array(vec![bulk("pmessage"), bulk("*down"), bulk("+sdown"), bulk("master mymaster 127.0.0.1 6379")])), "{messages:?}");
    assert!(messages.contains(&Frame::Array(vec![bulk("pmessage"), bulk("*down"), bulk("+odown"), bulk("master mymaster 127.0.0.1 6379 #quorum 1/1")])));
    assert!(messages.contains(&Frame::Array(vec![bulk("message"), bulk("+switch-master"), bulk("mymaster 127.0.0.1 6379 127.0.0.1 6381")])));
    // A verbose event is published though not logged: the promoted replica reports its new role.
    assert!(logged_at(&sim, 26379, "role-change").is_none());
    assert!(messages.contains(&Frame::Array(vec![
        bulk("pmessage"),
        bulk("*role-change"),
        bulk("-role-change"),
        bulk("slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379 new reported role is master"),
    ])), "{messages:?}");
    // A subscribed client may only (un)subscribe and PING.
    let mut bytes = Vec::new();
    encode_command(&["SENTINEL", "masters"], &mut bytes);
    sim.send(listener, &bytes);
    let reply = redis_playground::engine::resp::parse_frame(&sim.take_inbox(listener)).unwrap().unwrap().0;
    assert!(matches!(reply, Frame::Error(e) if e.starts_with("ERR Can't execute 'sentinel'")));
}

#[test]
fn no_input_makes_a_sentinel_panic() {
    let mut sim = Sim::new(3, START);
    sim.start_server(6379, &[] as &[&str]).unwrap();
    sim.start_sentinel(26379, &["sentinel monitor m 127.0.0.1 6379 1"]).unwrap();
    sim.advance(500);
    let words = ["m", "nosuch", "*", "127.0.0.1", "6379", "-1", "0", "99999999999999999999", "", "é", "quorum", "down-after-milliseconds",
        "help", "get", "set", "crash-after-promotion", "info-period", "abc", "1"];
    let subcommands = ["masters", "master", "replicas", "slaves", "sentinels", "myid", "is-master-down-by-addr", "reset",
        "get-master-addr-by-name", "failover", "pending-scripts", "monitor", "flushconfig", "remove", "ckquorum", "set", "config",
        "info-cache", "simulate-failure", "debug", "help", "nonsense"];
    let mut rng = redis_playground::engine::rng::Rng::new(99);
    for i in 0..3000 {
        let mut args = vec!["SENTINEL".to_string(), subcommands[rng.below(subcommands.len())].to_string()];
        for _ in 0..rng.below(6) {
            args.push(words[rng.below(words.len())].to_string());
        }
        if i % 7 == 0 {
            args = vec![["PING", "ROLE", "INFO", "CLIENT", "HELLO", "COMMAND", "PUBLISH", "AUTH"][rng.below(8)].to_string()];
            for _ in 0..rng.below(4) {
                args.push(words[rng.below(words.len())].to_string());
            }
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        // Skip the ones that would end the process: they are tested apart.
        if refs.iter().any(|a| a.eq_ignore_ascii_case("crash-after-promotion")) {
            continue;
        }
        let _ = call(&mut sim, 26379, &refs);
        if i % 100 == 0 {
            sim.advance(300);
        }
    }
    assert!(sim.sentinel_running(26379));
}

#[test]
fn a_partitioned_master_loses_the_writes_it_took_alone() {
    // Redis's own caution about Sentinel: a master cut off from its
    // replicas and the Sentinels keeps taking writes until the partition
    // heals; then it is turned into a replica of the new master and those
    // writes are gone.
    let mut sim = three_servers(7, [100, 100]);
    for port in [26379u16, 26380, 26381] {
        let own = format!("port {port}");
        sim.start_sentinel(port, &[own.as_str(), FAST[0], FAST[1], FAST[2]]).unwrap();
    }
    sim.advance(5000);
    for other in [6380u16, 6381, 26379, 26380, 26381] {
        sim.cut(6379, other);
    }
    // A client on the old master's side of the partition.
    assert_eq!(call(&mut sim, 6379, &["SET", "during", "partition"]), Frame::ok());
    sim.advance(15_000);
    let promoted = match master_addr(&mut sim, 26379) {
        Frame::Array(a) if a[1] == Frame::bulk("6380") => 6380,
        Frame::Array(a) if a[1] == Frame::bulk("6381") => 6381,
        other => panic!("no failover: {other:?}"),
    };
    assert_eq!(call(&mut sim, promoted, &["SET", "after", "failover"]), Frame::ok());
    // The old master still believes it is one.
    assert!(bulk_text(call(&mut sim, 6379, &["INFO", "replication"])).contains("role:master"));
    for other in [6380u16, 6381, 26379, 26380, 26381] {
        sim.heal(6379, other);
    }
    sim.advance(30_000);
    let info = bulk_text(call(&mut sim, 6379, &["INFO", "replication"]));
    assert!(info.contains("role:slave") && info.contains(&format!("master_port:{promoted}")), "{info}");
    assert_eq!(call(&mut sim, 6379, &["GET", "after"]), Frame::bulk("failover"));
    assert_eq!(call(&mut sim, 6379, &["GET", "during"]), Frame::Null, "the write it took alone is lost");
}
