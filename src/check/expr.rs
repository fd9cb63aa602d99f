//! Typing and compiling expressions: every path resolved (field, parameter, condition, window,
//! table, milestone, event attribute), every operator checked against its operands' types.
//!
//! This file owns literals, paths, unary operators and presence tests; binary operators are in
//! `operators.rs`, function calls and aggregates over events in `calls.rs`.

use super::{Checker, NameRef};
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::program::Expr;
use crate::syntax::ast::{self, ExprKind, UnaryOp};
use crate::value::{Type, Value};
use std::sync::Arc;

pub(super) const ERR: (Expr, Type) = (Expr::Const(Value::Bool(false)), Type::Error);

impl<'a> Checker<'a> {
    /// Compiles an expression; `event_kind` makes `event.attr` available.
    pub(crate) fn expr(&mut self, e: &ast::Expr, event_kind: Option<usize>) -> (Expr, Type) {
        match &e.kind {
            ExprKind::Lit(l) => match self.literal(l) {
                Some((v, t)) => (Expr::Const(v), t),
                None => ERR,
            },
            ExprKind::Path(p) => self.path(p, event_kind),
            ExprKind::Unary { op, expr } => {
                let (inner, t) = self.expr(expr, event_kind);
                match (op, &t) {
                    (_, Type::Error) => ERR,
                    (UnaryOp::Not, Type::Bool) => (Expr::Not(Box::new(inner)), Type::Bool),
                    (UnaryOp::Neg, Type::Number | Type::Money(_) | Type::Percent) => {
                        (Expr::Neg(Box::new(inner)), t)
                    }
                    (UnaryOp::Not, _) => {
                        self.report(Diagnostic::new(
                            Code::TypeMismatch,
                            format!("`not` needs true/false, but this is {}", t.a()),
                            expr.span,
                        ));
                        ERR
                    }
                    (UnaryOp::Neg, _) => {
                        self.report(Diagnostic::new(
                            Code::TypeMismatch,
                            format!(
                                "`-` needs a number, amount or percentage, but this is {}",
                                t.a()
                            ),
                            expr.span,
                        ));
                        ERR
                    }
                }
            }
            ExprKind::Presence { expr, present } => {
                let (inner, t) = self.expr(expr, event_kind);
                if t == Type::Error {
                    return ERR;
                }
                (
                    Expr::Presence {
                        expr: Box::new(inner),
                        present: *present,
                        text: Arc::from(self.text(expr.span)),
                    },
                    Type::Bool,
                )
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(e, *op, lhs, rhs, event_kind),
            ExprKind::Call { func, args } => self.call(func, args, event_kind),
        }
    }

    fn path(&mut self, p: &ast::Path, event_kind: Option<usize>) -> (Expr, Type) {
        let parts: Vec<&str> = p.parts.iter().map(String::as_str).collect();
        // event.attr
        if let ["event", attr] = parts.as_slice() {
            let Some(k) = event_kind else {
                self.report(
                    Diagnostic::new(
                        Code::UnknownName,
                        "`event` is only available where an event is being judged",
                        p.span,
                    )
                    .help("use `event.attr` in a milestone's `where` or in a reward's amount"),
                );
                return ERR;
            };
            let kind = self.events.get(k).cloned();
            let Some(kind) = kind else { return ERR };
            if let Some(i) = kind.attrs.iter().position(|a| a.dotted == *attr) {
                let ty = kind
                    .attrs
                    .get(i)
                    .map(|a| a.ty.clone())
                    .unwrap_or(Type::Error);
                return (Expr::EventAttr(i), ty);
            }
            let names: Vec<&str> = kind.attrs.iter().map(|a| a.dotted.as_str()).collect();
            self.report(
                Diagnostic::new(
                    Code::UnknownField,
                    format!("`{}` events have no attribute `{attr}`", kind.name),
                    p.span,
                )
                .maybe_help(did_you_mean(attr, names).or_else(|| {
                    Some(format!(
                        "declare it: `events {{ {} {{ {attr}: number }} }}`",
                        kind.name
                    ))
                })),
            );
            return ERR;
        }
        // Names: params, conditions, tables, milestones (and `name.at` for milestones).
        if let Some(r) = self
            .names
            .get(parts.first().copied().unwrap_or(""))
            .copied()
        {
            let at_suffix = matches!(parts.as_slice(), [_, "at"]);
            if parts.len() == 1 || (at_suffix && matches!(r, NameRef::Milestone(_))) {
                self.lint_facts.used.insert(r.key());
                return match r {
                    NameRef::Param(i) => {
                        let ty = self
                            .params
                            .get(i)
                            .map(|p| p.ty.clone())
                            .unwrap_or(Type::Error);
                        (Expr::Param(i), ty)
                    }
                    NameRef::Condition(i) => {
                        self.condition(i);
                        (Expr::Condition(i), Type::Bool)
                    }
                    NameRef::Window(_) => (Expr::Const(Value::Bool(false)), Type::Window),
                    NameRef::Table(i) => {
                        let ty = self.table_types.get(i).cloned().unwrap_or(Type::Error);
                        (Expr::Table(i), ty)
                    }
                    NameRef::Milestone(i) => (Expr::MilestoneAt(i), Type::DateTime),
                    NameRef::Rates(_) => {
                        self.report(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                format!("`{}` is a rates table, not a value", p.dotted()),
                                p.span,
                            )
                            .help(format!(
                                "convert an amount with it: `convert(deal.amount, {})`",
                                p.dotted()
                            )),
                        );
                        ERR
                    }
                };
            }
        }
        // Record fields.
        let dotted = p.dotted();
        if let Some(i) = self.fields.iter().position(|f| f.dotted == dotted) {
            let ty = self
                .fields
                .get(i)
                .map(|f| f.ty.clone())
                .unwrap_or(Type::Error);
            return (Expr::Field(i), ty);
        }
        if parts.len() == 1 {
            let mut names: Vec<String> = self.names.keys().cloned().collect();
            names.extend(self.fields.iter().map(|f| f.dotted.clone()));
            names.sort();
            self.report(
                Diagnostic::new(
                    Code::UnknownName,
                    format!("unknown name `{dotted}`"),
                    p.span,
                )
                .note("no parameter, condition, window, table, milestone or field has this name")
                .maybe_help(did_you_mean(&dotted, names.iter().map(String::as_str))),
            );
            return ERR;
        }
        self.field_slot(p);
        ERR
    }

    pub(super) fn window_index(&mut self, e: &ast::Expr) -> Option<usize> {
        if let ExprKind::Path(p) = &e.kind {
            if let [name] = p.parts.as_slice() {
                if let Some(NameRef::Window(i)) = self.names.get(name).copied() {
                    self.lint_facts.used.insert(NameRef::Window(i).key());
                    return Some(i);
                }
            }
        }
        None
    }
}
