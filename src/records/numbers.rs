//! Numbers read from records, exactly: a JSON number's text (or a numeric string's content)
//! to `Decimal`, with a path for plain decimals that allocates nothing, and the largest
//! magnitude merit accepts.

use rust_decimal::Decimal;

/// Parses a JSON number's text (or a numeric string's content) exactly.
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, String> {
    if let Some(d) = plain_decimal(text) {
        return Ok(d);
    }
    let t = text.trim();
    let parsed = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t)
    } else {
        Decimal::from_str_exact(t)
    };
    parsed.map_err(|_| {
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
            format!("`{text}` is not a number")
        } else {
            format!("`{text}` cannot be held exactly (at most 28 significant digits)")
        }
    })
}

/// `[-]digits[.digits]` with at most 18 digits (every usual amount, score or count) read
/// without the general parser, which allocates: the value and scale `Decimal::from_str_exact`
/// gives. Anything else (`None`) is left to it: signs other than one `-`, exponents, white
/// space, a point without digits on both sides, more digits, and `-0`.
pub(super) fn plain_decimal(text: &str) -> Option<Decimal> {
    let (negative, digits) = match text.as_bytes().split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text.as_bytes()),
    };
    if digits.len() > 19 {
        return None;
    }
    let (mut mantissa, mut count, mut decimals) = (0u64, 0u32, None::<u32>);
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                // At most 18 digits: below 10^18, so nothing wraps.
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(c & 0x0F));
                count = count.wrapping_add(1);
                decimals = decimals.map(|d| d.wrapping_add(1));
            }
            b'.' if decimals.is_none() && count > 0 => decimals = Some(0),
            _ => return None,
        }
    }
    if count == 0 || count > 18 || decimals == Some(0) || (negative && mantissa == 0) {
        return None;
    }
    let m = i64::try_from(mantissa).ok()?;
    let m = if negative { m.wrapping_neg() } else { m };
    Decimal::try_new(m, decimals.unwrap_or(0)).ok()
}

/// The largest magnitude of a number or amount read from a record (exclusive): 10^18. Totals of
/// billions of lines of such amounts still fit exactly in a Decimal, so sums, caps and budgets
/// can never overflow.
pub const MAX_MAGNITUDE: Decimal = Decimal::from_parts(2_808_348_672, 232_830_643, 0, false, 0);

pub(super) fn within_limit(n: Decimal) -> Result<Decimal, String> {
    // A mantissa below 10^18 is a number below 10^18 whatever its scale: most numbers are
    // answered without comparing two decimals.
    if n.mantissa().unsigned_abs() < 1_000_000_000_000_000_000 {
        return Ok(n);
    }
    if n.abs() >= MAX_MAGNITUDE {
        Err(format!(
            "{n} is beyond the largest amount merit accepts (10^18)"
        ))
    } else {
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_magnitude_limit_is_ten_to_the_eighteenth() {
        assert_eq!(MAX_MAGNITUDE, Decimal::from(1_000_000_000_000_000_000u64));
        assert!(within_limit(Decimal::from(999_999_999_999_999_999u64)).is_ok());
        assert!(within_limit(MAX_MAGNITUDE).is_err());
        assert!(within_limit(-MAX_MAGNITUDE).is_err());
        // Mantissas at and past 10^18 with scales that keep the number below or above it:
        // the quick answer (a small mantissa) and the comparison agree.
        for (m, scale, ok) in [
            (1_000_000_000_000_000_000i128, 0, false),
            (1_000_000_000_000_000_000, 1, true),
            (999_999_999_999_999_999, 0, true),
            (10_000_000_000_000_000_000, 1, false),
            (10_000_000_000_000_000_001, 2, true),
            (-99_999_999_999_999_999_999, 3, true),
            (-99_999_999_999_999_999_999, 1, false),
        ] {
            let n = Decimal::from_i128_with_scale(m, scale);
            assert_eq!(within_limit(n).is_ok(), ok, "{n}");
            assert_eq!(ok, n.abs() < MAX_MAGNITUDE, "{n}");
        }
    }

    /// The plain-decimal reader gives exactly what `Decimal::from_str_exact` gives (value, scale,
    /// sign) whenever it answers, and answers for every usual amount.
    #[test]
    fn plain_decimals_read_as_the_general_parser_reads_them() {
        let same = |t: &str| {
            if let Some(d) = plain_decimal(t) {
                let want = Decimal::from_str_exact(t).unwrap_or_else(|e| panic!("{t:?}: {e}"));
                assert_eq!(
                    (d, d.scale(), d.to_string(), d.is_sign_negative()),
                    (
                        want,
                        want.scale(),
                        want.to_string(),
                        want.is_sign_negative()
                    ),
                    "{t:?}"
                );
            }
            plain_decimal(t)
        };
        for t in [
            "0",
            "7",
            "88",
            "1462.97",
            "1462.90",
            "0.00",
            "-0.5",
            "-12",
            "00.5",
            "007",
            "999999999999999999",
            "-999999999999999.999",
            "0.00000000000000001",
        ] {
            assert!(same(t).is_some(), "{t:?} should be read");
        }
        for t in [
            "",
            "-",
            ".",
            "1.",
            ".5",
            "-.5",
            "+1",
            "1e3",
            " 1",
            "1 ",
            "1.2.3",
            "--1",
            "-0",
            "-0.00",
            "1000000000000000000",
            "0.0000000000000000001",
            "1,5",
            "١",
        ] {
            assert!(
                same(t).is_none(),
                "{t:?} should be left to the general parser"
            );
        }
        // Random strings over the characters that matter.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 22) as usize;
            let t: String = (0..len)
                .map(|i| b"0123456789.-0"[((seed >> (i * 3 % 60)) % 13) as usize] as char)
                .collect();
            same(&t);
        }
    }
}
