//! Expressions, literals and types as canonical text.
//!
//! Parentheses are printed only where the parser's precedence needs them (lowest first: `or`,
//! `and`, `not`, comparisons and `in`, `is present`/`is missing`, `+ -`, `* / of`, unary `-`;
//! binary operators are left-associative). `of` stays `of` where it was written (it means `*`).

use super::scan::Scan;
use crate::syntax::ast::*;

/// The precedence of an operand that needs no parentheses anywhere.
const ATOM: u8 = 100;
const NOT: u8 = 3;
const PRESENCE: u8 = 5;
const NEG: u8 = 8;

/// How tightly an expression binds (higher binds tighter).
pub(crate) fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Lit(_) | ExprKind::Path(_) | ExprKind::Call { .. } => ATOM,
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => NOT,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => NEG,
        ExprKind::Presence { .. } => PRESENCE,
        ExprKind::Binary { op, .. } => binary_prec(*op),
    }
}

/// How tightly a binary operator binds.
pub(crate) fn binary_prec(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::In
        | BinaryOp::NotIn => 4,
        BinaryOp::Add | BinaryOp::Sub => 6,
        BinaryOp::Mul | BinaryOp::Div => 7,
    }
}

/// Prints expressions; needs the source to tell `of` from `*`.
pub(crate) struct ExprPrinter<'s, 'a> {
    /// The source the expressions were parsed from.
    pub scan: &'s Scan<'a>,
}

impl ExprPrinter<'_, '_> {
    /// An expression on one line.
    pub fn expr(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Lit(l) => literal(l),
            ExprKind::Path(p) => p.dotted(),
            ExprKind::Call { func, args } => {
                let args: Vec<String> = args.iter().map(|a| self.arg(a)).collect();
                format!("{}({})", func.text, args.join(", "))
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                expr,
            } => format!("not {}", self.operand(expr, prec(expr) < NOT)),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                expr,
            } => {
                let inner = self.expr(expr);
                // `-5` would be the number -5, and `- 5` does not parse: `-(5)`.
                let digit = inner.starts_with(|c: char| c.is_ascii_digit());
                if prec(expr) < NEG || digit {
                    format!("-({inner})")
                } else {
                    format!("-{inner}")
                }
            }
            ExprKind::Presence { expr, present } => format!(
                "{} is {}",
                self.operand(expr, prec(expr) < PRESENCE),
                if *present { "present" } else { "missing" }
            ),
            ExprKind::Binary { op, lhs, rhs } => {
                let p = binary_prec(*op);
                format!(
                    "{} {} {}",
                    self.operand(lhs, prec(lhs) < p),
                    self.operator(*op, lhs, rhs),
                    self.operand(rhs, prec(rhs) <= p)
                )
            }
        }
    }

    /// An operand, in parentheses when asked.
    pub fn operand(&self, e: &Expr, paren: bool) -> String {
        if paren {
            format!("({})", self.expr(e))
        } else {
            self.expr(e)
        }
    }

    /// A binary operator as it should be written: `of` where the source says `of`.
    pub fn operator(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> &'static str {
        if op == BinaryOp::Mul {
            let (_, from) = self.scan.trim(lhs.span);
            let (to, _) = self.scan.trim(rhs.span);
            if self.scan.code_between(from, to) == "of" {
                return "of";
            }
        }
        op.symbol()
    }

    /// A call argument.
    fn arg(&self, a: &CallArg) -> String {
        match &a.within {
            Some(w) => format!("{} {}", self.expr(&a.expr), within(w)),
            None => self.expr(&a.expr),
        }
    }
}

/// `within 90 days after created`.
pub(crate) fn within(w: &Within) -> String {
    format!("within {} after {}", w.duration, w.anchor.text)
}

/// A string literal, quoted and escaped.
pub(crate) fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `50 USD`.
pub(crate) fn money(m: &MoneyLit) -> String {
    format!("{} {}", m.amount, m.currency.text)
}

/// A constant.
pub(crate) fn literal(l: &Literal) -> String {
    match &l.kind {
        LiteralKind::Money(m) => money(m),
        LiteralKind::Percent(p) => format!("{p}%"),
        LiteralKind::Duration(d) => d.to_string(),
        LiteralKind::Date(d) => d.format("%Y-%m-%d").to_string(),
        LiteralKind::Number(n) => n.to_string(),
        LiteralKind::Text(s) => quote(s),
        LiteralKind::Bool(b) => b.to_string(),
        LiteralKind::List(items) => {
            let items: Vec<String> = items.iter().map(literal).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// A field type.
pub(crate) fn type_kind(t: &TypeKind) -> String {
    match t {
        TypeKind::Text => "text".into(),
        TypeKind::Number => "number".into(),
        TypeKind::Money(None) => "money".into(),
        TypeKind::Money(Some(c)) => format!("money {}", c.text),
        TypeKind::Date => "date".into(),
        TypeKind::DateTime => "datetime".into(),
        TypeKind::Bool => "bool".into(),
        TypeKind::List(inner) => format!("list({})", type_kind(inner)),
        TypeKind::Enum(values) => format!("enum({})", values.join(", ")),
        TypeKind::Unknown(word) => word.clone(),
    }
}

/// A counting period: `per quarter`, `per rolling 30 days`.
pub(crate) fn period(p: &Period) -> String {
    match p {
        Period::Named(n) => format!("per {}", n.text),
        Period::Rolling(d, _) => format!("per rolling {d}"),
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, `11th`, `21st` ([`crate::value::ordinal`]).
pub(crate) fn ordinal(n: u32) -> String {
    crate::value::ordinal(u64::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_and_quotes() {
        let all: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 102, 111].map(ordinal).into();
        assert_eq!(
            all,
            ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "102nd", "111th"]
        );
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }
}
