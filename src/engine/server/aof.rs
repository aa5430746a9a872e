//! The append-only file, as Redis 7.0's multi-part AOF keeps it in
//! `appenddirname`: a base file (an RDB, `aof-use-rdb-preamble yes`), an
//! incremental file of the commands written since, in RESP with a SELECT
//! where the database changes, and a manifest naming both. What is
//! appended is what reaches replicas (minus PUBLISH); a replica appends
//! what its master sends. A rewrite (BGREWRITEAOF, turning `appendonly`
//! on, the incremental file growing past `auto-aof-rewrite-percentage`)
//! takes virtual time like BGSAVE, then a new base and incremental file
//! replace the old ones. With `appendonly yes` a restart loads the AOF
//! instead of the dump, and DEBUG LOADAOF reloads it on the spot.
//! (`impl Server`: the type comes from the folder above.)

use super::Server;
use crate::engine::disk::join;
use crate::engine::node::Output;
use crate::engine::rdb;
use crate::engine::resp::{encode_command, RequestParser};
use crate::engine::time::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AofState {
    #[default]
    Off,
    On,
    /// Turned on: writes are kept until the first rewrite gives a base.
    WaitRewrite,
}

/// A rewrite under way: the base was taken when it started.
#[derive(Clone, Debug)]
pub struct Rewrite {
    pub started_at: Millis,
    pub ends_at: Millis,
    pub base: Vec<u8>,
    /// The incremental file it replaces, when one was closed at its start.
    pub closed_incr: Option<u64>,
}

#[derive(Clone, Debug, Default)]
pub struct Aof {
    pub state: AofState,
    /// Sequence numbers of the current base and incremental files.
    pub base_seq: u64,
    pub incr_seq: u64,
    /// Copies of the files on disk (a node reads its disk only at start).
    pub base: Vec<u8>,
    pub incr: Vec<u8>,
    /// Appended since the last flush to disk.
    pending: Vec<u8>,
    /// The database the incremental file last SELECTed.
    selected_db: Option<usize>,
    pub rewrite: Option<Rewrite>,
    pub rewrite_scheduled: bool,
    pub rewrites: u64,
    pub last_rewrite_seconds: Option<i64>,
    /// aof_rewrite_base_size: the AOF's size after the last rewrite.
    pub base_size: u64,
    /// Loaded at start, its commands still to run (before anything else).
    pub replay_pending: bool,
}

/// Writing the base: as long as a BGSAVE of the same data.
fn rewrite_duration(bytes: usize) -> Millis {
    1 + (bytes / (64 * 1024)) as Millis
}

impl Aof {
    pub fn current_size(&self) -> u64 {
        (self.base.len() + self.incr.len()) as u64
    }
}

impl Server {
    fn aof_dir(&self) -> String {
        join(&self.settings.dir, &self.settings.value_of("appenddirname").unwrap_or_else(|| "appendonlydir".into()))
    }

    fn aof_name(&self) -> String {
        self.settings.value_of("appendfilename").unwrap_or_else(|| "appendonly.aof".into())
    }

    fn base_name(&self, seq: u64) -> String {
        format!("{}.{seq}.base.rdb", self.aof_name())
    }

    fn incr_name(&self, seq: u64) -> String {
        format!("{}.{seq}.incr.aof", self.aof_name())
    }

    fn manifest(&self) -> Vec<u8> {
        let a = &self.aof;
        format!(
            "file {} seq {} type b\nfile {} seq {} type i\n",
            self.base_name(a.base_seq),
            a.base_seq,
            self.incr_name(a.incr_seq),
            a.incr_seq
        )
        .into_bytes()
    }

    fn aof_path(&self, file: &str) -> String {
        join(&self.aof_dir(), file)
    }

    /// A command for the incremental file (kept while a first rewrite runs).
    pub(crate) fn aof_feed(&mut self, db: Option<usize>, args: &[Vec<u8>]) {
        if self.aof.state == AofState::Off || self.is_loading() {
            return;
        }
        let mut bytes = Vec::new();
        if let Some(db) = db {
            if self.aof.selected_db != Some(db) {
                encode_command(&[b"SELECT".to_vec(), db.to_string().into_bytes()], &mut bytes);
                self.aof.selected_db = Some(db);
            }
        }
        encode_command(args, &mut bytes);
        self.aof.pending.extend_from_slice(&bytes);
    }

    /// What was appended goes to the disk (Redis writes it before it
    /// answers the next event, so a killed process loses none of it).
    pub(crate) fn aof_flush(&mut self) {
        if self.aof.pending.is_empty() || self.aof.state != AofState::On {
            return;
        }
        let bytes = std::mem::take(&mut self.aof.pending);
        self.aof.incr.extend_from_slice(&bytes);
        let path = self.aof_path(&self.incr_name(self.aof.incr_seq));
        self.outputs.push_back(Output::DiskAppend { path, bytes });
    }

    /// An AOF base is an RDB without replication fields, marked as a base.
    fn aof_base_options(&self, now: Millis) -> rdb::SaveOptions {
        rdb::SaveOptions { replication: None, aof_base: true, ..self.save_options(now) }
    }

    /// What INFO shows of the AOF.
    pub(crate) fn aof_figures(&self) -> crate::engine::info::AofFigures {
        let a = &self.aof;
        crate::engine::info::AofFigures {
            active: a.state != AofState::Off,
            configured: self.settings.value_of("appendonly").is_some_and(|v| v == "yes"),
            rewrite_started_at: a.rewrite.as_ref().map(|r| r.started_at),
            rewrite_scheduled: a.rewrite_scheduled,
            last_rewrite_seconds: a.last_rewrite_seconds,
            rewrites: a.rewrites,
            current_size: a.current_size(),
            base_size: a.base_size,
        }
    }

    /// Follows `appendonly` when CONFIG SET changed it.
    pub(crate) fn aof_follow_config(&mut self, now: Millis) {
        let wanted = self.settings.appendonly();
        match (wanted, self.aof.state) {
            (true, AofState::Off) => {
                self.aof.state = AofState::WaitRewrite;
                self.aof.selected_db = None;
                if self.persistence.bgsave.is_some() {
                    self.aof.rewrite_scheduled = true;
                    self.notice(now, "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.".into());
                } else {
                    self.start_aof_rewrite(now);
                }
            }
            (false, AofState::On | AofState::WaitRewrite) => {
                self.aof_flush();
                if self.aof.rewrite.take().is_some() {
                    self.notice(now, "Killing running AOF rewrite child".into());
                }
                self.aof.state = AofState::Off;
                self.aof.pending.clear();
                self.aof.rewrite_scheduled = false;
            }
            _ => {}
        }
    }

    /// After a full sync a replica's AOF starts again from the new data.
    pub(crate) fn aof_restart_after_sync(&mut self, now: Millis) {
        if self.aof.state == AofState::Off {
            return;
        }
        let old_incr = (self.aof.state == AofState::On).then_some(self.aof.incr_seq);
        self.aof.rewrite = None;
        self.aof.pending.clear();
        self.aof.state = AofState::WaitRewrite;
        self.aof.selected_db = None;
        self.start_aof_rewrite(now);
        if let Some(job) = self.aof.rewrite.as_mut() {
            job.closed_incr = old_incr;
        }
    }

    /// BGREWRITEAOF: the reply, or the refusal.
    pub(crate) fn bgrewriteaof(&mut self, now: Millis) -> Result<&'static str, &'static str> {
        if self.aof.rewrite.is_some() {
            return Err("Background append only file rewriting already in progress");
        }
        if self.persistence.bgsave.is_some() {
            self.aof.rewrite_scheduled = true;
            return Ok("Background append only file rewriting scheduled");
        }
        self.start_aof_rewrite(now);
        Ok("Background append only file rewriting started")
    }

    fn start_aof_rewrite(&mut self, now: Millis) {
        self.stats.forks += 1;
        self.aof.rewrite_scheduled = false;
        // An AOF already on gets a fresh incremental file at once; what the
        // old one holds is in the new base.
        let closed_incr = (self.aof.state == AofState::On).then_some(self.aof.incr_seq);
        if self.aof.state == AofState::On {
            self.aof_flush();
            self.aof.incr_seq += 1;
            self.aof.incr.clear();
            self.aof.selected_db = None;
            let path = self.aof_path(&self.incr_name(self.aof.incr_seq));
            self.outputs.push_back(Output::DiskWrite { path, bytes: Vec::new() });
            let manifest_path = self.aof_path(&format!("{}.manifest", self.aof_name()));
            let manifest = self.manifest();
            self.outputs.push_back(Output::DiskWrite { path: manifest_path, bytes: manifest });
        }
        let base = rdb::encode(&self.keyspace, &self.aof_base_options(now));
        let ends_at = now + rewrite_duration(base.len());
        self.aof.rewrite = Some(Rewrite { started_at: now, ends_at, base, closed_incr });
        let pid = self.process_id + 1 + self.stats.forks as u32;
        self.notice(now, format!("Background append only file rewriting started by pid {pid}"));
    }

    /// Ends a rewrite whose time has come, starts a scheduled or due one.
    pub(crate) fn aof_cron(&mut self, now: Millis) {
        self.aof_flush();
        if let Some(job) = self.aof.rewrite.as_ref() {
            if now >= job.ends_at {
                if let Some(job) = self.aof.rewrite.take() {
                    self.finish_aof_rewrite(job, now);
                }
            }
            return;
        }
        if self.aof.rewrite_scheduled && self.persistence.bgsave.is_none() {
            self.start_aof_rewrite(now);
            return;
        }
        let percentage = self.settings.int_or("auto-aof-rewrite-percentage", 100);
        let min_size = self.settings.int_or("auto-aof-rewrite-min-size", 64 * 1024 * 1024) as u64;
        let size = self.aof.current_size();
        if self.aof.state == AofState::On && percentage > 0 && size > min_size && self.persistence.bgsave.is_none() {
            let base = self.aof.base_size.max(1);
            let growth = (size.saturating_sub(base) * 100 / base) as i64;
            if growth >= percentage {
                self.notice(now, format!("Starting automatic rewriting of AOF on {growth}% growth"));
                self.start_aof_rewrite(now);
            }
        }
    }

    fn finish_aof_rewrite(&mut self, job: Rewrite, now: Millis) {
        self.notice(now, "Background AOF rewrite terminated with success".into());
        let old = (self.aof.base_seq, self.aof.state);
        self.aof.base_seq += 1;
        if self.aof.state == AofState::WaitRewrite {
            // The writes kept meanwhile open the first incremental file.
            self.aof.incr_seq += 1;
            self.aof.incr = std::mem::take(&mut self.aof.pending);
            self.aof.state = AofState::On;
        }
        self.aof.base = job.base;
        let dir = self.aof_dir();
        let base_name = self.base_name(self.aof.base_seq);
        self.outputs.push_back(Output::DiskWrite { path: join(&dir, &base_name), bytes: self.aof.base.clone() });
        self.notice(now, format!("Successfully renamed the temporary AOF base file temp-rewriteaof-bg-{}.aof into {base_name}", self.process_id + 1));
        if old.1 == AofState::WaitRewrite {
            let incr_name = self.incr_name(self.aof.incr_seq);
            self.outputs.push_back(Output::DiskWrite { path: join(&dir, &incr_name), bytes: self.aof.incr.clone() });
            self.notice(now, format!("Successfully renamed the temporary AOF incr file temp-{}.incr into {incr_name}", self.aof_name()));
        }
        let manifest = self.manifest();
        self.outputs.push_back(Output::DiskWrite { path: join(&dir, &format!("{}.manifest", self.aof_name())), bytes: manifest });
        // The files the new base replaces are history.
        if old.0 > 0 {
            let history = std::iter::once(self.base_name(old.0)).chain(job.closed_incr.map(|seq| self.incr_name(seq)));
            for file in history.collect::<Vec<_>>() {
                self.notice(now, format!("Removing the history file {file} in the background"));
                self.outputs.push_back(Output::DiskRemove { path: join(&dir, &file) });
            }
        }
        self.notice(now, "Background AOF rewrite finished successfully".into());
        self.aof.rewrites += 1;
        self.aof.last_rewrite_seconds = Some((now - job.started_at) / 1000);
        self.aof.base_size = self.aof.current_size();
    }

    /// Start-up with `appendonly yes`: the AOF named by the manifest is
    /// loaded (the dump is not read); without one an empty AOF is created.
    pub(crate) fn load_aof_at_start(&mut self, disk: &crate::engine::disk::Disk, now: Millis) -> Result<(), String> {
        let manifest_path = self.aof_path(&format!("{}.manifest", self.aof_name()));
        self.aof.state = AofState::On;
        let Some(manifest) = disk.read(&manifest_path) else {
            self.aof.base_seq = 1;
            self.aof.incr_seq = 1;
            self.aof.base = rdb::encode(&self.keyspace, &self.aof_base_options(now));
            let dir = self.aof_dir();
            self.notice(now, format!("Creating AOF base file {} on server start", self.base_name(1)));
            self.outputs.push_back(Output::DiskWrite { path: join(&dir, &self.base_name(1)), bytes: self.aof.base.clone() });
            self.notice(now, format!("Creating AOF incr file {} on server start", self.incr_name(1)));
            self.outputs.push_back(Output::DiskWrite { path: join(&dir, &self.incr_name(1)), bytes: Vec::new() });
            let manifest = self.manifest();
            self.outputs.push_back(Output::DiskWrite { path: manifest_path, bytes: manifest });
            self.aof.base_size = self.aof.current_size();
            return Ok(());
        };
        for line in String::from_utf8_lossy(manifest).lines() {
            let words: Vec<&str> = line.split(' ').collect();
            let (Some(name), Some(seq), Some(kind)) = (words.get(1), words.get(3).and_then(|s| s.parse::<u64>().ok()), words.get(5)) else {
                return Err(format!("Invalid AOF manifest file format: {line}"));
            };
            let bytes = disk.read(&self.aof_path(name)).map(<[u8]>::to_vec).ok_or_else(|| format!("The AOF file {name} doesn't exist"))?;
            match *kind {
                "b" => {
                    self.aof.base_seq = seq;
                    self.aof.base = bytes;
                }
                "i" => {
                    self.aof.incr_seq = seq;
                    self.aof.incr = bytes;
                }
                _ => {}
            }
        }
        // Checked now: a base that does not load stops the start.
        self.aof_restore_base(now)?;
        self.aof.replay_pending = true;
        self.aof.base_size = self.aof.current_size();
        Ok(())
    }

    /// The data as the AOF's base holds it (empty without a base); the
    /// incremental file's commands are run on it by the caller, which can
    /// run commands (commands::dispatch::replay_aof).
    pub(crate) fn aof_restore_base(&mut self, now: Millis) -> Result<(), String> {
        let databases = self.keyspace.dbs.len();
        self.keyspace = if self.aof.base.is_empty() {
            crate::engine::keyspace::Keyspace::new(databases)
        } else {
            let snapshot = rdb::decode(&self.aof.base, &self.settings.limits).map_err(|e| format!("{}: {e}", self.base_name(self.aof.base_seq)))?;
            self.restore_libraries(&snapshot.libraries)?;
            snapshot.into_keyspace(databases, now).map_err(|i| format!("the AOF base uses database {i}"))?.0
        };
        Ok(())
    }

    /// The commands of the incremental file, while nothing is appended.
    pub(crate) fn aof_replay_begin(&mut self) -> (AofState, Vec<Vec<Vec<u8>>>) {
        let state = std::mem::replace(&mut self.aof.state, AofState::Off);
        let mut parser = RequestParser::default();
        parser.feed(&self.aof.incr);
        let mut commands = Vec::new();
        // A command cut short at the end is dropped (aof-load-truncated yes).
        while let Ok(Some(args)) = parser.next_command() {
            commands.push(args);
        }
        (state, commands)
    }

    pub(crate) fn aof_replay_end(&mut self, state: AofState) {
        self.aof.state = state;
        self.aof.selected_db = None;
        self.aof.replay_pending = false;
    }
}
