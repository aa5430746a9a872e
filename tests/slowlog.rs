//! SLOWLOG entries and the latency monitor in virtual time, where real
//! Redis's timings cannot be recorded: what an entry holds (trimmed and
//! redacted arguments, the client's address and name), which commands are
//! logged, LATENCY HISTORY's one sample per second, LATENCY HISTOGRAM's
//! buckets.

use redis_playground::engine::config::Config;
use redis_playground::engine::resp::encode_command;
use redis_playground::engine::server::Server;

fn call(server: &mut Server, client: u64, args: &[&str], now: i64) -> String {
    // A DEBUG SLEEP that is over ends before the next command comes.
    server.wake_up(now);
    server.take_output();
    let mut request = Vec::new();
    encode_command(
        &args
            .iter()
            .map(|a| a.as_bytes().to_vec())
            .collect::<Vec<_>>(),
        &mut request,
    );
    String::from_utf8_lossy(&server.receive(client, &request, now).reply).into_owned()
}

fn server() -> (Server, u64) {
    let mut server = Server::new(
        6379,
        Config::parse(&["enable-debug-command yes"]).expect("config"),
        "s".repeat(40),
        1,
        1_000_000,
    );
    let client = server.connect();
    (server, client)
}

#[test]
fn an_entry_holds_the_trimmed_redacted_command_its_duration_and_client() {
    let (mut server, client) = server();
    let t = 1_700_000_000_000;
    call(
        &mut server,
        client,
        &["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        t,
    );
    call(&mut server, client, &["CLIENT", "SETNAME", "worker"], t);
    call(&mut server, client, &["SLOWLOG", "RESET"], t);
    let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let mut sadd = vec!["SADD", "set"];
    sadd.extend(many.iter().map(String::as_str));
    call(&mut server, client, &sadd, t);
    let long = "A".repeat(130);
    call(&mut server, client, &["SET", "k", &long], t);
    call(
        &mut server,
        client,
        &["CONFIG", "SET", "masterauth", "secret"],
        t,
    );
    let log = call(&mut server, client, &["SLOWLOG", "GET", "-1"], t);
    // Newest first: CONFIG SET (redacted), SET (trimmed), SADD (31 args and a count).
    let entries: Vec<&str> = log.split("*6\r\n").skip(1).collect();
    assert_eq!(entries.len(), 4, "{log}");
    assert!(
        entries[0].contains("$10\r\nmasterauth\r\n$10\r\n(redacted)\r\n"),
        "{}",
        entries[0]
    );
    assert!(
        entries[0].contains(":1700000000\r\n:1\r\n"),
        "time and a microsecond: {}",
        entries[0]
    );
    assert!(entries[0].ends_with("$6\r\nworker\r\n"), "{}", entries[0]);
    assert!(
        entries[1].contains(&format!(
            "$146\r\n{}... (2 more bytes)\r\n",
            "A".repeat(128)
        )),
        "{}",
        entries[1]
    );
    assert!(
        entries[2].starts_with(":3\r\n"),
        "ids go on after a reset: {}",
        entries[2]
    );
    assert!(
        entries[2].contains("*32\r\n$4\r\nSADD\r\n")
            && entries[2].contains("$23\r\n... (11 more arguments)\r\n"),
        "{}",
        entries[2]
    );
    assert!(entries[3].contains("SLOWLOG") && entries[3].contains("RESET"));
}

#[test]
fn only_a_sleep_is_slow_and_the_monitor_keeps_one_sample_a_second() {
    let (mut server, client) = server();
    let t = 1_700_000_000_000;
    call(
        &mut server,
        client,
        &["CONFIG", "SET", "latency-monitor-threshold", "100"],
        t,
    );
    call(
        &mut server,
        client,
        &["CONFIG", "SET", "slowlog-log-slower-than", "100000"],
        t,
    );
    call(&mut server, client, &["MULTI"], t);
    call(&mut server, client, &["DEBUG", "SLEEP", "0.3"], t);
    call(&mut server, client, &["EXEC"], t);
    call(&mut server, client, &["DEBUG", "SLEEP", "0.2"], t + 300);
    call(&mut server, client, &["DEBUG", "SLEEP", "0.5"], t + 2_000);
    let log = call(&mut server, client, &["SLOWLOG", "GET"], t + 3_000);
    // The two sleeps, and the one inside MULTI, not EXEC.
    assert_eq!(log.matches("*6\r\n").count(), 3, "{log}");
    assert!(
        log.contains(":300000\r\n") && !log.contains("EXEC"),
        "{log}"
    );
    let history = call(
        &mut server,
        client,
        &["LATENCY", "HISTORY", "command"],
        t + 3_000,
    );
    // 300 and 200 in the same second keep the worst.
    assert_eq!(
        history,
        "*2\r\n*2\r\n:1700000000\r\n:300\r\n*2\r\n:1700000002\r\n:500\r\n"
    );
    let latest = call(&mut server, client, &["LATENCY", "LATEST"], t + 3_000);
    assert_eq!(
        latest,
        "*1\r\n*4\r\n$7\r\ncommand\r\n:1700000002\r\n:500\r\n:500\r\n"
    );
    let histogram = call(
        &mut server,
        client,
        &["LATENCY", "HISTOGRAM", "debug", "ping"],
        t + 3_000,
    );
    // 0.2 s falls under 2^18 * 1024 ns, 0.3 and 0.5 under 2^19 * 1024 ns.
    assert_eq!(histogram, "*2\r\n$5\r\ndebug\r\n*4\r\n$5\r\ncalls\r\n:3\r\n$14\r\nhistogram_usec\r\n*4\r\n:268435\r\n:1\r\n:536870\r\n:3\r\n");
    call(&mut server, client, &["CONFIG", "RESETSTAT"], t + 3_000);
    assert_eq!(call(&mut server, client, &["LATENCY", "HISTOGRAM"], t + 3_000), "*2\r\n$16\r\nconfig|resetstat\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*2\r\n:1\r\n:1\r\n");
}
