//! Checking what a reward pays: its kind and amount, tiers by a measure or by count and their
//! bands, and that every amount (bonuses, caps, band limits) agrees with the reward's currency
//! and is not negative.

use super::Checker;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::program::*;
use crate::source::Span;
use crate::syntax::ast;
use crate::value::{Type, Value};

impl<'a> Checker<'a> {
    pub(super) fn pays(
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
    pub(super) fn reward_amounts(
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
            .filter(|b| {
                let below_zero = |v: &Option<Value>| {
                    v.as_ref()
                        .is_some_and(|v| negative(&Expr::Const(v.clone())))
                };
                negative(&b.pays) || below_zero(&b.min) || below_zero(&b.max)
            })
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
