//! MIGRATE's side of a server: its cached connections to other servers
//! (one per `host:port` as typed, closed after ten idle seconds, as
//! Redis's migrate_cached_sockets) and the one migration in flight.
//! Redis moves the keys with blocking socket calls, so the whole process
//! waits for the target's replies: here the server is held as by a DEBUG
//! SLEEP (`asleep_until`, pushed back as each reply arrives) until they
//! are in, the connection fails, or the timeout passes.

use std::collections::BTreeMap;

use super::Server;
use crate::engine::node::{ClientId, Conn, DialId, Dialled, Output, Purpose};
use crate::engine::notify;
use crate::engine::resp::{encode_command, Frame};
use crate::engine::time::Millis;

/// Redis closes a cached connection unused for more than this many seconds.
const CACHE_TTL_SECONDS: Millis = 10;
/// And keeps at most this many (one goes when another is needed).
const CACHE_ITEMS: usize = 64;

/// A connection kept for the next MIGRATE to the same `host:port`.
#[derive(Clone, Debug)]
struct CachedLink {
    dial: DialId,
    /// The database its last MIGRATE selected (`None`: SELECT next time).
    last_db: Option<i64>,
    last_use: Millis,
}

/// What a MIGRATE moves, where, and how (the command parsed it and found
/// the keys).
#[derive(Clone, Debug)]
pub(crate) struct MigrateRequest {
    /// `host:port` as typed: the cache's key.
    pub(crate) name: String,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// AUTH's password, after AUTH2's user name when there is one.
    pub(crate) auth: Option<(Option<Vec<u8>>, Vec<u8>)>,
    pub(crate) target_db: i64,
    pub(crate) timeout: Millis,
    pub(crate) copy: bool,
    pub(crate) replace: bool,
    /// The client's database, where the keys are.
    pub(crate) source_db: usize,
    /// Each key with its DUMP payload and when it expires.
    pub(crate) keys: Vec<(Vec<u8>, Vec<u8>, Option<Millis>)>,
}

/// The migration the server waits on.
#[derive(Clone, Debug)]
struct Migration {
    client: ClientId,
    request: MigrateRequest,
    dial: DialId,
    /// The connection is open and the commands went out.
    sent: bool,
    /// Whether AUTH and SELECT went before the RESTOREs (each has a reply).
    auth: bool,
    select: bool,
    /// The keys sent, in order (an expired one is left out).
    sent_keys: Vec<Vec<u8>>,
    /// Bytes of a reply line not yet complete, and the lines read.
    partial: Vec<u8>,
    lines: Vec<Vec<u8>>,
    /// Redis tries once more on a fresh connection when a cached one
    /// turns out dead before any reply.
    may_retry: bool,
}

/// How waiting for the target ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// Every reply came.
    Replied,
    /// The connection closed (or was refused) first.
    SocketError,
    /// The timeout passed with no byte.
    TimedOut,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct MigrateLinks {
    cached: BTreeMap<String, CachedLink>,
    pending: Option<Migration>,
}

impl MigrateLinks {
    /// INFO's migrate_cached_sockets.
    pub(crate) fn cached_count(&self) -> usize {
        self.cached.len()
    }
}

impl Server {
    /// Whether a MIGRATE holds the server.
    pub(crate) fn migrating(&self) -> bool {
        self.migrate.pending.is_some()
    }

    /// Starts moving the keys: on a cached connection at once, else once
    /// a new one opens. The client's reply waits for the end.
    pub(crate) fn start_migration(&mut self, client: ClientId, request: MigrateRequest, now: Millis) {
        let timeout = request.timeout;
        let migration = Migration {
            client,
            request,
            dial: 0,
            sent: false,
            auth: false,
            select: false,
            sent_keys: Vec::new(),
            partial: Vec::new(),
            lines: Vec::new(),
            may_retry: true,
        };
        self.migrate.pending = Some(migration);
        self.asleep_until = Some(now + timeout);
        self.connect_migration(now);
    }

    /// Takes the cached connection to the target, or dials a new one.
    fn connect_migration(&mut self, now: Millis) {
        let Some(name) = self.migrate.pending.as_ref().map(|m| m.request.name.clone()) else { return };
        if let Some(link) = self.migrate.cached.get_mut(&name) {
            link.last_use = now;
            let dial = link.dial;
            if let Some(m) = self.migrate.pending.as_mut() {
                m.dial = dial;
            }
            self.send_migration(now);
            return;
        }
        if self.migrate.cached.len() >= CACHE_ITEMS {
            // Redis drops one at random; the first is as good and stays
            // deterministic.
            if let Some(first) = self.migrate.cached.keys().next().cloned() {
                self.close_cached_link(&first);
            }
        }
        self.repl.last_dial += 1;
        let dial = self.repl.last_dial;
        let Some(m) = self.migrate.pending.as_mut() else { return };
        m.dial = dial;
        let (host, port) = (m.request.host.clone(), m.request.port);
        self.outputs.push_back(Output::Dial { dial, host, port, purpose: Purpose::Migration });
    }

    /// AUTH if asked, SELECT if the connection is not on the target
    /// database yet, then a RESTORE per key, in one write.
    fn send_migration(&mut self, now: Millis) {
        let Some(m) = self.migrate.pending.as_mut() else { return };
        let last_db = self.migrate.cached.get(&m.request.name).and_then(|l| l.last_db);
        let mut bytes = Vec::new();
        m.auth = m.request.auth.is_some();
        if let Some((user, password)) = &m.request.auth {
            let mut auth = vec![b"AUTH".to_vec()];
            auth.extend(user.iter().cloned());
            auth.push(password.clone());
            encode_command(&auth, &mut bytes);
        }
        m.select = last_db != Some(m.request.target_db);
        if m.select {
            encode_command(&[b"SELECT".to_vec(), m.request.target_db.to_string().into_bytes()], &mut bytes);
        }
        m.sent_keys.clear();
        for (key, payload, expires_at) in &m.request.keys {
            let ttl = match expires_at {
                None => 0,
                Some(at) if *at - now < 0 => continue,
                Some(at) => (*at - now).max(1),
            };
            m.sent_keys.push(key.clone());
            let mut restore = vec![b"RESTORE".to_vec(), key.clone(), ttl.to_string().into_bytes(), payload.clone()];
            if m.request.replace {
                restore.push(b"REPLACE".to_vec());
            }
            encode_command(&restore, &mut bytes);
        }
        m.sent = true;
        m.partial.clear();
        m.lines.clear();
        let conn = Conn::Dial(m.dial);
        self.asleep_until = Some(now + m.request.timeout);
        self.outputs.push_back(Output::Send { conn, bytes });
        if self.migrate.pending.as_ref().is_some_and(|m| m.sent_keys.is_empty() && !m.auth && !m.select) {
            self.end_migration(Ending::Replied, now);
        }
    }

    fn migration_dial(&self, dial: DialId) -> bool {
        self.migrate.pending.as_ref().is_some_and(|m| m.dial == dial)
    }

    fn cached_name(&self, dial: DialId) -> Option<String> {
        self.migrate.cached.iter().find(|(_, l)| l.dial == dial).map(|(n, _)| n.clone())
    }

    /// The connection a migration asked for opened, or nothing listened
    /// (Redis then fails its first write: "writing").
    pub(crate) fn migrate_dialled(&mut self, dial: DialId, outcome: Dialled, now: Millis) {
        if !self.migration_dial(dial) {
            return;
        }
        match outcome {
            Dialled::Connected => {
                let Some(name) = self.migrate.pending.as_ref().map(|m| m.request.name.clone()) else { return };
                self.migrate.cached.insert(name, CachedLink { dial, last_db: None, last_use: now });
                self.send_migration(now);
            }
            Dialled::Refused => self.end_migration(Ending::SocketError, now),
        }
    }

    /// The target's replies: one line each for AUTH, SELECT and every RESTORE.
    pub(crate) fn migrate_receive(&mut self, dial: DialId, bytes: &[u8], now: Millis) {
        let Some(m) = self.migrate.pending.as_mut().filter(|m| m.dial == dial && m.sent) else { return };
        for &byte in bytes {
            if byte == b'\n' {
                let mut line = std::mem::take(&mut m.partial);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                m.lines.push(line);
            } else {
                m.partial.push(byte);
            }
        }
        let expected = m.auth as usize + m.select as usize + m.sent_keys.len();
        let timeout = m.request.timeout;
        if m.lines.len() >= expected {
            self.end_migration(Ending::Replied, now);
        } else {
            // Each read waits up to the timeout afresh.
            self.asleep_until = Some(now + timeout);
        }
    }

    /// The other end closed one of MIGRATE's connections.
    pub(crate) fn migrate_closed(&mut self, dial: DialId, now: Millis) {
        if let Some(name) = self.cached_name(dial) {
            self.migrate.cached.remove(&name);
        }
        if self.migration_dial(dial) {
            self.end_migration(Ending::SocketError, now);
        }
    }

    /// The sleep a migration put the server in is over: no reply came in
    /// time (the connect, or a read, timed out).
    pub(crate) fn migration_timed_out(&mut self, now: Millis) {
        if self.migrating() {
            self.end_migration(Ending::TimedOut, now);
        }
    }

    /// MIGRATE's connections unused for too long close (Redis's cron).
    pub(crate) fn close_idle_migrate_links(&mut self, now: Millis) {
        let idle: Vec<String> = self
            .migrate
            .cached
            .iter()
            .filter(|(_, l)| now / 1000 - l.last_use / 1000 > CACHE_TTL_SECONDS)
            .filter(|(_, l)| !self.migration_dial(l.dial))
            .map(|(n, _)| n.clone())
            .collect();
        for name in idle {
            self.close_cached_link(&name);
        }
    }

    fn close_cached_link(&mut self, name: &str) {
        if let Some(link) = self.migrate.cached.remove(name) {
            self.outputs.push_back(Output::Close { conn: Conn::Dial(link.dial) });
        }
    }

    /// Reads the replies as Redis does: the first error (AUTH's, SELECT's,
    /// then a RESTORE's) is the answer; each key the target took is
    /// deleted here unless COPY, and replicas get one DEL of them all.
    /// A dead connection before any reply is tried once more afresh.
    fn end_migration(&mut self, ending: Ending, now: Millis) {
        let Some(m) = self.migrate.pending.take() else { return };
        let name = m.request.name.clone();
        let connected = m.sent;
        let timed_out = ending == Ending::TimedOut;
        let preamble = m.auth as usize + m.select as usize;
        let line = |i: usize| m.lines.get(i).map(|l| l.as_slice());
        let is_error = |l: Option<&[u8]>| l.is_some_and(|l| l.first() == Some(&b'-'));
        let outcome: Result<(), String>;
        if !connected && timed_out {
            // The connect itself did not complete in time.
            self.close_migration_dial(&name, m.dial);
            outcome = Err("-IOERR error or timeout connecting to the client".into());
        } else if m.lines.len() < preamble || !connected {
            // No reply to AUTH or SELECT (or the write failed): socket error.
            let writing = !connected;
            self.close_migration_dial(&name, m.dial);
            if !timed_out && m.may_retry {
                return self.retry_migration(m, now);
            }
            let what = if writing { "writing" } else { "reading" };
            outcome = Err(format!("-IOERR error or timeout {what} to target instance"));
        } else {
            let auth_line = if m.auth { line(0) } else { None };
            let select_line = if m.select { line(m.auth as usize) } else { None };
            let mut error_from_target: Option<Vec<u8>> = None;
            let mut acked = Vec::new();
            let mut answered = 0;
            for (j, key) in m.sent_keys.iter().enumerate() {
                let Some(reply) = line(preamble + j) else { break };
                answered += 1;
                if is_error(auth_line) || is_error(select_line) || is_error(Some(reply)) {
                    if error_from_target.is_none() {
                        let first = [auth_line, select_line, Some(reply)].into_iter().flatten().find(|l| is_error(Some(l)));
                        error_from_target = first.map(|l| l[1..].to_vec());
                    }
                } else if !m.request.copy {
                    acked.push(key.clone());
                }
            }
            let socket_error = answered < m.sent_keys.len();
            if error_from_target.is_none() && socket_error && answered == 0 && m.may_retry && !timed_out {
                self.close_migration_dial(&name, m.dial);
                return self.retry_migration(m, now);
            }
            if socket_error {
                self.close_migration_dial(&name, m.dial);
            }
            self.delete_migrated(m.request.source_db, acked);
            outcome = match error_from_target {
                Some(text) => {
                    if let Some(link) = self.migrate.cached.get_mut(&name) {
                        link.last_db = None;
                    }
                    Err(format!("ERR Target instance replied with error: {}", String::from_utf8_lossy(&text)))
                }
                None if socket_error => Err("-IOERR error or timeout reading to target instance".into()),
                None => {
                    if let Some(link) = self.migrate.cached.get_mut(&name) {
                        link.last_db = Some(m.request.target_db);
                    }
                    Ok(())
                }
            };
        }
        let reply = match outcome {
            Ok(()) => Frame::ok(),
            Err(text) => {
                if let Some(calls) = self.stats.commands.get_mut("migrate") {
                    calls.2 += 1;
                }
                Frame::Error(text.trim_start_matches('-').to_string())
            }
        };
        self.count_errors(std::slice::from_ref(&reply));
        let bytes = reply.to_bytes();
        self.stats.net_output_bytes += bytes.len() as u64;
        self.replies_after_sleep.push((m.client, bytes));
        self.end_sleep(now);
    }

    /// A fresh connection for the same migration, its last chance.
    fn retry_migration(&mut self, mut m: Migration, now: Millis) {
        m.may_retry = false;
        m.sent = false;
        let timeout = m.request.timeout;
        self.migrate.pending = Some(m);
        self.asleep_until = Some(now + timeout);
        self.connect_migration(now);
    }

    /// Closes the migration's connection (a later MIGRATE opens a new one).
    fn close_migration_dial(&mut self, name: &str, dial: DialId) {
        if self.migrate.cached.get(name).is_some_and(|l| l.dial == dial) {
            self.migrate.cached.remove(name);
        }
        self.outputs.push_back(Output::Close { conn: Conn::Dial(dial) });
    }

    /// The keys the target took leave this server: a `del` event each,
    /// watchers told, and one DEL for replicas and the AOF.
    fn delete_migrated(&mut self, db: usize, keys: Vec<Vec<u8>>) {
        if keys.is_empty() {
            return;
        }
        for key in &keys {
            self.keyspace.dbs[db].remove(key);
            self.touch_watchers(db, key);
            self.notify_keyspace_event(notify::GENERIC, "del", key, db);
            self.dirty += 1;
        }
        self.keyspace.settle();
        let mut command = vec![b"DEL".to_vec()];
        command.extend(keys);
        self.propagate(db, command);
        self.aof_flush();
    }
}
