//! A server's persistence: loading its dump at start, SAVE, BGSAVE (which
//! takes virtual time in proportion to the dataset), the `save` points,
//! SHUTDOWN, FLUSHALL's empty dump and DEBUG RELOAD. (`impl Server`: the
//! type comes from the folder above.)

use super::Server;
use crate::engine::disk::join;
use crate::engine::info;
use crate::engine::keyspace::Keyspace;
use crate::engine::node::Output;
use crate::engine::rdb::{self, SaveOptions};
use crate::engine::time::Millis;

/// A background save under way: the snapshot was taken when it started
/// (copy on write), the file appears when it ends.
#[derive(Clone, Debug)]
pub struct Bgsave {
    pub started_at: Millis,
    pub ends_at: Millis,
    pub bytes: Vec<u8>,
    pub dirty_at_start: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Persistence {
    pub bgsave: Option<Bgsave>,
    pub saves: u64,
    pub last_bgsave_ok: bool,
    pub last_bgsave_seconds: Option<i64>,
    pub keys_loaded: u64,
    pub keys_expired_on_load: u64,
    pub bgsave_scheduled: bool,
    /// `repl-id` / `repl-offset` of the dump loaded at start.
    pub saved_history: Option<(String, i64)>,
    /// A dump being loaded at start-up: until `ends_at` the node answers
    /// LOADING and does nothing else.
    pub loading: Option<Loading>,
}

#[derive(Clone, Debug)]
pub struct Loading {
    pub started_at: Millis,
    pub ends_at: Millis,
    pub total_bytes: usize,
    /// `used-mem` of the dump's AUX fields.
    pub rdb_used_mem: u64,
    /// The decoded data, in place once the time is up.
    keyspace: Keyspace,
    loaded: u64,
    expired: u64,
    role: char,
}

impl Persistence {
    /// What INFO's `# Persistence` shows of it at `now`.
    pub fn figures(&self, now: Millis) -> info::PersistenceFigures {
        info::PersistenceFigures {
            loading: self.loading.as_ref().map(|l| info::LoadingFigures {
                started_at: l.started_at,
                total_bytes: l.total_bytes,
                loaded_bytes: l.loaded_bytes(now),
                rdb_used_mem: l.rdb_used_mem,
            }),
            bgsave_started_at: self.bgsave.as_ref().map(|b| b.started_at),
            last_bgsave_seconds: self.last_bgsave_seconds,
            saves: self.saves,
            keys_loaded: self.keys_loaded,
            keys_expired_on_load: self.keys_expired_on_load,
            aof: Default::default(),
        }
    }
}

impl Loading {
    /// How far the load is at `now`, in bytes, as INFO shows it.
    pub fn loaded_bytes(&self, now: Millis) -> usize {
        let span = (self.ends_at - self.started_at).max(1);
        let done = (now - self.started_at).clamp(0, span);
        (self.total_bytes as i128 * done as i128 / span as i128) as usize
    }
}

/// Reading and rebuilding a dump: 1 ms, plus 1 ms for every 48 KB, about
/// the pace redis-server 7.0 loads at (BENCHMARKS.md: 27 MB in 545 ms).
fn load_duration(bytes: usize) -> Millis {
    1 + (bytes / (48 * 1024)) as Millis
}

/// Forking and writing: 1 ms, plus 1 ms for every 64 KB of dump.
fn bgsave_duration(bytes: usize) -> Millis {
    1 + (bytes / (64 * 1024)) as Millis
}

/// `key-load-delay` / `rdb-key-save-delay` for `keys` keys: microseconds
/// each (negative: nanoseconds), as Redis's debugDelay sleeps them.
fn per_key_delay(keys: u64, delay: i64) -> Millis {
    let total_ns = if delay >= 0 { keys as i128 * delay as i128 * 1000 } else { keys as i128 * -(delay as i128) };
    (total_ns / 1_000_000).min(Millis::MAX as i128 / 4) as Millis
}

impl Server {
    pub(crate) fn dump_path(&self) -> String {
        join(&self.settings.dir, &self.settings.dbfilename)
    }

    pub(crate) fn save_options(&self, now: Millis) -> SaveOptions {
        SaveOptions {
            compression: self.settings.rdbcompression,
            checksum: self.settings.rdbchecksum,
            ctime: now / 1000,
            used_mem: (crate::engine::memory::STARTUP_BYTES + self.keyspace.dataset_bytes()) as i64,
            // With a backlog, the dump records where the history stands.
            replication: self
                .repl
                .backlog
                .as_ref()
                .map(|_| (0, self.repl.replid.clone(), self.repl.offset)),
            list_max_listpack_size: self.settings.list_max_listpack_size,
            aof_base: false,
            libraries: self.library_codes(),
        }
    }

    /// The dump of the dataset as it is now.
    fn encode_dump(&self, now: Millis) -> Vec<u8> {
        rdb::encode(&self.keyspace, &self.save_options(now))
    }

    /// rdbSave in the server's own process (SAVE, SHUTDOWN, FLUSHALL,
    /// DEBUG RELOAD), which logs it; returns what it wrote.
    pub fn save_now(&mut self, now: Millis) -> Vec<u8> {
        let bytes = self.write_dump(now);
        self.notice(now, "DB saved on disk".into());
        bytes
    }

    /// The dump written at once (and returned); the change counter restarts.
    pub(crate) fn write_dump(&mut self, now: Millis) -> Vec<u8> {
        let bytes = self.encode_dump(now);
        self.write_to_disk(bytes.clone());
        self.dirty = 0;
        self.last_save = now;
        self.persistence.saves += 1;
        self.persistence.last_bgsave_ok = true;
        bytes
    }

    /// The dump file goes to the node's disk.
    fn write_to_disk(&mut self, bytes: Vec<u8>) {
        let path = self.dump_path();
        self.outputs.push_back(Output::DiskWrite { path, bytes });
    }

    /// Reads the dump at start-up. A dump that does not decode fails the
    /// start; one that does puts the node in the loading state for as long
    /// as Redis would take, its data appearing when that time is up.
    pub(crate) fn load_dump(&mut self, bytes: &[u8], now: Millis) -> Result<(), String> {
        let path = self.dump_path();
        let total_bytes = bytes.len();
        let snapshot = rdb::decode(bytes, &self.settings.limits).map_err(|e| format!("{path}: {e}"))?;
        let history = snapshot.aux("repl-id").map(|id| String::from_utf8_lossy(id).into_owned()).zip(
            snapshot.aux("repl-offset").and_then(|o| std::str::from_utf8(o).ok()?.parse::<i64>().ok()),
        );
        let rdb_used_mem = snapshot.aux("used-mem").and_then(|v| std::str::from_utf8(v).ok()?.parse().ok()).unwrap_or(0);
        self.persistence.saved_history = history;
        // The config's `replicaof` makes it a replica before it loads.
        let role = if self.config.get("replicaof").or_else(|| self.config.get("slaveof")).is_some() { 'S' } else { 'M' };
        self.log_rdb_header(now, role, &snapshot);
        self.restore_libraries(&snapshot.libraries).map_err(|e| format!("{path}: {e}"))?;
        let databases = self.keyspace.dbs.len();
        let (keyspace, loaded, expired) = snapshot.into_keyspace(databases, now)
            .map_err(|index| format!("{path}: the dump uses database {index}, the server has {databases}"))?;
        self.persistence.loading = Some(Loading {
            started_at: now,
            ends_at: now + load_duration(total_bytes) + per_key_delay(loaded + expired, self.settings.int_or("key-load-delay", 0)),
            total_bytes,
            rdb_used_mem,
            keyspace,
            loaded,
            expired,
            role,
        });
        Ok(())
    }

    /// Whether a start-up load still holds the node at `now`; once its
    /// time is up the data is in place and start-up carries on.
    pub(crate) fn still_loading(&mut self, now: Millis) -> bool {
        match &self.persistence.loading {
            None => false,
            Some(loading) if now < loading.ends_at => true,
            Some(_) => {
                if let Some(loading) = self.persistence.loading.take() {
                    let (role, started_at) = (loading.role, loading.started_at);
                    self.finish_load(loading, now);
                    let seconds = (now - started_at) as f64 / 1000.0;
                    self.log_as(now, role, '*', format!("DB loaded from disk: {seconds:.3} seconds"));
                    self.after_startup_load(now);
                }
                false
            }
        }
    }

    /// The loaded data takes the place of the old.
    fn finish_load(&mut self, loading: Loading, now: Millis) {
        let (loaded, expired) = (loading.loaded, loading.expired);
        self.log_as(now, loading.role, '*', format!("Done loading RDB, keys loaded: {loaded}, keys expired: {expired}."));
        self.keyspace = loading.keyspace;
        self.persistence.keys_loaded = loaded;
        self.persistence.keys_expired_on_load = expired;
    }

    /// What Redis logs about a dump it starts loading (its AUX fields).
    pub(crate) fn log_rdb_header(&mut self, now: Millis, role: char, snapshot: &rdb::RdbFile) {
        let aux = |name: &str| snapshot.aux(name).and_then(|v| std::str::from_utf8(v).ok()?.parse::<i64>().ok());
        if let Some(version) = snapshot.aux("redis-ver") {
            self.log_as(now, role, '*', format!("Loading RDB produced by version {}", String::from_utf8_lossy(version)));
        }
        if let Some(ctime) = aux("ctime") {
            self.log_as(now, role, '*', format!("RDB age {} seconds", (now / 1000 - ctime).max(0)));
        }
        if let Some(used) = aux("used-mem") {
            let text = format!("RDB memory usage when created {:.2} Mb", used as f64 / (1024.0 * 1024.0));
            self.log_as(now, role, '*', text);
        }
    }

    pub(crate) fn start_bgsave(&mut self, now: Millis) {
        self.stats.forks += 1;
        let bytes = self.encode_dump(now);
        let keys = self.keyspace.total_keys() as u64;
        let ends_at = now + bgsave_duration(bytes.len()) + per_key_delay(keys, self.settings.int_or("rdb-key-save-delay", 0));
        self.persistence.bgsave = Some(Bgsave { started_at: now, ends_at, bytes, dirty_at_start: self.dirty });
    }

    /// SHUTDOWN once its arguments passed: the dump is written (when asked,
    /// or by default with save points), then the process ends.
    pub(crate) fn shut_down(&mut self, save: bool, nosave: bool, now: Millis) {
        // A running background save is killed; the dump is written again.
        self.persistence.bgsave = None;
        self.warning(now, "User requested shutdown...".into());
        // Half-loaded data is never saved over the dump it comes from.
        let loading = self.persistence.loading.is_some();
        self.aof_flush();
        if !loading && (save || (!nosave && !self.settings.save.is_empty())) {
            self.notice(now, "Saving the final RDB snapshot before exiting.".into());
            self.save_now(now);
        }
        if self.config.get("pidfile").is_some() || self.config.get("daemonize").is_some_and(|a| a[0].eq_ignore_ascii_case("yes")) {
            self.notice(now, "Removing the pid file.".into());
        }
        self.warning(now, "Redis is now ready to exit, bye bye...".into());
        self.stopped = true;
        self.outputs.push_back(Output::Stopped);
    }

    /// FLUSHALL writes an empty dump when save points are set.
    pub(crate) fn after_flushall(&mut self, now: Millis) {
        self.persistence.bgsave = None;
        if !self.settings.save.is_empty() {
            self.save_now(now);
        }
        self.dirty += 1;
    }

    /// DEBUG RELOAD: save, empty, load again; false if the dump would not
    /// load back.
    /// DEBUG RELOAD [NOFLUSH] [MERGE]: saves, then loads the dump in place
    /// of the data and libraries. NOFLUSH loads it on top of them: the
    /// dump just saved holds the same libraries and keys, so a library
    /// there fails the load, and a key there is the duplicate on which
    /// Redis 7.0 panics (the process dies), unless MERGE lets the dump's
    /// copies replace them.
    pub(crate) fn debug_reload(&mut self, now: Millis, flush: bool, merge: bool) -> bool {
        let bytes = self.save_now(now);
        if !flush && !merge {
            if !self.libraries.is_empty() {
                return false;
            }
            let duplicate = self.keyspace.dbs.iter().enumerate().find_map(|(db, keys)| keys.keys(now).next().map(|k| (db, k.clone())));
            if let Some((db, key)) = duplicate {
                if let Ok(snapshot) = rdb::decode(&bytes, &self.settings.limits) {
                    self.log_rdb_header(now, 'M', &snapshot);
                }
                self.warning(now, format!("RDB has duplicated key '{}' in DB {db}", String::from_utf8_lossy(&key)));
                self.warning(now, "------------------------------------------------".into());
                self.warning(now, "!!! Software Failure. Press left mouse button to continue".into());
                self.warning(now, "Guru Meditation: Duplicated key found in RDB file #rdb.c:3176".into());
                self.stopped = true;
                self.outputs.push_back(Output::Stopped);
                return true;
            }
        }
        match self.load_dump(&bytes, now) {
            Ok(()) => {
                // DEBUG RELOAD blocks the server until the data is back.
                if let Some(loading) = self.persistence.loading.take() {
                    self.finish_load(loading, now);
                }
                self.persistence.saved_history = None;
                self.warning(now, "DB reloaded by DEBUG RELOAD".into());
                true
            }
            Err(_) => false,
        }
    }

    /// Ends a background save whose time has come; starts one when a save
    /// point is reached.
    pub(crate) fn persistence_cron(&mut self, now: Millis) {
        if let Some(job) = self.persistence.bgsave.as_ref() {
            if now >= job.ends_at {
                if let Some(job) = self.persistence.bgsave.take() {
                    self.write_to_disk(job.bytes);
                    self.dirty = self.dirty.saturating_sub(job.dirty_at_start);
                    self.last_save = now;
                    self.persistence.saves += 1;
                    self.persistence.last_bgsave_ok = true;
                    self.persistence.last_bgsave_seconds = Some((now - job.started_at) / 1000);
                }
            }
            return;
        }
        // One child at a time: an AOF rewrite holds the BGSAVE back.
        if self.aof.rewrite.is_some() {
            return;
        }
        if std::mem::take(&mut self.persistence.bgsave_scheduled) {
            self.start_bgsave(now);
            return;
        }
        let due = self
            .settings
            .save
            .iter()
            .any(|&(seconds, changes)| self.dirty >= changes as u64 && now - self.last_save > seconds * 1000);
        if due {
            self.start_bgsave(now);
        }
    }
}
