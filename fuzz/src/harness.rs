//! What each fuzz target does with the fuzzer's bytes, apart from AFL so
//! that tests/fuzz_regressions.rs replays every crash found through the
//! same code (it includes this file by path). Also how the bytes become a
//! schedule of (connection, time step, chunk) deliveries.

use redis_playground::app::address;
use redis_playground::app::playground::Playground;
use redis_playground::engine::config::Config;
use redis_playground::engine::disk::base64_decode;
use redis_playground::engine::node::{Conn, Dialled, Node, Output};
use redis_playground::engine::params::Settings;
use redis_playground::engine::rdb::{decode, decode_dump};
use redis_playground::engine::resp::encode_command;
use redis_playground::engine::sentinel::Sentinel;
use redis_playground::engine::server::Server;
use redis_playground::engine::splitargs::split_args;
use redis_playground::engine::value::Limits;
use redis_playground::scenario::{parse, Item};
use redis_playground::session::{Options, Session, Step};
use redis_playground::engine::time::Millis;

/// One delivery read off the fuzzer's input: which connection, how far
/// virtual time moves first, and the bytes.
pub struct Delivery<'a> {
    pub lane: u8,
    pub advance: Millis,
    pub bytes: &'a [u8],
}

/// Cuts the input into deliveries: a control byte (low bit: lane; next
/// three bits: a time step from none to three seconds), a length byte, then
/// that many bytes (or what is left). Short inputs are one delivery.
pub fn deliveries(mut data: &[u8]) -> Vec<Delivery<'_>> {
    const STEPS: [Millis; 8] = [0, 1, 10, 100, 200, 500, 1_000, 3_000];
    let mut out = Vec::new();
    while data.len() >= 2 {
        let (control, len) = (data[0], data[1] as usize);
        let rest = &data[2..];
        let take = len.min(rest.len());
        out.push(Delivery { lane: control & 1, advance: STEPS[((control >> 1) & 7) as usize], bytes: &rest[..take] });
        data = &rest[take..];
    }
    if !data.is_empty() {
        out.push(Delivery { lane: 0, advance: 0, bytes: data });
    }
    out
}

/// Runs the node's timers up to `now` (bounded: a node that keeps asking
/// for the same instant is a hang the fuzzer should see as one).
pub fn run_timers(node: &mut impl Node, now: Millis) {
    for _ in 0..10_000 {
        match node.poll_timeout() {
            Some(at) if at <= now => node.handle_timeout(at.max(0)),
            _ => return,
        }
        drain(node);
    }
}

/// Everything the node wants done; returns whether it stopped.
pub fn drain(node: &mut impl Node) -> bool {
    let mut stopped = false;
    while let Some(output) = node.poll_output() {
        if output == Output::Stopped {
            stopped = true;
        }
    }
    stopped
}

/// The memory a fuzzed server may fill: small, so that one input cannot
/// spend the fuzzer's time building a huge dataset (the guard's refusal is
/// itself under test).
pub const FUZZ_MEMORY_GUARD: u64 = 8 * 1024 * 1024;

/// A RESTORE payload around `body` with a version and a correct CRC64, so
/// that the fuzzer reaches the value decoder instead of the checksum.
pub fn dump_payload_around(body: &[u8], version: u16) -> Vec<u8> {
    let mut payload = body.to_vec();
    payload.extend_from_slice(&version.to_le_bytes());
    let crc = redis_playground::engine::rdb::crc64::crc64(&payload);
    payload.extend_from_slice(&crc.to_le_bytes());
    payload
}

/// RESP bytes from two clients into a server, with virtual time moving
/// between deliveries: any command, in any state (MULTI, pub/sub, blocked,
/// a client turned replica by SYNC/PSYNC).
pub fn server_resp(data: &[u8]) {
    let config = Config::parse(&["port 6379", "save \"\""]).expect("fixed config");
    let mut server = Server::new(6379, config, "f".repeat(40), 7, 1_000_000);
    server.set_memory_guard(Some(FUZZ_MEMORY_GUARD));
    let mut now = 1_000_000;
    let clients = [server.accept(now), server.accept(now)];
    for delivery in deliveries(data) {
        now += delivery.advance;
        run_timers(&mut server, now);
        server.handle_input(Conn::Client(clients[delivery.lane as usize]), delivery.bytes, now);
        if drain(&mut server) {
            return;
        }
    }
    run_timers(&mut server, now + 1_000);
}

/// Bytes arriving on a replica's link from whatever answers as its master:
/// handshake replies, a snapshot (RDB, or a diskless EOF-marked one), the
/// command stream, in any order, with time moving (timeouts, retries).
/// Lane 1 is a client of the replica reading INFO and ROLE meanwhile.
pub fn replica_link(data: &[u8]) {
    let config = Config::parse(&["port 6380", "replicaof 127.0.0.1 6379", "save \"\""]).expect("fixed config");
    let mut replica = Server::new(6380, config, "r".repeat(40), 3, 1_000_000);
    replica.set_memory_guard(Some(FUZZ_MEMORY_GUARD));
    let mut now = 1_000_000;
    let client = replica.accept(now);
    let mut dial = None;
    for delivery in deliveries(data) {
        now += delivery.advance;
        for _ in 0..100 {
            match replica.poll_timeout() {
                Some(at) if at <= now => replica.handle_timeout(at),
                _ => break,
            }
            // The replica dials its master: the fuzzer's bytes answer.
            while let Some(output) = replica.poll_output() {
                if let Output::Dial { dial: id, .. } = output {
                    dial = Some(id);
                    replica.handle_dialled(id, Dialled::Connected, now);
                }
            }
        }
        match (delivery.lane, dial) {
            (0, Some(id)) => replica.handle_input(Conn::Dial(id), delivery.bytes, now),
            _ => replica.handle_input(Conn::Client(client), b"INFO replication\r\nROLE\r\nDBSIZE\r\n", now),
        }
        if delivery.bytes.first() == Some(&0xff) {
            if let Some(id) = dial.take() {
                replica.handle_closed(Conn::Dial(id), now);
            }
        }
        if drain(&mut replica) {
            return;
        }
    }
    run_timers(&mut replica, now + 1_000);
}

/// Lines typed into a redis-cli console on the page: the splitter (quotes,
/// escapes), the console's own handling (blocking commands, MONITOR,
/// SUBSCRIBE, interrupts) and the formatting of every reply.
pub fn cli_console(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut session = Session::new(1, 1_000_000, Options { notice_closes: true, trace_limit: Some(200), memory_guard: Some(FUZZ_MEMORY_GUARD) });
    let _ = session.apply(Step::Server { port: 6379, config: vec!["save \"\"".into()] });
    let _ = session.apply(Step::Connect { port: 6379 });
    for line in text.lines().take(64) {
        let _ = split_args(line.as_bytes());
        let step = match line.strip_prefix('^') {
            // `^` alone: Ctrl-C in the console; `^N`: time passes.
            Some("") => Step::Interrupt { port: 6379 },
            Some(ms) => Step::Sleep { ms: ms.parse::<i64>().unwrap_or(0).clamp(0, 60_000) },
            None => Step::Command { port: 6379, line: line.to_string() },
        };
        let _ = session.apply(step);
        let _ = session.take_printed(6379);
    }
}

/// Config files and CONFIG SET: a redis.conf read at start, a
/// sentinel.conf, and each line again as `CONFIG SET name value` on a
/// running server (then CONFIG REWRITE, which writes them back).
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.lines().take(64).collect();
    if let Ok(config) = Config::parse(&lines) {
        let _ = Settings::from_config(&config);
        let _ = config.to_lines();
    }
    let _ = Sentinel::start(26379, &lines, 5, 1_000_000);
    let mut server = Server::new(6379, Config::default(), "c".repeat(40), 5, 1_000_000);
    let client = server.connect();
    let mut request = Vec::new();
    for line in &lines {
        let Ok(words) = split_args(line.as_bytes()) else { continue };
        let mut args = vec![b"CONFIG".to_vec(), b"SET".to_vec()];
        args.extend(words);
        encode_command(&args, &mut request);
    }
    encode_command(&[b"CONFIG".to_vec(), b"REWRITE".to_vec()], &mut request);
    for line in &lines {
        if let Some(name) = line.split_whitespace().next() {
            encode_command(&[b"CONFIG".to_vec(), b"GET".to_vec(), name.as_bytes().to_vec()], &mut request);
        }
    }
    let _ = server.receive(client, &request, 1_000_000);
}

/// Scenario text as it comes from a URL, an embedding page or a file: the
/// parser, and each step's own text form read back.
pub fn scenario(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(lines) = parse(&text) {
        // What parses prints back to text that parses to the same steps.
        for line in &lines {
            if let Item::Step(step) | Item::Solve(step) = &line.item {
                let again = redis_playground::session::step::parse(&step.to_string());
                assert_eq!(again.as_ref(), Ok(step), "{step}");
            }
        }
    }
    for line in text.lines().take(256) {
        let _ = redis_playground::session::step::parse(line);
    }
}

/// RDB bytes: a whole file as a server loads it at start (and as a
/// replica loads its master's snapshot), and a RESTORE payload (given a
/// correct checksum, so that the value decoder is what is tried).
pub fn rdb(data: &[u8]) {
    let limits = Limits::default();
    if let Ok(file) = decode(data, &limits) {
        let _ = file.into_keyspace(16, 1_000_000);
    }
    let _ = decode_dump(&dump_payload_around(data, 10), &limits);
    let _ = decode_dump(data, &limits);
}

/// What the page reads from outside: its address (query and fragment, an
/// inline scenario), and the saved state in the browser's storage, which
/// another tab, an older version or a full disk may have left damaged.
pub fn address_state(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (query, fragment) = text.split_once('#').unwrap_or((&text, ""));
    let _ = address::parse(query, fragment);
    let _ = address::is_fetchable_url(query);
    let _ = base64_decode(fragment);
    let _ = Playground::import_state(1, 1_000_000, &text);
}

/// A Lua script: the bytes as an EVAL body (KEYS and ARGV given), then
/// as a function library through FUNCTION LOAD and FCALL, on a server
/// whose replies the script's redis.call gets.
pub fn lua_script(data: &[u8]) {
    let mut server = Server::new(6379, Config::default(), "c".repeat(40), 5, 1_000_000);
    let client = server.connect();
    let mut request = Vec::new();
    encode_command(&[&b"EVAL"[..], data, b"2", b"k1", b"k2", b"a1", b"1.5"], &mut request);
    let mut library = b"#!lua name=fuzz\n".to_vec();
    library.extend_from_slice(data);
    encode_command(&[&b"FUNCTION"[..], b"LOAD", &library], &mut request);
    encode_command(&[&b"FCALL"[..], b"f", b"1", b"k1", b"a1"], &mut request);
    let _ = server.receive(client, &request, 1_000_000);
}
