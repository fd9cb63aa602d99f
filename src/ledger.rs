//! The ledger: what a run produces. Lines with stable ids and explanations, per-currency
//! summaries, and the records that could not be judged.

use crate::eval::EvalError;
use crate::money::{format_amount, Currency};
use crate::program::RewardKind;
use crate::records::RecordProblem;
use crate::time::Instant;
use crate::value::Text;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Where a line stands as of the run's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Earned, not yet payable (on hold, waiting for a deadline or the minimum payout).
    Pending,
    /// Due.
    Payable,
    /// Earned and lapsed unused.
    Expired,
    /// Lost: a condition was not met, or reversed before it was paid.
    Forfeited,
    /// A negative line taking back a paid reward.
    ClawedBack,
    /// Cut to nothing by a cap or budget.
    Capped,
}

impl Status {
    /// The status as written in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Payable => "payable",
            Status::Expired => "expired",
            Status::Forfeited => "forfeited",
            Status::ClawedBack => "clawed_back",
            Status::Capped => "capped",
        }
    }

    /// Statuses whose amounts count towards what the program owes.
    pub fn counts_as_owed(self) -> bool {
        matches!(self, Status::Pending | Status::Payable | Status::ClawedBack)
    }
}

/// Who receives a line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RecipientRef {
    /// `referrer`, `referee`, or a party's role.
    pub role: Text,
    /// Their id.
    pub id: Text,
}

/// Ordered key/value facts behind a line, serialized as a JSON object in this order. Keys are
/// mostly fixed words (`band`, `rate`), kept without copying them for every line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts(pub Vec<(Cow<'static, str>, String)>);

impl Facts {
    /// Adds a fact. Keys stay unique, so the JSON object has no repeated key: a second
    /// `bonus` is `bonus 2`, a third `bonus 3`.
    pub fn push(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        let key = key.into();
        let taken = |k: &str| self.0.iter().any(|(have, _)| have == k);
        let key = if taken(&key) {
            (2u32..)
                .map(|n| format!("{key} {n}"))
                .find(|k| !taken(k))
                .map_or(key, Cow::Owned)
        } else {
            key
        };
        self.0.push((key, value.into()));
    }

    /// The value of a fact.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Serialize for Facts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Why a line has its amount and status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// A sentence for a finance reader.
    pub text: String,
    /// The structured facts: values compared, band chosen, caps applied.
    pub facts: Facts,
}

/// One reward line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Stable id: program, version, rule, record, recipient, occurrence.
    pub id: String,
    /// The referral record.
    pub record_id: Text,
    /// Who receives it.
    pub recipient: RecipientRef,
    /// The reward rule.
    pub rule: Text,
    /// The band chosen, if tiered.
    pub tier: Option<Text>,
    /// The milestone that earned it.
    pub milestone: Text,
    /// What kind of reward.
    pub kind: RewardKind,
    /// Money amount at the currency's scale (money kinds).
    #[serde(serialize_with = "amount_str")]
    pub amount: Option<(Decimal, u32)>,
    /// Currency (money kinds).
    pub currency: Option<Currency>,
    /// Quantity (points, discount percent, perks).
    #[serde(serialize_with = "decimal_str")]
    pub quantity: Option<Decimal>,
    /// Unit of the quantity.
    pub unit: Option<Text>,
    /// Status as of the run's date.
    pub status: Status,
    /// When it was earned.
    #[serde(serialize_with = "instant_str")]
    pub earned_at: Instant,
    /// When it is (or was) payable.
    pub payable_on: NaiveDate,
    /// When unused credit lapses.
    pub expires_on: Option<NaiveDate>,
    /// For clawbacks and adjustments: the line this one reverses.
    pub reverses: Option<String>,
    /// Why.
    pub explanation: Explanation,
}

impl Line {
    /// The money amount, if any.
    pub fn money(&self) -> Option<(Decimal, Currency)> {
        Some((self.amount?.0, self.currency?))
    }
}

fn amount_str<S: Serializer>(a: &Option<(Decimal, u32)>, s: S) -> Result<S::Ok, S::Error> {
    match a {
        Some((d, scale)) => s.serialize_str(&format_amount(*d, *scale)),
        None => s.serialize_none(),
    }
}

fn decimal_str<S: Serializer>(a: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match a {
        Some(d) => s.serialize_str(&d.normalize().to_string()),
        None => s.serialize_none(),
    }
}

fn instant_str<S: Serializer>(t: &Instant, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// An amount total, kept exact, printed at the currency's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amount(pub Decimal, pub u32);

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_amount(self.0, self.1))
    }
}

/// A total for one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Total {
    /// The group (currency, status, rule or recipient), as text.
    pub key: String,
    /// Currency.
    pub currency: Currency,
    /// Sum of the amounts of the group's lines with that currency.
    pub amount: Amount,
    /// Number of lines.
    pub lines: u64,
}

/// Counts and totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Records read (including ones with problems).
    pub records: u64,
    /// Records judged eligible.
    pub eligible: u64,
    /// Records not eligible (an eligibility test failed, or outside the program's dates).
    pub not_eligible: u64,
    /// Records rejected (anti-abuse, duplicates).
    pub rejected: u64,
    /// Eligible records that earned at least one line.
    pub rewarded: u64,
    /// Eligible records with a milestone whose deadline passed unreached.
    pub lapsed: u64,
    /// Records that could not be judged.
    pub problems: u64,
    /// Lines.
    pub lines: u64,
    /// Net owed per currency: pending + payable + clawed back.
    pub owed: Vec<Total>,
    /// Totals by status and currency (every line, whatever its status).
    pub by_status: Vec<Total>,
    /// Net owed by rule and currency.
    pub by_rule: Vec<Total>,
    /// Net owed by recipient (`role:id`) and currency.
    pub by_recipient: Vec<Total>,
    /// Quantities of non-money rewards by unit, owed.
    pub quantities: BTreeMap<String, String>,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ledger {
    /// Program name and version.
    pub program: ProgramRef,
    /// The date the run was evaluated as of.
    pub as_of: NaiveDate,
    /// The lines, in earned order.
    pub lines: Vec<Line>,
    /// Totals.
    pub summary: Summary,
    /// Records that could not be judged.
    pub problems: Vec<RecordProblem>,
}

/// A program's identity in output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramRef {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// Builds the summary totals from lines. Every line is below 10^18, so a total passes Decimal's
/// range (about 7.9 × 10^28) only past some 10^10 lines; if it does, the error names the line.
pub fn summarize(lines: &[Line], summary: &mut Summary) -> Result<(), EvalError> {
    type Key = (String, Currency);
    let mut owed: BTreeMap<Key, (Decimal, u32, u64)> = BTreeMap::new();
    let mut by_status: BTreeMap<Key, (Decimal, u32, u64)> = BTreeMap::new();
    let mut by_rule: BTreeMap<Key, (Decimal, u32, u64)> = BTreeMap::new();
    let mut by_recipient: BTreeMap<Key, (Decimal, u32, u64)> = BTreeMap::new();
    let mut quantities: BTreeMap<String, Decimal> = BTreeMap::new();
    let add = |m: &mut BTreeMap<Key, (Decimal, u32, u64)>,
               k: Key,
               d: Decimal,
               scale: u32,
               l: &Line|
     -> Result<(), EvalError> {
        let e = m.entry(k).or_insert((Decimal::ZERO, scale, 0));
        add_to(&mut e.0, d, l)?;
        e.1 = e.1.max(scale);
        e.2 = e.2.saturating_add(1);
        Ok(())
    };
    for l in lines {
        let owed_line = l.status.counts_as_owed();
        match (l.amount, l.currency) {
            (Some((d, scale)), Some(c)) => {
                add(
                    &mut by_status,
                    (l.status.as_str().to_string(), c),
                    d,
                    scale,
                    l,
                )?;
                if owed_line {
                    add(&mut owed, (c.to_string(), c), d, scale, l)?;
                    add(&mut by_rule, (l.rule.to_string(), c), d, scale, l)?;
                    add(
                        &mut by_recipient,
                        (format!("{}:{}", l.recipient.role, l.recipient.id), c),
                        d,
                        scale,
                        l,
                    )?;
                }
            }
            _ => {
                if let (Some(q), Some(u), true) = (l.quantity, &l.unit, owed_line) {
                    let (key, q) = if l.kind != RewardKind::Discount && l.kind != RewardKind::Perk {
                        (u.to_string(), q)
                    } else {
                        (format!("{} lines", l.kind.name()), Decimal::ONE)
                    };
                    add_to(quantities.entry(key).or_default(), q, l)?;
                }
            }
        }
    }
    let flat = |m: BTreeMap<Key, (Decimal, u32, u64)>| -> Vec<Total> {
        m.into_iter()
            .map(|((key, currency), (d, scale, n))| Total {
                key,
                currency,
                amount: Amount(d, scale),
                lines: n,
            })
            .collect()
    };
    summary.lines = lines.len() as u64;
    summary.owed = flat(owed);
    summary.by_status = flat(by_status);
    summary.by_rule = flat(by_rule);
    summary.by_recipient = flat(by_recipient);
    summary.quantities = quantities
        .into_iter()
        .map(|(k, v)| (k, v.normalize().to_string()))
        .collect();
    Ok(())
}

/// Adds line `l`'s amount or quantity `d` to a total of lines; an overflow names the line.
pub(crate) fn add_to(total: &mut Decimal, d: Decimal, l: &Line) -> Result<(), EvalError> {
    *total = total.checked_add(d).ok_or_else(|| total_overflow(l))?;
    Ok(())
}

/// A total of lines that passes Decimal's range, at line `l`.
fn total_overflow(l: &Line) -> EvalError {
    EvalError::new(
        Some("amount".into()),
        format!(
            "the ledger's totals pass the range of exact decimals at line `{}` (record {})",
            l.id, l.record_id
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One payable 50.00 USD line, as the evaluator writes it.
    fn a_line() -> Line {
        let source = r#"
          program "Demo credit" { version "1"  currency USD  timezone "UTC" }
          events { demo_attended }
          milestone demo = event demo_attended within 60 days after created
          reward credit on demo to referrer { credit 50 USD }
        "#;
        let program = crate::program::checked_for_test("demo.rules", source);
        let records = r#"{"id":"R1","created_at":"2025-03-01T09:00:00Z","referrer":{"id":"C1"},"referee":{"id":"P1"},"events":[{"kind":"demo_attended","at":"2025-03-20T15:00:00Z"}]}"#;
        let as_of = NaiveDate::from_ymd_opt(2025, 4, 30).unwrap_or_default();
        let opts = crate::eval::Options::as_of(as_of);
        let ledger = crate::eval::evaluate_str(&program, records, &opts)
            .unwrap_or_else(|e| panic!("{e}"))
            .ledger;
        ledger
            .lines
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("no line"))
    }

    #[test]
    fn totals_that_pass_the_decimal_range_name_the_line() {
        let mut big = a_line();
        big.amount = Some((Decimal::MAX, 2));
        let mut other = big.clone();
        other.id.push_str("/2");
        let mut summary = Summary::default();
        let Err(e) = summarize(&[big.clone(), other], &mut summary) else {
            panic!("the sum of two Decimal::MAX lines fits");
        };
        assert!(e.message.contains("/2`"), "{}", e.message);
        assert!(e.message.contains("record R1"), "{}", e.message);
        // One such line alone is a total like any other.
        assert!(summarize(&[big], &mut summary).is_ok());
        assert_eq!(summary.owed.first().map(|t| t.amount.0), Some(Decimal::MAX));
    }
}
