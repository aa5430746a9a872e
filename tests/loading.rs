//! A node started on a big dump is loading for as long as Redis would take
//! (about 1 ms per 48 KB): meanwhile it answers LOADING to what Redis
//! refuses while loading, INFO shows the load's progress with Redis's
//! fields, and the data appears when the time is up. Real Redis loads a
//! dump this size in a fraction of a second, so the recorder (which waits
//! for PING to answer) cannot catch it; these expectations come from
//! Redis 7.0's processCommand and INFO persistence.

mod common;

use common::call;
use redis_playground::engine::resp::{encode_command, Frame};
use redis_playground::sim::Sim;


fn info_field(info: &Frame, name: &str) -> Option<String> {
    let Frame::Bulk(text) = info else { return None };
    let text = String::from_utf8_lossy(text);
    text.lines().find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
}

#[test]
fn a_big_dump_loads_in_virtual_time() {
    let mut sim = Sim::new(3, 1_700_000_000_000);
    sim.start_server(6379, &["enable-debug-command yes"]).unwrap();
    call(&mut sim, 6379, &["DEBUG", "POPULATE", "200000"]);
    assert_eq!(call(&mut sim, 6379, &["SAVE"]), Frame::ok());
    sim.crash(6379).unwrap();
    sim.restart(6379).unwrap();

    let loading = Frame::Error("LOADING Redis is loading the dataset in memory".into());
    assert_eq!(call(&mut sim, 6379, &["GET", "key:1"]), loading);
    assert_eq!(call(&mut sim, 6379, &["PING"]), loading);
    assert_eq!(call(&mut sim, 6379, &["REPLICAOF", "127.0.0.1", "6380"]), loading);
    let info = call(&mut sim, 6379, &["INFO", "persistence"]);
    assert_eq!(info_field(&info, "loading").as_deref(), Some("1"));
    let total: u64 = info_field(&info, "loading_total_bytes").unwrap().parse().unwrap();
    assert!(total > 4_000_000, "{total}");
    assert_eq!(info_field(&info, "loading_loaded_bytes").as_deref(), Some("0"));

    // Half-way, the progress shows; the data is not there yet.
    sim.advance(40);
    let info = call(&mut sim, 6379, &["INFO", "persistence"]);
    let perc: f64 = info_field(&info, "loading_loaded_perc").unwrap().parse().unwrap();
    assert!(perc > 10.0 && perc < 90.0, "{perc}");
    assert!(info_field(&info, "loading_eta_seconds").is_some());
    assert!(sim.server(6379).unwrap().is_loading());

    sim.advance(200);
    assert!(!sim.server(6379).unwrap().is_loading());
    assert_eq!(call(&mut sim, 6379, &["GET", "key:1"]), Frame::Bulk(b"value:1".to_vec()));
    let info = call(&mut sim, 6379, &["INFO", "persistence"]);
    assert_eq!(info_field(&info, "loading").as_deref(), Some("0"));
    assert_eq!(info_field(&info, "loading_total_bytes"), None);
    assert_eq!(info_field(&info, "rdb_last_load_keys_loaded").as_deref(), Some("200000"));
}

#[test]
fn shutdown_while_loading_keeps_the_dump() {
    let mut sim = Sim::new(3, 1_700_000_000_000);
    sim.start_server(6379, &["enable-debug-command yes"]).unwrap();
    call(&mut sim, 6379, &["DEBUG", "POPULATE", "100000"]);
    call(&mut sim, 6379, &["SAVE"]);
    sim.crash(6379).unwrap();
    sim.restart(6379).unwrap();
    // SHUTDOWN is allowed while loading, and saves nothing then.
    let handle = sim.connect(6379).unwrap();
    let mut bytes = Vec::new();
    encode_command(&["SHUTDOWN"], &mut bytes);
    sim.send(handle, &bytes);
    assert!(!sim.is_up(6379));
    sim.restart(6379).unwrap();
    sim.advance(500);
    assert_eq!(call(&mut sim, 6379, &["DBSIZE"]), Frame::Integer(100_000));
}

/// DEBUG RELOAD NOFLUSH loads the dump it just saved on top of the same
/// keys: Redis 7.0 panics on the first duplicated key (`rdb.c`'s
/// serverPanic), so the process dies without a reply, its log saying why;
/// the dump it saved first is there for the restart.
#[test]
fn debug_reload_noflush_over_keys_kills_the_process_as_redis_panics() {
    let mut sim = Sim::new(4, 1_700_000_000_000);
    sim.start_server(6379, &["enable-debug-command yes"]).unwrap();
    call(&mut sim, 6379, &["SET", "k", "v"]);
    let handle = sim.connect(6379).unwrap();
    let mut bytes = Vec::new();
    encode_command(&["DEBUG", "RELOAD", "NOFLUSH"], &mut bytes);
    sim.send(handle, &bytes);
    sim.advance(10);
    assert!(!sim.is_up(6379));
    assert!(sim.take_inbox(handle).is_empty());
    let logged = |text: &str| sim.recent_log().any(|(port, line)| *port == 6379 && line.text == text);
    assert!(logged("RDB has duplicated key 'k' in DB 0"));
    assert!(logged("Guru Meditation: Duplicated key found in RDB file #rdb.c:3176"));
    sim.restart(6379).unwrap();
    sim.advance(500);
    assert_eq!(call(&mut sim, 6379, &["GET", "k"]), Frame::bulk("v"));
}
