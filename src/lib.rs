#![forbid(unsafe_code)]
// Library code never panics on input: no unwrap/expect/panic, no unchecked indexing or slicing
// and no unchecked arithmetic outside tests (issue #7, see docs/reliability.md). Where an
// operation is provably bounded, a small item may allow `arithmetic_side_effects` with a
// `// why:` comment; `gen` and the diff and layout code of `fmt` allow it module-wide (their
// headers say why).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented,
        clippy::unreachable,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
//! merit turns referral-program terms into exact, explainable payouts.
//!
//! A program designer writes the terms in a `.rules` file; merit **parses** it into a typed
//! syntax tree, **checks** it (every name, type, currency, tier band and deadline) and
//! **evaluates** it against referral records to produce a [`ledger::Ledger`]: one line per
//! reward, with a stable id, an exact amount, a status as of a date, and an explanation.
//!
//! ```
//! use merit::{check, evaluate, parse};
//! use merit::eval::Options;
//! use chrono::NaiveDate;
//!
//! let source = r#"
//!   program "Demo credit" { version "1"  currency USD  timezone "UTC" }
//!   fields { referrer.health_score: number }
//!   events { demo_attended }
//!   eligible referrer if referrer.health_score >= 70
//!   milestone demo = event demo_attended within 60 days after created
//!   reward credit on demo to referrer { credit 50 USD  hold 30 days }
//! "#;
//!
//! // 1. parse: text → syntax tree (syntax errors become diagnostics)
//! let parsed = parse("demo.rules", source);
//! // 2. check: syntax tree → program (every problem reported at once)
//! let checked = check(&parsed);
//! assert!(checked.diagnostics.is_empty());
//! let program = checked.program.expect("a clean program");
//!
//! // 3. evaluate: program + records + as-of date → ledger
//! let records = r#"{"id":"R1","created_at":"2025-03-01T09:00:00Z","referrer":{"id":"C1","health_score":82},"referee":{"id":"P1"},"events":[{"kind":"demo_attended","at":"2025-03-20T15:00:00Z"}]}"#;
//! let as_of = NaiveDate::from_ymd_opt(2025, 4, 30).expect("a date");
//! let ledger = evaluate(&program, records.as_bytes(), &Options::as_of(as_of))?.ledger;
//!
//! let line = &ledger.lines[0];
//! assert_eq!(line.id, "demo-credit@1/credit/R1/referrer");
//! assert_eq!(line.money().map(|(a, c)| format!("{a} {c}")).as_deref(), Some("50.00 USD"));
//! assert_eq!(line.payable_on.to_string(), "2025-04-19"); // 30 days after the demo
//! assert_eq!(line.status.as_str(), "payable");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The stages, and where they live:
//! - [`syntax`]: the pest grammar (`grammar/merit.pest`) and its lowering to [`syntax::ast`].
//! - [`mod@check`]: name resolution, types, and the lints in `check/lints/`; produces a [`program::Program`].
//! - [`records`]: the streaming record decoder; [`eval`]: judging records and the cross-record pass.
//! - [`ledger`] and [`output`]: the result and its renderings; [`diagnostics`]: errors as data.
//! - [`scenario`]: what-if values for `param`s; [`scenario::apply`] checks the program again
//!   with them ([`check::check_with`]), so a term named by a parameter moves with it.

pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod eval;
pub mod finance;
pub mod fmt;
pub mod gen;
pub mod ledger;
pub mod money;
pub mod output;
mod phrase;
pub mod program;
pub mod rates;
pub mod reconcile;
pub mod records;
pub mod scenario;
pub mod source;
mod stamp;
pub mod syntax;
pub mod testing;
pub mod time;
pub mod value;

pub use check::check;
pub use eval::evaluate;
pub use syntax::parse;
