//! Explanation phrases written piece by piece: `phrase![measure, " = ", value]` gives what
//! `format!("{measure} = {value}")` gives, without the formatting machinery. Every ledger line
//! explains itself in several phrases, and `format!`'s argument walking was a visible part of a
//! run (about a thousand instructions a phrase).
//!
//! Each [`Piece`] writes exactly what its `Display` writes; the tests hold the two together.

use crate::money::{Money, Plain};
use crate::stamp::{Day, Rfc3339};
use crate::value::Value;
use std::fmt::Write as _;

/// Something a phrase is made of: it appends its text as its `Display` would.
pub(crate) trait Piece {
    /// Appends the text to `out`.
    fn put(&self, out: &mut String);

    /// About how many bytes it writes (to size the phrase's string up front).
    fn size_hint(&self) -> usize {
        16
    }
}

impl Piece for str {
    fn put(&self, out: &mut String) {
        out.push_str(self);
    }

    fn size_hint(&self) -> usize {
        self.len()
    }
}

impl Piece for String {
    fn put(&self, out: &mut String) {
        out.push_str(self);
    }

    fn size_hint(&self) -> usize {
        self.len()
    }
}

impl<T: Piece + ?Sized> Piece for &T {
    fn put(&self, out: &mut String) {
        (**self).put(out);
    }

    fn size_hint(&self) -> usize {
        (**self).size_hint()
    }
}

impl Piece for Plain {
    fn put(&self, out: &mut String) {
        self.push_to_string(out);
    }
}

impl Piece for Money {
    fn put(&self, out: &mut String) {
        Plain(self.shown()).push_to_string(out);
        out.push(' ');
        out.push_str(self.currency.as_str());
    }
}

impl Piece for Value {
    fn put(&self, out: &mut String) {
        match self {
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => Plain(n.normalize()).push_to_string(out),
            Value::Money(m) => m.put(out),
            Value::Percent(p) => {
                Plain(p.normalize()).push_to_string(out);
                out.push('%');
            }
            Value::Text(t) => {
                out.push('"');
                out.push_str(t);
                out.push('"');
            }
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
}

impl Piece for Rfc3339<'_> {
    fn put(&self, out: &mut String) {
        match crate::stamp::instant(self.0, false) {
            Some(s) => out.push_str(s.as_str()),
            None => out.push_str(&self.0.to_rfc3339()),
        }
    }

    fn size_hint(&self) -> usize {
        25
    }
}

impl Piece for Day {
    fn put(&self, out: &mut String) {
        match crate::stamp::date(self.0) {
            Some(s) => out.push_str(s.as_str()),
            None => {
                let _ = write!(out, "{}", self.0);
            }
        }
    }

    fn size_hint(&self) -> usize {
        10
    }
}

/// A phrase from its pieces, in a string sized for them up front.
macro_rules! phrase {
    ($($piece:expr),+ $(,)?) => {{
        use $crate::phrase::Piece as _;
        let size = 0usize $(.saturating_add(($piece).size_hint()))+;
        let mut s = String::with_capacity(size);
        $(($piece).put(&mut s);)+
        s
    }};
}
pub(crate) use phrase;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use chrono::{NaiveDate, TimeZone as _};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn pieces_write_what_display_writes() {
        let usd = Currency::parse("USD");
        let jpy = Currency::parse("JPY");
        let mut values = vec![
            Value::Bool(true),
            Value::Bool(false),
            Value::Text("C677244".into()),
            Value::Text("a text longer than twenty-three bytes".into()),
            Value::Date(NaiveDate::from_ymd_opt(2025, 3, 9).unwrap_or_default()),
        ];
        for n in [
            "0",
            "-0.50",
            "1077.1054",
            "500.00",
            "53855.27",
            "1e-5",
            "-12",
        ] {
            let n = if n == "1e-5" { d("0.00001") } else { d(n) };
            values.push(Value::Number(n));
            values.push(Value::Percent(n));
            for c in [usd, jpy].into_iter().flatten() {
                values.push(Value::Money(Money {
                    amount: n,
                    currency: c,
                }));
            }
        }
        for v in &values {
            assert_eq!(phrase![v], v.to_string(), "{v:?}");
            assert_eq!(
                phrase!["deal.amount = ", v, "!"],
                format!("deal.amount = {v}!")
            );
        }
        for p in ["2", "1.5", "0.0250", "-3"] {
            let p = Plain(d(p).normalize());
            assert_eq!(phrase![p, "%"], format!("{p}%"));
        }
        let offsets = [0, 3600, -4 * 3600, 5 * 3600 + 30 * 60, 17];
        for secs in offsets {
            let Some(off) = chrono::FixedOffset::east_opt(secs) else {
                continue;
            };
            let t = off
                .with_ymd_and_hms(2025, 4, 9, 15, 0, 7)
                .single()
                .unwrap_or_else(|| panic!("a time"));
            assert_eq!(
                phrase!["won", " at ", Rfc3339(&t)],
                format!("won at {}", Rfc3339(&t))
            );
        }
        for day in [
            NaiveDate::from_ymd_opt(2024, 2, 29),
            NaiveDate::from_ymd_opt(12345, 1, 1),
        ]
        .into_iter()
        .flatten()
        {
            assert_eq!(phrase![Day(day)], Day(day).to_string());
        }
    }
}
