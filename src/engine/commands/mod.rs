//! Commands: the one handler table (handlers.rs), looking a command up
//! and checking its arity (here), running it on a server (dispatch.rs),
//! and one file per command family, as mini-redis keeps them. Commands on
//! the data are plain functions from a `Ctx` (the node's data, the calling
//! client, the virtual time) and their arguments to a reply; the server's
//! own commands (connection, pub/sub, transactions, replication, admin)
//! take the server itself. The argument parsers and error replies every
//! family shares are in args.rs.

pub(crate) mod acl;
mod admin;
mod args;
mod bitops;
mod blocking;
mod connection;
mod debug;
mod functions;
mod geo;
pub mod dispatch;
mod handlers;
mod hashes;
mod help;
pub(crate) mod hyperloglog;
pub(crate) mod hyperloglog_debug;
mod introspection;
mod keys;
mod latency;
pub(crate) mod lists;
mod lolwut;
mod memory_report;
mod migrate;
mod pubsub;
mod replicaof;
mod scan;
mod script_flags;
mod scripting;
mod sets;
mod standalone;
pub(crate) mod sort;
mod stream_groups;
mod stream_info;
pub(crate) mod streams;
mod strings;
pub use super::command_table as table;
mod transactions;
pub(crate) mod zsets;
mod zset_algebra;

pub use args::*;
pub use handlers::flag;

use std::collections::VecDeque;

use super::keyspace::{Db, Keyspace};
use super::notify::KeyEvent;
pub use super::notify as event;
use super::node::ClientId;
use super::params::Settings;
use super::resp::Frame;
use super::rng::Rng;
use super::server::Server;
use super::time::Millis;
use super::value::{Hash, Set, Value, ZSet};

pub use crate::engine::server::clients::{BlockRequest, ClientState};

/// Everything a command may read or change.
pub struct Ctx<'a> {
    pub keyspace: &'a mut Keyspace,
    pub client: &'a mut ClientState,
    pub now: Millis,
    /// Changes since the last save, as Redis's `server.dirty`.
    pub dirty: &'a mut u64,
    pub settings: &'a mut Settings,
    /// The node's own seeded generator (SPOP, SRANDMEMBER, RANDOMKEY...).
    pub rng: &'a mut Rng,
    /// The keyspace event classes `notify-keyspace-events` publishes, and
    /// the events the command raised (published after it).
    pub notify: u16,
    pub events: Vec<KeyEvent>,
}

impl Ctx<'_> {
    /// A keyspace event on `key` of the client's database (kept only if
    /// its class is published).
    pub fn notify(&mut self, class: u16, event: &'static str, key: &[u8]) {
        let db = self.client.db;
        self.notify_in(db, class, event, key);
    }

    pub fn notify_in(&mut self, db: usize, class: u16, event: &'static str, key: &[u8]) {
        if self.notify & class != 0 {
            self.events.push(KeyEvent { class, event, db, key: key.to_vec() });
        }
    }

    pub fn db(&mut self) -> &mut Db {
        let index = self.client.db;
        &mut self.keyspace.dbs[index]
    }

    /// The live value at `key`, if any.
    pub fn value(&mut self, key: &[u8]) -> Option<&mut Value> {
        let now = self.now;
        self.db().get_mut(key, now).map(|e| &mut e.value)
    }

    /// The value at `key` if it is of the type `pick` selects; WRONGTYPE
    /// if the key holds another type; `None` if there is no such key.
    pub fn typed<T>(&mut self, key: &[u8], pick: fn(&mut Value) -> Option<&mut T>) -> Result<Option<&mut T>, Frame> {
        match self.value(key) {
            None => Ok(None),
            Some(v) => pick(v).map(Some).ok_or_else(wrong_type),
        }
    }

    /// The reply `answer` gives from the value at `key` when it is of the
    /// type `pick` selects (`None`: no such key); WRONGTYPE when it is not.
    pub fn reply_with<T>(&mut self, key: &[u8], pick: fn(&mut Value) -> Option<&mut T>, answer: impl FnOnce(Option<&mut T>) -> Frame) -> Frame {
        match self.typed(key, pick) {
            Err(e) => e,
            Ok(value) => answer(value),
        }
    }

    /// HDEL, SREM, ZREM: removes each of `members` that `remove` finds in
    /// the collection at `key` and answers how many; an emptied key goes.
    /// `event` (class, name) is raised when something was removed.
    pub fn remove_members<T>(
        &mut self,
        key: &[u8],
        pick: fn(&mut Value) -> Option<&mut T>,
        members: &[Vec<u8>],
        remove: fn(&mut T, &[u8]) -> bool,
        event: (u16, &'static str),
    ) -> Frame {
        let collection = match self.typed(key, pick) {
            Err(e) => return e,
            Ok(None) => return Frame::Integer(0),
            Ok(Some(c)) => c,
        };
        let removed = members.iter().filter(|m| remove(collection, m)).count();
        *self.dirty += removed as u64;
        if removed > 0 {
            self.notify(event.0, event.1, key);
        }
        self.remove_if_empty(key);
        Frame::Integer(removed as i64)
    }

    /// Like `typed`, creating the value with `make` when the key is missing.
    pub fn typed_or_insert<T>(
        &mut self,
        key: &[u8],
        pick: fn(&mut Value) -> Option<&mut T>,
        make: impl FnOnce() -> Value,
    ) -> Result<&mut T, Frame> {
        if self.value(key).is_none() {
            let now = self.now;
            self.db().set(key, make(), false, now);
        }
        match self.value(key) {
            Some(v) => pick(v).ok_or_else(wrong_type),
            None => Err(wrong_type()),
        }
    }

    /// Deletes the key if its collection became empty, as Redis does (with
    /// its `del` event).
    pub fn remove_if_empty(&mut self, key: &[u8]) {
        let empty = match self.value(key) {
            Some(Value::List(l)) => l.is_empty(),
            Some(Value::Hash(h)) => h.is_empty(),
            Some(Value::Set(s)) => s.is_empty(),
            Some(Value::ZSet(z)) => z.is_empty(),
            _ => false,
        };
        if empty {
            self.db().remove(key);
            self.notify(event::GENERIC, "del", key);
        }
    }
}

pub fn list(v: &mut Value) -> Option<&mut VecDeque<Vec<u8>>> {
    match v {
        Value::List(l) => Some(l),
        _ => None,
    }
}

pub fn hash(v: &mut Value) -> Option<&mut Hash> {
    match v {
        Value::Hash(h) => Some(h),
        _ => None,
    }
}

pub fn set(v: &mut Value) -> Option<&mut Set> {
    match v {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

pub fn zset(v: &mut Value) -> Option<&mut ZSet> {
    match v {
        Value::ZSet(z) => Some(z),
        _ => None,
    }
}

pub fn string(v: &mut Value) -> Option<&mut super::value::Str> {
    match v {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// A command on the data.
pub type DataFn = fn(&mut Ctx, &[Vec<u8>]) -> Frame;
/// One of the server's own commands: it gets the server, the calling
/// client and the time, and gives its replies (none while it blocks).
pub type ServerFn = fn(&mut Server, ClientId, &[Vec<u8>], Millis) -> Vec<Frame>;

#[derive(Clone, Copy)]
pub enum Run {
    Data(DataFn),
    Server(ServerFn),
}

/// How the engine runs a command, and what the server must know of it
/// (`flag`).
#[derive(Clone, Copy)]
pub struct Handler {
    pub run: Run,
    pub flags: u8,
}

/// The handler table by name.
fn implementations() -> &'static crate::engine::fnv::FixedHashMap<&'static str, Handler> {
    static MAP: std::sync::OnceLock<crate::engine::fnv::FixedHashMap<&'static str, Handler>> = std::sync::OnceLock::new();
    MAP.get_or_init(|| handlers::HANDLERS.iter().copied().collect())
}

/// Whether the engine implements this command (by its table name).
pub fn is_implemented(name: &str) -> bool {
    // A container (CONFIG, SCRIPT...) is there when any of its subcommands is.
    implementations().contains_key(name) || handlers::HANDLERS.iter().any(|(n, _)| n.split_once('|').is_some_and(|(c, _)| c == name))
}

/// Redis's checks before running or queueing a command: unknown command,
/// unknown subcommand, arity. A command Redis has but this engine does not
/// yet gets Redis's own answer for a command it does not know (or for an
/// unknown subcommand, when the engine has others of the same container).
pub fn resolve(args: &[Vec<u8>]) -> Result<(&'static table::CommandInfo, Handler), Frame> {
    if args.is_empty() {
        return Err(Frame::NullArray);
    }
    let info = match table::lookup(args) {
        None => return Err(unknown_command(args)),
        Some(Err(container)) => return Err(unknown_subcommand(args, &container.name)),
        Some(Ok(info)) => info,
    };
    let container_known = |c: &str| handlers::HANDLERS.iter().any(|(n, _)| n.split_once('|').is_some_and(|(k, _)| k == c));
    let argc = args.len() as i64;
    let arity_ok = !((info.arity > 0 && info.arity != argc) || argc < -info.arity);
    match (implementations().get(info.name.as_str()).copied(), info.name.split_once('|')) {
        (Some(handler), _) if arity_ok => Ok((info, handler)),
        (Some(_), _) => Err(wrong_arity(&info.name)),
        (None, Some((container, _))) if container_known(container) => Err(unknown_subcommand(args, container)),
        // A container whose subcommands the engine has, called without one.
        (None, None) if container_known(&info.name) && !arity_ok => Err(wrong_arity(&info.name)),
        (None, _) => Err(unknown_command(args)),
    }
}
