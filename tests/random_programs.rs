//! Random programs over random records. Programs are put together from the language's
//! constructs (eligibility, milestones with deadlines, fixed, rate, deal-size and count tiers,
//! every Nth, holds, schedules, expiry, clawbacks, caps of every scope, bonuses, a budget, a
//! minimum payout, duplicates rules, several time zones and rounding modes); records from
//! valid and broken fields. For every pair:
//!
//! - checking and evaluating never panic, and evaluation never fails as a whole;
//! - the ledger is the same on 1 and 3 threads and for reversed input;
//! - the streaming evaluator writes exactly the in-memory ledger's lines (when it applies);
//! - the summary's owed totals are the sum of the owed lines, per currency;
//! - ids are unique, and a negative line is a clawback that names its original;
//! - a program whose terms are moved into `param`s pays exactly what it pays as written.
//!
//! `PROPTEST_CASES` sets the number of programs (default below).

use chrono::NaiveDate;
use merit::eval::stream::{evaluate_lines, streamable, LineFormat, Spill};
use merit::eval::{evaluate_str, Options};
use merit::ledger::Ledger;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

const CASES: u32 = 1500;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// One reward, from its parts.
fn reward(i: usize) -> impl Strategy<Value = String> {
    let amount = prop_oneof![
        (1u32..500).prop_map(|n| format!("cash {n} USD")),
        (1u32..30).prop_map(|p| format!("cash {p}% of deal.amount")),
        (1u32..40).prop_map(|p| format!("credit {p}.5 USD")),
        (1u32..20).prop_map(|p| format!("discount {p}%")),
        (1u32..900).prop_map(|n| format!("points {n}")),
        Just("perk \"Advisory board seat\"".to_string()),
        (1u32..100, 1u32..50).prop_map(|(a, b)| format!(
            "cash tiers by deal.amount {{ below {a}000 => 100  from {a}000 below {c}000 => {b}%  from {c}000 => 2% max 5000 }}",
            c = a + 10
        )),
        (1u32..3, 1u32..4, any::<bool>(), 0usize..3).prop_map(|(a, k, retro, p)| format!(
            "cash tiers by count per {} {} {{ from 1 to {a} => 50  from {} to {b} => 75  from {} => 100 }}",
            ["month", "quarter", "year"][p],
            if retro { "retroactive" } else { "marginal" },
            a + 1,
            a + k + 1,
            b = a + k
        )),
    ];
    let clauses = prop::collection::vec(
        prop_oneof![
            (0u32..40).prop_map(|d| format!("hold {d} days")),
            (1u32..10).prop_map(|d| format!("hold {d} business days")),
            Just("pay end of next month".to_string()),
            Just("pay quarterly".to_string()),
            (1u32..29).prop_map(|d| format!("pay on {d} of next month")),
            (1u32..12).prop_map(|m| format!("expires {m} months after payable")),
            (1u32..90).prop_map(|d| format!("clawback if refund within {d} days after won")),
            (100u32..2000, 0usize..4).prop_map(|(n, s)| format!(
                "cap {n} USD per {}",
                ["recipient per quarter", "referee", "program", "reward"][s]
            )),
            (10u32..15).prop_map(|n| format!("cap {n} per recipient per year")),
            Just("bonus x1.5 if deal.vip is present and deal.vip".to_string()),
            (1u32..50).prop_map(|n| format!("bonus {n} USD if created_at in spring")),
            (2u32..4).prop_map(|n| format!("every {n}th referral per year")),
            Just("only if deal.amount is present".to_string()),
        ],
        0..4,
    );
    (amount, clauses, 0usize..2).prop_map(move |(amount, clauses, to)| {
        let money = amount.starts_with("cash") || amount.starts_with("credit");
        let mut body = vec![amount];
        let mut seen = BTreeSet::new();
        for c in clauses {
            // Amounts in USD (caps, fixed bonuses) only go with money rewards.
            if !money && c.contains(" USD") {
                continue;
            }
            // One clause of each kind: the checker refuses two holds or two pays.
            let kind = c.split_whitespace().next().unwrap_or_default().to_string();
            if kind == "cap" || seen.insert(kind) {
                body.push(c);
            }
        }
        // `% of deal.amount` and the deal-size tiers need the amount: guard them.
        if body[0].contains("deal.amount") && !body.iter().any(|c| c.starts_with("only if")) {
            body.push("only if deal.amount is present".into());
        }
        format!(
            "reward r{i} on won to {} {{\n  {}\n  stacks\n}}\n",
            ["referrer", "referee"][to],
            body.join("\n  ")
        )
    })
}

/// A whole program.
fn program() -> impl Strategy<Value = String> {
    (
        (0usize..4, 0usize..3, any::<bool>(), any::<bool>()),
        (1u32..120, any::<bool>(), 0usize..3),
        prop::collection::vec(0usize..1, 1..4).prop_flat_map(|v| {
            (0..v.len()).map(reward).collect::<Vec<_>>()
        }),
    )
        .prop_map(|((tz, rounding, budget, minimum), (days, health, dups), rewards)| {
            let tz = ["UTC", "America/New_York", "Europe/Paris", "Asia/Tokyo"][tz];
            let rounding = ["half_even", "half_up", "down"][rounding];
            let mut header = format!("  version \"1\"\n  currency USD\n  timezone \"{tz}\"\n  rounding {rounding}\n");
            if budget {
                header.push_str("  budget 3000 USD\n");
            }
            if minimum {
                header.push_str("  minimum payout 50 USD\n");
            }
            let mut p = format!("program \"Random\" {{\n{header}}}\n\n");
            p.push_str("fields {\n  referrer.health_score: number optional\n  deal.amount: money optional\n  deal.vip: bool optional\n}\n");
            p.push_str("events { closed_won  refund }\n");
            p.push_str("window spring = from 2025-03-01 to 2025-05-31\n");
            if health {
                p.push_str("eligible referrer if referrer.health_score is missing or referrer.health_score >= 50\n");
            }
            match dups {
                1 => p.push_str("duplicates by referee.id keep first\n"),
                2 => p.push_str("duplicates by referee.id keep last\n"),
                _ => {}
            }
            p.push_str(&format!(
                "milestone won = event closed_won within {days} days after created\n\n"
            ));
            for r in rewards {
                p.push_str(&r);
            }
            p
        })
}

/// The same program with its terms (the window's dates, the deadline, holds, money caps, the
/// budget and the minimum payout) moved into `param`s: it must pay exactly the same.
fn as_params(source: &str) -> String {
    let mut params = Vec::new();
    let mut out = Vec::new();
    let name = |value: &str, params: &mut Vec<String>| {
        let n = format!("p{}", params.len());
        params.push(format!("param {n} = {value}"));
        n
    };
    for line in source.lines() {
        let t = line.trim_start();
        let indent = &line[..line.len() - t.len()];
        let words: Vec<&str> = t.split_whitespace().collect();
        let new = match words.as_slice() {
            ["window", w, "=", "from", a, "to", b] => {
                let (a, b) = (name(a, &mut params), name(b, &mut params));
                format!("window {w} = from {a} to {b}")
            }
            ["milestone", m, "=", "event", e, "within", n, u, "after", x] => {
                let d = name(&format!("{n} {u}"), &mut params);
                format!("milestone {m} = event {e} within {d} after {x}")
            }
            ["hold", n, u @ "days"] => format!("hold {}", name(&format!("{n} {u}"), &mut params)),
            ["cap", n, c @ "USD", rest @ ..] => format!(
                "cap {} {}",
                name(&format!("{n} {c}"), &mut params),
                rest.join(" ")
            ),
            ["budget", n, c] => format!("budget {}", name(&format!("{n} {c}"), &mut params)),
            ["minimum", "payout", n, c] => {
                format!("minimum payout {}", name(&format!("{n} {c}"), &mut params))
            }
            _ => t.to_string(),
        };
        out.push(format!("{indent}{new}"));
    }
    format!("{}\n{}\n", out.join("\n"), params.join("\n"))
}

/// One record's parts: referrer, referee, creation day, deal (units, form), days to the win,
/// days to a refund, and an oddity (1: a repeated id, 2: no created_at, 3: a text score).
type RecordParts = (
    u8,
    u16,
    i64,
    Option<(u32, u8)>,
    Option<i64>,
    Option<i64>,
    u8,
);

/// One record line: mostly valid, sometimes broken (a bad amount, a missing created_at, a
/// duplicated id).
fn record() -> impl Strategy<Value = RecordParts> {
    (
        0u8..5,
        0u16..40,
        0i64..300,
        prop::option::weighted(0.85, (0u32..400_000, 0u8..3)),
        prop::option::weighted(0.85, -2i64..130),
        prop::option::weighted(0.2, 0i64..100),
        0u8..40,
    )
}

fn record_line(
    n: usize,
    (referrer, referee, created, deal, won, refund, odd): RecordParts,
) -> String {
    let day = |d: i64, h: u32| {
        (NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default()
            + chrono::Days::new(d.unsigned_abs()))
        .and_hms_opt(h % 24, 30, 0)
        .map(|t| format!("{}Z", t.format("%Y-%m-%dT%H:%M:%S")))
        .unwrap_or_default()
    };
    let mut events = Vec::new();
    if let Some(w) = won {
        let at = (created + w).max(0);
        events.push(format!(r#"{{"kind":"closed_won","at":"{}"}}"#, day(at, 15)));
        if let Some(r) = refund {
            events.push(format!(r#"{{"kind":"refund","at":"{}"}}"#, day(at + r, 9)));
        }
    }
    let deal = match deal {
        Some((units, 0)) => format!(
            r#","deal":{{"amount":"{}.{:02}","currency":"USD","vip":{}}}"#,
            units / 100,
            units % 100,
            units % 3 == 0
        ),
        Some((units, 1)) => format!(
            r#","deal":{{"amount":{}.{:02},"currency":"USD"}}"#,
            units / 100,
            units % 100
        ),
        Some((units, _)) => format!(r#","deal":{{"amount":"{units}","currency":"EUR"}}"#),
        None => String::new(),
    };
    let id = if odd == 1 {
        "DUP".to_string()
    } else {
        format!("R{n}")
    };
    let created_at = if odd == 2 {
        String::new()
    } else {
        format!(r#","created_at":"{}""#, day(created, 10))
    };
    let health = if odd == 3 {
        r#""health_score":"high""#.to_string()
    } else {
        format!(r#""health_score":{}"#, 30 + referee % 70)
    };
    format!(
        r#"{{"id":"{id}"{created_at},"referrer":{{"id":"K{referrer}",{health}}},"referee":{{"id":"N{referee}"}}{deal},"events":[{}]}}"#,
        events.join(",")
    )
}

fn owed_by_currency(l: &Ledger) -> BTreeMap<String, Decimal> {
    let mut m: BTreeMap<String, Decimal> = BTreeMap::new();
    for x in &l.lines {
        if let (Some((a, _)), Some(c)) = (x.amount, x.currency) {
            if x.status.counts_as_owed() {
                *m.entry(c.to_string()).or_default() += a;
            }
        }
    }
    m
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_programs_evaluate_consistently(
        source in program(),
        recs in prop::collection::vec(record(), 0..40),
        as_of in prop::sample::select(vec!["2025-02-28", "2025-07-31", "2026-03-31"]),
    ) {
        let checked = merit::check(&merit::parse("random.rules", &source));
        let errors: Vec<String> = checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
        // A combination the checker refuses (it has said why, without panicking) is done.
        prop_assert!(errors.is_empty(), "{errors:?}");
        let Some(program) = checked.program.filter(|_| errors.is_empty()) else {
            return Ok(());
        };
        let lines: Vec<String> = recs.into_iter().enumerate().map(|(i, r)| record_line(i, r)).collect();
        let text = lines.join("\n");
        let as_of = NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap_or_default();
        let run = |text: &str, threads: usize| -> Result<Ledger, TestCaseError> {
            let mut opts = Options::as_of(as_of);
            opts.threads = threads;
            evaluate_str(&program, text, &opts)
                .map(|e| e.ledger)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{source}")))
        };
        let one = run(&text, 1)?;
        // The same terms as parameters pay the same lines.
        let moved = as_params(&source);
        prop_assert!(moved.contains("window spring = from p"), "{}", moved);
        prop_assert!(moved.contains(" within p"), "{}", moved);
        let checked = merit::check(&merit::parse("params.rules", &moved));
        let Some(moved_program) = checked.program else {
            return Err(TestCaseError::fail(format!("{:?}\n{moved}", checked.diagnostics)));
        };
        let mut opts = Options::as_of(as_of);
        opts.threads = 1;
        let moved_ledger = evaluate_str(&moved_program, &text, &opts)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{moved}")))?
            .ledger;
        let pays = |l: &Ledger| -> Vec<String> {
            l.lines
                .iter()
                .map(|x| format!("{} {:?} {:?} {} {:?}", x.id, x.amount, x.status, x.payable_on, x.expires_on))
                .collect()
        };
        prop_assert_eq!(pays(&one), pays(&moved_ledger), "as params\n{}", moved);
        let json = |l: &Ledger| serde_json::to_string(l).unwrap_or_default();
        prop_assert_eq!(json(&one), json(&run(&text, 3)?), "threads\n{}", source);
        let reversed: Vec<&str> = lines.iter().rev().map(String::as_str).collect();
        let back = run(&reversed.join("\n"), 1)?;
        prop_assert_eq!(
            serde_json::to_string(&back.lines).unwrap_or_default(),
            serde_json::to_string(&one.lines).unwrap_or_default(),
            "input order\n{}", source
        );
        // Totals are the sum of the lines.
        let owed: BTreeMap<String, Decimal> = one
            .summary
            .owed
            .iter()
            .map(|t| (t.currency.to_string(), t.amount.0))
            .filter(|(_, a)| !a.is_zero())
            .collect();
        let summed: BTreeMap<String, Decimal> =
            owed_by_currency(&one).into_iter().filter(|(_, a)| !a.is_zero()).collect();
        prop_assert_eq!(owed, summed, "{}", source);
        // Ids are unique; a negative line is a clawback of a line in the ledger.
        let ids: BTreeSet<&str> = one.lines.iter().map(|l| l.id.as_str()).collect();
        prop_assert_eq!(ids.len(), one.lines.len(), "{}", source);
        for l in &one.lines {
            if l.amount.is_some_and(|(a, _)| a < Decimal::ZERO) {
                let original = l.reverses.as_deref().unwrap_or_default();
                prop_assert!(ids.contains(original), "{} reverses nothing\n{}", l.id, source);
            }
        }
        // The streaming evaluator agrees, line for line and problem for problem.
        if streamable(&program) {
            let mut opts = Options::as_of(as_of);
            opts.threads = 2;
            let spill = Spill { dir: std::env::temp_dir(), memory: 2048 };
            let s = evaluate_lines(&program, text.as_bytes(), &opts, LineFormat::Jsonl, &spill)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{source}")))?;
            let problems: Vec<String> = s.problems().iter().map(|p| p.to_string()).collect();
            let want: Vec<String> = one.problems.iter().map(|p| p.to_string()).collect();
            prop_assert_eq!(problems, want, "{}", source);
            let mut out = Vec::new();
            s.write(&mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(
                String::from_utf8_lossy(&out).into_owned(),
                merit::output::render(&one, merit::output::Format::Jsonl),
                "{}", source
            );
        }
    }
}
