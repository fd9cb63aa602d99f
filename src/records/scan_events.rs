//! The fast path's reader of a record's `events` list (a child of [`super::scan`], whose
//! [`Scanner`] it extends): each event kept as its keys and raw values, for
//! [`crate::records::decode`] to convert.

use super::Scanner;
use crate::records::decode::RawEvents;
use std::borrow::Cow;

impl<'a> Scanner<'a> {
    /// The `events` list: each event as its keys, raw values and whether each value is a
    /// plain string ([`crate::records::decode::RawPair`]), ended by a `None`, collected in
    /// `out` (an empty list whose allocation is reused).
    pub(super) fn events(&mut self, depth: u32, mut out: RawEvents<'a>) -> Option<RawEvents<'a>> {
        self.eat(b'[')?;
        self.ws();
        if self.eat(b']').is_some() {
            return Some(out);
        }
        // Room for a few events of two keys each (and their ends) in one allocation.
        out.reserve(12);
        loop {
            if self.peek() != b'{' || depth >= self.max {
                return None;
            }
            self.bump();
            self.ws();
            if self.eat(b'}').is_none() {
                loop {
                    let (start, end, _) = self.key()?;
                    let key = self.t.get(start..end)?;
                    self.colon()?;
                    let (v, plain) = self.raw_value(depth.checked_add(1)?)?;
                    out.push(Some((Cow::Borrowed(key), v, plain)));
                    if self.separator(b'}')? {
                        break;
                    }
                }
            }
            out.push(None);
            if self.separator(b']')? {
                return Some(out);
            }
        }
    }
}
