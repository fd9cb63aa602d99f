//! Rule coverage: which tests, milestones, rewards and tier bands a set of records exercised.
//! Collected when [`super::Options::coverage`] is set; `merit test --coverage` reports it.

use serde::Serialize;
use std::collections::BTreeMap;

/// How often each part of a program was exercised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Eligibility, reject, `only if` and bonus conditions, by label (`eligible referrer: <text>`):
    /// how many times each was true and false.
    pub conditions: BTreeMap<String, Branches>,
    /// Milestones by name: how many times reached, and how many times not.
    pub milestones: BTreeMap<String, Branches>,
    /// Rewards by name: how many lines they produced.
    pub rewards: BTreeMap<String, u64>,
    /// Tier bands by `rule / band label`: how many lines fell in each.
    pub bands: BTreeMap<String, u64>,
}

/// True/false (or reached/missed) counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Branches {
    /// Times true (reached).
    pub hit: u64,
    /// Times false (missed).
    pub miss: u64,
}

/// Counts saturate: they are statistics, and no run comes near `u64::MAX`.
impl Coverage {
    /// Counts one outcome of a condition or milestone.
    pub fn branch(map: &mut BTreeMap<String, Branches>, label: &str, hit: bool) {
        let b = map.entry(label.to_string()).or_default();
        if hit {
            b.hit = b.hit.saturating_add(1);
        } else {
            b.miss = b.miss.saturating_add(1);
        }
    }

    /// Adds another coverage's counts to this one.
    pub fn merge(&mut self, other: &Coverage) {
        for (k, v) in &other.conditions {
            let b = self.conditions.entry(k.clone()).or_default();
            b.hit = b.hit.saturating_add(v.hit);
            b.miss = b.miss.saturating_add(v.miss);
        }
        for (k, v) in &other.milestones {
            let b = self.milestones.entry(k.clone()).or_default();
            b.hit = b.hit.saturating_add(v.hit);
            b.miss = b.miss.saturating_add(v.miss);
        }
        for (k, v) in &other.rewards {
            let n = self.rewards.entry(k.clone()).or_default();
            *n = n.saturating_add(*v);
        }
        for (k, v) in &other.bands {
            let n = self.bands.entry(k.clone()).or_default();
            *n = n.saturating_add(*v);
        }
    }
}
