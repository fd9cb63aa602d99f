//! The cross-record pass. Candidates from every record are processed in one order, earned time
//! then record id then rule, so the result never depends on input order: duplicates resolved,
//! counts taken (count tiers, every Nth), bonuses applied, each amount rounded once, caps and
//! the budget applied with partial awards, statuses set as of the run's date, clawbacks added,
//! and the minimum payout enforced.
//!
//! - [`lines`]: one candidate to its line (and clawback line), given the [`lines::State`];
//! - [`count`]: positions and period totals for count tiers and `every Nth`;
//! - [`caps`]: caps and budgets.

mod caps;
mod count;
pub(crate) mod lines;

pub(crate) use count::needs_totals;
pub(crate) use lines::{build, local, Built, LineKey, State};

use super::judge::{Candidate, Judged, Outcome};
use super::Options;
use crate::ledger::{summarize, Ledger, Line, ProgramRef, Status, Summary};
use crate::program::*;
use crate::records::RecordProblem;
use crate::time::Instant;
use crate::value::Text;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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

/// Builds every candidate's line, in ledger order. A record found to be a problem while its
/// lines are built (a cap or budget in another currency than the line, an amount out of range)
/// earns nothing and must not use up the counts, caps or budget of others: the pass is made
/// again without it, until no new record is a problem. Returns the lines and the ids of the
/// records left out (their problems are added to `problems`).
fn settle(
    program: &Program,
    opts: &Options,
    candidates: &[Candidate],
    problems: &mut Vec<RecordProblem>,
) -> (Vec<(Line, LineKey)>, BTreeSet<Text>) {
    let mut left_out: BTreeSet<Text> = BTreeSet::new();
    loop {
        let live = || {
            candidates
                .iter()
                .filter(|c| !left_out.contains(&c.record_id))
        };
        let mut state = State::default();
        if needs_totals(program) {
            for c in live() {
                state.totals.add(program, c);
            }
        }
        let mut found = Vec::new();
        let mut lines: Vec<(Line, LineKey)> = Vec::new();
        for c in live() {
            if let Some(b) = build(program, opts, c.clone(), &mut state, &mut found) {
                if let Some(back) = b.clawback {
                    lines.push(back);
                }
                lines.push((b.line, b.key));
            }
        }
        if found.is_empty() {
            return (lines, left_out);
        }
        left_out.extend(
            found
                .iter()
                .filter_map(|p| p.record_id.as_deref().map(Text::new)),
        );
        problems.append(&mut found);
    }
}

/// Builds the ledger from judged records.
pub(crate) fn finalize(
    program: &Program,
    mut judged: Vec<Judged>,
    mut problems: Vec<RecordProblem>,
    records_read: u64,
    opts: &Options,
) -> std::io::Result<(Ledger, Option<Explained>, Option<super::Coverage>)> {
    // 1. Duplicate record ids: every occurrence is a problem (no input order decides a winner).
    // Records that could not be judged but whose id was read count too: the other copy of
    // their id must not be paid as if it were unique.
    let mut lines_by_id: HashMap<Text, BTreeSet<u64>> = HashMap::new();
    for j in &judged {
        lines_by_id.entry(j.id.clone()).or_default().insert(j.line);
    }
    for p in &problems {
        if let Some(id) = &p.record_id {
            lines_by_id.entry(Text::new(id)).or_default().insert(p.line);
        }
    }
    // One message per duplicated id, made once (it names at most a few of the lines).
    let mut messages: HashMap<Text, String> = HashMap::new();
    let mut duplicate_id = |id: &Text, line: u64| -> Option<RecordProblem> {
        let lines = lines_by_id.get(id).filter(|l| l.len() > 1)?;
        Some(RecordProblem {
            line,
            record_id: Some(id.to_string()),
            field: Some("id".into()),
            message: messages
                .entry(id.clone())
                .or_insert_with(|| {
                    let lines: Vec<u64> = lines.iter().copied().collect();
                    super::keys::duplicate_id_message(&lines)
                })
                .clone(),
        })
    };
    let mut dup_problems: Vec<RecordProblem> = problems
        .iter()
        .filter_map(|p| {
            let id = Text::new(p.record_id.as_deref()?);
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
        let mut winners: HashMap<String, (Instant, Text)> = HashMap::new();
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
    let mut lapsed_ids: BTreeSet<Text> = BTreeSet::new();
    for j in &mut judged {
        if let (Some(total), Some(c)) = (&mut coverage, &j.coverage) {
            total.merge(c);
        }
        match &j.outcome {
            Outcome::Eligible => summary.eligible = summary.eligible.saturating_add(1),
            Outcome::NotEligible(_) => {
                summary.not_eligible = summary.not_eligible.saturating_add(1)
            }
            Outcome::Rejected(_) => summary.rejected = summary.rejected.saturating_add(1),
        }
        if j.outcome == Outcome::Eligible && !j.lapsed.is_empty() {
            summary.lapsed = summary.lapsed.saturating_add(1);
            lapsed_ids.insert(j.id.clone());
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
    sort_candidates(&mut candidates);
    let (mut lines, left_out) = settle(program, opts, &candidates, &mut problems);
    drop(candidates);
    // A record left out is a problem, not an eligible record.
    summary.eligible = summary.eligible.saturating_sub(left_out.len() as u64);
    summary.lapsed = summary
        .lapsed
        .saturating_sub(left_out.intersection(&lapsed_ids).count() as u64);
    minimum_payout(program, &mut lines).map_err(total_overflow)?;
    lines.sort_by(|a, b| a.1.cmp(&b.1));
    let lines: Vec<Line> = lines.into_iter().map(|(l, _)| l).collect();
    problems.sort();
    problems.dedup();
    crate::records::limit_problems(&mut problems, opts.limits.max_record_problems);
    summary.rewarded = lines
        .iter()
        .map(|l| &*l.record_id)
        .collect::<std::collections::HashSet<_>>()
        .len() as u64;
    summary.problems = problems
        .iter()
        .map(|p| (p.line, p.record_id.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    summarize(&lines, &mut summary).map_err(total_overflow)?;
    if let Some(c) = &mut coverage {
        for l in lines.iter().filter(|l| l.reverses.is_none()) {
            let n = c.rewards.entry(l.rule.to_string()).or_default();
            *n = n.saturating_add(1);
            if let Some(t) = &l.tier {
                let n = c.bands.entry(format!("{} / {t}", l.rule)).or_default();
                *n = n.saturating_add(1);
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
    Ok((ledger, explained, coverage))
}

/// A total over the run's lines that passes Decimal's range stops the run: nothing is written.
fn total_overflow(e: super::EvalError) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("{}; nothing was written", e.message),
    )
}

/// Puts candidates in ledger order: earned time, record id, reward, occurrence.
pub(crate) fn sort_candidates(candidates: &mut [Candidate]) {
    candidates.sort_by(|a, b| {
        (a.earned_at, &a.record_id, a.reward, a.occurrence).cmp(&(
            b.earned_at,
            &b.record_id,
            b.reward,
            b.occurrence,
        ))
    });
}

/// Holds payable lines of recipients whose payable balance is below the minimum payout. The
/// balance is net of clawbacks: a reversed line does not help reach the minimum.
fn minimum_payout(
    program: &Program,
    lines: &mut [(Line, LineKey)],
) -> Result<(), super::EvalError> {
    let Some(min) = program.minimum_payout else {
        return Ok(());
    };
    let mut balance: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for (l, _) in lines.iter() {
        if matches!(l.status, Status::Payable | Status::ClawedBack)
            && l.currency == Some(min.currency)
        {
            if let Some((a, _)) = l.amount {
                let b = balance
                    .entry((l.recipient.role.to_string(), l.recipient.id.to_string()))
                    .or_default();
                *b = b.checked_add(a).ok_or_else(|| {
                    super::EvalError::new(
                        Some("amount".into()),
                        format!(
                            "the payable balance of {} {} passes the range of exact decimals at line `{}` (record {})",
                            l.recipient.role, l.recipient.id, l.id, l.record_id
                        ),
                    )
                })?;
            }
        }
    }
    for (l, _) in lines.iter_mut() {
        if l.status != Status::Payable || l.currency != Some(min.currency) {
            continue;
        }
        let b = balance
            .get(&(l.recipient.role.to_string(), l.recipient.id.to_string()))
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
    Ok(())
}
