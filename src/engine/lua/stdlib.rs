//! The libraries Redis opens in its Lua 5.1: base, string, table, math and
//! bit (LuaBitOp), without io, os, debug, print or file loading, as Redis
//! 7.0 leaves them. Argument errors use lauxlib's wording.

use std::rc::Rc;

use super::format::{format_float_spec, format_integer, quoted, Spec};
use super::patterns::{is_plain, Capture, Matcher};
use super::value::{Function, LuaError, Native, Table, TableRef, Value};
use super::Interp;

pub fn native(name: &'static str, f: Native) -> Value {
    Value::Func(Rc::new(Function::Native(name, f)))
}

pub fn library(entries: &[(&'static str, Native)]) -> TableRef {
    let mut t = Table::default();
    for (name, f) in entries {
        t.set(Value::str(name.as_bytes()), native(name, *f));
    }
    Table::new_ref(t)
}

fn got(args: &[Value], i: usize) -> &'static str {
    args.get(i).map_or("no value", Value::type_name)
}

pub fn arg_error(interp: &Interp, i: usize, fname: &str, msg: &str) -> LuaError {
    interp.error(format!("bad argument #{} to '{}' ({})", i + 1, fname, msg))
}

fn type_error(interp: &Interp, args: &[Value], i: usize, fname: &str, expected: &str) -> LuaError {
    arg_error(interp, i, fname, &format!("{expected} expected, got {}", got(args, i)))
}

pub fn check_num(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<f64, LuaError> {
    args.get(i).and_then(Value::to_number).ok_or_else(|| type_error(interp, args, i, fname, "number"))
}

fn opt_num(interp: &Interp, args: &[Value], i: usize, fname: &str, default: f64) -> Result<f64, LuaError> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(default),
        _ => check_num(interp, args, i, fname),
    }
}

fn check_int(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<i64, LuaError> {
    check_num(interp, args, i, fname).map(|n| n as i64)
}

fn opt_int(interp: &Interp, args: &[Value], i: usize, fname: &str, default: i64) -> Result<i64, LuaError> {
    opt_num(interp, args, i, fname, default as f64).map(|n| n as i64)
}

pub fn check_str(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<Rc<[u8]>, LuaError> {
    args.get(i).and_then(Value::to_bytes).ok_or_else(|| type_error(interp, args, i, fname, "string"))
}

fn check_table(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<TableRef, LuaError> {
    match args.get(i) {
        Some(Value::Table(t)) => Ok(t.clone()),
        _ => Err(type_error(interp, args, i, fname, "table")),
    }
}

fn check_any(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<Value, LuaError> {
    args.get(i).cloned().ok_or_else(|| arg_error(interp, i, fname, "value expected"))
}

fn one(v: Value) -> Result<Vec<Value>, LuaError> {
    Ok(vec![v])
}

fn num(n: f64) -> Result<Vec<Value>, LuaError> {
    Ok(vec![Value::Num(n)])
}

// ---- base ----

pub const BASE: &[(&str, Native)] = &[
    ("assert", assert),
    ("error", error),
    ("ipairs", ipairs),
    ("pairs", pairs),
    ("next", next),
    ("pcall", pcall),
    ("xpcall", xpcall),
    ("select", select),
    ("tonumber", tonumber),
    ("tostring", tostring),
    ("type", type_of),
    ("unpack", unpack),
    ("rawget", rawget),
    ("rawset", rawset),
    ("rawequal", rawequal),
    ("setmetatable", setmetatable),
    ("getmetatable", getmetatable),
    ("loadstring", loadstring),
    ("load", load),
    ("gcinfo", gcinfo),
    ("collectgarbage", collectgarbage),
];

fn assert(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    match args.first() {
        Some(v) if v.truthy() => Ok(args),
        None => Err(arg_error(interp, 0, "assert", "value expected")),
        _ => match args.get(1) {
            Some(msg) => Err(match msg.to_bytes() {
                Some(s) => interp.error(String::from_utf8_lossy(&s).into_owned()),
                None => LuaError { value: msg.clone(), line: interp.lua_line() },
            }),
            None => Err(interp.error("assertion failed!")),
        },
    }
}

fn error(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let value = args.first().cloned().unwrap_or(Value::Nil);
    let level = opt_int(interp, &args, 1, "error", 1)?;
    let line = interp.lua_line();
    // A string (or number) message gets the position of the function at
    // `level`: 1 is the one that called error.
    let positioned = match (&value, level) {
        (Value::Str(_) | Value::Num(_), l) if l > 0 => {
            let frames = &interp.frames;
            // frames: ..., caller (level 1), error itself (native).
            let at = frames.len().checked_sub(1 + l as usize).map(|i| frames[i]);
            match at {
                Some(l) if l != super::interp::NATIVE_FRAME => {
                    let text = value.to_bytes().unwrap_or_else(|| b""[..].into());
                    let mut s = format!("{}:{}: ", interp.chunk, l).into_bytes();
                    s.extend_from_slice(&text);
                    Value::Str(s.into())
                }
                _ => value,
            }
        }
        _ => value,
    };
    Err(LuaError { value: positioned, line })
}

fn ipairs(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "ipairs")?;
    Ok(vec![native("ipairs_aux", ipairs_aux), Value::Table(t), Value::Num(0.0)])
}

fn ipairs_aux(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "ipairs")?;
    let i = check_num(interp, &args, 1, "ipairs")? + 1.0;
    let v = t.borrow().get(&Value::Num(i));
    if matches!(v, Value::Nil) {
        Ok(vec![Value::Nil])
    } else {
        Ok(vec![Value::Num(i), v])
    }
}

fn pairs(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "pairs")?;
    Ok(vec![native("next", next), Value::Table(t), Value::Nil])
}

fn next(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "next")?;
    let key = args.get(1).cloned().unwrap_or(Value::Nil);
    let found = t.borrow().next(&key);
    match found {
        Ok(Some((k, v))) => Ok(vec![k, v]),
        Ok(None) => Ok(vec![Value::Nil]),
        Err(()) => Err(interp.error("invalid key to 'next'")),
    }
}

fn protected(interp: &mut Interp, f: &Value, args: Vec<Value>, handler: Option<&Value>) -> Result<Vec<Value>, LuaError> {
    let depth = interp.frames.len();
    match interp.call(f, args) {
        Ok(mut values) => {
            values.insert(0, Value::Bool(true));
            Ok(values)
        }
        // A script past its step budget stops, caught or not (as a
        // killed script does in Redis).
        Err(e) if interp.steps > super::STEP_LIMIT => Err(e),
        Err(e) => {
            interp.frames.truncate(depth);
            let value = match handler {
                Some(h) => interp.call(h, vec![e.value])?.into_iter().next().unwrap_or(Value::Nil),
                // Redis's pcall hands scripts an error table's text.
                None => match &e.value {
                    Value::Table(t) => match t.borrow().get_str("err") {
                        s @ (Value::Str(_) | Value::Num(_)) => s,
                        _ => e.value.clone(),
                    },
                    _ => e.value,
                },
            };
            Ok(vec![Value::Bool(false), value])
        }
    }
}

fn pcall(interp: &mut Interp, mut args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let f = check_any(interp, &args, 0, "pcall")?;
    args.remove(0);
    protected(interp, &f, args, None)
}

fn xpcall(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let f = check_any(interp, &args, 0, "xpcall")?;
    let handler = args.get(1).cloned().unwrap_or(Value::Nil);
    protected(interp, &f, Vec::new(), Some(&handler))
}

fn select(interp: &mut Interp, mut args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if let Some(Value::Str(s)) = args.first() {
        if s.first() == Some(&b'#') {
            return num((args.len() - 1) as f64);
        }
    }
    let n = check_int(interp, &args, 0, "select")?;
    let count = args.len() as i64 - 1;
    let start = if n < 0 { count + n } else if n == 0 { -1 } else { n - 1 };
    if start < 0 {
        return Err(arg_error(interp, 0, "select", "index out of range"));
    }
    args.remove(0);
    Ok(args.into_iter().skip(start as usize).collect())
}

fn tonumber(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let base = opt_int(interp, &args, 1, "tonumber", 10)?;
    let v = check_any(interp, &args, 0, "tonumber")?;
    if base == 10 {
        return one(v.to_number().map_or(Value::Nil, Value::Num));
    }
    let s = check_str(interp, &args, 0, "tonumber")?;
    if !(2..=36).contains(&base) {
        return Err(arg_error(interp, 1, "tonumber", "base out of range"));
    }
    let text = String::from_utf8_lossy(&s);
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    match u64::from_str_radix(digits, base as u32) {
        Ok(n) if !digits.is_empty() => num(if negative { -(n as f64) } else { n as f64 }),
        _ => one(Value::Nil),
    }
}

fn tostring(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let v = check_any(interp, &args, 0, "tostring")?;
    let s = interp.tostring(&v)?;
    one(Value::Str(s))
}

fn type_of(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let v = check_any(interp, &args, 0, "type")?;
    one(Value::str(v.type_name().as_bytes()))
}

fn unpack(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "unpack")?;
    let len = t.borrow().len() as i64;
    let i = opt_int(interp, &args, 1, "unpack", 1)?;
    let j = opt_int(interp, &args, 2, "unpack", len)?;
    if i > j {
        return Ok(Vec::new());
    }
    if j - i >= 1_000_000 {
        return Err(interp.error("too many results to unpack"));
    }
    let t = t.borrow();
    Ok((i..=j).map(|k| t.get(&Value::Num(k as f64))).collect())
}

fn rawget(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "rawget")?;
    let k = check_any(interp, &args, 1, "rawget")?;
    let v = t.borrow().get(&k);
    one(v)
}

fn rawset(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "rawset")?;
    let k = check_any(interp, &args, 1, "rawset")?;
    let v = check_any(interp, &args, 2, "rawset")?;
    if t.borrow().readonly {
        return Err(interp.error("Attempt to modify a readonly table"));
    }
    interp.raw_set(&t, k, v)?;
    one(Value::Table(t))
}

fn rawequal(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let a = check_any(interp, &args, 0, "rawequal")?;
    let b = check_any(interp, &args, 1, "rawequal")?;
    one(Value::Bool(a.raw_eq(&b)))
}

fn setmetatable(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "setmetatable")?;
    let meta = match args.get(1) {
        Some(Value::Nil) => None,
        Some(Value::Table(m)) => Some(m.clone()),
        _ => return Err(arg_error(interp, 1, "setmetatable", "nil or table expected")),
    };
    if t.borrow().readonly {
        return Err(interp.error("Attempt to modify a readonly table"));
    }
    let protected = t.borrow().meta.as_ref().is_some_and(|m| !matches!(m.borrow().get_str("__metatable"), Value::Nil));
    if protected {
        return Err(interp.error("cannot change a protected metatable"));
    }
    t.borrow_mut().meta = meta;
    one(Value::Table(t))
}

fn getmetatable(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let v = check_any(interp, &args, 0, "getmetatable")?;
    match interp.metatable(&v) {
        None => one(Value::Nil),
        Some(m) => {
            let guarded = m.borrow().get_str("__metatable");
            if matches!(guarded, Value::Nil) {
                one(Value::Table(m))
            } else {
                one(guarded)
            }
        }
    }
}

fn compile(_interp: &mut Interp, source: &[u8], chunk: &[u8]) -> Result<Vec<Value>, LuaError> {
    let name = String::from_utf8_lossy(chunk);
    let shown = match name.strip_prefix('=').or_else(|| name.strip_prefix('@')) {
        Some(rest) => rest.to_string(),
        None => format!("[string \"{}\"]", name.lines().next().unwrap_or("")),
    };
    match super::parser::parse(source, &shown) {
        Ok(proto) => one(Value::Func(Rc::new(Function::Lua { proto, upvals: Vec::new() }))),
        Err(msg) => Ok(vec![Value::Nil, Value::str(msg.as_bytes())]),
    }
}

fn loadstring(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let source = check_str(interp, &args, 0, "loadstring")?;
    let chunk = match args.get(1) {
        Some(v) if !matches!(v, Value::Nil) => check_str(interp, &args, 1, "loadstring")?,
        _ => source.clone(),
    };
    compile(interp, &source, &chunk)
}

fn load(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let f = match args.first() {
        Some(f @ Value::Func(_)) => f.clone(),
        _ => return Err(type_error(interp, &args, 0, "load", "function")),
    };
    let mut source = Vec::new();
    loop {
        let piece = interp.call(&f, Vec::new())?;
        match piece.into_iter().next() {
            None | Some(Value::Nil) => break,
            Some(Value::Str(s)) if s.is_empty() => break,
            Some(Value::Str(s)) => source.extend_from_slice(&s),
            Some(_) => return Ok(vec![Value::Nil, Value::str(b"reader function must return a string")]),
        }
    }
    let chunk = match args.get(1) {
        Some(v) if !matches!(v, Value::Nil) => check_str(interp, &args, 1, "load")?,
        _ => b"=(load)"[..].into(),
    };
    compile(interp, &source, &chunk)
}

/// The collector's figures: this interpreter frees by reference counting,
/// so it reports what it allocated for strings, in KB.
fn gcinfo(interp: &mut Interp, _args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    num((interp.string_bytes / 1024) as f64)
}

fn collectgarbage(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let option = match args.first() {
        None | Some(Value::Nil) => b"collect"[..].into(),
        _ => check_str(interp, &args, 0, "collectgarbage")?,
    };
    match &*option {
        b"collect" | b"stop" | b"restart" | b"setpause" | b"setstepmul" => num(0.0),
        b"count" => num(interp.string_bytes as f64 / 1024.0),
        b"step" => one(Value::Bool(false)),
        _ => {
            let shown = String::from_utf8_lossy(&option).into_owned();
            Err(arg_error(interp, 0, "collectgarbage", &format!("invalid option '{shown}'")))
        }
    }
}

// ---- string ----

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
    one(Value::str(&s[(start - 1) as usize..end as usize]))
}

fn str_upper(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    one(Value::Str(check_str(interp, &args, 0, "upper")?.to_ascii_uppercase().into()))
}

fn str_lower(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    one(Value::Str(check_str(interp, &args, 0, "lower")?.to_ascii_lowercase().into()))
}

fn str_reverse(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let mut s = check_str(interp, &args, 0, "reverse")?.to_vec();
    s.reverse();
    one(Value::Str(s.into()))
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

fn str_dump(interp: &mut Interp, _args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    Err(interp.error("unable to dump given function"))
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
        let mut digits = 0;
        while fmt.get(i).is_some_and(u8::is_ascii_digit) {
            spec.width = spec.width * 10 + (fmt[i] - b'0') as usize;
            i += 1;
            digits += 1;
        }
        if digits > 2 {
            return Err(interp.error("invalid format (width or precision too long)"));
        }
        if fmt.get(i) == Some(&b'.') {
            i += 1;
            let mut p = 0;
            let mut digits = 0;
            while fmt.get(i).is_some_and(u8::is_ascii_digit) {
                p = p * 10 + (fmt[i] - b'0') as usize;
                i += 1;
                digits += 1;
            }
            if digits > 2 {
                return Err(interp.error("invalid format (width or precision too long)"));
            }
            spec.precision = Some(p);
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

// ---- table ----

pub const TABLE: &[(&str, Native)] = &[
    ("concat", tbl_concat),
    ("foreach", tbl_foreach),
    ("foreachi", tbl_foreachi),
    ("getn", tbl_getn),
    ("insert", tbl_insert),
    ("maxn", tbl_maxn),
    ("remove", tbl_remove),
    ("setn", tbl_setn),
    ("sort", tbl_sort),
];

fn writable(interp: &Interp, t: &TableRef) -> Result<(), LuaError> {
    if t.borrow().readonly {
        return Err(interp.error("Attempt to modify a readonly table"));
    }
    Ok(())
}

fn tbl_concat(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "concat")?;
    let sep = match args.get(1) {
        None | Some(Value::Nil) => b""[..].into(),
        _ => check_str(interp, &args, 1, "concat")?,
    };
    let len = t.borrow().len() as i64;
    let i = opt_int(interp, &args, 2, "concat", 1)?;
    let j = opt_int(interp, &args, 3, "concat", len)?;
    let mut out = Vec::new();
    let mut k = i;
    while k <= j {
        let v = t.borrow().get(&Value::Num(k as f64));
        match v.to_bytes() {
            Some(s) if !matches!(v, Value::Nil) => out.extend_from_slice(&s),
            _ => return Err(interp.error(format!("invalid value (at index {k}) in table for 'concat'"))),
        }
        if k != j {
            out.extend_from_slice(&sep);
        }
        if out.len() > super::STRING_LIMIT {
            return Err(interp.error("not enough memory"));
        }
        k += 1;
    }
    let v = interp.new_string(out)?;
    one(v)
}

fn tbl_insert(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "insert")?;
    writable(interp, &t)?;
    let n = t.borrow().len() as i64 + 1;
    match args.len() {
        2 => interp.raw_set(&t, Value::Num(n as f64), args[1].clone())?,
        3 => {
            let pos = check_int(interp, &args, 1, "insert")?;
            let mut k = n;
            while k > pos {
                let v = t.borrow().get(&Value::Num((k - 1) as f64));
                interp.raw_set(&t, Value::Num(k as f64), v)?;
                k -= 1;
            }
            interp.raw_set(&t, Value::Num(pos as f64), args[2].clone())?;
        }
        _ => return Err(interp.error("wrong number of arguments to 'insert'")),
    }
    Ok(Vec::new())
}

fn tbl_remove(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "remove")?;
    writable(interp, &t)?;
    let n = t.borrow().len() as i64;
    let pos = opt_int(interp, &args, 1, "remove", n)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let removed = t.borrow().get(&Value::Num(pos as f64));
    let mut k = pos;
    while k < n {
        let v = t.borrow().get(&Value::Num((k + 1) as f64));
        interp.raw_set(&t, Value::Num(k as f64), v)?;
        k += 1;
    }
    interp.raw_set(&t, Value::Num(n as f64), Value::Nil)?;
    one(removed)
}

fn tbl_getn(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "getn")?;
    let n = t.borrow().len();
    num(n as f64)
}

fn tbl_setn(interp: &mut Interp, _args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    Err(interp.error("'setn' is obsolete"))
}

fn tbl_maxn(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "maxn")?;
    let n = t.borrow().maxn();
    num(n)
}

fn tbl_foreach(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "foreach")?;
    let f = args.get(1).cloned().unwrap_or(Value::Nil);
    let mut key = Value::Nil;
    loop {
        let entry = t.borrow().next(&key).map_err(|()| interp.error("invalid key to 'next'"))?;
        let Some((k, v)) = entry else { return Ok(Vec::new()) };
        let r = interp.call(&f, vec![k.clone(), v])?;
        if r.first().is_some_and(|v| !matches!(v, Value::Nil)) {
            return Ok(r.into_iter().take(1).collect());
        }
        key = k;
    }
}

fn tbl_foreachi(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "foreachi")?;
    let f = args.get(1).cloned().unwrap_or(Value::Nil);
    let n = t.borrow().len();
    for i in 1..=n {
        let v = t.borrow().get(&Value::Num(i as f64));
        let r = interp.call(&f, vec![Value::Num(i as f64), v])?;
        if r.first().is_some_and(|v| !matches!(v, Value::Nil)) {
            return Ok(r.into_iter().take(1).collect());
        }
    }
    Ok(Vec::new())
}

/// table.sort: Lua 5.1's own quicksort, so that elements the order
/// function calls equal end where they end in Redis.
fn tbl_sort(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let t = check_table(interp, &args, 0, "sort")?;
    writable(interp, &t)?;
    let cmp = match args.get(1) {
        None | Some(Value::Nil) => None,
        Some(f @ Value::Func(_)) => Some(f.clone()),
        _ => return Err(type_error(interp, &args, 1, "sort", "function")),
    };
    let n = t.borrow().len();
    let mut items: Vec<Value> = (1..=n).map(|i| t.borrow().get(&Value::Num(i as f64))).collect();
    if n > 1 {
        let mut sorter = Sorter { interp, cmp };
        sorter.auxsort(&mut items, 1, n)?;
    }
    for (i, v) in items.into_iter().enumerate() {
        interp.raw_set(&t, Value::Num((i + 1) as f64), v)?;
    }
    Ok(Vec::new())
}

struct Sorter<'i, 'h> {
    interp: &'i mut Interp<'h>,
    cmp: Option<Value>,
}

impl Sorter<'_, '_> {
    fn lt(&mut self, a: &Value, b: &Value) -> Result<bool, LuaError> {
        match &self.cmp {
            Some(f) => {
                let f = f.clone();
                Ok(self.interp.call(&f, vec![a.clone(), b.clone()])?.first().is_some_and(Value::truthy))
            }
            None => self.interp.less_than(a, b),
        }
    }

    /// 1-based bounds, as in ltablib.c.
    fn auxsort(&mut self, a: &mut [Value], mut l: usize, mut u: usize) -> Result<(), LuaError> {
        while l < u {
            self.interp.steps += 1;
            if self.lt(&a[u - 1], &a[l - 1])? {
                a.swap(l - 1, u - 1);
            }
            if u - l == 1 {
                break;
            }
            let mut i = (l + u) / 2;
            if self.lt(&a[i - 1], &a[l - 1])? {
                a.swap(i - 1, l - 1);
            } else if self.lt(&a[u - 1], &a[i - 1])? {
                a.swap(i - 1, u - 1);
            }
            if u - l == 2 {
                break;
            }
            let pivot = a[i - 1].clone();
            a.swap(i - 1, u - 2);
            i = l;
            let mut j = u - 1;
            loop {
                i += 1;
                while self.lt(&a[i - 1], &pivot)? {
                    if i >= u {
                        return Err(self.interp.error("invalid order function for sorting"));
                    }
                    i += 1;
                }
                j -= 1;
                while self.lt(&pivot, &a[j - 1])? {
                    if j <= l {
                        return Err(self.interp.error("invalid order function for sorting"));
                    }
                    j -= 1;
                }
                if j < i {
                    break;
                }
                a.swap(i - 1, j - 1);
            }
            a.swap(u - 2, i - 1);
            if i - l < u - i {
                let (lo, hi) = (l, i - 1);
                l = i + 1;
                self.auxsort(a, lo, hi)?;
            } else {
                let (lo, hi) = (i + 1, u);
                u = i - 1;
                self.auxsort(a, lo, hi)?;
            }
        }
        Ok(())
    }
}

// ---- math ----

pub const MATH: &[(&str, Native)] = &[
    ("abs", m_abs),
    ("acos", m_acos),
    ("asin", m_asin),
    ("atan", m_atan),
    ("atan2", m_atan2),
    ("ceil", m_ceil),
    ("cos", m_cos),
    ("cosh", m_cosh),
    ("deg", m_deg),
    ("exp", m_exp),
    ("floor", m_floor),
    ("fmod", m_fmod),
    ("frexp", m_frexp),
    ("ldexp", m_ldexp),
    ("log", m_log),
    ("log10", m_log10),
    ("max", m_max),
    ("min", m_min),
    ("mod", m_fmod),
    ("modf", m_modf),
    ("pow", m_pow),
    ("rad", m_rad),
    ("random", m_random),
    ("randomseed", m_randomseed),
    ("sin", m_sin),
    ("sinh", m_sinh),
    ("sqrt", m_sqrt),
    ("tan", m_tan),
    ("tanh", m_tanh),
];

macro_rules! unary_math {
    ($($name:ident, $lua:expr, $f:expr;)*) => {
        $(fn $name(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
            let x = check_num(interp, &args, 0, $lua)?;
            let f: fn(f64) -> f64 = $f;
            let r = f(x);
            num(if r.is_nan() { -f64::NAN } else { r })
        })*
    };
}

unary_math! {
    m_abs, "abs", f64::abs;
    m_acos, "acos", f64::acos;
    m_asin, "asin", f64::asin;
    m_atan, "atan", f64::atan;
    m_ceil, "ceil", f64::ceil;
    m_cos, "cos", f64::cos;
    m_cosh, "cosh", f64::cosh;
    m_deg, "deg", f64::to_degrees;
    m_exp, "exp", f64::exp;
    m_floor, "floor", f64::floor;
    m_log, "log", f64::ln;
    m_log10, "log10", f64::log10;
    m_rad, "rad", f64::to_radians;
    m_sin, "sin", f64::sin;
    m_sinh, "sinh", f64::sinh;
    m_sqrt, "sqrt", f64::sqrt;
    m_tan, "tan", f64::tan;
    m_tanh, "tanh", f64::tanh;
}

fn m_atan2(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let y = check_num(interp, &args, 0, "atan2")?;
    let x = check_num(interp, &args, 1, "atan2")?;
    num(y.atan2(x))
}

fn m_fmod(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let x = check_num(interp, &args, 0, "fmod")?;
    let y = check_num(interp, &args, 1, "fmod")?;
    let r = x % y;
    num(if r.is_nan() { -f64::NAN } else { r })
}

fn m_pow(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let x = check_num(interp, &args, 0, "pow")?;
    let y = check_num(interp, &args, 1, "pow")?;
    num(x.powf(y))
}

fn m_modf(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let x = check_num(interp, &args, 0, "modf")?;
    let int = x.trunc();
    let frac = if x.is_infinite() { 0.0 } else { x - int };
    Ok(vec![Value::Num(int), Value::Num(frac)])
}

fn m_frexp(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let x = check_num(interp, &args, 0, "frexp")?;
    if x == 0.0 || !x.is_finite() {
        return Ok(vec![Value::Num(x), Value::Num(0.0)]);
    }
    let mut e = x.abs().log2().floor() as i32 + 1;
    let mut m = x / 2f64.powi(e);
    // Rounding in log2 near powers of two.
    if m.abs() >= 1.0 {
        m /= 2.0;
        e += 1;
    } else if m.abs() < 0.5 {
        m *= 2.0;
        e -= 1;
    }
    Ok(vec![Value::Num(m), Value::Num(e as f64)])
}

fn m_ldexp(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let m = check_num(interp, &args, 0, "ldexp")?;
    let e = check_int(interp, &args, 1, "ldexp")?;
    num(m * 2f64.powi(e.clamp(-2100, 2100) as i32))
}

fn min_max(interp: &mut Interp, args: Vec<Value>, fname: &str, pick_greater: bool) -> Result<Vec<Value>, LuaError> {
    let mut best = check_num(interp, &args, 0, fname)?;
    for i in 1..args.len() {
        let x = check_num(interp, &args, i, fname)?;
        if (pick_greater && x > best) || (!pick_greater && x < best) {
            best = x;
        }
    }
    num(best)
}

fn m_max(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    min_max(interp, args, "max", true)
}

fn m_min(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    min_max(interp, args, "min", false)
}

/// math.random on Redis's own rand48 (scripts replicate their effects,
/// so Redis 7 no longer reseeds it before each script).
fn m_random(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let r = (interp.rand48.next() % i32::MAX as u32) as f64 / i32::MAX as f64;
    match args.len() {
        0 => num(r),
        1 => {
            let u = check_num(interp, &args, 0, "random")?;
            if u < 1.0 {
                return Err(arg_error(interp, 0, "random", "interval is empty"));
            }
            num((r * u).floor() + 1.0)
        }
        2 => {
            let l = check_num(interp, &args, 0, "random")?;
            let u = check_num(interp, &args, 1, "random")?;
            if l > u {
                return Err(arg_error(interp, 1, "random", "interval is empty"));
            }
            num((r * (u - l + 1.0)).floor() + l)
        }
        _ => Err(interp.error("wrong number of arguments")),
    }
}

fn m_randomseed(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let seed = check_int(interp, &args, 0, "randomseed")?;
    interp.rand48 = Rand48::seeded(seed as i32);
    Ok(Vec::new())
}

/// Redis's redisLrand48: the 48-bit linear congruential generator of
/// POSIX lrand48, returning 31 bits.
#[derive(Clone, Copy)]
pub struct Rand48(u64);

impl Rand48 {
    pub fn seeded(seed: i32) -> Self {
        Rand48(((seed as u32 as u64) << 16) | 0x330e)
    }

    pub fn from_state(state: u64) -> Self {
        Rand48(state & 0xffff_ffff_ffff)
    }

    pub fn state(self) -> u64 {
        self.0
    }

    pub fn next(&mut self) -> u32 {
        self.0 = (self.0.wrapping_mul(0x5_deec_e66d).wrapping_add(0xb)) & 0xffff_ffff_ffff;
        (self.0 >> 17) as u32
    }
}

// ---- bit (LuaBitOp 1.0) ----

pub const BIT: &[(&str, Native)] = &[
    ("arshift", bit_arshift),
    ("band", bit_band),
    ("bnot", bit_bnot),
    ("bor", bit_bor),
    ("bswap", bit_bswap),
    ("bxor", bit_bxor),
    ("lshift", bit_lshift),
    ("rol", bit_rol),
    ("ror", bit_ror),
    ("rshift", bit_rshift),
    ("tobit", bit_tobit),
    ("tohex", bit_tohex),
];

/// LuaBitOp's normalisation of a number to 32 bits (modulo 2^32, as its
/// 2^52+2^51 addition trick does).
fn to_bit(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<i32, LuaError> {
    let n = check_num(interp, args, i, fname)?;
    let bits = (n + 6_755_399_441_055_744.0).to_bits();
    Ok(bits as u32 as i32)
}

fn bit_result(v: i32) -> Result<Vec<Value>, LuaError> {
    num(v as f64)
}

fn bit_tobit(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    bit_result(to_bit(interp, &args, 0, "tobit")?)
}

fn bit_bnot(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    bit_result(!to_bit(interp, &args, 0, "bnot")?)
}

fn fold_bits(interp: &mut Interp, args: Vec<Value>, fname: &str, f: fn(i32, i32) -> i32) -> Result<Vec<Value>, LuaError> {
    let mut acc = to_bit(interp, &args, 0, fname)?;
    for i in 1..args.len() {
        acc = f(acc, to_bit(interp, &args, i, fname)?);
    }
    bit_result(acc)
}

fn bit_band(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    fold_bits(interp, args, "band", |a, b| a & b)
}

fn bit_bor(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    fold_bits(interp, args, "bor", |a, b| a | b)
}

fn bit_bxor(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    fold_bits(interp, args, "bxor", |a, b| a ^ b)
}

fn shift(interp: &mut Interp, args: Vec<Value>, fname: &str, f: fn(u32, u32) -> u32) -> Result<Vec<Value>, LuaError> {
    let x = to_bit(interp, &args, 0, fname)? as u32;
    let n = (to_bit(interp, &args, 1, fname)? & 31) as u32;
    bit_result(f(x, n) as i32)
}

fn bit_lshift(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    shift(interp, args, "lshift", |x, n| x << n)
}

fn bit_rshift(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    shift(interp, args, "rshift", |x, n| x >> n)
}

fn bit_arshift(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    shift(interp, args, "arshift", |x, n| ((x as i32) >> n) as u32)
}

fn bit_rol(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    shift(interp, args, "rol", |x, n| x.rotate_left(n))
}

fn bit_ror(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    shift(interp, args, "ror", |x, n| x.rotate_right(n))
}

fn bit_bswap(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    bit_result(to_bit(interp, &args, 0, "bswap")?.swap_bytes())
}

fn bit_tohex(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let x = to_bit(interp, &args, 0, "tohex")? as u32;
    let n = match args.get(1) {
        None | Some(Value::Nil) => 8,
        _ => to_bit(interp, &args, 1, "tohex")?,
    };
    let upper = n < 0;
    let width = n.unsigned_abs().min(8) as usize;
    let masked = if width == 8 { x } else { x & ((1u32 << (4 * width)) - 1) };
    let text = if upper { format!("{masked:0width$X}") } else { format!("{masked:0width$x}") };
    one(Value::str(text.as_bytes()))
}

/// `string`'s methods for `s:upper()`: the metatable every string shares.
pub fn string_metatable(string_lib: &TableRef) -> TableRef {
    let mut meta = Table::default();
    meta.set(Value::str(b"__index"), Value::Table(string_lib.clone()));
    meta.readonly = true;
    Table::new_ref(meta)
}

