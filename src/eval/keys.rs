//! Sort keys of the streamed run ([`super::stream`]): record ids escaped so that byte order is
//! id order, the key of a waiting line (time, id, reward, occurrence), and the pass that finds
//! record ids on more than one line from the sorted id entries.

use super::spill::{Chunk, Sorted};
use crate::records::RecordProblem;
use crate::time::Instant;
use std::collections::HashSet;

/// Finds ids on more than one line; reports each of their records.
pub(super) fn duplicate_ids(
    mut ids: Sorted,
    problems: &mut Vec<RecordProblem>,
) -> std::io::Result<HashSet<Vec<u8>>> {
    let mut dups = HashSet::new();
    let mut group: Vec<u8> = Vec::new();
    let mut lines: Vec<u64> = Vec::new();
    let mut flush = |group: &[u8], lines: &mut Vec<u64>, dups: &mut HashSet<Vec<u8>>| {
        lines.dedup();
        if lines.len() > 1 {
            let id = unescape_id(group);
            let message = duplicate_id_message(lines);
            for &line in lines.iter() {
                problems.push(RecordProblem {
                    line,
                    record_id: Some(id.clone()),
                    field: Some("id".into()),
                    message: message.clone(),
                });
            }
            dups.insert(group.to_vec());
        }
        lines.clear();
    };
    let mut m = ids.merge()?;
    while let Some((key, _)) = m.next()? {
        // Written by `id_entry`: the escaped id, then the line's eight bytes.
        let (id, line) = key.split_last_chunk::<8>().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "a temporary sort file was changed while merit was using it",
            )
        })?;
        if id != group.as_slice() {
            flush(&group, &mut lines, &mut dups);
            group.clear();
            group.extend_from_slice(id);
        }
        lines.push(u64::from_be_bytes(*line));
    }
    flush(&group, &mut lines, &mut dups);
    Ok(dups)
}

/// Lines named in full in a duplicated id's message; past them it says how many more.
const LINES_NAMED: usize = 10;

/// The problem of every record whose id is on more than one line (`lines`, in order): the
/// lines, or for an id on more than [`LINES_NAMED`] lines the first of them and how many in
/// all, so that a file whose every record has one id gets a message of bounded length per
/// record, not one as long as the file.
pub(super) fn duplicate_id_message(lines: &[u64]) -> String {
    let named: Vec<String> = lines.iter().take(LINES_NAMED).map(u64::to_string).collect();
    match lines
        .len()
        .checked_sub(LINES_NAMED)
        .filter(|more| *more > 0)
    {
        None => format!("the record id appears on lines {}", named.join(", ")),
        Some(more) => format!(
            "the record id appears on {} lines: {} and {more} more",
            lines.len(),
            named.join(", ")
        ),
    }
}

/// How one job's id entries ([`id_entry`]) came, in line order: the first and the last, and
/// whether each id was above the one before (or the same record's again). When every job's
/// ids rise and each job's first id is above the previous job's last, no id can be on two
/// lines, and the merge of [`duplicate_ids`] is not needed: input in id order (the usual
/// export) pays nothing at the end for the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IdSpan {
    first: Vec<u8>,
    first_line: u64,
    last: Vec<u8>,
    rising: bool,
}

impl IdSpan {
    /// Whether the job's ids rose, each above the one before (so none is on two of its lines).
    pub(super) fn rises(&self) -> bool {
        self.rising
    }

    /// The span of a job's id entries, in the order pushed; `None` when it has none.
    pub(super) fn of(ids: &Chunk) -> Option<IdSpan> {
        let mut keys = ids.keys().filter_map(|k| k.split_last_chunk::<8>());
        let (first, first_line) = keys.next()?;
        let mut span = IdSpan {
            first: first.to_vec(),
            first_line: u64::from_be_bytes(*first_line),
            last: Vec::new(),
            rising: true,
        };
        let (mut last, mut last_line) = (first, first_line);
        for (id, line) in keys {
            // A record with several problems pushes its id once per problem, on one line.
            let same_record = id == last && line == last_line;
            span.rising &= id > last || same_record;
            (last, last_line) = (id, line);
        }
        span.last = last.to_vec();
        Some(span)
    }
}

/// Whether the jobs' spans prove every id is on one line only (see [`IdSpan`]).
pub(super) fn ids_rise(spans: &mut [IdSpan]) -> bool {
    spans.sort_by_key(|s| s.first_line);
    spans.iter().all(|s| s.rising)
        && spans
            .iter()
            .zip(spans.iter().skip(1))
            .all(|(a, b)| a.last < b.first)
}

/// A record id in keys: bytes in order, 0 written as 0 0xFF, ended by 0 0. Byte order of the
/// escaped form is the order of the ids.
pub(super) fn escape_id(id: &str, out: &mut Vec<u8>) {
    for &b in id.as_bytes() {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

pub(super) fn unescape_id(escaped: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(escaped.len());
    let mut it = escaped.iter();
    while let Some(&b) = it.next() {
        if b == 0 && it.next() != Some(&0xFF) {
            break;
        }
        bytes.push(b);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// An id entry: the escaped id, then the line (so a group's lines come in order).
pub(super) fn id_entry(id: &str, line: u64, ids: &mut Chunk) {
    let arena = ids.arena_mut();
    let off = arena.len();
    escape_id(id, arena);
    arena.extend_from_slice(&line.to_be_bytes());
    let kend = arena.len();
    ids.push_written(off, kend);
}

/// A line's (or candidate's) key: earned time, escaped record id, reward, occurrence,
/// clawback; byte order is ledger order.
pub(super) fn line_key(
    at: &Instant,
    id: &str,
    reward: usize,
    occurrence: u32,
    claw: bool,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(&((at.timestamp() as u64) ^ (1 << 63)).to_be_bytes());
    out.extend_from_slice(&at.timestamp_subsec_nanos().to_be_bytes());
    escape_id(id, out);
    out.extend_from_slice(&(reward as u64).to_be_bytes());
    out.extend_from_slice(&occurrence.to_be_bytes());
    out.push(u8::from(claw));
}

/// The escaped record id of a line key (with its end marker).
pub(super) fn key_id(key: &[u8]) -> &[u8] {
    let rest = key.get(12..).unwrap_or_default();
    let mut bytes = rest.iter().enumerate();
    while let Some((_, &b)) = bytes.next() {
        if b == 0 {
            match bytes.next() {
                Some((_, 0xFF)) => {}
                // The end marker: the id runs to here.
                Some((end, _)) => return rest.get(..=end).unwrap_or(rest),
                None => return rest,
            }
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::{id_entry, ids_rise, IdSpan};
    use crate::eval::spill::Chunk;

    /// One job's span from `(id, line)` entries pushed in this order.
    fn span(entries: &[(&str, u64)]) -> IdSpan {
        let mut c = Chunk::default();
        for (id, line) in entries {
            id_entry(id, *line, &mut c);
        }
        IdSpan::of(&c).expect("entries")
    }

    #[test]
    fn ids_rise_only_when_no_id_can_be_on_two_lines() {
        let a = || span(&[("R1", 1), ("R2", 2), ("R2", 2), ("R5", 3)]);
        let b = || span(&[("R6", 4), ("R7", 5)]);
        // Jobs finish in any order: the spans are put in line order first.
        assert!(ids_rise(&mut [b(), a()]));
        assert!(ids_rise(&mut [a()]));
        assert!(ids_rise(&mut []));
        // The same id on two lines of one job, or ids out of order within it.
        assert!(!ids_rise(&mut [span(&[("R1", 1), ("R1", 2)])]));
        assert!(!ids_rise(&mut [span(&[("R2", 1), ("R1", 2)])]));
        // A job's first id not above the previous job's last: equal, or below.
        assert!(!ids_rise(&mut [a(), span(&[("R5", 4), ("R9", 5)])]));
        assert!(!ids_rise(&mut [a(), span(&[("R3", 4)])]));
        // "R10" sorts below "R9" as text: ids compare as bytes, not as numbers.
        assert!(!ids_rise(&mut [span(&[("R9", 1), ("R10", 2)])]));
    }

    #[test]
    fn a_duplicated_id_names_ten_lines_at_most() {
        use super::duplicate_id_message as m;
        assert_eq!(m(&[2, 3]), "the record id appears on lines 2, 3");
        let ten: Vec<u64> = (1..=10).collect();
        assert_eq!(
            m(&ten),
            "the record id appears on lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
        );
        let many: Vec<u64> = (1..=30_000).collect();
        assert_eq!(
            m(&many),
            "the record id appears on 30000 lines: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 29990 more"
        );
    }

    #[test]
    fn a_job_without_ids_has_no_span() {
        assert_eq!(IdSpan::of(&Chunk::default()), None);
    }

    #[test]
    fn zero_bytes_are_escaped_and_the_id_ends_with_two_zeros() {
        let cases: [(&str, &[u8]); 6] = [
            ("", &[0, 0]),
            ("R1", b"R1\0\0"),
            ("a\u{0}b", b"a\0\xFFb\0\0"),
            ("\u{0}", b"\0\xFF\0\0"),
            ("x\u{0}", b"x\0\xFF\0\0"),
            ("\u{0}\u{0}x", b"\0\xFF\0\xFFx\0\0"),
        ];
        for (id, want) in cases {
            let mut got = Vec::new();
            super::escape_id(id, &mut got);
            assert_eq!(got, want, "{id:?}");
        }
    }

    #[test]
    fn a_key_gives_back_its_escaped_id() {
        for id in ["R1", "", "a\u{0}b", "\u{0}", "\u{0}\u{0}x"] {
            let at = chrono::DateTime::parse_from_rfc3339("2025-03-01T09:00:00+01:00")
                .unwrap_or_else(|e| panic!("{e}"));
            let mut key = Vec::new();
            super::line_key(&at, id, 3, 0, true, &mut key);
            let mut escaped = Vec::new();
            super::escape_id(id, &mut escaped);
            assert_eq!(super::key_id(&key), escaped.as_slice(), "{id:?}");
            assert_eq!(super::unescape_id(&escaped), id);
        }
    }
}
