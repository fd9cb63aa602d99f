//! Syntax: `.rules` text → [`ast::Module`]s, with includes resolved and every syntax error
//! reported as a [`Diagnostic`]. Nothing outside this module sees a pest type.

pub mod ast;
mod decls;
mod error;
mod expr;
mod lower;
mod milestone;
pub mod term;
mod tokens;

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, SourceMap, Span};
use pest_derive::Parser;
use std::path::{Path, PathBuf};

/// The pest parser generated from `grammar/merit.pest`.
#[derive(Parser)]
#[grammar = "../grammar/merit.pest"]
pub(crate) struct MeritParser;

/// Limits that keep hostile rule files from exhausting memory or the stack. Diagnostics for
/// them (`M0004`) name the `merit` flag that raises each.
#[derive(Debug, Clone, Copy)]
pub struct SyntaxLimits {
    /// Largest rule file, in bytes (`--max-rule-bytes`).
    pub max_file_bytes: usize,
    /// Deepest nesting of `(`, `[` and `{`, and longest run of prefix `-` (`--max-rule-depth`).
    pub max_nesting: usize,
    /// Most files one program may include (`--max-rule-files`).
    pub max_files: usize,
    /// Most operators in one expression, nested groups included (`--max-rule-operators`). A
    /// chain of `n` operators nests `n` deep (`((a + b) + c) + ...`), so this bounds the depth
    /// of every recursion over the syntax tree (checking, evaluating, formatting, dropping).
    pub max_operators: usize,
}

impl SyntaxLimits {
    /// The highest [`SyntaxLimits::max_nesting`] the `merit` command accepts.
    pub const MAX_NESTING_CEILING: usize = 4096;
    /// The highest [`SyntaxLimits::max_operators`] the `merit` command accepts. Parsing,
    /// checking, formatting and evaluating recurse once per operator or bracket: at both
    /// ceilings they stay within the 64 MiB stack `merit` runs them on, with room to spare even
    /// in a debug build (`tests/hostile.rs`); code that calls the library on a smaller stack
    /// should keep to smaller limits.
    pub const MAX_OPERATORS_CEILING: usize = 4096;
}

impl Default for SyntaxLimits {
    fn default() -> Self {
        SyntaxLimits {
            max_file_bytes: 8 * 1024 * 1024,
            max_nesting: 64,
            max_files: 256,
            max_operators: 1024,
        }
    }
}

/// A parsed program: its sources, one module per file, and the syntax diagnostics.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Every file read (the main one first).
    pub sources: SourceMap,
    /// One module per file that parsed, with its file.
    pub modules: Vec<(FileId, ast::Module)>,
    /// Syntax and include problems.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a program given as text; `include`s are read from disk relative to `name` (with
/// [`read_rules`]).
pub fn parse(name: &str, text: &str) -> Parsed {
    parse_limited(name, text, &SyntaxLimits::default())
}

/// [`parse`] within `limits`.
pub fn parse_limited(name: &str, text: &str, limits: &SyntaxLimits) -> Parsed {
    parse_with(name, text, limits, &mut |p: &Path| {
        let file = std::fs::File::open(p)?;
        read_rules(file, limits)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    })
}

/// Reads a rule file without ever holding more than the size limit (a larger file gives a
/// text just over the limit, which parsing reports as M0004), drops a byte-order mark, and
/// refuses text that is not UTF-8, saying where (`line L, column C`).
pub fn read_rules(input: impl std::io::Read, limits: &SyntaxLimits) -> Result<String, String> {
    read_source(input, limits, false)
}

/// [`read_rules`], keeping a byte-order mark: the file as written, for `merit fmt`, which
/// gives it back as it came when it needs no change.
pub fn read_rules_as_written(
    input: impl std::io::Read,
    limits: &SyntaxLimits,
) -> Result<String, String> {
    read_source(input, limits, true)
}

fn read_source(
    input: impl std::io::Read,
    limits: &SyntaxLimits,
    keep_bom: bool,
) -> Result<String, String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    // One byte over the limit (and room for a byte-order mark) tells a file that is too large.
    let cap = u64::try_from(limits.max_file_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(4);
    input
        .take(cap)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let kept = if keep_bom { bytes.as_slice() } else { body };
    if body.len() > limits.max_file_bytes {
        // Longer than the limit whatever was cut: parsing reports M0004 on it.
        return Ok(String::from_utf8_lossy(kept).into_owned());
    }
    match std::str::from_utf8(body) {
        // `kept` is `body`, or a byte-order mark (UTF-8 itself) and `body`: nothing is lost.
        Ok(_) => Ok(String::from_utf8_lossy(kept).into_owned()),
        Err(e) => {
            let good = body.get(..e.valid_up_to()).unwrap_or_default();
            // Counts within the file: saturating is exact.
            let line = good
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                .saturating_add(1);
            let start = good
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i.saturating_add(1));
            let col = String::from_utf8_lossy(good.get(start..).unwrap_or_default())
                .chars()
                .count()
                .saturating_add(1);
            let byte = body.get(e.valid_up_to()).copied().unwrap_or(0);
            Err(format!(
                "line {line}, column {col}: byte 0x{byte:02X} is not UTF-8 text; save the file as UTF-8"
            ))
        }
    }
}

/// Parses a program, reading includes with `load`.
pub fn parse_with(
    name: &str,
    text: &str,
    limits: &SyntaxLimits,
    load: &mut dyn FnMut(&Path) -> std::io::Result<String>,
) -> Parsed {
    let mut sources = SourceMap::new();
    let mut modules = Vec::new();
    let mut diagnostics = Vec::new();
    let root = sources.add(name, text);
    let mut queue: Vec<(FileId, PathBuf)> = vec![(root, PathBuf::from(name))];
    let mut seen: Vec<PathBuf> = vec![normalize(Path::new(name))];
    while let Some((file, path)) = queue.pop() {
        let text = sources
            .get(file)
            .map(|f| f.text.clone())
            .unwrap_or_default();
        let Some(module) = parse_one(file, &text, limits, &mut diagnostics) else {
            continue;
        };
        for item in &module.items {
            let ast::Item::Include(inc) = item else {
                continue;
            };
            let target = path
                .parent()
                .unwrap_or_else(|| Path::new(""))
                .join(&inc.path);
            let key = normalize(&target);
            if seen.contains(&key) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::Include,
                        format!("`{}` is included twice", inc.path),
                        inc.span,
                    )
                    .note("already part of this program")
                    .help("remove this include; a file is read once"),
                );
                continue;
            }
            if seen.len() >= limits.max_files {
                diagnostics.push(
                    Diagnostic::new(
                        Code::Limit,
                        format!("more than {} files in one program", limits.max_files),
                        inc.span,
                    )
                    .help("the limit can be raised with --max-rule-files"),
                );
                continue;
            }
            match load(&target) {
                Ok(t) => {
                    seen.push(key);
                    let id = sources.add(target.display().to_string(), t);
                    queue.push((id, target));
                }
                Err(e) => diagnostics.push(
                    Diagnostic::new(
                        Code::Include,
                        format!("cannot read `{}`: {e}", target.display()),
                        inc.span,
                    )
                    .help("the path is relative to the file that includes it"),
                ),
            }
        }
        modules.push((file, module));
    }
    modules.sort_by_key(|(f, _)| *f);
    Parsed {
        sources,
        modules,
        diagnostics,
    }
}

fn normalize(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Parses one file's text into a module, or reports why it cannot.
fn parse_one(
    file: FileId,
    text: &str,
    limits: &SyntaxLimits,
    diags: &mut Vec<Diagnostic>,
) -> Option<ast::Module> {
    if text.len() > limits.max_file_bytes {
        diags.push(
            Diagnostic::new(
                Code::Limit,
                format!(
                    "the file is larger than the limit of {} bytes",
                    limits.max_file_bytes
                ),
                Span::new(file, 0, 0),
            )
            .help(
                "split the program into several files with `include`; the limit can be raised with --max-rule-bytes",
            ),
        );
        return None;
    }
    if let Some((at, nested)) = too_deep(text, limits.max_nesting) {
        let (what, help) = match nested {
            Nested::Brackets => (
                "brackets nest",
                "name part of the expression with `condition`; the limit can be raised with --max-rule-depth",
            ),
            // A program's blocks nest a few deep at most (`tiers { }` in a `reward { }`):
            // past a low limit that is all it is, past a high one a `{` was left open.
            Nested::Braces if limits.max_nesting < 8 => (
                "brackets nest",
                "blocks nest a few deep in a program (`tiers { }` in a `reward { }`): raise the limit with --max-rule-depth",
            ),
            Nested::Braces => (
                "brackets nest",
                "blocks nest only a few deep in a program: look for a `{` before this one that is never closed; the limit can be raised with --max-rule-depth",
            ),
            Nested::Minus => (
                "prefix `-` operators nest",
                "two `-` in a row cancel out (`- - x` is `x`); the limit can be raised with --max-rule-depth",
            ),
        };
        diags.push(
            Diagnostic::new(
                Code::Limit,
                format!("{what} more than {} deep", limits.max_nesting),
                Span::new(file, at, at.saturating_add(1)),
            )
            .help(help),
        );
        return None;
    }
    match <MeritParser as pest::Parser<Rule>>::parse(Rule::file, text) {
        Ok(pairs) => {
            let lower = lower::Lower::new(file, limits.max_operators);
            let module = lower.file(pairs);
            let (module, mut d) = lower.finish(module);
            let ok = d.is_empty();
            diags.append(&mut d);
            if ok {
                module
            } else {
                None
            }
        }
        Err(e) => {
            diags.extend(recover(file, text, e, limits));
            None
        }
    }
}

/// Recovery parses at most this many items after a syntax error.
const MAX_RECOVERED_ITEMS: usize = 200;

/// Top-level keywords: a line starting with one starts a new item.
const ITEM_STARTS: &[&str] = &[
    "program",
    "include",
    "param",
    "fields",
    "events",
    "table",
    "condition",
    "window",
    "eligible",
    "reject",
    "duplicates",
    "rates",
    "milestone",
    "reward",
];

/// After a syntax error, parses each top-level item on its own so that one run reports the
/// first error of every broken item, not only the first of the file.
fn recover(
    file: FileId,
    text: &str,
    first: pest::error::Error<Rule>,
    limits: &SyntaxLimits,
) -> Vec<Diagnostic> {
    let mut starts: Vec<usize> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let word = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if ITEM_STARTS.contains(&word) {
            starts.push(offset);
        }
        offset = offset.saturating_add(line.len());
    }
    let first_diag = error::syntax_error(file, text, first);
    if starts.len() < 2 {
        return vec![first_diag];
    }
    let mut out = Vec::new();
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    for (start, end) in starts.iter().copied().zip(ends).take(MAX_RECOVERED_ITEMS) {
        // Everything before the item becomes blanks (newlines kept), so spans stay true.
        let mut padded: String = text
            .get(..start)
            .unwrap_or("")
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        padded.push_str(text.get(start..end).unwrap_or(""));
        match <MeritParser as pest::Parser<Rule>>::parse(Rule::file, &padded) {
            Err(e) => out.push(error::syntax_error(file, &padded, e)),
            Ok(pairs) => {
                // Items that parse are still lowered, for invalid literals such as 2023-02-29.
                let lower = lower::Lower::new(file, limits.max_operators);
                let module = lower.file(pairs);
                let (_, mut d) = lower.finish(module);
                out.append(&mut d);
            }
        }
    }
    // The whole-file error comes first if the item-by-item pass did not find it.
    if !out.iter().any(|d| d.span() == first_diag.span()) {
        out.insert(0, first_diag);
    }
    out
}

/// What nests too deeply.
enum Nested {
    /// `(`, `[`, or a `{` opened inside them.
    Brackets,
    /// A `{` that passes the limit outside any `(` or `[`: blocks, not an expression.
    Braces,
    /// A run of prefix `-`.
    Minus,
}

/// The byte offset where bracket nesting (or a run of `-`) first exceeds `max`, ignoring
/// strings and comments.
fn too_deep(text: &str, max: usize) -> Option<(usize, Nested)> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    let mut prefix_run = 0usize;
    // Open `(` and `[`: a `{` past the limit with none open is a block, not an expression.
    let mut open_round = 0usize;
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => in_comment = true,
            '(' | '[' | '{' => {
                depth = depth.saturating_add(1);
                if c != '{' {
                    open_round = open_round.saturating_add(1);
                }
                if depth > max {
                    let what = if c == '{' && open_round == 0 {
                        Nested::Braces
                    } else {
                        Nested::Brackets
                    };
                    return Some((i, what));
                }
            }
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                if c != '}' {
                    open_round = open_round.saturating_sub(1);
                }
            }
            _ => {}
        }
        // Long runs of prefix `-` (`- - - x`) nest just as deeply (runs of `not` are bounded by
        // the operator limit).
        if c == '-' {
            prefix_run = prefix_run.saturating_add(1);
            if prefix_run > max {
                return Some((i, Nested::Minus));
            }
        } else if !c.is_whitespace() {
            prefix_run = 0;
        }
    }
    None
}
