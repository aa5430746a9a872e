//! The scenario runner's `--dir`: a dump real Redis wrote, placed in
//! `DIR/PORT/`, is what the server loads at start, and what the server
//! saves lands there for real Redis to read.

use std::path::Path;
use std::process::Command;

use redis_playground::engine::rdb;
use redis_playground::engine::value::Limits;

#[test]
fn dumps_cross_between_real_folders_and_servers() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rdb");
    let dir = std::env::temp_dir().join(format!("scenario-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("6379")).unwrap();
    std::fs::copy(fixtures.join("strings.rdb"), dir.join("6379/dump.rdb")).unwrap();
    let scenario = dir.join("exchange.scn");
    std::fs::write(
        &scenario,
        "server 6379 enable-debug-command yes\n6379> DEBUG DIGEST\n6379> SET added-by-engine 1\n6379> SAVE\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scenario")).arg(&scenario).arg("--dir").arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let transcript = String::from_utf8_lossy(&out.stdout);
    let digest = std::fs::read_to_string(fixtures.join("strings.digest")).unwrap();
    assert!(transcript.contains(digest.trim()), "the server did not load the real dump:\n{transcript}");
    let saved = std::fs::read(dir.join("6379/dump.rdb")).unwrap();
    let snapshot = rdb::decode(&saved, &Limits::default()).unwrap();
    assert!(snapshot.dbs.iter().flat_map(|(_, keys)| keys).any(|(k, _)| k == b"added-by-engine"));
    assert_eq!(snapshot.key_count(), 24, "the 23 keys of the fixture and the one added");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_dump_stops_the_server_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("scenario-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("6379")).unwrap();
    std::fs::write(dir.join("6379/dump.rdb"), b"REDIS0010\xfe\x00\x00\x03abc").unwrap();
    let scenario = dir.join("bad.scn");
    std::fs::write(&scenario, "server 6379\n6379> PING\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scenario")).arg(&scenario).arg("--dir").arg(&dir).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1") && err.contains("could not start") && err.contains("dump.rdb"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
