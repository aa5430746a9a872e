//! The SENTINEL subcommands that change what Sentinel watches or does:
//! answering another Sentinel's vote request, RESET, FAILOVER, MONITOR,
//! REMOVE, CONFIG, INFO-CACHE, SIMULATE-FAILURE. (`impl Sentinel`: the
//! type comes from the folder's mod.rs.)

use super::commands::{bulk, err, lower, text};
use super::instance::{rank_slaves, Instance, Master};
use super::Sentinel;
use crate::engine::resp::Frame;
use crate::engine::time::Millis;

impl Sentinel {
    /// SENTINEL IS-MASTER-DOWN-BY-ADDR: whether this Sentinel sees the master down, and its vote for a leader when asked for one.
    pub(super) fn is_master_down_by_addr(&mut self, args: &[Vec<u8>], now: Millis) -> Frame {
        let (Ok(port), Ok(epoch)) = (text(&args[3]).parse::<i64>(), text(&args[4]).parse::<i64>()) else {
            return err("ERR value is not an integer or out of range");
        };
        let (host, runid) = (text(&args[2]), text(&args[5]));
        let name = self.masters.values().find(|m| m.inst.host == host && i64::from(m.inst.port) == port).map(|m| m.inst.name.clone());
        let mut down = false;
        let mut leader = None;
        let mut leader_epoch = 0;
        if let Some(mut m) = name.as_ref().and_then(|n| self.masters.remove(n)) {
            down = m.inst.s_down;
            if runid != "*" {
                let (l, e) = self.vote_leader(&mut m, epoch as u64, &runid, now);
                leader = l;
                leader_epoch = e;
            }
            self.masters.insert(m.inst.name.clone(), m);
        }
        Frame::Array(vec![Frame::Integer(down as i64), bulk(leader.unwrap_or_else(|| "*".into())), Frame::Integer(leader_epoch as i64)])
    }

    /// SENTINEL RESET pattern: the matching masters forget their replicas and Sentinels.
    pub(super) fn reset_masters(&mut self, args: &[Vec<u8>], now: Millis) -> Frame {
        let pattern = args[2].clone();
        let names: Vec<String> =
            self.masters.keys().filter(|n| crate::engine::glob::matches(&pattern, n.as_bytes(), false)).cloned().collect();
        for name in &names {
            let Some(mut m) = self.masters.remove(name) else { continue };
            let sentinels = std::mem::take(&mut m.sentinels);
            for mut s in sentinels.into_values() {
                self.close_link(&mut s.link);
            }
            self.reset_master(&mut m, now);
            let what = m.describe();
            self.masters.insert(name.clone(), m);
            self.event(now, '#', "+reset-master", what);
        }
        if !names.is_empty() {
            self.flush_config(now);
        }
        Frame::Integer(names.len() as i64)
    }

    /// SENTINEL FAILOVER: a failover without agreement from the others.
    pub(super) fn user_failover(&mut self, args: &[Vec<u8>], now: Millis) -> Frame {
        let name = text(&args[2]);
        let Some(mut m) = self.masters.remove(&name) else { return err("ERR No such master with that name") };
        let reply = if m.failover_in_progress {
            err("INPROG Failover already in progress")
        } else if rank_slaves(&m, &self.timings, now).chosen().is_none() {
            err("NOGOODSLAVE No suitable replica to promote")
        } else {
            self.log_line(now, '#', format!("Executing user requested FAILOVER of '{name}'"));
            self.start_failover(&mut m, now);
            m.force_failover = true;
            Frame::ok()
        };
        self.masters.insert(name, m);
        reply
    }

    /// SENTINEL MONITOR name ip port quorum.
    pub(super) fn monitor(&mut self, args: &[Vec<u8>], now: Millis) -> Frame {
        let Ok(quorum) = text(&args[5]).parse::<i64>() else { return err("ERR Invalid quorum") };
        let Ok(port) = text(&args[4]).parse::<i64>() else { return err("ERR Invalid port") };
        if quorum <= 0 {
            return err("ERR Quorum must be 1 or greater.");
        }
        let host = text(&args[3]);
        if host.parse::<std::net::Ipv4Addr>().is_err() && host.parse::<std::net::Ipv6Addr>().is_err() {
            return err("ERR Invalid IP address or hostname specified");
        }
        let name = text(&args[2]);
        if !(0..=65535).contains(&port) {
            return err("ERR Invalid port number.");
        }
        if self.masters.contains_key(&name) {
            return err("ERR Duplicate master name.");
        }
        let conf = super::conf::MasterConf {
            name: name.clone(),
            host,
            port: port as u16,
            quorum,
            down_after_ms: super::conf::DEFAULT_DOWN_AFTER_MS,
            failover_timeout_ms: super::conf::DEFAULT_FAILOVER_TIMEOUT_MS,
            parallel_syncs: super::conf::DEFAULT_PARALLEL_SYNCS,
            config_epoch: 0,
            leader_epoch: 0,
            known_replicas: Vec::new(),
            known_sentinels: Vec::new(),
            auth_user: None,
            auth_pass: None,
        };
        let m = Master::from_conf(&conf, now);
        let what = m.describe();
        self.masters.insert(name, m);
        self.flush_config(now);
        self.event(now, '#', "+monitor", format!("{what} quorum {quorum}"));
        Frame::ok()
    }

    /// SENTINEL REMOVE name.
    pub(super) fn remove_master(&mut self, args: &[Vec<u8>], now: Millis) -> Frame {
        let name = text(&args[2]);
        let Some(m) = self.masters.remove(&name) else { return err("ERR No such master with that name") };
        let what = m.describe();
        self.event(now, '#', "-monitor", what);
        let mut links: Vec<Instance> = m.slaves.into_values().chain(m.sentinels.into_values()).collect();
        links.push(m.inst.clone());
        for mut inst in links {
            self.close_link(&mut inst.link);
        }
        self.flush_config(now);
        Frame::ok()
    }

    /// SENTINEL CONFIG GET pattern / SET option value.
    pub(super) fn sentinel_config(&mut self, args: &[Vec<u8>], now: Millis) -> Frame {
        let op = lower(&args[2]);
        if op == "get" && args.len() == 4 {
            let pattern = args[3].clone();
            let mut out = Vec::new();
            for (k, v) in &self.global_config {
                if crate::engine::glob::matches(&pattern, k.as_bytes(), true) {
                    out.push(bulk(*k));
                    out.push(bulk(v.clone()));
                }
            }
            Frame::Array(out)
        } else if op == "set" && args.len() == 5 {
            self.config_set(&args[3], &args[4], now)
        } else {
            err("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.")
        }
    }

    /// SENTINEL INFO-CACHE [name...]: the last INFO of each master and its replicas, with its age.
    pub(super) fn info_cache(&mut self, args: &[Vec<u8>], now: Millis) -> Frame {
        let names: Vec<String> = if args.len() > 2 {
            args[2..].iter().map(|a| text(a)).filter(|n| self.masters.contains_key(n)).collect()
        } else {
            self.masters.keys().cloned().collect()
        };
        let mut out = Vec::new();
        for name in names {
            let m = &self.masters[&name];
            let cached = |i: &Instance| {
                let age = if m.inst.info_refresh != 0 { now - i.info_refresh } else { 0 };
                Frame::Array(vec![Frame::Integer(age), i.info.clone().map(|t| Frame::bulk(t.into_bytes())).unwrap_or(Frame::Null)])
            };
            let mut entries = vec![cached(&m.inst)];
            entries.extend(m.slaves.values().map(cached));
            out.push(bulk(name.clone()));
            out.push(Frame::Array(entries));
        }
        Frame::Array(out)
    }

    /// SENTINEL SIMULATE-FAILURE: crash after the election or after the promotion.
    pub(super) fn simulate_failure(&mut self, args: &[Vec<u8>], now: Millis) -> Frame {
        let mut flags = 0;
        for arg in &args[2..] {
            match lower(arg).as_str() {
                "crash-after-election" => {
                    flags |= super::SIMFAILURE_CRASH_AFTER_ELECTION;
                    self.log_line(now, '#', "Failure simulation: this Sentinel will crash after being successfully elected as failover leader".into());
                }
                "crash-after-promotion" => {
                    flags |= super::SIMFAILURE_CRASH_AFTER_PROMOTION;
                    self.log_line(now, '#', "Failure simulation: this Sentinel will crash after promoting the selected replica to master".into());
                }
                "help" => {
                    self.simulate_failure_flags = flags;
                    return Frame::Array(vec![bulk("crash-after-election"), bulk("crash-after-promotion")]);
                }
                _ => {
                    self.simulate_failure_flags = flags;
                    return err("ERR Unknown failure simulation specified");
                }
            }
        }
        self.simulate_failure_flags = flags;
        Frame::ok()
    }

    /// SENTINEL CONFIG SET: the six global parameters, checked as Sentinel checks them.
    pub(super) fn config_set(&mut self, name: &[u8], value: &[u8], now: Millis) -> Frame {
        let option = lower(name);
        let value_text = text(value);
        let invalid = || err(format!("ERR Invalid value '{value_text}' to SENTINEL CONFIG SET '{}'", text(name)));
        let stored = match option.as_str() {
            "resolve-hostnames" | "announce-hostnames" => match value_text.to_ascii_lowercase().as_str() {
                "yes" | "no" => value_text.to_ascii_lowercase(),
                _ => return invalid(),
            },
            "announce-port" => match value_text.parse::<i64>() {
                Ok(n) if (0..=65535).contains(&n) => n.to_string(),
                _ => return invalid(),
            },
            "announce-ip" | "sentinel-user" | "sentinel-pass" => value_text.clone(),
            _ => return err(format!("ERR Invalid argument '{}' to SENTINEL CONFIG SET", text(name))),
        };
        if let Some(entry) = self.global_config.iter_mut().find(|(k, _)| *k == option) {
            entry.1 = stored;
        }
        self.flush_config(now);
        Frame::ok()
    }

    /// SENTINEL DEBUG: the periods and timeouts, or set some of them.
    pub(super) fn debug_command(&mut self, args: &[Vec<u8>]) -> Frame {
        if args.len() == 2 {
            let mut out = Vec::new();
            for (name, value) in self.timings.named() {
                out.push(bulk(name));
                out.push(bulk(value.to_string()));
            }
            return Frame::Array(out);
        }
        // All or nothing: every pair is checked before any is applied.
        let mut changes = Vec::new();
        let mut j = 2;
        while j < args.len() {
            let option = text(&args[j]).to_ascii_uppercase();
            let known = self.timings.named().iter().any(|(n, _)| *n == option);
            if !known || j + 1 >= args.len() {
                return err(format!("ERR Unknown option or number of arguments for SENTINEL DEBUG '{}'", text(&args[j])));
            }
            match text(&args[j + 1]).parse::<i64>() {
                Ok(v) if v > 0 => changes.push((option, v)),
                _ => return err(format!("ERR Invalid argument '{}' for SENTINEL DEBUG '{}'", text(&args[j + 1]), text(&args[j]))),
            }
            j += 2;
        }
        for (option, v) in changes {
            for (name, value) in self.timings.named() {
                if name == option {
                    *value = v;
                }
            }
        }
        Frame::ok()
    }

    pub(super) fn set_command(&mut self, args: &[Vec<u8>], now: Millis) -> Frame {
        let name = text(&args[2]);
        let Some(mut m) = self.masters.remove(&name) else { return err("ERR No such master with that name") };
        let mut changes = 0;
        let mut j = 3;
        let mut reply = None;
        while j < args.len() {
            let option = lower(&args[j]);
            let value = args.get(j + 1).map(|v| text(v));
            let number = value.as_deref().and_then(|v| v.parse::<i64>().ok());
            let bad = |v: &str| err(format!("ERR Invalid argument '{v}' for SENTINEL SET '{}'", text(&args[j])));
            let Some(value) = value else {
                reply = Some(err(format!("ERR Unknown option or number of arguments for SENTINEL SET '{}'", text(&args[j]))));
                break;
            };
            match option.as_str() {
                "down-after-milliseconds" | "failover-timeout" | "parallel-syncs" | "quorum" => {
                    let Some(n) = number.filter(|&n| n > 0) else {
                        reply = Some(bad(&value));
                        break;
                    };
                    match option.as_str() {
                        "down-after-milliseconds" => {
                            m.inst.down_after = n;
                            m.slaves.values_mut().for_each(|s| s.down_after = n);
                            m.sentinels.values_mut().for_each(|s| s.down_after = n);
                        }
                        "failover-timeout" => m.failover_timeout = n,
                        "parallel-syncs" => m.parallel_syncs = n,
                        _ => m.quorum = n,
                    }
                }
                "master-reboot-down-after-period" if number.is_some_and(|n| n >= 0) => {}
                "auth-pass" | "auth-user" => {
                    let value = Some(value.clone()).filter(|v| !v.is_empty());
                    if option == "auth-pass" {
                        m.auth_pass = value;
                    } else {
                        m.auth_user = value;
                    }
                    // Its links start again, authenticating the new way.
                    let mut link = std::mem::take(&mut m.inst.link);
                    self.close_link(&mut link);
                    m.inst.link = link;
                }
                "notification-script" | "client-reconfig-script" => {}
                _ => {
                    reply = Some(err(format!("ERR Unknown option or number of arguments for SENTINEL SET '{}'", text(&args[j]))));
                    break;
                }
            }
            changes += 1;
            let what = m.describe();
            let shown = if option == "auth-pass" { "******".to_string() } else { value };
            self.event(now, '#', "+set", format!("{what} {} {shown}", text(&args[j])));
            j += 2;
        }
        self.masters.insert(name, m);
        if changes > 0 {
            self.flush_config(now);
        }
        reply.unwrap_or_else(Frame::ok)
    }
}
