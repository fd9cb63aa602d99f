//! Judging one record on its own: program dates, eligibility, reject rules, milestones and the
//! reward candidates they earn (amount before cross-record rules, timing, forfeits, clawbacks).
//! Everything that depends on other records (duplicates, count tiers, caps, budget) happens
//! later in [`super::finalize`]. The milestones a record reaches are found in
//! [`super::milestones`]; each reward's candidate is built in [`super::candidate`].

use super::expr::{Ctx, EvalError};
use super::Options;
use crate::ledger::Facts;
use crate::program::*;
use crate::records::{Record, RecordProblem};
use crate::time::{local_date, Instant};
use crate::value::Text;
use crate::value::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::cell::RefCell;

use super::candidate::candidate;
pub(crate) use super::candidate::pick_band;
use super::milestones::milestones;

/// What became of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Passed every test.
    Eligible,
    /// Failed a test: the reason (written only for the record `--explain` asks about: nothing
    /// else reads it, and most records of a run fail some test).
    NotEligible(String),
    /// Rejected by an anti-abuse rule (or later, as a duplicate): the reason (as for
    /// `NotEligible`, written out only for the explained record).
    Rejected(String),
}

/// How a candidate's base amount is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Base {
    /// Known now: money, points or a percent.
    Value(Value),
    /// Depends on the recipient's count in a period: the value each band pays.
    ByCount(Vec<Value>),
    /// A perk.
    Perk(String),
    /// Tiers whose measure fell in no band: nothing is earned.
    NoBand,
}

/// What happens to a line regardless of amount.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fate {
    /// Nothing special.
    Normal,
    /// Lost: why.
    Forfeited(String),
    /// Waiting for a forfeit deadline: why.
    Waiting(String),
    /// Reversed by an event at this time, on or after payout.
    ClawedBack(Instant, String),
}

/// A reward earned by one record, before cross-record rules.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub line: u64,
    pub reward: usize,
    pub occurrence: u32,
    pub earned_at: Instant,
    pub record_id: Text,
    pub role: Text,
    pub recipient: Text,
    pub referee: Text,
    pub base: Base,
    pub tier: Option<Text>,
    pub multipliers: Vec<(Decimal, String)>,
    pub fixed: Vec<(Value, String)>,
    pub facts: Facts,
    pub steps: Vec<String>,
    pub payable_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub fate: Fate,
}

/// One judged record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Judged {
    pub line: u64,
    pub id: Text,
    pub created_at: Instant,
    pub outcome: Outcome,
    pub dup_key: Option<String>,
    pub candidates: Vec<Candidate>,
    pub lapsed: Vec<String>,
    pub trace: Option<Vec<String>>,
    pub coverage: Option<Box<super::Coverage>>,
}

fn problem(rec: &Record, e: EvalError, context: &str) -> RecordProblem {
    RecordProblem {
        line: rec.line,
        record_id: Some(rec.id().to_string()),
        field: e.field,
        message: format!("{context}: {}", e.message),
    }
}

/// [`judge`], then gives the record's field and event lists back to `scratch` for the next
/// record a worker decodes.
pub(crate) fn judge_recycling(
    program: &Program,
    params: &[Value],
    mut rec: Record,
    opts: &Options,
    as_of_end: Instant,
    scratch: &mut crate::records::Scratch,
) -> Result<Judged, RecordProblem> {
    let judged = judge(program, params, &mut rec, opts, as_of_end);
    scratch.recycle(rec);
    judged
}

/// Judges one record as of the end of `opts.as_of`.
pub(crate) fn judge(
    program: &Program,
    params: &[Value],
    rec: &mut Record,
    opts: &Options,
    as_of_end: Instant,
) -> Result<Judged, RecordProblem> {
    let traced = opts.explain.as_deref() == Some(rec.id());
    let trace = RefCell::new(Vec::new());
    if rec.events.len() > opts.limits.max_events {
        return Err(RecordProblem {
            line: rec.line,
            record_id: Some(rec.id().to_string()),
            field: Some("events".into()),
            message: format!(
                "the record has {} events, more than the limit of {} (--max-events)",
                rec.events.len(),
                opts.limits.max_events
            ),
        });
    }
    rec.work_left.set(opts.limits.max_record_work);
    // Events after the as-of date have not happened yet.
    rec.events.retain(|e| e.at <= as_of_end);
    let created_at = rec.created_at().ok_or_else(|| RecordProblem {
        line: rec.line,
        record_id: Some(rec.id().to_string()),
        field: Some("created_at".into()),
        message: "the field is missing".into(),
    })?;
    let id: Text = rec.id_shared();
    let mut judged = Judged {
        line: rec.line,
        id: id.clone(),
        created_at,
        outcome: Outcome::Eligible,
        dup_key: None,
        candidates: Vec::new(),
        lapsed: Vec::new(),
        trace: None,
        coverage: None,
    };
    let mut cov = opts.coverage.then(super::Coverage::default);
    let tz = program.tz;
    let created_day = local_date(&created_at, tz);
    // Trace notes are written only for the record being explained.
    let note = |s: &dyn Fn() -> String| {
        if traced {
            trace.borrow_mut().push(s());
        }
    };
    let (from, to) = program.effective;
    if from.is_some_and(|f| created_day < f) || to.is_some_and(|t| created_day > t) {
        let reason = format!(
            "created {created_day}, outside the program's dates ({} to {})",
            from.map(|d| d.to_string())
                .unwrap_or_else(|| "start".into()),
            to.map(|d| d.to_string()).unwrap_or_else(|| "open".into())
        );
        note(&|| format!("not eligible: {reason}"));
        judged.outcome = Outcome::NotEligible(reason);
        judged.trace = traced.then(|| trace.take());
        return Ok(judged);
    }
    // No milestone is reached while eligibility is judged (on the stack for most programs).
    const FEW: usize = 16;
    let none_few: [Option<Instant>; FEW] = [None; FEW];
    let none_many: Vec<Option<Instant>>;
    let no_milestones: &[Option<Instant>] = match none_few.get(..program.milestones.len()) {
        Some(few) => few,
        None => {
            none_many = vec![None; program.milestones.len()];
            &none_many
        }
    };
    let ctx = Ctx {
        program,
        record: rec,
        event: None,
        params,
        milestones: no_milestones,
        trace: traced.then_some(&trace),
    };
    for t in &program.eligibility {
        let ok = ctx
            .truth(&t.expr)
            .map_err(|e| problem(rec, e, &format!("eligible {}", t.name)))?;
        if let Some(c) = &mut cov {
            super::Coverage::branch(
                &mut c.conditions,
                &format!("eligible {}: {}", t.name, t.text),
                ok,
            );
        }
        if !ok {
            let reason = if traced {
                format!("{} not eligible: {}", t.name, t.text)
            } else {
                String::new()
            };
            note(&|| format!("✗ {reason}"));
            judged.outcome = Outcome::NotEligible(reason);
            judged.trace = traced.then(|| trace.take());
            judged.coverage = cov.map(Box::new);
            return Ok(judged);
        }
        note(&|| format!("✓ eligible {}: {}", t.name, t.text));
    }
    for t in &program.rejects {
        let hit = ctx
            .truth(&t.expr)
            .map_err(|e| problem(rec, e, &format!("reject {}", t.name)))?;
        if let Some(c) = &mut cov {
            super::Coverage::branch(
                &mut c.conditions,
                &format!("reject {}: {}", t.name, t.text),
                hit,
            );
        }
        if hit {
            let reason = if traced {
                format!("rejected by `{}`: {}", t.name, t.text)
            } else {
                String::new()
            };
            note(&|| format!("✗ {reason}"));
            judged.outcome = Outcome::Rejected(reason);
            judged.trace = traced.then(|| trace.take());
            judged.coverage = cov.map(Box::new);
            return Ok(judged);
        }
        note(&|| format!("✓ not rejected by `{}`", t.name));
    }
    if let Some(d) = &program.duplicates {
        judged.dup_key = rec
            .fields
            .get(d.key)
            .cloned()
            .flatten()
            .map(|v| v.to_string());
    }
    // Milestones.
    let reached = milestones(
        program,
        params,
        rec,
        created_at,
        as_of_end,
        traced.then_some(&trace),
    )
    .map_err(|e| problem(rec, e, "milestone"))?;
    let firsts: Vec<Option<Instant>> = reached
        .iter()
        .map(|m| m.hits.first().map(|(t, _)| *t))
        .collect();
    for (m, r) in program.milestones.iter().zip(&reached) {
        if r.lapsed {
            judged.lapsed.push(m.name.clone());
        }
        if let Some(c) = &mut cov {
            super::Coverage::branch(&mut c.milestones, &m.name, !r.hits.is_empty());
        }
    }
    // Rewards.
    for (ri, reward) in program.rewards.iter().enumerate() {
        let Some(state) = reached.get(reward.milestone) else {
            continue;
        };
        for (k, (at, ev_index)) in state.hits.iter().enumerate() {
            let event = ev_index.and_then(|i| rec.events.get(i));
            let ctx = Ctx {
                program,
                record: rec,
                event,
                params,
                milestones: &firsts,
                trace: traced.then_some(&trace),
            };
            let occurrence = if program
                .milestones
                .get(reward.milestone)
                .is_some_and(|m| m.each)
            {
                u32::try_from(k).map_or(u32::MAX, |k| k.saturating_add(1))
            } else {
                0
            };
            let c = candidate(
                &ctx,
                ri,
                reward,
                occurrence,
                *at,
                &id,
                as_of_end,
                &firsts,
                cov.as_mut(),
            )
            .map_err(|e| problem(rec, e, &format!("reward {}", reward.name)))?;
            if let Some(c) = c {
                if judged.candidates.len() >= opts.limits.max_record_lines {
                    return Err(RecordProblem {
                        line: rec.line,
                        record_id: Some(rec.id().to_string()),
                        field: None,
                        message: format!(
                            "reward `{}` takes the record past the limit of {} reward lines per record (--max-record-lines)",
                            reward.name, opts.limits.max_record_lines
                        ),
                    });
                }
                judged.candidates.push(c);
            }
        }
    }
    judged.trace = traced.then(|| trace.take());
    judged.coverage = cov.map(Box::new);
    Ok(judged)
}
