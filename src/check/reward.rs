//! Checking reward rules: recipient, kind and amount, tiers, timing, reversals, caps, bonuses.

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

    fn pays(
        &mut self,
        kind_name: &ast::Name,
        amount: &ast::AmountSpec,
        event_kind: Option<usize>,
    ) -> Option<(RewardKind, AmountDef, Option<crate::money::Currency>)> {
        let Some(kind) = RewardKind::parse(&kind_name.text) else {
            self.report(
                Diagnostic::new(
                    Code::UnknownKind,
                    format!("`{}` is not a reward kind or clause", kind_name.text),
                    kind_name.span,
                )
                .maybe_help(did_you_mean(
                    &kind_name.text,
                    RewardKind::NAMES.iter().copied().chain([
                        "hold", "pay", "expires", "clawback", "forfeit", "cap", "bonus", "only",
                        "every", "at", "stacks",
                    ]),
                ))
                .note("kinds: cash, credit, gift_card, donation, points, discount, perk"),
            );
            return None;
        };
        let want = |t: &Type| -> bool {
            match kind {
                k if k.is_money() => matches!(t, Type::Money(_)),
                RewardKind::Points => *t == Type::Number,
                RewardKind::Discount => *t == Type::Percent,
                _ => t.is_text(),
            }
        };
        let expected = match kind {
            k if k.is_money() => "an amount of money, e.g. `50 USD` or `2% of deal.amount`",
            RewardKind::Points => "a number of points, e.g. `points 100`",
            RewardKind::Discount => "a percentage, e.g. `discount 10%`",
            _ => "a description, e.g. `perk \"Early access\"`",
        };
        // The reward's currency when it is known before any record is read.
        let mut currency: Option<crate::money::Currency> = None;
        let def = match amount {
            ast::AmountSpec::Expr(e) => {
                let (x, t) = self.expr(e, event_kind);
                if let Type::Money(c) = &t {
                    currency = *c;
                }
                if t == Type::Error {
                    return None;
                }
                if !want(&t) {
                    self.report(
                        Diagnostic::new(
                            Code::BadAmount,
                            format!(
                                "a {} reward needs {expected}; this is {}",
                                kind.name(),
                                t.a()
                            ),
                            e.span,
                        )
                        .help(expected.to_string()),
                    );
                    return None;
                }
                if kind == RewardKind::Perk {
                    match x {
                        Expr::Const(Value::Text(t)) => AmountDef::Perk(t.to_string()),
                        _ => {
                            self.report(Diagnostic::new(
                                Code::BadAmount,
                                "a perk is described by a quoted text",
                                e.span,
                            ));
                            return None;
                        }
                    }
                } else {
                    AmountDef::Expr(x)
                }
            }
            ast::AmountSpec::Tiers { measure, bands } => {
                if !(kind.is_money() || kind == RewardKind::Points) {
                    self.report(Diagnostic::new(
                        Code::BadAmount,
                        format!("a {} reward cannot be tiered", kind.name()),
                        kind_name.span,
                    ));
                    return None;
                }
                let (m, mt) = self.expr(measure, event_kind);
                if mt == Type::Error {
                    return None;
                }
                if let Type::Money(c) = &mt {
                    currency = *c;
                }
                if !matches!(mt, Type::Money(_) | Type::Number) {
                    self.report(Diagnostic::new(
                        Code::TypeMismatch,
                        format!("tiers measure an amount or a number; this is {}", mt.a()),
                        measure.span,
                    ));
                    return None;
                }
                let bands = self.bands(bands, &mt, kind, event_kind)?;
                AmountDef::Tiers {
                    measure: m,
                    measure_text: self.text(measure.span),
                    bands,
                }
            }
            ast::AmountSpec::CountTiers {
                period,
                mode,
                bands,
            } => {
                let retroactive = match mode.as_ref().map(|m| m.text.as_str()) {
                    None | Some("marginal") => false,
                    Some("retroactive") => true,
                    Some(other) => {
                        let span = mode.as_ref().map(|m| m.span).unwrap_or_default();
                        self.report(
                            Diagnostic::new(
                                Code::UnknownWord,
                                format!("`{other}` is not a tier mode"),
                                span,
                            )
                            .maybe_help(did_you_mean(other, ["marginal", "retroactive"]))
                            .note("expected marginal or retroactive"),
                        );
                        return None;
                    }
                };
                let period = self.period(period, !retroactive)?;
                let bands = self.bands(bands, &Type::Number, kind, event_kind)?;
                for b in &bands {
                    if matches!(b.pays, Expr::Const(Value::Percent(_))) {
                        self.report(Diagnostic::new(
                            Code::BadAmount,
                            "a band by count pays an amount, not a rate",
                            kind_name.span,
                        ));
                        return None;
                    }
                }
                AmountDef::CountTiers {
                    period,
                    retroactive,
                    bands,
                }
            }
        };
        if let AmountDef::CountTiers { bands, .. } = &def {
            if kind.is_money() {
                // Bare numbers in bands by count are in the program's currency.
                currency = bands
                    .iter()
                    .find_map(|b| match &b.pays {
                        Expr::Const(Value::Money(m)) => Some(m.currency),
                        _ => None,
                    })
                    .or(self.default_currency);
            }
        }
        Some((kind, def, currency))
    }

    fn bands(
        &mut self,
        bands: &[ast::Band],
        measure: &Type,
        kind: RewardKind,
        event_kind: Option<usize>,
    ) -> Option<Vec<BandDef>> {
        let mut out = Vec::new();
        let mut ok = true;
        for b in bands {
            let bound =
                |cx: &mut Checker<'a>, x: &Option<ast::Bound>| -> Option<Option<BandBound>> {
                    let Some(x) = x else { return Some(None) };
                    let (v, t) = cx.literal(x.value.value()?)?;
                    let fits = match (measure, &t) {
                        (Type::Number, Type::Number) => true,
                        (Type::Money(_), Type::Number) => true,
                        (Type::Money(Some(a)), Type::Money(Some(b))) if a != b => {
                            cx.report(
                                Diagnostic::new(
                                    Code::CurrencyMismatch,
                                    format!("this bound is in {b} but the tiers measure {a}"),
                                    x.span,
                                )
                                .help("write bounds in the measure's currency, or as bare numbers"),
                            );
                            return None;
                        }
                        (Type::Money(_), Type::Money(_)) => true,
                        _ => false,
                    };
                    if !fits {
                        cx.report(Diagnostic::new(
                            Code::TypeMismatch,
                            format!("a bound of {measure} tiers cannot be {t}"),
                            x.span,
                        ));
                        return None;
                    }
                    Some(Some(BandBound {
                        value: v,
                        inclusive: x.inclusive,
                    }))
                };
            let lower = bound(self, &b.lower);
            let upper = bound(self, &b.upper);
            let (pays, pt) = self.expr(&b.pays, event_kind);
            let pays_ok = match (&pt, kind) {
                (Type::Error, _) => false,
                (Type::Money(_) | Type::Number | Type::Percent, k) if k.is_money() => true,
                (Type::Number | Type::Percent, RewardKind::Points) => true,
                _ => false,
            };
            if !pays_ok && pt != Type::Error {
                self.report(
                    Diagnostic::new(Code::BadAmount, format!("a band of a {} reward cannot pay {pt}", kind.name()), b.pays.span)
                        .help("a band pays an amount (`500 USD`, or `500` in the measure's currency) or a rate (`2%`)"),
                );
            }
            let lit = |cx: &mut Checker<'a>, l: &Option<ast::Term<ast::Literal>>| {
                l.as_ref()
                    .and_then(|l| l.value())
                    .and_then(|l| cx.literal(l))
                    .map(|(v, _)| v)
            };
            let (min, max) = (lit(self, &b.min), lit(self, &b.max));
            let label = band_label(self, b);
            match (lower, upper, pays_ok) {
                (Some(lower), Some(upper), true) => out.push(BandDef {
                    lower,
                    upper,
                    pays,
                    min,
                    max,
                    label,
                    span: b.span,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }
}

impl Checker<'_> {
    /// Amounts that must agree with the reward's currency, and amounts that must not be
    /// negative. Returns false when it reported an error.
    fn reward_amounts(
        &mut self,
        name: &str,
        reward_span: Span,
        amount: &AmountDef,
        currency: Option<crate::money::Currency>,
        bonuses: &[BonusDef],
        caps: &[CapDef],
    ) -> bool {
        let mut ok = true;
        let mut mismatch = |cx: &mut Self, what: &str, m: crate::money::Money, span: Span| {
            if let Some(c) = currency {
                if m.currency != c {
                    cx.report(
                        Diagnostic::new(
                            Code::CurrencyMismatch,
                            format!(
                                "{what} is in {} but reward `{name}` pays in {c}",
                                m.currency
                            ),
                            span,
                        )
                        .help(format!("write it in {c}; merit never converts currencies")),
                    );
                    ok = false;
                }
            }
        };
        for b in bonuses {
            if let Some(Value::Money(m)) = &b.fixed {
                mismatch(self, "the bonus", *m, b.span);
            }
        }
        for c in caps {
            if let CapLimit::Money(m) = c.limit {
                mismatch(self, "the cap", m, c.span);
            }
        }
        let bands = match amount {
            AmountDef::Tiers { bands, .. } | AmountDef::CountTiers { bands, .. } => {
                bands.as_slice()
            }
            _ => &[],
        };
        for b in bands {
            for v in [b.min.as_ref(), b.max.as_ref()].into_iter().flatten() {
                if let Value::Money(m) = v {
                    mismatch(self, "the band's limit", *m, b.span);
                }
            }
            if let Expr::Const(Value::Money(m)) = &b.pays {
                mismatch(self, "the band's amount", *m, b.span);
            }
        }
        let negative = |e: &Expr| match e {
            Expr::Const(Value::Money(m)) => m.amount.is_sign_negative() && !m.amount.is_zero(),
            Expr::Const(Value::Number(n) | Value::Percent(n)) => {
                n.is_sign_negative() && !n.is_zero()
            }
            _ => false,
        };
        let mut neg_spans: Vec<Span> = bands
            .iter()
            .filter(|b| negative(&b.pays))
            .map(|b| b.span)
            .collect();
        if matches!(amount, AmountDef::Expr(e) if negative(e)) {
            neg_spans.push(Span::default());
        }
        for b in bonuses {
            if b.multiplier.is_some_and(|m| m.is_sign_negative())
                || b.fixed
                    .as_ref()
                    .is_some_and(|v| negative(&Expr::Const(v.clone())))
            {
                neg_spans.push(b.span);
            }
        }
        for span in neg_spans {
            let span = if span == Span::default() {
                reward_span
            } else {
                span
            };
            self.report(
                Diagnostic::new(Code::BadAmount, format!("reward `{name}` would pay a negative amount"), span)
                    .help("rewards are never negative; take money back with `clawback if EVENT within ...`"),
            );
            ok = false;
        }
        ok
    }
}

fn band_label(cx: &Checker<'_>, b: &ast::Band) -> String {
    let mut parts = Vec::new();
    if let Some(l) = &b.lower {
        parts.push(cx.text(l.span));
    }
    if let Some(u) = &b.upper {
        parts.push(cx.text(u.span));
    }
    if parts.is_empty() {
        "any".to_string()
    } else {
        parts.join(" ")
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
