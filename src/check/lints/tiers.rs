//! Tier bands: sorted ascending, no gaps, no overlaps, no empty band (M2001-M2003).
//!
//! Amount bands are compared as decimals with their inclusive/exclusive ends; count bands are
//! whole numbers, so `to 3` followed by `from 4` leaves no gap.

use super::LintInput;
use crate::diagnostics::{Code, Diagnostic};
use crate::program::{AmountDef, BandBound, BandDef};
use crate::value::Value;
use rust_decimal::Decimal;
use std::cmp::Ordering;

fn num(b: &BandBound) -> Option<Decimal> {
    match &b.value {
        Value::Number(n) => Some(*n),
        Value::Money(m) => Some(m.amount),
        _ => None,
    }
}

/// For count bands: the smallest and largest whole count the band holds. An exclusive end at
/// the edge of Decimal's range saturates there: no count comes anywhere near it.
fn int_range(b: &BandDef) -> (Option<Decimal>, Option<Decimal>) {
    let lo = b.lower.as_ref().and_then(|l| {
        let v = num(l)?;
        Some(if l.inclusive {
            v.ceil()
        } else {
            v.floor().saturating_add(Decimal::ONE)
        })
    });
    let hi = b.upper.as_ref().and_then(|u| {
        let v = num(u)?;
        Some(if u.inclusive {
            v.floor()
        } else {
            v.ceil().saturating_sub(Decimal::ONE)
        })
    });
    (lo, hi)
}

pub(super) fn run(input: &LintInput<'_>, diags: &mut Vec<Diagnostic>) {
    for r in &input.program.rewards {
        match &r.amount {
            AmountDef::Tiers { bands, .. } if sorted(bands, diags) => amount_bands(bands, diags),
            AmountDef::CountTiers { bands, .. } if sorted(bands, diags) => {
                count_bands(bands, diags)
            }
            _ => {}
        }
    }
}

/// Bands must be listed from the lowest to the highest lower end (a missing lower end is the
/// lowest of all). Reports the first band out of order; gaps and overlaps are only looked for
/// once the order is right.
fn sorted(bands: &[BandDef], diags: &mut Vec<Diagnostic>) -> bool {
    let key = |b: &BandDef| b.lower.as_ref().and_then(num);
    for pair in bands.windows(2) {
        let [a, b] = pair else { continue };
        let out_of_order = match (key(a), key(b)) {
            (Some(_), None) => true,
            (Some(x), Some(y)) => y < x,
            _ => false,
        };
        if out_of_order {
            diags.push(
                Diagnostic::new(
                    Code::TierUnsorted,
                    format!("band `{}` starts below the band before it", b.label),
                    b.span,
                )
                .also(a.span, "the band before")
                .help("list bands from the lowest to the highest"),
            );
            return false;
        }
    }
    true
}

fn amount_bands(bands: &[BandDef], diags: &mut Vec<Diagnostic>) {
    for b in bands {
        if let (Some(l), Some(u)) = (&b.lower, &b.upper) {
            if let (Some(lv), Some(uv)) = (num(l), num(u)) {
                let empty = lv > uv || (lv == uv && !(l.inclusive && u.inclusive));
                if empty {
                    diags.push(
                        Diagnostic::new(
                            Code::TierUnsorted,
                            format!("band `{}` contains no value", b.label),
                            b.span,
                        )
                        .help("the lower end must be below the upper end"),
                    );
                }
            }
        }
    }
    for pair in bands.windows(2) {
        let [a, b] = pair else { continue };
        let (Some(au), Some(bl)) = (&a.upper, &b.lower) else {
            let d = if a.upper.is_none() {
                Diagnostic::new(
                    Code::TierOverlap,
                    format!(
                        "band `{}` has no upper end, so it overlaps the next band",
                        a.label
                    ),
                    a.span,
                )
                .also(b.span, "this band is inside it")
                .help("give it an upper end: `below X`")
            } else {
                Diagnostic::new(
                    Code::TierOverlap,
                    format!(
                        "band `{}` has no lower end, so it overlaps the band before",
                        b.label
                    ),
                    b.span,
                )
                .also(a.span, "the band before")
                .help("give it a lower end: `from X`")
            };
            diags.push(d);
            continue;
        };
        let (Some(uv), Some(lv)) = (num(au), num(bl)) else {
            continue;
        };
        let a_lower = a.lower.as_ref().and_then(num);
        if a_lower.is_some_and(|al| lv < al) {
            diags.push(
                Diagnostic::new(
                    Code::TierUnsorted,
                    format!("band `{}` starts below the band before it", b.label),
                    b.span,
                )
                .also(a.span, "the band before")
                .help("list bands from the lowest to the highest"),
            );
            continue;
        }
        match uv.cmp(&lv) {
            Ordering::Less => diags.push(gap(
                a,
                b,
                format!("values between {uv} and {lv} fall in no band"),
            )),
            Ordering::Equal => match (au.inclusive, bl.inclusive) {
                (true, true) => diags.push(overlap(a, b, format!("{uv} is in both bands"))),
                (false, false) => diags.push(gap(a, b, format!("{uv} itself falls in no band"))),
                _ => {}
            },
            Ordering::Greater => diags.push(overlap(
                a,
                b,
                format!("values from {lv} to {uv} are in both bands"),
            )),
        }
    }
}

fn count_bands(bands: &[BandDef], diags: &mut Vec<Diagnostic>) {
    for b in bands {
        if let (Some(lo), Some(hi)) = int_range(b) {
            if lo > hi {
                diags.push(
                    Diagnostic::new(
                        Code::TierUnsorted,
                        format!("band `{}` holds no count", b.label),
                        b.span,
                    )
                    .help("the lower end must be below the upper end"),
                );
            }
        }
    }
    for pair in bands.windows(2) {
        let [a, b] = pair else { continue };
        let (_, a_hi) = int_range(a);
        let (b_lo, _) = int_range(b);
        let (a_lo, _) = int_range(a);
        let (Some(a_hi), Some(b_lo)) = (a_hi, b_lo) else {
            diags.push(
                Diagnostic::new(
                    Code::TierOverlap,
                    format!("bands `{}` and `{}` overlap", a.label, b.label),
                    b.span,
                )
                .also(a.span, "an open-ended band")
                .help("only the last band may be open-ended above, and only the first below"),
            );
            continue;
        };
        // The count before band `b`, where band `a` should end (`None` only at Decimal::MIN).
        let before_b = b_lo.checked_sub(Decimal::ONE);
        if a_lo.is_some_and(|al| b_lo < al) {
            diags.push(
                Diagnostic::new(
                    Code::TierUnsorted,
                    format!("band `{}` starts below the band before it", b.label),
                    b.span,
                )
                .help("list bands from the lowest to the highest"),
            );
        } else if let (Some(from), Some(to)) = (
            a_hi.checked_add(Decimal::ONE).filter(|&next| b_lo > next),
            before_b,
        ) {
            let what = if from == to {
                format!("the {} referral falls in no band", ordinal_of(from))
            } else {
                format!(
                    "the {} to {} referrals fall in no band",
                    ordinal_of(from),
                    ordinal_of(to)
                )
            };
            diags.push(gap(a, b, what).help(format!(
                "end the band with `to {to}` and start the next with `from {b_lo}`"
            )));
        } else if b_lo <= a_hi {
            let d = overlap(
                a,
                b,
                format!("the {} referral is in both bands", ordinal_of(b_lo)),
            );
            diags.push(match before_b {
                Some(to) => d.help(format!(
                    "end the band with `to {to}` and start the next with `from {b_lo}`"
                )),
                None => d,
            });
        }
    }
}

fn ordinal_of(n: Decimal) -> String {
    u64::try_from(n)
        .map(crate::value::ordinal)
        .unwrap_or_else(|_| n.to_string())
}

fn gap(a: &BandDef, b: &BandDef, what: String) -> Diagnostic {
    Diagnostic::new(
        Code::TierGap,
        format!("tier gap between `{}` and `{}`: {what}", a.label, b.label),
        b.span,
    )
    .also(a.span, "the band before")
    .help("make the next band start where this one ends: `below X` then `from X`")
}

fn overlap(a: &BandDef, b: &BandDef, what: String) -> Diagnostic {
    Diagnostic::new(
        Code::TierOverlap,
        format!("bands `{}` and `{}` overlap: {what}", a.label, b.label),
        b.span,
    )
    .also(a.span, "the band before")
    .help("end one band with `below X` and start the next with `from X`")
}
