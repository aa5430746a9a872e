//! The machines of the simulated network: what runs on each port (a
//! redis-server or a redis-sentinel), its config file and its disk, which
//! outlive the process; and the running process itself.

use crate::engine::config::Config;
use crate::engine::disk::Disk;
use crate::engine::node::Node;
use crate::engine::sentinel::conf::SentinelConf;
use crate::engine::sentinel::Sentinel;
use crate::engine::server::Server;
use crate::engine::time::Millis;
use crate::engine::rng::Rng;

use super::SimError;

/// The program a machine runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    RedisServer,
    RedisSentinel,
}

/// What outlives a process: the program, its config file and its disk.
#[derive(Clone, Debug)]
pub(super) struct Machine {
    pub program: Program,
    pub config_lines: Vec<String>,
    pub disk: Disk,
}

impl Machine {
    /// A machine whose config file the program would accept.
    pub fn new(port: u16, program: Program, config_lines: Vec<String>, disk: Disk) -> Result<Machine, SimError> {
        check_config(port, program, &config_lines)?;
        Ok(Machine { program, config_lines, disk })
    }

    /// Starts the program on its config file and disk. The random draws
    /// (a server's run id, each process's own seed) come from the
    /// simulation's generator, so a seed replays them.
    pub fn boot(&self, port: u16, rng: &mut Rng, now: Millis) -> Result<Process, SimError> {
        match self.program {
            Program::RedisServer => {
                let config = Config::parse(&self.config_lines).map_err(SimError::BadConfig)?;
                let run_id = rng.hex40();
                let seed = rng.next_u64();
                let mut server = Server::start(port, config, run_id, seed, now, &self.disk).map_err(|why| SimError::StartFailed(port, why))?;
                server.config_lines = self.config_lines.clone();
                Ok(Process::Server(Box::new(server)))
            }
            Program::RedisSentinel => {
                let seed = rng.next_u64();
                Sentinel::start(port, &self.config_lines, seed, now).map(|s| Process::Sentinel(Box::new(s))).map_err(SimError::BadConfig)
            }
        }
    }
}

/// Whether the program would start on these config lines.
pub(super) fn check_config<S: AsRef<str>>(port: u16, program: Program, lines: &[S]) -> Result<(), SimError> {
    match program {
        Program::RedisServer => Config::parse(lines).map(|_| ()),
        Program::RedisSentinel => SentinelConf::parse(lines, port).map(|_| ()),
    }
    .map_err(SimError::BadConfig)
}

/// A running process.
#[derive(Clone)]
pub enum Process {
    Server(Box<Server>),
    Sentinel(Box<Sentinel>),
}

impl Process {
    /// The node the simulator drives, whatever program it is.
    pub fn node(&mut self) -> &mut dyn Node {
        match self {
            Process::Server(s) => s.as_mut(),
            Process::Sentinel(s) => s.as_mut(),
        }
    }

    pub fn node_ref(&self) -> &dyn Node {
        match self {
            Process::Server(s) => s.as_ref(),
            Process::Sentinel(s) => s.as_ref(),
        }
    }

    /// Its id in the trace: a server's run id, a Sentinel's myid.
    pub fn run_id(&self) -> &str {
        match self {
            Process::Server(s) => &s.run_id,
            Process::Sentinel(s) => &s.myid,
        }
    }
}
