//! The one diagnostic type every stage converts into, and its renderings.
//!
//! Stages keep their own error enums (syntax, check); each converts into [`Diagnostic`], which is
//! pure data: a stable [`codes`] entry, a severity, a message in the program designer's terms,
//! labelled spans and an optional hint. [`render_text`] and [`render_json`] turn a list of them
//! into what `merit check` prints.

pub mod codes;
mod render;
mod sarif;

pub use codes::Code;
pub use render::{render_github, render_json, render_json_for, render_text};
pub use sarif::render_sarif;

use crate::source::Span;
use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The program is wrong; no money may move.
    Error,
    /// Probably a mistake (likely double pay, unused parameter); `--deny-warnings` makes it fail.
    Warning,
}

/// A span with a short note on what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is wrong there (may be empty).
    pub message: String,
    /// The main label is drawn with `^`, secondary ones with `-`.
    pub primary: bool,
}

/// A problem found in a program, before any record is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code, documented in `docs/diagnostics.md`.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// One sentence in the designer's terms.
    pub message: String,
    /// Where; the first primary label gives `file:line:col`.
    pub labels: Vec<Label>,
    /// A hint: "did you mean `closed_won`?".
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with the code's default severity.
    pub fn new(code: Code, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            labels: vec![Label {
                span,
                message: String::new(),
                primary: true,
            }],
            help: None,
        }
    }

    /// Sets the primary label's note.
    pub fn note(mut self, message: impl Into<String>) -> Diagnostic {
        if let Some(l) = self.labels.first_mut() {
            l.message = message.into();
        }
        self
    }

    /// Adds a secondary label.
    pub fn also(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Sets the hint.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the hint when there is one.
    pub fn maybe_help(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// The primary span.
    pub fn span(&self) -> Span {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
            .unwrap_or_default()
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics by file, position and code, so output is stable.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let (sa, sb) = (a.span(), b.span());
        (sa.file, sa.start, a.code, &a.message).cmp(&(sb.file, sb.start, b.code, &b.message))
    });
}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Vec<(usize, &str)> = Vec::new();
    for c in candidates {
        let d = edit_distance(word, c);
        let limit = (word.chars().count().max(c.chars().count()) / 3).max(1);
        if d > limit || c == word {
            continue;
        }
        match best.first() {
            Some((bd, _)) if d > *bd => {}
            Some((bd, _)) if d < *bd => best = vec![(d, c)],
            _ => best.push((d, c)),
        }
    }
    best.sort_unstable();
    best.dedup();
    match best.as_slice() {
        [] => None,
        [(_, c)] => Some(format!("did you mean `{c}`?")),
        [(_, a), (_, b)] => Some(format!("did you mean `{a}` or `{b}`?")),
        many => {
            let names: Vec<String> = many.iter().take(4).map(|(_, c)| format!("`{c}`")).collect();
            Some(format!("did you mean one of {}?", names.join(", ")))
        }
    }
}

/// [`did_you_mean`], or, when no candidate is close, the list to choose from: a word from a
/// closed set always gets a hint.
pub fn one_of<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    did_you_mean(word, candidates.clone()).unwrap_or_else(|| {
        let all: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
        format!("write one of {}", all.join(", "))
    })
}

/// Levenshtein distance between two strings, by characters. Two rows of the table: `prev`
/// for the characters of `a` so far, `cur` for one more; every entry is at most
/// `max(len a, len b)`, so the additions saturate only in theory.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = Vec::with_capacity(prev.len());
    for (i, ca) in a.chars().enumerate() {
        cur.clear();
        let mut left = i.saturating_add(1);
        cur.push(left);
        // `diag` is prev[j], `up` is prev[j + 1], `left` is cur[j].
        for (cb, (&diag, &up)) in b.iter().zip(prev.iter().zip(prev.iter().skip(1))) {
            let cost = usize::from(ca != *cb);
            left = diag
                .saturating_add(cost)
                .min(up.saturating_add(1))
                .min(left.saturating_add(1));
            cur.push(left);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(b.len())
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distances() {
        for (a, b, d) in [
            ("kitten", "sitting", 3),
            ("flaw", "lawn", 2),
            ("", "abc", 3),
            ("abc", "", 3),
            ("", "", 0),
            ("eligible", "eligible", 0),
            ("émile", "emile", 1),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a} {b}");
            assert_eq!(edit_distance(b, a), d, "{b} {a}");
        }
    }
}
