//! The base and table libraries Redis opens in its Lua 5.1 (no print, no
//! file loading, as Redis 7.0 leaves them), and the argument checks every
//! library shares, with lauxlib's wording. The string library is
//! `strlib`, math and bit `mathlib`.

use std::rc::Rc;

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

pub(super) fn got(args: &[Value], i: usize) -> &'static str {
    args.get(i).map_or("no value", Value::type_name)
}

pub fn arg_error(interp: &Interp, i: usize, fname: &str, msg: &str) -> LuaError {
    // `i` counts from 0; usize::MAX stands for lauxlib's argument #0.
    interp.error(format!("bad argument #{} to '{}' ({})", i.wrapping_add(1), fname, msg))
}

pub(super) fn type_error(interp: &Interp, args: &[Value], i: usize, fname: &str, expected: &str) -> LuaError {
    arg_error(interp, i, fname, &format!("{expected} expected, got {}", got(args, i)))
}

pub fn check_num(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<f64, LuaError> {
    args.get(i).and_then(Value::to_number).ok_or_else(|| type_error(interp, args, i, fname, "number"))
}

pub(super) fn opt_num(interp: &Interp, args: &[Value], i: usize, fname: &str, default: f64) -> Result<f64, LuaError> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(default),
        _ => check_num(interp, args, i, fname),
    }
}

pub(super) fn check_int(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<i64, LuaError> {
    check_num(interp, args, i, fname).map(|n| n as i64)
}

pub(super) fn opt_int(interp: &Interp, args: &[Value], i: usize, fname: &str, default: i64) -> Result<i64, LuaError> {
    opt_num(interp, args, i, fname, default as f64).map(|n| n as i64)
}

pub fn check_str(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<Rc<[u8]>, LuaError> {
    args.get(i).and_then(Value::to_bytes).ok_or_else(|| type_error(interp, args, i, fname, "string"))
}

pub(super) fn check_table(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<TableRef, LuaError> {
    match args.get(i) {
        Some(Value::Table(t)) => Ok(t.clone()),
        _ => Err(type_error(interp, args, i, fname, "table")),
    }
}

pub(super) fn check_any(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<Value, LuaError> {
    args.get(i).cloned().ok_or_else(|| arg_error(interp, i, fname, "value expected"))
}

pub(super) fn one(v: Value) -> Result<Vec<Value>, LuaError> {
    Ok(vec![v])
}

pub(super) fn num(n: f64) -> Result<Vec<Value>, LuaError> {
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
        Err(e) if interp.steps > interp.step_limit => Err(e),
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
    if j - i >= super::MAX_RESULTS as i64 {
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
    if source.first() == Some(&0x1b) {
        return Ok(vec![Value::Nil, Value::str(format!("{shown}: bad binary format (binary chunks are not accepted)").as_bytes())]);
    }
    match super::parser::parse(source, &shown) {
        Ok(proto) => one(Value::Func(Rc::new(Function::Lua { proto, upvals: std::cell::RefCell::new(Vec::new()) }))),
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
    interp.charge(n as u64)?;
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
    interp.charge(n as u64)?;
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
