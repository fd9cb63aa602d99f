//! Rendering a [`Report`] as sections of aligned columns, one CSV table, or one JSON document
//! ([`ReportFormat`]). Re-exported from `report`.

use super::Report;
use crate::finance::{csv, fmt_dec, json_text, quantities, table};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;

/// Output formats of `merit report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Sections of aligned columns.
    Text,
    /// One table: `section,key,currency,amount,lines,referrals,rank,percent,median_days`.
    Csv,
    /// One JSON document.
    Json,
}

fn opt(d: Option<Decimal>, scale: u32) -> String {
    d.map(|x| fmt_dec(x, scale)).unwrap_or_default()
}

/// Renders a report.
pub fn render(r: &Report, format: ReportFormat) -> String {
    match format {
        ReportFormat::Text => render_text(r),
        ReportFormat::Csv => render_csv(r),
        ReportFormat::Json => render_json(r),
    }
}

fn render_text(r: &Report) -> String {
    let records = r
        .records
        .map(|n| format!("{n} records, "))
        .unwrap_or_default();
    // A ledger read from JSON Lines does not say its program or its date.
    let mut out = if r.program.0.is_empty() {
        format!(
            "A ledger without its program or run date (JSON Lines), latest line earned {}: {records}{} rewarded referrals, {} lines\n",
            r.as_of, r.rewarded, r.lines
        )
    } else {
        format!(
            "{} {}, as of {}: {records}{} rewarded referrals, {} lines\n",
            r.program.0, r.program.1, r.as_of, r.rewarded, r.lines
        )
    };
    let titles = [
        ("currency", "Owed by currency"),
        ("status", "By status (every line)"),
        ("rule", "Owed by rule"),
        ("recipient", "Owed by recipient"),
        ("month", "Owed by month earned"),
        ("quarter", "Owed by quarter earned"),
    ];
    let indent = |s: String| -> String { s.lines().map(|l| format!("  {l}\n")).collect() };
    for (g, title) in titles {
        let by_currency = g == "currency";
        let rows: Vec<Vec<String>> = r
            .totals
            .iter()
            .filter(|t| t.group == g)
            .map(|t| {
                let mut row = vec![
                    t.key.clone(),
                    t.currency.to_string(),
                    fmt_dec(t.amount, t.scale),
                    t.lines.to_string(),
                ];
                if by_currency {
                    row.remove(0);
                }
                row
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title}\n"));
        let text = if by_currency {
            table(&["currency", "amount", "lines"], &rows, &[1, 2])
        } else {
            table(&[g, "currency", "amount", "lines"], &rows, &[2, 3])
        };
        out.push_str(&indent(text));
    }
    if !r.quantities.is_empty() {
        out.push_str("\nOwed besides money\n");
        for (u, q) in &r.quantities {
            out.push_str(&format!("  {u}: {}\n", q.normalize()));
        }
        out.push_str(&quantities::render_text(&r.quantity_totals));
    }
    if !r.stats.is_empty() {
        out.push_str("\nCost per acquired customer\n");
        let budgeted = r.stats.iter().any(|c| c.budget.is_some());
        let rows: Vec<Vec<String>> = r
            .stats
            .iter()
            .map(|c| {
                let mut row = vec![
                    c.currency.to_string(),
                    fmt_dec(c.owed, c.scale),
                    c.rewarded_referrals.to_string(),
                    opt(c.cost_per_referral, c.scale),
                    opt(c.average_reward, c.scale),
                    opt(c.largest_reward, c.scale),
                ];
                if budgeted {
                    row.push(
                        c.budget
                            .map(|(total, used)| {
                                format!("{} of {}", fmt_dec(used, c.scale), fmt_dec(total, c.scale))
                            })
                            .unwrap_or_default(),
                    );
                }
                row
            })
            .collect();
        let mut h = vec![
            "currency",
            "owed",
            "rewarded referrals",
            "cost per referral",
            "average reward",
            "largest reward",
        ];
        if budgeted {
            h.push("budget used");
        }
        let right: Vec<usize> = (1..h.len()).collect();
        out.push_str(&indent(table(&h, &rows, &right)));
    }
    if !r.leaders.is_empty() {
        out.push_str("\nTop referrers\n");
        let rows: Vec<Vec<String>> = r
            .leaders
            .iter()
            .map(|l| {
                vec![
                    l.currency.to_string(),
                    l.rank.to_string(),
                    l.id.clone(),
                    fmt_dec(l.owed, l.scale),
                    l.referrals.to_string(),
                ]
            })
            .collect();
        let h = ["currency", "rank", "referrer", "owed", "referrals"];
        out.push_str(&indent(table(&h, &rows, &[1, 3, 4])));
    }
    if !r.funnel.is_empty() {
        out.push_str(if r.funnel_exact {
            "\nFunnel (eligible referrals that reached each milestone)\n"
        } else {
            "\nFunnel (milestones that earned a line)\n"
        });
        let rows: Vec<Vec<String>> = r
            .funnel
            .iter()
            .map(|s| {
                vec![
                    s.milestone.clone(),
                    s.referrals.to_string(),
                    s.of_records
                        .map(|p| format!("{}%", fmt_dec(p, 1)))
                        .unwrap_or_else(|| "-".into()),
                    s.of_first
                        .map(|p| format!("{}%", fmt_dec(p, 1)))
                        .unwrap_or_else(|| "-".into()),
                    s.of_previous
                        .map(|p| format!("{}%", fmt_dec(p, 1)))
                        .unwrap_or_else(|| "-".into()),
                    s.median_days
                        .map(|d| fmt_dec(d, 1))
                        .unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        let h = [
            "milestone",
            "referrals",
            "of records",
            "of widest step",
            "of previous step",
            "median days from previous",
        ];
        out.push_str(&indent(table(&h, &rows, &[1, 2, 3, 4, 5])));
    }
    out
}

fn render_csv(r: &Report) -> String {
    let header = [
        "section",
        "key",
        "currency",
        "amount",
        "lines",
        "referrals",
        "rank",
        "percent",
        "median_days",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let row = |cells: [String; 9]| cells.to_vec();
    for t in &r.totals {
        rows.push(row([
            t.group.to_string(),
            t.key.clone(),
            t.currency.to_string(),
            fmt_dec(t.amount, t.scale),
            t.lines.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]));
    }
    for (u, q) in &r.quantities {
        rows.push(row([
            "quantity".into(),
            u.clone(),
            String::new(),
            q.normalize().to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]));
    }
    rows.extend(quantities::csv_rows(&r.quantity_totals, header.len()));
    for c in &r.stats {
        rows.push(row([
            "cost_per_referral".into(),
            String::new(),
            c.currency.to_string(),
            opt(c.cost_per_referral, c.scale),
            c.reward_lines.to_string(),
            c.rewarded_referrals.to_string(),
            String::new(),
            String::new(),
            String::new(),
        ]));
    }
    for l in &r.leaders {
        rows.push(row([
            "top_referrer".into(),
            l.id.clone(),
            l.currency.to_string(),
            fmt_dec(l.owed, l.scale),
            String::new(),
            l.referrals.to_string(),
            l.rank.to_string(),
            String::new(),
            String::new(),
        ]));
    }
    for s in &r.funnel {
        rows.push(row([
            "funnel".into(),
            s.milestone.clone(),
            String::new(),
            String::new(),
            String::new(),
            s.referrals.to_string(),
            String::new(),
            s.of_records.map(|p| fmt_dec(p, 2)).unwrap_or_default(),
            s.median_days.map(|d| fmt_dec(d, 2)).unwrap_or_default(),
        ]));
    }
    csv(&header, &rows)
}

fn render_json(r: &Report) -> String {
    let mut groups: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    for t in &r.totals {
        groups.entry(t.group).or_default().push(json!({
            "key": t.key,
            "currency": t.currency.to_string(),
            "amount": fmt_dec(t.amount, t.scale),
            "lines": t.lines,
        }));
    }
    json_text(&json!({
        "program": {"name": r.program.0, "version": r.program.1},
        "as_of": r.as_of.to_string(),
        "records": r.records,
        "rewarded": r.rewarded,
        "lines": r.lines,
        "totals": groups,
        "quantities": r.quantities.iter()
            .map(|(k, v)| (k.clone(), json!(v.normalize().to_string())))
            .collect::<serde_json::Map<_, _>>(),
        "quantity_totals": quantities::json(&r.quantity_totals),
        "cost": r.stats.iter().map(|c| json!({
            "currency": c.currency.to_string(),
            "owed": fmt_dec(c.owed, c.scale),
            "rewarded_referrals": c.rewarded_referrals,
            "recipients": c.recipients,
            "cost_per_referral": c.cost_per_referral.map(|x| fmt_dec(x, c.scale)),
            "average_reward": c.average_reward.map(|x| fmt_dec(x, c.scale)),
            "largest_reward": c.largest_reward.map(|x| fmt_dec(x, c.scale)),
            "budget": c.budget.map(|b| fmt_dec(b.0, c.scale)),
            "budget_used": c.budget.map(|b| fmt_dec(b.1, c.scale)),
        })).collect::<Vec<_>>(),
        "top_referrers": r.leaders.iter().map(|l| json!({
            "currency": l.currency.to_string(),
            "rank": l.rank,
            "id": l.id,
            "owed": fmt_dec(l.owed, l.scale),
            "referrals": l.referrals,
        })).collect::<Vec<_>>(),
        "funnel": r.funnel.iter().map(|s| json!({
            "milestone": s.milestone,
            "referrals": s.referrals,
            "percent_of_records": s.of_records.map(|p| fmt_dec(p, 2)),
            "percent_of_widest": s.of_first.map(|p| fmt_dec(p, 2)),
            "percent_of_previous": s.of_previous.map(|p| fmt_dec(p, 2)),
            "median_days_from_previous": s.median_days.map(|d| fmt_dec(d, 2)),
        })).collect::<Vec<_>>(),
    }))
}
