//! PFDEBUG and PFSELFTEST: looking inside a HyperLogLog (its registers,
//! its sparse runs, its encoding) and Redis's self-test of the register
//! code and the estimator. The format itself is in hyperloglog.rs.

use super::hyperloglog::*;
use super::{eq_ignore_case, err, string, Ctx};
use crate::engine::resp::Frame;
use crate::engine::value::StrOrigin;

/// `%s` of a C string: up to the first NUL.
pub(super) fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).replace(['\r', '\n'], " ")
}

/// The runs of a sparse value as PFDEBUG DECODE spells them.
pub(super) fn decode(hll: &[u8]) -> String {
    let words: Vec<String> = sparse_runs(hll, 0)
        .map(|(_, run)| match run {
            Run::Zero(n) => format!("z:{n}"),
            Run::XZero(n) => format!("Z:{n}"),
            Run::Val { value, len } => format!("v:{value},{len}"),
        })
        .collect();
    words.join(" ")
}

pub fn pfdebug(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    let subcommand = &args[1];
    let (reply, converted) = {
        let hll = match ctx.typed(&args[2], string) {
            Err(e) => return e,
            Ok(None) => return err("The specified key does not exist"),
            Ok(Some(s)) => s,
        };
        if let Err(e) = check_header(&hll.bytes) {
            return e;
        }
        hll.origin = StrOrigin::Modified;
        let bytes = &mut hll.bytes;
        if eq_ignore_case(subcommand, "getreg") || eq_ignore_case(subcommand, "todense") {
            let converted = encoding(bytes) == SPARSE;
            if converted {
                match sparse_to_dense(bytes, 0) {
                    Ok(dense) => *bytes = dense,
                    Err(Corrupted) => return corrupted(),
                }
            }
            let reply = if eq_ignore_case(subcommand, "getreg") {
                let registers = &bytes[HEADER_LEN..];
                Frame::Array((0..REGISTERS).map(|i| Frame::Integer(i64::from(dense_get(registers, i)))).collect())
            } else {
                Frame::Integer(i64::from(converted))
            };
            (reply, converted)
        } else if eq_ignore_case(subcommand, "decode") {
            if encoding(bytes) != SPARSE {
                return err("HLL encoding is not sparse");
            }
            (Frame::bulk(decode(bytes)), false)
        } else if eq_ignore_case(subcommand, "encoding") {
            (Frame::Simple(if encoding(bytes) == DENSE { "dense" } else { "sparse" }.into()), false)
        } else {
            return err(&format!("Unknown PFDEBUG subcommand '{}'", c_string(subcommand)));
        }
    };
    // A conversion is a change, so that replicas convert too.
    if converted {
        *ctx.dirty += 1;
    }
    reply
}

pub fn pfselftest(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Frame {
    match self_test(sparse_max_bytes(ctx)) {
        Ok(()) => Frame::ok(),
        Err(failure) => err(&format!("TESTFAILED {failure}")),
    }
}

/// Redis's self-test of this implementation: the dense registers keep
/// what is written to them without disturbing their neighbours, and ten
/// million distinct elements added to a dense and a sparse value agree and
/// stay within six standard errors at each power of ten. Its own generator
/// (fixed seed): the node's must not move, and the outcome must replay.
pub(super) fn self_test(max_bytes: u64) -> Result<(), String> {
    let mut rng = crate::engine::rng::Rng::new(0x5eed_4c4c);
    let mut dense = vec![0u8; DENSE_LEN];
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (index, e) in expected.iter_mut().enumerate() {
            *e = (rng.next_u64() & 63) as u8;
            dense_put(&mut dense[HEADER_LEN..], index, *e);
        }
        for (index, &e) in expected.iter().enumerate() {
            let got = dense_get(&dense[HEADER_LEN..], index);
            if got != e {
                return Err(format!("Register {index} should be {e} but is {got}"));
            }
        }
    }
    dense[HEADER_LEN..].fill(0);
    dense[ENCODING_AT] = DENSE;
    let mut other = Hll::new(new_hll());
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let seed = rng.next_u64();
    let mut checkpoint: u64 = 1;
    let count = |hll: &[u8]| histogram_of(hll).map(|h| estimate(&h)).unwrap_or(u64::MAX);
    for j in 1..=10_000_000u64 {
        let element = (j ^ seed).to_le_bytes();
        let (index, value) = register_and_value(&element);
        dense_raise(&mut dense[HEADER_LEN..], index, value);
        if add(&mut other, &element, max_bytes).is_err() {
            return Err("dense/sparse disagree".into());
        }
        if j != checkpoint {
            continue;
        }
        if j < max_bytes / 2 && encoding(&other.bytes) != SPARSE {
            return Err("sparse encoding not used".into());
        }
        let card = count(&dense);
        if card != count(&other.bytes) {
            return Err("dense/sparse disagree".into());
        }
        let error = checkpoint.abs_diff(card);
        // At 10 a collision is likely enough to allow only one.
        let allowed = if j == 10 { 1 } else { (relative_error * 6.0 * checkpoint as f64).ceil() as u64 };
        if error > allowed {
            return Err(format!("Too big error. card:{checkpoint} abserr:{error}"));
        }
        checkpoint *= 10;
    }
    Ok(())
}

