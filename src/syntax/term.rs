//! [`Term`]: a value in a term position (a window's dates, a deadline, a hold, a cap, a bonus,
//! a tier bound) written either as the value itself or as the name of a `param`.
//!
//! The parser keeps what was written; the checker ([`mod@crate::check`]) turns every
//! [`Term::Param`] into a [`Term::Named`] holding the parameter's value (or a scenario's
//! override of it) before anything else reads the program, so the rest of the checker, the
//! lints and the evaluator always find a value, and explanations can still name the parameter.

use super::ast::Name;
use std::fmt;

/// A value, or the parameter that gives it.
#[derive(Clone, PartialEq)]
pub enum Term<T> {
    /// Written as a value: `60 days`, `2025-03-01`.
    Value(T),
    /// Written as a parameter's name: `deadline`, `launch_day`.
    Param(Name),
    /// Written as a parameter's name, and resolved by the checker to its value.
    Named {
        /// The parameter.
        name: Name,
        /// Its value (or a scenario's override of it).
        value: T,
    },
}

impl<T> Term<T> {
    /// The value, once known (always, after the checker's resolution; `None` for a name
    /// that did not resolve, which the checker has reported).
    pub fn value(&self) -> Option<&T> {
        match self {
            Term::Value(v) | Term::Named { value: v, .. } => Some(v),
            Term::Param(_) => None,
        }
    }

    /// The parameter's name, if written as one.
    pub fn param(&self) -> Option<&Name> {
        match self {
            Term::Value(_) => None,
            Term::Param(n) | Term::Named { name: n, .. } => Some(n),
        }
    }
}

/// Shows a value as the value itself (so syntax-tree snapshots of terms written as values
/// read as before), and a parameter as `Param("name")`.
impl<T: fmt::Debug> fmt::Debug for Term<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Value(v) => v.fmt(f),
            Term::Param(n) => f.debug_tuple("Param").field(&n.text).finish(),
            Term::Named { name, value } => f
                .debug_struct("Named")
                .field("name", &name.text)
                .field("value", value)
                .finish(),
        }
    }
}

/// Shows the value (resolved or written), or the parameter's name while it is unresolved.
impl<T: fmt::Display> fmt::Display for Term<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Value(v) | Term::Named { value: v, .. } => v.fmt(f),
            Term::Param(n) => f.write_str(&n.text),
        }
    }
}

impl Term<super::ast::Literal> {
    /// Where the value, or the parameter's name, was written.
    pub fn span(&self) -> crate::source::Span {
        match self {
            Term::Value(l) => l.span,
            Term::Param(n) | Term::Named { name: n, .. } => n.span,
        }
    }
}
