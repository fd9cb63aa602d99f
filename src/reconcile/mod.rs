//! Reconciliation: what a run adds to what was already booked.
//!
//! `merit run ... --already-paid EARLIER.json` compares the run's ledger with one or more
//! ledgers written earlier (by `merit run --format json`, `jsonl`, or an earlier
//! reconciliation) and emits only the difference:
//!
//! - a line with the same id and the same owed amount is not emitted again;
//! - a line whose owed amount changed yields an adjustment line for the difference
//!   (id = original id + `/adjust/` + a short tag derived from the amounts, `reverses` = the
//!   original id);
//! - a line that disappeared yields a reversal of everything booked for it (id = original id
//!   + `/reversal/` + tag, `reverses` = the original id);
//! - a new line is emitted as it is;
//! - the same id with another recipient, currency (or unit) or reward kind is an error.
//!
//! Ids are matched without their `program-slug@version/` prefix, so a new version of a program
//! reconciles against the ledger of the old one. The owed amount of a line is its amount when
//! its status counts as owed (pending, payable, clawed back) and zero otherwise (forfeited,
//! expired, capped): a line that was booked as payable and is now forfeited is taken back.
//! Adjustment and reversal lines found in an earlier ledger add to what is booked for the line
//! they reverse, so reconciling against every earlier output in turn never books twice.

mod read;

pub use read::{read_ledger, ReadLedger};

use crate::ledger::{summarize, Explanation, Facts, Ledger, Line, Status};
use crate::money::{format_amount, negate};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// Why a ledger could not be read or reconciled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", problems.join("\n"))]
pub struct ReconcileError {
    /// Every problem found, one per entry.
    pub problems: Vec<String>,
}

impl ReconcileError {
    fn one(message: impl Into<String>) -> ReconcileError {
        ReconcileError {
            problems: vec![message.into()],
        }
    }
}

/// The part of an id after `program-slug@version/`: the same for every version of a program.
pub fn line_key(id: &str) -> &str {
    match id
        .split_once('@')
        .and_then(|(_, after)| after.split_once('/'))
    {
        Some((_, key)) => key,
        None => id,
    }
}

/// The amount a line owes: its amount (or quantity) when its status counts as owed, else 0.
pub fn owed_worth(l: &Line) -> Decimal {
    if !l.status.counts_as_owed() {
        return Decimal::ZERO;
    }
    match (l.amount, l.quantity) {
        (Some((a, _)), _) => a,
        (None, Some(q)) => q,
        _ => Decimal::ZERO,
    }
}

/// The unit a line is counted in: its currency, or its quantity unit.
fn unit_of(l: &Line) -> String {
    match (l.currency, &l.unit) {
        (Some(c), _) => c.to_string(),
        (None, Some(u)) => u.to_string(),
        _ => String::new(),
    }
}

/// What happened to the lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lines in the earlier ledgers.
    pub earlier_lines: usize,
    /// Same id, same owed amount: not emitted.
    pub unchanged: usize,
    /// Of those, how many changed status only (e.g. pending → payable).
    pub status_changed: usize,
    /// Emitted as they are.
    pub new: usize,
    /// Adjusted for a changed amount.
    pub adjusted: usize,
    /// Gone from this run: reversed.
    pub reversed: usize,
}

/// The result of a reconciliation.
#[derive(Debug, Clone)]
pub struct Reconciled {
    /// The lines to book now; its summary's `owed` is the new money per currency.
    pub ledger: Ledger,
    /// Counts.
    pub stats: Stats,
}

struct Booked<'a> {
    first: &'a Line,
    amount: Decimal,
    scale: u32,
}

/// A short stable tag: 8 hex digits of FNV-1a over the text.
fn tag(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h >> 32)
}

fn worth_text(amount: Decimal, scale: u32, unit: &str, money: bool) -> String {
    if money {
        format!("{} {unit}", format_amount(amount, scale))
    } else {
        format!("{} {unit}", amount.normalize())
    }
}

/// Reconciles a run's ledger against lines booked earlier.
pub fn reconcile(current: &Ledger, paid: &[Line]) -> Result<Reconciled, ReconcileError> {
    let mut problems: Vec<String> = Vec::new();
    let mut booked: BTreeMap<&str, Booked> = BTreeMap::new();
    let is_adjustment = |l: &Line| {
        l.reverses.is_some() && (l.id.contains("/adjust/") || l.id.contains("/reversal/"))
    };
    // Original lines first, then the adjustments that modify them.
    for l in paid.iter().filter(|l| !is_adjustment(l)) {
        let key = line_key(&l.id);
        if booked.contains_key(key) {
            problems.push(format!(
                "line `{}` appears twice in the earlier ledgers",
                l.id
            ));
            continue;
        }
        booked.insert(
            key,
            Booked {
                first: l,
                amount: owed_worth(l),
                scale: l.amount.map(|(_, s)| s).unwrap_or(0),
            },
        );
    }
    for l in paid.iter().filter(|l| is_adjustment(l)) {
        let target = line_key(l.reverses.as_deref().unwrap_or_default());
        match booked.get_mut(target) {
            Some(b) => {
                if unit_of(b.first) != unit_of(l) {
                    problems.push(format!(
                        "adjustment `{}` is in {} but the line it adjusts is in {}",
                        l.id,
                        unit_of(l),
                        unit_of(b.first)
                    ));
                }
                match b.amount.checked_add(owed_worth(l)) {
                    Some(total) => b.amount = total,
                    None => problems.push(out_of_range(&l.id)),
                }
            }
            None => {
                booked.insert(
                    target,
                    Booked {
                        first: l,
                        amount: owed_worth(l),
                        scale: l.amount.map(|(_, s)| s).unwrap_or(0),
                    },
                );
            }
        }
    }
    let mut stats = Stats {
        earlier_lines: paid.len(),
        ..Stats::default()
    };
    let mut out: Vec<Line> = Vec::new();
    let mut seen: HashMap<&str, ()> = HashMap::new();
    for l in &current.lines {
        let key = line_key(&l.id);
        seen.insert(key, ());
        let Some(b) = booked.get(key) else {
            stats.new = stats.new.saturating_add(1);
            out.push(l.clone());
            continue;
        };
        let old = b.first;
        let mut conflict = Vec::new();
        if old.recipient != l.recipient {
            conflict.push(format!(
                "recipient {}:{} → {}:{}",
                old.recipient.role, old.recipient.id, l.recipient.role, l.recipient.id
            ));
        }
        if unit_of(old) != unit_of(l) {
            conflict.push(format!("currency {} → {}", unit_of(old), unit_of(l)));
        }
        if old.kind != l.kind {
            conflict.push(format!("kind {} → {}", old.kind.name(), l.kind.name()));
        }
        if !conflict.is_empty() {
            let earlier = if old.id == l.id {
                String::new()
            } else {
                format!(" as `{}`", old.id)
            };
            problems.push(format!(
                "line `{}` was booked earlier{earlier} with another {}: {}; book the change by hand (reverse the old line, then run again)",
                l.id,
                if conflict.len() == 1 { "value" } else { "values" },
                conflict.join(", ")
            ));
            continue;
        }
        let now = owed_worth(l);
        if now == b.amount {
            stats.unchanged = stats.unchanged.saturating_add(1);
            if old.status != l.status {
                stats.status_changed = stats.status_changed.saturating_add(1);
            }
            continue;
        }
        let Some(diff) = now.checked_sub(b.amount) else {
            problems.push(out_of_range(&l.id));
            continue;
        };
        stats.adjusted = stats.adjusted.saturating_add(1);
        let money = l.currency.is_some();
        let scale = l.amount.map(|(_, s)| s).unwrap_or(b.scale);
        let unit = unit_of(l);
        let (before, after, delta) = (
            worth_text(b.amount, scale, &unit, money),
            worth_text(now, scale, &unit, money),
            worth_text(diff, scale, &unit, money),
        );
        let mut facts = Facts::default();
        facts.push("adjusts", old.id.clone());
        facts.push("booked", before.clone());
        facts.push("now", format!("{after} ({})", l.status.as_str()));
        facts.push("difference", delta.clone());
        let mut adj = l.clone();
        adj.id = format!(
            "{}/adjust/{}",
            old.id,
            tag(&format!("{key}|{}|{}", b.amount, now))
        );
        adj.reverses = Some(old.id.clone());
        if money {
            adj.amount = Some((diff, scale));
        } else {
            adj.quantity = Some(diff);
        }
        adj.status = adjusted_status(l.status, diff);
        adj.explanation = Explanation {
            text: format!(
                "adjusts `{}`: {before} was booked earlier, {after} is owed now ({}), so {delta} is booked.",
                old.id,
                l.status.as_str()
            ),
            facts,
        };
        out.push(adj);
    }
    let mut vanished: Vec<(&str, &Booked)> = booked
        .iter()
        .filter(|(k, _)| !seen.contains_key(*k))
        .map(|(k, b)| (*k, b))
        .collect();
    vanished.sort_by(|a, b| {
        (a.1.first.earned_at, &a.1.first.record_id, a.0).cmp(&(
            b.1.first.earned_at,
            &b.1.first.record_id,
            b.0,
        ))
    });
    for (key, b) in vanished {
        if b.amount.is_zero() {
            continue;
        }
        stats.reversed = stats.reversed.saturating_add(1);
        let old = b.first;
        let money = old.currency.is_some();
        let unit = unit_of(old);
        let diff = negate(b.amount);
        let mut facts = Facts::default();
        facts.push("reverses", old.id.clone());
        facts.push("booked", worth_text(b.amount, b.scale, &unit, money));
        facts.push("difference", worth_text(diff, b.scale, &unit, money));
        let mut rev = old.clone();
        rev.id = format!(
            "{}/reversal/{}",
            old.id,
            tag(&format!("{key}|{}|gone", b.amount))
        );
        rev.reverses = Some(old.id.clone());
        if money {
            rev.amount = Some((diff, b.scale));
        } else {
            rev.quantity = Some(diff);
        }
        rev.status = adjusted_status(Status::Forfeited, diff);
        rev.payable_on = current.as_of;
        rev.expires_on = None;
        rev.explanation = Explanation {
            text: format!(
                "reverses `{}`: {} was booked earlier and this run no longer has the line, so {} is booked.",
                old.id,
                worth_text(b.amount, b.scale, &unit, money),
                worth_text(diff, b.scale, &unit, money)
            ),
            facts,
        };
        out.push(rev);
    }
    if !problems.is_empty() {
        return Err(ReconcileError { problems });
    }
    let mut summary = current.summary.clone();
    summarize(&out, &mut summary).map_err(|e| ReconcileError::one(e.message))?;
    Ok(Reconciled {
        ledger: Ledger {
            program: current.program.clone(),
            as_of: current.as_of,
            lines: out,
            summary,
            problems: current.problems.clone(),
        },
        stats,
    })
}

/// What is booked for line `id`, or its change, passes the range of exact decimals.
fn out_of_range(id: &str) -> String {
    format!("line `{id}`: what is booked for it passes the range of exact decimals")
}

/// The status of an adjustment: the line's own when it still owes, else a take-back.
fn adjusted_status(now: Status, diff: Decimal) -> Status {
    if now.counts_as_owed() {
        now
    } else if diff < Decimal::ZERO {
        Status::ClawedBack
    } else {
        Status::Payable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_drop_the_program_prefix() {
        assert_eq!(line_key("demo@1/credit/R1/referrer"), "credit/R1/referrer");
        assert_eq!(
            line_key("demo@2/credit/R1/referrer/2"),
            "credit/R1/referrer/2"
        );
        assert_eq!(line_key("no-prefix"), "no-prefix");
    }

    #[test]
    fn tags_are_stable_and_short() {
        assert_eq!(tag("a|1|2"), tag("a|1|2"));
        assert_ne!(tag("a|1|2"), tag("a|1|3"));
        assert_eq!(tag("x").len(), 8);
    }
}
