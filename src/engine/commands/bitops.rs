//! Bitmap commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD and BITFIELD_RO with their overflow modes. Bits are numbered
//! from the most significant bit of the first byte, as Redis numbers them;
//! bits past the end of a string read as zero and writes grow it.

use super::{eq_ignore_case, err, int_arg, string, syntax_error, wrong_type, Ctx};
use crate::engine::resp::Frame;
use crate::engine::value::{Str, StrOrigin, Value};

const OFFSET_ERROR: &str = "bit offset is not an integer or out of range";
const BIT_ERROR: &str = "bit is not an integer or out of range";
/// `proto-max-bulk-len`, which this engine keeps at Redis's default.
const MAX_BYTES: u64 = 512 * 1024 * 1024;
const TYPE_ERROR: &str = "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// A bit offset argument; `#n` (BITFIELD) counts in units of `bits`. The
/// byte it reaches must stay under `proto-max-bulk-len`.
fn bit_offset(raw: &[u8], hash_bits: Option<u32>) -> Result<u64, Frame> {
    let (digits, unit) = match (raw.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&raw[1..], i64::from(bits)),
        _ => (raw, 1),
    };
    let offset = crate::engine::numfmt::parse_i64(digits).and_then(|n| n.checked_mul(unit)).ok_or_else(|| err(OFFSET_ERROR))?;
    if offset < 0 || (offset as u64 >> 3) >= MAX_BYTES {
        return Err(err(OFFSET_ERROR));
    }
    Ok(offset as u64)
}

fn bit_at(bytes: &[u8], offset: u64) -> bool {
    let byte = (offset >> 3) as usize;
    bytes.get(byte).is_some_and(|b| b & (0x80 >> (offset & 7)) != 0)
}

fn set_bit_at(bytes: &mut [u8], offset: u64, on: bool) {
    let mask = 0x80 >> (offset & 7);
    let byte = &mut bytes[(offset >> 3) as usize];
    if on {
        *byte |= mask;
    } else {
        *byte &= !mask;
    }
}

/// The string at `key` for a bit write reaching `max_bit`: created or
/// zero-padded so that bit exists, and no longer integer-encoded; true if
/// it was created or grew (a change even when no bit differs).
fn string_for_write<'a>(ctx: &'a mut Ctx, key: &[u8], max_bit: u64) -> Result<(&'a mut Str, bool), Frame> {
    let needed = (max_bit >> 3) as usize + 1;
    let old_len = ctx.typed(key, string)?.map(|s| s.bytes.len());
    if old_len.is_none() {
        let now = ctx.now;
        let fresh = Str { bytes: vec![0; needed], origin: StrOrigin::Modified };
        ctx.db().set(key, Value::Str(fresh), false, now);
    }
    let Ok(Some(s)) = ctx.typed(key, string) else { return Err(wrong_type()) };
    if s.bytes.len() < needed {
        s.bytes.resize(needed, 0);
    }
    s.origin = StrOrigin::Modified;
    let grew = old_len.is_none_or(|len| len != s.bytes.len());
    Ok((s, grew))
}

pub fn setbit(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let offset = match bit_offset(&args[2], None) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let on = match crate::engine::numfmt::parse_i64(&args[3]) {
        Some(0) => false,
        Some(1) => true,
        _ => return err(BIT_ERROR),
    };
    let (s, grew) = match string_for_write(ctx, &args[1], offset) {
        Ok(written) => written,
        Err(e) => return e,
    };
    let was = bit_at(&s.bytes, offset);
    if grew || was != on {
        set_bit_at(&mut s.bytes, offset, on);
        *ctx.dirty += 1;
        ctx.notify(super::event::STRING, "setbit", &args[1]);
    }
    Frame::Integer(i64::from(was))
}

pub fn getbit(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let offset = match bit_offset(&args[2], None) {
        Ok(o) => o,
        Err(e) => return e,
    };
    ctx.reply_with(&args[1], string, |s| Frame::Integer(s.map_or(0, |s| i64::from(bit_at(&s.bytes, offset)))))
}

/// A BITCOUNT / BITPOS range in bits, inclusive, after Redis's clamping of
/// negative and past-the-end indexes; `None` when it is empty.
fn bit_range(start: i64, end: i64, len: usize, in_bits: bool) -> Option<(u64, u64)> {
    let total = if in_bits { len as i64 * 8 } else { len as i64 };
    let fix = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let (start, end) = (fix(start), fix(end).min(total - 1));
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(if in_bits { (start, end) } else { (start * 8, end * 8 + 7) })
}

/// BYTE or BIT after a range.
fn range_unit(arg: Option<&Vec<u8>>) -> Result<bool, Frame> {
    match arg {
        None => Ok(false),
        Some(a) if eq_ignore_case(a, "bit") => Ok(true),
        Some(a) if eq_ignore_case(a, "byte") => Ok(false),
        Some(_) => Err(syntax_error()),
    }
}

fn count_ones(bytes: &[u8], start: u64, end: u64) -> u64 {
    let (first, last) = ((start >> 3) as usize, (end >> 3) as usize);
    let mut count: u64 = bytes[first..=last].iter().map(|b| u64::from(b.count_ones())).sum();
    // The bits of the edge bytes outside the range.
    count -= u64::from((bytes[first] & !(0xffu8 >> (start & 7))).count_ones());
    count -= u64::from((bytes[last] & (0x7fu8 >> (end & 7))).count_ones());
    count
}

pub fn bitcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let bytes = match ctx.typed(&args[1], string) {
        Err(e) => return e,
        Ok(None) => return Frame::Integer(0),
        Ok(Some(s)) => s.bytes.clone(),
    };
    let range = match args.len() {
        2 => bit_range(0, -1, bytes.len(), false),
        4 | 5 => {
            let parsed = int_arg(&args[2]).and_then(|s| Ok((s, int_arg(&args[3])?, range_unit(args.get(4))?)));
            match parsed {
                // Both from the end and crossed: empty before any clamping.
                Ok((start, end, _)) if start < 0 && end < 0 && start > end => None,
                Ok((start, end, in_bits)) => bit_range(start, end, bytes.len(), in_bits),
                Err(e) => return e,
            }
        }
        _ => return syntax_error(),
    };
    Frame::Integer(range.map_or(0, |(start, end)| count_ones(&bytes, start, end)) as i64)
}

/// The first bit equal to `bit` in [start, end], skipping whole bytes that
/// cannot hold it.
fn first_bit(bytes: &[u8], bit: bool, start: u64, end: u64) -> Option<u64> {
    let skip = if bit { 0x00 } else { 0xff };
    let mut at = start;
    while at <= end {
        if at & 7 == 0 && at + 7 <= end && bytes[(at >> 3) as usize] == skip {
            at += 8;
            continue;
        }
        if bit_at(bytes, at) == bit {
            return Some(at);
        }
        at += 1;
    }
    None
}

pub fn bitpos(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let bit = match int_arg(&args[2]) {
        Ok(0) => false,
        Ok(1) => true,
        Ok(_) => return err("The bit argument must be 1 or 0."),
        Err(e) => return e,
    };
    let bytes = match ctx.typed(&args[1], string) {
        Err(e) => return e,
        // A missing key is an endless run of zeros.
        Ok(None) => return Frame::Integer(if bit { -1 } else { 0 }),
        Ok(Some(s)) => s.bytes.clone(),
    };
    let (range, end_given) = match args.len() {
        3 => (bit_range(0, -1, bytes.len(), false), false),
        4..=6 => {
            let parsed = int_arg(&args[3]).and_then(|start| {
                let in_bits = range_unit(args.get(5))?;
                let end = match args.get(4) {
                    Some(end) => int_arg(end)?,
                    None => i64::MAX,
                };
                Ok((start, end, in_bits))
            });
            match parsed {
                Ok((start, end, in_bits)) => (bit_range(start, end, bytes.len(), in_bits), args.len() > 4),
                Err(e) => return e,
            }
        }
        _ => return syntax_error(),
    };
    let Some((start, end)) = range else { return Frame::Integer(-1) };
    match first_bit(&bytes, bit, start, end) {
        Some(at) => Frame::Integer(at as i64),
        // Without an end, the string is taken as followed by zeros.
        None if !bit && !end_given => Frame::Integer(end as i64 + 1),
        None => Frame::Integer(-1),
    }
}

pub fn bitop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let op = args[1].to_ascii_lowercase();
    if !matches!(op.as_slice(), b"and" | b"or" | b"xor" | b"not") {
        return syntax_error();
    }
    let sources = &args[3..];
    if op == b"not" && sources.len() != 1 {
        return err("BITOP NOT must be called with a single source key.");
    }
    let mut inputs = Vec::with_capacity(sources.len());
    for key in sources {
        match ctx.typed(key, string) {
            Err(e) => return e,
            Ok(s) => inputs.push(s.map(|s| s.bytes.clone()).unwrap_or_default()),
        }
    }
    let len = inputs.iter().map(Vec::len).max().unwrap_or(0);
    let byte = |input: &Vec<u8>, i: usize| input.get(i).copied().unwrap_or(0);
    let result: Vec<u8> = (0..len)
        .map(|i| {
            let mut all = inputs.iter().map(|input| byte(input, i));
            let first = all.next().unwrap_or(0);
            match op.as_slice() {
                b"and" => all.fold(first, |acc, b| acc & b),
                b"or" => all.fold(first, |acc, b| acc | b),
                b"xor" => all.fold(first, |acc, b| acc ^ b),
                _ => !first,
            }
        })
        .collect();
    let destination = &args[2];
    if len > 0 {
        let now = ctx.now;
        ctx.db().set(destination, Value::Str(Str { bytes: result, origin: StrOrigin::Modified }), false, now);
        *ctx.dirty += 1;
        ctx.notify(super::event::STRING, "set", destination);
    } else if ctx.db().remove(destination).is_some() {
        *ctx.dirty += 1;
        ctx.notify(super::event::GENERIC, "del", destination);
    }
    Frame::Integer(len as i64)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy)]
enum FieldOp {
    Get,
    /// SET (`incr` false) or INCRBY with its value.
    Write { incr: bool, value: i64 },
}

struct Field {
    op: FieldOp,
    signed: bool,
    bits: u32,
    offset: u64,
    overflow: Overflow,
}

/// `i8`, `u16`...: signed up to 64 bits, unsigned up to 63.
fn field_type(raw: &[u8]) -> Result<(bool, u32), Frame> {
    let signed = match raw.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(err(TYPE_ERROR)),
    };
    match crate::engine::numfmt::parse_i64(&raw[1..]) {
        Some(bits) if bits >= 1 && bits <= if signed { 64 } else { 63 } => Ok((signed, bits as u32)),
        _ => Err(err(TYPE_ERROR)),
    }
}

fn parse_fields(args: &[Vec<u8>], read_only: bool) -> Result<Vec<Field>, Frame> {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        let word = args[j].to_ascii_lowercase();
        match word.as_slice() {
            b"get" if remaining >= 2 => {}
            b"set" | b"incrby" if remaining >= 3 => {}
            b"overflow" if remaining >= 1 => {
                overflow = match args[j + 1].to_ascii_lowercase().as_slice() {
                    b"wrap" => Overflow::Wrap,
                    b"sat" => Overflow::Sat,
                    b"fail" => Overflow::Fail,
                    _ => return Err(err("Invalid OVERFLOW type specified")),
                };
                j += 2;
                continue;
            }
            _ => return Err(syntax_error()),
        }
        let (signed, bits) = field_type(&args[j + 1])?;
        let offset = bit_offset(&args[j + 2], Some(bits))?;
        let op = match word.as_slice() {
            b"get" => FieldOp::Get,
            other => FieldOp::Write { incr: other == b"incrby", value: int_arg(&args[j + 3])? },
        };
        if read_only && !matches!(op, FieldOp::Get) {
            return Err(err("BITFIELD_RO only supports the GET subcommand"));
        }
        fields.push(Field { op, signed, bits, offset, overflow });
        j += if matches!(op, FieldOp::Get) { 3 } else { 4 };
    }
    Ok(fields)
}

fn read_field(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0u64, |acc, i| (acc << 1) | u64::from(bit_at(bytes, offset + i)))
}

fn write_field(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let on = value >> (u64::from(bits) - 1 - i) & 1 == 1;
        set_bit_at(bytes, offset + i, on);
    }
}

fn as_signed(raw: u64, bits: u32) -> i64 {
    // Sign-extend from the field's top bit.
    let shift = 64 - bits;
    ((raw << shift) as i64) >> shift
}

/// `value + incr` in a field of `bits`, or what the overflow mode makes of
/// it; `None` when it overflows under FAIL.
fn add_signed(value: i64, incr: i64, bits: u32, overflow: Overflow) -> Option<i64> {
    let max = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let sum = i128::from(value) + i128::from(incr);
    if sum >= i128::from(min) && sum <= i128::from(max) {
        return Some(sum as i64);
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if sum > i128::from(max) { max } else { min }),
        Overflow::Wrap => Some(as_signed(value.wrapping_add(incr) as u64 & mask(bits), bits)),
    }
}

fn add_unsigned(value: u64, incr: i64, bits: u32, overflow: Overflow) -> Option<u64> {
    let max = mask(bits);
    let sum = i128::from(value) + i128::from(incr);
    if sum >= 0 && sum <= i128::from(max) {
        return Some(sum as u64);
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if sum > i128::from(max) { max } else { 0 }),
        Overflow::Wrap => Some(value.wrapping_add(incr as u64) & max),
    }
}

fn mask(bits: u32) -> u64 {
    if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// One SET or INCRBY of `value` on a field holding `old`: the reply and
/// the raw bits to write, if any.
fn write_outcome(field: &Field, incr: bool, value: i64, old: u64) -> (Frame, Option<u64>) {
    let (reply, new) = match (incr, field.signed) {
        (true, true) => {
            let incr = value;
            let new = add_signed(as_signed(old, field.bits), incr, field.bits, field.overflow);
            (new.map(Frame::Integer), new.map(|n| n as u64))
        }
        (true, false) => {
            let incr = value;
            let new = add_unsigned(old, incr, field.bits, field.overflow);
            (new.map(|n| Frame::Integer(n as i64)), new)
        }
        (false, true) => {
            let new = add_signed(value, 0, field.bits, field.overflow);
            (new.map(|_| Frame::Integer(as_signed(old, field.bits))), new.map(|n| n as u64))
        }
        (false, false) => {
            // A negative value is a huge unsigned one: it overflows.
            let new = if value < 0 {
                match field.overflow {
                    Overflow::Fail => None,
                    Overflow::Sat => Some(mask(field.bits)),
                    Overflow::Wrap => Some(value as u64 & mask(field.bits)),
                }
            } else {
                add_unsigned(value as u64, 0, field.bits, field.overflow)
            };
            (new.map(|_| Frame::Integer(old as i64)), new)
        }
    };
    (reply.unwrap_or(Frame::Null), new.map(|n| n & mask(field.bits)))
}

fn bitfield_generic(ctx: &mut Ctx, args: &[Vec<u8>], read_only: bool) -> Frame {
    let fields = match parse_fields(args, read_only) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let get_reply = |bytes: &[u8], field: &Field| {
        let raw = read_field(bytes, field.offset, field.bits);
        Frame::Integer(if field.signed { as_signed(raw, field.bits) } else { raw as i64 })
    };
    let highest = fields
        .iter()
        .filter(|f| !matches!(f.op, FieldOp::Get))
        .map(|f| f.offset + u64::from(f.bits) - 1)
        .max();
    let Some(highest) = highest else {
        return ctx.reply_with(&args[1], string, |s| {
            let bytes = s.map(|s| s.bytes.as_slice()).unwrap_or_default();
            Frame::Array(fields.iter().map(|f| get_reply(bytes, f)).collect())
        });
    };
    let (s, grew) = match string_for_write(ctx, &args[1], highest) {
        Ok(written) => written,
        Err(e) => return e,
    };
    let mut changes = 0;
    let mut replies = Vec::with_capacity(fields.len());
    for field in &fields {
        let FieldOp::Write { incr, value } = field.op else {
            replies.push(get_reply(&s.bytes, field));
            continue;
        };
        let old = read_field(&s.bytes, field.offset, field.bits);
        let (reply, new) = write_outcome(field, incr, value, old);
        if let Some(new) = new {
            write_field(&mut s.bytes, field.offset, field.bits, new);
            if grew || new != old {
                changes += 1;
            }
        }
        replies.push(reply);
    }
    if changes > 0 {
        *ctx.dirty += changes;
        ctx.notify(super::event::STRING, "setbit", &args[1]);
    }
    Frame::Array(replies)
}

pub fn bitfield(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    bitfield_generic(ctx, args, false)
}

pub fn bitfield_ro(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    bitfield_generic(ctx, args, true)
}
