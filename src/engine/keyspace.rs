//! The data a node holds: 16 databases (by default) of keys with values and
//! optional expiry times in virtual milliseconds. Expired keys vanish lazily
//! when touched and actively through `active_expire`, as in Redis.

use std::collections::BTreeSet;

use super::time::Millis;
use super::fnv::FixedHashMap;
use super::memory;
pub use super::value::Value;

#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    pub expires_at: Option<Millis>,
    /// Last access, for OBJECT IDLETIME (Redis's LRU clock).
    pub accessed_at: Millis,
    /// Redis's LFU data (OBJECT FREQ under an `*-lfu` maxmemory-policy): a
    /// logarithmic access counter and the minute it last decayed at.
    pub lfu_counter: u8,
    pub lfu_minute: u16,
    /// What the entry counts for in its database's memory figure (0:
    /// not counted, a command may be changing it), and whether that
    /// counted an expiry.
    accounted: u64,
    accounted_expiry: bool,
}

/// Entries are equal by what they hold, whatever their accounting.
impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.value == other.value
            && self.expires_at == other.expires_at
            && self.accessed_at == other.accessed_at
            && self.lfu_counter == other.lfu_counter
            && self.lfu_minute == other.lfu_minute
    }
}

/// The counter a new value starts from, so that it is not the first to go.
pub const LFU_INIT_VAL: u8 = 5;

/// `lfu-log-factor` and `lfu-decay-time`, while an LFU policy is selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LfuPolicy {
    pub log_factor: i64,
    pub decay_minutes: i64,
}

/// Redis keeps LFU time as minutes modulo 2^16.
fn lfu_minutes(now: Millis) -> u16 {
    (now.div_euclid(60_000) & 0xffff) as u16
}

impl Entry {
    pub fn new(value: Value, expires_at: Option<Millis>, now: Millis) -> Entry {
        Entry {
            value,
            expires_at,
            accessed_at: now,
            lfu_counter: LFU_INIT_VAL,
            lfu_minute: lfu_minutes(now),
            accounted: 0,
            accounted_expiry: false,
        }
    }

    /// The counter after the decay due since it was last touched.
    pub fn lfu_decayed(&self, policy: LfuPolicy, now: Millis) -> u8 {
        let (then, current) = (self.lfu_minute as i64, lfu_minutes(now) as i64);
        let elapsed = if current >= then { current - then } else { 65535 - then + current };
        let periods = if policy.decay_minutes > 0 { elapsed / policy.decay_minutes } else { 0 };
        (self.lfu_counter as i64 - periods).max(0) as u8
    }

    /// An access: decay, then a logarithmic increment that gets less
    /// likely as the counter grows (`random` is uniform in [0, 1)).
    fn lfu_touch(&mut self, policy: LfuPolicy, now: Millis, random: f64) {
        let mut counter = self.lfu_decayed(policy, now);
        if counter < 255 {
            let base = (counter as i64 - LFU_INIT_VAL as i64).max(0) as f64;
            if random < 1.0 / (base * policy.log_factor as f64 + 1.0) {
                counter += 1;
            }
        }
        self.lfu_counter = counter;
        self.lfu_minute = lfu_minutes(now);
    }
}

#[derive(Clone, Debug, Default)]
pub struct Db {
    entries: FixedHashMap<Vec<u8>, Entry>,
    /// Keys removed because their time had come, not yet reported (WATCH
    /// invalidation, and later the DELs a master sends its replicas).
    expired: Vec<Vec<u8>>,
    /// Redis's running estimate of the remaining TTL (INFO keyspace).
    pub avg_ttl: Millis,
    /// Every (time, key) an expiry was set for, soonest first, so the cron
    /// looks only at keys with a TTL. Entries whose key has since changed
    /// its expiry or gone are stale and skipped when their time comes.
    schedule: BTreeSet<(Millis, Vec<u8>)>,
    /// Set by the server before each command from its maxmemory-policy.
    pub lfu: Option<LfuPolicy>,
    /// Set by the server while clients are paused: a key whose time has
    /// come reads as missing but stays (Redis expires nothing then).
    pub keep_expired: bool,
    /// State of the generator behind LFU increments (xorshift, fixed seed:
    /// the engine has no real randomness).
    lfu_random: u64,
    /// The memory the counted entries take (`memory::entry`), how many of
    /// them have an expiry, and the keys handed out to be changed since
    /// (counted again by `settle`).
    counted_bytes: u64,
    counted_expiring: usize,
    unsettled: Vec<Vec<u8>>,
}

impl Db {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn expires_count(&self) -> usize {
        self.entries.values().filter(|e| e.expires_at.is_some()).count()
    }

    fn is_expired(entry: &Entry, now: Millis) -> bool {
        entry.expires_at.is_some_and(|at| at <= now)
    }

    /// Removes `key` if it has expired; returns whether it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now: Millis) -> bool {
        // Every key with an expiry is in the schedule: without one, no
        // lookup (most datasets have no TTLs, and this runs per access).
        if self.keep_expired || self.schedule.is_empty() {
            return false;
        }
        if self.entries.get(key).is_some_and(|e| Self::is_expired(e, now)) {
            self.remove(key);
            self.expired.push(key.to_vec());
            true
        } else {
            false
        }
    }

    /// The live entry for `key`, expiring it first if its time has come;
    /// the access counts for OBJECT IDLETIME.
    pub fn get(&mut self, key: &[u8], now: Millis) -> Option<&Entry> {
        self.touch(key, now).map(|e| &*e)
    }

    /// The live entry, to be changed: it is counted again at the next
    /// `settle`.
    pub fn get_mut(&mut self, key: &[u8], now: Millis) -> Option<&mut Entry> {
        self.expire_if_needed(key, now);
        if let Some(entry) = self.entries.get_mut(key) {
            if entry.accounted != 0 {
                self.counted_bytes -= entry.accounted;
                self.counted_expiring -= entry.accounted_expiry as usize;
                entry.accounted = 0;
                self.unsettled.push(key.to_vec());
            }
        }
        self.touch(key, now)
    }

    fn touch(&mut self, key: &[u8], now: Millis) -> Option<&mut Entry> {
        self.expire_if_needed(key, now);
        let lfu = self.lfu.map(|policy| (policy, self.next_random()));
        let entry = self.entries.get_mut(key).filter(|e| !Self::is_expired(e, now))?;
        entry.accessed_at = now;
        if let Some((policy, random)) = lfu {
            entry.lfu_touch(policy, now, random);
        }
        Some(entry)
    }

    fn next_random(&mut self) -> f64 {
        let mut x = if self.lfu_random == 0 { 0x9E37_79B9_7F4A_7C15 } else { self.lfu_random };
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.lfu_random = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Like `get`, without counting as an access (Redis's LOOKUP_NOTOUCH).
    pub fn peek(&mut self, key: &[u8], now: Millis) -> Option<&Entry> {
        self.expire_if_needed(key, now);
        self.entries.get(key).filter(|e| !Self::is_expired(e, now))
    }

    /// Whether the key is still stored but its time has passed.
    pub fn is_expired_now(&self, key: &[u8], now: Millis) -> bool {
        self.entries.get(key).is_some_and(|e| Self::is_expired(e, now))
    }

    /// Whether the key exists and is not logically expired, without removing it.
    pub fn is_live(&self, key: &[u8], now: Millis) -> bool {
        self.entries.get(key).is_some_and(|e| !Self::is_expired(e, now))
    }

    /// Stores `value`; the expiry is dropped unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool, now: Millis) {
        // An existing key keeps its slot and its key bytes: one lookup,
        // no copy of the key (Redis's dbOverwrite).
        if let Some(index) = self.entries.get_index_of(key) {
            let old = &self.entries[index];
            let mut entry = Entry::new(value, if keep_ttl { old.expires_at } else { None }, now);
            // Under LFU an overwritten key keeps how often it was used.
            if self.lfu.is_some() {
                entry.lfu_counter = old.lfu_counter;
                entry.lfu_minute = old.lfu_minute;
            }
            self.schedule_expiry(key, entry.expires_at);
            self.count(key, &mut entry);
            if let Some((_, slot)) = self.entries.get_index_mut(index) {
                let old = std::mem::replace(slot, entry);
                self.uncount(&old);
            }
            return;
        }
        self.insert_owned(key.to_vec(), Entry::new(value, None, now));
    }

    /// Puts a whole entry (value, expiry) under `key`, replacing any.
    pub fn insert_entry(&mut self, key: &[u8], entry: Entry) {
        self.insert_owned(key.to_vec(), entry);
    }

    /// Like `insert_entry`, taking the key as it is (loading a dump).
    pub fn insert_owned(&mut self, key: Vec<u8>, mut entry: Entry) {
        self.schedule_expiry(&key, entry.expires_at);
        self.count(&key, &mut entry);
        if let Some(old) = self.entries.insert(key, entry) {
            self.uncount(&old);
        }
    }

    fn count(&mut self, key: &[u8], entry: &mut Entry) {
        let (bytes, expiring) = Self::account(key, entry);
        self.counted_bytes += bytes;
        self.counted_expiring += expiring;
    }

    /// Records what the entry counts for now; returns (bytes, expiring).
    fn account(key: &[u8], entry: &mut Entry) -> (u64, usize) {
        entry.accounted = memory::entry(key, &entry.value, entry.expires_at.is_some()).max(1);
        entry.accounted_expiry = entry.expires_at.is_some();
        (entry.accounted, entry.accounted_expiry as usize)
    }

    fn uncount(&mut self, entry: &Entry) {
        if entry.accounted != 0 {
            self.counted_bytes -= entry.accounted;
            self.counted_expiring -= entry.accounted_expiry as usize;
        }
    }

    /// Counts again the entries handed out by `get_mut` since the last call.
    #[inline]
    pub fn settle(&mut self) {
        if !self.unsettled.is_empty() {
            self.settle_changed();
        }
    }

    fn settle_changed(&mut self) {
        for key in std::mem::take(&mut self.unsettled) {
            if let Some(entry) = self.entries.get_mut(&key).filter(|e| e.accounted == 0) {
                let (bytes, expiring) = Self::account(&key, entry);
                self.counted_bytes += bytes;
                self.counted_expiring += expiring;
            }
        }
    }

    /// How many keys have an expiry (as of the last `settle`), without a pass.
    pub fn expiring(&self) -> usize {
        self.counted_expiring
    }

    /// The memory this database takes: its entries and its tables (as of
    /// the last `settle`: the server settles after every command).
    pub fn used_bytes(&self) -> u64 {
        self.counted_bytes + memory::table(self.entries.len()) + memory::table(self.counted_expiring)
    }

    fn schedule_expiry(&mut self, key: &[u8], at: Option<Millis>) {
        if let Some(at) = at {
            self.schedule.insert((at, key.to_vec()));
            // Keys whose TTL changes often leave stale entries: rebuild
            // the schedule from the keys when those dominate.
            if self.schedule.len() > 2 * self.entries.len() + 1024 {
                self.schedule =
                    self.entries.iter().filter_map(|(k, e)| e.expires_at.map(|at| (at, k.clone()))).collect();
                self.schedule.insert((at, key.to_vec()));
            }
        }
    }

    pub fn reserve(&mut self, additional: usize) {
        self.entries.reserve(additional);
    }

    pub fn set_expire(&mut self, key: &[u8], at: Option<Millis>) {
        if let Some(entry) = self.entries.get_mut(key) {
            if entry.accounted != 0 {
                self.counted_bytes -= entry.accounted;
                self.counted_expiring -= entry.accounted_expiry as usize;
            }
            entry.expires_at = at;
            let (bytes, expiring) = Self::account(key, entry);
            self.counted_bytes += bytes;
            self.counted_expiring += expiring;
            self.schedule_expiry(key, at);
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let entry = self.entries.swap_remove(key)?;
        self.uncount(&entry);
        Some(entry)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.schedule.clear();
        self.unsettled.clear();
        self.counted_bytes = 0;
        self.counted_expiring = 0;
    }

    /// The stored entry, expired or not (DEBUG DIGEST-VALUE).
    pub fn stored_entry(&self, key: &[u8]) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Every stored entry, expired or not (DEBUG DIGEST sees them all).
    pub fn stored_entries(&self) -> impl Iterator<Item = (&Vec<u8>, &Entry)> {
        self.entries.iter()
    }

    /// Every stored key, expired or not (SCAN filters on the way).
    pub fn stored_keys(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.entries.keys()
    }

    /// Live keys, in the table's (stable but unspecified) order.
    pub fn keys(&self, now: Millis) -> impl Iterator<Item = &Vec<u8>> {
        self.entries.iter().filter(move |(_, e)| !Self::is_expired(e, now)).map(|(k, _)| k)
    }

    /// Removes every expired key; returns how many went. Like Redis's
    /// expire cycle it also updates the average-TTL estimate: the first
    /// sample sets it, later ones move it by a fiftieth.
    pub fn active_expire(&mut self, now: Millis) -> usize {
        // Nothing has a TTL (the cron asks every database ten times a second).
        if self.schedule.is_empty() {
            return 0;
        }
        let current = |entries: &FixedHashMap<Vec<u8>, Entry>, at: Millis, key: &Vec<u8>| {
            entries.get(key).is_some_and(|e| e.expires_at == Some(at))
        };
        let ttls: Vec<Millis> = self
            .schedule
            .iter()
            .filter(|(at, key)| *at > now && current(&self.entries, *at, key))
            .map(|(at, _)| at - now)
            .collect();
        if !ttls.is_empty() {
            let sample = ttls.iter().sum::<Millis>() / ttls.len() as Millis;
            self.avg_ttl = if self.avg_ttl == 0 { sample } else { (self.avg_ttl / 50) * 49 + sample / 50 };
        }
        let mut doomed: Vec<Vec<u8>> = Vec::new();
        while self.schedule.first().is_some_and(|(at, _)| *at <= now) {
            let Some((at, key)) = self.schedule.pop_first() else { break };
            if current(&self.entries, at, &key) {
                self.remove(&key);
                doomed.push(key);
            }
        }
        let count = doomed.len();
        self.expired.extend(doomed);
        count
    }

    /// The keys expired since the last call.
    pub fn take_expired(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.expired)
    }

    /// Whether keys expired since the last `take_expired`.
    #[inline]
    pub fn has_expired(&self) -> bool {
        !self.expired.is_empty()
    }

    /// Whether a key is stored, expired or not (Redis's dictFind).
    pub fn stores(&self, key: &[u8]) -> bool {
        self.entries.contains_key(key)
    }
}

/// All databases of a node.
#[derive(Clone, Debug)]
pub struct Keyspace {
    pub dbs: Vec<Db>,
}

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        Keyspace { dbs: (0..databases.max(1)).map(|_| Db::default()).collect() }
    }

    /// Memory the dataset takes, as INFO reports it (`memory`).
    pub fn dataset_bytes(&self) -> u64 {
        self.dbs.iter().map(Db::used_bytes).sum()
    }

    /// Counts again what the last command changed.
    pub fn settle(&mut self) {
        for db in &mut self.dbs {
            db.settle();
        }
    }

    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_and_active_expiry() {
        let mut db = Db::default();
        db.set(b"a", Value::string("1"), false, 0);
        db.set(b"b", Value::string("2"), false, 0);
        db.set_expire(b"a", Some(100));
        db.set_expire(b"b", Some(200));
        assert!(db.get(b"a", 99).is_some());
        assert!(db.get(b"a", 100).is_none());
        assert_eq!(db.len(), 1);
        assert_eq!(db.active_expire(250), 1);
        assert!(db.is_empty());
    }

    #[test]
    fn keep_ttl_keeps_the_expiry() {
        let mut db = Db::default();
        db.set(b"a", Value::string("1"), false, 0);
        db.set_expire(b"a", Some(500));
        db.set(b"a", Value::string("2"), true, 0);
        assert_eq!(db.get(b"a", 0).unwrap().expires_at, Some(500));
        db.set(b"a", Value::string("3"), false, 0);
        assert_eq!(db.get(b"a", 0).unwrap().expires_at, None);
    }

    #[test]
    fn the_cron_expires_by_the_current_ttl_only() {
        let mut db = Db::default();
        for key in [&b"moved"[..], b"persisted", b"rewritten", b"due"] {
            db.set(key, Value::string("v"), false, 0);
            db.set_expire(key, Some(100));
        }
        db.set_expire(b"moved", Some(300));
        db.set_expire(b"persisted", None);
        db.set(b"rewritten", Value::string("w"), false, 0);
        db.remove(b"due");
        db.set(b"due", Value::string("again"), false, 0);
        db.set_expire(b"due", Some(100));
        assert_eq!(db.active_expire(150), 1);
        assert_eq!(db.take_expired(), vec![b"due".to_vec()]);
        assert_eq!(db.len(), 3);
        assert_eq!(db.active_expire(300), 1);
        assert_eq!(db.take_expired(), vec![b"moved".to_vec()]);
        assert!(db.is_live(b"persisted", 10_000) && db.is_live(b"rewritten", 10_000));
    }

    #[test]
    fn many_ttl_changes_do_not_grow_the_schedule_without_end() {
        let mut db = Db::default();
        db.set(b"k", Value::string("v"), false, 0);
        for at in 1..10_000 {
            db.set_expire(b"k", Some(1_000_000 + at));
        }
        assert!(db.schedule.len() <= 2 * db.len() + 1025);
        assert_eq!(db.active_expire(2_000_000), 1);
    }
}
