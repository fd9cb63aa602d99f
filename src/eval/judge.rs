//! Judging one record on its own: program dates, eligibility, reject rules, milestones and the
//! reward candidates they earn (amount before cross-record rules, timing, forfeits, clawbacks).
//! Everything that depends on other records (duplicates, count tiers, caps, budget) happens
//! later in [`super::finalize`].

use super::expr::{Ctx, EvalError};
use super::Options;
use crate::ledger::Facts;
use crate::program::*;
use crate::records::{Event, Record, RecordProblem};
use crate::time::{add, add_to_date, local_date, payout_day, Instant};
use crate::value::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::cell::RefCell;
use std::sync::Arc;

/// What became of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Passed every test.
    Eligible,
    /// Failed a test: the reason.
    NotEligible(String),
    /// Rejected by an anti-abuse rule (or later, as a duplicate): the reason.
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
    pub record_id: Arc<str>,
    pub role: Arc<str>,
    pub recipient: Arc<str>,
    pub referee: Arc<str>,
    pub base: Base,
    pub tier: Option<String>,
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
    pub id: Arc<str>,
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

/// Judges one record as of the end of `opts.as_of`.
pub(crate) fn judge(
    program: &Program,
    params: &[Value],
    rec: Record,
    opts: &Options,
    as_of_end: Instant,
) -> Result<Judged, RecordProblem> {
    let traced = opts.explain.as_deref() == Some(rec.id());
    let trace = RefCell::new(Vec::new());
    let mut rec = rec;
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
    let id: Arc<str> = Arc::from(rec.id());
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
    let note = |s: String| {
        if traced {
            trace.borrow_mut().push(s);
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
        note(format!("not eligible: {reason}"));
        judged.outcome = Outcome::NotEligible(reason);
        judged.trace = traced.then(|| trace.take());
        return Ok(judged);
    }
    let no_milestones: Vec<Option<Instant>> = vec![None; program.milestones.len()];
    let ctx = Ctx {
        program,
        record: &rec,
        event: None,
        params,
        milestones: &no_milestones,
        trace: traced.then_some(&trace),
    };
    for t in &program.eligibility {
        let ok = ctx
            .truth(&t.expr)
            .map_err(|e| problem(&rec, e, &format!("eligible {}", t.name)))?;
        if let Some(c) = &mut cov {
            super::Coverage::branch(
                &mut c.conditions,
                &format!("eligible {}: {}", t.name, t.text),
                ok,
            );
        }
        if !ok {
            let reason = format!("{} not eligible: {}", t.name, t.text);
            note(format!("✗ {reason}"));
            judged.outcome = Outcome::NotEligible(reason);
            judged.trace = traced.then(|| trace.take());
            judged.coverage = cov.map(Box::new);
            return Ok(judged);
        }
        note(format!("✓ eligible {}: {}", t.name, t.text));
    }
    for t in &program.rejects {
        let hit = ctx
            .truth(&t.expr)
            .map_err(|e| problem(&rec, e, &format!("reject {}", t.name)))?;
        if let Some(c) = &mut cov {
            super::Coverage::branch(
                &mut c.conditions,
                &format!("reject {}: {}", t.name, t.text),
                hit,
            );
        }
        if hit {
            let reason = format!("rejected by `{}`: {}", t.name, t.text);
            note(format!("✗ {reason}"));
            judged.outcome = Outcome::Rejected(reason);
            judged.trace = traced.then(|| trace.take());
            judged.coverage = cov.map(Box::new);
            return Ok(judged);
        }
        note(format!("✓ not rejected by `{}`", t.name));
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
        &rec,
        created_at,
        as_of_end,
        traced.then_some(&trace),
    )
    .map_err(|e| problem(&rec, e, "milestone"))?;
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
                record: &rec,
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
            .map_err(|e| problem(&rec, e, &format!("reward {}", reward.name)))?;
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

/// A milestone's state for one record.
struct Reached {
    /// Times (and event indexes) it was reached; one for plain milestones.
    hits: Vec<(Instant, Option<usize>)>,
    /// Its deadline passed unreached.
    lapsed: bool,
}

fn milestones(
    program: &Program,
    params: &[Value],
    rec: &Record,
    created_at: Instant,
    as_of_end: Instant,
    trace: Option<&RefCell<Vec<String>>>,
) -> Result<Vec<Reached>, EvalError> {
    let n = program.milestones.len();
    let mut done: Vec<Option<Reached>> = (0..n).map(|_| None).collect();
    // Resolve in dependency order (anchors first); cycles were rejected by the checker.
    for _round in 0..=n {
        let mut progressed = false;
        for (i, m) in program.milestones.iter().enumerate() {
            if done.get(i).is_some_and(Option::is_some) {
                continue;
            }
            // `Some(None)`: the anchor milestone was not reached; `None`: not resolved yet.
            let anchor: Option<Option<Instant>> = match m.within.map(|w| w.anchor) {
                None | Some(Anchor::Created) => Some(Some(created_at)),
                Some(Anchor::Milestone(a)) => match done.get(a) {
                    Some(Some(r)) => Some(r.hits.first().map(|(t, _)| *t)),
                    _ => None,
                },
            };
            let Some(anchor) = anchor else { continue };
            progressed = true;
            let state = match anchor {
                None => {
                    // Not reached because its anchor was not; it lapsed if the anchor lapsed.
                    let anchor_lapsed = matches!(m.within.map(|w| w.anchor),
                        Some(Anchor::Milestone(a)) if done.get(a).is_some_and(|r| r.as_ref().is_some_and(|r| r.lapsed)));
                    Reached {
                        hits: Vec::new(),
                        lapsed: anchor_lapsed,
                    }
                }
                Some(start) => {
                    let deadline = match m.within {
                        Some(w) => Some(
                            add(&start, w.duration, program.tz)
                                .ok_or_else(|| EvalError::new(None, "deadline out of range"))?,
                        ),
                        None => None,
                    };
                    let firsts: Vec<Option<Instant>> = done
                        .iter()
                        .map(|d| d.as_ref().and_then(|r| r.hits.first().map(|(t, _)| *t)))
                        .collect();
                    let mut hits = Vec::new();
                    super::expr::charge(rec, rec.events.len())?;
                    for (ei, ev) in rec.events.iter().enumerate() {
                        if ev.kind != m.kind || ev.at < start || deadline.is_some_and(|d| ev.at > d)
                        {
                            continue;
                        }
                        if let Some(f) = &m.filter {
                            let ctx = Ctx {
                                program,
                                record: rec,
                                event: Some(ev),
                                params,
                                milestones: &firsts,
                                trace,
                            };
                            if !ctx.truth(f)? {
                                continue;
                            }
                        }
                        hits.push((ev.at, Some(ei)));
                        if !m.each || m.limit.is_some_and(|l| hits.len() >= l as usize) {
                            break;
                        }
                    }
                    let lapsed = hits.is_empty() && deadline.is_some_and(|d| d < as_of_end);
                    if let Some(t) = trace {
                        let kind = program
                            .events
                            .get(m.kind)
                            .map(|k| k.name.as_str())
                            .unwrap_or("?");
                        let window = match (m.within, deadline) {
                            (Some(w), Some(d)) => format!(
                                " (deadline {}: {} after {})",
                                d.to_rfc3339(),
                                w.duration,
                                anchor_name(program, w.anchor)
                            ),
                            _ => String::new(),
                        };
                        t.borrow_mut().push(match (hits.first(), lapsed) {
                            (Some((at, _)), _) if m.each => format!(
                                "✓ milestone `{}`: {} `{kind}` events{window}, first {}",
                                m.name,
                                hits.len(),
                                at.to_rfc3339()
                            ),
                            (Some((at, _)), _) => format!(
                                "✓ milestone `{}`: `{kind}` at {}{window}",
                                m.name,
                                at.to_rfc3339()
                            ),
                            (None, true) => {
                                // Name the events of that kind that missed the window.
                                let missed: Vec<String> = rec
                                    .events
                                    .iter()
                                    .filter(|e| e.kind == m.kind)
                                    .map(|e| {
                                        let when = if e.at < start { "before the start" } else if deadline.is_some_and(|d| e.at > d) { "after the deadline" } else { "filtered out by `where`" };
                                        format!("{} ({when})", e.at.to_rfc3339())
                                    })
                                    .collect();
                                let seen = if missed.is_empty() {
                                    format!("; the record has no `{kind}` event")
                                } else {
                                    format!("; `{kind}` at {}", missed.join(", "))
                                };
                                format!(
                                    "✗ milestone `{}` lapsed: no `{kind}` event in time{window}{seen}",
                                    m.name
                                )
                            }
                            (None, false) => {
                                format!("… milestone `{}` not reached yet{window}", m.name)
                            }
                        });
                    }
                    Reached { hits, lapsed }
                }
            };
            if let Some(slot) = done.get_mut(i) {
                *slot = Some(state);
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(done
        .into_iter()
        .map(|d| {
            d.unwrap_or(Reached {
                hits: Vec::new(),
                lapsed: false,
            })
        })
        .collect())
}

fn anchor_name(program: &Program, a: Anchor) -> String {
    match a {
        Anchor::Created => "created".into(),
        Anchor::Milestone(m) => program
            .milestones
            .get(m)
            .map(|x| x.name.clone())
            .unwrap_or_default(),
    }
}

#[allow(clippy::too_many_arguments)]
fn candidate(
    ctx: &Ctx<'_>,
    ri: usize,
    reward: &RewardDef,
    occurrence: u32,
    earned_at: Instant,
    record_id: &Arc<str>,
    as_of_end: Instant,
    firsts: &[Option<Instant>],
    mut cov: Option<&mut super::Coverage>,
) -> Result<Option<Candidate>, EvalError> {
    let program = ctx.program;
    let note = |s: String| {
        if let Some(t) = ctx.trace {
            t.borrow_mut().push(s);
        }
    };
    for t in &reward.only_if {
        let ok = ctx.truth(&t.expr)?;
        if let Some(c) = cov.as_deref_mut() {
            super::Coverage::branch(
                &mut c.conditions,
                &format!("only if {}: {}", reward.name, t.text),
                ok,
            );
        }
        if !ok {
            note(format!(
                "✗ reward `{}` not paid: only if {}",
                reward.name, t.text
            ));
            return Ok(None);
        }
    }
    let text_field = |slot: usize| -> Result<Arc<str>, EvalError> {
        match ctx.record.fields.get(slot).cloned().flatten() {
            Some(Value::Text(t)) => Ok(t),
            _ => {
                let name = program
                    .fields
                    .get(slot)
                    .map(|f| f.dotted.clone())
                    .unwrap_or_default();
                Err(EvalError::new(
                    Some(name.clone()),
                    format!("the recipient field `{name}` is missing"),
                ))
            }
        }
    };
    let (role, recipient): (Arc<str>, Arc<str>) = match &reward.recipient {
        Recipient::Referrer => (Arc::from("referrer"), text_field(slot::REFERRER_ID)?),
        Recipient::Referee => (Arc::from("referee"), text_field(slot::REFEREE_ID)?),
        Recipient::Party { slot, role } => (Arc::from(role.as_str()), text_field(*slot)?),
    };
    let referee = text_field(slot::REFEREE_ID)?;
    let mut facts = Facts::default();
    let mut steps = Vec::new();
    let milestone = program
        .milestones
        .get(reward.milestone)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    facts.push(
        "milestone",
        format!("{milestone} at {}", earned_at.to_rfc3339()),
    );
    let mut tier = None;
    let base = match &reward.amount {
        AmountDef::Expr(e) => Base::Value(ctx.need(e)?),
        AmountDef::Perk(p) => Base::Perk(p.clone()),
        AmountDef::Tiers {
            measure,
            measure_text,
            bands,
        } => {
            let m = ctx.need(measure)?;
            facts.push("measure", format!("{measure_text} = {m}"));
            match pick_band(&m, bands)? {
                Some(b) => {
                    tier = Some(b.label.clone());
                    facts.push("band", b.label.clone());
                    let pays = ctx.need(&b.pays)?;
                    let v = band_amount(&m, &pays, reward.kind.is_money())?;
                    if let Value::Percent(p) = pays {
                        facts.push("rate", format!("{}%", p.normalize()));
                        steps.push(format!(
                            "{measure_text} {m} is in band `{}`: {}% of it is {v}",
                            b.label,
                            p.normalize()
                        ));
                    } else {
                        steps.push(format!(
                            "{measure_text} {m} is in band `{}`, which pays {v}",
                            b.label
                        ));
                    }
                    let v = clamp(v, b, &m, reward.kind.is_money(), &mut facts, &mut steps)?;
                    Base::Value(v)
                }
                None => {
                    steps.push(format!("{measure_text} {m} is in no band"));
                    note(format!(
                        "✗ reward `{}`: {measure_text} {m} is in no band",
                        reward.name
                    ));
                    Base::NoBand
                }
            }
        }
        AmountDef::CountTiers { bands, .. } => {
            let vals = bands
                .iter()
                .map(|b| ctx.need(&b.pays))
                .collect::<Result<Vec<_>, _>>()?;
            Base::ByCount(vals)
        }
    };
    if base == Base::NoBand {
        return Ok(None);
    }
    let mut multipliers = Vec::new();
    let mut fixed = Vec::new();
    for b in &reward.bonuses {
        if ctx.truth(&b.when)? {
            match (&b.multiplier, &b.fixed) {
                (Some(m), _) => multipliers.push((*m, b.text.clone())),
                (None, Some(v)) => fixed.push((v.clone(), b.text.clone())),
                _ => {}
            }
        }
    }
    // Timing.
    let tz = program.tz;
    let earned_day = local_date(&earned_at, tz);
    let ready = match reward.hold {
        Some(h) => {
            add_to_date(earned_day, h).ok_or_else(|| EvalError::new(None, "hold out of range"))?
        }
        None => earned_day,
    };
    let payable_on = payout_day(ready, reward.schedule)
        .ok_or_else(|| EvalError::new(None, "payout date out of range"))?;
    if let Some(h) = reward.hold {
        facts.push("hold", h.to_string());
    }
    let expires_on = match reward.expires {
        Some(x) => Some(
            add_to_date(
                if x.from_payable {
                    payable_on
                } else {
                    earned_day
                },
                x.after,
            )
            .ok_or_else(|| EvalError::new(None, "expiry out of range"))?,
        ),
        None => None,
    };
    let anchor_time = |w: &Window| -> Option<Instant> {
        match w.anchor {
            Anchor::Created => ctx.record.created_at(),
            Anchor::Milestone(m) => firsts.get(m).copied().flatten(),
        }
    };
    let find = |d: &EventDeadline| -> Option<(Option<&Event>, Instant)> {
        let start = anchor_time(&d.within)?;
        let end = add(&start, d.within.duration, tz)?;
        let ev = ctx
            .record
            .events
            .iter()
            .find(|e| e.kind == d.kind && e.at >= start && e.at <= end);
        Some((ev, end))
    };
    let kind_name = |k: usize| {
        program
            .events
            .get(k)
            .map(|e| e.name.clone())
            .unwrap_or_default()
    };
    let mut fate = Fate::Normal;
    if let Some(f) = &reward.forfeit {
        if let Some((ev, deadline)) = find(f) {
            match ev {
                Some(e) => facts.push(
                    "condition met",
                    format!("{} at {}", kind_name(f.kind), e.at.to_rfc3339()),
                ),
                None if deadline < as_of_end => {
                    fate = Fate::Forfeited(format!(
                        "no `{}` by {}",
                        kind_name(f.kind),
                        deadline.to_rfc3339()
                    ))
                }
                None => {
                    fate = Fate::Waiting(format!(
                        "forfeits unless `{}` by {}",
                        kind_name(f.kind),
                        deadline.to_rfc3339()
                    ))
                }
            }
        } else {
            fate = Fate::Forfeited(format!(
                "the milestone `{}` counts from was never reached",
                kind_name(f.kind)
            ));
        }
    }
    if let (Some(c), Fate::Normal | Fate::Waiting(_)) = (&reward.clawback, &fate) {
        if let Some((Some(e), _)) = find(c) {
            let day = local_date(&e.at, tz);
            let why = format!("`{}` at {}", kind_name(c.kind), e.at.to_rfc3339());
            fate = if day < payable_on {
                Fate::Forfeited(format!("reversed before payout by {why}"))
            } else {
                Fate::ClawedBack(e.at, why)
            };
        }
    }
    Ok(Some(Candidate {
        line: ctx.record.line,
        reward: ri,
        occurrence,
        earned_at,
        record_id: record_id.clone(),
        role,
        recipient,
        referee,
        base,
        tier,
        multipliers,
        fixed,
        facts,
        steps,
        payable_on,
        expires_on,
        fate,
    }))
}

/// A band bound's value as a decimal comparable with the measure (same currency, or bare).
fn bound_value(b: &BandBound, measure: &Value) -> Result<Decimal, EvalError> {
    match (&b.value, measure) {
        (Value::Number(n), _) => Ok(*n),
        (Value::Money(bm), Value::Money(m)) if bm.currency == m.currency => Ok(bm.amount),
        (Value::Money(bm), Value::Money(m)) => Err(EvalError::new(
            None,
            format!("the band bound {bm} is in another currency than the measured {m}"),
        )),
        (v, m) => Err(EvalError::new(
            None,
            format!("cannot compare band bound {v} with {m}"),
        )),
    }
}

fn measure_decimal(m: &Value) -> Result<Decimal, EvalError> {
    match m {
        Value::Number(n) => Ok(*n),
        Value::Money(x) => Ok(x.amount),
        v => Err(EvalError::new(None, format!("tiers cannot measure {v}"))),
    }
}

/// The first band containing the measure.
pub(crate) fn pick_band<'b>(
    m: &Value,
    bands: &'b [BandDef],
) -> Result<Option<&'b BandDef>, EvalError> {
    let x = measure_decimal(m)?;
    for b in bands {
        let above = match &b.lower {
            Some(l) => {
                let v = bound_value(l, m)?;
                if l.inclusive {
                    x >= v
                } else {
                    x > v
                }
            }
            None => true,
        };
        let below = match &b.upper {
            Some(u) => {
                let v = bound_value(u, m)?;
                if u.inclusive {
                    x <= v
                } else {
                    x < v
                }
            }
            None => true,
        };
        if above && below {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// What a band pays for a measure: a fixed amount, a bare number (in the measure's currency
/// when the reward pays `money`; points otherwise), or a rate of the measure.
pub(crate) fn band_amount(measure: &Value, pays: &Value, money: bool) -> Result<Value, EvalError> {
    Ok(match (pays, measure) {
        (Value::Money(p), _) => Value::Money(*p),
        (Value::Number(n), Value::Money(m)) if money => Value::Money(crate::money::Money {
            amount: *n,
            currency: m.currency,
        }),
        (Value::Number(n), _) => Value::Number(*n),
        (Value::Percent(_), _) => super::expr::arith(
            crate::syntax::ast::BinaryOp::Mul,
            pays.clone(),
            measure.clone(),
            chrono_tz::UTC,
        )?,
        (v, _) => return Err(EvalError::new(None, format!("a band cannot pay {v}"))),
    })
}

/// Applies a band's `min`/`max`.
pub(crate) fn clamp(
    v: Value,
    b: &BandDef,
    measure: &Value,
    money: bool,
    facts: &mut Facts,
    steps: &mut Vec<String>,
) -> Result<Value, EvalError> {
    let mut v = v;
    let as_amount = |x: &Value| band_amount(measure, x, money);
    if let Some(min) = &b.min {
        let min = as_amount(min)?;
        if super::expr::compare(crate::syntax::ast::BinaryOp::Lt, &v, &min, chrono_tz::UTC)? {
            steps.push(format!("raised to the band's minimum {min}"));
            facts.push("band minimum", min.to_string());
            v = min;
        }
    }
    if let Some(max) = &b.max {
        let max = as_amount(max)?;
        if super::expr::compare(crate::syntax::ast::BinaryOp::Gt, &v, &max, chrono_tz::UTC)? {
            steps.push(format!("limited to the band's maximum {max}"));
            facts.push("band maximum", max.to_string());
            v = max;
        }
    }
    Ok(v)
}
