//! RDB snapshots, version 10 (Redis 7.0): writing every encoding Redis 7.0
//! writes, and reading those plus what older versions wrote (ziplists,
//! zipmaps, quicklist 1, string-score zsets, streams of Redis 5 and 6).
//! Modules, function libraries and Redis 7.2's types are refused with a
//! typed error that says what and where.
//!
//! - `lzf.rs`, `crc64.rs`: compression and checksum;
//! - `listpack.rs`: listpacks, ziplists, zipmaps and intsets;
//! - `write.rs` / `read.rs`: the file and DUMP payloads.

pub mod crc64;
pub mod listpack;
pub mod lzf;
mod read;
mod write;

use std::fmt;

pub use read::{decode, decode_dump, decode_functions_payload, RdbFile};
pub use write::{dump_payload, encode, functions_payload, quicklist_nodes, serialized_len, write_record, SaveOptions};

pub const RDB_VERSION: u16 = 10;

// Value types.
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;

// Opcodes.
pub const OP_FUNCTION2: u8 = 245;
pub const OP_FUNCTION: u8 = 246;
pub const OP_MODULE_AUX: u8 = 247;
pub const OP_IDLE: u8 = 248;
pub const OP_FREQ: u8 = 249;
pub const OP_AUX: u8 = 250;
pub const OP_RESIZEDB: u8 = 251;
pub const OP_EXPIRETIME_MS: u8 = 252;
pub const OP_EXPIRETIME: u8 = 253;
pub const OP_SELECTDB: u8 = 254;
pub const OP_EOF: u8 = 255;

/// Why a file or payload could not be loaded; `offset` is the byte where
/// the problem was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RdbError {
    NotRdb,
    UnsupportedVersion(u16),
    Truncated { offset: usize },
    Corrupt { offset: usize, what: String },
    /// Valid RDB content the playground does not model (streams, modules).
    Unsupported { offset: usize, what: String },
    BadChecksum { expected: u64, found: u64 },
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::NotRdb => write!(f, "not an RDB file (it does not start with REDIS)"),
            RdbError::UnsupportedVersion(v) => write!(f, "RDB version {v} is not supported (versions 1 to 10 are)"),
            RdbError::Truncated { offset } => write!(f, "the file ends too early, at byte {offset}"),
            RdbError::Corrupt { offset, what } => write!(f, "corrupt data at byte {offset}: {what}"),
            RdbError::Unsupported { offset, what } => write!(f, "at byte {offset}: {what} is not supported by the playground"),
            RdbError::BadChecksum { expected, found } => {
                write!(f, "wrong CRC64 checksum: the file says {expected:016x}, its content gives {found:016x}")
            }
        }
    }
}

impl std::error::Error for RdbError {}
