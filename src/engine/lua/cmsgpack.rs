//! `cmsgpack` as Redis bundles it (lua-cmsgpack 0.4): MessagePack with
//! the smallest encoding for each value, tables as arrays when their keys
//! are exactly 1..n and as maps otherwise, nesting cut at 16 levels (a
//! table that contains itself packs as a copy 16 deep), and its unpacking
//! functions with their offsets and error texts.

use super::stdlib::{arg_error, check_str};
use super::value::{LuaError, Native, Table, TableRef, Value};
use super::Interp;

pub const CMSGPACK: &[(&str, Native)] = &[
    ("pack", pack),
    ("unpack", unpack),
    ("unpack_one", unpack_one),
    ("unpack_limit", unpack_limit),
];

const MAX_NESTING: usize = 16;

fn pack(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.is_empty() {
        return Err(arg_error(interp, usize::MAX, "pack", "MessagePack pack needs input."));
    }
    let mut out = Vec::new();
    for v in &args {
        if !encode(v, 0, &mut out) {
            return Err(interp.error("not enough memory"));
        }
    }
    let v = interp.new_string(out)?;
    Ok(vec![v])
}

fn encode_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        match n {
            0..=127 => out.push(n as u8),
            128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_number(n: f64, out: &mut Vec<u8>) {
    if n.is_finite() && (n as i64) as f64 == n {
        encode_int(n as i64, out);
    } else if (n as f32) as f64 == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_len(len: usize, small: u8, small_max: usize, codes: [u8; 2], out: &mut Vec<u8>) {
    if len <= small_max {
        out.push(small | len as u8);
    } else if len <= 0xffff {
        out.push(codes[0]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(codes[1]);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn encode_bytes(s: &[u8], out: &mut Vec<u8>) {
    match s.len() {
        0..=31 => out.push(0xa0 | s.len() as u8),
        32..=0xff => out.extend_from_slice(&[0xd9, s.len() as u8]),
        0x100..=0xffff => {
            out.push(0xda);
            out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        }
        _ => {
            out.push(0xdb);
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(s);
}

/// The length of a table whose keys are exactly 1..n, if it is one.
fn array_length(t: &TableRef) -> Option<usize> {
    let t = t.borrow();
    let (mut count, mut max) = (0usize, 0f64);
    let mut key = Value::Nil;
    loop {
        let Ok(Some((k, _))) = t.next(&key) else { break };
        match k {
            Value::Num(n) if n >= 1.0 && n.fract() == 0.0 => {
                max = max.max(n);
                count += 1;
            }
            _ => return None,
        }
        key = k;
    }
    (max == count as f64).then_some(count)
}

/// Encodes a value; false once the output outgrows what a script may build.
fn encode(v: &Value, level: usize, out: &mut Vec<u8>) -> bool {
    if out.len() > super::STRING_LIMIT {
        return false;
    }
    match v {
        Value::Str(s) => encode_bytes(s, out),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Num(n) => encode_number(*n, out),
        Value::Table(t) if level < MAX_NESTING => match array_length(t) {
            Some(len) => {
                encode_len(len, 0x90, 15, [0xdc, 0xdd], out);
                for i in 1..=len {
                    let item = t.borrow().get(&Value::Num(i as f64));
                    if !encode(&item, level + 1, out) {
                        return false;
                    }
                }
            }
            None => {
                let mut entries = Vec::new();
                let mut key = Value::Nil;
                loop {
                    let Ok(Some((k, item))) = t.borrow().next(&key) else { break };
                    entries.push((k.clone(), item));
                    key = k;
                }
                encode_len(entries.len(), 0x80, 15, [0xde, 0xdf], out);
                for (k, item) in entries {
                    if !encode(&k, level + 1, out) || !encode(&item, level + 1, out) {
                        return false;
                    }
                }
            }
        },
        _ => out.push(0xc0),
    }
    out.len() <= super::STRING_LIMIT
}

enum DecodeError {
    Eof,
    BadFormat,
}

struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len()).ok_or(DecodeError::Eof)?;
        let bytes = &self.data[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn uint(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64))
    }
}

fn decode(interp: &mut Interp, c: &mut Cursor, depth: usize) -> Result<Value, DecodeError> {
    if depth > 1000 {
        return Err(DecodeError::BadFormat);
    }
    let tag = c.take(1)?[0];
    let string = |interp: &mut Interp, c: &mut Cursor, len: usize| -> Result<Value, DecodeError> {
        let bytes = c.take(len)?.to_vec();
        interp.new_string(bytes).map_err(|_| DecodeError::BadFormat)
    };
    Ok(match tag {
        0x00..=0x7f => Value::Num(tag as f64),
        0x80..=0x8f => decode_map(interp, c, (tag & 0x0f) as usize, depth)?,
        0x90..=0x9f => decode_array(interp, c, (tag & 0x0f) as usize, depth)?,
        0xa0..=0xbf => string(interp, c, (tag & 0x1f) as usize)?,
        0xc0 => Value::Nil,
        0xc2 => Value::Bool(false),
        0xc3 => Value::Bool(true),
        0xc4 | 0xd9 => {
            let len = c.uint(1)? as usize;
            string(interp, c, len)?
        }
        0xc5 | 0xda => {
            let len = c.uint(2)? as usize;
            string(interp, c, len)?
        }
        0xc6 | 0xdb => {
            let len = c.uint(4)? as usize;
            string(interp, c, len)?
        }
        0xca => Value::Num(f32::from_bits(c.uint(4)? as u32) as f64),
        0xcb => Value::Num(f64::from_bits(c.uint(8)?)),
        0xcc => Value::Num(c.uint(1)? as f64),
        0xcd => Value::Num(c.uint(2)? as f64),
        0xce => Value::Num(c.uint(4)? as f64),
        0xcf => Value::Num(c.uint(8)? as f64),
        0xd0 => Value::Num(c.uint(1)? as u8 as i8 as f64),
        0xd1 => Value::Num(c.uint(2)? as u16 as i16 as f64),
        0xd2 => Value::Num(c.uint(4)? as u32 as i32 as f64),
        0xd3 => Value::Num(c.uint(8)? as i64 as f64),
        0xdc => {
            let n = c.uint(2)? as usize;
            decode_array(interp, c, n, depth)?
        }
        0xdd => {
            let n = c.uint(4)? as usize;
            decode_array(interp, c, n, depth)?
        }
        0xde => {
            let n = c.uint(2)? as usize;
            decode_map(interp, c, n, depth)?
        }
        0xdf => {
            let n = c.uint(4)? as usize;
            decode_map(interp, c, n, depth)?
        }
        0xe0..=0xff => Value::Num(tag as i8 as f64),
        _ => return Err(DecodeError::BadFormat),
    })
}

fn decode_array(interp: &mut Interp, c: &mut Cursor, n: usize, depth: usize) -> Result<Value, DecodeError> {
    let t = Table::new_ref(Table::default());
    for i in 1..=n {
        let v = decode(interp, c, depth + 1)?;
        interp.raw_set(&t, Value::Num(i as f64), v).map_err(|_| DecodeError::BadFormat)?;
    }
    Ok(Value::Table(t))
}

fn decode_map(interp: &mut Interp, c: &mut Cursor, n: usize, depth: usize) -> Result<Value, DecodeError> {
    let t = Table::new_ref(Table::default());
    for _ in 0..n {
        let k = decode(interp, c, depth + 1)?;
        let v = decode(interp, c, depth + 1)?;
        if !matches!(k, Value::Nil) {
            interp.raw_set(&t, k, v).map_err(|_| DecodeError::BadFormat)?;
        }
    }
    Ok(Value::Table(t))
}

/// Unpacks up to `limit` objects (0: all) from `offset`: the objects and
/// where the next would start (-1 at the end).
fn unpack_from(interp: &mut Interp, data: &[u8], limit: i64, offset: i64) -> Result<(Vec<Value>, i64), LuaError> {
    if offset < 0 || limit < 0 {
        return Err(interp.error(format!("Invalid request to unpack with offset of {offset} and limit of {limit}.")));
    }
    if offset as usize > data.len() {
        return Err(interp.error(format!("Start offset {offset} greater than input length {}.", data.len())));
    }
    let mut c = Cursor { data, at: offset as usize };
    let mut values = Vec::new();
    while c.at < data.len() && (limit == 0 || (values.len() as i64) < limit) {
        if values.len() >= super::MAX_RESULTS {
            return Err(interp.error("too many return values at once; use unpack_one or unpack_limit instead."));
        }
        match decode(interp, &mut c, 0) {
            Ok(v) => values.push(v),
            Err(DecodeError::Eof) => return Err(interp.error("Missing bytes in input.")),
            Err(DecodeError::BadFormat) => return Err(interp.error("Bad data format in input.")),
        }
    }
    let next = if c.at >= data.len() { -1 } else { c.at as i64 };
    Ok((values, next))
}

fn unpack(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let data = check_str(interp, &args, 0, "unpack")?;
    Ok(unpack_from(interp, &data, 0, 0)?.0)
}

fn int_arg(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<i64, LuaError> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(0),
        Some(v) => v.to_number().map(|n| n as i64).ok_or_else(|| arg_error(interp, i, fname, "number expected")),
    }
}

/// The next offset (-1 at the end), then the objects unpacked.
fn unpack_with_offset(interp: &mut Interp, data: &[u8], limit: i64, offset: i64) -> Result<Vec<Value>, LuaError> {
    let (values, next) = unpack_from(interp, data, limit, offset)?;
    let mut out = vec![Value::Num(next as f64)];
    out.extend(values);
    Ok(out)
}

fn unpack_one(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let data = check_str(interp, &args, 0, "unpack_one")?;
    let offset = int_arg(interp, &args, 1, "unpack_one")?;
    unpack_with_offset(interp, &data, 1, offset)
}

fn unpack_limit(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let data = check_str(interp, &args, 0, "unpack_limit")?;
    let limit = int_arg(interp, &args, 1, "unpack_limit")?;
    let offset = int_arg(interp, &args, 2, "unpack_limit")?;
    unpack_with_offset(interp, &data, limit, offset)
}
