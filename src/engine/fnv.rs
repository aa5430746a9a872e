//! FNV-1a, the engine's one hasher: a fixed hash, so that iteration order
//! (KEYS, RANDOMKEY, SCAN) is the same on every run and every platform,
//! which determinism requires.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub type FixedHashMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;
pub type FixedHashSet<T> = HashSet<T, BuildHasherDefault<Fnv>>;
