//! What changed in a program, in the designer's terms.
//!
//! Each program is reduced to an outline: one section per declaration (the header, each
//! param, field, event kind, window, table, condition, reject rule, milestone and reward, plus
//! the eligibility rules and the duplicates rule), each a list of facts `key → value` taken
//! from the checked program (values, labels, caps) and from the source text (expressions,
//! clauses; comments dropped, white space collapsed). Two outlines are compared section by
//! section and fact by fact.
//!
//! This file compares outlines and renders the changes; the outline itself ([`outline()`]) is
//! built in `terms/outline.rs`.

mod outline;

pub use outline::outline;

use serde_json::json;

/// One declaration, as a list of facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `program`, `param`, `field`, `event`, `window`, `table`, `condition`, `eligibility`,
    /// `reject`, `duplicates`, `milestone` or `reward`.
    pub what: &'static str,
    /// The declared name (empty for the header, eligibility and duplicates).
    pub name: String,
    /// `key → value`; a single fact with an empty key is the section's value (params, windows);
    /// a fact with an empty value is a member of a set (`only if ...`).
    pub facts: Vec<(String, String)>,
}

/// The order sections are listed in.
const ORDER: [&str; 12] = [
    "program",
    "param",
    "field",
    "event",
    "window",
    "table",
    "condition",
    "eligibility",
    "reject",
    "duplicates",
    "milestone",
    "reward",
];

/// How a section or a fact changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Only in the new program.
    Added,
    /// Only in the old program.
    Removed,
    /// In both, different.
    Changed,
}

impl Change {
    fn mark(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Changed => '~',
        }
    }

    fn word(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }
}

/// A fact that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactChange {
    /// The fact.
    pub key: String,
    /// Its old value (`None`: absent before).
    pub old: Option<String>,
    /// Its new value (`None`: absent now).
    pub new: Option<String>,
}

/// A section that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermChange {
    /// What kind of declaration.
    pub what: &'static str,
    /// Its name.
    pub name: String,
    /// Added, removed or changed.
    pub change: Change,
    /// The facts that differ (all of them for an added or removed section).
    pub facts: Vec<FactChange>,
}

fn diff_facts(old: &[(String, String)], new: &[(String, String)]) -> Vec<FactChange> {
    let mut out = Vec::new();
    for (k, v) in new {
        match old.iter().find(|(ok, _)| ok == k) {
            Some((_, ov)) if ov == v => {}
            Some((_, ov)) => out.push(FactChange {
                key: k.clone(),
                old: Some(ov.clone()),
                new: Some(v.clone()),
            }),
            None => out.push(FactChange {
                key: k.clone(),
                old: None,
                new: Some(v.clone()),
            }),
        }
    }
    for (k, v) in old {
        if !new.iter().any(|(nk, _)| nk == k) {
            out.push(FactChange {
                key: k.clone(),
                old: Some(v.clone()),
                new: None,
            });
        }
    }
    out
}

/// What differs between two outlines: header, params, fields, events, windows, tables,
/// conditions, eligibility, rejects, duplicates, milestones, rewards.
pub fn diff_terms(old: &[Section], new: &[Section]) -> Vec<TermChange> {
    let mut out = Vec::new();
    for what in ORDER {
        let same = |a: &Section, b: &Section| a.what == b.what && a.name == b.name;
        for n in new.iter().filter(|s| s.what == what) {
            match old.iter().find(|o| same(o, n)) {
                Some(o) => {
                    let facts = diff_facts(&o.facts, &n.facts);
                    if !facts.is_empty() {
                        out.push(TermChange {
                            what,
                            name: n.name.clone(),
                            change: Change::Changed,
                            facts,
                        });
                    }
                }
                None => out.push(TermChange {
                    what,
                    name: n.name.clone(),
                    change: Change::Added,
                    facts: diff_facts(&[], &n.facts),
                }),
            }
        }
        for o in old.iter().filter(|s| s.what == what) {
            if !new.iter().any(|n| same(o, n)) {
                out.push(TermChange {
                    what,
                    name: o.name.clone(),
                    change: Change::Removed,
                    facts: diff_facts(&o.facts, &[]),
                });
            }
        }
    }
    out
}

/// The changes as indented text lines.
pub fn render_text(changes: &[TermChange]) -> Vec<String> {
    let mut out = Vec::new();
    for c in changes {
        let title = if c.name.is_empty() {
            c.what.to_string()
        } else {
            format!("{} {}", c.what, c.name)
        };
        // A section whose only fact is its value: one line.
        if let [f] = c.facts.as_slice() {
            if f.key.is_empty() {
                let line = match (&f.old, &f.new) {
                    (Some(o), Some(n)) => format!("~ {title}: {o} → {n}"),
                    (None, Some(n)) => format!("+ {title} = {n}"),
                    (Some(o), None) => format!("- {title} = {o}"),
                    (None, None) => format!("~ {title}"),
                };
                out.push(line);
                continue;
            }
        }
        out.push(format!("{} {title}", c.change.mark()));
        for f in &c.facts {
            let line = match (&f.old, &f.new, c.change) {
                (Some(o), Some(n), _) if f.key.is_empty() => format!("{o} → {n}"),
                (Some(o), Some(n), _) => format!("{}: {o} → {n}", f.key),
                (None, Some(n), Change::Added) if n.is_empty() => f.key.clone(),
                (None, Some(n), Change::Added) => format!("{}: {n}", f.key),
                (Some(o), None, Change::Removed) if o.is_empty() => f.key.clone(),
                (Some(o), None, Change::Removed) => format!("{}: {o}", f.key),
                (None, Some(n), _) if n.is_empty() => format!("+ {}", f.key),
                (None, Some(n), _) => format!("+ {}: {n}", f.key),
                (Some(o), None, _) if o.is_empty() => format!("- {}", f.key),
                (Some(o), None, _) => format!("- {}: {o}", f.key),
                (None, None, _) => f.key.clone(),
            };
            out.push(format!("    {line}"));
        }
    }
    out
}

/// The changes as JSON.
pub fn to_json(changes: &[TermChange]) -> serde_json::Value {
    serde_json::Value::Array(
        changes
            .iter()
            .map(|c| {
                json!({
                    "what": c.what,
                    "name": c.name,
                    "change": c.change.word(),
                    "facts": c.facts.iter().map(|f| json!({
                        "key": f.key, "old": f.old, "new": f.new,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}
