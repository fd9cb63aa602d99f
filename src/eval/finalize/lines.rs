//! Turning one reward candidate into its ledger line (and clawback line): count and band,
//! bonuses, the one rounding, caps and budget, the status as of the run's date, the id and the
//! explanation. Cross-record state lives in [`State`]; a reward that needs none of it (see
//! [`local`]) is built on the worker that judged the record.

use super::caps::{Caps, Notes, Worth};
use super::count::{Counter, Totals};
use crate::eval::judge::{pick_band, Base, Candidate, Fate};
use crate::eval::Options;
use crate::ledger::{Explanation, Facts, Line, RecipientRef, Status};
use crate::money::{negate, round, Money, Plain, Rounding};
use crate::phrase::phrase;
use crate::program::*;
use crate::records::RecordProblem;
use crate::stamp::Day;
use crate::time::{local_date, Instant};
use crate::value::Text;
use crate::value::{ordinal, Value};
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// A line's place in the ledger: earned time, record id, reward, occurrence, clawback.
pub(crate) type LineKey = (Instant, Text, usize, u32, bool);

/// A candidate's line, and its clawback line if it was reversed.
pub(crate) struct Built {
    pub line: Line,
    pub key: LineKey,
    pub clawback: Option<(Line, LineKey)>,
}

/// Counts, caps and budgets so far, in candidate order.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) counter: Counter,
    pub(crate) totals: Totals,
    pub(crate) caps: Caps,
}

/// Whether a reward's lines depend on no other record: no counting, no shared cap, and no
/// budget, minimum payout or duplicate rule in the program. Such lines can be built as soon as
/// their record is judged.
pub(crate) fn local(program: &Program, reward: &RewardDef) -> bool {
    program.duplicates.is_none()
        && program.budgets.is_empty()
        && program.minimum_payout.is_none()
        && reward.nth.is_none()
        && !matches!(reward.amount, AmountDef::CountTiers { .. })
        && reward.caps.iter().all(|c| c.scope == CapScope::Reward)
}

pub(crate) fn line_problem(c: &Candidate, message: String) -> RecordProblem {
    RecordProblem {
        line: c.line,
        record_id: Some(c.record_id.to_string()),
        field: None,
        message,
    }
}

/// Builds a candidate's line. `None` when it earns no line (not the Nth, no band) or is a
/// problem (then reported in `problems`). Candidates must come in ledger order.
pub(crate) fn build(
    program: &Program,
    opts: &Options,
    mut c: Candidate,
    state: &mut State,
    problems: &mut Vec<RecordProblem>,
) -> Option<Built> {
    let tz = program.tz;
    let reward = program.rewards.get(c.reward)?;
    let mut facts = std::mem::take(&mut c.facts);
    let mut steps = std::mem::take(&mut c.steps);
    // A forfeited line takes no place in counts, caps or the budget.
    let consumes = !matches!(c.fate, Fate::Forfeited(_));
    if let Some(nth) = &reward.nth {
        let n = state
            .counter
            .next((c.reward, 1), &c, nth.period, tz, consumes);
        let hit = if nth.every {
            n.checked_rem(u64::from(nth.n.max(1))) == Some(0)
        } else {
            n == u64::from(nth.n)
        };
        if !hit {
            return None;
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
                return None;
            };
            let n = state.counter.next((c.reward, 0), &c, *period, tz, consumes);
            let label = period.label(local_date(&c.earned_at, tz));
            let counted = if *retroactive {
                let key = period.key(local_date(&c.earned_at, tz));
                state.totals.get(&c, key).unwrap_or(n)
            } else {
                n
            };
            let measure = Value::Number(Decimal::from(counted));
            let Ok(Some(band)) = pick_band(&measure, bands) else {
                return None;
            };
            let idx = bands
                .iter()
                .position(|b| std::ptr::eq(b, band))
                .unwrap_or(0);
            c.tier = Some(Text::new(&band.label));
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
            let v = vals.get(idx)?;
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
    // Multipliers first, then fixed amounts, each as written.
    let bonuses = c
        .multipliers
        .iter()
        .map(|(m, text)| (crate::syntax::ast::BinaryOp::Mul, Value::Number(*m), text))
        .chain(
            c.fixed
                .iter()
                .map(|(f, text)| (crate::syntax::ast::BinaryOp::Add, f.clone(), text)),
        );
    for (op, operand, text) in bonuses {
        match crate::eval::expr::arith(op, value.clone(), operand, tz) {
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
        return None;
    }
    // Round once, then caps and budget.
    let (amount, currency, quantity, unit) = match (&c.base, &value, reward.kind) {
        (Base::Perk(p), _, _) => (None, None, Some(Decimal::ONE), Some(Text::new(p))),
        (_, Value::Money(m), k) if k.is_money() => {
            let r = round(m.amount, m.currency, &program.rounding);
            if r != m.amount {
                facts.push("unrounded", phrase![Plain(m.amount.normalize())]);
            }
            (Some(r), Some(m.currency), None, None)
        }
        (_, Value::Number(n), RewardKind::Points) => {
            let r = Rounding {
                mode: program.rounding.mode,
                scale: Some(0),
            };
            let q = round(*n, program.currency, &r);
            (None, None, Some(q), Some(Text::new_static("points")))
        }
        (_, Value::Percent(p), RewardKind::Discount) => {
            (None, None, Some(*p), Some(Text::new_static("percent")))
        }
        (_, v, k) => {
            problems.push(line_problem(
                &c,
                format!("a {} reward cannot pay {v}", k.name()),
            ));
            return None;
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
        return None;
    }
    let earned_day = local_date(&c.earned_at, tz);
    let mut w = Worth {
        amount,
        currency,
        quantity,
        capped: false,
    };
    let mut notes = Notes {
        facts: &mut facts,
        steps: &mut steps,
        problems,
    };
    if !state
        .caps
        .apply(reward, &c, earned_day, consumes, &mut w, &mut notes)
    {
        return None;
    }
    if !state.caps.budget(program, &c, consumes, &mut w, &mut notes) {
        return None;
    }
    let Worth {
        amount,
        currency,
        quantity,
        capped,
    } = w;
    let (status, status_note) = status(opts, &c, capped, tz);
    let milestone = program
        .milestones
        .get(reward.milestone)
        .map_or("", |m| m.name.as_str());
    // The id and the sentence are written into strings sized once (a line builds thousands
    // of them a second: `format!` and `join` would each allocate again).
    let size = |parts: &[usize]| parts.iter().fold(0usize, |a, b| a.saturating_add(*b));
    let mut id = String::with_capacity(size(&[
        program.slug.len(),
        program.version.len(),
        reward.name.len(),
        c.record_id.len(),
        c.role.len(),
        16,
    ]));
    for part in [
        program.slug.as_str(),
        "@",
        &program.version,
        "/",
        &reward.name,
        "/",
        &c.record_id,
        "/",
        &c.role,
    ] {
        id.push_str(part);
    }
    if c.occurrence > 0 {
        id.push('/');
        id.push_str(itoa::Buffer::new().format(c.occurrence));
    }
    let scale = currency
        .map(|cur| program.rounding.scale_for(cur))
        .unwrap_or(0);
    let worth = match (amount, currency, quantity, &unit) {
        (Some(a), Some(cur), _, _) => {
            let mut w = crate::money::format_amount(a, scale);
            w.push(' ');
            w.push_str(cur.as_str());
            w
        }
        (_, _, Some(q), Some(u)) if reward.kind == RewardKind::Perk => {
            format!("the perk \"{u}\" (x{q})")
        }
        (_, _, Some(q), Some(u)) => phrase![Plain(q.normalize()), " ", u],
        _ => String::new(),
    };
    let steps_len = steps
        .iter()
        .fold(0usize, |a, s| a.saturating_add(s.len()).saturating_add(2));
    let mut text = String::with_capacity(size(&[
        c.role.len(),
        c.recipient.len(),
        worth.len(),
        reward.name.len(),
        milestone.len(),
        steps_len,
        status_note.len(),
        64,
    ]));
    for part in [
        &*c.role,
        " ",
        &c.recipient,
        " earns ",
        &worth,
        " (",
        reward.kind.name(),
        ") under `",
        &reward.name,
        "` for reaching `",
        milestone,
        "` on ",
    ] {
        text.push_str(part);
    }
    push_day(&mut text, earned_day);
    for (i, step) in steps.iter().enumerate() {
        text.push_str(if i == 0 { ": " } else { "; " });
        text.push_str(step);
    }
    text.push_str(". ");
    text.push_str(&status_note);
    text.push('.');
    facts.push("status", status_note);
    let line = Line {
        id,
        record_id: c.record_id.clone(),
        recipient: RecipientRef {
            role: c.role.clone(),
            id: c.recipient.clone(),
        },
        rule: Text::new(&reward.name),
        tier: c.tier.take(),
        milestone: Text::new(milestone),
        kind: reward.kind,
        amount: amount.map(|a| (a, scale)),
        currency,
        quantity,
        unit,
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
    let mut clawback = None;
    if let Fate::ClawedBack(at, why) = &c.fate {
        if !capped && status != Status::Expired {
            let mut f = Facts::default();
            f.push("reversal", why.clone());
            f.push("reverses", line.id.clone());
            let back = Line {
                id: format!("{}/clawback", line.id),
                amount: amount.map(|a| (negate(a), scale)),
                quantity: if amount.is_none() {
                    quantity.map(negate)
                } else {
                    None
                },
                status: Status::ClawedBack,
                earned_at: *at,
                payable_on: local_date(at, tz),
                expires_on: None,
                reverses: Some(line.id.clone()),
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
            clawback = Some((
                back,
                (*at, c.record_id.clone(), c.reward, c.occurrence, true),
            ));
        }
    }
    Some(Built {
        line,
        key,
        clawback,
    })
}

/// The status as of the run's date, and its note. A line reversed while it was live is settled
/// by its clawback line and no longer expires (that would take it back twice); one reversed
/// after it expired has nothing left to take back.
fn status(opts: &Options, c: &Candidate, capped: bool, tz: chrono_tz::Tz) -> (Status, String) {
    let reversed_live = match &c.fate {
        Fate::ClawedBack(at, _) => c.expires_on.is_none_or(|e| local_date(at, tz) <= e),
        _ => false,
    };
    match &c.fate {
        _ if capped => (Status::Capped, "cut to nothing by a cap".to_string()),
        Fate::Forfeited(why) => (Status::Forfeited, format!("forfeited: {why}")),
        Fate::Waiting(why) => (Status::Pending, format!("pending: {why}")),
        _ if opts.as_of < c.payable_on => (Status::Pending, dated("on hold until ", c.payable_on)),
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
        _ => (Status::Payable, dated("payable since ", c.payable_on)),
    }
}

/// `what` and a date, as `format!("{what}{}", Day(d))` writes them (explanations are
/// written for every line, so without the formatting machinery).
fn dated(what: &str, d: chrono::NaiveDate) -> String {
    let mut s = String::with_capacity(what.len().saturating_add(10));
    s.push_str(what);
    push_day(&mut s, d);
    s
}

/// Appends a date as [`Day`] shows it.
fn push_day(out: &mut String, d: chrono::NaiveDate) {
    match crate::stamp::date(d) {
        Some(stamp) => out.push_str(stamp.as_str()),
        None => {
            let _ = write!(out, "{}", Day(d));
        }
    }
}
