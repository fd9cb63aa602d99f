//! Checking milestones: resolving a milestone or a deadline's anchor by name, and each
//! milestone's event, filter, deadline and limit, with loops of anchors reported.

use super::{Checker, NameRef};
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::program::*;
use crate::syntax::ast;

impl<'a> Checker<'a> {
    /// Resolves a deadline's anchor (`created` or a milestone).
    pub(crate) fn anchor(&mut self, n: &ast::Name) -> Option<Anchor> {
        if n.text == "created" || n.text == "created_at" {
            return Some(Anchor::Created);
        }
        if let Some(NameRef::Milestone(i)) = self.names.get(&n.text).copied() {
            self.lint_facts.used.insert(NameRef::Milestone(i).key());
            return Some(Anchor::Milestone(i));
        }
        let names: Vec<String> = self
            .milestone_ast
            .iter()
            .map(|m| m.name.text.clone())
            .chain(["created".to_string()])
            .collect();
        self.report(
            Diagnostic::new(
                Code::UnknownMilestone,
                format!("unknown milestone `{}`", n.text),
                n.span,
            )
            .note("a deadline counts from `created` or a milestone")
            .maybe_help(did_you_mean(&n.text, names.iter().map(String::as_str))),
        );
        None
    }

    /// Resolves a milestone by name, reporting `M1104` otherwise.
    pub(crate) fn milestone_ref(&mut self, n: &ast::Name) -> Option<usize> {
        match self.names.get(&n.text).copied() {
            Some(NameRef::Milestone(i)) => {
                self.lint_facts.used.insert(NameRef::Milestone(i).key());
                return Some(i);
            }
            Some(other) => {
                let what = match other {
                    NameRef::Param(_) => "a parameter",
                    NameRef::Condition(_) => "a condition",
                    NameRef::Window(_) => "a window",
                    NameRef::Table(_) => "a table",
                    NameRef::Milestone(_) => "a milestone",
                    NameRef::Rates(_) => "a rates table",
                };
                self.report(
                    Diagnostic::new(
                        Code::UnknownMilestone,
                        format!("`{}` is {what}, not a milestone", n.text),
                        n.span,
                    )
                    .help("rewards wait for a milestone; give the milestone a name of its own"),
                );
                return None;
            }
            None => {}
        }
        let names: Vec<String> = self
            .milestone_ast
            .iter()
            .map(|m| m.name.text.clone())
            .collect();
        self.report(
            Diagnostic::new(
                Code::UnknownMilestone,
                format!("unknown milestone `{}`", n.text),
                n.span,
            )
            .maybe_help(
                did_you_mean(&n.text, names.iter().map(String::as_str))
                    .or_else(|| Some(format!("declare it: `milestone {} = event KIND`", n.text))),
            ),
        );
        None
    }

    pub(super) fn milestones(&mut self) {
        let asts = self.milestone_ast.clone();
        for (i, m) in asts.iter().enumerate() {
            let kind = self.event_kind(&m.event);
            let filter = m.filter.as_ref().and_then(|f| {
                kind.and_then(|k| self.test(&m.name.text, f, Some(k)).map(|t| t.expr))
            });
            let within = m.within.as_ref().and_then(|w| {
                let anchor = self.anchor(&w.anchor)?;
                if anchor == Anchor::Milestone(i) {
                    self.report(
                        Diagnostic::new(
                            Code::Cycle,
                            format!("milestone `{}` is measured from itself", m.name.text),
                            w.anchor.span,
                        )
                        .help("measure it from `created` or from an earlier milestone"),
                    );
                    return None;
                }
                Some(Window {
                    duration: *w.duration.value()?,
                    anchor,
                })
            });
            if m.limit.is_some() && !m.each {
                self.report(
                    Diagnostic::new(
                        Code::InvalidClause,
                        "`limit` only makes sense with `each`",
                        m.span,
                    )
                    .help(format!(
                        "write `milestone {} = each event ...` for recurring events",
                        m.name.text
                    )),
                );
            }
            self.milestones.push(MilestoneDef {
                name: m.name.text.clone(),
                each: m.each,
                kind: kind.unwrap_or(0),
                filter,
                within,
                limit: m.limit.as_ref().and_then(|l| l.value().copied()),
            });
        }
        // Anchor chains must not loop (a after b after a).
        for start in 0..self.milestones.len() {
            let mut seen = vec![start];
            let mut cur = start;
            while let Some(Window {
                anchor: Anchor::Milestone(next),
                ..
            }) = self.milestones.get(cur).and_then(|m| m.within)
            {
                if next == start {
                    if let Some(m) = asts.get(start) {
                        self.report(
                            Diagnostic::new(
                                Code::Cycle,
                                format!(
                                    "milestone `{}` is measured from a milestone measured from it",
                                    m.name.text
                                ),
                                m.name.span,
                            )
                            .help("one of them must count from `created` or another milestone"),
                        );
                    }
                    break;
                }
                if seen.contains(&next) {
                    break;
                }
                seen.push(next);
                cur = next;
            }
        }
    }
}
