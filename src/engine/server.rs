//! One virtual Redis server as a sans-IO state machine: clients connect,
//! their bytes come in, reply bytes go out, and `cron` runs its periodic
//! work. It owns no socket and no clock: the caller passes virtual time.

use std::collections::BTreeMap;

use super::commands::{self, ClientState, Ctx};
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
        let settings = Settings { databases: config.databases() as i64, ..Settings::default() };
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
            let mut state = std::mem::take(&mut client.state);
            let reply = self.execute(&mut state, &args, now);
            if let Some(client) = self.clients.get_mut(&id) {
                client.state = state;
            }
            reply.encode(&mut out.reply);
        }
        if out.close {
            self.clients.remove(&id);
        }
        out
    }

    fn execute(&mut self, client: &mut ClientState, args: &[Vec<u8>], now: Millis) -> Frame {
        let mut ctx = Ctx {
            keyspace: &mut self.keyspace,
            client,
            now,
            dirty: &mut self.dirty,
            settings: &mut self.settings,
            rng: &mut self.rng,
        };
        commands::execute(&mut ctx, args)
    }

    /// Periodic work (Redis's serverCron at `hz` 10): active expiry.
    pub fn cron(&mut self, now: Millis) {
        for db in &mut self.keyspace.dbs {
            db.active_expire(now);
        }
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
    fn protocol_errors_close_the_client() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let id = s.connect();
        let out = s.receive(id, b"*1\r\n+PING\r\n", 0);
        assert!(out.close);
        assert_eq!(out.reply, b"-ERR Protocol error: expected '$', got '+'\r\n");
        assert!(!s.is_connected(id));
    }
}
