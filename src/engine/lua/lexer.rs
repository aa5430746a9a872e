//! Lua 5.1's tokens, read from a script's bytes with their line numbers;
//! the error texts are Lua's own (`unfinished string near '"ab'`), since
//! Redis hands them to the client inside its compile error.

use std::rc::Rc;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Name(Rc<[u8]>),
    Str(Rc<[u8]>),
    Num(f64),
    /// A keyword or a symbol, spelt as in the source (`end`, `==`, `...`).
    Sym(&'static str),
    Eof,
}

const KEYWORDS: &[&str] = &[
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in", "local", "nil", "not", "or",
    "repeat", "return", "then", "true", "until", "while",
];

const SYMBOLS: &[&str] = &[
    "...", "..", "==", "~=", "<=", ">=", "+", "-", "*", "/", "%", "^", "#", "<", ">", "=", "(", ")", "{", "}", "[", "]",
    ";", ":", ",", ".",
];

pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    pub line: u32,
    chunk: &'a str,
}

/// A token and the line it ended on, with the text Lua quotes in errors.
#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub line: u32,
    pub text: String,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8], chunk: &'a str) -> Self {
        let mut lexer = Lexer { src, pos: 0, line: 1, chunk };
        // A first line starting with '#' (a shebang) is skipped, as Lua's loader does.
        if src.first() == Some(&b'#') {
            while lexer.pos < src.len() && src[lexer.pos] != b'\n' {
                lexer.pos += 1;
            }
        }
        lexer
    }

    fn error(&self, msg: &str, near: &str) -> String {
        format!("{}:{}: {} near '{}'", self.chunk, self.line, msg, near)
    }

    fn peek(&self, ahead: usize) -> u8 {
        self.src.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn newline(&mut self) {
        let first = self.src[self.pos];
        self.pos += 1;
        let second = self.peek(0);
        if (second == b'\n' || second == b'\r') && second != first {
            self.pos += 1;
        }
        self.line += 1;
    }

    pub fn next_token(&mut self) -> Result<Token, String> {
        loop {
            if self.at_end() {
                return Ok(Token { tok: Tok::Eof, line: self.line, text: "<eof>".into() });
            }
            let c = self.src[self.pos];
            match c {
                b'\n' | b'\r' => self.newline(),
                b' ' | b'\t' | 0x0b | 0x0c => self.pos += 1,
                b'-' if self.peek(1) == b'-' => {
                    self.pos += 2;
                    if self.peek(0) == b'[' {
                        if let Some(level) = self.long_bracket_level() {
                            self.long_string(level, "comment")?;
                            continue;
                        }
                    }
                    while !self.at_end() && !matches!(self.src[self.pos], b'\n' | b'\r') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
        let start = self.pos;
        let c = self.src[self.pos];
        let tok = if c.is_ascii_alphabetic() || c == b'_' {
            while !self.at_end() && (self.src[self.pos].is_ascii_alphanumeric() || self.src[self.pos] == b'_') {
                self.pos += 1;
            }
            let word = &self.src[start..self.pos];
            match KEYWORDS.iter().find(|k| k.as_bytes() == word) {
                Some(k) => Tok::Sym(k),
                None => Tok::Name(word.into()),
            }
        } else if c.is_ascii_digit() || (c == b'.' && self.peek(1).is_ascii_digit()) {
            self.number()?
        } else if c == b'"' || c == b'\'' {
            self.short_string(c)?
        } else if c == b'[' && self.long_bracket_level().is_some() {
            let level = self.long_bracket_level().unwrap_or(0);
            Tok::Str(self.long_string(level, "string")?.into())
        } else if c == b'[' && self.peek(1) == b'=' {
            return Err(self.error("invalid long string delimiter", "[="));
        } else {
            let rest = &self.src[self.pos..];
            match SYMBOLS.iter().find(|s| rest.starts_with(s.as_bytes())) {
                Some(s) => {
                    self.pos += s.len();
                    Tok::Sym(s)
                }
                None => {
                    self.pos += 1;
                    let near = if c.is_ascii_graphic() { (c as char).to_string() } else { format!("char({c})") };
                    return Err(self.error("unexpected symbol", &near));
                }
            }
        };
        let text = match &tok {
            Tok::Str(_) | Tok::Num(_) | Tok::Name(_) => String::from_utf8_lossy(&self.src[start..self.pos]).into_owned(),
            Tok::Sym(s) => (*s).to_string(),
            Tok::Eof => "<eof>".into(),
        };
        Ok(Token { tok, line: self.line, text })
    }

    /// At `[`: the number of `=` of a long bracket `[==[`, if it is one.
    fn long_bracket_level(&self) -> Option<usize> {
        let mut n = 1;
        while self.peek(n) == b'=' {
            n += 1;
        }
        (self.peek(n) == b'[').then_some(n - 1)
    }

    fn long_string(&mut self, level: usize, what: &str) -> Result<Vec<u8>, String> {
        self.pos += level + 2;
        // A newline right after the opening bracket is not part of it.
        if matches!(self.peek(0), b'\n' | b'\r') {
            self.newline();
        }
        let mut out = Vec::new();
        loop {
            if self.at_end() {
                let msg = format!("unfinished long {what}");
                return Err(self.error(&msg, "<eof>"));
            }
            let c = self.src[self.pos];
            if c == b']' {
                let mut n = 1;
                while self.peek(n) == b'=' {
                    n += 1;
                }
                if n - 1 == level && self.peek(n) == b']' {
                    self.pos += n + 1;
                    return Ok(out);
                }
                out.push(c);
                self.pos += 1;
            } else if c == b'\n' || c == b'\r' {
                self.newline();
                out.push(b'\n');
            } else {
                out.push(c);
                self.pos += 1;
            }
        }
    }

    fn short_string(&mut self, quote: u8) -> Result<Tok, String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let src = self.src;
            let near = |pos: usize| String::from_utf8_lossy(&src[start..pos]).into_owned();
            if self.at_end() {
                return Err(self.error("unfinished string", "<eof>"));
            }
            let c = self.src[self.pos];
            match c {
                b'\n' | b'\r' => return Err(self.error("unfinished string", &near(self.pos))),
                _ if c == quote => {
                    self.pos += 1;
                    return Ok(Tok::Str(out.into()));
                }
                b'\\' => {
                    self.pos += 1;
                    if self.at_end() {
                        return Err(self.error("unfinished string", "<eof>"));
                    }
                    let e = self.src[self.pos];
                    let simple = match e {
                        b'a' => Some(7),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'v' => Some(11),
                        b'\\' | b'"' | b'\'' => Some(e),
                        _ => None,
                    };
                    if let Some(byte) = simple {
                        out.push(byte);
                        self.pos += 1;
                    } else if e == b'\n' || e == b'\r' {
                        out.push(b'\n');
                        self.newline();
                    } else if e.is_ascii_digit() {
                        let mut value = 0u32;
                        let mut digits = 0;
                        while digits < 3 && self.peek(0).is_ascii_digit() {
                            value = value * 10 + (self.peek(0) - b'0') as u32;
                            self.pos += 1;
                            digits += 1;
                        }
                        if value > 255 {
                            return Err(self.error("escape sequence too large", &near(self.pos)));
                        }
                        out.push(value as u8);
                    } else {
                        // Lua 5.1 keeps an unknown escape's character.
                        out.push(e);
                        self.pos += 1;
                    }
                }
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Tok, String> {
        let start = self.pos;
        while !self.at_end() {
            let c = self.src[self.pos];
            let exponent_sign = (c == b'+' || c == b'-') && matches!(self.src[self.pos - 1], b'e' | b'E');
            if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exponent_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = &self.src[start..self.pos];
        match str_to_number(text) {
            Some(n) => Ok(Tok::Num(n)),
            None => Err(self.error("malformed number", &String::from_utf8_lossy(text))),
        }
    }
}

/// Lua 5.1's `luaO_str2d`: C's strtod (decimal, `inf`, `nan`), or a hex
/// integer, with surrounding white space allowed and nothing else.
pub fn str_to_number(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if trimmed.is_empty() {
        return None;
    }
    let (negative, body) = match trimmed.as_bytes()[0] {
        b'-' => (true, &trimmed[1..]),
        b'+' => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        // strtoul: a value past 32 bits saturates (the platform's long is 64 bits).
        let value = hex.bytes().fold(0u64, |acc, b| acc.saturating_mul(16).saturating_add((b as char).to_digit(16).unwrap_or(0) as u64));
        return Some(sign * value as f64);
    }
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(sign * f64::INFINITY);
    }
    if lower == "nan" {
        return Some(if negative { -f64::NAN } else { f64::NAN });
    }
    let valid = body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && body.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.');
    if !valid {
        return None;
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}
