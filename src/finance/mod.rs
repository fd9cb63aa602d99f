//! Finance tools over ledgers: scenario simulation ([`simulate`]), comparing two versions of a
//! program ([`terms`] for the rules, [`diff`] for the money), and reports ([`report`]).
//!
//! Everything here works on exact decimals: totals are sums of ledger amounts, derived figures
//! (averages, cost per referral, percentages) are divided exactly and rounded half-even once,
//! for display, to the currency's scale (percentages to two decimals).

pub mod diff;
pub mod metrics;
pub mod quantities;
pub mod report;
pub mod simulate;
pub mod terms;

use crate::check::check;
use crate::diagnostics::render_text;
use crate::program::Program;
use crate::syntax::{parse, Parsed};
use rust_decimal::{Decimal, RoundingStrategy};

/// A program with its syntax tree (the source texts the terms comparison quotes).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The checked program.
    pub program: Program,
    /// What it was checked from.
    pub parsed: Parsed,
}

/// Parses and checks a program; `Err` holds the rendered diagnostics.
pub fn load(name: &str, text: &str) -> Result<Loaded, String> {
    load_parsed(parse(name, text))
}

/// Checks a parsed program; `Err` holds the rendered diagnostics.
pub fn load_parsed(parsed: Parsed) -> Result<Loaded, String> {
    let checked = check(&parsed);
    match checked.program {
        Some(program) if !checked.has_errors() => Ok(Loaded { program, parsed }),
        _ => Err(render_text(&checked.diagnostics, &checked.sources)),
    }
}

/// Rounds half-even to `scale` and prints exactly that many digits.
pub(crate) fn fmt_dec(d: Decimal, scale: u32) -> String {
    let mut r = d.round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven);
    r.rescale(scale);
    r.to_string()
}

/// `+12.50`, `-3.00`, `0.00`.
pub(crate) fn fmt_signed(d: Decimal, scale: u32) -> String {
    let s = fmt_dec(d, scale);
    if d > Decimal::ZERO {
        format!("+{s}")
    } else {
        s
    }
}

/// The change from `old` to `new` in percent of `old`, two decimals; `None` when `old` is 0.
pub(crate) fn percent_change(old: Decimal, new: Decimal) -> Option<Decimal> {
    if old.is_zero() {
        return None;
    }
    new.checked_sub(old)?
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|x| x.checked_div(old.abs()))
        .map(|p| p.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven))
}

/// `+5.31%`, or `new` when there was nothing before, `0.00%` when both are 0.
pub(crate) fn fmt_percent(old: Decimal, new: Decimal) -> String {
    match percent_change(old, new) {
        Some(p) => format!("{}%", fmt_signed(p, 2)),
        None if new.is_zero() => "0.00%".to_string(),
        None => "new".to_string(),
    }
}

/// Aligned columns; columns flagged in `right` are right-aligned (numbers).
pub(crate) fn table(header: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                if right.contains(&i) {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
    out
}

/// One CSV field (see [`crate::output::csv::write_cell`]).
pub(crate) fn csv_field(s: &str) -> String {
    let mut out = Vec::new();
    crate::output::csv::write_cell(s, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// CSV text: a header row, then the rows.
pub(crate) fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = header.join(",");
    out.push('\n');
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| csv_field(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Pretty JSON with a final newline.
pub(crate) fn json_text(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}
