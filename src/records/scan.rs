//! The decoder's fast path: one pass over a record's bytes that keeps the raw text of the
//! declared fields, validating everything else exactly as strictly as `serde_json` does while
//! skipping it (strings, escapes, numbers, literals, nesting).
//!
//! It only ever answers for the plain case. Anything unusual (a key with an escape, a declared
//! key given twice, deep nesting, anything malformed) makes it give up, and the `serde_json`
//! visitor in [`super::decode`] reads the record from scratch: that path gives the exact
//! messages for malformed records, so the fast path never needs to.
//!
//! The reader of the `events` list is in `scan_events.rs` (the child module `events`).

use super::decode::{Child, Node, Raw};

/// The fast path recurses: nesting deeper than this (or than the record's depth limit) is left
/// to the `serde_json` path, which skips undeclared values without recursion.
const MAX_DEPTH: u32 = 64;

/// Money slots one object can hold before the fast path gives up.
const MONEY_SLOTS: usize = 16;

/// Fills `raw` from `text`; false when the `serde_json` path must decide (then `raw` may be
/// partly filled and must be reset). True only when nothing nests deeper than `max_depth`
/// (the record's object being level 1).
pub(super) fn scan<'a>(root: &Node, text: &'a str, raw: &mut Raw<'a>, max_depth: usize) -> bool {
    let mut s = Scanner {
        b: text.as_bytes(),
        t: text,
        i: 0,
        max: u32::try_from(max_depth).map_or(MAX_DEPTH, |m| m.min(MAX_DEPTH)),
        escaped: false,
    };
    s.ws();
    if s.peek() != b'{' || s.max == 0 {
        return false;
    }
    if s.object(root, raw, true, 1).is_none() {
        return false;
    }
    s.ws();
    s.i == s.b.len()
}

struct Scanner<'a> {
    b: &'a [u8],
    t: &'a str,
    i: usize,
    /// Deepest level a list or object may open at.
    max: u32,
    /// Set when a string with an escape is skipped (see [`Scanner::raw_value`]).
    escaped: bool,
}

impl<'a> Scanner<'a> {
    /// The current byte, or 0 at the end (never valid where a structural byte is expected,
    /// and a control character inside strings).
    #[inline]
    fn peek(&self) -> u8 {
        self.b.get(self.i).copied().unwrap_or(0)
    }

    /// Moves past `n` bytes just looked at. The index only ever moves past bytes that are
    /// there (at most eight past one it has read), so it stays within the text, at most
    /// `isize::MAX` bytes: the add never wraps.
    #[inline]
    fn skip(&mut self, n: usize) {
        self.i = self.i.wrapping_add(n);
    }

    /// Moves past the current byte (see [`Scanner::skip`]).
    #[inline]
    fn bump(&mut self) {
        self.skip(1);
    }

    #[inline]
    fn ws(&mut self) {
        while matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r') {
            self.bump();
        }
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek() == c {
            self.bump();
            Some(())
        } else {
            None
        }
    }

    fn lit(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.i..)?.starts_with(word) {
            self.skip(word.len());
            Some(())
        } else {
            None
        }
    }

    /// A key without escapes: where its text starts and ends, and its [`fingerprint`]; the
    /// cursor moves from the opening quote to past the closing one.
    #[inline(always)]
    fn key(&mut self) -> Option<(usize, usize, u64)> {
        if self.peek() != b'"' {
            return None;
        }
        let start = self.i.wrapping_add(1);
        self.i = start;
        // The eight bytes after the quote, loaded once: the fingerprint, and for a key of at
        // most seven bytes (most keys) its closing quote too.
        let first = self
            .b
            .get(start..)
            .and_then(<[u8]>::first_chunk::<8>)
            .map(|w| u64::from_le_bytes(*w));
        if let Some(w) = first {
            let m = special8(w);
            if m != 0 {
                // The first special byte is exact (see `special8`); the key ends there only
                // if it is the closing quote.
                let n = (m.trailing_zeros() / 8) as usize;
                if (w >> (n.wrapping_mul(8))) as u8 != b'"' {
                    return None;
                }
                let end = start.wrapping_add(n);
                self.i = end.wrapping_add(1);
                return Some((start, end, pack(w, n)));
            }
            self.skip(8);
        }
        self.plain_run();
        loop {
            match self.peek() {
                b'"' => break,
                b'\\' | 0..=0x1F => return None,
                _ => self.bump(),
            }
        }
        let end = self.i;
        self.bump();
        let len = end.wrapping_sub(start);
        let fp = match first {
            Some(w) => pack(w, len),
            None => fingerprint(self.b.get(start..end)?),
        };
        Some((start, end, fp))
    }

    /// The `:` after a key, with the white space around it.
    #[inline(always)]
    fn colon(&mut self) -> Option<()> {
        if self.peek() == b':' {
            self.bump();
        } else {
            self.ws();
            self.eat(b':')?;
        }
        self.ws();
        Some(())
    }

    /// Moves past plain bytes (not a quote, a backslash or a control byte) eight at a time,
    /// and onto the first special byte when one is among the next eight.
    #[inline]
    fn plain_run(&mut self) {
        while let Some(w) = self.b.get(self.i..).and_then(<[u8]>::first_chunk::<8>) {
            let m = special8(u64::from_le_bytes(*w));
            if m != 0 {
                self.skip((m.trailing_zeros() / 8) as usize);
                break;
            }
            self.skip(8);
        }
    }

    /// The rest of a string after its opening quote, as `serde_json` skips it.
    #[inline(always)]
    fn string(&mut self) -> Option<()> {
        loop {
            // Eight bytes at a time; the first special byte among them, when it is the
            // closing quote, ends the string without a second look.
            while let Some(w) = self.b.get(self.i..).and_then(<[u8]>::first_chunk::<8>) {
                let w = u64::from_le_bytes(*w);
                let m = special8(w);
                if m == 0 {
                    self.skip(8);
                    continue;
                }
                let n = m.trailing_zeros() / 8;
                if (w >> n.wrapping_mul(8)) as u8 == b'"' {
                    self.skip((n as usize).wrapping_add(1));
                    return Some(());
                }
                self.skip(n as usize);
                break;
            }
            match self.peek() {
                b'"' => {
                    self.bump();
                    return Some(());
                }
                b'\\' => {
                    self.escaped = true;
                    self.bump();
                    match self.peek() {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.bump(),
                        b'u' => {
                            self.bump();
                            for _ in 0..4 {
                                if !self.peek().is_ascii_hexdigit() {
                                    return None;
                                }
                                self.bump();
                            }
                        }
                        _ => return None,
                    }
                }
                0..=0x1F => return None,
                _ => self.bump(),
            }
        }
    }

    /// Digits; whether there was any.
    fn digits(&mut self) -> bool {
        let start = self.i;
        while self.peek().is_ascii_digit() {
            self.bump();
        }
        self.i != start
    }

    /// A number, with `serde_json`'s grammar (no leading zeros, digits after `.` and `e`).
    fn number(&mut self) -> Option<()> {
        let _ = self.eat(b'-');
        match self.peek() {
            b'0' => {
                self.bump();
                if self.peek().is_ascii_digit() {
                    return None;
                }
            }
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == b'.' {
            self.bump();
            if !self.digits() {
                return None;
            }
        }
        if matches!(self.peek(), b'e' | b'E') {
            self.bump();
            if matches!(self.peek(), b'+' | b'-') {
                self.bump();
            }
            if !self.digits() {
                return None;
            }
        }
        Some(())
    }

    /// Skips one value (no leading whitespace), validating it.
    fn value(&mut self, depth: u32) -> Option<()> {
        match self.peek() {
            b'"' => {
                self.bump();
                self.string()
            }
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.lit(b"true"),
            b'f' => self.lit(b"false"),
            b'n' => self.lit(b"null"),
            b'[' => {
                if depth >= self.max {
                    return None;
                }
                self.bump();
                self.ws();
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.any_value(depth.checked_add(1)?)?;
                    if self.separator(b']')? {
                        return Some(());
                    }
                }
            }
            b'{' => {
                if depth >= self.max {
                    return None;
                }
                self.bump();
                self.ws();
                if self.eat(b'}').is_some() {
                    return Some(());
                }
                loop {
                    self.eat(b'"')?;
                    self.string()?;
                    self.ws();
                    self.eat(b':')?;
                    self.ws();
                    self.any_value(depth.checked_add(1)?)?;
                    if self.separator(b'}')? {
                        return Some(());
                    }
                }
            }
            _ => None,
        }
    }

    /// [`Scanner::value`] with strings and numbers (most values) skipped in place, without a
    /// call: only lists, objects and literals go to the recursive function.
    #[inline(always)]
    fn any_value(&mut self, depth: u32) -> Option<()> {
        match self.peek() {
            b'"' => {
                self.bump();
                self.string()
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => self.value(depth),
        }
    }

    /// One value's raw text, and whether it is a string without escapes.
    #[inline(always)]
    fn raw_value(&mut self, depth: u32) -> Option<(&'a str, bool)> {
        let start = self.i;
        self.escaped = false;
        self.any_value(depth)?;
        let text = self.t.get(start..self.i)?;
        Some((text, text.starts_with('"') && !self.escaped))
    }

    /// An object against a node of the field tree; the cursor is on its `{`.
    fn object(&mut self, node: &Node, raw: &mut Raw<'a>, root: bool, depth: u32) -> Option<()> {
        const SEEN_KEYS: usize = 24;
        self.bump();
        self.ws();
        let mut currency: Option<(&'a str, bool)> = None;
        let mut money = [0usize; MONEY_SLOTS];
        let mut moneys = 0usize;
        // The fingerprints of the keys seen in this object: a fingerprint seen twice (a key
        // given twice, or two long keys that share their first seven bytes and length), or
        // more keys than this holds, is left to the serde_json path, which reports a
        // repeated key or reads the record.
        let mut seen = [0u64; SEEN_KEYS];
        let mut keys = 0usize;
        // One bit per fingerprint seen (by a hash of it): the list is only searched when the
        // bit of a new key is already set.
        let mut seen_bits = 0u64;
        if self.eat(b'}').is_none() {
            loop {
                let (start, end, fp) = self.key()?;
                let key = self.b.get(start..end)?;
                let bit = key_bit(fp);
                if seen_bits & bit != 0 && seen.get(..keys)?.contains(&fp) {
                    return None;
                }
                seen_bits |= bit;
                *seen.get_mut(keys)? = fp;
                // Below SEEN_KEYS: the slot was there.
                keys = keys.wrapping_add(1);
                self.colon()?;
                let found = if node.key_bits & bit == 0 {
                    None
                } else {
                    child(node, fp, key)
                };
                match found {
                    Some(Child::Leaf(slot)) => {
                        let (v, plain) = self.raw_value(depth)?;
                        let cell = raw.slots.get_mut(*slot)?;
                        if cell.value.is_some() {
                            return None;
                        }
                        cell.value = Some(v);
                        cell.plain = plain;
                        if node.money_sibling {
                            *money.get_mut(moneys)? = *slot;
                            moneys = moneys.checked_add(1)?;
                        }
                    }
                    Some(Child::Node(n)) => match self.peek() {
                        b'n' => self.lit(b"null")?,
                        b'{' if depth < self.max => {
                            self.object(n, raw, false, depth.checked_add(1)?)?
                        }
                        _ => return None,
                    },
                    Some(Child::Events) if root => {
                        if raw.events.is_some() || depth >= self.max {
                            return None;
                        }
                        let buf = std::mem::take(&mut raw.spare_events);
                        raw.events = Some(self.events(depth.checked_add(1)?, buf)?);
                    }
                    _ if key == b"currency" && node.money_sibling => {
                        currency = Some(self.raw_value(depth)?);
                    }
                    _ => self.any_value(depth)?,
                }
                // Most often the next key follows at once: `,"`.
                if self.b.get(self.i..).and_then(<[u8]>::first_chunk::<2>) == Some(b",\"") {
                    self.bump();
                    continue;
                }
                if self.separator(b'}')? {
                    break;
                }
            }
        }
        for slot in money.get(..moneys)? {
            if let Some(c) = raw.slots.get_mut(*slot) {
                c.currency = currency.map(|(t, _)| t);
                c.currency_plain = currency.is_some_and(|(_, plain)| plain);
            }
        }
        Some(())
    }

    /// After an item of a list or object: `,` (more follow: false) or the closing byte (done:
    /// true), with the white space around; anything else is not the plain case.
    fn separator(&mut self, close: u8) -> Option<bool> {
        // Most often the `,` or the closing byte comes first.
        if self.peek() <= b' ' {
            self.ws();
        }
        match self.peek() {
            b',' => {
                self.bump();
                if self.peek() <= b' ' {
                    self.ws();
                }
                Some(false)
            }
            c if c == close => {
                self.bump();
                Some(true)
            }
            _ => None,
        }
    }
}

/// A key's first seven bytes (zero-padded) and its length (the top byte) as one number: equal
/// keys have equal fingerprints, and keys that differ in length or in their first seven bytes
/// have different ones, so most unequal keys are told apart without comparing their text (and
/// keys of at most seven bytes never need it: see [`same_key`]).
#[inline]
pub(super) fn fingerprint(key: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    for (d, s) in w.iter_mut().zip(key.iter().take(7)) {
        *d = *s;
    }
    pack(u64::from_le_bytes(w), key.len())
}

/// The [`fingerprint`] of a key of `len` bytes whose first bytes are the low bytes of `word`
/// (what follows them in `word` is masked off). The length byte saturates at 255, so that a
/// key of at most seven bytes never shares its fingerprint with a longer one (`len as u8`
/// would give a key of 263 bytes the length byte of a key of 7).
#[inline]
fn pack(word: u64, len: usize) -> u64 {
    let keep = len.min(7).saturating_mul(8);
    (word & (1u64 << keep).wrapping_sub(1)) | ((len.min(255) as u64) << 56)
}

/// One bit of 64 for a key's fingerprint, from a hash of it: a set of keys as one word, where
/// a key whose bit is not set is surely not in the set.
#[inline]
pub(super) fn key_bit(fp: u64) -> u64 {
    1u64 << (fp.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// The child of `node` whose key is `key` (of fingerprint `fp`): the first child with that
/// fingerprint, or when that is another long key, the next ones.
#[inline(always)]
fn child<'n>(node: &'n Node, fp: u64, key: &[u8]) -> Option<&'n Child> {
    let at = node.fingerprints.iter().position(|f| *f == fp)?;
    match node.children.get(at) {
        Some((k, c)) if same_key(key, k.as_bytes()) => Some(c),
        _ => node
            .fingerprints
            .iter()
            .zip(&node.children)
            .skip(at.wrapping_add(1))
            .find(|(f, (k, _))| **f == fp && same_key(key, k.as_bytes()))
            .map(|(_, (_, c))| c),
    }
}

/// Whether two keys with equal fingerprints are the same key: keys of up to seven bytes are
/// wholly in their fingerprint; up to fifteen, their last eight bytes hold the rest (one
/// compare of two words, no call to `memcmp`).
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() <= 7 {
        return true;
    }
    match (a.last_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(x), Some(y)) if a.len() <= 15 && a.len() == b.len() => x == y,
        _ => a == b,
    }
}

/// The first byte of `b` that is `"`, `\\` or below 0x20, eight bytes at a time: where a
/// JSON string's text needs an escape (the ledger writer), or, in the text of a string already
/// read, whether it has one (the decoder).
pub(crate) fn first_special(b: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    while let Some(w) = b.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let m = special8(u64::from_le_bytes(*w));
        if m != 0 {
            // The lowest flagged byte is exact (see `special8`).
            return Some(at.saturating_add((m.trailing_zeros() / 8) as usize));
        }
        // Within `b`, so the add is exact.
        at = at.saturating_add(8);
    }
    let rest = b.get(at..)?;
    if rest.is_empty() {
        return None;
    }
    // The tail, as one word too: the last eight bytes when there are eight (those before `at`
    // are plain, so the first one flagged is in the tail), else the tail padded with spaces.
    let (from, w) = match b.len().checked_sub(8) {
        Some(from) => (from, *b.get(from..).and_then(<[u8]>::first_chunk::<8>)?),
        None => {
            let mut w = [b' '; 8];
            for (d, s) in w.iter_mut().zip(rest) {
                *d = *s;
            }
            (0, w)
        }
    };
    let m = special8(u64::from_le_bytes(w));
    (m != 0).then(|| from.saturating_add((m.trailing_zeros() / 8) as usize))
}

/// The high bit of each of eight bytes (little-endian) that is `"`, `\\` or below 0x20; the
/// lowest set bit is exact (bits above it may be spurious), so `trailing_zeros() / 8` is the
/// index of the first such byte.
#[inline]
pub(crate) fn special8(x: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let quote = has_zero(x ^ (LO * u64::from(b'"')));
    let backslash = has_zero(x ^ (LO * u64::from(b'\\')));
    // Bytes below 0x20: (b - 0x20) borrows into the high bit for b < 0x20 (and b >= 0x80,
    // which the `!x` mask removes).
    let control = x.wrapping_sub(LO * 0x20) & !x & HI;
    quote | backslash | control
}

#[path = "scan_events.rs"]
mod events;

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
