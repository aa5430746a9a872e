//! The command table and dispatch: looking a command up by name, checking
//! its arity, and the argument parsers and error replies that every command
//! family shares. One file per family holds the commands themselves.
//!
//! Each command is a plain function from a `Ctx` (the node's data, the
//! calling client, the virtual time) and its arguments to a reply frame.

mod blocking;
mod debug;
mod hashes;
mod keys;
pub(crate) mod lists;
mod scan;
pub(crate) mod server_info;
mod sets;
pub(crate) mod zsets;
mod server;
mod strings;
pub mod table;

use std::collections::VecDeque;

use super::keyspace::{Db, Keyspace};
use super::time::Millis;
use super::resp::Frame;
use super::rng::Rng;
use super::params::Settings;
use super::value::{Hash, Set, Value, ZSet};

/// What one client connection carries from command to command.
#[derive(Clone, Debug, Default)]
pub struct ClientState {
    pub db: usize,
    /// Inside EXEC blocking commands answer at once, as on a timeout.
    pub deny_blocking: bool,
    /// Set by a blocking command that found nothing: the server parks the
    /// client instead of replying.
    pub block: Option<BlockRequest>,
    /// What a command asks to send to replicas instead of itself (Redis's
    /// rewriteClientCommandVector / alsoPropagate): relative expiries become
    /// absolute, pops become removals... `None` sends the command as typed.
    pub propagate: Option<Vec<Vec<Vec<u8>>>>,
    /// DEBUG SLEEP asks the server to stop for this many milliseconds.
    pub sleep: Option<Millis>,
}

impl ClientState {
    /// Replaces what the command propagates.
    pub fn propagate_as<A: AsRef<[u8]>>(&mut self, commands: Vec<Vec<A>>) {
        self.propagate = Some(commands.into_iter().map(|c| c.into_iter().map(|a| a.as_ref().to_vec()).collect()).collect());
    }
}

/// What a blocked client waits for.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockRequest {
    pub keys: Vec<Vec<u8>>,
    /// Virtual time at which it gives up; `None` waits forever.
    pub deadline: Option<Millis>,
    /// The reply on timeout (a nil of the command's kind).
    pub on_timeout: Frame,
}

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
}

impl Ctx<'_> {
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

    /// Deletes the key if its collection became empty, as Redis does.
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

pub type Handler = fn(&mut Ctx, &[Vec<u8>]) -> Frame;

/// The commands this engine implements, by their name in the recorded
/// table (subcommands as `container|sub`). Arity and flags come from there.
const HANDLERS: &[(&str, Handler)] = &[
    ("append", strings::append),
    ("blmove", blocking::blmove),
    ("blmpop", blocking::blmpop),
    ("blpop", blocking::blpop),
    ("brpop", blocking::brpop),
    ("brpoplpush", blocking::brpoplpush),
    ("bzmpop", blocking::bzmpop),
    ("bzpopmax", blocking::bzpopmax),
    ("bzpopmin", blocking::bzpopmin),
    ("command", server::command),
    ("command|count", server::command_count),
    ("command|docs", server::command_docs),
    ("command|getkeys", server::command_getkeys),
    ("command|getkeysandflags", server::command_getkeysandflags),
    ("command|help", server::command_help),
    ("command|info", server::command_info),
    ("command|list", server::command_list),
    ("config|set", server::config_set),
    ("copy", keys::copy),
    ("dbsize", server::dbsize),
    ("debug", debug::debug),
    ("decr", strings::decr),
    ("decrby", strings::decrby),
    ("del", keys::del),
    ("dump", keys::dump),
    ("echo", server::echo),
    ("exists", keys::exists),
    ("expire", keys::expire),
    ("expireat", keys::expireat),
    ("expiretime", keys::expiretime),
    ("flushall", server::flushall),
    ("flushdb", server::flushdb),
    ("get", strings::get),
    ("getdel", strings::getdel),
    ("getex", strings::getex),
    ("getrange", strings::getrange),
    ("getset", strings::getset),
    ("hdel", hashes::hdel),
    ("hexists", hashes::hexists),
    ("hget", hashes::hget),
    ("hgetall", hashes::hgetall),
    ("hincrby", hashes::hincrby),
    ("hincrbyfloat", hashes::hincrbyfloat),
    ("hkeys", hashes::hkeys),
    ("hlen", hashes::hlen),
    ("hmget", hashes::hmget),
    ("hmset", hashes::hmset),
    ("hrandfield", hashes::hrandfield),
    ("hscan", scan::hscan),
    ("hset", hashes::hset),
    ("hsetnx", hashes::hsetnx),
    ("hstrlen", hashes::hstrlen),
    ("hvals", hashes::hvals),
    ("incr", strings::incr),
    ("incrby", strings::incrby),
    ("incrbyfloat", strings::incrbyfloat),
    ("keys", keys::keys),
    ("lcs", strings::lcs),
    ("lindex", lists::lindex),
    ("linsert", lists::linsert),
    ("llen", lists::llen),
    ("lmove", lists::lmove),
    ("lmpop", lists::lmpop),
    ("lpop", lists::lpop),
    ("lpos", lists::lpos),
    ("lpush", lists::lpush),
    ("lpushx", lists::lpushx),
    ("lrange", lists::lrange),
    ("lrem", lists::lrem),
    ("lset", lists::lset),
    ("ltrim", lists::ltrim),
    ("memory|usage", server_info::memory_usage),
    ("mget", strings::mget),
    ("move", keys::move_),
    ("mset", strings::mset),
    ("msetnx", strings::msetnx),
    ("object|encoding", keys::object_encoding),
    ("object|freq", keys::object_freq),
    ("object|help", keys::object_help),
    ("object|idletime", keys::object_idletime),
    ("object|refcount", keys::object_refcount),
    ("persist", keys::persist),
    ("pexpire", keys::pexpire),
    ("pexpireat", keys::pexpireat),
    ("pexpiretime", keys::pexpiretime),
    ("ping", server::ping),
    ("psetex", strings::psetex),
    ("pttl", keys::pttl),
    ("randomkey", keys::randomkey),
    ("rename", keys::rename),
    ("renamenx", keys::renamenx),
    ("restore", keys::restore),
    ("rpop", lists::rpop),
    ("rpoplpush", lists::rpoplpush),
    ("rpush", lists::rpush),
    ("rpushx", lists::rpushx),
    ("sadd", sets::sadd),
    ("scan", scan::scan),
    ("scard", sets::scard),
    ("sdiff", sets::sdiff),
    ("sdiffstore", sets::sdiffstore),
    ("select", server::select),
    ("set", strings::set),
    ("setex", strings::setex),
    ("setnx", strings::setnx),
    ("setrange", strings::setrange),
    ("sinter", sets::sinter),
    ("sintercard", sets::sintercard),
    ("sinterstore", sets::sinterstore),
    ("sismember", sets::sismember),
    ("smembers", sets::smembers),
    ("smismember", sets::smismember),
    ("smove", sets::smove),
    ("spop", sets::spop),
    ("srandmember", sets::srandmember),
    ("srem", sets::srem),
    ("sscan", scan::sscan),
    ("strlen", strings::strlen),
    ("sunion", sets::sunion),
    ("sunionstore", sets::sunionstore),
    ("swapdb", keys::swapdb),
    ("touch", keys::touch),
    ("ttl", keys::ttl),
    ("type", keys::type_),
    ("unlink", keys::unlink),
    ("zadd", zsets::zadd),
    ("zcard", zsets::zcard),
    ("zcount", zsets::zcount),
    ("zdiff", zsets::zdiff),
    ("zdiffstore", zsets::zdiffstore),
    ("zincrby", zsets::zincrby),
    ("zinter", zsets::zinter),
    ("zinterstore", zsets::zinterstore),
    ("zlexcount", zsets::zlexcount),
    ("zmpop", zsets::zmpop),
    ("zmscore", zsets::zmscore),
    ("zpopmax", zsets::zpopmax),
    ("zpopmin", zsets::zpopmin),
    ("zrandmember", zsets::zrandmember),
    ("zrange", zsets::zrange),
    ("zrangebylex", zsets::zrangebylex),
    ("zrangebyscore", zsets::zrangebyscore),
    ("zrangestore", zsets::zrangestore),
    ("zrank", zsets::zrank),
    ("zrem", zsets::zrem),
    ("zremrangebylex", zsets::zremrangebylex),
    ("zremrangebyrank", zsets::zremrangebyrank),
    ("zremrangebyscore", zsets::zremrangebyscore),
    ("zrevrange", zsets::zrevrange),
    ("zrevrangebylex", zsets::zrevrangebylex),
    ("zrevrangebyscore", zsets::zrevrangebyscore),
    ("zrevrank", zsets::zrevrank),
    ("zscan", scan::zscan),
    ("zscore", zsets::zscore),
    ("zunion", zsets::zunion),
    ("zunionstore", zsets::zunionstore),
];

/// How the engine carries out each command it implements, by table name:
/// a handler on the data, or `None` for the server's own commands.
fn implementations() -> &'static std::collections::HashMap<&'static str, Option<Handler>> {
    static MAP: std::sync::OnceLock<std::collections::HashMap<&'static str, Option<Handler>>> = std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        let data = HANDLERS.iter().map(|(n, h)| (*n, Some(*h)));
        CONNECTION_LEVEL.iter().map(|n| (*n, None)).chain(data).collect()
    })
}


/// Whether the engine implements this command (by its table name).
pub fn is_implemented(name: &str) -> bool {
    implementations().contains_key(name)
}

/// Commands the server itself carries out, because they act on the
/// connection or read the server's own state (transactions, pub/sub,
/// CLIENT, INFO...).
const CONNECTION_LEVEL: &[&str] = &[
    "bgsave",
    "client|getname",
    "client|id",
    "client|info",
    "client|kill",
    "client|list",
    "client|setname",
    "config|get",
    "config|resetstat",
    "config|rewrite",
    "discard",
    "exec",
    "hello",
    "info",
    "lastsave",
    "monitor",
    "multi",
    "quit",
    "replconf",
    "replicaof",
    "reset",
    "role",
    "save",
    "shutdown",
    "slaveof",
    "sync",
    "time",
    "psubscribe",
    "psync",
    "publish",
    "pubsub|channels",
    "pubsub|help",
    "pubsub|numpat",
    "pubsub|numsub",
    "punsubscribe",
    "subscribe",
    "unsubscribe",
    "unwatch",
    "wait",
    "watch",
];

/// A command that passed Redis's checks (known, implemented, right arity).
pub enum Resolved {
    Data(&'static table::CommandInfo, Handler),
    Connection(&'static table::CommandInfo),
}

/// Redis's checks before running or queueing a command: unknown command,
/// unknown subcommand, arity. A command Redis has but this engine does not
/// yet gets Redis's own answer for a command it does not know (or for an
/// unknown subcommand, when the engine has others of the same container).
pub fn resolve(args: &[Vec<u8>]) -> Result<Resolved, Frame> {
    if args.is_empty() {
        return Err(Frame::NullArray);
    }
    let info = match table::lookup(args) {
        None => return Err(unknown_command(args)),
        Some(Err(container)) => return Err(unknown_subcommand(args, &container.name)),
        Some(Ok(info)) => info,
    };
    let container_known = |c: &str| {
        HANDLERS.iter().map(|(n, _)| *n).chain(CONNECTION_LEVEL.iter().copied()).any(|n| n.split_once('|').is_some_and(|(k, _)| k == c))
    };
    let implemented = implementations().get(info.name.as_str());
    let run = implemented.copied().flatten();
    let connection_level = implemented.is_some_and(Option::is_none);
    if run.is_none() && !connection_level {
        match info.name.split_once('|') {
            Some((container, _)) if container_known(container) => return Err(unknown_subcommand(args, container)),
            None if container_known(&info.name) => {}
            _ => return Err(unknown_command(args)),
        }
    }
    let argc = args.len() as i64;
    if (info.arity > 0 && info.arity != argc) || argc < -info.arity {
        return Err(wrong_arity(&info.name));
    }
    match run {
        Some(run) => Ok(Resolved::Data(info, run)),
        None if connection_level => Ok(Resolved::Connection(info)),
        None => Err(unknown_command(args)),
    }
}

/// Redis's start/end normalisation for index ranges (LRANGE, LTRIM,
/// ZRANGE by rank): negative counts from the end, clamped; `None` when empty.
pub(crate) fn index_window(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// The keys a write command may have changed, from Redis's key positions
/// (and the numkeys argument of the commands whose keys move).
pub fn written_keys<'a>(info: &table::CommandInfo, args: &'a [Vec<u8>]) -> Vec<&'a [u8]> {
    match info.name.as_str() {
        "lmpop" | "zmpop" => {
            let n = args.get(1).and_then(|a| parse_i64(a)).map_or(0, to_usize);
            return args.iter().skip(2).take(n).map(Vec::as_slice).collect();
        }
        "blmpop" | "bzmpop" => {
            let n = args.get(2).and_then(|a| parse_i64(a)).map_or(0, to_usize);
            return args.iter().skip(3).take(n).map(Vec::as_slice).collect();
        }
        _ => {}
    }
    if info.first_key <= 0 {
        return Vec::new();
    }
    let last = if info.last_key < 0 { args.len() as i64 + info.last_key } else { info.last_key };
    let step = info.key_step.max(1) as usize;
    (info.first_key as usize..=last.max(0) as usize)
        .step_by(step)
        .filter_map(|i| args.get(i).map(Vec::as_slice))
        .collect()
}

/// `%.128s` of a C string: up to the first NUL, at most 128 bytes.
fn c_str_prefix(bytes: &[u8], max: usize) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len()).min(max);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Redis replaces line breaks in error texts so the reply stays one line.
fn one_line(text: String) -> String {
    text.replace(['\r', '\n'], " ")
}

pub fn unknown_command(args: &[Vec<u8>]) -> Frame {
    let mut quoted = String::new();
    for arg in &args[1..] {
        if quoted.len() >= 128 {
            break;
        }
        let room = 128 - quoted.len();
        quoted.push_str(&format!("'{}' ", c_str_prefix(arg, room)));
    }
    Frame::Error(one_line(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        c_str_prefix(&args[0], 128),
        quoted
    )))
}

pub fn unknown_subcommand(args: &[Vec<u8>], container: &str) -> Frame {
    Frame::Error(one_line(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        c_str_prefix(&args[1], 128),
        container.to_ascii_uppercase()
    )))
}

pub fn wrong_arity(name: &str) -> Frame {
    Frame::Error(format!("ERR wrong number of arguments for '{name}' command"))
}

/// `addReplyError`: Redis puts `ERR ` in front of texts without a code.
pub fn err(text: &str) -> Frame {
    Frame::Error(format!("ERR {text}"))
}

pub fn syntax_error() -> Frame {
    err("syntax error")
}

pub fn not_an_integer() -> Frame {
    err("value is not an integer or out of range")
}

pub fn wrong_type() -> Frame {
    Frame::error("WRONGTYPE Operation against a key holding the wrong kind of value")
}

pub fn invalid_expire_time(command: &str) -> Frame {
    err(&format!("invalid expire time in '{command}' command"))
}

pub use crate::engine::numfmt::parse_i64;

/// `getLongLongFromObjectOrReply`.
pub fn int_arg(bytes: &[u8]) -> Result<i64, Frame> {
    parse_i64(bytes).ok_or_else(not_an_integer)
}

/// `getRangeLongFromObjectOrReply` with Redis's own out-of-range text.
pub fn ranged_int_arg(bytes: &[u8], min: i64, max: i64) -> Result<i64, Frame> {
    let n = int_arg(bytes)?;
    if n < min || n > max {
        return Err(err(&format!("value is out of range, value must between {min} and {max}")));
    }
    Ok(n)
}

/// `getPositiveLongFromObjectOrReply` with its default message.
pub fn positive_int_arg(bytes: &[u8]) -> Result<i64, Frame> {
    let n = int_arg(bytes)?;
    if n < 0 {
        return Err(err("value is out of range, must be positive"));
    }
    Ok(n)
}

/// A range check whose failure (not an integer, or out of range) has one message.
pub fn int_arg_in(bytes: &[u8], min: i64, max: i64, message: &str) -> Result<i64, Frame> {
    match parse_i64(bytes) {
        Some(n) if n >= min && n <= max => Ok(n),
        _ => Err(err(message)),
    }
}

/// The arguments of LMPOP / ZMPOP (and their blocking forms) from the
/// numkeys argument on: `numkeys key... WHERE [COUNT n]`, WHERE being one
/// of `ends` (LEFT/RIGHT or MIN/MAX). Returns the keys' range in `args`,
/// whether WHERE was the second word, and the count (1 by default).
pub struct MpopArgs {
    pub keys: std::ops::Range<usize>,
    pub second_end: bool,
    pub count: usize,
}

pub fn parse_mpop(args: &[Vec<u8>], numkeys_at: usize, ends: [&str; 2]) -> Result<MpopArgs, Frame> {
    let numkeys = to_usize(int_arg_in(&args[numkeys_at], 1, i64::MAX, "numkeys should be greater than 0")?);
    let where_at = match numkeys.checked_add(numkeys_at + 1) {
        Some(w) if w < args.len() => w,
        _ => return Err(syntax_error()),
    };
    let second_end = if eq_ignore_case(&args[where_at], ends[0]) {
        false
    } else if eq_ignore_case(&args[where_at], ends[1]) {
        true
    } else {
        return Err(syntax_error());
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && eq_ignore_case(&args[j], "count") && j + 1 < args.len() {
            j += 1;
            count = Some(to_usize(int_arg_in(&args[j], 1, i64::MAX, "count should be greater than 0")?));
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok(MpopArgs { keys: numkeys_at + 1..where_at, second_end, count: count.unwrap_or(1) })
}

/// A count or index from a client, as usize without wrapping on 32-bit
/// targets (wasm): negatives become 0, huge values usize::MAX.
pub fn to_usize(n: i64) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX)
}

pub fn eq_ignore_case(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

pub fn bulks<I, B>(items: I) -> Frame
where
    I: IntoIterator<Item = B>,
    B: Into<Vec<u8>>,
{
    Frame::Array(items.into_iter().map(|b| Frame::Bulk(b.into())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_command_text() {
        let args: Vec<Vec<u8>> = vec![b"FOO".to_vec(), b"bar".to_vec()];
        assert_eq!(
            unknown_command(&args),
            Frame::error("ERR unknown command 'FOO', with args beginning with: 'bar' ")
        );
        assert_eq!(
            unknown_command(&[b"FOO".to_vec()]),
            Frame::error("ERR unknown command 'FOO', with args beginning with: ")
        );
    }
}
