#![forbid(unsafe_code)]
//! merit: referral-program terms in, exact and explained payouts out.

pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod eval;
pub mod gen;
pub mod ledger;
pub mod money;
pub mod output;
pub mod program;
pub mod records;
pub mod source;
pub mod syntax;
pub mod time;
pub mod value;
