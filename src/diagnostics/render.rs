//! Rendering diagnostics: text with the source line and a caret (for people), JSON (for tools)
//! and GitHub workflow annotations (for review).

use super::{Diagnostic, Severity};
use crate::source::SourceMap;
use serde::Serialize;
use std::fmt::Write as _;

/// Renders diagnostics as text, rustc-style:
///
/// ```text
/// error[M1103]: unknown field `referrer.helth_score`
///  --> program.rules:12:22
///    |
/// 12 | eligible referrer if referrer.helth_score >= 70
///    |                      ^^^^^^^^^^^^^^^^^^^^ not declared in `fields`
///    = help: did you mean `referrer.health_score`?
/// ```
pub fn render_text(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{sev}[{}]: {}", d.code, d.message);
        let mut first = true;
        for label in &d.labels {
            let Some(file) = sources.get(label.span.file) else {
                continue;
            };
            let (line, col) = file.line_col(label.span.start as usize);
            let (end_line, end_col) = file.line_col(label.span.end as usize);
            let full = file.line_text(line);
            // Very long lines (generated or hostile files) are shown as a window around the column.
            let (shown, wcol, wend) = window(
                full,
                col,
                if end_line == line {
                    end_col
                } else {
                    col.saturating_add(1)
                },
            );
            let text = shown.as_str();
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            if first {
                let _ = writeln!(out, "{pad}--> {}:{line}:{col}", file.name);
                first = false;
            } else {
                let _ = writeln!(out, "{pad}::: {}:{line}:{col}", file.name);
            }
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{line} | {text}");
            let width = if end_line == line {
                wend.saturating_sub(wcol).max(1)
            } else {
                text.chars()
                    .count()
                    .saturating_sub(wcol.saturating_sub(1))
                    .max(1)
            };
            let mark = if label.primary { "^" } else { "-" };
            let underline = mark.repeat(width);
            let lead: String = text
                .chars()
                .take(wcol.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let note = if label.message.is_empty() {
                String::new()
            } else {
                format!(" {}", label.message)
            };
            let _ = writeln!(out, "{pad} | {lead}{underline}{note}");
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out.push('\n');
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.iter().filter(|d| !d.is_error()).count();
    let _ = writeln!(
        out,
        "{} error{}, {} warning{}",
        errors,
        if errors == 1 { "" } else { "s" },
        warnings,
        if warnings == 1 { "" } else { "s" }
    );
    out
}

/// Longest source line shown whole; longer ones are cut to a window around the mark.
const MAX_SHOWN: usize = 160;

/// The part of `line` to show, with the column and end column adjusted to it.
fn window(line: &str, col: usize, end_col: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= MAX_SHOWN {
        return (line.to_string(), col, end_col);
    }
    let start = col.saturating_sub(1).saturating_sub(MAX_SHOWN / 2);
    let end = start.saturating_add(MAX_SHOWN).min(chars.len());
    let mut shown: String = chars
        .get(start..end)
        .map(|c| c.iter().collect())
        .unwrap_or_default();
    let mut shift = start;
    if start > 0 {
        shown.insert(0, '…');
        shift = shift.saturating_sub(1);
    }
    if end < chars.len() {
        shown.push('…');
    }
    let new_col = col.saturating_sub(shift).max(1);
    let new_end = end_col
        .saturating_sub(shift)
        .min(new_col.saturating_add(MAX_SHOWN))
        .max(new_col.saturating_add(1));
    (shown, new_col, new_end)
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    primary: bool,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: super::Code,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

fn to_json<'a>(d: &'a Diagnostic, sources: &'a SourceMap) -> JsonDiagnostic<'a> {
    let labels: Vec<JsonLabel<'a>> = d
        .labels
        .iter()
        .filter_map(|l| {
            let f = sources.get(l.span.file)?;
            let (line, column) = f.line_col(l.span.start as usize);
            let (end_line, end_column) = f.line_col(l.span.end as usize);
            Some(JsonLabel {
                file: &f.name,
                line,
                column,
                end_line,
                end_column,
                message: &l.message,
                primary: l.primary,
            })
        })
        .collect();
    let (file, line, column) = labels
        .iter()
        .find(|l| l.primary)
        .map(|l| (l.file, l.line, l.column))
        .unwrap_or(("", 0, 0));
    JsonDiagnostic {
        code: d.code,
        severity: d.severity,
        message: &d.message,
        file,
        line,
        column,
        labels,
        help: d.help.as_deref(),
    }
}

/// Renders diagnostics as one JSON document `{"diagnostics": [...], "errors": n, "warnings": n}`.
pub fn render_json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    render_json_for(None, diags, sources)
}

/// Like [`render_json`], with the checked file named first (`"file": ...`): one document of
/// `merit check --format json` on several files.
pub fn render_json_for(file: Option<&str>, diags: &[Diagnostic], sources: &SourceMap) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<&'a str>,
        diagnostics: Vec<JsonDiagnostic<'a>>,
        errors: usize,
        warnings: usize,
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let doc = Doc {
        file,
        diagnostics: diags.iter().map(|d| to_json(d, sources)).collect(),
        errors,
        warnings: diags.iter().filter(|d| !d.is_error()).count(),
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// Renders diagnostics as GitHub Actions workflow commands (`::error file=...,line=...::msg`).
pub fn render_github(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let j = to_json(d, sources);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str(" (");
            msg.push_str(h);
            msg.push(')');
        }
        let msg = msg
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        // Property values escape `:` and `,` too, or a path holding them ends the property.
        let file = j
            .file
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
            .replace(':', "%3A")
            .replace(',', "%2C");
        let _ = writeln!(
            out,
            "::{level} file={file},line={},col={},title={}::{msg}",
            j.line, j.column, d.code
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;
    use crate::source::Span;

    #[test]
    fn github_annotations_escape_the_file_property() {
        let mut sources = SourceMap::new();
        let file = sources.add("dir,with:colon/50%.rules", "reward x\n");
        let d = Diagnostic::new(Code::DoublePay, "two\nlines", Span::new(file, 0, 6));
        let out = render_github(&[d], &sources);
        assert!(
            out.starts_with("::warning file=dir%2Cwith%3Acolon/50%25.rules,line=1,col=1,"),
            "{out}"
        );
        assert!(out.contains("::two%0Alines"), "{out}");
    }
}
