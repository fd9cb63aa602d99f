#![forbid(unsafe_code)]
//! merit: referral-program terms in, exact and explained payouts out.

pub mod diagnostics;
pub mod money;
pub mod source;
pub mod syntax;
pub mod gen;
