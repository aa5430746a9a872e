//! Random command sequences leave the engine with the same dataset as real
//! Redis 7.0.15: after every batch, DEBUG DIGEST must be equal on both.
//! Runs where `redis-server` is installed (scripts/test.sh installs it);
//! elsewhere it says so and passes without checking.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redis_playground::engine::commands::{is_implemented, table};
use redis_playground::engine::config::Config;
use redis_playground::engine::resp::{encode_command, parse_frame, Frame};
use redis_playground::engine::rng::Rng;
use redis_playground::engine::server::Server;

/// Commands left out: random effects (SPOP), DEBUG itself, the blocking
/// pops and WAIT (which would wait for a push or a replica that never comes) and the pub/sub
/// subscriptions (one reply per channel, and they change what the
/// connection may do), and QUIT / CLIENT KILL / SHUTDOWN (they end the
/// connection, or the server), and the replication commands (they make the
/// server a replica, or the connection one), and MONITOR (its lines would
/// come between the replies).
const SKIP: &[&str] = &[
    "spop", "debug", "blpop", "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax", "bzmpop", "subscribe",
    "psubscribe", "unsubscribe", "punsubscribe", "quit", "client", "shutdown", "replicaof", "slaveof", "psync",
    "sync", "replconf", "wait", "monitor", "ssubscribe", "sunsubscribe",
];
const EXPIRY: &[&str] = &["expire", "pexpire", "expireat", "pexpireat", "setex", "psetex", "getex", "set"];

const WORDS: &[&str] = &[
    "k", "k", "k2", "list", "h", "s", "z", "0", "1", "2", "3", "-1", "-2", "10", "100000", "9223372036854775807",
    "1.5", "-inf", "+inf", "(1", "[a", "(b", "-", "+", "a", "b", "c", "a*", "", "NX", "XX", "GT", "LT", "CH", "INCR",
    "EX", "KEEPTTL", "GET", "PERSIST", "LIMIT", "WITHSCORES", "BYSCORE", "BYLEX", "REV", "COUNT", "RANK", "LEFT",
    "RIGHT", "MIN", "MAX", "BEFORE", "AFTER", "WEIGHTS", "AGGREGATE", "SUM", "REPLACE", "DB", "MATCH",
];

struct RealRedis {
    child: Child,
    stream: TcpStream,
    buffer: Vec<u8>,
    _dir: std::path::PathBuf,
}

impl RealRedis {
    fn start() -> Option<RealRedis> {
        let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let dir = std::env::temp_dir().join(format!("digest-vs-redis-{port}"));
        std::fs::create_dir_all(&dir).ok()?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "yes", "--dir"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                break s;
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        Some(RealRedis { child, stream, buffer: Vec::new(), _dir: dir })
    }

    fn call(&mut self, args: &[Vec<u8>]) -> Frame {
        let mut bytes = Vec::new();
        encode_command(args, &mut bytes);
        self.stream.write_all(&bytes).expect("write to redis-server");
        loop {
            if let Ok(Some((frame, used))) = parse_frame(&self.buffer) {
                self.buffer.drain(..used);
                return frame;
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("read from redis-server");
            assert!(n > 0, "redis-server closed the connection");
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn engine_call(server: &mut Server, client: u64, args: &[Vec<u8>], now: i64) -> Frame {
    let mut bytes = Vec::new();
    encode_command(args, &mut bytes);
    let out = server.receive(client, &bytes, now);
    parse_frame(&out.reply).ok().flatten().map(|(f, _)| f).expect("the engine answers every command")
}

fn random_command(rng: &mut Rng, names: &[String]) -> Vec<Vec<u8>> {
    let name = &names[rng.below(names.len())];
    let mut args: Vec<Vec<u8>> = name.split('|').map(|p| p.as_bytes().to_vec()).collect();
    for _ in 0..rng.below(7) {
        args.push(WORDS[rng.below(WORDS.len())].as_bytes().to_vec());
    }
    // Keep expiry times far away: the two servers' clocks are not the same.
    if EXPIRY.contains(&name.as_str()) {
        for a in args.iter_mut().skip(2) {
            if matches!(a.as_slice(), b"1" | b"2" | b"3" | b"10") {
                *a = b"100000".to_vec();
            }
        }
    }
    args
}

#[test]
fn engine_digest_equals_real_redis_digest() {
    let Some(mut real) = RealRedis::start() else {
        eprintln!("redis-server is not installed here: the comparison with real Redis was skipped");
        return;
    };
    let mut names: Vec<String> = Vec::new();
    for info in table::table().commands.values() {
        for c in std::iter::once(info).chain(info.subcommands.values()) {
            let base = c.name.split('|').next().unwrap_or_default();
            if is_implemented(&c.name) && !SKIP.contains(&base) {
                names.push(c.name.clone());
            }
        }
    }
    let config = Config::parse(&["enable-debug-command yes"]).unwrap();
    let digest = vec![b"DEBUG".to_vec(), b"DIGEST".to_vec()];
    let (mut checked, mut non_empty) = (0, 0);
    for seed in 0..30u64 {
        let mut rng = Rng::new(seed);
        let mut engine = Server::new(6379, config.clone(), "e".repeat(40), seed, 1_767_225_600_000);
        let client = engine.connect();
        real.call(&[b"FLUSHALL".to_vec()]);
        real.call(&[b"CONFIG".to_vec(), b"SET".to_vec(), b"hash-max-listpack-entries".to_vec(), b"512".to_vec()]);
        real.call(&[b"CONFIG".to_vec(), b"SET".to_vec(), b"zset-max-listpack-entries".to_vec(), b"128".to_vec()]);
        real.call(&[b"CONFIG".to_vec(), b"SET".to_vec(), b"set-max-intset-entries".to_vec(), b"512".to_vec()]);
        real.call(&[b"DISCARD".to_vec()]);
        real.call(&[b"UNWATCH".to_vec()]);
        real.call(&[b"SELECT".to_vec(), b"0".to_vec()]);
        let mut history = Vec::new();
        for step in 0..400 {
            let args = random_command(&mut rng, &names);
            real.call(&args);
            engine_call(&mut engine, client, &args, 1_767_225_600_000 + step);
            history.push(String::from_utf8_lossy(&args.join(&b' ')).into_owned());
            if step % 25 == 24 {
                // Outside a transaction, so the digest is not queued.
                let _ = real.call(&[b"DISCARD".to_vec()]);
                let _ = engine_call(&mut engine, client, &[b"DISCARD".to_vec()], 1_767_225_600_000 + step);
                let expected = real.call(&digest);
                let actual = engine_call(&mut engine, client, &digest, 1_767_225_600_000 + step);
                assert_eq!(
                    actual,
                    expected,
                    "seed {seed}, after step {step}: the datasets differ. Commands so far:\n{}",
                    history.join("\n")
                );
                checked += 1;
                if expected != Frame::Simple("0".repeat(40)) {
                    non_empty += 1;
                }
            }
        }
    }
    println!("{checked} digests compared with real Redis, {non_empty} of non-empty datasets");
    // The comparison means something only if the data was not always empty.
    assert!(non_empty > checked / 2, "only {non_empty} of {checked} datasets held data");
}
