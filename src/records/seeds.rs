//! The serde side of the record decoder ([`super::decode`]): seeds and visitors that walk one
//! JSON object, keep the raw text of the declared fields only (everything else is skipped with
//! `IgnoredAny`, no tree is built), and borrow keys and strings when they have no escapes. Used
//! when the fast scanner ([`super::scan`]) gives up on a line.

use super::decode::{Child, Node, Raw, RawEvents};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
/// A map key, borrowed when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

/// Visits one JSON object against a node of the field tree.
pub(super) struct ObjectSeed<'a, 'de> {
    pub(super) node: &'a Node,
    pub(super) raw: &'a mut Raw<'de>,
    pub(super) prefix: &'a str,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.prefix.is_empty() {
            f.write_str("a JSON object")
        } else {
            write!(f, "an object at `{}`", self.prefix.trim_end_matches('.'))
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut currency: Option<&'de str> = None;
        let mut money_slots: Vec<usize> = Vec::new();
        // Every key of an object merit reads must be there once: a repeated `currency` or
        // `kind` would otherwise let the last (or first) value win unnoticed.
        let mut seen: Vec<Cow<'de, str>> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if seen.contains(&key) {
                let dotted = format!("{}{key}", self.prefix);
                if !self.raw.duplicate_keys.contains(&dotted) {
                    self.raw.duplicate_keys.push(dotted);
                }
            } else {
                seen.push(key.clone());
            }
            let child = self
                .node
                .children
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, c)| c);
            match child {
                Some(Child::Leaf(slot)) => {
                    let v: &'de RawValue = map.next_value()?;
                    if let Some(cell) = self.raw.slots.get_mut(*slot) {
                        cell.value = Some(v.get());
                    }
                    if self.node.money_sibling {
                        money_slots.push(*slot);
                    }
                }
                Some(Child::Node(n)) => {
                    let prefix = format!("{}{key}.", self.prefix);
                    map.next_value_seed(Nullable(ObjectSeed {
                        node: n,
                        raw: self.raw,
                        prefix: &prefix,
                    }))?;
                }
                Some(Child::Events) if self.prefix.is_empty() => {
                    self.raw.events = Some(map.next_value_seed(EventsSeed)?);
                }
                _ if key == "currency" && self.node.money_sibling => {
                    let v: &'de RawValue = map.next_value()?;
                    currency = Some(v.get());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        for slot in money_slots {
            if let Some(c) = self.raw.slots.get_mut(slot) {
                c.currency = currency;
            }
        }
        Ok(())
    }
}

/// Accepts `null` for an object (treated as absent).
struct Nullable<S>(S);

impl<'de, S: DeserializeSeed<'de, Value = ()>> DeserializeSeed<'de> for Nullable<S> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(NullableVisitor(self.0))
    }
}

struct NullableVisitor<S>(S);

impl<'de, S: DeserializeSeed<'de, Value = ()>> Visitor<'de> for NullableVisitor<S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.deserialize(d)
    }
}

/// The `events` array: each event kept as its key/raw-value pairs, ended by a `None`.
struct EventsSeed;

impl<'de> DeserializeSeed<'de> for EventsSeed {
    type Value = RawEvents<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed {
    type Value = RawEvents<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(ev) = seq.next_element_seed(EventSeed)? {
            // Whether a value is a plain string is not known here (see `RawPair`).
            out.extend(ev.into_iter().map(|(k, v)| Some((k, v, false))));
            out.push(None);
        }
        Ok(out)
    }
}

struct EventSeed;

impl<'de> DeserializeSeed<'de> for EventSeed {
    type Value = Vec<(Cow<'de, str>, &'de str)>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EventSeed {
    type Value = Vec<(Cow<'de, str>, &'de str)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let v: &'de RawValue = map.next_value()?;
            out.push((key, v.get()));
        }
        Ok(out)
    }
}
