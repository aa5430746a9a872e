//! Streams where a golden cannot look: a scenario has one connection per
//! port, so a client parked by XREAD BLOCK and woken by another's XADD is
//! driven here, with the error replies Redis gives a parked XREADGROUP
//! whose key or group went; and what depends on the clock (idle times,
//! XINFO STREAM FULL's delivery times) in virtual time, where it is exact.

use redis_playground::engine::config::Config;
use redis_playground::engine::node::Node;
use redis_playground::engine::resp::encode_command;
use redis_playground::engine::server::Server;

fn bytes(args: &[&str]) -> Vec<u8> {
    let mut request = Vec::new();
    encode_command(&args.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>(), &mut request);
    request
}

fn call(server: &mut Server, client: u64, args: &[&str], now: i64) -> String {
    String::from_utf8_lossy(&server.receive(client, &bytes(args), now).reply).into_owned()
}

fn server() -> Server {
    Server::new(6379, Config::parse(&["enable-debug-command yes"]).expect("config"), "f".repeat(40), 1, 1_000_000)
}

fn outputs(server: &mut Server) -> Vec<(u64, String)> {
    server.take_output().into_iter().map(|(id, b)| (id, String::from_utf8_lossy(&b).into_owned())).collect()
}

#[test]
fn a_parked_xread_wakes_for_entries_after_the_id_it_waited_after() {
    let mut s = server();
    let (reader, writer) = (s.connect(), s.connect());
    call(&mut s, writer, &["XADD", "s", "1-0", "a", "1"], 1_000_000);
    // `$` is the last ID when it blocked: the entry already there is not sent.
    assert_eq!(call(&mut s, reader, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], 1_000_000), "");
    s.take_output();
    call(&mut s, writer, &["XADD", "s", "2-0", "b", "2"], 1_000_010);
    let woken: Vec<(u64, String)> = outputs(&mut s).into_iter().filter(|(id, _)| *id == reader).collect();
    assert_eq!(woken, vec![(reader, "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n".to_string())]);
    // A timeout answers the null array once its virtual time has passed.
    assert_eq!(call(&mut s, reader, &["XREAD", "BLOCK", "50", "STREAMS", "s", "$"], 1_000_020), "");
    s.handle_timeout(1_000_200);
    let answered: Vec<(u64, String)> = outputs(&mut s).into_iter().filter(|(id, _)| *id == reader).collect();
    assert_eq!(answered, vec![(reader, "*-1\r\n".to_string())]);
}

#[test]
fn a_parked_group_read_is_served_new_entries_and_told_when_its_group_or_key_goes() {
    let mut s = server();
    let (reader, writer) = (s.connect(), s.connect());
    call(&mut s, writer, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], 1_000_000);
    assert_eq!(call(&mut s, reader, &["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"], 1_000_000), "");
    call(&mut s, writer, &["XADD", "s", "5-0", "f", "v"], 1_000_100);
    let woken: Vec<String> = outputs(&mut s).into_iter().filter(|(id, _)| *id == reader).map(|(_, o)| o).collect();
    assert_eq!(woken, vec!["*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n".to_string()]);
    // Delivered at the virtual time it was served: 400 ms idle later.
    assert_eq!(call(&mut s, writer, &["XPENDING", "s", "g", "-", "+", "10"], 1_000_500), "*1\r\n*4\r\n$3\r\n5-0\r\n$5\r\nalice\r\n:400\r\n:1\r\n");
    call(&mut s, reader, &["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"], 1_000_600);
    call(&mut s, writer, &["XGROUP", "DESTROY", "s", "g"], 1_000_700);
    let told: Vec<String> = outputs(&mut s).into_iter().filter(|(id, _)| *id == reader).map(|(_, o)| o).collect();
    assert_eq!(told, vec!["-NOGROUP the consumer group this client was blocked on no longer exists\r\n".to_string()]);
    call(&mut s, writer, &["XGROUP", "CREATE", "s", "g", "$"], 1_000_800);
    call(&mut s, reader, &["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"], 1_000_800);
    call(&mut s, writer, &["DEL", "s"], 1_000_900);
    let told: Vec<String> = outputs(&mut s).into_iter().filter(|(id, _)| *id == reader).map(|(_, o)| o).collect();
    assert_eq!(told, vec!["-UNBLOCKED the stream key no longer exists\r\n".to_string()]);
    let stats = call(&mut s, writer, &["INFO", "errorstats"], 1_001_000);
    assert!(stats.contains("errorstat_NOGROUP:count=1") && stats.contains("errorstat_UNBLOCKED:count=1"), "{stats}");
}

#[test]
fn idle_times_and_full_info_follow_virtual_time() {
    let mut s = server();
    let c = s.connect();
    call(&mut s, c, &["XADD", "s", "1-0", "f", "v"], 1_000_000);
    call(&mut s, c, &["XGROUP", "CREATE", "s", "g", "0"], 1_000_000);
    call(&mut s, c, &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"], 1_000_000);
    assert_eq!(
        call(&mut s, c, &["XINFO", "CONSUMERS", "s", "g"], 1_000_250),
        "*1\r\n*6\r\n$4\r\nname\r\n$3\r\nbob\r\n$7\r\npending\r\n:1\r\n$4\r\nidle\r\n:250\r\n"
    );
    let full = call(&mut s, c, &["XINFO", "STREAM", "s", "FULL"], 1_000_300);
    assert!(full.contains("$9\r\nseen-time\r\n:1000000\r\n"), "{full}");
    assert!(full.contains("*4\r\n$3\r\n1-0\r\n$3\r\nbob\r\n:1000000\r\n:1\r\n"), "{full}");
    // XCLAIM's IDLE sets the delivery time back; min-idle-time then counts it.
    assert_eq!(call(&mut s, c, &["XCLAIM", "s", "g", "carol", "5000", "1-0", "JUSTID"], 1_000_300), "*0\r\n");
    assert_eq!(call(&mut s, c, &["XCLAIM", "s", "g", "carol", "0", "1-0", "IDLE", "6000", "JUSTID"], 1_000_300), "*1\r\n$3\r\n1-0\r\n");
    assert_eq!(call(&mut s, c, &["XCLAIM", "s", "g", "dave", "5000", "1-0", "JUSTID"], 1_000_300), "*1\r\n$3\r\n1-0\r\n");
}

#[test]
fn streams_with_groups_survive_dump_restore_and_debug_reload() {
    let mut s = server();
    let c = s.connect();
    call(&mut s, c, &["CONFIG", "SET", "stream-node-max-entries", "2"], 1_000_000);
    for i in 1..=7 {
        call(&mut s, c, &["XADD", "s", &format!("{i}-0"), "f", &i.to_string()], 1_000_000);
    }
    call(&mut s, c, &["XDEL", "s", "3-0"], 1_000_000);
    call(&mut s, c, &["XGROUP", "CREATE", "s", "g", "0"], 1_000_000);
    call(&mut s, c, &["XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">"], 1_000_000);
    call(&mut s, c, &["XGROUP", "CREATECONSUMER", "s", "g", "idle"], 1_000_000);
    let before = call(&mut s, c, &["XINFO", "STREAM", "s", "FULL"], 1_000_100);
    let dump = s.receive(c, &bytes(&["DUMP", "s"]), 1_000_100).reply;
    let payload_at = dump.iter().position(|&b| b == b'\n').unwrap() + 1;
    let payload = dump[payload_at..dump.len() - 2].to_vec();
    let mut restore = Vec::new();
    encode_command(&[b"RESTORE".to_vec(), b"copy".to_vec(), b"0".to_vec(), payload], &mut restore);
    assert_eq!(String::from_utf8_lossy(&s.receive(c, &restore, 1_000_100).reply), "+OK\r\n");
    assert_eq!(call(&mut s, c, &["XINFO", "STREAM", "copy", "FULL"], 1_000_100), before);
    assert_eq!(call(&mut s, c, &["DEBUG", "RELOAD"], 1_000_100), "+OK\r\n");
    assert_eq!(call(&mut s, c, &["XINFO", "STREAM", "s", "FULL"], 1_000_100), before);
    assert_eq!(call(&mut s, c, &["DEBUG", "DIGEST-VALUE", "s"], 1_000_100), call(&mut s, c, &["DEBUG", "DIGEST-VALUE", "copy"], 1_000_100));
    // A payload cut short or bent is refused, and the key is left alone.
    let mut bent = dump[payload_at..dump.len() - 2].to_vec();
    bent.truncate(bent.len() / 2);
    let mut request = Vec::new();
    encode_command(&[b"RESTORE".to_vec(), b"bad".to_vec(), b"0".to_vec(), bent], &mut request);
    assert!(String::from_utf8_lossy(&s.receive(c, &request, 1_000_100).reply).starts_with("-ERR"));
    assert_eq!(call(&mut s, c, &["EXISTS", "bad"], 1_000_100), ":0\r\n");
}
