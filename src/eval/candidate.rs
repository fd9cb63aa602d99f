//! One reward's candidate for one record: its amount before cross-record rules (fixed, rate,
//! tiers by amount and their bands, bonuses), its timing (hold, schedule, expiry) and its fate
//! (forfeit, clawback). Used by [`super::judge`].

use super::expr::{Ctx, EvalError};
use super::judge::*;
use crate::ledger::Facts;
use crate::money::Plain;
use crate::phrase::phrase;
use crate::program::*;
use crate::records::Event;
use crate::stamp::Rfc3339;
use crate::time::{add, add_to_date, local_date, payout_day, Instant};
use crate::value::{Text, Value};
use rust_decimal::Decimal;

/// The two usual roles, shared by every candidate rather than allocated for each.
const REFERRER: Text = Text::new_static("referrer");
const REFEREE: Text = Text::new_static("referee");

#[allow(clippy::too_many_arguments)]
pub(super) fn candidate(
    ctx: &Ctx<'_>,
    ri: usize,
    reward: &RewardDef,
    occurrence: u32,
    earned_at: Instant,
    record_id: &Text,
    as_of_end: Instant,
    firsts: &[Option<Instant>],
    mut cov: Option<&mut super::Coverage>,
) -> Result<Option<Candidate>, EvalError> {
    let program = ctx.program;
    // Trace notes are written only for the record being explained.
    let note = |s: &dyn Fn() -> String| {
        if let Some(t) = ctx.trace {
            t.borrow_mut().push(s());
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
            note(&|| format!("✗ reward `{}` not paid: only if {}", reward.name, t.text));
            return Ok(None);
        }
    }
    let text_field = |slot: usize| -> Result<Text, EvalError> {
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
    let (role, recipient): (Text, Text) = match &reward.recipient {
        Recipient::Referrer => (REFERRER, text_field(slot::REFERRER_ID)?),
        Recipient::Referee => (REFEREE, text_field(slot::REFEREE_ID)?),
        Recipient::Party { slot, role } => (Text::new(role), text_field(*slot)?),
    };
    let referee = text_field(slot::REFEREE_ID)?;
    let mut facts = Facts(Vec::with_capacity(8));
    let mut steps = Vec::new();
    let milestone = program
        .milestones
        .get(reward.milestone)
        .map_or("", |m| m.name.as_str());
    facts.push("milestone", phrase![milestone, " at ", Rfc3339(&earned_at)]);
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
            facts.push("measure", phrase![measure_text, " = ", m]);
            match pick_band(&m, bands)? {
                Some(b) => {
                    tier = Some(Text::new(&b.label));
                    facts.push("band", b.label.clone());
                    let pays = ctx.need(&b.pays)?;
                    let v = band_amount(&m, &pays, reward.kind.is_money())?;
                    if let Value::Percent(p) = pays {
                        facts.push("rate", phrase![Plain(p.normalize()), "%"]);
                        steps.push(phrase![
                            measure_text,
                            " ",
                            m,
                            " is in band `",
                            b.label,
                            "`: ",
                            Plain(p.normalize()),
                            "% of it is ",
                            v
                        ]);
                    } else {
                        steps.push(phrase![
                            measure_text,
                            " ",
                            m,
                            " is in band `",
                            b.label,
                            "`, which pays ",
                            v
                        ]);
                    }
                    let v = clamp(v, b, &m, reward.kind.is_money(), &mut facts, &mut steps)?;
                    Base::Value(v)
                }
                None => {
                    steps.push(format!("{measure_text} {m} is in no band"));
                    note(&|| {
                        format!(
                            "✗ reward `{}`: {measure_text} {m} is in no band",
                            reward.name
                        )
                    });
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
                    phrase![kind_name(f.kind), " at ", Rfc3339(&e.at)],
                ),
                None if deadline < as_of_end => {
                    fate = Fate::Forfeited(format!(
                        "no `{}` by {}",
                        kind_name(f.kind),
                        Rfc3339(&deadline)
                    ))
                }
                None => {
                    fate = Fate::Waiting(format!(
                        "forfeits unless `{}` by {}",
                        kind_name(f.kind),
                        Rfc3339(&deadline)
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
            let why = format!("`{}` at {}", kind_name(c.kind), Rfc3339(&e.at));
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
            steps.push(phrase!["raised to the band's minimum ", min]);
            facts.push("band minimum", min.to_string());
            v = min;
        }
    }
    if let Some(max) = &b.max {
        let max = as_amount(max)?;
        if super::expr::compare(crate::syntax::ast::BinaryOp::Gt, &v, &max, chrono_tz::UTC)? {
            steps.push(phrase!["limited to the band's maximum ", max]);
            facts.push("band maximum", max.to_string());
            v = max;
        }
    }
    Ok(v)
}
