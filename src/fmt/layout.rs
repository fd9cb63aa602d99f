//! Output lines, and how comments find their place among them.
//!
//! The printer lays the program out as [`Line`]s, each standing for a range of the source (its
//! code, and for continuation lines the gap before it). Comments are then attached by position:
//!
//! - a comment after code on its source line *trails* the output line that holds that code;
//! - a comment on its own line directly under a trailing comment, at least as far right, is
//!   that comment's *continuation* and stays under it;
//! - any other own-line comment *leads* the output line whose range contains it, or else the
//!   next output line in source order (or the end of the file), at that line's indentation.
//!
//! Trailing comments on consecutive lines are aligned in one column. Blank lines are kept (at
//! most one) only where a line allows them: before a declaration or a clause, and before the
//! comments that lead one; never right after a `{` or at the start of the file.
//!
//! Arithmetic here is on line numbers, columns and counts of a rule file that parsed (at most
//! `SyntaxLimits::max_file_bytes`) and of its output lines: none of it can overflow, so the
//! module allows `clippy::arithmetic_side_effects`. Indexing is still checked.
#![allow(clippy::arithmetic_side_effects)]

use super::scan::Scan;

/// Where a blank line from the source may be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blank {
    /// Never (continuation lines, header settings).
    Never,
    /// Before the comments that lead this line, not before the line (a closing `}`).
    CommentsOnly,
    /// Before the line and before its leading comments (declarations, clauses).
    Always,
}

/// One output line.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// Indentation, in spaces.
    pub indent: usize,
    /// The code, without indentation.
    pub text: String,
    /// First source byte this line stands for.
    pub lo: u32,
    /// One past the last.
    pub hi: u32,
    /// Where blank lines may be kept.
    pub blank: Blank,
    /// Indentation of the comments placed before this line.
    pub comment_indent: usize,
    /// The line ends with `{`: what follows never starts with a blank line.
    pub opens: bool,
    leading: Vec<usize>,
    trailing: Vec<usize>,
}

impl Line {
    /// A line of code at `indent`, standing for the source bytes `lo..hi`.
    pub fn new(indent: usize, text: String, lo: u32, hi: u32, blank: Blank) -> Line {
        Line {
            indent,
            text,
            lo,
            hi,
            blank,
            comment_indent: indent,
            opens: false,
            leading: Vec::new(),
            trailing: Vec::new(),
        }
    }
}

/// A line as written out.
struct Out {
    text: String,
    trailing: Vec<String>,
    blank_before: bool,
}

/// Attaches every comment of `scan` to `lines` and renders the whole text.
pub(crate) fn render(mut lines: Vec<Line>, scan: &Scan) -> String {
    let dangling = attach(&mut lines, scan);
    let mut out: Vec<Out> = Vec::new();
    let mut at_start = true;
    let comment = |i: usize| scan.comments.get(i);
    for line in &lines {
        // A blank line before this line in the source; it moves up to the first comment taken
        // from inside the line's range (a comment within an expression printed on one line).
        let mut line_blank = line.blank == Blank::Always && scan.blank_before(line.lo);
        for &c in &line.leading {
            let Some(c) = comment(c) else { continue };
            let blank = if c.start > line.lo {
                std::mem::take(&mut line_blank)
            } else {
                line.blank != Blank::Never && scan.blank_before(c.start)
            };
            out.push(Out {
                text: format!("{}{}", " ".repeat(line.comment_indent), c.text),
                trailing: Vec::new(),
                blank_before: !at_start && blank,
            });
            at_start = false;
        }
        out.push(Out {
            text: format!("{}{}", " ".repeat(line.indent), line.text),
            trailing: line
                .trailing
                .iter()
                .filter_map(|&c| comment(c).map(|c| c.text.clone()))
                .collect(),
            blank_before: !at_start && line_blank,
        });
        at_start = line.opens;
    }
    for c in dangling.iter().filter_map(|&c| comment(c)) {
        out.push(Out {
            text: c.text.clone(),
            trailing: Vec::new(),
            blank_before: !at_start && scan.blank_before(c.start),
        });
        at_start = false;
    }
    write(&out)
}

/// Attaches comments to lines; returns the comments left for the end of the file.
fn attach(lines: &mut [Line], scan: &Scan) -> Vec<usize> {
    // Lines by where their range starts (then ends); ties keep their order.
    let mut ranges: Vec<(u32, u32, usize)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.lo, l.hi, i))
        .collect();
    ranges.sort_by_key(|&(lo, hi, _)| (lo, hi));
    let los: Vec<u32> = ranges.iter().map(|&(lo, _, _)| lo).collect();
    let by_lo: Vec<usize> = ranges.iter().map(|&(_, _, i)| i).collect();
    // The line whose range starts last at or before `pos`.
    let before = |pos: u32| {
        los.partition_point(|&lo| lo <= pos)
            .checked_sub(1)
            .and_then(|k| by_lo.get(k).copied())
    };
    let mut dangling = Vec::new();
    // The line the previous comment trails, if it does.
    let mut trailing_line: Option<usize> = None;
    for (ci, c) in scan.comments.iter().enumerate() {
        let prev = ci.checked_sub(1).and_then(|p| scan.comments.get(p));
        if let (Some(l), Some(p)) = (trailing_line, prev) {
            if c.own_line && p.line + 1 == c.line && c.col >= p.col {
                if let Some(line) = lines.get_mut(l) {
                    line.trailing.push(ci);
                }
                continue;
            }
        }
        if !c.own_line {
            let last_code = scan.prev_code_end(c.start).saturating_sub(1);
            let target = before(last_code).or_else(|| by_lo.first().copied());
            if let Some((l, line)) = target.and_then(|l| Some((l, lines.get_mut(l)?))) {
                line.trailing.push(ci);
                trailing_line = Some(l);
                continue;
            }
        }
        trailing_line = None;
        let inside = before(c.start).filter(|&l| lines.get(l).is_some_and(|x| c.start < x.hi));
        let next = || {
            let k = los.partition_point(|&lo| lo < c.end);
            by_lo.get(k).copied()
        };
        match inside.or_else(next).and_then(|l| lines.get_mut(l)) {
            Some(line) => line.leading.push(ci),
            None => dangling.push(ci),
        }
    }
    dangling
}

/// Writes lines out, aligning the trailing comments of consecutive lines in one column.
fn write(out: &[Out]) -> String {
    let width = |s: &str| s.chars().count();
    let mut cols = vec![0usize; out.len()];
    let mut i = 0;
    while let Some(first) = out.get(i) {
        if first.trailing.is_empty() {
            i += 1;
            continue;
        }
        // Lines `i..=j` have their trailing comments in one column.
        let mut j = i;
        while let (Some(cur), Some(next)) = (out.get(j), out.get(j + 1)) {
            if cur.trailing.len() != 1 || next.trailing.is_empty() || next.blank_before {
                break;
            }
            j += 1;
        }
        let group = out.get(i..=j).unwrap_or_default();
        let col = group.iter().map(|o| width(&o.text)).max().unwrap_or(0) + 2;
        if let Some(cs) = cols.get_mut(i..=j) {
            cs.iter_mut().for_each(|c| *c = col);
        }
        i = j + 1;
    }
    let mut s = String::new();
    for (o, &col) in out.iter().zip(&cols) {
        if o.blank_before {
            s.push('\n');
        }
        s.push_str(&o.text);
        for (k, t) in o.trailing.iter().enumerate() {
            if k > 0 {
                s.push('\n');
                s.push_str(&" ".repeat(col));
            } else {
                s.push_str(&" ".repeat(col.saturating_sub(width(&o.text))));
            }
            s.push_str(t);
        }
        s.push('\n');
    }
    s
}
