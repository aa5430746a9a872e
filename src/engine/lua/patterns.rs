//! Lua 5.1's patterns (`%d+`, `[^,]*`, `%b()`, `%f[%w]`, captures and
//! position captures), matched by backtracking as Lua's own matcher does,
//! with its error texts and its recursion limit.

pub const MAX_CAPTURES: usize = 32;
const MAX_RECURSION: usize = 200;

#[derive(Clone, Copy, Debug)]
pub enum Capture {
    /// Start and length; a position capture has no length.
    Span(usize, usize),
    Position(usize),
    Open(usize),
}

pub struct Matcher<'a> {
    src: &'a [u8],
    pat: &'a [u8],
    depth: usize,
    pub captures: Vec<Capture>,
}

fn class_matches(class: u8, c: u8) -> bool {
    let r = match class.to_ascii_lowercase() {
        b'a' => c.is_ascii_alphabetic(),
        b'c' => c.is_ascii_control(),
        b'd' => c.is_ascii_digit(),
        b'l' => c.is_ascii_lowercase(),
        b'p' => c.is_ascii_punctuation(),
        b's' => matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        b'u' => c.is_ascii_uppercase(),
        b'w' => c.is_ascii_alphanumeric(),
        b'x' => c.is_ascii_hexdigit(),
        b'z' => c == 0,
        _ => return class == c,
    };
    if class.is_ascii_uppercase() {
        !r
    } else {
        r
    }
}

impl<'a> Matcher<'a> {
    pub fn new(src: &'a [u8], pat: &'a [u8]) -> Self {
        Matcher { src, pat, depth: 0, captures: Vec::new() }
    }

    /// The end of the single-character class starting at `p`.
    fn class_end(&self, mut p: usize) -> Result<usize, String> {
        let c = self.pat[p];
        p += 1;
        if c == b'%' {
            if p >= self.pat.len() {
                return Err("malformed pattern (ends with '%')".into());
            }
            return Ok(p + 1);
        }
        if c == b'[' {
            if self.pat.get(p) == Some(&b'^') {
                p += 1;
            }
            // The first ']' after '[' or '[^' is a member.
            loop {
                if p >= self.pat.len() {
                    return Err("malformed pattern (missing ']')".into());
                }
                let cc = self.pat[p];
                p += 1;
                if cc == b'%' {
                    if p >= self.pat.len() {
                        return Err("malformed pattern (missing ']')".into());
                    }
                    p += 1;
                }
                if self.pat.get(p) == Some(&b']') {
                    return Ok(p + 1);
                }
            }
        }
        Ok(p)
    }

    fn in_set(&self, c: u8, mut p: usize, end: usize) -> bool {
        // p at '[', end just past ']'.
        p += 1;
        let mut negate = false;
        if self.pat[p] == b'^' {
            negate = true;
            p += 1;
        }
        let last = end - 1;
        while p < last {
            if self.pat[p] == b'%' && p + 1 < last {
                p += 1;
                if class_matches(self.pat[p], c) {
                    return !negate;
                }
                p += 1;
            } else if p + 2 < last && self.pat[p + 1] == b'-' {
                if self.pat[p] <= c && c <= self.pat[p + 2] {
                    return !negate;
                }
                p += 3;
            } else {
                if self.pat[p] == c {
                    return !negate;
                }
                p += 1;
            }
        }
        negate
    }

    fn single_matches(&self, s: usize, p: usize, ep: usize) -> bool {
        let Some(&c) = self.src.get(s) else { return false };
        match self.pat[p] {
            b'.' => true,
            b'%' => class_matches(self.pat[p + 1], c),
            b'[' => self.in_set(c, p, ep),
            pc => pc == c,
        }
    }

    /// Matches the pattern from `p` against the subject from `s`: the end
    /// of the match, if any.
    pub fn do_match(&mut self, s: usize, p: usize) -> Result<Option<usize>, String> {
        self.depth += 1;
        if self.depth > MAX_RECURSION {
            return Err("pattern too complex".into());
        }
        let r = self.match_inner(s, p);
        self.depth -= 1;
        r
    }

    fn match_inner(&mut self, mut s: usize, mut p: usize) -> Result<Option<usize>, String> {
        loop {
            if p >= self.pat.len() {
                return Ok(Some(s));
            }
            match self.pat[p] {
                b'(' => {
                    return if self.pat.get(p + 1) == Some(&b')') {
                        self.start_capture(s, p + 2, true)
                    } else {
                        self.start_capture(s, p + 1, false)
                    };
                }
                b')' => return self.end_capture(s, p + 1),
                b'$' if p + 1 == self.pat.len() => {
                    return Ok((s == self.src.len()).then_some(s));
                }
                b'%' if self.pat.get(p + 1) == Some(&b'b') => {
                    let Some(end) = self.match_balance(s, p + 2)? else { return Ok(None) };
                    s = end;
                    p += 4;
                    continue;
                }
                b'%' if self.pat.get(p + 1) == Some(&b'f') => {
                    p += 2;
                    if self.pat.get(p) != Some(&b'[') {
                        return Err("missing '[' after '%f' in pattern".into());
                    }
                    let ep = self.class_end(p)?;
                    let prev = if s == 0 { 0 } else { self.src[s - 1] };
                    let cur = self.src.get(s).copied().unwrap_or(0);
                    if !self.in_set(prev, p, ep) && self.in_set(cur, p, ep) {
                        p = ep;
                        continue;
                    }
                    return Ok(None);
                }
                b'%' if self.pat.get(p + 1).is_some_and(u8::is_ascii_digit) => {
                    let Some(end) = self.match_capture(s, self.pat[p + 1])? else { return Ok(None) };
                    s = end;
                    p += 2;
                    continue;
                }
                _ => {}
            }
            let ep = self.class_end(p)?;
            let matched = self.single_matches(s, p, ep);
            match self.pat.get(ep) {
                Some(b'?') => {
                    if matched {
                        if let Some(end) = self.do_match(s + 1, ep + 1)? {
                            return Ok(Some(end));
                        }
                    }
                    p = ep + 1;
                }
                Some(b'*') => return self.max_expand(s, p, ep),
                Some(b'+') => return if matched { self.max_expand(s + 1, p, ep) } else { Ok(None) },
                Some(b'-') => return self.min_expand(s, p, ep),
                _ => {
                    if !matched {
                        return Ok(None);
                    }
                    s += 1;
                    p = ep;
                }
            }
        }
    }

    fn max_expand(&mut self, s: usize, p: usize, ep: usize) -> Result<Option<usize>, String> {
        let mut count = 0;
        while self.single_matches(s + count, p, ep) {
            count += 1;
        }
        loop {
            if let Some(end) = self.do_match(s + count, ep + 1)? {
                return Ok(Some(end));
            }
            if count == 0 {
                return Ok(None);
            }
            count -= 1;
        }
    }

    fn min_expand(&mut self, mut s: usize, p: usize, ep: usize) -> Result<Option<usize>, String> {
        loop {
            if let Some(end) = self.do_match(s, ep + 1)? {
                return Ok(Some(end));
            }
            if self.single_matches(s, p, ep) {
                s += 1;
            } else {
                return Ok(None);
            }
        }
    }

    fn start_capture(&mut self, s: usize, p: usize, position: bool) -> Result<Option<usize>, String> {
        if self.captures.len() >= MAX_CAPTURES {
            return Err("too many captures".into());
        }
        self.captures.push(if position { Capture::Position(s) } else { Capture::Open(s) });
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.captures.pop();
        }
        Ok(r)
    }

    fn end_capture(&mut self, s: usize, p: usize) -> Result<Option<usize>, String> {
        let Some(open) = self.captures.iter().rposition(|c| matches!(c, Capture::Open(_))) else {
            return Err("invalid pattern capture".into());
        };
        let Capture::Open(start) = self.captures[open] else { return Err("invalid pattern capture".into()) };
        self.captures[open] = Capture::Span(start, s - start);
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.captures[open] = Capture::Open(start);
        }
        Ok(r)
    }

    fn match_balance(&self, s: usize, p: usize) -> Result<Option<usize>, String> {
        if p + 1 >= self.pat.len() {
            return Err("unbalanced pattern".into());
        }
        let (open, close) = (self.pat[p], self.pat[p + 1]);
        if self.src.get(s) != Some(&open) {
            return Ok(None);
        }
        let mut depth = 1;
        let mut i = s + 1;
        while i < self.src.len() {
            let c = self.src[i];
            if c == close {
                depth -= 1;
                if depth == 0 {
                    return Ok(Some(i + 1));
                }
            } else if c == open {
                depth += 1;
            }
            i += 1;
        }
        Ok(None)
    }

    fn match_capture(&self, s: usize, digit: u8) -> Result<Option<usize>, String> {
        let index = digit.checked_sub(b'1').map_or(usize::MAX, usize::from);
        match self.captures.get(index) {
            Some(Capture::Span(start, len)) => {
                let captured = &self.src[*start..*start + *len];
                Ok(self.src[s..].starts_with(captured).then_some(s + len))
            }
            _ => Err(format!("invalid capture index %{}", digit as char)),
        }
    }
}

/// Whether a pattern has none of the special characters (plain `find`).
pub fn is_plain(pat: &[u8]) -> bool {
    !pat.iter().any(|b| b"^$*+?.([%-".contains(b))
}
