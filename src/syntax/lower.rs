//! Lowering pest pairs into the AST: one function per grammar rule, named after it.
//!
//! Each function matches on the rules of its children instead of assuming their order, so a
//! grammar change shows up as an "internal" diagnostic rather than a panic. Literal values that
//! the grammar accepts but that do not exist (`2023-02-29`, a number beyond Decimal's range) are
//! reported as `M0002` (by the token helpers in `tokens.rs`).
//!
//! This file owns the lowering state (`Lower`), spans and internal diagnostics, and the `file`
//! and `item` rules. The other rules are `impl Lower` blocks in sibling files: `decls.rs` (the
//! header, its settings, includes and every declaration but milestones and rewards),
//! `milestone.rs` (milestones, `within` deadlines and reward heads), `expr.rs` (expressions and
//! reward clauses) and `tokens.rs` (names, paths, strings, numbers, dates, durations, money and
//! literals).

use super::ast::*;
use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::iterators::{Pair, Pairs};
use std::cell::RefCell;

pub(super) type P<'i> = Pair<'i, Rule>;

/// Lowering state for one file: its id and the problems found so far.
pub(super) struct Lower {
    pub(super) file: FileId,
    diags: RefCell<Vec<Diagnostic>>,
    /// How many `expr` lowerings are under way (0 outside expressions).
    pub(super) expr_depth: std::cell::Cell<usize>,
    /// [`super::SyntaxLimits::max_operators`].
    pub(super) max_operators: usize,
}

impl Lower {
    pub(super) fn new(file: FileId, max_operators: usize) -> Lower {
        Lower {
            file,
            diags: RefCell::new(Vec::new()),
            expr_depth: std::cell::Cell::new(0),
            max_operators,
        }
    }

    pub(super) fn finish<T>(self, value: T) -> (T, Vec<Diagnostic>) {
        (value, self.diags.into_inner())
    }

    /// The pair's span, without the white space and comments pest leaves at its end when an
    /// optional trailing part is absent.
    pub(super) fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        // `trimmed_len` is at most the pair's length: the sum is at most `s.end()`.
        Span::new(
            self.file,
            s.start(),
            s.start().saturating_add(trimmed_len(p.as_str())),
        )
    }

    pub(super) fn report(&self, d: Diagnostic) {
        self.diags.borrow_mut().push(d);
    }

    /// A pair the grammar should never produce here.
    pub(super) fn unexpected<T>(&self, p: &P, in_rule: &str) -> Option<T> {
        self.report(Diagnostic::new(
            Code::Syntax,
            format!("internal: unexpected {:?} in {in_rule}", p.as_rule()),
            self.span(p),
        ));
        None
    }

    /// A required child that is absent.
    pub(super) fn missing<T>(&self, span: Span, what: &str) -> Option<T> {
        self.report(Diagnostic::new(
            Code::Syntax,
            format!("internal: {what} missing"),
            span,
        ));
        None
    }

    /// `file`.
    pub(super) fn file(&self, pairs: Pairs<Rule>) -> Option<Module> {
        let mut items = Vec::new();
        for p in pairs.flat_map(|p| p.into_inner()) {
            if p.as_rule() == Rule::EOI {
                continue;
            }
            if let Some(item) = self.item(p) {
                items.push(item);
            }
        }
        Some(Module { items })
    }

    /// `item`.
    fn item(&self, p: P) -> Option<Item> {
        Some(match p.as_rule() {
            Rule::header => Item::Header(self.header(p)?),
            Rule::include => Item::Include(self.include(p)?),
            Rule::param => Item::Param(self.param(p)?),
            Rule::fields => Item::Fields(self.fields(p)),
            Rule::events => Item::Events(self.events(p)),
            Rule::table => Item::Table(self.table(p)?),
            Rule::condition => Item::Condition(self.condition(p)?),
            Rule::window => Item::Window(self.window(p)?),
            Rule::eligible => Item::Eligible(self.eligible(p)?),
            Rule::reject => Item::Reject(self.reject(p)?),
            Rule::duplicates => Item::Duplicates(self.duplicates(p)?),
            Rule::rates => Item::Rates(self.rates(p)?),
            Rule::milestone => Item::Milestone(self.milestone(p)?),
            Rule::reward => Item::Reward(self.reward(p)?),
            _ => return self.unexpected(&p, "file"),
        })
    }
}

/// The length of `text` without trailing white space and `#` comments.
fn trimmed_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    // A trailing comment line: drop it and the white space before it, repeatedly.
    // Offsets within `text`, so the additions cannot overflow.
    loop {
        let body = text.get(..end).unwrap_or(text);
        let last_line_start = body.rfind('\n').map_or(0, |i| i.saturating_add(1));
        let last_line = body.get(last_line_start..).unwrap_or_default();
        match comment_start(last_line).map(|c| last_line_start.saturating_add(c)) {
            Some(cut) if cut > 0 => {
                let new_end = body.get(..cut).unwrap_or(body).trim_end().len();
                if new_end == end {
                    return end;
                }
                end = new_end;
            }
            _ => return end,
        }
    }
}

/// Where a `#` comment starts in a line, outside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, '#') => return Some(i),
            _ => {}
        }
    }
    None
}
