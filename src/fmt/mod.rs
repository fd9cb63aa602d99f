//! `merit fmt`: one canonical layout for `.rules` files.
//!
//! [`fn@format`] parses a file (a file with syntax errors is never formatted), prints its syntax
//! tree in the canonical layout (see `docs/fmt.md`), puts every comment back, then parses its
//! own output and refuses to return it unless the program is the same (spans aside, see
//! [`equivalent`]) and no comment was lost. Formatting is idempotent: formatting the output
//! again changes nothing.
//!
//! - [`scan`](self): comments, code positions, blank lines and braces, from the source text;
//! - `print`: the syntax tree as lines; `expr`: expressions and literals as text;
//! - `layout`: how comments attach to lines, alignment, blank lines;
//! - `same`: the span-erasing comparison; [`diff`]: a line diff for `merit fmt --diff`.

pub mod diff;
pub(crate) mod expr;
mod layout;
mod print;
mod same;
mod scan;

pub use same::{equivalent, normalize};

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::{ast::Module, parse_with, Parsed, SyntaxLimits};

/// Why a file was not formatted.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The file does not parse; it is left as it is.
    #[error("{} syntax error(s); the file is left as it is", diagnostics.len())]
    Syntax {
        /// The syntax diagnostics.
        diagnostics: Vec<Diagnostic>,
        /// The source, for rendering them.
        sources: SourceMap,
    },
    /// The formatted text would not mean the same program (a bug in the formatter); nothing
    /// may be written.
    #[error("formatting would change the program ({detail}); the file is left as it is")]
    MeaningChanged {
        /// What differs.
        detail: String,
    },
}

/// Parses one file on its own: includes are not read (they are formatted as their own files).
fn parse_alone(name: &str, text: &str, limits: &SyntaxLimits) -> Parsed {
    let mut parsed = parse_with(name, text, limits, &mut |_| Ok(String::new()));
    parsed
        .diagnostics
        .retain(|d| d.code != Code::Include && d.span().file == FileId(0));
    parsed
}

/// The module of the main file.
fn root(parsed: Parsed) -> Result<Module, FormatError> {
    let found = parsed
        .modules
        .into_iter()
        .find(|(f, _)| *f == FileId(0))
        .map(|(_, m)| m);
    match (found, parsed.diagnostics.is_empty()) {
        (Some(m), true) => Ok(m),
        (_, _) => {
            let mut diagnostics = parsed.diagnostics;
            if diagnostics.is_empty() {
                diagnostics.push(Diagnostic::new(
                    Code::Syntax,
                    "the file could not be read as a program",
                    Span::default(),
                ));
            }
            Err(FormatError::Syntax {
                diagnostics,
                sources: parsed.sources,
            })
        }
    }
}

/// The text of `module` (parsed from `source`) in the canonical layout, comments included.
fn print(module: &Module, source: &str) -> String {
    let scan = scan::Scan::new(source);
    let mut printer = print::Printer::new(&scan);
    printer.items(&module.items);
    layout::render(printer.lines, &scan)
}

/// Formats one `.rules` file. `name` is only used in diagnostics.
///
/// Returns the canonical text, or why the file cannot be formatted: it has syntax errors, or
/// (a formatter bug, caught before anything is written) the output would not parse to the same
/// program or would lose a comment.
pub fn format(name: &str, source: &str) -> Result<String, FormatError> {
    format_with(name, source, &SyntaxLimits::default())
}

/// [`fn@format`], parsing within `limits` (the formatted text is parsed again within them too).
pub fn format_with(name: &str, source: &str, limits: &SyntaxLimits) -> Result<String, FormatError> {
    let before = root(parse_alone(name, source, limits))?;
    let out = print(&before, source);
    let after = root(parse_alone(name, &out, limits)).map_err(|e| FormatError::MeaningChanged {
        detail: match e {
            FormatError::Syntax { diagnostics, .. } => format!(
                "the formatted text does not parse: {}",
                diagnostics.first().map_or("", |d| d.message.as_str())
            ),
            other => other.to_string(),
        },
    })?;
    if let Some(i) = same::first_difference(&before, &after) {
        return Err(FormatError::MeaningChanged {
            detail: format!("declaration {} would differ", i.saturating_add(1)),
        });
    }
    let comments = |text: &str| {
        let mut all: Vec<String> = scan::Scan::new(text)
            .comments
            .into_iter()
            .map(|c| c.text)
            .collect();
        all.sort();
        all
    };
    if comments(source) != comments(&out) {
        return Err(FormatError::MeaningChanged {
            detail: "a comment would be lost".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(s: &str) -> String {
        match format("t.rules", s) {
            Ok(s) => s,
            Err(e) => panic!("{e}: {e:?}"),
        }
    }

    #[test]
    fn parentheses_only_where_needed() {
        let src =
            "condition c = (a and (b or c)) or (not (x == 1)) and -(y * 2) > (- z) + (-(3))\n";
        assert_eq!(
            fmt(src),
            "condition c = a and (b or c) or not x == 1 and -(y * 2) > -z + -(3)\n"
        );
        let src = "condition d = a == (not b) and (a - (b - c)) * (2% of x) is present\n";
        assert_eq!(
            fmt(src),
            "condition d = a == (not b) and (a - (b - c)) * (2% of x) is present\n"
        );
    }

    #[test]
    fn numbers_keep_their_digits() {
        let src = "param a = 1.50\nparam b = 007\nparam c = 2.500 USD\nparam d = 1 days\n";
        assert_eq!(
            fmt(src),
            "param a = 1.50\nparam b = 7\nparam c = 2.500 USD\nparam d = 1 day\n"
        );
    }

    #[test]
    fn syntax_errors_are_not_formatted() {
        assert!(matches!(
            format("t.rules", "param = 3"),
            Err(FormatError::Syntax { .. })
        ));
    }

    #[test]
    fn spans_and_setting_order_do_not_count() {
        let a = parse_alone(
            "a",
            "program \"p\" { timezone \"UTC\" version \"1\" }\nparam x = 1",
            &SyntaxLimits::default(),
        );
        let b = parse_alone(
            "b",
            "program \"p\" {\n  version 1\n  timezone \"UTC\"\n}\n\nparam   x=1",
            &SyntaxLimits::default(),
        );
        let c = parse_alone(
            "c",
            "program \"p\" { version 1 timezone \"UTC\" }\nparam x = 1.0",
            &SyntaxLimits::default(),
        );
        let (a, b, c) = (root(a), root(b), root(c));
        match (a, b, c) {
            (Ok(a), Ok(b), Ok(c)) => {
                assert!(equivalent(&a, &b));
                assert!(!equivalent(&a, &c));
            }
            _ => panic!("parse"),
        }
    }
}
