//! The typed, owned, spanned syntax tree of a `.rules` file.
//!
//! Produced by [`crate::syntax::parse`]; no pest type appears here. Money is [`Money`]
//! (`Decimal` + currency), dates are `chrono` dates, durations keep their calendar unit, and
//! tier bounds say explicitly whether they include their value.
//!
//! This file holds names, paths, the items and declarations, durations and literals. A reward
//! and its clauses (amounts, tiers and bands, caps, bonuses, periods, schedules) are in
//! `ast/reward.rs`, expressions and operators in `ast/expr.rs`; both are re-exported here, so
//! every type is named `ast::X`.

mod expr;
mod reward;

pub use expr::{BinaryOp, CallArg, Expr, ExprKind, UnaryOp};
pub use reward::{
    AmountSpec, Band, BonusAmount, Bound, Cap, CapLimit, Clause, ClauseKind, Period, Reward,
    Schedule,
};

pub use super::term::Term;
use crate::money::{Currency, Money};
use crate::source::Span;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The text.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A dotted field path: `referrer.health_score`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// The parts, in order.
    pub parts: Vec<String>,
    /// Where.
    pub span: Span,
}

impl Path {
    /// The path as written: `referrer.health_score`.
    pub fn dotted(&self) -> String {
        self.parts.join(".")
    }
}

/// One parsed file: its items in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// The items.
    pub items: Vec<Item>,
}

/// A top-level declaration.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `program "Name" { ... }`.
    Header(Header),
    /// `include "file.rules"`.
    Include(Include),
    /// `param name = value`.
    Param(Param),
    /// `fields { ... }`.
    Fields(Vec<FieldDecl>),
    /// `events { ... }`.
    Events(Vec<EventDecl>),
    /// `table name by path { ... }`.
    Table(Table),
    /// `condition name = expr`.
    Condition(Condition),
    /// `window name = from D to D`.
    Window(Window),
    /// `eligible role if expr`.
    Eligible(Eligible),
    /// `reject name if expr`.
    Reject(Reject),
    /// `duplicates by path keep first|last`.
    Duplicates(Duplicates),
    /// `rates fx in USD`.
    Rates(Rates),
    /// `milestone name = ...`.
    Milestone(Milestone),
    /// `reward name on milestone to recipient { ... }`.
    Reward(Reward),
}

/// `include "path"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Include {
    /// The path, relative to the including file.
    pub path: String,
    /// Where.
    pub span: Span,
}

/// The program header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The program's name.
    pub name: String,
    /// The settings, in source order.
    pub settings: Vec<Setting>,
    /// Where (the whole block).
    pub span: Span,
}

/// A header setting, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// What is set.
    pub kind: SettingKind,
    /// Where.
    pub span: Span,
}

/// The header settings.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingKind {
    /// `version "3"`.
    Version(String),
    /// `currency USD` (the code as written; checked later).
    Currency(Name),
    /// `timezone "Europe/Paris"`.
    Timezone(String),
    /// `rounding half_up scale 2`.
    Rounding {
        /// The mode's name.
        mode: Name,
        /// A fixed scale, if given.
        scale: Option<u32>,
    },
    /// `effective from D to D`.
    Effective {
        /// First day, inclusive.
        from: Option<Term<NaiveDate>>,
        /// Last day, inclusive.
        to: Option<Term<NaiveDate>>,
    },
    /// `budget 100000 USD`.
    Budget(Term<MoneyLit>),
    /// `minimum payout 50 USD`.
    MinimumPayout(Term<MoneyLit>),
}

/// A money literal whose currency code has not been validated yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyLit {
    /// The amount.
    pub amount: Decimal,
    /// The currency code as written.
    pub currency: Name,
}

impl MoneyLit {
    /// The money, if the currency is known.
    pub fn money(&self) -> Option<Money> {
        Currency::parse(&self.currency.text).map(|currency| Money {
            amount: self.amount,
            currency,
        })
    }
}

/// `param name = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The name.
    pub name: Name,
    /// The default value.
    pub value: Literal,
    /// Where.
    pub span: Span,
}

/// A declared record field or event attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    /// The path (relative to the record, or to the event for attributes).
    pub path: Path,
    /// The declared type.
    pub ty: TypeExpr,
    /// `optional`: the field may be absent.
    pub optional: bool,
    /// Where.
    pub span: Span,
}

/// A declared type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    /// Which type.
    pub kind: TypeKind,
    /// Where.
    pub span: Span,
}

/// The field types.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// `text`.
    Text,
    /// `number`.
    Number,
    /// `money` (currency from the sibling `currency` field) or `money EUR`.
    Money(Option<Name>),
    /// `date`.
    Date,
    /// `datetime`.
    DateTime,
    /// `bool`.
    Bool,
    /// `list(T)`.
    List(Box<TypeKind>),
    /// `enum(a, b, c)`.
    Enum(Vec<String>),
    /// A name that is no type (reported by the checker).
    Unknown(String),
}

/// An event kind and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDecl {
    /// The kind: `closed_won`.
    pub kind: Name,
    /// The attributes its events carry.
    pub attrs: Vec<FieldDecl>,
    /// Where.
    pub span: Span,
}

/// A lookup table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The name.
    pub name: Name,
    /// The field the key is read from.
    pub key: Path,
    /// Key → value rows.
    pub rows: Vec<(Literal, Literal)>,
    /// `else => value`.
    pub default: Option<Literal>,
    /// Where.
    pub span: Span,
}

/// `condition name = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The name.
    pub name: Name,
    /// The test.
    pub expr: Expr,
    /// Where.
    pub span: Span,
}

/// `window name = from D to D`: both days inclusive, in the program's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The name.
    pub name: Name,
    /// First day.
    pub from: Term<NaiveDate>,
    /// Last day.
    pub to: Term<NaiveDate>,
    /// Where.
    pub span: Span,
}

/// `eligible role if expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Eligible {
    /// `referrer`, `referee` or `referral`.
    pub role: Name,
    /// The test.
    pub expr: Expr,
    /// Where.
    pub span: Span,
}

/// `reject name if expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    /// The name, shown in explanations: `self_referral`.
    pub name: Name,
    /// The test; when true the referral is rejected.
    pub expr: Expr,
    /// Where.
    pub span: Span,
}

/// `duplicates by path keep first|last`.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicates {
    /// The key that identifies the same referee.
    pub key: Path,
    /// `first` or `last`, as written.
    pub keep: Name,
    /// Where.
    pub span: Span,
}

/// `rates name in CUR`: exchange rates into `CUR`, supplied as input when the program runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    /// The name used in `convert(amount, name)`.
    pub name: Name,
    /// The currency the rates convert into, as written.
    pub currency: Name,
    /// Where.
    pub span: Span,
}

/// A duration with its calendar unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Duration {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: DurationUnit,
}

/// Units of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DurationUnit {
    /// 3600 seconds.
    Hours,
    /// Calendar days in the program's time zone.
    Days,
    /// Monday to Friday, in the program's time zone.
    BusinessDays,
    /// 7 calendar days.
    Weeks,
    /// Calendar months (Jan 31 + 1 month = Feb 28/29).
    Months,
    /// 12 calendar months.
    Years,
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (one, many) = match self.unit {
            DurationUnit::Hours => ("hour", "hours"),
            DurationUnit::Days => ("day", "days"),
            DurationUnit::BusinessDays => ("business day", "business days"),
            DurationUnit::Weeks => ("week", "weeks"),
            DurationUnit::Months => ("month", "months"),
            DurationUnit::Years => ("year", "years"),
        };
        write!(
            f,
            "{} {}",
            self.amount,
            if self.amount == 1 { one } else { many }
        )
    }
}

/// `within 60 days after anchor`.
#[derive(Debug, Clone, PartialEq)]
pub struct Within {
    /// How long.
    pub duration: Term<Duration>,
    /// `created` or a milestone's name.
    pub anchor: Name,
    /// Where.
    pub span: Span,
}

/// `milestone name = [each] event kind [where expr] [within ...] [limit n]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    /// The name.
    pub name: Name,
    /// `each`: every matching event is an occurrence (recurring rewards).
    pub each: bool,
    /// The event kind.
    pub event: Name,
    /// `where expr`.
    pub filter: Option<Expr>,
    /// The deadline.
    pub within: Option<Within>,
    /// `limit n` (with `each`).
    pub limit: Option<Term<u32>>,
    /// Where.
    pub span: Span,
}

/// A constant value.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    /// The value.
    pub kind: LiteralKind,
    /// Where.
    pub span: Span,
}

/// The constant values.
#[derive(Debug, Clone, PartialEq)]
pub enum LiteralKind {
    /// `50 USD`.
    Money(MoneyLit),
    /// `2%`, stored as written (2, not 0.02).
    Percent(Decimal),
    /// `90 days`.
    Duration(Duration),
    /// `2025-03-31`.
    Date(NaiveDate),
    /// `70`.
    Number(Decimal),
    /// `"text"`.
    Text(String),
    /// `true`.
    Bool(bool),
    /// `[a, b]`.
    List(Vec<Literal>),
}
