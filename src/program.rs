//! The checked program: every name resolved, every field given a slot, every expression typed.
//! Produced by [`fn@crate::check`], consumed by [`crate::eval`]. Holds no syntax types except the
//! small calendar enums it shares with the AST.
//!
//! Reward rules (recipient, kind, amount, tier bands, caps, bonuses, timing) are in
//! `program/reward.rs`, re-exported here: every type is named `program::X`.

mod reward;

pub use reward::{
    AmountDef, BandBound, BandDef, BonusDef, CapDef, CapLimit, CapScope, EventDeadline, Expiry,
    NthDef, Recipient, RewardDef, RewardKind,
};

use crate::money::{Currency, Money, Rounding};
use crate::source::Span;
use crate::syntax::ast::{BinaryOp, Duration};
use crate::value::{Type, Value};
use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Built-in field slots, present in every program's schema.
pub mod slot {
    /// `id`.
    pub const ID: usize = 0;
    /// `created_at`.
    pub const CREATED_AT: usize = 1;
    /// `referrer.id`.
    pub const REFERRER_ID: usize = 2;
    /// `referee.id`.
    pub const REFEREE_ID: usize = 3;
}

/// Where a money field's currency comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrencySource {
    /// The sibling `currency` field in the same JSON object.
    Sibling,
    /// Always this currency.
    Fixed(Currency),
}

/// A declared field (of the record, or an attribute of an event kind).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// Path parts: `["referrer", "health_score"]`.
    pub path: Vec<String>,
    /// `referrer.health_score`.
    pub dotted: String,
    /// Declared type.
    pub ty: Type,
    /// May be absent.
    pub optional: bool,
    /// For money fields.
    pub currency: CurrencySource,
}

/// A declared event kind.
#[derive(Debug, Clone, PartialEq)]
pub struct EventKind {
    /// `closed_won`.
    pub name: String,
    /// Its attributes; an event's values are stored in this order.
    pub attrs: Vec<FieldDef>,
}

/// A resolved expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A constant.
    Const(Value),
    /// A record field, by slot.
    Field(usize),
    /// An attribute of the current event (milestone filters, reward amounts), by index.
    EventAttr(usize),
    /// A parameter, by index (scenarios may override its value).
    Param(usize),
    /// A named condition, by index.
    Condition(usize),
    /// A table's row for the record's key, by index.
    Table(usize),
    /// The time a milestone was reached, by index (missing if not reached).
    MilestoneAt(usize),
    /// `not x`.
    Not(Box<Expr>),
    /// `-x`.
    Neg(Box<Expr>),
    /// `a and b` (short-circuit).
    And(Box<Expr>, Box<Expr>),
    /// `a or b` (short-circuit).
    Or(Box<Expr>, Box<Expr>),
    /// A comparison; its text is kept for explanations ("referrer.health_score >= 70: 62 >= 70 → false").
    Compare {
        /// `==`, `<`, ...
        op: BinaryOp,
        /// Left side.
        lhs: Box<Expr>,
        /// Right side.
        rhs: Box<Expr>,
        /// The source text of the whole comparison.
        text: Arc<str>,
    },
    /// `x in list` / `x not in list`.
    InList {
        /// The value.
        value: Box<Expr>,
        /// The list.
        list: Box<Expr>,
        /// `not in`.
        negated: bool,
        /// Source text.
        text: Arc<str>,
    },
    /// `x in window` / `x not in window`.
    InWindow {
        /// A date or instant.
        value: Box<Expr>,
        /// The window, by index.
        window: usize,
        /// `not in`.
        negated: bool,
        /// Source text.
        text: Arc<str>,
    },
    /// `+ - * /` on numbers, money, percents and dates.
    Arith {
        /// The operator.
        op: BinaryOp,
        /// Left side.
        lhs: Box<Expr>,
        /// Right side.
        rhs: Box<Expr>,
    },
    /// `x is present` / `x is missing`.
    Presence {
        /// The tested value.
        expr: Box<Expr>,
        /// Which test.
        present: bool,
        /// Source text.
        text: Arc<str>,
    },
    /// A scalar function.
    Call {
        /// Which function.
        func: Func,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// An aggregate over the record's events of one kind.
    Aggregate {
        /// Which aggregate.
        func: Aggregate,
        /// The event kind.
        kind: usize,
        /// The attribute, for all but `count`.
        attr: Option<usize>,
        /// Only events within this window.
        within: Option<Window>,
    },
}

/// Scalar functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// The part of an e-mail address after `@`, lower-cased.
    Domain,
    /// Lower-cased text.
    Lower,
    /// Whole local calendar days from the first date to the second.
    DaysBetween,
    /// Converts money into a rates table's currency, by index into [`Program::rates`].
    Convert(usize),
}

/// Aggregates over events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// How many.
    Count,
    /// Sum of an attribute.
    Sum,
    /// Smallest.
    Min,
    /// Largest.
    Max,
    /// The earliest event's value.
    First,
    /// The latest event's value.
    Latest,
}

/// What a deadline is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The referral's `created_at`.
    Created,
    /// Another milestone's time.
    Milestone(usize),
}

/// `within D after anchor`: inclusive at both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// How long.
    pub duration: Duration,
    /// From what.
    pub anchor: Anchor,
}

/// A named test (eligibility or reject rule) with its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// `referrer` / `self_referral`.
    pub name: String,
    /// The test.
    pub expr: Expr,
    /// Source text, for explanations.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A milestone.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneDef {
    /// Name.
    pub name: String,
    /// Every matching event is an occurrence.
    pub each: bool,
    /// The event kind.
    pub kind: usize,
    /// Only events for which this holds.
    pub filter: Option<Expr>,
    /// The deadline.
    pub within: Option<Window>,
    /// At most this many occurrences.
    pub limit: Option<u32>,
}

/// A parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    /// Name.
    pub name: String,
    /// Its type (an override must have the same).
    pub ty: Type,
    /// Its value.
    pub value: Value,
}

/// A lookup table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    /// Name.
    pub name: String,
    /// The key's field slot.
    pub key: usize,
    /// Rows.
    pub rows: Vec<(Value, Value)>,
    /// The `else` row.
    pub default: Option<Value>,
}

/// A named window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowDef {
    /// Name.
    pub name: String,
    /// First day (inclusive).
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

/// `rates name in CUR`: exchange rates supplied as input.
#[derive(Debug, Clone, PartialEq)]
pub struct RatesDef {
    /// Name.
    pub name: String,
    /// The currency the rates convert into.
    pub currency: Currency,
    /// Units of `currency` for one unit of each other currency; `None` until supplied.
    pub table: Option<std::collections::BTreeMap<Currency, Decimal>>,
}

/// `duplicates by key keep first|last`.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateRule {
    /// Key slot.
    pub key: usize,
    /// The key's dotted path.
    pub key_path: String,
    /// Keep the first (true) or the last.
    pub keep_first: bool,
}

/// The parsed source a program was checked from, kept so that a scenario can check it again
/// with other parameter values ([`crate::scenario::apply`]).
#[derive(Clone, Default)]
pub struct Origin {
    parsed: Option<std::sync::Arc<crate::syntax::Parsed>>,
    overrides: std::collections::BTreeMap<String, crate::syntax::ast::Literal>,
}

impl Origin {
    /// Keeps a copy of `parsed`, checked with `overrides`.
    pub(crate) fn new(
        parsed: &crate::syntax::Parsed,
        overrides: &std::collections::BTreeMap<String, crate::syntax::ast::Literal>,
    ) -> Origin {
        Origin {
            parsed: Some(std::sync::Arc::new(parsed.clone())),
            overrides: overrides.clone(),
        }
    }

    /// The same source with other overrides (no copy of the source).
    pub(crate) fn with_overrides(
        &self,
        overrides: std::collections::BTreeMap<String, crate::syntax::ast::Literal>,
    ) -> Origin {
        Origin {
            parsed: self.parsed.clone(),
            overrides,
        }
    }

    /// The parsed source, when the program was made by the checker.
    pub fn parsed(&self) -> Option<&crate::syntax::Parsed> {
        self.parsed.as_deref()
    }

    /// The parameter values the program was checked with instead of the declared ones.
    pub fn overrides(&self) -> &std::collections::BTreeMap<String, crate::syntax::ast::Literal> {
        &self.overrides
    }
}

/// Two origins are equal when they hold the same syntax trees and overrides.
impl PartialEq for Origin {
    fn eq(&self, other: &Origin) -> bool {
        let same_source = match (&self.parsed, &other.parsed) {
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b) || a.modules == b.modules,
            (None, None) => true,
            _ => false,
        };
        same_source && self.overrides == other.overrides
    }
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Origin(..)")
    }
}

/// A checked program, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// The source it was checked from.
    pub origin: Origin,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `name` as a lower-case slug, for ledger ids.
    pub slug: String,
    /// Default currency.
    pub currency: Currency,
    /// Time zone.
    pub tz: Tz,
    /// Rounding.
    pub rounding: Rounding,
    /// First and last effective days.
    pub effective: (Option<NaiveDate>, Option<NaiveDate>),
    /// Program budgets, at most one per currency.
    pub budgets: Vec<Money>,
    /// Minimum payout.
    pub minimum_payout: Option<Money>,
    /// Record fields; the first four are the built-ins in [`slot`].
    pub fields: Vec<FieldDef>,
    /// Event kinds.
    pub events: Vec<EventKind>,
    /// Parameters.
    pub params: Vec<ParamDef>,
    /// Tables.
    pub tables: Vec<TableDef>,
    /// Conditions.
    pub conditions: Vec<Test>,
    /// Windows.
    pub windows: Vec<WindowDef>,
    /// Exchange-rate tables (filled in with [`Program::with_rates`] before a run).
    pub rates: Vec<RatesDef>,
    /// Eligibility tests (all must hold).
    pub eligibility: Vec<Test>,
    /// Reject rules.
    pub rejects: Vec<Test>,
    /// Duplicate handling.
    pub duplicates: Option<DuplicateRule>,
    /// Milestones.
    pub milestones: Vec<MilestoneDef>,
    /// Rewards, in declaration order.
    pub rewards: Vec<RewardDef>,
}

impl Program {
    /// Supplies the exchange rates for the table `name` (see `crate::rates::parse`).
    pub fn with_rates(
        &mut self,
        name: &str,
        table: std::collections::BTreeMap<Currency, Decimal>,
    ) -> Result<(), String> {
        let names: Vec<String> = self.rates.iter().map(|r| r.name.clone()).collect();
        match self.rates.iter_mut().find(|r| r.name == name) {
            Some(r) => {
                r.table = Some(table);
                Ok(())
            }
            None => Err(format!(
                "the program declares no rates `{name}`{}",
                crate::diagnostics::did_you_mean(name, names.iter().map(String::as_str))
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default()
            )),
        }
    }

    /// The budget in a currency, if the program has one.
    pub fn budget_for(&self, currency: Currency) -> Option<Money> {
        self.budgets
            .iter()
            .copied()
            .find(|b| b.currency == currency)
    }

    /// Rates tables the program declares but that were not supplied.
    pub fn missing_rates(&self) -> Vec<&str> {
        self.rates
            .iter()
            .filter(|r| r.table.is_none())
            .map(|r| r.name.as_str())
            .collect()
    }

    /// A parameter's index by name.
    pub fn param(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
}

/// A checked program from `source`, for unit tests: a test's own program that does not check
/// is a mistake in the test, so this panics with the diagnostics.
#[cfg(test)]
pub(crate) fn checked_for_test(name: &str, source: &str) -> Program {
    let checked = crate::check(&crate::parse(name, source));
    match checked.program {
        Some(program) => program,
        None => panic!("{name}: {:?}", checked.diagnostics),
    }
}
