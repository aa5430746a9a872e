//! What a server remembers of slow commands: the slow log (SLOWLOG) and
//! the latency monitor's events (LATENCY LATEST / HISTORY / GRAPH /
//! DOCTOR), measured in virtual time. A command costs one microsecond of
//! it, as INFO commandstats counts; only a command that makes the node
//! busy (DEBUG SLEEP) takes longer, so only it can be slow.

use std::collections::{BTreeMap, VecDeque};

use crate::engine::time::Millis;

/// Redis keeps at most this many arguments, and this many bytes of each.
const ENTRY_MAX_ARGS: usize = 32;
const ENTRY_MAX_BYTES: usize = 128;
/// Samples kept per latency event (one per second at most).
const EVENT_SAMPLES: usize = 160;

#[derive(Clone, Debug)]
pub struct SlowEntry {
    pub id: u64,
    /// Unix seconds.
    pub time: i64,
    pub micros: u64,
    pub args: Vec<Vec<u8>>,
    pub peer: String,
    pub name: Vec<u8>,
}

#[derive(Clone, Default)]
pub struct SlowLog {
    /// Newest first.
    pub entries: VecDeque<SlowEntry>,
    next_id: u64,
}

impl SlowLog {
    /// Logs a command that took `micros`, trimmed as Redis trims it, and
    /// keeps at most `max_len` entries.
    pub fn push(
        &mut self,
        args: &[Vec<u8>],
        micros: u64,
        now: Millis,
        peer: String,
        name: Vec<u8>,
        max_len: usize,
    ) {
        let kept = args.len().min(ENTRY_MAX_ARGS);
        let mut logged = Vec::with_capacity(kept);
        for (i, arg) in args.iter().take(kept).enumerate() {
            if kept != args.len() && i == kept - 1 {
                logged.push(format!("... ({} more arguments)", args.len() - kept + 1).into_bytes());
            } else if arg.len() > ENTRY_MAX_BYTES {
                let mut cut = arg[..ENTRY_MAX_BYTES].to_vec();
                cut.extend_from_slice(
                    format!("... ({} more bytes)", arg.len() - ENTRY_MAX_BYTES).as_bytes(),
                );
                logged.push(cut);
            } else {
                logged.push(arg.clone());
            }
        }
        self.entries.push_front(SlowEntry {
            id: self.next_id,
            time: now.div_euclid(1000),
            micros,
            args: logged,
            peer,
            name,
        });
        self.next_id += 1;
        self.entries.truncate(max_len);
    }
}

/// One event's samples: the worst latency of each second it happened in.
#[derive(Clone, Debug, Default)]
pub struct EventSeries {
    /// (Unix seconds, milliseconds), oldest first.
    pub samples: VecDeque<(i64, u64)>,
    pub max: u64,
}

#[derive(Clone, Default)]
pub struct LatencyMonitor {
    pub events: BTreeMap<String, EventSeries>,
}

impl LatencyMonitor {
    pub fn add_sample(&mut self, event: &str, millis: u64, now: Millis) {
        let series = self.events.entry(event.to_string()).or_default();
        series.max = series.max.max(millis);
        let second = now.div_euclid(1000);
        if let Some(last) = series
            .samples
            .back_mut()
            .filter(|(time, _)| *time == second)
        {
            last.1 = last.1.max(millis);
            return;
        }
        series.samples.push_back((second, millis));
        if series.samples.len() > EVENT_SAMPLES {
            series.samples.pop_front();
        }
    }

    /// LATENCY RESET: the named events (all without names); how many went.
    pub fn reset(&mut self, events: &[Vec<u8>]) -> usize {
        if events.is_empty() {
            let count = self.events.len();
            self.events.clear();
            return count;
        }
        let before = self.events.len();
        self.events.retain(|name, _| {
            !events
                .iter()
                .any(|e| e.eq_ignore_ascii_case(name.as_bytes()))
        });
        before - self.events.len()
    }

    /// LATENCY GRAPH's text for one event: a header, a rule, then the
    /// samples as a four-row sparkline with how long ago each was below.
    pub fn graph(&self, event: &str, now: Millis) -> Option<String> {
        let series = self.events.get(event).filter(|s| !s.samples.is_empty())?;
        let values: Vec<u64> = series.samples.iter().map(|(_, ms)| *ms).collect();
        let (low, high) = (
            values.iter().min().copied().unwrap_or(0),
            values.iter().max().copied().unwrap_or(0),
        );
        let labels: Vec<String> = series
            .samples
            .iter()
            .map(|(time, _)| {
                let elapsed = now.div_euclid(1000) - time;
                match elapsed {
                    e if e < 60 => format!("{e}s"),
                    e if e < 3600 => format!("{}m", e / 60),
                    e if e < 86_400 => format!("{}h", e / 3600),
                    e => format!("{}d", e / 86_400),
                }
            })
            .collect();
        let mut text = format!(
            "{event} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
            series.max,
            "-".repeat(80)
        );
        for (chunk, start) in values.chunks(80).zip((0..).step_by(80)) {
            if start != 0 {
                text.push('\n');
            }
            text.push_str(&sparkline(
                chunk,
                &labels[start..start + chunk.len()],
                low as f64,
                high as f64,
            ));
        }
        Some(text)
    }
}

/// Four rows of `_o#` bars (and `|` below a bar's top), a blank row, then
/// each label written downwards under its sample.
fn sparkline(values: &[u64], labels: &[String], min: f64, max: f64) -> String {
    const ROWS: i64 = 4;
    const CHARS: &[u8] = b"_o#";
    let steps = CHARS.len() as i64 * ROWS;
    let range = if max - min == 0.0 { 1.0 } else { max - min };
    let step_of = |v: u64| (((v as f64 - min) * steps as f64) as i64 as f64 / range) as i64;
    let mut text = String::new();
    for row in 0..ROWS {
        let line: String = values
            .iter()
            .map(|&v| {
                let step = step_of(v).clamp(0, steps - 1);
                let index = step - (ROWS - row - 1) * CHARS.len() as i64;
                match index {
                    i if (0..CHARS.len() as i64).contains(&i) => CHARS[i as usize] as char,
                    i if i >= CHARS.len() as i64 => '|',
                    _ => ' ',
                }
            })
            .collect();
        text.push_str(&line);
        text.push('\n');
    }
    // One blank row between the bars and the labels.
    text.push_str(&" ".repeat(values.len()));
    text.push('\n');
    let longest = labels.iter().map(String::len).max().unwrap_or(0);
    for at in 0..longest {
        let line: String = labels
            .iter()
            .map(|l| l.as_bytes().get(at).map_or(' ', |&b| b as char))
            .collect();
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// The microsecond buckets LATENCY HISTOGRAM reports a duration in: the
/// power-of-two multiple of 1024 ns at or above it, as Redis's HDR
/// histogram iterates them.
pub fn histogram_bucket(micros: u64) -> u64 {
    let nanos = micros.saturating_mul(1000).clamp(1024, 1_000_000_000);
    let mut level: u64 = 1024;
    while level < nanos {
        level *= 2;
    }
    level / 1000
}
