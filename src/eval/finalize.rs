//! The cross-record pass. Candidates from every record are processed in one order, earned time
//! then record id then rule, so the result never depends on input order: duplicates resolved,
//! counts taken (count tiers, every Nth), bonuses applied, each amount rounded once, caps and
//! the budget applied with partial awards, statuses set as of the run's date, clawbacks added,
//! and the minimum payout enforced.

use super::judge::{pick_band, Base, Candidate, Fate, Judged, Outcome};
use super::Options;
use crate::ledger::{
    summarize, Explanation, Facts, Ledger, Line, ProgramRef, RecipientRef, Status, Summary,
};
use crate::money::{round, Money, Rounding};
use crate::program::*;
use crate::records::RecordProblem;
use crate::time::{local_date, Instant, Period};
use crate::value::{ordinal, Value};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

/// The trace and outcome of the explained record.
#[derive(Debug, Clone, Default)]
pub struct Explained {
    /// Step by step.
    pub steps: Vec<String>,
    /// Eligible, not eligible (why) or rejected (why).
    pub outcome: String,
    /// Milestones whose deadline passed unreached.
    pub lapsed: Vec<String>,
}

/// Counts occurrences per recipient and period.
/// A count's key: reward, counter (0 tiers, 1 nth), recipient role and id, and period.
type PeriodKey = (usize, u8, Arc<str>, Arc<str>, i64);
/// A rolling count's key: reward, counter, recipient role and id.
type RollingKey = (usize, u8, Arc<str>, Arc<str>);
/// Where a line sorts: earned time, record, reward, occurrence, and whether it is a clawback.
type LineOrder = (Instant, Arc<str>, usize, u32, bool);

#[derive(Default)]
struct Counter {
    calendar: HashMap<PeriodKey, u64>,
    rolling: HashMap<RollingKey, VecDeque<Instant>>,
}

impl Counter {
    /// The position (1-based) of an occurrence in its period. Only occurrences that `count`
    /// advance the tally; a forfeited one is placed after them without taking a place.
    fn next(
        &mut self,
        tag: (usize, u8),
        c: &Candidate,
        period: Period,
        tz: chrono_tz::Tz,
        count: bool,
    ) -> u64 {
        match period {
            Period::Rolling(d) => {
                let q = self
                    .rolling
                    .entry((tag.0, tag.1, c.role.clone(), c.recipient.clone()))
                    .or_default();
                let start = crate::time::sub(&c.earned_at, d, tz);
                while q.front().is_some_and(|t| start.is_some_and(|s| *t <= s)) {
                    q.pop_front();
                }
                if count {
                    q.push_back(c.earned_at);
                    q.len() as u64
                } else {
                    q.len() as u64 + 1
                }
            }
            p => {
                let key = p.key(local_date(&c.earned_at, tz));
                let n = self
                    .calendar
                    .entry((tag.0, tag.1, c.role.clone(), c.recipient.clone(), key))
                    .or_default();
                if count {
                    *n += 1;
                    *n
                } else {
                    *n + 1
                }
            }
        }
    }
}

/// Builds the ledger from judged records.
pub(crate) fn finalize(
    program: &Program,
    mut judged: Vec<Judged>,
    mut problems: Vec<RecordProblem>,
    records_read: u64,
    opts: &Options,
) -> (Ledger, Option<Explained>, Option<super::Coverage>) {
    let tz = program.tz;
    // 1. Duplicate record ids: every occurrence is a problem (no input order decides a winner).
    // Records that could not be judged but whose id was read count too: the other copy of
    // their id must not be paid as if it were unique.
    let mut lines_by_id: HashMap<Arc<str>, BTreeSet<u64>> = HashMap::new();
    for j in &judged {
        lines_by_id.entry(j.id.clone()).or_default().insert(j.line);
    }
    for p in &problems {
        if let Some(id) = &p.record_id {
            lines_by_id
                .entry(Arc::from(id.as_str()))
                .or_default()
                .insert(p.line);
        }
    }
    let duplicate_id = |id: &Arc<str>, line: u64| -> Option<RecordProblem> {
        let lines = lines_by_id.get(id).filter(|l| l.len() > 1)?;
        let list: Vec<String> = lines.iter().map(u64::to_string).collect();
        Some(RecordProblem {
            line,
            record_id: Some(id.to_string()),
            field: Some("id".into()),
            message: format!("the record id appears on lines {}", list.join(", ")),
        })
    };
    let mut dup_problems: Vec<RecordProblem> = problems
        .iter()
        .filter_map(|p| {
            let id = Arc::from(p.record_id.as_deref()?);
            duplicate_id(&id, p.line)
        })
        .collect();
    judged.retain(|j| match duplicate_id(&j.id, j.line) {
        Some(p) => {
            dup_problems.push(p);
            false
        }
        None => true,
    });
    problems.append(&mut dup_problems);
    // 2. Duplicate referees: first (or last) referral wins, by creation time then id.
    if let Some(rule) = &program.duplicates {
        let mut winners: HashMap<String, (Instant, Arc<str>)> = HashMap::new();
        for j in judged.iter().filter(|j| j.outcome == Outcome::Eligible) {
            let Some(k) = &j.dup_key else { continue };
            let cand = (j.created_at, j.id.clone());
            winners
                .entry(k.clone())
                .and_modify(|w| {
                    let better = if rule.keep_first {
                        cand < *w
                    } else {
                        cand > *w
                    };
                    if better {
                        *w = cand.clone();
                    }
                })
                .or_insert(cand);
        }
        for j in judged.iter_mut().filter(|j| j.outcome == Outcome::Eligible) {
            let Some(k) = &j.dup_key else { continue };
            if let Some((_, w)) = winners.get(k) {
                if *w != j.id {
                    let which = if rule.keep_first { "first" } else { "last" };
                    j.outcome = Outcome::Rejected(format!(
                        "duplicate: {} {k} was also referred in {w}, and the {which} referral wins",
                        rule.key_path
                    ));
                    j.candidates.clear();
                }
            }
        }
    }
    let mut summary = Summary {
        records: records_read,
        ..Summary::default()
    };
    let mut explained = None;
    let mut candidates = Vec::new();
    let mut coverage = opts.coverage.then(super::Coverage::default);
    for j in &mut judged {
        if let (Some(total), Some(c)) = (&mut coverage, &j.coverage) {
            total.merge(c);
        }
        match &j.outcome {
            Outcome::Eligible => summary.eligible += 1,
            Outcome::NotEligible(_) => summary.not_eligible += 1,
            Outcome::Rejected(_) => summary.rejected += 1,
        }
        if j.outcome == Outcome::Eligible && !j.lapsed.is_empty() {
            summary.lapsed += 1;
        }
        if opts.explain.as_deref() == Some(&*j.id) {
            explained = Some(Explained {
                steps: j.trace.take().unwrap_or_default(),
                outcome: match &j.outcome {
                    Outcome::Eligible => "eligible".to_string(),
                    Outcome::NotEligible(r) | Outcome::Rejected(r) => r.clone(),
                },
                lapsed: j.lapsed.clone(),
            });
        }
        candidates.append(&mut j.candidates);
    }
    drop(judged);
    candidates.sort_by(|a, b| {
        (a.earned_at, &a.record_id, a.reward, a.occurrence).cmp(&(
            b.earned_at,
            &b.record_id,
            b.reward,
            b.occurrence,
        ))
    });
    // Retroactive count tiers need each period's final count first.
    let mut totals: HashMap<PeriodKey, u64> = HashMap::new();
    for c in &candidates {
        if let Some(RewardDef {
            amount:
                AmountDef::CountTiers {
                    period,
                    retroactive: true,
                    ..
                },
            ..
        }) = program.rewards.get(c.reward)
        {
            if matches!(c.fate, Fate::Forfeited(_)) {
                continue;
            }
            let key = period.key(local_date(&c.earned_at, tz));
            *totals
                .entry((c.reward, 0, c.role.clone(), c.recipient.clone(), key))
                .or_default() += 1;
        }
    }
    let mut counter = Counter::default();
    let mut caps: HashMap<(usize, usize, String, i64), (Decimal, u64)> = HashMap::new();
    let mut budget_used: BTreeMap<crate::money::Currency, Decimal> = BTreeMap::new();
    let mut lines: Vec<(Line, LineOrder)> = Vec::new();
    let mut rewarded: std::collections::HashSet<Arc<str>> = Default::default();
    for mut c in candidates {
        let Some(reward) = program.rewards.get(c.reward) else {
            continue;
        };
        let mut facts = std::mem::take(&mut c.facts);
        let mut steps = std::mem::take(&mut c.steps);
        // A forfeited line takes no place in counts, caps or the budget.
        let consumes = !matches!(c.fate, Fate::Forfeited(_));
        if let Some(nth) = &reward.nth {
            let n = counter.next((c.reward, 1), &c, nth.period, tz, consumes);
            let hit = if nth.every {
                n % u64::from(nth.n.max(1)) == 0
            } else {
                n == u64::from(nth.n)
            };
            if !hit {
                continue;
            }
            facts.push(
                "count",
                format!(
                    "{} referral ({})",
                    ordinal(n),
                    nth.period.label(local_date(&c.earned_at, tz))
                ),
            );
            steps.push(format!("the {} referral of the period", ordinal(n)));
        }
        let base = match &c.base {
            Base::Value(v) => v.clone(),
            Base::Perk(_) | Base::NoBand => Value::Number(Decimal::ONE),
            Base::ByCount(vals) => {
                let AmountDef::CountTiers {
                    period,
                    retroactive,
                    bands,
                } = &reward.amount
                else {
                    continue;
                };
                let n = counter.next((c.reward, 0), &c, *period, tz, consumes);
                let label = period.label(local_date(&c.earned_at, tz));
                let counted = if *retroactive {
                    let key = period.key(local_date(&c.earned_at, tz));
                    totals
                        .get(&(c.reward, 0, c.role.clone(), c.recipient.clone(), key))
                        .copied()
                        .unwrap_or(n)
                } else {
                    n
                };
                let measure = Value::Number(Decimal::from(counted));
                let Ok(Some(band)) = pick_band(&measure, bands) else {
                    continue;
                };
                let idx = bands
                    .iter()
                    .position(|b| std::ptr::eq(b, band))
                    .unwrap_or(0);
                c.tier = Some(band.label.clone());
                facts.push("count", format!("{} referral ({label})", ordinal(n)));
                if *retroactive {
                    facts.push("period total", format!("{counted} referrals ({label})"));
                    steps.push(format!(
                        "{counted} referrals in {label} reach band `{}` (retroactive)",
                        band.label
                    ));
                } else {
                    steps.push(format!(
                        "the {} referral in {label} falls in band `{}`",
                        ordinal(n),
                        band.label
                    ));
                }
                facts.push("band", band.label.clone());
                let Some(v) = vals.get(idx) else { continue };
                match v {
                    Value::Number(x) if reward.kind.is_money() => Value::Money(Money {
                        amount: *x,
                        currency: program.currency,
                    }),
                    other => other.clone(),
                }
            }
        };
        // Bonuses.
        let mut value = base;
        let mut failed = false;
        for (m, text) in &c.multipliers {
            match super::expr::arith(
                crate::syntax::ast::BinaryOp::Mul,
                value.clone(),
                Value::Number(*m),
                tz,
            ) {
                Ok(v) => value = v,
                Err(e) => {
                    problems.push(line_problem(&c, format!("{text}: {}", e.message)));
                    failed = true;
                }
            }
            steps.push(text.clone());
            facts.push("bonus", text.clone());
        }
        for (f, text) in &c.fixed {
            match super::expr::arith(
                crate::syntax::ast::BinaryOp::Add,
                value.clone(),
                f.clone(),
                tz,
            ) {
                Ok(v) => value = v,
                Err(e) => {
                    problems.push(line_problem(&c, format!("{text}: {}", e.message)));
                    failed = true;
                }
            }
            steps.push(text.clone());
            facts.push("bonus", text.clone());
        }
        if failed {
            continue;
        }
        // Round once, then caps and budget.
        let (mut amount, currency, mut quantity, unit) = match (&c.base, &value, reward.kind) {
            (Base::Perk(p), _, _) => (None, None, Some(Decimal::ONE), Some(p.clone())),
            (_, Value::Money(m), k) if k.is_money() => {
                let r = round(m.amount, m.currency, &program.rounding);
                if r != m.amount {
                    facts.push("unrounded", m.amount.normalize().to_string());
                }
                (Some(r), Some(m.currency), None, None)
            }
            (_, Value::Number(n), RewardKind::Points) => {
                let r = Rounding {
                    mode: program.rounding.mode,
                    scale: Some(0),
                };
                let q = round(*n, program.currency, &r);
                (None, None, Some(q), Some("points".to_string()))
            }
            (_, Value::Percent(p), RewardKind::Discount) => {
                (None, None, Some(*p), Some("percent".to_string()))
            }
            (_, v, k) => {
                problems.push(line_problem(
                    &c,
                    format!("a {} reward cannot pay {v}", k.name()),
                ));
                continue;
            }
        };
        // Like record amounts, a line stays below 10^18 so totals can never overflow.
        if let Some(big) = amount
            .or(quantity)
            .filter(|a| a.abs() >= crate::records::MAX_MAGNITUDE)
        {
            problems.push(line_problem(
                &c,
                format!(
                    "`{}` would pay {big}, beyond the largest amount merit pays (10^18)",
                    reward.name
                ),
            ));
            continue;
        }
        let earned_day = local_date(&c.earned_at, tz);
        let mut capped = false;
        for (ci, cap) in reward.caps.iter().enumerate() {
            let scope = match cap.scope {
                CapScope::Reward => format!("line {}", lines.len()),
                CapScope::Recipient => format!("{}:{}", c.role, c.recipient),
                CapScope::Referee => c.referee.to_string(),
                CapScope::Program => String::new(),
            };
            let key = (
                c.reward,
                ci,
                scope,
                cap.period.map(|p| p.key(earned_day)).unwrap_or(0),
            );
            let used = caps.entry(key).or_insert((Decimal::ZERO, 0));
            match cap.limit {
                CapLimit::Money(limit) => {
                    let Some(a) = amount else { continue };
                    if Some(limit.currency) != currency {
                        problems.push(line_problem(
                            &c,
                            format!(
                                "`{}` is in {} but the line is in {}",
                                cap.text,
                                limit.currency,
                                currency.map(|x| x.to_string()).unwrap_or_default()
                            ),
                        ));
                        failed = true;
                        break;
                    }
                    let remaining = (limit.amount - used.0).max(Decimal::ZERO);
                    if a > remaining {
                        facts.push("uncapped", a.to_string());
                        facts.push("cap", format!("{} ({} left)", cap.text, remaining));
                        steps.push(format!(
                            "`{}` leaves {remaining}, so {a} is cut to {remaining}",
                            cap.text
                        ));
                        amount = Some(remaining);
                        capped = remaining.is_zero();
                    }
                    if consumes {
                        used.0 += amount.unwrap_or_default();
                    }
                }
                CapLimit::Count(limit) if reward.kind == RewardKind::Points => {
                    // For points, a count cap limits the points themselves (partial awards too).
                    let Some(q) = quantity else { continue };
                    let remaining = (Decimal::from(limit) - used.0).max(Decimal::ZERO);
                    if q > remaining {
                        facts.push("uncapped", format!("{} points", q.normalize()));
                        facts.push("cap", format!("{} ({} left)", cap.text, remaining));
                        steps.push(format!(
                            "`{}` leaves {remaining} points, so {} is cut to {remaining}",
                            cap.text,
                            q.normalize()
                        ));
                        quantity = Some(remaining);
                        capped = remaining.is_zero();
                    }
                    if consumes {
                        used.0 += quantity.unwrap_or_default();
                    }
                }
                CapLimit::Count(limit) => {
                    if used.1 >= limit {
                        facts.push("cap", format!("{} (reached)", cap.text));
                        steps.push(format!("`{}` is already reached", cap.text));
                        amount = amount.map(|_| Decimal::ZERO);
                        quantity = quantity.map(|_| Decimal::ZERO);
                        capped = true;
                    } else if consumes {
                        used.1 += 1;
                    }
                }
            }
        }
        if failed {
            continue;
        }
        if let (false, Some(a), Some(cur)) = (program.budgets.is_empty(), amount, currency) {
            let Some(budget) = program.budget_for(cur) else {
                let have: Vec<String> = program
                    .budgets
                    .iter()
                    .map(|b| b.currency.to_string())
                    .collect();
                problems.push(line_problem(
                    &c,
                    format!(
                        "the program has a budget in {} but none in {cur}, the currency of this line",
                        have.join(", ")
                    ),
                ));
                continue;
            };
            let used = budget_used.entry(cur).or_default();
            let remaining = (budget.amount - *used).max(Decimal::ZERO);
            if a > remaining {
                facts.push("uncapped", a.to_string());
                facts.push("budget", format!("{budget} ({remaining} left)"));
                steps.push(format!(
                    "the program budget leaves {remaining}, so {a} is cut to {remaining}"
                ));
                amount = Some(remaining);
                capped = capped || remaining.is_zero();
            }
            if consumes {
                *used += amount.unwrap_or_default();
            }
        }
        // Status as of the run's date. A line reversed while it was live is settled by its
        // clawback line and no longer expires (that would take it back twice); one reversed
        // after it expired has nothing left to take back.
        let reversed_live = match &c.fate {
            Fate::ClawedBack(at, _) => c.expires_on.is_none_or(|e| local_date(at, tz) <= e),
            _ => false,
        };
        let (status, status_note) = match &c.fate {
            _ if capped => (Status::Capped, "cut to nothing by a cap".to_string()),
            Fate::Forfeited(why) => (Status::Forfeited, format!("forfeited: {why}")),
            Fate::Waiting(why) => (Status::Pending, format!("pending: {why}")),
            _ if opts.as_of < c.payable_on => {
                (Status::Pending, format!("on hold until {}", c.payable_on))
            }
            _ if !reversed_live && c.expires_on.is_some_and(|e| opts.as_of > e) => {
                let mut note = format!(
                    "expired on {}",
                    c.expires_on.map(|e| e.to_string()).unwrap_or_default()
                );
                if let Fate::ClawedBack(_, why) = &c.fate {
                    note.push_str(&format!(", before {why}, so nothing is taken back"));
                }
                (Status::Expired, note)
            }
            _ => (Status::Payable, format!("payable since {}", c.payable_on)),
        };
        let milestone = program
            .milestones
            .get(reward.milestone)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        let mut id = format!(
            "{}@{}/{}/{}/{}",
            program.slug, program.version, reward.name, c.record_id, c.role
        );
        if c.occurrence > 0 {
            id.push_str(&format!("/{}", c.occurrence));
        }
        let scale = currency
            .map(|cur| program.rounding.scale_for(cur))
            .unwrap_or(0);
        let worth = match (amount, currency, quantity, &unit) {
            (Some(a), Some(cur), _, _) => {
                format!("{} {cur}", crate::money::format_amount(a, scale))
            }
            (_, _, Some(q), Some(u)) if reward.kind == RewardKind::Perk => {
                format!("the perk \"{u}\" (x{q})")
            }
            (_, _, Some(q), Some(u)) => format!("{} {u}", q.normalize()),
            _ => String::new(),
        };
        let mut text = format!(
            "{} {} earns {worth} ({}) under `{}` for reaching `{milestone}` on {earned_day}",
            c.role,
            c.recipient,
            reward.kind.name(),
            reward.name
        );
        if !steps.is_empty() {
            text.push_str(": ");
            text.push_str(&steps.join("; "));
        }
        text.push_str(&format!(". {status_note}."));
        facts.push("status", status_note);
        rewarded.insert(c.record_id.clone());
        let line = Line {
            id: id.clone(),
            record_id: c.record_id.to_string(),
            recipient: RecipientRef {
                role: c.role.to_string(),
                id: c.recipient.to_string(),
            },
            rule: reward.name.clone(),
            tier: c.tier.clone(),
            milestone: milestone.clone(),
            kind: reward.kind,
            amount: amount.map(|a| (a, scale)),
            currency,
            quantity,
            unit: unit.clone(),
            status,
            earned_at: c.earned_at,
            payable_on: c.payable_on,
            expires_on: c.expires_on,
            reverses: None,
            explanation: Explanation { text, facts },
        };
        let key = (
            c.earned_at,
            c.record_id.clone(),
            c.reward,
            c.occurrence,
            false,
        );
        if let Fate::ClawedBack(at, why) = &c.fate {
            if !capped && status != Status::Expired {
                let mut f = Facts::default();
                f.push("reversal", why.clone());
                f.push("reverses", id.clone());
                let back = Line {
                    id: format!("{id}/clawback"),
                    amount: amount.map(|a| (-a, scale)),
                    quantity: if amount.is_none() {
                        quantity.map(|q| -q)
                    } else {
                        None
                    },
                    status: Status::ClawedBack,
                    earned_at: *at,
                    payable_on: local_date(at, tz),
                    expires_on: None,
                    reverses: Some(id.clone()),
                    tier: line.tier.clone(),
                    explanation: Explanation {
                        text: format!(
                            "Takes back {worth} paid under `{}` to {} {}: {why}.",
                            reward.name, c.role, c.recipient
                        ),
                        facts: f,
                    },
                    ..line.clone()
                };
                lines.push((
                    back,
                    (*at, c.record_id.clone(), c.reward, c.occurrence, true),
                ));
            }
        }
        lines.push((line, key));
    }
    minimum_payout(program, &mut lines);
    lines.sort_by(|a, b| a.1.cmp(&b.1));
    let lines: Vec<Line> = lines.into_iter().map(|(l, _)| l).collect();
    problems.sort();
    problems.dedup();
    summary.rewarded = rewarded.len() as u64;
    summary.problems = problems
        .iter()
        .map(|p| (p.line, p.record_id.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    summarize(&lines, &mut summary);
    if let Some(c) = &mut coverage {
        for l in lines.iter().filter(|l| l.reverses.is_none()) {
            *c.rewards.entry(l.rule.clone()).or_default() += 1;
            if let Some(t) = &l.tier {
                *c.bands.entry(format!("{} / {t}", l.rule)).or_default() += 1;
            }
        }
    }
    let ledger = Ledger {
        program: ProgramRef {
            name: program.name.clone(),
            version: program.version.clone(),
        },
        as_of: opts.as_of,
        lines,
        summary,
        problems,
    };
    (ledger, explained, coverage)
}

fn line_problem(c: &Candidate, message: String) -> RecordProblem {
    RecordProblem {
        line: c.line,
        record_id: Some(c.record_id.to_string()),
        field: None,
        message,
    }
}

/// Holds payable lines of recipients whose payable balance is below the minimum payout. The
/// balance is net of clawbacks: a reversed line does not help reach the minimum.
fn minimum_payout(program: &Program, lines: &mut [(Line, LineOrder)]) {
    let Some(min) = program.minimum_payout else {
        return;
    };
    let mut balance: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for (l, _) in lines.iter() {
        if matches!(l.status, Status::Payable | Status::ClawedBack)
            && l.currency == Some(min.currency)
        {
            if let Some((a, _)) = l.amount {
                *balance
                    .entry((l.recipient.role.clone(), l.recipient.id.clone()))
                    .or_default() += a;
            }
        }
    }
    for (l, _) in lines.iter_mut() {
        if l.status != Status::Payable || l.currency != Some(min.currency) {
            continue;
        }
        let b = balance
            .get(&(l.recipient.role.clone(), l.recipient.id.clone()))
            .copied()
            .unwrap_or_default();
        if b < min.amount {
            l.status = Status::Pending;
            let note = format!(
                "pending: the recipient's payable balance {b} is below the minimum payout {min}"
            );
            l.explanation.facts.push("minimum payout", note.clone());
            l.explanation.text.push_str(&format!(" Held: {note}."));
        }
    }
}
