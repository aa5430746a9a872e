//! What every command family shares: argument parsers with Redis's own
//! refusals, the error replies, and the keys a command names.

use super::table;
use crate::engine::resp::Frame;

pub use crate::engine::numfmt::parse_i64;

/// Redis's start/end normalisation for index ranges (LRANGE, LTRIM,
/// ZRANGE by rank): negative counts from the end, clamped; `None` when empty.
pub(crate) fn index_window(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// The keys a write command may have changed, from Redis's key positions
/// (and the numkeys argument of the commands whose keys move).
pub fn written_keys<'a>(info: &table::CommandInfo, args: &'a [Vec<u8>]) -> Vec<&'a [u8]> {
    match info.name.as_str() {
        "lmpop" | "zmpop" => {
            let n = args.get(1).and_then(|a| parse_i64(a)).map_or(0, to_usize);
            return args.iter().skip(2).take(n).map(Vec::as_slice).collect();
        }
        "blmpop" | "bzmpop" => {
            let n = args.get(2).and_then(|a| parse_i64(a)).map_or(0, to_usize);
            return args.iter().skip(3).take(n).map(Vec::as_slice).collect();
        }
        "sort" => return super::sort::store_key_position(args).map(|at| args[at].as_slice()).into_iter().collect(),
        _ => {}
    }
    if info.first_key <= 0 {
        return Vec::new();
    }
    let last = if info.last_key < 0 { args.len() as i64 + info.last_key } else { info.last_key };
    let step = info.key_step.max(1) as usize;
    (info.first_key as usize..=last.max(0) as usize)
        .step_by(step)
        .filter_map(|i| args.get(i).map(Vec::as_slice))
        .collect()
}

/// `%.128s` of a C string: up to the first NUL, at most 128 bytes.
fn c_str_prefix(bytes: &[u8], max: usize) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len()).min(max);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Redis replaces line breaks in error texts so the reply stays one line.
fn one_line(text: String) -> String {
    text.replace(['\r', '\n'], " ")
}

pub fn unknown_command(args: &[Vec<u8>]) -> Frame {
    let mut quoted = String::new();
    for arg in &args[1..] {
        if quoted.len() >= 128 {
            break;
        }
        let room = 128 - quoted.len();
        quoted.push_str(&format!("'{}' ", c_str_prefix(arg, room)));
    }
    Frame::Error(one_line(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        c_str_prefix(&args[0], 128),
        quoted
    )))
}

pub fn unknown_subcommand(args: &[Vec<u8>], container: &str) -> Frame {
    Frame::Error(one_line(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        c_str_prefix(&args[1], 128),
        container.to_ascii_uppercase()
    )))
}

pub fn wrong_arity(name: &str) -> Frame {
    Frame::Error(format!("ERR wrong number of arguments for '{name}' command"))
}

/// `addReplyError`: Redis puts `ERR ` in front of texts without a code.
/// Redis's reply to a subcommand it does not know, or given the wrong
/// number of arguments (`addReplySubcommandSyntaxError`).
pub fn subcommand_error(args: &[Vec<u8>]) -> Frame {
    let sub = String::from_utf8_lossy(&args[1]);
    let sub: String = sub.chars().take(128).collect();
    err(&format!(
        "unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        String::from_utf8_lossy(&args[0]).to_ascii_uppercase()
    ))
}

pub fn err(text: &str) -> Frame {
    Frame::Error(format!("ERR {text}"))
}

pub fn syntax_error() -> Frame {
    err("syntax error")
}

pub fn not_an_integer() -> Frame {
    err("value is not an integer or out of range")
}

pub fn wrong_type() -> Frame {
    Frame::error("WRONGTYPE Operation against a key holding the wrong kind of value")
}

pub fn invalid_expire_time(command: &str) -> Frame {
    err(&format!("invalid expire time in '{command}' command"))
}


/// `getLongLongFromObjectOrReply`.
pub fn int_arg(bytes: &[u8]) -> Result<i64, Frame> {
    parse_i64(bytes).ok_or_else(not_an_integer)
}

/// `getRangeLongFromObjectOrReply` with Redis's own out-of-range text.
pub fn ranged_int_arg(bytes: &[u8], min: i64, max: i64) -> Result<i64, Frame> {
    let n = int_arg(bytes)?;
    if n < min || n > max {
        return Err(err(&format!("value is out of range, value must between {min} and {max}")));
    }
    Ok(n)
}

/// `getPositiveLongFromObjectOrReply` with its default message.
pub fn positive_int_arg(bytes: &[u8]) -> Result<i64, Frame> {
    let n = int_arg(bytes)?;
    if n < 0 {
        return Err(err("value is out of range, must be positive"));
    }
    Ok(n)
}

/// A range check whose failure (not an integer, or out of range) has one message.
pub fn int_arg_in(bytes: &[u8], min: i64, max: i64, message: &str) -> Result<i64, Frame> {
    match parse_i64(bytes) {
        Some(n) if n >= min && n <= max => Ok(n),
        _ => Err(err(message)),
    }
}

/// The arguments of LMPOP / ZMPOP (and their blocking forms) from the
/// numkeys argument on: `numkeys key... WHERE [COUNT n]`, WHERE being one
/// of `ends` (LEFT/RIGHT or MIN/MAX). Returns the keys' range in `args`,
/// whether WHERE was the second word, and the count (1 by default).
pub struct MpopArgs {
    pub keys: std::ops::Range<usize>,
    pub second_end: bool,
    pub count: usize,
}

pub fn parse_mpop(args: &[Vec<u8>], numkeys_at: usize, ends: [&str; 2]) -> Result<MpopArgs, Frame> {
    let numkeys = to_usize(int_arg_in(&args[numkeys_at], 1, i64::MAX, "numkeys should be greater than 0")?);
    let where_at = match numkeys.checked_add(numkeys_at + 1) {
        Some(w) if w < args.len() => w,
        _ => return Err(syntax_error()),
    };
    let second_end = if eq_ignore_case(&args[where_at], ends[0]) {
        false
    } else if eq_ignore_case(&args[where_at], ends[1]) {
        true
    } else {
        return Err(syntax_error());
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && eq_ignore_case(&args[j], "count") && j + 1 < args.len() {
            j += 1;
            count = Some(to_usize(int_arg_in(&args[j], 1, i64::MAX, "count should be greater than 0")?));
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok(MpopArgs { keys: numkeys_at + 1..where_at, second_end, count: count.unwrap_or(1) })
}

/// HRANDFIELD / ZRANDMEMBER key [count [WITHVALUES|WITHSCORES]]: the
/// count, if given, and whether the flag `with` followed it.
pub fn random_count(args: &[Vec<u8>], with: &str) -> Result<(Option<i64>, bool), Frame> {
    let Some(raw) = args.get(2) else { return Ok((None, false)) };
    let n = ranged_int_arg(raw, -i64::MAX, i64::MAX)?;
    if args.len() > 4 || (args.len() == 4 && !eq_ignore_case(&args[3], with)) {
        return Err(syntax_error());
    }
    let flagged = args.len() == 4;
    if flagged && !(-i64::MAX / 2..=i64::MAX / 2).contains(&n) {
        return Err(err("value is out of range"));
    }
    Ok((Some(n), flagged))
}

/// A count or index from a client, as usize without wrapping on 32-bit
/// targets (wasm): negatives become 0, huge values usize::MAX.
pub fn to_usize(n: i64) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX)
}

pub fn eq_ignore_case(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

pub fn bulks<I, B>(items: I) -> Frame
where
    I: IntoIterator<Item = B>,
    B: Into<Vec<u8>>,
{
    Frame::Array(items.into_iter().map(|b| Frame::Bulk(b.into())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_command_text() {
        let args: Vec<Vec<u8>> = vec![b"FOO".to_vec(), b"bar".to_vec()];
        assert_eq!(
            unknown_command(&args),
            Frame::error("ERR unknown command 'FOO', with args beginning with: 'bar' ")
        );
        assert_eq!(
            unknown_command(&[b"FOO".to_vec()]),
            Frame::error("ERR unknown command 'FOO', with args beginning with: ")
        );
    }
}
