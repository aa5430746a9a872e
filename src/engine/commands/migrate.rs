//! MIGRATE: moves keys to another server as RESTORE commands sent over a
//! connection of the server's own. This file reads the command and finds
//! the keys; `server/migrate.rs` talks to the target and answers.

use super::{eq_ignore_case, err, int_arg, syntax_error};
use crate::engine::node::{is_local_host, ClientId};
use crate::engine::rdb::{dump_payload, SaveOptions};
use crate::engine::resp::Frame;
use crate::engine::server::migrate::MigrateRequest;
use crate::engine::server::Server;
use crate::engine::time::Millis;

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key...].
pub fn migrate(server: &mut Server, id: ClientId, args: &[Vec<u8>], now: Millis) -> Vec<Frame> {
    let (mut copy, mut replace, mut auth) = (false, false, None);
    let mut keys: &[Vec<u8>] = &args[3..4];
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let option = &args[j];
        if eq_ignore_case(option, "copy") {
            copy = true;
        } else if eq_ignore_case(option, "replace") {
            replace = true;
        } else if eq_ignore_case(option, "auth") {
            if more == 0 {
                return vec![syntax_error()];
            }
            j += 1;
            auth = Some((None, args[j].clone()));
        } else if eq_ignore_case(option, "auth2") {
            if more < 2 {
                return vec![syntax_error()];
            }
            auth = Some((Some(args[j + 1].clone()), args[j + 2].clone()));
            j += 2;
        } else if eq_ignore_case(option, "keys") {
            if !args[3].is_empty() {
                return vec![err("When using MIGRATE KEYS option, the key argument must be set to the empty string")];
            }
            keys = &args[j + 1..];
            break;
        } else {
            return vec![syntax_error()];
        }
        j += 1;
    }
    let (timeout, target_db) = match (int_arg(&args[5]), int_arg(&args[4])) {
        (Ok(t), Ok(db)) => (t, db),
        (Err(e), _) | (_, Err(e)) => return vec![e],
    };
    let timeout = if timeout <= 0 { 1000 } else { timeout };
    let Some(source_db) = server.clients.get(&id).map(|c| c.state.db) else { return Vec::new() };
    let options = SaveOptions {
        compression: server.settings.rdbcompression,
        list_max_listpack_size: server.settings.list_max_listpack_size,
        ..Default::default()
    };
    let mut found = Vec::new();
    for key in keys {
        match server.keyspace.dbs[source_db].get(key, now) {
            Some(entry) => {
                found.push((key.clone(), dump_payload(&entry.value, &options), entry.expires_at));
                server.stats.keyspace_hits += 1;
            }
            None => {
                server.stats.keyspace_misses += 1;
                server.notify_keyspace_event(crate::engine::notify::KEY_MISS, "keymiss", key, source_db);
            }
        }
    }
    // A key found expired just now is deleted, on replicas too.
    server.report_expired();
    if found.is_empty() {
        return vec![Frame::Simple("NOKEY".into())];
    }
    if server.in_exec(id) || server.clients.get(&id).is_some_and(|c| c.state.in_script) {
        // The playground's nodes wait for another node only between
        // commands; Redis blocks inside the transaction or script.
        return vec![err("MIGRATE inside MULTI/EXEC or a script is not supported by the playground")];
    }
    // The port as C's atoi reads it; Redis's connect refuses a negative
    // one, and a name that is not this machine does not resolve.
    let port = port_number(&args[2]);
    let host = String::from_utf8_lossy(&args[1]).into_owned();
    if port < 0 || !is_local_host(&host) {
        return vec![Frame::error("IOERR error or timeout connecting to the client")];
    }
    let name = format!("{}:{}", host, String::from_utf8_lossy(&args[2]));
    let request = MigrateRequest {
        name,
        host,
        port: port as u16,
        auth,
        target_db,
        timeout,
        copy,
        replace,
        source_db,
        keys: found,
    };
    server.start_migration(id, request, now);
    Vec::new()
}

/// The port as C's atoi reads it into an `int`.
fn port_number(bytes: &[u8]) -> i64 {
    crate::engine::numfmt::atoi(bytes) as i32 as i64
}

#[cfg(test)]
mod tests {
    use super::port_number;

    #[test]
    fn ports_read_as_atoi_reads_them() {
        assert_eq!(port_number(b"6380"), 6380);
        assert_eq!(port_number(b"6380x"), 6380);
        assert_eq!(port_number(b"notaport"), 0);
        assert_eq!(port_number(b" -1"), -1);
        assert_eq!(port_number(b"70000") as u16, 4464);
    }
}
