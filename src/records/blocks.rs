//! Reading JSON Lines in big blocks: the reader only finds the last newline of each block and
//! counts the lines in it; splitting a block into lines, checking UTF-8 and decoding happen on
//! the worker that receives it. The lines are exactly the ones [`super::read_raw`] gives (same
//! numbers, same problems for lines over the length limit or not valid UTF-8, blank lines
//! skipped); input that does not start with `{` (a JSON array, leading blank lines) is left to
//! [`super::read_raw`].

use super::{RecordLimits, RecordProblem};
use std::io::Read;

/// Bytes read per block (a block always ends at a line end).
pub const BLOCK_BYTES: usize = 1 << 19;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whole lines of JSON Lines input.
#[derive(Debug, Default)]
pub struct Block {
    /// Number of the block's first line (1-based).
    pub first_line: u64,
    /// The bytes, ending with a newline except for the input's last line.
    pub data: Vec<u8>,
}

/// What [`read_blocks`] found at the start of the input.
pub enum Start<R> {
    /// JSON Lines: every block was given to the sink.
    Lines,
    /// Something else (a JSON array, blank lines first): nothing was given to the sink; the
    /// input, with the bytes already read put back in front, is to be read by
    /// [`super::read_raw`].
    Other(std::io::Chain<std::io::Cursor<Vec<u8>>, R>),
}

/// Reads `input` in blocks of about `block_bytes`, gives each to `sink` (which returns false to
/// stop), and reports lines too long to hold (longer than a block and over the limit) to
/// `problem`. Each such line counts as a record read, like in [`super::read_raw`].
pub fn read_blocks<R: Read>(
    mut input: R,
    limits: &RecordLimits,
    block_bytes: usize,
    mut sink: impl FnMut(Block) -> bool,
    mut problem: impl FnMut(RecordProblem),
) -> std::io::Result<Start<R>> {
    let block_bytes = block_bytes.max(64);
    let mut buf: Vec<u8> = Vec::with_capacity(block_bytes);
    let mut line = 1u64;
    let mut eof = fill(&mut input, &mut buf, block_bytes)?;
    let head = buf.strip_prefix(BOM).unwrap_or(&buf);
    // `read_raw` treats the first line specially (byte-order mark, array detection, and a
    // first line that is too long leaves the next one "first"): anything but a plain first
    // line that fits in a block goes to it.
    let first_fits = match find_newline(&buf) {
        Some(i) => i < limits.max_line_bytes,
        None => eof && buf.len() <= limits.max_line_bytes,
    };
    if head.first() != Some(&b'{') || !first_fits {
        return Ok(Start::Other(std::io::Cursor::new(buf).chain(input)));
    }
    let mut target = block_bytes;
    loop {
        if buf.is_empty() && eof {
            return Ok(Start::Lines);
        }
        match last_newline(&buf) {
            Some(end) => {
                // `end < buf.len()`: the block is `..=end`, the next one starts with the rest.
                let cut = end.saturating_add(1);
                let mut next = Vec::with_capacity(block_bytes);
                next.extend_from_slice(buf.get(cut..).unwrap_or_default());
                buf.truncate(cut);
                let lines = count_newlines(&buf);
                let block = Block {
                    first_line: line,
                    data: std::mem::replace(&mut buf, next),
                };
                // Line numbers saturate: no input has 2^64 lines.
                line = line.saturating_add(lines);
                if !sink(block) {
                    return Ok(Start::Lines);
                }
                target = block_bytes;
            }
            None if eof => {
                let block = Block {
                    first_line: line,
                    data: std::mem::take(&mut buf),
                };
                sink(block);
                return Ok(Start::Lines);
            }
            None if buf.len() > limits.max_line_bytes => {
                // Too long to keep: skip to its end, holding none of it.
                eof = skip_line(&mut input, &mut buf)?;
                problem(too_long(line, limits));
                line = line.saturating_add(1);
                target = block_bytes;
                if !buf.is_empty() || !eof {
                    continue;
                }
                return Ok(Start::Lines);
            }
            None => {
                // One line longer than a block so far: read more of it.
                target = target
                    .saturating_mul(2)
                    .min(limits.max_line_bytes.saturating_add(2));
            }
        }
        if !eof {
            let want = target.max(buf.len().saturating_add(1));
            eof = fill(&mut input, &mut buf, want)?;
        }
    }
}

/// Reads until `buf` holds `target` bytes or the input ends; true at the end of input.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>, target: usize) -> std::io::Result<bool> {
    while let Some(want) = target.checked_sub(buf.len()).filter(|&w| w > 0) {
        let want = want as u64;
        match input.by_ref().take(want).read_to_end(buf) {
            Ok(0) => return Ok(true),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Drops the rest of the current line (whose start is in `buf`); leaves in `buf` what follows
/// its newline. True at the end of input.
fn skip_line(input: &mut impl Read, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    buf.clear();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let Some(read) = chunk.get(..n) else {
            return Ok(true);
        };
        if read.is_empty() {
            return Ok(true);
        }
        if let Some((_, after)) = split_line(read) {
            buf.extend_from_slice(after);
            return Ok(false);
        }
    }
}

fn too_long(line: u64, limits: &RecordLimits) -> RecordProblem {
    RecordProblem {
        line,
        record_id: None,
        field: None,
        message: format!(
            "the line is longer than the limit of {} bytes",
            limits.max_line_bytes
        ),
    }
}

fn last_newline(b: &[u8]) -> Option<usize> {
    memchr::memrchr(b'\n', b)
}

fn count_newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// The first `\n` (memchr: vectorised where the CPU allows).
pub fn find_newline(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', b)
}

/// The text before the first `\n` and what follows it.
fn split_line(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (line, from_newline) = b.split_at_checked(find_newline(b)?)?;
    Some((line, from_newline.get(1..).unwrap_or_default()))
}

/// One line of a block: its number and text, or the problem that stops it being read.
pub type LineResult<'a> = Result<&'a str, RecordProblem>;

/// Calls `f` for every non-blank line of a block, in order, exactly as [`super::read_raw`]
/// would give them: lines over the limit and lines that are not UTF-8 are problems.
pub fn for_each_line<'a>(
    block: &'a Block,
    limits: &RecordLimits,
    mut f: impl FnMut(u64, LineResult<'a>),
) {
    let mut rest: &'a [u8] = &block.data;
    let mut line = block.first_line;
    while !rest.is_empty() {
        // The line's length counts its newline: `line.len() + 1 > max` is `line.len() >= max`.
        let (mut bytes, too_long_line, next) = match split_line(rest) {
            Some((line, after)) => (line, line.len() >= limits.max_line_bytes, after),
            None => (rest, rest.len() > limits.max_line_bytes, &[][..]),
        };
        rest = next;
        let this = line;
        line = line.saturating_add(1);
        if too_long_line {
            f(this, Err(too_long(this, limits)));
            continue;
        }
        if this == 1 {
            bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        }
        while let Some(b) = bytes
            .strip_suffix(b"\n")
            .or_else(|| bytes.strip_suffix(b"\r"))
        {
            bytes = b;
        }
        // Checked with SIMD; std's check only for a line that fails, for the byte it names.
        match simdutf8::basic::from_utf8(bytes).or_else(|_| std::str::from_utf8(bytes)) {
            Ok(text) if text.trim().is_empty() => {}
            Ok(text) => f(this, Ok(text)),
            Err(e) => f(
                this,
                Err(RecordProblem {
                    line: this,
                    record_id: None,
                    field: None,
                    message: format!(
                        "the line is not valid UTF-8 (byte {})",
                        e.valid_up_to().saturating_add(1)
                    ),
                }),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{read_raw, RawRecord};

    /// What reading gives for one line.
    type Read = Result<RawRecord, RecordProblem>;

    /// Lines as `read_raw` gives them, and as blocks of every size give them.
    fn both(input: &[u8], max: usize) -> (Vec<Read>, Vec<Vec<Read>>) {
        let limits = RecordLimits {
            max_line_bytes: max,
            ..RecordLimits::default()
        };
        let mut want = Vec::new();
        read_raw(input, &limits, |r| want.push(r)).unwrap_or_default();
        let mut all = Vec::new();
        for size in [1usize, 3, 7, 16, 64, 100, 1 << 20] {
            let mut got = Vec::new();
            let mut blocks = Vec::new();
            let start = read_blocks(
                input,
                &limits,
                size,
                |b| {
                    blocks.push(b);
                    true
                },
                |p| got.push((p.line, Err(p))),
            );
            match start {
                Ok(Start::Lines) => {}
                _ => continue,
            }
            for b in &blocks {
                for_each_line(b, &limits, |n, r| {
                    got.push((
                        n,
                        r.map(|t| RawRecord {
                            line: n,
                            text: t.to_string(),
                        }),
                    ))
                });
            }
            got.sort_by_key(|(n, _)| *n);
            all.push(got.into_iter().map(|(_, r)| r).collect());
        }
        (want, all)
    }

    #[test]
    fn blocks_give_the_lines_read_raw_gives() {
        let long = format!("{{\"id\":\"{}\"}}\n", "x".repeat(300));
        let inputs: Vec<Vec<u8>> = vec![
            b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n".to_vec(),
            b"\xEF\xBB\xBF{\"id\":\"a\"}\r\n\r\n  \n{\"id\":\"b\"}".to_vec(),
            b"{\"a\":1}\n\xFF\xFE\n{\"b\":2}\r\r\n".to_vec(),
            format!("{{}}\n{long}{{}}\n{long}").into_bytes(),
            format!("{long}{long}{{}}").into_bytes(),
            b"{}\n\xEF\xBB\xBF{}\n\t\n".to_vec(),
        ];
        for input in &inputs {
            for max in [20usize, 120, 400, 1 << 20] {
                let (want, all) = both(input, max);
                for got in all {
                    assert_eq!(got, want, "{:?} max {max}", String::from_utf8_lossy(input));
                }
            }
        }
    }

    /// Lines long enough for the SIMD check, with a bad byte (or a good multi-byte character)
    /// before, inside and after its 32- and 64-byte steps: the same lines and the same byte
    /// numbers as `read_raw`, which checks with std.
    #[test]
    fn utf8_problems_name_the_byte_wherever_it_is() {
        let mut input = Vec::new();
        for at in [0usize, 1, 30, 31, 32, 33, 63, 64, 65, 100, 127, 128, 200] {
            for bad in [
                &b"\xFF"[..],
                b"\xC3",
                b"\xE2\x82",
                b"\xC3\xA9",
                b"\xE2\x82\xAC",
            ] {
                let mut line = b"{\"id\":\"".to_vec();
                line.extend(std::iter::repeat_n(b'x', at));
                line.extend_from_slice(bad);
                line.extend(std::iter::repeat_n(b'y', 40));
                line.extend_from_slice(b"\"}\n");
                input.extend_from_slice(&line);
            }
        }
        let (want, all) = both(&input, 1 << 20);
        assert!(want.iter().any(|r| r.is_ok()), "valid multi-byte lines");
        assert!(want.iter().any(|r| r.is_err()), "bad lines");
        for got in all {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn other_starts_are_left_to_read_raw() {
        for input in [&b"[{}]"[..], b"\n{}", b"", b" {}"] {
            let start = read_blocks(input, &RecordLimits::default(), 16, |_| true, |_| {});
            assert!(matches!(start, Ok(Start::Other(_))));
        }
    }

    #[test]
    fn finds_newlines_anywhere() {
        for n in 0..40 {
            let mut v = vec![b'a'; n];
            assert_eq!(find_newline(&v), None);
            v.push(b'\n');
            v.extend_from_slice(b"bb\n");
            assert_eq!(find_newline(&v), Some(n));
        }
    }
}
