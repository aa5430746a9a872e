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
