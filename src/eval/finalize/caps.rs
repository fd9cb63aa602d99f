//! Caps (in the order written) and the program's budgets: a line that would pass one is cut to
//! what remains, and a line cut to nothing is `capped`.

use crate::eval::judge::Candidate;
use crate::ledger::Facts;
use crate::money::Currency;
use crate::program::{CapLimit, CapScope, Program, RewardDef, RewardKind};
use crate::records::RecordProblem;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// What has been used of each cap and budget so far.
#[derive(Default)]
pub(crate) struct Caps {
    /// By reward, cap index, scope (`role:recipient`, referee or nothing) and period.
    used: HashMap<(usize, usize, String, i64), (Decimal, u64)>,
    budget_used: BTreeMap<Currency, Decimal>,
}

/// A line's worth while caps apply.
pub(crate) struct Worth {
    pub amount: Option<Decimal>,
    pub currency: Option<Currency>,
    pub quantity: Option<Decimal>,
    /// Cut to nothing.
    pub capped: bool,
}

/// Where a cut is explained.
pub(crate) struct Notes<'a> {
    pub facts: &'a mut Facts,
    pub steps: &'a mut Vec<String>,
    pub problems: &'a mut Vec<RecordProblem>,
}

impl Caps {
    /// Applies the reward's caps in order. False when the line is a problem (reported).
    /// `consumes`: the line uses up what it is paid (forfeited lines do not).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn apply(
        &mut self,
        reward: &RewardDef,
        c: &Candidate,
        earned_day: NaiveDate,
        consumes: bool,
        w: &mut Worth,
        n: &mut Notes<'_>,
    ) -> bool {
        for (ci, cap) in reward.caps.iter().enumerate() {
            // A per-line cap starts from nothing for every line.
            let mut own = (Decimal::ZERO, 0u64);
            let used = match cap.scope {
                CapScope::Reward => &mut own,
                scope => {
                    let scope = match scope {
                        CapScope::Recipient => format!("{}:{}", c.role, c.recipient),
                        CapScope::Referee => c.referee.to_string(),
                        _ => String::new(),
                    };
                    let key = (
                        c.reward,
                        ci,
                        scope,
                        cap.period.map(|p| p.key(earned_day)).unwrap_or(0),
                    );
                    self.used.entry(key).or_insert((Decimal::ZERO, 0))
                }
            };
            match cap.limit {
                CapLimit::Money(limit) => {
                    let Some(a) = w.amount else { continue };
                    if Some(limit.currency) != w.currency {
                        n.problems.push(super::lines::line_problem(
                            c,
                            format!(
                                "`{}` is in {} but the line is in {}",
                                cap.text,
                                limit.currency,
                                w.currency.map(|x| x.to_string()).unwrap_or_default()
                            ),
                        ));
                        return false;
                    }
                    let Some(left) = fits(limit.amount.checked_sub(used.0), c, Some(&cap.text), n)
                    else {
                        return false;
                    };
                    let remaining = left.max(Decimal::ZERO);
                    if a > remaining {
                        n.facts.push("uncapped", a.to_string());
                        n.facts
                            .push("cap", format!("{} ({} left)", cap.text, remaining));
                        n.steps.push(format!(
                            "`{}` leaves {remaining}, so {a} is cut to {remaining}",
                            cap.text
                        ));
                        w.amount = Some(remaining);
                        w.capped = remaining.is_zero();
                    }
                    if consumes {
                        let total = used.0.checked_add(w.amount.unwrap_or_default());
                        let Some(total) = fits(total, c, Some(&cap.text), n) else {
                            return false;
                        };
                        used.0 = total;
                    }
                }
                CapLimit::Count(limit) if reward.kind == RewardKind::Points => {
                    // For points, a count cap limits the points themselves (partial awards too).
                    let Some(q) = w.quantity else { continue };
                    let left = Decimal::from(limit).checked_sub(used.0);
                    let Some(left) = fits(left, c, Some(&cap.text), n) else {
                        return false;
                    };
                    let remaining = left.max(Decimal::ZERO);
                    if q > remaining {
                        n.facts
                            .push("uncapped", format!("{} points", q.normalize()));
                        n.facts
                            .push("cap", format!("{} ({} left)", cap.text, remaining));
                        n.steps.push(format!(
                            "`{}` leaves {remaining} points, so {} is cut to {remaining}",
                            cap.text,
                            q.normalize()
                        ));
                        w.quantity = Some(remaining);
                        w.capped = remaining.is_zero();
                    }
                    if consumes {
                        let total = used.0.checked_add(w.quantity.unwrap_or_default());
                        let Some(total) = fits(total, c, Some(&cap.text), n) else {
                            return false;
                        };
                        used.0 = total;
                    }
                }
                CapLimit::Count(limit) => {
                    if used.1 >= limit {
                        n.facts.push("cap", format!("{} (reached)", cap.text));
                        n.steps.push(format!("`{}` is already reached", cap.text));
                        w.amount = w.amount.map(|_| Decimal::ZERO);
                        w.quantity = w.quantity.map(|_| Decimal::ZERO);
                        w.capped = true;
                    } else if consumes {
                        // Below `limit` here, so one more fits.
                        used.1 = used.1.saturating_add(1);
                    }
                }
            }
        }
        true
    }

    /// Applies the program budget in the line's currency. False when the line is a problem.
    pub(crate) fn budget(
        &mut self,
        program: &Program,
        c: &Candidate,
        consumes: bool,
        w: &mut Worth,
        n: &mut Notes<'_>,
    ) -> bool {
        let (false, Some(a), Some(cur)) = (program.budgets.is_empty(), w.amount, w.currency) else {
            return true;
        };
        let Some(budget) = program.budget_for(cur) else {
            let have: Vec<String> = program
                .budgets
                .iter()
                .map(|b| b.currency.to_string())
                .collect();
            n.problems.push(super::lines::line_problem(
                c,
                format!(
                    "the program has a budget in {} but none in {cur}, the currency of this line",
                    have.join(", ")
                ),
            ));
            return false;
        };
        let used = self.budget_used.entry(cur).or_default();
        let Some(left) = fits(budget.amount.checked_sub(*used), c, None, n) else {
            return false;
        };
        let remaining = left.max(Decimal::ZERO);
        if a > remaining {
            // After a cap, the amount the budget cut is not the uncapped one.
            let key = if n.facts.get("uncapped").is_some() {
                "before budget"
            } else {
                "uncapped"
            };
            n.facts.push(key, a.to_string());
            n.facts
                .push("budget", format!("{budget} ({remaining} left)"));
            n.steps.push(format!(
                "the program budget leaves {remaining}, so {a} is cut to {remaining}"
            ));
            w.amount = Some(remaining);
            w.capped = w.capped || remaining.is_zero();
        }
        if consumes {
            let total = used.checked_add(w.amount.unwrap_or_default());
            let Some(total) = fits(total, c, None, n) else {
                return false;
            };
            *used = total;
        }
        true
    }
}

/// A cap's (its text) or the budget's (`None`) sum, or `None` with the line's problem reported
/// when it overflows.
fn fits(
    sum: Option<Decimal>,
    c: &Candidate,
    cap: Option<&str>,
    n: &mut Notes<'_>,
) -> Option<Decimal> {
    if sum.is_none() {
        let e = crate::eval::expr::overflow();
        let what = match cap {
            Some(text) => format!("`{text}`"),
            None => "the program budget".to_string(),
        };
        n.problems.push(super::lines::line_problem(
            c,
            format!("{what}: {}", e.message),
        ));
    }
    sum
}
