//! Money: ISO 4217 currencies, their minor units, and the one place where amounts are rounded.
//!
//! Amounts are [`Decimal`] end to end. Nothing converts between currencies: adding or comparing
//! two currencies is a check error (in a program) or a record problem (at evaluation).

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};
use std::fmt;

/// A three-letter ISO 4217 currency code that merit knows the minor unit of.
/// It carries its minor units (a function of the code, so equality and order are the code's),
/// which every amount read and every line written asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    units: u8,
}

/// ISO 4217 codes and their minor units (digits after the decimal point).
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("MAD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PEN", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// Codes of three capital letters, A-Z.
const CODES: usize = 26 * 26 * 26;

/// Each known code's minor units plus one (0: not a currency merit knows), indexed by its
/// three letters: one load instead of a search whose branches records of mixed currencies
/// keep mispredicting.
static UNITS_BY_CODE: [u8; CODES] = units_by_code();

/// Builds [`UNITS_BY_CODE`] at compile time (a code that is not three capital letters, or a
/// unit count past 254, would fail the build, never a run).
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn units_by_code() -> [u8; CODES] {
    let mut t = [0u8; CODES];
    let mut i = 0;
    while i < CURRENCIES.len() {
        let (code, units) = CURRENCIES[i];
        let c = code.as_bytes();
        assert!(c.len() == 3 && units < 255);
        let at =
            ((c[0] - b'A') as usize * 26 + (c[1] - b'A') as usize) * 26 + (c[2] - b'A') as usize;
        t[at] = units as u8 + 1;
        i += 1;
    }
    t
}

/// Where a code is in [`UNITS_BY_CODE`]; `None` unless it is three capital letters.
fn code_index(code: [u8; 3]) -> Option<usize> {
    let letter = |b: u8| b.checked_sub(b'A').filter(|d| *d < 26).map(usize::from);
    let [a, b, c] = code;
    letter(a)?
        .checked_mul(26)?
        .checked_add(letter(b)?)?
        .checked_mul(26)?
        .checked_add(letter(c)?)
}

impl Currency {
    /// US dollars.
    pub const USD: Currency = Currency {
        code: *b"USD",
        units: 2,
    };

    /// The currency for a code, if merit knows it.
    pub fn parse(code: &str) -> Option<Currency> {
        let code = <[u8; 3]>::try_from(code.as_bytes()).ok()?;
        let units = UNITS_BY_CODE.get(code_index(code)?)?.checked_sub(1)?;
        Some(Currency { code, units })
    }

    /// The code: `USD`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Digits after the decimal point: 2 for USD, 0 for JPY, 3 for KWD.
    pub fn minor_units(self) -> u32 {
        u32::from(self.units)
    }

    /// All known codes, for hints.
    pub fn known() -> impl Iterator<Item = &'static str> {
        CURRENCIES.iter().map(|(c, _)| *c)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An exact amount in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    /// The amount, unrounded until [`round`] is applied.
    pub amount: Decimal,
    /// The currency.
    pub currency: Currency,
}

impl fmt::Display for Money {
    /// At least the currency's minor digits, and no trailing zeros beyond them:
    /// `50000.00 USD`, `1024.6875 USD`, `1852 JPY`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Plain(self.shown()), self.currency)
    }
}

impl Money {
    /// The amount as shown: at least the currency's minor digits, no trailing zeros beyond.
    pub fn shown(&self) -> Decimal {
        let mut a = self.amount.normalize();
        if a.scale() < self.currency.minor_units() {
            a.rescale(self.currency.minor_units());
        }
        a
    }
}

/// Displays a [`Decimal`] exactly as its own `Display` does with no width or precision (every
/// digit of its scale: `500.00`, `-0.5`, `0.0001`), without dividing the 96-bit mantissa by ten
/// for each digit: explanations show several amounts on every ledger line. Width and precision
/// flags are ignored.
#[derive(Debug, Clone, Copy)]
pub struct Plain(pub Decimal);

impl Plain {
    /// Hands the text to `w` piece by piece (sign, digits, point, zeros).
    fn pieces<E>(&self, mut w: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
        let mut buf = itoa::Buffer::new();
        let digits = buf.format(self.0.mantissa().unsigned_abs());
        let scale = self.0.scale() as usize;
        if self.0.is_sign_negative() {
            w("-")?;
        }
        if scale == 0 {
            return w(digits);
        }
        match digits.len().checked_sub(scale).filter(|w| *w > 0) {
            Some(whole) => {
                let (int, frac) = digits.split_at(whole);
                w(int)?;
                w(".")?;
                w(frac)
            }
            None => {
                w("0.")?;
                for _ in digits.len()..scale {
                    w("0")?;
                }
                w(digits)
            }
        }
    }

    /// Appends the text to a string (what `to_string` would give, without a new string).
    pub fn push_to_string(&self, out: &mut String) {
        let _ = self.pieces(|s| {
            out.push_str(s);
            Ok::<(), ()>(())
        });
    }

    /// Appends the text to a byte buffer (what `to_string` would give, without the string).
    pub fn push_to(&self, out: &mut Vec<u8>) {
        let _ = self.pieces(|s| {
            out.extend_from_slice(s.as_bytes());
            Ok::<(), ()>(())
        });
    }
}

impl fmt::Display for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces(|s| f.write_str(s))
    }
}

/// How a ledger line's amount is rounded to its scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Ties to the even digit (banker's rounding). The default.
    #[default]
    HalfEven,
    /// Ties away from zero.
    HalfUp,
    /// Ties towards zero.
    HalfDown,
    /// Towards zero (truncate).
    Down,
    /// Away from zero.
    Up,
}

impl RoundingMode {
    /// The mode for its name in a program (`half_even`, `half_up`, `half_down`, `down`, `up`).
    pub fn parse(name: &str) -> Option<RoundingMode> {
        Some(match name {
            "half_even" => RoundingMode::HalfEven,
            "half_up" => RoundingMode::HalfUp,
            "half_down" => RoundingMode::HalfDown,
            "down" => RoundingMode::Down,
            "up" => RoundingMode::Up,
            _ => return None,
        })
    }

    /// All mode names, for hints.
    pub const NAMES: &'static [&'static str] = &["half_even", "half_up", "half_down", "down", "up"];

    /// The name as written in a program.
    pub fn name(self) -> &'static str {
        match self {
            RoundingMode::HalfEven => "half_even",
            RoundingMode::HalfUp => "half_up",
            RoundingMode::HalfDown => "half_down",
            RoundingMode::Down => "down",
            RoundingMode::Up => "up",
        }
    }

    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfDown => RoundingStrategy::MidpointTowardZero,
            RoundingMode::Down => RoundingStrategy::ToZero,
            RoundingMode::Up => RoundingStrategy::AwayFromZero,
        }
    }
}

/// A program's rounding rule: a mode and, optionally, a fixed scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rounding {
    /// How ties and remainders go.
    pub mode: RoundingMode,
    /// Digits kept; `None` means the currency's minor unit.
    pub scale: Option<u32>,
}

impl Rounding {
    /// The scale used for amounts in `currency`.
    pub fn scale_for(&self, currency: Currency) -> u32 {
        self.scale.unwrap_or_else(|| currency.minor_units())
    }
}

/// **The** rounding step: every ledger amount passes through here exactly once.
///
/// The result always carries exactly the scale (so `500` USD becomes `500.00`).
pub fn round(amount: Decimal, currency: Currency, rounding: &Rounding) -> Decimal {
    let scale = rounding.scale_for(currency);
    let mut r = amount.round_dp_with_strategy(scale, rounding.mode.strategy());
    r.rescale(scale);
    r
}

/// `-d`, for a clawback or a negated value.
// why: Decimal's range is symmetric (MIN == -MAX) and negation only flips the sign bit, so it
// cannot overflow; rust_decimal has no `checked_neg` to say so.
#[allow(clippy::arithmetic_side_effects)]
pub(crate) fn negate(d: Decimal) -> Decimal {
    -d
}

/// Formats an amount at exactly `scale` digits, for output.
pub fn format_amount(amount: Decimal, scale: u32) -> String {
    Plain(at_scale(amount, scale)).to_string()
}

/// `amount` with exactly `scale` digits after the point, as [`format_amount`] shows it.
pub fn at_scale(amount: Decimal, scale: u32) -> Decimal {
    let mut a = amount;
    a.rescale(scale);
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn plain_shows_what_decimal_shows() {
        let mut cases: Vec<Decimal> = [
            "0",
            "0.00",
            "-0",
            "-0.00",
            "1",
            "-1",
            "500.00",
            "0.5",
            "-0.5",
            "0.0001",
            "-0.0001",
            "1077.1054",
            "10",
            "100.000",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "7.9228162514264337593543950335",
            "0.0000000000000000000000000001",
            "18446744073709551616",
            "18446744073709551615.5",
        ]
        .iter()
        .map(|t| d(t))
        .collect();
        cases.push(Decimal::from_parts(0, 0, 0, true, 3));
        for m in [0i64, 1, 9, 10, 99, 123456789, i64::MAX, i64::MIN + 1] {
            for scale in [0, 1, 2, 5, 18, 19, 20, 28] {
                cases.push(Decimal::new(m, scale));
            }
        }
        for c in cases {
            assert_eq!(Plain(c).to_string(), c.to_string(), "{c:?}");
        }
    }

    #[test]
    fn every_code_in_the_table_parses_and_no_other() {
        // Sorted, so hints list the codes in order.
        assert!(CURRENCIES
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.0 < b.0)));
        let known = UNITS_BY_CODE.iter().filter(|u| **u > 0).count();
        assert_eq!(known, CURRENCIES.len());
        for (code, units) in CURRENCIES {
            let c = Currency::parse(code).unwrap_or_else(|| panic!("{code} not found"));
            assert_eq!(c.as_str(), *code);
            assert_eq!(c.minor_units(), *units);
        }
        assert_eq!(Currency::parse("usd"), None);
        assert_eq!(Currency::parse("ZZZ"), None);
        assert_eq!(Currency::parse(""), None);
        for odd in ["US", "USDD", "U$D", "@AA", "[AA", "AA[", "ÉUR", "AAA"] {
            assert_eq!(Currency::parse(odd), None, "{odd}");
        }
    }

    #[test]
    fn rounding_modes_differ_on_ties() {
        let usd = Currency::USD;
        let r = |m| Rounding {
            mode: m,
            scale: None,
        };
        assert_eq!(
            round(d("2.345"), usd, &r(RoundingMode::HalfEven)).to_string(),
            "2.34"
        );
        assert_eq!(
            round(d("2.345"), usd, &r(RoundingMode::HalfUp)).to_string(),
            "2.35"
        );
        assert_eq!(
            round(d("2.349"), usd, &r(RoundingMode::Down)).to_string(),
            "2.34"
        );
        assert_eq!(
            round(d("-2.345"), usd, &r(RoundingMode::HalfUp)).to_string(),
            "-2.35"
        );
        assert_eq!(
            round(d("500"), usd, &r(RoundingMode::HalfUp)).to_string(),
            "500.00"
        );
    }

    #[test]
    fn jpy_has_no_minor_unit() {
        let jpy = Currency::parse("JPY").unwrap_or_else(|| panic!("JPY"));
        let r = Rounding::default();
        assert_eq!(round(d("1234.5"), jpy, &r).to_string(), "1234");
        assert_eq!(round(d("1235.5"), jpy, &r).to_string(), "1236");
    }

    #[test]
    fn unknown_currency_is_rejected() {
        assert!(Currency::parse("XYZ").is_none());
        assert!(Currency::parse("usd").is_none());
    }
}
