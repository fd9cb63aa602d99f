//! Do two syntax trees mean the same program? Spans aside, and header settings in any order.
//!
//! [`normalize`] walks a module and erases every span (and sorts the header's settings into the
//! canonical order, which the formatter prints). Every struct is destructured field by field,
//! so a field added to the syntax tree is a compile error here until it is handled.
//! [`equivalent`] compares two normalized modules by their `Debug` text rather than `==`: a
//! `Decimal`'s `==` ignores trailing zeros (`1.50 == 1.5`), its `Debug` does not, and the
//! formatter promises to keep numbers exactly as written.

use super::print::setting_rank;
use crate::source::Span;
use crate::syntax::ast::*;

/// A copy of `module` with every span erased and the header settings in canonical order.
pub fn normalize(module: &Module) -> Module {
    let mut m = module.clone();
    m.items.iter_mut().for_each(item);
    m
}

/// True when two modules are the same program: equal once normalized, trailing zeros included.
pub fn equivalent(a: &Module, b: &Module) -> bool {
    first_difference(a, b).is_none()
}

/// The index of the first item that differs (`items.len()` of the shorter when one has more).
pub(crate) fn first_difference(a: &Module, b: &Module) -> Option<usize> {
    let (a, b) = (normalize(a), normalize(b));
    let n = a.items.len().min(b.items.len());
    let differs = a
        .items
        .iter()
        .zip(&b.items)
        .position(|(x, y)| format!("{x:?}") != format!("{y:?}"));
    match differs {
        Some(i) => Some(i),
        None if a.items.len() != b.items.len() => Some(n),
        None => None,
    }
}

fn span(s: &mut Span) {
    *s = Span::default();
}

fn name(n: &mut Name) {
    span(&mut n.span);
}

fn path(p: &mut Path) {
    span(&mut p.span);
}

fn money(m: &mut MoneyLit) {
    let MoneyLit {
        amount: _,
        currency,
    } = m;
    name(currency);
}

fn item(it: &mut Item) {
    match it {
        Item::Header(Header {
            name: _,
            settings,
            span: s,
        }) => {
            span(s);
            settings.sort_by_key(|x| setting_rank(&x.kind));
            settings.iter_mut().for_each(setting);
        }
        Item::Include(Include { path: _, span: s }) => span(s),
        Item::Param(Param {
            name: n,
            value,
            span: s,
        }) => {
            span(s);
            name(n);
            literal(value);
        }
        Item::Fields(fields) => fields.iter_mut().for_each(field),
        Item::Events(events) => {
            for EventDecl {
                kind,
                attrs,
                span: s,
            } in events
            {
                span(s);
                name(kind);
                attrs.iter_mut().for_each(field);
            }
        }
        Item::Table(Table {
            name: n,
            key,
            rows,
            default,
            span: s,
        }) => {
            span(s);
            name(n);
            path(key);
            for (k, v) in rows {
                literal(k);
                literal(v);
            }
            default.iter_mut().for_each(literal);
        }
        Item::Condition(Condition {
            name: n,
            expr: e,
            span: s,
        })
        | Item::Reject(Reject {
            name: n,
            expr: e,
            span: s,
        })
        | Item::Eligible(Eligible {
            role: n,
            expr: e,
            span: s,
        }) => {
            span(s);
            name(n);
            expr(e);
        }
        Item::Window(Window {
            name: n,
            from: _,
            to: _,
            span: s,
        }) => {
            span(s);
            name(n);
        }
        Item::Duplicates(Duplicates { key, keep, span: s }) => {
            span(s);
            path(key);
            name(keep);
        }
        Item::Rates(Rates {
            name: n,
            currency,
            span: s,
        }) => {
            span(s);
            name(n);
            name(currency);
        }
        Item::Milestone(Milestone {
            name: n,
            each: _,
            event,
            filter,
            within: w,
            limit: _,
            span: s,
        }) => {
            span(s);
            name(n);
            name(event);
            filter.iter_mut().for_each(expr);
            w.iter_mut().for_each(within);
        }
        Item::Reward(Reward {
            name: n,
            milestone,
            recipient,
            clauses,
            span: s,
        }) => {
            span(s);
            name(n);
            name(milestone);
            path(recipient);
            clauses.iter_mut().for_each(clause);
        }
    }
}

fn setting(st: &mut Setting) {
    span(&mut st.span);
    match &mut st.kind {
        SettingKind::Currency(n) => name(n),
        SettingKind::Rounding { mode, scale: _ } => name(mode),
        SettingKind::Budget(t) | SettingKind::MinimumPayout(t) => term(t, money),
        SettingKind::Version(_) | SettingKind::Timezone(_) | SettingKind::Effective { .. } => {}
    }
}

fn field(f: &mut FieldDecl) {
    let FieldDecl {
        path: p,
        ty,
        optional: _,
        span: s,
    } = f;
    span(s);
    path(p);
    span(&mut ty.span);
    type_kind(&mut ty.kind);
}

fn type_kind(t: &mut TypeKind) {
    match t {
        TypeKind::Money(Some(c)) => name(c),
        TypeKind::List(inner) => type_kind(inner),
        TypeKind::Text
        | TypeKind::Number
        | TypeKind::Money(None)
        | TypeKind::Date
        | TypeKind::DateTime
        | TypeKind::Bool
        | TypeKind::Enum(_)
        | TypeKind::Unknown(_) => {}
    }
}

fn within(w: &mut Within) {
    let Within {
        duration: _,
        anchor,
        span: s,
    } = w;
    span(s);
    name(anchor);
}

fn period(p: &mut Period) {
    match p {
        Period::Named(n) => name(n),
        Period::Rolling(_, s) => span(s),
    }
}

fn clause(c: &mut Clause) {
    span(&mut c.span);
    match &mut c.kind {
        ClauseKind::Pays { kind, amount } => {
            name(kind);
            amount_spec(amount);
        }
        ClauseKind::Expires { after: _, anchor } => name(anchor),
        ClauseKind::Clawback { event, within: w } | ClauseKind::Forfeit { event, within: w } => {
            name(event);
            within(w);
        }
        ClauseKind::Cap(Cap {
            limit,
            scope,
            period: p,
        }) => {
            term(limit, |l| {
                if let CapLimit::Money(m) = l {
                    money(m);
                }
            });
            name(scope);
            p.iter_mut().for_each(period);
        }
        ClauseKind::Bonus { bonus, when } => {
            match bonus {
                BonusAmount::Fixed(l) => literal_term(l),
                BonusAmount::Multiplier(m) => term(m, |_| {}),
            }
            expr(when);
        }
        ClauseKind::OnlyIf(e) => expr(e),
        ClauseKind::Nth {
            every: _,
            n: _,
            period: p,
        } => period(p),
        ClauseKind::Hold(_) | ClauseKind::Schedule(_) | ClauseKind::Stacks => {}
    }
}

fn amount_spec(a: &mut AmountSpec) {
    match a {
        AmountSpec::Expr(e) => expr(e),
        AmountSpec::Tiers { measure, bands } => {
            expr(measure);
            bands.iter_mut().for_each(band);
        }
        AmountSpec::CountTiers {
            period: p,
            mode,
            bands,
        } => {
            period(p);
            mode.iter_mut().for_each(name);
            bands.iter_mut().for_each(band);
        }
    }
}

fn band(b: &mut Band) {
    let Band {
        lower,
        upper,
        pays,
        min,
        max,
        span: s,
    } = b;
    span(s);
    for Bound {
        value,
        inclusive: _,
        span: s,
    } in lower.iter_mut().chain(upper.iter_mut())
    {
        span(s);
        literal_term(value);
    }
    expr(pays);
    min.iter_mut().chain(max.iter_mut()).for_each(literal_term);
}

fn literal_term(t: &mut Term<Literal>) {
    term(t, literal);
}

/// A term: its value with `value`, or the parameter's name.
fn term<T>(t: &mut Term<T>, value: impl Fn(&mut T)) {
    match t {
        Term::Value(v) => value(v),
        Term::Param(n) => name(n),
        Term::Named { name: n, value: v } => {
            name(n);
            value(v);
        }
    }
}

fn literal(l: &mut Literal) {
    span(&mut l.span);
    match &mut l.kind {
        LiteralKind::Money(m) => money(m),
        LiteralKind::List(items) => items.iter_mut().for_each(literal),
        LiteralKind::Percent(_)
        | LiteralKind::Duration(_)
        | LiteralKind::Date(_)
        | LiteralKind::Number(_)
        | LiteralKind::Text(_)
        | LiteralKind::Bool(_) => {}
    }
}

fn expr(e: &mut Expr) {
    span(&mut e.span);
    match &mut e.kind {
        ExprKind::Lit(l) => literal(l),
        ExprKind::Path(p) => path(p),
        ExprKind::Call { func, args } => {
            name(func);
            for CallArg { expr: a, within: w } in args {
                expr(a);
                w.iter_mut().for_each(within);
            }
        }
        ExprKind::Unary { op: _, expr: x }
        | ExprKind::Presence {
            expr: x,
            present: _,
        } => expr(x),
        ExprKind::Binary { op: _, lhs, rhs } => {
            expr(lhs);
            expr(rhs);
        }
    }
}
