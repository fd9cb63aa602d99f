//! What the grammar throws away, recovered from the source text: comments, where code is, where
//! blank lines are, and where braces are.
//!
//! The parser drops comments and white space, and the spans of rules that end in an optional
//! part run on over the white space *and comments* after them. The formatter therefore never
//! uses a span as is: [`Scan::trim`] shrinks it to the code it covers.

use crate::source::Span;

/// A `# comment`, as written.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    /// Byte offset of the `#`.
    pub start: u32,
    /// Byte offset just past the comment's text (before the line break).
    pub end: u32,
    /// The text from `#` on, without trailing white space.
    pub text: String,
    /// Nothing but white space before it on its line.
    pub own_line: bool,
    /// 0-based line number.
    pub line: usize,
    /// 0-based column, in characters.
    pub col: usize,
}

/// The comments and code runs of one source text.
pub(crate) struct Scan<'a> {
    text: &'a str,
    /// Every comment, in source order.
    pub comments: Vec<Comment>,
    /// Maximal runs of code bytes (strings count as code, white space inside them too), in order.
    runs: Vec<(u32, u32)>,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

// Offsets below are within the text of a rule file that parsed (at most
// `SyntaxLimits::max_file_bytes`): the saturating additions never saturate.

/// Skips a string that starts at `i` (on its `"`); returns the offset just past it.
fn skip_string(b: &[u8], start: usize) -> usize {
    let mut i = start.saturating_add(1);
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' if b.get(i.saturating_add(1)).is_some_and(|&n| n != b'\n') => {
                i = i.saturating_add(2);
            }
            b'"' => return i.saturating_add(1),
            b'\n' => return i,
            _ => i = i.saturating_add(1),
        }
    }
    i
}

/// The end of the comment that starts at `i` (the offset of its line break, or the end).
fn skip_comment(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
        .map_or(b.len(), |p| i.saturating_add(p))
}

impl<'a> Scan<'a> {
    /// Scans `text`.
    pub fn new(text: &'a str) -> Scan<'a> {
        let b = text.as_bytes();
        let mut comments = Vec::new();
        let mut runs = Vec::new();
        let mut run: Option<usize> = None;
        let (mut line, mut line_start) = (0usize, 0usize);
        let mut i = 0;
        let close = |run: &mut Option<usize>, runs: &mut Vec<(u32, u32)>, at: usize| {
            if let Some(s) = run.take() {
                runs.push((to_u32(s), to_u32(at)));
            }
        };
        while let Some(&c) = b.get(i) {
            match c {
                b'\n' => {
                    close(&mut run, &mut runs, i);
                    line = line.saturating_add(1);
                    i = i.saturating_add(1);
                    line_start = i;
                }
                b' ' | b'\t' | b'\r' => {
                    close(&mut run, &mut runs, i);
                    i = i.saturating_add(1);
                }
                b'#' => {
                    close(&mut run, &mut runs, i);
                    let end = skip_comment(b, i);
                    let raw = text.get(i..end).unwrap_or("").trim_end();
                    let before = text.get(line_start..i).unwrap_or("");
                    comments.push(Comment {
                        start: to_u32(i),
                        end: to_u32(i.saturating_add(raw.len())),
                        text: raw.to_string(),
                        own_line: before.trim().is_empty(),
                        line,
                        col: before.chars().count(),
                    });
                    i = end;
                }
                b'"' => {
                    run.get_or_insert(i);
                    i = skip_string(b, i);
                }
                _ => {
                    run.get_or_insert(i);
                    i = i.saturating_add(1);
                }
            }
        }
        close(&mut run, &mut runs, b.len());
        Scan {
            text,
            comments,
            runs,
        }
    }

    /// The length of the text.
    pub fn len(&self) -> u32 {
        to_u32(self.text.len())
    }

    /// The end of the last code before `pos` (0 if none).
    pub fn prev_code_end(&self, pos: u32) -> u32 {
        let i = self.runs.partition_point(|r| r.0 < pos);
        match i.checked_sub(1).and_then(|i| self.runs.get(i)) {
            Some(&(_, end)) => end.min(pos),
            None => 0,
        }
    }

    /// The start of the first code at or after `pos` (the end of the text if none).
    pub fn next_code_start(&self, pos: u32) -> u32 {
        let i = self.runs.partition_point(|r| r.1 <= pos);
        match self.runs.get(i) {
            Some(&(start, _)) => start.max(pos),
            None => self.len(),
        }
    }

    /// A span shrunk to the code it covers: `(first code byte, one past the last)`.
    pub fn trim(&self, span: Span) -> (u32, u32) {
        let lo = self.next_code_start(span.start);
        let hi = self.prev_code_end(span.end).max(lo);
        (lo, hi)
    }

    /// True when the white space just before `pos` holds an empty line.
    pub fn blank_before(&self, pos: u32) -> bool {
        let b = self.text.as_bytes();
        let mut newlines = 0u32;
        // Walks back over the white space before `pos`; `rest` ends where it stops.
        let mut rest = b.get(..(pos as usize).min(b.len())).unwrap_or_default();
        while let Some((&c, head)) = rest.split_last() {
            match c {
                b'\n' => newlines = newlines.saturating_add(1),
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            rest = head;
        }
        newlines >= 2 && !rest.is_empty()
    }

    /// The code between two offsets, comments and white space left out and the rest joined by
    /// single spaces: what stands between two operands (`of`, `*`).
    pub fn code_between(&self, from: u32, to: u32) -> String {
        let b = self.text.as_bytes();
        let to = (to as usize).min(b.len());
        let mut out = String::new();
        let mut i = from as usize;
        while let Some(&c) = b.get(i).filter(|_| i < to) {
            match c {
                b'#' => i = skip_comment(b, i),
                b' ' | b'\t' | b'\r' | b'\n' => {
                    if !out.ends_with(' ') && !out.is_empty() {
                        out.push(' ');
                    }
                    i = i.saturating_add(1);
                }
                _ => {
                    let start = i;
                    while i < to
                        && b.get(i)
                            .is_some_and(|c| !matches!(c, b'#' | b' ' | b'\t' | b'\r' | b'\n'))
                    {
                        i = i.saturating_add(1);
                    }
                    out.push_str(self.text.get(start..i).unwrap_or(""));
                }
            }
        }
        out.trim_end().to_string()
    }

    /// The first `{` at or after `from` (outside strings and comments), before `to`.
    pub fn open_brace(&self, from: u32, to: u32) -> Option<u32> {
        let b = self.text.as_bytes();
        let to = (to as usize).min(b.len());
        let mut i = from as usize;
        while let Some(&c) = b.get(i).filter(|_| i < to) {
            match c {
                b'{' => return Some(to_u32(i)),
                b'"' => i = skip_string(b, i),
                b'#' => i = skip_comment(b, i),
                _ => i = i.saturating_add(1),
            }
        }
        None
    }

    /// The `}` that closes the `{` at `open`.
    pub fn close_brace(&self, open: u32) -> Option<u32> {
        let b = self.text.as_bytes();
        let mut depth = 0usize;
        let mut i = open as usize;
        while let Some(&c) = b.get(i) {
            match c {
                b'{' => {
                    depth = depth.saturating_add(1);
                    i = i.saturating_add(1);
                }
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(to_u32(i));
                    }
                    i = i.saturating_add(1);
                }
                b'"' => i = skip_string(b, i),
                b'#' => i = skip_comment(b, i),
                _ => i = i.saturating_add(1),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    #[test]
    fn comments_strings_and_runs() {
        let s = Scan::new("a \"b # c\" # d\n  # e\nf");
        let texts: Vec<_> = s.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["# d", "# e"]);
        assert!(!s.comments[0].own_line);
        assert!(s.comments[1].own_line);
        assert_eq!(s.comments[1].col, 2);
        assert_eq!(s.trim(Span::new(FileId(0), 0, 17)), (0, 9));
        assert_eq!(s.next_code_start(10), 20);
        assert!(!s.blank_before(20));
        assert!(Scan::new("a\n\n  b").blank_before(5));
        assert_eq!(Scan::new("a # x\n of b").code_between(1, 10), "of");
    }

    #[test]
    fn braces_skip_strings_and_comments() {
        let s = Scan::new("program \"{\" # {\n { a { } \"}\" }");
        let open = s.open_brace(0, s.len());
        assert_eq!(open, Some(17));
        assert_eq!(open.and_then(|o| s.close_brace(o)), Some(29));
    }
}
