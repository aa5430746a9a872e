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

/// A server with `maxmemory 2mb` and the policy, and a client on it.
fn limited(policy: &str) -> (Server, u64) {
    let config = Config::parse(&["maxmemory 2mb", &format!("maxmemory-policy {policy}")]).expect("a config");
    let mut server = Server::new(6379, config, "e".repeat(40), 9, 1_000_000);
    let client = server.connect();
    (server, client)
}

fn call(server: &mut Server, client: u64, args: &[&str], now: i64) -> String {
    let mut request = Vec::new();
    encode_command(&args.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>(), &mut request);
    String::from_utf8_lossy(&server.receive(client, &request, now).reply).into_owned()
}

fn info_field(server: &mut Server, client: u64, field: &str) -> i64 {
    let info = call(server, client, &["INFO"], 1_000_000);
    info.lines().find_map(|l| l.strip_prefix(&format!("{field}:"))).and_then(|v| v.trim().parse().ok()).expect(field)
}

#[test]
fn each_policy_keeps_the_limit_and_evicts_what_it_should() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] {
        let (mut server, client) = limited(policy);
        let volatile = policy.starts_with("volatile");
        let mut now = 1_000_000;
        let mut refused = 0;
        let present = |server: &mut Server, i: usize, now: i64| call(server, client, &["EXISTS", &format!("k:{i}")], now) == ":1\r\n";
        for i in 0..16_000 {
            now += 1;
            let key = format!("k:{i}");
            let value = "v".repeat(100);
            // Even keys expire (later the higher the key), odd ones do not.
            let reply = if i % 2 == 0 {
                call(&mut server, client, &["SET", &key, &value, "EX", &(100_000 + i).to_string()], now)
            } else {
                call(&mut server, client, &["SET", &key, &value], now)
            };
            // The first hundred keys are read all along: LRU and LFU keep them.
            call(&mut server, client, &["GET", &format!("k:{}", i % 100)], now);
            match reply.as_str() {
                "+OK\r\n" => {}
                r if r.starts_with("-OOM command not allowed when used memory > 'maxmemory'.") => refused += 1,
                r => panic!("{policy}: {r}"),
            }
            assert!(server.used_memory() <= 2 * 1024 * 1024 + 4096, "{policy}: {} used", server.used_memory());
            if i == 7_999 {
                let hot = (0..100).filter(|&k| present(&mut server, k, now)).count();
                match policy {
                    "allkeys-lru" | "allkeys-lfu" | "volatile-lru" | "volatile-lfu" => {
                        assert!(hot >= 90, "{policy}: {hot} of the hot keys left")
                    }
                    "volatile-ttl" => {
                        // The soonest to expire went first: of the even keys
                        // written, those left are mostly the latest (sampling is approximate, as in Redis).
                        let left: Vec<usize> = (0..8_000).step_by(2).filter(|&k| present(&mut server, k, now)).collect();
                        let late = left.iter().filter(|&&k| k >= 4_000).count();
                        assert!(late * 4 >= left.len() * 3, "{policy}: {late} of {} late", left.len());
                    }
                    _ => {}
                }
            }
        }
        let evicted = info_field(&mut server, client, "evicted_keys");
        assert!(evicted > 1_000, "{policy}: {evicted} evicted");
        if volatile {
            // Only keys with an expiry go: every persistent key is there,
            // and once no volatile key is left, writes are refused.
            assert!((1..16_000).step_by(2).filter(|&k| k < 10_000).all(|k| present(&mut server, k, now)), "{policy}");
            assert!(refused > 0, "{policy}: nothing refused");
        } else {
            assert_eq!(refused, 0, "{policy}: writes refused");
        }
    }
}

#[test]
fn a_replica_applies_its_masters_evictions_and_ignores_its_own_limit() {
    let text = "server 6379 maxmemory 1200kb ; maxmemory-policy allkeys-lru\n\
                server 6380 replicaof 127.0.0.1 6379 ; maxmemory 1mb\n\
                waitsync 6380\n";
    let mut lines = String::from(text);
    // Each a 1 KB string from a short command, replicated as it is.
    for i in 0..600 {
        lines.push_str(&format!("6379> SETRANGE key:{i} 1000 x\n"));
    }
    lines.push_str("sleep 1s\n6379> DBSIZE\n6380> DBSIZE\n6379> DEBUG DIGEST\n6380> DEBUG DIGEST\n6379> INFO stats\n");
    let parsed = redis_playground::scenario::parse(&lines).expect("a scenario");
    let out = redis_playground::scenario::run(&parsed, Default::default()).expect("it runs");
    let after = |prompt: &str| -> Vec<String> {
        out.iter().enumerate().filter(|(_, l)| l.contains(prompt)).map(|(i, _)| out[i + 1].clone()).collect()
    };
    let sizes = [after("6379> DBSIZE"), after("6380> DBSIZE")];
    assert_eq!(sizes[0], sizes[1], "{out:?}");
    let keys: i64 = sizes[0][0].trim_start_matches("(integer) ").parse().expect("a count");
    assert!(keys < 600, "the master evicted nothing: {keys}");
    assert_eq!(after("6379> DEBUG DIGEST"), after("6380> DEBUG DIGEST"));
}

#[test]
fn the_page_guard_refuses_what_would_swamp_the_tab() {
    let mut server = Server::new(6379, Config::parse(&["enable-debug-command yes"]).expect("config"), "g".repeat(40), 1, 1_000_000);
    server.set_memory_guard(Some(256 * 1024 * 1024));
    let client = server.connect();
    let started = std::time::Instant::now();
    for args in [&["DEBUG", "POPULATE", "100000000"][..], &["SETRANGE", "big", "536870000", "x"], &["DEBUG", "POPULATE", "3000000", "k", "100"],
        &["SETBIT", "big", "4294967295", "1"], &["BITFIELD", "big", "GET", "u8", "0", "SET", "u8", "#536870000", "1"]]
    {
        let reply = call(&mut server, client, args, 1_000_000);
        assert!(reply.starts_with("-OOM command not allowed: the playground keeps each server under 256mb"), "{args:?}: {reply}");
    }
    // Refused before any work: the server is as it was, and answers.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(call(&mut server, client, &["DBSIZE"], 1_000_000), ":0\r\n");
    assert_eq!(call(&mut server, client, &["DEBUG", "POPULATE", "1000"], 1_000_000), "+OK\r\n");
    assert_eq!(call(&mut server, client, &["SET", "a", "b"], 1_000_000), "+OK\r\n");
}
