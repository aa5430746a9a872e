//! Every top-level command of Redis 7.0.15's table answers something
//! other than "unknown command", as it does on Redis; the ones the engine
//! does not have yet are listed here and must still say so, so that this
//! list and the README stay true when one is added.

use redis_playground::engine::config::Config;
use redis_playground::engine::resp::{encode_command, parse_frame, Frame};
use redis_playground::engine::server::Server;

/// Commands Redis has that the engine answers "unknown command" to.
const NOT_YET: &[&str] = &[];

fn call(server: &mut Server, client: u64, args: &[&[u8]]) -> Frame {
    let mut request = Vec::new();
    encode_command(args, &mut request);
    let reply = server.receive(client, &request, 1_000_000).reply;
    match parse_frame(&reply) {
        Ok(Some((frame, _))) => frame,
        other => panic!("no reply to {:?}: {other:?}", String::from_utf8_lossy(args[0])),
    }
}

#[test]
fn every_command_of_redis_answers_but_the_listed_ones() {
    let mut server = Server::new(6379, Config::parse(&["enable-debug-command yes"]).expect("config"), "f".repeat(40), 1, 1_000_000);
    let client = server.connect();
    // COMMAND shows what the engine has: Redis 7.0.15's 240 commands but the missing ones.
    let Frame::Array(mut names) = call(&mut server, client, &[b"COMMAND", b"LIST"]) else { panic!("COMMAND LIST") };
    let expected = 240 - NOT_YET.len() as i64;
    assert_eq!(call(&mut server, client, &[b"COMMAND", b"COUNT"]), Frame::Integer(expected));
    names.retain(|n| !matches!(n, Frame::Bulk(b) if b.contains(&b'|')));
    assert_eq!(names.len() as i64, expected);
    names.extend(NOT_YET.iter().map(|n| Frame::Bulk(n.as_bytes().to_vec())));
    let mut unknown = Vec::new();
    for name in names {
        let Frame::Bulk(name) = name else { panic!("a command name") };
        // Two would stop the server or start a sync: asked with arguments that make them refuse.
        let probe: Vec<&[u8]> = match name.as_slice() {
            b"shutdown" | b"sync" => vec![&name, b"x", b"y", b"z", b"w"],
            _ => vec![&name],
        };
        let client = server.connect();
        if let Frame::Error(e) = call(&mut server, client, &probe) {
            if e.starts_with("ERR unknown command") {
                unknown.push(String::from_utf8_lossy(&name).into_owned());
            }
        }
    }
    unknown.sort();
    assert_eq!(unknown, NOT_YET, "commands answering 'unknown command'");
}
