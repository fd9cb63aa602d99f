//! Expected record problems and check diagnostics, compared with what the run and the check
//! reported.

use super::expect::{assign, Failure, Row};
use crate::diagnostics::{Code, Diagnostic};
use crate::records::RecordProblem;
use crate::source::SourceMap;
use serde::Deserialize;

/// An expected record problem: every key named must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemPattern {
    /// The record's id.
    pub record_id: Option<String>,
    /// The field at fault.
    pub field: Option<String>,
    /// The 1-based line (for inline records: the line within the `records` array).
    pub line: Option<u64>,
    /// A part of the message.
    pub message: Option<String>,
}

impl ProblemPattern {
    /// True when it names nothing.
    pub fn is_empty(&self) -> bool {
        *self == ProblemPattern::default()
    }

    fn parts(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(l) = self.line {
            out.push(("line", l.to_string()));
        }
        if let Some(r) = &self.record_id {
            out.push(("record_id", r.clone()));
        }
        if let Some(f) = &self.field {
            out.push(("field", f.clone()));
        }
        if let Some(m) = &self.message {
            out.push(("message", m.clone()));
        }
        out
    }

    fn part_matches(key: &str, want: &str, p: &RecordProblem) -> bool {
        match key {
            "line" => p.line.to_string() == want,
            "record_id" => p.record_id.as_deref() == Some(want),
            "field" => p.field.as_deref() == Some(want),
            _ => p.message.contains(want),
        }
    }

    fn matches(&self, p: &RecordProblem) -> bool {
        self.parts()
            .iter()
            .all(|(k, w)| Self::part_matches(k, w, p))
    }
}

fn problem_part(p: &RecordProblem, key: &str) -> String {
    match key {
        "line" => p.line.to_string(),
        "record_id" => p.record_id.clone().unwrap_or_else(|| "(none)".into()),
        "field" => p.field.clone().unwrap_or_else(|| "(none)".into()),
        _ => p.message.clone(),
    }
}

/// An expected check diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosticPattern {
    /// Its code.
    pub code: Code,
    /// Its line in the program, if named.
    pub line: Option<usize>,
    /// A part of its message, if named.
    pub message: Option<String>,
}

pub(super) fn check_problems(
    want: Option<&[ProblemPattern]>,
    actual: &[RecordProblem],
) -> Vec<Failure> {
    let want = want.unwrap_or(&[]);
    let accepts: Vec<Vec<usize>> = want
        .iter()
        .map(|p| {
            actual
                .iter()
                .enumerate()
                .filter(|(_, a)| p.matches(a))
                .map(|(j, _)| j)
                .collect()
        })
        .collect();
    let assigned = assign(&accepts, actual.len());
    let mut out = Vec::new();
    for (p, a) in want.iter().zip(&assigned) {
        if a.is_some() {
            continue;
        }
        let parts = p.parts();
        let closest = actual.iter().max_by_key(|q| {
            parts
                .iter()
                .filter(|(k, w)| ProblemPattern::part_matches(k, w, q))
                .count()
        });
        out.push(Failure {
            kind: "missing_problem",
            message: "an expected record problem was not reported".into(),
            rows: parts
                .iter()
                .map(|(k, w)| Row {
                    field: k.to_string(),
                    expected: if *k == "message" {
                        format!("…{w}…")
                    } else {
                        w.clone()
                    },
                    actual: closest.map_or_else(|| "(no problem)".into(), |q| problem_part(q, k)),
                    differs: !closest.is_some_and(|q| ProblemPattern::part_matches(k, w, q)),
                })
                .collect(),
        });
    }
    for (j, p) in actual.iter().enumerate() {
        if assigned.contains(&Some(j)) {
            continue;
        }
        out.push(Failure {
            kind: "unexpected_problem",
            message: format!("unexpected record problem: {p}"),
            rows: ["line", "record_id", "field", "message"]
                .iter()
                .map(|k| Row {
                    field: k.to_string(),
                    expected: "—".into(),
                    actual: problem_part(p, k),
                    differs: true,
                })
                .collect(),
        });
    }
    out
}

/// Checks that the program's diagnostics include the expected one.
pub fn check_diagnostic(
    want: &DiagnosticPattern,
    diags: &[Diagnostic],
    sources: &SourceMap,
) -> Option<Failure> {
    let line_of = |d: &Diagnostic| sources.locate(d.span()).map(|(_, l, _)| l);
    let found = diags.iter().any(|d| {
        d.code == want.code
            && want.line.is_none_or(|l| line_of(d) == Some(l))
            && want
                .message
                .as_ref()
                .is_none_or(|m| d.message.contains(m.as_str()))
    });
    if found {
        return None;
    }
    let describe = |d: &Diagnostic| match line_of(d) {
        Some(l) => format!("{} (line {l}): {}", d.code, d.message),
        None => format!("{}: {}", d.code, d.message),
    };
    let mut expected = want.code.to_string();
    if let Some(l) = want.line {
        expected.push_str(&format!(" (line {l})"));
    }
    if let Some(m) = &want.message {
        expected.push_str(&format!(": …{m}…"));
    }
    let mut rows: Vec<Row> = diags
        .iter()
        .enumerate()
        .map(|(i, d)| Row {
            field: "diagnostic".into(),
            expected: if i == 0 {
                expected.clone()
            } else {
                String::new()
            },
            actual: describe(d),
            differs: true,
        })
        .collect();
    if rows.is_empty() {
        rows.push(Row {
            field: "diagnostic".into(),
            expected: expected.clone(),
            actual: "(the program checks clean)".into(),
            differs: true,
        });
    }
    Some(Failure {
        kind: "diagnostic",
        message: format!("the check did not report {expected}"),
        rows,
    })
}
