//! Saving and loading a 1,000,000-key dataset (DEBUG POPULATE 1000000 plus
//! lists, hashes, sets and sorted sets), by the engine natively and by real
//! redis-server (SAVE, and loading the same file at start-up) in one run.
//! Prints figures; asserts nothing. `cargo bench --bench rdb`.

#[path = "workloads.rs"]
mod workloads;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redis_playground::engine::resp::encode_command;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn engine(commands: &[Vec<String>]) -> (Vec<u8>, Duration, Duration) {
    let server = workloads::loaded_server(commands);
    let mut dump = Vec::new();
    let save = median(
        (0..3)
            .map(|_| {
                let t = Instant::now();
                dump = workloads::save(&server);
                t.elapsed()
            })
            .collect(),
    );
    let load = median((0..3).map(|_| time_engine_load(&dump)).collect());
    (dump, save, load)
}

fn time_engine_load(dump: &[u8]) -> Duration {
    let t = Instant::now();
    workloads::load(dump);
    t.elapsed()
}

struct Real {
    child: std::process::Child,
    port: u16,
}

impl Drop for Real {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_real(dir: &std::path::Path) -> Option<(Real, Duration)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let started = Instant::now();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--enable-debug-command", "yes"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let real = Real { child, port };
    // Ready when PING answers PONG (LOADING while the dump loads).
    for _ in 0..6000 {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"PING\r\n");
            let mut buf = [0u8; 64];
            if let Ok(n) = s.read(&mut buf) {
                if buf[..n].starts_with(b"+PONG") {
                    return Some((real, started.elapsed()));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

fn call(stream: &mut TcpStream, args: &[String]) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_command(args, &mut bytes);
    stream.write_all(&bytes).unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).unwrap();
        reply.extend_from_slice(&buf[..n]);
        if redis_playground::engine::resp::parse_frame(&reply).ok().flatten().is_some() {
            return reply;
        }
    }
}

fn main() {
    let commands = workloads::rdb_dataset();
    let (dump, save, load) = engine(&commands);
    println!("dataset: 1,004,000 keys, dump of {:.1} MB", dump.len() as f64 / 1e6);
    println!("engine (native)  save {:>8}   load {:>8}", ms(save), ms(load));
    let dir = std::env::temp_dir().join(format!("rdb-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some((real, _)) = start_real(&dir) else {
        println!("real redis-server: not installed here, skipped");
        return;
    };
    let mut stream = TcpStream::connect(("127.0.0.1", real.port)).unwrap();
    for c in &commands {
        call(&mut stream, c);
    }
    let saves: Vec<Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            call(&mut stream, &["SAVE".into()]);
            t.elapsed()
        })
        .collect();
    drop(stream);
    drop(real);
    let real_dump = std::fs::read(dir.join("dump.rdb")).unwrap();
    // Start-up with the dump, less start-up with nothing to load.
    let mut loads = Vec::new();
    for _ in 0..3 {
        if let Some((_real, with_dump)) = start_real(&dir) {
            loads.push(with_dump);
        }
    }
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let baseline = start_real(&empty).map(|(_, d)| d).unwrap_or_default();
    let real_load = median(loads).saturating_sub(baseline);
    println!("redis-server     save {:>8}   load {:>8}   (dump {:.1} MB)", ms(median(saves)), ms(real_load), real_dump.len() as f64 / 1e6);
    println!("engine loading Redis's own dump: {}", ms(median((0..3).map(|_| time_engine_load(&real_dump)).collect())));
    let _ = std::fs::remove_dir_all(&dir);
}
