//! Parameters in term positions: the first step of checking.
//!
//! A term (a window's or the program's dates, a deadline, a `limit`, a hold, an expiry, a cap,
//! a bonus, a tier bound, `min`/`max`, the budget and the minimum payout) may be written as a
//! parameter's name ([`Term::Param`]). [`resolve`] makes a copy of the program's items in
//! which every such name is replaced by the parameter's value, and every `param` by its
//! override when a scenario gives one, so that everything after it (the checker proper, the
//! lints, the evaluator) sees only values. A name that is not a parameter, or a parameter of
//! the wrong kind for the term (a percentage as a deadline), is an error here.

use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::*;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The items with every parameter in a term replaced by its value; the names of the
/// parameters so used (for the unused-parameter lint).
pub(crate) struct Resolved {
    /// The items, in source order.
    pub items: Vec<Item>,
    /// Parameters named in terms.
    pub used: BTreeSet<String>,
}

/// Replaces parameters in terms by their values; `overrides` replace declared values (by
/// name; already checked against the declared type by [`crate::scenario`]).
pub(crate) fn resolve(
    items: &[&Item],
    overrides: &BTreeMap<String, Literal>,
    diags: &mut Vec<Diagnostic>,
) -> Resolved {
    let mut items: Vec<Item> = items.iter().map(|i| (*i).clone()).collect();
    // Overrides first: a term then takes the scenario's value.
    for item in &mut items {
        if let Item::Param(p) = item {
            if let Some(o) = overrides.get(&p.name.text) {
                p.value = Literal {
                    kind: o.kind.clone(),
                    span: p.value.span,
                };
            }
        }
    }
    let mut params: HashMap<String, Literal> = HashMap::new();
    for item in &items {
        if let Item::Param(p) = item {
            params
                .entry(p.name.text.clone())
                .or_insert_with(|| p.value.clone());
        }
    }
    let mut r = Resolver {
        params,
        used: BTreeSet::new(),
        diags,
    };
    for item in &mut items {
        r.item(item);
    }
    Resolved {
        items,
        used: r.used,
    }
}

/// Why a term's parameter could not stand there.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum TermError {
    /// The name is not a declared `param`.
    #[error("`{}` is not a parameter", name.text)]
    NotAParameter {
        /// The name as written.
        name: Name,
        /// The closest parameter's name, as a did-you-mean hint.
        closest: Option<String>,
    },
    /// The parameter's value is not what the term needs.
    #[error("`{}` is {is}, but {want} is needed here", name.text)]
    WrongKind {
        /// The name as written.
        name: Name,
        /// What the parameter is: `a percentage`, `the number -1`.
        is: String,
        /// What the term needs: `a duration`.
        want: &'static str,
        /// A value of that kind: `60 days`.
        example: &'static str,
    },
}

impl From<TermError> for Diagnostic {
    fn from(e: TermError) -> Diagnostic {
        let message = e.to_string();
        match e {
            TermError::NotAParameter { name, closest } => {
                let help = closest.unwrap_or_else(|| {
                    format!(
                        "declare it: `param {} = ...`, or write the value itself",
                        name.text
                    )
                });
                Diagnostic::new(Code::UnknownName, message, name.span).help(help)
            }
            TermError::WrongKind {
                name,
                want,
                example,
                ..
            } => Diagnostic::new(Code::TypeMismatch, message, name.span).help(format!(
                "use a parameter declared as {want} (e.g. `param {} = {example}`), or write the value itself",
                name.text
            )),
        }
    }
}

struct Resolver<'d> {
    params: HashMap<String, Literal>,
    used: BTreeSet<String>,
    diags: &'d mut Vec<Diagnostic>,
}

/// What a literal is, for messages: "a percentage"; a number says which (`the number -1`),
/// since a number can be the wrong kind by its value (a `limit` of -1 or 1.5).
fn kind_of(l: &Literal) -> String {
    match &l.kind {
        LiteralKind::Money(_) => "an amount".into(),
        LiteralKind::Percent(_) => "a percentage".into(),
        LiteralKind::Duration(_) => "a duration".into(),
        LiteralKind::Date(_) => "a date".into(),
        LiteralKind::Number(n) => format!("the number {n}"),
        LiteralKind::Text(_) => "text".into(),
        LiteralKind::Bool(_) => "true or false".into(),
        LiteralKind::List(_) => "a list".into(),
    }
}

impl Resolver<'_> {
    /// The parameter `name`'s value, or an error (reported) when there is none.
    fn lookup(&mut self, name: &Name) -> Option<Literal> {
        match self.params.get(&name.text) {
            Some(l) => {
                self.used.insert(name.text.clone());
                Some(l.clone())
            }
            None => {
                let closest = did_you_mean(&name.text, self.params.keys().map(String::as_str));
                self.diags.push(
                    TermError::NotAParameter {
                        name: name.clone(),
                        closest,
                    }
                    .into(),
                );
                None
            }
        }
    }

    /// Reports a parameter of the wrong kind for its term.
    fn wrong(&mut self, name: &Name, l: &Literal, want: &'static str, example: &'static str) {
        self.diags.push(
            TermError::WrongKind {
                name: name.clone(),
                is: kind_of(l),
                want,
                example,
            }
            .into(),
        );
    }

    /// Resolves one term with `convert`; a term that cannot be resolved stays a name.
    fn term<T>(
        &mut self,
        t: &mut Term<T>,
        want: &'static str,
        example: &'static str,
        convert: impl Fn(&Literal, Span) -> Option<T>,
    ) {
        let Term::Param(name) = t else {
            return;
        };
        let name = name.clone();
        let Some(l) = self.lookup(&name) else {
            return;
        };
        match convert(&l, name.span) {
            Some(value) => *t = Term::Named { name, value },
            None => self.wrong(&name, &l, want, example),
        }
    }

    fn date(&mut self, t: &mut Term<NaiveDate>) {
        self.term(t, "a date", "2025-03-01", |l, _| match l.kind {
            LiteralKind::Date(d) => Some(d),
            _ => None,
        });
    }

    fn duration(&mut self, t: &mut Term<Duration>) {
        self.term(t, "a duration", "60 days", |l, _| match l.kind {
            LiteralKind::Duration(d) => Some(d),
            _ => None,
        });
    }

    fn money(&mut self, t: &mut Term<MoneyLit>) {
        self.term(t, "an amount", "500 USD", |l, _| match &l.kind {
            LiteralKind::Money(m) => Some(m.clone()),
            _ => None,
        });
    }

    fn literal(&mut self, t: &mut Term<Literal>) {
        self.term(t, "a value", "1000", |l, span| {
            Some(Literal {
                kind: l.kind.clone(),
                span,
            })
        });
    }

    fn item(&mut self, item: &mut Item) {
        match item {
            Item::Header(h) => {
                for s in &mut h.settings {
                    match &mut s.kind {
                        SettingKind::Effective { from, to } => {
                            for d in [from, to].into_iter().flatten() {
                                self.date(d);
                            }
                        }
                        SettingKind::Budget(m) | SettingKind::MinimumPayout(m) => self.money(m),
                        _ => {}
                    }
                }
            }
            Item::Window(w) => {
                self.date(&mut w.from);
                self.date(&mut w.to);
            }
            Item::Milestone(m) => {
                if let Some(w) = &mut m.within {
                    self.duration(&mut w.duration);
                }
                if let Some(l) = &mut m.limit {
                    self.term(l, "a whole number", "3", |l, _| match l.kind {
                        LiteralKind::Number(n) if n.fract().is_zero() => u32::try_from(n).ok(),
                        _ => None,
                    });
                }
            }
            Item::Reward(r) => {
                for c in &mut r.clauses {
                    self.clause(&mut c.kind);
                }
            }
            _ => {}
        }
    }

    fn clause(&mut self, c: &mut ClauseKind) {
        match c {
            ClauseKind::Hold(d) | ClauseKind::Expires { after: d, .. } => self.duration(d),
            ClauseKind::Clawback { within, .. } | ClauseKind::Forfeit { within, .. } => {
                self.duration(&mut within.duration);
            }
            ClauseKind::Cap(cap) => {
                self.term(
                    &mut cap.limit,
                    "an amount or a whole number",
                    "500 USD",
                    |l, _| match &l.kind {
                        LiteralKind::Money(m) => Some(CapLimit::Money(m.clone())),
                        LiteralKind::Number(n) if n.fract().is_zero() => {
                            u64::try_from(*n).ok().map(CapLimit::Count)
                        }
                        _ => None,
                    },
                );
            }
            ClauseKind::Bonus { bonus, .. } => match bonus {
                BonusAmount::Multiplier(m) => {
                    self.term(m, "a number", "1.5", |l, _| match l.kind {
                        LiteralKind::Number(n) => Some(n),
                        _ => None::<Decimal>,
                    })
                }
                BonusAmount::Fixed(l) => self.literal(l),
            },
            ClauseKind::Pays {
                amount: AmountSpec::Tiers { bands, .. } | AmountSpec::CountTiers { bands, .. },
                ..
            } => {
                for b in bands {
                    for bound in [&mut b.lower, &mut b.upper].into_iter().flatten() {
                        self.literal(&mut bound.value);
                    }
                    for l in [&mut b.min, &mut b.max].into_iter().flatten() {
                        self.literal(l);
                    }
                }
            }
            _ => {}
        }
    }
}
