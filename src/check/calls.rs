//! Typing and compiling function calls: the scalar functions (`domain`, `lower`,
//! `days_between`), `convert` with a rates table, and the aggregates over a record's events
//! (`count`, `sum`, `min`, `max`, `first`, `latest`, with an optional `within`).

use super::expr::ERR;
use super::{Checker, NameRef};
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::program::{Aggregate, Expr, Func, Window};
use crate::syntax::ast::{self, ExprKind};
use crate::value::Type;

impl<'a> Checker<'a> {
    pub(super) fn call(
        &mut self,
        func: &ast::Name,
        args: &[ast::CallArg],
        ek: Option<usize>,
    ) -> (Expr, Type) {
        let agg = match func.text.as_str() {
            "count" => Some(Aggregate::Count),
            "sum" => Some(Aggregate::Sum),
            "min" => Some(Aggregate::Min),
            "max" => Some(Aggregate::Max),
            "first" => Some(Aggregate::First),
            "latest" => Some(Aggregate::Latest),
            _ => None,
        };
        if let Some(agg) = agg {
            return self.aggregate(func, agg, args);
        }
        if func.text == "convert" {
            return self.convert(func, args, ek);
        }
        let (f, arity) = match func.text.as_str() {
            "domain" => (Func::Domain, 1),
            "lower" => (Func::Lower, 1),
            "days_between" => (Func::DaysBetween, 2),
            other => {
                let names = [
                    "domain",
                    "lower",
                    "days_between",
                    "convert",
                    "count",
                    "sum",
                    "min",
                    "max",
                    "first",
                    "latest",
                ];
                self.report(
                    Diagnostic::new(
                        Code::UnknownFunction,
                        format!("unknown function `{other}`"),
                        func.span,
                    )
                    .maybe_help(
                        did_you_mean(other, names)
                            .or_else(|| Some(format!("functions: {}", names.join(", ")))),
                    ),
                );
                return ERR;
            }
        };
        if args.len() != arity || args.iter().any(|a| a.within.is_some()) {
            self.report(Diagnostic::new(
                Code::UnknownFunction,
                format!(
                    "`{}` takes {arity} argument{}",
                    func.text,
                    if arity == 1 { "" } else { "s" }
                ),
                func.span,
            ));
            return ERR;
        }
        let mut compiled = Vec::new();
        for a in args {
            let (e, t) = self.expr(&a.expr, ek);
            let ok = match f {
                Func::Domain | Func::Lower => t.is_text(),
                Func::DaysBetween => matches!(t, Type::Date | Type::DateTime),
                Func::Convert(_) => matches!(t, Type::Money(_)),
            };
            if t == Type::Error {
                return ERR;
            }
            if !ok {
                self.report(Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{}` cannot take {t}", func.text),
                    a.expr.span,
                ));
                return ERR;
            }
            compiled.push(e);
        }
        let ty = match f {
            Func::Domain | Func::Lower => Type::Text,
            Func::DaysBetween => Type::Number,
            Func::Convert(_) => Type::Money(None),
        };
        (
            Expr::Call {
                func: f,
                args: compiled,
            },
            ty,
        )
    }

    /// `convert(amount, rates)`: money into the rates table's currency.
    fn convert(
        &mut self,
        func: &ast::Name,
        args: &[ast::CallArg],
        ek: Option<usize>,
    ) -> (Expr, Type) {
        let usage = |cx: &mut Checker<'a>| {
            cx.report(
                Diagnostic::new(
                    Code::UnknownFunction,
                    "`convert` takes an amount and a rates table",
                    func.span,
                )
                .help("declare `rates fx in USD` and write `convert(deal.amount, fx)`"),
            );
            ERR
        };
        let [amount, table] = args else {
            return usage(self);
        };
        if amount.within.is_some() || table.within.is_some() {
            return usage(self);
        }
        let ExprKind::Path(p) = &table.expr.kind else {
            return usage(self);
        };
        let Some(NameRef::Rates(i)) = p.parts.first().and_then(|n| self.names.get(n)).copied()
        else {
            let names: Vec<String> = self.rates.iter().map(|r| r.name.clone()).collect();
            self.report(
                Diagnostic::new(
                    Code::UnknownName,
                    format!("`{}` is not a rates table", p.dotted()),
                    p.span,
                )
                .maybe_help(
                    did_you_mean(&p.dotted(), names.iter().map(String::as_str))
                        .or_else(|| Some("declare it: `rates fx in USD`".into())),
                ),
            );
            return ERR;
        };
        self.lint_facts.used.insert(NameRef::Rates(i).key());
        let (x, t) = self.expr(&amount.expr, ek);
        if t == Type::Error {
            return ERR;
        }
        if !matches!(t, Type::Money(_)) {
            self.report(Diagnostic::new(
                Code::TypeMismatch,
                format!("only money can be converted; this is {}", t.a()),
                amount.expr.span,
            ));
            return ERR;
        }
        let currency = self.rates.get(i).map(|r| r.currency);
        (
            Expr::Call {
                func: Func::Convert(i),
                args: vec![x],
            },
            Type::Money(currency),
        )
    }

    fn aggregate(
        &mut self,
        func: &ast::Name,
        agg: Aggregate,
        args: &[ast::CallArg],
    ) -> (Expr, Type) {
        let [arg] = args else {
            self.report(
                Diagnostic::new(
                    Code::UnknownFunction,
                    format!("`{}` takes one event kind", func.text),
                    func.span,
                )
                .help(format!(
                    "write `{}(payment.amount within 90 days after won)`",
                    func.text
                )),
            );
            return ERR;
        };
        let ExprKind::Path(p) = &arg.expr.kind else {
            self.report(Diagnostic::new(
                Code::UnknownFunction,
                format!(
                    "`{}` takes an event kind (`payment`) or an attribute (`payment.amount`)",
                    func.text
                ),
                arg.expr.span,
            ));
            return ERR;
        };
        let kind_name = ast::Name {
            text: p.parts.first().cloned().unwrap_or_default(),
            span: p.span,
        };
        let Some(kind) = self.event_kind(&kind_name) else {
            return ERR;
        };
        let attr = match p.parts.get(1..) {
            Some([a]) => {
                let attrs = self
                    .events
                    .get(kind)
                    .map(|k| k.attrs.clone())
                    .unwrap_or_default();
                match attrs.iter().position(|x| x.dotted == *a) {
                    Some(i) => Some((i, attrs.get(i).map(|x| x.ty.clone()).unwrap_or(Type::Error))),
                    None => {
                        let names: Vec<&str> = attrs.iter().map(|x| x.dotted.as_str()).collect();
                        self.report(
                            Diagnostic::new(
                                Code::UnknownField,
                                format!("`{}` events have no attribute `{a}`", kind_name.text),
                                p.span,
                            )
                            .maybe_help(did_you_mean(a, names)),
                        );
                        return ERR;
                    }
                }
            }
            Some([]) | None => None,
            Some(_) => {
                self.report(Diagnostic::new(
                    Code::UnknownField,
                    "an event attribute has one name",
                    p.span,
                ));
                return ERR;
            }
        };
        let ty = match (agg, &attr) {
            (Aggregate::Count, None) => Type::Number,
            (Aggregate::Count, Some(_)) => {
                self.report(
                    Diagnostic::new(
                        Code::UnknownFunction,
                        "`count` counts events; give just the kind",
                        p.span,
                    )
                    .help(format!("write `count({})`", kind_name.text)),
                );
                return ERR;
            }
            (_, None) => {
                self.report(
                    Diagnostic::new(
                        Code::UnknownFunction,
                        format!("`{}` needs an attribute", func.text),
                        p.span,
                    )
                    .help(format!("write `{}({}.amount)`", func.text, kind_name.text)),
                );
                return ERR;
            }
            (Aggregate::Sum, Some((_, t))) if !matches!(t, Type::Number | Type::Money(_)) => {
                self.report(Diagnostic::new(
                    Code::TypeMismatch,
                    format!("cannot add up {t}"),
                    p.span,
                ));
                return ERR;
            }
            (_, Some((_, t))) => t.clone(),
        };
        let within = match &arg.within {
            Some(w) => match (self.anchor(&w.anchor), w.duration.value()) {
                (Some(anchor), Some(duration)) => Some(Window {
                    duration: *duration,
                    anchor,
                }),
                _ => return ERR,
            },
            None => None,
        };
        (
            Expr::Aggregate {
                func: agg,
                kind,
                attr: attr.map(|(i, _)| i),
                within,
            },
            ty,
        )
    }
}
