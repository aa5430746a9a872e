//! CLIENT TRACKING's invalidation messages, which need two connections
//! (a RESP2 tracker redirects them to a subscribed one): a read key
//! invalidated once when written, expired or flushed; BCAST prefixes at
//! the end of the event; NOLOOP; OPTIN with CLIENT CACHING; a redirect
//! that goes away.

use redis_playground::engine::config::Config;
use redis_playground::engine::node::Node;
use redis_playground::engine::resp::encode_command;
use redis_playground::engine::server::Server;

fn call(server: &mut Server, client: u64, args: &[&str], now: i64) -> String {
    let mut request = Vec::new();
    encode_command(&args.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>(), &mut request);
    String::from_utf8_lossy(&server.receive(client, &request, now).reply).into_owned()
}

fn server() -> Server {
    Server::new(6379, Config::parse(&["enable-debug-command yes"]).expect("config"), "f".repeat(40), 1, 1_000_000)
}

/// What the subscriber received since last asked.
fn received(server: &mut Server, sub: u64) -> String {
    server.take_output().into_iter().filter(|(id, _)| *id == sub).map(|(_, b)| String::from_utf8_lossy(&b).into_owned()).collect()
}

fn message(payload: &str) -> String {
    format!("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n{payload}")
}

#[test]
fn read_keys_are_invalidated_once_through_the_redirect() {
    let mut s = server();
    let (sub, tracker, writer) = (s.connect(), s.connect(), s.connect());
    call(&mut s, sub, &["SUBSCRIBE", "__redis__:invalidate"], 1_000_000);
    assert_eq!(call(&mut s, tracker, &["CLIENT", "TRACKING", "on", "REDIRECT", &sub.to_string()], 1_000_000), "+OK\r\n");
    call(&mut s, tracker, &["MGET", "k", "other"], 1_000_000);
    s.take_output();
    call(&mut s, writer, &["SET", "k", "1"], 1_000_000);
    assert_eq!(received(&mut s, sub), message("*1\r\n$1\r\nk\r\n"));
    call(&mut s, writer, &["SET", "k", "2"], 1_000_000);
    assert_eq!(received(&mut s, sub), "", "a key is invalidated once until read again");
    assert!(call(&mut s, writer, &["INFO", "stats"], 1_000_000).contains("tracking_total_keys:1"));
    // An expiry invalidates, a flush sends a nil.
    call(&mut s, tracker, &["GET", "k"], 1_000_000);
    call(&mut s, writer, &["PEXPIRE", "k", "10"], 1_000_000);
    assert_eq!(received(&mut s, sub), message("*1\r\n$1\r\nk\r\n"));
    call(&mut s, tracker, &["GET", "k"], 1_000_000);
    call(&mut s, writer, &["DEBUG", "SLEEP", "0"], 1_000_100);
    s.handle_timeout(1_000_200);
    assert_eq!(received(&mut s, sub), message("*1\r\n$1\r\nk\r\n"));
    call(&mut s, writer, &["FLUSHALL"], 1_000_300);
    assert_eq!(received(&mut s, sub), message("$-1\r\n"));
    assert!(call(&mut s, tracker, &["CLIENT", "LIST", "ID", &tracker.to_string()], 1_000_300).contains(" flags=t "));
    // Once the subscriber is gone the redirect is broken.
    call(&mut s, tracker, &["GET", "k"], 1_000_300);
    s.disconnect(sub, 1_000_300);
    call(&mut s, writer, &["SET", "k", "3"], 1_000_300);
    let info = call(&mut s, tracker, &["CLIENT", "TRACKINGINFO"], 1_000_300);
    assert!(info.contains("broken_redirect"), "{info}");
    assert!(call(&mut s, tracker, &["CLIENT", "LIST", "ID", &tracker.to_string()], 1_000_300).contains(" flags=tR "));
}

#[test]
fn bcast_sends_what_changed_under_a_prefix_after_the_event_and_noloop_skips_ones_own() {
    let mut s = server();
    let (sub, tracker) = (s.connect(), s.connect());
    call(&mut s, sub, &["SUBSCRIBE", "__redis__:invalidate"], 1_000_000);
    let redirect = sub.to_string();
    call(&mut s, tracker, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "NOLOOP", "REDIRECT", &redirect], 1_000_000);
    let writer = s.connect();
    s.take_output();
    call(&mut s, writer, &["MSET", "user:1", "a", "user:2", "b", "post:1", "c"], 1_000_000);
    assert_eq!(received(&mut s, sub), message("*2\r\n$6\r\nuser:1\r\n$6\r\nuser:2\r\n"));
    call(&mut s, tracker, &["SET", "user:3", "own"], 1_000_000);
    assert_eq!(received(&mut s, sub), "", "NOLOOP: its own change is not sent");
    assert!(call(&mut s, writer, &["INFO", "stats"], 1_000_000).contains("tracking_total_prefixes:1"));
}

#[test]
fn optin_tracks_only_after_client_caching_yes() {
    let mut s = server();
    let (sub, tracker, writer) = (s.connect(), s.connect(), s.connect());
    call(&mut s, sub, &["SUBSCRIBE", "__redis__:invalidate"], 1_000_000);
    call(&mut s, tracker, &["CLIENT", "TRACKING", "on", "OPTIN", "REDIRECT", &sub.to_string()], 1_000_000);
    call(&mut s, tracker, &["GET", "a"], 1_000_000);
    call(&mut s, tracker, &["CLIENT", "CACHING", "yes"], 1_000_000);
    call(&mut s, tracker, &["GET", "b"], 1_000_000);
    call(&mut s, tracker, &["GET", "c"], 1_000_000);
    s.take_output();
    call(&mut s, writer, &["MSET", "a", "1", "b", "1", "c", "1"], 1_000_000);
    assert_eq!(received(&mut s, sub), message("*1\r\n$1\r\nb\r\n"));
}
