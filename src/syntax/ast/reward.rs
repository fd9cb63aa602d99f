//! The syntax of a reward rule: the `reward` item and its clauses, what it pays (an expression,
//! or tiers of bands with their bounds), caps and their limits, bonuses, counting periods and
//! payout schedules. Re-exported from `ast`.

use super::{Duration, Expr, Literal, MoneyLit, Name, Path, Term, Within};
use crate::source::Span;
use rust_decimal::Decimal;

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
