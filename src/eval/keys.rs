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
            let list: Vec<String> = lines.iter().map(u64::to_string).collect();
            let message = format!("the record id appears on lines {}", list.join(", "));
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
