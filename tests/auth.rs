//! What the recorded goldens cannot show because client ids differ from
//! run to run: HELLO AUTH authenticates and names the client, HELLO tells a
//! replica's role; and the replica's handshake against a password it does
//! not have, whose log real Redis 7.0.15 writes as a tight loop (hundreds
//! of rounds a second, so no two runs log the same number of lines).

use redis_playground::engine::config::Config;
use redis_playground::engine::resp::encode_command;
use redis_playground::scenario::{self, RunOptions};
use redis_playground::engine::server::Server;
use redis_playground::sim::TraceEvent;

fn call(server: &mut Server, client: u64, args: &[&str]) -> String {
    let mut request = Vec::new();
    encode_command(&args.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>(), &mut request);
    String::from_utf8_lossy(&server.receive(client, &request, 1_000_000).reply).into_owned()
}

#[test]
fn hello_auth_authenticates_and_names_the_client() {
    let mut server = Server::new(6379, Config::parse(&["requirepass secret"]).expect("config"), "h".repeat(40), 1, 1_000_000);
    let client = server.connect();
    assert_eq!(call(&mut server, client, &["GET", "k"]), "-NOAUTH Authentication required.\r\n");
    let hello = call(&mut server, client, &["HELLO", "2", "AUTH", "default", "secret", "SETNAME", "app"]);
    assert!(hello.starts_with("*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n") && hello.contains("$4\r\nrole\r\n$6\r\nmaster\r\n"), "{hello}");
    assert_eq!(call(&mut server, client, &["CLIENT", "GETNAME"]), "$3\r\napp\r\n");
    assert_eq!(call(&mut server, client, &["GET", "k"]), "$-1\r\n");
    // A bad name is refused after the authentication, which stays.
    let other = server.connect();
    assert!(call(&mut server, other, &["HELLO", "2", "AUTH", "default", "secret", "SETNAME", "a b"]).starts_with("-ERR Client names cannot contain spaces"));
    assert_eq!(call(&mut server, other, &["GET", "k"]), "$-1\r\n");
}

#[test]
fn a_replica_without_the_password_loops_through_its_handshake_as_redis_does() {
    let source = "server 6379 requirepass secret\nserver 6380 replicaof 127.0.0.1 6379\nsleep 1s\n6380> HELLO\n";
    let steps = scenario::parse(source).expect("scenario");
    let (transcript, sim) = scenario::run_on_sim(&steps, RunOptions::default()).expect("runs");
    let transcript = transcript.join("\n");
    assert!(transcript.contains("11) \"role\"\n12) \"replica\""), "{transcript}");
    let log: Vec<String> = sim
        .trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Log { port: 6380, line } => Some(line.text.clone()),
            _ => None,
        })
        .collect();
    // One round, in the order real Redis 7.0.15 logs it (seen in its log).
    let round = [
        "MASTER <-> REPLICA sync started",
        "Non blocking connect for SYNC fired the event.",
        "Master replied to PING, replication can continue...",
        "(Non critical) Master does not understand REPLCONF listening-port: -NOAUTH Authentication required.",
        "(Non critical) Master does not understand REPLCONF capa: -NOAUTH Authentication required.",
        "Partial resynchronization not possible (no cached master)",
        "Unexpected reply to PSYNC from master: -NOAUTH Authentication required.",
        "Retrying with SYNC...",
        "MASTER aborted replication with an error: NOAUTH Authentication required.",
        "Reconnecting to MASTER 127.0.0.1:6379 after failure",
    ];
    let start = log.iter().position(|l| l == round[0]).expect("a round started");
    assert_eq!(&log[start..start + round.len()], &round, "{log:#?}");
    // Again and again, not once a second as after a refused AUTH: Redis at
    // once, the engine at its next cron tick (see reconnect_after_failure).
    let rounds = log.iter().filter(|l| l.starts_with("Reconnecting to MASTER")).count();
    assert!(rounds >= 5, "{rounds} rounds in a second");
}
