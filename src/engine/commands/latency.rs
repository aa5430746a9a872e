//! SLOWLOG (GET, LEN, RESET) and LATENCY (LATEST, HISTORY, GRAPH, RESET,
//! DOCTOR, HISTOGRAM): reading what server/latency.rs recorded.

use super::{bulks, err};
use crate::engine::node::ClientId;
use crate::engine::resp::Frame;
use crate::engine::server::Server;
use crate::engine::time::Millis;

pub fn slowlog_get(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let count = match args.get(2) {
        None => 10,
        Some(raw) => match crate::engine::numfmt::parse_i64(raw).filter(|&n| n >= -1) {
            Some(-1) => usize::MAX,
            Some(n) => n as usize,
            None => return vec![err("count should be greater than or equal to -1")],
        },
    };
    let entries = server.slowlog.entries.iter().take(count).map(|e| {
        Frame::Array(vec![
            Frame::Integer(e.id as i64),
            Frame::Integer(e.time),
            Frame::Integer(e.micros as i64),
            bulks(e.args.iter().cloned()),
            Frame::Bulk(e.peer.clone().into_bytes()),
            Frame::Bulk(e.name.clone()),
        ])
    });
    vec![Frame::Array(entries.collect())]
}

pub fn slowlog_len(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![Frame::Integer(server.slowlog.entries.len() as i64)]
}

pub fn slowlog_reset(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.slowlog.entries.clear();
    vec![Frame::ok()]
}

pub fn latency_latest(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let events = server.latency.events.iter().filter_map(|(name, series)| {
        let (time, last) = series.samples.back()?;
        Some(Frame::Array(vec![
            Frame::bulk(name.clone()),
            Frame::Integer(*time),
            Frame::Integer(*last as i64),
            Frame::Integer(series.max as i64),
        ]))
    });
    vec![Frame::Array(events.collect())]
}

pub fn latency_history(
    server: &mut Server,
    _: ClientId,
    args: &[Vec<u8>],
    _: Millis,
) -> Vec<Frame> {
    let event = String::from_utf8_lossy(&args[2]);
    let samples = server
        .latency
        .events
        .get(event.as_ref())
        .map(|s| s.samples.clone())
        .unwrap_or_default();
    vec![Frame::Array(
        samples
            .into_iter()
            .map(|(time, ms)| Frame::Array(vec![Frame::Integer(time), Frame::Integer(ms as i64)]))
            .collect(),
    )]
}

pub fn latency_graph(
    server: &mut Server,
    _: ClientId,
    args: &[Vec<u8>],
    now: Millis,
) -> Vec<Frame> {
    let event = String::from_utf8_lossy(&args[2]);
    match server.latency.graph(&event, now) {
        Some(text) => vec![Frame::Bulk(text.into_bytes())],
        None => vec![err(&format!("No samples available for event '{event}'"))],
    }
}

pub fn latency_reset(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![Frame::Integer(server.latency.reset(&args[2..]) as i64)]
}

pub fn latency_doctor(server: &mut Server, _: ClientId, _: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let threshold = server.settings.int_or("latency-monitor-threshold", 0);
    let slower_than = server.settings.int_or("slowlog-log-slower-than", 10_000);
    vec![Frame::Bulk(
        doctor(server, threshold, slower_than, now).into_bytes(),
    )]
}

/// LATENCY DOCTOR's report for the events this engine can raise (slow
/// commands): Redis's wording, figures and advice.
fn doctor(server: &Server, threshold: i64, slower_than: i64, now: Millis) -> String {
    let events = &server.latency.events;
    if events.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    let mut report = String::new();
    let (
        mut slowlog_enable,
        mut slowlog_tune,
        mut slowlog_inspect,
        mut scheduler,
        mut large_objects,
    ) = (false, false, false, false, false);
    let mut advices = 0;
    for (number, (name, series)) in events.iter().enumerate() {
        if number == 0 {
            report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let samples = series.samples.len() as u64;
        let total: u64 = series.samples.iter().map(|(_, ms)| ms).sum();
        let (avg, mad, period) = match total.checked_div(samples) {
            None => (0, 0, 0),
            Some(avg) => {
                let mad = series.samples.iter().map(|(_, ms)| avg.abs_diff(*ms)).sum::<u64>() / samples;
                let oldest = series.samples.iter().map(|(t, _)| *t).min().unwrap_or(0);
                (avg, mad, (now.div_euclid(1000) - oldest).max(1))
            }
        };
        report.push_str(&format!(
            "{}. {name}: {samples} latency spikes (average {avg}ms, mean deviation {mad}ms, period {:.2} sec). Worst all time event {}ms.",
            number + 1,
            period as f64 / samples.max(1) as f64,
            series.max
        ));
        if name == "command" {
            if slower_than < 0 {
                slowlog_enable = true;
                advices += 1;
            } else if slower_than / 1000 > threshold {
                slowlog_tune = true;
                advices += 1;
            }
            slowlog_inspect = true;
            large_objects = true;
            advices += 2;
        }
        if name == "fast-command" {
            scheduler = true;
            advices += 1;
        }
        report.push('\n');
    }
    if events.is_empty() && advices == 0 {
        report.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        return report;
    }
    if advices == 0 {
        report.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        return report;
    }
    report.push_str("\nI have a few advices for you:\n\n");
    if slowlog_enable {
        report.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold * 1000));
    }
    if slowlog_tune {
        report.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n", threshold * 1000));
    }
    if slowlog_inspect {
        report.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if scheduler {
        report.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    if large_objects {
        report.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    report
}

/// LATENCY HISTOGRAM [command ...]: for each command called since the
/// last CONFIG RESETSTAT, its calls and their cumulative distribution.
pub fn latency_histogram(
    server: &mut Server,
    _: ClientId,
    args: &[Vec<u8>],
    _: Millis,
) -> Vec<Frame> {
    let called: Vec<&String> = server
        .stats
        .commands
        .iter()
        .filter(|(_, (calls, _, _))| *calls > 0)
        .map(|(name, _)| name)
        .collect();
    let selected: Vec<&String> = if args.len() == 2 {
        called
    } else {
        let mut picked = Vec::new();
        for asked in &args[2..] {
            let asked = String::from_utf8_lossy(asked).to_ascii_lowercase();
            // A container names all its subcommands.
            let prefix = format!("{asked}|");
            picked.extend(
                called
                    .iter()
                    .copied()
                    .filter(|name| **name == asked || name.starts_with(&prefix)),
            );
        }
        picked
    };
    let mut reply = Vec::new();
    for name in selected {
        let calls = server.stats.commands.get(name).map_or(0, |c| c.0);
        let mut buckets: std::collections::BTreeMap<u64, u64> = server
            .stats
            .slow_calls
            .get(name)
            .cloned()
            .unwrap_or_default();
        let slow: u64 = buckets.values().sum();
        if calls > slow {
            *buckets.entry(1).or_default() += calls - slow;
        }
        let mut cumulative = 0;
        let mut distribution = Vec::new();
        for (micros, count) in buckets {
            cumulative += count;
            distribution.push(Frame::Integer(micros as i64));
            distribution.push(Frame::Integer(cumulative as i64));
        }
        reply.push(Frame::bulk(name.clone()));
        reply.push(Frame::Array(vec![
            Frame::bulk("calls"),
            Frame::Integer(calls as i64),
            Frame::bulk("histogram_usec"),
            Frame::Array(distribution),
        ]));
    }
    vec![Frame::Array(reply)]
}
