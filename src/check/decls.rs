//! Checking declarations: the record schema, names, parameters, windows, tables, conditions,
//! eligibility and reject rules, duplicates, and milestones.

use super::{Checker, NameRef};
use crate::diagnostics::{did_you_mean, one_of, Code, Diagnostic};
use crate::program::*;
use crate::syntax::ast::{self, Item, LiteralKind, TypeKind};
use crate::value::{Type, Value};
use chrono::NaiveDate;
use std::sync::Arc;

/// Field paths every record has.
const BUILT_INS: [(&str, Type); 4] = [
    ("id", Type::Text),
    ("created_at", Type::DateTime),
    ("referrer.id", Type::Text),
    ("referee.id", Type::Text),
];

impl<'a> Checker<'a> {
    /// Builds the record schema from `fields` and `events` blocks.
    pub(super) fn schema(&mut self, items: &[&'a Item]) {
        for (path, ty) in BUILT_INS {
            self.fields.push(FieldDef {
                path: path.split('.').map(str::to_string).collect(),
                dotted: path.to_string(),
                ty,
                optional: false,
                currency: CurrencySource::Sibling,
            });
        }
        for item in items {
            match item {
                Item::Fields(decls) => {
                    for d in decls {
                        if let Some(f) = self.field_decl(d, &self.fields.clone()) {
                            self.fields.push(f);
                        }
                    }
                }
                Item::Events(decls) => {
                    for e in decls {
                        if let Some(first) = self.events.iter().position(|k| k.name == e.kind.text)
                        {
                            let _ = first;
                            self.report(
                                Diagnostic::new(
                                    Code::DuplicateField,
                                    format!("event kind `{}` is declared twice", e.kind.text),
                                    e.kind.span,
                                )
                                .help("declare each event kind once, with all its attributes"),
                            );
                            continue;
                        }
                        let mut attrs: Vec<FieldDef> = Vec::new();
                        for a in &e.attrs {
                            if let Some(f) = self.field_decl(a, &attrs) {
                                attrs.push(f);
                            }
                        }
                        self.events.push(EventKind {
                            name: e.kind.text.clone(),
                            attrs,
                        });
                    }
                }
                _ => {}
            }
        }
    }

    fn field_decl(&mut self, d: &ast::FieldDecl, existing: &[FieldDef]) -> Option<FieldDef> {
        let dotted = d.path.dotted();
        if existing.iter().any(|f| f.dotted == dotted) {
            let builtin = BUILT_INS.iter().any(|(p, _)| *p == dotted);
            self.report(
                Diagnostic::new(
                    Code::DuplicateField,
                    if builtin {
                        format!("`{dotted}` is built in and is always read")
                    } else {
                        format!("`{dotted}` is declared twice")
                    },
                    d.path.span,
                )
                .help("remove this declaration"),
            );
            return None;
        }
        if let Some(clash) = existing.iter().find(|f| {
            dotted.starts_with(&format!("{}.", f.dotted))
                || f.dotted.starts_with(&format!("{dotted}."))
        }) {
            self.report(Diagnostic::new(
                Code::DuplicateField,
                format!(
                    "`{dotted}` and `{}` cannot both be fields: one is inside the other",
                    clash.dotted
                ),
                d.path.span,
            ));
            return None;
        }
        // An unknown type is reported once; the field is still declared (with the error type)
        // so its uses do not add "unknown field" errors.
        let (ty, currency) = self
            .type_kind(&d.ty.kind, d.ty.span)
            .unwrap_or((Type::Error, CurrencySource::Sibling));
        Some(FieldDef {
            path: d.path.parts.clone(),
            dotted,
            ty,
            optional: d.optional,
            currency,
        })
    }

    fn type_kind(
        &mut self,
        k: &TypeKind,
        span: crate::source::Span,
    ) -> Option<(Type, CurrencySource)> {
        let sibling = CurrencySource::Sibling;
        Some(match k {
            TypeKind::Text => (Type::Text, sibling),
            TypeKind::Number => (Type::Number, sibling),
            TypeKind::Money(None) => (Type::Money(None), sibling),
            TypeKind::Money(Some(c)) => {
                let c = self.currency(c)?;
                (Type::Money(Some(c)), CurrencySource::Fixed(c))
            }
            TypeKind::Date => (Type::Date, sibling),
            TypeKind::DateTime => (Type::DateTime, sibling),
            TypeKind::Bool => (Type::Bool, sibling),
            TypeKind::Enum(vals) => (Type::Enum(Arc::from(vals.clone())), sibling),
            TypeKind::List(inner) => {
                let (t, _) = self.type_kind(inner, span)?;
                (Type::List(Box::new(t)), sibling)
            }
            TypeKind::Unknown(w) => {
                let names = [
                    "text", "number", "money", "date", "datetime", "bool", "list", "enum",
                ];
                self.report(
                    Diagnostic::new(Code::UnknownType, format!("`{w}` is not a field type"), span)
                        .help(one_of(w, names))
                        .note("expected text, number, money, date, datetime, bool, list(...) or enum(...)"),
                );
                return None;
            }
        })
    }

    /// Declares every value name, reporting duplicates.
    pub(super) fn declare_names(&mut self, items: &[&'a Item]) {
        let mut spans: std::collections::HashMap<String, crate::source::Span> = Default::default();
        let mut declare = |cx: &mut Checker<'a>, name: &ast::Name, r: NameRef| {
            if let Some(first) = spans.get(&name.text) {
                cx.report(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("`{}` is declared twice", name.text),
                        name.span,
                    )
                    .also(*first, "first declared here")
                    .help("parameters, conditions, windows, tables and milestones share one set of names"),
                );
                return false;
            }
            spans.insert(name.text.clone(), name.span);
            cx.names.insert(name.text.clone(), r);
            cx.lint_facts.decl_spans.insert(r.key(), name.span);
            true
        };
        let (mut np, mut nw, mut nt) = (0, 0, 0);
        for item in items {
            match item {
                Item::Param(p) if declare(self, &p.name, NameRef::Param(np)) => {
                    np = np.saturating_add(1)
                }
                Item::Condition(c) => {
                    let i = self.condition_ast.len();
                    if declare(self, &c.name, NameRef::Condition(i)) {
                        self.condition_ast.push(c);
                        self.conditions.push(None);
                    }
                }
                Item::Window(w) if declare(self, &w.name, NameRef::Window(nw)) => {
                    nw = nw.saturating_add(1)
                }
                Item::Table(t) if declare(self, &t.name, NameRef::Table(nt)) => {
                    nt = nt.saturating_add(1)
                }
                Item::Rates(r) => {
                    let i = self.rates.len();
                    if declare(self, &r.name, NameRef::Rates(i)) {
                        let currency = self
                            .currency(&r.currency)
                            .unwrap_or(crate::money::Currency::USD);
                        self.rates.push(RatesDef {
                            name: r.name.text.clone(),
                            currency,
                            table: None,
                        });
                    }
                }
                Item::Milestone(m) => {
                    let i = self.milestone_ast.len();
                    if declare(self, &m.name, NameRef::Milestone(i)) {
                        self.milestone_ast.push(m);
                    }
                }
                _ => {}
            }
        }
    }

    /// Converts a literal to a value and its type.
    pub(crate) fn literal(&mut self, l: &ast::Literal) -> Option<(Value, Type)> {
        Some(match &l.kind {
            LiteralKind::Money(m) => {
                let m = self.money(m)?;
                (Value::Money(m), Type::Money(Some(m.currency)))
            }
            LiteralKind::Percent(p) => {
                self.lint_facts.percents.push((l.span, *p));
                (Value::Percent(*p), Type::Percent)
            }
            LiteralKind::Duration(d) => (Value::Duration(*d), Type::Duration),
            LiteralKind::Date(d) => (Value::Date(*d), Type::Date),
            LiteralKind::Number(n) => (Value::Number(*n), Type::Number),
            LiteralKind::Text(t) => (Value::Text(Arc::from(t.as_str())), Type::Text),
            LiteralKind::Bool(b) => (Value::Bool(*b), Type::Bool),
            LiteralKind::List(items) => {
                let mut vals = Vec::new();
                let mut ty: Option<Type> = None;
                for it in items {
                    let (v, t) = self.literal(it)?;
                    if let Some(prev) = &ty {
                        if !same_kind(prev, &t) {
                            self.report(
                                Diagnostic::new(
                                    Code::TypeMismatch,
                                    format!("a list mixes {prev} and {t}"),
                                    it.span,
                                )
                                .help("every item of a list has the same type"),
                            );
                            return None;
                        }
                    }
                    ty = Some(t);
                    vals.push(v);
                }
                (
                    Value::List(Arc::from(vals)),
                    Type::List(Box::new(ty.unwrap_or(Type::Text))),
                )
            }
        })
    }

    pub(super) fn params(&mut self, items: &[&'a Item]) {
        for item in items {
            if let Item::Param(p) = item {
                if !matches!(self.names.get(&p.name.text), Some(NameRef::Param(i)) if *i == self.params.len())
                {
                    continue;
                }
                let (value, ty) = self
                    .literal(&p.value)
                    .unwrap_or((Value::Bool(false), Type::Error));
                self.params.push(ParamDef {
                    name: p.name.text.clone(),
                    ty,
                    value,
                });
            }
        }
    }

    pub(super) fn windows(&mut self, items: &[&'a Item]) {
        for item in items {
            if let Item::Window(w) = item {
                if !matches!(self.names.get(&w.name.text), Some(NameRef::Window(i)) if *i == self.windows.len())
                {
                    continue;
                }
                self.windows.push(WindowDef {
                    name: w.name.text.clone(),
                    // A date left a name did not resolve (reported): the program is refused.
                    from: w.from.value().copied().unwrap_or(NaiveDate::MIN),
                    to: w.to.value().copied().unwrap_or(NaiveDate::MIN),
                });
            }
        }
    }

    pub(super) fn tables(&mut self, items: &[&'a Item]) {
        for item in items {
            let Item::Table(t) = item else { continue };
            if !matches!(self.names.get(&t.name.text), Some(NameRef::Table(i)) if *i == self.tables.len())
            {
                continue;
            }
            let key = self.field_slot(&t.key);
            let key_ty = key.and_then(|k| self.fields.get(k)).map(|f| f.ty.clone());
            let mut rows = Vec::new();
            let mut value_ty: Option<Type> = None;
            let mut ok = key.is_some();
            let all_values = t.rows.iter().map(|(_, v)| v).chain(t.default.iter());
            for v in all_values.clone() {
                if let Some((_, vt)) = self.literal(v) {
                    match &value_ty {
                        Some(prev) if !same_kind(prev, &vt) => {
                            self.report(
                                Diagnostic::new(
                                    Code::TypeMismatch,
                                    format!("table `{}` mixes {prev} and {vt} values", t.name.text),
                                    v.span,
                                )
                                .help("every value of a table has the same type (money in several currencies is fine)"),
                            );
                            ok = false;
                        }
                        _ => value_ty = Some(vt),
                    }
                }
            }
            for (k, v) in &t.rows {
                let (Some((kv, kt)), Some((vv, _))) = (self.literal(k), self.literal(v)) else {
                    ok = false;
                    continue;
                };
                if let Some(key_ty) = &key_ty {
                    if !same_kind(key_ty, &kt) {
                        self.report(Diagnostic::new(
                            Code::TypeMismatch,
                            format!("key {kv} is {kt}, but `{}` is {key_ty}", t.key.dotted()),
                            k.span,
                        ));
                        ok = false;
                    }
                }
                rows.push((kv, vv));
            }
            let default = t
                .default
                .as_ref()
                .and_then(|d| self.literal(d))
                .map(|(v, _)| v);
            let ty = match value_ty {
                // Money of several currencies: the currency is only known per record.
                Some(Type::Money(_)) => {
                    let currencies: std::collections::BTreeSet<_> = rows
                        .iter()
                        .map(|(_, v)| v)
                        .chain(default.iter())
                        .filter_map(|v| match v {
                            Value::Money(m) => Some(m.currency),
                            _ => None,
                        })
                        .collect();
                    if currencies.len() == 1 {
                        Type::Money(currencies.into_iter().next())
                    } else {
                        Type::Money(None)
                    }
                }
                Some(t) => t,
                None => Type::Error,
            };
            self.table_types.push(ty);
            self.tables.push(if ok {
                key.map(|key| TableDef {
                    name: t.name.text.clone(),
                    key,
                    rows,
                    default,
                })
            } else {
                None
            });
        }
    }

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

    /// The slot of a declared record field, reporting `M1103` with a hint otherwise.
    pub(crate) fn field_slot(&mut self, p: &ast::Path) -> Option<usize> {
        let dotted = p.dotted();
        if let Some(i) = self.fields.iter().position(|f| f.dotted == dotted) {
            return Some(i);
        }
        let names: Vec<String> = self.fields.iter().map(|f| f.dotted.clone()).collect();
        self.report(
            Diagnostic::new(
                Code::UnknownField,
                format!("unknown field `{dotted}`"),
                p.span,
            )
            .note("not declared in `fields`")
            .maybe_help(
                did_you_mean(&dotted, names.iter().map(String::as_str))
                    .or_else(|| Some(format!("declare it: `fields {{ {dotted}: text }}`"))),
            ),
        );
        None
    }

    /// The index of a declared event kind, reporting `M1105` otherwise.
    pub(crate) fn event_kind(&mut self, n: &ast::Name) -> Option<usize> {
        if let Some(i) = self.events.iter().position(|k| k.name == n.text) {
            return Some(i);
        }
        let names: Vec<String> = self.events.iter().map(|k| k.name.clone()).collect();
        self.report(
            Diagnostic::new(
                Code::UnknownEvent,
                format!("unknown event kind `{}`", n.text),
                n.span,
            )
            .note("not declared in `events`")
            .maybe_help(
                did_you_mean(&n.text, names.iter().map(String::as_str))
                    .or_else(|| Some(format!("declare it: `events {{ {} }}`", n.text))),
            ),
        );
        None
    }

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

/// Two types are the same for list items, table rows and comparisons (enums are text; money of
/// different currencies is still money).
pub(crate) fn same_kind(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Error, _) | (_, Type::Error) => true,
        (Type::Money(_), Type::Money(_)) => true,
        (x, y) if x.is_text() && y.is_text() => true,
        (Type::List(x), Type::List(y)) => same_kind(x, y),
        (x, y) => x == y,
    }
}
