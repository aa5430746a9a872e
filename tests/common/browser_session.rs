//! A session as the page makes one: every call is what the page's reducer
//! does for a user's action (typing, dragging, the card's buttons, the
//! config editor, the time controls), with frame-sized ticks of time in
//! between. Shared by the native replay test and its wasm build.

use redis_playground::app::playground::Playground;

/// The page's clock at a frame: 16 ms of real time at 1x, or 100x.
fn frames(p: &mut Playground, count: usize, speed: i64) {
    for i in 0..count {
        // Frames are never quite regular.
        p.advance((16 + (i % 3) as i64) * speed);
    }
}

/// Builds the session: three servers, a chain, a Sentinel, a failover, a
/// partition, config edits, an upload, blocked and subscribed consoles.
pub fn browser_session(seed: u64, start: i64) -> Playground {
    let mut p = Playground::new(seed, start, &[6379, 6380, 6381]);
    p.run(6379, "SET greeting hello");
    p.run(6379, "RPUSH list a b c");
    // A console that blocks until its timeout, frame after frame.
    p.run(6381, "BLPOP queue 1");
    frames(&mut p, 70, 1);
    // Dragging 6380 onto 6379, then 6381 onto 6380: a chain.
    let _ = p.reparent(6380, Some(6379));
    let _ = p.reparent(6381, Some(6380));
    frames(&mut p, 120, 100);
    p.run(6381, "GET greeting");
    p.run(6380, "SET nope 1");
    // A console that waits for its replicas, and one that subscribes.
    p.run(6379, "RPUSH queue job");
    p.run(6379, "WAIT 1 500");
    frames(&mut p, 40, 1);
    p.run(6380, "SUBSCRIBE news");
    p.run(6379, "PUBLISH news extra");
    frames(&mut p, 5, 1);
    p.interrupt(6380);
    // The config editor: a fourth server from its file, a Sentinel.
    let _ = p.add_server_with_config(&Playground::lesson_config(6382));
    let port = p.next_sentinel_port();
    let mut conf = p.lesson_sentinel_config(port);
    conf.push("sentinel down-after-milliseconds mymaster 2000".into());
    conf.push("sentinel failover-timeout mymaster 10000".into());
    let _ = p.add_sentinel(&conf);
    let _ = p.advance_until_idle(2_000, 600_000);
    // The master dies: Sentinel promotes a replica.
    p.run(6379, "SAVE");
    let _ = p.crash(6379);
    frames(&mut p, 200, 100);
    let _ = p.advance_to_next_event(60_000);
    let _ = p.restart(6379);
    frames(&mut p, 100, 100);
    // The network: latency, a cut and its heal, a partition and the rejoin.
    p.set_latency(6380, 6381, 40);
    p.toggle_cut(6380, 6381);
    frames(&mut p, 60, 10);
    p.toggle_cut(6380, 6381);
    p.toggle_isolation(6382);
    frames(&mut p, 30, 10);
    p.toggle_isolation(6382);
    // A config edit and a restart through SHUTDOWN, as the editor does.
    let mut edited = p.config_of(6382).unwrap_or_default();
    edited.push("hz 20".into());
    let _ = p.edit_config(6382, &edited);
    p.run(6382, "SHUTDOWN");
    let _ = p.restart(6382);
    // A dump downloaded from one server and uploaded to another.
    if let Some((_, dump)) = p.dump_file(6379) {
        let _ = p.upload_dump(6382, dump);
    }
    let _ = p.crash(6382);
    let _ = p.restart(6382);
    frames(&mut p, 50, 100);
    p.run(6380, "INFO replication");
    let _ = p.remove_server(6382);
    frames(&mut p, 20, 100);
    p
}

/// FNV-1a over the trace as written out: the same on every platform.
pub fn trace_digest(p: &Playground) -> u64 {
    let text = format!("{:?}", p.sim().trace());
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}
