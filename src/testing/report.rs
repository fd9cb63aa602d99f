//! Text and JSON reports of a test run.

use super::coverage::ProgramCoverage;
use super::expect::{Failure, Row};
use super::{Counts, Outcome, Report};
use serde::Serialize;
use std::fmt::Write as _;

/// The report for people: each test, failures with expected and actual side by side, the
/// coverage, and a count line.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.files {
        let _ = writeln!(out, "{}  (program {})", f.test_file, f.program);
        if let Some(e) = &f.error {
            let _ = writeln!(out, "  ERROR  the test file cannot be used");
            indent(&mut out, e, 9);
        }
        for t in &f.tests {
            match &t.outcome {
                Outcome::Passed => {
                    let _ = writeln!(out, "  ok     {}", t.name);
                }
                Outcome::Failed(failures) => {
                    let _ = writeln!(out, "  FAIL   {}", t.name);
                    for fail in failures {
                        failure_text(&mut out, fail);
                    }
                }
                Outcome::Error(e) => {
                    let _ = writeln!(out, "  ERROR  {}", t.name);
                    indent(&mut out, e, 9);
                }
            }
        }
        out.push('\n');
    }
    for u in &report.untested {
        let _ = writeln!(out, "no tests: {u}");
    }
    if !report.untested.is_empty() {
        out.push('\n');
    }
    if let Some(cov) = &report.coverage {
        coverage_text(&mut out, cov, report);
    }
    let c = report.counts();
    let _ = write!(
        out,
        "{} test{}: {} passed, {} failed, {} error{}",
        c.tests,
        if c.tests == 1 { "" } else { "s" },
        c.passed,
        c.failed,
        c.errors,
        if c.errors == 1 { "" } else { "s" }
    );
    match c.bad_files {
        0 => out.push('\n'),
        1 => out.push_str("; 1 test file cannot be used\n"),
        n => {
            let _ = writeln!(out, "; {n} test files cannot be used");
        }
    }
    out
}

fn indent(out: &mut String, text: &str, n: usize) {
    let pad = " ".repeat(n);
    for l in text.trim_end().lines() {
        let _ = writeln!(out, "{pad}{l}");
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize) -> String {
    let mut p = s.to_string();
    p.push_str(&" ".repeat(w.saturating_sub(width(s))));
    p
}

/// One failure: its sentence, then a two-column table of expected beside actual; rows that
/// differ are marked with `✗`.
fn failure_text(out: &mut String, f: &Failure) {
    indent(out, &f.message, 9);
    if f.rows.is_empty() {
        return;
    }
    table(out, &f.rows, 11);
}

fn table(out: &mut String, rows: &[Row], margin: usize) {
    let fw = rows
        .iter()
        .map(|r| width(&r.field))
        .max()
        .unwrap_or(0)
        .max(5);
    let ew = rows
        .iter()
        .map(|r| width(&r.expected))
        .max()
        .unwrap_or(0)
        .max(8);
    let aw = rows
        .iter()
        .map(|r| width(&r.actual))
        .max()
        .unwrap_or(0)
        .max(6);
    let lead = " ".repeat(margin);
    let _ = writeln!(
        out,
        "{lead}  {} │ {} │ actual",
        pad("field", fw),
        pad("expected", ew)
    );
    let _ = writeln!(
        out,
        "{lead}  {}─┼─{}─┼─{}",
        "─".repeat(fw),
        "─".repeat(ew),
        "─".repeat(aw)
    );
    for r in rows {
        let mark = if r.differs { "✗" } else { " " };
        let _ = writeln!(
            out,
            "{lead}{mark} {} │ {} │ {}",
            pad(&r.field, fw),
            pad(&r.expected, ew),
            r.actual
        );
    }
}

fn coverage_text(out: &mut String, cov: &[ProgramCoverage], report: &Report) {
    let _ = writeln!(out, "coverage");
    let (mut covered, mut total) = (0u64, 0u64);
    for p in cov {
        covered = covered.saturating_add(p.covered);
        total = total.saturating_add(p.total);
        let _ = writeln!(
            out,
            "  {}: {}/{} branches ({}%)",
            p.program, p.covered, p.total, p.percent
        );
        let rows: Vec<(&str, String, &super::coverage::Item)> = p
            .items
            .iter()
            .map(|item| match &item.parts {
                None => ("·", "not collected".to_string(), item),
                Some(parts) => {
                    let hit = parts.iter().filter(|p| p.count > 0).count();
                    let mark = if hit == parts.len() {
                        "✓"
                    } else if hit == 0 {
                        "✗"
                    } else {
                        "~"
                    };
                    let counts = parts
                        .iter()
                        .map(|p| format!("{} {}", p.name, p.count))
                        .collect::<Vec<_>>()
                        .join(", ");
                    (mark, counts, item)
                }
            })
            .collect();
        let cw = rows.iter().map(|(_, c, _)| width(c)).max().unwrap_or(0);
        for (mark, counts, item) in &rows {
            let _ = writeln!(
                out,
                "    {mark} {:<9}  {}  {}",
                item.group.word(),
                pad(counts, cw),
                item.label
            );
        }
        if !p.conditions_collected {
            let _ = writeln!(
                out,
                "    (milestones and conditions were not collected; the percentage counts rewards and bands only)"
            );
        }
    }
    if cov.len() > 1 {
        let _ = writeln!(
            out,
            "  all programs: {covered}/{total} branches ({}%)",
            super::coverage::percent(covered, total)
        );
    }
    if let Some(t) = report.threshold {
        let below = report.below_threshold();
        if below.is_empty() {
            let _ = writeln!(out, "  every program meets the threshold of {t}%");
        }
        for p in below {
            let _ = writeln!(
                out,
                "  below the threshold of {t}%: {} ({}%)",
                p.program, p.percent
            );
        }
    }
    out.push('\n');
}

#[derive(Serialize)]
struct JsonTest<'a> {
    name: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    failures: Option<&'a [Failure]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    test_file: &'a str,
    program: &'a str,
    error: Option<&'a str>,
    tests: Vec<JsonTest<'a>>,
}

#[derive(Serialize)]
struct JsonCoverage<'a> {
    threshold: Option<u64>,
    programs: &'a [ProgramCoverage],
    below_threshold: Vec<&'a str>,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    summary: Counts,
    exit_code: i32,
    files: Vec<JsonFile<'a>>,
    untested: &'a [String],
    coverage: Option<JsonCoverage<'a>>,
}

/// The report as one JSON document: `{summary, exit_code, files: [{test_file, program, error,
/// tests: [{name, status, failures?, error?}]}], untested, coverage}`.
pub fn render_json(report: &Report) -> String {
    let files = report
        .files
        .iter()
        .map(|f| JsonFile {
            test_file: &f.test_file,
            program: &f.program,
            error: f.error.as_deref(),
            tests: f
                .tests
                .iter()
                .map(|t| match &t.outcome {
                    Outcome::Passed => JsonTest {
                        name: &t.name,
                        status: "passed",
                        failures: None,
                        error: None,
                    },
                    Outcome::Failed(fs) => JsonTest {
                        name: &t.name,
                        status: "failed",
                        failures: Some(fs),
                        error: None,
                    },
                    Outcome::Error(e) => JsonTest {
                        name: &t.name,
                        status: "error",
                        failures: None,
                        error: Some(e),
                    },
                })
                .collect(),
        })
        .collect();
    let doc = JsonDoc {
        summary: report.counts(),
        exit_code: report.exit_code(),
        files,
        untested: &report.untested,
        coverage: report.coverage.as_deref().map(|programs| JsonCoverage {
            threshold: report.threshold,
            programs,
            below_threshold: report
                .below_threshold()
                .iter()
                .map(|p| p.program.as_str())
                .collect(),
        }),
    };
    let mut s = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    s.push('\n');
    s
}

/// A failure as plain text (for JUnit bodies): the sentence and the side-by-side table.
pub(super) fn failure_plain(f: &Failure) -> String {
    let mut out = String::new();
    out.push_str(&f.message);
    out.push('\n');
    if !f.rows.is_empty() {
        table(&mut out, &f.rows, 0);
    }
    out
}
