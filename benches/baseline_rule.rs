//! The hand-written reference implementation from the performance issue.
//!
//! This is what a competent engineer would write for one fixed referral rule without
//! merit: serde into structs that declare only the fields the rule reads (borrowing
//! `&str` from the input), plain `if`/`else`, and money as integer cents (the amount
//! string is parsed into cents by hand; no floats anywhere). merit's compiled programs
//! are measured against this number, and a future whole-run benchmark can call
//! [`run_baseline`] on the same input to check that both pay the same rewards.
//!
//! The rule:
//! - a record qualifies when `referrer.health_score` is present and `>= 70`, `deal` is
//!   present, `deal.stage == "closed_won"`, `deal.amount` is present, and some
//!   `closed_won` event lies between 0 and 90×24 hours (inclusive) after `created_at`;
//! - the referrer earns, in the deal's currency: 500.00 when the amount is below
//!   50,000; 2% of the amount from 50,000 up to (not including) 250,000; 1.5% of the
//!   amount from 250,000 on, at most 10,000.00; rounded half-up to cents;
//! - the referee earns a 10% discount. It is a reward line (counted in
//!   [`BaselineResult::reward_count`]) but carries no money, so it adds nothing to the
//!   currency totals.

use chrono::{DateTime, TimeDelta};
use serde::Deserialize;

/// Currencies the totals are kept for, in the order of [`BaselineResult::referrer_cents`].
pub const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];

/// The qualifying window after `created_at`, inclusive at both ends.
const WINDOW_SECS: i64 = 90 * 24 * 3600;

/// What the hand-written rule produced for one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineResult {
    /// Non-empty lines read.
    pub records: u64,
    /// Lines that are not a record of the expected shape, or whose amount or timestamps
    /// cannot be read exactly. They never qualify.
    pub malformed: u64,
    /// Records that met every condition and were paid.
    pub qualifying: u64,
    /// Reward lines: two per qualifying record (referrer cash, referee discount).
    pub reward_count: u64,
    /// Sum of the referrer rewards in cents, per currency in [`CURRENCIES`] order.
    pub referrer_cents: [i64; 3],
    /// Records that met every condition but whose currency is not in [`CURRENCIES`];
    /// they are not paid (the generator never produces them).
    pub unknown_currency: u64,
}

impl BaselineResult {
    /// Referrer total in cents for a currency code, if it is one of [`CURRENCIES`].
    #[allow(dead_code)]
    pub fn total_cents(&self, currency: &str) -> Option<i64> {
        let i = CURRENCIES.iter().position(|c| *c == currency)?;
        self.referrer_cents.get(i).copied()
    }
}

#[derive(Deserialize)]
struct Record<'a> {
    referrer: Referrer,
    #[serde(borrow)]
    deal: Option<Deal<'a>>,
    #[serde(borrow, default)]
    events: Vec<Event<'a>>,
    created_at: &'a str,
}

#[derive(Deserialize)]
struct Referrer {
    health_score: Option<i64>,
}

#[derive(Deserialize)]
struct Deal<'a> {
    amount: Option<&'a str>,
    currency: &'a str,
    stage: &'a str,
}

#[derive(Deserialize)]
struct Event<'a> {
    kind: &'a str,
    at: &'a str,
}

/// Outcome of the rule for one record.
enum Verdict {
    NotQualified,
    Malformed,
    Paid {
        currency_index: Option<usize>,
        cents: i64,
    },
}

/// Runs the reference rule over JSON Lines `input` and totals the rewards.
pub fn run_baseline(input: &[u8]) -> BaselineResult {
    let mut result = BaselineResult::default();
    for line in input.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        result.records += 1;
        let verdict = match serde_json::from_slice::<Record>(line) {
            Ok(record) => judge(&record),
            Err(_) => Verdict::Malformed,
        };
        match verdict {
            Verdict::NotQualified => {}
            Verdict::Malformed => result.malformed += 1,
            Verdict::Paid {
                currency_index: Some(i),
                cents,
            } => {
                if let Some(total) = result.referrer_cents.get_mut(i) {
                    *total += cents;
                    result.qualifying += 1;
                    result.reward_count += 2;
                }
            }
            Verdict::Paid {
                currency_index: None,
                ..
            } => result.unknown_currency += 1,
        }
    }
    result
}

fn judge(record: &Record) -> Verdict {
    let health_ok = match record.referrer.health_score {
        Some(h) => h >= 70,
        None => false,
    };
    if !health_ok {
        return Verdict::NotQualified;
    }
    let deal = match &record.deal {
        Some(deal) => deal,
        None => return Verdict::NotQualified,
    };
    if deal.stage != "closed_won" {
        return Verdict::NotQualified;
    }
    let amount = match deal.amount {
        Some(amount) => amount,
        None => return Verdict::NotQualified,
    };
    let created = match DateTime::parse_from_rfc3339(record.created_at) {
        Ok(t) => t,
        Err(_) => return Verdict::Malformed,
    };
    let window = TimeDelta::seconds(WINDOW_SECS);
    let mut closed_in_window = false;
    for event in &record.events {
        if event.kind != "closed_won" {
            continue;
        }
        let at = match DateTime::parse_from_rfc3339(event.at) {
            Ok(t) => t,
            Err(_) => return Verdict::Malformed,
        };
        let after = at.signed_duration_since(created);
        if after >= TimeDelta::zero() && after <= window {
            closed_in_window = true;
            break;
        }
    }
    if !closed_in_window {
        return Verdict::NotQualified;
    }
    let amount_cents = match parse_cents(amount) {
        Some(c) => c,
        None => return Verdict::Malformed,
    };
    Verdict::Paid {
        currency_index: CURRENCIES.iter().position(|c| *c == deal.currency),
        cents: referrer_reward_cents(amount_cents),
    }
}

/// Referrer reward in cents for a (non-negative) deal amount in cents.
pub fn referrer_reward_cents(amount_cents: i64) -> i64 {
    if amount_cents < 5_000_000 {
        // Below 50,000.00: flat 500.00.
        50_000
    } else if amount_cents < 25_000_000 {
        // 2%, half-up: cents * 2 / 100.
        (amount_cents * 2 + 50) / 100
    } else {
        // 1.5%, half-up: cents * 15 / 1000, capped at 10,000.00.
        // Saturating: any amount large enough to overflow is far above the cap.
        (amount_cents.saturating_mul(15).saturating_add(500) / 1000).min(1_000_000)
    }
}

/// Parses a non-negative decimal string with at most two decimals into cents
/// (`"1462.97"` → 146297, `"12.5"` → 1250, `"7"` → 700). Anything else is `None`.
pub fn parse_cents(s: &str) -> Option<i64> {
    let (int, frac) = match s.split_once('.') {
        Some((_, "")) => return None,
        Some((int, frac)) => (int, frac),
        None => (s, ""),
    };
    if int.is_empty() || frac.len() > 2 {
        return None;
    }
    let mut units: i64 = 0;
    for b in int.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        units = units.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    let mut fraction: i64 = 0;
    let mut weight = 100;
    for b in frac.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        weight /= 10;
        fraction += i64::from(b - b'0') * weight;
    }
    units.checked_mul(100)?.checked_add(fraction)
}

/// Checks the rule against hand-computed cases; the bench refuses to run if this fails.
pub fn self_check() -> Result<(), String> {
    let amounts: [(&str, Option<i64>); 9] = [
        ("1462.97", Some(146_297)),
        ("12.5", Some(1_250)),
        ("7", Some(700)),
        ("0.05", Some(5)),
        ("1462.", None),
        (".50", None),
        ("1.234", None),
        ("-5.00", None),
        ("99999999999999999999.00", None),
    ];
    for (text, want) in amounts {
        let got = parse_cents(text);
        if got != want {
            return Err(format!("parse_cents({text:?}) = {got:?}, want {want:?}"));
        }
    }
    let rewards: [(i64, i64); 10] = [
        (146_297, 50_000),        // 1,462.97 -> flat 500.00
        (4_999_999, 50_000),      // 49,999.99 -> flat 500.00
        (5_000_000, 100_000),     // 50,000.00 * 2% = 1,000.00
        (12_345_678, 246_914),    // 123,456.78 * 2% = 2,469.1356 -> 2,469.14
        (5_000_025, 100_001),     // 50,000.25 * 2% = 1,000.005 -> 1,000.01 (half-up)
        (24_999_999, 500_000),    // 249,999.99 * 2% = 4,999.9998 -> 5,000.00
        (25_000_000, 375_000),    // 250,000.00 * 1.5% = 3,750.00
        (30_000_030, 450_000),    // 300,000.30 * 1.5% = 4,500.0045 -> 4,500.00
        (30_000_034, 450_001),    // 300,000.34 * 1.5% = 4,500.0051 -> 4,500.01
        (100_000_000, 1_000_000), // 1,000,000.00 * 1.5% = 15,000 -> capped at 10,000.00
    ];
    for (amount, want) in rewards {
        let got = referrer_reward_cents(amount);
        if got != want {
            return Err(format!(
                "referrer_reward_cents({amount}) = {got}, want {want}"
            ));
        }
    }

    let line = |health: &str, deal: &str, events: &str| {
        format!(
            "{{\"id\":\"R1\",\"referrer\":{{\"id\":\"C1\"{health}}},{deal}\"events\":[{events}],\"created_at\":\"2025-01-01T00:00:00Z\"}}\n"
        )
    };
    let won = "\"deal\":{\"amount\":\"123456.78\",\"currency\":\"EUR\",\"stage\":\"closed_won\"},";
    let at = |t: &str| format!("{{\"kind\":\"closed_won\",\"at\":\"{t}\"}}");
    // (input line, expected referrer cents in EUR: None when it must not qualify)
    let cases: Vec<(String, Option<i64>)> = vec![
        (line(",\"health_score\":70", won, &at("2025-01-31T00:00:00Z")), Some(246_914)),
        (line(",\"health_score\":69", won, &at("2025-01-31T00:00:00Z")), None),
        (line("", won, &at("2025-01-31T00:00:00Z")), None),
        (line(",\"health_score\":90", "", &at("2025-01-31T00:00:00Z")), None),
        (
            line(
                ",\"health_score\":90",
                "\"deal\":{\"amount\":\"123456.78\",\"currency\":\"EUR\",\"stage\":\"negotiation\"},",
                &at("2025-01-31T00:00:00Z"),
            ),
            None,
        ),
        (
            line(
                ",\"health_score\":90",
                "\"deal\":{\"currency\":\"EUR\",\"stage\":\"closed_won\"},",
                &at("2025-01-31T00:00:00Z"),
            ),
            None,
        ),
        // Exactly 90 days after: inclusive.
        (line(",\"health_score\":90", won, &at("2025-04-01T00:00:00Z")), Some(246_914)),
        // One second late.
        (line(",\"health_score\":90", won, &at("2025-04-01T00:00:01Z")), None),
        // At created_at: inclusive; before it: no.
        (line(",\"health_score\":90", won, &at("2025-01-01T00:00:00Z")), Some(246_914)),
        (line(",\"health_score\":90", won, &at("2024-12-31T23:59:59Z")), None),
        // A late closing event does not hide an earlier one in the window.
        (
            line(
                ",\"health_score\":90",
                won,
                &format!("{},{}", at("2025-02-01T00:00:00Z"), at("2025-06-01T00:00:00Z")),
            ),
            Some(246_914),
        ),
        // Other event kinds do not count.
        (
            line(
                ",\"health_score\":90",
                won,
                "{\"kind\":\"demo_attended\",\"at\":\"2025-01-02T00:00:00Z\"}",
            ),
            None,
        ),
    ];
    for (input, want) in &cases {
        let got = run_baseline(input.as_bytes());
        let expected = BaselineResult {
            records: 1,
            qualifying: u64::from(want.is_some()),
            reward_count: if want.is_some() { 2 } else { 0 },
            referrer_cents: [0, want.unwrap_or(0), 0],
            ..BaselineResult::default()
        };
        if got != expected {
            return Err(format!("{input}: got {got:?}, want {expected:?}"));
        }
    }
    Ok(())
}
