//! The AOF's files, which the golden `aof` only sees through the data they
//! bring back: the manifest, the base RDB marked `aof-base`, the
//! incremental file in RESP with SELECT and MULTI/EXEC and without
//! PUBLISH, the history files a rewrite removes, INFO's fields, and a
//! replica's AOF made of what its master sends.

use redis_playground::engine::config::Config;
use redis_playground::engine::disk::Disk;
use redis_playground::engine::node::{Node, Output};
use redis_playground::engine::resp::encode_command;
use redis_playground::engine::server::Server;

fn call(server: &mut Server, client: u64, args: &[&str], now: i64) -> String {
    let mut request = Vec::new();
    encode_command(&args.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>(), &mut request);
    String::from_utf8_lossy(&server.receive(client, &request, now).reply).into_owned()
}

/// Applies what the server wrote to its disk.
fn sync_disk(server: &mut Server, disk: &mut Disk) {
    while let Some(output) = server.poll_output() {
        match output {
            Output::DiskWrite { path, bytes } => disk.write(&path, bytes),
            Output::DiskAppend { path, bytes } => disk.append(&path, &bytes),
            Output::DiskRemove { path } => disk.remove(&path),
            _ => {}
        }
    }
}

fn text(disk: &Disk, path: &str) -> String {
    String::from_utf8_lossy(disk.read(path).unwrap_or_default()).into_owned()
}

#[test]
fn files_follow_writes_and_rewrites() {
    let config = Config::parse(&["appendonly yes", "dir /d", "enable-debug-command yes"]).expect("config");
    let mut disk = Disk::default();
    let mut s = Server::start(6379, config.clone(), "f".repeat(40), 1, 1_000_000, &disk).expect("start");
    sync_disk(&mut s, &mut disk);
    assert_eq!(
        text(&disk, "/d/appendonlydir/appendonly.aof.manifest"),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(disk.read("/d/appendonlydir/appendonly.aof.1.base.rdb").is_some_and(|b| b.starts_with(b"REDIS0010") && b.windows(8).any(|w| w == b"aof-base")));
    let c = s.connect();
    call(&mut s, c, &["SET", "k", "v"], 1_000_001);
    call(&mut s, c, &["SELECT", "3"], 1_000_001);
    call(&mut s, c, &["MULTI"], 1_000_001);
    call(&mut s, c, &["INCR", "n"], 1_000_001);
    call(&mut s, c, &["PUBLISH", "ch", "m"], 1_000_001);
    call(&mut s, c, &["EXPIRE", "n", "100"], 1_000_001);
    call(&mut s, c, &["EXEC"], 1_000_001);
    sync_disk(&mut s, &mut disk);
    let incr = text(&disk, "/d/appendonlydir/appendonly.aof.1.incr.aof");
    assert!(incr.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*1\r\n$5\r\nMULTI\r\n"), "{incr}");
    assert!(incr.contains("PEXPIREAT") && incr.ends_with("*1\r\n$4\r\nEXEC\r\n") && !incr.contains("PUBLISH"), "{incr}");
    let info = call(&mut s, c, &["INFO", "persistence"], 1_000_001);
    assert!(info.contains("aof_enabled:1") && info.contains(&format!("aof_current_size:{}", incr.len() + disk.read("/d/appendonlydir/appendonly.aof.1.base.rdb").map_or(0, <[u8]>::len))), "{info}");
    assert!(call(&mut s, c, &["BGREWRITEAOF"], 1_000_002).starts_with("+Background append only file rewriting started"));
    assert!(call(&mut s, c, &["BGREWRITEAOF"], 1_000_002).starts_with("-ERR Background append only file rewriting already in progress"));
    assert!(call(&mut s, c, &["INFO", "persistence"], 1_000_002).contains("aof_rewrite_in_progress:1"));
    s.handle_timeout(1_000_300);
    sync_disk(&mut s, &mut disk);
    assert_eq!(
        text(&disk, "/d/appendonlydir/appendonly.aof.manifest"),
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    assert!(disk.read("/d/appendonlydir/appendonly.aof.1.base.rdb").is_none() && disk.read("/d/appendonlydir/appendonly.aof.1.incr.aof").is_none());
    assert!(call(&mut s, c, &["INFO", "persistence"], 1_000_300).contains("aof_rewrites:1"));
    // A restart reads what the files hold.
    let digest = call(&mut s, c, &["DEBUG", "DIGEST"], 1_000_300);
    let mut again = Server::start(6379, config, "f".repeat(40), 1, 1_000_400, &disk).expect("restart");
    let c = again.connect();
    assert_eq!(call(&mut again, c, &["DEBUG", "DIGEST"], 1_000_400), digest);
}

#[test]
fn a_corrupt_manifest_stops_the_start() {
    let config = Config::parse(&["appendonly yes"]).expect("config");
    let mut disk = Disk::default();
    disk.write("/var/lib/redis/appendonlydir/appendonly.aof.manifest", b"file appendonly.aof.1.base.rdb seq 1 type b\n".to_vec());
    let refused = Server::start(6379, config.clone(), "f".repeat(40), 1, 0, &disk).err().unwrap_or_default();
    assert!(refused.contains("doesn't exist"), "{refused:?}");
    disk.write("/var/lib/redis/appendonlydir/appendonly.aof.manifest", b"garbage\n".to_vec());
    assert!(Server::start(6379, config, "f".repeat(40), 1, 0, &disk).is_err());
}

/// A replica's AOF holds what its master sends, and after a full sync it
/// starts again from the new data (Redis turns it off and on): a restart
/// from the AOF alone gives the replica the data it had.
#[test]
fn a_replica_appends_its_master_stream_and_restarts_its_aof_after_a_sync() {
    use redis_playground::scenario::{self, RunOptions};
    let steps = scenario::parse(
        "server 6379 enable-debug-command local\n\
         6379> SET before-sync 1\n\
         server 6380 appendonly yes ; enable-debug-command local ; replicaof 127.0.0.1 6379\n\
         waitsync 6380\n\
         6379> SET after-sync 2\n\
         6379> RPUSH list a b\n\
         sleep 1s\n\
         6380> DEBUG DIGEST\n\
         6380> REPLICAOF NO ONE\n\
         6380> DEBUG LOADAOF\n\
         6380> DEBUG DIGEST\n\
         6380> KEYS *\n",
    )
    .expect("parses");
    let (transcript, sim) = scenario::run_on_sim(&steps, RunOptions::default()).expect("runs");
    let text = transcript.join("\n");
    let digests: Vec<&str> = text.lines().filter(|l| l.len() == 40 && l.bytes().all(|b| b.is_ascii_hexdigit())).collect();
    assert_eq!(digests.len(), 2, "{text}");
    assert_eq!(digests[0], digests[1], "the AOF rebuilt the same data:\n{text}");
    assert!(text.contains("\"before-sync\"") && text.contains("\"after-sync\""), "{text}");
    let disk = sim.disk(6380).expect("the replica's disk");
    let manifest = disk.files.iter().find(|(p, _)| p.ends_with("appendonly.aof.manifest")).map(|(_, b)| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    assert!(manifest.contains("appendonly.aof.2.base.rdb"), "rewritten after the sync: {manifest}");
}
