#![forbid(unsafe_code)]
//! merit: referral-program terms in, exact and explained payouts out.

pub mod check;
pub mod diagnostics;
pub mod gen;
pub mod money;
pub mod program;
pub mod source;
pub mod syntax;
pub mod time;
pub mod value;
