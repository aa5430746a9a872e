//! Keyspace notifications (`notify-keyspace-events`): the classes of
//! events, read from the parameter's letters as Redis reads them, and the
//! event a command raised, published after it on
//! `__keyspace@DB__:KEY` (the event's name) and `__keyevent@DB__:EVENT`
//! (the key).

pub const GENERIC: u16 = 1 << 0;
pub const STRING: u16 = 1 << 1;
pub const LIST: u16 = 1 << 2;
pub const SET: u16 = 1 << 3;
pub const HASH: u16 = 1 << 4;
pub const ZSET: u16 = 1 << 5;
pub const EXPIRED: u16 = 1 << 6;
pub const EVICTED: u16 = 1 << 7;
pub const STREAM: u16 = 1 << 8;
pub const KEY_MISS: u16 = 1 << 9;
pub const MODULE: u16 = 1 << 10;
pub const NEW: u16 = 1 << 11;
/// Where events go: `__keyspace@…` and `__keyevent@…` channels.
pub const KEYSPACE: u16 = 1 << 12;
pub const KEYEVENT: u16 = 1 << 13;
/// `A`: every class but key misses and new keys.
const ALL: u16 = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// The classes a `notify-keyspace-events` value turns on, with K and E.
/// Nothing is published unless K or E is there too.
pub fn classes(value: &str) -> u16 {
    let mut flags = 0;
    for c in value.chars() {
        flags |= match c {
            'A' => ALL,
            'g' => GENERIC,
            '$' => STRING,
            'l' => LIST,
            's' => SET,
            'h' => HASH,
            'z' => ZSET,
            'x' => EXPIRED,
            'e' => EVICTED,
            't' => STREAM,
            'm' => KEY_MISS,
            'd' => MODULE,
            'n' => NEW,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            _ => 0,
        };
    }
    if flags & (KEYSPACE | KEYEVENT) == 0 {
        0
    } else {
        flags
    }
}

/// One event a command raised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEvent {
    pub class: u16,
    pub event: &'static str,
    pub db: usize,
    pub key: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_read_as_redis_reads_them() {
        assert_eq!(classes(""), 0);
        assert_eq!(classes("A"), 0, "no K or E: nothing is published");
        assert_eq!(classes("KEA") & (GENERIC | EXPIRED | KEYSPACE | KEYEVENT), GENERIC | EXPIRED | KEYSPACE | KEYEVENT);
        assert_eq!(classes("KEA") & (KEY_MISS | NEW), 0);
        assert_eq!(classes("El"), LIST | KEYEVENT);
    }
}
