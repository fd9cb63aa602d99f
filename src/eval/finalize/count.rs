//! Counting a recipient's occurrences of a reward per period: the position of each occurrence
//! (count tiers, `every Nth`, `at Nth`) and, for retroactive tiers, each period's final count.

use crate::eval::judge::{Candidate, Fate};
use crate::program::{AmountDef, Program, RewardDef};
use crate::time::{local_date, Instant, Period};
use crate::value::Text;
use std::collections::{HashMap, VecDeque};

/// A count's key: reward, counter (0 for count tiers, 1 for `nth`), role, recipient, period.
type Key = (usize, u8, Text, Text, i64);

/// A rolling count's key: a [`Key`] without the period.
type RollingKey = (usize, u8, Text, Text);

/// Counts occurrences per recipient and period.
#[derive(Default)]
pub(crate) struct Counter {
    calendar: HashMap<Key, u64>,
    rolling: HashMap<RollingKey, VecDeque<Instant>>,
}

impl Counter {
    /// The position (1-based) of an occurrence in its period. Only occurrences that `count`
    /// advance the tally; a forfeited one is placed after them without taking a place. A count
    /// is at most the run's candidates (held in memory or on disk), so it never reaches
    /// `u64::MAX` and saturating cannot change a position.
    pub(crate) fn next(
        &mut self,
        tag: (usize, u8),
        c: &Candidate,
        period: Period,
        tz: chrono_tz::Tz,
        count: bool,
    ) -> u64 {
        match period {
            Period::Rolling(d) => {
                let q = self
                    .rolling
                    .entry((tag.0, tag.1, c.role.clone(), c.recipient.clone()))
                    .or_default();
                let start = crate::time::sub(&c.earned_at, d, tz);
                while q.front().is_some_and(|t| start.is_some_and(|s| *t <= s)) {
                    q.pop_front();
                }
                if count {
                    q.push_back(c.earned_at);
                    q.len() as u64
                } else {
                    (q.len() as u64).saturating_add(1)
                }
            }
            p => {
                let key = p.key(local_date(&c.earned_at, tz));
                let n = self
                    .calendar
                    .entry((tag.0, tag.1, c.role.clone(), c.recipient.clone(), key))
                    .or_default();
                if count {
                    *n = n.saturating_add(1);
                    *n
                } else {
                    n.saturating_add(1)
                }
            }
        }
    }
}

/// Each period's final count, for retroactive count tiers (taken over every candidate first).
#[derive(Default)]
pub(crate) struct Totals(HashMap<Key, u64>);

impl Totals {
    /// Counts one candidate, if its reward has retroactive count tiers.
    pub(crate) fn add(&mut self, program: &Program, c: &Candidate) {
        if let Some(RewardDef {
            amount:
                AmountDef::CountTiers {
                    period,
                    retroactive: true,
                    ..
                },
            ..
        }) = program.rewards.get(c.reward)
        {
            if matches!(c.fate, Fate::Forfeited(_)) {
                return;
            }
            let key = period.key(local_date(&c.earned_at, program.tz));
            let n = self
                .0
                .entry((c.reward, 0, c.role.clone(), c.recipient.clone(), key))
                .or_default();
            *n = n.saturating_add(1);
        }
    }

    /// The final count of a candidate's period.
    pub(crate) fn get(&self, c: &Candidate, key: i64) -> Option<u64> {
        self.0
            .get(&(c.reward, 0, c.role.clone(), c.recipient.clone(), key))
            .copied()
    }
}

/// Whether any reward of the program needs [`Totals`].
pub(crate) fn needs_totals(program: &Program) -> bool {
    program.rewards.iter().any(|r| {
        matches!(
            r.amount,
            AmountDef::CountTiers {
                retroactive: true,
                ..
            }
        )
    })
}
