//! Checking the record schema: the built-in fields, `fields` and `events` blocks and their
//! types, and looking up a declared field or event kind by name.

use super::Checker;
use crate::diagnostics::{did_you_mean, one_of, Code, Diagnostic};
use crate::program::*;
use crate::syntax::ast::{self, Item, TypeKind};
use crate::value::Type;
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
}
