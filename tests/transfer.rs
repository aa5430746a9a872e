//! Full syncs take time on the virtual network (LINK_BYTES_PER_MS): the
//! replica's INFO shows the transfer advancing (master_sync_read_bytes),
//! the master keeps the replica in wait_bgsave until its snapshot has been
//! read, writes made meanwhile arrive after it, and the simulator reports
//! the progress for the page. Real Redis on one loopback moves a dump this
//! size in milliseconds, so these come from Redis 7.0's INFO code rather
//! than goldens.

use redis_playground::engine::server::replication::LINK_BYTES_PER_MS;
mod common;

use common::call;
use redis_playground::engine::resp::Frame;
use redis_playground::sim::Sim;


fn info(sim: &mut Sim, port: u16, section: &str) -> String {
    match call(sim, port, &["INFO", section]) {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("{other:?}"),
    }
}

fn field(text: &str, name: &str) -> Option<i64> {
    text.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))?.parse().ok())
}

#[test]
fn a_big_full_sync_advances_at_the_network_pace() {
    let mut sim = Sim::new(5, 1_700_000_000_000);
    sim.start_server(6379, &["enable-debug-command yes"]).unwrap();
    sim.start_server(6380, &[] as &[&str]).unwrap();
    call(&mut sim, 6379, &["DEBUG", "POPULATE", "200000"]);
    call(&mut sim, 6380, &["REPLICAOF", "127.0.0.1", "6379"]);
    // The diskless delay, then the snapshot starts down the link.
    sim.advance(5000);
    let mut seen_progress = Vec::new();
    let mut master_states = Vec::new();
    for _ in 0..100 {
        if sim.link_up(6380) {
            break;
        }
        let replica = info(&mut sim, 6380, "replication");
        if field(&replica, "master_sync_in_progress") == Some(1) {
            seen_progress.push((field(&replica, "master_sync_read_bytes").unwrap(), sim.transfer_progress(6380)));
            let master = info(&mut sim, 6379, "replication");
            master_states.push(master.lines().any(|l| l.starts_with("slave0:") && l.contains("state=wait_bgsave")));
            if seen_progress.len() == 2 {
                // A write during the transfer reaches the replica after it.
                call(&mut sim, 6379, &["SET", "written-during", "the transfer"]);
            }
        }
        sim.advance(50);
    }
    assert!(sim.link_up(6380), "the sync ends");
    // A 4 MB dump at 10 MB/s: several readings, each further along.
    assert!(seen_progress.len() >= 4, "{seen_progress:?}");
    let reads: Vec<i64> = seen_progress.iter().map(|(r, _)| *r).collect();
    assert!(reads.windows(2).all(|w| w[0] < w[1]), "{reads:?}");
    let (_, Some((arrived, total))) = seen_progress[1] else { panic!("no progress from the simulator: {seen_progress:?}") };
    assert!(arrived < total && total > 10 * LINK_BYTES_PER_MS as u64, "{arrived} of {total}");
    assert!(master_states.iter().all(|&waiting| waiting), "the master waits for the snapshot to be read");
    sim.advance(1000);
    assert_eq!(call(&mut sim, 6380, &["DBSIZE"]), Frame::Integer(200_001));
    assert_eq!(call(&mut sim, 6380, &["GET", "written-during"]), Frame::Bulk(b"the transfer".to_vec()));
    let master = info(&mut sim, 6379, "replication");
    assert!(master.contains("state=online"), "{master}");
    assert_eq!(sim.transfer_progress(6380), None);
    assert_eq!(call(&mut sim, 6380, &["GET", "key:199999"]), Frame::Bulk(b"value:199999".to_vec()));
    // What one end sent on the link is what the other read, snapshot included.
    let sent = field(&info(&mut sim, 6379, "stats"), "total_net_repl_output_bytes").unwrap();
    let read = field(&info(&mut sim, 6380, "stats"), "total_net_repl_input_bytes").unwrap();
    assert!(sent > 4_000_000, "{sent}");
    assert_eq!(sent, read);
}

#[test]
fn a_crash_mid_transfer_drops_the_bytes_in_flight() {
    let mut sim = Sim::new(5, 1_700_000_000_000);
    sim.start_server(6379, &["enable-debug-command yes"]).unwrap();
    sim.start_server(6380, &[] as &[&str]).unwrap();
    call(&mut sim, 6379, &["DEBUG", "POPULATE", "200000"]);
    call(&mut sim, 6380, &["REPLICAOF", "127.0.0.1", "6379"]);
    sim.advance(5100);
    assert!(sim.transfer_progress(6380).is_some());
    sim.crash(6379).unwrap();
    assert_eq!(sim.transfer_progress(6380), None);
    sim.advance(2000);
    assert!(!sim.link_up(6380));
    assert_eq!(call(&mut sim, 6380, &["DBSIZE"]), Frame::Integer(0));
}

#[test]
fn latency_delays_every_byte_both_ways_and_keeps_their_order() {
    let mut sim = Sim::new(5, 1_700_000_000_000);
    sim.start_server(6379, &["repl-diskless-sync-delay 0"]).unwrap();
    sim.start_server(6380, &[] as &[&str]).unwrap();
    sim.set_latency(6380, 6379, 20);
    assert_eq!(sim.latency(6379, 6380), 20);
    call(&mut sim, 6380, &["REPLICAOF", "127.0.0.1", "6379"]);
    // PING, two REPLCONFs and PSYNC: four round trips of 40 ms before the
    // snapshot can even start.
    sim.advance(150);
    assert!(!sim.link_up(6380));
    sim.advance(1000);
    assert!(sim.link_up(6380));
    for i in 0..5 {
        call(&mut sim, 6379, &["RPUSH", "l", &i.to_string()]);
    }
    sim.advance(10);
    assert_eq!(call(&mut sim, 6380, &["LLEN", "l"]), Frame::Integer(0));
    sim.advance(10);
    assert_eq!(call(&mut sim, 6380, &["LRANGE", "l", "0", "-1"]), Frame::Array((0..5).map(|i| Frame::Bulk(i.to_string().into_bytes())).collect()));
    sim.set_latency(6379, 6380, 0);
    call(&mut sim, 6379, &["RPUSH", "l", "5"]);
    assert_eq!(call(&mut sim, 6380, &["LLEN", "l"]), Frame::Integer(6));
}

#[test]
fn a_cut_mid_transfer_holds_the_rest_in_order_until_the_heal() {
    let mut sim = Sim::new(5, 1_700_000_000_000);
    sim.start_server(6379, &["enable-debug-command yes"]).unwrap();
    sim.start_server(6380, &["repl-timeout 60"]).unwrap();
    call(&mut sim, 6379, &["DEBUG", "POPULATE", "200000"]);
    call(&mut sim, 6380, &["REPLICAOF", "127.0.0.1", "6379"]);
    sim.advance(5100);
    let (before, _) = sim.transfer_progress(6380).expect("the snapshot is on its way");
    sim.cut(6379, 6380);
    call(&mut sim, 6379, &["SET", "during-the-cut", "1"]);
    sim.advance(2_000);
    // Nothing crossed meanwhile.
    assert_eq!(sim.transfer_progress(6380).map(|(arrived, _)| arrived), Some(before));
    sim.heal(6379, 6380);
    sim.advance(2_000);
    assert!(sim.link_up(6380));
    assert_eq!(call(&mut sim, 6380, &["DBSIZE"]), Frame::Integer(200_001));
    assert_eq!(call(&mut sim, 6380, &["GET", "during-the-cut"]), Frame::Bulk(b"1".to_vec()));
}
