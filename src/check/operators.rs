//! Typing and compiling binary operators: `and`/`or`, `in`/`not in` (lists and windows),
//! comparisons (with enum values checked) and arithmetic (`+ - * /` on numbers, money,
//! percentages, dates and durations, currencies kept apart).

use super::decls::same_kind;
use super::expr::ERR;
use super::Checker;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::program::Expr;
use crate::syntax::ast::{self, BinaryOp};
use crate::value::{Type, Value};
use std::sync::Arc;

impl<'a> Checker<'a> {
    pub(super) fn binary(
        &mut self,
        whole: &ast::Expr,
        op: BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        ek: Option<usize>,
    ) -> (Expr, Type) {
        if matches!(op, BinaryOp::In | BinaryOp::NotIn) {
            if let Some(w) = self.window_index(rhs) {
                let (l, lt) = self.expr(lhs, ek);
                if !matches!(lt, Type::Date | Type::DateTime | Type::Error) {
                    self.report(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!("only a date or time can be in a window; this is {}", lt.a()),
                            lhs.span,
                        )
                        .also(rhs.span, "a window"),
                    );
                    return ERR;
                }
                return (
                    Expr::InWindow {
                        value: Box::new(l),
                        window: w,
                        negated: op == BinaryOp::NotIn,
                        text: Arc::from(self.text(whole.span)),
                    },
                    Type::Bool,
                );
            }
        }
        let (l, lt) = self.expr(lhs, ek);
        let (r, rt) = self.expr(rhs, ek);
        if lt == Type::Error || rt == Type::Error {
            return ERR;
        }
        let mismatch = |cx: &mut Checker<'a>, what: String, help: &str| {
            cx.report(
                Diagnostic::new(Code::TypeMismatch, what, whole.span)
                    .also(lhs.span, format!("{lt}"))
                    .also(rhs.span, format!("{rt}"))
                    .help(help.to_string()),
            );
            ERR
        };
        match op {
            BinaryOp::And | BinaryOp::Or => {
                if lt != Type::Bool || rt != Type::Bool {
                    return mismatch(
                        self,
                        format!("`{}` joins two true/false tests", op.symbol()),
                        "compare each side, e.g. `x >= 70 and y == \"a\"`",
                    );
                }
                let (l, r) = (Box::new(l), Box::new(r));
                let e = if op == BinaryOp::And {
                    Expr::And(l, r)
                } else {
                    Expr::Or(l, r)
                };
                (e, Type::Bool)
            }
            BinaryOp::In | BinaryOp::NotIn => {
                let Type::List(item) = &rt else {
                    return mismatch(
                        self,
                        format!("`{}` needs a list or a window on its right", op.symbol()),
                        "write `x in [\"a\", \"b\"]` or `created_at in spring`",
                    );
                };
                if !same_kind(&lt, item) {
                    return mismatch(
                        self,
                        format!("cannot look for {lt} in a list of {item}"),
                        "the value and the list items must have the same type",
                    );
                }
                self.check_enum_values(&lt, rhs, &r);
                (
                    Expr::InList {
                        value: Box::new(l),
                        list: Box::new(r),
                        negated: op == BinaryOp::NotIn,
                        text: Arc::from(self.text(whole.span)),
                    },
                    Type::Bool,
                )
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let ordered = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                if let Some(d) = self.comparable(&lt, &rt, ordered, whole, lhs, rhs) {
                    self.report(d);
                    return ERR;
                }
                self.check_enum_values(&lt, rhs, &r);
                self.check_enum_values(&rt, lhs, &l);
                (
                    Expr::Compare {
                        op,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                        text: Arc::from(self.text(whole.span)),
                    },
                    Type::Bool,
                )
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                match arith_type(op, &lt, &rt) {
                    Ok(t) => (
                        Expr::Arith {
                            op,
                            lhs: Box::new(l),
                            rhs: Box::new(r),
                        },
                        t,
                    ),
                    Err(ArithError::Currency(a, b)) => {
                        self.report(
                            Diagnostic::new(
                                Code::CurrencyMismatch,
                                format!("cannot {} {a} and {b}", verb(op)),
                                whole.span,
                            )
                            .also(lhs.span, a.to_string())
                            .also(rhs.span, b.to_string())
                            .help("merit never converts currencies; keep one currency per calculation"),
                        );
                        ERR
                    }
                    Err(ArithError::Types) => mismatch(
                        self,
                        format!("cannot {} {lt} and {rt}", verb(op)),
                        "amounts add to amounts, a rate applies to an amount (`2% of deal.amount`), a duration adds to a date",
                    ),
                }
            }
        }
    }

    /// Why two types cannot be compared, if they cannot.
    fn comparable(
        &self,
        lt: &Type,
        rt: &Type,
        ordered: bool,
        whole: &ast::Expr,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<Diagnostic> {
        let base = |code, msg: String, help: &str| {
            Some(
                Diagnostic::new(code, msg, whole.span)
                    .also(lhs.span, lt.to_string())
                    .also(rhs.span, rt.to_string())
                    .help(help.to_string()),
            )
        };
        match (lt, rt) {
            (Type::Money(Some(a)), Type::Money(Some(b))) if a != b => base(
                Code::CurrencyMismatch,
                format!("cannot compare money in {a} with money in {b}"),
                "merit never converts currencies; compare amounts of one currency",
            ),
            (Type::Money(_), Type::Number) | (Type::Number, Type::Money(_)) => base(
                Code::TypeMismatch,
                "cannot compare an amount of money with a bare number".into(),
                "give the number a currency: `50000 USD`",
            ),
            (Type::Date, Type::DateTime) | (Type::DateTime, Type::Date) => None,
            (a, b) if !same_kind(a, b) => base(
                Code::TypeMismatch,
                format!("cannot compare {a} with {b}"),
                "both sides of a comparison must have the same type",
            ),
            (a, _)
                if ordered && (a.is_text() || *a == Type::Bool || matches!(a, Type::List(_))) =>
            {
                base(
                    Code::TypeMismatch,
                    format!("{a} has no order; only `==` and `!=` compare it"),
                    "use `==`, `!=` or `in`",
                )
            }
            _ => None,
        }
    }

    /// Reports text constants compared with an enum field that are not among its values.
    fn check_enum_values(&mut self, ty: &Type, other: &ast::Expr, compiled: &Expr) {
        let Type::Enum(allowed) = ty else { return };
        let consts: Vec<String> = match compiled {
            Expr::Const(Value::Text(t)) => vec![t.to_string()],
            Expr::Const(Value::List(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::Text(t) => Some(t.to_string()),
                    _ => None,
                })
                .collect(),
            _ => return,
        };
        for c in consts {
            if !allowed.contains(&c) {
                self.report(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("\"{c}\" is not one of the values {}", allowed.join(", ")),
                        other.span,
                    )
                    .maybe_help(did_you_mean(&c, allowed.iter().map(String::as_str))),
                );
            }
        }
    }
}

fn verb(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "subtract",
        BinaryOp::Mul => "multiply",
        _ => "divide",
    }
}

enum ArithError {
    Types,
    Currency(crate::money::Currency, crate::money::Currency),
}

/// The type of `lt op rt`, for `+ - * /`.
fn arith_type(op: BinaryOp, lt: &Type, rt: &Type) -> Result<Type, ArithError> {
    use BinaryOp::*;
    use Type::*;
    let money =
        |a: &Option<crate::money::Currency>, b: &Option<crate::money::Currency>| match (a, b) {
            (Some(x), Some(y)) if x != y => Err(ArithError::Currency(*x, *y)),
            (Some(x), _) | (_, Some(x)) => Ok(Money(Some(*x))),
            _ => Ok(Money(None)),
        };
    match (op, lt, rt) {
        (_, Number, Number) => Ok(Number),
        (Add | Sub, Money(a), Money(b)) => money(a, b),
        (Add | Sub, Percent, Percent) => Ok(Percent),
        (Mul, Money(a), Number | Percent) | (Mul, Number | Percent, Money(a)) => Ok(Money(*a)),
        (Mul, Percent, Number) | (Mul, Number, Percent) => Ok(Number),
        (Div, Money(a), Number) => Ok(Money(*a)),
        (Div, Money(a), Money(b)) => money(a, b).map(|_| Number),
        (Add | Sub, DateTime, Duration) => Ok(DateTime),
        (Add | Sub, Date, Duration) => Ok(Date),
        (Add, Duration, DateTime) => Ok(DateTime),
        (Add, Duration, Date) => Ok(Date),
        _ => Err(ArithError::Types),
    }
}
