//! A node's `redis.conf`: the directives it was started with, parsed and
//! checked the way Redis checks its config file at start-up.

use std::fmt;

/// Directives the playground understands, with how many arguments each
/// takes (`None`: any number, at least one). Redis refuses a config file
/// with anything else, and so do we.
const DIRECTIVES: &[(&str, Option<usize>)] = &[
    ("appendonly", Some(1)),
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
        for (i, raw) in lines.iter().enumerate() {
            let text = raw.as_ref().trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let fail = |reason: &str| ConfigError { line: i + 1, text: text.to_string(), reason: reason.to_string() };
            let words = crate::engine::cli::split_args(text.as_bytes()).map_err(|_| fail("Unbalanced quotes in configuration line"))?;
            let words: Vec<String> = words.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect();
            let name = words[0].to_ascii_lowercase();
            let args = words[1..].to_vec();
            let known = DIRECTIVES.iter().find(|(n, _)| *n == name);
            let arity_ok = match known {
                Some((_, Some(n))) => args.len() == *n,
                Some((_, None)) => !args.is_empty(),
                None => super::params::is_param(&name) && args.len() == 1,
            };
            if !arity_ok {
                return Err(fail("Bad directive or wrong number of arguments"));
            }
            if name == "port" && !args[0].parse::<u16>().is_ok_and(|p| p > 0) {
                return Err(fail("Invalid port"));
            }
            if super::params::is_param(&name) {
                // The same checks CONFIG SET makes; the file is refused at start-up.
                let mut probe = super::params::Settings::default();
                probe.set_from_file(&name, args.join(" ").as_bytes()).map_err(|why| fail(&why))?;
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

    /// The config as text, one directive a line, as a config file holds it.
    pub fn to_lines(&self) -> Vec<String> {
        self.directives.iter().map(|(n, a)| format!("{n} {}", a.join(" "))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_like_redis() {
        let c = Config::parse(&["port 6380", "# comment", "", "save 3600 1 300 100", "databases 4"]).unwrap();
        assert_eq!(c.get("save").unwrap(), ["3600", "1", "300", "100"]);
        assert_eq!(c.databases(), 4);
        let e = Config::parse(&["port 6380", "nosuch thing"]).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("Bad directive or wrong number of arguments"));
        assert!(Config::parse(&["replicaof 127.0.0.1"]).is_err());
        assert!(Config::parse(&["port 99999"]).is_err());
    }
}
