//! MONITOR, held to what a real redis-server 7.0.15 printed to a
//! `redis-cli MONITOR` for the same commands (recorded by hand: a scenario
//! has one session per port, so another client's commands cannot be
//! watched there): a line per command once it ran, in the db it left,
//! arguments quoted as redis-cli quotes them; nothing for unknown commands,
//! arity errors or administrative commands; the master's stream on a
//! replica as coming from the master.

use redis_playground::engine::resp::{encode_command, parse_frame, Frame};
use redis_playground::session::console::Console;
use redis_playground::sim::{ClientHandle, Sim};

fn send(sim: &mut Sim, h: ClientHandle, args: &[&str]) {
    let mut bytes = Vec::new();
    encode_command(args, &mut bytes);
    sim.send(h, &bytes);
}

fn frames(sim: &mut Sim, h: ClientHandle) -> Vec<Frame> {
    let mut inbox = sim.take_inbox(h);
    let mut out = Vec::new();
    while let Ok(Some((frame, used))) = parse_frame(&inbox) {
        inbox.drain(..used);
        out.push(frame);
    }
    out
}

/// The line without its time and the client's port, which differ per run.
fn masked(frame: &Frame) -> String {
    let Frame::Simple(line) = frame else { panic!("not a status line: {frame:?}") };
    let (time, rest) = line.split_once(' ').unwrap();
    let (secs, micros) = time.split_once('.').unwrap();
    assert!(secs.bytes().all(|b| b.is_ascii_digit()) && micros.len() == 6);
    let (client, args) = rest.split_once("] ").unwrap();
    let (db, addr) = client.trim_start_matches('[').split_once(' ').unwrap();
    assert!(addr.starts_with("127.0.0.1:"));
    format!("[{db}] {args}")
}

#[test]
fn monitor_lines_match_redis() {
    let mut sim = Sim::new(1, 1_795_656_236_000);
    sim.start_server(6379, &[] as &[&str]).unwrap();
    sim.start_server(6380, &["replicaof 127.0.0.1 6379"]).unwrap();
    sim.advance(6000);
    let watcher = sim.connect(6379).unwrap();
    send(&mut sim, watcher, &["MONITOR"]);
    let replica_watcher = sim.connect(6380).unwrap();
    send(&mut sim, replica_watcher, &["MONITOR"]);
    assert_eq!(frames(&mut sim, watcher), [Frame::ok()]);
    assert_eq!(frames(&mut sim, replica_watcher), [Frame::ok()]);
    let c = sim.connect(6379).unwrap();
    for args in [
        &["SET", "k", "v 1"][..],
        &["SELECT", "1"],
        &["SET", "x", "1"],
        &["MULTI"],
        &["INCR", "x"],
        &["GET", "x"],
        &["EXEC"],
        &["GET", "nosuch"],
        &["LPUSH", "x", "a"],
        &["NOSUCHCMD"],
        &["GET"],
        &["CONFIG", "GET", "hz"],
        &["SET", "a\nb", "\u{0}\u{7f}"],
        &["SET", "12345", "67"],
        &["PUBLISH", "ch", "m"],
    ] {
        send(&mut sim, c, args);
    }
    let lines: Vec<String> = frames(&mut sim, watcher).iter().map(masked).collect();
    assert_eq!(
        lines,
        [
            r#"[0] "SET" "k" "v 1""#,
            r#"[1] "SELECT" "1""#,
            r#"[1] "SET" "x" "1""#,
            r#"[1] "MULTI""#,
            r#"[1] "INCR" "x""#,
            r#"[1] "GET" "x""#,
            r#"[1] "EXEC""#,
            r#"[1] "GET" "nosuch""#,
            r#"[1] "LPUSH" "x" "a""#,
            r#"[1] "SET" "a\nb" "\x00\x7f""#,
            r#"[1] "SET" "12345" "67""#,
            r#"[1] "PUBLISH" "ch" "m""#,
        ]
    );
    sim.advance(1000);
    // On the replica, the master's stream shows as coming from the master
    // (a real replica showed `[0 127.0.0.1:7555] "SELECT" "0"` and the writes).
    let Frame::Simple(first) = &frames(&mut sim, replica_watcher)[0] else { panic!() };
    assert!(first.ends_with(r#" [0 127.0.0.1:6379] "SELECT" "0""#), "{first}");
    // A second MONITOR is ignored without a reply; CLIENT LIST flags the client O.
    send(&mut sim, watcher, &["MONITOR"]);
    assert_eq!(frames(&mut sim, watcher), Vec::<Frame>::new());
    send(&mut sim, c, &["CLIENT", "LIST"]);
    let Some(Frame::Bulk(list)) = frames(&mut sim, c).pop() else { panic!() };
    assert!(String::from_utf8_lossy(&list).lines().any(|l| l.contains(" flags=O ")));
    // Inside a transaction MONITOR is refused.
    send(&mut sim, c, &["MULTI"]);
    send(&mut sim, c, &["MONITOR"]);
    send(&mut sim, c, &["EXEC"]);
    let replies = frames(&mut sim, c);
    assert_eq!(replies.last(), Some(&Frame::Array(vec![Frame::Error("ERR MONITOR isn't allowed for DENY BLOCKING client".into())])));
}

#[test]
fn a_console_in_monitor_mode_prints_each_line_until_interrupted() {
    let mut sim = Sim::new(1, 1_795_656_236_000);
    sim.start_server(6379, &[] as &[&str]).unwrap();
    let mut watcher = Console::open(&mut sim, 6379);
    let exchange = watcher.run(&mut sim, "MONITOR");
    assert_eq!(exchange.prompt_line, "127.0.0.1:6379> MONITOR");
    assert_eq!(exchange.output, ["OK"]);
    assert!(watcher.is_reading_messages());
    let c = sim.connect(6379).unwrap();
    send(&mut sim, c, &["SET", "k", "v"]);
    let printed = watcher.poll(&mut sim).unwrap();
    assert_eq!(printed.len(), 1);
    assert!(printed[0].ends_with(r#"] "SET" "k" "v""#), "{printed:?}");
    watcher.interrupt(&mut sim);
    assert!(!watcher.is_reading_messages());
    assert_eq!(watcher.run(&mut sim, "PING").output, ["PONG"]);
}
