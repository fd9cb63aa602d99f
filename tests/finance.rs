//! Finance tools: scenarios (`--set`, scenario files, `simulate`), `diff` and its CI gate,
//! reconciliation against earlier ledgers (`--already-paid`), and `report`.

use chrono::NaiveDate;
use merit::eval::{evaluate_str, Options};
use merit::finance::diff::{check_gate, money_diff, Gate, MoneyRow};
use merit::finance::report::{render, report, ReportFormat};
use merit::finance::{load, Loaded};
use merit::ledger::{Ledger, Status};
use merit::money::{Currency, Money};
use merit::output::{render as render_ledger, Format};
use merit::reconcile::{line_key, read_ledger, reconcile};
use merit::scenario::{apply, parse_literal, parse_scenarios, Override};
use merit::value::Value;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::process::Command;
use std::str::FromStr;

const CASES: &str = "tests/cases/finance";

fn path_of(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn path(name: &str) -> String {
    format!("{}/{CASES}/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn program(name: &str) -> Loaded {
    let text = std::fs::read_to_string(path(name)).expect("the case file exists");
    load(name, &text).expect("the case program checks")
}

fn records() -> String {
    std::fs::read_to_string(path("records.jsonl")).expect("records")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).expect("a date")
}

fn run(p: &merit::program::Program, as_of: &str) -> Ledger {
    evaluate_str(p, &records(), &Options::as_of(date(as_of)))
        .expect("records read")
        .ledger
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("a decimal")
}

fn usd() -> Currency {
    Currency::parse("USD").expect("USD")
}

fn owed(l: &Ledger) -> BTreeMap<String, Decimal> {
    l.summary
        .owed
        .iter()
        .map(|t| (t.currency.to_string(), t.amount.0))
        .collect()
}

fn amount_of(l: &Ledger, key: &str) -> Option<String> {
    l.lines
        .iter()
        .find(|x| line_key(&x.id) == key)
        .and_then(|x| x.amount)
        .map(|(a, _)| a.to_string())
}

fn set(name: &str, value: &str) -> Override {
    Override {
        name: name.into(),
        value: value.into(),
    }
}

/// Runs the binary from the crate folder; returns exit code, stdout, stderr.
fn merit(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_merit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the merit binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn shown((code, out, err): (i32, String, String)) -> String {
    format!("exit: {code}\n--- stdout\n{out}--- stderr\n{err}")
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

#[test]
fn literals_parse_with_the_real_grammar() {
    let shown = |s: &str| match parse_literal(s) {
        Ok(v) => format!("{s} => {v} ({})", v.type_of()),
        Err(e) => format!("{s} => error: {e}"),
    };
    let cases = [
        "3%",
        "75 USD",
        "1462.97 EUR",
        "2025-04-01",
        "30 days",
        "\"EMEA\"",
        "true",
        "[\"gmail.com\", \"yahoo.com\"]",
        "70",
        "75 XYZ",
        "abc",
        "5 param x = 3",
        "[1, \"a\"]",
    ];
    let all: Vec<String> = cases.iter().map(|c| shown(c)).collect();
    insta::assert_snapshot!("literals", all.join("\n"));
}

#[test]
fn overrides_keep_their_type() {
    let v1 = program("v1.rules").program;
    let base = run(&v1, "2025-06-30");
    assert_eq!(
        amount_of(&base, "deal_bonus/F-02/referrer").as_deref(),
        Some("1200.00")
    );

    // A rate stays a rate: 3% of 60000.
    let higher = apply(&v1, &[set("mid_rate", "3%")]).expect("a rate for a rate");
    let i = higher.param("mid_rate").expect("declared");
    assert_eq!(higher.params[i].value, Value::Percent(d("3")));
    let l = run(&higher, "2025-06-30");
    assert_eq!(
        amount_of(&l, "deal_bonus/F-02/referrer").as_deref(),
        Some("1800.00")
    );

    // Money keeps its currency; the quoted form is accepted too.
    for v in ["75 USD", "\"75 USD\""] {
        let p = apply(&v1, &[set("demo_bonus", v)]).expect("money in USD");
        let l = run(&p, "2025-06-30");
        assert_eq!(
            amount_of(&l, "demo_reward/F-01/referrer").as_deref(),
            Some("75.00"),
            "{v}"
        );
    }

    // A stricter threshold drops UMBRELLA (health 75).
    let strict = apply(&v1, &[set("min_health", "80")]).expect("a number");
    let l = run(&strict, "2025-06-30");
    assert!(l.lines.iter().all(|x| &*x.recipient.id != "UMBRELLA"));

    // The original program is untouched.
    assert_eq!(v1.params[i].value, Value::Percent(d("2")));
}

#[test]
fn wrong_overrides_are_refused() {
    let v1 = program("v1.rules").program;
    let errors: Vec<String> = [
        set("mid_rate", "75 USD"),
        set("mid_rate", "3"),
        set("demo_bonus", "75 EUR"),
        set("demo_bonus", "75"),
        set("min_health", "2025-04-01"),
        set("mid_rat", "3%"),
        set("nothing_like_it", "3%"),
        set("mid_rate", "three percent"),
    ]
    .into_iter()
    .map(|o| {
        let shown = o.to_string();
        match apply(&v1, &[o]) {
            Ok(_) => format!("--set {shown}: accepted"),
            Err(e) => format!("--set {shown}: {e}"),
        }
    })
    .collect();
    insta::assert_snapshot!("refused_overrides", errors.join("\n"));
    // Setting one name twice is refused too.
    assert!(apply(&v1, &[set("mid_rate", "3%"), set("mid_rate", "4%")]).is_err());
}

#[test]
fn every_kind_of_parameter_can_be_overridden() {
    let source = r#"
      program "Kinds" { version "1"  currency EUR  timezone "UTC" }
      param region = "EMEA"
      param start = 2025-01-01
      param grace = 30 days
      param strict = true
      param free_mail = ["gmail.com", "yahoo.com"]
      param amount = 50 EUR
      fields { referrer.region: text }
      events { won }
      eligible referrer if referrer.region == region and strict
      milestone m = event won within 30 days after created
      reward r on m to referrer { cash amount }
    "#;
    let p = load("kinds.rules", source).expect("checks").program;
    let value = |p: &merit::program::Program, n: &str| {
        p.param(n)
            .and_then(|i| p.params.get(i))
            .map(|x| x.value.to_string())
            .unwrap_or_default()
    };
    let ok = apply(
        &p,
        &[
            set("region", "APAC"),
            set("start", "2025-04-01"),
            set("grace", "45 days"),
            set("strict", "false"),
            set("free_mail", r#"["proton.me"]"#),
            set("amount", "\"75.50 EUR\""),
        ],
    )
    .expect("all of the right type");
    assert_eq!(value(&ok, "region"), "\"APAC\"");
    assert_eq!(value(&ok, "start"), "2025-04-01");
    assert_eq!(value(&ok, "grace"), "45 days");
    assert_eq!(value(&ok, "strict"), "false");
    assert_eq!(value(&ok, "free_mail"), "[\"proton.me\"]");
    assert_eq!(value(&ok, "amount"), "75.50 EUR");
    // Quoted text is text too.
    let quoted = apply(&p, &[set("region", "\"NA\"")]).expect("text");
    assert_eq!(value(&quoted, "region"), "\"NA\"");
    for (n, v) in [
        ("start", "30 days"),
        ("grace", "30"),
        ("strict", "yes"),
        ("free_mail", "[1, 2]"),
        ("free_mail", "\"gmail.com\""),
        ("amount", "75 USD"),
    ] {
        assert!(apply(&p, &[set(n, v)]).is_err(), "{n}={v}");
    }
}

#[test]
fn run_and_explain_take_set() {
    let prog = path("v1.rules");
    let recs = path("records.jsonl");
    let (code, out, err) = merit(&[
        "run",
        &prog,
        "--records",
        &recs,
        "--as-of",
        "2025-06-30",
        "--format",
        "csv",
        "--set",
        "mid_rate=3%",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(",1800.00,USD,"), "{out}");
    assert!(err.contains("with mid_rate=3%"), "{err}");

    let refused = merit(&[
        "run",
        &prog,
        "--records",
        &recs,
        "--as-of",
        "2025-06-30",
        "--set",
        "mid_rate=75 USD",
    ]);
    assert_eq!(refused.0, 2);
    assert!(refused.1.is_empty());
    insta::assert_snapshot!("run_refused_set", refused.2);

    let (code, out, _) = merit(&[
        "explain",
        &prog,
        "--records",
        &recs,
        "--id",
        "F-02",
        "--as-of",
        "2025-06-30",
        "--set",
        "mid_rate=3%",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("1800.00 USD"), "{out}");
}

#[test]
fn scenario_files() {
    let text = std::fs::read_to_string(path("scenarios.json")).expect("scenarios");
    let s = parse_scenarios(&text).expect("a scenario file");
    assert_eq!(s.len(), 3);
    assert!(s[0].set.is_empty());
    assert_eq!(s[1].set, vec![set("mid_rate", "3%")]);
    // A JSON number is taken as written.
    assert!(s[2].set.contains(&set("min_health", "80")));

    for bad in [
        r#"{"scenarios": []}"#,
        r#"{"scenarios": [{"name": "a", "sets": {"x": "1"}}]}"#,
        r#"{"scenarios": [{"name": "a"}, {"name": "a"}]}"#,
        r#"{"scenarios": [{"name": "a", "set": {"x": null}}]}"#,
    ] {
        assert!(parse_scenarios(bad).is_err(), "{bad}");
    }
}

#[test]
fn simulate_compares_scenarios() {
    let out = merit(&[
        "simulate",
        &format!("{CASES}/v1.rules"),
        "--records",
        &format!("{CASES}/records.jsonl"),
        "--scenarios",
        &format!("{CASES}/scenarios.json"),
        "--as-of",
        "2025-06-30",
    ]);
    assert_eq!(out.0, 0, "{}", out.2);
    insta::assert_snapshot!("simulate_table", shown(out));
    let csv = merit(&[
        "simulate",
        &format!("{CASES}/v1.rules"),
        "--records",
        &format!("{CASES}/records.jsonl"),
        "--scenarios",
        &format!("{CASES}/scenarios.json"),
        "--as-of",
        "2025-06-30",
        "--format",
        "csv",
    ]);
    insta::assert_snapshot!("simulate_csv", csv.1);
}

#[test]
fn an_override_above_100_percent_is_warned_about_like_in_the_program() {
    let run_with = |set: &str| {
        merit(&[
            "run",
            &format!("{CASES}/v1.rules"),
            "--records",
            &format!("{CASES}/records.jsonl"),
            "--as-of",
            "2025-06-30",
            "--format",
            "json",
            "--set",
            set,
        ])
    };
    let out = run_with("mid_rate=300%");
    assert_eq!(out.0, 0, "{}", out.2);
    assert!(
        out.2
            .contains("warning[M2006]: --set mid_rate=300%: a rate of 300% pays more"),
        "{}",
        out.2
    );
    let fine = run_with("mid_rate=3%");
    assert!(!fine.2.contains("M2006"), "{}", fine.2);
}

#[test]
fn simulate_csv_has_rows_for_points_programs() {
    let out = merit(&[
        "simulate",
        "rules-examples/advocates.rules",
        "--records",
        "rules-examples/advocates.jsonl",
        "--scenarios",
        &format!("{CASES}/advocates-scenarios.json"),
        "--as-of",
        "2025-12-31",
        "--format",
        "csv",
    ]);
    assert_eq!(out.0, 0, "{}", out.2);
    let rows: Vec<&str> = out.1.lines().skip(1).collect();
    assert!(
        rows.iter()
            .any(|r| r.starts_with("as written,,points,3400,")),
        "{}",
        out.1
    );
    assert!(
        rows.iter().any(|r| r.starts_with("longer calls,")),
        "{}",
        out.1
    );
    let width = out.1.lines().next().map(|h| h.split(',').count());
    assert!(
        rows.iter().all(|r| Some(r.split(',').count()) == width),
        "{}",
        out.1
    );
}

// ---------------------------------------------------------------------------------------------
// Diff and the CI gate
// ---------------------------------------------------------------------------------------------

fn diff_args(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "diff",
        &format!("{CASES}/v1.rules"),
        &format!("{CASES}/v2.rules"),
        "--records",
        &format!("{CASES}/records.jsonl"),
        "--as-of",
        "2025-06-30",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn merit_owned(args: &[String]) -> (i32, String, String) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    merit(&refs)
}

#[test]
fn diff_of_two_versions() {
    let out = merit_owned(&diff_args(&[]));
    assert_eq!(out.0, 0, "{}", out.2);
    insta::assert_snapshot!("diff_v1_v2", shown(out));
    let json = merit_owned(&diff_args(&["--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json.1).expect("json");
    assert_eq!(v["owed"][0]["old"], "9000.00");
    assert_eq!(v["owed"][0]["new"], "12000.00");
    assert_eq!(v["owed"][0]["percent"], "33.33");
    assert_eq!(v["lines"]["added"], 2);
    assert_eq!(v["lines"]["removed"], 5);
}

#[test]
fn diff_matches_lines_without_the_version() {
    let (v1, v2) = (program("v1.rules"), program("v2.rules"));
    let (a, b) = (
        run(&v1.program, "2025-06-30"),
        run(&v2.program, "2025-06-30"),
    );
    let m = money_diff(&a, &b).expect("the totals fit");
    // demo_reward lines carry `@1/` and `@2/` but are the same lines.
    assert!(m.lines.iter().all(|c| !c.key.starts_with("demo_reward/")));
    assert_eq!(m.unchanged, 6);
    let added: Vec<&str> = m
        .lines
        .iter()
        .filter(|c| c.old.is_none())
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(
        added,
        ["big_deal_kicker/F-03/referrer", "deal_bonus/F-04/referrer"]
    );
}

#[test]
fn diff_against_a_scenario() {
    let out = merit(&[
        "diff",
        &format!("{CASES}/v1.rules"),
        "--set",
        "mid_rate=3%",
        "--records",
        &format!("{CASES}/records.jsonl"),
        "--as-of",
        "2025-06-30",
    ]);
    assert_eq!(out.0, 0, "{}", out.2);
    assert!(out.1.contains("~ param mid_rate: 2% → 3%"), "{}", out.1);
    assert!(out.1.contains("+1150.00"), "{}", out.1);
}

#[test]
fn diff_of_two_scenarios_of_one_program() {
    let base = [
        "diff".to_string(),
        format!("{CASES}/v1.rules"),
        "--records".to_string(),
        format!("{CASES}/records.jsonl"),
        "--as-of".to_string(),
        "2025-06-30".to_string(),
        "--scenarios".to_string(),
        format!("{CASES}/scenarios.json"),
    ];
    let with = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend(extra.iter().map(|s| s.to_string()));
        merit_owned(&a)
    };
    // The new scenario against the program as written is what `--set` gives.
    let one = with(&["--new-scenario", "mid band at 3%", "--format", "json"]);
    let set = merit(&[
        "diff",
        &format!("{CASES}/v1.rules"),
        "--set",
        "mid_rate=3%",
        "--records",
        &format!("{CASES}/records.jsonl"),
        "--as-of",
        "2025-06-30",
        "--format",
        "json",
    ]);
    assert_eq!(one.0, 0, "{}", one.2);
    assert_eq!(one.1, set.1);
    // Two scenarios: both sides take their overrides; the terms show only what differs.
    let two = with(&[
        "--old-scenario",
        "mid band at 3%",
        "--new-scenario",
        "stricter health, bigger demo bonus",
    ]);
    assert_eq!(two.0, 0, "{}", two.2);
    assert!(two.1.contains("~ param mid_rate: 3% → 2%"), "{}", two.1);
    assert!(
        two.1.contains("~ param demo_bonus: 50.00 USD → 75.00 USD"),
        "{}",
        two.1
    );
    assert!(two.1.contains("~ param min_health: 70 → 80"), "{}", two.1);
    // The same scenario on both sides changes nothing.
    let same = with(&[
        "--old-scenario",
        "mid band at 3%",
        "--new-scenario",
        "mid band at 3%",
    ]);
    assert!(
        same.1.contains("0 added, 0 removed, 0 changed"),
        "{}",
        same.1
    );
    // An unknown scenario is a usage error naming the ones there are.
    let unknown = with(&["--new-scenario", "nope"]);
    assert_eq!(unknown.0, 2);
    assert!(unknown.2.contains("no scenario `nope`"), "{}", unknown.2);
    assert!(unknown.2.contains("mid band at 3%"), "{}", unknown.2);
    // Scenarios are of one program: not with a second program, and not without a new side.
    let two_programs = with(&[&format!("{CASES}/v2.rules"), "--new-scenario", "as written"]);
    assert_eq!(two_programs.0, 2, "{}", two_programs.2);
    let no_new = with(&["--old-scenario", "as written"]);
    assert_eq!(no_new.0, 2, "{}", no_new.2);
}

#[test]
fn the_ci_gate_fails_and_passes() {
    // v1 → v2 grows USD owed from 9000.00 to 12000.00: +3000.00, +33.33...%.
    let code = |extra: &[&str]| merit_owned(&diff_args(extra)).0;
    assert_eq!(code(&["--fail-above", "10"]), 1);
    assert_eq!(code(&["--fail-above", "33.33"]), 1);
    assert_eq!(code(&["--fail-above", "33.34"]), 0);
    assert_eq!(code(&["--fail-above", "50%"]), 0);
    assert_eq!(code(&["--fail-above-amount", "2999.99 USD"]), 1);
    assert_eq!(code(&["--fail-above-amount", "3000 USD"]), 0);
    // Growth in USD does not trip a EUR limit.
    assert_eq!(code(&["--fail-above-amount", "1 EUR"]), 0);
    assert_eq!(
        code(&["--fail-above", "50", "--fail-above-amount", "1000 USD"]),
        1
    );
    assert_eq!(code(&["--fail-above", "ten"]), 2);
    assert_eq!(code(&["--fail-above-amount", "5000"]), 2);
    let failed = merit_owned(&diff_args(&["--fail-above", "10"]));
    assert!(failed.1.contains("Gate: FAILED"));
    assert!(failed.2.contains(
        "gate failed: USD owed grows by 3000.00 USD (9000.00 → 12000.00, +33.33%): more than 10%"
    ));

    // Exact at the boundary, no floats: 10% of 100.00 is 10.00.
    let row = |old: &str, new: &str| MoneyRow {
        key: "USD".into(),
        currency: usd(),
        scale: 2,
        old: d(old),
        new: d(new),
    };
    let pct = Gate {
        max_percent: Some(d("10")),
        max_amount: None,
    };
    assert!(check_gate(&[row("100.00", "110.00")], &pct).is_empty());
    assert_eq!(check_gate(&[row("100.00", "110.01")], &pct).len(), 1);
    assert!(check_gate(&[row("100.00", "50.00")], &pct).is_empty());
    // From nothing to something is more than any percentage.
    assert_eq!(check_gate(&[row("0", "0.01")], &pct).len(), 1);
    let amt = Gate {
        max_percent: None,
        max_amount: Some(Money {
            amount: d("5000"),
            currency: usd(),
        }),
    };
    assert!(check_gate(&[row("0", "5000.00")], &amt).is_empty());
    assert_eq!(check_gate(&[row("0", "5000.01")], &amt).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Reconciliation
// ---------------------------------------------------------------------------------------------

/// The June ledger of v1 as it was written to disk and read back.
fn june() -> Ledger {
    let l = run(&program("v1.rules").program, "2025-06-30");
    let text = render_ledger(&l, Format::Json);
    let back = read_ledger(&text).expect("a ledger reads back");
    assert!(back.has_summary);
    back.ledger
}

#[test]
fn ledgers_read_back_exactly() {
    let l = run(&program("v1.rules").program, "2025-06-30");
    for format in [Format::Json, Format::Jsonl] {
        let back = read_ledger(&render_ledger(&l, format)).expect("reads back");
        assert_eq!(back.ledger.lines.len(), l.lines.len());
        for (a, b) in back.ledger.lines.iter().zip(&l.lines) {
            assert_eq!(a.id, b.id);
            assert_eq!(a.amount, b.amount);
            assert_eq!(a.currency, b.currency);
            assert_eq!(a.status, b.status);
            assert_eq!(a.recipient, b.recipient);
            assert_eq!(a.earned_at, b.earned_at);
            assert_eq!(a.payable_on, b.payable_on);
            assert_eq!(a.explanation.text, b.explanation.text);
        }
    }
    // Amounts written as JSON numbers are refused, never read through a float.
    let text =
        render_ledger(&l, Format::Json).replacen("\"amount\": \"50.00\"", "\"amount\": 50.0", 1);
    let err = read_ledger(&text).expect_err("a number amount");
    assert!(err.to_string().contains("write it as a string"), "{err}");
}

#[test]
fn reconciling_the_same_run_emits_nothing() {
    let l = run(&program("v1.rules").program, "2025-06-30");
    let r = reconcile(&l, &june().lines).expect("reconciles");
    assert!(r.ledger.lines.is_empty());
    assert_eq!(r.stats.unchanged, l.lines.len());
    assert!(r.ledger.summary.owed.is_empty());
}

#[test]
fn reconciling_unchanged_changed_new_and_vanished_lines() {
    let paid = june();
    let july = run(&program("v2.rules").program, "2025-07-31");
    let r = reconcile(&july, &paid.lines).expect("reconciles");
    let s = &r.stats;
    assert_eq!(
        (s.unchanged, s.new, s.adjusted, s.reversed),
        (7, 2, 4, 5),
        "{s:?}"
    );
    // Unchanged: the demo rewards are not emitted again.
    assert!(r.ledger.lines.iter().all(|l| l.rule != "demo_reward"));
    // Changed: 1200.00 booked, 1500.00 owed now → +300.00, reversing the original id.
    let adj = r
        .ledger
        .lines
        .iter()
        .find(|l| l.reverses.as_deref() == Some("partner-referrals@1/deal_bonus/F-02/referrer"))
        .expect("an adjustment");
    assert!(adj
        .id
        .starts_with("partner-referrals@1/deal_bonus/F-02/referrer/adjust/"));
    assert_eq!(
        adj.amount.map(|a| a.0.to_string()).as_deref(),
        Some("300.00")
    );
    assert_eq!(adj.status, Status::Payable);
    assert!(adj.explanation.text.contains("1200.00 USD"));
    assert!(adj.explanation.text.contains("1500.00 USD"));
    // New: the kicker, in full.
    let kicker = r
        .ledger
        .lines
        .iter()
        .find(|l| l.rule == "big_deal_kicker")
        .expect("new line");
    assert_eq!(
        kicker.amount.map(|a| a.0.to_string()).as_deref(),
        Some("500.00")
    );
    assert!(kicker.reverses.is_none());
    // Vanished: the welcome credits are reversed in full.
    let reversals: Vec<_> = r
        .ledger
        .lines
        .iter()
        .filter(|l| l.rule == "welcome_credit")
        .collect();
    assert_eq!(reversals.len(), 5);
    for l in &reversals {
        assert_eq!(
            l.amount.map(|a| a.0.to_string()).as_deref(),
            Some("-100.00")
        );
        assert_eq!(l.status, Status::ClawedBack);
        assert!(l.id.contains("/reversal/"));
        assert_eq!(
            l.reverses.as_deref(),
            Some(format!("partner-referrals@1/welcome_credit/{}/referee", l.record_id).as_str())
        );
    }
    // Booked before + new money = owed now, per currency.
    let new_money = owed(&r.ledger);
    for (c, now) in owed(&july) {
        let before = owed(&paid).get(&c).copied().unwrap_or_default();
        assert_eq!(before + new_money.get(&c).copied().unwrap_or_default(), now);
    }
    assert_eq!(new_money.get("USD").copied(), Some(d("3000.00")));
    insta::assert_snapshot!("reconciled_july", render_ledger(&r.ledger, Format::Table));

    // Tags are stable: the same inputs give the same ids.
    let again = reconcile(&july, &paid.lines).expect("reconciles");
    let ids = |l: &Ledger| l.lines.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&again.ledger), ids(&r.ledger));

    // Reconciling against June and the July output books nothing more.
    let mut both = paid.lines.clone();
    both.extend(r.ledger.lines.clone());
    let after = reconcile(&july, &both).expect("reconciles");
    assert!(after.ledger.lines.is_empty(), "{:?}", after.ledger.lines);
}

#[test]
fn a_changed_recipient_or_currency_is_an_error() {
    let paid = june();
    let now = run(&program("v1.rules").program, "2025-06-30");
    let mut other = paid.lines.clone();
    let i = other
        .iter()
        .position(|l| line_key(&l.id) == "deal_bonus/F-02/referrer")
        .expect("line");
    other[i].recipient.id = "SOMEONE-ELSE".into();
    let err = reconcile(&now, &other).expect_err("recipient changed");
    insta::assert_snapshot!("reconcile_recipient_changed", err.to_string());

    let mut other = paid.lines.clone();
    other[i].currency = Currency::parse("EUR");
    let err = reconcile(&now, &other).expect_err("currency changed");
    assert!(err.to_string().contains("currency EUR → USD"), "{err}");

    let mut twice = paid.lines.clone();
    twice.push(paid.lines[0].clone());
    assert!(reconcile(&now, &twice).is_err());

    // Through the command line: exit 1, nothing on standard output.
    let dir = std::env::temp_dir().join(format!("merit-finance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("paid.json");
    let mut l = paid.clone();
    l.lines = other_recipient(&paid);
    std::fs::write(&file, render_ledger(&l, Format::Json)).expect("write");
    let (code, out, err) = merit(&[
        "run",
        &path("v1.rules"),
        "--records",
        &path("records.jsonl"),
        "--as-of",
        "2025-06-30",
        "--already-paid",
        &file.display().to_string(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("recipient referrer:SOMEONE-ELSE → referrer:ACME"),
        "{err}"
    );
}

fn other_recipient(paid: &Ledger) -> Vec<merit::ledger::Line> {
    let mut lines = paid.lines.clone();
    if let Some(l) = lines
        .iter_mut()
        .find(|l| line_key(&l.id) == "deal_bonus/F-02/referrer")
    {
        l.recipient.id = "SOMEONE-ELSE".into();
    }
    lines
}

#[test]
fn already_paid_on_the_command_line() {
    let dir = std::env::temp_dir().join(format!("merit-finance-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let june_file = dir.join("june.json");
    std::fs::write(&june_file, render_ledger(&june(), Format::Json)).expect("write");
    let out = merit(&[
        "run",
        &format!("{CASES}/v2.rules"),
        "--records",
        &format!("{CASES}/records.jsonl"),
        "--as-of",
        "2025-07-31",
        "--format",
        "csv",
        "--already-paid",
        &june_file.display().to_string(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.0, 0, "{}", out.2);
    assert!(out.2.contains("new money USD: 3000.00"), "{}", out.2);
    assert_eq!(out.1.lines().count(), 1 + 11);
}

#[test]
fn already_paid_refuses_records_that_cannot_be_judged() {
    let dir = std::env::temp_dir().join(format!("merit-finance-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let june_file = dir.join("june.json");
    std::fs::write(&june_file, render_ledger(&june(), Format::Json)).expect("write");
    // F-01 loses its `created_at`: it cannot be judged, and must not look like a vanished line.
    let records: String = records()
        .lines()
        .map(|l| {
            if l.contains("\"F-01\"") {
                let mut v: serde_json::Value = serde_json::from_str(l).expect("record");
                v.as_object_mut().expect("object").remove("created_at");
                v.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let records_file = dir.join("records.jsonl");
    std::fs::write(&records_file, records).expect("write");
    let out = merit(&[
        "run",
        &format!("{CASES}/v1.rules"),
        "--records",
        &records_file.display().to_string(),
        "--as-of",
        "2025-07-31",
        "--format",
        "json",
        "--keep-going",
        "--already-paid",
        &june_file.display().to_string(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.0, 1, "{}", out.2);
    assert!(out.1.is_empty(), "{}", out.1);
    assert!(out.2.contains("record F-01"), "{}", out.2);
    assert!(
        out.2.contains("--already-paid needs every record judged"),
        "{}",
        out.2
    );
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

#[test]
fn report_totals_of_points_equal_the_ledger() {
    let text = std::fs::read_to_string(path_of("rules-examples/advocates.rules")).expect("example");
    let loaded = load("advocates.rules", &text).expect("clean");
    let records =
        std::fs::read_to_string(path_of("rules-examples/advocates.jsonl")).expect("records");
    let l = evaluate_str(
        &loaded.program,
        &records,
        &Options::as_of(date("2025-12-31")),
    )
    .expect("evaluates")
    .ledger;
    let r = report(&l, Some(l.summary.records), &[], 10).expect("the totals fit");
    let owed = r.quantities.clone();
    assert_eq!(
        owed.get("points").map(|d| d.to_string()),
        Some("3400".into())
    );
    for group in ["rule", "recipient", "month", "quarter"] {
        let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
        for t in r.quantity_totals.iter().filter(|t| t.group == group) {
            *sums.entry(t.unit.clone()).or_default() += t.amount;
        }
        assert_eq!(sums, owed, "{group}");
    }
    // By status counts every line: owed ones plus the forfeited 500.
    let statuses: Decimal = r
        .quantity_totals
        .iter()
        .filter(|t| t.group == "status" && t.unit == "points")
        .map(|t| t.amount)
        .sum();
    assert_eq!(statuses.to_string(), "3900");
    let csv = render(&r, ReportFormat::Csv);
    assert!(
        csv.contains("\nrecipient,referrer:A-1,points,1950,8,"),
        "{csv}"
    );
}

#[test]
fn report_totals_equal_the_ledger() {
    for (prog, as_of) in [("v1.rules", "2025-06-30"), ("v2.rules", "2025-07-31")] {
        let l = run(&program(prog).program, as_of);
        let r = report(&l, Some(l.summary.records), &[], 10).expect("the totals fit");
        let owed = owed(&l);
        for group in ["currency", "rule", "recipient", "month", "quarter"] {
            let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
            for t in r.totals.iter().filter(|t| t.group == group) {
                *sums.entry(t.currency.to_string()).or_default() += t.amount;
            }
            assert_eq!(sums, owed, "{prog}: {group}");
        }
        let by_status: Vec<(String, Decimal, u64)> = r
            .totals
            .iter()
            .filter(|t| t.group == "status")
            .map(|t| (t.key.clone(), t.amount, t.lines))
            .collect();
        for t in &l.summary.by_status {
            assert!(
                by_status.contains(&(t.key.clone(), t.amount.0, t.lines)),
                "{prog}: {t:?}"
            );
        }
        assert_eq!(by_status.len(), l.summary.by_status.len());
        for c in &r.stats {
            assert_eq!(Some(&c.owed), owed.get(c.currency.as_str()));
        }
    }
}

#[test]
fn report_from_a_ledger_file_equals_report_from_the_run() {
    let l = run(&program("v1.rules").program, "2025-06-30");
    let direct = report(&l, Some(l.summary.records), &[], 10).expect("the totals fit");
    let read = june();
    let from_file = report(&read, Some(read.summary.records), &[], 10).expect("the totals fit");
    for f in [ReportFormat::Text, ReportFormat::Csv, ReportFormat::Json] {
        assert_eq!(render(&direct, f), render(&from_file, f));
    }
    insta::assert_snapshot!("report_text", render(&direct, ReportFormat::Text));
    let csv = render(&direct, ReportFormat::Csv);
    // One header row, the same number of cells in every row, plain decimals.
    let width = csv.lines().next().map(|h| h.split(',').count());
    assert!(csv.lines().all(|r| Some(r.split(',').count()) == width));
    assert!(!csv.contains("9,000"));
    insta::assert_snapshot!("report_csv", csv);
    // Top referrers: by owed amount.
    let ids: Vec<&str> = direct.leaders.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, ["GLOBEX", "ACME", "UMBRELLA"]);
    // Funnel: 6 referrals reached the demo, 5 were won, 49 days apart (median).
    let f: Vec<(String, u64)> = direct
        .funnel
        .iter()
        .map(|s| (s.milestone.clone(), s.referrals))
        .collect();
    assert_eq!(f, [("demo".to_string(), 6), ("won".to_string(), 5)]);
    assert_eq!(direct.funnel[1].median_days, Some(d("49")));
    // Conversion from the demo to the win: 5 of 6.
    assert_eq!(direct.funnel[0].of_previous, None);
    assert_eq!(
        direct.funnel[1].of_previous.map(|p| p.round_dp(2)),
        Some(d("83.33"))
    );
}

#[test]
fn a_report_from_json_lines_says_what_it_does_not_know() {
    let dir = std::env::temp_dir().join(format!("merit-report-jsonl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("june.jsonl");
    std::fs::write(&file, render_ledger(&june(), Format::Jsonl)).expect("write");
    let out = merit(&["report", &file.display().to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.0, 0, "{}", out.2);
    assert!(
        out.1
            .starts_with("A ledger without its program or run date (JSON Lines)"),
        "{}",
        out.1
    );
}

#[test]
fn report_on_the_command_line() {
    let out = merit(&[
        "report",
        "--program",
        &format!("{CASES}/v1.rules"),
        "--records",
        &format!("{CASES}/records.jsonl"),
        "--as-of",
        "2025-06-30",
        "--format",
        "json",
    ]);
    assert_eq!(out.0, 0, "{}", out.2);
    let v: serde_json::Value = serde_json::from_str(&out.1).expect("json");
    assert_eq!(v["cost"][0]["cost_per_referral"], "1500.00");
    assert_eq!(v["cost"][0]["budget_used"], "9000.00");
    assert_eq!(v["top_referrers"][0]["id"], "GLOBEX");
    assert_eq!(merit(&["report"]).0, 2);
}

#[test]
fn report_from_records_counts_every_referral_that_reached_each_milestone() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_merit"))
        .args([
            "report",
            "--program",
            "rules-examples/enterprise-milestones.rules",
            "--records",
            "rules-examples/enterprise-milestones.jsonl",
            "--as-of",
            "2025-12-31",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("merit runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Funnel (eligible referrals that reached each milestone)"),
        "{text}"
    );
    let row = |m: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(m))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<u64>().ok())
    };
    assert_eq!(row("meeting"), Some(12));
    assert_eq!(row("won"), Some(10));
}
