//! Runtime values and their types.

use crate::money::{Currency, Money, Plain};
use crate::syntax::ast::Duration;
use crate::time::Instant;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::fmt;
use std::sync::Arc;

/// A text value: inline up to 23 bytes (most record texts are short ids), shared past that;
/// cloning never copies the heap.
pub type Text = smol_str::SmolStr;

/// `1st`, `2nd`, `3rd`, `4th`, `11th`, `21st`.
pub fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, x) if x != 11 => "st",
        (2, x) if x != 12 => "nd",
        (3, x) if x != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The type of a value, as the checker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// true / false.
    Bool,
    /// A plain decimal number.
    Number,
    /// Money; `None` when the currency is only known per record.
    Money(Option<Currency>),
    /// A percentage.
    Percent,
    /// Text.
    Text,
    /// Text restricted to a set of values.
    Enum(Arc<[String]>),
    /// A calendar date.
    Date,
    /// An instant.
    DateTime,
    /// A calendar duration.
    Duration,
    /// A list.
    List(Box<Type>),
    /// A named date range (only usable with `in`).
    Window,
    /// The type of an expression that already has an error (suppresses follow-on errors).
    Error,
}

impl Type {
    /// The type with an article, for sentences: "a number", "an amount of money in USD".
    pub fn a(&self) -> String {
        match self {
            Type::Money(_) => format!("an amount of {self}"),
            Type::Text | Type::Enum(_) | Type::Error => self.to_string(),
            Type::Bool => "true/false".to_string(),
            Type::DateTime => "a date and time".to_string(),
            _ => format!("a {self}"),
        }
    }

    /// True for text and enums.
    pub fn is_text(&self) -> bool {
        matches!(self, Type::Text | Type::Enum(_))
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("true/false"),
            Type::Number => f.write_str("number"),
            Type::Money(Some(c)) => write!(f, "money in {c}"),
            Type::Money(None) => f.write_str("money"),
            Type::Percent => f.write_str("percentage"),
            Type::Text => f.write_str("text"),
            Type::Enum(vals) => write!(f, "one of {}", vals.join(", ")),
            Type::Date => f.write_str("date"),
            Type::DateTime => f.write_str("date and time"),
            Type::Duration => f.write_str("duration"),
            Type::List(t) => write!(f, "list of {t}"),
            Type::Window => f.write_str("window"),
            Type::Error => f.write_str("(error)"),
        }
    }
}

/// A value at evaluation time.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// true / false.
    Bool(bool),
    /// A number.
    Number(Decimal),
    /// Money.
    Money(Money),
    /// A percentage as written (2 for 2%).
    Percent(Decimal),
    /// Text.
    Text(Text),
    /// A date.
    Date(NaiveDate),
    /// An instant.
    DateTime(Instant),
    /// A duration.
    Duration(Duration),
    /// A list.
    List(Arc<[Value]>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{}", Plain(n.normalize())),
            Value::Money(m) => write!(f, "{m}"),
            Value::Percent(p) => write!(f, "{}%", Plain(p.normalize())),
            Value::Text(t) => write!(f, "\"{t}\""),
            Value::Date(d) => write!(f, "{d}"),
            Value::DateTime(t) => write!(f, "{}", t.to_rfc3339()),
            Value::Duration(d) => write!(f, "{d}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl Value {
    /// The value's type (money keeps its currency).
    pub fn type_of(&self) -> Type {
        match self {
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::Money(m) => Type::Money(Some(m.currency)),
            Value::Percent(_) => Type::Percent,
            Value::Text(_) => Type::Text,
            Value::Date(_) => Type::Date,
            Value::DateTime(_) => Type::DateTime,
            Value::Duration(_) => Type::Duration,
            Value::List(items) => Type::List(Box::new(
                items.first().map(Value::type_of).unwrap_or(Type::Error),
            )),
        }
    }
}
