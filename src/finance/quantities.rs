//! The report's totals of rewards that are not money: points in their unit, and discount and
//! perk lines counted (`discount lines`, `perk lines`), by status (every line) and, owed, by
//! rule, recipient, and month and quarter earned: the same groups as the money totals.

use super::table;
use crate::eval::EvalError;
use crate::ledger::{add_to, Line};
use crate::program::RewardKind;
use chrono::Datelike;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;

/// A total of one group in one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityTotal {
    /// `status`, `rule`, `recipient`, `month` or `quarter`.
    pub group: &'static str,
    /// The group's key.
    pub key: String,
    /// `points`, `discount lines`, `perk lines`, ...
    pub unit: String,
    /// Sum.
    pub amount: Decimal,
    /// Lines.
    pub lines: u64,
}

/// The groups, in the order output lists them.
pub const GROUPS: [&str; 5] = ["status", "rule", "recipient", "month", "quarter"];

/// The unit and quantity a line counts for, if it is not money.
fn worth(l: &Line) -> Option<(String, Decimal)> {
    if l.amount.is_some() {
        return None;
    }
    let (q, u) = (l.quantity?, l.unit.as_ref()?);
    Some(
        if matches!(l.kind, RewardKind::Discount | RewardKind::Perk) {
            (format!("{} lines", l.kind.name()), Decimal::ONE)
        } else {
            (u.to_string(), q)
        },
    )
}

/// Totals per group, key and unit.
pub fn totals(lines: &[Line]) -> Result<Vec<QuantityTotal>, EvalError> {
    let mut acc: BTreeMap<(usize, String, String), (Decimal, u64)> = BTreeMap::new();
    let mut add = |g: usize, key: String, unit: &str, q: Decimal, l: &Line| {
        let e = acc.entry((g, key, unit.to_string())).or_default();
        e.1 = e.1.saturating_add(1);
        add_to(&mut e.0, q, l)
    };
    for l in lines {
        let Some((unit, q)) = worth(l) else { continue };
        add(0, l.status.as_str().to_string(), &unit, q, l)?;
        if !l.status.counts_as_owed() {
            continue;
        }
        let d = l.earned_at.date_naive();
        add(1, l.rule.to_string(), &unit, q, l)?;
        add(
            2,
            format!("{}:{}", l.recipient.role, l.recipient.id),
            &unit,
            q,
            l,
        )?;
        add(3, format!("{:04}-{:02}", d.year(), d.month()), &unit, q, l)?;
        add(
            4,
            format!("{:04}-Q{}", d.year(), crate::time::quarter(d).0),
            &unit,
            q,
            l,
        )?;
    }
    Ok(acc
        .into_iter()
        .map(|((g, key, unit), (amount, lines))| QuantityTotal {
            group: GROUPS.get(g).copied().unwrap_or(""),
            key,
            unit,
            amount,
            lines,
        })
        .collect())
}

/// The text sections, one per group that has totals.
pub fn render_text(totals: &[QuantityTotal]) -> String {
    let mut out = String::new();
    for g in GROUPS {
        let rows: Vec<Vec<String>> = totals
            .iter()
            .filter(|t| t.group == g)
            .map(|t| {
                vec![
                    t.key.clone(),
                    t.unit.clone(),
                    t.amount.normalize().to_string(),
                    t.lines.to_string(),
                ]
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let title = if g == "status" {
            "Besides money, by status (every line)".to_string()
        } else {
            format!("Owed besides money, by {g}")
        };
        out.push_str(&format!("\n{title}\n"));
        for l in table(&[g, "unit", "quantity", "lines"], &rows, &[2, 3]).lines() {
            out.push_str(&format!("  {l}\n"));
        }
    }
    out
}

/// CSV rows in the report's columns (`section,key,currency,amount,lines,...`): the unit in
/// the currency column.
pub fn csv_rows(totals: &[QuantityTotal], width: usize) -> Vec<Vec<String>> {
    totals
        .iter()
        .map(|t| {
            let mut row = vec![
                t.group.to_string(),
                t.key.clone(),
                t.unit.clone(),
                t.amount.normalize().to_string(),
                t.lines.to_string(),
            ];
            row.resize(width, String::new());
            row
        })
        .collect()
}

/// JSON: `{group: [{key, unit, quantity, lines}]}`.
pub fn json(totals: &[QuantityTotal]) -> serde_json::Value {
    let mut groups: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    for t in totals {
        groups.entry(t.group).or_default().push(json!({
            "key": t.key,
            "unit": t.unit,
            "quantity": t.amount.normalize().to_string(),
            "lines": t.lines,
        }));
    }
    json!(groups)
}
