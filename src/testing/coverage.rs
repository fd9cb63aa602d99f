//! Rule coverage of a program by its tests.
//!
//! The items come from the checked program: each reward, each tier band (`rule / band`), each
//! milestone (reached, and not reached), each bonus (applied to a line of its reward, and
//! not), each cap (it cut a line, and it did not), each eligibility, reject and `only if`
//! condition (true, and false). Bonuses and caps are read from the lines' facts. The counts come from the evaluator's [`Coverage`], summed over the tests
//! that ran the program. Percentages are integer arithmetic: `covered * 1000 / total` tenths,
//! and a threshold of N percent holds when `covered * 100 >= N * total`.

use crate::eval::coverage::{Branches, Coverage};
use crate::ledger::Line;
use crate::program::{AmountDef, Program};
use serde::Serialize;
use std::collections::BTreeMap;

fn bump(n: &mut u64) {
    *n = n.saturating_add(1);
}

/// Which part of the program an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// A reward rule: produced at least one line.
    Reward,
    /// A tier band: at least one line fell in it.
    Band,
    /// A milestone: reached, and not reached.
    Milestone,
    /// An eligibility, reject or `only if` condition: true, and false.
    Condition,
    /// A bonus: applied to a line of its reward, and not applied.
    Bonus,
    /// A cap: reached (it cut a line of its reward), and not reached.
    Cap,
}

impl Group {
    /// The word shown in reports.
    pub fn word(self) -> &'static str {
        match self {
            Group::Reward => "reward",
            Group::Band => "band",
            Group::Milestone => "milestone",
            Group::Condition => "condition",
            Group::Bonus => "bonus",
            Group::Cap => "cap",
        }
    }
}

/// One outcome that can be exercised (a branch), and how often it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    /// `lines`, `reached`, `missed`, `true`, `false`, `applied`, `not applied`, `not reached`.
    pub name: &'static str,
    /// Times exercised.
    pub count: u64,
}

/// One item of the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Its kind.
    pub group: Group,
    /// Its label (`bill_credit`, `closed_won_cash / below 50000`, `eligible referrer: ...`).
    pub label: String,
    /// Its outcomes; `None` when the run did not collect this kind (not counted).
    pub parts: Option<Vec<Part>>,
}

/// A program's coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramCoverage {
    /// The program's path, as shown.
    pub program: String,
    /// Items, in program order: rewards and their bands, milestones, bonuses and caps,
    /// conditions.
    pub items: Vec<Item>,
    /// Branches exercised.
    pub covered: u64,
    /// Branches in all.
    pub total: u64,
    /// `covered / total` as a percentage with one decimal, computed from integers (floor).
    pub percent: String,
    /// Whether milestones and conditions were collected.
    pub conditions_collected: bool,
}

impl ProgramCoverage {
    /// Whether coverage is at least `threshold` percent.
    pub fn meets(&self, threshold: u64) -> bool {
        meets(self.covered, self.total, threshold)
    }
}

/// `covered * 100 >= threshold * total`, in integers: products of two u64 fit in u128, so the
/// saturating multiplications are exact.
pub fn meets(covered: u64, total: u64, threshold: u64) -> bool {
    u128::from(covered).saturating_mul(100)
        >= u128::from(threshold).saturating_mul(u128::from(total))
}

/// `covered / total` in percent, one decimal, rounded down; `100.0` when there is nothing.
pub fn percent(covered: u64, total: u64) -> String {
    // Exact: a u64 times 1000 fits in u128.
    let Some(tenths) = u128::from(covered)
        .saturating_mul(1000)
        .checked_div(u128::from(total))
    else {
        return "100.0".to_string();
    };
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Coverage counts summed over runs; conditions and milestones `None` when a run did not
/// collect them (then rewards and bands come from the ledger lines).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    counts: Coverage,
    collected: bool,
    runs: u64,
    /// Lines per rule (reversals aside), for bonuses and caps.
    lines: BTreeMap<String, u64>,
    /// Lines a bonus applied to, by (rule, bonus as written): from the lines' facts.
    bonuses: BTreeMap<(String, String), u64>,
    /// Lines a cap cut, by (rule, cap as written): from the lines' facts.
    caps: BTreeMap<(String, String), u64>,
}

impl Tally {
    /// Adds one run: its collected coverage, or (when there is none) its ledger lines.
    pub fn add(&mut self, collected: Option<&Coverage>, lines: &[Line]) {
        let first = self.runs == 0;
        self.runs = self.runs.saturating_add(1);
        for l in lines.iter().filter(|l| l.reverses.is_none()) {
            bump(self.lines.entry(l.rule.to_string()).or_default());
            for (key, value) in &l.explanation.facts.0 {
                if key == "bonus" || key.starts_with("bonus ") {
                    bump(
                        self.bonuses
                            .entry((l.rule.to_string(), value.clone()))
                            .or_default(),
                    );
                } else if key == "cap" || key.starts_with("cap ") {
                    // `cap 500 USD per recipient per year (120 left)`: the cap as written.
                    let text = value.rsplit_once(" (").map_or(value.as_str(), |(t, _)| t);
                    bump(
                        self.caps
                            .entry((l.rule.to_string(), text.to_string()))
                            .or_default(),
                    );
                }
            }
        }
        match collected {
            Some(c) => {
                self.collected = first || self.collected;
                self.counts.merge(c);
            }
            None => {
                self.collected = false;
                let mut c = Coverage::default();
                for l in lines.iter().filter(|l| l.reverses.is_none()) {
                    let n = c.rewards.entry(l.rule.to_string()).or_default();
                    *n = n.saturating_add(1);
                    if let Some(t) = &l.tier {
                        let n = c.bands.entry(format!("{} / {t}", l.rule)).or_default();
                        *n = n.saturating_add(1);
                    }
                }
                self.counts.merge(&c);
            }
        }
    }

    /// The program's coverage by these runs.
    pub fn report(&self, program_name: &str, program: &Program) -> ProgramCoverage {
        // No run at all: nothing was exercised, which is known (0 of everything).
        let collected = self.runs == 0 || self.collected;
        let c = &self.counts;
        let mut items = Vec::new();
        let lines = |n: u64| {
            Some(vec![Part {
                name: "lines",
                count: n,
            }])
        };
        let branch = |b: Option<&Branches>, yes: &'static str, no: &'static str| {
            let b = b.copied().unwrap_or_default();
            collected.then(|| {
                vec![
                    Part {
                        name: yes,
                        count: b.hit,
                    },
                    Part {
                        name: no,
                        count: b.miss,
                    },
                ]
            })
        };
        for r in &program.rewards {
            items.push(Item {
                group: Group::Reward,
                label: r.name.clone(),
                parts: lines(c.rewards.get(&r.name).copied().unwrap_or(0)),
            });
            let bands = match &r.amount {
                AmountDef::Tiers { bands, .. } | AmountDef::CountTiers { bands, .. } => {
                    bands.as_slice()
                }
                _ => &[],
            };
            for b in bands {
                let label = format!("{} / {}", r.name, b.label);
                let n = c.bands.get(&label).copied().unwrap_or(0);
                items.push(Item {
                    group: Group::Band,
                    label,
                    parts: lines(n),
                });
            }
        }
        for m in &program.milestones {
            items.push(Item {
                group: Group::Milestone,
                label: m.name.clone(),
                parts: branch(c.milestones.get(&m.name), "reached", "missed"),
            });
        }
        let split = |hit: u64, of: u64, yes: &'static str, no: &'static str| {
            Some(vec![
                Part {
                    name: yes,
                    count: hit,
                },
                Part {
                    name: no,
                    count: of.saturating_sub(hit),
                },
            ])
        };
        for r in &program.rewards {
            let of = self.lines.get(&r.name).copied().unwrap_or(0);
            for b in &r.bonuses {
                let key = (r.name.clone(), b.text.clone());
                let hit = self.bonuses.get(&key).copied().unwrap_or(0);
                items.push(Item {
                    group: Group::Bonus,
                    label: format!("{} / {}", r.name, b.text),
                    parts: split(hit, of, "applied", "not applied"),
                });
            }
            for cap in &r.caps {
                let key = (r.name.clone(), cap.text.clone());
                let hit = self.caps.get(&key).copied().unwrap_or(0);
                items.push(Item {
                    group: Group::Cap,
                    label: format!("{} / {}", r.name, cap.text),
                    parts: split(hit, of, "reached", "not reached"),
                });
            }
        }
        let mut condition = |label: String| {
            let parts = branch(c.conditions.get(&label), "true", "false");
            items.push(Item {
                group: Group::Condition,
                label,
                parts,
            });
        };
        for t in &program.eligibility {
            condition(format!("eligible {}: {}", t.name, t.text));
        }
        for t in &program.rejects {
            condition(format!("reject {}: {}", t.name, t.text));
        }
        for r in &program.rewards {
            for t in &r.only_if {
                condition(format!("only if {}: {}", r.name, t.text));
            }
        }
        let (mut covered, mut total) = (0u64, 0u64);
        for part in items.iter().filter_map(|i| i.parts.as_ref()).flatten() {
            total = total.saturating_add(1);
            if part.count > 0 {
                covered = covered.saturating_add(1);
            }
        }
        ProgramCoverage {
            program: program_name.to_string(),
            items,
            covered,
            total,
            percent: percent(covered, total),
            conditions_collected: collected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_integer_arithmetic() {
        assert_eq!(percent(2, 3), "66.6");
        assert_eq!(percent(1, 3), "33.3");
        assert_eq!(percent(9999, 10000), "99.9");
        assert_eq!(percent(0, 7), "0.0");
        assert_eq!(percent(0, 0), "100.0");
        assert!(meets(2, 3, 66));
        assert!(!meets(2, 3, 67));
        assert!(meets(4, 5, 80));
        assert!(!meets(u64::MAX / 50, u64::MAX / 10, 21));
        assert!(meets(u64::MAX / 5, u64::MAX, 19));
        assert_eq!(percent(u64::MAX - 1, u64::MAX), "99.9");
    }
}
