//! Checking conditions (compiled once each, cycles detected), boolean tests, the eligibility
//! and reject rules, and the duplicates rule.

use super::Checker;
use crate::diagnostics::{did_you_mean, one_of, Code, Diagnostic};
use crate::program::*;
use crate::syntax::ast::{self, Item};
use crate::value::{Type, Value};

impl<'a> Checker<'a> {
    /// Compiles condition `i` (once), detecting cycles.
    pub(crate) fn condition(&mut self, i: usize) {
        if self.conditions.get(i).is_some_and(Option::is_some) {
            return;
        }
        let Some(c) = self.condition_ast.get(i).copied() else {
            return;
        };
        if self.condition_stack.contains(&i) {
            self.report(
                Diagnostic::new(
                    Code::Cycle,
                    format!("condition `{}` depends on itself", c.name.text),
                    c.name.span,
                )
                .help("a condition cannot use itself, directly or through other conditions"),
            );
            return;
        }
        self.condition_stack.push(i);
        let test = self.test(&c.name.text, &c.expr, None);
        self.condition_stack.pop();
        if let Some(slot) = self.conditions.get_mut(i) {
            *slot = Some(test.unwrap_or(Test {
                name: c.name.text.clone(),
                expr: Expr::Const(Value::Bool(false)),
                text: String::new(),
                span: c.span,
            }));
        }
    }

    /// Compiles a boolean test.
    pub(crate) fn test(
        &mut self,
        name: &str,
        e: &ast::Expr,
        event_kind: Option<usize>,
    ) -> Option<Test> {
        let (expr, ty) = self.expr(e, event_kind);
        if ty != Type::Bool && ty != Type::Error {
            self.report(
                Diagnostic::new(
                    Code::NotBoolean,
                    format!("this is {}, but a condition must be true or false", ty.a()),
                    e.span,
                )
                .help("compare it: `x >= 70`, `x == \"closed_won\"`, `x is present`"),
            );
            return None;
        }
        (ty == Type::Bool).then(|| Test {
            name: name.to_string(),
            expr,
            text: self.text(e.span),
            span: e.span,
        })
    }

    pub(super) fn eligibility(&mut self, items: &[&'a Item]) -> Vec<Test> {
        let mut out = Vec::new();
        for item in items {
            if let Item::Eligible(e) = item {
                if !["referrer", "referee", "referral"].contains(&e.role.text.as_str()) {
                    self.report(
                        Diagnostic::new(
                            Code::UnknownRole,
                            format!("`{}` is not something that can be eligible", e.role.text),
                            e.role.span,
                        )
                        .maybe_help(did_you_mean(
                            &e.role.text,
                            ["referrer", "referee", "referral"],
                        ))
                        .note("expected referrer, referee or referral"),
                    );
                }
                out.extend(self.test(&e.role.text, &e.expr, None));
            }
        }
        out
    }

    pub(super) fn rejects(&mut self, items: &[&'a Item]) -> Vec<Test> {
        let mut out = Vec::new();
        for item in items {
            if let Item::Reject(r) = item {
                out.extend(self.test(&r.name.text, &r.expr, None));
            }
        }
        out
    }

    pub(super) fn duplicates(&mut self, items: &[&'a Item]) -> Option<DuplicateRule> {
        let mut rule = None;
        for item in items {
            let Item::Duplicates(d) = item else { continue };
            if rule.is_some() {
                self.report(
                    Diagnostic::new(
                        Code::DuplicateSetting,
                        "`duplicates` is given twice",
                        d.span,
                    )
                    .help("a program has one duplicates rule"),
                );
                continue;
            }
            let keep_first = match d.keep.text.as_str() {
                "first" => true,
                "last" => false,
                other => {
                    self.report(
                        Diagnostic::new(
                            Code::UnknownWord,
                            format!("`keep {other}` is not a choice"),
                            d.keep.span,
                        )
                        .help(one_of(other, ["first", "last"]))
                        .note("expected first or last"),
                    );
                    continue;
                }
            };
            if let Some(key) = self.field_slot(&d.key) {
                rule = Some(DuplicateRule {
                    key,
                    key_path: d.key.dotted(),
                    keep_first,
                });
            }
        }
        rule
    }
}
