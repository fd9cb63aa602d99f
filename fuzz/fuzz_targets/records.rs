//! Any bytes as records for a program that reads every kind of field: never a panic; every
//! record is either judged or reported as a problem; and the streaming evaluator (its fast
//! record scanner, block reader and external sort) gives exactly the in-memory evaluator's lines
//! and problems.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const PROGRAM: &str = r#"
program "Fuzz" { version "1" currency USD timezone "Europe/Paris" rounding half_up }
fields {
  referrer.score: number optional
  referrer.email: text optional
  referee.segment: enum(smb, mid, ent) optional
  referee.since: date optional
  referee.tags: list(text) optional
  referee.vip: bool optional
  deal.amount: money optional
  deal.closed: datetime optional
}
events { won { value: money optional }  refund }
eligible referrer if referrer.score is missing or referrer.score >= 10
milestone m = event won within 90 days after created
reward r on m to referrer {
  cash tiers by deal.amount { below 100 => 5  from 100 => 2% max 1000 }
  only if deal.amount is present
  clawback if refund within 30 days after m
}
"#;

fn program() -> &'static merit::program::Program {
    static P: OnceLock<merit::program::Program> = OnceLock::new();
    P.get_or_init(|| {
        merit::check(&merit::parse("fuzz.rules", PROGRAM))
            .program
            .unwrap_or_else(|| std::process::abort())
    })
}

fuzz_target!(|data: &[u8]| {
    use merit::eval::stream::{evaluate_lines, LineFormat, Spill};
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default();
    let opts = merit::eval::Options::as_of(as_of);
    let in_memory = merit::evaluate(program(), data, &opts);
    let spill = Spill {
        dir: std::env::temp_dir(),
        memory: 1 << 16,
    };
    let streamed = evaluate_lines(program(), data, &opts, LineFormat::Jsonl, &spill);
    match (in_memory, streamed) {
        (Ok(e), Ok(s)) => {
            let want: Vec<String> = e.ledger.problems.iter().map(|p| p.to_string()).collect();
            let got: Vec<String> = s.problems().iter().map(|p| p.to_string()).collect();
            assert_eq!(got, want, "problems differ");
            let mut out = Vec::new();
            if s.write(&mut out).is_ok() {
                let lines = merit::output::render(&e.ledger, merit::output::Format::Jsonl);
                assert_eq!(String::from_utf8_lossy(&out), lines, "lines differ");
            }
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("one evaluator failed: {:?} vs {:?}", a.err(), b.err()),
    }
});
