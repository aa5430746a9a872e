//! Listpacks (Redis 7's compact encoding for small hashes, sorted sets and
//! quicklist nodes), and the older compact blobs still found in RDB files
//! of earlier versions: ziplists, zipmaps and intsets.

use super::RdbError;

/// An element of a compact blob: Redis stores integer-looking strings as
/// integers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Int(i64),
    Bytes(Vec<u8>),
}

impl Item {
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Item::Int(n) => n.to_string().into_bytes(),
            Item::Bytes(b) => b,
        }
    }
}

/// Listpack's own string-to-integer test (as strict as string2ll).
pub fn as_int(bytes: &[u8]) -> Option<i64> {
    crate::engine::numfmt::parse_i64(bytes)
}

fn encode_backlen(len: usize, out: &mut Vec<u8>) {
    let l = len as u64;
    if l <= 127 {
        out.push(l as u8);
    } else if l < 16383 {
        out.extend_from_slice(&[(l >> 7) as u8, ((l & 127) | 128) as u8]);
    } else if l < 2_097_151 {
        out.extend_from_slice(&[(l >> 14) as u8, (((l >> 7) & 127) | 128) as u8, ((l & 127) | 128) as u8]);
    } else if l < 268_435_455 {
        out.extend_from_slice(&[
            (l >> 21) as u8,
            (((l >> 14) & 127) | 128) as u8,
            (((l >> 7) & 127) | 128) as u8,
            ((l & 127) | 128) as u8,
        ]);
    } else {
        out.extend_from_slice(&[
            (l >> 28) as u8,
            (((l >> 21) & 127) | 128) as u8,
            (((l >> 14) & 127) | 128) as u8,
            (((l >> 7) & 127) | 128) as u8,
            ((l & 127) | 128) as u8,
        ]);
    }
}

/// The bytes of one listpack entry (encoding and data, without backlen).
fn encode_entry(element: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    if let Some(v) = as_int(element) {
        if (0..=127).contains(&v) {
            e.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = if v < 0 { (1i64 << 13) + v } else { v } as u16;
            e.extend_from_slice(&[0xC0 | (u >> 8) as u8, (u & 0xff) as u8]);
        } else if (-32768..=32767).contains(&v) {
            e.push(0xF1);
            e.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            e.push(0xF2);
            e.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if i32::try_from(v).is_ok() {
            e.push(0xF3);
            e.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            e.push(0xF4);
            e.extend_from_slice(&v.to_le_bytes());
        }
        return e;
    }
    let len = element.len();
    if len < 64 {
        e.push(0x80 | len as u8);
    } else if len < 4096 {
        e.extend_from_slice(&[0xE0 | (len >> 8) as u8, (len & 0xff) as u8]);
    } else {
        e.push(0xF0);
        e.extend_from_slice(&(len as u32).to_le_bytes());
    }
    e.extend_from_slice(element);
    e
}

/// A listpack holding `elements` in order.
pub fn encode<'a>(elements: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut body = Vec::new();
    let mut count = 0usize;
    for element in elements {
        let entry = encode_entry(element);
        body.extend_from_slice(&entry);
        encode_backlen(entry.len(), &mut body);
        count += 1;
    }
    let total = 6 + body.len() + 1;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(count.min(65535) as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xFF);
    out
}

/// The bytes of a listpack holding `elements` (header, entries, end).
pub fn encoded_len(elements: &[Vec<u8>]) -> usize {
    7 + elements.iter().map(|e| entry_size(e)).sum::<usize>()
}

/// The size one element adds to a listpack (entry plus backlen).
pub fn entry_size(element: &[u8]) -> usize {
    let entry = encode_entry(element).len();
    let mut backlen = Vec::new();
    encode_backlen(entry, &mut backlen);
    entry + backlen.len()
}

fn corrupt(what: &str) -> RdbError {
    RdbError::Corrupt { offset: 0, what: format!("listpack: {what}") }
}

fn take<'a>(blob: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], RdbError> {
    let end = at.checked_add(n).filter(|&e| e <= blob.len()).ok_or_else(|| corrupt("entry runs past the end"))?;
    let s = &blob[*at..end];
    *at = end;
    Ok(s)
}

fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

pub fn decode(blob: &[u8]) -> Result<Vec<Item>, RdbError> {
    if blob.len() < 7 {
        return Err(corrupt("shorter than its header"));
    }
    let total = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if total != blob.len() {
        return Err(corrupt("header size does not match"));
    }
    let mut at = 6;
    let mut items = Vec::new();
    loop {
        let start = at;
        let first = *blob.get(at).ok_or_else(|| corrupt("missing terminator"))?;
        at += 1;
        let item = match first {
            0xFF => break,
            b if b & 0x80 == 0 => Item::Int((b & 0x7F) as i64),
            b if b & 0xC0 == 0x80 => Item::Bytes(take(blob, &mut at, (b & 0x3F) as usize)?.to_vec()),
            b if b & 0xE0 == 0xC0 => {
                let lo = take(blob, &mut at, 1)?[0];
                Item::Int(sign_extend((((b & 0x1F) as u64) << 8) | lo as u64, 13))
            }
            b if b & 0xF0 == 0xE0 => {
                let lo = take(blob, &mut at, 1)?[0];
                let len = (((b & 0x0F) as usize) << 8) | lo as usize;
                Item::Bytes(take(blob, &mut at, len)?.to_vec())
            }
            0xF0 => {
                let l = take(blob, &mut at, 4)?;
                let len = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
                Item::Bytes(take(blob, &mut at, len)?.to_vec())
            }
            0xF1 => {
                let b = take(blob, &mut at, 2)?;
                Item::Int(i16::from_le_bytes([b[0], b[1]]) as i64)
            }
            0xF2 => {
                let b = take(blob, &mut at, 3)?;
                Item::Int(sign_extend(u32::from_le_bytes([b[0], b[1], b[2], 0]) as u64, 24))
            }
            0xF3 => {
                let b = take(blob, &mut at, 4)?;
                Item::Int(i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64)
            }
            0xF4 => {
                let b = take(blob, &mut at, 8)?;
                Item::Int(i64::from_le_bytes(b.try_into().map_err(|_| corrupt("bad 64-bit integer"))?))
            }
            _ => return Err(corrupt("unknown entry encoding")),
        };
        // Skip the backlen, checking it describes the entry.
        let entry_len = at - start;
        let mut expected = Vec::new();
        encode_backlen(entry_len, &mut expected);
        let backlen = take(blob, &mut at, expected.len())?;
        if backlen != expected.as_slice() {
            return Err(corrupt("back length does not match its entry"));
        }
        items.push(item);
    }
    if at != blob.len() {
        return Err(corrupt("data after the terminator"));
    }
    Ok(items)
}

/// Ziplists (RDB written by Redis 3.2 to 6.2).
pub fn decode_ziplist(blob: &[u8]) -> Result<Vec<Item>, RdbError> {
    let bad = |what: &str| RdbError::Corrupt { offset: 0, what: format!("ziplist: {what}") };
    if blob.len() < 11 {
        return Err(bad("shorter than its header"));
    }
    let mut at = 10;
    let mut items = Vec::new();
    loop {
        let first = *blob.get(at).ok_or_else(|| bad("missing terminator"))?;
        if first == 0xFF {
            break;
        }
        // prevlen: one byte, or 0xFE and four more.
        at += if first == 0xFE { 5 } else { 1 };
        let enc = *blob.get(at).ok_or_else(|| bad("entry runs past the end"))?;
        at += 1;
        let item = match enc >> 6 {
            0 => Item::Bytes(take(blob, &mut at, (enc & 0x3F) as usize).map_err(|_| bad("string runs past the end"))?.to_vec()),
            1 => {
                let lo = take(blob, &mut at, 1).map_err(|_| bad("bad length"))?[0];
                let len = (((enc & 0x3F) as usize) << 8) | lo as usize;
                Item::Bytes(take(blob, &mut at, len).map_err(|_| bad("string runs past the end"))?.to_vec())
            }
            2 => {
                let l = take(blob, &mut at, 4).map_err(|_| bad("bad length"))?;
                let len = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
                Item::Bytes(take(blob, &mut at, len).map_err(|_| bad("string runs past the end"))?.to_vec())
            }
            _ => {
                let int = |n: usize, at: &mut usize| -> Result<i64, RdbError> {
                    let b = take(blob, at, n).map_err(|_| bad("integer runs past the end"))?;
                    let mut buf = [0u8; 8];
                    buf[..n].copy_from_slice(b);
                    Ok(sign_extend(u64::from_le_bytes(buf), (n * 8) as u32))
                };
                match enc {
                    0xC0 => Item::Int(int(2, &mut at)?),
                    0xD0 => Item::Int(int(4, &mut at)?),
                    0xE0 => Item::Int(int(8, &mut at)?),
                    0xF0 => Item::Int(int(3, &mut at)?),
                    0xFE => Item::Int(int(1, &mut at)?),
                    0xF1..=0xFD => Item::Int((enc & 0x0F) as i64 - 1),
                    _ => return Err(bad("unknown entry encoding")),
                }
            }
        };
        items.push(item);
    }
    Ok(items)
}

/// Zipmaps (small hashes in RDB files before Redis 2.6).
pub fn decode_zipmap(blob: &[u8]) -> Result<Vec<Vec<u8>>, RdbError> {
    let bad = || RdbError::Corrupt { offset: 0, what: "zipmap: entry runs past the end".into() };
    let mut at = 1;
    let mut out = Vec::new();
    let len = |at: &mut usize| -> Result<Option<usize>, RdbError> {
        let b = *blob.get(*at).ok_or_else(bad)?;
        *at += 1;
        Ok(match b {
            255 => None,
            254 => {
                let l = take(blob, at, 4).map_err(|_| bad())?;
                Some(u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize)
            }
            n => Some(n as usize),
        })
    };
    loop {
        let Some(klen) = len(&mut at)? else { break };
        out.push(take(blob, &mut at, klen).map_err(|_| bad())?.to_vec());
        let vlen = len(&mut at)?.ok_or_else(bad)?;
        let free = *blob.get(at).ok_or_else(bad)? as usize;
        at += 1;
        out.push(take(blob, &mut at, vlen).map_err(|_| bad())?.to_vec());
        at += free;
    }
    if out.len() % 2 != 0 {
        return Err(bad());
    }
    Ok(out)
}

/// Intsets: sorted integers of one width.
pub fn encode_intset(values: &[i64]) -> Vec<u8> {
    let width: usize = if values.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if values.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * values.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for &v in values {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

pub fn decode_intset(blob: &[u8]) -> Result<Vec<i64>, RdbError> {
    let bad = |what: &str| RdbError::Corrupt { offset: 0, what: format!("intset: {what}") };
    if blob.len() < 8 {
        return Err(bad("shorter than its header"));
    }
    let width = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    let count = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    if ![2, 4, 8].contains(&width) {
        return Err(bad("unknown width"));
    }
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(blob.len()) {
        return Err(bad("length does not match its count"));
    }
    let values: Vec<i64> = blob[8..]
        .chunks(width)
        .map(|c| {
            let mut buf = [0u8; 8];
            buf[..width].copy_from_slice(c);
            sign_extend(u64::from_le_bytes(buf), (width * 8) as u32)
        })
        .collect();
    if values.windows(2).any(|w| w[0] >= w[1]) {
        return Err(bad("values not sorted and unique"));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_round_trip_every_encoding() {
        let big = vec![b'x'; 5000];
        let mid = vec![b'y'; 100];
        let elements: Vec<&[u8]> = vec![
            b"0", b"127", b"128", b"-1", b"-4096", b"4095", b"4096", b"-32768", b"32767", b"8388607", b"-8388608",
            b"2147483647", b"-2147483648", b"9223372036854775807", b"-9223372036854775808", b"007", b"", b"hello",
            &mid, &big,
        ];
        let blob = encode(elements.iter().copied());
        let decoded: Vec<Vec<u8>> = decode(&blob).unwrap().into_iter().map(Item::into_bytes).collect();
        assert_eq!(decoded, elements.iter().map(|e| e.to_vec()).collect::<Vec<_>>());
        assert!(decode(&blob[..blob.len() - 1]).is_err());
    }

    #[test]
    fn intset_round_trip() {
        for values in [vec![1, 2, 3], vec![-70000, 5], vec![i64::MIN, 0, i64::MAX]] {
            assert_eq!(decode_intset(&encode_intset(&values)).unwrap(), values);
        }
        assert!(decode_intset(&[2, 0, 0, 0, 9, 0, 0, 0]).is_err());
    }
}
