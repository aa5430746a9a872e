//! MEMORY STATS and MEMORY DOCTOR, whose figures differ from run to run on
//! real Redis (so no golden shows them): the fields in redis-server
//! 7.0.15's order, figures that add up, and the doctor's verdicts as the
//! data grows and shrinks.

use redis_playground::engine::config::Config;
use redis_playground::engine::resp::{encode_command, parse_frame, Frame};
use redis_playground::engine::server::Server;

fn call(server: &mut Server, client: u64, args: &[&str]) -> Frame {
    let mut request = Vec::new();
    encode_command(&args.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>(), &mut request);
    let reply = server.receive(client, &request, 1_000_000).reply;
    parse_frame(&reply).ok().flatten().map(|(f, _)| f).unwrap_or(Frame::Null)
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Integer(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn stats_list_redis_fields_and_the_doctor_sees_a_peak() {
    let mut s = Server::new(6379, Config::parse(&["enable-debug-command yes"]).unwrap(), "f".repeat(40), 1, 1_000_000);
    let c = s.connect();
    let doctor = text(&call(&mut s, c, &["MEMORY", "DOCTOR"]));
    assert!(doctor.starts_with("Hi Sam, this instance is empty"), "{doctor}");
    call(&mut s, c, &["DEBUG", "POPULATE", "200000"]);
    let Frame::Array(stats) = call(&mut s, c, &["MEMORY", "STATS"]) else { panic!("not an array") };
    let names: Vec<String> = stats.iter().step_by(2).map(text).collect();
    // As redis-server 7.0.15 answers with keys in db 0.
    let expected = "peak.allocated total.allocated startup.allocated replication.backlog clients.slaves clients.normal cluster.links aof.buffer lua.caches functions.caches db.0 overhead.total keys.count keys.bytes-per-key dataset.bytes dataset.percentage peak.percentage allocator.allocated allocator.active allocator.resident allocator-fragmentation.ratio allocator-fragmentation.bytes allocator-rss.ratio allocator-rss.bytes rss-overhead.ratio rss-overhead.bytes fragmentation fragmentation.bytes";
    assert_eq!(names.join(" "), expected);
    let value = |name: &str| stats.iter().position(|f| text(f) == name).map(|i| text(&stats[i + 1])).unwrap_or_default();
    assert_eq!(value("keys.count"), "200000");
    let total: u64 = value("total.allocated").parse().unwrap();
    let dataset: u64 = value("dataset.bytes").parse().unwrap();
    let overhead: u64 = value("overhead.total").parse().unwrap();
    assert_eq!(dataset + overhead, total);
    let healthy = text(&call(&mut s, c, &["MEMORY", "DOCTOR"]));
    assert!(healthy.starts_with("Hi Sam, I can't find any memory issue"), "{healthy}");
    // Most keys gone: the peak stays, and the doctor says so.
    for i in 0..150_000 {
        call(&mut s, c, &["DEL", &format!("key:{i}")]);
    }
    let report = text(&call(&mut s, c, &["MEMORY", "DOCTOR"]));
    assert!(report.contains(" * Peak memory: In the past this instance used more than 150%"), "{report}");
    assert!(report.ends_with("I'm here to keep you safe, Sam. I want to help you.\n"));
    let info = text(&call(&mut s, c, &["INFO", "memory"]));
    assert!(info.contains(&format!("used_memory_peak:{}", value("peak.allocated"))), "{info}");
}

/// Redis prints jemalloc's own report here; built with another allocator
/// it says it has none, which is what the engine (no jemalloc) says too.
#[test]
fn malloc_stats_answers_as_a_redis_without_jemalloc() {
    let mut s = Server::new(6379, Config::default(), "f".repeat(40), 1, 1_000_000);
    let c = s.connect();
    assert_eq!(text(&call(&mut s, c, &["MEMORY", "MALLOC-STATS"])), "Stats not supported for the current allocator");
}
