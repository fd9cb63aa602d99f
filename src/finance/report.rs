//! `merit report`: totals, a leaderboard and a funnel from a ledger.
//!
//! What the ledger alone supports (and so what this computes):
//! - owed totals by currency, rule, recipient, and month and quarter of `earned_at` (the date
//!   as written in the ledger, i.e. in the offset of the time the milestone was reached), and
//!   totals of every line by status;
//! - top referrers per currency: by owed amount, then by number of rewarded referrals;
//! - the funnel per milestone: how many referrals reached each milestone *that earned a
//!   line*, as a share of the records read and of the widest step, and the median days
//!   between consecutive steps (earliest `earned_at` of each milestone, same record);
//! - cost per acquired customer: owed / rewarded referrals, per currency.
//!
//! What needs the records (run `merit run` / `merit explain` for it): milestones that no
//! reward pays for, referrals that reached a milestone but earned no line (not eligible,
//! rejected, lapsed), and the time from the referral's creation to its first milestone.
//!
//! This file computes the [`Report`]; [`render()`] (in `report/render.rs`) shows it as text, CSV
//! or JSON.

mod render;

pub use render::{render, ReportFormat};

use super::metrics::{currency_stats, is_reward, owed_quantities, CurrencyStats, STATUSES};
use crate::eval::EvalError;
use crate::ledger::{add_to, Ledger, Line};
use crate::money::{Currency, Money};
use chrono::Datelike;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A total of one group in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTotal {
    /// `currency`, `status`, `rule`, `recipient`, `month` or `quarter`.
    pub group: &'static str,
    /// The group's key (`2025-03`, `referrer:K-1`, ...).
    pub key: String,
    /// Currency.
    pub currency: Currency,
    /// Digits shown.
    pub scale: u32,
    /// Sum.
    pub amount: Decimal,
    /// Lines.
    pub lines: u64,
}

/// A referrer on the leaderboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leader {
    /// Rank within the currency (1 = first).
    pub rank: usize,
    /// Currency.
    pub currency: Currency,
    /// Digits shown.
    pub scale: u32,
    /// The referrer's id.
    pub id: String,
    /// Owed to them.
    pub owed: Decimal,
    /// Distinct records that rewarded them.
    pub referrals: u64,
}

/// One step of the funnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelStep {
    /// The milestone.
    pub milestone: String,
    /// Referrals with a line earned at it.
    pub referrals: u64,
    /// Percent of the records read (when the ledger says how many).
    pub of_records: Option<Decimal>,
    /// Percent of the widest step.
    pub of_first: Option<Decimal>,
    /// Percent of the step before it: the conversion from one milestone to the next.
    pub of_previous: Option<Decimal>,
    /// Median days since the previous step, over referrals that reached both.
    pub median_days: Option<Decimal>,
}

/// Everything `merit report` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Program name and version (empty when the ledger does not say).
    pub program: (String, String),
    /// The ledger's date.
    pub as_of: chrono::NaiveDate,
    /// Records read, when the ledger has its summary.
    pub records: Option<u64>,
    /// Distinct records with at least one line.
    pub rewarded: u64,
    /// Lines.
    pub lines: u64,
    /// Totals (owed; `status` totals count every line).
    pub totals: Vec<GroupTotal>,
    /// Owed non-money rewards.
    pub quantities: BTreeMap<String, Decimal>,
    /// Non-money rewards by status, rule, recipient, month and quarter.
    pub quantity_totals: Vec<super::quantities::QuantityTotal>,
    /// Top referrers per currency.
    pub leaders: Vec<Leader>,
    /// The funnel, widest step first.
    pub funnel: Vec<FunnelStep>,
    /// The funnel counts every eligible referral that reached each milestone (from the
    /// records), not only those whose milestone earned a line (from a ledger).
    pub funnel_exact: bool,
    /// Per-currency figures (cost per acquired customer, averages, budget).
    pub stats: Vec<CurrencyStats>,
}

fn pct(part: u64, whole: u64) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    Decimal::from(part)
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(Decimal::from(whole))
}

fn median(mut xs: Vec<Decimal>) -> Option<Decimal> {
    xs.sort();
    let n = xs.len();
    if n == 0 {
        return None;
    }
    // The middle one, or the two middle ones of an even count.
    let (below, from_mid) = xs.split_at_checked(n / 2)?;
    let mid = *from_mid.first()?;
    if n % 2 == 1 {
        Some(mid)
    } else {
        let lo = *below.last()?;
        lo.checked_add(mid)?.checked_div(Decimal::TWO)
    }
}

/// Replaces the funnel's counts with exact ones from an evaluation's coverage: for every
/// milestone, how many eligible referrals reached it, whether or not a reward paid for it.
/// Median days between steps still come from the ledger's lines.
pub fn with_reached(
    report: &mut Report,
    reached: &BTreeMap<String, crate::eval::coverage::Branches>,
    records: Option<u64>,
) {
    for (name, b) in reached {
        match report.funnel.iter_mut().find(|s| s.milestone == *name) {
            Some(step) => step.referrals = b.hit,
            None => report.funnel.push(FunnelStep {
                milestone: name.clone(),
                referrals: b.hit,
                of_records: None,
                of_first: None,
                of_previous: None,
                median_days: None,
            }),
        }
    }
    report.funnel_exact = true;
    report.funnel.sort_by(|a, b| {
        b.referrals
            .cmp(&a.referrals)
            .then(a.milestone.cmp(&b.milestone))
    });
    let widest = report.funnel.first().map(|s| s.referrals).unwrap_or(0);
    for s in &mut report.funnel {
        s.of_records = records.and_then(|r| pct(s.referrals, r));
        s.of_first = pct(s.referrals, widest);
    }
    step_conversion(&mut report.funnel);
}

/// Each step as a percentage of the one before it (none for the first).
fn step_conversion(steps: &mut [FunnelStep]) {
    let mut prev: Option<u64> = None;
    for s in steps {
        s.of_previous = prev.and_then(|p| pct(s.referrals, p));
        prev = Some(s.referrals);
    }
}

/// Builds the report. `records` is the number of records read, when known; `budget` the
/// program's budget, when known; `top` how many referrers per currency.
pub fn report(
    ledger: &Ledger,
    records: Option<u64>,
    budgets: &[Money],
    top: usize,
) -> Result<Report, EvalError> {
    let lines = &ledger.lines;
    let mut totals: BTreeMap<(usize, String, Currency), (Decimal, u32, u64)> = BTreeMap::new();
    const GROUPS: [&str; 6] = [
        "currency",
        "status",
        "rule",
        "recipient",
        "month",
        "quarter",
    ];
    let mut add = |g: usize, key: String, (a, s): (Decimal, u32), c: Currency, l: &Line| {
        let e = totals.entry((g, key, c)).or_insert((Decimal::ZERO, s, 0));
        e.1 = e.1.max(s);
        e.2 = e.2.saturating_add(1);
        add_to(&mut e.0, a, l)
    };
    for l in lines {
        let (Some(a), Some(c)) = (l.amount, l.currency) else {
            continue;
        };
        add(1, l.status.as_str().to_string(), a, c, l)?;
        if !l.status.counts_as_owed() {
            continue;
        }
        let d = l.earned_at.date_naive();
        add(0, c.to_string(), a, c, l)?;
        add(2, l.rule.to_string(), a, c, l)?;
        let who = format!("{}:{}", l.recipient.role, l.recipient.id);
        add(3, who, a, c, l)?;
        add(4, format!("{:04}-{:02}", d.year(), d.month()), a, c, l)?;
        let (q, _) = crate::time::quarter(d);
        add(5, format!("{:04}-Q{q}", d.year()), a, c, l)?;
    }
    // Statuses in their usual order rather than alphabetically.
    let status_rank = |k: &str| STATUSES.iter().position(|s| s.as_str() == k).unwrap_or(99);
    let mut totals: Vec<GroupTotal> = totals
        .into_iter()
        .map(|((g, key, currency), (amount, scale, n))| GroupTotal {
            group: GROUPS.get(g).copied().unwrap_or(""),
            key,
            currency,
            scale,
            amount,
            lines: n,
        })
        .collect();
    totals.sort_by(|a, b| {
        let ga = GROUPS.iter().position(|g| *g == a.group);
        let gb = GROUPS.iter().position(|g| *g == b.group);
        let ka = if a.group == "status" {
            status_rank(&a.key)
        } else {
            0
        };
        let kb = if b.group == "status" {
            status_rank(&b.key)
        } else {
            0
        };
        (ga, ka, &a.key, a.currency).cmp(&(gb, kb, &b.key, b.currency))
    });
    let rewarded = lines
        .iter()
        .map(|l| &*l.record_id)
        .collect::<BTreeSet<_>>()
        .len() as u64;
    Ok(Report {
        program: (ledger.program.name.clone(), ledger.program.version.clone()),
        as_of: ledger.as_of,
        records,
        rewarded,
        lines: lines.len() as u64,
        totals,
        quantities: owed_quantities(lines)?,
        quantity_totals: super::quantities::totals(lines)?,
        leaders: leaders(lines, top)?,
        funnel: funnel(lines, records),
        funnel_exact: false,
        stats: currency_stats(lines, budgets)?,
    })
}

fn leaders(lines: &[Line], top: usize) -> Result<Vec<Leader>, EvalError> {
    type Acc<'a> = (Decimal, u32, BTreeSet<&'a str>);
    let mut by: BTreeMap<(Currency, &str), Acc> = BTreeMap::new();
    for l in lines.iter().filter(|l| &*l.recipient.role == "referrer") {
        let (Some((a, s)), Some(c)) = (l.amount, l.currency) else {
            continue;
        };
        if !l.status.counts_as_owed() {
            continue;
        }
        let e = by
            .entry((c, &l.recipient.id))
            .or_insert((Decimal::ZERO, s, BTreeSet::new()));
        add_to(&mut e.0, a, l)?;
        e.1 = e.1.max(s);
        if is_reward(l) {
            e.2.insert(&l.record_id);
        }
    }
    let mut per: BTreeMap<Currency, Vec<Leader>> = BTreeMap::new();
    for ((c, id), (owed, scale, recs)) in by {
        per.entry(c).or_default().push(Leader {
            rank: 0,
            currency: c,
            scale,
            id: id.to_string(),
            owed,
            referrals: recs.len() as u64,
        });
    }
    let mut out = Vec::new();
    for (_, mut v) in per {
        v.sort_by(|a, b| {
            b.owed
                .cmp(&a.owed)
                .then(b.referrals.cmp(&a.referrals))
                .then(a.id.cmp(&b.id))
        });
        for (rank, mut l) in (1..).zip(v.into_iter().take(top)) {
            l.rank = rank;
            out.push(l);
        }
    }
    Ok(out)
}

fn funnel(lines: &[Line], records: Option<u64>) -> Vec<FunnelStep> {
    // Earliest earned time per milestone and record.
    let mut first: BTreeMap<&str, HashMap<&str, crate::time::Instant>> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.reverses.is_none()) {
        let e = first.entry(&l.milestone).or_default();
        let t = e.entry(&l.record_id).or_insert(l.earned_at);
        if l.earned_at < *t {
            *t = l.earned_at;
        }
    }
    let mut steps: Vec<(&str, &HashMap<&str, crate::time::Instant>)> =
        first.iter().map(|(m, r)| (*m, r)).collect();
    steps.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let widest = steps.first().map(|s| s.1.len() as u64).unwrap_or(0);
    let mut out = Vec::new();
    let mut prev: Option<&HashMap<&str, crate::time::Instant>> = None;
    for (m, recs) in &steps {
        let n = recs.len() as u64;
        let median_days = prev.and_then(|p| {
            let days: Vec<Decimal> = recs
                .iter()
                .filter_map(|(r, t)| {
                    let before = p.get(r)?;
                    let secs = t.signed_duration_since(*before).num_seconds();
                    Decimal::from(secs).checked_div(Decimal::from(86_400))
                })
                .collect();
            median(days)
        });
        out.push(FunnelStep {
            milestone: m.to_string(),
            referrals: n,
            of_records: records.and_then(|r| pct(n, r)),
            of_first: pct(n, widest),
            of_previous: None,
            median_days,
        });
        prev = Some(recs);
    }
    step_conversion(&mut out);
    out
}
