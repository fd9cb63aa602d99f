//! A compact binary form of reward candidates, so that candidates waiting for the cross-record
//! pass (count tiers, shared caps, budgets) can be sorted on disk instead of held in memory.
//! Exact: decimals as their 16-byte form, instants as seconds, nanoseconds and offset.

use super::judge::{Base, Candidate, Fate};
use crate::ledger::Facts;
use crate::money::{Currency, Money};
use crate::syntax::ast::{Duration, DurationUnit};
use crate::time::Instant;
use crate::value::Text;
use crate::value::Value;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::sync::Arc;

/// Appends a candidate.
pub(crate) fn encode(c: &Candidate, out: &mut Vec<u8>) {
    u64v(c.line, out);
    u64v(c.reward as u64, out);
    u64v(u64::from(c.occurrence), out);
    instant(&c.earned_at, out);
    text(&c.record_id, out);
    text(&c.role, out);
    text(&c.recipient, out);
    text(&c.referee, out);
    match &c.base {
        Base::Value(v) => {
            out.push(0);
            value(v, out);
        }
        Base::ByCount(vs) => {
            out.push(1);
            values(vs, out);
        }
        Base::Perk(p) => {
            out.push(2);
            text(p, out);
        }
        Base::NoBand => out.push(3),
    }
    opt_text(c.tier.as_deref(), out);
    u64v(c.multipliers.len() as u64, out);
    for (d, t) in &c.multipliers {
        decimal(d, out);
        text(t, out);
    }
    u64v(c.fixed.len() as u64, out);
    for (v, t) in &c.fixed {
        value(v, out);
        text(t, out);
    }
    u64v(c.facts.0.len() as u64, out);
    for (k, v) in &c.facts.0 {
        text(k, out);
        text(v, out);
    }
    u64v(c.steps.len() as u64, out);
    for s in &c.steps {
        text(s, out);
    }
    date(c.payable_on, out);
    match c.expires_on {
        Some(d) => {
            out.push(1);
            date(d, out);
        }
        None => out.push(0),
    }
    match &c.fate {
        Fate::Normal => out.push(0),
        Fate::Forfeited(s) => {
            out.push(1);
            text(s, out);
        }
        Fate::Waiting(s) => {
            out.push(2);
            text(s, out);
        }
        Fate::ClawedBack(at, s) => {
            out.push(3);
            instant(at, out);
            text(s, out);
        }
    }
}

/// Reads a candidate written by [`encode`]; `None` if the bytes are not one.
pub(crate) fn decode(bytes: &[u8]) -> Option<Candidate> {
    let mut r = Reader { b: bytes };
    let c = Candidate {
        line: r.u64v()?,
        reward: usize::try_from(r.u64v()?).ok()?,
        occurrence: u32::try_from(r.u64v()?).ok()?,
        earned_at: r.instant()?,
        record_id: Text::new(r.text()?),
        role: Text::new(r.text()?),
        recipient: Text::new(r.text()?),
        referee: Text::new(r.text()?),
        base: match r.byte()? {
            0 => Base::Value(r.value()?),
            1 => Base::ByCount(r.values()?),
            2 => Base::Perk(r.text()?.to_string()),
            3 => Base::NoBand,
            _ => return None,
        },
        tier: r.opt_text()?.map(Text::from),
        multipliers: {
            let n = r.len()?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push((r.decimal()?, r.text()?.to_string()));
            }
            v
        },
        fixed: {
            let n = r.len()?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push((r.value()?, r.text()?.to_string()));
            }
            v
        },
        facts: {
            let n = r.len()?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push((r.text()?.to_string().into(), r.text()?.to_string()));
            }
            Facts(v)
        },
        steps: {
            let n = r.len()?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(r.text()?.to_string());
            }
            v
        },
        payable_on: r.date()?,
        expires_on: match r.byte()? {
            0 => None,
            _ => Some(r.date()?),
        },
        fate: match r.byte()? {
            0 => Fate::Normal,
            1 => Fate::Forfeited(r.text()?.to_string()),
            2 => Fate::Waiting(r.text()?.to_string()),
            3 => Fate::ClawedBack(r.instant()?, r.text()?.to_string()),
            _ => return None,
        },
    };
    r.b.is_empty().then_some(c)
}

/// Appends a varint: seven bits a byte, low bits first, the last byte's high bit clear.
/// Shared with the sort runs ([`super::runs`]).
pub(super) fn u64v(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a varint written by [`u64v`] from the front of `b`, moving past it.
pub(super) fn read_u64v(b: &mut &[u8]) -> Option<u64> {
    let mut n = 0u64;
    for shift in (0..=63).step_by(7) {
        let (&byte, rest) = b.split_first()?;
        *b = rest;
        n |= u64::from(byte & 0x7F).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

fn i64v(n: i64, out: &mut Vec<u8>) {
    u64v(((n << 1) ^ (n >> 63)) as u64, out);
}

fn text(s: &str, out: &mut Vec<u8>) {
    u64v(s.len() as u64, out);
    out.extend_from_slice(s.as_bytes());
}

fn opt_text(s: Option<&str>, out: &mut Vec<u8>) {
    match s {
        Some(s) => {
            out.push(1);
            text(s, out);
        }
        None => out.push(0),
    }
}

fn decimal(d: &Decimal, out: &mut Vec<u8>) {
    out.extend_from_slice(&d.serialize());
}

fn instant(t: &Instant, out: &mut Vec<u8>) {
    i64v(t.timestamp(), out);
    u64v(u64::from(t.timestamp_subsec_nanos()), out);
    i64v(i64::from(t.offset().local_minus_utc()), out);
}

fn date(d: NaiveDate, out: &mut Vec<u8>) {
    i64v(i64::from(d.num_days_from_ce()), out);
}

fn currency(c: Currency, out: &mut Vec<u8>) {
    out.extend_from_slice(c.as_str().as_bytes());
}

fn values(vs: &[Value], out: &mut Vec<u8>) {
    u64v(vs.len() as u64, out);
    for v in vs {
        value(v, out);
    }
}

fn value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Bool(b) => out.extend_from_slice(&[0, u8::from(*b)]),
        Value::Number(n) => {
            out.push(1);
            decimal(n, out);
        }
        Value::Money(m) => {
            out.push(2);
            decimal(&m.amount, out);
            currency(m.currency, out);
        }
        Value::Percent(p) => {
            out.push(3);
            decimal(p, out);
        }
        Value::Text(t) => {
            out.push(4);
            text(t, out);
        }
        Value::Date(d) => {
            out.push(5);
            date(*d, out);
        }
        Value::DateTime(t) => {
            out.push(6);
            instant(t, out);
        }
        Value::Duration(d) => {
            out.push(7);
            u64v(u64::from(d.amount), out);
            out.push(match d.unit {
                DurationUnit::Hours => 0,
                DurationUnit::Days => 1,
                DurationUnit::BusinessDays => 2,
                DurationUnit::Weeks => 3,
                DurationUnit::Months => 4,
                DurationUnit::Years => 5,
            });
        }
        Value::List(items) => {
            out.push(8);
            values(items, out);
        }
    }
}

/// What is left to read.
struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.b.split_first()?;
        self.b = rest;
        Some(b)
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (s, rest) = self.b.split_at_checked(n)?;
        self.b = rest;
        Some(s)
    }

    fn u64v(&mut self) -> Option<u64> {
        read_u64v(&mut self.b)
    }

    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64v()?).ok()?;
        // Every item takes at least one byte: a corrupt length cannot make us allocate much.
        (n <= self.b.len()).then_some(n)
    }

    fn i64v(&mut self) -> Option<i64> {
        let u = self.u64v()?;
        // Zigzag: the low bit is the sign, and `-1 ^ x` is `!x`.
        let half = (u >> 1) as i64;
        Some(if u & 1 == 0 { half } else { !half })
    }

    fn text(&mut self) -> Option<&'a str> {
        let n = self.len()?;
        std::str::from_utf8(self.bytes(n)?).ok()
    }

    fn opt_text(&mut self) -> Option<Option<String>> {
        Some(match self.byte()? {
            0 => None,
            _ => Some(self.text()?.to_string()),
        })
    }

    fn decimal(&mut self) -> Option<Decimal> {
        let b: [u8; 16] = self.bytes(16)?.try_into().ok()?;
        Some(Decimal::deserialize(b))
    }

    fn instant(&mut self) -> Option<Instant> {
        let secs = self.i64v()?;
        let nanos = u32::try_from(self.u64v()?).ok()?;
        let offset = i32::try_from(self.i64v()?).ok()?;
        let offset = chrono::FixedOffset::east_opt(offset)?;
        Some(chrono::DateTime::from_timestamp(secs, nanos)?.with_timezone(&offset))
    }

    fn date(&mut self) -> Option<NaiveDate> {
        NaiveDate::from_num_days_from_ce_opt(i32::try_from(self.i64v()?).ok()?)
    }

    fn values(&mut self) -> Option<Vec<Value>> {
        let n = self.len()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.value()?);
        }
        Some(v)
    }

    fn value(&mut self) -> Option<Value> {
        Some(match self.byte()? {
            0 => Value::Bool(self.byte()? != 0),
            1 => Value::Number(self.decimal()?),
            2 => {
                let amount = self.decimal()?;
                let code = std::str::from_utf8(self.bytes(3)?).ok()?;
                Value::Money(Money {
                    amount,
                    currency: Currency::parse(code)?,
                })
            }
            3 => Value::Percent(self.decimal()?),
            4 => Value::Text(Text::new(self.text()?)),
            5 => Value::Date(self.date()?),
            6 => Value::DateTime(self.instant()?),
            7 => Value::Duration(Duration {
                amount: u32::try_from(self.u64v()?).ok()?,
                unit: match self.byte()? {
                    0 => DurationUnit::Hours,
                    1 => DurationUnit::Days,
                    2 => DurationUnit::BusinessDays,
                    3 => DurationUnit::Weeks,
                    4 => DurationUnit::Months,
                    _ => DurationUnit::Years,
                },
            }),
            8 => Value::List(Arc::from(self.values()?)),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Reader;

    #[test]
    fn varints_round_trip() {
        for n in [
            0i64,
            1,
            -1,
            63,
            -64,
            64,
            i64::MAX,
            i64::MIN,
            1 << 40,
            -(1 << 40),
        ] {
            let mut out = Vec::new();
            super::i64v(n, &mut out);
            let mut r = Reader { b: &out };
            assert_eq!(r.i64v(), Some(n));
            assert!(r.b.is_empty());
        }
        let mut out = Vec::new();
        super::u64v(u64::MAX, &mut out);
        assert_eq!(out.len(), 10);
        assert_eq!(Reader { b: &out }.u64v(), Some(u64::MAX));
        // Eleven continuation bytes are not a u64.
        assert_eq!(Reader { b: &[0x80; 11] }.u64v(), None);
        assert_eq!(Reader { b: &[0x80] }.u64v(), None);
        assert_eq!(Reader { b: b"abc" }.bytes(4), None);
        assert_eq!(Reader { b: b"abc" }.bytes(3), Some(&b"abc"[..]));
    }
}
