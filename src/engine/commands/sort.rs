//! SORT and SORT_RO on lists, sets and sorted sets: numeric or ALPHA
//! order, ASC/DESC, LIMIT, BY and GET patterns (`*` replaced by the
//! element, `->field` reading a hash, `#` the element itself), STORE into a
//! list. Ties and the order of what is not sorted follow Redis's rules, so
//! a replica replaying SORT ... STORE gets the same list.

use std::cmp::Ordering;

use super::{eq_ignore_case, err, int_arg, syntax_error, wrong_type, Ctx};
use crate::engine::numfmt::parse_f64_loose;
use crate::engine::resp::Frame;
use crate::engine::value::{Set, Value};

struct SortOptions {
    desc: bool,
    alpha: bool,
    /// LIMIT offset count (a negative count: to the end).
    limit: Option<(i64, i64)>,
    store: Option<Vec<u8>>,
    by: Option<Vec<u8>>,
    /// BY a pattern without `*`: nothing is sorted.
    dont_sort: bool,
    gets: Vec<Vec<u8>>,
}

fn parse_options(args: &[Vec<u8>], read_only: bool) -> Result<SortOptions, Frame> {
    let mut o = SortOptions { desc: false, alpha: false, limit: None, store: None, by: None, dont_sort: false, gets: Vec::new() };
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let arg = &args[j];
        if eq_ignore_case(arg, "asc") {
            o.desc = false;
        } else if eq_ignore_case(arg, "desc") {
            o.desc = true;
        } else if eq_ignore_case(arg, "alpha") {
            o.alpha = true;
        } else if eq_ignore_case(arg, "limit") && left >= 2 {
            o.limit = Some((int_arg(&args[j + 1])?, int_arg(&args[j + 2])?));
            j += 2;
        } else if eq_ignore_case(arg, "store") && left >= 1 && !read_only {
            o.store = Some(args[j + 1].clone());
            j += 1;
        } else if eq_ignore_case(arg, "by") && left >= 1 {
            let pattern = args[j + 1].clone();
            o.dont_sort = !pattern.contains(&b'*');
            o.by = Some(pattern);
            j += 1;
        } else if eq_ignore_case(arg, "get") && left >= 1 {
            o.gets.push(args[j + 1].clone());
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok(o)
}

/// What a BY or GET pattern names for `element`: `#` is the element, `*`
/// is replaced by it, `key->field` reads a hash field; `None` when there is
/// no `*`, no such key, or a key of another type.
fn lookup_pattern(ctx: &mut Ctx, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(element.to_vec());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let after = &pattern[star + 1..];
    // `->` followed by at least one byte makes a hash dereference.
    let arrow = after.windows(2).position(|w| w == b"->").filter(|&at| at + 2 < after.len());
    let (postfix, field) = match arrow {
        Some(at) => (&after[..at], Some(&after[at + 2..])),
        None => (after, None),
    };
    let mut key = pattern[..star].to_vec();
    key.extend_from_slice(element);
    key.extend_from_slice(postfix);
    match (ctx.value(&key)?, field) {
        (Value::Hash(h), Some(field)) => h.get(field).cloned(),
        (Value::Str(s), None) => Some(s.bytes.clone()),
        _ => None,
    }
}

/// A BY value as a number, as `strtod` with Redis's checks reads it: the
/// whole string (empty is 0), no overflow, not NaN.
fn sort_score(raw: &[u8]) -> Option<f64> {
    let v = parse_f64_loose(raw)?;
    let spelled_infinite = raw.to_ascii_lowercase().windows(3).any(|w| w == b"inf");
    (!v.is_infinite() || spelled_infinite).then_some(v)
}

enum Key {
    Score(f64),
    Text(Option<Vec<u8>>),
    Element,
}

fn compare(a: (&[u8], &Key), b: (&[u8], &Key)) -> Ordering {
    match (a.1, b.1) {
        // Equal scores fall back on the elements, so the order is defined.
        (Key::Score(x), Key::Score(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal).then_with(|| a.0.cmp(b.0)),
        // A missing BY value sorts first.
        (Key::Text(x), Key::Text(y)) => x.cmp(y),
        _ => a.0.cmp(b.0),
    }
}

fn sort_generic(ctx: &mut Ctx, args: &[Vec<u8>], read_only: bool) -> Frame {
    let mut o = match parse_options(args, read_only) {
        Ok(o) => o,
        Err(e) => return e,
    };
    // The elements in their natural order: list order, a sorted set by
    // rank, a set in its encoding's order.
    let (elements, is_set, ordered) = match ctx.value(&args[1]) {
        None => (Vec::new(), false, true),
        Some(Value::List(l)) => (l.iter().cloned().collect::<Vec<_>>(), false, true),
        Some(Value::Set(s)) => (Set::members(s), true, false),
        Some(Value::ZSet(z)) => (z.iter().map(|(m, _)| m.clone()).collect(), false, true),
        Some(_) => return wrong_type(),
    };
    // An unsorted set would come out in an order a replica or a script
    // cannot reproduce: STORE sorts it alphabetically instead.
    if o.dont_sort && is_set && (o.store.is_some() || ctx.client.in_script) {
        o.dont_sort = false;
        o.alpha = true;
        o.by = None;
    }
    let len = elements.len() as i64;
    let (limit_start, limit_count) = o.limit.unwrap_or((0, -1));
    let mut start = limit_start.max(0);
    let mut end = if limit_count < 0 { len - 1 } else { start.saturating_add(limit_count - 1) };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);

    let mut vector: Vec<Vec<u8>> = elements;
    let mut conversion_error = false;
    if o.dont_sort {
        // Lists and sorted sets keep their order, DESC reading from the end.
        if o.desc && ordered {
            vector.reverse();
        }
    } else {
        let mut keyed: Vec<(Vec<u8>, Key)> = Vec::with_capacity(vector.len());
        for element in vector {
            let by_value = match &o.by {
                Some(pattern) => lookup_pattern(ctx, pattern, &element),
                None => None,
            };
            let key = if o.alpha {
                if o.by.is_some() {
                    Key::Text(by_value)
                } else {
                    Key::Element
                }
            } else {
                let raw = match (&o.by, by_value) {
                    (None, _) => Some(element.clone()),
                    (Some(_), value) => value,
                };
                // A missing BY value scores 0.
                match raw.map_or(Some(0.0), |raw| sort_score(&raw)) {
                    Some(score) => Key::Score(score),
                    None => {
                        conversion_error = true;
                        Key::Score(0.0)
                    }
                }
            };
            keyed.push((element, key));
        }
        // Stable, as glibc's merge sort is: equal keys keep their order.
        keyed.sort_by(|a, b| {
            let order = compare((&a.0, &a.1), (&b.0, &b.1));
            if o.desc {
                order.reverse()
            } else {
                order
            }
        });
        vector = keyed.into_iter().map(|(element, _)| element).collect();
    }
    if conversion_error {
        return err("One or more scores can't be converted into double");
    }
    let picked: Vec<Vec<u8>> = if end >= start { vector[start as usize..=end as usize].to_vec() } else { Vec::new() };
    let mut output: Vec<Option<Vec<u8>>> = Vec::new();
    for element in &picked {
        if o.gets.is_empty() {
            output.push(Some(element.clone()));
        }
        for pattern in &o.gets {
            output.push(lookup_pattern(ctx, pattern, element));
        }
    }
    match o.store {
        None => Frame::Array(output.into_iter().map(|v| v.map_or(Frame::Null, Frame::Bulk)).collect()),
        Some(destination) => store(ctx, &destination, output),
    }
}

/// STORE: the output as a list (a missing GET value as an empty string);
/// nothing to store deletes the destination.
fn store(ctx: &mut Ctx, destination: &[u8], output: Vec<Option<Vec<u8>>>) -> Frame {
    let count = output.len();
    let now = ctx.now;
    if count > 0 {
        let list = output.into_iter().map(Option::unwrap_or_default).collect();
        ctx.db().set(destination, Value::List(list), false, now);
        *ctx.dirty += count as u64;
        ctx.notify(super::event::LIST, "sortstore", destination);
    } else if ctx.db().remove(destination).is_some() {
        *ctx.dirty += 1;
        ctx.notify(super::event::GENERIC, "del", destination);
    }
    Frame::Integer(count as i64)
}

/// Where the destination of SORT's last STORE is, as Redis's key finder
/// for SORT reads the arguments (skipping LIMIT's two and BY's and GET's
/// one, whatever they are).
pub fn store_key_position(args: &[Vec<u8>]) -> Option<usize> {
    let mut found = None;
    let mut i = 2;
    while i < args.len() {
        let arg = &args[i];
        if eq_ignore_case(arg, "limit") {
            i += 2;
        } else if eq_ignore_case(arg, "get") || eq_ignore_case(arg, "by") {
            i += 1;
        } else if eq_ignore_case(arg, "store") && i + 1 < args.len() {
            found = Some(i + 1);
        }
        i += 1;
    }
    found
}

pub fn sort(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    sort_generic(ctx, args, false)
}

pub fn sort_ro(ctx: &mut Ctx, args: &[Vec<u8>]) -> Frame {
    sort_generic(ctx, args, true)
}
