//! The checked reward rules: who receives a reward, its kind and what it is worth (an
//! expression, tier bands by a measure or by count, a perk), caps and their scopes, bonuses,
//! every-Nth filters, clawback and forfeit deadlines, expiry, and the rule that ties them
//! together ([`RewardDef`]). Re-exported from `program`.

use super::{Expr, Test, Window};
use crate::money::Money;
use crate::source::Span;
use crate::syntax::ast::{Duration, Schedule};
use crate::time::Period;
use crate::value::Value;
use rust_decimal::Decimal;

/// Who receives a reward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// The referrer (`referrer.id`).
    Referrer,
    /// The referee (`referee.id`).
    Referee,
    /// Another party named by a text field; `role` is its last path part.
    Party {
        /// Field slot holding the party's id.
        slot: usize,
        /// Role name.
        role: String,
    },
}

/// Reward kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    /// Cash.
    Cash,
    /// Account credit.
    Credit,
    /// Gift card.
    GiftCard,
    /// Charity donation.
    Donation,
    /// Points.
    Points,
    /// Percentage discount.
    Discount,
    /// Non-monetary perk.
    Perk,
}

impl RewardKind {
    /// The kind for its word.
    pub fn parse(word: &str) -> Option<RewardKind> {
        Some(match word {
            "cash" => RewardKind::Cash,
            "credit" => RewardKind::Credit,
            "gift_card" => RewardKind::GiftCard,
            "donation" => RewardKind::Donation,
            "points" => RewardKind::Points,
            "discount" => RewardKind::Discount,
            "perk" => RewardKind::Perk,
            _ => return None,
        })
    }

    /// Every kind's word.
    pub const NAMES: &'static [&'static str] = &[
        "cash",
        "credit",
        "gift_card",
        "donation",
        "points",
        "discount",
        "perk",
    ];

    /// The word.
    pub fn name(self) -> &'static str {
        match self {
            RewardKind::Cash => "cash",
            RewardKind::Credit => "credit",
            RewardKind::GiftCard => "gift_card",
            RewardKind::Donation => "donation",
            RewardKind::Points => "points",
            RewardKind::Discount => "discount",
            RewardKind::Perk => "perk",
        }
    }

    /// Kinds paid in money.
    pub fn is_money(self) -> bool {
        matches!(
            self,
            RewardKind::Cash | RewardKind::Credit | RewardKind::GiftCard | RewardKind::Donation
        )
    }
}

/// One end of a tier band.
#[derive(Debug, Clone, PartialEq)]
pub struct BandBound {
    /// A bare number (in the measure's currency) or money.
    pub value: Value,
    /// Whether the value itself belongs to the band.
    pub inclusive: bool,
}

/// A tier band.
#[derive(Debug, Clone, PartialEq)]
pub struct BandDef {
    /// Lower end (`None`: unbounded).
    pub lower: Option<BandBound>,
    /// Upper end (`None`: unbounded).
    pub upper: Option<BandBound>,
    /// What it pays: money, a bare number, or a percent of the measure.
    pub pays: Expr,
    /// At least.
    pub min: Option<Value>,
    /// At most.
    pub max: Option<Value>,
    /// The band as written: `from 50000 below 250000`.
    pub label: String,
    /// Where.
    pub span: Span,
}

/// What a reward is worth.
#[derive(Debug, Clone, PartialEq)]
pub enum AmountDef {
    /// An expression.
    Expr(Expr),
    /// Bands by a measured value.
    Tiers {
        /// The measure.
        measure: Expr,
        /// Its source text.
        measure_text: String,
        /// Bands in ascending order.
        bands: Vec<BandDef>,
    },
    /// Bands by the recipient's count of occurrences in a period.
    CountTiers {
        /// The period.
        period: Period,
        /// All occurrences of the period pay the band reached.
        retroactive: bool,
        /// Bands in ascending order (bounds are counts).
        bands: Vec<BandDef>,
    },
    /// A perk: a description, quantity 1.
    Perk(String),
}

/// A cap's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CapScope {
    /// Each line on its own.
    Reward,
    /// Per recipient.
    Recipient,
    /// Per referee (all lines earned through one referee).
    Referee,
    /// The rule's total.
    Program,
}

impl CapScope {
    /// The scope for its word.
    pub fn parse(word: &str) -> Option<CapScope> {
        Some(match word {
            "reward" => CapScope::Reward,
            "recipient" => CapScope::Recipient,
            "referee" => CapScope::Referee,
            "program" => CapScope::Program,
            _ => return None,
        })
    }

    /// Every scope's word.
    pub const NAMES: &'static [&'static str] = &["reward", "recipient", "referee", "program"];
}

/// A cap's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapLimit {
    /// Money.
    Money(Money),
    /// A count of lines (or units for points).
    Count(u64),
}

/// A cap.
#[derive(Debug, Clone, PartialEq)]
pub struct CapDef {
    /// The limit.
    pub limit: CapLimit,
    /// The scope.
    pub scope: CapScope,
    /// Resets each period.
    pub period: Option<Period>,
    /// As written.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A bonus.
#[derive(Debug, Clone, PartialEq)]
pub struct BonusDef {
    /// Multiplier (true) or fixed addition.
    pub multiplier: Option<Decimal>,
    /// Fixed addition.
    pub fixed: Option<Value>,
    /// When it applies.
    pub when: Expr,
    /// As written.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// `every Nth` / `at Nth`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NthDef {
    /// Every Nth (true) or only the Nth.
    pub every: bool,
    /// N.
    pub n: u32,
    /// Counting period.
    pub period: Period,
    /// Where.
    pub span: Span,
}

/// An event-based condition with a deadline (forfeit, clawback).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventDeadline {
    /// The event kind.
    pub kind: usize,
    /// The window.
    pub within: Window,
}

/// When a line expires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expiry {
    /// How long.
    pub after: Duration,
    /// After `payable_on` (true) or `earned_at`.
    pub from_payable: bool,
}

/// A reward rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardDef {
    /// Name (the ledger's `rule`).
    pub name: String,
    /// The milestone it waits for.
    pub milestone: usize,
    /// Who receives it.
    pub recipient: Recipient,
    /// What kind.
    pub kind: RewardKind,
    /// How much.
    pub amount: AmountDef,
    /// Hold after earning.
    pub hold: Option<Duration>,
    /// Payout schedule.
    pub schedule: Schedule,
    /// Expiry.
    pub expires: Option<Expiry>,
    /// Clawback.
    pub clawback: Option<EventDeadline>,
    /// Forfeit.
    pub forfeit: Option<EventDeadline>,
    /// Caps, in source order.
    pub caps: Vec<CapDef>,
    /// Bonuses, in source order.
    pub bonuses: Vec<BonusDef>,
    /// Extra conditions.
    pub only_if: Vec<Test>,
    /// Nth filter.
    pub nth: Option<NthDef>,
    /// Declared to stack with other rewards.
    pub stacks: bool,
    /// Where.
    pub span: Span,
}
