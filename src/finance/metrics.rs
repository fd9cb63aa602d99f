//! Per-currency figures of a ledger, shared by `simulate` and `report`.
//!
//! Definitions (all per currency, all from the ledger alone):
//! - **owed**: the sum of lines whose status counts as owed (pending, payable, clawed back);
//! - **by status**: the sum and count of lines of each status, whatever it is;
//! - **reward lines**: owed lines with a positive amount that reverse nothing (clawback and
//!   adjustment lines are not rewards);
//! - **rewarded referrals** / **recipients**: distinct records / recipients with a reward line;
//! - **average** and **largest reward**: over reward lines;
//! - **cost per referral**: owed / rewarded referrals (the cost per acquired customer);
//! - **budget used** (when the program has a budget in this currency): what the budget was
//!   charged, i.e. every line except forfeited lines and clawback lines (a clawback does not
//!   give budget back).

use crate::eval::EvalError;
use crate::ledger::{add_to, Line, Status};
use crate::money::{Currency, Money};
use crate::program::RewardKind;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// Every status, in the order output lists them.
pub const STATUSES: [Status; 6] = [
    Status::Payable,
    Status::Pending,
    Status::ClawedBack,
    Status::Expired,
    Status::Forfeited,
    Status::Capped,
];

/// The figures of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyStats {
    /// The currency.
    pub currency: Currency,
    /// Digits shown (the largest scale of its lines, else the currency's minor unit).
    pub scale: u32,
    /// Owed total.
    pub owed: Decimal,
    /// Sum and line count per status (only statuses that occur).
    pub by_status: BTreeMap<Status, (Decimal, u64)>,
    /// Reward lines.
    pub reward_lines: u64,
    /// Distinct records with a reward line.
    pub rewarded_referrals: u64,
    /// Distinct recipients with a reward line.
    pub recipients: u64,
    /// Sum of reward lines / their count.
    pub average_reward: Option<Decimal>,
    /// The largest reward line.
    pub largest_reward: Option<Decimal>,
    /// Owed / rewarded referrals.
    pub cost_per_referral: Option<Decimal>,
    /// The program's budget in this currency, and what it was charged.
    pub budget: Option<(Decimal, Decimal)>,
}

/// Whether a line is a reward (not a clawback or adjustment) that is owed.
pub fn is_reward(l: &Line) -> bool {
    l.status.counts_as_owed()
        && l.reverses.is_none()
        && l.amount.is_some_and(|(a, _)| a > Decimal::ZERO)
}

/// Figures per currency, in currency order. A program budget adds its currency even when no
/// line is in it.
pub fn currency_stats(lines: &[Line], budgets: &[Money]) -> Result<Vec<CurrencyStats>, EvalError> {
    #[derive(Default)]
    struct Acc<'a> {
        scale: u32,
        owed: Decimal,
        by_status: BTreeMap<Status, (Decimal, u64)>,
        rewards: u64,
        reward_sum: Decimal,
        largest: Option<Decimal>,
        records: BTreeSet<&'a str>,
        recipients: BTreeSet<(&'a str, &'a str)>,
        charged: Decimal,
    }
    let mut acc: BTreeMap<Currency, Acc> = BTreeMap::new();
    for b in budgets {
        acc.entry(b.currency).or_default().scale = b.currency.minor_units();
    }
    for l in lines {
        let (Some((amount, scale)), Some(c)) = (l.amount, l.currency) else {
            continue;
        };
        let a = acc.entry(c).or_default();
        a.scale = a.scale.max(scale);
        let e = a.by_status.entry(l.status).or_insert((Decimal::ZERO, 0));
        add_to(&mut e.0, amount, l)?;
        e.1 = e.1.saturating_add(1);
        if l.status.counts_as_owed() {
            add_to(&mut a.owed, amount, l)?;
        }
        if is_reward(l) {
            a.rewards = a.rewards.saturating_add(1);
            add_to(&mut a.reward_sum, amount, l)?;
            a.largest = Some(a.largest.map_or(amount, |m| m.max(amount)));
            a.records.insert(&l.record_id);
            a.recipients.insert((&l.recipient.role, &l.recipient.id));
        }
        if !matches!(l.status, Status::Forfeited | Status::ClawedBack) && l.reverses.is_none() {
            add_to(&mut a.charged, amount, l)?;
        }
    }
    Ok(acc
        .into_iter()
        .map(|(currency, a)| {
            let referrals = a.records.len() as u64;
            CurrencyStats {
                currency,
                scale: a.scale,
                owed: a.owed,
                by_status: a.by_status,
                reward_lines: a.rewards,
                rewarded_referrals: referrals,
                recipients: a.recipients.len() as u64,
                average_reward: div(a.reward_sum, a.rewards),
                largest_reward: a.largest,
                cost_per_referral: div(a.owed, referrals),
                budget: budgets
                    .iter()
                    .find(|b| b.currency == currency)
                    .map(|b| (b.amount, a.charged)),
            }
        })
        .collect())
}

/// `x / n`, or `None` for n = 0.
pub fn div(x: Decimal, n: u64) -> Option<Decimal> {
    if n == 0 {
        return None;
    }
    x.checked_div(Decimal::from(n))
}

/// Owed quantities of non-money rewards, as the ledger summary counts them: points by unit,
/// discounts and perks as a number of lines.
pub fn owed_quantities(lines: &[Line]) -> Result<BTreeMap<String, Decimal>, EvalError> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in lines {
        if l.amount.is_some() || !l.status.counts_as_owed() {
            continue;
        }
        if let (Some(q), Some(u)) = (l.quantity, &l.unit) {
            let (key, q) = if matches!(l.kind, RewardKind::Discount | RewardKind::Perk) {
                (format!("{} lines", l.kind.name()), Decimal::ONE)
            } else {
                (u.to_string(), q)
            };
            add_to(out.entry(key).or_default(), q, l)?;
        }
    }
    Ok(out)
}
