//! C's printf as Lua 5.1 uses it: numbers print as `%.14g`, and
//! `string.format` passes each directive to printf with its flags, width
//! and precision.

/// Lua's `tostring` of a number (`%.14g`).
pub fn number_to_string(v: f64) -> String {
    format_float(v, 'g', Some(14), false)
}

/// One float directive (`e`, `f`, `g`, upper case for `E`, `G`), without width.
pub fn format_float(v: f64, conv: char, precision: Option<usize>, alternate: bool) -> String {
    if v.is_nan() {
        let s = if v.is_sign_negative() { "-nan" } else { "nan" };
        return if conv.is_ascii_uppercase() { s.to_ascii_uppercase() } else { s.to_string() };
    }
    if v.is_infinite() {
        let s = if v < 0.0 { "-inf" } else { "inf" };
        return if conv.is_ascii_uppercase() { s.to_ascii_uppercase() } else { s.to_string() };
    }
    let out = match conv.to_ascii_lowercase() {
        'f' => format!("{:.*}", precision.unwrap_or(6), v),
        'e' => exponent_form(v, precision.unwrap_or(6)),
        _ => {
            let p = match precision {
                Some(0) => 1,
                Some(p) => p,
                None => 6,
            };
            let sci = format!("{:.*e}", p - 1, v);
            let exp: i32 = sci.split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
            let text = if exp < -4 || exp >= p as i32 {
                exponent_form(v, p - 1)
            } else {
                format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, v)
            };
            if alternate {
                text
            } else {
                strip_fraction_zeros(&text)
            }
        }
    };
    if conv.is_ascii_uppercase() {
        out.to_ascii_uppercase()
    } else {
        out
    }
}

/// `d.ddde+XX`, C's way (at least two exponent digits, with a sign).
fn exponent_form(v: f64, precision: usize) -> String {
    let sci = format!("{:.*e}", precision, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

fn strip_fraction_zeros(text: &str) -> String {
    let (body, exp) = match text.find('e') {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let body = if body.contains('.') { body.trim_end_matches('0').trim_end_matches('.') } else { body };
    format!("{body}{exp}")
}

/// A directive's flags and width.
#[derive(Default, Clone, Copy)]
pub struct Spec {
    pub left: bool,
    pub plus: bool,
    pub space: bool,
    pub alternate: bool,
    pub zero: bool,
    pub width: usize,
    pub precision: Option<usize>,
}

impl Spec {
    /// Pads a converted number (sign handled here) to the width.
    pub fn pad_number(&self, digits: String, negative: bool) -> String {
        let sign = if negative {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        };
        let len = sign.len() + digits.len();
        if len >= self.width {
            return format!("{sign}{digits}");
        }
        let fill = self.width - len;
        if self.left {
            format!("{sign}{digits}{}", " ".repeat(fill))
        } else if self.zero && digits.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'+' || b == b'-') && !digits.contains("inf") && !digits.contains("nan") {
            format!("{sign}{}{digits}", "0".repeat(fill))
        } else {
            format!("{}{sign}{digits}", " ".repeat(fill))
        }
    }

    pub fn pad_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len().max(self.width));
        let fill = self.width.saturating_sub(bytes.len());
        if !self.left {
            out.resize(fill, b' ');
        }
        out.extend_from_slice(bytes);
        if self.left {
            out.resize(out.len() + fill, b' ');
        }
        out
    }
}

/// An integer directive (`d`, `i`, `u`, `o`, `x`, `X`) on a number
/// truncated to C's long, as Lua 5.1 passes it.
pub fn format_integer(v: f64, conv: char, spec: &Spec) -> String {
    let n = if v.is_nan() { i64::MIN } else { v as i64 };
    let (digits, negative) = match conv {
        'd' | 'i' => (n.unsigned_abs().to_string(), n < 0),
        'u' => ((n as u64).to_string(), false),
        'o' => (format!("{:o}", n as u64), false),
        'x' => (format!("{:x}", n as u64), false),
        _ => (format!("{:X}", n as u64), false),
    };
    let digits = match spec.precision {
        Some(p) if digits.len() < p => format!("{}{digits}", "0".repeat(p - digits.len())),
        Some(0) if n == 0 => String::new(),
        _ => digits,
    };
    let digits = match conv {
        'o' if spec.alternate && !digits.starts_with('0') => format!("0{digits}"),
        'x' if spec.alternate && n != 0 => format!("0x{digits}"),
        'X' if spec.alternate && n != 0 => format!("0X{digits}"),
        _ => digits,
    };
    let spec = Spec { zero: spec.zero && spec.precision.is_none(), ..*spec };
    spec.pad_number(digits, negative)
}

/// A float directive with its flags and width.
pub fn format_float_spec(v: f64, conv: char, spec: &Spec) -> String {
    let text = format_float(v.abs(), conv, spec.precision, spec.alternate);
    let text = if spec.alternate && conv.eq_ignore_ascii_case(&'f') && spec.precision == Some(0) { format!("{text}.") } else { text };
    spec.pad_number(text, v.is_sign_negative())
}

/// `%q`: a string Lua reads back as the same bytes.
pub fn quoted(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &b in bytes {
        match b {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => out.extend_from_slice(b"\\000"),
            _ => out.push(b),
        }
    }
    out.push(b'"');
    out
}
