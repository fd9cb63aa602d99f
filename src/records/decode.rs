//! The record decoder: one JSON line to a [`Record`], driven by the program's declared fields.
//!
//! The raw text of the declared fields only is kept, by the fast scanner ([`super::scan`]) or,
//! when it gives up on a line, by serde seeds ([`super::seeds`]); nothing else is read into a
//! tree. Each raw value is then converted to its declared type here. Numbers and amounts go
//! from their JSON text straight to `Decimal`.

use super::{Event, Record, RecordLimits, RecordProblem};
use crate::money::Currency;
use crate::program::{CurrencySource, FieldDef, Program};
use crate::time::{parse_date, parse_instant};
use crate::value::{Text, Type, Value};
use rust_decimal::Decimal;
use serde::de::DeserializeSeed;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::Arc;

use super::numbers::{parse_decimal, within_limit};
use super::scan::first_special;
use super::seeds::ObjectSeed;

/// A tree of the declared field paths.
#[derive(Debug, Clone, Default)]
pub(super) struct Node {
    pub(super) children: Vec<(String, Child)>,
    /// Each child key's [`super::scan::fingerprint`], in the same order (the fast path
    /// compares these first).
    pub(super) fingerprints: Vec<u64>,
    /// The [`super::scan::key_bit`] of each child key, or-ed (the fast path looks up a key
    /// only when its bit is set).
    pub(super) key_bits: u64,
    /// Some child is a money field that reads its currency from this object.
    pub(super) money_sibling: bool,
}

#[derive(Debug, Clone)]
pub(super) enum Child {
    Leaf(usize),
    Node(Node),
    Events,
}

/// Decodes records for one program.
#[derive(Debug, Clone)]
pub struct Decoder {
    root: Node,
    fields: Vec<FieldDef>,
    kinds: Vec<(String, Vec<FieldDef>)>,
    /// [`RecordLimits::max_json_depth`].
    max_depth: usize,
    /// [`RecordLimits::max_record_problems`].
    max_problems: usize,
}

impl Decoder {
    /// A decoder for the fields and events `program` declares, with the default limits.
    pub fn new(program: &Program) -> Decoder {
        Decoder::with_limits(program, &RecordLimits::default())
    }

    /// A decoder for the fields and events `program` declares, refusing records past `limits`.
    pub fn with_limits(program: &Program, limits: &RecordLimits) -> Decoder {
        let mut root = Node::default();
        for (slot, f) in program.fields.iter().enumerate() {
            insert(&mut root, &f.path, slot, f);
        }
        root.push("events".to_string(), Child::Events);
        Decoder {
            root,
            fields: program.fields.clone(),
            kinds: program
                .events
                .iter()
                .map(|k| (k.name.clone(), k.attrs.clone()))
                .collect(),
            max_depth: limits.max_json_depth,
            max_problems: limits.max_record_problems,
        }
    }
}

#[cfg(test)]
impl Decoder {
    pub(super) fn root(&self) -> &Node {
        &self.root
    }
}

impl Node {
    fn push(&mut self, key: String, child: Child) {
        let fp = super::scan::fingerprint(key.as_bytes());
        self.key_bits |= super::scan::key_bit(fp);
        self.fingerprints.push(fp);
        self.children.push((key, child));
    }
}

fn insert(node: &mut Node, path: &[String], slot: usize, f: &FieldDef) {
    match path {
        [] => {}
        [last] => {
            if matches!(f.ty, Type::Money(_)) && f.currency == CurrencySource::Sibling {
                node.money_sibling = true;
            }
            node.push(last.clone(), Child::Leaf(slot));
        }
        [first, rest @ ..] => {
            if !node.children.iter().any(|(k, _)| k == first) {
                node.push(first.clone(), Child::Node(Node::default()));
            }
            if let Some((_, Child::Node(n))) = node.children.iter_mut().find(|(k, _)| k == first) {
                insert(n, rest, slot, f);
            }
        }
    }
}

/// One key of an event, its raw JSON value, and whether that value is known to be a string
/// without escapes (as [`Slot::plain`]: the fast scanner knows, the serde path says false).
pub(super) type RawPair<'de> = (Cow<'de, str>, &'de str, bool);

/// Every event's keys and raw JSON values, one event after the other, each ended by a `None`
/// (one allocation for all the events of a record).
pub(super) type RawEvents<'de> = Vec<Option<RawPair<'de>>>;

/// One declared field's raw text, and for a money field the raw `currency` beside it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Slot<'de> {
    pub(super) value: Option<&'de str>,
    pub(super) currency: Option<&'de str>,
    /// The fast scanner read `value` (`currency`) as a string without escapes: its text is
    /// what is between the quotes, with no second look. False when not known.
    pub(super) plain: bool,
    pub(super) currency_plain: bool,
}

/// What one visit collects: a [`Slot`] per declared field, events.
pub(super) struct Raw<'de> {
    pub(super) slots: Vec<Slot<'de>>,
    pub(super) events: Option<RawEvents<'de>>,
    /// An empty list for the fast path to collect the events in (a recycled allocation).
    pub(super) spare_events: RawEvents<'de>,
    pub(super) duplicate_keys: Vec<String>,
}

impl Raw<'_> {
    /// Nothing read yet, for `fields` declared fields.
    #[cfg(test)]
    pub(super) fn new(fields: usize) -> Self {
        Raw::reusing(fields, &mut Scratch::default())
    }

    /// [`Raw::new`] in the buffers of `scratch`.
    fn reusing(fields: usize, scratch: &mut Scratch) -> Self {
        let mut slots = recycle(std::mem::take(&mut scratch.slots));
        slots.resize(fields, Slot::default());
        Raw {
            slots,
            events: None,
            spare_events: recycle(std::mem::take(&mut scratch.events)),
            duplicate_keys: Vec::new(),
        }
    }

    /// Gives the buffers back to `scratch` for the next record.
    fn recycle_into(self, scratch: &mut Scratch) {
        scratch.slots = recycle(self.slots);
        scratch.events = recycle(self.events.unwrap_or(self.spare_events));
    }
}

/// Buffers a reader keeps from one record to the next, so that decoding a record does not
/// allocate its raw slots and events again ([`decode_line_reusing`]).
#[derive(Debug, Default)]
pub struct Scratch {
    slots: Vec<Slot<'static>>,
    events: RawEvents<'static>,
    /// A judged record's field and event lists, emptied ([`Scratch::recycle`]).
    fields: Vec<Option<Value>>,
    record_events: Vec<Event>,
}

impl Scratch {
    /// Keeps a record's lists (emptied) for the next record decoded with this scratch.
    pub fn recycle(&mut self, rec: Record) {
        let Record {
            mut fields,
            mut events,
            ..
        } = rec;
        fields.clear();
        events.clear();
        self.fields = fields;
        self.record_events = events;
    }
}

/// Empties `v` and keeps its allocation for values of another lifetime (a `Vec` collected
/// from its own `into_iter` of a same-sized type reuses the buffer).
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// Decodes one line into a record, or every problem that stops it being judged.
pub fn decode_line(dec: &Decoder, line: u64, text: &str) -> Result<Record, Vec<RecordProblem>> {
    decode_line_reusing(dec, line, text, &mut Scratch::default())
}

/// [`decode_line`] in buffers kept from the previous record.
pub fn decode_line_reusing(
    dec: &Decoder,
    line: u64,
    text: &str,
    scratch: &mut Scratch,
) -> Result<Record, Vec<RecordProblem>> {
    decode_with(dec, line, text, true, scratch)
}

/// [`decode_line`], with or without the fast path (tests compare the two).
pub(super) fn decode_with(
    dec: &Decoder,
    line: u64,
    text: &str,
    fast: bool,
    scratch: &mut Scratch,
) -> Result<Record, Vec<RecordProblem>> {
    let mut raw = Raw::reusing(dec.fields.len(), scratch);
    let lists = (
        std::mem::take(&mut scratch.fields),
        std::mem::take(&mut scratch.record_events),
    );
    let result = decode_raw(dec, line, text, fast, &mut raw, lists);
    raw.recycle_into(scratch);
    result
}

fn decode_raw<'de>(
    dec: &Decoder,
    line: u64,
    text: &'de str,
    fast: bool,
    raw: &mut Raw<'de>,
    (mut fields, mut events): (Vec<Option<Value>>, Vec<Event>),
) -> Result<Record, Vec<RecordProblem>> {
    // The fast path answers for well-formed records within the depth limit; anything else is
    // read again by serde_json, which gives the exact messages.
    let mut deep = None;
    let result = if fast && super::scan::scan(&dec.root, text, raw, dec.max_depth) {
        Ok(())
    } else {
        deep = super::nesting::too_deep(text, dec.max_depth);
        raw.slots.iter_mut().for_each(|s| *s = Slot::default());
        raw.events = None;
        raw.duplicate_keys.clear();
        let mut de = serde_json::Deserializer::from_str(text);
        ObjectSeed {
            node: &dec.root,
            raw: &mut *raw,
            prefix: "",
        }
        .deserialize(&mut de)
        .and_then(|_| de.end())
    };
    let raw_id = raw.slots.first().and_then(|s| s.value);
    let problem = |field: Option<String>, message: String| RecordProblem {
        line,
        record_id: raw_id.and_then(|r| serde_json::from_str::<String>(r).ok()),
        field,
        message,
    };
    if let Some(field) = deep {
        return Err(vec![problem(
            Some(field).filter(|f| !f.is_empty()),
            format!(
                "the JSON nests deeper than the limit of {} levels (--max-json-depth)",
                dec.max_depth
            ),
        )]);
    }
    if let Err(e) = result {
        let msg = e.to_string();
        let msg = if msg.contains("recursion limit") {
            "the JSON nests too deeply".to_string()
        } else if text.trim_start().starts_with('{') {
            format!("malformed JSON: {msg}")
        } else {
            format!("not a JSON object: {msg}")
        };
        return Err(vec![problem(None, msg)]);
    }
    let mut problems = super::Found::new(dec.max_problems);
    for k in &raw.duplicate_keys {
        problems.push(problem(
            Some(k.clone()),
            "the key appears twice in the record".to_string(),
        ));
    }
    fields.clear();
    fields.reserve(dec.fields.len());
    for (slot, f) in dec.fields.iter().enumerate() {
        let mut bad = raw.duplicate_keys.contains(&f.dotted);
        let cell = raw.slots.get(slot).copied().unwrap_or_default();
        let value = match cell.value {
            Some(r) => match convert(
                Raw1::new(r, cell.plain),
                &f.ty,
                f.currency,
                cell.currency.map(|c| Raw1::new(c, cell.currency_plain)),
            ) {
                Ok(v) => v,
                Err(m) => {
                    problems.push(problem(Some(f.dotted.clone()), m));
                    bad = true;
                    None
                }
            },
            None => None,
        };
        if value.is_none() && !f.optional && !bad {
            problems.push(problem(
                Some(f.dotted.clone()),
                "the field is missing".to_string(),
            ));
        }
        fields.push(value);
    }
    events.clear();
    let flat = raw.events.as_deref().unwrap_or_default();
    let count = flat.iter().filter(|p| p.is_none()).count();
    for (i, ev) in flat.split(Option::is_none).take(count).enumerate() {
        match event(dec, ev) {
            Ok(Some(e)) => events.push(e),
            Ok(None) => {}
            Err((field, m)) => problems.push(problem(Some(format!("events[{i}]{field}")), m)),
        }
    }
    if !problems.is_empty() {
        return Err(problems.finish());
    }
    events.sort_by_key(|e| e.at);
    Ok(Record {
        line,
        fields,
        events,
        work_left: std::cell::Cell::new(u64::MAX),
    })
}

/// Converts one event; `Ok(None)` for kinds the program does not read.
fn event(dec: &Decoder, ev: &[Option<RawPair<'_>>]) -> Result<Option<Event>, (String, String)> {
    let pairs = || ev.iter().flatten();
    for (i, (key, _, _)) in pairs().enumerate() {
        if pairs().take(i).any(|(k, _, _)| k == key) {
            return Err((
                format!(".{key}"),
                "the key appears twice in the event".to_string(),
            ));
        }
    }
    let get = |k: &str| {
        pairs()
            .find(|(key, _, _)| key == k)
            .map(|(_, v, plain)| Raw1::new(v, *plain))
    };
    let kind_raw =
        get("kind").ok_or_else(|| (".kind".to_string(), "the event has no `kind`".to_string()))?;
    let kind_name: Cow<str> = kind_raw.str().map_err(|_| {
        (
            ".kind".to_string(),
            "an event's `kind` must be text".to_string(),
        )
    })?;
    let Some(kind) = dec.kinds.iter().position(|(k, _)| *k == kind_name) else {
        return Ok(None);
    };
    let at_raw = get("at").ok_or_else(|| {
        (
            ".at".to_string(),
            format!("the `{kind_name}` event has no `at` time"),
        )
    })?;
    let at_text: Cow<str> = at_raw.str().map_err(|_| {
        (
            ".at".to_string(),
            "`at` must be a text timestamp".to_string(),
        )
    })?;
    let at = parse_instant(&at_text).map_err(|m| (".at".to_string(), m))?;
    let attrs_def = dec
        .kinds
        .get(kind)
        .map(|(_, a)| a.as_slice())
        .unwrap_or(&[]);
    let currency = get("currency");
    let mut attrs = Vec::with_capacity(attrs_def.len());
    for a in attrs_def {
        let v = match get(&a.dotted) {
            Some(r) => convert(r, &a.ty, a.currency, currency)
                .map_err(|m| (format!(".{}", a.dotted), m))?,
            None => None,
        };
        if v.is_none() && !a.optional {
            return Err((
                format!(".{}", a.dotted),
                format!("the `{kind_name}` event has no `{}`", a.dotted),
            ));
        }
        attrs.push(v);
    }
    Ok(Some(Event { kind, at, attrs }))
}

/// A JSON string's content: borrowed when it has no escapes (the raw text was validated when
/// the record was read), unescaped by serde_json otherwise.
fn json_str(raw: &str) -> Result<Cow<'_, str>, String> {
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        // The text of a string already read: a quote or a control byte in it could only be
        // escaped, so a special byte means an escape.
        Some(inner) if first_special(inner.as_bytes()).is_none() => Ok(Cow::Borrowed(inner)),
        _ => json_string(raw).map(Cow::Owned),
    }
}

fn json_string(raw: &str) -> Result<String, String> {
    serde_json::from_str::<String>(raw)
        .map_err(|_| format!("expected text, found {}", describe(raw)))
}

fn describe(raw: &str) -> String {
    let shown: String = raw.chars().take(40).collect();
    match raw.as_bytes().first() {
        Some(b'"') => format!("the text {shown}"),
        Some(b'{') => "an object".to_string(),
        Some(b'[') => "a list".to_string(),
        Some(b't' | b'f') => format!("`{shown}`"),
        _ => format!("the number {shown}"),
    }
}

/// One raw JSON value, and whether it is known to be a string without escapes
/// ([`Slot::plain`]).
#[derive(Debug, Clone, Copy)]
struct Raw1<'de> {
    text: &'de str,
    plain: bool,
}

impl<'de> Raw1<'de> {
    fn new(text: &'de str, plain: bool) -> Self {
        Raw1 { text, plain }
    }

    fn unknown(text: &'de str) -> Self {
        Raw1 { text, plain: false }
    }

    /// The string's content ([`json_str`], without looking for escapes when known plain).
    /// Inlined where it is used: called from a few places, it would otherwise be a call for
    /// every text value.
    #[inline(always)]
    fn str(self) -> Result<Cow<'de, str>, String> {
        let inner = self
            .text
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'));
        match inner {
            Some(inner) if self.plain => Ok(Cow::Borrowed(inner)),
            _ => json_str(self.text),
        }
    }
}

/// Converts a raw JSON value to its declared type; `Ok(None)` for `null`.
fn convert(
    raw1: Raw1<'_>,
    ty: &Type,
    source: CurrencySource,
    sibling: Option<Raw1<'_>>,
) -> Result<Option<Value>, String> {
    let raw = raw1.text;
    if raw == "null" {
        return Ok(None);
    }
    let number = |raw1: Raw1<'_>| -> Result<Decimal, String> {
        let raw = raw1.text;
        let n = if raw.starts_with('"') {
            parse_decimal(&raw1.str()?)
        } else if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            parse_decimal(raw)
        } else {
            Err(format!("expected a number, found {}", describe(raw)))
        }?;
        within_limit(n)
    };
    Ok(Some(match ty {
        Type::Text => Value::Text(Text::new(&*raw1.str()?)),
        Type::Enum(allowed) => {
            let s = raw1.str()?;
            if !allowed.iter().any(|a| *a == *s) {
                return Err(format!("\"{s}\" is not one of {}", allowed.join(", ")));
            }
            Value::Text(Text::new(&*s))
        }
        Type::Number => Value::Number(number(raw1)?),
        Type::Money(_) => {
            let amount = number(raw1)?;
            let currency = match source {
                CurrencySource::Fixed(c) => c,
                CurrencySource::Sibling => {
                    let c = sibling.ok_or("the amount has no `currency` beside it")?;
                    let code = c.str().map_err(|_| "`currency` must be text".to_string())?;
                    Currency::parse(&code)
                        .ok_or_else(|| format!("`{code}` is not a currency merit knows"))?
                }
            };
            let scale = currency.minor_units();
            // Trailing zeros beyond the currency's digits are allowed (`10.500` USD), so only
            // an amount written with more digits than that needs normalizing.
            if amount.scale() > scale && amount.normalize().scale() > scale {
                return Err(format!(
                    "{} has more decimals than {currency} allows ({scale})",
                    amount
                ));
            }
            Value::Money(crate::money::Money { amount, currency })
        }
        Type::Date => Value::Date(parse_date(&raw1.str()?)?),
        Type::DateTime => Value::DateTime(parse_instant(&raw1.str()?)?),
        Type::Bool => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(format!("expected true or false, found {}", describe(raw))),
        },
        Type::List(item) => {
            let items: Vec<&RawValue> = serde_json::from_str(raw)
                .map_err(|_| format!("expected a list, found {}", describe(raw)))?;
            let mut out = Vec::with_capacity(items.len());
            for (n, it) in (1..).zip(&items) {
                match convert(Raw1::unknown(it.get()), item, source, sibling)
                    .map_err(|m| format!("item {n}: {m}"))?
                {
                    Some(v) => out.push(v),
                    None => return Err(format!("item {n} is null")),
                }
            }
            Value::List(Arc::from(out))
        }
        Type::Percent | Type::Duration | Type::Window | Type::Error => {
            return Err("this field type cannot be read from records".to_string())
        }
    }))
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
