//! Checking declarations: the value names (parameters, conditions, windows, tables, rates,
//! milestones) and their duplicates, literals, and the parameters, windows and tables
//! themselves. The record schema is checked in `schema.rs`; conditions, eligibility, reject and
//! duplicates rules in `conditions.rs`; milestones and deadline anchors in `milestones.rs`.

use super::{Checker, NameRef};
use crate::diagnostics::{Code, Diagnostic};
use crate::program::*;
use crate::syntax::ast::{self, Item, LiteralKind};
use crate::value::{Type, Value};
use chrono::NaiveDate;
use std::sync::Arc;

impl<'a> Checker<'a> {
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
            LiteralKind::Text(t) => (Value::Text(crate::value::Text::new(t)), Type::Text),
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
