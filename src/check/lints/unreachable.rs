//! Unreachable rewards and milestones (M2005): an `at Nth` or a count band beyond a count cap
//! of the same period, a bonus or `only if` window outside the program's effective dates, a
//! cap of zero, an `each` milestone with `limit 0`, a milestone whose deadline counts from a
//! milestone that can only come later.

use super::LintInput;
use crate::diagnostics::{Code, Diagnostic};
use crate::program::{AmountDef, Anchor, CapLimit, CapScope, Expr};
use crate::value::Value;
use rust_decimal::Decimal;

pub(super) fn run(input: &LintInput<'_>, diags: &mut Vec<Diagnostic>) {
    let p = input.program;
    for r in &p.rewards {
        let count_cap = |period| {
            r.caps.iter().find_map(|c| match (c.limit, c.scope) {
                (CapLimit::Count(n), CapScope::Recipient)
                    if c.period == period || c.period.is_none() =>
                {
                    Some((n, c))
                }
                _ => None,
            })
        };
        if let Some(nth) = &r.nth {
            if let Some((n, cap)) = count_cap(Some(nth.period)) {
                if u64::from(nth.n) > n {
                    diags.push(
                        Diagnostic::new(
                            Code::UnreachableMilestone,
                            format!(
                                "`{}` pays on the {} referral, but `{}` stops at {n}",
                                r.name,
                                crate::value::ordinal(u64::from(nth.n)),
                                cap.text
                            ),
                            nth.span,
                        )
                        .also(cap.span, "the cap")
                        .help("raise the cap or lower N"),
                    );
                }
            }
        }
        if let AmountDef::CountTiers { period, bands, .. } = &r.amount {
            if let Some((n, cap)) = count_cap(Some(*period)) {
                for b in bands {
                    let lo = b.lower.as_ref().and_then(|l| match &l.value {
                        Value::Number(v) if l.inclusive => Some(*v),
                        // Saturating: only compared with the cap's count, far below the edge.
                        Value::Number(v) => Some(v.saturating_add(Decimal::ONE)),
                        _ => None,
                    });
                    if lo.is_some_and(|lo| lo > Decimal::from(n)) {
                        diags.push(
                            Diagnostic::new(
                                Code::UnreachableMilestone,
                                format!(
                                    "band `{}` can never be reached: `{}` stops at {n}",
                                    b.label, cap.text
                                ),
                                b.span,
                            )
                            .also(cap.span, "the cap")
                            .help("raise the cap or remove the band"),
                        );
                    }
                }
            }
        }
        for b in &r.bonuses {
            if let Some(win) = outside(p, &b.when) {
                diags.push(
                    Diagnostic::new(
                        Code::UnreachableMilestone,
                        format!("bonus window `{}` ({} to {}) lies outside the program's effective dates", win.name, win.from, win.to),
                        b.span,
                    )
                    .help("move the window inside `effective from ... to ...`"),
                );
            }
        }
        for t in &r.only_if {
            if let Some(win) = outside(p, &t.expr) {
                diags.push(
                    Diagnostic::new(
                        Code::UnreachableMilestone,
                        format!(
                            "`{}` only pays inside window `{}` ({} to {}), which lies outside the program's effective dates: it never pays",
                            r.name, win.name, win.from, win.to
                        ),
                        t.span,
                    )
                    .help("move the window inside `effective from ... to ...`"),
                );
            }
        }
        for c in &r.caps {
            let zero = match c.limit {
                CapLimit::Count(n) => n == 0,
                CapLimit::Money(m) => m.amount <= Decimal::ZERO,
            };
            if zero {
                diags.push(
                    Diagnostic::new(
                        Code::UnreachableMilestone,
                        format!("`{}` can never pay: `{}` leaves nothing", r.name, c.text),
                        c.span,
                    )
                    .help("give the cap a limit above zero, or remove the reward"),
                );
            }
        }
    }
    // A milestone measured from a milestone on the same kind of event that is itself `each`
    // is fine; one measured from a milestone that needs *this* milestone first is a cycle and
    // is reported by the checker. Here: a deadline anchored on a reward's own later milestone.
    for (i, m) in p.milestones.iter().enumerate() {
        let span = || {
            input
                .facts
                .decl_spans
                .get(&(4, i))
                .copied()
                .unwrap_or_default()
        };
        if m.limit == Some(0) {
            diags.push(
                Diagnostic::new(
                    Code::UnreachableMilestone,
                    format!("`{}` has `limit 0`: it never happens", m.name),
                    span(),
                )
                .help("give the limit at least 1, or remove it to count every event"),
            );
        }
        if let Some(w) = m.within {
            if let Anchor::Milestone(a) = w.anchor {
                if let Some(anchor) = p.milestones.get(a) {
                    if anchor.each {
                        diags.push(
                            Diagnostic::new(
                                Code::UnreachableMilestone,
                                format!(
                                    "`{}` counts from `{}`, which happens many times",
                                    m.name, anchor.name
                                ),
                                span(),
                            )
                            .help("count from a milestone that happens once"),
                        );
                    }
                }
            }
        }
    }
}

/// The window a bonus or `only if` condition tests, when it lies outside the program's
/// effective dates. The effective dates bound when referrals are created: a window after `to`
/// is unreachable for `created_at`, but a milestone (or another date) may well fall after
/// `to`. Nothing of a referral comes before `from`.
fn outside<'p>(
    p: &'p crate::program::Program,
    when: &Expr,
) -> Option<&'p crate::program::WindowDef> {
    let (w, created) = window_of(when)?;
    let win = p.windows.get(w)?;
    let (from, to) = p.effective;
    let before = created && to.is_some_and(|t| win.from > t);
    let after = from.is_some_and(|f| win.to < f);
    (before || after).then_some(win)
}

/// The window an `x in window` bonus condition tests, if it is that simple, and whether what
/// it tests is the referral's `created_at`.
fn window_of(e: &Expr) -> Option<(usize, bool)> {
    match e {
        Expr::InWindow {
            value,
            window,
            negated: false,
            ..
        } => Some((
            *window,
            matches!(**value, Expr::Field(crate::program::slot::CREATED_AT)),
        )),
        Expr::And(a, b) => window_of(a).or_else(|| window_of(b)),
        _ => None,
    }
}
