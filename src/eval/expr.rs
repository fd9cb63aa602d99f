//! Evaluating checked expressions against one record (and, in milestone filters and reward
//! amounts, one event). Arithmetic is checked; money of two currencies never combines; a
//! missing value used by anything but `is present`/`is missing` is an error that names it.

use crate::money::{negate, Money};
use crate::program::{Aggregate, Expr, Func, Program};
use crate::records::{Event, Record};
use crate::syntax::ast::BinaryOp;
use crate::time::{add, local_date, Instant};
use crate::value::{Text, Value};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Ordering;

/// Why an expression could not be evaluated for a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    /// The field at fault, if one.
    pub field: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// Takes `n` evaluation steps from the record's allowance ([`Record::work_left`]).
pub(crate) fn charge(record: &Record, n: usize) -> Result<(), EvalError> {
    let left = record.work_left.get();
    let n = u64::try_from(n).unwrap_or(u64::MAX);
    let Some(rest) = left.checked_sub(n) else {
        return Err(EvalError::new(
            Some("events".into()),
            "the record needs more evaluation steps than the limit per record (--max-record-work)",
        ));
    };
    record.work_left.set(rest);
    Ok(())
}

impl EvalError {
    pub(crate) fn new(field: Option<String>, message: impl Into<String>) -> EvalError {
        EvalError {
            field,
            message: message.into(),
        }
    }
}

type R<T> = Result<T, EvalError>;

/// Everything an expression can see.
pub(crate) struct Ctx<'a> {
    pub program: &'a Program,
    pub record: &'a Record,
    pub event: Option<&'a Event>,
    /// Parameter values (scenario overrides applied).
    pub params: &'a [Value],
    /// First time each milestone was reached.
    pub milestones: &'a [Option<Instant>],
    /// Comparison steps, when explaining this record.
    pub trace: Option<&'a RefCell<Vec<String>>>,
}

impl Ctx<'_> {
    fn note(&self, s: impl FnOnce() -> String) {
        if let Some(t) = self.trace {
            t.borrow_mut().push(s());
        }
    }

    /// A description of an expression, for "X is missing".
    fn describe(&self, e: &Expr) -> (Option<String>, String) {
        match e {
            Expr::Field(s) => {
                let name = self
                    .program
                    .fields
                    .get(*s)
                    .map(|f| f.dotted.clone())
                    .unwrap_or_default();
                (
                    Some(name.clone()),
                    format!("`{name}` is missing; test it with `{name} is present` first"),
                )
            }
            Expr::EventAttr(i) => {
                let name = self
                    .event
                    .and_then(|ev| self.program.events.get(ev.kind))
                    .and_then(|k| k.attrs.get(*i))
                    .map(|a| a.dotted.clone())
                    .unwrap_or_default();
                (
                    Some(format!("event.{name}")),
                    format!("the event has no `{name}`"),
                )
            }
            Expr::MilestoneAt(m) => {
                let name = self
                    .program
                    .milestones
                    .get(*m)
                    .map(|x| x.name.clone())
                    .unwrap_or_default();
                (None, format!("milestone `{name}` has not been reached; test it with `{name} is present` first"))
            }
            _ => (None, "a value is missing".to_string()),
        }
    }

    /// Evaluates to a value, or an error naming what is missing.
    pub fn need(&self, e: &Expr) -> R<Value> {
        match self.eval(e)? {
            Some(v) => Ok(v),
            None => {
                let (field, msg) = self.describe(e);
                Err(EvalError::new(field, msg))
            }
        }
    }

    /// A field, event attribute, parameter or constant, borrowed where it is held (`Some(None)`
    /// when it is absent); `None` for any other expression.
    fn leaf<'e>(&'e self, e: &'e Expr) -> Option<Option<&'e Value>> {
        match e {
            Expr::Const(v) => Some(Some(v)),
            Expr::Field(s) => Some(self.record.fields.get(*s).and_then(Option::as_ref)),
            Expr::EventAttr(i) => Some(
                self.event
                    .and_then(|ev| ev.attrs.get(*i))
                    .and_then(Option::as_ref),
            ),
            Expr::Param(i) => self.params.get(*i).map(Some),
            _ => None,
        }
    }

    /// [`Ctx::need`], borrowing a leaf's value instead of copying it (comparisons and tests
    /// read values they do not keep).
    fn need_cow<'e>(&'e self, e: &'e Expr) -> R<Cow<'e, Value>> {
        match self.leaf(e) {
            Some(Some(v)) => Ok(Cow::Borrowed(v)),
            _ => self.need(e).map(Cow::Owned),
        }
    }

    /// Evaluates a test.
    pub fn truth(&self, e: &Expr) -> R<bool> {
        if let Some(b) = self.quick_truth(e) {
            return Ok(b);
        }
        match self.need(e)? {
            Value::Bool(b) => Ok(b),
            other => Err(EvalError::new(
                None,
                format!("expected true/false, got {other}"),
            )),
        }
    }

    /// The common tests (comparisons and presence tests of fields, parameters and constants,
    /// joined by `and`, `or`, `not`) without building values or errors: `None` whenever the
    /// general path must answer (anything else, a missing value, an error, an explained
    /// record's trace), which then evaluates the test again from the start. Everything this
    /// reads is free of side effects, so the second evaluation sees the same values.
    fn quick_truth(&self, e: &Expr) -> Option<bool> {
        if self.trace.is_some() {
            return None;
        }
        match e {
            Expr::Const(Value::Bool(b)) => Some(*b),
            Expr::Not(x) => self.quick_truth(x).map(|b| !b),
            Expr::And(a, b) => match self.quick_truth(a)? {
                false => Some(false),
                true => self.quick_truth(b),
            },
            Expr::Or(a, b) => match self.quick_truth(a)? {
                true => Some(true),
                false => self.quick_truth(b),
            },
            Expr::Presence { expr, present, .. } => {
                self.leaf(expr).map(|v| v.is_some() == *present)
            }
            Expr::Compare { op, lhs, rhs, .. } => {
                let (l, r) = (self.leaf(lhs)??, self.leaf(rhs)??);
                compare(*op, l, r, self.program.tz).ok()
            }
            Expr::Condition(i) => self.quick_truth(&self.program.conditions.get(*i)?.expr),
            _ => None,
        }
    }

    /// Evaluates; `None` means the value is absent.
    pub fn eval(&self, e: &Expr) -> R<Option<Value>> {
        Ok(Some(match e {
            Expr::Const(v) => v.clone(),
            Expr::Field(s) => return Ok(self.record.fields.get(*s).cloned().flatten()),
            Expr::EventAttr(i) => {
                return Ok(self
                    .event
                    .and_then(|ev| ev.attrs.get(*i).cloned().flatten()));
            }
            Expr::Param(i) => self
                .params
                .get(*i)
                .cloned()
                .ok_or_else(|| EvalError::new(None, "unknown parameter"))?,
            Expr::Condition(i) => {
                let c = self
                    .program
                    .conditions
                    .get(*i)
                    .ok_or_else(|| EvalError::new(None, "unknown condition"))?;
                let v = self.truth(&c.expr)?;
                self.note(|| format!("condition `{}` is {v}", c.name));
                Value::Bool(v)
            }
            Expr::Table(i) => return self.table(*i).map(Some),
            Expr::MilestoneAt(m) => {
                return Ok(self
                    .milestones
                    .get(*m)
                    .copied()
                    .flatten()
                    .map(Value::DateTime))
            }
            Expr::Not(x) => Value::Bool(!self.truth(x)?),
            Expr::Neg(x) => match self.need(x)? {
                Value::Number(n) => Value::Number(negate(n)),
                Value::Money(m) => Value::Money(Money {
                    amount: negate(m.amount),
                    currency: m.currency,
                }),
                Value::Percent(p) => Value::Percent(negate(p)),
                v => return Err(EvalError::new(None, format!("cannot negate {v}"))),
            },
            Expr::And(a, b) => Value::Bool(self.truth(a)? && self.truth(b)?),
            Expr::Or(a, b) => Value::Bool(self.truth(a)? || self.truth(b)?),
            Expr::Compare { op, lhs, rhs, text } => {
                let (l, r) = (self.need_cow(lhs)?, self.need_cow(rhs)?);
                let result = compare(*op, &l, &r, self.program.tz)?;
                self.note(|| format!("{text}: {l} {} {r} → {result}", op.symbol()));
                Value::Bool(result)
            }
            Expr::InList {
                value,
                list,
                negated,
                text,
            } => {
                let v = self.need_cow(value)?;
                let Value::List(items) = &*self.need_cow(list)? else {
                    return Err(EvalError::new(None, "expected a list"));
                };
                let mut found = false;
                for it in items.iter() {
                    if compare(BinaryOp::Eq, &v, it, self.program.tz)? {
                        found = true;
                        break;
                    }
                }
                let result = found != *negated;
                self.note(|| format!("{text}: {v} → {result}"));
                Value::Bool(result)
            }
            Expr::InWindow {
                value,
                window,
                negated,
                text,
            } => {
                let w = self
                    .program
                    .windows
                    .get(*window)
                    .ok_or_else(|| EvalError::new(None, "unknown window"))?;
                let d = match self.need(value)? {
                    Value::Date(d) => d,
                    Value::DateTime(t) => local_date(&t, self.program.tz),
                    v => return Err(EvalError::new(None, format!("{v} is not a date"))),
                };
                let result = (w.from <= d && d <= w.to) != *negated;
                self.note(|| format!("{text}: {d} (window {} to {}) → {result}", w.from, w.to));
                Value::Bool(result)
            }
            Expr::Arith { op, lhs, rhs } => {
                arith(*op, self.need(lhs)?, self.need(rhs)?, self.program.tz)?
            }
            Expr::Presence {
                expr,
                present,
                text,
            } => {
                let has = match self.leaf(expr) {
                    Some(v) => v.is_some(),
                    None => self.eval(expr)?.is_some(),
                };
                let result = has == *present;
                self.note(|| {
                    format!(
                        "{text} is {}: {result}",
                        if *present { "present" } else { "missing" }
                    )
                });
                Value::Bool(result)
            }
            Expr::Call { func, args } => {
                let vals: Vec<Value> = args.iter().map(|a| self.need(a)).collect::<R<_>>()?;
                if let Func::Convert(i) = func {
                    return self.convert(*i, &vals).map(Some);
                }
                call(*func, &vals, self.program.tz)?
            }
            Expr::Aggregate {
                func,
                kind,
                attr,
                within,
            } => {
                let (from, to) = match within {
                    Some(w) => {
                        let anchor = match w.anchor {
                            crate::program::Anchor::Created => self.record.created_at(),
                            crate::program::Anchor::Milestone(m) => {
                                self.milestones.get(m).copied().flatten()
                            }
                        };
                        let Some(anchor) = anchor else {
                            return Ok(if *func == Aggregate::Count {
                                Some(Value::Number(Decimal::ZERO))
                            } else {
                                None
                            });
                        };
                        (Some(anchor), add(&anchor, w.duration, self.program.tz))
                    }
                    None => (None, None),
                };
                charge(self.record, self.record.events.len())?;
                let events = self.record.events.iter().filter(|e| {
                    e.kind == *kind
                        && from.is_none_or(|f| e.at >= f)
                        && to.is_none_or(|t| e.at <= t)
                });
                return aggregate(*func, *attr, events);
            }
        }))
    }

    /// `convert(amount, rates)`: the amount times the supplied rate, exactly (rounded later,
    /// once, with the line).
    fn convert(&self, i: usize, vals: &[Value]) -> R<Value> {
        let r = self
            .program
            .rates
            .get(i)
            .ok_or_else(|| EvalError::new(None, "unknown rates"))?;
        let Some(Value::Money(m)) = vals.first() else {
            return Err(EvalError::new(None, "only money can be converted"));
        };
        if m.currency == r.currency {
            return Ok(Value::Money(*m));
        }
        let table = r.table.as_ref().ok_or_else(|| {
            EvalError::new(
                None,
                format!("no exchange rates were supplied for `{}`", r.name),
            )
        })?;
        let rate = table.get(&m.currency).ok_or_else(|| {
            EvalError::new(
                None,
                format!("the rates `{}` have no rate for {}", r.name, m.currency),
            )
        })?;
        let amount = m.amount.checked_mul(*rate).ok_or_else(overflow)?;
        let converted = Money {
            amount,
            currency: r.currency,
        };
        self.note(|| {
            format!(
                "convert {m} at {rate} {} per {}: {converted}",
                r.currency, m.currency
            )
        });
        Ok(Value::Money(converted))
    }

    fn table(&self, i: usize) -> R<Value> {
        let t = self
            .program
            .tables
            .get(i)
            .ok_or_else(|| EvalError::new(None, "unknown table"))?;
        let field = self.program.fields.get(t.key).map(|f| f.dotted.clone());
        let key = self
            .record
            .fields
            .get(t.key)
            .cloned()
            .flatten()
            .ok_or_else(|| {
                EvalError::new(
                    field.clone(),
                    format!(
                        "table `{}` is keyed by `{}`, which is missing",
                        t.name,
                        field.clone().unwrap_or_default()
                    ),
                )
            })?;
        for (k, v) in &t.rows {
            if compare(BinaryOp::Eq, k, &key, self.program.tz).unwrap_or(false) {
                self.note(|| format!("table `{}`: {key} → {v}", t.name));
                return Ok(v.clone());
            }
        }
        match &t.default {
            Some(v) => {
                self.note(|| format!("table `{}`: {key} is not listed → else {v}", t.name));
                Ok(v.clone())
            }
            None => Err(EvalError::new(
                field,
                format!("table `{}` has no row for {key} and no `else`", t.name),
            )),
        }
    }
}

fn aggregate<'e>(
    func: Aggregate,
    attr: Option<usize>,
    events: impl Iterator<Item = &'e Event>,
) -> R<Option<Value>> {
    if func == Aggregate::Count {
        return Ok(Some(Value::Number(Decimal::from(events.count()))));
    }
    let mut values = events.filter_map(|e| attr.and_then(|a| e.attrs.get(a).cloned().flatten()));
    let mut acc = match values.next() {
        Some(v) => v,
        None => {
            return Ok(None);
        }
    };
    for v in values {
        acc = match func {
            Aggregate::Sum => arith(BinaryOp::Add, acc, v, chrono_tz::UTC)?,
            Aggregate::Min => {
                if compare(BinaryOp::Lt, &v, &acc, chrono_tz::UTC)? {
                    v
                } else {
                    acc
                }
            }
            Aggregate::Max => {
                if compare(BinaryOp::Gt, &v, &acc, chrono_tz::UTC)? {
                    v
                } else {
                    acc
                }
            }
            Aggregate::First => acc,
            Aggregate::Latest | Aggregate::Count => v,
        };
    }
    Ok(Some(acc))
}

fn call(func: Func, args: &[Value], tz: chrono_tz::Tz) -> R<Value> {
    match (func, args) {
        (Func::Domain, [Value::Text(t)]) => {
            let d = t.rsplit_once('@').map(|(_, d)| d).unwrap_or(t);
            Ok(Value::Text(Text::from(d.trim().to_lowercase())))
        }
        (Func::Lower, [Value::Text(t)]) => Ok(Value::Text(Text::from(t.to_lowercase()))),
        (Func::DaysBetween, [a, b]) => {
            let day = |v: &Value| match v {
                Value::Date(d) => Ok(*d),
                Value::DateTime(t) => Ok(local_date(t, tz)),
                v => Err(EvalError::new(None, format!("{v} is not a date"))),
            };
            Ok(Value::Number(Decimal::from(
                day(b)?.signed_duration_since(day(a)?).num_days(),
            )))
        }
        _ => Err(EvalError::new(
            None,
            "a function got arguments of the wrong type",
        )),
    }
}

fn currency_error(a: &Money, b: &Money) -> EvalError {
    EvalError::new(
        None,
        format!("cannot combine {a} with {b}: merit never converts currencies"),
    )
}

/// Compares two values. A datetime compared with a date is compared by its local date in the
/// program's time zone `tz`.
pub(crate) fn compare(op: BinaryOp, l: &Value, r: &Value, tz: chrono_tz::Tz) -> R<bool> {
    let ord: Option<Ordering> = match (l, r) {
        (Value::Number(a), Value::Number(b)) | (Value::Percent(a), Value::Percent(b)) => {
            Some(a.cmp(b))
        }
        (Value::Money(a), Value::Money(b)) => {
            if a.currency != b.currency {
                return Err(currency_error(a, b));
            }
            Some(a.amount.cmp(&b.amount))
        }
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        (Value::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
        (Value::DateTime(a), Value::Date(b)) => Some(local_date(a, tz).cmp(b)),
        (Value::Date(a), Value::DateTime(b)) => Some(a.cmp(&local_date(b, tz))),
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    };
    let Some(ord) = ord else {
        return match op {
            BinaryOp::Eq => Ok(l == r),
            BinaryOp::Ne => Ok(l != r),
            _ => Err(EvalError::new(None, format!("cannot order {l} and {r}"))),
        };
    };
    Ok(match op {
        BinaryOp::Eq => ord == Ordering::Equal,
        BinaryOp::Ne => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::Le => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        BinaryOp::Ge => ord != Ordering::Less,
        _ => false,
    })
}

pub(crate) fn overflow() -> EvalError {
    EvalError::new(
        None,
        "the calculation overflows the range of exact decimals",
    )
}

/// Applies `+ - * /`, exactly.
pub(crate) fn arith(op: BinaryOp, l: Value, r: Value, tz: chrono_tz::Tz) -> R<Value> {
    use Value::*;
    let hundred = Decimal::ONE_HUNDRED;
    let num = |a: Decimal, b: Decimal| -> R<Decimal> {
        match op {
            BinaryOp::Add => a.checked_add(b),
            BinaryOp::Sub => a.checked_sub(b),
            BinaryOp::Mul => a.checked_mul(b),
            _ => {
                if b.is_zero() {
                    return Err(EvalError::new(None, "division by zero"));
                }
                a.checked_div(b)
            }
        }
        .ok_or_else(overflow)
    };
    let rate = |p: Decimal| p.checked_div(hundred).ok_or_else(overflow);
    Ok(match (op, l, r) {
        (_, Number(a), Number(b)) => Number(num(a, b)?),
        (BinaryOp::Add | BinaryOp::Sub, Money(a), Money(b)) => {
            if a.currency != b.currency {
                return Err(currency_error(&a, &b));
            }
            Money(crate::money::Money {
                amount: num(a.amount, b.amount)?,
                currency: a.currency,
            })
        }
        (BinaryOp::Add | BinaryOp::Sub, Percent(a), Percent(b)) => Percent(num(a, b)?),
        (BinaryOp::Mul, Money(m), Number(n)) | (BinaryOp::Mul, Number(n), Money(m)) => {
            Money(crate::money::Money {
                amount: m.amount.checked_mul(n).ok_or_else(overflow)?,
                currency: m.currency,
            })
        }
        (BinaryOp::Mul, Money(m), Percent(p)) | (BinaryOp::Mul, Percent(p), Money(m)) => {
            Money(crate::money::Money {
                amount: m.amount.checked_mul(rate(p)?).ok_or_else(overflow)?,
                currency: m.currency,
            })
        }
        (BinaryOp::Mul, Percent(p), Number(n)) | (BinaryOp::Mul, Number(n), Percent(p)) => {
            Number(n.checked_mul(rate(p)?).ok_or_else(overflow)?)
        }
        (BinaryOp::Div, Money(m), Number(n)) => Money(crate::money::Money {
            amount: num(m.amount, n)?,
            currency: m.currency,
        }),
        (BinaryOp::Div, Money(a), Money(b)) => {
            if a.currency != b.currency {
                return Err(currency_error(&a, &b));
            }
            Number(num(a.amount, b.amount)?)
        }
        (BinaryOp::Add, DateTime(t), Duration(d)) | (BinaryOp::Add, Duration(d), DateTime(t)) => {
            DateTime(add(&t, d, tz).ok_or_else(overflow)?)
        }
        (BinaryOp::Add, Date(x), Duration(d)) | (BinaryOp::Add, Duration(d), Date(x)) => {
            Date(crate::time::add_to_date(x, d).ok_or_else(overflow)?)
        }
        (BinaryOp::Sub, DateTime(t), Duration(d)) => {
            DateTime(crate::time::sub(&t, d, tz).ok_or_else(overflow)?)
        }
        (BinaryOp::Sub, Date(x), Duration(d)) => {
            Date(crate::time::sub_from_date(x, d).ok_or_else(overflow)?)
        }
        (op, l, r) => {
            return Err(EvalError::new(
                None,
                format!("cannot apply `{}` to {l} and {r}", op.symbol()),
            ))
        }
    })
}

#[cfg(test)]
#[path = "quick_tests.rs"]
mod quick_tests;
