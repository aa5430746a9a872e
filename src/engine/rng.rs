//! The only source of randomness: xoshiro256** seeded through
//! SplitMix64, so one `u64` seed replays a whole run.

#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng { s: [next(), next(), next(), next()] }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform index below `n` (`n` > 0; 0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// Indexes into a collection of `len` items, Redis's count semantics for
    /// SRANDMEMBER / HRANDFIELD / ZRANDMEMBER: a positive count gives
    /// distinct items (all of them when it exceeds `len`), a negative count
    /// gives that many items with repetition.
    pub fn sample(&mut self, len: usize, count: i64) -> Vec<usize> {
        if len == 0 || count == 0 {
            return Vec::new();
        }
        if count < 0 {
            // Bounded by the caller's range checks; capped to keep a page alive.
            let n = count.unsigned_abs().min(1_000_000) as usize;
            return (0..n).map(|_| self.below(len)).collect();
        }
        let mut all: Vec<usize> = (0..len).collect();
        let n = usize::try_from(count).unwrap_or(usize::MAX);
        if n >= len {
            // Redis answers with the whole collection, in its own order.
            return all;
        }
        for i in 0..n {
            let j = i + self.below(len - i);
            all.swap(i, j);
        }
        all.truncate(n);
        all
    }

    /// 40 lower-case hex digits, the shape of Redis run ids and replication ids.
    pub fn hex40(&mut self) -> String {
        let mut out = String::with_capacity(40);
        while out.len() < 40 {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(40);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.hex40(), b.hex40());
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
        assert_eq!(Rng::new(1).hex40().len(), 40);
    }
}
