//! Random command sequences never panic the engine, whatever the
//! arguments: every implemented command is thrown at a server with random
//! keys, numbers, options and junk, with virtual time moving in between.

use redis_playground::engine::commands::table;
use redis_playground::engine::config::Config;
use redis_playground::engine::resp::{encode_command, parse_frame};
use redis_playground::engine::rng::Rng;
use redis_playground::engine::server::Server;

const WORDS: &[&str] = &[
    "k", "k2", "list", "h", "s", "z", "0", "1", "-1", "2", "3", "10", "-100", "100000", "9223372036854775807",
    "-9223372036854775808", "1.5", "-inf", "+inf", "inf", "nan", "(1", "[a", "(b", "-", "+", "*", "a*", "", "\r\n",
    "\0", "NX", "XX", "GT", "LT", "CH", "INCR", "EX", "PX", "EXAT", "PXAT", "KEEPTTL", "GET", "PERSIST", "LIMIT",
    "WITHSCORES", "WITHVALUES", "BYSCORE", "BYLEX", "REV", "COUNT", "RANK", "MAXLEN", "LEFT", "RIGHT", "MIN", "MAX",
    "BEFORE", "AFTER", "WEIGHTS", "AGGREGATE", "SUM", "IDX", "LEN", "MINMATCHLEN", "WITHMATCHLEN", "REPLACE", "DB",
    "MATCH", "TYPE", "ENCODING", "ASYNC", "SYNC", "maxmemory", "maxmemory-policy", "allkeys-lfu", "lfu-log-factor",
    "hz", "1mb", "appendonly", "SET", "ZUNIONSTORE", "OBJECT", "FREQ", "LMPOP",
];

fn random_args(rng: &mut Rng, names: &[String]) -> Vec<Vec<u8>> {
    let name = &names[rng.below(names.len())];
    let mut args: Vec<Vec<u8>> = name.split('|').map(|p| p.as_bytes().to_vec()).collect();
    for _ in 0..rng.below(7) {
        args.push(WORDS[rng.below(WORDS.len())].as_bytes().to_vec());
    }
    args
}

#[test]
fn random_sequences_never_panic() {
    let mut names: Vec<String> = Vec::new();
    for info in table::table().commands.values() {
        for c in std::iter::once(info).chain(info.subcommands.values()) {
            // SYNC and PSYNC make the connection a replica: what it then
            // receives is the replication stream, not replies.
            if redis_playground::engine::commands::is_implemented(&c.name) && !matches!(c.name.as_str(), "sync" | "psync") {
                names.push(c.name.clone());
            }
        }
    }
    assert!(names.len() > 100, "only {} commands found", names.len());
    for seed in 0..20u64 {
        let mut rng = Rng::new(seed);
        let mut server = Server::new(6379, Config::default(), "r".repeat(40), seed, 0);
        let mut client = server.connect();
        let mut now = 1_000_000;
        for _ in 0..2_000 {
            let args = random_args(&mut rng, &names);
            let mut bytes = Vec::new();
            encode_command(&args, &mut bytes);
            let out = server.receive(client, &bytes, now);
            let parsed = parse_frame(&out.reply);
            if parsed == Ok(None) {
                // A blocking pop parked the client: its timeout answers it,
                // or (timeout 0, or one beyond any session) the client gives
                // up and connects again.
                match server.next_deadline() {
                    Some(deadline) if deadline - now < 1_000_000_000 => {
                        now = deadline;
                        server.expire_blocked(now);
                        // (A MONITOR the client ran sends it a line per command too.)
                        let monitor_line = |b: &Vec<u8>| b.len() > 1 && b[0] == b'+' && b[1].is_ascii_digit();
                        let answers = server.take_output().into_iter().filter(|(_, b)| !monitor_line(b)).count();
                        assert_eq!(answers, 1, "{:?} was not answered at its timeout", args);
                    }
                    _ => {
                        server.disconnect(client, 0);
                        client = server.connect();
                    }
                }
                continue;
            }
            assert!(matches!(parsed, Ok(Some(_))), "no reply to {:?}", args);
            now += rng.below(50) as i64;
            if rng.below(20) == 0 {
                server.cron(now);
            }
        }
    }
}

#[test]
fn malformed_bytes_never_panic() {
    let mut rng = Rng::new(99);
    for _ in 0..2_000 {
        let mut server = Server::new(6379, Config::default(), "r".repeat(40), 1, 0);
        let client = server.connect();
        let len = rng.below(64);
        let junk: Vec<u8> = (0..len).map(|_| b"*$:+-\r\n0123456789abc "[rng.below(21)]).collect();
        let _ = server.receive(client, &junk, 0);
    }
}
