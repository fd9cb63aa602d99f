//! Evaluator boundary cases. Each folder under `tests/cases/eval/` holds a `program.rules`,
//! its `records.jsonl` and an `as_of` date; the ledger is snapshotted in a compact rendering
//! (one row per line, the summary, the problems). The `#[test]`s below check the key numbers
//! of each case by hand, so a snapshot accepted by mistake cannot hide a wrong amount.

use chrono::NaiveDate;
use merit::eval::{evaluate_str, Options};
use merit::ledger::{Ledger, Line, Total};
use std::fmt::Write as _;
use std::path::Path;

/// Parses, checks and evaluates one case folder.
fn run_dir(dir: &Path) -> Ledger {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
    };
    let source = read("program.rules");
    let records = read("records.jsonl");
    let as_of = read("as_of");
    let as_of = NaiveDate::parse_from_str(as_of.trim(), "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("{}: as_of: {e}", dir.display()));
    let parsed = merit::syntax::parse("program.rules", &source);
    let checked = merit::check::check(&parsed);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", dir.display());
    let program = checked
        .program
        .unwrap_or_else(|| panic!("{}: no program", dir.display()));
    evaluate_str(&program, &records, &Options::as_of(as_of))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .ledger
}

/// Runs the case named `name`.
fn case(name: &str) -> Ledger {
    run_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/cases/eval")
            .join(name),
    )
}

fn worth(l: &Line) -> String {
    match (l.amount, l.currency, l.quantity, &l.unit) {
        (Some((a, scale)), Some(c), _, _) => {
            format!("{} {c}", merit::money::format_amount(a, scale))
        }
        (_, _, Some(q), Some(u)) => format!("{} {u}", q.normalize()),
        _ => "-".to_string(),
    }
}

fn total(t: &Total) -> String {
    format!(
        "{} {} ({} lines)",
        merit::money::format_amount(t.amount.0, t.amount.1),
        t.currency,
        t.lines
    )
}

/// The compact rendering that is snapshotted.
fn render(ledger: &Ledger) -> String {
    let mut out = String::new();
    for l in &ledger.lines {
        let _ = write!(
            out,
            "{} | {} | {} | {} | {} | {}",
            l.id,
            l.status.as_str(),
            worth(l),
            l.tier.as_deref().unwrap_or("-"),
            l.payable_on,
            l.expires_on
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
        );
        if let Some(r) = &l.reverses {
            let _ = write!(out, " | reverses {r}");
        }
        out.push('\n');
    }
    let s = &ledger.summary;
    let _ = writeln!(
        out,
        "\nrecords {}: eligible {}, not eligible {}, rejected {}, rewarded {}, lapsed {}, problems {}; lines {}",
        s.records, s.eligible, s.not_eligible, s.rejected, s.rewarded, s.lapsed, s.problems, s.lines
    );
    for t in &s.owed {
        let _ = writeln!(out, "owed {}", total(t));
    }
    for t in &s.by_status {
        let _ = writeln!(out, "  {}: {}", t.key, total(t));
    }
    for (unit, q) in &s.quantities {
        let _ = writeln!(out, "owed quantity {unit}: {q}");
    }
    if !ledger.problems.is_empty() {
        out.push_str("\nproblems:\n");
    }
    for p in &ledger.problems {
        let _ = writeln!(
            out,
            "line {} | {} | {} | {}",
            p.line,
            p.record_id.as_deref().unwrap_or("-"),
            p.field.as_deref().unwrap_or("-"),
            p.message
        );
    }
    out
}

#[test]
fn eval_cases() {
    insta::glob!("cases/eval/*/program.rules", |path| {
        let dir = path.parent().unwrap_or(path);
        insta::assert_snapshot!(render(&run_dir(dir)));
    });
}

// ---------------------------------------------------------------------------------------------
// Hand-written checks of the key numbers.
// ---------------------------------------------------------------------------------------------

/// The line whose id ends with `/<suffix>`.
fn line<'l>(ledger: &'l Ledger, suffix: &str) -> &'l Line {
    let hit: Vec<&Line> = ledger
        .lines
        .iter()
        .filter(|l| l.id.ends_with(&format!("/{suffix}")))
        .collect();
    assert_eq!(hit.len(), 1, "one line ending in /{suffix}: {hit:#?}");
    hit[0]
}

fn has_line(ledger: &Ledger, suffix: &str) -> bool {
    ledger
        .lines
        .iter()
        .any(|l| l.id.ends_with(&format!("/{suffix}")))
}

/// `amount currency | status`.
fn at(ledger: &Ledger, suffix: &str) -> String {
    let l = line(ledger, suffix);
    format!("{} | {}", worth(l), l.status.as_str())
}

fn fact<'l>(l: &'l Line, key: &str) -> Option<&'l str> {
    l.explanation
        .facts
        .0
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn owed(ledger: &Ledger, currency: &str) -> String {
    ledger
        .summary
        .owed
        .iter()
        .find(|t| t.currency.as_str() == currency)
        .map(|t| merit::money::format_amount(t.amount.0, t.amount.1))
        .unwrap_or_else(|| "none".into())
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

#[test]
fn deadline_is_inclusive_to_the_second() {
    let l = case("deadline-inclusive");
    assert_eq!(at(&l, "ON-DEADLINE/referrer"), "100.00 USD | payable");
    assert_eq!(at(&l, "AT-CREATION/referrer"), "100.00 USD | payable");
    assert!(!has_line(&l, "ONE-SECOND-LATE/referrer"));
    assert!(!has_line(&l, "BEFORE-CREATION/referrer"));
    assert!(!has_line(&l, "DEADLINE-ON-AS-OF/referrer"));
    assert_eq!(l.lines.len(), 2);
    // ONE-SECOND-LATE, BEFORE-CREATION and DEADLINE-ON-AS-OF lapsed; STILL-OPEN has time left.
    assert_eq!(l.summary.lapsed, 3);
    assert_eq!(l.summary.eligible, 6);
}

#[test]
fn hours_and_days_differ_by_one_hour_across_dst() {
    let l = case("dst-hours-vs-days");
    // On the `days` deadline (12:00 EDT): both.
    assert!(has_line(&l, "by_days/A-DAYS-EDGE/referrer"));
    assert!(has_line(&l, "by_hours/A-DAYS-EDGE/referrer"));
    // Between 12:00 and 13:00 EDT: hours only.
    assert!(!has_line(&l, "by_days/B-BETWEEN/referrer"));
    assert!(has_line(&l, "by_hours/B-BETWEEN/referrer"));
    assert!(!has_line(&l, "by_days/C-HOURS-EDGE/referrer"));
    assert!(has_line(&l, "by_hours/C-HOURS-EDGE/referrer"));
    // A second after the `hours` deadline: neither.
    assert!(!has_line(&l, "D-BOTH-LATE/referrer"));
    assert_eq!(owed(&l, "USD"), "400.00");
}

#[test]
fn dst_deadlines_are_explained_in_local_time() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/eval/dst-hours-vs-days");
    let source = std::fs::read_to_string(dir.join("program.rules")).unwrap_or_default();
    let records = std::fs::read_to_string(dir.join("records.jsonl")).unwrap_or_default();
    let program = merit::check::check(&merit::syntax::parse("p.rules", &source)).program;
    let Some(program) = program else {
        panic!("the program checks")
    };
    let mut opts = Options::as_of(date("2025-12-31"));
    opts.explain = Some("B-BETWEEN".into());
    let ev = evaluate_str(&program, &records, &opts).unwrap_or_else(|e| panic!("{e}"));
    let steps = ev.explained.map(|e| e.steps.join("\n")).unwrap_or_default();
    assert!(
        steps.contains("lapsed") && steps.contains("deadline 2025-05-30T12:00:00-04:00"),
        "{steps}"
    );
    assert!(
        steps.contains("deadline 2025-05-30T13:00:00-04:00: 2160 hours"),
        "{steps}"
    );
}

#[test]
fn tier_bounds_include_from_and_to_and_exclude_below_and_above() {
    let l = case("tier-bounds");
    let tier = |s: &str| line(&l, s).tier.clone().unwrap_or_default();
    assert_eq!(at(&l, "T1-49999.99/referrer"), "500.00 USD | payable");
    assert_eq!(tier("T1-49999.99/referrer"), "below 50000");
    assert_eq!(at(&l, "T2-50000/referrer"), "1000.00 USD | payable");
    assert_eq!(tier("T2-50000/referrer"), "from 50000 to 100000");
    assert_eq!(tier("T3-50000.00/referrer"), "from 50000 to 100000");
    // `to 100000` includes it; `above 100000` does not.
    assert_eq!(at(&l, "T4-100000/referrer"), "2000.00 USD | payable");
    assert_eq!(tier("T4-100000/referrer"), "from 50000 to 100000");
    assert_eq!(tier("T5-100000.01/referrer"), "above 100000 below 250000");
    assert_eq!(at(&l, "T5-100000.01/referrer"), "1500.00 USD | payable");
    assert_eq!(at(&l, "T6-249999.99/referrer"), "3750.00 USD | payable");
    assert_eq!(tier("T7-250000/referrer"), "from 250000");
    assert_eq!(at(&l, "T7-250000/referrer"), "2500.00 USD | payable");
    assert_eq!(at(&l, "T8-600000/referrer"), "5000.00 USD | payable");
    assert_eq!(owed(&l, "USD"), "17250.00");
}

#[test]
fn money_cap_exact_and_overshot_and_count_cap() {
    let l = case("caps");
    // Reached exactly: 100 + 200 = 300; the next is cut to nothing; a new quarter resets.
    assert_eq!(at(&l, "payout/E1/referrer"), "100.00 USD | payable");
    assert_eq!(at(&l, "payout/E2/referrer"), "200.00 USD | payable");
    assert_eq!(at(&l, "payout/E3/referrer"), "0.00 USD | capped");
    assert_eq!(at(&l, "payout/E4/referrer"), "50.00 USD | payable");
    // Overshot: 200 + 150 > 300, so 150 is cut to 100; the explanation keeps both.
    let o2 = line(&l, "payout/O2/referrer");
    assert_eq!(at(&l, "payout/O2/referrer"), "100.00 USD | payable");
    assert_eq!(fact(o2, "uncapped"), Some("150.00"));
    assert!(
        o2.explanation.text.contains("150.00 is cut to 100.00"),
        "{}",
        o2.explanation.text
    );
    assert_eq!(at(&l, "payout/O3/referrer"), "0.00 USD | capped");
    // Count cap: the first two gift cards in earned order.
    assert_eq!(at(&l, "gift/E1/referee"), "25.00 USD | payable");
    assert_eq!(at(&l, "gift/E2/referee"), "25.00 USD | payable");
    for id in ["O1", "O2", "E3", "O3", "E4"] {
        assert_eq!(at(&l, &format!("gift/{id}/referee")), "0.00 USD | capped");
    }
    assert_eq!(owed(&l, "USD"), "700.00");
}

#[test]
fn leap_day_and_month_ends() {
    let l = case("calendar-leap-day-month-end");
    let pay = |s: &str| line(&l, s).payable_on;
    let exp = |s: &str| line(&l, s).expires_on;
    // Earned on 2024-02-29 (Los Angeles), though 1 March in UTC.
    assert_eq!(pay("hold_year/LEAP/referrer"), date("2025-02-28"));
    assert_eq!(exp("hold_year/LEAP/referrer"), Some(date("2026-02-28")));
    assert_eq!(pay("hold_month/LEAP/referrer"), date("2024-03-29"));
    assert_eq!(exp("expires_earned/LEAP/referee"), Some(date("2025-02-28")));
    // Jan 31 + 1 month.
    assert_eq!(pay("hold_month/JAN31-2025/referrer"), date("2025-02-28"));
    assert_eq!(pay("hold_month/JAN31-2024/referrer"), date("2024-02-29"));
    // Paid in February.
    assert_eq!(pay("end_next/JAN31-2025/referrer"), date("2025-02-28"));
    assert_eq!(pay("on_31/JAN31-2025/referrer"), date("2025-02-28"));
    assert_eq!(pay("end_next/JAN31-2024/referrer"), date("2024-02-29"));
    assert_eq!(pay("on_31/JAN31-2024/referrer"), date("2024-02-29"));
    assert_eq!(pay("on_31/JAN15-2026/referrer"), date("2026-02-28"));
    // 00:00 on 1 Feb in Los Angeles is paid at the end of March.
    assert_eq!(pay("end_next/FEB01-2025/referrer"), date("2025-03-31"));
    // As of 2026-02-28: the expiry day itself is still valid; the day after is expired.
    assert_eq!(at(&l, "hold_year/LEAP/referrer"), "10.00 USD | payable");
    assert_eq!(at(&l, "expires_earned/LEAP/referee"), "10.00 USD | expired");
    assert_eq!(
        at(&l, "hold_year/JAN15-2026/referrer"),
        "10.00 USD | pending"
    );
}

#[test]
fn window_edges_follow_the_paris_calendar() {
    let l = case("window-edge-paris");
    // Inside on the last local day, and the bonus applies (won on 31 March in Paris).
    assert_eq!(at(&l, "in_window/IN-LAST/referrer"), "75.00 EUR | payable");
    assert_eq!(at(&l, "by_dates/IN-LAST/referee"), "20.00 EUR | payable");
    // 2025-02-28T23:00Z is 1 March in Paris: inside; won 2025-04-01 in Paris: no bonus.
    assert_eq!(at(&l, "in_window/IN-FIRST/referrer"), "50.00 EUR | payable");
    assert_eq!(at(&l, "by_dates/IN-FIRST/referee"), "20.00 EUR | payable");
    // 2025-03-31T22:30Z is 1 April in Paris; 2025-02-28T22:59:59Z is 28 February: outside.
    for id in ["OUT-NEXT", "OUT-BEFORE"] {
        assert!(!has_line(&l, &format!("in_window/{id}/referrer")), "{id}");
        assert!(!has_line(&l, &format!("by_dates/{id}/referee")), "{id}");
    }
    assert_eq!(owed(&l, "EUR"), "165.00");
}

#[test]
fn jpy_has_no_minor_unit_and_rounds_once_after_bonuses() {
    let l = case("jpy-no-minor-unit");
    assert_eq!(at(&l, "J1/referrer"), "1852 JPY | payable");
    assert_eq!(fact(line(&l, "J1/referrer"), "unrounded"), Some("1851.855"));
    assert_eq!(at(&l, "J2/referrer"), "370 JPY | payable");
    assert_eq!(owed(&l, "JPY"), "2222");
    assert_eq!(l.problems.len(), 1);
    assert_eq!(l.problems[0].record_id.as_deref(), Some("J3"));
    assert_eq!(l.problems[0].field.as_deref(), Some("deal.amount"));
}

#[test]
fn rounding_modes_on_exact_ties() {
    let expect = [
        (
            "rounding-tie-down",
            [
                "0.01 USD",
                "0.02 USD",
                "12.34 USD",
                "1234 JPY",
                "1235 JPY",
                "1.234 KWD",
            ],
        ),
        (
            "rounding-tie-half-even",
            [
                "0.02 USD",
                "0.02 USD",
                "12.34 USD",
                "1234 JPY",
                "1236 JPY",
                "1.234 KWD",
            ],
        ),
        (
            "rounding-tie-half-up",
            [
                "0.02 USD",
                "0.03 USD",
                "12.35 USD",
                "1235 JPY",
                "1236 JPY",
                "1.235 KWD",
            ],
        ),
    ];
    let ids = [
        "USD-0.015",
        "USD-0.025",
        "USD-12.345",
        "JPY-1234.5",
        "JPY-1235.5",
        "KWD-1.2345",
    ];
    for (name, amounts) in expect {
        let l = case(name);
        for (id, want) in ids.iter().zip(amounts) {
            assert_eq!(
                at(&l, &format!("{id}/referrer")),
                format!("{want} | payable"),
                "{name} {id}"
            );
        }
    }
}

#[test]
fn count_tiers_marginal_retroactive_every_and_at() {
    let l = case("count-tiers-and-nth");
    // C1, 2025-Q1: 5 referrals. Marginal 100, 100, 150, 150, 200; retroactive 5 x 200.
    for (id, m) in [
        ("A1", "100.00"),
        ("A2", "100.00"),
        ("A3", "150.00"),
        ("A4", "150.00"),
        ("A5", "200.00"),
    ] {
        assert_eq!(
            at(&l, &format!("marginal/{id}/referrer")),
            format!("{m} USD | payable")
        );
        assert_eq!(
            at(&l, &format!("retro/{id}/referrer")),
            "200.00 USD | payable"
        );
    }
    // The 6th of the year is the 1st of Q2.
    assert_eq!(at(&l, "marginal/A6/referrer"), "100.00 USD | payable");
    assert_eq!(at(&l, "retro/A6/referrer"), "100.00 USD | payable");
    // C2: 3 in 2025-Q1 -> retroactive 150 each; marginal 100, 100, 150.
    for id in ["B1", "B2", "B3"] {
        assert_eq!(
            at(&l, &format!("retro/{id}/referrer")),
            "150.00 USD | payable"
        );
    }
    assert_eq!(at(&l, "marginal/B3/referrer"), "150.00 USD | payable");
    // Every 3rd per year: C1's 3rd and 6th, C2's 3rd (2025); C2's 2026 count restarts.
    let every: Vec<&str> = l
        .lines
        .iter()
        .filter(|x| x.rule == "every_third")
        .map(|x| &*x.record_id)
        .collect();
    assert_eq!(every, ["A3", "B3", "A6"]);
    // At the 5th per year: only C1's 5th.
    let fifth: Vec<&str> = l
        .lines
        .iter()
        .filter(|x| x.rule == "fifth")
        .map(|x| &*x.record_id)
        .collect();
    assert_eq!(fifth, ["A5"]);
    assert_eq!(owed(&l, "USD"), "3750.00");
}

#[test]
fn forfeited_occurrences_take_no_place_in_count_tiers() {
    let l = case("count-tiers-skip-forfeited");
    assert_eq!(at(&l, "F1/referrer"), "100.00 USD | forfeited");
    assert_eq!(at(&l, "F2/referrer"), "100.00 USD | forfeited");
    assert_eq!(at(&l, "F3/referrer"), "100.00 USD | payable");
    assert_eq!(at(&l, "F4/referrer"), "100.00 USD | payable");
    assert_eq!(at(&l, "PENDING/referrer"), "300.00 USD | pending");
    assert_eq!(at(&l, "F6/referrer"), "300.00 USD | payable");
}

#[test]
fn clawback_forfeit_hold_and_expiry() {
    let l = case("clawback-forfeit-hold-expiry");
    // Refund on the payable day: the line stays, a negative line reverses it.
    assert_eq!(at(&l, "payout/CB-AFTER/referrer"), "200.00 USD | payable");
    let back = line(&l, "payout/CB-AFTER/referrer/clawback");
    assert_eq!(worth(back), "-200.00 USD");
    assert_eq!(back.status.as_str(), "clawed_back");
    assert_eq!(
        back.reverses.as_deref(),
        Some(line(&l, "payout/CB-AFTER/referrer").id.as_str())
    );
    // Refund the second before the payable day: forfeited, no negative line.
    assert_eq!(
        at(&l, "payout/CB-BEFORE/referrer"),
        "200.00 USD | forfeited"
    );
    assert!(!has_line(&l, "payout/CB-BEFORE/referrer/clawback"));
    // Refund one second after the 90-day window: nothing happens.
    assert_eq!(at(&l, "payout/CB-LATE/referrer"), "200.00 USD | payable");
    assert!(!has_line(&l, "payout/CB-LATE/referrer/clawback"));
    // Forfeit unless payment within 30 days: met on the deadline / missed by a second / waiting.
    assert_eq!(at(&l, "kickoff/CB-BEFORE/referee"), "50.00 USD | expired");
    assert_eq!(at(&l, "kickoff/CB-LATE/referee"), "50.00 USD | forfeited");
    assert_eq!(at(&l, "kickoff/HOLD-EDGE/referee"), "50.00 USD | payable");
    assert_eq!(at(&l, "kickoff/FUTURE/referee"), "50.00 USD | pending");
    assert_eq!(at(&l, "kickoff/HOLD/referee"), "50.00 USD | pending");
    // Hold: payable on the as-of day, pending the day before it ends.
    assert_eq!(at(&l, "payout/HOLD-EDGE/referrer"), "200.00 USD | payable");
    assert_eq!(at(&l, "payout/HOLD/referrer"), "200.00 USD | pending");
    // An event after the as-of date does not exist yet: FUTURE's payment (1 July) has not
    // happened, its refund (30 June) came before the payable day (1 July).
    assert_eq!(at(&l, "payout/FUTURE/referrer"), "200.00 USD | forfeited");
    // Owed: payable 200 (CB-AFTER) - 200 + 200 (CB-LATE) + 200 (HOLD-EDGE) + 50 (HOLD-EDGE)
    // + pending 200 (HOLD) + 50 + 50.
    assert_eq!(owed(&l, "USD"), "750.00");
}

#[test]
fn a_clawed_back_credit_does_not_also_expire() {
    let l = case("clawback-vs-expiry");
    assert_eq!(at(&l, "REFUND-THEN-EXPIRY/referee"), "50.00 USD | payable");
    assert_eq!(
        at(&l, "REFUND-THEN-EXPIRY/referee/clawback"),
        "-50.00 USD | clawed_back"
    );
    assert_eq!(
        at(&l, "REFUND-ON-EXPIRY-DAY/referee"),
        "50.00 USD | payable"
    );
    assert_eq!(
        at(&l, "REFUND-ON-EXPIRY-DAY/referee/clawback"),
        "-50.00 USD | clawed_back"
    );
    assert_eq!(at(&l, "EXPIRY-THEN-REFUND/referee"), "50.00 USD | expired");
    assert!(!has_line(&l, "EXPIRY-THEN-REFUND/referee/clawback"));
    assert_eq!(at(&l, "NO-REFUND/referee"), "50.00 USD | expired");
    assert_eq!(owed(&l, "USD"), "0.00");
}

#[test]
fn duplicates_keep_first_and_keep_last() {
    let first = case("duplicates-keep-first");
    let ids =
        |l: &Ledger| -> Vec<String> { l.lines.iter().map(|x| x.record_id.to_string()).collect() };
    assert_eq!(ids(&first), ["SOLO", "T-A", "D1"]);
    let last = case("duplicates-keep-last");
    assert_eq!(ids(&last), ["T-B", "SOLO", "D2"]);
    for l in [&first, &last] {
        assert_eq!(l.summary.rejected, 2);
        assert_eq!(l.summary.eligible, 3);
        assert!(l.problems.is_empty());
    }
}

#[test]
fn duplicate_record_ids_are_problems_on_every_line() {
    let l = case("duplicate-record-ids");
    let ids: Vec<&str> = l.lines.iter().map(|x| &*x.record_id).collect();
    assert_eq!(ids, ["UNIQUE"]);
    let dup: Vec<(u64, &str)> = l
        .problems
        .iter()
        .filter(|p| p.field.as_deref() == Some("id"))
        .map(|p| (p.line, p.record_id.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        dup,
        [
            (2, "SAME"),
            (3, "SAME"),
            (4, "HALF-BROKEN"),
            (5, "HALF-BROKEN")
        ]
    );
    assert_eq!(l.summary.problems, 4);
}

#[test]
fn record_problems_name_line_record_and_field() {
    let l = case("record-problems");
    let p = |line: u64| -> (Option<&str>, Option<&str>, &str) {
        let hit: Vec<_> = l.problems.iter().filter(|p| p.line == line).collect();
        assert_eq!(hit.len(), 1, "one problem on line {line}: {hit:#?}");
        (
            hit[0].record_id.as_deref(),
            hit[0].field.as_deref(),
            hit[0].message.as_str(),
        )
    };
    assert_eq!(
        p(2),
        (
            Some("NO-SEGMENT"),
            Some("referee.segment"),
            "the field is missing"
        )
    );
    let (id, field, msg) = p(3);
    assert_eq!((id, field), (Some("NO-OFFSET"), Some("created_at")));
    assert!(msg.contains("no offset"), "{msg}");
    let (id, field, msg) = p(4);
    assert_eq!((id, field), (Some("BAD-DATE"), Some("deal.signed_on")));
    assert!(msg.contains("2025-02-30"), "{msg}");
    let (id, field, msg) = p(5);
    assert_eq!((id, field), (Some("BAD-AMOUNT"), Some("deal.amount")));
    assert!(
        msg.contains("1.23abc") && msg.contains("not a number"),
        "{msg}"
    );
    let (id, field, msg) = p(6);
    assert_eq!((id, field), (Some("3-DECIMALS"), Some("deal.amount")));
    assert!(msg.contains("more decimals than USD"), "{msg}");
    let (id, field, msg) = p(7);
    assert_eq!((id, field), (Some("BAD-ENUM"), Some("referee.segment")));
    assert!(msg.contains("\"SMB\" is not one of"), "{msg}");
    let (id, field, msg) = p(8);
    assert_eq!((id, field), (Some("MALFORMED"), None));
    assert!(msg.starts_with("malformed JSON"), "{msg}");
    let (id, field, msg) = p(9);
    assert_eq!(
        (id, field),
        (Some("UNGUARDED"), Some("referrer.health_score"))
    );
    assert!(msg.contains("`referrer.health_score is present`"), "{msg}");
    let (id, field, _) = p(12);
    assert_eq!((id, field), (Some("BAD-EVENT-TIME"), Some("events[0].at")));
    let (id, field, _) = p(13);
    assert_eq!((id, field), (Some("UNKNOWN-CURRENCY"), Some("deal.amount")));
    assert_eq!(p(14), (None, Some("id"), "the field is missing"));
    let (id, _, msg) = p(15);
    assert_eq!(id, None);
    assert!(msg.starts_with("not a JSON object"), "{msg}");
    let (id, field, _) = p(16);
    assert_eq!(
        (id, field),
        (Some("WRONG-TYPE"), Some("referrer.health_score"))
    );
    // Guarded optional field absent: judged normally. LOW-NPS: not eligible, not a problem.
    assert_eq!(at(&l, "GUARDED/referrer"), "25.00 USD | payable");
    assert_eq!(at(&l, "OK/referrer"), "100.00 USD | payable");
    assert_eq!(l.lines.len(), 2);
    assert_eq!(l.summary.not_eligible, 1);
    assert_eq!(l.summary.problems, 13);
    assert_eq!(l.summary.records, 16);
}

#[test]
fn budget_partial_award_and_minimum_payout_net_of_clawbacks() {
    let l = case("budget-and-minimum-payout");
    // In earned order: B6 49, B5 30, B1 600, B2 30 = 709; B3 500 is cut to 291; B4 gets 0.
    assert_eq!(at(&l, "B3/referrer"), "291.00 USD | payable");
    assert_eq!(fact(line(&l, "B3/referrer"), "uncapped"), Some("500.00"));
    assert_eq!(at(&l, "B4/referrer"), "0.00 USD | capped");
    // Below the minimum payout: MEDIUM (49) and SMALL (30 + 30 - 30).
    assert_eq!(at(&l, "B6/referrer"), "49.00 USD | pending");
    assert_eq!(at(&l, "B2/referrer"), "30.00 USD | pending");
    assert_eq!(at(&l, "B5/referrer"), "30.00 USD | pending");
    assert_eq!(at(&l, "B5/referrer/clawback"), "-30.00 USD | clawed_back");
    assert_eq!(at(&l, "B1/referrer"), "600.00 USD | payable");
    let paid: rust_decimal::Decimal = l
        .lines
        .iter()
        .filter(|x| x.status.as_str() != "clawed_back")
        .filter_map(|x| x.amount.map(|a| a.0))
        .sum();
    assert_eq!(paid.to_string(), "1000.00");
    assert_eq!(owed(&l, "USD"), "970.00");
}

#[test]
fn seats_country_table_exclusions_and_business_days() {
    let l = case("seats-table-exclusions");
    // 4 seats x 12.50; 20 seats x 12.50 = 250 cut to the per-line maximum of 100.
    assert_eq!(at(&l, "per_seat/S1/referrer"), "50.00 USD | payable");
    assert_eq!(at(&l, "per_seat/S2/referrer"), "100.00 USD | payable");
    assert_eq!(
        fact(line(&l, "per_seat/S2/referrer"), "uncapped"),
        Some("250.00")
    );
    // The country table pays in each row's currency; FR takes `else`.
    assert_eq!(at(&l, "country_bounty/S1/referrer"), "50.00 EUR | payable");
    assert_eq!(at(&l, "country_bounty/S2/referrer"), "40.00 GBP | payable");
    assert_eq!(at(&l, "country_bounty/S3/referrer"), "60.00 USD | payable");
    // N2 was referred twice: `cap 1 per referee` leaves the second bounty capped.
    assert_eq!(at(&l, "country_bounty/S7/referrer"), "0.00 GBP | capped");
    // 5 business days: Friday 03-07 -> Friday 03-14; Monday 03-10 -> Monday 03-17.
    let payable = |k: &str| line(&l, k).payable_on.to_string();
    assert_eq!(payable("per_seat/S1/referrer"), "2025-03-14");
    assert_eq!(payable("per_seat/S2/referrer"), "2025-03-17");
    // S4 refers themself, S5's referee is on the exclusion list, S6 is tagged `test`.
    for id in ["S4", "S5", "S6"] {
        assert!(
            l.lines.iter().all(|x| *x.record_id != *id),
            "{id} earned a line"
        );
    }
    assert_eq!(l.summary.rejected, 2);
    assert_eq!(l.summary.not_eligible, 1);
}

#[test]
fn event_functions_look_at_the_window_and_up_to_the_as_of_date() {
    let l = case("event-aggregates");
    // A1's window is 03-10 09:00 to 05-09 09:00, both included: 100, 300, 200 (the payment
    // before the anchor and the one a second after the deadline are outside).
    assert_eq!(at(&l, "on_sum/A1/referrer"), "60.00 USD | payable");
    assert_eq!(at(&l, "on_min/A1/referrer"), "1.00 USD | payable");
    assert_eq!(at(&l, "on_max/A1/referrer"), "3.00 USD | payable");
    assert_eq!(at(&l, "on_first/A1/referrer"), "2.00 USD | payable");
    assert_eq!(at(&l, "on_latest/A1/referrer"), "6.00 USD | payable");
    // A2: the 07-05 payment is after the as-of date, so one payment only: no `on_sum`
    // (count 1), and it is the first, the latest, the smallest and the largest.
    assert!(l
        .lines
        .iter()
        .all(|x| x.id.as_str() != "aggregates@1/on_sum/A2/referrer"));
    assert_eq!(at(&l, "on_min/A2/referrer"), "4.00 USD | payable");
    assert_eq!(at(&l, "on_max/A2/referrer"), "4.00 USD | payable");
    assert_eq!(at(&l, "on_first/A2/referrer"), "8.00 USD | payable");
    assert_eq!(at(&l, "on_latest/A2/referrer"), "12.00 USD | payable");
}

#[test]
fn a_deadline_in_the_spring_forward_gap_moves_to_the_first_valid_instant() {
    let l = case("deadline-in-dst-gap");
    // 02:30 on 2025-03-09 does not exist in New York: the deadline is 03:00 EDT, inclusive.
    assert_eq!(at(&l, "G1/referrer"), "100.00 USD | payable");
    assert!(
        l.lines.iter().all(|x| &*x.record_id != "G2"),
        "one second late"
    );
    assert_eq!(l.summary.lapsed, 1);
}

#[test]
fn a_milestone_bonus_may_fall_after_the_effective_dates() {
    let l = case("milestone-bonus-after-effective-to");
    // Created in June, won in July: paid double. Won in June: single. Created in July: not
    // eligible (the effective dates bound creation).
    assert_eq!(at(&l, "S1/referrer"), "200.00 USD | payable");
    assert_eq!(at(&l, "S2/referrer"), "100.00 USD | payable");
    assert!(l.lines.iter().all(|x| &*x.record_id != "S3"));
    assert_eq!(l.summary.not_eligible, 1);
}

#[test]
fn every_fact_keeps_its_own_key() {
    let l = case("facts-two-bonuses-cap-and-budget");
    // F1: 5% of 1000 = 50, x2 = 100, + 10 = 110.
    assert_eq!(at(&l, "F1/referrer"), "110.00 USD | payable");
    // F2: 75 x2 + 10 = 160, cut to the cap of 120, then to the 40 left of the budget.
    let f2 = line(&l, "F2/referrer");
    assert_eq!(at(&l, "F2/referrer"), "40.00 USD | payable");
    assert_eq!(fact(f2, "bonus"), Some("bonus x2 if created_at in launch"));
    assert_eq!(
        fact(f2, "bonus 2"),
        Some("bonus 10 USD if deal.amount >= 1000 USD")
    );
    assert_eq!(fact(f2, "uncapped"), Some("160.00"));
    assert_eq!(fact(f2, "before budget"), Some("120"));
    // In every case, no line's facts repeat a key (they are one JSON object).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/eval");
    for dir in std::fs::read_dir(root)
        .expect("cases")
        .filter_map(Result::ok)
    {
        for line in run_dir(&dir.path()).lines {
            let keys: Vec<&str> = line
                .explanation
                .facts
                .0
                .iter()
                .map(|(k, _)| k.as_ref())
                .collect();
            let unique: std::collections::BTreeSet<&&str> = keys.iter().collect();
            assert_eq!(unique.len(), keys.len(), "{}: {keys:?}", line.id);
        }
    }
}

#[test]
fn a_record_found_to_be_a_problem_late_earns_nothing_and_uses_nothing() {
    let l = case("problem-record-earns-nothing");
    // A's deal is in EUR, its cap in USD: a problem, so neither A line is paid, and A uses
    // none of K1's cap nor of the budget.
    assert!(
        l.lines.iter().all(|x| &*x.record_id != "A"),
        "{:?}",
        l.lines
    );
    assert_eq!(l.problems.len(), 1, "{:?}", l.problems);
    assert_eq!(l.problems[0].record_id.as_deref(), Some("A"));
    assert!(l.problems[0]
        .message
        .contains("is in USD but the line is in EUR"));
    // K1's quarter cap of 300: B 250, then C's 900 cut to the 50 left.
    assert_eq!(at(&l, "payout/B/referrer"), "250.00 USD | payable");
    assert_eq!(at(&l, "payout/C/referrer"), "50.00 USD | payable");
    assert_eq!(at(&l, "gift/B/referee"), "25.00 USD | payable");
    assert_eq!(owed(&l, "USD"), "350.00");
    assert_eq!(l.summary.records, 3);
    assert_eq!(l.summary.eligible, 2);
    assert_eq!(l.summary.problems, 1);
    assert_eq!(l.summary.rewarded, 2);
}

#[test]
fn each_milestone_rolling_count_effective_dates_and_as_of() {
    let l = case("recurring-rolling-as-of");
    // 150, (50 filtered out), 100, 200; the 300 payment is over the limit of 3.
    assert_eq!(at(&l, "share/E1/referrer/1"), "15.00 USD | payable");
    assert_eq!(at(&l, "share/E1/referrer/2"), "10.00 USD | payable");
    assert_eq!(at(&l, "share/E1/referrer/3"), "20.00 USD | payable");
    assert!(!has_line(&l, "share/E1/referrer/4"));
    // Rolling 7 days: 9 Jan is exactly 7 days after 2 Jan (1st again); 15 Jan is the 2nd.
    assert_eq!(at(&l, "streak/E1/referee/1"), "10 points | payable");
    assert_eq!(at(&l, "streak/E1/referee/2"), "10 points | payable");
    assert_eq!(at(&l, "streak/E1/referee/3"), "25 points | payable");
    // E2 was created 2024-12-31 in New York; E4 on 2025-07-01 there: outside the dates.
    assert!(!l
        .lines
        .iter()
        .any(|x| &*x.record_id == "E2" || &*x.record_id == "E4"));
    assert_eq!(l.summary.not_eligible, 2);
    // E3: the payment at 23:59:59 on the as-of day counts; the one at 00:00 the next day does not.
    assert_eq!(at(&l, "share/E3/referrer/1"), "10.00 USD | payable");
    assert!(!has_line(&l, "share/E3/referrer/2"));
    assert_eq!(owed(&l, "USD"), "55.00");
    assert_eq!(
        l.summary.quantities.get("points").map(String::as_str),
        Some("55")
    );
}
