//! The benchmarks' workloads built for wasm32 (benches/workloads.rs, the
//! same code the native benches run), exported as plain functions so that
//! Node can time each phase with no bindings in between. Driven by
//! benches/wasm.js through scripts/bench-wasm.sh; prints nothing itself.

#[path = "../workloads.rs"]
mod workloads;

use std::cell::RefCell;

use redis_playground::engine::server::Server;
use redis_playground::sim::Sim;

#[derive(Default)]
struct State {
    pipelines: Vec<Vec<u8>>,
    server: Option<(Server, u64)>,
    dump: Vec<u8>,
    sim: Option<Sim>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

/// Builds `total` commands of test number `test` (workloads::COMMAND_TESTS)
/// and a fresh node to run them.
#[no_mangle]
pub extern "C" fn commands_prepare(test: u32, total: u32) {
    let name = workloads::COMMAND_TESTS.get(test as usize).copied().unwrap_or("SET");
    with(|s| {
        s.pipelines = workloads::command_pipelines(name, total as usize);
        s.server = Some(workloads::command_server());
    });
}

/// Runs the prepared commands; returns the reply bytes.
#[no_mangle]
pub extern "C" fn commands_run() -> u32 {
    with(|s| {
        let pipelines = std::mem::take(&mut s.pipelines);
        match s.server.as_mut() {
            Some((server, client)) => workloads::run_pipelines(server, *client, &pipelines) as u32,
            None => 0,
        }
    })
}

/// Loads the 1,004,000-key dataset into a node.
#[no_mangle]
pub extern "C" fn rdb_prepare() {
    with(|s| s.server = Some((workloads::loaded_server(&workloads::rdb_dataset()), 0)));
}

/// Encodes the node's dataset; returns the dump's size.
#[no_mangle]
pub extern "C" fn rdb_save() -> u32 {
    with(|s| {
        s.dump = s.server.as_ref().map(|(server, _)| workloads::save(server)).unwrap_or_default();
        s.dump.len() as u32
    })
}

/// Decodes the dump into a fresh keyspace; returns the keys loaded.
#[no_mangle]
pub extern "C" fn rdb_load() -> u32 {
    with(|s| workloads::load(&s.dump) as u32)
}

/// A master holding `DEBUG POPULATE keys` and three nodes to follow it.
#[no_mangle]
pub extern "C" fn sync_prepare(keys: u32) {
    with(|s| {
        s.server = None;
        s.dump = Vec::new();
        s.sim = Some(workloads::full_sync_setup(keys as usize));
    });
}

/// The full sync to three replicas; returns the virtual milliseconds.
#[no_mangle]
pub extern "C" fn sync_run() -> u32 {
    with(|s| s.sim.as_mut().map_or(0, workloads::full_sync_run) as u32)
}

/// A master with three online replicas.
#[no_mangle]
pub extern "C" fn steady_prepare() {
    with(|s| s.sim = Some(workloads::steady_setup()));
}

/// `writes` SETs through the simulator; returns the events they made.
#[no_mangle]
pub extern "C" fn steady_run(writes: u32) -> u32 {
    with(|s| s.sim.as_mut().map_or(0, |sim| workloads::steady_run(sim, writes as usize)) as u32)
}
