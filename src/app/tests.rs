//! The page's model, natively: what the page does with its playground.

use super::layout::layout;
use super::playground::Playground;
use super::views::{format_elapsed, LineKind};
use crate::engine::log::log_stamp;
use std::collections::BTreeMap;

#[test]
fn log_stamps_read_like_redis() {
    assert_eq!(log_stamp(0), "01 Jan 1970 00:00:00.000");
    // 2026-11-25T04:47:50.561Z
    assert_eq!(log_stamp(1_795_582_070_561), "25 Nov 2026 04:47:50.561");
    // 2024-02-29T23:59:59.999Z, a leap day
    assert_eq!(log_stamp(1_709_251_199_999), "29 Feb 2024 23:59:59.999");
}

#[test]
fn events_show_what_the_nodes_logged() {
    let mut p = Playground::new(1, 0, &[6379, 6380]);
    p.run(6380, "REPLICAOF 127.0.0.1 6379");
    p.advance(6000);
    let events = p.events();
    let has = |port: u16, text: &str| events.iter().any(|e| e.port == port && e.text == text);
    assert!(has(6380, "Connecting to MASTER 127.0.0.1:6379"), "{events:?}");
    assert!(has(6379, "Synchronization with replica 127.0.0.1:6380 succeeded"), "{events:?}");
    assert!(has(6380, "MASTER <-> REPLICA sync: Finished with success"), "{events:?}");
    assert!(events.iter().all(|e| e.stamp.starts_with("01 Jan 1970 00:00:0")));
}

#[test]
fn next_event_stops_at_the_next_log_line() {
    let mut p = Playground::new(1, 0, &[6379, 6380]);
    p.run(6380, "REPLICAOF 127.0.0.1 6379");
    // The master waits 5 s (repl-diskless-sync-delay) before the transfer.
    let passed = p.advance_to_next_event(60_000);
    assert!((4_900..=5_100).contains(&passed), "{passed} ms");
    assert!(p.events().iter().any(|e| e.text == "Starting BGSAVE for SYNC with target: replicas sockets"));
    // Nothing else is due: it gives up at the limit.
    let mut idle = Playground::new(1, 0, &[6379]);
    assert_eq!(idle.advance_to_next_event(3_000), 3_000);
}

#[test]
fn elapsed_reads_in_seconds_then_minutes() {
    assert_eq!(format_elapsed(0), "0.0 s");
    assert_eq!(format_elapsed(43_449), "43.4 s");
    assert_eq!(format_elapsed(83_449), "1 min 23.4 s");
    assert_eq!(format_elapsed(59_999), "59.9 s");
    assert_eq!(format_elapsed(60_000), "1 min 00.0 s");
    assert_eq!(format_elapsed(723_400), "12 min 03.4 s");
    assert_eq!(format_elapsed(-5), "0.0 s");
}

#[test]
fn three_servers_add_and_remove() {
    let mut p = Playground::new(1, 0, &[6379, 6380, 6381]);
    assert_eq!(p.nodes().iter().map(|n| n.port).collect::<Vec<_>>(), [6379, 6380, 6381]);
    assert_eq!(p.add_server().unwrap(), 6382);
    p.remove_server(6380).unwrap();
    assert_eq!(p.add_server().unwrap(), 6380);
    assert!(p.remove_server(7000).is_err());
}

#[test]
fn state_survives_export_and_import() {
    let mut p = Playground::new(1, 0, &[6379, 6380]);
    p.run(6379, "SET saved yes");
    p.run(6379, "SAVE");
    p.run(6379, "SET unsaved yes");
    p.crash(6380).unwrap();
    let text = p.export_state();
    let mut q = Playground::import_state(2, 10_000, &text).unwrap();
    let nodes = q.nodes();
    assert!(nodes[0].up && !nodes[1].up);
    // The page comes back once the dumps are in.
    q.run(6379, "GET saved");
    q.run(6379, "GET unsaved");
    let lines: Vec<String> = q.nodes()[0].console.lines.iter().map(|l| l.text.clone()).collect();
    assert_eq!(lines, ["127.0.0.1:6379> GET saved", "\"yes\"", "127.0.0.1:6379> GET unsaved", "(nil)"]);
    assert!(Playground::import_state(1, 0, "garbage").is_err());
}

#[test]
fn edited_configs_cuts_and_latencies_survive_a_reload() {
    let mut p = Playground::new(1, 0, &[6379, 6380]);
    let before = p.state_fingerprint();
    let mut config = p.config_of(6380).unwrap();
    config.push("hz 20".into());
    p.edit_config(6380, &config).unwrap();
    assert_ne!(p.state_fingerprint(), before, "an edited config must be saved");
    p.run(6380, "REPLICAOF 127.0.0.1 6379");
    p.toggle_cut(6380, 6379);
    p.set_latency(6379, 6380, 50);
    let q = Playground::import_state(2, 0, &p.export_state()).unwrap();
    assert_eq!(q.config_of(6380).unwrap().last().map(String::as_str), Some("hz 20"));
    assert!(q.sim().is_cut(6379, 6380));
    assert_eq!(q.sim().latency(6380, 6379), 50);
    assert!(Playground::import_state(1, 0, "redis-playground-state 1\ncut 1").is_err());
}

#[test]
fn a_damaged_or_unknown_saved_state_is_refused_with_its_reason() {
    let mut p = Playground::new(1, 0, &[6379, 6380]);
    p.run(6379, "SET k v");
    p.run(6379, "SAVE");
    let saved = p.export_state();
    assert!(saved.starts_with("redis-playground-state 2\n"));
    let reason = |text: &str| Playground::import_state(1, 0, text).err().unwrap_or_default();
    // Cut short anywhere, or altered: the checksum says so.
    for cut in [saved.len() / 3, saved.len() / 2, saved.len() - 3] {
        assert!(reason(&saved[..cut]).contains("cut short"), "cut at {cut}");
    }
    assert!(reason(&saved.replacen("server 6380 up", "server 6380 down", 1)).contains("altered"));
    assert!(reason(&saved.replacen("state 2", "state 9", 1)).contains("format this version does not read (9)"));
    assert!(reason("garbage").contains("not a saved playground"));
    // The first format, without a checksum, is read still.
    let v1: Vec<&str> = saved.lines().filter(|l| !l.starts_with("checksum ")).collect();
    let v1 = v1.join("\n").replacen("state 2", "state 1", 1);
    assert!(Playground::import_state(1, 0, &v1).is_ok());
}

#[test]
fn sentinels_start_from_their_conf_show_what_they_watch_and_survive_a_reload() {
    let mut p = Playground::new(1, 0, &[6379, 6380]);
    p.run(6380, "REPLICAOF 127.0.0.1 6379");
    p.advance(6000);
    let conf = p.lesson_sentinel_config(p.next_sentinel_port());
    assert_eq!(conf[..2], ["port 26379".to_string(), "sentinel monitor mymaster 127.0.0.1 6379 1".to_string()]);
    let bad = vec!["sentinel monitor mymaster 127.0.0.1 6379 0".to_string()];
    assert!(p.add_sentinel(&bad).unwrap_err().contains("Quorum must be 1 or greater."));
    assert_eq!(p.add_sentinel(&conf), Ok(26379));
    assert!(p.add_sentinel(&conf).unwrap_err().contains("Port 26379 is taken"));
    p.advance(1000);
    let sentinels = p.sentinels();
    assert_eq!(sentinels.len(), 1);
    let watch = &sentinels[0].watching[0];
    assert_eq!((watch.name.as_str(), watch.port, watch.status, watch.replicas.as_slice()), ("mymaster", 6379, "ok", &[6380][..]));
    assert!(p.nodes().iter().all(|n| n.port != 26379), "a Sentinel is not a server");
    p.run(26379, "SENTINEL get-master-addr-by-name mymaster");
    assert_eq!(sentinels[0].console.prompt, "127.0.0.1:26379> ");
    assert!(!sentinels[0].cut);
    p.toggle_cut(26379, 6379);
    assert!(p.sentinels()[0].cut, "the card offers to heal what was cut");
    p.toggle_cut(26379, 6379);
    // A partition around 6379: cut from every node, then whole again.
    p.toggle_isolation(6379);
    assert!(p.is_isolated(6379) && p.nodes()[0].isolated && p.sentinels()[0].cut);
    assert!(p.sim().is_cut(6379, 6380) && p.sim().is_cut(6379, 26379));
    p.toggle_isolation(6379);
    assert!(!p.is_isolated(6379) && !p.sim().is_cut(6379, 6380));
    // Its sentinel.conf is edited like a server's, and keeps its port.
    let mut edited = p.config_of(26379).unwrap();
    edited.push("sentinel down-after-milliseconds mymaster 5000".into());
    assert!(p.edit_config(26379, &["port 26400".to_string()]).unwrap_err().contains("must keep `port 26379`"));
    p.edit_config(26379, &edited).unwrap();
    let q = Playground::import_state(2, 0, &p.export_state()).unwrap();
    assert!(q.config_of(26379).unwrap().iter().any(|l| l == "sentinel down-after-milliseconds mymaster 5000"));
    assert!(q.is_running(26379));
    assert_eq!(q.sentinels()[0].port, 26379);
}

#[test]
fn uploads_are_checked_before_they_land() {
    let mut p = Playground::new(1, 0, &[6379, 6380]);
    p.run(6379, "RPUSH l a b");
    p.run(6379, "SAVE");
    let (name, dump) = p.dump_file(6379).unwrap();
    assert_eq!(name, "dump.rdb");
    assert!(p.upload_dump(6380, b"not a dump".to_vec()).is_err());
    assert!(p.dump_file(6380).is_none());
    let message = p.upload_dump(6380, dump).unwrap();
    assert!(message.contains("1 keys"));
    p.crash(6380).unwrap();
    p.restart(6380).unwrap();
    p.advance(1);
    p.run(6380, "PING");
    p.run(6380, "LLEN l");
    assert_eq!(p.nodes()[1].console.lines.last().unwrap().text, "(integer) 2");
}

#[test]
fn reparenting_types_replicaof_and_says_what_a_careful_user_needs_to_know() {
    let mut p = Playground::new(1, 0, &[6379, 6380, 6381]);
    assert_eq!(p.reparent(6380, Some(6379)), Ok(None));
    let lines: Vec<String> = p.nodes()[1].console.lines.iter().map(|l| l.text.clone()).collect();
    assert_eq!(lines, ["127.0.0.1:6380> REPLICAOF 127.0.0.1 6379", "OK"]);
    assert!(p.reparent(6380, Some(6380)).unwrap_err().contains("onto itself"));
    assert!(p.reparent(6380, Some(6379)).unwrap_err().contains("already replicates from 6379"));
    assert!(p.reparent(6379, None).unwrap_err().contains("already a master"));
    // 6381 under 6380, then 6379 under 6381: a loop through the chain.
    assert_eq!(p.reparent(6381, Some(6380)), Ok(None));
    let warning = p.reparent(6379, Some(6381)).unwrap().unwrap();
    assert!(warning.contains("loop"), "{warning}");
    assert_eq!(p.reparent(6379, None), Ok(None));
    assert_eq!(p.nodes()[0].console.lines.last().unwrap().text, "OK");
    p.crash(6381).unwrap();
    assert!(p.reparent(6381, None).unwrap_err().contains("not running"));
    let note = p.reparent(6380, Some(6381)).unwrap().unwrap();
    assert!(note.contains("keeps trying"), "{note}");
}

#[test]
fn help_is_answered_by_the_console_itself() {
    let mut p = Playground::new(1, 0, &[6379]);
    p.run(6379, "HELP get");
    let lines: Vec<String> = p.nodes()[0].console.lines.iter().map(|l| l.text.clone()).collect();
    assert_eq!(lines[..3], ["127.0.0.1:6379> HELP get", "", "  GET key"]);
    assert_eq!(p.sim().server(6379).map(|s| s.changes_since_save()), Some(0));
    p.run(6379, "help nosuch");
    assert_eq!(p.nodes()[0].console.lines.last().unwrap().text, "");
}

#[test]
fn run_until_idle_stops_once_a_sync_has_settled() {
    let mut p = Playground::new(1, 0, &[6379, 6380]);
    p.run(6380, "REPLICAOF 127.0.0.1 6379");
    let passed = p.advance_until_idle(2_000, 120_000);
    // The 5 s diskless delay and the transfer, then two quiet seconds.
    assert!((6_500..12_000).contains(&passed), "{passed}");
    assert_eq!(p.nodes()[1].link, "online");
    // Already idle: it stops after the quiet time alone.
    assert_eq!(p.advance_until_idle(2_000, 120_000), 2_000);
}

#[test]
fn servers_start_from_a_config_file_and_keep_edits_for_their_next_start() {
    let mut p = Playground::new(1, 0, &[6379]);
    let lines = Playground::lesson_config(6390);
    assert_eq!(p.add_server_with_config(&lines), Ok(6390));
    assert!(p.add_server_with_config(&lines).unwrap_err().contains("taken"));
    let bad = vec!["port 6391".to_string(), "maxmemory lots".to_string()];
    let error = p.add_server_with_config(&bad).unwrap_err();
    assert!(error.starts_with("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"), "{error}");
    assert!(error.contains("maxmemory lots"), "{error}");
    p.run(6390, "CONFIG GET dbfilename");
    assert_eq!(p.nodes()[1].console.lines.last().unwrap().text, "2) \"dump6390.rdb\"");
    // An edit waits for the next start.
    let mut edited = p.config_of(6390).unwrap();
    edited.push("replicaof 127.0.0.1 6379".into());
    assert!(p.edit_config(6390, &["port 6391".to_string()]).unwrap_err().contains("keep `port 6390`"));
    p.edit_config(6390, &edited).unwrap();
    assert_eq!(p.nodes()[1].role, "master");
    p.crash(6390).unwrap();
    p.restart(6390).unwrap();
    assert_eq!(p.nodes()[1].role, "replica");
}

#[test]
fn the_data_view_shows_where_a_replica_still_differs() {
    use crate::app::data_view::KeyState;
    let mut p = Playground::new(1, 0, &[6379, 6380]);
    p.run(6379, "SET a 1");
    p.run(6379, "RPUSH l x y");
    p.run(6380, "SET stale yes");
    p.run(6380, "REPLICAOF 127.0.0.1 6379");
    // Before the sync: a is missing, stale is extra.
    let view = p.data_view(6380).unwrap();
    assert_eq!(view.master, Some(6379));
    let state = |view: &crate::app::data_view::DataView, key: &str| view.rows.iter().find(|r| r.key == key).map(|r| r.state);
    assert_eq!(state(&view, "a"), Some(KeyState::Missing));
    assert_eq!(state(&view, "stale"), Some(KeyState::Extra));
    assert_eq!(view.differing, 3);
    p.advance(7_000);
    let view = p.data_view(6380).unwrap();
    assert_eq!(view.differing, 0);
    assert_eq!(state(&view, "l"), Some(KeyState::Same));
    assert_eq!(view.rows.iter().find(|r| r.key == "l").unwrap().summary, "2 items");
    let master = p.data_view(6379).unwrap();
    assert_eq!(master.master, None);
    assert_eq!(master.rows.iter().find(|r| r.key == "a").unwrap().summary, "\"1\"");
    assert!(p.data_view(7000).is_none());
}

#[test]
fn a_replica_shows_the_lag_its_master_reports() {
    let mut p = Playground::new(1, 0, &[6379, 6380]);
    p.run(6380, "REPLICAOF 127.0.0.1 6379");
    p.advance(7_000);
    assert_eq!(p.nodes()[1].lag, Some(0));
    // Behind a cut no ACK gets through: the lag grows as INFO shows it.
    p.toggle_cut(6380, 6379);
    p.advance(3_000);
    assert!(p.nodes()[1].lag.is_some_and(|lag| lag >= 2), "{:?}", p.nodes()[1].lag);
    assert_eq!(p.nodes()[0].lag, None);
}

#[test]
fn layout_puts_replicas_under_their_masters() {
    let mut p = Playground::new(1, 0, &[6379, 6380, 6381, 6382]);
    p.run(6380, "REPLICAOF 127.0.0.1 6379");
    p.run(6381, "REPLICAOF 127.0.0.1 6380");
    p.run(6382, "REPLICAOF 127.0.0.1 6382");
    let nodes = p.nodes();
    let at: BTreeMap<u16, (f64, usize)> = layout(&nodes).into_iter().map(|(p, x, d)| (p, (x, d))).collect();
    assert_eq!(at[&6379].1, 0);
    assert_eq!(at[&6380].1, 1);
    assert_eq!(at[&6381].1, 2);
    assert_eq!(at[&6382].1, 0, "a server following itself is a root");
    assert_eq!(at[&6379].0, at[&6381].0);
    assert_ne!(at[&6379].0, at[&6382].0);
    assert_eq!(nodes[1].master, Some(6379));
}

#[test]
fn console_lines_and_history() {
    let mut p = Playground::new(1, 0, &[6379]);
    p.run(6379, "SET k1 v1");
    p.run(6379, "GET");
    p.run(6379, "GET");
    let node = &p.nodes()[0];
    assert_eq!(node.keys, 1);
    let texts: Vec<&str> = node.console.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts[..2], ["127.0.0.1:6379> SET k1 v1", "OK"]);
    assert_eq!(node.console.lines[3].kind, LineKind::Error);
    assert_eq!(*node.console.history, ["SET k1 v1", "GET"]);
    p.run(6379, "clear");
    assert!(p.nodes()[0].console.lines.is_empty());
}
