//! Currency conversion only happens through a named rates table supplied as input.

use std::process::Command;

fn merit(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_merit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("merit runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const PROGRAM: &str = "tests/cases/rates/program.rules";
const RECORDS: &str = "tests/cases/rates/records.jsonl";

#[test]
fn amounts_are_converted_exactly_with_the_supplied_rates_then_rounded_once() {
    let (code, out, err) = merit(&[
        "run",
        PROGRAM,
        "--records",
        RECORDS,
        "--as-of",
        "2025-12-31",
        "--format",
        "jsonl",
        "--rates",
        "fx=tests/cases/rates/fx.json",
    ]);
    assert_eq!(code, 0, "{err}");
    let amounts: Vec<String> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            format!(
                "{} {}",
                v["amount"].as_str().unwrap_or(""),
                v["currency"].as_str().unwrap_or("")
            )
        })
        .collect();
    // 1% of 10,000 EUR × 1.0850 = 108.50 USD; 1% of 20,000 GBP × 1.2710 = 254.20 USD; 30.00 USD.
    assert_eq!(amounts, ["108.50 USD", "254.20 USD", "30.00 USD"]);
}

#[test]
fn a_program_with_rates_needs_them_and_a_currency_without_a_rate_is_a_record_problem() {
    let (code, _, err) = merit(&[
        "run",
        PROGRAM,
        "--records",
        RECORDS,
        "--as-of",
        "2025-12-31",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--rates fx=FILE"), "{err}");
    let dir = std::env::temp_dir().join(format!("merit-rates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let partial = dir.join("eur-only.json");
    std::fs::write(&partial, r#"{"EUR": "1.0850"}"#).expect("write");
    let arg = format!("fx={}", partial.display());
    let (code, _, err) = merit(&[
        "run",
        PROGRAM,
        "--records",
        RECORDS,
        "--as-of",
        "2025-12-31",
        "--rates",
        &arg,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("record C2") && err.contains("no rate for GBP"),
        "{err}"
    );
    let (code, _, err) = merit(&[
        "run",
        PROGRAM,
        "--records",
        RECORDS,
        "--as-of",
        "2025-12-31",
        "--rates",
        "fz=x.json",
    ]);
    assert_eq!(code, 2, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn converting_needs_a_declared_table_and_money() {
    let check = |body: &str| {
        let text = format!("program \"R\" {{ currency USD timezone \"UTC\" }}\nfields {{ deal.amount: money  n: number }}\nrates fx in USD\n{body}\n");
        let checked = merit::check(&merit::parse("r.rules", &text));
        merit::diagnostics::render_text(&checked.diagnostics, &checked.sources)
    };
    let out = check("condition c = convert(deal.amount, fz) > 10 USD");
    assert!(
        out.contains("`fz` is not a rates table") && out.contains("did you mean `fx`"),
        "{out}"
    );
    let out = check("condition c = convert(n, fx) > 10 USD");
    assert!(out.contains("only money can be converted"), "{out}");
    let out = check("condition c = convert(deal.amount, fx) > 10 EUR");
    assert!(out.contains("M1202"), "converted money is in USD: {out}");
    let out = check("condition c = convert(deal.amount, fx) > 10 USD");
    assert!(out.contains("0 errors"), "{out}");
}
