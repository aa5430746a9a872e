//! RDB compatibility with real Redis 7.0.15, both ways, on the fixtures
//! recorded by scripts/record-rdb-fixtures.py:
//! - every dump real Redis wrote loads to exactly its dataset (DEBUG DIGEST);
//! - each key's record as the engine writes it equals the bytes Redis wrote,
//!   except where noted below;
//! - the engine's own dumps load back, and (where redis-server is
//!   installed) real Redis loads them to the same digest and
//!   redis-check-rdb accepts them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use redis_playground::engine::config::Config;
use redis_playground::engine::digest::{dataset_digest, hex};
use redis_playground::engine::keyspace::Keyspace;
use redis_playground::engine::rdb::{self, RdbError, SaveOptions};
use redis_playground::engine::resp::{encode_command, parse_frame, Frame};
use redis_playground::engine::server::Server;
use redis_playground::engine::value::{Hash, Limits, Set, Value};

fn fixtures() -> Vec<(String, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rdb");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/rdb exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rdb"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    assert!(out.len() >= 10, "fixtures missing");
    out
}

fn expected_digest(path: &Path) -> String {
    std::fs::read_to_string(path.with_extension("digest")).unwrap().trim().to_string()
}

fn keyspace_of(snapshot: &rdb::RdbFile) -> Keyspace {
    let mut keyspace = Keyspace::new(16);
    for (db, keys) in &snapshot.dbs {
        for (key, entry) in keys {
            keyspace.dbs[*db].insert_entry(key, entry.clone());
        }
    }
    keyspace
}

#[test]
fn real_dumps_load_to_their_datasets() {
    for (name, path) in fixtures() {
        let bytes = std::fs::read(&path).unwrap();
        let snapshot = rdb::decode(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(snapshot.aux("redis-ver"), Some(&b"7.0.15"[..]), "{name}");
        let digest = hex(&dataset_digest(&keyspace_of(&snapshot)));
        assert_eq!(digest, expected_digest(&path), "{name}: the loaded dataset differs");
    }
}

/// Hash tables and sets stored as dicts come out in Redis's dict order,
/// which depends on its hash seed: their records cannot match byte for byte.
fn is_dict_encoded(value: &Value) -> bool {
    matches!(value, Value::Hash(Hash::Table(_)) | Value::Set(Set::Table(_)))
}

#[test]
fn key_records_match_redis_bytes() {
    let mut compared = 0;
    for (name, path) in fixtures() {
        let bytes = std::fs::read(&path).unwrap();
        let snapshot = rdb::decode(&bytes, &Limits::default()).unwrap();
        let compression = name != "uncompressed";
        let options = SaveOptions { compression, ..SaveOptions::default() };
        let entries: Vec<_> = snapshot.dbs.iter().flat_map(|(_, keys)| keys.iter()).collect();
        assert_eq!(entries.len(), snapshot.spans.len());
        for ((key, entry), span) in entries.into_iter().zip(&snapshot.spans) {
            if is_dict_encoded(&entry.value) {
                continue;
            }
            let mut mine = Vec::new();
            rdb::write_record(&mut mine, key, entry, &options);
            assert_eq!(
                mine,
                &bytes[span.clone()],
                "{name}: key {:?} is written differently from Redis",
                String::from_utf8_lossy(key)
            );
            compared += 1;
        }
    }
    assert!(compared > 10_000, "only {compared} records compared");
}

/// The engine rebuilds each dataset from its commands, exactly as real
/// Redis was fed them.
fn engine_dataset(path: &Path) -> Server {
    let config = Config::parse(&["enable-debug-command yes"]).unwrap();
    let mut server = Server::new(6379, config, "t".repeat(40), 1, 1_767_225_600_000);
    let client = server.connect();
    let commands = std::fs::read_to_string(path.with_extension("commands")).unwrap();
    for line in commands.lines() {
        let args: Vec<Vec<u8>> = line
            .split(' ')
            .map(|hex| (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect())
            .collect();
        let mut bytes = Vec::new();
        encode_command(&args, &mut bytes);
        let out = server.receive(client, &bytes, 1_767_225_600_000);
        let reply = parse_frame(&out.reply).unwrap().unwrap().0;
        assert!(!matches!(reply, Frame::Error(_)), "{line}: {reply:?}");
    }
    server
}

fn save_options(server: &Server) -> SaveOptions {
    SaveOptions { compression: server.settings.rdbcompression, ctime: 1_767_225_600, ..SaveOptions::default() }
}

#[test]
fn engine_dumps_load_back() {
    for (name, path) in fixtures() {
        let server = engine_dataset(&path);
        assert_eq!(hex(&dataset_digest(&server.keyspace)), expected_digest(&path), "{name}: dataset");
        let dump = rdb::encode(&server.keyspace, &save_options(&server));
        let snapshot = rdb::decode(&dump, &Limits::default()).unwrap();
        assert_eq!(hex(&dataset_digest(&keyspace_of(&snapshot))), expected_digest(&path), "{name}: reload");
    }
}

#[test]
fn real_redis_loads_engine_dumps() {
    if Command::new("redis-server").arg("--version").output().is_err() {
        eprintln!("redis-server is not installed here: loading engine dumps in real Redis was skipped");
        return;
    }
    for (name, path) in fixtures() {
        let server = engine_dataset(&path);
        let dir = std::env::temp_dir().join(format!("engine-dump-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("dump.rdb");
        std::fs::write(&file, rdb::encode(&server.keyspace, &save_options(&server))).unwrap();
        let check = Command::new("redis-check-rdb").arg(&file).output().unwrap();
        let report = String::from_utf8_lossy(&check.stdout);
        assert!(report.contains("RDB looks OK"), "{name}: redis-check-rdb says\n{report}");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--enable-debug-command", "yes"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let digest = (0..100).find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let out = Command::new("redis-cli").args(["-p", &port.to_string(), "DEBUG", "DIGEST"]).output().ok()?;
            let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (text.len() == 40).then_some(text)
        });
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(digest.as_deref(), Some(expected_digest(&path).as_str()), "{name}: real Redis loaded something else");
    }
}

#[test]
fn corrupt_files_are_refused_with_their_offset() {
    let (_, path) = fixtures().into_iter().find(|(n, _)| n == "strings").unwrap();
    let good = std::fs::read(path).unwrap();
    assert_eq!(rdb::decode(b"NOTREDIS0010", &Limits::default()).unwrap_err(), RdbError::NotRdb);
    assert!(matches!(rdb::decode(&good[..good.len() - 20], &Limits::default()), Err(RdbError::Truncated { .. })));
    let mut flipped = good.clone();
    flipped[120] ^= 0x01;
    assert!(rdb::decode(&flipped, &Limits::default()).is_err());
    // Every prefix and every single-byte corruption is an error or a
    // dataset, never a panic.
    for cut in 0..good.len() {
        let _ = rdb::decode(&good[..cut], &Limits::default());
    }
    for i in 0..good.len() {
        for b in [0x00, 0xff, 0x80, 0xc3] {
            let mut bad = good.clone();
            bad[i] = b;
            // Skip the checksum so corruption reaches the parser.
            let n = bad.len();
            bad[n - 8..].fill(0);
            let _ = rdb::decode(&bad, &Limits::default());
        }
    }
}

/// Mutated real dumps and random bytes: the decoder answers every one with
/// a dataset or an error, quickly, without panicking.
#[test]
fn fuzzed_dumps_never_panic() {
    use redis_playground::engine::rng::Rng;
    let mut rng = Rng::new(2024);
    let started = std::time::Instant::now();
    let mut tried = 0;
    for (_, path) in fixtures() {
        let good = std::fs::read(path).unwrap();
        if good.len() > 100_000 {
            continue;
        }
        for _ in 0..300 {
            let mut bad = good.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bad.len());
                match rng.below(4) {
                    0 => bad[at] = rng.next_u64() as u8,
                    1 => bad[at] ^= 1 << rng.below(8),
                    2 => {
                        bad.insert(at, rng.next_u64() as u8);
                    }
                    _ => {
                        bad.remove(at);
                    }
                }
            }
            let n = bad.len();
            if rng.below(2) == 0 && n > 8 {
                // Zero checksum: the parser sees the damage instead of the CRC.
                bad[n - 8..].fill(0);
            }
            let _ = rdb::decode(&bad, &Limits::default());
            tried += 1;
        }
    }
    for _ in 0..2000 {
        let mut junk = b"REDIS0010".to_vec();
        junk.extend((0..rng.below(200)).map(|_| rng.next_u64() as u8));
        let _ = rdb::decode(&junk, &Limits::default());
        let _ = rdb::decode_dump(&junk[9..], &Limits::default());
        tried += 1;
    }
    assert!(tried > 4000);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "decoding junk is too slow");
}
