//! `merit test [PATH...]`: run the tests that sit next to programs (`X.test.json` beside
//! `X.rules`, see `docs/testing.md`), optionally with rule coverage and a threshold.
//!
//! Exit codes: 0 every test passed (and every program meets the threshold), 1 a test failed or
//! coverage is below the threshold, 2 a test could not run (unreadable or malformed test file,
//! a program with errors a test did not expect, a bad override) or nothing was found to test.

use super::exit;
use crate::testing::{self, discover::discover, RunOptions};
use std::path::PathBuf;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// For people: failures with expected and actual side by side.
    Text,
    /// One JSON document.
    Json,
    /// JUnit XML, for CI test reports.
    Junit,
}

/// Arguments of `merit test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Programs, test files or folders (searched recursively). Default: the current folder.
    pub paths: Vec<PathBuf>,
    /// Only run tests whose `file-stem/test name` contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: TestFormat,
    /// Report which rules, bands, milestones, bonuses, caps and conditions the tests exercised.
    #[arg(long)]
    pub coverage: bool,
    /// Fail (exit 1) when a program's coverage is below N percent (implies --coverage).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=100))]
    pub threshold: Option<u64>,
    #[command(flatten)]
    pub limits: super::limits::RecordLimitArgs,
    #[command(flatten)]
    pub rules: super::limits::RuleLimitArgs,
}

/// Runs `merit test`.
pub fn run(args: TestArgs) -> i32 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let found = match discover(&paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let opts = RunOptions {
        filter: args.filter.clone(),
        coverage: args.coverage,
        threshold: args.threshold,
        syntax: args.rules.limits(),
        records: args.limits.limits(),
    };
    let report = testing::run(&found, &opts);
    let text = match args.format {
        TestFormat::Text => testing::render_text(&report),
        TestFormat::Json => testing::render_json(&report),
        TestFormat::Junit => testing::render_junit(&report),
    };
    print!("{text}");
    let counts = report.counts();
    if counts.tests == 0 && counts.errors == 0 && counts.bad_files == 0 {
        match &args.filter {
            Some(f) => eprintln!("error: no test matches --filter {f:?}"),
            None => eprintln!(
                "error: no tests found (a test file is X.test.json next to X.rules; see docs/testing.md)"
            ),
        }
    }
    report.exit_code()
}
