//! Lua 5.1's math library on Redis's rand48 (math.random), and LuaBitOp's
//! bit library, as Redis bundles them.

use super::stdlib::{arg_error, check_int, check_num, num, one};
use super::value::{LuaError, Native, Value};
use super::Interp;

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

// LuaBitOp 1.0.

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
