//! Runtime configuration parameters (CONFIG GET / CONFIG SET): their names
//! and aliases, how values are checked, and Redis's error texts. A node's
//! values start from its config file and change with CONFIG SET.

use super::value::Limits;

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// A signed integer in an inclusive range.
    Int { min: i64, max: i64 },
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
    /// yes / no.
    Bool,
    /// Free text (paths, file names) checked by `check_text`.
    Text,
    /// `save`: pairs of seconds and changes, or "".
    SavePoints,
    /// `replicaof` / `slaveof`: read from the server's replication state.
    Replicaof,
}

struct Param {
    name: &'static str,
    alias: Option<&'static str>,
    kind: Kind,
    immutable: bool,
}

/// Paths a client may not change while `enable-protected-configs` is no
/// (the default).
const PROTECTED: &[&str] = &["dir", "dbfilename"];

const PARAMS: &[Param] = &[
    Param { name: "dbfilename", alias: None, kind: Kind::Text, immutable: false },
    Param { name: "dir", alias: None, kind: Kind::Text, immutable: false },
    Param { name: "databases", alias: None, kind: Kind::Int { min: 1, max: i32::MAX as i64 }, immutable: true },
    Param { name: "enable-debug-command", alias: None, kind: Kind::Enum(&["no", "yes", "local"]), immutable: true },
    Param { name: "hash-max-listpack-entries", alias: Some("hash-max-ziplist-entries"), kind: Kind::Int { min: 0, max: i64::MAX }, immutable: false },
    Param { name: "hash-max-listpack-value", alias: Some("hash-max-ziplist-value"), kind: Kind::Int { min: 0, max: i64::MAX }, immutable: false },
    Param { name: "list-compress-depth", alias: None, kind: Kind::Int { min: 0, max: i32::MAX as i64 }, immutable: false },
    Param { name: "list-max-listpack-size", alias: Some("list-max-ziplist-size"), kind: Kind::Int { min: i32::MIN as i64, max: i32::MAX as i64 }, immutable: false },
    Param { name: "rdbchecksum", alias: None, kind: Kind::Bool, immutable: true },
    Param { name: "rdbcompression", alias: None, kind: Kind::Bool, immutable: false },
    Param { name: "min-replicas-max-lag", alias: Some("min-slaves-max-lag"), kind: Kind::Int { min: 0, max: i32::MAX as i64 }, immutable: false },
    Param { name: "min-replicas-to-write", alias: Some("min-slaves-to-write"), kind: Kind::Int { min: 0, max: i32::MAX as i64 }, immutable: false },
    Param { name: "replica-serve-stale-data", alias: Some("slave-serve-stale-data"), kind: Kind::Bool, immutable: false },
    Param { name: "replicaof", alias: Some("slaveof"), kind: Kind::Replicaof, immutable: true },
    Param { name: "repl-backlog-size", alias: None, kind: Kind::Int { min: 1, max: i64::MAX }, immutable: false },
    Param { name: "repl-diskless-sync", alias: None, kind: Kind::Bool, immutable: false },
    Param { name: "repl-diskless-sync-delay", alias: None, kind: Kind::Int { min: 0, max: i32::MAX as i64 }, immutable: false },
    Param { name: "repl-timeout", alias: None, kind: Kind::Int { min: 1, max: i32::MAX as i64 }, immutable: false },
    Param { name: "repl-ping-replica-period", alias: Some("repl-ping-slave-period"), kind: Kind::Int { min: 1, max: i32::MAX as i64 }, immutable: false },
    Param { name: "replica-priority", alias: Some("slave-priority"), kind: Kind::Int { min: 0, max: i32::MAX as i64 }, immutable: false },
    Param { name: "replica-read-only", alias: Some("slave-read-only"), kind: Kind::Bool, immutable: false },
    Param { name: "save", alias: None, kind: Kind::SavePoints, immutable: false },
    Param { name: "set-max-intset-entries", alias: None, kind: Kind::Int { min: 0, max: i64::MAX }, immutable: false },
    Param { name: "zset-max-listpack-entries", alias: Some("zset-max-ziplist-entries"), kind: Kind::Int { min: 0, max: i64::MAX }, immutable: false },
    Param { name: "zset-max-listpack-value", alias: Some("zset-max-ziplist-value"), kind: Kind::Int { min: 0, max: i64::MAX }, immutable: false },
];

/// Whether `name` (or an alias) is a runtime parameter.
pub fn is_param(name: &str) -> bool {
    find(name).is_some() || recorded_param(name).is_some()
}

/// Whether a config-file line for `name` may carry several words (`bind`,
/// `save`, `client-output-buffer-limit`...) rather than exactly one.
pub fn takes_words(name: &str) -> bool {
    recorded_param(name).is_some_and(|p| matches!(p.kind, RecordedKind::Words | RecordedKind::Immutable))
}

/// How Redis checks a parameter the engine keeps only as a value, as
/// scripts/record-config-table.py learned it from a real server.
#[derive(Clone, Debug, PartialEq)]
enum RecordedKind {
    Bool,
    Enum(Vec<String>),
    Int { min: i64, max: i64 },
    /// A byte count that takes `1mb`-style units; CONFIG GET shows bytes.
    Memory { min: i64, max: i64 },
    Immutable,
    Protected,
    /// Free text, taken as written; CONFIG REWRITE quotes it.
    Text,
    /// A format Redis checks by hand (`bind`, `client-output-buffer-limit`,
    /// `notify-keyspace-events`...): taken as written, several words in a
    /// config file.
    Words,
}

#[derive(Debug)]
struct RecordedParam {
    name: String,
    canonical: String,
    kind: RecordedKind,
    default: String,
    /// Redis's HIDDEN_CONFIG: CONFIG GET shows it only when asked by name.
    hidden: bool,
}

const RECORDED_TABLE: &str = include_str!("commands/recorded/config.tsv");

/// The parameters `CONFIG GET *` does not list (so the recording missed
/// them), as Redis 7.0.15's config.c declares them; the suite's tests and
/// replication lessons slow saves and loads with the two delays.
const HIDDEN_TABLE: &str = include_str!("commands/recorded/config_hidden.tsv");

/// Every name `CONFIG GET *` lists on Redis 7.0.15 and the hidden ones,
/// sorted. A line that does not parse is left out rather than taking the
/// page down.
fn recorded_params() -> &'static [RecordedParam] {
    static TABLE: std::sync::OnceLock<Vec<RecordedParam>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let shown = RECORDED_TABLE.lines().filter_map(parse_recorded);
        let hidden = HIDDEN_TABLE.lines().filter_map(parse_recorded).map(|p| RecordedParam { hidden: true, ..p });
        let mut all: Vec<RecordedParam> = shown.chain(hidden).collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    })
}

fn parse_recorded(line: &str) -> Option<RecordedParam> {
    let mut fields = line.splitn(4, '\t');
    let name = fields.next()?.to_string();
    let canonical = fields.next()?.to_string();
    let kind_text = fields.next()?;
    let default = fields.next()?.to_string();
    let range = |rest: &str| -> Option<(i64, i64)> {
        let (lo, hi) = rest.split_once(':')?;
        Some((lo.parse().ok()?, hi.parse().ok()?))
    };
    let kind = match kind_text.split_once(':') {
        Some(("enum", words)) => RecordedKind::Enum(words.split(',').map(str::to_string).collect()),
        Some(("int", rest)) => range(rest).map(|(min, max)| RecordedKind::Int { min, max })?,
        Some(("memory", rest)) => range(rest).map(|(min, max)| RecordedKind::Memory { min, max })?,
        _ => match kind_text {
            "bool" => RecordedKind::Bool,
            "immutable" => RecordedKind::Immutable,
            "protected" => RecordedKind::Protected,
            "text" => RecordedKind::Text,
            "special" => RecordedKind::Words,
            _ => return None,
        },
    };
    Some(RecordedParam { name, canonical, kind, default, hidden: false })
}

fn recorded_param(name: &str) -> Option<&'static RecordedParam> {
    let lower = name.to_ascii_lowercase();
    let table = recorded_params();
    let at = table.binary_search_by(|p| p.name.as_str().cmp(&lower)).ok()?;
    let entry = &table[at];
    // Aliases resolve to the entry that holds the value.
    if entry.canonical == entry.name {
        Some(entry)
    } else {
        table.binary_search_by(|p| p.name.as_str().cmp(&entry.canonical)).ok().map(|i| &table[i])
    }
}

/// CONFIG REWRITE quotes values that would not read back as one argument.
fn quote_config_value(value: &str) -> String {
    if value.is_empty() || value.bytes().any(|b| b.is_ascii_whitespace() || b == b'"' || b == b'\'') {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_string()
    }
}

/// Redis's memory values: a number with an optional b/k/kb/m/mb/g/gb unit
/// (k is 1000, kb 1024), case-insensitive.
pub(crate) fn parse_memory(raw: &[u8]) -> Option<i64> {
    let text = String::from_utf8_lossy(raw).to_ascii_lowercase();
    // Redis reads an empty value as no bytes at all.
    if text.is_empty() {
        return Some(0);
    }
    let units: [(&str, i64); 7] = [
        ("kb", 1024),
        ("mb", 1024 * 1024),
        ("gb", 1024 * 1024 * 1024),
        ("k", 1000),
        ("m", 1000 * 1000),
        ("g", 1000 * 1000 * 1000),
        ("b", 1),
    ];
    let (digits, multiplier) = units
        .iter()
        .find_map(|(unit, mul)| text.strip_suffix(unit).map(|d| (d, *mul)))
        .unwrap_or((text.as_str(), 1));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok()?.checked_mul(multiplier)
}

/// The parameters whose format Redis checks by hand: the value checked as
/// its setter checks it, and kept the way CONFIG GET then shows it
/// (`current` is its value until now).
fn special_value(name: &str, text: &str, current: &str) -> Result<String, String> {
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    match name {
        "notify-keyspace-events" => notify_keyspace_events(text),
        "client-output-buffer-limit" => client_output_buffer_limit(&words, current),
        "oom-score-adj-values" => oom_score_adj_values(&words),
        "latency-tracking-info-percentiles" => latency_percentiles(&words),
        "maxmemory-clients" => maxmemory_clients(text),
        "cluster-announce-hostname" => {
            if text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
                Ok(text.to_string())
            } else {
                Err("Hostnames may only contain alphanumeric characters, hyphens or dots".into())
            }
        }
        "bind" => bind(&words),
        _ => Ok(text.to_string()),
    }
}

/// `notify-keyspace-events`, checked and shown as Redis does.
fn notify_keyspace_events(text: &str) -> Result<String, String> {
    // Classes as Redis orders them; `A` stands for all but m and n.
    const ALL: &str = "g$lshzxetd";
    let mut flags = String::new();
    for c in text.chars() {
        match c {
            'A' => flags.push_str(ALL),
            'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 'K' | 'E' | 't' | 'm' | 'd' | 'n' => flags.push(c),
            _ => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        }
    }
    let has = |c: char| flags.contains(c);
    let mut out = if ALL.chars().all(has) { "A".to_string() } else { "g$lshzxetdn".chars().filter(|&c| has(c)).collect() };
    out.extend("KEm".chars().filter(|&c| has(c)));
    Ok(out)
}

/// `client-output-buffer-limit`, checked and shown as Redis does.
fn client_output_buffer_limit(words: &[&str], current: &str) -> Result<String, String> {
    if words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    // The current limits, each class given replaced.
    let mut limits = [("normal", [0i64, 0, 0]), ("slave", [268_435_456, 67_108_864, 60]), ("pubsub", [33_554_432, 8_388_608, 60])];
    let now: Vec<&str> = current.split_ascii_whitespace().collect();
    for (class, values) in limits.iter_mut() {
        if let Some(at) = now.iter().position(|w| w == class) {
            for (i, value) in values.iter_mut().enumerate() {
                if let Some(v) = now.get(at + 1 + i).and_then(|w| w.parse().ok()) {
                    *value = v;
                }
            }
        }
    }
    for group in words.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
        };
        let hard = parse_memory(group[1].as_bytes());
        let soft = parse_memory(group[2].as_bytes());
        let seconds = group[3].parse::<i64>().ok().filter(|s| *s >= 0);
        match (hard, soft, seconds) {
            (Some(h), Some(s), Some(secs)) => limits[class].1 = [h, s, secs],
            _ => return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into()),
        }
    }
    Ok(limits.iter().map(|(class, [h, s, secs])| format!("{class} {h} {s} {secs}")).collect::<Vec<_>>().join(" "))
}

/// `oom-score-adj-values`, checked and shown as Redis does.
fn oom_score_adj_values(words: &[&str]) -> Result<String, String> {
    if words.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let values: Option<Vec<i64>> = words.iter().map(|w| w.parse::<i64>().ok().filter(|v| (-2000..=2000).contains(v))).collect();
    let values = values.ok_or("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")?;
    Ok(values.iter().map(i64::to_string).collect::<Vec<_>>().join(" "))
}

/// `latency-tracking-info-percentiles`, checked and shown as Redis does.
fn latency_percentiles(words: &[&str]) -> Result<String, String> {
    let mut out = Vec::new();
    for word in words {
        let p = super::numfmt::parse_f64(word.as_bytes()).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&p) {
            return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
        }
        // printf's %f, then trailing zeros (and the dot) trimmed.
        let shown = format!("{p:.6}");
        out.push(shown.trim_end_matches('0').trim_end_matches('.').to_string());
    }
    Ok(out.join(" "))
}

/// `maxmemory-clients`, checked and shown as Redis does.
fn maxmemory_clients(text: &str) -> Result<String, String> {
    if let Some(bytes) = parse_memory(text.as_bytes()) {
        return Ok(bytes.to_string());
    }
    match text.strip_suffix('%').filter(|d| !d.is_empty()).and_then(|d| d.parse::<i64>().ok()).filter(|p| *p >= 0) {
        Some(p) if p > 100 => Err("percentage argument must be less or equal to 100".into()),
        Some(p) => Ok(format!("{p}%")),
        None => Err("argument must be a memory or percent value".into()),
    }
}

/// `bind`, checked and shown as Redis does.
fn bind(words: &[&str]) -> Result<String, String> {
    if words.len() > 16 {
        return Err("Too many bind addresses specified.".into());
    }
    // The virtual machine has only its loopback interface (and the
    // wildcards): any other address cannot be bound, as on a real one.
    let bindable = |word: &str| {
        let addr = word.strip_prefix('-').unwrap_or(word);
        matches!(addr, "*" | "::*" | "localhost" | "0.0.0.0" | "::" | "::1")
            || addr.parse::<std::net::Ipv4Addr>().is_ok_and(|a| a.is_loopback())
    };
    if words.iter().all(|w| bindable(w)) {
        Ok(words.join(" "))
    } else {
        Err("Failed to bind to specified addresses.".into())
    }
}

fn find(name: &str) -> Option<&'static Param> {
    let lower = name.to_ascii_lowercase();
    PARAMS.iter().find(|p| p.name == lower || p.alias == Some(lower.as_str()))
}

fn yes_no(v: bool) -> String {
    if v { "yes" } else { "no" }.to_string()
}

/// The parameters' current values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub databases: i64,
    /// `no`, `yes` or `local`: whether DEBUG may run (console clients are local).
    pub enable_debug_command: String,
    pub limits: Limits,
    pub list_compress_depth: i64,
    pub list_max_listpack_size: i64,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub dir: String,
    pub dbfilename: String,
    /// Save points: (seconds, changes).
    pub save: Vec<(i64, i64)>,
    pub repl_backlog_size: i64,
    pub repl_diskless_sync: bool,
    pub repl_diskless_sync_delay: i64,
    pub repl_ping_replica_period: i64,
    pub replica_priority: i64,
    pub replica_read_only: bool,
    /// `host port` of the master, "" for a master (kept by the server).
    pub replicaof: String,
    /// Seconds of silence after which either end gives a link up.
    pub repl_timeout: i64,
    pub min_replicas_to_write: i64,
    pub min_replicas_max_lag: i64,
    pub replica_serve_stale_data: bool,
    /// Parameters the engine only stores (CONFIG GET shows them, CONFIG SET
    /// checks them as Redis does), by canonical name; absent ones hold the
    /// recorded default.
    pub other: std::collections::BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            databases: 16,
            enable_debug_command: "no".into(),
            limits: Limits::default(),
            list_compress_depth: 0,
            list_max_listpack_size: -2,
            rdbcompression: true,
            rdbchecksum: true,
            dir: "/var/lib/redis".into(),
            dbfilename: "dump.rdb".into(),
            save: vec![(3600, 1), (300, 100), (60, 10000)],
            repl_backlog_size: 1024 * 1024,
            repl_diskless_sync: true,
            repl_diskless_sync_delay: 5,
            repl_ping_replica_period: 10,
            replica_priority: 100,
            replica_read_only: true,
            replicaof: String::new(),
            repl_timeout: 60,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
            replica_serve_stale_data: true,
            other: Default::default(),
        }
    }
}

impl Settings {
    fn slot(&mut self, name: &str) -> Option<&mut i64> {
        Some(match name {
            "repl-backlog-size" => &mut self.repl_backlog_size,
            "min-replicas-to-write" => &mut self.min_replicas_to_write,
            "min-replicas-max-lag" => &mut self.min_replicas_max_lag,
            "repl-diskless-sync-delay" => &mut self.repl_diskless_sync_delay,
            "repl-ping-replica-period" => &mut self.repl_ping_replica_period,
            "repl-timeout" => &mut self.repl_timeout,
            "replica-priority" => &mut self.replica_priority,
            "databases" => &mut self.databases,
            "list-compress-depth" => &mut self.list_compress_depth,
            "list-max-listpack-size" => &mut self.list_max_listpack_size,
            _ => return None,
        })
    }

    fn get(&self, name: &str) -> String {
        let l = &self.limits;
        match name {
            "databases" => self.databases.to_string(),
            "enable-debug-command" => self.enable_debug_command.clone(),
            "hash-max-listpack-entries" => l.hash_max_listpack_entries.to_string(),
            "hash-max-listpack-value" => l.hash_max_listpack_value.to_string(),
            "list-compress-depth" => self.list_compress_depth.to_string(),
            "list-max-listpack-size" => self.list_max_listpack_size.to_string(),
            "rdbchecksum" => yes_no(self.rdbchecksum),
            "dir" => self.dir.clone(),
            "dbfilename" => self.dbfilename.clone(),
            "save" => self.save.iter().map(|(s, c)| format!("{s} {c}")).collect::<Vec<_>>().join(" "),
            "repl-backlog-size" => self.repl_backlog_size.to_string(),
            "repl-diskless-sync" => yes_no(self.repl_diskless_sync),
            "repl-diskless-sync-delay" => self.repl_diskless_sync_delay.to_string(),
            "repl-ping-replica-period" => self.repl_ping_replica_period.to_string(),
            "repl-timeout" => self.repl_timeout.to_string(),
            "replica-priority" => self.replica_priority.to_string(),
            "replica-read-only" => yes_no(self.replica_read_only),
            "replicaof" => self.replicaof.clone(),
            "min-replicas-to-write" => self.min_replicas_to_write.to_string(),
            "min-replicas-max-lag" => self.min_replicas_max_lag.to_string(),
            "replica-serve-stale-data" => yes_no(self.replica_serve_stale_data),
            "rdbcompression" => yes_no(self.rdbcompression),
            "set-max-intset-entries" => l.set_max_intset_entries.to_string(),
            "zset-max-listpack-entries" => l.zset_max_listpack_entries.to_string(),
            "zset-max-listpack-value" => l.zset_max_listpack_value.to_string(),
            other => match self.other.get(other) {
                Some(value) => value.clone(),
                None => recorded_param(other).map_or(String::new(), |p| p.default.clone()),
            },
        }
    }

    /// `maxmemory` in bytes (0: no limit). Asked before every command.
    pub fn maxmemory(&self) -> u64 {
        self.other.get("maxmemory").and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    pub fn maxmemory_policy(&self) -> super::memory::Policy {
        super::memory::Policy::parse(self.other.get("maxmemory-policy").map_or("noeviction", String::as_str))
    }

    pub fn maxmemory_samples(&self) -> usize {
        self.get("maxmemory-samples").parse().unwrap_or(5)
    }

    pub fn replica_ignore_maxmemory(&self) -> bool {
        self.get("replica-ignore-maxmemory") != "no"
    }

    /// The LFU parameters while `maxmemory-policy` is one of the `*-lfu` ones.
    pub fn lfu_policy(&self) -> Option<super::keyspace::LfuPolicy> {
        // Asked before every command: absent means the default, noeviction.
        let policy = self.other.get("maxmemory-policy")?;
        policy.ends_with("-lfu").then(|| super::keyspace::LfuPolicy {
            log_factor: self.get("lfu-log-factor").parse().unwrap_or(10),
            decay_minutes: self.get("lfu-decay-time").parse().unwrap_or(1),
        })
    }

    /// The default user's password (`requirepass`), empty for none.
    pub fn requirepass(&self) -> &str {
        self.other.get("requirepass").map_or("", String::as_str)
    }

    /// Whether `appendonly` is on (asked by every cron tick).
    pub fn appendonly(&self) -> bool {
        self.other.get("appendonly").is_some_and(|v| v == "yes")
    }

    /// An integer parameter kept among the recorded ones, without copying
    /// its text (asked after every command).
    pub fn int_or(&self, name: &str, default: i64) -> i64 {
        self.other.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    /// The keyspace event classes `notify-keyspace-events` publishes.
    pub fn notify_classes(&self) -> u16 {
        self.other.get("notify-keyspace-events").map_or(0, |v| crate::engine::notify::classes(v))
    }

    /// A parameter's value by any of its names.
    pub fn value_of(&self, name: &str) -> Option<String> {
        let canonical = find(name).map(|p| p.name).or_else(|| recorded_param(name).map(|p| p.canonical.as_str()))?;
        Some(self.get(canonical))
    }

    /// Checks a value for a parameter the engine only stores and keeps it
    /// the way CONFIG GET then shows it.
    fn apply_recorded(&mut self, param: &RecordedParam, name: &str, raw_value: &[u8], from_file: bool) -> Result<(), String> {
        let fail = |why: &str| format!("CONFIG SET failed (possibly related to argument '{name}') - {why}");
        let in_range = |value: i64, min: i64, max: i64| {
            if value < min || value > max {
                Err(fail(&format!("argument must be between {min} and {max} inclusive")))
            } else {
                Ok(value.to_string())
            }
        };
        let text = String::from_utf8_lossy(raw_value).into_owned();
        let value = match &param.kind {
            RecordedKind::Immutable if !from_file => return Err(fail("can't set immutable config")),
            RecordedKind::Protected if !from_file => return Err(fail("can't set protected config")),
            RecordedKind::Immutable | RecordedKind::Protected | RecordedKind::Text => text,
            RecordedKind::Words => {
                let current = self.other.get(&param.canonical).unwrap_or(&param.default);
                special_value(&param.canonical, &text, current).map_err(|why| fail(&why))?
            }
            RecordedKind::Bool => match text.to_ascii_lowercase().as_str() {
                word @ ("yes" | "no") => word.to_string(),
                _ => return Err(fail("argument must be 'yes' or 'no'")),
            },
            RecordedKind::Enum(words) => {
                let word = text.to_ascii_lowercase();
                if !words.contains(&word) {
                    return Err(fail(&format!("argument(s) must be one of the following: {}", words.join(", "))));
                }
                word
            }
            RecordedKind::Int { min, max } => {
                let value = super::numfmt::parse_i64(raw_value)
                    .ok_or_else(|| fail("argument couldn't be parsed into an integer"))?;
                in_range(value, *min, *max)?;
                // Redis takes any hz and then keeps it within what it can run.
                if param.canonical == "hz" { value.clamp(1, 500).to_string() } else { value.to_string() }
            }
            RecordedKind::Memory { min, max } => {
                let value = parse_memory(raw_value).ok_or_else(|| fail("argument must be a memory value"))?;
                in_range(value, *min, *max)?
            }
        };
        if value == param.default {
            self.other.remove(&param.canonical);
        } else {
            self.other.insert(param.canonical.clone(), value);
        }
        Ok(())
    }

    fn put(&mut self, name: &str, value: i64) {
        let as_usize = value.max(0) as usize;
        let l = &mut self.limits;
        match name {
            "hash-max-listpack-entries" => l.hash_max_listpack_entries = as_usize,
            "hash-max-listpack-value" => l.hash_max_listpack_value = as_usize,
            "set-max-intset-entries" => l.set_max_intset_entries = as_usize,
            "zset-max-listpack-entries" => l.zset_max_listpack_entries = as_usize,
            "zset-max-listpack-value" => l.zset_max_listpack_value = as_usize,
            other => {
                if let Some(slot) = self.slot(other) {
                    *slot = value;
                }
            }
        }
    }

    /// `CONFIG GET pattern...`: name/value pairs of every matching
    /// parameter (aliases too), each once.
    pub fn matching(&self, patterns: &[Vec<u8>]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let modelled = PARAMS.iter().flat_map(|p| std::iter::once(p.name).chain(p.alias));
        let names = recorded_params().iter().map(|p| (p.name.as_str(), p.hidden)).chain(modelled.map(|n| (n, false)));
        for (name, hidden) in names {
            // A hidden one answers its own name, never a pattern.
            let hit = patterns.iter().any(|pat| {
                let is_pattern = pat.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
                if hidden && is_pattern {
                    false
                } else {
                    super::glob::matches(pat, name.as_bytes(), true)
                }
            });
            if hit && !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), self.value_of(name).unwrap_or_default()));
            }
        }
        out
    }

    /// The values a config file gives (immutable ones included), read
    /// through `get` (a directive's last arguments) and `save_lines` (every
    /// `save` line); the file was checked when it was parsed, so a bad
    /// value keeps the default.
    pub fn from_file<'a>(get: impl Fn(&str) -> Option<&'a [String]>, save_lines: Vec<&'a [String]>) -> Settings {
        let mut settings = Settings::default();
        for p in PARAMS {
            let value = std::iter::once(p.name).chain(p.alias).find_map(&get);
            if let Some(args) = value {
                // Config::parse already refused bad values.
                let _ = settings.apply(p, p.name, args.join(" ").as_bytes());
            }
        }
        for p in recorded_params().iter().filter(|p| p.name == p.canonical && find(&p.name).is_none()) {
            let value = recorded_params()
                .iter()
                .filter(|alias| alias.canonical == p.name)
                .find_map(|alias| get(&alias.name));
            if let Some(args) = value {
                let _ = settings.apply_recorded(p, &p.name, args.join(" ").as_bytes(), true);
            }
        }
        // Each `save` line of a file adds a point; `save ""` clears them.
        if !save_lines.is_empty() {
            settings.save.clear();
            for args in save_lines {
                let mut probe = Settings::default();
                if probe.set_from_file("save", args.join(" ").as_bytes()).is_ok() {
                    settings.save.extend(probe.save);
                }
            }
        }
        settings
    }

    /// Checks and applies one config-file directive (immutable ones too).
    pub fn set_from_file(&mut self, name: &str, raw_value: &[u8]) -> Result<(), String> {
        if let Some(param) = find(name) {
            return self.apply(param, name, raw_value);
        }
        let param = recorded_param(name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        self.apply_recorded(param, name, raw_value, true)
    }

    fn apply(&mut self, param: &Param, name: &str, raw_value: &[u8]) -> Result<(), String> {
        let fail = |why: &str| format!("CONFIG SET failed (possibly related to argument '{name}') - {why}");
        match param.kind {
            Kind::Int { min, max } => {
                let value = super::numfmt::parse_i64(raw_value)
                    .ok_or_else(|| fail("argument couldn't be parsed into an integer"))?;
                if value < min || value > max {
                    return Err(fail(&format!("argument must be between {min} and {max} inclusive")));
                }
                self.put(param.name, value);
            }
            Kind::Bool => {
                let value = match String::from_utf8_lossy(raw_value).to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(fail("argument must be 'yes' or 'no'")),
                };
                match param.name {
                    "rdbchecksum" => self.rdbchecksum = value,
                    "rdbcompression" => self.rdbcompression = value,
                    "repl-diskless-sync" => self.repl_diskless_sync = value,
                    "replica-read-only" => self.replica_read_only = value,
                    "replica-serve-stale-data" => self.replica_serve_stale_data = value,
                    _ => {}
                }
            }
            Kind::Text => {
                let text = String::from_utf8_lossy(raw_value).into_owned();
                if param.name == "dbfilename" && text.contains('/') {
                    return Err(fail("dbfilename can't be a path, just a filename"));
                }
                match param.name {
                    "dir" => self.dir = text,
                    "dbfilename" => self.dbfilename = text,
                    _ => {}
                }
            }
            Kind::Replicaof => {}
            Kind::SavePoints => {
                let text = String::from_utf8_lossy(raw_value).into_owned();
                let words: Vec<&str> = text.split_whitespace().collect();
                if words.len() % 2 != 0 {
                    return Err(fail("Invalid save parameters"));
                }
                let mut points = Vec::new();
                for pair in words.chunks(2) {
                    match (pair[0].parse::<i64>(), pair[1].parse::<i64>()) {
                        (Ok(s), Ok(c)) if s >= 1 && c >= 0 => points.push((s, c)),
                        _ => return Err(fail("Invalid save parameters")),
                    }
                }
                self.save = points;
            }
            Kind::Enum(words) => {
                let word = String::from_utf8_lossy(raw_value).to_ascii_lowercase();
                if !words.contains(&word.as_str()) {
                    return Err(fail(&format!("argument(s) must be one of the following: {}", words.join(", "))));
                }
                if param.name == "enable-debug-command" {
                    self.enable_debug_command = word;
                }
            }
        }
        Ok(())
    }

    /// The `name value` lines CONFIG REWRITE writes for values that differ
    /// from the defaults (replicaof included when following a master).
    pub fn changed_lines(&self) -> Vec<(String, String)> {
        let defaults = Settings::default();
        PARAMS
            .iter()
            .filter(|p| !p.immutable || p.name == "replicaof")
            .filter(|p| self.get(p.name) != defaults.get(p.name))
            .map(|p| {
                let value = self.get(p.name);
                let value = if p.name == "save" && value.is_empty() { "\"\"".to_string() } else { value };
                (p.name.to_string(), value)
            })
            .chain(
                self.other
                    .iter()
                    .filter(|(name, _)| recorded_param(name).is_some_and(|p| !matches!(p.kind, RecordedKind::Immutable)))
                    .map(|(name, value)| {
                        let words = recorded_param(name).is_some_and(|p| p.kind == RecordedKind::Words);
                        (name.clone(), if words && !value.is_empty() { value.clone() } else { quote_config_value(value) })
                    }),
            )
            .collect()
    }

    /// `CONFIG SET name value [name value ...]`: all or nothing. As in
    /// Redis, every name is looked up (unknown, immutable, protected,
    /// repeated) before any value is checked, and the first problem wins.
    pub fn set_many(&mut self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<(), String> {
        let refuse = |name: &str, why: &str| format!("CONFIG SET failed (possibly related to argument '{name}') - {why}");
        let names: Vec<String> = pairs.iter().map(|(n, _)| String::from_utf8_lossy(n).into_owned()).collect();
        if let Some(unknown) = names.iter().find(|n| !is_param(n)) {
            return Err(format!("Unknown option or number of arguments for CONFIG SET - '{unknown}'"));
        }
        for (i, name) in names.iter().enumerate() {
            let immutable = find(name).map_or_else(
                || recorded_param(name).is_some_and(|p| p.kind == RecordedKind::Immutable),
                |p| p.immutable,
            );
            if immutable {
                return Err(refuse(name, "can't set immutable config"));
            }
            let protected = find(name).map_or_else(
                || recorded_param(name).is_some_and(|p| p.kind == RecordedKind::Protected),
                |p| PROTECTED.contains(&p.name),
            );
            if protected {
                return Err(refuse(name, "can't set protected config"));
            }
            // An alias is a parameter of its own here: only the same name twice clashes.
            if names[..i].iter().any(|earlier| earlier.eq_ignore_ascii_case(name)) {
                return Err(refuse(name, "duplicate parameter"));
            }
        }
        let mut staged = self.clone();
        for (name, (_, raw_value)) in names.iter().zip(pairs) {
            match find(name) {
                Some(param) => staged.apply(param, name, raw_value)?,
                None => {
                    let Some(recorded) = recorded_param(name) else { continue };
                    staged.apply_recorded(recorded, name, raw_value, false)?;
                }
            }
        }
        *self = staged;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_get_star_lists_every_name_redis_lists() {
        // 192 names on a Redis 7.0.15 started without a config file.
        let all = Settings::default().matching(&[b"*".to_vec()]);
        assert_eq!(all.len(), 192);
        let value = |name: &str| all.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        assert_eq!(value("maxmemory-policy").as_deref(), Some("noeviction"));
        assert_eq!(value("slave-read-only").as_deref(), Some("yes"));
        assert_eq!(value("save").as_deref(), Some("3600 1 300 100 60 10000"));
    }

    #[test]
    fn memory_values_take_redis_units() {
        assert_eq!(parse_memory(b"1k"), Some(1000));
        assert_eq!(parse_memory(b"1KB"), Some(1024));
        assert_eq!(parse_memory(b"3gb"), Some(3 << 30));
        assert_eq!(parse_memory(b"-1"), None);
        assert_eq!(parse_memory(b"kb"), None);
        assert_eq!(parse_memory(b"99999999999gb"), None);
    }
}
