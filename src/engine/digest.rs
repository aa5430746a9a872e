//! DEBUG DIGEST and DEBUG DIGEST-VALUE computed exactly as Redis computes
//! them, so a node's dataset can be compared with a real server's: keys and
//! unordered elements are XORed together, ordered things are mixed in
//! sequence, every step a SHA-1.

use super::keyspace::{Entry, Keyspace};
use super::numfmt::fmt_g17;
use super::sha1::sha1;
use super::stream::StreamId;
use super::value::Value;

pub type Digest = [u8; 20];

fn xor_digest(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

fn mix_digest(digest: &mut Digest, data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(digest);
}

/// Redis's type numbers, mixed in as 4 big-endian bytes.
fn type_id(value: &Value) -> u32 {
    match value {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    }
}

/// `xorObjectDigest`: the value (and whether it has an expiry) into `digest`.
pub fn mix_entry(digest: &mut Digest, entry: &Entry) {
    mix_digest(digest, &type_id(&entry.value).to_be_bytes());
    match &entry.value {
        Value::Str(s) => mix_digest(digest, &s.bytes),
        Value::List(items) => {
            for item in items {
                mix_digest(digest, item);
            }
        }
        Value::Set(s) => {
            for member in s.members() {
                xor_digest(digest, &member);
            }
        }
        Value::ZSet(z) => {
            for (member, score) in z.iter() {
                let mut element = [0u8; 20];
                mix_digest(&mut element, member);
                mix_digest(&mut element, fmt_g17(score).as_bytes());
                xor_digest(digest, &element);
            }
        }
        Value::Hash(h) => {
            for (field, value) in h.entries() {
                let mut element = [0u8; 20];
                mix_digest(&mut element, field);
                mix_digest(&mut element, value);
                xor_digest(digest, &element);
            }
        }
        // Entries only, in order: consumer groups are not part of it.
        Value::Stream(stream) => {
            for e in stream.range(StreamId::MIN, StreamId::MAX) {
                mix_digest(digest, format!("{}.{}", e.id.ms, e.id.seq).as_bytes());
                for (field, value) in &e.pairs {
                    mix_digest(digest, field);
                    mix_digest(digest, value);
                }
            }
        }
    }
    if entry.expires_at.is_some() {
        xor_digest(digest, b"!!expire!!");
    }
}

/// `computeDatasetDigest`: all zeros for an empty dataset.
pub fn dataset_digest(keyspace: &Keyspace) -> Digest {
    let mut out = [0u8; 20];
    for (index, db) in keyspace.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_digest(&mut out, &(index as u32).to_be_bytes());
        for (key, entry) in db.stored_entries() {
            let mut digest = [0u8; 20];
            mix_digest(&mut digest, key);
            mix_entry(&mut digest, entry);
            xor_digest(&mut out, &digest);
        }
    }
    out
}

pub fn hex(digest: &Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
