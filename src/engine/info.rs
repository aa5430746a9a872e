//! INFO: the sections, fields and order of Redis 7.0.15. Figures that only
//! a real process has (memory, CPU, pid) are plausible values computed from
//! the simulated node's state, never random, so runs stay reproducible.

use std::collections::BTreeMap;

use super::time::Millis;

/// Counters the server keeps for INFO stats.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub connections_received: u64,
    pub commands_processed: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    /// What came from this node's master (the snapshot and the stream).
    pub net_repl_input_bytes: u64,
    /// What went to this node's replicas.
    pub net_repl_output_bytes: u64,
    pub expired_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub error_replies: u64,
    pub sync_full: u64,
    pub forks: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// Error counts by their first word (`ERR`, `WRONGTYPE`), sorted like
    /// Redis's rax.
    pub errors: BTreeMap<String, u64>,
    /// Per command: (calls, rejected, failed).
    pub commands: BTreeMap<String, (u64, u64, u64)>,
    /// Per command, the calls that took longer than the usual microsecond,
    /// by LATENCY HISTOGRAM bucket.
    pub slow_calls: BTreeMap<String, BTreeMap<u64, u64>>,
}

/// What INFO shows, as plain figures the node gathers.
pub struct Figures<'a> {
    pub port: u16,
    pub run_id: &'a str,
    pub process_id: u32,
    pub now: Millis,
    pub started_at: Millis,
    pub connected_clients: usize,
    pub blocked_clients: usize,
    pub clients_in_timeout_table: usize,
    pub changes_since_save: u64,
    pub last_save: Millis,
    pub pubsub_channels: usize,
    pub pubsub_patterns: usize,
    pub pubsubshard_channels: usize,
    pub migrate_cached_sockets: usize,
    /// CLIENT TRACKING: clients on, keys and (key, client) pairs remembered, BCAST prefixes.
    pub tracking: [usize; 4],
    /// The memory the data takes (`Keyspace::dataset_bytes`).
    pub dataset_bytes: u64,
    /// The most `used_memory` ever reached.
    pub peak_memory: u64,
    /// EVAL's script cache: how many, and the memory Redis counts for them.
    pub cached_scripts: usize,
    pub scripts_memory: u64,
    /// FUNCTION LOAD's libraries: functions, libraries, their memory.
    pub functions: (usize, usize, u64),
    /// `maxmemory`, `maxmemory-policy`, and the keys evicted to keep them.
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub evicted_keys: u64,
    /// The databases that hold keys.
    pub dbs: Vec<DbFigures>,
    pub stats: &'a Stats,
    pub persistence: PersistenceFigures,
    /// The `# Replication` lines (the server knows them best).
    pub replication: Vec<String>,
    /// redis-sentinel rather than redis-server, with the timer frequency
    /// it drew for this second (Sentinel varies it).
    pub sentinel: Option<u64>,
}

/// One database of `# Keyspace`.
pub struct DbFigures {
    pub index: usize,
    pub keys: usize,
    pub expires: usize,
    pub avg_ttl: i64,
}

/// What `# Persistence` shows besides the change counter.
#[derive(Default)]
pub struct PersistenceFigures {
    pub loading: Option<LoadingFigures>,
    /// When the background save under way started.
    pub bgsave_started_at: Option<Millis>,
    pub last_bgsave_seconds: Option<i64>,
    pub saves: u64,
    pub keys_loaded: u64,
    pub keys_expired_on_load: u64,
    pub aof: AofFigures,
}

/// The append-only file's side of `# Persistence`.
#[derive(Default)]
pub struct AofFigures {
    /// Its state is not off (on, or waiting for its first rewrite).
    pub active: bool,
    /// `appendonly yes` (the extra lines are shown).
    pub configured: bool,
    pub rewrite_started_at: Option<Millis>,
    pub rewrite_scheduled: bool,
    pub last_rewrite_seconds: Option<i64>,
    pub rewrites: u64,
    pub current_size: u64,
    pub base_size: u64,
}

/// A start-up load under way.
pub struct LoadingFigures {
    pub started_at: Millis,
    pub total_bytes: usize,
    pub loaded_bytes: usize,
    pub rdb_used_mem: u64,
}

const DEFAULT: &[&str] =
    &["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"];
const ALL: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{n}B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.2}K", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", n / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", n / (1024.0 * 1024.0 * 1024.0))
    }
}

/// The sections INFO was asked for, in Redis's order; `None` when nothing
/// matches (Redis then answers an empty string).
pub fn selected(args: &[Vec<u8>]) -> Vec<&'static str> {
    if args.is_empty() {
        return DEFAULT.to_vec();
    }
    let asked: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    let has = |name: &str| asked.iter().any(|a| a == name);
    ALL.iter()
        .copied()
        .filter(|s| {
            has(s) || has("all") || has("everything") || (has("default") && DEFAULT.contains(s))
        })
        .collect()
}

pub fn render(sections: &[&str], s: &Figures) -> String {
    sections.iter().map(|name| section(name, s)).collect::<Vec<_>>().join("\r\n")
}

fn section(name: &str, s: &Figures) -> String {
    let lines: Vec<String> = match name {
        "server" => server_lines(s),
        "clients" => vec![
            format!("connected_clients:{}", s.connected_clients),
            "cluster_connections:0".into(),
            "maxclients:10000".into(),
            "client_recent_max_input_buffer:0".into(),
            "client_recent_max_output_buffer:0".into(),
            format!("blocked_clients:{}", s.blocked_clients),
            format!("tracking_clients:{}", s.tracking[0]),
            format!("clients_in_timeout_table:{}", s.clients_in_timeout_table),
        ],
        "memory" => memory_lines(s),
        "persistence" => {
            let mut lines = persistence_lines(s);
            lines.extend(loading_lines(s));
            lines
        }
        "stats" => stats_lines(s),
        "replication" => s.replication.clone(),
        "cpu" => {
            // A simulated node spends about 10 µs of CPU per command.
            let cpu = s.stats.commands_processed as f64 * 0.000_01 + uptime_seconds(s) as f64 * 0.001;
            vec![
                format!("used_cpu_sys:{:.6}", cpu / 2.0),
                format!("used_cpu_user:{:.6}", cpu / 2.0),
                "used_cpu_sys_children:0.000000".into(),
                "used_cpu_user_children:0.000000".into(),
                format!("used_cpu_sys_main_thread:{:.6}", cpu / 2.0),
                format!("used_cpu_user_main_thread:{:.6}", cpu / 2.0),
            ]
        }
        "modules" => Vec::new(),
        "commandstats" => s
            .stats
            .commands
            .iter()
            .map(|(name, (calls, rejected, failed))| {
                format!("cmdstat_{name}:calls={calls},usec={calls},usec_per_call=1.00,rejected_calls={rejected},failed_calls={failed}")
            })
            .collect(),
        "errorstats" => s.stats.errors.iter().map(|(kind, n)| format!("errorstat_{kind}:count={n}")).collect(),
        "latencystats" => s
            .stats
            .commands
            .iter()
            .filter(|(_, (calls, _, _))| *calls > 0)
            .map(|(name, _)| format!("latency_percentiles_usec_{name}:p50=1.003,p99=1.003,p99.9=1.003"))
            .collect(),
        "cluster" => vec!["cluster_enabled:0".into()],
        "keyspace" => s
            .dbs
            .iter()
            .map(|db| format!("db{}:keys={},expires={},avg_ttl={}", db.index, db.keys, db.expires, db.avg_ttl))
            .collect(),
        _ => Vec::new(),
    };
    let title = match name {
        "cpu" => "CPU".to_string(),
        other => {
            let mut t = other.to_string();
            t[..1].make_ascii_uppercase();
            t
        }
    };
    let mut out = format!("# {title}\r\n");
    for line in lines {
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

fn uptime_seconds(s: &Figures) -> i64 {
    (s.now - s.started_at).max(0) / 1000
}

/// What the memory figures start from: the dataset, the server's own
/// start-up footprint, and each client's buffers.
fn used_memory(s: &Figures) -> u64 {
    crate::engine::memory::STARTUP_BYTES + s.dataset_bytes + s.connected_clients as u64 * crate::engine::memory::CLIENT_BYTES
}

/// The Redis release this engine answers as.
pub const REDIS_VERSION: &str = "7.0.15";

fn server_lines(s: &Figures) -> Vec<String> {
    let uptime = uptime_seconds(s);
    vec![
        format!("redis_version:{REDIS_VERSION}"),
        "redis_git_sha1:00000000".into(),
        "redis_git_dirty:0".into(),
        "redis_build_id:ae4d7c971a948f0".into(),
        format!("redis_mode:{}", if s.sentinel.is_some() { "sentinel" } else { "standalone" }),
        "os:Linux playground x86_64".into(),
        "arch_bits:64".into(),
        "monotonic_clock:POSIX clock_gettime".into(),
        "multiplexing_api:epoll".into(),
        "atomicvar_api:c11-builtin".into(),
        "gcc_version:12.2.0".into(),
        format!("process_id:{}", s.process_id),
        "process_supervised:no".into(),
        format!("run_id:{}", s.run_id),
        format!("tcp_port:{}", s.port),
        format!("server_time_usec:{}", s.now * 1000),
        format!("uptime_in_seconds:{uptime}"),
        format!("uptime_in_days:{}", uptime / 86_400),
        format!("hz:{}", s.sentinel.unwrap_or(10)),
        "configured_hz:10".into(),
        format!("lru_clock:{}", (s.now / 1000) & ((1 << 24) - 1)),
        format!("executable:/usr/bin/redis-{}", if s.sentinel.is_some() { "sentinel" } else { "server" }),
        format!("config_file:{}", if s.sentinel.is_some() { "/etc/redis/sentinel.conf" } else { "" }),
        "io_threads_active:0".into(),
    ]
}

fn memory_lines(s: &Figures) -> Vec<String> {
    let used = used_memory(s);
    let process = crate::engine::memory::process_memory(used);
    let rss = process.rss;
    let peak = s.peak_memory.max(used);
    let startup = crate::engine::memory::STARTUP_BYTES;
    let dataset = used.saturating_sub(startup + s.connected_clients as u64 * crate::engine::memory::CLIENT_BYTES);
    vec![
        format!("used_memory:{used}"),
        format!("used_memory_human:{}", human_bytes(used)),
        format!("used_memory_rss:{rss}"),
        format!("used_memory_rss_human:{}", human_bytes(rss)),
        format!("used_memory_peak:{peak}"),
        format!("used_memory_peak_human:{}", human_bytes(peak)),
        format!("used_memory_peak_perc:{:.2}%", used as f64 * 100.0 / peak as f64),
        format!("used_memory_overhead:{}", used - dataset),
        format!("used_memory_startup:{startup}"),
        format!("used_memory_dataset:{dataset}"),
        format!("used_memory_dataset_perc:{:.2}%", dataset as f64 * 100.0 / (used - startup).max(1) as f64),
        format!("allocator_allocated:{}", process.allocated),
        format!("allocator_active:{}", process.active),
        format!("allocator_resident:{}", process.resident),
        "total_system_memory:25276063744".into(),
        "total_system_memory_human:23.54G".into(),
        "used_memory_lua:32768".into(),
        "used_memory_vm_eval:32768".into(),
        "used_memory_lua_human:32.00K".into(),
        format!("used_memory_scripts_eval:{}", s.scripts_memory),
        format!("number_of_cached_scripts:{}", s.cached_scripts),
        format!("number_of_functions:{}", s.functions.0),
        format!("number_of_libraries:{}", s.functions.1),
        "used_memory_vm_functions:33792".into(),
        "used_memory_vm_total:66560".into(),
        "used_memory_vm_total_human:65.00K".into(),
        format!("used_memory_functions:{}", s.functions.2),
        format!("used_memory_scripts:{}", s.functions.2 + s.scripts_memory),
        format!("used_memory_scripts_human:{}", human_bytes(s.functions.2 + s.scripts_memory)),
        format!("maxmemory:{}", s.maxmemory),
        format!("maxmemory_human:{}", human_bytes(s.maxmemory)),
        format!("maxmemory_policy:{}", s.maxmemory_policy),
        format!("allocator_frag_ratio:{:.2}", process.active as f64 / process.allocated as f64),
        format!("allocator_frag_bytes:{}", process.active - process.allocated),
        format!("allocator_rss_ratio:{:.2}", process.resident as f64 / process.active as f64),
        format!("allocator_rss_bytes:{}", process.resident - process.active),
        format!("rss_overhead_ratio:{:.2}", rss as f64 / process.resident as f64),
        format!("rss_overhead_bytes:{}", rss - process.resident),
        format!("mem_fragmentation_ratio:{:.2}", rss as f64 / used as f64),
        format!("mem_fragmentation_bytes:{}", rss - used),
        "mem_not_counted_for_evict:0".into(),
        "mem_replication_backlog:0".into(),
        "mem_total_replication_buffers:0".into(),
        "mem_clients_slaves:0".into(),
        format!("mem_clients_normal:{}", s.connected_clients as u64 * 20_000),
        "mem_cluster_links:0".into(),
        "mem_aof_buffer:0".into(),
        "mem_allocator:jemalloc-5.3.0".into(),
        "active_defrag_running:0".into(),
        "lazyfree_pending_objects:0".into(),
        "lazyfreed_objects:0".into(),
    ]
}

fn loading_lines(s: &Figures) -> Vec<String> {
    let Some(loading) = &s.persistence.loading else { return Vec::new() };
    let loaded = loading.loaded_bytes;
    let perc = loaded as f64 * 100.0 / loading.total_bytes.max(1) as f64;
    let elapsed = s.now.div_euclid(1000) - loading.started_at.div_euclid(1000);
    let remaining = loading.total_bytes.saturating_sub(loaded) as i64;
    let eta = if elapsed == 0 { 1 } else { elapsed * remaining / (loaded as i64 + 1) };
    vec![
        format!("loading_start_time:{}", loading.started_at.div_euclid(1000)),
        format!("loading_total_bytes:{}", loading.total_bytes),
        format!("loading_rdb_used_mem:{}", loading.rdb_used_mem),
        format!("loading_loaded_bytes:{loaded}"),
        format!("loading_loaded_perc:{perc:.2}"),
        format!("loading_eta_seconds:{eta}"),
    ]
}

fn stats_lines(s: &Figures) -> Vec<String> {
    let st = s.stats;
    vec![
        format!("total_connections_received:{}", st.connections_received),
        format!("total_commands_processed:{}", st.commands_processed),
        "instantaneous_ops_per_sec:0".into(),
        // The totals include replication traffic, as in Redis 7.0.
        format!("total_net_input_bytes:{}", st.net_input_bytes + st.net_repl_input_bytes),
        format!("total_net_output_bytes:{}", st.net_output_bytes + st.net_repl_output_bytes),
        format!("total_net_repl_input_bytes:{}", st.net_repl_input_bytes),
        format!("total_net_repl_output_bytes:{}", st.net_repl_output_bytes),
        "instantaneous_input_kbps:0.00".into(),
        "instantaneous_output_kbps:0.00".into(),
        "instantaneous_input_repl_kbps:0.00".into(),
        "instantaneous_output_repl_kbps:0.00".into(),
        "rejected_connections:0".into(),
        format!("sync_full:{}", st.sync_full),
        format!("sync_partial_ok:{}", st.sync_partial_ok),
        format!("sync_partial_err:{}", st.sync_partial_err),
        format!("expired_keys:{}", st.expired_keys),
        "expired_stale_perc:0.00".into(),
        "expired_time_cap_reached_count:0".into(),
        "expire_cycle_cpu_milliseconds:0".into(),
        format!("evicted_keys:{}", s.evicted_keys),
        "evicted_clients:0".into(),
        "total_eviction_exceeded_time:0".into(),
        "current_eviction_exceeded_time:0".into(),
        format!("keyspace_hits:{}", st.keyspace_hits),
        format!("keyspace_misses:{}", st.keyspace_misses),
        format!("pubsub_channels:{}", s.pubsub_channels),
        format!("pubsub_patterns:{}", s.pubsub_patterns),
        format!("pubsubshard_channels:{}", s.pubsubshard_channels),
        format!("latest_fork_usec:{}", if st.forks > 0 { 100 + s.dataset_bytes / 10_000 } else { 0 }),
        format!("total_forks:{}", st.forks),
        format!("migrate_cached_sockets:{}", s.migrate_cached_sockets),
        "slave_expires_tracked_keys:0".into(),
        "active_defrag_hits:0".into(),
        "active_defrag_misses:0".into(),
        "active_defrag_key_hits:0".into(),
        "active_defrag_key_misses:0".into(),
        "total_active_defrag_time:0".into(),
        "current_active_defrag_time:0".into(),
        format!("tracking_total_keys:{}", s.tracking[1]),
        format!("tracking_total_items:{}", s.tracking[2]),
        format!("tracking_total_prefixes:{}", s.tracking[3]),
        "unexpected_error_replies:0".into(),
        format!("total_error_replies:{}", st.error_replies),
        "dump_payload_sanitizations:0".into(),
        format!("total_reads_processed:{}", st.commands_processed),
        format!("total_writes_processed:{}", st.commands_processed),
        "io_threaded_reads_processed:0".into(),
        "io_threaded_writes_processed:0".into(),
        "reply_buffer_shrinks:0".into(),
        "reply_buffer_expands:0".into(),
    ]
}

/// The fixed part of `# Persistence`, in Redis 7.0's order.
fn persistence_lines(s: &Figures) -> Vec<String> {
    vec![
        format!("loading:{}", s.persistence.loading.is_some() as u8),
        "async_loading:0".into(),
        "current_cow_peak:0".into(),
        "current_cow_size:0".into(),
        "current_cow_size_age:0".into(),
        "current_fork_perc:0.00".into(),
        "current_save_keys_processed:0".into(),
        "current_save_keys_total:0".into(),
        format!("rdb_changes_since_last_save:{}", s.changes_since_save),
        format!("rdb_bgsave_in_progress:{}", s.persistence.bgsave_started_at.is_some() as u8),
        format!("rdb_last_save_time:{}", s.last_save / 1000),
        "rdb_last_bgsave_status:ok".into(),
        format!("rdb_last_bgsave_time_sec:{}", s.persistence.last_bgsave_seconds.unwrap_or(-1)),
        format!(
            "rdb_current_bgsave_time_sec:{}",
            s.persistence.bgsave_started_at.map_or(-1, |at| (s.now - at) / 1000)
        ),
        format!("rdb_saves:{}", s.persistence.saves),
        "rdb_last_cow_size:0".into(),
        format!("rdb_last_load_keys_expired:{}", s.persistence.keys_expired_on_load),
        format!("rdb_last_load_keys_loaded:{}", s.persistence.keys_loaded),
        format!("aof_enabled:{}", s.persistence.aof.active as u8),
        format!("aof_rewrite_in_progress:{}", s.persistence.aof.rewrite_started_at.is_some() as u8),
        format!("aof_rewrite_scheduled:{}", s.persistence.aof.rewrite_scheduled as u8),
        format!("aof_last_rewrite_time_sec:{}", s.persistence.aof.last_rewrite_seconds.unwrap_or(-1)),
        format!("aof_current_rewrite_time_sec:{}", s.persistence.aof.rewrite_started_at.map_or(-1, |at| (s.now - at) / 1000)),
        "aof_last_bgrewrite_status:ok".into(),
        format!("aof_rewrites:{}", s.persistence.aof.rewrites),
        "aof_rewrites_consecutive_failures:0".into(),
        "aof_last_write_status:ok".into(),
        "aof_last_cow_size:0".into(),
        "module_fork_in_progress:0".into(),
        "module_fork_last_cow_size:0".into(),
    ]
    .into_iter()
    .chain(s.persistence.aof.configured.then(|| {
        let a = &s.persistence.aof;
        vec![
            format!("aof_current_size:{}", a.current_size),
            format!("aof_base_size:{}", a.base_size),
            format!("aof_pending_rewrite:{}", a.rewrite_scheduled as u8),
            "aof_buffer_length:0".into(),
            "aof_pending_bio_fsync:0".into(),
            "aof_delayed_fsync:0".into(),
        ]
    }).into_iter().flatten())
    .collect()
}
