//! The quick path of tests ([`super::Ctx::quick_truth`]) answers exactly as the general path
//! does, on every test of a program over records that have, lack or mistype what they test
//! (an explained record's trace turns the quick path off, so the two are compared directly).

use super::Ctx;
use crate::eval::{prepare, Options};
use crate::records::decode_line;
use std::cell::RefCell;

const PROGRAM: &str = r#"
program "Q" { version "1" currency USD timezone "UTC" rounding half_up }
param floor = 70
param band = 10 EUR
fields {
  referrer.score: number optional
  referrer.vip: bool optional
  deal.amount: money optional
  deal.stage: text optional
  deal.fee: money EUR optional
}
events { won }
condition healthy = referrer.score is present and referrer.score >= floor
condition priced = deal.amount is present and not (deal.stage == "open")
eligible referrer if healthy or referrer.vip == true
eligible referrer if referrer.score >= floor
eligible referral if priced and deal.stage != "lost"
eligible referral if deal.fee is missing or deal.fee > band
eligible referral if deal.amount > 100 USD
eligible referral if not (referrer.score < 3) and (deal.stage == "won" or deal.stage is missing)
reject spam if referrer.score == 0
milestone m = event won within 90 days after created
reward r on m to referrer { cash 5 USD }
"#;

#[test]
fn the_quick_path_agrees_with_the_general_one() {
    let program = crate::program::checked_for_test("q.rules", PROGRAM);
    let opts = Options::as_of(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or_default());
    let (_, params) = prepare(&program, &opts).unwrap_or_else(|e| panic!("{e}"));
    let dec = crate::records::Decoder::new(&program);
    let head = r#""id":"R1","created_at":"2025-01-01T00:00:00Z","referee":{"id":"P1"}"#;
    let mut lines = Vec::new();
    for score in [
        "",
        r#","score":88"#,
        r#","score":0"#,
        r#","score":70"#,
        r#","score":2"#,
    ] {
        for vip in ["", r#","vip":true"#, r#","vip":false"#] {
            for deal in [
                "",
                r#","deal":{"stage":"open"}"#,
                r#","deal":{"amount":"150.00","currency":"USD","stage":"won"}"#,
                r#","deal":{"amount":"50.00","currency":"EUR","stage":"lost","fee":"12.00"}"#,
                r#","deal":{"amount":"100.00","currency":"USD","fee":"9.99"}"#,
            ] {
                lines.push(format!(
                    r#"{{{head},"referrer":{{"id":"C1"{score}{vip}}}{deal}}}"#
                ));
            }
        }
    }
    let tests: Vec<_> = program.eligibility.iter().chain(&program.rejects).collect();
    let (mut quick, mut errors) = (0, 0);
    for (n, l) in lines.iter().enumerate() {
        let rec = decode_line(&dec, n as u64 + 1, l).unwrap_or_else(|p| panic!("{l}: {p:?}"));
        let none = vec![None; program.milestones.len()];
        let trace = RefCell::new(Vec::new());
        let ctx = |trace| Ctx {
            program: &program,
            record: &rec,
            event: None,
            params: &params,
            milestones: &none,
            trace,
        };
        let (fast, general) = (ctx(None), ctx(Some(&trace)));
        for t in &tests {
            let answer = fast.truth(&t.expr);
            assert_eq!(answer, general.truth(&t.expr), "{} on {l}", t.text);
            quick += usize::from(fast.quick_truth(&t.expr).is_some());
            errors += usize::from(answer.is_err());
            // Where the quick path answers, it gives the general answer.
            if let Some(b) = fast.quick_truth(&t.expr) {
                assert_eq!(Ok(b), answer, "{} on {l}", t.text);
            }
        }
    }
    // Both paths were exercised: quick answers, and errors the quick path left to the other.
    assert!(quick > 200 && errors > 20, "{quick} quick, {errors} errors");
}
