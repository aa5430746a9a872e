//! ACL where the golden `acl` cannot look: ACL LOG (its entries carry
//! client ids and ages), connections closed when their user is deleted or
//! loses a channel, and EXEC refusing a queued command whose permission
//! went away in the meantime.

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
    Server::new(6379, Config::parse::<&str>(&[]).expect("config"), "f".repeat(40), 1, 1_000_000)
}

#[test]
fn the_log_groups_similar_refusals_and_says_who_where_and_when() {
    let mut s = server();
    let (admin, c) = (s.connect(), s.connect());
    call(&mut s, admin, &["ACL", "SETUSER", "u", "on", ">pw", "~k*", "+get"], 1_000_000);
    call(&mut s, c, &["AUTH", "u", "pw"], 1_000_000);
    assert!(call(&mut s, c, &["SET", "k", "v"], 1_000_000).starts_with("-NOPERM this user has no permissions to run the 'set' command"));
    call(&mut s, c, &["SET", "k", "v"], 1_000_500);
    call(&mut s, c, &["GET", "other"], 1_001_000);
    call(&mut s, c, &["AUTH", "u", "bad"], 1_001_000);
    call(&mut s, c, &["MULTI"], 1_001_000);
    let log = call(&mut s, admin, &["ACL", "LOG"], 1_003_000);
    // Newest first: auth, key, then the two SETs as one entry counted twice.
    let reasons: Vec<&str> = log.split("$6\r\nreason\r\n").skip(1).map(|r| r.split("\r\n").nth(1).unwrap_or("")).collect();
    assert_eq!(reasons, ["command", "auth", "key", "command"], "{log}");
    assert!(log.contains("$5\r\ncount\r\n:2\r\n"), "{log}");
    assert!(log.contains("$6\r\nobject\r\n$5\r\nother\r\n"), "{log}");
    assert!(log.contains("$11\r\nage-seconds\r\n$1\r\n2\r\n"), "{log}");
    assert!(log.contains(&format!("id={c} ")) && log.contains(" user=u "), "{log}");
    // The MULTI refusal came from inside no transaction: toplevel; one queued is `multi`.
    assert!(log.contains("$7\r\ncontext\r\n$8\r\ntoplevel\r\n"), "{log}");
    assert_eq!(call(&mut s, admin, &["ACL", "LOG", "1"], 1_003_000).matches("$5\r\ncount\r\n").count(), 1);
    assert_eq!(call(&mut s, admin, &["ACL", "LOG", "RESET"], 1_003_000), "+OK\r\n");
    assert_eq!(call(&mut s, admin, &["ACL", "LOG"], 1_003_000), "*0\r\n");
    call(&mut s, admin, &["CONFIG", "SET", "acllog-max-len", "2"], 1_003_000);
    for key in ["a", "b", "c"] {
        call(&mut s, c, &["GET", key], 1_003_000);
    }
    assert_eq!(call(&mut s, admin, &["ACL", "LOG"], 1_003_000).matches("$5\r\ncount\r\n").count(), 2);
}

#[test]
fn exec_refuses_what_is_no_longer_allowed() {
    let mut s = server();
    let (admin, c) = (s.connect(), s.connect());
    call(&mut s, admin, &["ACL", "SETUSER", "u", "on", "nopass", "~*", "+@all"], 1_000_000);
    call(&mut s, c, &["AUTH", "u", "x"], 1_000_000);
    call(&mut s, c, &["MULTI"], 1_000_000);
    assert_eq!(call(&mut s, c, &["SET", "k", "v"], 1_000_000), "+QUEUED\r\n");
    assert_eq!(call(&mut s, c, &["GET", "k"], 1_000_000), "+QUEUED\r\n");
    call(&mut s, admin, &["ACL", "SETUSER", "u", "-set"], 1_000_000);
    let reply = call(&mut s, c, &["EXEC"], 1_000_000);
    assert!(reply.starts_with("*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n"), "{reply}");
    // A refusal while queueing aborts the transaction.
    call(&mut s, c, &["MULTI"], 1_000_000);
    assert!(call(&mut s, c, &["SET", "k", "v"], 1_000_000).starts_with("-NOPERM"));
    assert!(call(&mut s, c, &["EXEC"], 1_000_000).starts_with("-EXECABORT"));
}

#[test]
fn deleted_users_and_revoked_channels_close_connections() {
    let mut s = server();
    let (admin, a, sub) = (s.connect(), s.connect(), s.connect());
    call(&mut s, admin, &["ACL", "SETUSER", "u", "on", "nopass", "~*", "&news", "+@all"], 1_000_000);
    call(&mut s, a, &["AUTH", "u", "x"], 1_000_000);
    call(&mut s, sub, &["AUTH", "u", "x"], 1_000_000);
    assert!(call(&mut s, sub, &["SUBSCRIBE", "news"], 1_000_000).starts_with("*3"));
    assert!(call(&mut s, sub, &["SUBSCRIBE", "sports"], 1_000_000).starts_with("-NOPERM this user has no permissions to access one of the channels"));
    // Still allowed: the subscriber stays.
    call(&mut s, admin, &["ACL", "SETUSER", "u", "&other"], 1_000_000);
    assert!(s.is_connected(sub));
    call(&mut s, admin, &["ACL", "SETUSER", "u", "resetchannels", "&other"], 1_000_000);
    assert!(!s.is_connected(sub));
    assert!(s.is_connected(a));
    assert_eq!(call(&mut s, admin, &["ACL", "DELUSER", "u"], 1_000_000), ":1\r\n");
    assert!(!s.is_connected(a));
    assert!(s.is_connected(admin));
}

#[test]
fn an_acl_file_is_read_at_start_saved_and_loaded_again() {
    use redis_playground::engine::disk::Disk;
    let config = Config::parse(&["aclfile users.acl", "dir /data"]).expect("config");
    let missing = Server::start(6379, config.clone(), "f".repeat(40), 1, 0, &Disk::default());
    assert!(missing.err().is_some_and(|e| e.contains("Error loading ACLs, opening file 'users.acl': No such file or directory")));
    let mut disk = Disk::default();
    disk.write("/data/users.acl", b"user default on nopass ~* &* +@all\nuser ann on >pw ~a* +get\n".to_vec());
    let mut s = Server::start(6379, config.clone(), "f".repeat(40), 1, 0, &disk).expect("start");
    let c = s.connect();
    assert!(call(&mut s, c, &["ACL", "LIST"], 0).contains("user ann on #"));
    call(&mut s, c, &["ACL", "SETUSER", "bob", "on", "nopass"], 0);
    assert_eq!(call(&mut s, c, &["ACL", "SAVE"], 0), "+OK\r\n");
    let written: Vec<(String, Vec<u8>)> = std::iter::from_fn(|| s.poll_output())
        .filter_map(|o| match o {
            redis_playground::engine::node::Output::DiskWrite { path, bytes } => Some((path, bytes)),
            _ => None,
        })
        .collect();
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].0, "/data/users.acl");
    assert!(String::from_utf8_lossy(&written[0].1).contains("user bob on nopass resetchannels -@all\n"));
    call(&mut s, c, &["ACL", "DELUSER", "bob"], 0);
    assert_eq!(call(&mut s, c, &["ACL", "LOAD"], 0), "+OK\r\n");
    assert_eq!(call(&mut s, c, &["ACL", "USERS"], 0), "*3\r\n$3\r\nann\r\n$3\r\nbob\r\n$7\r\ndefault\r\n");
    // A broken file changes nothing and says why, line by line.
    let mut broken = Disk::default();
    broken.write("/data/users.acl", b"user ann on +nosuch\nbogus line\n".to_vec());
    let refused = Server::start(6379, config, "f".repeat(40), 1, 0, &broken).err().unwrap_or_default();
    assert!(refused.contains("users.acl:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. users.acl:2 should start with user keyword followed by the username."), "{refused}");
}
