//! Checking reward rules: recipient, clauses (timing, reversals, caps, bonuses, `only if`,
//! every Nth) and counting periods. What a reward pays (its kind, amount, tiers and bands, and
//! the currency and sign of every amount) is checked in `amount.rs`.

use super::Checker;
use crate::diagnostics::{did_you_mean, one_of, Code, Diagnostic};
use crate::program::*;
use crate::source::Span;
use crate::syntax::ast::{self, ClauseKind, Item, Schedule};
use crate::time::Period;
use crate::value::{Type, Value};

impl<'a> Checker<'a> {
    pub(super) fn rewards(&mut self, items: &[&'a Item]) -> Vec<RewardDef> {
        let mut out = Vec::new();
        let mut names: std::collections::HashMap<String, Span> = Default::default();
        for item in items {
            let Item::Reward(r) = item else { continue };
            if let Some(first) = names.get(&r.name.text) {
                self.report(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("reward `{}` is declared twice", r.name.text),
                        r.name.span,
                    )
                    .also(*first, "first declared here")
                    .help("each reward has its own name; it is the ledger's `rule`"),
                );
                continue;
            }
            names.insert(r.name.text.clone(), r.name.span);
            if let Some(def) = self.reward(r) {
                out.push(def);
            }
        }
        out
    }

    fn recipient(&mut self, p: &ast::Path) -> Option<Recipient> {
        match p.dotted().as_str() {
            "referrer" => return Some(Recipient::Referrer),
            "referee" => return Some(Recipient::Referee),
            _ => {}
        }
        if p.parts.len() == 1 && !self.fields.iter().any(|f| f.dotted == p.dotted()) {
            self.report(
                Diagnostic::new(Code::UnknownRole, format!("`{}` is not a recipient", p.dotted()), p.span)
                    .maybe_help(did_you_mean(&p.dotted(), ["referrer", "referee"]).or_else(|| {
                        Some("pay `referrer`, `referee`, or a party named by a text field: `to deal.account_team`".into())
                    })),
            );
            return None;
        }
        let slot = self.field_slot(p)?;
        let ty = self
            .fields
            .get(slot)
            .map(|f| f.ty.clone())
            .unwrap_or(Type::Error);
        if !ty.is_text() {
            self.report(Diagnostic::new(
                Code::TypeMismatch,
                format!(
                    "a recipient is named by a text field; `{}` is {ty}",
                    p.dotted()
                ),
                p.span,
            ));
            return None;
        }
        Some(Recipient::Party {
            slot,
            role: p.parts.last().cloned().unwrap_or_default(),
        })
    }

    fn reward(&mut self, r: &ast::Reward) -> Option<RewardDef> {
        let milestone = self.milestone_ref(&r.milestone);
        let recipient = self.recipient(&r.recipient);
        let event_kind = milestone
            .and_then(|m| self.milestones.get(m))
            .map(|m| m.kind);
        let mut pays: Option<(RewardKind, AmountDef, Option<crate::money::Currency>)> = None;
        let mut pays_span: Option<Span> = None;
        let mut ok = milestone.is_some() && recipient.is_some();
        let mut seen: std::collections::HashMap<std::mem::Discriminant<ClauseKind>, Span> =
            Default::default();
        let mut def_hold = None;
        let mut schedule = Schedule::Immediately;
        let (mut expires, mut clawback, mut forfeit, mut nth) = (None, None, None, None);
        let (mut caps, mut bonuses, mut only_if, mut stacks) =
            (Vec::new(), Vec::new(), Vec::new(), false);
        for c in &r.clauses {
            let key = std::mem::discriminant(&c.kind);
            let repeatable = matches!(
                c.kind,
                ClauseKind::Cap(_) | ClauseKind::Bonus { .. } | ClauseKind::OnlyIf(_)
            );
            if let (false, Some(first)) = (repeatable, seen.get(&key)) {
                let d = if let ClauseKind::Pays { kind, .. } = &c.kind {
                    Diagnostic::new(
                        Code::MissingPays,
                        format!(
                            "reward `{}` already says what it pays; `{}` would be a second payment",
                            r.name.text, kind.text
                        ),
                        c.span,
                    )
                    .also(*first, "what it pays")
                    .help("a reward pays one kind and amount; write a second reward (with `stacks`) for another")
                } else {
                    Diagnostic::new(
                        Code::DuplicateSetting,
                        "this clause is given twice in one reward",
                        c.span,
                    )
                    .also(*first, "first given here")
                    .help("keep one; only `cap`, `bonus` and `only if` may be repeated")
                };
                self.report(d);
                ok = false;
                continue;
            }
            seen.insert(key, c.span);
            match &c.kind {
                ClauseKind::Pays { kind, amount } => {
                    pays_span = Some(c.span);
                    match self.pays(kind, amount, event_kind) {
                        Some(p) => pays = Some(p),
                        None => ok = false,
                    }
                }
                ClauseKind::Hold(d) => match d.value() {
                    Some(d) => def_hold = Some(*d),
                    None => ok = false,
                },
                ClauseKind::Schedule(s) => {
                    if let Schedule::DayOfNextMonth(day) = s {
                        if !(1..=31).contains(day) {
                            self.report(
                                Diagnostic::new(
                                    Code::InvalidClause,
                                    format!("day {day} is not a day of a month"),
                                    c.span,
                                )
                                .help("use 1 to 31; days past a month's end pay on its last day"),
                            );
                            ok = false;
                        }
                    }
                    schedule = *s;
                }
                ClauseKind::Expires { after, anchor } => match anchor.text.as_str() {
                    "payable" | "earned" => match after.value() {
                        Some(after) => {
                            expires = Some(Expiry {
                                after: *after,
                                from_payable: anchor.text == "payable",
                            })
                        }
                        None => ok = false,
                    },
                    other => {
                        self.report(
                            Diagnostic::new(
                                Code::UnknownWord,
                                format!("`expires ... after {other}` is not a choice"),
                                anchor.span,
                            )
                            .help(one_of(other, ["payable", "earned"]))
                            .note("expected payable or earned"),
                        );
                        ok = false;
                    }
                },
                ClauseKind::Clawback { event, within } | ClauseKind::Forfeit { event, within } => {
                    let kind = self.event_kind(event);
                    let anchor = self.anchor(&within.anchor);
                    match (kind, anchor, within.duration.value()) {
                        (Some(kind), Some(anchor), Some(duration)) => {
                            let d = EventDeadline {
                                kind,
                                within: Window {
                                    duration: *duration,
                                    anchor,
                                },
                            };
                            if matches!(c.kind, ClauseKind::Clawback { .. }) {
                                clawback = Some(d);
                            } else {
                                forfeit = Some(d);
                            }
                        }
                        _ => ok = false,
                    }
                }
                ClauseKind::Cap(cap) => match self.cap(cap, c.span) {
                    Some(cd) => caps.push(cd),
                    None => ok = false,
                },
                ClauseKind::Bonus { bonus, when } => {
                    let test = self.test("bonus", when, event_kind);
                    let (multiplier, fixed) = match bonus {
                        ast::BonusAmount::Multiplier(m) => match m.value() {
                            Some(m) => (Some(*m), None),
                            None => {
                                ok = false;
                                (None, None)
                            }
                        },
                        ast::BonusAmount::Fixed(l) => match l.value().and_then(|l| self.literal(l))
                        {
                            Some((v, _)) => (None, Some(v)),
                            None => {
                                ok = false;
                                (None, None)
                            }
                        },
                    };
                    match test {
                        Some(t) => bonuses.push(BonusDef {
                            multiplier,
                            fixed,
                            when: t.expr,
                            text: bonus_text(self.text(c.span), bonus),
                            span: c.span,
                        }),
                        None => ok = false,
                    }
                }
                ClauseKind::OnlyIf(e) => match self.test("only if", e, event_kind) {
                    Some(t) => only_if.push(t),
                    None => ok = false,
                },
                ClauseKind::Nth { every, n, period } => {
                    if *n == 0 {
                        self.report(
                            Diagnostic::new(
                                Code::InvalidClause,
                                "the 0th referral never happens",
                                c.span,
                            )
                            .help("count from 1st"),
                        );
                        ok = false;
                    }
                    match self.period(period, true) {
                        Some(p) => {
                            nth = Some(NthDef {
                                every: *every,
                                n: *n,
                                period: p,
                                span: c.span,
                            })
                        }
                        None => ok = false,
                    }
                }
                ClauseKind::Stacks => stacks = true,
            }
        }
        let Some((kind, amount, currency)) = pays else {
            if pays_span.is_none() {
                self.report(
                    Diagnostic::new(Code::MissingPays, format!("reward `{}` does not say what it pays", r.name.text), r.name.span)
                        .help("add a kind and an amount, e.g. `cash 50 USD`, `credit 2% of deal.amount`, `points 100`"),
                );
            }
            return None;
        };
        // Money-kind bonuses must be money; points bonuses numbers.
        for b in &bonuses {
            if let Some(v) = &b.fixed {
                let fits = match (kind.is_money(), v) {
                    (true, Value::Money(_)) => true,
                    (false, Value::Number(_)) => kind == RewardKind::Points,
                    _ => false,
                };
                if !fits {
                    self.report(
                        Diagnostic::new(
                            Code::BadAmount,
                            format!("a {} reward's bonus cannot be {v}", kind.name()),
                            r.span,
                        )
                        .help(if kind.is_money() {
                            "give the bonus a currency: `bonus 25 USD if ...`"
                        } else {
                            "use a multiplier: `bonus x1.5 if ...`"
                        }),
                    );
                    ok = false;
                }
            }
        }
        ok &= self.reward_amounts(&r.name.text, r.span, &amount, currency, &bonuses, &caps);
        if let (Some(c), true) = (currency, kind.is_money()) {
            self.reward_currencies
                .push((r.name.text.clone(), r.name.span, c));
        }
        // With an unknown milestone or recipient the program is already rejected; the reward is
        // still returned (with placeholders) so the lints can look at its tiers and caps.
        let _ = ok;
        Some(RewardDef {
            name: r.name.text.clone(),
            milestone: milestone.unwrap_or(usize::MAX),
            recipient: recipient.unwrap_or(Recipient::Referrer),
            kind,
            amount,
            hold: def_hold,
            schedule,
            expires,
            clawback,
            forfeit,
            caps,
            bonuses,
            only_if,
            nth,
            stacks,
            span: r.span,
        })
    }

    pub(crate) fn period(&mut self, p: &ast::Period, allow_rolling: bool) -> Option<Period> {
        match p {
            ast::Period::Named(n) => {
                let period = Period::named(&n.text);
                if period.is_none() {
                    self.report(
                        Diagnostic::new(
                            Code::UnknownWord,
                            format!("`per {}` is not a period", n.text),
                            n.span,
                        )
                        .help(one_of(&n.text, Period::NAMES.iter().copied()))
                        .note("expected month, quarter, year, program or rolling N days"),
                    );
                }
                period
            }
            ast::Period::Rolling(d, span) => {
                if !allow_rolling {
                    self.report(
                        Diagnostic::new(
                            Code::UnknownWord,
                            "this counts on calendar periods only",
                            *span,
                        )
                        .help("use per month, per quarter, per year or per program"),
                    );
                    return None;
                }
                Some(Period::Rolling(*d))
            }
        }
    }

    fn cap(&mut self, cap: &ast::Cap, span: Span) -> Option<CapDef> {
        let scope = CapScope::parse(&cap.scope.text);
        if scope.is_none() {
            self.report(
                Diagnostic::new(
                    Code::UnknownWord,
                    format!("`per {}` is not a cap scope", cap.scope.text),
                    cap.scope.span,
                )
                .help(one_of(&cap.scope.text, CapScope::NAMES.iter().copied()))
                .note("expected reward, recipient, referee or program"),
            );
        }
        let limit = match cap.limit.value()? {
            ast::CapLimit::Money(m) => CapLimit::Money(self.money(m)?),
            ast::CapLimit::Count(n) => CapLimit::Count(*n),
        };
        let period = match &cap.period {
            Some(p) => Some(self.period(p, false)?),
            None => None,
        };
        Some(CapDef {
            limit,
            scope: scope?,
            period,
            text: self.text(span),
            span,
        })
    }
}

/// A bonus as written, with the value of a parameter it names: `bonus x boost if ... (boost =
/// 1.5)`, so an explanation shows the multiplier actually applied.
fn bonus_text(written: String, bonus: &ast::BonusAmount) -> String {
    let named = match bonus {
        ast::BonusAmount::Multiplier(ast::Term::Named { name, value }) => {
            Some((name, value.to_string()))
        }
        ast::BonusAmount::Fixed(ast::Term::Named { name, value }) => {
            Some((name, crate::fmt::expr::literal(value)))
        }
        _ => None,
    };
    match named {
        Some((name, value)) => format!("{written} ({} = {value})", name.text),
        None => written,
    }
}
