//! Lowering expressions (by Pratt precedence climbing) and reward clauses.
//!
//! Precedence, lowest first: `or`, `and`, `not`, comparisons and `in`, `is present`/`is missing`,
//! `+ -`, `* / of`, unary `-`.

use super::ast::*;
use super::lower::{Lower, P};
use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::OnceLock;

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left)
                | Op::infix(Rule::op_in, Assoc::Left)
                | Op::infix(Rule::op_not_in, Assoc::Left))
            .op(Op::postfix(Rule::op_is_present) | Op::postfix(Rule::op_is_missing))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left)
                | Op::infix(Rule::op_div, Assoc::Left)
                | Op::infix(Rule::op_of, Assoc::Left))
            .op(Op::prefix(Rule::op_neg))
    })
}

fn is_operator(r: Rule) -> bool {
    matches!(
        r,
        Rule::op_or
            | Rule::op_and
            | Rule::op_not
            | Rule::op_neg
            | Rule::op_eq
            | Rule::op_ne
            | Rule::op_le
            | Rule::op_ge
            | Rule::op_lt
            | Rule::op_gt
            | Rule::op_in
            | Rule::op_not_in
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::op_of
            | Rule::op_is_present
            | Rule::op_is_missing
    )
}

impl Lower {
    /// `expr`.
    pub(super) fn expr(&self, p: P) -> Option<Expr> {
        let span = self.span(&p);
        if self.expr_depth.get() == 0 {
            // Counted once per outermost expression, without recursion.
            let operators = p
                .clone()
                .into_inner()
                .flatten()
                .filter(|x| is_operator(x.as_rule()))
                .count();
            // The limit (`SyntaxLimits::max_operators`) bounds every recursion over the tree.
            let max = self.max_operators;
            if operators > max {
                self.report(
                    Diagnostic::new(
                        Code::Limit,
                        format!("this expression has {operators} operators; the limit is {max}"),
                        span,
                    )
                    .help("name parts of it with `condition`; the limit can be raised with --max-rule-operators"),
                );
                return None;
            }
        }
        self.expr_depth.set(self.expr_depth.get().saturating_add(1));
        let result = self.expr_inner(p);
        self.expr_depth.set(self.expr_depth.get().saturating_sub(1));
        result
    }

    fn expr_inner(&self, p: P) -> Option<Expr> {
        let pairs = p.into_inner();
        pratt()
            .map_primary(|prim| self.primary(prim))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = self.span(&op).to(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_not => UnaryOp::Not,
                    _ => UnaryOp::Neg,
                };
                Some(Expr {
                    kind: ExprKind::Unary {
                        op,
                        expr: Box::new(rhs),
                    },
                    span,
                })
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                let span = lhs.span.to(self.span(&op));
                Some(Expr {
                    kind: ExprKind::Presence {
                        expr: Box::new(lhs),
                        present: op.as_rule() == Rule::op_is_present,
                    },
                    span,
                })
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let op = match op.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_in => BinaryOp::In,
                    Rule::op_not_in => BinaryOp::NotIn,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_div => BinaryOp::Div,
                    _ => BinaryOp::Mul,
                };
                let span = lhs.span.to(rhs.span);
                Some(Expr {
                    kind: ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    span,
                })
            })
            .parse(pairs)
    }

    /// `primary`.
    fn primary(&self, p: P) -> Option<Expr> {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::literal => ExprKind::Lit(self.literal(p)?),
            Rule::path => ExprKind::Path(self.path(p)),
            Rule::group => {
                let inner = p.into_inner().find(|c| c.as_rule() == Rule::expr);
                let mut e = self.expr(inner?)?;
                e.span = span;
                return Some(e);
            }
            Rule::call => self.call(p)?,
            _ => return self.unexpected(&p, "expression"),
        };
        Some(Expr { kind, span })
    }

    /// `call`.
    fn call(&self, p: P) -> Option<ExprKind> {
        let mut func = None;
        let mut args = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::word => func = Some(self.ident(&c)),
                Rule::call_arg => {
                    let (mut expr, mut within) = (None, None);
                    for a in c.into_inner() {
                        match a.as_rule() {
                            Rule::expr => expr = self.expr(a),
                            Rule::within_clause => within = self.within_clause(a),
                            _ => return self.unexpected(&a, "argument"),
                        }
                    }
                    args.push(CallArg {
                        expr: expr?,
                        within,
                    });
                }
                Rule::lparen | Rule::rparen | Rule::comma => {}
                _ => return self.unexpected(&c, "call"),
            }
        }
        Some(ExprKind::Call { func: func?, args })
    }

    /// `reward_clause`.
    pub(super) fn reward_clause(&self, p: P) -> Option<Clause> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let children: Vec<P> = p.clone().into_inner().collect();
        let first_of = |r: Rule| children.iter().find(|c| c.as_rule() == r).cloned();
        let kind = match rule {
            Rule::pays => {
                let kind = self.ident(&first_of(Rule::word)?);
                let amount = self.amount_spec(children.get(1).cloned()?)?;
                ClauseKind::Pays { kind, amount }
            }
            Rule::hold => ClauseKind::Hold(self.duration_term(&children)?),
            Rule::pay_schedule => {
                let s = first_of(Rule::schedule)?.into_inner().next()?;
                ClauseKind::Schedule(match s.as_rule() {
                    Rule::sched_end_next => Schedule::EndOfNextMonth,
                    Rule::sched_day_next => {
                        let day = s.into_inner().find(|c| c.as_rule() == Rule::int)?;
                        Schedule::DayOfNextMonth(self.int(&day)?)
                    }
                    Rule::sched_quarterly => Schedule::Quarterly,
                    _ => Schedule::Immediately,
                })
            }
            Rule::expires => ClauseKind::Expires {
                after: self.duration_term(&children)?,
                anchor: self.ident(&first_of(Rule::word)?),
            },
            Rule::clawback | Rule::forfeit => {
                let event = self.ident(&first_of(Rule::word)?);
                let within = self.within_clause(first_of(Rule::within_clause)?)?;
                if rule == Rule::clawback {
                    ClauseKind::Clawback { event, within }
                } else {
                    ClauseKind::Forfeit { event, within }
                }
            }
            Rule::cap => {
                let limit = match (
                    first_of(Rule::money),
                    first_of(Rule::int),
                    first_of(Rule::param_ref),
                ) {
                    (Some(m), _, _) => Term::Value(CapLimit::Money(self.money(Some(m), span)?)),
                    (None, Some(i), _) => Term::Value(CapLimit::Count(u64::from(self.int(&i)?))),
                    (None, None, Some(r)) => Term::Param(self.param_ref(&r)),
                    _ => return self.unexpected(&p, "cap"),
                };
                let scope = self.ident(&first_of(Rule::word)?);
                let period = match first_of(Rule::period) {
                    Some(pp) => Some(self.period(pp)?),
                    None => None,
                };
                ClauseKind::Cap(Cap {
                    limit,
                    scope,
                    period,
                })
            }
            Rule::bonus => {
                let bonus = if let Some(m) = first_of(Rule::multiplier) {
                    let n = m.into_inner().find(|c| c.as_rule() == Rule::number)?;
                    BonusAmount::Multiplier(Term::Value(self.number(&n)?))
                } else if let Some(m) = first_of(Rule::multiplier_param) {
                    let r = m.into_inner().find(|c| c.as_rule() == Rule::param_ref)?;
                    BonusAmount::Multiplier(Term::Param(self.param_ref(&r)))
                } else if let Some(l) = first_of(Rule::literal) {
                    BonusAmount::Fixed(Term::Value(self.literal(l)?))
                } else if let Some(r) = first_of(Rule::param_ref) {
                    BonusAmount::Fixed(Term::Param(self.param_ref(&r)))
                } else {
                    return self.unexpected(&p, "bonus");
                };
                ClauseKind::Bonus {
                    bonus,
                    when: self.expr(first_of(Rule::expr)?)?,
                }
            }
            Rule::only_if => ClauseKind::OnlyIf(self.expr(first_of(Rule::expr)?)?),
            Rule::nth => {
                let ordinal = first_of(Rule::ordinal)?;
                let n = ordinal
                    .clone()
                    .into_inner()
                    .find(|c| c.as_rule() == Rule::int)?;
                ClauseKind::Nth {
                    every: p.as_str().trim_start().starts_with("every"),
                    n: self.int(&n)?,
                    period: self.period(first_of(Rule::period)?)?,
                }
            }
            Rule::stacks => ClauseKind::Stacks,
            _ => return self.unexpected(&p, "reward"),
        };
        Some(Clause { kind, span })
    }

    /// `amount_spec`: `amount_tiers`, `count_tiers` or `expr`.
    fn amount_spec(&self, p: P) -> Option<AmountSpec> {
        match p.as_rule() {
            Rule::expr => Some(AmountSpec::Expr(self.expr(p)?)),
            Rule::amount_tiers => {
                let (mut measure, mut bands) = (None, Vec::new());
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::expr => measure = self.expr(c),
                        Rule::band => bands.extend(self.band(c)),
                        _ => {}
                    }
                }
                Some(AmountSpec::Tiers {
                    measure: measure?,
                    bands,
                })
            }
            Rule::count_tiers => {
                let (mut period, mut mode, mut bands) = (None, None, Vec::new());
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::period => period = self.period(c),
                        Rule::word => mode = Some(self.ident(&c)),
                        Rule::band => bands.extend(self.band(c)),
                        _ => {}
                    }
                }
                Some(AmountSpec::CountTiers {
                    period: period?,
                    mode,
                    bands,
                })
            }
            _ => self.unexpected(&p, "amount"),
        }
    }

    /// `period`.
    fn period(&self, p: P) -> Option<Period> {
        let span = self.span(&p);
        for c in p.clone().into_inner() {
            match c.as_rule() {
                Rule::rolling => {
                    let d = c.into_inner().find(|x| x.as_rule() == Rule::duration)?;
                    return Some(Period::Rolling(self.duration(&d)?, span));
                }
                Rule::word => return Some(Period::Named(self.ident(&c))),
                _ => {}
            }
        }
        self.unexpected(&p, "period")
    }

    /// `band`.
    fn band(&self, p: P) -> Option<Band> {
        let span = self.span(&p);
        let (mut lower, mut upper, mut pays, mut min, mut max) = (None, None, None, None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::band_lower | Rule::band_upper => {
                    let text = c.as_str().trim_start();
                    let inclusive = text.starts_with("from") || text.starts_with("to");
                    let bspan = self.span(&c);
                    let value = self.literal_term(c)?;
                    let bound = Some(Bound {
                        value,
                        inclusive,
                        span: bspan,
                    });
                    if text.starts_with("from") || text.starts_with("above") {
                        lower = bound;
                    } else {
                        upper = bound;
                    }
                }
                Rule::expr => pays = self.expr(c),
                Rule::band_min => min = self.literal_term(c),
                Rule::band_max => max = self.literal_term(c),
                Rule::arrow => {}
                _ => return self.unexpected(&c, "band"),
            }
        }
        Some(Band {
            lower,
            upper,
            pays: pays?,
            min,
            max,
            span,
        })
    }
    /// The `duration | param_ref` among a clause's children.
    fn duration_term(&self, children: &[P]) -> Option<Term<Duration>> {
        children.iter().find_map(|c| match c.as_rule() {
            Rule::duration => self.duration(c).map(Term::Value),
            Rule::param_ref => Some(Term::Param(self.param_ref(c))),
            _ => None,
        })
    }

    /// The `literal | param_ref` inside a band's bound, `min` or `max`.
    fn literal_term(&self, p: P) -> Option<Term<Literal>> {
        p.into_inner().find_map(|c| match c.as_rule() {
            Rule::literal => self.literal(c).map(Term::Value),
            Rule::param_ref => Some(Term::Param(self.param_ref(&c))),
            _ => None,
        })
    }
}
