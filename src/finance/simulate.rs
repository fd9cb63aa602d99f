//! `merit simulate`: one program, several scenarios (sets of parameter overrides), the same
//! records; one row per scenario and currency.

use super::metrics::{currency_stats, owed_quantities, CurrencyStats, STATUSES};
use super::{csv, fmt_dec, json_text, table};
use crate::eval::{evaluate_str, Options};
use crate::ledger::Status;
use crate::program::Program;
use crate::records::RecordProblem;
use crate::scenario::{apply, Override, Scenario, ScenarioError};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;

/// The outcome of one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioResult {
    /// Its name.
    pub name: String,
    /// Its overrides.
    pub set: Vec<Override>,
    /// Records read.
    pub records: u64,
    /// Records that earned at least one line (any status).
    pub rewarded: u64,
    /// Figures per currency.
    pub stats: Vec<CurrencyStats>,
    /// Owed non-money rewards.
    pub quantities: BTreeMap<String, Decimal>,
    /// Records that could not be judged.
    pub problems: Vec<RecordProblem>,
}

/// Why a simulation stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// A scenario's override was refused.
    #[error("scenario `{0}`: {1}")]
    Scenario(String, #[source] ScenarioError),
    /// The records could not be read.
    #[error("reading records: {0}")]
    Io(#[source] std::io::Error),
    /// A scenario's figures pass the range of exact decimals.
    #[error("scenario `{0}`: {msg}", msg = .1.message)]
    Totals(String, crate::eval::EvalError),
}

/// Runs every scenario over the same records. Every scenario's overrides are checked before
/// any record is evaluated.
pub fn simulate(
    program: &Program,
    records: &str,
    scenarios: &[Scenario],
    opts: &Options,
) -> Result<Vec<ScenarioResult>, SimulateError> {
    let mut programs = Vec::with_capacity(scenarios.len());
    for s in scenarios {
        let p = apply(program, &s.set).map_err(|e| SimulateError::Scenario(s.name.clone(), e))?;
        programs.push((s, p));
    }
    let mut out = Vec::with_capacity(programs.len());
    for (s, p) in programs {
        let ledger = evaluate_str(&p, records, opts)
            .map_err(SimulateError::Io)?
            .ledger;
        let totals = |e| SimulateError::Totals(s.name.clone(), e);
        out.push(ScenarioResult {
            name: s.name.clone(),
            set: s.set.clone(),
            records: ledger.summary.records,
            rewarded: ledger.summary.rewarded,
            stats: currency_stats(&ledger.lines, &p.budgets).map_err(totals)?,
            quantities: owed_quantities(&ledger.lines).map_err(totals)?,
            problems: ledger.problems,
        });
    }
    Ok(out)
}

/// Output formats of `merit simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimFormat {
    /// Aligned columns.
    Table,
    /// One row per scenario and currency, with a header row.
    Csv,
    /// One JSON document.
    Json,
}

/// The statuses that occur in any scenario, in output order.
fn statuses(results: &[ScenarioResult]) -> Vec<Status> {
    STATUSES
        .into_iter()
        .filter(|s| {
            results
                .iter()
                .any(|r| r.stats.iter().any(|c| c.by_status.contains_key(s)))
        })
        .collect()
}

fn opt(d: Option<Decimal>, scale: u32) -> String {
    d.map(|x| fmt_dec(x, scale)).unwrap_or_else(|| "-".into())
}

fn budget_text(c: &CurrencyStats) -> String {
    match c.budget {
        Some((total, used)) => {
            let pct = used
                .checked_mul(Decimal::ONE_HUNDRED)
                .and_then(|x| x.checked_div(total))
                .map(|p| format!(" ({}%)", fmt_dec(p, 1)))
                .unwrap_or_default();
            format!(
                "{} of {}{pct}",
                fmt_dec(used, c.scale),
                fmt_dec(total, c.scale)
            )
        }
        None => "-".into(),
    }
}

/// Renders the results.
pub fn render(
    program: &Program,
    as_of: chrono::NaiveDate,
    results: &[ScenarioResult],
    format: SimFormat,
) -> String {
    let sts = statuses(results);
    let has_budget = !program.budgets.is_empty();
    match format {
        SimFormat::Json => render_json(program, as_of, results, &sts),
        SimFormat::Csv => {
            let mut header = vec!["scenario", "overrides", "currency", "owed"];
            header.extend(sts.iter().map(|s| s.as_str()));
            header.extend([
                "rewarded_referrals",
                "recipients",
                "reward_lines",
                "average_reward",
                "largest_reward",
                "budget",
                "budget_used",
                "cost_per_referral",
            ]);
            let mut rows = Vec::new();
            for r in results {
                let set = overrides_text(&r.set);
                for c in &r.stats {
                    let mut row = vec![
                        r.name.clone(),
                        set.clone(),
                        c.currency.to_string(),
                        fmt_dec(c.owed, c.scale),
                    ];
                    for s in &sts {
                        let v = c.by_status.get(s).map(|x| x.0).unwrap_or_default();
                        row.push(fmt_dec(v, c.scale));
                    }
                    row.extend([
                        c.rewarded_referrals.to_string(),
                        c.recipients.to_string(),
                        c.reward_lines.to_string(),
                        c.average_reward
                            .map(|x| fmt_dec(x, c.scale))
                            .unwrap_or_default(),
                        c.largest_reward
                            .map(|x| fmt_dec(x, c.scale))
                            .unwrap_or_default(),
                        c.budget.map(|b| fmt_dec(b.0, c.scale)).unwrap_or_default(),
                        c.budget.map(|b| fmt_dec(b.1, c.scale)).unwrap_or_default(),
                        c.cost_per_referral
                            .map(|x| fmt_dec(x, c.scale))
                            .unwrap_or_default(),
                    ]);
                    rows.push(row);
                }
                // Points, discounts and perks: their unit in the currency column, the owed
                // quantity, and nothing else (they have no money figures).
                for (unit, q) in &r.quantities {
                    let mut row = vec![
                        r.name.clone(),
                        set.clone(),
                        unit.clone(),
                        q.normalize().to_string(),
                    ];
                    row.resize(header.len(), String::new());
                    rows.push(row);
                }
            }
            csv(&header, &rows)
        }
        SimFormat::Table => {
            let mut header = vec!["scenario", "currency", "owed"];
            header.extend(sts.iter().map(|s| s.as_str()));
            header.extend(["referrals", "recipients", "average", "largest"]);
            if has_budget {
                header.push("budget used");
            }
            header.push("cost/referral");
            let right: Vec<usize> = (2..header.len()).collect();
            let mut rows = Vec::new();
            for r in results {
                if r.stats.is_empty() {
                    let mut row = vec![r.name.clone(), "-".into()];
                    row.resize(header.len(), "-".into());
                    rows.push(row);
                }
                for c in &r.stats {
                    let mut row = vec![
                        r.name.clone(),
                        c.currency.to_string(),
                        fmt_dec(c.owed, c.scale),
                    ];
                    for s in &sts {
                        let v = c.by_status.get(s).map(|x| x.0).unwrap_or_default();
                        row.push(fmt_dec(v, c.scale));
                    }
                    row.extend([
                        c.rewarded_referrals.to_string(),
                        c.recipients.to_string(),
                        opt(c.average_reward, c.scale),
                        opt(c.largest_reward, c.scale),
                    ]);
                    if has_budget {
                        row.push(budget_text(c));
                    }
                    row.push(opt(c.cost_per_referral, c.scale));
                    rows.push(row);
                }
            }
            let records = results.first().map(|r| r.records).unwrap_or(0);
            let mut out = format!(
                "{} {}: {records} records, as of {as_of}, {} scenarios\n",
                program.name,
                program.version,
                results.len()
            );
            out.push_str(&table(&header, &rows, &right));
            let units: Vec<&String> = {
                let mut u: Vec<&String> =
                    results.iter().flat_map(|r| r.quantities.keys()).collect();
                u.sort();
                u.dedup();
                u
            };
            if !units.is_empty() {
                let mut h = vec!["scenario"];
                h.extend(units.iter().map(|u| u.as_str()));
                let qrows: Vec<Vec<String>> = results
                    .iter()
                    .map(|r| {
                        let mut row = vec![r.name.clone()];
                        for u in &units {
                            let q = r.quantities.get(*u).copied().unwrap_or_default();
                            row.push(q.normalize().to_string());
                        }
                        row
                    })
                    .collect();
                out.push_str("\nowed besides money\n");
                let right: Vec<usize> = (1..h.len()).collect();
                out.push_str(&table(&h, &qrows, &right));
            }
            out.push_str("\nscenarios\n");
            for r in results {
                let set = if r.set.is_empty() {
                    "the program as written".to_string()
                } else {
                    overrides_text(&r.set)
                };
                out.push_str(&format!("  {}: {set}\n", r.name));
            }
            out
        }
    }
}

fn overrides_text(set: &[Override]) -> String {
    set.iter()
        .map(|o| o.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

fn render_json(
    program: &Program,
    as_of: chrono::NaiveDate,
    results: &[ScenarioResult],
    sts: &[Status],
) -> String {
    let scenarios: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            let currencies: Vec<serde_json::Value> = r
                .stats
                .iter()
                .map(|c| {
                    let by_status: serde_json::Map<String, serde_json::Value> = sts
                        .iter()
                        .filter_map(|s| {
                            c.by_status.get(s).map(|(a, n)| {
                                (
                                    s.as_str().to_string(),
                                    json!({"amount": fmt_dec(*a, c.scale), "lines": n}),
                                )
                            })
                        })
                        .collect();
                    json!({
                        "currency": c.currency.to_string(),
                        "owed": fmt_dec(c.owed, c.scale),
                        "by_status": by_status,
                        "rewarded_referrals": c.rewarded_referrals,
                        "recipients": c.recipients,
                        "reward_lines": c.reward_lines,
                        "average_reward": c.average_reward.map(|x| fmt_dec(x, c.scale)),
                        "largest_reward": c.largest_reward.map(|x| fmt_dec(x, c.scale)),
                        "budget": c.budget.map(|b| fmt_dec(b.0, c.scale)),
                        "budget_used": c.budget.map(|b| fmt_dec(b.1, c.scale)),
                        "cost_per_referral": c.cost_per_referral.map(|x| fmt_dec(x, c.scale)),
                    })
                })
                .collect();
            let set: serde_json::Map<String, serde_json::Value> = r
                .set
                .iter()
                .map(|o| (o.name.clone(), json!(o.value)))
                .collect();
            json!({
                "name": r.name,
                "set": set,
                "records": r.records,
                "rewarded": r.rewarded,
                "problems": r.problems.len(),
                "currencies": currencies,
                "quantities": r.quantities.iter()
                    .map(|(k, v)| (k.clone(), json!(v.normalize().to_string())))
                    .collect::<serde_json::Map<_, _>>(),
            })
        })
        .collect();
    json_text(&json!({
        "program": {"name": program.name, "version": program.version},
        "as_of": as_of.to_string(),
        "scenarios": scenarios,
    }))
}
