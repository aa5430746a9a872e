//! The bridge (src/bin/bridge) on real sockets: bad bytes get what real
//! Redis 7.0.15 gives them (tests/fixtures/bridge/protocol.tsv, recorded
//! by scripts/record-protocol.py), and bad clients (hundreds of
//! connections, clients that hang up mid-command or never read their
//! replies) neither stop the bridge nor hold up anyone else.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Bridge {
    child: Child,
    control: u16,
    scenario: PathBuf,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.scenario);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A bridge running `scenario`, once it says it is ready.
fn start(scenario: &str) -> Bridge {
    let path = std::env::temp_dir().join(format!("bridge-test-{}-{}.scn", std::process::id(), free_port()));
    std::fs::write(&path, scenario).unwrap();
    let control = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bridge"))
        .arg(&path)
        .args(["--control", &control.to_string(), "--quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut said = Vec::new();
    loop {
        match lines.next() {
            Some(Ok(line)) if line == "bridge: ready" => break,
            Some(Ok(line)) => said.push(line),
            _ => panic!("the bridge did not start: {said:?}"),
        }
    }
    // Keep reading what it prints, so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Bridge { child, control, scenario: path }
}

impl Bridge {
    fn control(&self, line: &str) -> Vec<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.control)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream.write_all(format!("{line}\n").as_bytes()).unwrap();
        let mut answer = Vec::new();
        for line in BufReader::new(stream).lines() {
            let line = line.unwrap();
            let last = line == "ok" || line.starts_with("error: ");
            answer.push(line);
            if last {
                break;
            }
        }
        answer
    }

    fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap()
    }
}

/// Sends `payload` on a fresh connection; what comes back within half a
/// second, and whether the node closed the connection.
fn exchange(port: u16, payload: &[u8]) -> (Vec<u8>, bool) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(payload).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (reply, true),
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return (reply, true),
            Err(_) => return (reply, false),
        }
    }
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap()).collect()
}

/// `HEX` or `HEX*N` pieces, separated by spaces.
fn payload(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in text.split(' ') {
        let (hex, count) = piece.split_once('*').map_or((piece, 1), |(h, n)| (h, n.parse().unwrap()));
        let bytes = unhex(hex);
        for _ in 0..count {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

/// One request, one reply (a connection of the test's own).
fn request(stream: &mut TcpStream, command: &[&str]) -> Vec<u8> {
    let mut bytes = format!("*{}\r\n", command.len()).into_bytes();
    for arg in command {
        bytes.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
    stream.write_all(&bytes).unwrap();
    read_reply(stream)
}

/// Reads until one whole RESP2 reply (no nested arrays needed here) has come.
fn read_reply(stream: &mut TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        if complete(&reply) {
            return reply;
        }
        let n = stream.read(&mut buf).expect("a reply");
        assert!(n > 0, "the connection closed after {:?}", String::from_utf8_lossy(&reply));
        reply.extend_from_slice(&buf[..n]);
    }
}

fn complete(reply: &[u8]) -> bool {
    let Some(end) = reply.windows(2).position(|w| w == b"\r\n") else { return false };
    match reply[0] {
        b'$' => {
            let len: i64 = std::str::from_utf8(&reply[1..end]).unwrap().parse().unwrap();
            len < 0 || reply.len() >= end + 2 + len as usize + 2
        }
        _ => true,
    }
}

fn info_field(stream: &mut TcpStream, section: &str, field: &str) -> i64 {
    let reply = request(stream, &["INFO", section]);
    let text = String::from_utf8_lossy(&reply);
    let prefix = format!("{field}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| v.trim().parse().ok()).unwrap_or_else(|| panic!("no {field} in {text}"))
}

#[test]
fn bad_bytes_get_what_real_redis_gives_them() {
    let port = free_port();
    let _bridge = start(&format!("server {port}\n"));
    let golden = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bridge/protocol.tsv")).unwrap();
    let mut differ = Vec::new();
    for row in golden.lines() {
        let [name, sent, reply, verdict] = row.split('\t').collect::<Vec<_>>()[..] else { panic!("bad row {row}") };
        let (got, closed) = exchange(port, &payload(sent));
        let expected = (unhex(reply), verdict == "closed");
        if (got.clone(), closed) != expected {
            differ.push(format!(
                "{name}: real Redis {:?} ({verdict}), the bridge {:?} ({})",
                String::from_utf8_lossy(&expected.0),
                String::from_utf8_lossy(&got),
                if closed { "closed" } else { "open" }
            ));
        }
    }
    assert!(differ.is_empty(), "{} of {} payloads differ:\n{}", differ.len(), golden.lines().count(), differ.join("\n"));
}

#[test]
fn bad_clients_neither_stop_the_bridge_nor_hold_up_others() {
    let (master, replica) = (free_port(), free_port());
    let bridge = start(&format!("server {master}\nserver {replica} replicaof 127.0.0.1 {master}\nwaitsync {replica}\n"));
    let mut probe = TcpStream::connect(("127.0.0.1", master)).unwrap();
    let big = "x".repeat(10 << 10);
    assert_eq!(request(&mut probe, &["SET", "big", &big]), b"+OK\r\n");

    // 200 connections on each node at once, every one served.
    let mut crowd = Vec::new();
    for port in [master, replica] {
        for _ in 0..200 {
            crowd.push(TcpStream::connect(("127.0.0.1", port)).unwrap());
        }
    }
    for stream in &mut crowd {
        stream.write_all(b"PING\r\n").unwrap();
    }
    for stream in &mut crowd {
        assert_eq!(read_reply(stream), b"+PONG\r\n");
    }
    assert!(info_field(&mut probe, "clients", "connected_clients") >= 201);

    // Clients that hang up in the middle of a command.
    for i in 0..100 {
        let mut s = TcpStream::connect(("127.0.0.1", if i % 2 == 0 { master } else { replica })).unwrap();
        s.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nhalf").unwrap();
    }

    // A client that pipelines reads of a 10 KB value and never reads a reply.
    let mut hog = TcpStream::connect(("127.0.0.1", master)).unwrap();
    hog.set_write_timeout(Some(Duration::from_millis(200))).unwrap();
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_secs(3) && sent < 100_000 {
        if hog.write_all(b"GET big\r\n").is_err() {
            break;
        }
        sent += 1;
    }
    assert!(sent > 0);

    // Garbage on another connection.
    let _ = exchange(master, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not RESP at all");

    // Everyone else is still served, by both nodes, and the bridge stays small.
    assert_eq!(request(&mut probe, &["SET", "after", "1"]), b"+OK\r\n");
    let mut on_replica = TcpStream::connect(("127.0.0.1", replica)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while request(&mut on_replica, &["GET", "after"]) != b"$1\r\n1\r\n" {
        assert!(Instant::now() < deadline, "the replica never got the write");
        std::thread::sleep(Duration::from_millis(20));
    }
    let rss_mb = bridge.rss_kb() / 1024;
    eprintln!("the bridge holds {rss_mb} MB after the bad clients");
    assert!(rss_mb < 200, "the bridge grew to {rss_mb} MB");
    assert_eq!(bridge.control("nodes").last().map(String::as_str), Some("ok"));

    // Once they all hang up, the nodes let go of them.
    drop(crowd);
    drop(hog);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let clients = info_field(&mut probe, "clients", "connected_clients");
        if clients <= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "{clients} clients still connected");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_crashed_node_refuses_and_a_restarted_one_listens_again() {
    let port = free_port();
    let bridge = start(&format!("server {port}\n"));
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert_eq!(request(&mut client, &["SET", "k", "v"]), b"+OK\r\n");
    assert_eq!(bridge.control(&format!("crash {port}")), [format!("# crash {port}"), "ok".to_string()]);
    // Its clients see the connection end, new ones are refused.
    let mut buf = [0u8; 16];
    client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(matches!(client.read(&mut buf), Ok(0) | Err(_)));
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "the crashed node's port still accepts");
        std::thread::sleep(Duration::from_millis(20));
    }
    bridge.control(&format!("restart {port}"));
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // Nothing was saved before the crash.
    assert_eq!(request(&mut client, &["GET", "k"]), b"$-1\r\n");
    assert_eq!(bridge.control("nonsense 1")[0].split(':').next(), Some("error"));
}

/// Whether a client named `name` is still on the node's CLIENT LIST.
fn listed(probe: &mut TcpStream, name: &str) -> bool {
    let list = request(probe, &["CLIENT", "LIST"]);
    String::from_utf8_lossy(&list).contains(&format!(" name={name} "))
}

fn wait_gone(probe: &mut TcpStream, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while listed(probe, name) {
        assert!(Instant::now() < deadline, "{name} is still connected");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn clients_that_do_not_read_meet_the_output_buffer_limits() {
    let port = free_port();
    let _bridge = start(&format!("server {port}\n"));
    let mut probe = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let value = "v".repeat(1 << 20);

    // A subscriber that never reads: the pubsub class's 32 MB hard limit.
    let mut subscriber = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert_eq!(request(&mut subscriber, &["CLIENT", "SETNAME", "deaf-subscriber"]), b"+OK\r\n");
    subscriber.write_all(b"SUBSCRIBE news\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..64 {
        request(&mut probe, &["PUBLISH", "news", &value]);
        if !listed(&mut probe, "deaf-subscriber") {
            break;
        }
    }
    wait_gone(&mut probe, "deaf-subscriber");

    // Normal clients have no limit by default; with one set, a client that
    // pipelines reads of a 1 MB value without reading is closed too.
    assert_eq!(request(&mut probe, &["CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 0 0"]), b"+OK\r\n");
    assert_eq!(request(&mut probe, &["SET", "big", &value]), b"+OK\r\n");
    let mut hog = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert_eq!(request(&mut hog, &["CLIENT", "SETNAME", "hog"]), b"+OK\r\n");
    hog.set_write_timeout(Some(Duration::from_millis(500))).unwrap();
    for _ in 0..200 {
        if hog.write_all(b"GET big\r\n").is_err() {
            break;
        }
    }
    wait_gone(&mut probe, "hog");
    assert_eq!(request(&mut probe, &["PING"]), b"+PONG\r\n");
}
