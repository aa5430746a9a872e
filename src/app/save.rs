//! What survives a page reload: each node's config file, its disk and
//! whether it runs, and the network's cuts and latencies, as text for the
//! browser's storage. (Data in memory does not: a reload is a power cut,
//! and the servers come back with what they saved.)

use super::playground::{Playground, PAGE_OPTIONS};
use crate::engine::disk::{base64_decode, base64_encode};
use crate::engine::time::Millis;
use crate::session::{Session, Step, Until};
use crate::sim::Program;

/// The first line of a saved playground; the format may grow, the version
/// says how. Version 2 ends with a checksum line, so that a state cut
/// short (a full storage, another tab writing) or altered is noticed.
const STATE_HEADER: &str = "redis-playground-state 2";
/// Version 1, read still: the same lines without the checksum.
const STATE_HEADER_V1: &str = "redis-playground-state 1";

/// FNV-1a of the text before the checksum line.
fn checksum(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("checksum {hash:016x}")
}

impl Playground {
    /// Everything that outlives a page reload.
    pub fn export_state(&self) -> String {
        let sim = self.sim();
        let mut out = vec![STATE_HEADER.to_string()];
        for port in self.ports().into_iter().filter(|p| !sim.is_sentinel(*p)) {
            out.push(format!("server {port} {}", if sim.is_up(port) { "up" } else { "down" }));
            for line in sim.config_lines(port).unwrap_or_default() {
                out.push(format!("config {line}"));
            }
            for (path, bytes) in sim.disk(port).map(|d| d.files.iter()).into_iter().flatten() {
                out.push(format!("file {} {}", base64_encode(path.as_bytes()), base64_encode(bytes)));
            }
        }
        for port in sim.sentinel_ports() {
            out.push(format!("sentinel {port} {}", if sim.sentinel_running(port) { "up" } else { "down" }));
            for line in sim.sentinel_config_lines(port).unwrap_or_default() {
                out.push(format!("config {line}"));
            }
        }
        // The network's state: cut links and latencies.
        out.extend(sim.cuts().map(|(a, b)| format!("cut {a} {b}")));
        out.extend(sim.latencies().map(|(a, b, ms)| format!("latency {a} {b} {ms}")));
        let text = out.join("\n");
        let sum = checksum(&text);
        format!("{text}\n{sum}")
    }

    /// Changes whenever what `export_state` would write changes (disks by
    /// their revision, so that no dump is hashed on every frame).
    pub fn state_fingerprint(&self) -> u64 {
        let sim = self.sim();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut mix = |bytes: &[u8]| {
            for &b in bytes.iter().chain(b"\n") {
                hash = (hash ^ b as u64).wrapping_mul(0x0100_0000_01b3);
            }
        };
        for port in self.ports().into_iter().filter(|p| !sim.is_sentinel(*p)) {
            let disk = sim.disk(port).map_or(0, |d| d.revision);
            mix(format!("{port} {} {disk}", sim.is_up(port)).as_bytes());
            for line in sim.config_lines(port).unwrap_or_default() {
                mix(line.as_bytes());
            }
        }
        for port in sim.sentinel_ports() {
            mix(format!("sentinel {port} {}", sim.sentinel_running(port)).as_bytes());
            for line in sim.sentinel_config_lines(port).unwrap_or_default() {
                mix(line.as_bytes());
            }
        }
        for (a, b) in sim.cuts() {
            mix(format!("cut {a} {b}").as_bytes());
        }
        for (a, b, ms) in sim.latencies() {
            mix(format!("latency {a} {b} {ms}").as_bytes());
        }
        hash
    }

    /// Rebuilds a playground saved by `export_state`: each node's machine
    /// and disk come back, running nodes start again (loading their
    /// dumps), and the page gets them back once the dumps are in. A server
    /// whose dump no longer loads stays down.
    pub fn import_state(seed: u64, start: Millis, text: &str) -> Result<Playground, String> {
        let (nodes, network) = read_state(text)?;
        let mut playground = Playground::empty(Session::new(seed, start, PAGE_OPTIONS));
        for node in nodes {
            playground.apply(Step::Machine { port: node.port, program: node.program, config: node.config }).map_err(|e| e.to_string())?;
            for (path, bytes) in node.files {
                playground.apply(Step::File { port: node.port, path, bytes })?;
            }
            if node.up {
                // A dump that no longer loads leaves it down.
                let _ = playground.apply(Step::Restart { port: node.port });
            }
            playground.apply(Step::Connect { port: node.port })?;
        }
        for step in network {
            playground.apply(step)?;
        }
        // A reloaded page shows the cluster as it was: the servers read
        // their dumps before the learner gets the page back (at most 10
        // minutes of virtual time, for a dump of about 28 GB).
        playground.apply(Step::wait(Until::AllLoaded))?;
        Ok(playground)
    }
}

/// One node of a saved playground.
struct SavedNode {
    port: u16,
    up: bool,
    program: Program,
    config: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
}

/// The nodes of a saved playground, servers first (so that Sentinels find
/// them), and the steps that put its network back.
fn read_state(text: &str) -> Result<(Vec<SavedNode>, Vec<Step>), String> {
    let header = text.lines().next().unwrap_or_default();
    let body = match header {
        STATE_HEADER => {
            // The checksum is the last line, over everything before it.
            let (body, last) = text.rsplit_once('\n').ok_or("it was cut short")?;
            if last != checksum(body) {
                return Err("it was cut short or altered".into());
            }
            body
        }
        STATE_HEADER_V1 => text,
        _ if header.starts_with("redis-playground-state ") => {
            return Err(format!("it was saved in a format this version does not read ({})", &header[23..]));
        }
        _ => return Err("not a saved playground".into()),
    };
    let mut lines = body.lines();
    lines.next();
    let mut nodes: Vec<SavedNode> = Vec::new();
    let mut network = Vec::new();
    for line in lines {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "server" | "sentinel" => {
                let (port, state) = rest.split_once(' ').ok_or("a server line without its state")?;
                let port = port.parse().map_err(|_| "a bad port")?;
                let program = if word == "sentinel" { Program::RedisSentinel } else { Program::RedisServer };
                nodes.push(SavedNode { port, up: state == "up", program, config: Vec::new(), files: Vec::new() });
            }
            "config" => nodes.last_mut().ok_or("config before any server")?.config.push(rest.to_string()),
            "cut" | "latency" => {
                let numbers: Vec<i64> = rest.split(' ').filter_map(|w| w.parse().ok()).collect();
                let port = |n: i64| u16::try_from(n).map_err(|_| format!("a bad '{word}' line"));
                network.push(match (word, numbers.as_slice()) {
                    ("cut", [a, b]) => Step::Cut { a: port(*a)?, b: port(*b)? },
                    ("latency", [a, b, ms]) => Step::Latency { a: port(*a)?, b: port(*b)?, ms: *ms },
                    _ => return Err(format!("a bad '{word}' line")),
                });
            }
            "file" => {
                let (path, data) = rest.split_once(' ').ok_or("a file line without data")?;
                let path = base64_decode(path).ok_or("a bad file name")?;
                let data = base64_decode(data).ok_or("bad file data")?;
                let node = nodes.last_mut().ok_or("a file before any server")?;
                node.files.push((String::from_utf8_lossy(&path).into_owned(), data));
            }
            _ => return Err(format!("unknown line '{word}'")),
        }
    }
    nodes.sort_by_key(|n| n.program == Program::RedisSentinel);
    Ok((nodes, network))
}
