//! The work the benchmarks measure, shared by the native benches and their
//! wasm build (benches/wasm/engine.rs) so that both time exactly the same
//! thing: pipelined commands shaped like redis-benchmark's, the 1,004,000-key
//! RDB dataset, a full sync to three replicas and a steady write load.
//! Included with `#[path]`; every bench uses only part of it.
#![allow(dead_code)]

use redis_playground::engine::config::Config;
use redis_playground::engine::rdb::{self, SaveOptions};
use redis_playground::engine::resp::encode_command;
use redis_playground::engine::server::Server;
use redis_playground::engine::value::Limits;
use redis_playground::sim::Sim;

/// Commands per pipeline, as `redis-benchmark -P 64`.
pub const PIPELINE: usize = 64;
/// Keys drawn from this many, as `redis-benchmark -r 100000`.
pub const KEYSPACE: u64 = 100_000;
/// The tests `redis-benchmark -t` runs for the keyspace issue's workload.
pub const COMMAND_TESTS: [&str; 6] = ["SET", "GET", "INCR", "LPUSH", "HSET", "ZADD"];

/// redis-benchmark's __rand_int__: twelve digits of a number below KEYSPACE.
fn rand_key(state: &mut u64) -> String {
    *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    format!("{:012}", (*state >> 33) % KEYSPACE)
}

/// `total` commands of one test, in the shape redis-benchmark sends them
/// (3-byte values), cut into pipelines.
pub fn command_pipelines(test: &str, total: usize) -> Vec<Vec<u8>> {
    let mut state = 42u64;
    let mut pipelines = Vec::with_capacity(total / PIPELINE + 1);
    let mut bytes = Vec::new();
    for i in 0..total {
        let r = rand_key(&mut state);
        let args: Vec<String> = match test {
            "SET" => vec!["SET".into(), format!("key:{r}"), "xxx".into()],
            "GET" => vec!["GET".into(), format!("key:{r}")],
            "INCR" => vec!["INCR".into(), format!("counter:{r}")],
            "LPUSH" => vec!["LPUSH".into(), "mylist".into(), "xxx".into()],
            "HSET" => vec!["HSET".into(), "myhash".into(), format!("element:{r}"), "xxx".into()],
            _ => vec!["ZADD".into(), "myzset".into(), "0".into(), format!("element:{r}")],
        };
        encode_command(&args, &mut bytes);
        if i % PIPELINE == PIPELINE - 1 || i + 1 == total {
            pipelines.push(std::mem::take(&mut bytes));
        }
    }
    pipelines
}

/// A node and one client connection, as a console would hold.
pub fn command_server() -> (Server, u64) {
    let mut server = Server::new(6379, Config::default(), "b".repeat(40), 1, 0);
    let client = server.connect();
    (server, client)
}

/// Feeds the pipelines through the node; returns the bytes it answered.
pub fn run_pipelines(server: &mut Server, client: u64, pipelines: &[Vec<u8>]) -> usize {
    pipelines.iter().map(|p| server.receive(client, p, 0).reply.len()).sum()
}

/// `DEBUG POPULATE 1000000` plus 1,000 each of lists, hashes, sets and
/// sorted sets: 1,004,000 keys.
pub fn rdb_dataset() -> Vec<Vec<String>> {
    let mut commands = vec![vec!["DEBUG".into(), "POPULATE".into(), "1000000".into()]];
    for i in 0..1000 {
        let mut list = vec!["RPUSH".to_string(), format!("list:{i}")];
        list.extend((0..100).map(|j| format!("element-{j}")));
        commands.push(list);
        let mut hash = vec!["HSET".to_string(), format!("hash:{i}")];
        hash.extend((0..50).flat_map(|j| [format!("field{j}"), format!("value{j}")]));
        commands.push(hash);
        let mut set = vec!["SADD".to_string(), format!("set:{i}")];
        set.extend((0..100).map(|j| (j * 7).to_string()));
        commands.push(set);
        let mut zset = vec!["ZADD".to_string(), format!("zset:{i}")];
        zset.extend((0..100).flat_map(|j| [format!("{}", j as f64 / 4.0), format!("member{j}")]));
        commands.push(zset);
    }
    commands
}

/// A node holding `commands`' data.
pub fn loaded_server(commands: &[Vec<String>]) -> Server {
    let config = Config::parse(&["enable-debug-command yes"]).expect("a valid config");
    let mut server = Server::new(6379, config, "b".repeat(40), 1, 0);
    let client = server.connect();
    for c in commands {
        let mut bytes = Vec::new();
        encode_command(c, &mut bytes);
        server.receive(client, &bytes, 0);
    }
    server
}

pub fn save(server: &Server) -> Vec<u8> {
    rdb::encode(&server.keyspace, &SaveOptions::default())
}

/// Decodes a dump into a keyspace, as a start-up load does; returns the keys.
pub fn load(dump: &[u8]) -> usize {
    let snapshot = rdb::decode(dump, &Limits::default()).expect("the dump loads");
    snapshot.into_keyspace(16, 0).map(|(keyspace, _, _)| keyspace.total_keys()).unwrap_or(0)
}

pub const MASTER: u16 = 6379;
pub const REPLICAS: [u16; 3] = [6380, 6381, 6382];

pub fn call(sim: &mut Sim, port: u16, args: &[&str]) -> Vec<u8> {
    let Some(handle) = sim.connect(port) else { return Vec::new() };
    let mut bytes = Vec::new();
    encode_command(args, &mut bytes);
    sim.send(handle, &bytes);
    let reply = sim.take_inbox(handle);
    sim.close(handle);
    reply
}

/// A master holding `DEBUG POPULATE keys` and three empty nodes, Redis's
/// defaults (the replicas asking within 5 s share one diskless transfer).
pub fn full_sync_setup(keys: usize) -> Sim {
    let mut sim = Sim::new(7, 1_700_000_000_000);
    sim.start_server(MASTER, &["enable-debug-command yes"]).expect("the master starts");
    for port in REPLICAS {
        sim.start_server(port, &[] as &[&str]).expect("a replica starts");
    }
    call(&mut sim, MASTER, &["DEBUG", "POPULATE", &keys.to_string()]);
    sim
}

/// Points the three at the master and lets virtual time run until all
/// three links are up; returns the virtual milliseconds it took.
pub fn full_sync_run(sim: &mut Sim) -> i64 {
    for port in REPLICAS {
        call(sim, port, &["REPLICAOF", "127.0.0.1", &MASTER.to_string()]);
    }
    let mut virtual_ms = 0;
    while !REPLICAS.iter().all(|&p| sim.link_up(p)) && virtual_ms < 600_000 {
        sim.advance(100);
        virtual_ms += 100;
    }
    virtual_ms
}

/// A master with three online replicas.
pub fn steady_setup() -> Sim {
    let mut sim = Sim::new(7, 1_700_000_000_000);
    sim.start_server(MASTER, &["repl-diskless-sync-delay 0"]).expect("the master starts");
    for port in REPLICAS {
        let line = format!("replicaof 127.0.0.1 {MASTER}");
        sim.start_server(port, &[line.as_str()]).expect("a replica starts");
    }
    sim.advance(2000);
    sim
}

/// `writes` SETs, 10 ms of virtual time every 100; returns the number of
/// simulator events (trace entries) they made.
pub fn steady_run(sim: &mut Sim, writes: usize) -> usize {
    let Some(handle) = sim.connect(MASTER) else { return 0 };
    let events_before = sim.trace().len();
    let mut bytes = Vec::new();
    for i in 0..writes {
        bytes.clear();
        encode_command(&["SET", &format!("key:{}", i % 10_000), &i.to_string()], &mut bytes);
        sim.send(handle, &bytes);
        sim.take_inbox(handle);
        if i % 100 == 99 {
            sim.advance(10);
        }
    }
    sim.trace().len() - events_before
}
