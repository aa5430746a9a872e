//! Numbers as Redis writes and reads them: `string2ll` (integer
//! arguments), `%.17g` (scores, replies of
//! doubles), `d2string` (integral doubles printed as integers), and
//! `strtod` with Redis's checks for float arguments.

/// C's `atoi`: optional blanks and sign, then digits; stops at the first
/// other byte (none: 0). The digits wrap rather than overflow.
pub fn atoi(bytes: &[u8]) -> i64 {
    let mut i = 0;
    while i < bytes.len() && super::splitargs::is_c_space(bytes[i]) {
        i += 1;
    }
    let negative = match bytes.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut n: i64 = 0;
    while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add((d - b'0') as i64);
        i += 1;
    }
    if negative {
        -n
    } else {
        n
    }
}

/// Redis's `string2ll`: an optional `-`, then digits without leading zeros
/// (a lone `0` aside), nothing else, within i64.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    match digits {
        [b'0'] if !negative => return Some(0),
        [b'1'..=b'9', ..] => {}
        _ => return None,
    }
    let mut magnitude: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    if negative {
        if magnitude > i64::MAX as u64 + 1 {
            None
        } else {
            Some((magnitude as i64).wrapping_neg())
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// C's `printf("%.17g", v)`.
pub fn fmt_g17(v: f64) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    const P: i32 = 17;
    // 17 significant digits, correctly rounded, as d.dddde±x.
    let sci = format!("{:.*e}", (P - 1) as usize, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= P {
        let mantissa = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (P - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, v)).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Redis's `d2string`: integral doubles print as integers, others as `%.17g`.
pub fn d2string(v: f64) -> String {
    if v.is_finite() && v != 0.0 && v.fract() == 0.0 && v.abs() < (1u64 << 52) as f64 {
        return format!("{}", v as i64);
    }
    if v.is_nan() {
        return "nan".into();
    }
    fmt_g17(v)
}

/// What `strtod` would make of a whole argument, as far as both parsers
/// agree: at most one sign, then `inf`/`infinity` or the characters of a
/// decimal number (the text lower-cased, and the length of its sign).
/// `None`: not a number.
enum Spelled {
    Infinity(f64),
    Number(String, usize),
}

fn strtod_form(text: &str) -> Option<Spelled> {
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if lower.len() - unsigned.len() > 1 {
        return None;
    }
    if unsigned == "inf" || unsigned == "infinity" {
        return Some(Spelled::Infinity(if lower.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY }));
    }
    if !unsigned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-')) {
        return None;
    }
    let sign = lower.len() - unsigned.len();
    Some(Spelled::Number(lower, sign))
}

/// `strtod` with the checks of Redis's `getDoubleFromObject`: the whole
/// argument must be a number, no leading space, no overflow or underflow
/// to zero, not NaN. `inf`, `-inf`, `+inf` are accepted.
pub fn parse_f64(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(bytes).ok()?;
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let (lower, sign) = match strtod_form(text)? {
        Spelled::Infinity(v) => return Some(v),
        Spelled::Number(lower, sign) => (lower, sign),
    };
    let unsigned = &lower[sign..];
    let v: f64 = text.parse().ok()?;
    if v.is_infinite() {
        return None; // overflow: strtod's ERANGE with HUGE_VAL
    }
    if v == 0.0 {
        // Underflow to zero is ERANGE too; a spelled zero is fine.
        let digits = unsigned.split(['e', 'E']).next().unwrap_or("");
        if digits.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
            return None;
        }
    }
    Some(v)
}

/// Bare `strtod` as Redis's range parsers use it: leading blanks are
/// skipped, an empty string is 0, overflow gives ±inf; only trailing
/// garbage and NaN are refused.
pub fn parse_f64_loose(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if trimmed.is_empty() {
        return if text.is_empty() { Some(0.0) } else { None };
    }
    if let Spelled::Infinity(v) = strtod_form(trimmed)? {
        return Some(v);
    }
    trimmed.parse().ok().filter(|v: &f64| !v.is_nan())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [&b""[..], b"-", b"-0", b"01", b"+1", b" 1", b"1 ", b"1a", b"9223372036854775808", b"1.0"] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }


    #[test]
    fn g17_like_printf() {
        assert_eq!(fmt_g17(1.0), "1");
        assert_eq!(fmt_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_g17(2.6), "2.6000000000000001");
        assert_eq!(fmt_g17(-0.0), "-0");
        assert_eq!(fmt_g17(1e20), "1e+20");
        assert_eq!(fmt_g17(1.5e-7), "1.4999999999999999e-07");
        assert_eq!(fmt_g17(123456789012345680.0), "1.2345678901234568e+17");
        assert_eq!(fmt_g17(0.0001), "0.0001");
        assert_eq!(fmt_g17(f64::INFINITY), "inf");
    }

    #[test]
    fn d2string_integral() {
        assert_eq!(d2string(3.0), "3");
        assert_eq!(d2string(-2.0), "-2");
        assert_eq!(d2string(1.5), "1.5");
    }

    #[test]
    fn strtod_checks() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        for bad in [&b""[..], b" 1", b"1 ", b"nan", b"abc", b"1e400", b"1e-400", b"--1"] {
            assert_eq!(parse_f64(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_f64(b"0e5"), Some(0.0));
    }
}
