//! Pipelined commands through one node, natively, next to real
//! redis-server measured by `redis-benchmark -P 64` in the same run: SET,
//! GET, INCR, LPUSH, HSET and ZADD, 1,000,000 of each over 100,000 random
//! keys (redis-benchmark's `-r 100000`, 3-byte values). The engine is fed
//! the same RESP bytes redis-benchmark sends, 64 commands per call, and
//! answers them; no sockets on its side, which is how the playground runs
//! it. Prints figures; asserts nothing. `cargo bench --bench commands`.

#[path = "workloads.rs"]
mod workloads;

use std::process::{Command, Stdio};
use std::time::Instant;

const TOTAL: usize = 1_000_000;

fn engine() {
    for test in workloads::COMMAND_TESTS {
        let pipelines = workloads::command_pipelines(test, TOTAL);
        // The median of three runs, each on a fresh node.
        let mut runs: Vec<(f64, usize)> = (0..3)
            .map(|_| {
                let (mut server, client) = workloads::command_server();
                let started = Instant::now();
                let replied = workloads::run_pipelines(&mut server, client, &pipelines);
                (started.elapsed().as_secs_f64(), replied)
            })
            .collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (seconds, replied) = runs[1];
        println!("engine (native)  {test:<6} {:>12.0} ops/s   ({replied} reply bytes)", TOTAL as f64 / seconds);
    }
}

fn real() {
    let Some(port) = std::net::TcpListener::bind("127.0.0.1:0").ok().and_then(|l| l.local_addr().ok()).map(|a| a.port()) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("commands-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let server = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn();
    let Ok(mut server) = server else {
        println!("redis-server: not installed here, skipped");
        return;
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let tests = workloads::COMMAND_TESTS.join(",").to_ascii_lowercase();
    let total = TOTAL.to_string();
    let keyspace = workloads::KEYSPACE.to_string();
    let output = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-P", "64", "-q", "-n", &total, "-r", &keyspace, "-t", &tests])
        .output();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    match output {
        Ok(out) => {
            // -q prints "SET: 1234.56 requests per second, p50=..." lines,
            // each after carriage-return progress updates.
            for line in String::from_utf8_lossy(&out.stdout).split(['\n', '\r']) {
                if let Some((name, rest)) = line.split_once(": ") {
                    if let Some(rate) = rest.split(" requests per second").next().filter(|_| rest.contains("requests per second")) {
                        println!("redis-server     {name:<6} {:>12} ops/s   (redis-benchmark -P 64, its 50 clients)", rate);
                    }
                }
            }
        }
        Err(_) => println!("redis-benchmark: not installed here, skipped"),
    }
}

fn main() {
    engine();
    real();
}
