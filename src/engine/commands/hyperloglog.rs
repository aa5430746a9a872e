//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST.
//! A HyperLogLog is a plain string holding Redis's own layout, so GET,
//! DUMP, RDB files and replicas carry the very bytes Redis 7.0 would:
//!
//! - a 16-byte header: `HYLL`, the encoding (0 dense, 1 sparse), three
//!   unused bytes, then the last estimate as a little-endian u64 whose top
//!   bit set means it is stale;
//! - dense: 16384 registers of 6 bits, filled from the low bits of each
//!   byte upwards (12288 bytes);
//! - sparse: runs over the registers: ZERO `00xxxxxx` (1 to 64 zeros),
//!   XZERO `01xxxxxx yyyyyyyy` (1 to 16384 zeros) and VAL `1vvvvvxx` (1 to
//!   4 registers holding 1 to 32).
//!
//! A new value is sparse. It becomes dense, for good, when a register needs
//! more than 32 or a sparse value would grow past `hll-sparse-max-bytes`.
//! Any string can be SET to look like a HyperLogLog, so every read here is
//! checked: a damaged one gets Redis's INVALIDOBJ or WRONGTYPE answer.

use super::{string, Ctx};
use crate::engine::resp::Frame;
use crate::engine::value::{Str, StrOrigin, Value};

pub(super) const HEADER_LEN: usize = 16;
/// Bits of the hash that pick the register (Redis's HLL_P).
pub(super) const INDEX_BITS: u32 = 14;
pub(super) const REGISTERS: usize = 1 << INDEX_BITS;
pub(super) const DENSE_LEN: usize = HEADER_LEN + REGISTERS * 6 / 8;
pub(super) const ENCODING_AT: usize = 4;
pub(super) const DENSE: u8 = 0;
pub(super) const SPARSE: u8 = 1;
/// The byte of the header holding the stale bit of the cached estimate.
pub(super) const STALE_AT: usize = 15;
pub(super) const STALE_BIT: u8 = 0x80;
pub(super) const SPARSE_VAL_MAX_VALUE: u8 = 32;
pub(super) const SPARSE_VAL_MAX_RUN: usize = 4;
pub(super) const SPARSE_ZERO_MAX_RUN: usize = 64;
pub(super) const HASH_SEED: u64 = 0xadc8_3b19;
/// 0.5 / ln 2, the estimator's constant for an unbounded register count.
pub(super) const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

pub(super) const NOT_AN_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
pub(super) const CORRUPTED: &str = "INVALIDOBJ Corrupted HLL object detected";

/// The sparse runs do not cover exactly the 16384 registers (or the
/// encoding byte is unknown).
pub(super) struct Corrupted;

pub(super) fn corrupted() -> Frame {
    Frame::error(CORRUPTED)
}

/// MurmurHash64A as Redis builds it: the 8-byte blocks are read
/// little-endian whatever the machine, so every node hashes alike.
pub(super) fn murmur_hash64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut k = block.iter().rev().fold(0u64, |k, &b| k << 8 | u64::from(b));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element lands in and the value it offers there: the
/// position of the first 1 bit above the index bits (1 to 51, a bit past
/// the hash stopping the count).
pub(super) fn register_and_value(element: &[u8]) -> (usize, u8) {
    let hash = murmur_hash64a(element, HASH_SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> INDEX_BITS) | (1 << (64 - INDEX_BITS));
    (index, rest.trailing_zeros() as u8 + 1)
}

pub(super) fn encoding(hll: &[u8]) -> u8 {
    hll.get(ENCODING_AT).copied().unwrap_or(u8::MAX)
}

/// Marks the cached estimate stale.
pub(super) fn invalidate_cache(hll: &mut [u8]) {
    if let Some(b) = hll.get_mut(STALE_AT) {
        *b |= STALE_BIT;
    }
}

/// The string at a key is a HyperLogLog Redis would accept: the header,
/// a known encoding, and the exact size when dense. (Sparse runs are only
/// checked as they are walked.)
pub(super) fn check_header(hll: &[u8]) -> Result<(), Frame> {
    let valid = hll.len() >= HEADER_LEN
        && hll.starts_with(b"HYLL")
        && match encoding(hll) {
            DENSE => hll.len() == DENSE_LEN,
            SPARSE => true,
            _ => false,
        };
    if valid {
        Ok(())
    } else {
        Err(Frame::error(NOT_AN_HLL))
    }
}

// ---- dense registers --------------------------------------------------

/// A 6-bit register of the dense array. A byte past the end reads as the
/// zero that ends every Redis string (the last register needs no more).
pub(super) fn dense_get(registers: &[u8], index: usize) -> u8 {
    let (byte, shift) = (index * 6 / 8, (index * 6) & 7);
    let low = u16::from(registers.get(byte).copied().unwrap_or(0));
    let high = u16::from(registers.get(byte + 1).copied().unwrap_or(0));
    ((low >> shift | high << (8 - shift)) & 63) as u8
}

pub(super) fn dense_put(registers: &mut [u8], index: usize, value: u8) {
    let (byte, shift) = (index * 6 / 8, (index * 6) & 7);
    let value = u16::from(value & 63);
    if let Some(b) = registers.get_mut(byte) {
        *b = (*b & !((63u16 << shift) as u8)) | (value << shift) as u8;
    }
    if let Some(b) = registers.get_mut(byte + 1) {
        *b = (*b & !((63u16 >> (8 - shift)) as u8)) | (value >> (8 - shift)) as u8;
    }
}

/// The registers of a dense value (nothing for a string too short to be one).
pub(super) fn registers_mut(hll: &mut [u8]) -> &mut [u8] {
    hll.get_mut(HEADER_LEN..).unwrap_or_default()
}

/// Raises a dense register to `value`; true if it was lower.
pub(super) fn dense_raise(registers: &mut [u8], index: usize, value: u8) -> bool {
    if value > dense_get(registers, index) {
        dense_put(registers, index, value);
        true
    } else {
        false
    }
}

// ---- sparse runs --------------------------------------------------------

/// A HyperLogLog being changed, as Redis holds it in memory: its bytes and
/// the byte just past them. That byte is the zero ending every C string,
/// which Redis reads as the second byte of an XZERO cut short by the end
/// of a damaged value; splitting such a run writes over it, and Redis then
/// reads back what it wrote. The keyspace keeps the bytes alone, so this
/// holds within one command.
pub(super) struct Hll {
    pub(super) bytes: Vec<u8>,
    after_end: u8,
}

impl Hll {
    pub(super) fn new(bytes: Vec<u8>) -> Hll {
        Hll { bytes, after_end: 0 }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Run {
    Zero(usize),
    XZero(usize),
    Val { value: u8, len: usize },
}

impl Run {
    /// The run starting at `at` (before the end of `hll`); `after_end` is
    /// the byte past the end.
    fn at(hll: &[u8], after_end: u8, at: usize) -> Run {
        let byte = |i: usize| hll.get(i).copied().unwrap_or(after_end);
        let b = byte(at);
        match b & 0xc0 {
            0x00 => Run::Zero(usize::from(b & 0x3f) + 1),
            0x40 => Run::XZero((usize::from(b & 0x3f) << 8 | usize::from(byte(at + 1))) + 1),
            _ => Run::Val { value: (b >> 2 & 0x1f) + 1, len: usize::from(b & 3) + 1 },
        }
    }

    fn registers(self) -> usize {
        match self {
            Run::Zero(n) | Run::XZero(n) => n,
            Run::Val { len, .. } => len,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Run::XZero(_) => 2,
            _ => 1,
        }
    }
}

/// The runs of a sparse value, with the register each starts at.
pub(super) fn sparse_runs(hll: &[u8], after_end: u8) -> impl Iterator<Item = (usize, Run)> + '_ {
    let mut at = HEADER_LEN;
    let mut first = 0usize;
    std::iter::from_fn(move || {
        if at >= hll.len() {
            return None;
        }
        let run = Run::at(hll, after_end, at);
        let start = first;
        at += run.bytes();
        first = first.saturating_add(run.registers());
        Some((start, run))
    })
}

pub(super) fn val_byte(value: u8, len: usize) -> u8 {
    0x80 | (value - 1) << 2 | (len - 1) as u8
}

/// The shortest run of `len` zero registers.
pub(super) fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > SPARSE_ZERO_MAX_RUN {
        let l = len - 1;
        out.extend_from_slice(&[0x40 | (l >> 8) as u8, (l & 0xff) as u8]);
    } else {
        out.push((len - 1) as u8);
    }
}

/// A fresh empty HyperLogLog: sparse, one XZERO over every register, the
/// cached estimate a valid 0.
pub(super) fn new_hll() -> Vec<u8> {
    let mut hll = b"HYLL".to_vec();
    hll.extend_from_slice(&[SPARSE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    push_zeros(&mut hll, REGISTERS);
    hll
}

/// Calls `visit` with each run of a sparse value and the register it
/// starts at; the runs must cover the 16384 registers exactly, none
/// reaching past them (Debian's 7.0.15 carries the CVE-2025-32023 fix,
/// which refuses a run past the end even after a complete cover).
pub(super) fn walk_sparse(hll: &[u8], after_end: u8, mut visit: impl FnMut(usize, Run)) -> Result<(), Corrupted> {
    let mut covered = 0usize;
    for (first, run) in sparse_runs(hll, after_end) {
        if first + run.registers() > REGISTERS {
            return Err(Corrupted);
        }
        visit(first, run);
        covered = first + run.registers();
    }
    if covered == REGISTERS {
        Ok(())
    } else {
        Err(Corrupted)
    }
}

/// A sparse value rewritten dense, header kept (the cached estimate too).
pub(super) fn sparse_to_dense(hll: &[u8], after_end: u8) -> Result<Vec<u8>, Corrupted> {
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HEADER_LEN].copy_from_slice(hll.get(..HEADER_LEN).ok_or(Corrupted)?);
    dense[ENCODING_AT] = DENSE;
    walk_sparse(hll, after_end, |first, run| {
        if let Run::Val { value, len } = run {
            for index in first..first + len {
                dense_put(&mut dense[HEADER_LEN..], index, value);
            }
        }
    })?;
    Ok(dense)
}

/// Makes the value dense if it is sparse; true if it converted.
pub(super) fn make_dense(hll: &mut Hll) -> Result<bool, Corrupted> {
    if encoding(&hll.bytes) == DENSE {
        return Ok(false);
    }
    *hll = Hll::new(sparse_to_dense(&hll.bytes, hll.after_end)?);
    Ok(true)
}

/// Raises a register of a sparse value to `value` if it is lower,
/// splitting the run that holds it and joining equal neighbours as Redis
/// does, so that the bytes stay Redis's. True if the register changed.
pub(super) fn sparse_raise(hll: &mut Hll, index: usize, value: u8, max_bytes: u64) -> Result<bool, Corrupted> {
    if value > SPARSE_VAL_MAX_VALUE {
        return promote_and_raise(hll, index, value);
    }
    // The run covering `index`, the one before it, and where it starts.
    let end = hll.bytes.len();
    let (mut at, mut first, mut prev, mut span) = (HEADER_LEN, 0usize, None, 0usize);
    while at < end {
        let run = Run::at(&hll.bytes, hll.after_end, at);
        span = run.registers();
        if index < first + span {
            break;
        }
        prev = Some(at);
        at += run.bytes();
        first += span;
    }
    if span == 0 || at >= end {
        return Err(Corrupted);
    }
    let run = Run::at(&hll.bytes, hll.after_end, at);
    let next = Some(at + run.bytes()).filter(|&n| n < end);
    // The simple cases rewrite one byte in place.
    match run {
        Run::Val { value: old, .. } if old >= value => return Ok(false),
        Run::Val { len: 1, .. } | Run::Zero(1) => {
            hll.bytes[at] = val_byte(value, 1);
            join_equal_vals(hll, prev);
            return Ok(true);
        }
        _ => {}
    }
    // Otherwise the run splits into up to three: before, ours, after.
    let last = first + span - 1;
    let mut pieces = Vec::with_capacity(5);
    match run {
        Run::Val { value: old, .. } => {
            if index != first {
                pieces.push(val_byte(old, index - first));
            }
            pieces.push(val_byte(value, 1));
            if index != last {
                pieces.push(val_byte(old, last - index));
            }
        }
        _ => {
            if index != first {
                push_zeros(&mut pieces, index - first);
            }
            pieces.push(val_byte(value, 1));
            if index != last {
                push_zeros(&mut pieces, last - index);
            }
        }
    }
    let delta = pieces.len() as isize - run.bytes() as isize;
    if delta > 0 && end as u64 + delta as u64 > max_bytes {
        return promote_and_raise(hll, index, value);
    }
    // Redis shifts what follows the run, sets the new length (and the zero
    // after it), then writes the pieces; a run cut by the end of the string
    // has its pieces reach one byte past the new end.
    let bytes = &mut hll.bytes;
    bytes.resize(end + 8, 0);
    bytes[end] = hll.after_end;
    if let (Some(next), true) = (next, delta != 0) {
        bytes.copy_within(next..end, next.saturating_add_signed(delta));
    }
    let new_end = end.saturating_add_signed(delta);
    bytes[new_end] = 0;
    bytes[at..at + pieces.len()].copy_from_slice(&pieces);
    hll.after_end = bytes[new_end];
    bytes.truncate(new_end);
    join_equal_vals(hll, prev);
    Ok(true)
}

/// After a change, adjacent VAL runs of one value are joined while they
/// fit in one (up to four registers), looking at five runs from the one
/// before the change, as Redis does.
pub(super) fn join_equal_vals(hll: &mut Hll, prev: Option<usize>) {
    let mut at = prev.unwrap_or(HEADER_LEN);
    let mut looks = 5;
    while at < hll.bytes.len() && looks > 0 {
        looks -= 1;
        let run = Run::at(&hll.bytes, hll.after_end, at);
        let Run::Val { value, len } = run else {
            at += run.bytes();
            continue;
        };
        if at + 1 < hll.bytes.len() {
            if let Run::Val { value: next_value, len: next_len } = Run::at(&hll.bytes, hll.after_end, at + 1) {
                if next_value == value && len + next_len <= SPARSE_VAL_MAX_RUN {
                    hll.bytes[at + 1] = val_byte(value, len + next_len);
                    hll.bytes.remove(at);
                    // Shortening the string puts a zero after its new end.
                    hll.after_end = 0;
                    continue;
                }
            }
        }
        at += 1;
    }
    invalidate_cache(&mut hll.bytes);
}

/// The value no longer fits sparse: it goes dense, then the register is
/// raised there (it is lower, or the sparse update would not have been
/// tried).
pub(super) fn promote_and_raise(hll: &mut Hll, index: usize, value: u8) -> Result<bool, Corrupted> {
    make_dense(hll)?;
    dense_raise(registers_mut(&mut hll.bytes), index, value);
    Ok(true)
}

/// Adds an element; true if a register rose.
pub(super) fn add(hll: &mut Hll, element: &[u8], max_bytes: u64) -> Result<bool, Corrupted> {
    let (index, value) = register_and_value(element);
    match encoding(&hll.bytes) {
        DENSE => Ok(dense_raise(registers_mut(&mut hll.bytes), index, value)),
        SPARSE => sparse_raise(hll, index, value, max_bytes),
        _ => Err(Corrupted),
    }
}

/// Raises each of `max` to the matching register of `hll` (PFMERGE and
/// PFCOUNT over several keys).
pub(super) fn merge_into(max: &mut [u8], hll: &[u8]) -> Result<(), Corrupted> {
    if encoding(hll) == DENSE {
        let registers = hll.get(HEADER_LEN..).unwrap_or_default();
        for (index, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(registers, index));
        }
        return Ok(());
    }
    walk_sparse(hll, 0, |first, run| {
        if let Run::Val { value, len } = run {
            for m in max.iter_mut().skip(first).take(len) {
                *m = (*m).max(value);
            }
        }
    })
}

// ---- the estimate ---------------------------------------------------------

/// How many registers hold each value (0 to 63).
pub(super) type Histogram = [u64; 64];

pub(super) fn histogram_of(hll: &[u8]) -> Result<Histogram, Corrupted> {
    let mut histogram = [0u64; 64];
    match encoding(hll) {
        DENSE => {
            let registers = hll.get(HEADER_LEN..).unwrap_or_default();
            for index in 0..REGISTERS {
                histogram[usize::from(dense_get(registers, index))] += 1;
            }
        }
        SPARSE => walk_sparse(hll, 0, |_, run| {
            let slot = match run {
                Run::Val { value, .. } => usize::from(value),
                _ => 0,
            };
            histogram[slot] += run.registers() as u64;
        })?,
        _ => return Err(Corrupted),
    }
    Ok(histogram)
}

pub(super) fn histogram_of_registers(registers: &[u8]) -> Histogram {
    let mut histogram = [0u64; 64];
    for &r in registers {
        histogram[usize::from(r & 63)] += 1;
    }
    histogram
}

/// Ertl's sigma ("New cardinality estimation algorithms for HyperLogLog
/// sketches", 2017), summed until the floating point sum stops moving.
pub(super) fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

/// Ertl's tau, the correction for registers that reached the top value.
pub(super) fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        // pow rather than a product: the C library's pow is not always the
        // correctly rounded square, and Redis's estimate goes through it.
        z -= (1.0 - x).powf(2.0) * y;
        if before == z {
            return z / 3.0;
        }
    }
}

/// Redis 5+'s estimator over the register histogram. An estimate
/// `llroundl` cannot hold (2^63 or more, or infinite) comes out as x86's
/// out-of-range result, 2^63, which reads back as a stale cache.
pub(super) fn estimate(histogram: &Histogram) -> u64 {
    let m = REGISTERS as f64;
    let top = 64 - INDEX_BITS as usize + 1;
    let mut z = m * tau((m - histogram[top] as f64) / m);
    for &count in histogram[1..top].iter().rev() {
        z += count as f64;
        z *= 0.5;
    }
    z += m * sigma(histogram[0] as f64 / m);
    let e = ALPHA_INF * m * m / z;
    if e < 9_223_372_036_854_775_808.0 {
        e.round() as u64
    } else {
        1 << 63
    }
}

// ---- commands ---------------------------------------------------------------

pub(super) fn sparse_max_bytes(ctx: &Ctx) -> u64 {
    ctx.settings.int_or("hll-sparse-max-bytes", 3000).max(0) as u64
}

/// The HyperLogLog at `key` for a change, created empty if missing (true
/// then). Redis copies an existing value into a fresh raw string first
/// (dbUnshareStringValue), which OBJECT ENCODING shows as `raw`.
pub(super) fn hll_for_write<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<(&'a mut Str, bool), Frame> {
    let created = match ctx.typed(key, string)? {
        Some(s) => {
            check_header(&s.bytes)?;
            false
        }
        None => {
            let now = ctx.now;
            ctx.db().set(key, Value::Str(Str { bytes: new_hll(), origin: StrOrigin::Modified }), false, now);
            true
        }
    };
    match ctx.typed(key, string) {
        Ok(Some(s)) => {
            s.origin = StrOrigin::Modified;
            Ok((s, created))
        }
        _ => Err(super::wrong_type()),
    }
}

pub fn pfadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let key = &args[1];
    let max_bytes = sparse_max_bytes(ctx);
    let updated = {
        let (stored, created) = match hll_for_write(ctx, key) {
            Ok(found) => found,
            Err(e) => return e,
        };
        let mut hll = Hll::new(std::mem::take(&mut stored.bytes));
        let mut updated = u64::from(created);
        let mut failed = false;
        for element in &args[2..] {
            match add(&mut hll, element, max_bytes) {
                Ok(true) => updated += 1,
                Ok(false) => {}
                Err(Corrupted) => {
                    failed = true;
                    break;
                }
            }
        }
        if updated > 0 && !failed {
            invalidate_cache(&mut hll.bytes);
        }
        stored.bytes = hll.bytes;
        // What was added before the damage was found stays, but Redis
        // counts no change (so nothing reaches replicas).
        if failed {
            return corrupted();
        }
        updated
    };
    if updated > 0 {
        *ctx.dirty += updated;
        ctx.notify(super::event::STRING, "pfadd", key);
    }
    Frame::Integer(i64::from(updated > 0))
}

pub fn pfcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    if args.len() > 2 {
        return pfcount_union(ctx, &args[1..]);
    }
    let (card, computed) = {
        let hll = match ctx.typed(&args[1], string) {
            Err(e) => return e,
            Ok(None) => return Frame::Integer(0),
            Ok(Some(s)) => s,
        };
        if let Err(e) = check_header(&hll.bytes) {
            return e;
        }
        hll.origin = StrOrigin::Modified;
        let cached: [u8; 8] = hll.bytes[8..HEADER_LEN].try_into().unwrap_or_default();
        if cached[7] & STALE_BIT == 0 {
            (u64::from_le_bytes(cached), false)
        } else {
            let Ok(histogram) = histogram_of(&hll.bytes) else { return corrupted() };
            let card = estimate(&histogram);
            hll.bytes[8..HEADER_LEN].copy_from_slice(&card.to_le_bytes());
            (card, true)
        }
    };
    // Storing the estimate changes the string: Redis counts it as a change,
    // which replicas then receive.
    if computed {
        *ctx.dirty += 1;
    }
    Frame::Integer(card as i64)
}

/// The register-wise maximum of the HyperLogLogs at `keys` (missing ones
/// count as empty), and whether any of them is dense.
fn union_of(ctx: &mut Ctx, keys: &[Vec<u8>]) -> Result<(Vec<u8>, bool), Frame> {
    let mut max = vec![0u8; REGISTERS];
    let mut any_dense = false;
    for key in keys {
        if let Some(hll) = ctx.typed(key, string)? {
            check_header(&hll.bytes)?;
            any_dense |= encoding(&hll.bytes) == DENSE;
            merge_into(&mut max, &hll.bytes).map_err(|_| corrupted())?;
        }
    }
    Ok((max, any_dense))
}

/// PFCOUNT over several keys: the estimate of their union, cached nowhere.
pub(super) fn pfcount_union(ctx: &mut Ctx, keys: &[Vec<u8>]) -> Frame {
    match union_of(ctx, keys) {
        Ok((max, _)) => Frame::Integer(estimate(&histogram_of_registers(&max)) as i64),
        Err(e) => e,
    }
}

pub fn pfmerge(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let destination = &args[1];
    let max_bytes = sparse_max_bytes(ctx);
    // A dense input makes the destination dense up front, as Redis does.
    let (max, any_dense) = match union_of(ctx, &args[1..]) {
        Ok(union) => union,
        Err(e) => return e,
    };
    {
        let stored = match hll_for_write(ctx, destination) {
            Ok((stored, _)) => stored,
            Err(e) => return e,
        };
        let mut hll = Hll::new(std::mem::take(&mut stored.bytes));
        let converted = if any_dense { make_dense(&mut hll) } else { Ok(false) };
        if converted.is_ok() {
            for (index, &value) in max.iter().enumerate().filter(|(_, &v)| v > 0) {
                if encoding(&hll.bytes) == DENSE {
                    dense_raise(registers_mut(&mut hll.bytes), index, value);
                } else {
                    // The destination was read whole as a source: it is sound.
                    let _ = sparse_raise(&mut hll, index, value, max_bytes);
                }
            }
            invalidate_cache(&mut hll.bytes);
        }
        stored.bytes = hll.bytes;
        if converted.is_err() {
            return corrupted();
        }
    }
    *ctx.dirty += 1;
    // Redis raises `pfadd` for a merge: it adds many elements at once.
    ctx.notify(super::event::STRING, "pfadd", destination);
    Frame::ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::commands::hyperloglog_debug::{decode, self_test};

    #[test]
    fn three_elements_give_redis_bytes() {
        let mut working = Hll::new(new_hll());
        for e in [b"a", b"b", b"c"] {
            assert!(matches!(add(&mut working, e, 3000), Ok(true)));
        }
        let hll = working.bytes;
        let mut expected = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
        expected.extend_from_slice(b"`\xf3\x80P\xb1\x84K\xfb\x80BZ");
        assert_eq!(hll, expected);
        assert_eq!(decode(&hll), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
        assert_eq!(estimate(&histogram_of(&hll).unwrap_or([0; 64])), 3);
    }

    #[test]
    fn damaged_values_never_panic() {
        let mut rng = crate::engine::rng::Rng::new(7);
        for round in 0..2000 {
            let mut working = Hll::new(new_hll());
            for i in 0..(round % 300) {
                let _ = add(&mut working, format!("e{i}").as_bytes(), 3000);
            }
            let mut hll = working.bytes;
            for _ in 0..3 {
                let at = rng.below(hll.len());
                hll[at] = rng.next_u64() as u8;
            }
            if round % 7 == 0 {
                hll.truncate(HEADER_LEN + rng.below(hll.len() - HEADER_LEN + 1));
            }
            hll[..4].copy_from_slice(b"HYLL");
            let _ = histogram_of(&hll).map(|h| estimate(&h));
            let _ = merge_into(&mut [0u8; REGISTERS], &hll);
            let _ = decode(&hll);
            let mut working = Hll::new(hll);
            let _ = add(&mut working, b"x", 3000);
            let _ = make_dense(&mut working);
        }
    }

    #[test]
    fn self_test_passes() {
        assert_eq!(self_test(3000), Ok(()));
    }
}
