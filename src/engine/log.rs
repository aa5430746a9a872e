//! The server log: the lines real Redis writes to its log file for the
//! steps a learner watches (replication handshakes, syncs, lost links),
//! worded as Redis 7.0 words them, stamped with virtual time.

use super::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub at: Millis,
    /// `M` master, `S` replica, `C` a forked child (as in Redis's log).
    pub role: char,
    /// `*` notice, `#` warning.
    pub level: char,
    pub text: String,
}

impl LogLine {
    /// `S * text`: the line without the pid and the date.
    pub fn short(&self) -> String {
        format!("{} {} {}", self.role, self.level, self.text)
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// The UTC calendar of Unix milliseconds: (year, month 1-12, day, days
/// since the epoch, milliseconds into the day).
fn civil(ms: Millis) -> (i64, i64, i64, i64, i64) {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, days, ms_of_day)
}

/// Unix milliseconds as Redis stamps log lines: `25 Nov 2026 04:47:50.561` (UTC).
pub fn log_stamp(ms: Millis) -> String {
    let (year, month, day, _, t) = civil(ms);
    let (h, m, s, milli) = (t / 3_600_000, t / 60_000 % 60, t / 1000 % 60, t % 1000);
    format!("{day:02} {} {year} {h:02}:{m:02}:{s:02}.{milli:03}", MONTHS[(month - 1) as usize])
}

/// Unix milliseconds as C's ctime() writes them, without the newline:
/// `Wed Nov 25 04:42:42 2026` (UTC).
pub fn ctime(ms: Millis) -> String {
    let (year, month, day, days, t) = civil(ms);
    let (h, m, s) = (t / 3_600_000, t / 60_000 % 60, t / 1000 % 60);
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    format!("{weekday} {} {day:>2} {h:02}:{m:02}:{s:02} {year}", MONTHS[(month - 1) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_as_redis_writes_them() {
        // 2026-11-25T04:42:42.123Z, a Wednesday.
        let ms = 1_795_581_762_123;
        assert_eq!(log_stamp(ms), "25 Nov 2026 04:42:42.123");
        assert_eq!(ctime(ms), "Wed Nov 25 04:42:42 2026");
        assert_eq!(ctime(0), "Thu Jan  1 00:00:00 1970");
    }
}
