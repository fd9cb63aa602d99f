//! A unified-style line diff (longest common subsequence), for `merit fmt --diff`.
//!
//! Arithmetic here is on line counts and indices of two texts already in memory (a rule file
//! that parsed, so at most `SyntaxLimits::max_file_bytes`, and its formatted form), and on LCS
//! lengths bounded by those counts; the table is at most `MAX_CELLS` cells. None of it can
//! overflow, so the module allows `clippy::arithmetic_side_effects`; indexing is still checked.
#![allow(clippy::arithmetic_side_effects)]

/// Lines of context around each change.
const CONTEXT: usize = 3;
/// Beyond this many table cells the changed middle is aligned window by window.
const MAX_CELLS: usize = 4_000_000;
/// Lines of each side aligned at once when the whole middle is too large.
const WINDOW: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Del,
    Ins,
}

/// An optimal alignment of `a` and `b` (longest common subsequence); quadratic in size.
fn lcs(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len(), b.len());
    let w = m + 1;
    // table[i * w + j]: the longest common subsequence of a[i..] and b[j..]; row n and
    // column m stay 0.
    let mut table = vec![0u32; (n + 1) * w];
    let at = |t: &[u32], i: usize, j: usize| t.get(i * w + j).copied().unwrap_or(0);
    for (i, x) in a.iter().enumerate().rev() {
        for (j, y) in b.iter().enumerate().rev() {
            let v = if x == y {
                at(&table, i + 1, j + 1) + 1
            } else {
                at(&table, i + 1, j).max(at(&table, i, j + 1))
            };
            if let Some(cell) = table.get_mut(i * w + j) {
                *cell = v;
            }
        }
    }
    let mut ops = Vec::with_capacity(n + m);
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                ops.push(Op::Same);
                i += 1;
                j += 1;
            }
            (Some(_), None) => {
                ops.push(Op::Del);
                i += 1;
            }
            (Some(_), Some(_)) if at(&table, i + 1, j) >= at(&table, i, j + 1) => {
                ops.push(Op::Del);
                i += 1;
            }
            (_, Some(_)) => {
                ops.push(Op::Ins);
                j += 1;
            }
            (None, None) => break,
        }
    }
    ops
}

/// An alignment of large inputs: each step aligns the next [`WINDOW`] lines of both sides and
/// keeps the first half of that alignment. Not always optimal, always a correct edit script.
fn windowed(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < a.len() || j < b.len() {
        let (ea, eb) = ((i + WINDOW).min(a.len()), (j + WINDOW).min(b.len()));
        // `i <= ea` and `j <= eb`: both windows exist.
        let (Some(wa), Some(wb)) = (a.get(i..ea), b.get(j..eb)) else {
            break;
        };
        let local = lcs(wa, wb);
        let last = ea == a.len() && eb == b.len();
        let (mut di, mut dj) = (0, 0);
        for op in local {
            if !last && (di >= WINDOW / 2 || dj >= WINDOW / 2) {
                break;
            }
            match op {
                Op::Same => {
                    di += 1;
                    dj += 1;
                }
                Op::Del => di += 1,
                Op::Ins => dj += 1,
            }
            ops.push(op);
        }
        i += di;
        j += dj;
    }
    ops
}

/// The edit script turning `a` into `b`, with each step's old and new line index.
fn script(a: &[&str], b: &[&str]) -> Vec<(Op, usize, usize)> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a_rest, b_rest) = (
        a.get(prefix..).unwrap_or_default(),
        b.get(prefix..).unwrap_or_default(),
    );
    let suffix = a_rest
        .iter()
        .rev()
        .zip(b_rest.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    // `suffix` is at most the length of either rest.
    let ma = a_rest.get(..a_rest.len() - suffix).unwrap_or_default();
    let mb = b_rest.get(..b_rest.len() - suffix).unwrap_or_default();
    let mut ops: Vec<Op> = vec![Op::Same; prefix];
    if (ma.len() + 1).saturating_mul(mb.len() + 1) > MAX_CELLS {
        ops.extend(windowed(ma, mb));
    } else {
        ops.extend(lcs(ma, mb));
    }
    ops.resize(ops.len() + suffix, Op::Same);
    let (mut i, mut j) = (0, 0);
    ops.into_iter()
        .map(|op| {
            let step = (op, i, j);
            match op {
                Op::Same => {
                    i += 1;
                    j += 1;
                }
                Op::Del => i += 1,
                Op::Ins => j += 1,
            }
            step
        })
        .collect()
}

/// A unified diff from `old` to `new` (empty when they are equal), headed by the two names.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_terminator('\n').collect();
    let b: Vec<&str> = new.split_terminator('\n').collect();
    let steps = script(&a, &b);
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    let mut changes = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.0 != Op::Same)
        .map(|(k, _)| k)
        .peekable();
    if changes.peek().is_none() {
        out.push_str("@@ only the final line break differs @@\n");
        return out;
    }
    // Each hunk: a change with its context, joined with the changes whose context touches it.
    while let Some(first) = changes.next() {
        let start = first.saturating_sub(CONTEXT);
        let mut end = (first + CONTEXT + 1).min(steps.len());
        while let Some(&next) = changes.peek() {
            if next.saturating_sub(CONTEXT) > end {
                break;
            }
            end = (next + CONTEXT + 1).min(steps.len());
            changes.next();
        }
        let hunk = steps.get(start..end).unwrap_or_default();
        let Some(&(_, oi, ni)) = hunk.first() else {
            continue;
        };
        let old_len = hunk.iter().filter(|s| s.0 != Op::Ins).count();
        let new_len = hunk.iter().filter(|s| s.0 != Op::Del).count();
        let at = |idx: usize, len: usize| if len == 0 { idx } else { idx + 1 };
        out.push_str(&format!(
            "@@ -{},{old_len} +{},{new_len} @@\n",
            at(oi, old_len),
            at(ni, new_len)
        ));
        for &(op, i, j) in hunk {
            let (mark, line) = match op {
                Op::Same => (' ', a.get(i)),
                Op::Del => ('-', a.get(i)),
                Op::Ins => ('+', b.get(j)),
            };
            out.push(mark);
            out.push_str(line.copied().unwrap_or(""));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn hunks_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let new = "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
        assert_eq!(
            unified(old, new, "x", "y"),
            "--- x\n+++ y\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -8,3 +8,4 @@\n h\n i\n j\n+k\n"
        );
        assert_eq!(unified(old, old, "x", "y"), "");
        assert_eq!(
            unified("", "a\n", "x", "y"),
            "--- x\n+++ y\n@@ -0,0 +1,1 @@\n+a\n"
        );
    }

    #[test]
    fn large_inputs_are_aligned_window_by_window() {
        let a: Vec<String> = (0..5000).map(|i| format!("line {}", i % 7)).collect();
        let mut b = a.clone();
        for k in (0..b.len()).step_by(97) {
            b[k] = format!("changed {k}");
        }
        b.insert(2500, "inserted".into());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let b: Vec<&str> = b.iter().map(String::as_str).collect();
        let steps = super::windowed(&a, &b);
        // Replaying the script on `a` gives `b`.
        let (mut i, mut j) = (0, 0);
        for op in &steps {
            match op {
                super::Op::Same => {
                    assert_eq!(a[i], b[j]);
                    i += 1;
                    j += 1;
                }
                super::Op::Del => i += 1,
                super::Op::Ins => j += 1,
            }
        }
        assert_eq!((i, j), (a.len(), b.len()));
        let changed = steps.iter().filter(|o| **o != super::Op::Same).count();
        assert!(changed < 200, "{changed} changed lines");
    }
}
