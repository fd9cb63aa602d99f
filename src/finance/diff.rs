//! What a change to a program does to the money: two ledgers of the same records compared.
//!
//! Lines are matched by id without the `program-slug@version/` prefix (the version differs
//! between the two files). Totals are the owed totals of the ledgers (pending + payable +
//! clawed back), per currency, per rule and per recipient. The CI gate compares the growth of
//! each currency's owed total with a percentage and/or an amount, exactly.

use super::terms::{self, TermChange};
use super::{fmt_dec, fmt_percent, fmt_signed, json_text, table};
use crate::eval::EvalError;
use crate::ledger::{Ledger, Line, Total};
use crate::money::{Currency, Money};
use crate::reconcile::line_key;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// An owed total before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyRow {
    /// Rule, recipient (`role:id`) or currency code.
    pub key: String,
    /// Currency.
    pub currency: Currency,
    /// Digits shown.
    pub scale: u32,
    /// Old owed total.
    pub old: Decimal,
    /// New owed total.
    pub new: Decimal,
}

impl MoneyRow {
    /// New minus old; `None` when that passes the range of exact decimals (a row from
    /// [`money_diff`] never does: it checks).
    pub fn change(&self) -> Option<Decimal> {
        self.new.checked_sub(self.old)
    }
}

/// A line that differs (added, removed, or with another amount, status, tier or date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineChange {
    /// The id without its program prefix.
    pub key: String,
    /// The record.
    pub record_id: String,
    /// The old line, if any.
    pub old: Option<Line>,
    /// The new line, if any.
    pub new: Option<Line>,
}

/// The money side of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyDiff {
    /// Owed per currency.
    pub owed: Vec<MoneyRow>,
    /// Owed per rule and currency.
    pub by_rule: Vec<MoneyRow>,
    /// Owed per recipient and currency.
    pub by_recipient: Vec<MoneyRow>,
    /// Owed quantities of non-money rewards: unit, old, new.
    pub quantities: Vec<(String, Decimal, Decimal)>,
    /// Lines that differ, by record id then line key.
    pub lines: Vec<LineChange>,
    /// Lines that are the same in both.
    pub unchanged: usize,
}

impl MoneyDiff {
    /// Lines only in the new ledger.
    pub fn added(&self) -> usize {
        self.lines.iter().filter(|c| c.old.is_none()).count()
    }
    /// Lines only in the old ledger.
    pub fn removed(&self) -> usize {
        self.lines.iter().filter(|c| c.new.is_none()).count()
    }
    /// Lines in both that differ.
    pub fn changed(&self) -> usize {
        self.lines
            .iter()
            .filter(|c| c.old.is_some() && c.new.is_some())
            .count()
    }
}

fn rows(old: &[Total], new: &[Total]) -> Result<Vec<MoneyRow>, EvalError> {
    let mut m: BTreeMap<(String, Currency), MoneyRow> = BTreeMap::new();
    for (t, is_new) in old
        .iter()
        .map(|t| (t, false))
        .chain(new.iter().map(|t| (t, true)))
    {
        let r = m
            .entry((t.key.clone(), t.currency))
            .or_insert_with(|| MoneyRow {
                key: t.key.clone(),
                currency: t.currency,
                scale: t.amount.1,
                old: Decimal::ZERO,
                new: Decimal::ZERO,
            });
        r.scale = r.scale.max(t.amount.1);
        let side = if is_new { &mut r.new } else { &mut r.old };
        *side = side
            .checked_add(t.amount.0)
            .ok_or_else(|| out_of_range(&t.key, t.currency))?;
    }
    m.into_values()
        .map(|r| match r.change() {
            Some(_) => Ok(r),
            None => Err(out_of_range(&r.key, r.currency)),
        })
        .collect()
}

/// A total or change of `key` in `currency` that passes the range of exact decimals.
fn out_of_range(key: &str, currency: Currency) -> EvalError {
    EvalError::new(
        Some("amount".into()),
        format!("the change of `{key}` in {currency} passes the range of exact decimals"),
    )
}

fn same_line(a: &Line, b: &Line) -> bool {
    a.recipient == b.recipient
        && a.kind == b.kind
        && a.amount.map(|x| x.0) == b.amount.map(|x| x.0)
        && a.currency == b.currency
        && a.quantity == b.quantity
        && a.unit == b.unit
        && a.status == b.status
        && a.tier == b.tier
        && a.payable_on == b.payable_on
        && a.expires_on == b.expires_on
}

/// Compares two ledgers of the same records.
pub fn money_diff(old: &Ledger, new: &Ledger) -> Result<MoneyDiff, EvalError> {
    let olds: HashMap<&str, &Line> = old.lines.iter().map(|l| (line_key(&l.id), l)).collect();
    let news: HashMap<&str, &Line> = new.lines.iter().map(|l| (line_key(&l.id), l)).collect();
    let mut lines = Vec::new();
    let mut unchanged = 0usize;
    for l in &new.lines {
        let key = line_key(&l.id);
        match olds.get(key) {
            Some(o) if same_line(o, l) => unchanged = unchanged.saturating_add(1),
            o => lines.push(LineChange {
                key: key.to_string(),
                record_id: l.record_id.to_string(),
                old: o.map(|x| (*x).clone()),
                new: Some(l.clone()),
            }),
        }
    }
    for l in &old.lines {
        let key = line_key(&l.id);
        if !news.contains_key(key) {
            lines.push(LineChange {
                key: key.to_string(),
                record_id: l.record_id.to_string(),
                old: Some(l.clone()),
                new: None,
            });
        }
    }
    lines.sort_by(|a, b| (&a.record_id, &a.key).cmp(&(&b.record_id, &b.key)));
    let q = |l: &Ledger| super::metrics::owed_quantities(&l.lines);
    let (qo, qn) = (q(old)?, q(new)?);
    let mut units: Vec<&String> = qo.keys().chain(qn.keys()).collect();
    units.sort();
    units.dedup();
    let quantities = units
        .into_iter()
        .map(|u| {
            (
                u.clone(),
                qo.get(u).copied().unwrap_or_default(),
                qn.get(u).copied().unwrap_or_default(),
            )
        })
        .collect();
    Ok(MoneyDiff {
        owed: rows(&old.summary.owed, &new.summary.owed)?,
        by_rule: rows(&old.summary.by_rule, &new.summary.by_rule)?,
        by_recipient: rows(&old.summary.by_recipient, &new.summary.by_recipient)?,
        quantities,
        lines,
        unchanged,
    })
}

/// The CI gate: limits on how much each currency's owed total may grow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gate {
    /// At most this many percent of the old total (`--fail-above 10`).
    pub max_percent: Option<Decimal>,
    /// At most this much more, in this currency (`--fail-above-amount "5000 USD"`).
    pub max_amount: Option<Money>,
}

/// Why the gate failed, one message per currency and limit; empty when it passes.
pub fn check_gate(owed: &[MoneyRow], gate: &Gate) -> Vec<String> {
    let mut out = Vec::new();
    for r in owed {
        let growth = match r.change() {
            Some(g) => g,
            None if r.new > r.old => {
                out.push(format!(
                    "{} owed grows by more than exact decimals hold ({} → {})",
                    r.currency,
                    fmt_dec(r.old, r.scale),
                    fmt_dec(r.new, r.scale)
                ));
                continue;
            }
            None => continue,
        };
        if growth <= Decimal::ZERO {
            continue;
        }
        let shown = || {
            format!(
                "{} owed grows by {} {} ({} → {}, {})",
                r.currency,
                fmt_dec(growth, r.scale),
                r.currency,
                fmt_dec(r.old, r.scale),
                fmt_dec(r.new, r.scale),
                fmt_percent(r.old, r.new)
            )
        };
        if let Some(p) = gate.max_percent {
            // growth / |old| > p / 100, without dividing: growth * 100 > p * |old|.
            let over = match (
                growth.checked_mul(Decimal::ONE_HUNDRED),
                p.checked_mul(r.old.abs()),
            ) {
                (Some(g), Some(limit)) => r.old.is_zero() || g > limit,
                _ => true,
            };
            if over {
                out.push(format!("{}: more than {}%", shown(), p.normalize()));
            }
        }
        if let Some(m) = gate.max_amount {
            if m.currency == r.currency && growth > m.amount {
                out.push(format!("{}: more than {m}", shown()));
            }
        }
    }
    out
}

/// Everything `merit diff` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Old program: name, version.
    pub old_program: (String, String),
    /// New program: name, version.
    pub new_program: (String, String),
    /// The as-of date both ran at.
    pub as_of: chrono::NaiveDate,
    /// Records read.
    pub records: u64,
    /// The terms that changed.
    pub terms: Vec<TermChange>,
    /// The money.
    pub money: MoneyDiff,
    /// Gate failures (empty: passed or no gate).
    pub gate_failures: Vec<String>,
    /// Whether a gate was asked for.
    pub gated: bool,
}

fn amount_text(l: &Line) -> String {
    match (l.amount, l.currency, l.quantity, &l.unit) {
        (Some((a, s)), Some(c), _, _) => format!("{} {c}", fmt_dec(a, s)),
        (_, _, Some(q), Some(u)) => format!("{} {u}", q.normalize()),
        _ => String::new(),
    }
}

/// One line: `1200.00 USD, payable, payable_on 2025-04-30, band `from 10000 below 100000``.
fn worth(l: &Line) -> String {
    let mut s = format!(
        "{}, {}, payable_on {}",
        amount_text(l),
        l.status.as_str(),
        l.payable_on
    );
    if let Some(t) = &l.tier {
        s.push_str(&format!(", band `{t}`"));
    }
    s
}

/// What differs between two versions of a line; what is the same is said once.
fn changed(o: &Line, n: &Line) -> String {
    let pair = |a: String, b: String| if a == b { a } else { format!("{a} → {b}") };
    let mut parts = vec![
        pair(amount_text(o), amount_text(n)),
        pair(o.status.as_str().into(), n.status.as_str().into()),
    ];
    if o.recipient != n.recipient {
        parts.push(format!(
            "recipient {}:{} → {}:{}",
            o.recipient.role, o.recipient.id, n.recipient.role, n.recipient.id
        ));
    }
    if o.payable_on != n.payable_on {
        parts.push(format!("payable_on {} → {}", o.payable_on, n.payable_on));
    }
    if o.expires_on != n.expires_on {
        let d = |x: Option<chrono::NaiveDate>| x.map_or("none".to_string(), |d| d.to_string());
        parts.push(format!(
            "expires_on {} → {}",
            d(o.expires_on),
            d(n.expires_on)
        ));
    }
    if o.tier != n.tier {
        let t = |x: &Option<crate::value::Text>| {
            x.as_ref().map_or("none".to_string(), |t| format!("`{t}`"))
        };
        parts.push(format!("band {} → {}", t(&o.tier), t(&n.tier)));
    }
    parts.join(", ")
}

fn money_rows(rows: &[MoneyRow], only_changed: bool) -> Vec<Vec<String>> {
    rows.iter()
        .filter(|r| !only_changed || r.old != r.new)
        .map(|r| {
            vec![
                r.key.clone(),
                r.currency.to_string(),
                fmt_dec(r.old, r.scale),
                fmt_dec(r.new, r.scale),
                r.change()
                    .map(|c| fmt_signed(c, r.scale))
                    .unwrap_or_default(),
                fmt_percent(r.old, r.new),
            ]
        })
        .collect()
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

/// The diff as text.
pub fn render_text(d: &Diff) -> String {
    let mut out = format!(
        "{} {} → {} {}: {} records, as of {}\n\nTerms\n",
        d.old_program.0, d.old_program.1, d.new_program.0, d.new_program.1, d.records, d.as_of
    );
    let terms = terms::render_text(&d.terms);
    if terms.is_empty() {
        out.push_str("  no change in the terms\n");
    }
    for t in terms {
        out.push_str(&format!("  {t}\n"));
    }
    let m = &d.money;
    out.push_str("\nOwed\n");
    let header = ["currency", "old", "new", "change", "%"];
    let owed: Vec<Vec<String>> = money_rows(&m.owed, false)
        .into_iter()
        .map(|r| r.into_iter().skip(1).collect())
        .collect();
    if owed.is_empty() {
        out.push_str("  no money owed in either\n");
    } else {
        out.push_str(&indent(&table(&header, &owed, &[1, 2, 3, 4])));
    }
    for (unit, o, n) in &m.quantities {
        out.push_str(&format!(
            "  {unit}: {} → {}\n",
            o.normalize(),
            n.normalize()
        ));
    }
    let by_rule = money_rows(&m.by_rule, false);
    if !by_rule.is_empty() {
        out.push_str("\nBy rule\n");
        let h = ["rule", "currency", "old", "new", "change", "%"];
        out.push_str(&indent(&table(&h, &by_rule, &[2, 3, 4, 5])));
    }
    let by_recipient = money_rows(&m.by_recipient, true);
    let same = m.by_recipient.iter().filter(|r| r.old == r.new).count();
    out.push_str(&format!(
        "\nBy recipient ({} changed, {same} unchanged)\n",
        by_recipient.len()
    ));
    if !by_recipient.is_empty() {
        let h = ["recipient", "currency", "old", "new", "change", "%"];
        out.push_str(&indent(&table(&h, &by_recipient, &[2, 3, 4, 5])));
    }
    out.push_str(&format!(
        "\nLines: {} added, {} removed, {} changed, {} unchanged\n",
        m.added(),
        m.removed(),
        m.changed(),
        m.unchanged
    ));
    let mut record = "";
    for c in &m.lines {
        if c.record_id != record {
            record = &c.record_id;
            out.push_str(&format!("  record {record}\n"));
        }
        let line = match (&c.old, &c.new) {
            (Some(o), Some(n)) => format!("~ {}: {}", c.key, changed(o, n)),
            (None, Some(n)) => format!("+ {}: {}", c.key, worth(n)),
            (Some(o), None) => format!("- {}: {}", c.key, worth(o)),
            (None, None) => continue,
        };
        out.push_str(&format!("    {line}\n"));
    }
    if d.gated {
        if d.gate_failures.is_empty() {
            out.push_str("\nGate: passed\n");
        } else {
            out.push_str("\nGate: FAILED\n");
            for f in &d.gate_failures {
                out.push_str(&format!("  {f}\n"));
            }
        }
    }
    out
}

fn line_json(l: &Option<Line>) -> serde_json::Value {
    match l {
        None => serde_json::Value::Null,
        Some(l) => json!({
            "id": l.id,
            "recipient": format!("{}:{}", l.recipient.role, l.recipient.id),
            "amount": l.amount.map(|(a, s)| fmt_dec(a, s)),
            "currency": l.currency.map(|c| c.to_string()),
            "quantity": l.quantity.map(|q| q.normalize().to_string()),
            "unit": l.unit,
            "status": l.status.as_str(),
            "tier": l.tier,
            "payable_on": l.payable_on.to_string(),
        }),
    }
}

fn rows_json(rows: &[MoneyRow]) -> serde_json::Value {
    serde_json::Value::Array(
        rows.iter()
            .map(|r| {
                json!({
                    "key": r.key,
                    "currency": r.currency.to_string(),
                    "old": fmt_dec(r.old, r.scale),
                    "new": fmt_dec(r.new, r.scale),
                    "change": r.change().map(|c| fmt_dec(c, r.scale)),
                    "percent": super::percent_change(r.old, r.new).map(|p| fmt_dec(p, 2)),
                })
            })
            .collect(),
    )
}

/// The diff as JSON.
pub fn render_json(d: &Diff) -> String {
    let m = &d.money;
    let owed: Vec<serde_json::Value> = m
        .owed
        .iter()
        .map(|r| {
            json!({
                "currency": r.currency.to_string(),
                "old": fmt_dec(r.old, r.scale),
                "new": fmt_dec(r.new, r.scale),
                "change": r.change().map(|c| fmt_dec(c, r.scale)),
                "percent": super::percent_change(r.old, r.new).map(|p| fmt_dec(p, 2)),
            })
        })
        .collect();
    let change = |c: &LineChange| match (&c.old, &c.new) {
        (Some(_), Some(_)) => "changed",
        (None, _) => "added",
        (_, None) => "removed",
    };
    let v = json!({
        "old": {"name": d.old_program.0, "version": d.old_program.1},
        "new": {"name": d.new_program.0, "version": d.new_program.1},
        "as_of": d.as_of.to_string(),
        "records": d.records,
        "terms": terms::to_json(&d.terms),
        "owed": owed,
        "quantities": m.quantities.iter().map(|(u, o, n)| json!({
            "unit": u, "old": o.normalize().to_string(), "new": n.normalize().to_string(),
        })).collect::<Vec<_>>(),
        "by_rule": rows_json(&m.by_rule),
        "by_recipient": rows_json(&m.by_recipient),
        "lines": {
            "added": m.added(),
            "removed": m.removed(),
            "changed": m.changed(),
            "unchanged": m.unchanged,
            "differences": m.lines.iter().map(|c| json!({
                "key": c.key,
                "record_id": c.record_id,
                "change": change(c),
                "old": line_json(&c.old),
                "new": line_json(&c.new),
            })).collect::<Vec<_>>(),
        },
        "gate": if d.gated {
            json!({"passed": d.gate_failures.is_empty(), "failures": d.gate_failures})
        } else {
            serde_json::Value::Null
        },
    });
    json_text(&v)
}
