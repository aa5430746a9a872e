//! The engine's memory accounting against real Redis 7.0.15: for each
//! workload of tests/fixtures/memory/workloads.tsv, the growth of INFO's
//! used_memory from its first command to its last and MEMORY USAGE of its first key are within 25 % of what
//! redis-server reported (tests/fixtures/memory/redis.tsv, re-recorded by
//! scripts/record-memory.py; MEMORY_GOLDEN points at a fresh recording).

use redis_playground::engine::config::Config;
use redis_playground::engine::resp::encode_command;
use redis_playground::engine::server::Server;

fn expand(template: &str, i: usize) -> Vec<Vec<u8>> {
    template
        .split(' ')
        .map(|word| {
            let w = word
                .replace("{i/1000}", &(i / 1000).to_string())
                .replace("{i/100}", &(i / 100).to_string())
                .replace("{i/10}", &(i / 10).to_string())
                .replace("{i%10}", &(i % 10).to_string())
                .replace("{i}", &i.to_string());
            match w.strip_prefix("{v:").and_then(|r| r.strip_suffix('}')) {
                Some(n) => {
                    let n: usize = n.parse().expect("a value length");
                    format!("{i}{}", "x".repeat(n)).into_bytes()[..n].to_vec()
                }
                None => w.into_bytes(),
            }
        })
        .collect()
}

fn used_memory(server: &mut Server, client: u64) -> i64 {
    let mut request = Vec::new();
    encode_command(&[b"INFO".to_vec(), b"memory".to_vec()], &mut request);
    let reply = String::from_utf8_lossy(&server.receive(client, &request, 1_000_000).reply).into_owned();
    reply.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.trim().parse().ok()).expect("used_memory")
}

fn integer_reply(bytes: &[u8]) -> i64 {
    String::from_utf8_lossy(bytes).trim().trim_start_matches(':').parse().expect("an integer reply")
}

#[test]
fn used_memory_follows_real_redis() {
    let workloads = std::fs::read_to_string("tests/fixtures/memory/workloads.tsv").expect("workloads");
    let golden_path = std::env::var("MEMORY_GOLDEN").unwrap_or_else(|_| "tests/fixtures/memory/redis.tsv".into());
    let golden = std::fs::read_to_string(golden_path).expect("recorded figures");
    let mut failures = Vec::new();
    for line in workloads.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let [name, template, count]: [&str; 3] = line.split('\t').collect::<Vec<_>>().try_into().expect("three columns");
        let recorded: Vec<i64> = golden
            .lines()
            .find(|l| l.split('\t').next() == Some(name))
            .unwrap_or_else(|| panic!("{name} is not recorded"))
            .split('\t')
            .skip(1)
            .map(|v| v.parse().expect("a figure"))
            .collect();
        let mut server = Server::new(6379, Config::default(), "m".repeat(40), 1, 1_000_000);
        let client = server.connect();
        let count: usize = count.parse().expect("a count");
        let mut request = Vec::new();
        encode_command(&expand(template, 0), &mut request);
        server.receive(client, &request, 1_000_000);
        request.clear();
        let before = used_memory(&mut server, client);
        for i in 1..count {
            encode_command(&expand(template, i), &mut request);
            if request.len() > 1 << 20 || i + 1 == count {
                server.receive(client, &request, 1_000_000);
                request.clear();
            }
        }
        let growth = used_memory(&mut server, client) - before;
        let mut usage_request = Vec::new();
        let first_key = expand(template, 0)[1].clone();
        encode_command(&[b"MEMORY".to_vec(), b"USAGE".to_vec(), first_key, b"SAMPLES".to_vec(), b"0".to_vec()], &mut usage_request);
        let usage = integer_reply(&server.receive(client, &usage_request, 1_000_000).reply);
        for (what, engine, redis) in [("used_memory growth", growth, recorded[0]), ("MEMORY USAGE", usage, recorded[1])] {
            let ratio = engine as f64 / redis as f64;
            println!("{name:15} {what:18} engine {engine:>10} redis {redis:>10} ratio {ratio:.3}");
            if !(0.75..=1.25).contains(&ratio) {
                failures.push(format!("{name}: {what} {engine} against Redis's {redis}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
