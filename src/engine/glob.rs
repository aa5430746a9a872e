//! Redis's glob matcher (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET): `*`, `?`,
//! `[abc]`, `[^a-z]`, `\x`, with the same quirks for unterminated brackets,
//! reversed ranges and a trailing backslash, and the same early cut-off that
//! keeps patterns like `a*a*a*a*b` from taking exponential time.

/// Bytes compare as C `char` does on x86: signed.
fn signed(b: u8) -> i32 {
    b as i8 as i32
}

fn fold(c: i32, nocase: bool) -> i32 {
    if nocase && (b'A' as i32..=b'Z' as i32).contains(&c) {
        c + 32
    } else {
        c
    }
}

pub fn matches(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer)
}

fn match_impl(pattern: &[u8], string: &[u8], nocase: bool, skip_longer: &mut bool) -> bool {
    // Past its end a C string reads as NUL; the original relies on that.
    let pat = |i: usize| pattern.get(i).copied().unwrap_or(0);
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() && s < string.len() {
        match pat(p) {
            b'*' => {
                while p < pattern.len() && pat(p + 1) == b'*' {
                    p += 1;
                }
                if pattern.len() - p == 1 {
                    return true;
                }
                while s < string.len() {
                    if match_impl(&pattern[p + 1..], &string[s..], nocase, skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let negate = pat(p) == b'^';
                if negate {
                    p += 1;
                }
                let c = signed(string[s]);
                let mut matched = false;
                loop {
                    let remaining = pattern.len().saturating_sub(p);
                    if pat(p) == b'\\' && remaining >= 2 {
                        p += 1;
                        if pat(p) == string[s] {
                            matched = true;
                        }
                    } else if pat(p) == b']' {
                        break;
                    } else if remaining == 0 {
                        p -= 1;
                        break;
                    } else if remaining >= 3 && pat(p + 1) == b'-' {
                        let (mut start, mut end) = (signed(pat(p)), signed(pat(p + 2)));
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let (start, end, c) = (fold(start, nocase), fold(end, nocase), fold(c, nocase));
                        p += 2;
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if fold(signed(pat(p)), nocase) == fold(c, nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if negate {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
            }
            other => {
                let mut literal = other;
                if other == b'\\' && pattern.len() - p >= 2 {
                    p += 1;
                    literal = pat(p);
                }
                if fold(signed(literal), nocase) != fold(signed(string[s]), nocase) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            while pat(p) == b'*' && p < pattern.len() {
                p += 1;
            }
            break;
        }
    }
    p >= pattern.len() && s == string.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn glob_rules() {
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("a*", "a"));
        assert!(m("a**", "a"));
        assert!(!m("", "a"));
        assert!(m("", ""));
        // Redis's matcher never matches an empty string, even with `*`.
        assert!(!m("*", ""));
        assert!(m("[abc", "a"));
        assert!(m("key:*:x", "key:1:x"));
        assert!(!m("a*a*a*a*a*a*a*a*a*b", &"a".repeat(60)));
        assert!(matches(b"HELLO", b"hello", true));
    }
}
