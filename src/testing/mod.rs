//! `merit test`: tests that sit next to programs, and rule coverage.
//!
//! A test file `X.test.json` beside `X.rules` holds named tests: records (inline or a records
//! file), an as-of date, optional parameter overrides, and what the run must produce (ledger
//! lines, totals, summary counts, record problems) or, for a deliberately broken program, the
//! diagnostic its check must report. The format is documented in `docs/testing.md`.
//!
//! The stages: [`discover`] finds programs and test files under paths, [`mod@file`] reads a test
//! file, [`run`] runs the tests and checks them with [`expect`], [`coverage`] sums what the
//! runs exercised, and [`render_text`], [`render_json`] and [`render_junit`] report it.

pub mod coverage;
pub mod discover;
pub mod expect;
pub mod file;
mod junit;
pub mod problems;
mod report;

pub use junit::render_junit;
pub use report::{render_json, render_text};

use crate::check::Checked;
use crate::eval::{evaluate, Options};
use coverage::{ProgramCoverage, Tally};
use discover::{canonical, Found};
use expect::Failure;
use file::{Records, TestCase, TestFile};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Only tests whose `file-stem/test name` contains this.
    pub filter: Option<String>,
    /// Collect and report rule coverage.
    pub coverage: bool,
    /// Fail when a program's coverage is below this percentage (implies `coverage`).
    pub threshold: Option<u64>,
    /// Limits on the programs.
    pub syntax: crate::syntax::SyntaxLimits,
    /// Limits on the tests' records.
    pub records: crate::records::RecordLimits,
}

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every expectation held.
    Passed,
    /// Some did not.
    Failed(Vec<Failure>),
    /// The test could not run (unreadable file, program with errors, bad override).
    Error(String),
}

/// One test's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// The test's name.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
}

/// A test file's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    /// The test file, as shown.
    pub test_file: String,
    /// The program it tests, as shown.
    pub program: String,
    /// The file could not be read or is malformed: none of its tests ran.
    pub error: Option<String>,
    /// The tests that ran (after the filter).
    pub tests: Vec<TestResult>,
}

/// Everything `merit test` found and did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Per test file.
    pub files: Vec<FileResult>,
    /// Programs without a test file.
    pub untested: Vec<String>,
    /// Per program, when coverage was asked for.
    pub coverage: Option<Vec<ProgramCoverage>>,
    /// The coverage threshold, if any.
    pub threshold: Option<u64>,
}

/// Counts of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Counts {
    /// Tests run.
    pub tests: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Tests that could not run.
    pub errors: usize,
    /// Test files that could not be read or are malformed (none of their tests ran).
    pub bad_files: usize,
}

impl Report {
    /// Counts of passed, failed and erroring tests (saturating: statistics).
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for f in &self.files {
            if f.error.is_some() {
                c.bad_files = c.bad_files.saturating_add(1);
            }
            for t in &f.tests {
                c.tests = c.tests.saturating_add(1);
                match t.outcome {
                    Outcome::Passed => c.passed = c.passed.saturating_add(1),
                    Outcome::Failed(_) => c.failed = c.failed.saturating_add(1),
                    Outcome::Error(_) => c.errors = c.errors.saturating_add(1),
                }
            }
        }
        c
    }

    /// Programs whose coverage is below the threshold.
    pub fn below_threshold(&self) -> Vec<&ProgramCoverage> {
        match (&self.coverage, self.threshold) {
            (Some(cov), Some(t)) => cov.iter().filter(|c| !c.meets(t)).collect(),
            _ => Vec::new(),
        }
    }

    /// 0 all passed (and coverage met), 1 a test failed or coverage is too low, 2 a test or
    /// test file could not run, or nothing was tested.
    pub fn exit_code(&self) -> i32 {
        let c = self.counts();
        if c.errors > 0 || c.bad_files > 0 || c.tests == 0 {
            2
        } else if c.failed > 0 || !self.below_threshold().is_empty() {
            1
        } else {
            0
        }
    }
}

/// Runs the tests found.
pub fn run(found: &Found, opts: &RunOptions) -> Report {
    let want_coverage = opts.coverage || opts.threshold.is_some();
    let mut programs: BTreeMap<PathBuf, Loaded> = BTreeMap::new();
    let mut tallies: BTreeMap<PathBuf, Tally> = BTreeMap::new();
    let mut tested: Vec<PathBuf> = Vec::new();
    let mut named: Vec<PathBuf> = Vec::new();
    let mut report = Report {
        threshold: opts.threshold,
        ..Report::default()
    };
    for path in &found.tests {
        let tf = match file::load(path) {
            Ok(tf) => tf,
            Err(e) => {
                report.files.push(FileResult {
                    test_file: path.display().to_string(),
                    program: file::program_of(path)
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "(unknown)".to_string()),
                    error: Some(e),
                    tests: Vec::new(),
                });
                continue;
            }
        };
        let key = canonical(&tf.program);
        tested.push(key.clone());
        named.push(tf.program.clone());
        let stem = stem(&tf.path);
        let mut results = Vec::new();
        for test in &tf.tests {
            let qualified = format!("{stem}/{}", test.name);
            if opts
                .filter
                .as_ref()
                .is_some_and(|f| !qualified.contains(f.as_str()))
            {
                continue;
            }
            let program = programs
                .entry(key.clone())
                .or_insert_with(|| load_program(&tf.program, &opts.syntax));
            let (outcome, ran) = run_test(&tf, test, program, opts);
            if let Some((cov, lines)) = ran {
                tallies
                    .entry(key.clone())
                    .or_default()
                    .add(cov.as_ref(), &lines);
            }
            results.push(TestResult {
                name: test.name.clone(),
                outcome,
            });
        }
        report.files.push(FileResult {
            test_file: tf.path.display().to_string(),
            program: tf.program.display().to_string(),
            error: None,
            tests: results,
        });
    }
    for p in &found.programs {
        if !tested.contains(&canonical(p)) {
            report.untested.push(p.display().to_string());
        }
    }
    if want_coverage {
        report.coverage = Some(coverage_of(
            &found.programs,
            &named,
            opts,
            &mut programs,
            &tallies,
        ));
    }
    report
}

/// A program file, read and checked (or why it could not be read).
type Loaded = Result<(Checked, String), String>;

fn load_program(path: &Path, limits: &crate::syntax::SyntaxLimits) -> Loaded {
    let text = std::fs::File::open(path)
        .map_err(|e| e.to_string())
        .and_then(|f| crate::syntax::read_rules(f, limits))
        .map_err(|e| format!("cannot read the program {}: {e}", path.display()))?;
    let name = path.display().to_string();
    let parsed = crate::syntax::parse_limited(&name, &text, limits);
    Ok((crate::check::check(&parsed), name))
}

fn stem(test_file: &Path) -> String {
    let name = test_file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.strip_suffix(".test.json").unwrap_or(name).to_string()
}

/// What a run exercised: its collected coverage and its lines.
type Ran = (Option<crate::eval::Coverage>, Vec<crate::ledger::Line>);

fn run_test(
    tf: &TestFile,
    test: &TestCase,
    file_program: &Loaded,
    opts: &RunOptions,
) -> (Outcome, Option<Ran>) {
    let want_coverage = opts.coverage || opts.threshold.is_some();
    let inline;
    let (checked, name) = match &test.program_text {
        Some(text) => {
            let name = format!("{}#{}", tf.path.display(), test.name);
            let parsed = crate::syntax::parse_limited(&name, text, &opts.syntax);
            inline = crate::check::check(&parsed);
            (&inline, name)
        }
        None => match file_program {
            Ok((c, n)) => (c, n.clone()),
            Err(e) => return (Outcome::Error(e.clone()), None),
        },
    };
    let mut failures = Vec::new();
    if let Some(want) = &test.expect.diagnostic {
        failures.extend(problems::check_diagnostic(
            want,
            &checked.diagnostics,
            &checked.sources,
        ));
    }
    let program = match (&checked.program, checked.has_errors()) {
        (Some(p), false) => p,
        _ if test.expect.diagnostic.is_some() => {
            if test.expect.evaluates() {
                failures.push(Failure {
                    kind: "not_run",
                    message: "the program has errors, so the run's expectations cannot be checked"
                        .into(),
                    rows: Vec::new(),
                });
            }
            return (finish(failures), None);
        }
        _ => {
            let diags = crate::diagnostics::render_text(&checked.diagnostics, &checked.sources);
            return (
                Outcome::Error(format!(
                    "the program {name} has errors and the test expects none:\n{diags}"
                )),
                None,
            );
        }
    };
    if !test.expect.evaluates() {
        return (finish(failures), None);
    }
    let (Some(records), Some(as_of)) = (&test.records, test.as_of) else {
        return (
            Outcome::Error("the test gives no records or no as-of date".into()),
            None,
        );
    };
    let program = if test.set.is_empty() {
        std::borrow::Cow::Borrowed(program)
    } else {
        let overrides: Vec<crate::scenario::Override> = test
            .set
            .iter()
            .map(|(name, value)| crate::scenario::Override {
                name: name.clone(),
                value: value.clone(),
            })
            .collect();
        match crate::scenario::apply(program, &overrides) {
            Ok(p) => std::borrow::Cow::Owned(p),
            Err(e) => return (Outcome::Error(format!("`set`: {e}")), None),
        }
    };
    let mut options = Options::as_of(as_of);
    options.coverage = want_coverage;
    options.limits = opts.records;
    let evaluation = match records {
        Records::Inline(text) => evaluate(&program, text.as_bytes(), &options),
        Records::File(path) => match std::fs::File::open(path) {
            Ok(f) => evaluate(&program, std::io::BufReader::new(f), &options),
            Err(e) => {
                return (
                    Outcome::Error(format!("cannot read records {}: {e}", path.display())),
                    None,
                )
            }
        },
    };
    let evaluation = match evaluation {
        Ok(e) => e,
        Err(e) => return (Outcome::Error(format!("reading records: {e}")), None),
    };
    failures.extend(expect::check_ledger(&test.expect, &evaluation.ledger));
    let ran = test
        .program_text
        .is_none()
        .then_some((evaluation.coverage, evaluation.ledger.lines));
    (finish(failures), ran)
}

fn finish(failures: Vec<Failure>) -> Outcome {
    if failures.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(failures)
    }
}

fn coverage_of(
    found: &[PathBuf],
    named: &[PathBuf],
    opts: &RunOptions,
    programs: &mut BTreeMap<PathBuf, Loaded>,
    tallies: &BTreeMap<PathBuf, Tally>,
) -> Vec<ProgramCoverage> {
    let mut out = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    // Every program found, and every program a test file names; with a filter, only those
    // some selected test ran.
    for path in found.iter().chain(named) {
        let key = canonical(path);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        let tally = tallies.get(&key);
        if opts.filter.is_some() && tally.is_none() {
            continue;
        }
        let loaded = programs
            .entry(key)
            .or_insert_with(|| load_program(path, &opts.syntax));
        let Ok((checked, name)) = loaded else {
            continue;
        };
        let Some(program) = checked.program.as_ref().filter(|_| !checked.has_errors()) else {
            continue;
        };
        out.push(tally.cloned().unwrap_or_default().report(name, program));
    }
    out
}
