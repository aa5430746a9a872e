//! Every scenario under tests/scenarios/ must print the transcript real
//! Redis 7.0.15 printed for it (recorded by scripts/record-goldens.py).
//!
//! Replies whose order Redis leaves unspecified (KEYS) are compared as
//! multisets of elements; everything else must match line for line.
//! Set GOLDEN_DIR to compare against freshly recorded goldens instead.

use std::path::{Path, PathBuf};

use redis_playground::scenario::{self, RunOptions};
use redis_playground::sim::TraceEvent;

/// Commands whose array reply comes in hash-table order (or at random).
/// An entry with two words names a subcommand (`command list`).
const UNORDERED: &[&str] =
    &["keys", "smembers", "sinter", "sunion", "sdiff", "spop", "srandmember", "hrandfield", "command list", "scan", "sscan", "acl cat", "function list"];

/// One prompt line and the lines printed after it (or a `# step` line).
#[derive(Debug)]
struct Block {
    head: String,
    body: Vec<String>,
}

fn blocks(transcript: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for line in transcript.lines() {
        const STEPS: &[&str] = &["server", "sentinel", "sleep", "waitsync", "crash", "restart", "cut", "heal"];
        let echoed_step = line.strip_prefix("# ").is_some_and(|rest| STEPS.iter().any(|s| rest.starts_with(s)));
        let is_head = echoed_step || line.starts_with("127.0.0.1:") || line.starts_with("not connected> ");
        match out.last_mut() {
            Some(block) if !is_head => block.body.push(line.to_string()),
            _ => out.push(Block { head: line.to_string(), body: Vec::new() }),
        }
    }
    out
}

/// INFO fields whose values differ on every run of real Redis (random ids),
/// compared by name only, as SCENARIO.md allows.
/// Also compared by name only: second counters that depend on where the
/// wall clock's second boundaries fell during the real run.
/// And counters of a real process's own traffic (the recorder's probes
/// connect too) and timings.
const MASKED_FIELDS: &[&str] = &[
    "run_id:",
    "master_replid:",
    "master_replid2:",
    "master_last_io_seconds_ago:",
    "master_sync_last_io_seconds_ago:",
    "master_link_down_since_seconds:",
    "total_connections_received:",
    "total_commands_processed:",
    "total_net_",
    "latest_fork_usec:",
    "total_reads_processed:",
    "total_writes_processed:",
    "reply_buffer_",
    "instantaneous_",
    "expire_cycle_cpu_milliseconds:",
];

/// `slave0:ip=...,state=online,offset=N,lag=N`: the offset is the last
/// ACK the replica sent (once a second) and the lag the seconds since, both
/// set by wall-clock timing; the rest must match.
fn without_lag(line: &str) -> Option<&str> {
    line.starts_with("slave").then(|| line.rsplit_once(",offset=").map_or(line, |(head, _)| head))
}

/// DEBUG OBJECT's line without what is a real process's own (the object's
/// address, the LRU clock reading).
fn debug_object_shape(line: &str) -> Option<String> {
    let rest = line.strip_prefix("Value at:")?;
    let words: Vec<&str> =
        rest.split(' ').skip(1).filter(|w| !w.starts_with("lru:")).collect();
    Some(words.join(" "))
}

/// ACL rules (`... -@all +set +get`): Redis emits the single commands in
/// its command dict's order, which a per-process hash seed shuffles, so
/// the words are compared as a set.
fn acl_rules(line: &str) -> Option<Vec<&str>> {
    (line.contains("-@all") || line.contains("+@all")).then(|| {
        let mut words: Vec<&str> = line.trim_matches(|c| c == '"' || c == ' ').split(' ').collect();
        words.sort_unstable();
        words
    })
}

fn same_line(actual: &str, expected: &str) -> bool {
    actual == expected
        || acl_rules(actual).is_some_and(|a| Some(a) == acl_rules(expected))
        || without_lag(actual).is_some_and(|a| Some(a) == without_lag(expected))
        || debug_object_shape(actual).is_some_and(|a| Some(a) == debug_object_shape(expected))
        || (is_elapsed(actual) && is_elapsed(expected))
        || MASKED_FIELDS.iter().any(|f| actual.starts_with(f) && expected.starts_with(f))
}

/// redis-cli's `(0.55s)` after a slow command: wall-clock on real Redis,
/// virtual in the engine, so only its presence is compared.
fn is_elapsed(line: &str) -> bool {
    line.strip_prefix('(')
        .and_then(|l| l.strip_suffix("s)"))
        .is_some_and(|n| n.split_once('.').is_some_and(|(a, b)| !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && b.len() == 2 && b.bytes().all(|c| c.is_ascii_digit())))
}

/// LATENCY GRAPH writes each sample's age (`0s`, `1s`, `12m`) down its
/// columns: real Redis counts whole wall-clock seconds since the sample, so
/// the digit depends on where a second boundary fell during the recording.
fn is_latency_graph(head: &str) -> bool {
    head.to_ascii_lowercase().contains("> latency graph")
}

fn is_age_digits(line: &str) -> bool {
    !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the command typed at this prompt replies in an unspecified order.
fn is_unordered(head: &str) -> bool {
    let Some((_, typed)) = head.split_once("> ") else { return false };
    let words: Vec<String> = typed.split_whitespace().take(2).map(str::to_ascii_lowercase).collect();
    UNORDERED.iter().any(|u| {
        let mut parts = u.split(' ');
        parts.next() == words.first().map(String::as_str)
            && parts.next().is_none_or(|sub| words.get(1).map(String::as_str) == Some(sub))
    })
}

/// ` 3) "x"` (or `2) 1) "x"` in a nested reply) -> `"x"`: the element
/// without its positions.
fn element(line: &str) -> String {
    let mut rest = line.trim_start();
    while let Some((n, tail)) = rest.split_once(") ") {
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        rest = tail.trim_start();
    }
    rest.to_string()
}

/// INFO on a Sentinel watching several masters: Redis lists them in its
/// dict's order, which a per-process hash seed shuffles from run to run.
fn is_sentinel_info(head: &str) -> bool {
    head.to_ascii_lowercase().ends_with("> info sentinel")
}

/// The lines with `masterN:` reduced to `master:`, in order.
fn sentinel_info_lines(body: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = body
        .iter()
        .map(|l| match l.split_once(':') {
            Some((head, rest)) if head.starts_with("master") && head[6..].bytes().all(|b| b.is_ascii_digit()) => format!("master:{rest}"),
            _ => l.clone(),
        })
        .collect();
    lines.sort();
    lines
}

fn compare(name: &str, actual: &str, expected: &str) -> Result<(), String> {
    let (a, e) = (blocks(actual), blocks(expected));
    for (i, (a, e)) in a.iter().zip(&e).enumerate() {
        let unordered = is_unordered(&e.head);
        let same = if is_sentinel_info(&e.head) && a.head == e.head {
            sentinel_info_lines(&a.body) == sentinel_info_lines(&e.body)
        } else if unordered && a.head == e.head {
            let mut x: Vec<String> = a.body.iter().map(|l| element(l)).collect();
            let mut y: Vec<String> = e.body.iter().map(|l| element(l)).collect();
            x.sort();
            y.sort();
            x == y && a.body.len() == e.body.len()
        } else if is_latency_graph(&e.head) {
            a.head == e.head
                && a.body.len() == e.body.len()
                && a.body.iter().zip(&e.body).all(|(x, y)| x == y || (is_age_digits(x) && is_age_digits(y) && x.len() == y.len()))
        } else {
            a.head == e.head
                && a.body.len() == e.body.len()
                && a.body.iter().zip(&e.body).all(|(x, y)| same_line(x, y))
        };
        if !same {
            return Err(format!(
                "{name}: block {} differs\n--- real Redis\n{}\n{}\n--- engine\n{}\n{}",
                i + 1,
                e.head,
                e.body.join("\n"),
                a.head,
                a.body.join("\n")
            ));
        }
    }
    if a.len() != e.len() {
        return Err(format!("{name}: engine printed {} blocks, real Redis {}", a.len(), e.len()));
    }
    Ok(())
}

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scenarios exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "scn"))
        .collect();
    files.sort();
    files
}

#[test]
fn transcripts_match_real_redis() {
    let golden_dir = std::env::var_os("GOLDEN_DIR").map(PathBuf::from);
    let files = scenario_files();
    assert!(!files.is_empty(), "no scenarios found");
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let golden = match &golden_dir {
            Some(dir) => dir.join(file.with_extension("out").file_name().unwrap()),
            None => file.with_extension("out"),
        };
        let expected = std::fs::read_to_string(&golden).unwrap_or_else(|e| panic!("{}: {e}", golden.display()));
        let source = std::fs::read_to_string(file).unwrap();
        let steps = scenario::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        let transcript = scenario::run(&steps, RunOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let actual = transcript.join("\n") + "\n";
        if let Err(diff) = compare(&name, &actual, &expected) {
            failures.push(diff);
        }
    }
    assert!(failures.is_empty(), "{} of {} scenarios differ from real Redis:\n\n{}", failures.len(), files.len(), failures.join("\n\n"));
}

#[test]
fn the_comparison_can_fail() {
    let expected = "127.0.0.1:6379> KEYS *\n1) \"a\"\n2) \"b\"\n127.0.0.1:6379> GET a\n\"1\"\n";
    assert!(compare("t", "127.0.0.1:6379> KEYS *\n1) \"b\"\n2) \"a\"\n127.0.0.1:6379> GET a\n\"1\"\n", expected).is_ok());
    assert!(compare("t", "127.0.0.1:6379> KEYS *\n1) \"b\"\n2) \"c\"\n127.0.0.1:6379> GET a\n\"1\"\n", expected).is_err());
    assert!(compare("t", "127.0.0.1:6379> KEYS *\n1) \"a\"\n2) \"b\"\n127.0.0.1:6379> GET a\n\"2\"\n", expected).is_err());
    assert!(compare("t", "127.0.0.1:6379> KEYS *\n1) \"a\"\n2) \"b\"\n", expected).is_err());
    let graph = "127.0.0.1:6379> LATENCY GRAPH command\ncommand - high 250 ms\n_\n1\ns\n";
    assert!(compare("t", "127.0.0.1:6379> LATENCY GRAPH command\ncommand - high 250 ms\n_\n0\ns\n", graph).is_ok());
    assert!(compare("t", "127.0.0.1:6379> LATENCY GRAPH command\ncommand - high 251 ms\n_\n1\ns\n", graph).is_err());
    assert!(compare("t", "127.0.0.1:6379> LATENCY GRAPH command\ncommand - high 250 ms\n_\n1\nm\n", graph).is_err());
}

#[test]
fn same_seed_same_trace() {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/expire.scn")).unwrap();
    let steps = scenario::parse(&source).unwrap();
    let trace = |seed| {
        let (_, sim) = scenario::run_on_sim(&steps, RunOptions { seed, ..RunOptions::default() }).unwrap();
        format!("{:?}", sim.trace())
    };
    let first = trace(42);
    assert!(first.contains("Reply"));
    assert_eq!(first, trace(42));
    assert_ne!(first, trace(43), "the seed must reach the trace (run ids)");
}

/// Masks what differs from run to run in a log line (the same rules as
/// `normalize_log_text` in scripts/record-goldens.py).
fn normalize_log_text(text: &str) -> String {
    let masked_prefixes: &[(&str, &str)] = &[
        ("RDB memory usage when created ", "RDB memory usage when created <mb> Mb"),
        ("RDB age ", "RDB age <n> seconds"),
        ("Fork CoW for RDB: ", "Fork CoW for RDB: <cow>"),
        ("Background RDB transfer started by pid ", "Background RDB transfer started by pid <pid>"),
        ("Background saving started by pid ", "Background saving started by pid <pid>"),
        ("DB loaded from disk: ", "DB loaded from disk: <s> seconds"),
        ("Redis version=7.0.15, ", "Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=<pid>, just started"),
    ];
    if let Some((_, masked)) = masked_prefixes.iter().find(|(prefix, _)| text.starts_with(prefix)) {
        return masked.to_string();
    }
    // The client line in the log differs between runs (ids, ports, ages).
    let text = match (text.find("user request from '"), text.find("failover request from '")) {
        (Some(at), _) => format!("{}user request from '<client>')", &text[..at]),
        (None, Some(at)) => format!("{}failover request from '<client>')", &text[..at]),
        _ => text.to_string(),
    };
    // Replication ids: runs of exactly 40 lowercase hex digits.
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.len() == 40 && word.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
            out.push_str("<id>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// With a Sentinel watching, its hello messages go through the master
/// every 2 s, so stream offsets depend on where real Redis's wall-clock
/// timers fell (the same rule as `mask_stream_offsets` in the recorder).
fn mask_stream_offsets(text: String) -> String {
    let masks: &[(&str, &str, &str)] = &[
        ("Full resync from master: <id>:", "", "Full resync from master: <id>:<offset>"),
        ("Setting secondary replication ID to <id>, valid up to offset: ", ". New", "Setting secondary replication ID to <id>, valid up to offset: <offset>"),
        ("Partial resynchronization request from ", " accepted. Sending ", ""),
    ];
    for (prefix, rest, masked) in masks {
        if !text.starts_with(prefix) {
            continue;
        }
        if prefix.starts_with("Partial") {
            if let Some(at) = text.find(rest) {
                return format!("{}{rest}<n> bytes of backlog starting from offset <offset>.", &text[..at]);
            }
        } else if rest.is_empty() {
            return masked.to_string();
        } else if let Some(at) = text.find(rest) {
            return format!("{masked}{}", &text[at..]);
        }
    }
    text
}

/// The log lines a scenario made the engine write, port by port.
fn engine_log(steps: &[scenario::Line]) -> Vec<String> {
    let with_sentinel = steps.iter().any(|s| matches!(s.item, scenario::Item::Step(scenario::Step::Sentinel { .. })));
    let (_, sim) = scenario::run_on_sim(steps, RunOptions::default()).expect("the scenario runs");
    let mut lines: Vec<(u16, String)> = sim
        .trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Log { port, line } => {
                let text = normalize_log_text(&line.text);
                let text = if with_sentinel { mask_stream_offsets(text) } else { text };
                Some((*port, format!("{port} {} {} {text}", line.role, line.level)))
            }
            _ => None,
        })
        .collect();
    // The recorder lists the nodes' folders by name.
    lines.sort_by_key(|(port, _)| port.to_string());
    lines.into_iter().map(|(_, l)| l).collect()
}

fn is_lost_line(line: &str) -> bool {
    line.contains(" Connection with replica ") && line.ends_with(" lost.")
}

/// Every "lost" line real Redis wrote has one of the engine's, node by node.
fn same_lost_lines(actual: &[String], expected: &[&str]) -> bool {
    let mut unmatched: Vec<&String> = actual.iter().collect();
    for e in expected {
        match unmatched.iter().position(|a| same_log_line(a, e)) {
            Some(at) => {
                unmatched.remove(at);
            }
            None => return false,
        }
    }
    unmatched.is_empty()
}

/// Whether the engine's log line is the one real Redis wrote. When a
/// replica's socket is already gone as the master notices, Redis cannot
/// read its address and names it by client id ("Connection with replica
/// client id #15 lost."), which depends on the machine's timing; the
/// engine always knows the address.
fn same_log_line(actual: &str, expected: &str) -> bool {
    const LOST: &str = "Connection with replica ";
    if actual == expected {
        return true;
    }
    let (Some(a), Some(e)) = (actual.find(LOST), expected.find(LOST)) else { return false };
    let by_id = expected[e + LOST.len()..].strip_prefix("client id #").and_then(|r| r.split_once(' ')).is_some_and(|(id, rest)| {
        id.bytes().all(|b| b.is_ascii_digit()) && rest == "lost."
    });
    by_id && actual[..a] == expected[..e] && actual.ends_with(" lost.")
}

/// For the scenarios recorded with their servers' logs (NAME.log), every
/// server logs the replication lines real Redis logged, in the same order
/// (but for the "Connection with replica ... lost." lines, see below).
#[test]
fn replication_logs_match_real_redis() {
    let golden_dir = std::env::var_os("GOLDEN_DIR").map(PathBuf::from);
    let mut compared = 0;
    let mut failures = Vec::new();
    for file in scenario_files() {
        let golden = match &golden_dir {
            Some(dir) => dir.join(file.with_extension("log").file_name().unwrap()),
            None => file.with_extension("log"),
        };
        let Ok(expected) = std::fs::read_to_string(&golden) else { continue };
        compared += 1;
        let steps = scenario::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let actual = engine_log(&steps);
        let expected: Vec<&str> = expected.lines().collect();
        // When a replica's link closes while other events are ready too,
        // Redis's event loop may take them in either order: the "lost"
        // lines are compared per node as a set, the others in order.
        let (lost_actual, actual): (Vec<String>, Vec<String>) = actual.into_iter().partition(|l| is_lost_line(l));
        let (lost_expected, expected): (Vec<&str>, Vec<&str>) = expected.into_iter().partition(|l| is_lost_line(l));
        if !same_lost_lines(&lost_actual, &lost_expected) {
            failures.push(format!(
                "{}: the replicas each node lost differ\n--- real Redis\n{}\n--- engine\n{}",
                file.display(),
                lost_expected.join("\n"),
                lost_actual.join("\n")
            ));
        }
        let same = actual.len() == expected.len() && actual.iter().zip(&expected).all(|(a, e)| same_log_line(a, e));
        if !same {
            let first = actual.iter().zip(&expected).position(|(a, e)| !same_log_line(a, e)).unwrap_or(actual.len().min(expected.len()));
            failures.push(format!(
                "{}: log line {} differs\n--- real Redis\n{}\n--- engine\n{}",
                file.display(),
                first + 1,
                expected[first.saturating_sub(2)..expected.len().min(first + 4)].join("\n"),
                actual[first.saturating_sub(2)..actual.len().min(first + 4)].join("\n"),
            ));
        }
    }
    assert!(compared >= 3, "only {compared} scenarios have a recorded log");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn log_masks_hide_only_run_dependent_values() {
    let id = "7152ccd25d1a2a934711f9fcbc5b6012f96947cd";
    assert_eq!(normalize_log_text(&format!("Full resync from master: {id}:0")), "Full resync from master: <id>:0");
    assert_eq!(normalize_log_text("RDB age 1 seconds"), "RDB age <n> seconds");
    assert_eq!(normalize_log_text("Done loading RDB, keys loaded: 2, keys expired: 0."), "Done loading RDB, keys loaded: 2, keys expired: 0.");
    assert_eq!(normalize_log_text("MASTER MODE enabled (user request from 'id=3 addr=x')"), "MASTER MODE enabled (user request from '<client>')");
    assert_eq!(
        normalize_log_text("MASTER MODE enabled (failover request from 'id=56 addr=x cmd=psync')"),
        "MASTER MODE enabled (failover request from '<client>')"
    );
}
