//! Parameters in terms: a window's dates, deadlines, `limit`, holds, expiry, caps, bonuses,
//! tier bounds, the budget and the minimum payout may name a `param`, and a scenario's
//! override of it changes the term: in `apply`, `merit run --set` and `merit simulate`.

use chrono::NaiveDate;
use merit::eval::{evaluate_str, Options};
use merit::ledger::{Ledger, Line};
use merit::program::Program;
use merit::scenario::{apply, override_warnings, Override};
use std::process::Command;

const PROGRAM: &str = "tests/cases/eval/params-in-terms/program.rules";
const WRITTEN_OUT: &str = "tests/cases/params/written-out.rules";
const RECORDS: &str = "tests/cases/eval/params-in-terms/records.jsonl";

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))).expect("case file")
}

fn compile(rel: &str) -> Program {
    let checked = merit::check(&merit::parse(rel, &read(rel)));
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    assert!(
        checked.diagnostics.is_empty(),
        "no warnings expected: {:?}",
        checked.diagnostics
    );
    checked.program.expect("a program")
}

fn ledger(p: &Program) -> Ledger {
    let as_of = NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
    evaluate_str(p, &read(RECORDS), &Options::as_of(as_of))
        .expect("evaluates")
        .ledger
}

fn set(p: &Program, pairs: &[(&str, &str)]) -> Program {
    let overrides: Vec<Override> = pairs
        .iter()
        .map(|(n, v)| Override {
            name: n.to_string(),
            value: v.to_string(),
        })
        .collect();
    apply(p, &overrides).unwrap_or_else(|e| panic!("{e}"))
}

/// What a line pays and when, without its tier label and explanation (which name the
/// parameters as written).
fn money_of(l: &Line) -> String {
    format!(
        "{} {:?} {:?} {:?} {} {:?}",
        l.id, l.amount, l.currency, l.status, l.payable_on, l.expires_on
    )
}

fn line<'a>(l: &'a Ledger, record: &str, rule: &str) -> Vec<&'a Line> {
    l.lines
        .iter()
        .filter(|x| *x.record_id == *record && x.rule == rule)
        .collect()
}

fn amount(l: &Line) -> String {
    l.amount
        .map(|(a, scale)| format!("{a:.*}", scale as usize))
        .unwrap_or_default()
}

#[test]
fn terms_named_by_parameters_pay_what_the_values_written_out_pay() {
    let (a, b) = (ledger(&compile(PROGRAM)), ledger(&compile(WRITTEN_OUT)));
    let lines = |l: &Ledger| l.lines.iter().map(money_of).collect::<Vec<_>>();
    assert_eq!(lines(&a), lines(&b));
    assert_eq!(
        serde_json::to_value(&a.summary).expect("json"),
        serde_json::to_value(&b.summary).expect("json")
    );
    // The case exercises what it says: a capped line, a clawback, a forfeit, a lapse and the
    // `limit`.
    let statuses: Vec<String> = a.lines.iter().map(|l| format!("{:?}", l.status)).collect();
    for s in ["Capped", "ClawedBack", "Forfeited"] {
        assert!(statuses.iter().any(|x| x == s), "{s} in {statuses:?}");
    }
    assert!(line(&a, "D", "finders_fee").is_empty(), "D lapses");
    assert_eq!(line(&a, "A", "commission").len(), 2, "limit 2");
}

#[test]
fn an_override_of_a_term_changes_what_is_paid() {
    let p = compile(PROGRAM);
    let base = ledger(&p);
    // B (created 3 March, 4000 USD: 5% + 25 USD) is capped at 200 USD for April.
    assert_eq!(amount(line(&base, "B", "finders_fee")[0]), "200.00");
    // A longer promotion and a higher cap: B is doubled, then gets its fixed bonus.
    let moved = ledger(&set(
        &p,
        &[("promo_to", "2025-03-31"), ("monthly_cap", "1000 USD")],
    ));
    assert_eq!(amount(line(&moved, "B", "finders_fee")[0]), "425.00");
    // A shorter deadline: A (won 17 days after it was created) lapses.
    let short = ledger(&set(&p, &[("win_within", "10 days")]));
    assert!(line(&short, "A", "finders_fee").is_empty());
    assert!(line(&short, "A", "commission").is_empty());
    // One payment counts instead of two.
    let once = ledger(&set(&p, &[("payments", "1")]));
    assert_eq!(line(&once, "A", "commission").len(), 1);
    // A longer hold moves the payable day (won 20 February + 30 days).
    let held = ledger(&set(&p, &[("cooling_off", "30 days")]));
    assert_eq!(
        line(&held, "A", "finders_fee")[0].payable_on.to_string(),
        "2025-03-22"
    );
    // A higher band bound: B (4000 USD) falls in the lowest band.
    let bands = ledger(&set(
        &p,
        &[("mid", "5000 USD"), ("monthly_cap", "1000 USD")],
    ));
    let b = line(&bands, "B", "finders_fee")[0];
    assert_eq!(b.tier.as_deref(), Some("below mid"));
    assert_eq!(amount(b), "50.00");
    // A multiplier of 3 for the promotion: A pays 3 x 50 USD.
    let boosted = ledger(&set(&p, &[("boost", "3")]));
    assert_eq!(amount(line(&boosted, "A", "finders_fee")[0]), "150.00");
}

#[test]
fn an_override_that_breaks_a_term_is_refused_with_the_checkers_words() {
    let p = compile(PROGRAM);
    let o = |n: &str, v: &str| Override {
        name: n.into(),
        value: v.into(),
    };
    let e = apply(&p, &[o("promo_to", "2025-01-15")]).expect_err("inverted window");
    assert_eq!(
        e.message,
        "with promo_to=2025-01-15: window `promo` ends (2025-01-15) before it starts (2025-02-01)"
    );
    let e = apply(&p, &[o("payments", "0")]).expect_err("limit 0");
    assert!(e.message.contains("`paid` has `limit 0`"), "{e}");
    // The type is checked before the program: a deadline stays a duration.
    let e = apply(&p, &[o("win_within", "60")]).expect_err("not a duration");
    assert!(e.message.contains("`win_within` is a duration"), "{e}");
    // Values a term cannot take are refused like the same value written in the file.
    let e = apply(&p, &[o("program_budget", "-5 USD")]).expect_err("budget below zero");
    assert!(
        e.message
            .contains("a budget of -5.00 USD leaves nothing to pay"),
        "{e}"
    );
    let e = apply(&p, &[o("smallest_payout", "-1 USD")]).expect_err("minimum below zero");
    assert!(
        e.message
            .contains("a minimum payout of -1.00 USD is below zero"),
        "{e}"
    );
    let e = apply(&p, &[o("top_max", "-10 USD")]).expect_err("negative max");
    assert!(e.message.contains("would pay a negative amount"), "{e}");
    let e = apply(&p, &[o("payments", "-1")]).expect_err("negative limit");
    assert!(
        e.message
            .contains("`payments` is the number -1, but a whole number is needed here"),
        "{e}"
    );
}

#[test]
fn an_override_is_warned_about_as_the_program_would_be() {
    let p = compile(PROGRAM);
    let o = vec![Override {
        name: "boost".into(),
        value: "2".into(),
    }];
    assert!(override_warnings(&set(&p, &[("boost", "2")]), &o).is_empty());
    // A band's rate set above 100% gets the checker's own warning, with the override it
    // comes from.
    let source = read(PROGRAM).replace("=> 5%", "=> mid_rate") + "param mid_rate = 5%\n";
    let checked = merit::check(&merit::parse("rate.rules", &source));
    let program = checked.program.expect("checks");
    let o = vec![Override {
        name: "mid_rate".into(),
        value: "150%".into(),
    }];
    let applied = apply(&program, &o).expect("a warning, not an error");
    assert_eq!(
        override_warnings(&applied, &o),
        vec!["warning[M2006]: --set mid_rate=150%: a rate of 150% pays more than the amount it applies to".to_string()]
    );
}

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

#[test]
fn run_and_simulate_take_overrides_of_terms() {
    let run = |set: &str| {
        merit(&[
            "run",
            PROGRAM,
            "--records",
            RECORDS,
            "--as-of",
            "2025-12-31",
            "--format",
            "csv",
            "--set",
            set,
        ])
    };
    let (code, base, _) = run("promo_to=2025-02-28");
    assert_eq!(code, 0);
    let (code, moved, _) = run("promo_to=2025-03-31");
    assert_eq!(code, 0);
    assert_ne!(base, moved);
    let (code, out, err) = run("promo_to=2025-01-15");
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "nothing written: {out}");
    assert!(
        err.contains("with promo_to=2025-01-15: window `promo` ends (2025-01-15) before it starts (2025-02-01)"),
        "{err}"
    );

    let dir = std::env::temp_dir().join(format!("merit-params-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let scenarios = dir.join("scenarios.json");
    std::fs::write(
        &scenarios,
        r#"{"scenarios": [
            {"name": "as written"},
            {"name": "longer promotion", "set": {"promo_to": "2025-03-31", "monthly_cap": "1000 USD"}},
            {"name": "short deadline", "set": {"win_within": "10 days"}}
        ]}"#,
    )
    .expect("write scenarios");
    let scenarios = scenarios.to_string_lossy().into_owned();
    let (code, out, err) = merit(&[
        "simulate",
        PROGRAM,
        "--records",
        RECORDS,
        "--scenarios",
        &scenarios,
        "--as-of",
        "2025-12-31",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let text = v.to_string();
    for name in ["as written", "longer promotion", "short deadline"] {
        assert!(text.contains(name), "{name} in {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simulate_warns_about_a_scenario_as_run_does() {
    let dir = std::env::temp_dir().join(format!("merit-params-warn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let scenarios = dir.join("scenarios.json");
    std::fs::write(
        &scenarios,
        r#"{"scenarios": [{"name": "base"}, {"name": "generous", "set": {"mid_rate": "300%"}}]}"#,
    )
    .expect("write scenarios");
    let scenarios = scenarios.to_string_lossy().into_owned();
    let (code, _, err) = merit(&[
        "simulate",
        "tests/cases/finance/v1.rules",
        "--records",
        "tests/cases/finance/records.jsonl",
        "--scenarios",
        &scenarios,
        "--as-of",
        "2025-06-30",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning[M2006]: --set mid_rate=300%: a rate of 300% pays more than the amount it applies to (scenario `generous`)"),
        "{err}"
    );
    assert_eq!(err.matches("warning[").count(), 1, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn overrides_add_up_when_applied_one_after_the_other() {
    let p = compile(PROGRAM);
    let both = ledger(&set(
        &p,
        &[("promo_to", "2025-03-31"), ("monthly_cap", "1000 USD")],
    ));
    let one_then_other = ledger(&set(
        &set(&p, &[("promo_to", "2025-03-31")]),
        &[("monthly_cap", "1000 USD")],
    ));
    let lines = |l: &Ledger| l.lines.iter().map(money_of).collect::<Vec<_>>();
    assert_eq!(lines(&both), lines(&one_then_other));
    assert_eq!(
        amount(line(&one_then_other, "B", "finders_fee")[0]),
        "425.00"
    );
    // Warnings are about what the new overrides change, whether or not they are applied yet.
    let source = read(PROGRAM).replace("=> 5%", "=> mid_rate") + "param mid_rate = 5%\n";
    let checked = merit::check(&merit::parse("rate.rules", &source));
    let program = checked.program.expect("checks");
    let high = vec![Override {
        name: "mid_rate".into(),
        value: "150%".into(),
    }];
    let applied = apply(&program, &high).expect("applies");
    assert_eq!(override_warnings(&program, &high).len(), 1);
    assert_eq!(override_warnings(&applied, &high).len(), 1);
    // Another override on top: the earlier 150% is no news.
    let other = vec![Override {
        name: "boost".into(),
        value: "3".into(),
    }];
    assert!(override_warnings(&applied, &other).is_empty());
}
