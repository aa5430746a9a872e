//! The engine's hash tables: FNV-1a, a fixed hash, in tables that iterate
//! in the order of their operations (insertion, with swap-remove) rather
//! than of their hashes, so that iteration order (KEYS, RANDOMKEY, SCAN,
//! the keys of a snapshot) is the same on every run and on every platform:
//! std's HashMap probes differently on wasm32 than on x86_64, which made
//! a seed's snapshot bytes differ between the page and the native build.

use std::hash::{BuildHasherDefault, Hasher};

use indexmap::{IndexMap, IndexSet};

#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    // Lengths hash as 64 bits on every platform.
    fn write_usize(&mut self, n: usize) {
        self.write(&(n as u64).to_le_bytes());
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

pub type FixedHashMap<K, V> = IndexMap<K, V, BuildHasherDefault<Fnv>>;
pub type FixedHashSet<T> = IndexSet<T, BuildHasherDefault<Fnv>>;
