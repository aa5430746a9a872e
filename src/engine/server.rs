//! One virtual Redis server as a sans-IO state machine: clients connect,
//! their bytes come in, reply bytes go out, and `cron` runs its periodic
//! work. It owns no socket and no clock: the caller passes virtual time.

use std::collections::BTreeMap;

use super::commands::{self, err, ClientState, Ctx, Resolved};
use super::config::Config;
use super::keyspace::{Keyspace, Millis};
use super::resp::{Frame, RequestParser};
use super::rng::Rng;
use super::params::Settings;

pub type ClientId = u64;

#[derive(Debug, Default)]
struct Client {
    state: ClientState,
    input: RequestParser,
    /// Commands queued since MULTI.
    multi: Option<Vec<Vec<Vec<u8>>>>,
    /// A command failed its checks while queueing: EXEC answers EXECABORT.
    multi_error: bool,
    /// WATCHed keys: (db, key, already expired when watched).
    watched: Vec<(usize, Vec<u8>, bool)>,
    /// A watched key changed: EXEC answers nil.
    dirty_cas: bool,
}

/// What came out of feeding a client's bytes to the server.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub reply: Vec<u8>,
    /// The server closes the connection after sending `reply` (protocol error).
    pub close: bool,
}

pub struct Server {
    pub port: u16,
    pub config: Config,
    pub keyspace: Keyspace,
    pub run_id: String,
    pub started_at: Millis,
    pub settings: Settings,
    clients: BTreeMap<ClientId, Client>,
    next_client_id: ClientId,
    dirty: u64,
    rng: Rng,
}

impl Server {
    /// `seed` feeds the node's own random choices (SPOP, RANDOMKEY...).
    pub fn new(port: u16, config: Config, run_id: String, seed: u64, now: Millis) -> Server {
        let settings = Settings::from_config(&config);
        let keyspace = Keyspace::new(config.databases());
        Server {
            port,
            config,
            keyspace,
            run_id,
            started_at: now,
            settings,
            clients: BTreeMap::new(),
            next_client_id: 1,
            dirty: 0,
            rng: Rng::new(seed),
        }
    }

    pub fn connect(&mut self) -> ClientId {
        let id = self.next_client_id;
        self.next_client_id += 1;
        self.clients.insert(id, Client::default());
        id
    }

    pub fn disconnect(&mut self, id: ClientId) {
        self.clients.remove(&id);
    }

    pub fn is_connected(&self, id: ClientId) -> bool {
        self.clients.contains_key(&id)
    }

    pub fn changes_since_save(&self) -> u64 {
        self.dirty
    }

    /// Feeds bytes a client sent; returns the replies to every complete command.
    pub fn receive(&mut self, id: ClientId, bytes: &[u8], now: Millis) -> Output {
        let mut out = Output::default();
        let Some(client) = self.clients.get_mut(&id) else { return out };
        client.input.feed(bytes);
        loop {
            let Some(client) = self.clients.get_mut(&id) else { break };
            let args = match client.input.next_command() {
                Ok(Some(args)) => args,
                Ok(None) => break,
                Err(e) => {
                    Frame::Error(format!("ERR {e}")).encode(&mut out.reply);
                    out.close = true;
                    break;
                }
            };
            if args.is_empty() {
                continue;
            }
            let reply = self.dispatch(id, &args, now);
            reply.encode(&mut out.reply);
        }
        if out.close {
            self.clients.remove(&id);
        }
        out
    }

    /// One command from a client: checked, then queued (inside MULTI),
    /// handled here (transactions) or run against the data.
    fn dispatch(&mut self, id: ClientId, args: &[Vec<u8>], now: Millis) -> Frame {
        let Some(client) = self.clients.get_mut(&id) else { return Frame::Null };
        let resolved = match commands::resolve(args) {
            Ok(r) => r,
            Err(reply) => {
                if client.multi.is_some() {
                    client.multi_error = true;
                }
                return reply;
            }
        };
        let info = match &resolved {
            Resolved::Data(info, _) | Resolved::Connection(info) => *info,
        };
        // Console clients connect from 127.0.0.1, so `local` allows them.
        if info.name == "debug" && self.settings.enable_debug_command == "no" {
            if client.multi.is_some() {
                client.multi_error = true;
            }
            return err("DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
        }
        if let Some(queue) = client.multi.as_mut() {
            if !matches!(info.name.as_str(), "exec" | "discard" | "multi" | "watch" | "quit" | "reset") {
                if info.has_flag("no_multi") {
                    client.multi_error = true;
                    return err("Command not allowed inside a transaction");
                }
                queue.push(args.to_vec());
                return Frame::Simple("QUEUED".into());
            }
        }
        match resolved {
            Resolved::Connection(info) => self.transaction_command(id, &info.name, args, now),
            Resolved::Data(info, run) => self.run_data_command(id, info, run, args, now),
        }
    }

    fn run_data_command(
        &mut self,
        id: ClientId,
        info: &commands::table::CommandInfo,
        run: commands::Handler,
        args: &[Vec<u8>],
        now: Millis,
    ) -> Frame {
        let Some(client) = self.clients.get_mut(&id) else { return Frame::Null };
        let mut state = std::mem::take(&mut client.state);
        let dirty_before = self.dirty;
        // Emptying a db invalidates the watchers of keys it really held.
        let emptied: Vec<usize> = match info.name.as_str() {
            "flushall" => (0..self.keyspace.dbs.len()).collect(),
            "flushdb" => vec![state.db],
            "swapdb" => args[1..]
                .iter()
                .filter_map(|a| commands::parse_i64(a))
                .filter(|&i| i >= 0 && (i as usize) < self.keyspace.dbs.len())
                .map(|i| i as usize)
                .collect(),
            _ => Vec::new(),
        };
        let held: Vec<(usize, Vec<u8>)> = self
            .clients
            .values()
            .flat_map(|c| c.watched.iter())
            .filter(|(db, key, _)| emptied.contains(db) && emptied.iter().any(|&e| self.keyspace.dbs[e].stores(key)))
            .map(|(db, key, _)| (*db, key.clone()))
            .collect();
        let reply = {
            let mut ctx = Ctx {
                keyspace: &mut self.keyspace,
                client: &mut state,
                now,
                dirty: &mut self.dirty,
                settings: &mut self.settings,
                rng: &mut self.rng,
            };
            run(&mut ctx, args)
        };
        if self.dirty != dirty_before {
            if emptied.is_empty() {
                for key in commands::written_keys(info, args) {
                    self.touch_watchers(state.db, &key);
                }
            }
            for (db, key) in &held {
                self.touch_watchers(*db, key);
            }
        }
        self.report_expired();
        if let Some(client) = self.clients.get_mut(&id) {
            client.state = state;
        }
        reply
    }

    /// Marks the clients watching a key so that their EXEC fails.
    fn touch_watchers(&mut self, db: usize, key: &[u8]) {
        for client in self.clients.values_mut() {
            let hit = client.watched.iter().any(|(d, k, _)| *d == db && k == key);
            if hit {
                client.dirty_cas = true;
                client.watched.clear();
            }
        }
    }

    /// Keys that expired count as changed for their watchers.
    fn report_expired(&mut self) {
        for db in 0..self.keyspace.dbs.len() {
            for key in self.keyspace.dbs[db].take_expired() {
                self.touch_watchers(db, &key);
            }
        }
    }

    fn transaction_command(&mut self, id: ClientId, name: &str, args: &[Vec<u8>], now: Millis) -> Frame {
        let Some(client) = self.clients.get_mut(&id) else { return Frame::Null };
        match name {
            "multi" => {
                if client.multi.is_some() {
                    return err("MULTI calls can not be nested");
                }
                client.multi = Some(Vec::new());
                Frame::ok()
            }
            "discard" => {
                if client.multi.is_none() {
                    return err("DISCARD without MULTI");
                }
                Self::end_transaction(client);
                Frame::ok()
            }
            "watch" => {
                if client.multi.is_some() {
                    return err("WATCH inside MULTI is not allowed");
                }
                if !client.dirty_cas {
                    let db = client.state.db;
                    for key in &args[1..] {
                        if !client.watched.iter().any(|(d, k, _)| *d == db && k == key) {
                            let expired = self.keyspace.dbs[db].is_expired_now(key, now);
                            client.watched.push((db, key.clone(), expired));
                        }
                    }
                }
                Frame::ok()
            }
            "unwatch" => {
                client.watched.clear();
                client.dirty_cas = false;
                Frame::ok()
            }
            "exec" => self.exec(id, now),
            _ => err(&format!("unknown transaction command '{name}'")),
        }
    }

    fn end_transaction(client: &mut Client) {
        client.multi = None;
        client.multi_error = false;
        client.watched.clear();
        client.dirty_cas = false;
    }

    fn exec(&mut self, id: ClientId, now: Millis) -> Frame {
        let Some(client) = self.clients.get_mut(&id) else { return Frame::Null };
        let Some(queue) = client.multi.take() else { return err("EXEC without MULTI") };
        // A watched key that expired since WATCH counts as changed.
        let expired_since = client
            .watched
            .iter()
            .any(|(db, key, was_expired)| !was_expired && self.keyspace.dbs[*db].is_expired_now(key, now));
        let aborted = client.multi_error;
        let cas_failed = client.dirty_cas || expired_since;
        Self::end_transaction(client);
        if aborted {
            return Frame::error("EXECABORT Transaction discarded because of previous errors.");
        }
        if cas_failed {
            return Frame::NullArray;
        }
        let replies = queue
            .iter()
            .map(|args| match commands::resolve(args) {
                Ok(Resolved::Data(info, run)) => self.run_data_command(id, info, run, args, now),
                Ok(Resolved::Connection(info)) => self.transaction_command(id, &info.name, args, now),
                Err(reply) => reply,
            })
            .collect();
        Frame::Array(replies)
    }

    /// Periodic work (Redis's serverCron at `hz` 10): active expiry.
    pub fn cron(&mut self, now: Millis) {
        for db in &mut self.keyspace.dbs {
            db.active_expire(now);
        }
        self.report_expired();
    }

    pub fn key_count(&self) -> usize {
        self.keyspace.total_keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::resp::{encode_command, parse_frame};

    fn send(server: &mut Server, id: ClientId, args: &[&str]) -> Frame {
        let mut bytes = Vec::new();
        encode_command(args, &mut bytes);
        let out = server.receive(id, &bytes, 1_000);
        parse_frame(&out.reply).unwrap().unwrap().0
    }

    #[test]
    fn clients_keep_their_own_db() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (a, b) = (s.connect(), s.connect());
        assert_eq!(send(&mut s, a, &["SELECT", "1"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["SET", "k", "v"]), Frame::ok());
        assert_eq!(send(&mut s, b, &["GET", "k"]), Frame::Null);
        assert_eq!(send(&mut s, a, &["GET", "k"]), Frame::bulk(&b"v"[..]));
    }

    #[test]
    fn another_client_write_fails_the_exec() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (a, b) = (s.connect(), s.connect());
        assert_eq!(send(&mut s, a, &["WATCH", "k"]), Frame::ok());
        assert_eq!(send(&mut s, b, &["SET", "k", "v"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["MULTI"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["GET", "k"]), Frame::Simple("QUEUED".into()));
        assert_eq!(send(&mut s, a, &["EXEC"]), Frame::NullArray);
        // A write that changes nothing does not count.
        assert_eq!(send(&mut s, a, &["WATCH", "k"]), Frame::ok());
        assert_eq!(send(&mut s, b, &["DEL", "nosuch"]), Frame::Integer(0));
        assert_eq!(send(&mut s, a, &["MULTI"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["EXEC"]), Frame::Array(vec![]));
    }

    #[test]
    fn protocol_errors_close_the_client() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let id = s.connect();
        let out = s.receive(id, b"*1\r\n+PING\r\n", 0);
        assert!(out.close);
        assert_eq!(out.reply, b"-ERR Protocol error: expected '$', got '+'\r\n");
        assert!(!s.is_connected(id));
    }
}
