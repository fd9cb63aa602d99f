//! Dates and instants written by hand, byte for byte as chrono writes them, for the usual case
//! (years 0 to 9999, whole seconds, offsets of whole minutes); anything else is left to chrono.
//! Ledger lines write several dates each, and chrono's formatting (or `to_rfc3339`, which
//! allocates) was a visible part of a run.

use crate::time::Instant;
use chrono::{Datelike as _, NaiveDate, Timelike as _};
use std::fmt;

/// A date or instant's text, on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Stamp {
    bytes: [u8; 25],
    len: usize,
}

/// `00` to `99`, two bytes each: a date or time is written two digits at a time, without
/// dividing by a power of ten per digit.
const PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0u8;
    while i < 100 {
        // why: i < 100, so i / 10 and i % 10 are single digits.
        #[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
        {
            t[i as usize] = [b'0' + i / 10, b'0' + i % 10];
            i += 1;
        }
    }
    t
};

impl Stamp {
    fn new() -> Stamp {
        Stamp {
            bytes: [0; 25],
            len: 0,
        }
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len = self.len.saturating_add(1);
        }
    }

    /// The last two digits of `n`.
    fn two(&mut self, n: u32) {
        let [a, b] = PAIRS.get((n % 100) as usize).copied().unwrap_or([b'0'; 2]);
        self.push(a);
        self.push(b);
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// `2024-01-31`, as `NaiveDate`'s `Display` writes it; `None` outside years 0 to 9999.
pub(crate) fn date(d: NaiveDate) -> Option<Stamp> {
    let mut s = Stamp::new();
    push_date(&mut s, d)?;
    Some(s)
}

fn push_date(s: &mut Stamp, d: NaiveDate) -> Option<()> {
    let y = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    s.two(y / 100);
    s.two(y);
    s.push(b'-');
    s.two(d.month());
    s.push(b'-');
    s.two(d.day());
    Some(())
}

/// An instant as `to_rfc3339_opts(SecondsFormat::AutoSi, zulu)` writes it (with `zulu`, offset
/// zero is `Z`; without, `+00:00`, as `to_rfc3339` writes it); `None` for fractions of a
/// second, offsets with seconds, or years outside 0 to 9999.
pub(crate) fn instant(t: &Instant, zulu: bool) -> Option<Stamp> {
    if t.nanosecond() != 0 {
        return None;
    }
    let offset = t.offset().local_minus_utc();
    if offset % 60 != 0 {
        return None;
    }
    // The local date and time, worked out once (each of chrono's accessors on an instant
    // works it out again).
    let local = t.naive_local();
    let mut s = Stamp::new();
    push_date(&mut s, local.date())?;
    s.push(b'T');
    s.two(local.hour());
    s.push(b':');
    s.two(local.minute());
    s.push(b':');
    s.two(local.second());
    if offset == 0 && zulu {
        s.push(b'Z');
    } else {
        s.push(if offset < 0 { b'-' } else { b'+' });
        let minutes = offset.unsigned_abs() / 60;
        s.two(minutes / 60);
        s.push(b':');
        s.two(minutes % 60);
    }
    Some(s)
}

/// Shows an instant as `to_rfc3339` does, without building a string first.
pub(crate) struct Rfc3339<'a>(pub &'a Instant);

impl fmt::Display for Rfc3339<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match instant(self.0, false) {
            Some(s) => f.write_str(s.as_str()),
            None => f.write_str(&self.0.to_rfc3339()),
        }
    }
}

/// Shows a date as its `Display` does, by hand where [`date`] can.
pub(crate) struct Day(pub NaiveDate);

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match date(self.0) {
            Some(s) => f.write_str(s.as_str()),
            None => write!(f, "{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, TimeZone as _};

    fn lcg(seed: &mut u64, m: u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 33) % m
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        let mut seed = 11u64;
        let dates = (0..3000)
            .map(|_| {
                NaiveDate::from_num_days_from_ce_opt(lcg(&mut seed, 4_000_000) as i32 - 100_000)
            })
            .chain([
                NaiveDate::from_ymd_opt(0, 1, 1),
                NaiveDate::from_ymd_opt(9999, 12, 31),
            ])
            .chain([
                NaiveDate::from_ymd_opt(10000, 1, 1),
                NaiveDate::from_ymd_opt(-1, 3, 1),
            ])
            .flatten();
        for d in dates {
            assert_eq!(super::Day(d).to_string(), d.to_string());
            if let Some(s) = super::date(d) {
                assert_eq!(s.as_str(), d.to_string());
            }
        }
    }

    #[test]
    fn instants_are_written_as_chrono_writes_them() {
        let mut seed = 5u64;
        for i in 0..5000 {
            let secs = lcg(&mut seed, 400_000_000_000) as i64 - 100_000_000_000;
            let nanos = if i % 3 == 0 {
                lcg(&mut seed, 1_000_000_000) as u32
            } else {
                0
            };
            let offset = match i % 5 {
                0 => lcg(&mut seed, 50_000) as i32 - 25_000,
                1 => (lcg(&mut seed, 1_500) as i32 - 750) * 60,
                _ => 0,
            };
            let Some(off) = chrono::FixedOffset::east_opt(offset) else {
                continue;
            };
            let Some(utc) = DateTime::from_timestamp(secs, nanos) else {
                continue;
            };
            let t = off.from_utc_datetime(&utc.naive_utc());
            assert_eq!(super::Rfc3339(&t).to_string(), t.to_rfc3339());
            for zulu in [true, false] {
                let want = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, zulu);
                if let Some(s) = super::instant(&t, zulu) {
                    assert_eq!(s.as_str(), want);
                }
            }
        }
    }
}
