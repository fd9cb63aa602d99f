//! Scenarios: what-if values for a program's `param`s.
//!
//! `--set name=value` overrides one declared parameter for one run. The value is written in
//! the program's own literal syntax (`3%`, `75 USD`, `2025-04-01`, `30 days`, `"text"`,
//! `true`, `["a", "b"]`) and is parsed by the real grammar: it is wrapped as a tiny program
//! `param __v = <value>` and read back from the syntax tree. The override must have the type
//! the parameter was declared with: a rate stays a rate, money keeps its currency, a date
//! stays a date. An unknown name is an error with a did-you-mean hint.
//!
//! A scenario file (for `merit simulate`) is JSON:
//!
//! ```json
//! {"scenarios": [
//!   {"name": "base"},
//!   {"name": "tier2 at 3%", "set": {"mid_rate": "3%"}}
//! ]}
//! ```

use crate::diagnostics::did_you_mean;
use crate::money::{Currency, Money};
use crate::program::{ParamDef, Program};
use crate::source::Span;
use crate::syntax::ast::{Item, Literal, LiteralKind, MoneyLit, Name};
use crate::syntax::{parse_with, SyntaxLimits};
use crate::value::{Text, Type, Value};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

/// Why an override or a scenario file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", help.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
pub struct ScenarioError {
    /// What is wrong, in the designer's terms.
    pub message: String,
    /// How to fix it, when there is an obvious fix.
    pub help: Option<String>,
}

impl ScenarioError {
    fn new(message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> ScenarioError {
        self.help = Some(help.into());
        self
    }
}

/// One `name=value` override, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The parameter's name.
    pub name: String,
    /// The value, in literal syntax.
    pub value: String,
}

impl Override {
    /// Reads `name=value` (the form of `--set`).
    pub fn parse(arg: &str) -> Result<Override, ScenarioError> {
        let Some((name, value)) = arg.split_once('=') else {
            return Err(ScenarioError::new(format!("`{arg}` is not `name=value`"))
                .help("write e.g. `--set mid_rate=3%`"));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() {
            return Err(ScenarioError::new(format!("`{arg}` names no parameter")));
        }
        Ok(Override {
            name: name.to_string(),
            value: value.to_string(),
        })
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

/// A named set of overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Shown in output.
    pub name: String,
    /// The overrides (none: the program as written).
    pub set: Vec<Override>,
}

const LITERAL_FORMS: &str = "write money (`75 USD`), a percentage (`3%`), a number (`70`), a date (`2025-04-01`), a duration (`30 days`), text in quotes, true/false, or a list (`[\"a\", \"b\"]`)";

/// Parses one value written in the program's literal syntax.
pub fn parse_literal(text: &str) -> Result<Value, ScenarioError> {
    let text = text.trim();
    let bad = || ScenarioError::new(format!("`{text}` is not a value")).help(LITERAL_FORMS);
    if text.is_empty() || text.contains(['\n', '\r', '#']) && !text.starts_with('"') {
        return Err(bad());
    }
    let source =
        format!("program \"scenario\" {{ currency USD timezone \"UTC\" }}\nparam __v = {text}\n");
    // Includes are never read: a value is one literal, nothing else.
    let parsed = parse_with(
        "<--set>",
        &source,
        &SyntaxLimits::default(),
        &mut |_: &std::path::Path| Err(std::io::Error::other("no includes in a value")),
    );
    if !parsed.diagnostics.is_empty() {
        // `75 XYZ`: say which currency is unknown.
        if let [amount, code] = text.split_whitespace().collect::<Vec<_>>().as_slice() {
            let is_code = code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase());
            if is_code && amount.parse::<rust_decimal::Decimal>().is_ok() {
                return Err(ScenarioError {
                    message: format!("`{code}` is not a currency merit knows"),
                    help: did_you_mean(code, Currency::known()),
                });
            }
        }
        return Err(bad());
    }
    let items: Vec<&Item> = parsed
        .modules
        .iter()
        .flat_map(|(_, m)| m.items.iter())
        .collect();
    let [Item::Header(_), Item::Param(p)] = items.as_slice() else {
        return Err(bad());
    };
    literal_value(&p.value)
}

/// A literal's value, with the checker's rules (known currency, lists of one kind).
fn literal_value(l: &Literal) -> Result<Value, ScenarioError> {
    Ok(match &l.kind {
        LiteralKind::Money(m) => match m.money() {
            Some(money) => Value::Money(money),
            None => {
                let code = &m.currency.text;
                return Err(ScenarioError {
                    message: format!("`{code}` is not a currency merit knows"),
                    help: did_you_mean(code, Currency::known()),
                });
            }
        },
        LiteralKind::Percent(p) => Value::Percent(*p),
        LiteralKind::Duration(d) => Value::Duration(*d),
        LiteralKind::Date(d) => Value::Date(*d),
        LiteralKind::Number(n) => Value::Number(*n),
        LiteralKind::Text(t) => Value::Text(Text::new(t)),
        LiteralKind::Bool(b) => Value::Bool(*b),
        LiteralKind::List(items) => {
            let mut vals: Vec<Value> = Vec::with_capacity(items.len());
            for it in items {
                let v = literal_value(it)?;
                if let Some(first) = vals.first() {
                    if !same_kind(&first.type_of(), &v.type_of()) {
                        return Err(ScenarioError::new(format!(
                            "a list mixes {} and {}",
                            describe(first),
                            describe(&v)
                        ))
                        .help("every item of a list has the same type"));
                    }
                }
                vals.push(v);
            }
            Value::List(Arc::from(vals))
        }
    })
}

/// The checker's notion of "the same kind of value" (money of any currency, text and enums).
fn same_kind(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Error, _) | (_, Type::Error) => true,
        (Type::Money(_), Type::Money(_)) => true,
        (x, y) if x.is_text() && y.is_text() => true,
        (Type::List(x), Type::List(y)) => same_kind(x, y),
        (x, y) => x == y,
    }
}

/// Whether `value` may stand where a value of type `ty` was declared. Stricter than the
/// checker's "same kind" rule: money must be in the declared currency.
pub fn fits(ty: &Type, value: &Value) -> bool {
    match (ty, value) {
        (Type::Money(Some(c)), Value::Money(m)) => m.currency == *c,
        (Type::Money(None), Value::Money(_)) => true,
        (Type::Enum(vals), Value::Text(t)) => vals.iter().any(|v| v.as_str() == &**t),
        (Type::List(inner), Value::List(items)) => items.iter().all(|v| fits(inner, v)),
        (Type::Bool, Value::Bool(_))
        | (Type::Number, Value::Number(_))
        | (Type::Percent, Value::Percent(_))
        | (Type::Text, Value::Text(_))
        | (Type::Date, Value::Date(_))
        | (Type::DateTime, Value::DateTime(_))
        | (Type::Duration, Value::Duration(_)) => true,
        _ => false,
    }
}

/// A type with its article, for messages: `a number`, `money in USD`, `text`.
fn a_type(ty: &Type) -> String {
    match ty {
        Type::Number | Type::Percent | Type::Date | Type::Duration | Type::List(_) => {
            format!("a {ty}")
        }
        Type::DateTime => "a date and time".to_string(),
        Type::Bool => "true or false".to_string(),
        other => other.to_string(),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Money(Money { currency, .. }) => format!("money in {currency}"),
        Value::List(items) if items.is_empty() => "an empty list".to_string(),
        other => a_type(&other.type_of()),
    }
}

/// The value an override gives a parameter, checked against the parameter's type.
pub fn override_value(param: &ParamDef, raw: &str) -> Result<Value, ScenarioError> {
    let (name, ty) = (param.name.as_str(), &param.ty);
    let parsed = parse_literal(raw);
    // Text parameters take bare words as text: `--set region=EMEA`.
    if *ty == Type::Text {
        return Ok(match parsed {
            Ok(v @ Value::Text(_)) => v,
            _ => Value::Text(Text::new(raw.trim())),
        });
    }
    let value = match parsed {
        // A quoted value for a non-text parameter: `--set 'bonus="75 USD"'`.
        Ok(Value::Text(inner)) => parse_literal(&inner).unwrap_or(Value::Text(inner)),
        Ok(v) => v,
        Err(e) => {
            return Err(ScenarioError {
                message: format!("`{name}` is {}, and {}", a_type(ty), e.message),
                help: e.help,
            })
        }
    };
    if fits(ty, &value) {
        return Ok(value);
    }
    let mut err = ScenarioError::new(format!(
        "`{name}` is {}, but `{}` is {}",
        a_type(ty),
        raw.trim(),
        describe(&value)
    ));
    err = match (ty, &value) {
        (Type::Money(Some(c)), Value::Money(m)) => err.help(format!(
            "a scenario cannot change a currency: write an amount in {c}, e.g. `{name}={} {c}`",
            m.amount.normalize()
        )),
        (Type::Money(Some(c)), Value::Number(n)) => err.help(format!(
            "write the currency: `{name}={} {c}`",
            n.normalize()
        )),
        (Type::Percent, Value::Number(n)) => {
            err.help(format!("write a percentage: `{name}={}%`", n.normalize()))
        }
        (Type::Number, Value::Percent(p)) => {
            err.help(format!("write a plain number: `{name}={}`", p.normalize()))
        }
        _ => err.help(format!(
            "write {} like the declared `{name} = {}`",
            a_type(ty),
            param.value
        )),
    };
    Err(err)
}

/// The overrides as literals, by name, each checked against its parameter's declared type.
fn literals(
    program: &Program,
    overrides: &[Override],
) -> Result<BTreeMap<String, Literal>, ScenarioError> {
    let mut out = BTreeMap::new();
    for o in overrides {
        if out.contains_key(&o.name) {
            return Err(ScenarioError::new(format!("`{}` is set twice", o.name))
                .help("set each parameter once"));
        }
        let Some(param) = program.param(&o.name).and_then(|i| program.params.get(i)) else {
            let names = program.params.iter().map(|p| p.name.as_str());
            let help = did_you_mean(&o.name, names).or_else(|| {
                if program.params.is_empty() {
                    Some("this program declares no `param`".to_string())
                } else {
                    Some(format!(
                        "its parameters are: {}",
                        program
                            .params
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            });
            return Err(ScenarioError {
                message: format!("`{}` is not a parameter of this program", o.name),
                help,
            });
        };
        let value = override_value(param, &o.value)?;
        let Some(literal) = literal_of(&value) else {
            return Err(ScenarioError::new(format!(
                "`{}` cannot be given the value `{}`",
                o.name, o.value
            )));
        };
        out.insert(o.name.clone(), literal);
    }
    Ok(out)
}

/// A value written back as a literal (spans are the checker's to fill in).
fn literal_of(value: &Value) -> Option<Literal> {
    let kind = match value {
        Value::Money(m) => LiteralKind::Money(MoneyLit {
            amount: m.amount,
            currency: Name {
                text: m.currency.to_string(),
                span: Span::default(),
            },
        }),
        Value::Percent(p) => LiteralKind::Percent(*p),
        Value::Duration(d) => LiteralKind::Duration(*d),
        Value::Date(d) => LiteralKind::Date(*d),
        Value::Number(n) => LiteralKind::Number(*n),
        Value::Text(t) => LiteralKind::Text(t.to_string()),
        Value::Bool(b) => LiteralKind::Bool(*b),
        Value::List(items) => {
            LiteralKind::List(items.iter().map(literal_of).collect::<Option<Vec<_>>>()?)
        }
        _ => return None,
    };
    Some(Literal {
        kind,
        span: Span::default(),
    })
}

/// `--set a=1 --set b=2` as `a=1, b=2`, for messages.
fn written(overrides: &[Override]) -> String {
    overrides
        .iter()
        .map(Override::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The program with the overrides applied. Every override is checked against its declared
/// type, then the whole program is checked again with the new values, so that a parameter
/// used in a term (a window's dates, a deadline, a cap, a tier bound) takes the new value
/// too, and an override that breaks the program (a window that now ends before it starts) is
/// refused with the checker's own message.
pub fn apply(program: &Program, overrides: &[Override]) -> Result<Program, ScenarioError> {
    let new = literals(program, overrides)?;
    if overrides.is_empty() {
        return Ok(program.clone());
    }
    // A program that already has overrides keeps them, unless set again here.
    let mut literals = program.origin.overrides().clone();
    literals.extend(new);
    let Some(checked) = crate::check::check_again(&program.origin, &literals) else {
        return Err(ScenarioError::new(
            "this program was not made by the checker, so it cannot take overrides",
        ));
    };
    match checked.program {
        Some(p) => Ok(p),
        None => {
            let errors: Vec<&crate::diagnostics::Diagnostic> = checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .collect();
            let first = errors.first();
            Err(ScenarioError {
                message: format!(
                    "with {}: {}{}",
                    written(overrides),
                    first.map_or("the program does not check", |d| d.message.as_str()),
                    match errors.len() {
                        0 | 1 => String::new(),
                        n => format!(" (and {} more errors)", n.saturating_sub(1)),
                    }
                ),
                help: first.and_then(|d| d.help.clone()),
            })
        }
    }
}

/// Warnings the checker gives for the program with the overrides that it does not give for
/// the program as written (a rate above 100%, a tier gap, a deadline that leaves no time), as
/// `warning[CODE]: --set name=value: message` lines.
pub fn override_warnings(program: &Program, overrides: &[Override]) -> Vec<String> {
    let Ok(new) = literals(program, overrides) else {
        return Vec::new();
    };
    if new.is_empty() {
        return Vec::new();
    }
    // `program` may already carry these overrides (the result of `apply`) or not: the program
    // before them is its other overrides only.
    let mut before_set = program.origin.overrides().clone();
    before_set.retain(|name, _| !new.contains_key(name));
    let mut literals = before_set.clone();
    literals.extend(new);
    let key = |d: &crate::diagnostics::Diagnostic| (d.code, d.message.clone());
    let (Some(before), Some(after)) = (
        crate::check::check_again(&program.origin, &before_set),
        crate::check::check_again(&program.origin, &literals),
    ) else {
        return Vec::new();
    };
    let before: BTreeSet<_> = before.diagnostics.iter().map(key).collect();
    let set = written(overrides);
    after
        .diagnostics
        .iter()
        .filter(|d| !d.is_error() && !before.contains(&key(d)))
        .map(|d| format!("warning[{}]: --set {set}: {}", d.code.as_str(), d.message))
        .collect()
}

/// Parses `--set` arguments.
pub fn parse_overrides<S: AsRef<str>>(args: &[S]) -> Result<Vec<Override>, ScenarioError> {
    args.iter().map(|a| Override::parse(a.as_ref())).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    scenarios: Vec<ScenarioDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioDoc {
    name: String,
    #[serde(default)]
    set: BTreeMap<String, Box<RawValue>>,
}

/// Reads a scenario file (JSON, see the module documentation). Values are strings in literal
/// syntax; a JSON number, boolean or array of strings is taken as written (its exact text,
/// never through a float).
pub fn parse_scenarios(text: &str) -> Result<Vec<Scenario>, ScenarioError> {
    let doc: FileDoc = serde_json::from_str(text).map_err(|e| {
        ScenarioError::new(format!("not a scenario file: {e}")).help(
            r#"write {"scenarios": [{"name": "base"}, {"name": "higher rate", "set": {"rate": "3%"}}]}"#,
        )
    })?;
    if doc.scenarios.is_empty() {
        return Err(ScenarioError::new("the scenario file lists no scenarios"));
    }
    let mut out: Vec<Scenario> = Vec::new();
    for s in doc.scenarios {
        let name = s.name.trim().to_string();
        if name.is_empty() {
            return Err(ScenarioError::new("a scenario has an empty name"));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(ScenarioError::new(format!(
                "two scenarios are named `{name}`"
            )));
        }
        let mut set = Vec::new();
        for (k, raw) in s.set {
            let raw = raw.get().trim();
            let value = if raw.starts_with('"') {
                serde_json::from_str::<String>(raw)
                    .map_err(|e| ScenarioError::new(format!("scenario `{name}`, `{k}`: {e}")))?
            } else if raw.starts_with(['{']) || raw == "null" {
                return Err(ScenarioError::new(format!(
                    "scenario `{name}`, `{k}`: write the value as a string, e.g. \"3%\""
                )));
            } else {
                raw.to_string()
            };
            set.push(Override { name: k, value });
        }
        out.push(Scenario { name, set });
    }
    Ok(out)
}
