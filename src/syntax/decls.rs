//! Lowering the program header, its settings, `include`s and the declarations: params,
//! fields and their types, events, tables, conditions, windows, eligibility and reject rules,
//! duplicates and rates. Milestones and rewards are in `milestone.rs`.

use super::ast::*;
use super::lower::{Lower, P};
use super::Rule;

impl Lower {
    /// `include`.
    pub(super) fn include(&self, p: P) -> Option<Include> {
        let span = self.span(&p);
        let path = p.into_inner().find(|c| c.as_rule() == Rule::string);
        match path {
            Some(s) => Some(Include {
                path: self.string(s),
                span,
            }),
            None => self.missing(span, "include path"),
        }
    }

    /// `header`.
    pub(super) fn header(&self, p: P) -> Option<Header> {
        let span = self.span(&p);
        let mut name = None;
        let mut settings = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => name = Some(self.string(c)),
                Rule::kw_program | Rule::lbrace | Rule::rbrace => {}
                _ => {
                    if let Some(s) = self.setting(c) {
                        settings.push(s);
                    }
                }
            }
        }
        Some(Header {
            name: name.or_else(|| self.missing(span, "program name"))?,
            settings,
            span,
        })
    }

    /// `setting`.
    fn setting(&self, p: P) -> Option<Setting> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.clone().into_inner();
        let kind = match rule {
            Rule::set_version => {
                let v = inner.next().or_else(|| self.missing(span, "version"))?;
                SettingKind::Version(match v.as_rule() {
                    Rule::string => self.string(v),
                    _ => v.as_str().to_string(),
                })
            }
            Rule::set_currency => SettingKind::Currency(self.name(inner.next(), span)?),
            Rule::set_timezone => SettingKind::Timezone(
                self.string(inner.next().or_else(|| self.missing(span, "zone"))?),
            ),
            Rule::set_rounding => {
                let mode = self.name(inner.next(), span)?;
                let scale = match inner.find(|c| c.as_rule() == Rule::int) {
                    Some(s) => Some(self.int(&s)?),
                    None => None,
                };
                SettingKind::Rounding { mode, scale }
            }
            Rule::set_effective => {
                let (mut from, mut to) = (None, None);
                let mut target_is_to = false;
                for c in inner {
                    match c.as_rule() {
                        Rule::kw_from => target_is_to = false,
                        Rule::kw_to => target_is_to = true,
                        Rule::date | Rule::param_ref => {
                            let d = if c.as_rule() == Rule::date {
                                Term::Value(self.date(&c)?)
                            } else {
                                Term::Param(self.param_ref(&c))
                            };
                            if target_is_to {
                                to = Some(d);
                            } else {
                                from = Some(d);
                            }
                        }
                        _ => return self.unexpected(&c, "effective"),
                    }
                }
                SettingKind::Effective { from, to }
            }
            Rule::set_budget => SettingKind::Budget(self.money_term(inner.next(), span)?),
            Rule::set_minimum => SettingKind::MinimumPayout(
                self.money_term(inner.find(|c| c.as_rule() != Rule::kw_payout), span)?,
            ),
            _ => return self.unexpected(&p, "program header"),
        };
        Some(Setting { kind, span })
    }

    /// `param`.
    pub(super) fn param(&self, p: P) -> Option<Param> {
        let span = self.span(&p);
        let (mut name, mut value) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::literal => value = self.literal(c),
                Rule::kw_param | Rule::equals => {}
                _ => return self.unexpected(&c, "param"),
            }
        }
        Some(Param {
            name: name?,
            value: value?,
            span,
        })
    }

    /// `fields`.
    pub(super) fn fields(&self, p: P) -> Vec<FieldDecl> {
        p.into_inner()
            .filter(|c| c.as_rule() == Rule::field_decl)
            .filter_map(|c| self.field_decl(c))
            .collect()
    }

    /// `field_decl`.
    fn field_decl(&self, p: P) -> Option<FieldDecl> {
        let span = self.span(&p);
        let (mut path, mut ty, mut optional) = (None, None, false);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::path => path = Some(self.path(c)),
                Rule::type_expr => ty = self.type_expr(c),
                Rule::kw_optional => optional = true,
                Rule::colon => {}
                _ => return self.unexpected(&c, "field"),
            }
        }
        Some(FieldDecl {
            path: path?,
            ty: ty?,
            optional,
            span,
        })
    }

    /// `type_expr`.
    fn type_expr(&self, p: P) -> Option<TypeExpr> {
        let span = self.span(&p);
        let c = p
            .into_inner()
            .next()
            .or_else(|| self.missing(span, "type"))?;
        let kind = match c.as_rule() {
            Rule::enum_type => TypeKind::Enum(
                c.into_inner()
                    .filter(|w| w.as_rule() == Rule::word)
                    .map(|w| w.as_str().to_string())
                    .collect(),
            ),
            Rule::list_type => {
                let inner = c.into_inner().find(|w| w.as_rule() == Rule::word);
                let elem = inner
                    .map(|w| simple_type(w.as_str()))
                    .unwrap_or(TypeKind::Unknown(String::new()));
                TypeKind::List(Box::new(elem))
            }
            Rule::money_type => TypeKind::Money(
                c.into_inner()
                    .find(|w| w.as_rule() == Rule::currency)
                    .map(|w| self.ident(&w)),
            ),
            Rule::word => simple_type(c.as_str()),
            _ => return self.unexpected(&c, "type"),
        };
        Some(TypeExpr { kind, span })
    }

    /// `events`.
    pub(super) fn events(&self, p: P) -> Vec<EventDecl> {
        p.into_inner()
            .filter(|c| c.as_rule() == Rule::event_decl)
            .filter_map(|c| self.event_decl(c))
            .collect()
    }

    /// `event_decl`.
    fn event_decl(&self, p: P) -> Option<EventDecl> {
        let span = self.span(&p);
        let (mut kind, mut attrs) = (None, Vec::new());
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::word => kind = Some(self.ident(&c)),
                Rule::field_decl => attrs.extend(self.field_decl(c)),
                Rule::lbrace | Rule::rbrace => {}
                _ => return self.unexpected(&c, "event"),
            }
        }
        Some(EventDecl {
            kind: kind?,
            attrs,
            span,
        })
    }

    /// `table`.
    pub(super) fn table(&self, p: P) -> Option<Table> {
        let span = self.span(&p);
        let (mut name, mut key, mut rows, mut default) = (None, None, Vec::new(), None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::path => key = Some(self.path(c)),
                Rule::table_row => {
                    let mut lits = c.into_inner().filter(|x| x.as_rule() == Rule::literal);
                    if let (Some(k), Some(v)) = (lits.next(), lits.next()) {
                        if let (Some(k), Some(v)) = (self.literal(k), self.literal(v)) {
                            rows.push((k, v));
                        }
                    }
                }
                Rule::table_default => {
                    default = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::literal)
                        .and_then(|l| self.literal(l));
                }
                Rule::kw_table | Rule::kw_by | Rule::lbrace | Rule::rbrace => {}
                _ => return self.unexpected(&c, "table"),
            }
        }
        Some(Table {
            name: name?,
            key: key?,
            rows,
            default,
            span,
        })
    }

    /// `condition`.
    pub(super) fn condition(&self, p: P) -> Option<Condition> {
        let span = self.span(&p);
        let (mut name, mut expr) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::expr => expr = self.expr(c),
                Rule::kw_condition | Rule::equals => {}
                _ => return self.unexpected(&c, "condition"),
            }
        }
        Some(Condition {
            name: name?,
            expr: expr?,
            span,
        })
    }

    /// `window`.
    pub(super) fn window(&self, p: P) -> Option<Window> {
        let span = self.span(&p);
        let mut name = None;
        let mut dates = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::date => dates.push(Term::Value(self.date(&c)?)),
                Rule::param_ref => dates.push(Term::Param(self.param_ref(&c))),
                Rule::kw_window | Rule::equals | Rule::kw_from | Rule::kw_to => {}
                _ => return self.unexpected(&c, "window"),
            }
        }
        let mut dates = dates.into_iter();
        match (dates.next(), dates.next()) {
            (Some(from), Some(to)) => Some(Window {
                name: name?,
                from,
                to,
                span,
            }),
            _ => self.missing(span, "window dates"),
        }
    }

    /// `eligible`.
    pub(super) fn eligible(&self, p: P) -> Option<Eligible> {
        let span = self.span(&p);
        let (mut role, mut expr) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::word => role = Some(self.ident(&c)),
                Rule::expr => expr = self.expr(c),
                Rule::kw_eligible | Rule::kw_if => {}
                _ => return self.unexpected(&c, "eligible"),
            }
        }
        Some(Eligible {
            role: role?,
            expr: expr?,
            span,
        })
    }

    /// `reject`.
    pub(super) fn reject(&self, p: P) -> Option<Reject> {
        let span = self.span(&p);
        let (mut name, mut expr) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::expr => expr = self.expr(c),
                Rule::kw_reject | Rule::kw_if => {}
                _ => return self.unexpected(&c, "reject"),
            }
        }
        Some(Reject {
            name: name?,
            expr: expr?,
            span,
        })
    }

    /// `duplicates`.
    pub(super) fn duplicates(&self, p: P) -> Option<Duplicates> {
        let span = self.span(&p);
        let (mut key, mut keep) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::path => key = Some(self.path(c)),
                Rule::word => keep = Some(self.ident(&c)),
                Rule::kw_duplicates | Rule::kw_by | Rule::kw_keep => {}
                _ => return self.unexpected(&c, "duplicates"),
            }
        }
        Some(Duplicates {
            key: key?,
            keep: keep?,
            span,
        })
    }

    /// `rates`.
    pub(super) fn rates(&self, p: P) -> Option<Rates> {
        let span = self.span(&p);
        let (mut name, mut currency) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::currency => currency = Some(self.ident(&c)),
                Rule::kw_rates | Rule::kw_in => {}
                _ => return self.unexpected(&c, "rates"),
            }
        }
        Some(Rates {
            name: name?,
            currency: currency?,
            span,
        })
    }
}

/// The type named by a single word; unknown words are kept for the checker to report.
fn simple_type(word: &str) -> TypeKind {
    match word {
        "text" => TypeKind::Text,
        "number" => TypeKind::Number,
        "money" => TypeKind::Money(None),
        "date" => TypeKind::Date,
        "datetime" => TypeKind::DateTime,
        "bool" => TypeKind::Bool,
        other => TypeKind::Unknown(other.to_string()),
    }
}
