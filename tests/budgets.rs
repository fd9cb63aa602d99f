//! A program may have one budget per currency; each limits the lines in its currency.

use chrono::NaiveDate;

const PROGRAM: &str = r#"
program "Two budgets" { currency USD timezone "UTC" budget 100 USD budget 50 EUR }
fields { deal.amount: money }
events { won }
milestone m = event won
reward r on m to referrer { cash deal.amount }
"#;

fn record(id: &str, amount: &str, currency: &str, day: u32) -> String {
    format!(
        r#"{{"id":"{id}","created_at":"2025-01-01T00:00:00Z","referrer":{{"id":"A"}},"referee":{{"id":"{id}"}},"deal":{{"amount":"{amount}","currency":"{currency}"}},"events":[{{"kind":"won","at":"2025-02-{day:02}T00:00:00Z"}}]}}"#
    )
}

#[test]
fn each_currency_has_its_own_budget_and_an_unbudgeted_currency_is_a_problem() {
    let checked = merit::check(&merit::parse("b.rules", PROGRAM));
    let program = checked.program.expect("clean");
    let records = [
        record("U1", "60.00", "USD", 1),
        record("E1", "30.00", "EUR", 2),
        record("U2", "60.00", "USD", 3),
        record("E2", "30.00", "EUR", 4),
        record("G1", "10.00", "GBP", 5),
    ]
    .join("\n");
    let as_of = NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
    let ledger = merit::evaluate(
        &program,
        records.as_bytes(),
        &merit::eval::Options::as_of(as_of),
    )
    .expect("readable")
    .ledger;
    let amounts: Vec<String> = ledger
        .lines
        .iter()
        .filter_map(|l| l.money().map(|(a, c)| format!("{} {a} {c}", l.record_id)))
        .collect();
    assert_eq!(
        amounts,
        [
            "U1 60.00 USD",
            "E1 30.00 EUR",
            "U2 40.00 USD",
            "E2 20.00 EUR"
        ]
    );
    assert_eq!(ledger.problems.len(), 1);
    assert!(
        ledger.problems[0].message.contains("none in GBP"),
        "{:?}",
        ledger.problems
    );
}

#[test]
fn two_budgets_in_one_currency_are_an_error() {
    let text = PROGRAM.replace("budget 50 EUR", "budget 50 USD");
    let checked = merit::check(&merit::parse("b.rules", &text));
    let codes: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, ["M1006"]);
}
