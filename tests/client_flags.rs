//! CLIENT LIST's flags, which the goldens cannot show (a line holds ids and
//! ports that differ from run to run): the order Redis writes them in, and
//! CLIENT NO-EVICT's `e`, which RESET leaves as Redis 7.0.15 does.

use redis_playground::engine::config::Config;
use redis_playground::engine::resp::encode_command;
use redis_playground::engine::server::Server;

fn call(server: &mut Server, client: u64, args: &[&str]) -> String {
    let mut request = Vec::new();
    encode_command(&args.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>(), &mut request);
    String::from_utf8_lossy(&server.receive(client, &request, 1_000_000).reply).into_owned()
}

fn flags(server: &mut Server, client: u64) -> String {
    let info = call(server, client, &["CLIENT", "INFO"]);
    info.split(' ').find_map(|f| f.strip_prefix("flags=")).unwrap_or_default().to_string()
}

#[test]
fn flags_come_in_redis_order_and_no_evict_survives_reset() {
    let mut server = Server::new(6379, Config::parse::<&str>(&[]).expect("config"), "f".repeat(40), 1, 1_000_000);
    let client = server.connect();
    assert_eq!(flags(&mut server, client), "N");
    assert_eq!(call(&mut server, client, &["CLIENT", "NO-EVICT", "ON"]), "+OK\r\n");
    assert_eq!(flags(&mut server, client), "e");
    call(&mut server, client, &["RESET"]);
    assert_eq!(flags(&mut server, client), "e");
    // A watched key changed, then MULTI: x before d before e.
    let other = server.connect();
    call(&mut server, client, &["WATCH", "k"]);
    call(&mut server, other, &["SET", "k", "1"]);
    call(&mut server, client, &["MULTI"]);
    let list = call(&mut server, other, &["CLIENT", "LIST"]);
    assert!(list.contains(&format!("id={client} ")) && list.contains(" flags=xde "), "{list}");
    assert_eq!(call(&mut server, other, &["CLIENT", "NO-EVICT", "maybe"]), "-ERR syntax error\r\n");
}

/// A client's query buffer as Redis sizes it (`unit/querybuf` checks the
/// same through CLIENT LIST): a read's 20474 bytes after a command, freed
/// by the cron after two idle seconds; grown for a big argument, then
/// trimmed to the recent peak while the client keeps sending small ones.
#[test]
fn the_query_buffer_grows_for_big_arguments_and_the_cron_trims_it() {
    let mut server = Server::new(6379, Config::parse::<&str>(&[]).expect("config"), "f".repeat(40), 1, 1_000_000);
    let (watched, viewer) = (server.connect(), server.connect());
    let mut at = 1_000_000;
    let send = |server: &mut Server, client: u64, args: &[&str], at: i64| {
        let mut request = Vec::new();
        encode_command(&args.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>(), &mut request);
        server.receive(client, &request, at);
    };
    let buffer = |server: &mut Server, at: i64| -> usize {
        let mut request = Vec::new();
        encode_command(&[b"CLIENT".to_vec(), b"LIST".to_vec()], &mut request);
        let list = String::from_utf8_lossy(&server.receive(viewer, &request, at).reply).into_owned();
        let line = list.lines().find(|l| l.contains("name=watched")).expect("the watched client").to_string();
        let field = |name: &str| -> usize {
            line.split(' ').find_map(|f| f.strip_prefix(name)).and_then(|v| v.parse().ok()).expect("a number")
        };
        field("qbuf=") + field("qbuf-free=")
    };
    send(&mut server, watched, &["CLIENT", "SETNAME", "watched"], at);
    assert_eq!(buffer(&mut server, at), 20474);
    for _ in 0..40 {
        at += 100;
        server.cron(at);
    }
    assert_eq!(buffer(&mut server, at), 0, "freed after two idle seconds");
    let big = "A".repeat(400_000);
    send(&mut server, watched, &["SET", "x", &big], at);
    let grown = buffer(&mut server, at);
    assert!(grown > 400_000, "{grown}");
    at += 100;
    server.cron(at);
    send(&mut server, watched, &["SET", "x", "small"], at);
    at += 100;
    server.cron(at);
    let trimmed = buffer(&mut server, at);
    assert!(trimmed > 0 && trimmed < grown, "{trimmed} of {grown}");
}
