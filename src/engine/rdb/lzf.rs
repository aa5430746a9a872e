//! LZF, the compression RDB strings use (`rdbcompression yes`). The
//! compressor follows liblzf's VERY_FAST variant with a 16-bit hash table,
//! so it usually emits the very bytes Redis does; liblzf reuses an
//! uninitialised table, so Redis's output can differ in which earlier match
//! it picks, never in what decompresses.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

fn idx(h: u32) -> usize {
    (((h >> (24 - HLOG)).wrapping_sub(h.wrapping_mul(5))) as usize) & (HSIZE - 1)
}

/// Adds one byte to the literal run being written; a full run gets its
/// header (length - 1) and a new run's header slot is opened.
fn push_literal(out: &mut Vec<u8>, lit: &mut usize, byte: u8) {
    *lit += 1;
    out.push(byte);
    if *lit == MAX_LIT {
        let header = out.len() - *lit - 1;
        out[header] = (*lit - 1) as u8;
        *lit = 0;
        out.push(0);
    }
}

/// Compresses `input`; `None` unless the result is at most `max_out` bytes.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let n = input.len();
    if n == 0 || max_out == 0 {
        return None;
    }
    // Slots hold position + 1; 0 means empty.
    let mut table = vec![0usize; HSIZE];
    let mut out: Vec<u8> = Vec::with_capacity(max_out + 1);
    let at = |i: usize| input.get(i).copied().unwrap_or(0) as u32;
    let mut lit = 0usize;
    out.push(0); // run header placeholder
    let mut ip = 0usize;
    let mut hval = (at(0) << 8) | at(1);
    while ip + 2 < n {
        hval = (hval << 8) | at(ip + 2);
        let slot = idx(hval);
        let reference = table[slot];
        table[slot] = ip + 1;
        let matched = reference > 1 && {
            let r = reference - 1;
            let off = ip - r - 1;
            off < MAX_OFF && input[r + 2] == input[ip + 2] && input[r] == input[ip] && input[r + 1] == input[ip + 1]
        };
        if matched {
            let r = reference - 1;
            let off = ip - r - 1;
            let mut len = 2usize;
            let maxlen = (n - ip - len).min(MAX_REF);
            if out.len() + 3 + 1 >= max_out && out.len() - (lit == 0) as usize + 3 + 1 >= max_out {
                return None;
            }
            let header = out.len() - lit - 1;
            out[header] = (lit as u8).wrapping_sub(1);
            if lit == 0 {
                out.pop();
            }
            // liblzf's unrolled fast path compares 16 bytes before looking
            // at maxlen again; keep its exact stopping points.
            'scan: {
                if maxlen > 16 {
                    for _ in 0..16 {
                        len += 1;
                        if input[r + len] != input[ip + len] {
                            break 'scan;
                        }
                    }
                }
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out.push(((off >> 8) + (len << 5)) as u8);
            } else {
                out.push(((off >> 8) + (7 << 5)) as u8);
                out.push((len - 7) as u8);
            }
            out.push(off as u8);
            lit = 0;
            out.push(0);
            ip += len + 1;
            if ip + 2 >= n {
                break;
            }
            ip -= 2;
            hval = (at(ip) << 8) | at(ip + 1);
            hval = (hval << 8) | at(ip + 2);
            table[idx(hval)] = ip + 1;
            ip += 1;
            hval = (hval << 8) | at(ip + 2);
            table[idx(hval)] = ip + 1;
            ip += 1;
        } else {
            if out.len() >= max_out {
                return None;
            }
            push_literal(&mut out, &mut lit, input[ip]);
            ip += 1;
        }
    }
    if out.len() + 3 > max_out {
        return None;
    }
    while ip < n {
        push_literal(&mut out, &mut lit, input[ip]);
        ip += 1;
    }
    let header = out.len() - lit - 1;
    out[header] = (lit as u8).wrapping_sub(1);
    if lit == 0 {
        out.pop();
    }
    (out.len() <= max_out).then_some(out)
}

/// Decompresses into exactly `out_len` bytes; `None` if the data is corrupt.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(out_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let literal = input.get(ip..ip + run)?;
            if out.len() + run > out_len {
                return None;
            }
            out.extend_from_slice(literal);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            len += 2;
            if back > out.len() || out.len() + len > out_len {
                return None;
            }
            let start = out.len() - back;
            for i in 0..len {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_matches_redis_output() {
        // Bytes Redis 7.0.15 wrote for 100 x 'a' (strings.rdb fixture).
        let a100 = vec![b'a'; 100];
        let packed = compress(&a100, 96).unwrap();
        assert_eq!(packed, [0x01, 0x61, 0x61, 0xe0, 0x57, 0x00, 0x01, 0x61, 0x61]);
        assert_eq!(decompress(&packed, 100).unwrap(), a100);
        // And for 21 x 'x'.
        let x21 = vec![b'x'; 21];
        assert_eq!(compress(&x21, 17).unwrap(), [0x01, 0x78, 0x78, 0xe0, 0x0a, 0x00]);
        let text: Vec<u8> = (0..5000).map(|i| b"the quick brown fox "[i % 20] ^ (i / 700) as u8).collect();
        let packed = compress(&text, text.len()).unwrap();
        assert!(packed.len() < text.len() / 3);
        assert_eq!(decompress(&packed, text.len()).unwrap(), text);
        assert!(compress(b"abcdefgh", 4).is_none());
        assert!(decompress(&[0xe0, 0x00, 0x05], 10).is_none());
    }
}
