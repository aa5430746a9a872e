//! Every crash the fuzzers found, replayed through the same harness the
//! fuzz targets run (fuzz/src/harness.rs, included by path): each file of
//! tests/fixtures/fuzz is named after its target, and must now run to
//! the end without a panic.

#[path = "../fuzz/src/harness.rs"]
mod harness;

#[test]
fn every_crash_found_is_fixed() {
    let mut replayed = 0;
    for entry in std::fs::read_dir("tests/fixtures/fuzz").expect("the crash fixtures") {
        let path = entry.expect("a fixture").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let data = std::fs::read(&path).expect("readable");
        let target = name.split('-').next().unwrap_or_default();
        let run: fn(&[u8]) = match target {
            "server_resp" => harness::server_resp,
            "replica_link" => harness::replica_link,
            "cli_console" => harness::cli_console,
            "config" => harness::config,
            "scenario" => harness::scenario,
            "rdb" => harness::rdb,
            "address_state" => harness::address_state,
            "lua_script" => harness::lua_script,
            other => panic!("{name}: no fuzz target {other}"),
        };
        run(&data);
        replayed += 1;
    }
    assert!(replayed >= 3, "only {replayed} fixtures");
}
