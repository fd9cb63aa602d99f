//! Calendar arithmetic in the program's time zone: adding durations, local dates, counting
//! periods and payout schedules. The evaluator never reads the clock; "now" is always the
//! `--as-of` date passed in.

use crate::syntax::ast::{Duration, DurationUnit, Schedule};
use chrono::{
    DateTime, Datelike, Days, FixedOffset, LocalResult, Months, NaiveDate, NaiveDateTime, TimeZone,
    Weekday,
};
use chrono_tz::Tz;

/// An instant with the offset it was written with.
pub type Instant = DateTime<FixedOffset>;

/// The calendar date of an instant in `tz`.
pub fn local_date(t: &Instant, tz: Tz) -> NaiveDate {
    local(t, tz).date()
}

/// The local wall-clock time of an instant in `tz`. In UTC, the instant's own UTC time (the
/// zone's rules are not looked up: a ledger line asks several times).
fn local(t: &Instant, tz: Tz) -> NaiveDateTime {
    if tz == Tz::UTC {
        return t.naive_utc();
    }
    t.with_timezone(&tz).naive_local()
}

/// Resolves a local time to an instant: in a DST gap, the first valid instant after it; in a
/// DST overlap, the earlier of the two.
pub fn resolve_local(local: NaiveDateTime, tz: Tz) -> Option<Instant> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.fixed_offset()),
        LocalResult::Ambiguous(a, _) => Some(a.fixed_offset()),
        LocalResult::None => {
            // Walk forward minute by minute (gaps are at most a few hours) to the first valid time.
            let mut probe = local;
            for _ in 0..(26 * 60) {
                probe = probe.checked_add_signed(chrono::TimeDelta::minutes(1))?;
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return Some(t.fixed_offset());
                }
            }
            None
        }
    }
}

/// Adds a calendar duration to a date (days, weeks, months, years, business days; hours count
/// as whole days only when they are a multiple of 24).
pub fn add_to_date(d: NaiveDate, dur: Duration) -> Option<NaiveDate> {
    let n = dur.amount;
    match dur.unit {
        DurationUnit::Hours => d.checked_add_days(Days::new(u64::from(n / 24))),
        DurationUnit::Days => d.checked_add_days(Days::new(u64::from(n))),
        DurationUnit::Weeks => d.checked_add_days(Days::new(u64::from(n) * 7)),
        DurationUnit::Months => d.checked_add_months(Months::new(n)),
        DurationUnit::Years => d.checked_add_months(Months::new(n.checked_mul(12)?)),
        DurationUnit::BusinessDays => {
            let mut d = d;
            for _ in 0..n {
                d = d.succ_opt()?;
                while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    d = d.succ_opt()?;
                }
            }
            Some(d)
        }
    }
}

/// Adds a duration to an instant: hours exactly, every other unit on the local calendar of `tz`
/// (same wall-clock time, DST-aware). The result carries `tz`'s offset, so a deadline reads in
/// the program's local time.
pub fn add(t: &Instant, dur: Duration, tz: Tz) -> Option<Instant> {
    if dur.unit == DurationUnit::Hours {
        let later = t.checked_add_signed(chrono::TimeDelta::hours(i64::from(dur.amount)))?;
        return Some(later.with_timezone(&tz).fixed_offset());
    }
    let l = local(t, tz);
    let date = add_to_date(l.date(), dur)?;
    resolve_local(date.and_time(l.time()), tz)
}

/// Subtracts a duration from a date (the inverse of [`add_to_date`]; business days skip weekends).
pub fn sub_from_date(d: NaiveDate, dur: Duration) -> Option<NaiveDate> {
    let n = dur.amount;
    match dur.unit {
        DurationUnit::Hours => d.checked_sub_days(Days::new(u64::from(n / 24))),
        DurationUnit::Days => d.checked_sub_days(Days::new(u64::from(n))),
        DurationUnit::Weeks => d.checked_sub_days(Days::new(u64::from(n) * 7)),
        DurationUnit::Months => d.checked_sub_months(Months::new(n)),
        DurationUnit::Years => d.checked_sub_months(Months::new(n.checked_mul(12)?)),
        DurationUnit::BusinessDays => {
            let mut d = d;
            for _ in 0..n {
                d = d.pred_opt()?;
                while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    d = d.pred_opt()?;
                }
            }
            Some(d)
        }
    }
}

/// Subtracts a duration from an instant (hours exactly, other units on the local calendar).
pub fn sub(t: &Instant, dur: Duration, tz: Tz) -> Option<Instant> {
    if dur.unit == DurationUnit::Hours {
        let earlier = t.checked_sub_signed(chrono::TimeDelta::hours(i64::from(dur.amount)))?;
        return Some(earlier.with_timezone(&tz).fixed_offset());
    }
    let l = local(t, tz);
    let date = sub_from_date(l.date(), dur)?;
    resolve_local(date.and_time(l.time()), tz)
}

/// The last instant of a local date: the deadline "by the end of that day".
pub fn end_of_day(d: NaiveDate, tz: Tz) -> Option<Instant> {
    let next = d.succ_opt()?.and_hms_opt(0, 0, 0)?;
    let start_next = resolve_local(next, tz)?;
    start_next.checked_sub_signed(chrono::TimeDelta::nanoseconds(1))
}

/// A counting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// Calendar month.
    Month,
    /// Calendar quarter.
    Quarter,
    /// Calendar year.
    Year,
    /// The whole program: never resets.
    Program,
    /// The trailing window ending at each occurrence.
    Rolling(Duration),
}

impl Period {
    /// The period for a word (`month`, `quarter`, `year`, `program`).
    pub fn named(word: &str) -> Option<Period> {
        Some(match word {
            "month" => Period::Month,
            "quarter" => Period::Quarter,
            "year" => Period::Year,
            "program" => Period::Program,
            _ => return None,
        })
    }

    /// The words accepted by [`Period::named`].
    pub const NAMES: &'static [&'static str] = &["month", "quarter", "year", "program"];

    /// The label of the calendar period containing `d`: `2025-03`, `2025-Q1`, `2025`, `program`.
    /// Rolling periods have no label of their own.
    pub fn label(self, d: NaiveDate) -> String {
        match self {
            Period::Month => format!("{:04}-{:02}", d.year(), d.month()),
            Period::Quarter => format!("{:04}-Q{}", d.year(), quarter(d).0),
            Period::Year => format!("{:04}", d.year()),
            Period::Program => "program".to_string(),
            Period::Rolling(dur) => format!("rolling {dur}"),
        }
    }

    /// A sortable key of the calendar period containing `d`.
    // why: chrono's years lie within ±262,143, so `y * 12 + 11` is far inside i64.
    #[allow(clippy::arithmetic_side_effects)]
    pub fn key(self, d: NaiveDate) -> i64 {
        let y = i64::from(d.year());
        match self {
            Period::Month => y * 12 + i64::from(d.month0()),
            Period::Quarter => y * 4 + i64::from(d.month0() / 3),
            Period::Year => y,
            Period::Program | Period::Rolling(_) => 0,
        }
    }
}

/// The day a line held until `ready` is paid out under `schedule`.
pub fn payout_day(ready: NaiveDate, schedule: Schedule) -> Option<NaiveDate> {
    match schedule {
        Schedule::Immediately => Some(ready),
        Schedule::EndOfNextMonth => {
            let first_next = first_of_month(ready)?.checked_add_months(Months::new(1))?;
            first_next.checked_add_months(Months::new(1))?.pred_opt()
        }
        Schedule::DayOfNextMonth(day) => {
            let first_next = first_of_month(ready)?.checked_add_months(Months::new(1))?;
            let last = first_next.checked_add_months(Months::new(1))?.pred_opt()?;
            let day = day.clamp(1, last.day());
            first_next.with_day(day)
        }
        Schedule::Quarterly => {
            let first_q = NaiveDate::from_ymd_opt(ready.year(), quarter(ready).1, 1)?;
            first_q.checked_add_months(Months::new(3))
        }
    }
}

/// The quarter of a date (1 to 4) and the quarter's first month (1, 4, 7 or 10).
pub(crate) fn quarter(d: NaiveDate) -> (u32, u32) {
    match d.month0() {
        0..=2 => (1, 1),
        3..=5 => (2, 4),
        6..=8 => (3, 7),
        _ => (4, 10),
    }
}

fn first_of_month(d: NaiveDate) -> Option<NaiveDate> {
    d.with_day(1)
}

/// Parses an RFC 3339 timestamp, which must carry an offset (`Z` or `+02:00`). A second of
/// 60 (a leap second, which chrono would keep as an extra nanosecond count) is refused:
/// merit's clock has no leap seconds, and `10:00:60` is no time at all.
pub fn parse_instant(s: &str) -> Result<Instant, String> {
    use chrono::Timelike as _;
    if let Some(t) = utc_seconds(s) {
        return Ok(t);
    }
    let parsed = DateTime::parse_from_rfc3339(s);
    if let Ok(t) = &parsed {
        if t.nanosecond() >= 1_000_000_000 {
            return Err(format!(
                "`{s}` has a 60th second (a leap second); merit counts time without leap seconds: write the second before it"
            ));
        }
    }
    parsed.map_err(|e| {
        if NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").is_ok()
            || NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        {
            format!("`{s}` has no offset; write it as `{s}Z` or with `+hh:mm`")
        } else {
            format!("`{s}` is not an RFC 3339 timestamp ({e})")
        }
    })
}

/// The usual form, `2025-03-09T17:49:34Z`, read by hand (records hold one or more of these
/// each, and chrono's general parser was a visible part of a run). `None` for anything else,
/// including a second of 60 and impossible dates or times, which chrono then reads or
/// refuses with its message: this never accepts what chrono would not, nor differently.
fn utc_seconds(s: &str) -> Option<Instant> {
    let b: &[u8; 20] = s.as_bytes().try_into().ok()?;
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2, b'T', h1, h2, b':', n1, n2, b':', s1, s2, b'Z'] =
        *b
    else {
        return None;
    };
    let num = |ds: &[u8]| -> Option<u32> {
        ds.iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| {
                acc.saturating_mul(10)
                    .saturating_add(u32::from(d.wrapping_sub(b'0')))
            })
        })
    };
    let year = i32::try_from(num(&[y1, y2, y3, y4])?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(&[m1, m2])?, num(&[d1, d2])?)?;
    let second = num(&[s1, s2])?;
    if second >= 60 {
        return None;
    }
    let time = chrono::NaiveTime::from_hms_opt(num(&[h1, h2])?, num(&[n1, n2])?, second)?;
    Some(FixedOffset::east_opt(0)?.from_utc_datetime(&date.and_time(time)))
}

/// Parses a calendar date `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a calendar date (YYYY-MM-DD)"))
        .and_then(|d| {
            if s.len() == 10 {
                Ok(d)
            } else {
                Err(format!("`{s}` is not a calendar date (YYYY-MM-DD)"))
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_dates_in_utc_are_what_the_zone_gives() {
        for (secs, offset) in [
            (0i64, 0i32),
            (1_735_689_599, 3600),
            (1_735_689_600, -5 * 3600),
            (-86_401, 0),
            (4_102_444_799, 14 * 3600),
        ] {
            let Some(off) = FixedOffset::east_opt(offset) else {
                continue;
            };
            let Some(utc) = DateTime::from_timestamp(secs, 0) else {
                continue;
            };
            let t = utc.with_timezone(&off);
            assert_eq!(
                local_date(&t, Tz::UTC),
                t.with_timezone(&Tz::UTC).date_naive()
            );
            assert_eq!(local(&t, Tz::UTC), t.with_timezone(&Tz::UTC).naive_local());
        }
    }

    #[test]
    fn the_hand_read_timestamps_agree_with_chrono() {
        let mut seed = 3u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let mut read = 0;
        for i in 0..20_000 {
            // Mostly plausible fields, sometimes out of range (month 13, day 31 in a short
            // month, hour 24, second 60) or not digits.
            let mut s = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                next(10_000),
                next(14),
                next(33),
                next(26),
                next(61),
                next(62)
            );
            if i % 7 == 0 {
                let at = next(20) as usize;
                let junk = ["x", "t", "z", " ", "+", "9"][next(6) as usize];
                s.replace_range(at..at + 1, junk);
            }
            let chrono = DateTime::parse_from_rfc3339(&s).ok().filter(|t| {
                use chrono::Timelike as _;
                t.nanosecond() < 1_000_000_000
            });
            match utc_seconds(&s) {
                Some(t) => {
                    read += 1;
                    assert_eq!(Some(t), chrono, "{s}");
                    assert_eq!(t.offset().local_minus_utc(), 0);
                }
                None if s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T' => {
                    // Left to chrono: it must refuse it too, or be a form read elsewhere.
                    if let Some(c) = chrono {
                        assert_ne!(c.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), s);
                    }
                }
                None => {}
            }
            assert_eq!(parse_instant(&s).ok(), chrono, "{s}");
        }
        assert!(read > 5000, "only {read} read by hand");
    }

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap_or_default()
    }

    #[test]
    fn month_end_clamps() {
        let m = Duration {
            amount: 1,
            unit: DurationUnit::Months,
        };
        assert_eq!(add_to_date(d("2025-01-31"), m), Some(d("2025-02-28")));
        assert_eq!(add_to_date(d("2024-01-31"), m), Some(d("2024-02-29")));
    }

    #[test]
    fn schedules() {
        assert_eq!(
            payout_day(d("2025-01-31"), Schedule::EndOfNextMonth),
            Some(d("2025-02-28"))
        );
        assert_eq!(
            payout_day(d("2025-01-10"), Schedule::DayOfNextMonth(15)),
            Some(d("2025-02-15"))
        );
        assert_eq!(
            payout_day(d("2025-01-10"), Schedule::DayOfNextMonth(31)),
            Some(d("2025-02-28"))
        );
        assert_eq!(
            payout_day(d("2025-02-10"), Schedule::Quarterly),
            Some(d("2025-04-01"))
        );
        assert_eq!(
            payout_day(d("2025-12-10"), Schedule::Quarterly),
            Some(d("2026-01-01"))
        );
    }

    #[test]
    fn business_days_skip_weekends() {
        let b = Duration {
            amount: 5,
            unit: DurationUnit::BusinessDays,
        };
        // Friday + 5 business days = next Friday.
        assert_eq!(add_to_date(d("2025-03-07"), b), Some(d("2025-03-14")));
    }

    #[test]
    fn days_follow_the_local_clock_across_dst() {
        let tz: Tz = chrono_tz::America::New_York;
        // 2025-03-09 is the spring-forward day in New York.
        let t = parse_instant("2025-03-08T12:00:00-05:00").unwrap_or_else(|_| Instant::default());
        let one_day = Duration {
            amount: 1,
            unit: DurationUnit::Days,
        };
        let next = add(&t, one_day, tz).map(|x| x.to_rfc3339());
        assert_eq!(next.as_deref(), Some("2025-03-09T12:00:00-04:00"));
        let hours = Duration {
            amount: 24,
            unit: DurationUnit::Hours,
        };
        let next = add(&t, hours, tz).map(|x| x.with_timezone(&tz).to_rfc3339());
        assert_eq!(next.as_deref(), Some("2025-03-09T13:00:00-04:00"));
    }

    #[test]
    fn timestamps_need_offsets() {
        assert!(parse_instant("2025-01-01T10:00:00Z").is_ok());
        let e = parse_instant("2025-01-01T10:00:00")
            .err()
            .unwrap_or_default();
        assert!(e.contains("no offset"), "{e}");
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-02-29").is_ok());
    }
}
