//! Lowering milestones, their `within` deadlines, and the head of a reward (its name,
//! milestone and recipient); the reward's clauses are lowered in `expr.rs`.

use super::ast::*;
use super::lower::{Lower, P};
use super::Rule;

impl Lower {
    /// `milestone`.
    pub(super) fn milestone(&self, p: P) -> Option<Milestone> {
        let span = self.span(&p);
        let (mut name, mut each, mut event, mut filter, mut within, mut limit) =
            (None, false, None, None, None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::kw_each => each = true,
                Rule::word => event = Some(self.ident(&c)),
                Rule::where_clause => {
                    filter = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::expr)
                        .and_then(|e| self.expr(e));
                }
                Rule::within_clause => within = self.within_clause(c),
                Rule::limit_clause => {
                    limit = c.into_inner().find_map(|x| match x.as_rule() {
                        Rule::int => self.int(&x).map(Term::Value),
                        Rule::param_ref => Some(Term::Param(self.param_ref(&x))),
                        _ => None,
                    });
                }
                Rule::kw_milestone | Rule::equals | Rule::kw_event => {}
                _ => return self.unexpected(&c, "milestone"),
            }
        }
        Some(Milestone {
            name: name?,
            each,
            event: event?,
            filter,
            within,
            limit,
            span,
        })
    }

    /// `within_clause`.
    pub(super) fn within_clause(&self, p: P) -> Option<Within> {
        let span = self.span(&p);
        let (mut duration, mut anchor) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::duration => duration = self.duration(&c).map(Term::Value),
                Rule::param_ref => duration = Some(Term::Param(self.param_ref(&c))),
                Rule::word => anchor = Some(self.ident(&c)),
                Rule::kw_within | Rule::kw_after | Rule::kw_of => {}
                _ => return self.unexpected(&c, "within"),
            }
        }
        Some(Within {
            duration: duration?,
            anchor: anchor?,
            span,
        })
    }

    /// `reward`.
    pub(super) fn reward(&self, p: P) -> Option<Reward> {
        let span = self.span(&p);
        let (mut name, mut milestone, mut recipient, mut clauses) = (None, None, None, Vec::new());
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::word => milestone = Some(self.ident(&c)),
                Rule::path => recipient = Some(self.path(c)),
                Rule::kw_reward | Rule::kw_on | Rule::kw_to | Rule::lbrace | Rule::rbrace => {}
                _ => clauses.extend(self.reward_clause(c)),
            }
        }
        Some(Reward {
            name: name?,
            milestone: milestone?,
            recipient: recipient?,
            clauses,
            span,
        })
    }
}
