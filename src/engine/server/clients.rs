//! A server's clients: what each connection carries from command to
//! command, and how CLIENT LIST shows it.

use super::Server;
use crate::engine::client_info::{ClientLine, QUERY_READ_BUFFER, QUERY_RESIZE_THRESHOLD};
use crate::engine::node::ClientId;
use crate::engine::resp::{Frame, RequestParser};
use crate::engine::time::Millis;

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
    /// The master's stream on a replica (Redis's mustObeyClient): what it
    /// sends is applied as it was on the master, without the limits a
    /// user's command gets.
    pub from_master: bool,
    /// A script is running the command (Redis's CLIENT_SCRIPT).
    pub in_script: bool,
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
    /// The command to run again when a key changes, when it is not the one
    /// typed (XREAD's `$` becomes the ID it stood for when it blocked).
    pub rerun: Option<Vec<Vec<u8>>>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Client {
    pub(crate) state: ClientState,
    pub(crate) input: RequestParser,
    /// Commands queued since MULTI.
    pub(crate) multi: Option<Vec<Vec<Vec<u8>>>>,
    /// A command failed its checks while queueing: EXEC answers EXECABORT.
    pub(crate) multi_error: bool,
    /// WATCHed keys: (db, key, already expired when watched).
    pub(crate) watched: Vec<(usize, Vec<u8>, bool)>,
    /// A watched key changed: EXEC answers nil.
    pub(crate) dirty_cas: bool,
    /// Parked by a blocking command: (the command, what it waits for, since).
    pub(crate) blocked: Option<(Vec<Vec<u8>>, BlockRequest, Millis)>,
    /// Pub/sub subscriptions, in the order they were made.
    pub(crate) channels: Vec<Vec<u8>>,
    pub(crate) patterns: Vec<Vec<u8>>,
    /// SSUBSCRIBE's shard channels, counted apart from the others.
    pub(crate) shard_channels: Vec<Vec<u8>>,
    /// CLIENT SETNAME.
    pub(crate) name: Vec<u8>,
    /// Whether it may run commands: true from the start when the default
    /// user needs no password, then after a good AUTH.
    pub(crate) authenticated: bool,
    /// The ACL user its commands are checked against.
    pub(crate) user: Vec<u8>,
    /// CLIENT NO-EVICT: `maxmemory-clients` may not close it.
    pub(crate) no_evict: bool,
    /// CLIENT TRACKING: its mode when on.
    pub(crate) tracking: Option<super::tracking::Tracking>,
    /// In MONITOR mode: it is sent every command the server runs.
    pub(crate) monitor: bool,
    pub(crate) connected_at: Millis,
    pub(crate) last_command_at: Millis,
    /// Full name of the last command (CLIENT LIST's `cmd=`).
    pub(crate) last_command: &'static str,
    /// The replication offset after this client's last write (for WAIT).
    pub(crate) woff: i64,
    /// WAIT: (offset, replicas wanted, deadline).
    pub(crate) waiting_acks: Option<(i64, i64, Option<Millis>)>,
    /// Since when its output buffer has been past the soft limit.
    pub(crate) obuf_soft_since: Option<Millis>,
    /// The command it sent while clients were paused, run when they are not.
    pub(crate) postponed: Option<Vec<Vec<u8>>>,
    /// CLIENT REPLY.
    pub(crate) reply: ReplyMode,
    /// The query buffer's size (used and free), as Redis grows it on
    /// reads and trims it in its cron, and its recent peak.
    pub(crate) query_buffer: usize,
    pub(crate) query_buffer_peak: usize,
}

/// CLIENT REPLY ON, OFF, or SKIP (the next command's reply, then ON).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ReplyMode {
    #[default]
    On,
    Off,
    SkipNext,
    Skip,
}

impl Client {
    /// Bytes arrived: the query buffer grows to hold them, a read's worth
    /// at least (Redis sizes a small buffer for one read, a big argument
    /// for itself).
    pub(crate) fn note_read(&mut self) {
        let held = self.input.pending();
        if self.query_buffer < 16 * 1024 || held > self.query_buffer {
            self.query_buffer = self.query_buffer.max(held).max(QUERY_READ_BUFFER);
        }
        self.query_buffer_peak = self.query_buffer_peak.max(held);
    }

    /// Redis's clientsCronResizeQueryBuffer: a buffer wasting more than
    /// 4 KiB is freed after two idle seconds, or trimmed to its recent
    /// peak when past 32 KiB and twice that peak; the peak starts again.
    pub(crate) fn resize_query_buffer(&mut self, now: Millis) {
        let held = self.input.pending();
        if self.query_buffer.saturating_sub(held) > 4 * 1024 {
            if now / 1000 - self.last_command_at / 1000 > 2 {
                self.query_buffer = held;
            } else if self.query_buffer > QUERY_RESIZE_THRESHOLD && self.query_buffer / 2 > self.query_buffer_peak {
                self.query_buffer = held.max(self.query_buffer_peak);
            }
        }
        self.query_buffer_peak = held;
    }

    pub(crate) fn new(now: Millis) -> Client {
        Client { connected_at: now, last_command_at: now, user: b"default".to_vec(), ..Client::default() }
    }

    pub(crate) fn subscriptions(&self) -> i64 {
        (self.channels.len() + self.patterns.len()) as i64
    }

    pub(crate) fn is_subscribed(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty() || !self.shard_channels.is_empty()
    }

    /// MULTI is over (EXEC, DISCARD, RESET): the queue and the watches go.
    pub(crate) fn end_transaction(&mut self) {
        self.multi = None;
        self.multi_error = false;
        self.watched.clear();
        self.dirty_cas = false;
    }
}

/// Redis's defaults: `normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60`.
const DEFAULT_OUTPUT_LIMITS: &str = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

/// (hard bytes, soft bytes, soft seconds) of a client class in the
/// parameter's CONFIG GET form.
fn output_limits(value: &str, class: &str) -> (u64, u64, i64) {
    let words: Vec<&str> = value.split_ascii_whitespace().collect();
    let Some(at) = words.iter().position(|w| *w == class) else { return (0, 0, 0) };
    let number = |i: usize| words.get(at + i).and_then(|w| w.parse::<i64>().ok()).unwrap_or(0).max(0);
    (number(1) as u64, number(2) as u64, number(3))
}

impl Server {
    /// Redis's checkClientOutputBufferLimits: a client whose pending output
    /// reaches its class's hard limit, or stays at the soft limit longer
    /// than its seconds, is closed (what it had not received yet is lost).
    pub(crate) fn check_output_buffer(&mut self, id: ClientId, pending: usize, now: Millis) {
        let class = match self.clients.get(&id) {
            None => return,
            Some(_) if self.repl.replicas.contains_key(&id) => "slave",
            Some(c) if c.is_subscribed() => "pubsub",
            Some(_) => "normal",
        };
        // Read in place: this runs for every reply an outside client gets.
        let value = self.settings.other.get("client-output-buffer-limit").map_or(DEFAULT_OUTPUT_LIMITS, String::as_str);
        let (hard, soft, soft_seconds) = output_limits(value, class);
        let pending = pending as u64;
        let Some(client) = self.clients.get_mut(&id) else { return };
        let over_hard = hard > 0 && pending >= hard;
        let over_soft = soft > 0 && pending >= soft;
        let soft_expired = match (over_soft, client.obuf_soft_since) {
            (false, _) => {
                client.obuf_soft_since = None;
                false
            }
            (true, None) => {
                client.obuf_soft_since = Some(now);
                false
            }
            // Redis counts whole seconds of its clock.
            (true, Some(since)) => now / 1000 - since / 1000 > soft_seconds,
        };
        if over_hard || soft_expired {
            let line = self.client_line(id, 0, &[], now);
            self.warning(now, format!("Client {line} scheduled to be closed ASAP for overcoming of output buffer limits."));
            self.kill_client(id, now);
        }
    }

    /// Whether the client is running EXEC (which denies blocking).
    pub(crate) fn in_exec(&self, id: ClientId) -> bool {
        self.clients.get(&id).is_some_and(|c| c.state.deny_blocking)
    }

    /// A client's CLIENT LIST line, as seen by `viewer` running `args`.
    pub(crate) fn client_line(&self, id: ClientId, viewer: ClientId, args: &[Vec<u8>], now: Millis) -> String {
        let Some(c) = self.clients.get(&id) else { return String::new() };
        // In the order Redis writes them.
        let mut flags = String::new();
        if c.monitor {
            flags.push('O');
        }
        if c.is_subscribed() {
            flags.push('P');
        }
        if c.multi.is_some() {
            flags.push('x');
        }
        if c.blocked.is_some() {
            flags.push('b');
        }
        if let Some(t) = &c.tracking {
            flags.push('t');
            if t.broken_redirect {
                flags.push('R');
            }
            if t.bcast {
                flags.push('B');
            }
        }
        if c.dirty_cas {
            flags.push('d');
        }
        if c.no_evict {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        ClientLine {
            id,
            port: self.port,
            name: &c.name,
            age: (now - c.connected_at).max(0) / 1000,
            idle: (now - c.last_command_at).max(0) / 1000,
            flags: &flags,
            db: c.state.db,
            sub: c.channels.len(),
            psub: c.patterns.len(),
            ssub: c.shard_channels.len(),
            multi: c.multi.as_ref().map_or(-1, |q| q.len() as i64),
            cmd: c.last_command,
            // The viewer's own command still sits in its query buffer.
            running: (id == viewer).then_some(args),
            user: &c.user,
            query_buffer: c.query_buffer,
            pending: c.input.pending(),
        }
        .render()
    }
}
