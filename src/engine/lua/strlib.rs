//! Lua 5.1's string library as Redis opens it: `string.format` on C's
//! printf rules, `find`/`match`/`gmatch`/`gsub` on Lua patterns, and the
//! metatable that gives strings their methods (`s:upper()`).

use std::rc::Rc;

use super::format::{format_float_spec, format_integer, quoted, Spec};
use super::patterns::{is_plain, Capture, Matcher};
use super::stdlib::{arg_error, check_int, check_num, check_str, one, num, opt_int, type_error};
use super::value::{Function, LuaError, Native, Table, TableRef, Value};
use super::Interp;

pub const STRING: &[(&str, Native)] = &[
    ("byte", str_byte),
    ("char", str_char),
    ("dump", str_dump),
    ("find", str_find),
    ("format", str_format),
    ("gfind", str_gmatch),
    ("gmatch", str_gmatch),
    ("gsub", str_gsub),
    ("len", str_len),
    ("lower", str_lower),
    ("match", str_match),
    ("rep", str_rep),
    ("reverse", str_reverse),
    ("sub", str_sub),
    ("upper", str_upper),
];

/// A Lua string index (1-based, negative from the end) as 0-based start.
fn relative(pos: i64, len: usize) -> i64 {
    if pos < 0 {
        len as i64 + pos + 1
    } else {
        pos
    }
}

fn str_len(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    num(check_str(interp, &args, 0, "len")?.len() as f64)
}

fn str_sub(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let s = check_str(interp, &args, 0, "sub")?;
    let len = s.len();
    let start = relative(opt_int(interp, &args, 1, "sub", 1)?, len).max(1);
    let end = relative(opt_int(interp, &args, 2, "sub", -1)?, len).min(len as i64);
    if start > end {
        return one(Value::str(b""));
    }
    let piece = s[(start - 1) as usize..end as usize].to_vec();
    let v = interp.new_string(piece)?;
    one(v)
}

fn str_upper(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let s = check_str(interp, &args, 0, "upper")?.to_ascii_uppercase();
    let v = interp.new_string(s)?;
    one(v)
}

fn str_lower(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let s = check_str(interp, &args, 0, "lower")?.to_ascii_lowercase();
    let v = interp.new_string(s)?;
    one(v)
}

fn str_reverse(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let mut s = check_str(interp, &args, 0, "reverse")?.to_vec();
    s.reverse();
    let v = interp.new_string(s)?;
    one(v)
}

fn str_rep(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let s = check_str(interp, &args, 0, "rep")?;
    let n = check_int(interp, &args, 1, "rep")?;
    if n <= 0 || s.is_empty() {
        return one(Value::str(b""));
    }
    if (s.len() as u128) * (n as u128) > super::STRING_LIMIT as u128 {
        return Err(interp.error("not enough memory"));
    }
    let v = interp.new_string(s.repeat(n as usize))?;
    one(v)
}

fn str_byte(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let s = check_str(interp, &args, 0, "byte")?;
    let start = relative(opt_int(interp, &args, 1, "byte", 1)?, s.len());
    let end = relative(opt_int(interp, &args, 2, "byte", start)?, s.len()).min(s.len() as i64);
    let start = start.max(1);
    if start > end {
        return Ok(Vec::new());
    }
    if end - start >= super::MAX_RESULTS as i64 {
        return Err(interp.error("string slice too long"));
    }
    Ok(s[(start - 1) as usize..end as usize].iter().map(|&b| Value::Num(b as f64)).collect())
}

fn str_char(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let mut out = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        let c = check_int(interp, &args, i, "char")?;
        if !(0..=255).contains(&c) {
            return Err(arg_error(interp, i, "char", "invalid value"));
        }
        out.push(c as u8);
    }
    one(Value::Str(out.into()))
}

/// A Lua 5.1 function's bytecode header: Redis refuses to load binary
/// chunks (loadstring answers nil), so nothing can run what follows it.
fn str_dump(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    match args.first() {
        Some(Value::Func(f)) if matches!(**f, Function::Lua { .. }) => one(Value::str(b"\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00")),
        Some(Value::Func(_)) => Err(interp.error("unable to dump given function")),
        _ => Err(type_error(interp, &args, 0, "dump", "function")),
    }
}

fn capture_value(src: &[u8], captures: &[Capture], i: usize, whole: (usize, usize)) -> Value {
    match captures.get(i) {
        None if i == 0 => Value::str(&src[whole.0..whole.1]),
        Some(Capture::Span(start, len)) => Value::str(&src[*start..start + len]),
        Some(Capture::Position(p)) => Value::Num((*p + 1) as f64),
        _ => Value::Nil,
    }
}

fn all_captures(src: &[u8], m: &Matcher, whole: (usize, usize)) -> Vec<Value> {
    let n = m.captures.len().max(1);
    (0..n).map(|i| capture_value(src, &m.captures, i, whole)).collect()
}

fn pattern_error(interp: &Interp, msg: String) -> LuaError {
    interp.error(msg)
}

fn find_or_match(interp: &mut Interp, args: Vec<Value>, find: bool) -> Result<Vec<Value>, LuaError> {
    let fname = if find { "find" } else { "match" };
    let s = check_str(interp, &args, 0, fname)?;
    let p = check_str(interp, &args, 1, fname)?;
    let init = relative(opt_int(interp, &args, 2, fname, 1)?, s.len()).max(1) - 1;
    if init as usize > s.len() {
        return one(Value::Nil);
    }
    let init = init as usize;
    let plain = args.get(3).is_some_and(Value::truthy);
    if find && (plain || is_plain(&p)) {
        let at = if p.is_empty() { Some(0) } else { s[init..].windows(p.len()).position(|w| w == &p[..]) };
        return match at {
            Some(i) => Ok(vec![Value::Num((init + i + 1) as f64), Value::Num((init + i + p.len()) as f64)]),
            None => one(Value::Nil),
        };
    }
    let (anchor, pat) = if p.first() == Some(&b'^') { (true, &p[1..]) } else { (false, &p[..]) };
    let mut start = init;
    loop {
        let mut m = Matcher::new(&s, pat);
        interp.steps += 1;
        match m.do_match(start, 0).map_err(|e| pattern_error(interp, e))? {
            Some(end) => {
                if find {
                    let mut out = vec![Value::Num((start + 1) as f64), Value::Num(end as f64)];
                    if !m.captures.is_empty() {
                        out.extend(all_captures(&s, &m, (start, end)));
                    }
                    return Ok(out);
                }
                return Ok(all_captures(&s, &m, (start, end)));
            }
            None => {
                start += 1;
                if anchor || start > s.len() {
                    return one(Value::Nil);
                }
            }
        }
    }
}

fn str_find(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    find_or_match(interp, args, true)
}

fn str_match(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    find_or_match(interp, args, false)
}

fn str_gmatch(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let s = check_str(interp, &args, 0, "gmatch")?;
    let p = check_str(interp, &args, 1, "gmatch")?;
    let mut position = Table::default();
    position.set(Value::Num(1.0), Value::Num(0.0));
    let state = vec![Value::Str(s), Value::Str(p), Value::Table(Table::new_ref(position))];
    one(Value::Func(Rc::new(Function::Stateful("gmatch_aux", gmatch_aux, state))))
}

/// The iterator keeps its position in a table it shares with itself: a
/// stateful native gets its state as its first arguments, by value, so the
/// position lives in a table.
fn gmatch_aux(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let (Some(Value::Str(s)), Some(Value::Str(p)), Some(pos)) = (args.first(), args.get(1), args.get(2)) else {
        return one(Value::Nil);
    };
    let position = match pos {
        Value::Table(t) => t.clone(),
        _ => return one(Value::Nil),
    };
    let mut start = position.borrow().get(&Value::Num(1.0)).to_number().unwrap_or(0.0) as usize;
    while start <= s.len() {
        let mut m = Matcher::new(s, p);
        interp.steps += 1;
        if let Some(end) = m.do_match(start, 0).map_err(|e| pattern_error(interp, e))? {
            let next = if end == start { end + 1 } else { end };
            position.borrow_mut().set(Value::Num(1.0), Value::Num(next as f64));
            return Ok(all_captures(s, &m, (start, end)));
        }
        start += 1;
    }
    position.borrow_mut().set(Value::Num(1.0), Value::Num(start as f64));
    one(Value::Nil)
}

fn str_gsub(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let s = check_str(interp, &args, 0, "gsub")?;
    let p = check_str(interp, &args, 1, "gsub")?;
    let repl = match args.get(2) {
        Some(v @ (Value::Num(_) | Value::Str(_) | Value::Table(_) | Value::Func(_))) => v.clone(),
        _ => return Err(type_error(interp, &args, 2, "gsub", "string/function/table")),
    };
    let max = match args.get(3) {
        None | Some(Value::Nil) => i64::MAX,
        _ => check_int(interp, &args, 3, "gsub")?,
    };
    let (anchor, pat) = if p.first() == Some(&b'^') { (true, &p[1..]) } else { (false, &p[..]) };
    let mut out = Vec::with_capacity(s.len());
    let (mut start, mut count) = (0usize, 0i64);
    while count < max {
        let mut m = Matcher::new(&s, pat);
        interp.steps += 1;
        let found = m.do_match(start, 0).map_err(|e| pattern_error(interp, e))?;
        if let Some(end) = found {
            count += 1;
            let whole = &s[start..end];
            let first = capture_value(&s, &m.captures, 0, (start, end));
            let replacement = match &repl {
                Value::Num(_) | Value::Str(_) => {
                    let r = repl.to_bytes().unwrap_or_else(|| b""[..].into());
                    let mut piece = Vec::new();
                    let mut i = 0;
                    while i < r.len() {
                        if r[i] == b'%' && i + 1 < r.len() {
                            i += 1;
                            let d = r[i];
                            if d == b'0' {
                                piece.extend_from_slice(whole);
                            } else if d.is_ascii_digit() {
                                let index = (d - b'1') as usize;
                                if index >= m.captures.len().max(1) {
                                    return Err(interp.error(format!("invalid capture index %{}", d as char)));
                                }
                                let v = capture_value(&s, &m.captures, index, (start, end));
                                piece.extend_from_slice(&v.to_bytes().unwrap_or_else(|| b""[..].into()));
                            } else {
                                piece.push(d);
                            }
                        } else {
                            piece.push(r[i]);
                        }
                        i += 1;
                    }
                    Some(piece)
                }
                Value::Table(t) => {
                    let v = interp.index(&Value::Table(t.clone()), &first, None)?;
                    replacement_value(interp, v)?
                }
                _ => {
                    let v = interp.call(&repl, all_captures(&s, &m, (start, end)))?.into_iter().next().unwrap_or(Value::Nil);
                    replacement_value(interp, v)?
                }
            };
            out.extend_from_slice(&replacement.unwrap_or_else(|| whole.to_vec()));
            if out.len() > super::STRING_LIMIT {
                return Err(interp.error("not enough memory"));
            }
        }
        match found {
            Some(end) if end > start => start = end,
            _ => {
                if start < s.len() {
                    out.push(s[start]);
                }
                start += 1;
            }
        }
        if start > s.len() || anchor {
            break;
        }
    }
    if start < s.len() {
        out.extend_from_slice(&s[start..]);
    }
    let v = interp.new_string(out)?;
    Ok(vec![v, Value::Num(count as f64)])
}

fn replacement_value(interp: &Interp, v: Value) -> Result<Option<Vec<u8>>, LuaError> {
    match v {
        Value::Nil | Value::Bool(false) => Ok(None),
        Value::Str(_) | Value::Num(_) => Ok(v.to_bytes().map(|b| b.to_vec())),
        other => Err(interp.error(format!("invalid replacement value (a {})", other.type_name()))),
    }
}

fn str_format(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let fmt = check_str(interp, &args, 0, "format")?;
    let mut out = Vec::new();
    let mut arg = 0;
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        if fmt.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        let mut spec = Spec::default();
        let flags_start = i;
        while let Some(&f) = fmt.get(i) {
            match f {
                b'-' => spec.left = true,
                b'+' => spec.plus = true,
                b' ' => spec.space = true,
                b'#' => spec.alternate = true,
                b'0' => spec.zero = true,
                _ => break,
            }
            i += 1;
        }
        if i - flags_start > 5 {
            return Err(interp.error("invalid format (repeated flags)"));
        }
        // Lua allows two digits of width and two of precision.
        let two_digits = |i: &mut usize| -> Result<usize, LuaError> {
            let mut n = 0;
            let mut digits = 0;
            while fmt.get(*i).is_some_and(u8::is_ascii_digit) {
                digits += 1;
                if digits > 2 {
                    return Err(interp.error("invalid format (width or precision too long)"));
                }
                n = n * 10 + (fmt[*i] - b'0') as usize;
                *i += 1;
            }
            Ok(n)
        };
        spec.width = two_digits(&mut i)?;
        if fmt.get(i) == Some(&b'.') {
            i += 1;
            spec.precision = Some(two_digits(&mut i)?);
        }
        let Some(&conv) = fmt.get(i) else {
            return Err(interp.error("invalid option '%' to 'format'"));
        };
        i += 1;
        arg += 1;
        if arg >= args.len() && conv != b'%' {
            return Err(arg_error(interp, arg, "format", "no value"));
        }
        match conv {
            b'c' => {
                let n = check_num(interp, &args, arg, "format")?;
                out.extend(spec.pad_bytes(&[n as i64 as u8]));
            }
            b'd' | b'i' | b'o' | b'u' | b'x' | b'X' => {
                let n = check_num(interp, &args, arg, "format")?;
                out.extend_from_slice(format_integer(n, conv as char, &spec).as_bytes());
            }
            b'e' | b'E' | b'f' | b'g' | b'G' => {
                let n = check_num(interp, &args, arg, "format")?;
                out.extend_from_slice(format_float_spec(n, conv as char, &spec).as_bytes());
            }
            b'q' => {
                let s = check_str(interp, &args, arg, "format")?;
                out.extend(quoted(&s));
            }
            b's' => {
                let s = check_str(interp, &args, arg, "format")?;
                let shown = match spec.precision {
                    Some(p) => &s[..p.min(s.len())],
                    None => &s[..],
                };
                out.extend(spec.pad_bytes(shown));
            }
            other => {
                return Err(interp.error(format!("invalid option '%{}' to 'format'", other as char)));
            }
        }
        if out.len() > super::STRING_LIMIT {
            return Err(interp.error("not enough memory"));
        }
    }
    let v = interp.new_string(out)?;
    one(v)
}

/// `string`'s methods for `s:upper()`: the metatable every string shares.
pub fn string_metatable(string_lib: &TableRef) -> TableRef {
    let mut meta = Table::default();
    meta.set(Value::str(b"__index"), Value::Table(string_lib.clone()));
    meta.readonly = true;
    Table::new_ref(meta)
}
