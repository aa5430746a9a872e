//! `struct` as Redis bundles it (Roberto Ierusalimschy's struct.c, 2018):
//! `pack`, `unpack` and `size` of binary records described by a format
//! string, laid out as on the x86-64 machines Redis runs on (little endian
//! by default, `long` and `size_t` of 8 bytes, `int` of 4, alignment up to
//! 8), with its error texts.

use super::stdlib::{arg_error, check_num, check_str, opt_int};
use super::value::{LuaError, Native, Value};
use super::Interp;

pub const STRUCT: &[(&str, Native)] = &[("pack", pack), ("unpack", unpack), ("size", size)];

/// The widest integer a format may ask for (`i32`).
const MAX_INT_SIZE: usize = 32;
/// `!` without a number: the strictest alignment of the machine.
const MAX_ALIGN: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endian {
    Big,
    Little,
}

/// The byte order and alignment in force (`>`, `<`, `!n` change them).
struct Header {
    endian: Endian,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header { endian: Endian::Little, align: 1 }
    }
}

/// Reads a format one option at a time.
struct Format<'a> {
    bytes: &'a [u8],
    at: usize,
    fname: &'static str,
}

impl Format<'_> {
    fn next_option(&mut self) -> Option<u8> {
        let opt = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(opt)
    }

    /// The digits after an option, or `default` when there are none.
    fn number(&mut self, interp: &Interp, default: usize) -> Result<usize, LuaError> {
        if !self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut n: i64 = 0;
        while let Some(d) = self.bytes.get(self.at).filter(|b| b.is_ascii_digit()) {
            let d = (d - b'0') as i64;
            if n > i32::MAX as i64 / 10 || n * 10 > i32::MAX as i64 - d {
                return Err(interp.error("integral size overflow"));
            }
            n = n * 10 + d;
            self.at += 1;
        }
        Ok(n as usize)
    }

    /// How many bytes an option takes (0: a control option, or `s`).
    fn option_size(&mut self, interp: &Interp, opt: u8) -> Result<usize, LuaError> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(interp, 1)?,
            b'i' | b'I' => {
                let size = self.number(interp, 4)?;
                if size > MAX_INT_SIZE {
                    return Err(interp.error(format!("integral size {size} is larger than limit of {MAX_INT_SIZE}")));
                }
                size
            }
            _ => 0,
        })
    }

    /// `>`, `<`, `!n` and blanks; anything else is not an option.
    fn control(&mut self, interp: &Interp, opt: u8, header: &mut Header) -> Result<(), LuaError> {
        match opt {
            b' ' => {}
            b'>' => header.endian = Endian::Big,
            b'<' => header.endian = Endian::Little,
            b'!' => {
                let align = self.number(interp, MAX_ALIGN)?;
                if !align.is_power_of_two() {
                    return Err(interp.error(format!("alignment {align} is not a power of 2")));
                }
                header.align = align;
            }
            _ => {
                let shown = String::from_utf8_lossy(&[opt]).into_owned();
                return Err(arg_error(interp, 0, self.fname, &format!("invalid format option '{shown}'")));
            }
        }
        Ok(())
    }
}

/// Padding bytes that align an item of `size` at offset `len` (offsets
/// are 64-bit as on Redis's machines, in wasm32 too).
fn padding(len: u64, header: &Header, opt: u8, size: usize) -> u64 {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(header.align) as u64;
    (size.wrapping_sub(len & size.wrapping_sub(1))) & size.wrapping_sub(1)
}

/// A Lua number as C converts it to the format's unsigned long (through
/// a signed long when negative), as x86-64 does it out of range.
fn to_unsigned(n: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if n < 0.0 {
        n as i64 as u64
    } else if n < TWO_63 {
        n as u64
    } else if n < 2.0 * TWO_63 {
        ((n - TWO_63) as u64) ^ (1 << 63)
    } else {
        0
    }
}

fn put_integer(out: &mut Vec<u8>, value: u64, endian: Endian, size: usize) {
    // Past the eighth byte the shifted value is zero, sign or not.
    let bytes: Vec<u8> = (0..size).map(|i| if i < 8 { (value >> (8 * i)) as u8 } else { 0 }).collect();
    match endian {
        Endian::Little => out.extend_from_slice(&bytes),
        Endian::Big => out.extend(bytes.iter().rev()),
    }
}

fn get_integer(data: &[u8], endian: Endian, signed: bool, size: usize) -> f64 {
    let mut value: u64 = 0;
    let mut push = |b: u8| value = (value << 8) | b as u64;
    match endian {
        Endian::Big => data.iter().for_each(|&b| push(b)),
        Endian::Little => data.iter().rev().for_each(|&b| push(b)),
    }
    if !signed {
        return value as f64;
    }
    // C shifts by size*8-1, which x86 takes modulo 64.
    let mask = u64::MAX << ((size * 8).wrapping_sub(1) & 63);
    if value & mask != 0 {
        value |= mask;
    }
    value as i64 as f64
}

/// Little-endian bytes in the format's order, and back: the same swap.
fn in_order<const N: usize>(mut bytes: [u8; N], endian: Endian) -> [u8; N] {
    if endian == Endian::Big {
        bytes.reverse();
    }
    bytes
}

/// The `N` bytes at `at`, in little-endian order.
fn read_le<const N: usize>(data: &[u8], at: usize, endian: Endian) -> [u8; N] {
    let mut bytes = [0u8; N];
    bytes.copy_from_slice(&data[at..at + N]);
    in_order(bytes, endian)
}

fn pack(interp: &mut Interp, mut args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let format = check_str(interp, &args, 0, "pack")?;
    // struct.c pushes a nil after the arguments before packing: a value
    // missing right after them is that nil.
    args.push(Value::Nil);
    let mut f = Format { bytes: &format, at: 0, fname: "pack" };
    let mut header = Header::default();
    let mut arg = 1;
    let mut out = Vec::new();
    while let Some(opt) = f.next_option() {
        let mut size = f.option_size(interp, opt)?;
        let pad = padding(out.len() as u64, &header, opt, size) as usize;
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_num(interp, &args, arg, "pack")?;
                arg += 1;
                put_integer(&mut out, to_unsigned(n), header.endian, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let v = check_num(interp, &args, arg, "pack")? as f32;
                arg += 1;
                out.extend_from_slice(&in_order(v.to_le_bytes(), header.endian));
            }
            b'd' => {
                let v = check_num(interp, &args, arg, "pack")?;
                arg += 1;
                out.extend_from_slice(&in_order(v.to_le_bytes(), header.endian));
            }
            b'c' | b's' => {
                let s = check_str(interp, &args, arg, "pack")?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // struct.c names the argument after the string.
                    return Err(arg_error(interp, arg, "pack", "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(interp, opt, &mut header)?,
        }
        if out.len() > super::STRING_LIMIT {
            return Err(interp.error("not enough memory"));
        }
    }
    Ok(vec![interp.new_string(out)?])
}

fn unpack(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let format = check_str(interp, &args, 0, "unpack")?;
    let data = check_str(interp, &args, 1, "unpack")?;
    let start = opt_int(interp, &args, 2, "unpack", 1)?;
    if start == 0 {
        return Err(arg_error(interp, 2, "unpack", "offset must be 1 or greater"));
    }
    // C keeps the offset in a size_t: a negative one is past any data.
    let mut pos = (start as u64).wrapping_sub(1);
    let mut f = Format { bytes: &format, at: 0, fname: "unpack" };
    let mut header = Header::default();
    let mut results: Vec<Value> = Vec::new();
    let too_short = |interp: &Interp| arg_error(interp, 1, "unpack", "data string too short");
    let len = data.len() as u64;
    let fits = |pos: u64, size: u64| size <= len && pos <= len - size;
    while let Some(opt) = f.next_option() {
        let size = f.option_size(interp, opt)?;
        pos = pos.wrapping_add(padding(pos, &header, opt, size));
        if !fits(pos, size as u64) {
            return Err(too_short(interp));
        }
        // Fits: both are within the data now.
        let (at, mut size) = (pos as usize, size as u64);
        if results.len() + 2 > super::MAX_RESULTS {
            return Err(interp.error("stack overflow (too many results)"));
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                let width = size as usize;
                results.push(Value::Num(get_integer(&data[at..at + width], header.endian, signed, width)));
            }
            b'x' => {}
            b'f' => results.push(Value::Num(f32::from_le_bytes(read_le(&data, at, header.endian)) as f64)),
            b'd' => results.push(Value::Num(f64::from_le_bytes(read_le(&data, at, header.endian)))),
            b'c' => {
                if size == 0 {
                    let Some(n) = results.last().and_then(Value::to_number) else {
                        return Err(interp.error("format 'c0' needs a previous size"));
                    };
                    results.pop();
                    size = to_unsigned(n);
                    if !fits(pos, size) {
                        return Err(too_short(interp));
                    }
                }
                results.push(interp.new_string(data[at..at + size as usize].to_vec())?);
            }
            b's' => {
                let Some(end) = data[at..].iter().position(|&b| b == 0) else {
                    return Err(interp.error("unfinished string in data"));
                };
                size = end as u64 + 1;
                results.push(interp.new_string(data[at..at + end].to_vec())?);
            }
            _ => f.control(interp, opt, &mut header)?,
        }
        pos = pos.wrapping_add(size);
    }
    results.push(Value::Num(pos.wrapping_add(1) as i64 as f64));
    Ok(results)
}

fn size(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let format = check_str(interp, &args, 0, "size")?;
    let mut f = Format { bytes: &format, at: 0, fname: "size" };
    let mut header = Header::default();
    let mut pos: u64 = 0;
    while let Some(opt) = f.next_option() {
        let size = f.option_size(interp, opt)?;
        pos = pos.wrapping_add(padding(pos, &header, opt, size));
        if opt == b's' {
            return Err(arg_error(interp, 0, "size", "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(arg_error(interp, 0, "size", "option 'c0' has no fixed size"));
        }
        // A letter or digit that is not an option counts nothing here.
        if !opt.is_ascii_alphanumeric() {
            f.control(interp, opt, &mut header)?;
        }
        pos = pos.wrapping_add(size as u64);
    }
    Ok(vec![Value::Num(pos as i64 as f64)])
}
