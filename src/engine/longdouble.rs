//! The x87 80-bit `long double` that INCRBYFLOAT and HINCRBYFLOAT compute
//! with on Redis's platforms: a 64-bit mantissa, correctly rounded parsing
//! (`strtold`), addition, and `%.17Lf` printing. With plain f64, `10.5`
//! plus `0.1` would print `10.59999999999999964`; Redis prints `10.6`.
//!
//! Values are exact `mantissa * 2^exponent`; the arithmetic goes through a
//! small unsigned big integer, so every result is the correctly rounded one.

use std::cmp::Ordering;

/// Unsigned big integer, little-endian 32-bit limbs, no leading zero limbs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bits(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => (self.0.len() as u64 - 1) * 32 + (32 - top.leading_zeros() as u64),
        }
    }

    fn bit(&self, i: u64) -> bool {
        let limb = (i / 32) as usize;
        self.0.get(limb).is_some_and(|l| l >> (i % 32) & 1 == 1)
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let v = *limb as u64 * m as u64 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn add_small(&mut self, a: u32) {
        let mut carry = a as u64;
        for limb in &mut self.0 {
            if carry == 0 {
                break;
            }
            let v = *limb as u64 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    fn shl(&self, n: u64) -> Big {
        let (limbs, bits) = ((n / 32) as usize, (n % 32) as u32);
        let mut out = vec![0u32; limbs];
        let mut carry = 0u32;
        for &l in &self.0 {
            if bits == 0 {
                out.push(l);
            } else {
                out.push((l << bits) | carry);
                carry = l >> (32 - bits);
            }
        }
        if carry != 0 {
            out.push(carry);
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn shr(&self, n: u64) -> Big {
        let (limbs, bits) = ((n / 32) as usize, (n % 32) as u32);
        if limbs >= self.0.len() {
            return Big(Vec::new());
        }
        let src = &self.0[limbs..];
        let mut out = Vec::with_capacity(src.len());
        for i in 0..src.len() {
            let lo = src[i] >> bits;
            let hi = if bits == 0 { 0 } else { src.get(i + 1).map_or(0, |h| h << (32 - bits)) };
            out.push(lo | hi);
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// self -= other (other <= self).
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let v = self.0[i] as i64 - other.0.get(i).copied().unwrap_or(0) as i64 - borrow;
            borrow = (v < 0) as i64;
            self.0[i] = v.rem_euclid(1 << 32) as u32;
        }
        self.trim();
    }

    fn add(&self, other: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len().max(other.0.len()) + 1);
        let mut carry = 0u64;
        for i in 0..self.0.len().max(other.0.len()) {
            let v = self.0.get(i).copied().unwrap_or(0) as u64 + other.0.get(i).copied().unwrap_or(0) as u64 + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        if carry != 0 {
            out.push(carry as u32);
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn to_u64(&self) -> u64 {
        self.0.iter().take(2).enumerate().fold(0, |acc, (i, &l)| acc | (l as u64) << (32 * i))
    }

    fn pow10(n: u32) -> Big {
        let mut b = Big::from_u64(1);
        for _ in 0..n {
            b.mul_small(10);
        }
        b
    }

    /// (self / d, self % d) by binary long division.
    fn divmod(&self, d: &Big) -> (Big, Big) {
        if self.cmp(d) == Ordering::Less {
            return (Big(Vec::new()), self.clone());
        }
        let shift = self.bits() - d.bits();
        let mut rem = self.clone();
        let mut q = Big(vec![0; (shift / 32 + 1) as usize]);
        let mut div = d.shl(shift);
        for i in (0..=shift).rev() {
            if rem.cmp(&div) != Ordering::Less {
                rem.sub(&div);
                q.0[(i / 32) as usize] |= 1 << (i % 32);
            }
            div = div.shr(1);
        }
        q.trim();
        (q, rem)
    }

    /// Divides by a small number in place (limb by limb, from the top);
    /// returns the remainder.
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem: u64 = 0;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 32) | *limb as u64;
            *limb = (cur / d as u64) as u32;
            rem = cur % d as u64;
        }
        self.trim();
        rem as u32
    }

    /// In base 10, nine digits at a time: a division by a small number is
    /// one pass over the limbs (the largest long double has about 500),
    /// where long division bit by bit took a noticeable fraction of a second.
    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut digits = Vec::new();
        let mut n = self.clone();
        while !n.is_zero() {
            digits.push(n.div_small(1_000_000_000) as u64);
        }
        let mut out = digits.pop().unwrap_or(0).to_string();
        for chunk in digits.iter().rev() {
            out.push_str(&format!("{chunk:09}"));
        }
        out
    }
}

/// An x87 extended-precision value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongDouble {
    /// `negative`, `mantissa * 2^exponent` (mantissa 0 is a signed zero).
    Finite { negative: bool, mantissa: u64, exponent: i32 },
    Infinite { negative: bool },
}

/// Smallest exponent of the last mantissa bit (denormals), and the largest
/// value's top-bit exponent.
const MIN_EXP: i64 = -16445;
const MAX_TOP_EXP: i64 = 16383;

/// Rounds `n * 2^exp` (n exact) to 64 mantissa bits, ties to even.
/// `None` on overflow; zero when it underflows below the smallest denormal.
fn round(negative: bool, n: &Big, exp: i64) -> Option<LongDouble> {
    if n.is_zero() {
        return Some(LongDouble::Finite { negative, mantissa: 0, exponent: 0 });
    }
    let mut shift = n.bits() as i64 - 64;
    // Denormals have fewer bits: the last bit may not go below MIN_EXP.
    if exp + shift < MIN_EXP {
        shift = MIN_EXP - exp;
    }
    let (mut mantissa, mut exponent) = if shift > 0 {
        let kept = n.shr(shift as u64);
        let half = n.bit(shift as u64 - 1);
        let below = (0..shift as u64 - 1).any(|i| n.bit(i));
        let mut m = kept.to_u64() as u128;
        if half && (below || m & 1 == 1) {
            m += 1;
        }
        (m, exp + shift)
    } else {
        (n.to_u64() as u128, exp)
    };
    if mantissa >> 64 != 0 {
        mantissa >>= 1;
        exponent += 1;
    }
    let mantissa = mantissa as u64;
    if mantissa != 0 && exponent + 63 - mantissa.leading_zeros() as i64 > MAX_TOP_EXP {
        return None;
    }
    Some(LongDouble::Finite { negative, mantissa, exponent: exponent as i32 })
}

impl LongDouble {
    /// A double widened to long double, exactly.
    pub fn from_f64(v: f64) -> LongDouble {
        let bits = v.to_bits();
        let negative = bits >> 63 == 1;
        if !v.is_finite() {
            return LongDouble::Infinite { negative };
        }
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1 << 52) - 1);
        let (mantissa, exponent) = if biased == 0 { (fraction, -1074) } else { (fraction | 1 << 52, biased - 1075) };
        LongDouble::Finite { negative, mantissa, exponent }
    }

    pub fn from_i64(v: i64) -> LongDouble {
        LongDouble::Finite { negative: v < 0, mantissa: v.unsigned_abs(), exponent: 0 }
    }

    pub fn is_finite(&self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// `strtold` with the checks of Redis's `string2ld`: the whole string,
    /// no leading space, no overflow, no underflow to zero, not NaN.
    pub fn parse(bytes: &[u8]) -> Option<LongDouble> {
        if bytes.is_empty() || bytes.len() >= 5 * 1024 || bytes[0].is_ascii_whitespace() {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let (negative, body) = match text.as_bytes()[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let lower = body.to_ascii_lowercase();
        if lower == "inf" || lower == "infinity" {
            return Some(LongDouble::Infinite { negative });
        }
        if let Some(hex) = lower.strip_prefix("0x") {
            return Self::parse_hex(negative, hex);
        }
        let (mantissa_text, exp_text) = match lower.find('e') {
            Some(at) => (&lower[..at], Some(&lower[at + 1..])),
            None => (lower.as_str(), None),
        };
        let (int_part, frac_part) = mantissa_text.split_once('.').unwrap_or((mantissa_text, ""));
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut exp10: i64 = match exp_text {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let v: i64 = digits.parse().unwrap_or(i64::MAX / 4).min(100_000);
                if e.starts_with('-') {
                    -v
                } else {
                    v
                }
            }
        };
        let mut n = Big(Vec::new());
        let mut seen_digit = false;
        for b in int_part.bytes().chain(frac_part.bytes()) {
            if b != b'0' || seen_digit {
                seen_digit = true;
                n.mul_small(10);
                n.add_small((b - b'0') as u32);
            }
        }
        exp10 -= frac_part.len() as i64;
        if n.is_zero() {
            return Some(LongDouble::Finite { negative, mantissa: 0, exponent: 0 });
        }
        // Far outside the range: overflow or underflow, both refused.
        let magnitude = n.bits() as i64 * 30103 / 100000 + exp10;
        if !(-5000..=5000).contains(&magnitude) {
            return None;
        }
        let result = if exp10 >= 0 {
            let value = {
                let mut v = n.clone();
                for _ in 0..exp10 {
                    v.mul_small(10);
                }
                v
            };
            round(negative, &value, 0)
        } else {
            let den = Big::pow10((-exp10) as u32);
            // Scale so the quotient has at least 66 bits, then round with the
            // remainder folded into a sticky bit.
            let scale = (66 + den.bits() as i64 - n.bits() as i64).max(0);
            let (q, r) = n.shl(scale as u64).divmod(&den);
            let sticky = if r.is_zero() { q.shl(1) } else { q.shl(1).add(&Big::from_u64(1)) };
            round(negative, &sticky, -scale - 1)
        };
        match result {
            Some(LongDouble::Finite { mantissa: 0, .. }) => None,
            other => other,
        }
    }

    /// The hexadecimal form strtold also reads: `1f`, `1.8p3`.
    fn parse_hex(negative: bool, hex: &str) -> Option<LongDouble> {
        let (digits, exp2) = match hex.split_once('p') {
            Some((d, e)) => {
                let body = e.strip_prefix(['+', '-']).unwrap_or(e);
                if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let v: i64 = body.parse().unwrap_or(100_000).min(100_000);
                (d, if e.starts_with('-') { -v } else { v })
            }
            None => (hex, 0),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let mut n = Big(Vec::new());
        for c in int_part.chars().chain(frac_part.chars()) {
            n.mul_small(16);
            n.add_small(c.to_digit(16)?);
        }
        if n.is_zero() {
            return Some(LongDouble::Finite { negative, mantissa: 0, exponent: 0 });
        }
        match round(negative, &n, exp2 - 4 * frac_part.len() as i64)? {
            LongDouble::Finite { mantissa: 0, .. } => None,
            v => Some(v),
        }
    }

    /// The nearest f64 (for timeouts, which need no more).
    pub fn to_f64(self) -> f64 {
        match self {
            LongDouble::Infinite { negative } => if negative { f64::NEG_INFINITY } else { f64::INFINITY },
            LongDouble::Finite { negative, mantissa, exponent } => {
                let v = mantissa as f64 * 2f64.powi(exponent.clamp(-2000, 2000));
                if negative { -v } else { v }
            }
        }
    }

    /// Correctly rounded addition; ±inf when it overflows.
    pub fn add(self, other: LongDouble) -> LongDouble {
        let (a, b) = match (self, other) {
            (LongDouble::Infinite { negative: x }, LongDouble::Infinite { negative: y }) if x != y => {
                // inf - inf is NaN; callers refuse any non-finite result.
                return LongDouble::Infinite { negative: false };
            }
            (LongDouble::Infinite { .. }, _) => return self,
            (_, LongDouble::Infinite { .. }) => return other,
            (a, b) => (a, b),
        };
        let (LongDouble::Finite { negative: na, mantissa: ma, exponent: ea }, LongDouble::Finite { negative: nb, mantissa: mb, exponent: eb }) = (a, b) else {
            return a;
        };
        if mb == 0 {
            return a;
        }
        if ma == 0 {
            return b;
        }
        let base = ea.min(eb) as i64;
        let x = Big::from_u64(ma).shl((ea as i64 - base) as u64);
        let y = Big::from_u64(mb).shl((eb as i64 - base) as u64);
        let (negative, sum) = if na == nb {
            (na, x.add(&y))
        } else {
            match x.cmp(&y) {
                Ordering::Equal => return LongDouble::Finite { negative: false, mantissa: 0, exponent: 0 },
                Ordering::Greater => {
                    let mut d = x;
                    d.sub(&y);
                    (na, d)
                }
                Ordering::Less => {
                    let mut d = y;
                    d.sub(&x);
                    (nb, d)
                }
            }
        };
        round(negative, &sum, base).unwrap_or(LongDouble::Infinite { negative })
    }

    /// Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf`, trailing zeros and
    /// dot removed, `-0` written `0`.
    pub fn to_human(self) -> String {
        let (negative, mantissa, exponent) = match self {
            LongDouble::Infinite { negative } => return if negative { "-inf".into() } else { "inf".into() },
            LongDouble::Finite { negative, mantissa, exponent } => (negative, mantissa, exponent as i64),
        };
        // I = round(value * 10^17), ties to even, as glibc's printf.
        let scaled = {
            let mut m = Big::from_u64(mantissa);
            for _ in 0..17 {
                m.mul_small(10);
            }
            m
        };
        let units = if exponent >= 0 {
            scaled.shl(exponent as u64)
        } else {
            let k = (-exponent) as u64;
            let q = scaled.shr(k);
            let half = k >= 1 && scaled.bit(k - 1);
            let below = k >= 2 && (0..k - 1).any(|i| scaled.bit(i));
            if half && (below || q.bit(0)) {
                q.add(&Big::from_u64(1))
            } else {
                q
            }
        };
        let digits = units.to_decimal();
        let padded = format!("{digits:0>18}");
        let (int_part, frac) = padded.split_at(padded.len() - 17);
        let mut out = String::new();
        if negative {
            out.push('-');
        }
        out.push_str(int_part);
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        if out == "-0" {
            out = "0".into();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::LongDouble;

    fn add(a: &str, b: &str) -> String {
        let a = LongDouble::parse(a.as_bytes()).unwrap();
        let b = LongDouble::parse(b.as_bytes()).unwrap();
        a.add(b).to_human()
    }

    #[test]
    fn like_redis_incrbyfloat() {
        assert_eq!(add("10.5", "0.1"), "10.6");
        assert_eq!(add("0", "0.1"), "0.1");
        assert_eq!(add("5.0e3", "2.0e2"), "5200");
        assert_eq!(add("3.0", "-3.0"), "0");
        assert_eq!(add("1", "-1.5"), "-0.5");
        assert_eq!(add("0.1", "0.2"), "0.3");
        // Values recorded from real Redis 7.0.15 (x86-64).
        assert_eq!(add("1e20", "1"), "100000000000000000000");
        assert_eq!(LongDouble::from_i64(-7).to_human(), "-7");
        assert_eq!(add("123456789", "0.000000001"), "123456789.00000000099680619");
        assert_eq!(add("0", "1e-30"), "0");
        assert_eq!(add("0.1", "1e-17"), "0.10000000000000001");
        assert_eq!(add("0", "0x10"), "16");
        assert_eq!(add("0", "0x1.8p1"), "3");
    }

    #[test]
    fn strtold_rules() {
        for bad in ["", " 1", "1 ", "abc", "1e", "e5", ".", "--1", "nan", "1e99999", "1e-99999", "1e-5000", "0x"] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad}");
        }
        assert!(LongDouble::parse(b"inf").is_some_and(|v| !v.is_finite()));
        assert_eq!(LongDouble::parse(b"-0").unwrap().to_human(), "0");
        assert_eq!(LongDouble::parse(b".5").unwrap().to_human(), "0.5");
        assert_eq!(LongDouble::parse(b"5.").unwrap().to_human(), "5");
    }
}
