//! The typed, owned, spanned syntax tree of a `.rules` file.
//!
//! Produced by [`crate::syntax::parse`]; no pest type appears here. Money is [`Money`]
//! (`Decimal` + currency), dates are `chrono` dates, durations keep their calendar unit, and
//! tier bounds say explicitly whether they include their value.

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

/// `reward name on milestone to recipient { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reward {
    /// The name (the ledger's `rule`).
    pub name: Name,
    /// The milestone it waits for.
    pub milestone: Name,
    /// `referrer`, `referee`, or a record field naming another party.
    pub recipient: Path,
    /// Its clauses in source order.
    pub clauses: Vec<Clause>,
    /// Where.
    pub span: Span,
}

/// A clause of a reward, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// Which clause.
    pub kind: ClauseKind,
    /// Where.
    pub span: Span,
}

/// The reward clauses.
#[derive(Debug, Clone, PartialEq)]
pub enum ClauseKind {
    /// `cash 50 USD`.
    Pays {
        /// The kind word as written.
        kind: Name,
        /// What it is worth.
        amount: AmountSpec,
    },
    /// `hold 30 days`.
    Hold(Term<Duration>),
    /// `pay end of next month`.
    Schedule(Schedule),
    /// `expires 12 months after payable`.
    Expires {
        /// How long.
        after: Term<Duration>,
        /// `payable` or `earned`.
        anchor: Name,
    },
    /// `clawback if refund within 90 days after won`.
    Clawback {
        /// The reversing event kind.
        event: Name,
        /// Its window.
        within: Within,
    },
    /// `forfeit unless payment within 30 days after won`.
    Forfeit {
        /// The event that must happen.
        event: Name,
        /// By when.
        within: Within,
    },
    /// `cap 500 USD per recipient per year`.
    Cap(Cap),
    /// `bonus x1.5 if expr` / `bonus 25 USD if expr`.
    Bonus {
        /// Multiplier or fixed amount.
        bonus: BonusAmount,
        /// When it applies.
        when: Expr,
    },
    /// `only if expr`.
    OnlyIf(Expr),
    /// `every 5th referral per year` / `at 10th referral per year`.
    Nth {
        /// Every Nth (true) or only the Nth (false).
        every: bool,
        /// N.
        n: u32,
        /// The counting period.
        period: Period,
    },
    /// `stacks`.
    Stacks,
}

/// What a reward is worth.
#[derive(Debug, Clone, PartialEq)]
pub enum AmountSpec {
    /// An expression: `50 USD`, `2% of deal.amount`, `referee.seats * 10 USD`, `country_bonus`.
    Expr(Expr),
    /// `tiers by <expr> { bands }`.
    Tiers {
        /// What the bands measure.
        measure: Expr,
        /// The bands, in source order.
        bands: Vec<Band>,
    },
    /// `tiers by count per <period> [marginal|retroactive] { bands }`.
    CountTiers {
        /// The counting period.
        period: Period,
        /// `marginal` (default) or `retroactive`, as written.
        mode: Option<Name>,
        /// The bands, in source order.
        bands: Vec<Band>,
    },
}

/// A tier band.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The lower end; `None` is unbounded.
    pub lower: Option<Bound>,
    /// The upper end; `None` is unbounded.
    pub upper: Option<Bound>,
    /// What the band pays: an amount, or a rate of the measure.
    pub pays: Expr,
    /// `min X`.
    pub min: Option<Term<Literal>>,
    /// `max X`.
    pub max: Option<Term<Literal>>,
    /// Where.
    pub span: Span,
}

/// One end of a band.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// The value.
    pub value: Term<Literal>,
    /// `from`/`to` include the value; `above`/`below` exclude it.
    pub inclusive: bool,
    /// Where.
    pub span: Span,
}

/// A counting period.
#[derive(Debug, Clone, PartialEq)]
pub enum Period {
    /// A named period (`month`, `quarter`, `year`, `program`), checked later.
    Named(Name),
    /// `rolling 30 days`.
    Rolling(Duration, Span),
}

/// When held lines are paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// As soon as the hold ends.
    Immediately,
    /// The last day of the month after the hold ends.
    EndOfNextMonth,
    /// Day N of the month after the hold ends (clamped to the month's length).
    DayOfNextMonth(u32),
    /// The first day of the next calendar quarter.
    Quarterly,
}

/// A cap.
#[derive(Debug, Clone, PartialEq)]
pub struct Cap {
    /// The limit.
    pub limit: Term<CapLimit>,
    /// `reward`, `recipient`, `referee` or `program`, as written.
    pub scope: Name,
    /// The period it resets on.
    pub period: Option<Period>,
}

/// A cap's limit.
#[derive(Debug, Clone, PartialEq)]
pub enum CapLimit {
    /// An amount of money.
    Money(MoneyLit),
    /// A number of rewards (or units, for points).
    Count(u64),
}

/// A bonus's size.
#[derive(Debug, Clone, PartialEq)]
pub enum BonusAmount {
    /// `x1.5`, `x boost`.
    Multiplier(Term<Decimal>),
    /// `25 USD`, `100` (points), `launch_bonus`.
    Fixed(Term<Literal>),
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

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// The expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A constant.
    Lit(Literal),
    /// A field, parameter, condition, window, table or milestone time.
    Path(Path),
    /// `f(args)`.
    Call {
        /// The function.
        func: Name,
        /// The arguments.
        args: Vec<CallArg>,
    },
    /// `not x`, `-x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
    },
    /// `a op b`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `x is present` (true) / `x is missing` (false).
    Presence {
        /// The tested value.
        expr: Box<Expr>,
        /// Which test.
        present: bool,
    },
}

/// A call argument.
#[derive(Debug, Clone, PartialEq)]
pub struct CallArg {
    /// The value.
    pub expr: Expr,
    /// `within D after anchor` (aggregates over events).
    pub within: Option<Within>,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`.
    Not,
    /// `-`.
    Neg,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`.
    Or,
    /// `and`.
    And,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `in`.
    In,
    /// `not in`.
    NotIn,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*` and `of`.
    Mul,
    /// `/`.
    Div,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}
