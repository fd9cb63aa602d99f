//! Optional fields used without a guard (M1205, warning). An `optional` field may be absent; using
//! its value where nothing has tested `is present` makes such records *record problems* at run
//! time. A guard is a conjunction before the use (`x is present and x >= 70`), a disjunction
//! (`x is missing or x >= 70`), or the same through named conditions.

use super::LintInput;
use crate::diagnostics::{Code, Diagnostic};
use crate::program::{AmountDef, Expr, Program};
use crate::source::Span;
use std::collections::BTreeSet;

type Slots = BTreeSet<usize>;

/// How deep named conditions are followed (cycles were rejected by the checker).
const MAX_DEPTH: usize = 32;

fn guards(p: &Program, e: &Expr, when_true: bool, depth: usize) -> Slots {
    if depth > MAX_DEPTH {
        return Slots::new();
    }
    match e {
        Expr::Presence { expr, present, .. } => match (&**expr, *present == when_true) {
            (Expr::Field(s), true) => Slots::from([*s]),
            _ => Slots::new(),
        },
        Expr::And(a, b) | Expr::Or(a, b) => {
            let (ga, gb) = (
                guards(p, a, when_true, depth),
                guards(p, b, when_true, depth),
            );
            let union = matches!(e, Expr::And(..)) == when_true;
            if union {
                ga.union(&gb).copied().collect()
            } else {
                ga.intersection(&gb).copied().collect()
            }
        }
        Expr::Not(x) => guards(p, x, !when_true, depth),
        Expr::Condition(i) => p
            .conditions
            .get(*i)
            .map(|c| guards(p, &c.expr, when_true, depth.saturating_add(1)))
            .unwrap_or_default(),
        _ => Slots::new(),
    }
}

fn walk(p: &Program, e: &Expr, guarded: &Slots, depth: usize, found: &mut Slots) {
    if depth > MAX_DEPTH {
        return;
    }
    match e {
        Expr::Field(s) => {
            if p.fields.get(*s).is_some_and(|f| f.optional) && !guarded.contains(s) {
                found.insert(*s);
            }
        }
        Expr::Presence { .. } | Expr::Const(_) => {}
        Expr::And(a, b) | Expr::Or(a, b) => {
            walk(p, a, guarded, depth, found);
            let mut g = guarded.clone();
            g.extend(guards(p, a, matches!(e, Expr::And(..)), depth));
            walk(p, b, &g, depth, found);
        }
        Expr::Condition(i) => {
            if let Some(c) = p.conditions.get(*i) {
                walk(p, &c.expr, guarded, depth.saturating_add(1), found);
            }
        }
        Expr::Not(x) | Expr::Neg(x) => walk(p, x, guarded, depth, found),
        Expr::Compare { lhs, rhs, .. } | Expr::Arith { lhs, rhs, .. } => {
            walk(p, lhs, guarded, depth, found);
            walk(p, rhs, guarded, depth, found);
        }
        Expr::InList { value, list, .. } => {
            walk(p, value, guarded, depth, found);
            walk(p, list, guarded, depth, found);
        }
        Expr::InWindow { value, .. } => walk(p, value, guarded, depth, found),
        Expr::Call { args, .. } => args.iter().for_each(|a| walk(p, a, guarded, depth, found)),
        Expr::EventAttr(_)
        | Expr::Param(_)
        | Expr::Table(_)
        | Expr::MilestoneAt(_)
        | Expr::Aggregate { .. } => {}
    }
}

pub(super) fn run(input: &LintInput<'_>, diags: &mut Vec<Diagnostic>) {
    let p = input.program;
    // Each use site: the expression, the guards in force there, and where to point.
    let mut sites: Vec<(&Expr, Slots, Span, String)> = Vec::new();
    let mut eligibility_guards = Slots::new();
    for t in &p.eligibility {
        sites.push((
            &t.expr,
            eligibility_guards.clone(),
            t.span,
            format!("eligible {}", t.name),
        ));
        // Later rules only run when earlier ones held.
        eligibility_guards.extend(guards(p, &t.expr, true, 0));
    }
    let mut after_rejects = eligibility_guards.clone();
    for t in &p.rejects {
        sites.push((
            &t.expr,
            eligibility_guards.clone(),
            t.span,
            format!("reject {}", t.name),
        ));
        after_rejects.extend(guards(p, &t.expr, false, 0));
    }
    for r in &p.rewards {
        let mut g = after_rejects.clone();
        for t in &r.only_if {
            sites.push((&t.expr, g.clone(), t.span, format!("reward {}", r.name)));
            g.extend(guards(p, &t.expr, true, 0));
        }
        match &r.amount {
            AmountDef::Expr(e) => sites.push((e, g.clone(), r.span, format!("reward {}", r.name))),
            AmountDef::Tiers { measure, .. } => {
                sites.push((measure, g.clone(), r.span, format!("reward {}", r.name)))
            }
            _ => {}
        }
        for b in &r.bonuses {
            sites.push((&b.when, g.clone(), b.span, format!("reward {}", r.name)));
        }
    }
    for (expr, guarded, span, place) in sites {
        let mut found = Slots::new();
        walk(p, expr, &guarded, 0, &mut found);
        for s in found {
            let Some(f) = p.fields.get(s) else { continue };
            diags.push(
                Diagnostic::new(
                    Code::OptionalUnguarded,
                    format!("`{}` is optional, but {place} uses it without testing that it is present", f.dotted),
                    span,
                )
                .help(format!(
                    "records without it will be reported as problems; write `{0} is present and ...` (or `{0} is missing or ...`)",
                    f.dotted
                )),
            );
        }
    }
}
