//! Lowering tokens: names, parameter references, paths, strings, counts, numbers, dates,
//! durations, money and literals. A value the grammar accepts but that does not exist is
//! reported here as `M0002`.

use super::ast::*;
use super::lower::{Lower, P};
use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::Span;
use chrono::NaiveDate;
use rust_decimal::Decimal;

impl Lower {
    fn invalid(&self, p: &P, message: String, help: &str) {
        self.report(Diagnostic::new(Code::InvalidLiteral, message, self.span(p)).help(help));
    }

    /// `param_ref`: the parameter's name.
    pub(super) fn param_ref(&self, p: &P) -> Name {
        match p.clone().into_inner().next() {
            Some(i) => self.ident(&i),
            None => self.ident(p),
        }
    }

    pub(super) fn ident(&self, p: &P) -> Name {
        Name {
            text: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    pub(super) fn name(&self, p: Option<P>, span: Span) -> Option<Name> {
        match p {
            Some(p) => Some(self.ident(&p)),
            None => self.missing(span, "name"),
        }
    }

    pub(super) fn path(&self, p: P) -> Path {
        let span = self.span(&p);
        Path {
            parts: p
                .into_inner()
                .filter(|c| matches!(c.as_rule(), Rule::path_head | Rule::word))
                .map(|c| c.as_str().to_string())
                .collect(),
            span,
        }
    }

    /// `string`: the text between the quotes, unescaped.
    pub(super) fn string(&self, p: P) -> String {
        let raw = p
            .into_inner()
            .find(|c| c.as_rule() == Rule::string_inner)
            .map(|c| c.as_str())
            .unwrap_or("");
        raw.replace("\\\"", "\"").replace("\\\\", "\\")
    }

    /// `int`.
    pub(super) fn int(&self, p: &P) -> Option<u32> {
        match p.as_str().parse::<u32>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.invalid(
                    p,
                    format!("`{}` is too large for a count", p.as_str()),
                    "use a whole number below 4294967296",
                );
                None
            }
        }
    }

    /// `number`.
    pub(super) fn number(&self, p: &P) -> Option<Decimal> {
        match Decimal::from_str_exact(p.as_str()) {
            Ok(d) => Some(d),
            Err(_) => {
                self.invalid(
                    p,
                    format!("`{}` cannot be represented exactly", p.as_str()),
                    "numbers have at most 28 significant digits and 28 decimal places",
                );
                None
            }
        }
    }

    /// `date`.
    pub(super) fn date(&self, p: &P) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(p.as_str(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.invalid(
                    p,
                    format!("`{}` is not a calendar date", p.as_str()),
                    "dates are YYYY-MM-DD and must exist (2024-02-29 does, 2023-02-29 does not)",
                );
                None
            }
        }
    }

    /// `duration`.
    pub(super) fn duration(&self, p: &P) -> Option<Duration> {
        let mut amount = None;
        let mut unit = None;
        for c in p.clone().into_inner() {
            match c.as_rule() {
                Rule::int => amount = self.int(&c),
                Rule::duration_unit => {
                    let w = c.as_str();
                    unit = Some(if w.starts_with("business") {
                        DurationUnit::BusinessDays
                    } else if w.starts_with("hour") {
                        DurationUnit::Hours
                    } else if w.starts_with("day") {
                        DurationUnit::Days
                    } else if w.starts_with("week") {
                        DurationUnit::Weeks
                    } else if w.starts_with("month") {
                        DurationUnit::Months
                    } else {
                        DurationUnit::Years
                    });
                }
                _ => return self.unexpected(&c, "duration"),
            }
        }
        Some(Duration {
            amount: amount?,
            unit: unit?,
        })
    }

    /// `money`.
    /// `money | param_ref`.
    pub(super) fn money_term(&self, p: Option<P>, span: Span) -> Option<Term<MoneyLit>> {
        match p {
            Some(r) if r.as_rule() == Rule::param_ref => Some(Term::Param(self.param_ref(&r))),
            p => self.money(p, span).map(Term::Value),
        }
    }

    pub(super) fn money(&self, p: Option<P>, span: Span) -> Option<MoneyLit> {
        let p = p.or_else(|| self.missing(span, "amount"))?;
        let (mut amount, mut currency) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::number => amount = self.number(&c),
                Rule::currency => currency = Some(self.ident(&c)),
                _ => return self.unexpected(&c, "money"),
            }
        }
        Some(MoneyLit {
            amount: amount?,
            currency: currency?,
        })
    }

    /// `literal`.
    pub(super) fn literal(&self, p: P) -> Option<Literal> {
        let span = self.span(&p);
        let c = p
            .into_inner()
            .next()
            .or_else(|| self.missing(span, "value"))?;
        let kind = match c.as_rule() {
            Rule::money => LiteralKind::Money(self.money(Some(c), span)?),
            Rule::percent => {
                let n = c.into_inner().find(|x| x.as_rule() == Rule::number);
                LiteralKind::Percent(self.number(&n.or_else(|| self.missing(span, "percent"))?)?)
            }
            Rule::duration => LiteralKind::Duration(self.duration(&c)?),
            Rule::date => LiteralKind::Date(self.date(&c)?),
            Rule::number => LiteralKind::Number(self.number(&c)?),
            Rule::string => LiteralKind::Text(self.string(c)),
            Rule::kw_bool => LiteralKind::Bool(c.as_str() == "true"),
            Rule::list_literal => LiteralKind::List(
                c.into_inner()
                    .filter(|x| x.as_rule() == Rule::literal)
                    .filter_map(|x| self.literal(x))
                    .collect(),
            ),
            _ => return self.unexpected(&c, "value"),
        };
        Some(Literal { kind, span })
    }
}
