//! Milestones of one record: which events reach each milestone, in order, inside its deadline
//! (measured from `created` or from another milestone), and which lapse. Used by
//! [`super::judge`].

use super::expr::{Ctx, EvalError};
use crate::program::*;
use crate::records::Record;
use crate::time::{add, Instant};
use crate::value::Value;
use std::cell::RefCell;

/// A milestone's state for one record.
pub(super) struct Reached {
    /// Times (and event indexes) it was reached; one for plain milestones.
    pub(super) hits: Vec<(Instant, Option<usize>)>,
    /// Its deadline passed unreached.
    pub(super) lapsed: bool,
}

pub(super) fn milestones(
    program: &Program,
    params: &[Value],
    rec: &Record,
    created_at: Instant,
    as_of_end: Instant,
    trace: Option<&RefCell<Vec<String>>>,
) -> Result<Vec<Reached>, EvalError> {
    let n = program.milestones.len();
    let mut done: Vec<Option<Reached>> = (0..n).map(|_| None).collect();
    // Resolve in dependency order (anchors first); cycles were rejected by the checker.
    for _round in 0..=n {
        let mut progressed = false;
        for (i, m) in program.milestones.iter().enumerate() {
            if done.get(i).is_some_and(Option::is_some) {
                continue;
            }
            // `Some(None)`: the anchor milestone was not reached; `None`: not resolved yet.
            let anchor: Option<Option<Instant>> = match m.within.map(|w| w.anchor) {
                None | Some(Anchor::Created) => Some(Some(created_at)),
                Some(Anchor::Milestone(a)) => match done.get(a) {
                    Some(Some(r)) => Some(r.hits.first().map(|(t, _)| *t)),
                    _ => None,
                },
            };
            let Some(anchor) = anchor else { continue };
            progressed = true;
            let state = match anchor {
                None => {
                    // Not reached because its anchor was not; it lapsed if the anchor lapsed.
                    let anchor_lapsed = matches!(m.within.map(|w| w.anchor),
                        Some(Anchor::Milestone(a)) if done.get(a).is_some_and(|r| r.as_ref().is_some_and(|r| r.lapsed)));
                    Reached {
                        hits: Vec::new(),
                        lapsed: anchor_lapsed,
                    }
                }
                Some(start) => {
                    let deadline = match m.within {
                        Some(w) => Some(
                            add(&start, w.duration, program.tz)
                                .ok_or_else(|| EvalError::new(None, "deadline out of range"))?,
                        ),
                        None => None,
                    };
                    let firsts: Vec<Option<Instant>> = done
                        .iter()
                        .map(|d| d.as_ref().and_then(|r| r.hits.first().map(|(t, _)| *t)))
                        .collect();
                    let mut hits = Vec::new();
                    super::expr::charge(rec, rec.events.len())?;
                    for (ei, ev) in rec.events.iter().enumerate() {
                        if ev.kind != m.kind || ev.at < start || deadline.is_some_and(|d| ev.at > d)
                        {
                            continue;
                        }
                        if let Some(f) = &m.filter {
                            let ctx = Ctx {
                                program,
                                record: rec,
                                event: Some(ev),
                                params,
                                milestones: &firsts,
                                trace,
                            };
                            if !ctx.truth(f)? {
                                continue;
                            }
                        }
                        hits.push((ev.at, Some(ei)));
                        if !m.each || m.limit.is_some_and(|l| hits.len() >= l as usize) {
                            break;
                        }
                    }
                    let lapsed = hits.is_empty() && deadline.is_some_and(|d| d < as_of_end);
                    if let Some(t) = trace {
                        let kind = program
                            .events
                            .get(m.kind)
                            .map(|k| k.name.as_str())
                            .unwrap_or("?");
                        let window = match (m.within, deadline) {
                            (Some(w), Some(d)) => format!(
                                " (deadline {}: {} after {})",
                                d.to_rfc3339(),
                                w.duration,
                                anchor_name(program, w.anchor)
                            ),
                            _ => String::new(),
                        };
                        t.borrow_mut().push(match (hits.first(), lapsed) {
                            (Some((at, _)), _) if m.each => format!(
                                "✓ milestone `{}`: {} `{kind}` events{window}, first {}",
                                m.name,
                                hits.len(),
                                at.to_rfc3339()
                            ),
                            (Some((at, _)), _) => format!(
                                "✓ milestone `{}`: `{kind}` at {}{window}",
                                m.name,
                                at.to_rfc3339()
                            ),
                            (None, true) => {
                                // Name the events of that kind that missed the window.
                                let missed: Vec<String> = rec
                                    .events
                                    .iter()
                                    .filter(|e| e.kind == m.kind)
                                    .map(|e| {
                                        let when = if e.at < start { "before the start" } else if deadline.is_some_and(|d| e.at > d) { "after the deadline" } else { "filtered out by `where`" };
                                        format!("{} ({when})", e.at.to_rfc3339())
                                    })
                                    .collect();
                                let seen = if missed.is_empty() {
                                    format!("; the record has no `{kind}` event")
                                } else {
                                    format!("; `{kind}` at {}", missed.join(", "))
                                };
                                format!(
                                    "✗ milestone `{}` lapsed: no `{kind}` event in time{window}{seen}",
                                    m.name
                                )
                            }
                            (None, false) => {
                                format!("… milestone `{}` not reached yet{window}", m.name)
                            }
                        });
                    }
                    Reached { hits, lapsed }
                }
            };
            if let Some(slot) = done.get_mut(i) {
                *slot = Some(state);
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(done
        .into_iter()
        .map(|d| {
            d.unwrap_or(Reached {
                hits: Vec::new(),
                lapsed: false,
            })
        })
        .collect())
}

pub(super) fn anchor_name(program: &Program, a: Anchor) -> String {
    match a {
        Anchor::Created => "created".into(),
        Anchor::Milestone(m) => program
            .milestones
            .get(m)
            .map(|x| x.name.clone())
            .unwrap_or_default(),
    }
}
