//! A node's `redis.conf`: the directives it was started with, parsed and
//! checked the way Redis checks its config file at start-up.

use std::fmt;

use super::params::Settings;

/// Directives the playground understands, with how many arguments each
/// takes (`None`: any number, at least one). Redis refuses a config file
/// with anything else, and so do we.
const DIRECTIVES: &[(&str, Option<usize>)] = &[
    ("appendonly", Some(1)),
    ("user", None),
    ("bind", None),
    ("daemonize", Some(1)),
    ("databases", Some(1)),
    ("dbfilename", Some(1)),
    ("dir", Some(1)),
    ("hz", Some(1)),
    ("include", Some(1)),
    ("logfile", Some(1)),
    ("loglevel", Some(1)),
    ("min-replicas-max-lag", Some(1)),
    ("min-replicas-to-write", Some(1)),
    ("pidfile", Some(1)),
    ("port", Some(1)),
    ("protected-mode", Some(1)),
    ("rdbchecksum", Some(1)),
    ("rdbcompression", Some(1)),
    ("repl-backlog-size", Some(1)),
    ("repl-diskless-sync", Some(1)),
    ("repl-diskless-sync-delay", Some(1)),
    ("repl-ping-replica-period", Some(1)),
    ("repl-timeout", Some(1)),
    ("replica-priority", Some(1)),
    ("replica-read-only", Some(1)),
    ("replicaof", Some(2)),
    ("save", None),
    ("slaveof", Some(2)),
    // ACL users: kept (Sentinel writes the default one into its file),
    // not enforced, as the playground has no ACLs.
    ("user", None),
];

/// Why a config line was refused, with Redis's own wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line number within the directives given.
    pub line: usize,
    pub text: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}",
            self.line, self.text, self.reason
        )
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// (name in lower case, arguments), in file order.
    directives: Vec<(String, Vec<String>)>,
}

impl Config {
    pub fn parse<S: AsRef<str>>(lines: &[S]) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let mut users = Vec::new();
        for (i, raw) in lines.iter().enumerate() {
            let text = raw.as_ref().trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let fail = |reason: &str| ConfigError { line: i + 1, text: text.to_string(), reason: reason.to_string() };
            let words = crate::engine::splitargs::split_args(text.as_bytes()).map_err(|_| fail("Unbalanced quotes in configuration line"))?;
            let words: Vec<String> = words.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect();
            // A line of separators alone (a vertical tab, say) has no words: skipped, as Redis does.
            let Some(first) = words.first() else { continue };
            let name = first.to_ascii_lowercase();
            let args = words[1..].to_vec();
            let known = DIRECTIVES.iter().find(|(n, _)| *n == name);
            let arity_ok = match known {
                Some((_, Some(n))) => args.len() == *n,
                Some((_, None)) => !args.is_empty(),
                None if super::params::takes_words(&name) => !args.is_empty(),
                None => super::params::is_param(&name) && args.len() == 1,
            };
            if !arity_ok {
                return Err(fail("Bad directive or wrong number of arguments"));
            }
            if name == "user" {
                super::acl_file::check_user_line(&args, &mut users).map_err(|why| fail(&why))?;
            }
            if name == "port" && !args[0].parse::<u16>().is_ok_and(|p| p > 0) {
                return Err(fail("Invalid port"));
            }
            if super::params::is_param(&name) {
                // The same checks CONFIG SET makes; the file is refused at start-up.
                let mut probe = Settings::default();
                // A config file gets the reason alone, without CONFIG SET's preamble.
                probe.set_from_file(&name, args.join(" ").as_bytes()).map_err(|why| {
                    let reason = why.split_once(") - ").filter(|_| why.starts_with("CONFIG SET failed")).map_or(why.as_str(), |(_, r)| r);
                    fail(reason)
                })?;
            }
            config.directives.push((name, args));
        }
        Ok(config)
    }

    /// The arguments of every occurrence of `name`, in file order.
    pub fn all(&self, name: &str) -> Vec<&[String]> {
        self.directives.iter().filter(|(n, _)| n == name).map(|(_, a)| a.as_slice()).collect()
    }

    /// The arguments of the last occurrence of `name`.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.directives.iter().rev().find(|(n, _)| n == name).map(|(_, a)| a.as_slice())
    }

    pub fn databases(&self) -> usize {
        self.get("databases").and_then(|a| a[0].parse().ok()).filter(|&n| n >= 1).unwrap_or(16)
    }

    /// CONFIG REWRITE: each changed parameter replaces its last line in the
    /// file, or is added after a `# Generated by CONFIG REWRITE` line;
    /// `replicaof`/`slaveof` lines go when the server is a master again.
    pub fn rewrite(lines: &[String], changed: &[(String, String)]) -> Vec<String> {
        let name_of = |line: &str| line.split_whitespace().next().map(str::to_ascii_lowercase);
        let mut out: Vec<String> = lines.to_vec();
        let replica = changed.iter().any(|(n, _)| n == "replicaof");
        if !replica {
            out.retain(|l| !matches!(name_of(l).as_deref(), Some("replicaof") | Some("slaveof")));
        }
        let mut appended = Vec::new();
        for (name, value) in changed {
            let line = format!("{name} {value}");
            let aliases: &[&str] = if name == "replicaof" { &["replicaof", "slaveof"] } else { &[name.as_str()] };
            let last = out.iter().rposition(|l| name_of(l).is_some_and(|n| aliases.contains(&n.as_str())));
            match last {
                Some(at) => out[at] = line,
                None => appended.push(line),
            }
        }
        if !appended.is_empty() {
            if !out.iter().any(|l| l.trim() == "# Generated by CONFIG REWRITE") {
                out.push("# Generated by CONFIG REWRITE".to_string());
            }
            out.extend(appended);
        }
        out
    }

    /// The config as text, one directive a line, as a config file holds it.
    pub fn to_lines(&self) -> Vec<String> {
        self.directives.iter().map(|(n, a)| format!("{n} {}", a.join(" "))).collect()
    }
}

impl Settings {
    /// The settings a server started with this config file has.
    pub fn from_config(config: &Config) -> Settings {
        Settings::from_file(|name| config.get(name), config.all("save"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_parameters_survive_a_rewrite_and_restart() {
        let mut settings = Settings::default();
        let pairs = [(b"maxmemory".to_vec(), b"2mb".to_vec()), (b"notify-keyspace-events".to_vec(), b"".to_vec())];
        settings.set_many(&pairs).unwrap();
        settings.set_many(&[(b"proc-title-template".to_vec(), b"{title} x".to_vec())]).unwrap();
        let lines: Vec<String> = settings.changed_lines().iter().map(|(n, v)| format!("{n} {v}")).collect();
        assert!(lines.contains(&"maxmemory 2097152".to_string()), "{lines:?}");
        assert!(lines.contains(&"proc-title-template \"{title} x\"".to_string()), "{lines:?}");
        let config = Config::parse(&lines).unwrap();
        let restarted = Settings::from_config(&config);
        assert_eq!(restarted.value_of("maxmemory").as_deref(), Some("2097152"));
        assert_eq!(restarted.value_of("proc-title-template").as_deref(), Some("{title} x"));
    }


    #[test]
    fn parses_and_refuses_like_redis() {
        let c = Config::parse(&["port 6380", "# comment", "", "save 3600 1 300 100", "databases 4"]).unwrap();
        assert_eq!(c.get("save").unwrap(), ["3600", "1", "300", "100"]);
        assert_eq!(c.databases(), 4);
        let e = Config::parse(&["port 6380", "nosuch thing"]).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("Bad directive or wrong number of arguments"));
        // As redis-server prints it for a bad value.
        let e = Config::parse(&["port 7790", "maxmemory lots"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'maxmemory lots'\nargument must be a memory value"
        );
        assert!(Config::parse(&["replicaof 127.0.0.1"]).is_err());
        assert!(Config::parse(&["port 99999"]).is_err());
    }
}
