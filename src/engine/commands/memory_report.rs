//! MEMORY STATS and MEMORY DOCTOR: Redis's breakdown of `used_memory` and
//! its advice, from the engine's memory accounting (memory.rs) and its
//! model of the process around it (jemalloc's pages, the RSS), with
//! Redis's fields, order and thresholds.

use super::Frame;
use crate::engine::memory::{process_memory, table, CLIENT_BYTES, STARTUP_BYTES};
use crate::engine::node::ClientId;
use crate::engine::numfmt::fmt_g17;
use crate::engine::server::Server;
use crate::engine::time::Millis;

/// Redis keeps these ratios in C floats and prints them as doubles.
fn ratio(value: f64) -> Frame {
    Frame::Bulk(fmt_g17(value as f32 as f64).into_bytes())
}

struct Overhead {
    peak: u64,
    total: u64,
    replicas: u64,
    clients: u64,
    backlog: u64,
    dbs: Vec<(usize, u64, u64)>,
    overhead_total: u64,
    keys: u64,
}

fn overhead(server: &mut Server) -> Overhead {
    server.note_memory_peak();
    let total = server.used_memory();
    let replicas = server.repl.replicas.len() as u64 * CLIENT_BYTES;
    let clients = (server.clients.len() as u64).saturating_sub(server.repl.replicas.len() as u64) * CLIENT_BYTES;
    let backlog = server.repl.backlog.as_ref().map_or(0, |b| b.bytes.len() as u64);
    let dbs: Vec<(usize, u64, u64)> = server
        .keyspace
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, db)| !db.is_empty())
        .map(|(i, db)| (i, table(db.len()) + db.len() as u64 * 24, table(db.expires_count()) + db.expires_count() as u64 * 24))
        .collect();
    Overhead {
        peak: server.memory.peak,
        total,
        replicas,
        clients,
        backlog,
        overhead_total: STARTUP_BYTES + replicas + clients + backlog,
        keys: server.keyspace.total_keys() as u64,
        dbs,
    }
}

pub fn memory_stats(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let o = overhead(server);
    let p = process_memory(o.total);
    let dataset = o.total.saturating_sub(o.overhead_total);
    let net = o.total.saturating_sub(STARTUP_BYTES);
    let field = |name: &str| Frame::Bulk(name.as_bytes().to_vec());
    let int = |n: u64| Frame::Integer(n as i64);
    let mut out = vec![
        field("peak.allocated"),
        int(o.peak),
        field("total.allocated"),
        int(o.total),
        field("startup.allocated"),
        int(STARTUP_BYTES),
        field("replication.backlog"),
        int(o.backlog),
        field("clients.slaves"),
        int(o.replicas),
        field("clients.normal"),
        int(o.clients),
        field("cluster.links"),
        int(0),
        field("aof.buffer"),
        int(0),
        field("lua.caches"),
        int(0),
        field("functions.caches"),
        int(200),
    ];
    for (db, main, expires) in &o.dbs {
        out.push(field(&format!("db.{db}")));
        out.push(Frame::Array(vec![field("overhead.hashtable.main"), int(*main), field("overhead.hashtable.expires"), int(*expires)]));
    }
    out.extend([
        field("overhead.total"),
        int(o.overhead_total),
        field("keys.count"),
        int(o.keys),
        field("keys.bytes-per-key"),
        int(if o.keys == 0 { 0 } else { net / o.keys }),
        field("dataset.bytes"),
        int(dataset),
        field("dataset.percentage"),
        ratio(if net == 0 { 0.0 } else { dataset as f64 * 100.0 / net as f64 }),
        field("peak.percentage"),
        ratio(o.total as f64 * 100.0 / o.peak.max(1) as f64),
        field("allocator.allocated"),
        int(p.allocated),
        field("allocator.active"),
        int(p.active),
        field("allocator.resident"),
        int(p.resident),
        field("allocator-fragmentation.ratio"),
        ratio(p.active as f64 / p.allocated as f64),
        field("allocator-fragmentation.bytes"),
        int(p.active - p.allocated),
        field("allocator-rss.ratio"),
        ratio(p.resident as f64 / p.active as f64),
        field("allocator-rss.bytes"),
        int(p.resident - p.active),
        field("rss-overhead.ratio"),
        ratio(p.rss as f64 / p.resident as f64),
        field("rss-overhead.bytes"),
        int(p.rss - p.resident),
        field("fragmentation"),
        ratio(p.rss as f64 / o.total as f64),
        field("fragmentation.bytes"),
        int(p.rss.saturating_sub(o.total)),
    ]);
    vec![Frame::Array(out)]
}

const EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const HEALTHY: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";

/// MEMORY DOCTOR: Redis's checks on the same figures, in its words.
pub fn memory_doctor(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let replicas = server.repl.replicas.len() as u64;
    let clients = (server.clients.len() as u64).saturating_sub(replicas).max(1);
    let o = overhead(server);
    let p = process_memory(o.total);
    if o.total < 5 * 1024 * 1024 {
        return vec![Frame::Bulk(EMPTY.as_bytes().to_vec())];
    }
    let mut issues: Vec<&str> = Vec::new();
    const MB10: u64 = 10 << 20;
    if o.peak as f64 / o.total as f64 > 1.5 {
        issues.push(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n");
    }
    if p.rss as f64 / o.total as f64 > 1.4 && p.rss.saturating_sub(o.total) > MB10 {
        issues.push(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"jemalloc-5.3.0\".\n\n");
    }
    if p.active as f64 / p.allocated as f64 > 1.1 && p.active - p.allocated > MB10 {
        issues.push(" * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n");
    }
    if p.resident as f64 / p.active as f64 > 1.1 && p.resident - p.active > MB10 {
        issues.push(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n");
    }
    if p.rss as f64 / p.resident as f64 > 1.1 && p.rss - p.resident > MB10 {
        issues.push(" * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n");
    }
    if replicas > 0 && o.replicas > MB10 {
        issues.push(" * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.\n\n");
    }
    if o.clients / clients > 200 * 1024 {
        issues.push(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n");
    }
    if issues.is_empty() {
        return vec![Frame::Bulk(HEALTHY.as_bytes().to_vec())];
    }
    let mut text = String::from("Sam, I detected a few issues in this Redis instance memory implants:\n\n");
    for issue in issues {
        text.push_str(issue);
    }
    text.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
    vec![Frame::Bulk(text.into_bytes())]
}
