//! Memory limits, as Redis's `performEvictions` keeps them: before each
//! command a server over its `maxmemory` evicts keys by its
//! `maxmemory-policy` (each eviction a DEL its replicas receive) until it
//! is back under, and when it cannot (noeviction, or no key the policy may
//! take) the command is refused if it may grow memory. A replica leaves
//! this to its master (`replica-ignore-maxmemory`).
//!
//! Besides Redis's own limit, the host may set a memory guard: the page
//! runs every server in one browser tab, so a server past the guard
//! refuses what would grow it, whatever its `maxmemory`, with an error
//! that says so.

use crate::engine::memory::{self, Policy};
use crate::engine::resp::Frame;
use crate::engine::time::Millis;

use super::Server;

/// What a server keeps for its memory limits.
#[derive(Clone, Debug, Default)]
pub struct MemoryLimits {
    /// The host's guard (bytes of `used_memory`), if it set one.
    pub guard: Option<u64>,
    /// Keys drawn at random to be sampled for eviction, taken from the
    /// back; refilled with one pass over the keys when empty, so that each
    /// eviction costs a few samples rather than a pass.
    pool: Vec<(usize, Vec<u8>)>,
    pub evicted_keys: u64,
    /// The most `used_memory` seen (INFO's used_memory_peak), noted each
    /// cron tick and whenever it is asked for.
    pub peak: u64,
}

/// The pool's size: one pass over the keys serves this many samples.
const POOL_SIZE: usize = 4096;

/// Redis's reply to a command refused for memory.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

impl Server {
    /// INFO's `used_memory`: the server's own footprint, its clients, its data.
    pub fn used_memory(&self) -> u64 {
        memory::STARTUP_BYTES + self.keyspace.dataset_bytes() + self.clients.len() as u64 * memory::CLIENT_BYTES
    }

    /// Notes a new `used_memory_peak` if the figure is one.
    pub(crate) fn note_memory_peak(&mut self) {
        let used = self.used_memory();
        self.memory.peak = self.memory.peak.max(used);
    }

    /// Sets the host's memory guard (None: none).
    pub fn set_memory_guard(&mut self, bytes: Option<u64>) {
        self.memory.guard = bytes;
    }

    /// Before a command: evicts what the policy allows while over
    /// `maxmemory`. Err when the server stays over a limit (its own, or
    /// the host's guard): a command that may grow memory is then refused
    /// with the error given.
    pub(crate) fn perform_evictions(&mut self, now: Millis) -> Result<(), Frame> {
        let maxmemory = self.settings.maxmemory();
        let ignored = self.repl.master.is_some() && self.settings.replica_ignore_maxmemory();
        if maxmemory > 0 && !ignored && self.used_memory() > maxmemory {
            let policy = self.settings.maxmemory_policy();
            while self.used_memory() > maxmemory {
                if policy == Policy::NoEviction || !self.evict_one(policy, now) {
                    return Err(Frame::error(OOM_ERROR));
                }
            }
        }
        match self.memory.guard {
            Some(guard) if self.used_memory() > guard => Err(guard_error(guard)),
            _ => Ok(()),
        }
    }

    /// Whether a short command asks for more memory than the host's guard
    /// leaves (DEBUG POPULATE of millions of keys, SETRANGE at a far
    /// offset): refused before it runs, so that it never takes the time
    /// and memory to fail.
    pub(crate) fn guard_refuses(&self, args: &[Vec<u8>]) -> Option<Frame> {
        let guard = self.memory.guard?;
        let asked = asked_memory(args);
        (asked > 0 && self.used_memory().saturating_add(asked) > guard).then(|| guard_error(guard))
    }

    /// Evicts the best of a few sampled keys; false when none may go.
    fn evict_one(&mut self, policy: Policy, now: Millis) -> bool {
        // Nothing a volatile policy may take: no pass over the keys for it.
        if policy.volatile_only() && self.keyspace.dbs.iter().all(|db| db.expiring() == 0) {
            return false;
        }
        let samples = self.settings.maxmemory_samples().max(1);
        let lfu = self.settings.lfu_policy();
        let mut best: Option<(i64, usize, Vec<u8>)> = None;
        let mut seen = 0;
        for _ in 0..2 {
            while seen < samples {
                let Some((db, key)) = self.memory.pool.pop() else { break };
                let Some(entry) = self.keyspace.dbs[db].stored_entry(&key) else { continue };
                if policy.volatile_only() && entry.expires_at.is_none() {
                    continue;
                }
                seen += 1;
                // Lower goes first.
                let score = match policy {
                    Policy::AllKeysLru | Policy::VolatileLru => -(now - entry.accessed_at),
                    Policy::AllKeysLfu | Policy::VolatileLfu => lfu.map_or(0, |p| entry.lfu_decayed(p, now) as i64),
                    Policy::VolatileTtl => entry.expires_at.unwrap_or(i64::MAX),
                    _ => 0,
                };
                if best.as_ref().is_none_or(|(s, _, _)| score < *s) {
                    best = Some((score, db, key));
                }
            }
            if seen >= samples || !self.fill_pool(policy) {
                break;
            }
        }
        let Some((_, db, key)) = best else { return false };
        self.keyspace.dbs[db].remove(&key);
        self.memory.evicted_keys += 1;
        self.touch_watchers(db, &key);
        self.notify_keyspace_event(crate::engine::notify::EVICTED, "evicted", &key, db);
        // Replicas (and their replicas) drop it too.
        self.feed(Some(db), &[b"DEL".to_vec(), key]);
        true
    }

    /// Draws up to POOL_SIZE keys at random (reservoir sampling over one
    /// pass); false when there is no key the policy may take.
    fn fill_pool(&mut self, policy: Policy) -> bool {
        let mut pool: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut count = 0usize;
        for (db, keys) in self.keyspace.dbs.iter().enumerate() {
            for (key, entry) in keys.stored_entries() {
                if policy.volatile_only() && entry.expires_at.is_none() {
                    continue;
                }
                count += 1;
                if pool.len() < POOL_SIZE {
                    pool.push((db, key.clone()));
                } else {
                    let slot = self.rng.below(count);
                    if slot < POOL_SIZE {
                        pool[slot] = (db, key.clone());
                    }
                }
            }
        }
        // Shuffled, since the pass met the keys in table order.
        for i in (1..pool.len()).rev() {
            pool.swap(i, self.rng.below(i + 1));
        }
        self.memory.pool = pool;
        !self.memory.pool.is_empty()
    }
}

/// What a command whose size is in its arguments would allocate.
fn asked_memory(args: &[Vec<u8>]) -> u64 {
    let number = |i: usize| -> u64 {
        args.get(i).and_then(|a| std::str::from_utf8(a).ok()).and_then(|a| a.parse::<i64>().ok()).map_or(0, |n| n.max(0) as u64)
    };
    let is = |i: usize, word: &[u8]| args.get(i).is_some_and(|a| a.eq_ignore_ascii_case(word));
    if is(0, b"setrange") {
        number(2).saturating_add(args.get(3).map_or(0, |v| v.len() as u64))
    } else if is(0, b"setbit") {
        number(2) / 8
    } else if is(0, b"bitfield") {
        // The furthest SET or INCRBY (`#n` offsets count in field widths).
        (2..args.len())
            .filter(|&i| is(i, b"set") || is(i, b"incrby"))
            .map(|i| {
                let bits = args.get(i + 1).and_then(|t| std::str::from_utf8(t.get(1..)?).ok()?.parse::<u64>().ok()).unwrap_or(64);
                let offset = args.get(i + 2).map_or(0, |o| match o.strip_prefix(b"#") {
                    Some(n) => std::str::from_utf8(n).ok().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0).saturating_mul(bits),
                    None => number(i + 2),
                });
                offset / 8
            })
            .max()
            .unwrap_or(0)
    } else if is(0, b"debug") && is(1, b"populate") {
        let prefix = args.get(3).map_or(3, Vec::len) as u64;
        let size = number(4).max(8);
        number(2).saturating_mul(48 + prefix + 12 + size)
    } else {
        0
    }
}

fn guard_error(guard: u64) -> Frame {
    Frame::error(format!(
        "OOM command not allowed: the playground keeps each server under {} of memory, since every server runs in this browser tab (set a lower maxmemory to watch eviction)",
        human(guard)
    ))
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{}gb", b >> 30),
        b if b >= 1 << 20 => format!("{}mb", b >> 20),
        b => format!("{b} bytes"),
    }
}
