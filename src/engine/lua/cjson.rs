//! `cjson` as Redis bundles it (lua-cjson 2.1): encode with numbers as
//! `%.14g`, `/` escaped, sparse arrays refused past lua-cjson's ratio;
//! decode with its error texts (`Expected value but found T_END at
//! character 5`) and `cjson.null`.

use super::stdlib::{arg_error, check_str};
use super::value::{LuaError, Native, Table, TableRef, Value};
use super::Interp;

pub const CJSON: &[(&str, Native)] = &[
    ("encode", encode),
    ("decode", decode),
    ("encode_max_depth", encode_max_depth),
    ("decode_max_depth", decode_max_depth),
    ("encode_invalid_numbers", encode_invalid_numbers),
    ("decode_invalid_numbers", decode_invalid_numbers),
    ("encode_keep_buffer", encode_keep_buffer),
    ("encode_number_precision", encode_number_precision),
    ("encode_sparse_array", encode_sparse_array),
];

/// lua-cjson's settings, as the configuration functions set them.
#[derive(Clone, Copy)]
pub struct Settings {
    encode_max_depth: usize,
    decode_max_depth: usize,
    /// NaN and infinities: refused (0), written as nan/inf (1), as null (2).
    encode_invalid_numbers: u8,
    decode_invalid_numbers: bool,
    keep_buffer: bool,
    precision: usize,
    sparse_convert: bool,
    sparse_ratio: usize,
    sparse_safe: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: true,
            keep_buffer: true,
            precision: 14,
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
        }
    }
}

/// A setting's argument: none reads it back, a number in range sets it.
fn number_setting(interp: &Interp, args: &[Value], fname: &str, min: usize, max: usize) -> Result<Option<usize>, LuaError> {
    match args.first() {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => match v.to_number() {
            Some(n) if n >= min as f64 && n <= max as f64 => Ok(Some(n as usize)),
            _ => Err(arg_error(interp, 0, fname, &format!("expected integer between {min} and {max}"))),
        },
    }
}

/// A boolean setting: true/false, or "on"/"off".
fn bool_setting(interp: &Interp, args: &[Value], i: usize, fname: &str) -> Result<Option<bool>, LuaError> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Str(s)) if &**s == b"on" => Ok(Some(true)),
        Some(Value::Str(s)) if &**s == b"off" => Ok(Some(false)),
        _ => Err(arg_error(interp, i, fname, "invalid option")),
    }
}

fn encode_max_depth(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if let Some(n) = number_setting(interp, &args, "encode_max_depth", 1, i32::MAX as usize)? {
        interp.cjson.encode_max_depth = n;
    }
    Ok(vec![Value::Num(interp.cjson.encode_max_depth as f64)])
}

fn decode_max_depth(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if let Some(n) = number_setting(interp, &args, "decode_max_depth", 1, i32::MAX as usize)? {
        interp.cjson.decode_max_depth = n;
    }
    Ok(vec![Value::Num(interp.cjson.decode_max_depth as f64)])
}

fn encode_number_precision(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if let Some(n) = number_setting(interp, &args, "encode_number_precision", 1, 14)? {
        interp.cjson.precision = n;
    }
    Ok(vec![Value::Num(interp.cjson.precision as f64)])
}

fn encode_invalid_numbers(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    match args.first() {
        Some(Value::Str(s)) if &**s == b"null" => interp.cjson.encode_invalid_numbers = 2,
        _ => {
            if let Some(b) = bool_setting(interp, &args, 0, "encode_invalid_numbers")? {
                interp.cjson.encode_invalid_numbers = b as u8;
            }
        }
    }
    Ok(vec![match interp.cjson.encode_invalid_numbers {
        0 => Value::Bool(false),
        1 => Value::Bool(true),
        _ => Value::str(b"null"),
    }])
}

fn decode_invalid_numbers(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if let Some(b) = bool_setting(interp, &args, 0, "decode_invalid_numbers")? {
        interp.cjson.decode_invalid_numbers = b;
    }
    Ok(vec![Value::Bool(interp.cjson.decode_invalid_numbers)])
}

/// Whether lua-cjson keeps its buffer between calls: a memory trade-off
/// with nothing to show here, kept as a setting scripts can read back.
fn encode_keep_buffer(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if let Some(b) = bool_setting(interp, &args, 0, "encode_keep_buffer")? {
        interp.cjson.keep_buffer = b;
    }
    Ok(vec![Value::Bool(interp.cjson.keep_buffer)])
}

fn encode_sparse_array(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if let Some(b) = bool_setting(interp, &args, 0, "encode_sparse_array")? {
        interp.cjson.sparse_convert = b;
    }
    for (i, slot) in [(1, 0usize), (2, 1)] {
        match args.get(i).and_then(Value::to_number) {
            Some(n) if n >= 0.0 => {
                if slot == 0 {
                    interp.cjson.sparse_ratio = n as usize;
                } else {
                    interp.cjson.sparse_safe = n as usize;
                }
            }
            Some(_) => return Err(arg_error(interp, i, "encode_sparse_array", "expected integer between 0 and 2147483647")),
            None => {}
        }
    }
    let c = interp.cjson;
    Ok(vec![Value::Bool(c.sparse_convert), Value::Num(c.sparse_ratio as f64), Value::Num(c.sparse_safe as f64)])
}

/// `cjson.null`: a light userdata holding NULL.
pub const NULL: Value = Value::Userdata(0);


fn encode(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.len() != 1 {
        return Err(interp.error("bad argument #1 to 'encode' (expected 1 argument)"));
    }
    let mut out = Vec::new();
    encode_value(interp, &args[0], 0, &mut out)?;
    let v = interp.new_string(out)?;
    Ok(vec![v])
}

fn encode_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            0..=31 | 127 => out.extend_from_slice(format!("\\u{:04x}", b).as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn encode_number(interp: &Interp, n: f64, out: &mut Vec<u8>) -> Result<(), LuaError> {
    if !n.is_finite() {
        match interp.cjson.encode_invalid_numbers {
            0 => return Err(interp.error("Cannot serialise number: must not be NaN or Inf")),
            1 => {
                let text = if n.is_nan() { "nan" } else if n > 0.0 { "inf" } else { "-inf" };
                out.extend_from_slice(text.as_bytes());
            }
            _ => out.extend_from_slice(b"null"),
        }
        return Ok(());
    }
    out.extend_from_slice(super::format::format_float(n, 'g', Some(interp.cjson.precision), false).as_bytes());
    Ok(())
}

/// The array length of a table that is an array (only positive whole
/// keys, not too sparse), or None for an object.
fn array_length(interp: &Interp, t: &TableRef) -> Result<Option<usize>, LuaError> {
    let t = t.borrow();
    let mut key = Value::Nil;
    let (mut max, mut items) = (0.0f64, 0usize);
    loop {
        let Ok(Some((k, _))) = t.next(&key) else { break };
        match k {
            Value::Num(n) if n >= 1.0 && n.fract() == 0.0 => {
                max = max.max(n);
                items += 1;
            }
            _ => return Ok(None),
        }
        key = k;
    }
    let c = interp.cjson;
    if c.sparse_ratio > 0 && max > c.sparse_safe as f64 && max > (items * c.sparse_ratio) as f64 {
        if c.sparse_convert {
            return Ok(None);
        }
        return Err(interp.error("Cannot serialise table: excessively sparse array"));
    }
    Ok(Some(max as usize))
}

fn encode_value(interp: &mut Interp, v: &Value, depth: usize, out: &mut Vec<u8>) -> Result<(), LuaError> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::Userdata(0) => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Num(n) => encode_number(interp, *n, out)?,
        Value::Str(s) => encode_string(s, out),
        Value::Table(t) => {
            if depth >= interp.cjson.encode_max_depth {
                return Err(interp.error(format!("Cannot serialise, excessive nesting ({})", depth + 1)));
            }
            match array_length(interp, t)? {
                Some(len) if len > 0 || t.borrow().next(&Value::Nil).ok().flatten().is_some() => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item = t.borrow().get(&Value::Num(i as f64));
                        encode_value(interp, &item, depth + 1, out)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    let mut key = Value::Nil;
                    let mut first = true;
                    loop {
                        let entry = t.borrow().next(&key);
                        let Ok(Some((k, item))) = entry else { break };
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::Str(s) => encode_string(s, out),
                            Value::Num(n) => {
                                out.push(b'"');
                                encode_number(interp, *n, out)?;
                                out.push(b'"');
                            }
                            other => {
                                return Err(interp.error(format!(
                                    "Cannot serialise {}: table key must be a number or string",
                                    other.type_name()
                                )))
                            }
                        }
                        out.push(b':');
                        encode_value(interp, &item, depth + 1, out)?;
                        key = k;
                    }
                    out.push(b'}');
                }
            }
        }
        other => return Err(interp.error(format!("Cannot serialise {}: type not supported", other.type_name()))),
    }
    if out.len() > super::STRING_LIMIT {
        return Err(interp.error("not enough memory"));
    }
    Ok(())
}

#[derive(Debug)]
enum Token {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Token {
    fn name(&self) -> &'static str {
        match self {
            Token::ObjBegin => "T_OBJ_BEGIN",
            Token::ObjEnd => "T_OBJ_END",
            Token::ArrBegin => "T_ARR_BEGIN",
            Token::ArrEnd => "T_ARR_END",
            Token::Str(_) => "T_STRING",
            Token::Num(_) => "T_NUMBER",
            Token::Bool(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(msg) => msg,
        }
    }
}

struct Decoder<'a> {
    src: &'a [u8],
    pos: usize,
}

impl Decoder<'_> {
    /// The next token and the 1-based character it starts at.
    fn token(&mut self) -> (Token, usize) {
        while self.src.get(self.pos).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
        let at = self.pos + 1;
        let Some(&c) = self.src.get(self.pos) else { return (Token::End, at) };
        let simple = match c {
            b'{' => Some(Token::ObjBegin),
            b'}' => Some(Token::ObjEnd),
            b'[' => Some(Token::ArrBegin),
            b']' => Some(Token::ArrEnd),
            b':' => Some(Token::Colon),
            b',' => Some(Token::Comma),
            _ => None,
        };
        if let Some(t) = simple {
            self.pos += 1;
            return (t, at);
        }
        let rest = &self.src[self.pos..];
        for (word, token) in [(&b"true"[..], Token::Bool(true)), (b"false", Token::Bool(false)), (b"null", Token::Null)] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return (token, at);
            }
        }
        if c == b'"' {
            return (self.string(), at);
        }
        if c == b'-' || c.is_ascii_digit() {
            let len = rest.iter().take_while(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')).count();
            let text = std::str::from_utf8(&rest[..len]).unwrap_or("");
            return match text.parse::<f64>() {
                Ok(n) => {
                    self.pos += len;
                    (Token::Num(n), at)
                }
                Err(_) => (Token::Error("invalid number"), at),
            };
        }
        (Token::Error("invalid token"), at)
    }

    fn string(&mut self) -> Token {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.src.get(self.pos) else { return Token::Error("unexpected end of string") };
            self.pos += 1;
            match c {
                b'"' => return Token::Str(out),
                b'\\' => {
                    let Some(&e) = self.src.get(self.pos) else { return Token::Error("unexpected end of string") };
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let Some(mut code) = self.hex4() else { return Token::Error("invalid unicode escape code") };
                            if (0xd800..0xdc00).contains(&code) {
                                if self.src.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return Token::Error("invalid unicode escape code");
                                }
                                self.pos += 2;
                                let Some(low) = self.hex4().filter(|l| (0xdc00..0xe000).contains(l)) else {
                                    return Token::Error("invalid unicode escape code");
                                };
                                code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                            } else if (0xdc00..0xe000).contains(&code) {
                                return Token::Error("invalid unicode escape code");
                            }
                            let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Token::Error("invalid escape code"),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.src.get(self.pos..self.pos + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        let code = u32::from_str_radix(text, 16).ok()?;
        self.pos += 4;
        Some(code)
    }
}

fn unexpected(interp: &Interp, expected: &str, token: &Token, at: usize) -> LuaError {
    interp.error(format!("Expected {expected} but found {} at character {at}", token.name()))
}

fn decode_value(interp: &mut Interp, d: &mut Decoder, token: Token, at: usize, depth: usize) -> Result<Value, LuaError> {
    Ok(match token {
        Token::Str(s) => interp.new_string(s)?,
        Token::Num(n) => Value::Num(n),
        Token::Bool(b) => Value::Bool(b),
        Token::Null => NULL,
        Token::ArrBegin | Token::ObjBegin if depth >= interp.cjson.decode_max_depth => {
            return Err(interp.error(format!("Found too many nested data structures ({}) at character {at}", depth + 1)));
        }
        Token::ArrBegin => {
            let t = Table::new_ref(Table::default());
            let (mut token, mut at) = d.token();
            if matches!(token, Token::ArrEnd) {
                return Ok(Value::Table(t));
            }
            let mut i = 1.0;
            loop {
                let v = decode_value(interp, d, token, at, depth + 1)?;
                interp.raw_set(&t, Value::Num(i), v)?;
                i += 1.0;
                let (sep, sep_at) = d.token();
                match sep {
                    Token::ArrEnd => return Ok(Value::Table(t)),
                    Token::Comma => {}
                    other => return Err(unexpected(interp, "comma or array end", &other, sep_at)),
                }
                (token, at) = d.token();
            }
        }
        Token::ObjBegin => {
            let t = Table::new_ref(Table::default());
            let (mut token, mut at) = d.token();
            if matches!(token, Token::ObjEnd) {
                return Ok(Value::Table(t));
            }
            loop {
                let Token::Str(key) = token else { return Err(unexpected(interp, "object key string", &token, at)) };
                let (colon, colon_at) = d.token();
                if !matches!(colon, Token::Colon) {
                    return Err(unexpected(interp, "colon", &colon, colon_at));
                }
                let (value, value_at) = d.token();
                let v = decode_value(interp, d, value, value_at, depth + 1)?;
                let key = interp.new_string(key)?;
                interp.raw_set(&t, key, v)?;
                let (sep, sep_at) = d.token();
                match sep {
                    Token::ObjEnd => return Ok(Value::Table(t)),
                    Token::Comma => {}
                    other => return Err(unexpected(interp, "comma or object end", &other, sep_at)),
                }
                (token, at) = d.token();
            }
        }
        other => return Err(unexpected(interp, "value", &other, at)),
    })
}

fn decode(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.len() != 1 {
        return Err(arg_error(interp, 0, "decode", "expected 1 argument"));
    }
    let text = check_str(interp, &args, 0, "decode")?;
    let mut d = Decoder { src: &text, pos: 0 };
    let (token, at) = d.token();
    let v = decode_value(interp, &mut d, token, at, 0)?;
    let (end, end_at) = d.token();
    if !matches!(end, Token::End) {
        return Err(unexpected(interp, "the end", &end, end_at));
    }
    Ok(vec![v])
}
