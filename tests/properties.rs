//! Properties of the evaluator over random record sets, for one fixed program that uses count
//! tiers (marginal and retroactive), every-Nth, a money cap per recipient per quarter, a count
//! cap, a program budget, multiplier and fixed bonuses, holds, expiry and clawbacks.
//!
//! Referrers come from a small pool so that count tiers and caps bite, referees from a larger
//! one so that some are referred twice (`duplicates ... keep first`).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeDelta};
use merit::eval::{evaluate_str, Options};
use merit::ledger::{Ledger, Line, Status};
use merit::program::Program;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::OnceLock;

const PROGRAM: &str = r#"
program "Property check" {
  version "1"  currency USD  timezone "America/New_York"  rounding half_up
  budget 4000 USD
}
fields { deal.amount: money optional  deal.vip: bool optional }
events { closed_won  refund }
duplicates by referee.id keep first
milestone won = event closed_won within 90 days after created

reward payout on won to referrer {
  cash tiers by count per quarter { from 1 to 2 => 100  from 3 to 5 => 150.5  from 6 => 200 }
  bonus x1.5 if deal.vip is present and deal.vip
  bonus 12.25 USD if deal.amount is present
  hold 30 days
  clawback if refund within 60 days after won
  cap 700 USD per recipient per quarter
}
reward quarter_bonus on won to referrer {
  cash tiers by count per quarter retroactive { from 1 to 3 => 5  from 4 => 20 }
  stacks
}
reward streak on won to referrer {
  gift_card 10 USD
  every 2nd referral per quarter
  cap 3 per recipient per year
  stacks
}
reward welcome on won to referee {
  credit 33.33 USD
  bonus x1.25 if deal.vip is present and deal.vip
  expires 6 months after payable
  clawback if refund within 60 days after won
}
reward loyalty on won to referee {
  points tiers by deal.amount { below 1000 => 10  from 1000 => 50 }
  only if deal.amount is present
  stacks
}
"#;

const PAYOUT_CAP: &str = "700";
const BUDGET: &str = "4000";

fn program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| {
        let checked = merit::check::check(&merit::syntax::parse("properties.rules", PROGRAM));
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        checked
            .program
            .unwrap_or_else(|| panic!("the program checks"))
    })
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn run(records: &str, as_of: NaiveDate, threads: usize) -> Ledger {
    let mut opts = Options::as_of(as_of);
    opts.threads = threads;
    match evaluate_str(program(), records, &opts) {
        Ok(ev) => ev.ledger,
        Err(e) => panic!("evaluation failed: {e}"),
    }
}

fn json_of(ledger: &Ledger) -> String {
    serde_json::to_string(ledger).unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------------------------------------
// Generating records
// ---------------------------------------------------------------------------------------------

/// One generated referral, before it is given an id and written as JSON.
#[derive(Debug, Clone)]
struct Spec {
    referrer: u8,
    referee: u16,
    /// Seconds after 2025-01-01T00:00:00Z.
    created: i64,
    /// How the timestamps are written: `Z`, `-05:00`, `+02:00` or `+09:00`.
    offset: u8,
    /// Currency (0 USD, 1 EUR, 2 JPY) and minor units.
    deal: Option<(u8, u32, bool)>,
    vip: Option<bool>,
    /// Seconds after creation (negative: before it).
    won: Option<i64>,
    /// Seconds after the win.
    refund: Option<i64>,
}

const DAY: i64 = 86_400;

fn spec() -> impl Strategy<Value = Spec> {
    (
        (0u8..4, 0u16..60, 0..200 * DAY, 0u8..4),
        prop::option::weighted(0.85, (0u8..3, 0u32..300_000, any::<bool>())),
        prop::option::of(any::<bool>()),
        prop::option::weighted(0.85, -2 * DAY..110 * DAY),
        prop::option::weighted(0.25, -5 * DAY..80 * DAY),
    )
        .prop_map(
            |((referrer, referee, created, offset), deal, vip, won, refund)| Spec {
                referrer,
                referee,
                created,
                offset,
                deal,
                vip,
                won,
                refund,
            },
        )
}

fn timestamp(secs: i64, offset: u8) -> String {
    let base = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap_or_default();
    let t = base + TimeDelta::seconds(secs);
    let hours = [0, -5, 2, 9][usize::from(offset % 4)];
    let tz = FixedOffset::east_opt(hours * 3600)
        .unwrap_or(FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()));
    t.with_timezone(&tz)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A valid record (every amount fits its currency), as one JSON line.
fn record(id: &str, s: &Spec) -> String {
    let mut deal = serde_json::Map::new();
    if let Some((cur, units, as_number)) = s.deal {
        let (code, text) = match cur {
            0 => ("USD", format!("{}.{:02}", units / 100, units % 100)),
            1 => ("EUR", format!("{}.{:02}", units / 100, units % 100)),
            _ => ("JPY", (units * 10).to_string()),
        };
        let amount = if as_number {
            serde_json::Value::Number(
                serde_json::Number::from_str(&text).unwrap_or_else(|e| panic!("{e}")),
            )
        } else {
            serde_json::Value::String(text)
        };
        deal.insert("amount".into(), amount);
        deal.insert("currency".into(), json!(code));
    }
    if let Some(v) = s.vip {
        deal.insert("vip".into(), json!(v));
    }
    let mut events = vec![json!({"kind": "meeting", "at": timestamp(s.created + 3600, s.offset)})];
    if let Some(w) = s.won {
        let won = s.created + w;
        events.push(json!({"kind": "closed_won", "at": timestamp(won, s.offset)}));
        if let Some(r) = s.refund {
            events.push(json!({"kind": "refund", "at": timestamp(won + r, (s.offset + 1) % 4)}));
        }
    }
    let mut rec = json!({
        "id": id,
        "created_at": timestamp(s.created, s.offset),
        "referrer": {"id": format!("C{}", s.referrer), "name": "ignored"},
        "referee": {"id": format!("P{}", s.referee)},
        "events": events,
    });
    if !deal.is_empty() {
        rec["deal"] = serde_json::Value::Object(deal);
    }
    rec.to_string()
}

fn records(specs: &[Spec]) -> Vec<String> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| record(&format!("R{i:05}"), s))
        .collect()
}

/// A deterministic permutation (Fisher-Yates with a small LCG).
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((state >> 33) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn as_of() -> impl Strategy<Value = NaiveDate> {
    prop::sample::select(vec!["2025-03-31", "2025-08-15", "2025-12-31", "2026-09-30"])
        .prop_map(date)
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

fn amount(l: &Line) -> Decimal {
    l.amount.map(|a| a.0).unwrap_or_default()
}

fn consumes(l: &Line) -> bool {
    !matches!(l.status, Status::Forfeited | Status::ClawedBack)
}

/// Every invariant that holds for one ledger.
fn check_invariants(ledger: &Ledger) -> Result<(), TestCaseError> {
    let tz = chrono_tz::America::New_York;
    // Ids are unique.
    let ids: BTreeSet<&str> = ledger.lines.iter().map(|l| l.id.as_str()).collect();
    prop_assert_eq!(ids.len(), ledger.lines.len(), "duplicate line ids");
    // Negative amounts only on clawed_back lines reversing an existing, paid line.
    let by_id: HashMap<&str, &Line> = ledger.lines.iter().map(|l| (l.id.as_str(), l)).collect();
    for l in &ledger.lines {
        let negative = amount(l) < Decimal::ZERO || l.quantity.is_some_and(|q| q < Decimal::ZERO);
        if l.status == Status::ClawedBack {
            let original = l.reverses.as_deref().and_then(|r| by_id.get(r));
            prop_assert!(original.is_some(), "{} reverses nothing", l.id);
            if let Some(o) = original {
                prop_assert_eq!(amount(o), -amount(l), "{} does not mirror {}", l.id, o.id);
                prop_assert!(
                    matches!(o.status, Status::Payable | Status::Pending),
                    "{} reverses a {:?} line",
                    l.id,
                    o.status
                );
            }
        } else {
            prop_assert!(!negative, "{} is negative", l.id);
            prop_assert!(l.reverses.is_none(), "{} reverses something", l.id);
        }
    }
    // Summary totals by status (and owed) are the sums of the lines.
    let mut by_status: BTreeMap<(String, String), (Decimal, u64)> = BTreeMap::new();
    let mut owed: BTreeMap<String, (Decimal, u64)> = BTreeMap::new();
    for l in &ledger.lines {
        let Some(c) = l.currency else { continue };
        let e = by_status
            .entry((l.status.as_str().to_string(), c.to_string()))
            .or_default();
        e.0 += amount(l);
        e.1 += 1;
        if l.status.counts_as_owed() {
            let e = owed.entry(c.to_string()).or_default();
            e.0 += amount(l);
            e.1 += 1;
        }
    }
    let summary_status: BTreeMap<(String, String), (Decimal, u64)> = ledger
        .summary
        .by_status
        .iter()
        .map(|t| {
            (
                (t.key.clone(), t.currency.to_string()),
                (t.amount.0, t.lines),
            )
        })
        .collect();
    prop_assert_eq!(&summary_status, &by_status);
    let summary_owed: BTreeMap<String, (Decimal, u64)> = ledger
        .summary
        .owed
        .iter()
        .map(|t| (t.currency.to_string(), (t.amount.0, t.lines)))
        .collect();
    prop_assert_eq!(&summary_owed, &owed);
    prop_assert_eq!(ledger.summary.lines, ledger.lines.len() as u64);
    // The owed totals by rule and by recipient are the sums of the owed lines too.
    type Groups = BTreeMap<(String, String), (Decimal, u64)>;
    let (mut by_rule, mut by_recipient): (Groups, Groups) = Default::default();
    for l in ledger.lines.iter().filter(|l| l.status.counts_as_owed()) {
        let (Some((a, _)), Some(c)) = (l.amount, l.currency) else {
            continue;
        };
        let who = format!("{}:{}", l.recipient.role, l.recipient.id);
        for (m, key) in [(&mut by_rule, l.rule.to_string()), (&mut by_recipient, who)] {
            let e = m.entry((key, c.to_string())).or_default();
            e.0 += a;
            e.1 += 1;
        }
    }
    let flat = |ts: &[merit::ledger::Total]| -> Groups {
        ts.iter()
            .map(|t| {
                (
                    (t.key.clone(), t.currency.to_string()),
                    (t.amount.0, t.lines),
                )
            })
            .collect()
    };
    prop_assert_eq!(flat(&ledger.summary.by_rule), by_rule);
    prop_assert_eq!(flat(&ledger.summary.by_recipient), by_recipient);
    // The money cap: per referrer and quarter (New York), what `payout` commits stays within it.
    let cap = Decimal::from_str(PAYOUT_CAP).unwrap_or_default();
    let mut per_quarter: BTreeMap<(String, i32, u32), Decimal> = BTreeMap::new();
    for l in ledger
        .lines
        .iter()
        .filter(|l| l.rule == "payout" && consumes(l))
    {
        let d = l.earned_at.with_timezone(&tz).date_naive();
        *per_quarter
            .entry((l.recipient.id.to_string(), d.year(), d.month0() / 3))
            .or_default() += amount(l);
    }
    for (k, total) in &per_quarter {
        prop_assert!(*total <= cap, "{k:?}: {total} > {cap}");
    }
    // The count cap: at most 3 `streak` gift cards per referrer and year.
    let mut per_year: BTreeMap<(String, i32), u32> = BTreeMap::new();
    for l in ledger
        .lines
        .iter()
        .filter(|l| l.rule == "streak" && consumes(l) && l.status != Status::Capped)
    {
        let d = l.earned_at.with_timezone(&tz).date_naive();
        *per_year
            .entry((l.recipient.id.to_string(), d.year()))
            .or_default() += 1;
    }
    for (k, n) in &per_year {
        prop_assert!(*n <= 3, "{k:?}: {n} streak lines");
    }
    // The budget: everything committed, and everything owed, stays within it.
    let budget = Decimal::from_str(BUDGET).unwrap_or_default();
    let committed: Decimal = ledger
        .lines
        .iter()
        .filter(|l| consumes(l))
        .map(amount)
        .sum();
    prop_assert!(committed <= budget, "committed {committed} > {budget}");
    let owed_usd = owed.get("USD").map(|o| o.0).unwrap_or_default();
    prop_assert!(owed_usd <= budget, "owed {owed_usd} > {budget}");
    // Every record is accounted for exactly once.
    let s = &ledger.summary;
    prop_assert_eq!(
        s.eligible + s.not_eligible + s.rejected + s.problems,
        s.records,
        "{:?}",
        s
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// Cases per property: a few thousand, enough to hit every rule many times; `PROPTEST_CASES`
/// sets another number for every property (more for a long soak, fewer while editing).
fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    ProptestConfig {
        cases: n,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases(2000))]

    /// Input order never matters: shuffled lines give a byte-identical JSON ledger.
    #[test]
    fn shuffling_the_input_changes_nothing(
        specs in prop::collection::vec(spec(), 0..60),
        seed in any::<u64>(),
        as_of in as_of(),
    ) {
        let lines = records(&specs);
        let mut shuffled = lines.clone();
        shuffle(&mut shuffled, seed);
        let a = run(&lines.join("\n"), as_of, 1);
        prop_assert!(a.problems.is_empty(), "{:?}", a.problems);
        let b = run(&shuffled.join("\n"), as_of, 1);
        prop_assert_eq!(json_of(&a), json_of(&b));
    }

}

proptest! {
    #![proptest_config(cases(1000))]

    /// The thread count never matters.
    #[test]
    fn threads_change_nothing(
        specs in prop::collection::vec(spec(), 0..60),
        as_of in as_of(),
    ) {
        let text = records(&specs).join("\n");
        let one = json_of(&run(&text, as_of, 1));
        prop_assert_eq!(&one, &json_of(&run(&text, as_of, 2)));
        prop_assert_eq!(&one, &json_of(&run(&text, as_of, 4)));
    }

}

proptest! {
    #![proptest_config(cases(2000))]

    /// Totals, caps, the budget, ids and clawbacks are consistent; two runs agree.
    #[test]
    fn ledgers_are_consistent(
        specs in prop::collection::vec(spec(), 0..100),
        as_of in as_of(),
    ) {
        let text = records(&specs).join("\n");
        let ledger = run(&text, as_of, 1);
        check_invariants(&ledger)?;
        let again = run(&text, as_of, 1);
        let ids = |l: &Ledger| l.lines.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&ledger), ids(&again));
    }
}

/// Values that can stand in for a field.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        "[ -~]{0,12}".prop_map(serde_json::Value::String),
        prop::sample::select(vec![
            "2025-01-01T00:00:00",
            "2025-02-30T00:00:00Z",
            "1.23abc",
            "1.234",
            "USD",
            "XYZ",
            "closed_won",
            "refund",
            "99999999999999999999999999999999",
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "id",
                        "created_at",
                        "referrer",
                        "referee",
                        "deal",
                        "amount",
                        "currency",
                        "vip",
                        "events",
                        "kind",
                        "at",
                    ]),
                    inner
                ),
                0..5
            )
            .prop_map(|kv| serde_json::Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// A line of garbage: arbitrary text, arbitrary JSON, or a valid record broken one way.
fn garbage() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        json_value().prop_map(|v| v.to_string()),
        (spec(), any::<prop::sample::Index>()).prop_map(|(s, cut)| {
            let full = record("G", &s);
            let at = cut.index(full.len());
            full.char_indices()
                .map(|(i, _)| i)
                .take_while(|i| *i <= at)
                .last()
                .map(|i| full[..i].to_string())
                .unwrap_or_default()
        }),
        (
            spec(),
            prop::sample::select(vec![
                "/id",
                "/created_at",
                "/referrer",
                "/referrer/id",
                "/referee/id",
                "/deal",
                "/deal/amount",
                "/deal/currency",
                "/deal/vip",
                "/events",
                "/events/0",
                "/events/1/at",
                "/events/1/kind",
            ]),
            json_value()
        )
            .prop_map(|(s, path, v)| {
                let mut rec: serde_json::Value =
                    serde_json::from_str(&record("M", &s)).unwrap_or_default();
                if let Some(slot) = rec.pointer_mut(path) {
                    *slot = v;
                }
                rec.to_string()
            }),
    ]
    .prop_map(|s| s.replace(['\n', '\r'], " "))
}

proptest! {
    #![proptest_config(cases(2000))]

    /// Garbage never panics: every line that is not a JSON object becomes a problem, and
    /// every record is still accounted for once.
    #[test]
    fn garbage_becomes_problems(
        specs in prop::collection::vec(spec(), 1..10),
        junk in prop::collection::vec(garbage(), 1..10),
        seed in any::<u64>(),
    ) {
        let mut lines = records(&specs);
        let first = lines.remove(0);
        lines.extend(junk.iter().cloned());
        shuffle(&mut lines, seed);
        // A valid record first, so the input is read as JSON Lines, not as one JSON array.
        lines.insert(0, first);
        let text = lines.join("\n");
        let ledger = run(&text, date("2025-12-31"), 1);
        let s = &ledger.summary;
        prop_assert_eq!(s.eligible + s.not_eligible + s.rejected + s.problems, s.records);
        let with_problem: BTreeSet<u64> = ledger.problems.iter().map(|p| p.line).collect();
        for (i, line) in lines.iter().enumerate() {
            let object = serde_json::from_str::<serde_json::Value>(line)
                .is_ok_and(|v| v.is_object());
            if !object && !line.trim().is_empty() {
                prop_assert!(with_problem.contains(&(i as u64 + 1)), "line {}: {line}", i + 1);
            }
        }
        let two = run(&text, date("2025-12-31"), 2);
        prop_assert_eq!(json_of(&ledger), json_of(&two));
    }
}

/// More records than one chunk of work (2048), so that several threads really share them.
#[test]
fn many_records_give_the_same_ledger_on_any_thread_count() {
    let mut state: u64 = 0x5eed;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let specs: Vec<Spec> = (0..3000)
        .map(|_| Spec {
            referrer: next(40) as u8,
            referee: next(2500) as u16,
            created: (next(365) as i64) * DAY + next(DAY as u64) as i64,
            offset: next(4) as u8,
            deal: (next(10) > 0).then(|| (next(3) as u8, next(300_000) as u32, next(2) == 0)),
            vip: (next(3) > 0).then(|| next(2) == 0),
            won: (next(10) > 1).then(|| next(100) as i64 * DAY + next(DAY as u64) as i64),
            refund: (next(5) == 0).then(|| next(80) as i64 * DAY),
        })
        .collect();
    let mut lines = records(&specs);
    let text = lines.join("\n");
    let as_of = date("2025-12-31");
    let one = run(&text, as_of, 1);
    assert!(one.lines.len() > 2048, "{} lines", one.lines.len());
    assert!(one.problems.is_empty(), "{:?}", one.problems.first());
    if let Err(e) = check_invariants(&one) {
        panic!("{e}");
    }
    let one = json_of(&one);
    for threads in [2, 4] {
        assert!(
            one == json_of(&run(&text, as_of, threads)),
            "{threads} threads differ"
        );
    }
    lines.reverse();
    assert!(
        one == json_of(&run(&lines.join("\n"), as_of, 4)),
        "reversed input differs"
    );
}
