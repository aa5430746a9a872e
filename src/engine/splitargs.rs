//! Splitting a line into arguments as Redis's `sdssplitargs` does: the
//! rules both redis-cli (a typed line) and the server (an inline command,
//! a config file line) use, so it sits below both.

/// The line could not be split (an unbalanced or misplaced quote);
/// redis-cli answers `Invalid argument(s)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidArguments;

pub fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Splits a line the way redis-cli (sdssplitargs) does: blanks separate
/// arguments; `"..."` understands `\n \r \t \b \a \xHH` and `\<any>`;
/// `'...'` understands only `\'`; a closing quote must be followed by a
/// blank or the end of the line.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, InvalidArguments> {
    // A C string ends at the first NUL.
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_c_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Ok(args);
        }
        let mut current = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(p);
            if in_double || in_single {
                let quote = if in_double { b'"' } else { b'\'' };
                if in_double && c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(hi), Some(lo)) = (hex_value(at(p + 2)), hex_value(at(p + 3))) {
                        current.push(hi * 16 + lo);
                        p += 4;
                        continue;
                    }
                }
                if in_double && c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if in_single && c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == quote {
                    p = closing_quote(p, at(p + 1))?;
                    break;
                } else if c == 0 {
                    return Err(InvalidArguments);
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        if c != 0 {
                            p += 1;
                        }
                        break;
                    }
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    other => current.push(other),
                }
            }
            p += 1;
        }
        args.push(current);
    }
}

/// A closing quote at `p` must be followed by a blank or the end of the
/// line; the argument then ends after it.
fn closing_quote(p: usize, next: u8) -> Result<usize, InvalidArguments> {
    if next != 0 && !is_c_space(next) {
        return Err(InvalidArguments);
    }
    Ok(p + 1)
}
