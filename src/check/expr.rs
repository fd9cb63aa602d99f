//! Typing and compiling expressions: every path resolved (field, parameter, condition, window,
//! table, milestone, event attribute), every operator checked against its operands' types.

use super::decls::same_kind;
use super::{Checker, NameRef};
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::program::{Aggregate, Expr, Func, Window};
use crate::syntax::ast::{self, BinaryOp, ExprKind, UnaryOp};
use crate::value::{Type, Value};
use std::sync::Arc;

const ERR: (Expr, Type) = (Expr::Const(Value::Bool(false)), Type::Error);

impl<'a> Checker<'a> {
    /// Compiles an expression; `event_kind` makes `event.attr` available.
    pub(crate) fn expr(&mut self, e: &ast::Expr, event_kind: Option<usize>) -> (Expr, Type) {
        match &e.kind {
            ExprKind::Lit(l) => match self.literal(l) {
                Some((v, t)) => (Expr::Const(v), t),
                None => ERR,
            },
            ExprKind::Path(p) => self.path(p, event_kind),
            ExprKind::Unary { op, expr } => {
                let (inner, t) = self.expr(expr, event_kind);
                match (op, &t) {
                    (_, Type::Error) => ERR,
                    (UnaryOp::Not, Type::Bool) => (Expr::Not(Box::new(inner)), Type::Bool),
                    (UnaryOp::Neg, Type::Number | Type::Money(_) | Type::Percent) => {
                        (Expr::Neg(Box::new(inner)), t)
                    }
                    (UnaryOp::Not, _) => {
                        self.report(Diagnostic::new(
                            Code::TypeMismatch,
                            format!("`not` needs true/false, but this is {}", t.a()),
                            expr.span,
                        ));
                        ERR
                    }
                    (UnaryOp::Neg, _) => {
                        self.report(Diagnostic::new(
                            Code::TypeMismatch,
                            format!(
                                "`-` needs a number, amount or percentage, but this is {}",
                                t.a()
                            ),
                            expr.span,
                        ));
                        ERR
                    }
                }
            }
            ExprKind::Presence { expr, present } => {
                let (inner, t) = self.expr(expr, event_kind);
                if t == Type::Error {
                    return ERR;
                }
                (
                    Expr::Presence {
                        expr: Box::new(inner),
                        present: *present,
                        text: Arc::from(self.text(expr.span)),
                    },
                    Type::Bool,
                )
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(e, *op, lhs, rhs, event_kind),
            ExprKind::Call { func, args } => self.call(func, args, event_kind),
        }
    }

    fn path(&mut self, p: &ast::Path, event_kind: Option<usize>) -> (Expr, Type) {
        let parts: Vec<&str> = p.parts.iter().map(String::as_str).collect();
        // event.attr
        if let ["event", attr] = parts.as_slice() {
            let Some(k) = event_kind else {
                self.report(
                    Diagnostic::new(
                        Code::UnknownName,
                        "`event` is only available where an event is being judged",
                        p.span,
                    )
                    .help("use `event.attr` in a milestone's `where` or in a reward's amount"),
                );
                return ERR;
            };
            let kind = self.events.get(k).cloned();
            let Some(kind) = kind else { return ERR };
            if let Some(i) = kind.attrs.iter().position(|a| a.dotted == *attr) {
                let ty = kind
                    .attrs
                    .get(i)
                    .map(|a| a.ty.clone())
                    .unwrap_or(Type::Error);
                return (Expr::EventAttr(i), ty);
            }
            let names: Vec<&str> = kind.attrs.iter().map(|a| a.dotted.as_str()).collect();
            self.report(
                Diagnostic::new(
                    Code::UnknownField,
                    format!("`{}` events have no attribute `{attr}`", kind.name),
                    p.span,
                )
                .maybe_help(did_you_mean(attr, names).or_else(|| {
                    Some(format!(
                        "declare it: `events {{ {} {{ {attr}: number }} }}`",
                        kind.name
                    ))
                })),
            );
            return ERR;
        }
        // Names: params, conditions, tables, milestones (and `name.at` for milestones).
        if let Some(r) = self
            .names
            .get(parts.first().copied().unwrap_or(""))
            .copied()
        {
            let at_suffix = matches!(parts.as_slice(), [_, "at"]);
            if parts.len() == 1 || (at_suffix && matches!(r, NameRef::Milestone(_))) {
                self.lint_facts.used.insert(r.key());
                return match r {
                    NameRef::Param(i) => {
                        let ty = self
                            .params
                            .get(i)
                            .map(|p| p.ty.clone())
                            .unwrap_or(Type::Error);
                        (Expr::Param(i), ty)
                    }
                    NameRef::Condition(i) => {
                        self.condition(i);
                        (Expr::Condition(i), Type::Bool)
                    }
                    NameRef::Window(_) => (Expr::Const(Value::Bool(false)), Type::Window),
                    NameRef::Table(i) => {
                        let ty = self.table_types.get(i).cloned().unwrap_or(Type::Error);
                        (Expr::Table(i), ty)
                    }
                    NameRef::Milestone(i) => (Expr::MilestoneAt(i), Type::DateTime),
                    NameRef::Rates(_) => {
                        self.report(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                format!("`{}` is a rates table, not a value", p.dotted()),
                                p.span,
                            )
                            .help(format!(
                                "convert an amount with it: `convert(deal.amount, {})`",
                                p.dotted()
                            )),
                        );
                        ERR
                    }
                };
            }
        }
        // Record fields.
        let dotted = p.dotted();
        if let Some(i) = self.fields.iter().position(|f| f.dotted == dotted) {
            let ty = self
                .fields
                .get(i)
                .map(|f| f.ty.clone())
                .unwrap_or(Type::Error);
            return (Expr::Field(i), ty);
        }
        if parts.len() == 1 {
            let mut names: Vec<String> = self.names.keys().cloned().collect();
            names.extend(self.fields.iter().map(|f| f.dotted.clone()));
            names.sort();
            self.report(
                Diagnostic::new(
                    Code::UnknownName,
                    format!("unknown name `{dotted}`"),
                    p.span,
                )
                .note("no parameter, condition, window, table, milestone or field has this name")
                .maybe_help(did_you_mean(&dotted, names.iter().map(String::as_str))),
            );
            return ERR;
        }
        self.field_slot(p);
        ERR
    }

    fn window_index(&mut self, e: &ast::Expr) -> Option<usize> {
        if let ExprKind::Path(p) = &e.kind {
            if let [name] = p.parts.as_slice() {
                if let Some(NameRef::Window(i)) = self.names.get(name).copied() {
                    self.lint_facts.used.insert(NameRef::Window(i).key());
                    return Some(i);
                }
            }
        }
        None
    }

    fn binary(
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

    fn call(&mut self, func: &ast::Name, args: &[ast::CallArg], ek: Option<usize>) -> (Expr, Type) {
        let agg = match func.text.as_str() {
            "count" => Some(Aggregate::Count),
            "sum" => Some(Aggregate::Sum),
            "min" => Some(Aggregate::Min),
            "max" => Some(Aggregate::Max),
            "first" => Some(Aggregate::First),
            "latest" => Some(Aggregate::Latest),
            _ => None,
        };
        if let Some(agg) = agg {
            return self.aggregate(func, agg, args);
        }
        if func.text == "convert" {
            return self.convert(func, args, ek);
        }
        let (f, arity) = match func.text.as_str() {
            "domain" => (Func::Domain, 1),
            "lower" => (Func::Lower, 1),
            "days_between" => (Func::DaysBetween, 2),
            other => {
                let names = [
                    "domain",
                    "lower",
                    "days_between",
                    "convert",
                    "count",
                    "sum",
                    "min",
                    "max",
                    "first",
                    "latest",
                ];
                self.report(
                    Diagnostic::new(
                        Code::UnknownFunction,
                        format!("unknown function `{other}`"),
                        func.span,
                    )
                    .maybe_help(
                        did_you_mean(other, names)
                            .or_else(|| Some(format!("functions: {}", names.join(", ")))),
                    ),
                );
                return ERR;
            }
        };
        if args.len() != arity || args.iter().any(|a| a.within.is_some()) {
            self.report(Diagnostic::new(
                Code::UnknownFunction,
                format!(
                    "`{}` takes {arity} argument{}",
                    func.text,
                    if arity == 1 { "" } else { "s" }
                ),
                func.span,
            ));
            return ERR;
        }
        let mut compiled = Vec::new();
        for a in args {
            let (e, t) = self.expr(&a.expr, ek);
            let ok = match f {
                Func::Domain | Func::Lower => t.is_text(),
                Func::DaysBetween => matches!(t, Type::Date | Type::DateTime),
                Func::Convert(_) => matches!(t, Type::Money(_)),
            };
            if t == Type::Error {
                return ERR;
            }
            if !ok {
                self.report(Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{}` cannot take {t}", func.text),
                    a.expr.span,
                ));
                return ERR;
            }
            compiled.push(e);
        }
        let ty = match f {
            Func::Domain | Func::Lower => Type::Text,
            Func::DaysBetween => Type::Number,
            Func::Convert(_) => Type::Money(None),
        };
        (
            Expr::Call {
                func: f,
                args: compiled,
            },
            ty,
        )
    }

    /// `convert(amount, rates)`: money into the rates table's currency.
    fn convert(
        &mut self,
        func: &ast::Name,
        args: &[ast::CallArg],
        ek: Option<usize>,
    ) -> (Expr, Type) {
        let usage = |cx: &mut Checker<'a>| {
            cx.report(
                Diagnostic::new(
                    Code::UnknownFunction,
                    "`convert` takes an amount and a rates table",
                    func.span,
                )
                .help("declare `rates fx in USD` and write `convert(deal.amount, fx)`"),
            );
            ERR
        };
        let [amount, table] = args else {
            return usage(self);
        };
        if amount.within.is_some() || table.within.is_some() {
            return usage(self);
        }
        let ExprKind::Path(p) = &table.expr.kind else {
            return usage(self);
        };
        let Some(NameRef::Rates(i)) = p.parts.first().and_then(|n| self.names.get(n)).copied()
        else {
            let names: Vec<String> = self.rates.iter().map(|r| r.name.clone()).collect();
            self.report(
                Diagnostic::new(
                    Code::UnknownName,
                    format!("`{}` is not a rates table", p.dotted()),
                    p.span,
                )
                .maybe_help(
                    did_you_mean(&p.dotted(), names.iter().map(String::as_str))
                        .or_else(|| Some("declare it: `rates fx in USD`".into())),
                ),
            );
            return ERR;
        };
        self.lint_facts.used.insert(NameRef::Rates(i).key());
        let (x, t) = self.expr(&amount.expr, ek);
        if t == Type::Error {
            return ERR;
        }
        if !matches!(t, Type::Money(_)) {
            self.report(Diagnostic::new(
                Code::TypeMismatch,
                format!("only money can be converted; this is {}", t.a()),
                amount.expr.span,
            ));
            return ERR;
        }
        let currency = self.rates.get(i).map(|r| r.currency);
        (
            Expr::Call {
                func: Func::Convert(i),
                args: vec![x],
            },
            Type::Money(currency),
        )
    }

    fn aggregate(
        &mut self,
        func: &ast::Name,
        agg: Aggregate,
        args: &[ast::CallArg],
    ) -> (Expr, Type) {
        let [arg] = args else {
            self.report(
                Diagnostic::new(
                    Code::UnknownFunction,
                    format!("`{}` takes one event kind", func.text),
                    func.span,
                )
                .help(format!(
                    "write `{}(payment.amount within 90 days after won)`",
                    func.text
                )),
            );
            return ERR;
        };
        let ExprKind::Path(p) = &arg.expr.kind else {
            self.report(Diagnostic::new(
                Code::UnknownFunction,
                format!(
                    "`{}` takes an event kind (`payment`) or an attribute (`payment.amount`)",
                    func.text
                ),
                arg.expr.span,
            ));
            return ERR;
        };
        let kind_name = ast::Name {
            text: p.parts.first().cloned().unwrap_or_default(),
            span: p.span,
        };
        let Some(kind) = self.event_kind(&kind_name) else {
            return ERR;
        };
        let attr = match p.parts.get(1..) {
            Some([a]) => {
                let attrs = self
                    .events
                    .get(kind)
                    .map(|k| k.attrs.clone())
                    .unwrap_or_default();
                match attrs.iter().position(|x| x.dotted == *a) {
                    Some(i) => Some((i, attrs.get(i).map(|x| x.ty.clone()).unwrap_or(Type::Error))),
                    None => {
                        let names: Vec<&str> = attrs.iter().map(|x| x.dotted.as_str()).collect();
                        self.report(
                            Diagnostic::new(
                                Code::UnknownField,
                                format!("`{}` events have no attribute `{a}`", kind_name.text),
                                p.span,
                            )
                            .maybe_help(did_you_mean(a, names)),
                        );
                        return ERR;
                    }
                }
            }
            Some([]) | None => None,
            Some(_) => {
                self.report(Diagnostic::new(
                    Code::UnknownField,
                    "an event attribute has one name",
                    p.span,
                ));
                return ERR;
            }
        };
        let ty = match (agg, &attr) {
            (Aggregate::Count, None) => Type::Number,
            (Aggregate::Count, Some(_)) => {
                self.report(
                    Diagnostic::new(
                        Code::UnknownFunction,
                        "`count` counts events; give just the kind",
                        p.span,
                    )
                    .help(format!("write `count({})`", kind_name.text)),
                );
                return ERR;
            }
            (_, None) => {
                self.report(
                    Diagnostic::new(
                        Code::UnknownFunction,
                        format!("`{}` needs an attribute", func.text),
                        p.span,
                    )
                    .help(format!("write `{}({}.amount)`", func.text, kind_name.text)),
                );
                return ERR;
            }
            (Aggregate::Sum, Some((_, t))) if !matches!(t, Type::Number | Type::Money(_)) => {
                self.report(Diagnostic::new(
                    Code::TypeMismatch,
                    format!("cannot add up {t}"),
                    p.span,
                ));
                return ERR;
            }
            (_, Some((_, t))) => t.clone(),
        };
        let within = match &arg.within {
            Some(w) => match (self.anchor(&w.anchor), w.duration.value()) {
                (Some(anchor), Some(duration)) => Some(Window {
                    duration: *duration,
                    anchor,
                }),
                _ => return ERR,
            },
            None => None,
        };
        (
            Expr::Aggregate {
                func: agg,
                kind,
                attr: attr.map(|(i, _)| i),
                within,
            },
            ty,
        )
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
