//! The readable table: one row per line, then totals by currency, status, rule and recipient,
//! then the records that could not be judged.

use crate::ledger::Ledger;
use crate::money::format_amount;
use std::fmt::Write as _;

/// Renders the ledger as aligned columns.
pub fn render(ledger: &Ledger) -> String {
    let header = [
        "record",
        "recipient",
        "rule",
        "tier",
        "amount",
        "status",
        "payable_on",
    ];
    let mut rows: Vec<[String; 7]> = Vec::new();
    for l in &ledger.lines {
        let worth = match (l.amount, l.currency, l.quantity, &l.unit) {
            (Some((a, s)), Some(c), _, _) => format!("{} {c}", format_amount(a, s)),
            (_, _, Some(q), Some(u)) => format!("{} {u}", q.normalize()),
            _ => String::new(),
        };
        rows.push([
            l.record_id.to_string(),
            format!("{}:{}", l.recipient.role, l.recipient.id),
            l.rule.to_string(),
            l.tier.as_deref().unwrap_or("-").to_string(),
            worth,
            l.status.as_str().to_string(),
            l.payable_on.to_string(),
        ]);
    }
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} as of {}",
        ledger.program.name, ledger.program.version, ledger.as_of
    );
    let line = |out: &mut String, cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths.iter())
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 4 {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    line(&mut out, &header.map(String::from));
    for r in &rows {
        line(&mut out, r);
    }
    let s = &ledger.summary;
    let _ = writeln!(
        out,
        "\n{} records: {} eligible, {} not eligible, {} rejected, {} problems; {} rewarded, {} lapsed; {} lines",
        s.records, s.eligible, s.not_eligible, s.rejected, s.problems, s.rewarded, s.lapsed, s.lines
    );
    for t in &s.owed {
        let _ = writeln!(
            out,
            "owed {}: {}",
            t.currency,
            format_amount(t.amount.0, t.amount.1)
        );
    }
    let totals = |out: &mut String, ts: &[crate::ledger::Total]| {
        for t in ts {
            let _ = writeln!(
                out,
                "  {} {}: {} ({} lines)",
                t.key,
                t.currency,
                format_amount(t.amount.0, t.amount.1),
                t.lines
            );
        }
    };
    totals(&mut out, &s.by_status);
    for (unit, q) in &s.quantities {
        let _ = writeln!(out, "owed {unit}: {q}");
    }
    for (title, ts) in [("by rule", &s.by_rule), ("by recipient", &s.by_recipient)] {
        if !ts.is_empty() {
            let _ = writeln!(out, "{title}:");
            totals(&mut out, ts);
        }
    }
    // With --keep-going, the records left out are listed here too, not only on stderr.
    if !ledger.problems.is_empty() {
        let _ = writeln!(out, "\nrecords that could not be judged:");
        for p in &ledger.problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    out
}
