//! One client as CLIENT LIST and CLIENT INFO print it: redis-server and
//! redis-sentinel write the same line.

use super::node::ClientId;
use super::time::Millis;

/// A client's query buffer once it has read: Redis reads 16 KiB at a time
/// into a buffer jemalloc sizes at 20480 bytes, 6 of them the sds header.
pub(crate) const QUERY_READ_BUFFER: usize = 20474;
/// Redis trims a buffer past this size to its recent peak (PROTO_RESIZE_THRESHOLD).
pub(crate) const QUERY_RESIZE_THRESHOLD: usize = 32 * 1024;

pub(crate) struct ClientLine<'a> {
    pub id: ClientId,
    pub port: u16,
    pub name: &'a [u8],
    pub age: Millis,
    pub idle: Millis,
    pub flags: &'a str,
    pub db: usize,
    pub sub: usize,
    pub psub: usize,
    pub ssub: usize,
    pub multi: i64,
    /// The full name of its last command (`client|list`).
    pub cmd: &'a str,
    /// The command being run, when the client is the one asking.
    pub running: Option<&'a [Vec<u8>]>,
    /// The ACL user it is authenticated as.
    pub user: &'a [u8],
    /// Its query buffer: what it holds in all (used and free), and the
    /// bytes of commands not complete yet.
    pub query_buffer: usize,
    pub pending: usize,
}

impl ClientLine<'_> {
    pub(crate) fn render(&self) -> String {
        let (qbuf, argv_mem) = match self.running {
            Some(args) => {
                let mut bytes = Vec::new();
                super::resp::encode_command(args, &mut bytes);
                (bytes.len(), args.iter().map(Vec::len).sum::<usize>())
            }
            None => (self.pending, 0),
        };
        let qbuf_free = self.query_buffer.saturating_sub(qbuf);
        format!(
            "id={} addr=127.0.0.1:{} laddr=127.0.0.1:{} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={qbuf} qbuf-free={qbuf_free} argv-mem={argv_mem} multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem={} events=r cmd={} user={} redir=-1 resp=2",
            self.id,
            client_port(self.id),
            self.port,
            7 + self.id,
            String::from_utf8_lossy(self.name),
            self.age,
            self.idle,
            self.flags,
            self.db,
            self.sub,
            self.psub,
            self.ssub,
            self.multi,
            16_384 + qbuf + qbuf_free + argv_mem + 790,
            if self.cmd.is_empty() { "NULL" } else { self.cmd },
            String::from_utf8_lossy(self.user),
        )
    }
}

/// The port a client connects from, as CLIENT LIST and MONITOR show it.
pub(crate) fn client_port(id: ClientId) -> u64 {
    40_000 + id
}
