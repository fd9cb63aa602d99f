//! The `merit` command line. Each subcommand is a thin layer over the library pipeline
//! (`parse → check → evaluate`); exit codes are documented in the README:
//! 0 success, 1 the program or the records have errors (or a test/gate failed), 2 usage or
//! I/O problems, 70 an internal error.

mod check;
mod finance;
mod fmt;
mod gen;
mod limits;
mod run;
mod test;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Exit codes.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// The program or the records have errors, or a gate failed.
    pub const FAILED: i32 = 1;
    /// Bad usage or I/O.
    pub const USAGE: i32 = 2;
    /// A bug in merit.
    pub const INTERNAL: i32 = 70;
}

/// merit: referral-program terms in, exact and explainable payouts out.
#[derive(Debug, Parser)]
#[command(name = "merit", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check programs; report every problem.
    Check(check::CheckArgs),
    /// Compute the ledger of a program over referral records.
    Run(run::RunArgs),
    /// Explain step by step what one record earned, and why.
    Explain(run::ExplainArgs),
    /// Format programs in the one canonical layout.
    Fmt(fmt::FmtArgs),
    /// Run the tests that sit next to programs.
    Test(test::TestArgs),
    /// Compare scenarios of a program: totals per scenario.
    Simulate(finance::SimulateArgs),
    /// What changed between two versions of a program, and what it does to the money.
    Diff(finance::DiffArgs),
    /// Totals, leaderboard and funnel from a ledger.
    Report(finance::ReportArgs),
    /// Generate synthetic referral records (the benchmark workload).
    Gen(gen::GenArgs),
}

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Run(a) => run::run(a),
        Command::Explain(a) => run::explain(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Test(a) => test::run(a),
        Command::Simulate(a) => finance::simulate(a),
        Command::Diff(a) => finance::diff(a),
        Command::Report(a) => finance::report(a),
        Command::Gen(a) => gen::run(a),
    }
}

/// Prints the warnings the checker would give for override values (a rate above 100%).
pub(crate) fn warn_overrides(
    program: &crate::program::Program,
    overrides: &[crate::scenario::Override],
) {
    for w in crate::scenario::override_warnings(program, overrides) {
        eprintln!("{w}");
    }
}

/// Reads a file, or standard input for `-`.
pub(crate) fn read_input(path: &PathBuf) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        Ok(s)
    } else {
        std::fs::read_to_string(path)
    }
}

/// Today's date in UTC, from the system clock (the CLI's default for `--as-of`; the library
/// never reads the clock).
pub(crate) fn today() -> chrono::NaiveDate {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|d| d.checked_add_signed(chrono::TimeDelta::days(days)))
        .unwrap_or_default()
}
