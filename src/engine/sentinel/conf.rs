//! A Sentinel's `sentinel.conf`: the `sentinel ...` statements read at
//! start-up (checked with redis-sentinel's own refusals), and the file as
//! Sentinel rewrites it whenever its state changes.

use crate::engine::config::{Config, ConfigError};

/// Default timings of a monitored master (Redis 7.0's sentinel.c).
pub const DEFAULT_DOWN_AFTER_MS: i64 = 30_000;
pub const DEFAULT_FAILOVER_TIMEOUT_MS: i64 = 180_000;
pub const DEFAULT_PARALLEL_SYNCS: i64 = 1;

/// One master as the file describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterConf {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub quorum: i64,
    pub down_after_ms: i64,
    pub failover_timeout_ms: i64,
    pub parallel_syncs: i64,
    pub config_epoch: u64,
    pub leader_epoch: u64,
    pub known_replicas: Vec<(String, u16)>,
    /// (host, port, run id)
    pub known_sentinels: Vec<(String, u16, String)>,
    /// `auth-user` and `auth-pass`: what this Sentinel AUTHs with on the
    /// master and its replicas.
    pub auth_user: Option<String>,
    pub auth_pass: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SentinelConf {
    pub port: u16,
    pub myid: Option<String>,
    pub current_epoch: u64,
    pub masters: Vec<MasterConf>,
    /// SENTINEL CONFIG's parameters the file sets: (name, value).
    pub globals: Vec<(String, String)>,
}

fn fail(line: usize, text: &str, reason: &str) -> ConfigError {
    ConfigError { line, text: text.to_string(), reason: reason.to_string() }
}

fn words(text: &str) -> Vec<String> {
    crate::engine::splitargs::split_args(text.as_bytes())
        .map(|ws| ws.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect())
        .unwrap_or_default()
}

/// A port as redis-sentinel reads it: a number from 0 to 65535.
fn parse_port(text: &str) -> Option<u16> {
    text.parse::<u16>().ok()
}

impl SentinelConf {
    /// Reads a sentinel.conf; `port` is where the sentinel listens unless
    /// the file says otherwise.
    pub fn parse<S: AsRef<str>>(lines: &[S], port: u16) -> Result<SentinelConf, ConfigError> {
        // Everything but `sentinel` statements is an ordinary config line.
        let plain: Vec<&str> = lines
            .iter()
            .map(|l| l.as_ref())
            .map(|l| if words(l.trim()).first().is_some_and(|w| w.eq_ignore_ascii_case("sentinel")) { "" } else { l })
            .collect();
        let config = Config::parse(&plain)?;
        let mut conf = SentinelConf { port, ..SentinelConf::default() };
        if let Some(p) = config.get("port").and_then(|a| a.first()).and_then(|p| p.parse().ok()) {
            conf.port = p;
        }
        for (i, raw) in lines.iter().enumerate() {
            let text = raw.as_ref().trim();
            let w = words(text);
            if w.first().is_some_and(|w| w.eq_ignore_ascii_case("sentinel")) {
                conf.apply(&w[1..]).map_err(|reason| fail(i + 1, text, reason))?;
            }
        }
        Ok(conf)
    }

    /// One `sentinel ...` statement (its words after `sentinel`), or why
    /// Sentinel refuses it.
    fn apply(&mut self, args: &[String]) -> Result<(), &'static str> {
        let Some(option) = args.first().map(|o| o.to_ascii_lowercase()) else { return Err(UNRECOGNIZED) };
        match (option.as_str(), args.len()) {
            ("monitor", 5) => {
                let quorum: i64 = args[4].parse().unwrap_or(0);
                if quorum <= 0 {
                    return Err("Quorum must be 1 or greater.");
                }
                let Some(port) = parse_port(&args[3]) else { return Err("Invalid port number.") };
                if self.masters.iter().any(|m| m.name == args[1]) {
                    return Err("Duplicate master name.");
                }
                self.masters.push(MasterConf {
                    name: args[1].clone(),
                    host: args[2].clone(),
                    port,
                    quorum,
                    down_after_ms: DEFAULT_DOWN_AFTER_MS,
                    failover_timeout_ms: DEFAULT_FAILOVER_TIMEOUT_MS,
                    parallel_syncs: DEFAULT_PARALLEL_SYNCS,
                    config_epoch: 0,
                    leader_epoch: 0,
                    known_replicas: Vec::new(),
                    known_sentinels: Vec::new(),
                    auth_user: None,
                    auth_pass: None,
                });
            }
            ("down-after-milliseconds", 3) | ("failover-timeout", 3) | ("parallel-syncs", 3) => {
                let m = self.master_index(&args[1])?;
                let value: i64 = args[2].parse().unwrap_or(-1);
                let master = &mut self.masters[m];
                match option.as_str() {
                    "down-after-milliseconds" if value > 0 => master.down_after_ms = value,
                    "failover-timeout" if value > 0 => master.failover_timeout_ms = value,
                    "parallel-syncs" if value >= 0 => master.parallel_syncs = value,
                    _ => return Err(UNRECOGNIZED),
                }
            }
            ("myid", 2) => {
                if args[1].len() != 40 {
                    return Err("Malformed Sentinel id in myid option.");
                }
                self.myid = Some(args[1].clone());
            }
            ("current-epoch", 2) => self.current_epoch = args[1].parse().unwrap_or(0),
            ("config-epoch", 3) | ("leader-epoch", 3) => {
                let m = self.master_index(&args[1])?;
                let value = args[2].parse().unwrap_or(0);
                if option == "config-epoch" {
                    self.masters[m].config_epoch = value;
                } else {
                    self.masters[m].leader_epoch = value;
                }
                self.current_epoch = self.current_epoch.max(value);
            }
            ("known-replica", 4) | ("known-slave", 4) => {
                let m = self.master_index(&args[1])?;
                let Some(port) = parse_port(&args[3]) else { return Err("Invalid port number.") };
                self.masters[m].known_replicas.push((args[2].clone(), port));
            }
            ("known-sentinel", 5) => {
                let m = self.master_index(&args[1])?;
                let Some(port) = parse_port(&args[3]) else { return Err("Invalid port number.") };
                self.masters[m].known_sentinels.push((args[2].clone(), port, args[4].clone()));
            }
            ("resolve-hostnames", 2) | ("announce-hostnames", 2) | ("announce-ip", 2) | ("announce-port", 2) | ("sentinel-user", 2)
            | ("sentinel-pass", 2) => self.globals.push((option.clone(), args[1].clone())),
            ("auth-pass", 3) | ("auth-user", 3) => {
                let m = self.master_index(&args[1])?;
                let value = Some(args[2].clone()).filter(|v| !v.is_empty());
                if option == "auth-pass" {
                    self.masters[m].auth_pass = value;
                } else {
                    self.masters[m].auth_user = value;
                }
            }
            // Accepted and kept, with no effect in the playground.
            ("deny-scripts-reconfig", 2)
            | ("rename-command", 4)
            | ("master-reboot-down-after-period", 3) => {}
            _ => return Err(UNRECOGNIZED),
        }
        Ok(())
    }

    fn master_index(&self, name: &str) -> Result<usize, &'static str> {
        self.masters.iter().position(|m| m.name == name).ok_or("No such master with specified name.")
    }
}

const UNRECOGNIZED: &str = "Unrecognized sentinel configuration statement.";

/// Options Sentinel rewrites, by their first two words.
fn state_key(line: &str) -> Option<String> {
    let w = words(line.trim());
    match w.first().map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("sentinel") => w.get(1).map(|o| format!("sentinel {}", o.to_ascii_lowercase())),
        Some("protected-mode") | Some("latency-tracking-info-percentiles") => Some(w[0].to_ascii_lowercase()),
        Some("user") if w.get(1).is_some_and(|u| u == "default") => Some("user default".into()),
        _ => None,
    }
}

const GENERATED: &str = "# Generated by CONFIG REWRITE";

/// The file as `CONFIG REWRITE` leaves it: each option's old lines are
/// replaced in place by its new ones, new lines go after the generated
/// marker, and old lines of an option no longer written are dropped.
/// Known replicas and Sentinels each get a blank line before them, as
/// redis-sentinel's file shows them.
pub fn rewrite(old: &[String], new_lines: &[String]) -> Vec<String> {
    let mut remaining: Vec<(String, String)> = new_lines.iter().map(|l| (state_key(l).unwrap_or_default(), l.clone())).collect();
    let spaced = |line: &str| line.starts_with("sentinel known-");
    let mut out = Vec::new();
    for (i, line) in old.iter().enumerate() {
        // The blank line before a known replica or Sentinel goes with it.
        if line.trim().is_empty() && old.get(i + 1).is_some_and(|next| spaced(next)) {
            continue;
        }
        match state_key(line) {
            Some(key) => {
                if let Some(i) = remaining.iter().position(|(k, _)| *k == key) {
                    let line = remaining.remove(i).1;
                    if spaced(&line) {
                        out.push(String::new());
                    }
                    out.push(line);
                }
            }
            None => out.push(line.clone()),
        }
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    if !remaining.is_empty() {
        if !out.iter().any(|l| l.trim() == GENERATED) {
            out.push(String::new());
            out.push(GENERATED.to_string());
        }
        for (_, line) in remaining {
            if spaced(&line) {
                out.push(String::new());
            }
            out.push(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_and_timings() {
        let conf = SentinelConf::parse(
            &["port 26379", "sentinel monitor mymaster 127.0.0.1 6379 2", "sentinel down-after-milliseconds mymaster 2000"],
            1,
        )
        .unwrap();
        assert_eq!(conf.port, 26379);
        assert_eq!(conf.masters[0].quorum, 2);
        assert_eq!(conf.masters[0].down_after_ms, 2000);
        assert_eq!(conf.masters[0].failover_timeout_ms, DEFAULT_FAILOVER_TIMEOUT_MS);
    }

    #[test]
    fn refusals_name_the_line() {
        let e = SentinelConf::parse(&["sentinel down-after-milliseconds m 10"], 26379).unwrap_err();
        assert_eq!((e.line, e.reason.as_str()), (1, "No such master with specified name."));
        let e = SentinelConf::parse(&["sentinel monitor m 127.0.0.1 6379 0"], 26379).unwrap_err();
        assert_eq!(e.reason, "Quorum must be 1 or greater.");
        let e = SentinelConf::parse(&["sentinel bogus"], 26379).unwrap_err();
        assert_eq!(e.reason, "Unrecognized sentinel configuration statement.");
        assert!(SentinelConf::parse(&["nonsense 1"], 26379).is_err());
    }

    #[test]
    fn rewrite_replaces_in_place_and_appends() {
        let old: Vec<String> = ["port 26379", "sentinel monitor m 127.0.0.1 6379 1"].iter().map(|s| s.to_string()).collect();
        let new: Vec<String> =
            ["sentinel myid abc", "sentinel monitor m 127.0.0.1 6380 1", "sentinel current-epoch 1"].iter().map(|s| s.to_string()).collect();
        let out = rewrite(&old, &new);
        assert_eq!(out, ["port 26379", "sentinel monitor m 127.0.0.1 6380 1", "", GENERATED, "sentinel myid abc", "sentinel current-epoch 1"]);
        // A second rewrite keeps the file stable.
        assert_eq!(rewrite(&out, &new), out);
    }
}
