//! Referral records: reading JSON Lines (or one JSON array) into [`Record`]s shaped by the
//! program's declared fields, and reporting every record that cannot be judged as a
//! [`RecordProblem`] with its line, id and field.
//!
//! The decoder (`decode`) extracts only the declared fields from each line; amounts are parsed
//! from their JSON text straight into `Decimal`, never through a float.

pub(crate) mod blocks;
mod decode;
mod nesting;
mod numbers;
mod scan;
mod seeds;

pub use decode::{decode_line, decode_line_reusing, Decoder, Scratch};
pub use numbers::MAX_MAGNITUDE;
pub(crate) use scan::first_special;

use crate::time::Instant;
use crate::value::Value;
use serde::Serialize;
use std::io::BufRead;

/// One referral record, reduced to the fields the program reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based line number (for a JSON array, the line where the record starts).
    pub line: u64,
    /// Field values by slot (see [`crate::program::Program::fields`]); `None` when absent.
    pub fields: Vec<Option<Value>>,
    /// Events of declared kinds, in time order (ties keep input order).
    pub events: Vec<Event>,
    /// Evaluation steps this record may still take (events looked at by milestones and event
    /// functions); the evaluator sets it from [`RecordLimits::max_record_work`].
    pub work_left: std::cell::Cell<u64>,
}

impl Record {
    /// The record's id.
    pub fn id(&self) -> &str {
        match self.fields.first() {
            Some(Some(Value::Text(t))) => t,
            _ => "",
        }
    }

    /// The record's id, shared (no copy of the text).
    pub fn id_shared(&self) -> crate::value::Text {
        match self.fields.first() {
            Some(Some(Value::Text(t))) => t.clone(),
            _ => crate::value::Text::default(),
        }
    }

    /// The record's creation time.
    pub fn created_at(&self) -> Option<Instant> {
        match self.fields.get(crate::program::slot::CREATED_AT) {
            Some(Some(Value::DateTime(t))) => Some(*t),
            _ => None,
        }
    }
}

/// An event of a declared kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Index of its kind in [`crate::program::Program::events`].
    pub kind: usize,
    /// When it happened.
    pub at: Instant,
    /// Attribute values, by the kind's attribute order.
    pub attrs: Vec<Option<Value>>,
}

/// A record that cannot be judged. Problems sort by line, record id, field (numbers in a
/// field compared as numbers: `events[9]` before `events[10]`) and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordProblem {
    /// 1-based line number.
    pub line: u64,
    /// The record's id, if it could be read.
    pub record_id: Option<String>,
    /// The field at fault (`referrer.health_score`, `events[2].at`), if one.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Ord for RecordProblem {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let field = |p: &RecordProblem| p.field.as_deref().map(natural_key);
        (self.line, &self.record_id)
            .cmp(&(other.line, &other.record_id))
            .then_with(|| field(self).cmp(&field(other)))
            .then_with(|| self.field.cmp(&other.field))
            .then_with(|| self.message.cmp(&other.message))
    }
}

impl PartialOrd for RecordProblem {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A field path as text runs and numbers, so that `events[9]` sorts before `events[10]`.
fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(first) = c.to_digit(10) {
            let mut n = u64::from(first);
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n.saturating_mul(10).saturating_add(u64::from(d));
                chars.next();
            }
            out.push((std::mem::take(&mut text), n));
        } else {
            text.push(c);
        }
    }
    out.push((text, 0));
    out
}

impl std::fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(id) = &self.record_id {
            write!(f, ", record {id}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Limits on record input and on the work one record or one run may cause.
#[derive(Debug, Clone, Copy)]
pub struct RecordLimits {
    /// Longest line (or JSON array element), in bytes. Longer lines are never held in memory.
    pub max_line_bytes: usize,
    /// Deepest nesting of objects and lists in one record, the record's own object being level
    /// 1, fields the program does not read included; deeper is a record problem naming the
    /// field where it happens. Whatever the limit, nesting is never followed by recursion
    /// deeper than the declared fields.
    pub max_json_depth: usize,
    /// Most events one record may carry; more is a record problem (field `events`).
    pub max_events: usize,
    /// Most reward lines one record may earn (an `each` milestone over many events, many
    /// rewards); more is a record problem naming the reward that passed it.
    pub max_record_lines: usize,
    /// Most reward lines one run may compute; more stops the run with an error.
    pub max_run_lines: u64,
    /// Most evaluation steps for one record (each event a milestone or an event function
    /// looks at is one); more is a record problem naming the rule.
    pub max_record_work: u64,
    /// Most problems listed for one record; past it, the first ones found are listed with one
    /// more problem saying how many there were.
    pub max_record_problems: usize,
}

impl Default for RecordLimits {
    fn default() -> Self {
        RecordLimits {
            max_line_bytes: 16 * 1024 * 1024,
            max_json_depth: 64,
            max_events: 10_000,
            max_record_lines: 10_000,
            max_run_lines: 1_000_000_000,
            max_record_work: 10_000_000,
            max_record_problems: 100,
        }
    }
}

/// The problem that stands for a record's problems past the limit: it has no field, so it
/// sorts first among the record's problems.
fn problems_note(
    line: u64,
    record_id: Option<String>,
    total: usize,
    listed: usize,
) -> RecordProblem {
    RecordProblem {
        line,
        record_id,
        field: None,
        message: format!(
            "the record has {total} problems, {listed} of them listed (limit --max-record-problems)"
        ),
    }
}

/// A note's total and listed counts, if `p` is one.
fn note_counts(p: &RecordProblem) -> Option<(usize, usize)> {
    if p.field.is_some() {
        return None;
    }
    let rest = p.message.strip_prefix("the record has ")?;
    let (total, rest) = rest.split_once(" problems, ")?;
    let listed = rest.strip_suffix(" of them listed (limit --max-record-problems)")?;
    Some((total.parse().ok()?, listed.parse().ok()?))
}

/// One record's problems as they are found, keeping at most `max` of them (the rest are only
/// counted, so a record with a million bad events holds a hundred problems, not a million).
pub(crate) struct Found {
    list: Vec<RecordProblem>,
    max: usize,
    dropped: usize,
}

impl Found {
    pub(crate) fn new(max: usize) -> Found {
        Found {
            list: Vec::new(),
            max,
            dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, p: RecordProblem) {
        if self.list.len() < self.max {
            self.list.push(p);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty() && self.dropped == 0
    }

    /// The problems kept, and the note for those dropped.
    pub(crate) fn finish(mut self) -> Vec<RecordProblem> {
        if self.dropped > 0 {
            if let Some(first) = self.list.first() {
                let note = problems_note(
                    first.line,
                    first.record_id.clone(),
                    self.list.len().saturating_add(self.dropped),
                    self.list.len(),
                );
                self.list.push(note);
            }
        }
        self.list
    }
}

/// Lists at most `max` problems per record (problems of one record share its line and id):
/// `problems` must be sorted; the first `max` of a record's problems stay, and one problem with
/// no field (first among the record's) says how many it had. Notes from [`Found`] are merged.
pub(crate) fn limit_problems(problems: &mut Vec<RecordProblem>, max: usize) {
    let mut out: Vec<RecordProblem> = Vec::with_capacity(problems.len());
    let mut changed = false;
    let mut rest = std::mem::take(problems).into_iter().peekable();
    while let Some(first) = rest.next() {
        let key = (first.line, first.record_id.clone());
        let mut group = vec![first];
        while let Some(p) = rest.next_if(|p| (p.line, &p.record_id) == (key.0, &key.1)) {
            group.push(p);
        }
        let mut notes = 0usize;
        let mut unlisted = 0usize;
        for (total, shown) in group.iter().filter_map(note_counts) {
            notes = notes.saturating_add(1);
            unlisted = unlisted.saturating_add(total.saturating_sub(shown));
        }
        let others = group.len().saturating_sub(notes);
        if others <= max && notes <= 1 {
            out.append(&mut group);
            continue;
        }
        // One note for the record, counting what earlier notes had left out.
        let mut kept: Vec<RecordProblem> = group
            .into_iter()
            .filter(|p| note_counts(p).is_none())
            .take(max)
            .collect();
        out.push(problems_note(
            key.0,
            key.1,
            others.saturating_add(unlisted),
            kept.len(),
        ));
        out.append(&mut kept);
        changed = true;
    }
    if changed {
        out.sort();
    }
    *problems = out;
}

/// One raw input unit: a line of JSON Lines, or one element of a JSON array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// 1-based line number.
    pub line: u64,
    /// The JSON text.
    pub text: String,
}

/// Reads raw records from JSON Lines or a JSON array (detected by the first non-blank byte).
///
/// A leading byte-order mark and CRLF line endings are accepted. Blank lines are skipped.
/// Returns the records and the problems that stop a line from even being split (a line over the
/// length limit, invalid UTF-8, a malformed array).
pub fn read_raw(
    mut input: impl BufRead,
    limits: &RecordLimits,
    mut sink: impl FnMut(Result<RawRecord, RecordProblem>),
) -> std::io::Result<()> {
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    let mut first = true;
    loop {
        buf.clear();
        let n = read_line_limited(&mut input, &mut buf, limits.max_line_bytes)?;
        if n == 0 {
            return Ok(());
        }
        // Line numbers saturate: no input has 2^64 lines.
        line_no = line_no.saturating_add(1);
        let too_long = n > limits.max_line_bytes;
        if too_long {
            sink(Err(RecordProblem {
                line: line_no,
                record_id: None,
                field: None,
                message: format!(
                    "the line is longer than the limit of {} bytes",
                    limits.max_line_bytes
                ),
            }));
            continue;
        }
        let mut bytes: &[u8] = &buf;
        if first {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        while let Some(b) = bytes
            .strip_suffix(b"\n")
            .or_else(|| bytes.strip_suffix(b"\r"))
        {
            bytes = b;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                sink(Err(RecordProblem {
                    line: line_no,
                    record_id: None,
                    field: None,
                    message: format!(
                        "the line is not valid UTF-8 (byte {})",
                        e.valid_up_to().saturating_add(1)
                    ),
                }));
                first = false;
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        if first && text.trim_start().starts_with('[') {
            // A JSON array: read the rest and split it into elements.
            let mut rest = text.to_string();
            rest.push('\n');
            let mut more = String::new();
            input.read_to_string(&mut more).map_err(|e| {
                std::io::Error::new(e.kind(), format!("reading the JSON array: {e}"))
            })?;
            rest.push_str(&more);
            split_array(&rest, line_no, limits, &mut sink);
            return Ok(());
        }
        first = false;
        sink(Ok(RawRecord {
            line: line_no,
            text: text.to_string(),
        }));
    }
}

/// Reads one line, but keeps at most `max + 1` bytes of it (the rest is skipped), so a 1 GiB
/// line never sits in memory. Returns the line's full length.
fn read_line_limited(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<usize> {
    let mut total = 0usize;
    loop {
        let available = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match memchr_newline(available).and_then(|i| available.get(..=i)) {
            Some(line) => (line, true),
            None => (available, false),
        };
        let len = chunk.len();
        // Room for `max + 1` bytes in all (saturating: `max` may be `usize::MAX`).
        if let Some(room) = max.checked_sub(buf.len()) {
            let keep = room.saturating_add(1);
            buf.extend_from_slice(chunk.get(..keep).unwrap_or(chunk));
        }
        // Only compared with `max`: saturating keeps a line past `usize::MAX` bytes too long.
        total = total.saturating_add(len);
        input.consume(len);
        if done {
            return Ok(total);
        }
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// Splits a JSON array into its elements' texts, with the line each starts on.
fn split_array(
    text: &str,
    first_line: u64,
    limits: &RecordLimits,
    sink: &mut impl FnMut(Result<RawRecord, RecordProblem>),
) {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed: Result<Vec<&serde_json::value::RawValue>, _> =
        serde::Deserialize::deserialize(&mut de).and_then(|v| de.end().map(|_| v));
    match parsed {
        Ok(items) => {
            // Items come in text order: count the newlines between one and the next only, so
            // an array of n records is read in linear time.
            let (mut seen, mut line) = (0usize, first_line);
            for item in items {
                let raw = item.get();
                // `raw` borrows from `text`: the text before it is `text[..offset]`.
                let offset = (raw.as_ptr() as usize)
                    .checked_sub(text.as_ptr() as usize)
                    .unwrap_or(seen);
                let between = text.get(seen..offset).unwrap_or_default();
                line = line.saturating_add(between.matches('\n').count() as u64);
                seen = offset.max(seen);
                if raw.len() > limits.max_line_bytes {
                    sink(Err(RecordProblem {
                        line,
                        record_id: None,
                        field: None,
                        message: format!(
                            "the record is longer than the limit of {} bytes",
                            limits.max_line_bytes
                        ),
                    }));
                    continue;
                }
                sink(Ok(RawRecord {
                    line,
                    text: raw.to_string(),
                }));
            }
        }
        Err(e) => sink(Err(RecordProblem {
            line: first_line.saturating_add(e.line().saturating_sub(1) as u64),
            record_id: None,
            field: None,
            message: format!("the JSON array is malformed: {e}"),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::{limit_problems, Found, RecordProblem};

    fn problem(line: u64, field: &str) -> RecordProblem {
        RecordProblem {
            line,
            record_id: Some(format!("R{line}")),
            field: Some(field.into()),
            message: "bad".into(),
        }
    }

    #[test]
    fn array_items_keep_the_line_they_start_on() {
        let text =
            "[\n{\"id\":\"A\"},\n{\"id\":\"B\",\n\"x\":1},\n\n{\"id\":\"C\"}, {\"id\":\"D\"}]";
        let mut lines = Vec::new();
        super::split_array(text, 1, &super::RecordLimits::default(), &mut |r| {
            if let Ok(raw) = r {
                lines.push((raw.line, raw.text));
            }
        });
        let got: Vec<(u64, &str)> = lines.iter().map(|(l, t)| (*l, t.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (2, "{\"id\":\"A\"}"),
                (3, "{\"id\":\"B\",\n\"x\":1}"),
                (6, "{\"id\":\"C\"}"),
                (6, "{\"id\":\"D\"}"),
            ]
        );
    }

    #[test]
    fn a_record_lists_at_most_its_limit_of_problems() {
        let mut found = Found::new(2);
        for i in 0..5 {
            found.push(problem(1, &format!("events[{i}].at")));
        }
        let mut all = found.finish();
        assert_eq!(all.len(), 3);
        all.push(problem(1, "id"));
        all.push(problem(2, "deal.amount"));
        all.push(problem(2, "deal.fee"));
        all.sort();
        limit_problems(&mut all, 2);
        let shown: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "line 1, record R1: the record has 6 problems, 2 of them listed (limit --max-record-problems)",
                "line 1, record R1, field events[0].at: bad",
                "line 1, record R1, field events[1].at: bad",
                "line 2, record R2, field deal.amount: bad",
                "line 2, record R2, field deal.fee: bad",
            ]
        );
        // Already within the limit: nothing changes.
        let before = all.clone();
        limit_problems(&mut all, 2);
        assert_eq!(all, before);
        // A lower limit again: the count stays the record's.
        limit_problems(&mut all, 1);
        assert_eq!(
            all.first().map(|p| p.message.as_str()),
            Some("the record has 6 problems, 1 of them listed (limit --max-record-problems)")
        );
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn problems_sort_numbers_in_fields_as_numbers() {
        let p = |field: &str| RecordProblem {
            line: 1,
            record_id: Some("R1".into()),
            field: Some(field.into()),
            message: "bad".into(),
        };
        let mut v = [
            p("events[100].at"),
            p("events[9].at"),
            p("events[10].at"),
            p("deal.amount"),
        ];
        v.sort();
        let fields: Vec<&str> = v.iter().filter_map(|x| x.field.as_deref()).collect();
        assert_eq!(
            fields,
            [
                "deal.amount",
                "events[9].at",
                "events[10].at",
                "events[100].at"
            ]
        );
    }
}
