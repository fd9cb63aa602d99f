//! The checker: from parsed modules to a [`Program`] ready to evaluate, or the list of every
//! problem found. It reports all problems in one pass: an unknown name does not stop the rest of
//! the file from being checked (its expression gets the error type, which silences follow-ons).
//!
//! Lints (tier gaps, likely double pay, empty windows, unreachable rewards, unused names, high
//! rates) are independent passes in [`lints`], run on the checked program.

mod amount;
mod calls;
mod conditions;
mod decls;
mod expr;
pub mod lints;
mod milestones;
mod operators;
mod reward;
mod schema;
mod terms;

use crate::diagnostics::{self, did_you_mean, one_of, Code, Diagnostic};
use crate::money::{Currency, Rounding, RoundingMode};
use crate::program::*;
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, Item};
use crate::syntax::Parsed;
use crate::value::Type;
use std::collections::{BTreeMap, HashMap};

/// The result of checking: a program when there were no errors, and every diagnostic.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The program, if no error was found (warnings allowed).
    pub program: Option<Program>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// The sources, for rendering.
    pub sources: SourceMap,
}

impl Checked {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// What a name in the value namespace refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum NameRef {
    Param(usize),
    Condition(usize),
    Window(usize),
    Table(usize),
    Milestone(usize),
    Rates(usize),
}

/// Checks a parsed program.
pub fn check(parsed: &Parsed) -> Checked {
    check_with(parsed, &BTreeMap::new())
}

/// Checks a parsed program with some parameters given other values (a scenario's overrides,
/// by name, already checked against the declared types by [`crate::scenario`]). Every term and
/// expression that names an overridden parameter takes the new value, and every lint runs on
/// it.
pub fn check_with(parsed: &Parsed, overrides: &BTreeMap<String, ast::Literal>) -> Checked {
    checked(parsed, overrides, || Origin::new(parsed, overrides))
}

/// Checks again the source a program was checked from, with `overrides` (all of them: they
/// replace the program's own), sharing that source rather than copying it. `None` for a
/// program that the checker did not make.
pub(crate) fn check_again(
    origin: &Origin,
    overrides: &BTreeMap<String, ast::Literal>,
) -> Option<Checked> {
    let parsed = origin.parsed()?;
    Some(checked(parsed, overrides, || {
        origin.with_overrides(overrides.clone())
    }))
}

/// The checker's work; `origin` is what the program keeps of its source.
fn checked(
    parsed: &Parsed,
    overrides: &BTreeMap<String, ast::Literal>,
    origin: impl FnOnce() -> Origin,
) -> Checked {
    // A file that does not parse is not checked: its syntax errors are the whole story, and
    // checking what is left would only add confusing follow-on errors.
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        let mut diagnostics = parsed.diagnostics.clone();
        diagnostics::sort(&mut diagnostics);
        return Checked {
            program: None,
            diagnostics,
            sources: parsed.sources.clone(),
        };
    }
    let written: Vec<&Item> = parsed
        .modules
        .iter()
        .flat_map(|(_, m)| m.items.iter())
        .collect();
    let mut diags = Vec::new();
    let resolved = terms::resolve(&written, overrides, &mut diags);
    let items: Vec<&Item> = resolved.items.iter().collect();
    let mut cx = Checker::new(&parsed.sources);
    cx.diags = diags;
    let mut program = cx.program(&items);
    for name in &resolved.used {
        if let Some(r @ NameRef::Param(_)) = cx.names.get(name).copied() {
            cx.lint_facts.used.insert(r.key());
        }
    }
    if let Some(p) = &program {
        lints::run(p, &items, &mut cx.diags, &cx.lint_facts);
    }
    let mut diagnostics = cx.diags;
    diagnostics::sort(&mut diagnostics);
    diagnostics.dedup();
    let ok = !diagnostics.iter().any(Diagnostic::is_error);
    if let Some(p) = program.as_mut().filter(|_| ok) {
        p.origin = origin();
    }
    Checked {
        program: program.filter(|_| ok),
        diagnostics,
        sources: parsed.sources.clone(),
    }
}

/// Facts the checker learns while compiling that lints need (spans of declarations, uses).
#[derive(Debug, Default, Clone)]
pub struct LintFacts {
    /// Names used anywhere.
    pub used: std::collections::HashSet<(u8, usize)>,
    /// Span of each declared name, by (kind, index).
    pub decl_spans: HashMap<(u8, usize), Span>,
    /// Span of each percent constant and its value.
    pub percents: Vec<(Span, rust_decimal::Decimal)>,
}

impl NameRef {
    pub(crate) fn key(self) -> (u8, usize) {
        match self {
            NameRef::Param(i) => (0, i),
            NameRef::Condition(i) => (1, i),
            NameRef::Window(i) => (2, i),
            NameRef::Table(i) => (3, i),
            NameRef::Milestone(i) => (4, i),
            NameRef::Rates(i) => (5, i),
        }
    }
}

pub(crate) struct Checker<'a> {
    pub(crate) sources: &'a SourceMap,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) names: HashMap<String, NameRef>,
    pub(crate) fields: Vec<FieldDef>,
    pub(crate) events: Vec<EventKind>,
    pub(crate) params: Vec<ParamDef>,
    pub(crate) windows: Vec<WindowDef>,
    pub(crate) tables: Vec<Option<TableDef>>,
    pub(crate) table_types: Vec<Type>,
    /// Conditions: the AST, and the compiled test once done.
    pub(crate) condition_ast: Vec<&'a ast::Condition>,
    pub(crate) conditions: Vec<Option<Test>>,
    pub(crate) condition_stack: Vec<usize>,
    pub(crate) milestones: Vec<MilestoneDef>,
    pub(crate) milestone_ast: Vec<&'a ast::Milestone>,
    pub(crate) rates: Vec<RatesDef>,
    pub(crate) default_currency: Option<Currency>,
    pub(crate) lint_facts: LintFacts,
    /// Each reward's currency when it is known before any record (a fixed amount, money
    /// bands): the budget check needs the header, read after.
    pub(crate) reward_currencies: Vec<(String, crate::source::Span, Currency)>,
}

impl<'a> Checker<'a> {
    /// With budgets, a reward whose currency is known must have a budget in it: otherwise
    /// every record it pays would be a record problem.
    fn budget_currencies(&mut self, budgets: &[crate::money::Money]) {
        if budgets.is_empty() {
            return;
        }
        let have: Vec<String> = budgets.iter().map(|b| b.currency.to_string()).collect();
        for (name, span, c) in std::mem::take(&mut self.reward_currencies) {
            if budgets.iter().all(|b| b.currency != c) {
                self.report(
                    Diagnostic::new(
                        Code::CurrencyMismatch,
                        format!(
                            "reward `{name}` pays in {c}, but the program's budget is in {}",
                            have.join(", ")
                        ),
                        span,
                    )
                    .help(format!(
                        "add `budget ... {c}` to the program block (one budget per currency), or pay in {}",
                        have.join(" or ")
                    )),
                );
            }
        }
    }

    /// A minimum payout holds only lines in its own currency: a reward known to pay in
    /// another is never held by it, which is worth saying.
    fn minimum_currency(&mut self, min: crate::money::Money) {
        let other: Vec<(String, Span, Currency)> = self
            .reward_currencies
            .iter()
            .filter(|(_, _, c)| *c != min.currency)
            .cloned()
            .collect();
        for (name, span, c) in other {
            self.report(
                Diagnostic::new(
                    Code::MinimumOtherCurrency,
                    format!(
                        "reward `{name}` pays in {c}, but the minimum payout is {min}: its lines are never held by it"
                    ),
                    span,
                )
                .help(format!(
                    "pay it in {}, or accept that {c} lines are payable whatever their total",
                    min.currency
                )),
            );
        }
    }

    fn new(sources: &'a SourceMap) -> Checker<'a> {
        Checker {
            sources,
            diags: Vec::new(),
            names: HashMap::new(),
            fields: Vec::new(),
            events: Vec::new(),
            params: Vec::new(),
            windows: Vec::new(),
            tables: Vec::new(),
            table_types: Vec::new(),
            condition_ast: Vec::new(),
            conditions: Vec::new(),
            condition_stack: Vec::new(),
            milestones: Vec::new(),
            milestone_ast: Vec::new(),
            rates: Vec::new(),
            default_currency: None,
            reward_currencies: Vec::new(),
            lint_facts: LintFacts::default(),
        }
    }

    pub(crate) fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The source text of a span.
    pub(crate) fn text(&self, span: Span) -> String {
        self.sources
            .get(span.file)
            .map(|f| {
                f.slice(span)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }

    fn program(&mut self, items: &[&'a Item]) -> Option<Program> {
        let header = self.header(items);
        self.schema(items);
        self.declare_names(items);
        self.params(items);
        self.windows(items);
        self.tables(items);
        for i in 0..self.condition_ast.len() {
            self.condition(i);
        }
        let eligibility = self.eligibility(items);
        let rejects = self.rejects(items);
        let duplicates = self.duplicates(items);
        self.milestones();
        let rewards = self.rewards(items);
        // Without a usable header the program is rejected anyway; lints still run on the rest.
        if let Some(h) = &header {
            if let Some(min) = h.minimum_payout {
                self.minimum_currency(min);
            }
            self.budget_currencies(&h.budgets);
        }
        let header = header.unwrap_or_else(|| HeaderInfo {
            name: String::new(),
            version: String::new(),
            slug: String::new(),
            currency: self.default_currency.unwrap_or(Currency::USD),
            tz: chrono_tz::UTC,
            rounding: Rounding::default(),
            effective: (None, None),
            budgets: Vec::new(),
            minimum_payout: None,
        });
        Some(Program {
            origin: Origin::default(),
            name: header.name,
            version: header.version,
            slug: header.slug,
            currency: header.currency,
            tz: header.tz,
            rounding: header.rounding,
            effective: header.effective,
            budgets: header.budgets,
            minimum_payout: header.minimum_payout,
            fields: std::mem::take(&mut self.fields),
            events: std::mem::take(&mut self.events),
            params: std::mem::take(&mut self.params),
            tables: std::mem::take(&mut self.tables)
                .into_iter()
                .flatten()
                .collect(),
            conditions: std::mem::take(&mut self.conditions)
                .into_iter()
                .flatten()
                .collect(),
            windows: std::mem::take(&mut self.windows),
            rates: std::mem::take(&mut self.rates),
            eligibility,
            rejects,
            duplicates,
            milestones: std::mem::take(&mut self.milestones),
            rewards,
        })
    }
}

/// The checked header.
struct HeaderInfo {
    name: String,
    version: String,
    slug: String,
    currency: Currency,
    tz: chrono_tz::Tz,
    rounding: Rounding,
    effective: (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>),
    budgets: Vec<crate::money::Money>,
    minimum_payout: Option<crate::money::Money>,
}

impl<'a> Checker<'a> {
    /// Validates a currency code, reporting `M1002`.
    pub(crate) fn currency(&mut self, name: &ast::Name) -> Option<Currency> {
        let c = Currency::parse(&name.text);
        if c.is_none() {
            self.report(
                Diagnostic::new(
                    Code::UnknownCurrency,
                    format!("`{}` is not a currency merit knows", name.text),
                    name.span,
                )
                .maybe_help(did_you_mean(&name.text, Currency::known()))
                .note("expected an ISO 4217 code such as USD, EUR, JPY"),
            );
        }
        c
    }

    /// Validates a money literal.
    pub(crate) fn money(&mut self, m: &ast::MoneyLit) -> Option<crate::money::Money> {
        let currency = self.currency(&m.currency)?;
        Some(crate::money::Money {
            amount: m.amount,
            currency,
        })
    }

    fn header(&mut self, items: &[&'a Item]) -> Option<HeaderInfo> {
        let headers: Vec<&ast::Header> = items
            .iter()
            .filter_map(|i| match i {
                Item::Header(h) => Some(h),
                _ => None,
            })
            .collect();
        let Some(h) = headers.first() else {
            let span = items.first().map(|_| Span::default()).unwrap_or_default();
            self.report(
                Diagnostic::new(
                    Code::MissingHeader,
                    "this program has no `program` block",
                    span,
                )
                .help("start the file with `program \"Name\" { currency USD timezone \"UTC\" }`"),
            );
            return None;
        };
        for extra in headers.iter().skip(1) {
            self.report(
                Diagnostic::new(
                    Code::MissingHeader,
                    "a program has one `program` block",
                    extra.span,
                )
                .also(h.span, "the first one is here")
                .help("merge the two blocks"),
            );
        }
        let mut seen: HashMap<std::mem::Discriminant<ast::SettingKind>, Span> = HashMap::new();
        let (mut version, mut currency, mut tz, mut rounding) =
            (None, None, None, Rounding::default());
        let (mut effective, mut budgets, mut minimum) =
            ((None, None), Vec::<crate::money::Money>::new(), None);
        let mut currency_seen = false;
        let mut tz_seen = false;
        for s in &h.settings {
            let key = std::mem::discriminant(&s.kind);
            // Budgets may repeat, one per currency (checked below).
            let repeatable = matches!(s.kind, ast::SettingKind::Budget(_));
            if let (false, Some(first)) = (repeatable, seen.get(&key)) {
                self.report(
                    Diagnostic::new(
                        Code::DuplicateSetting,
                        "this setting is given twice",
                        s.span,
                    )
                    .also(*first, "first given here")
                    .help("keep one"),
                );
                continue;
            }
            seen.insert(key, s.span);
            match &s.kind {
                ast::SettingKind::Version(v) => version = Some(v.clone()),
                ast::SettingKind::Currency(c) => {
                    currency_seen = true;
                    currency = self.currency(c);
                }
                ast::SettingKind::Timezone(z) => {
                    tz_seen = true;
                    match z.parse::<chrono_tz::Tz>() {
                        Ok(t) => tz = Some(t),
                        Err(_) => {
                            let names = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
                            self.report(
                                Diagnostic::new(
                                    Code::UnknownTimezone,
                                    format!("`{z}` is not an IANA time zone"),
                                    s.span,
                                )
                                .maybe_help(did_you_mean(z, names).or_else(|| {
                                    Some("use a name such as \"Europe/Paris\", \"America/New_York\" or \"UTC\"".into())
                                })),
                            )
                        }
                    }
                }
                ast::SettingKind::Rounding { mode, scale } => match RoundingMode::parse(&mode.text)
                {
                    Some(m) => {
                        rounding = Rounding {
                            mode: m,
                            scale: *scale,
                        }
                    }
                    None => self.report(
                        Diagnostic::new(
                            Code::UnknownRounding,
                            format!("`{}` is not a rounding mode", mode.text),
                            mode.span,
                        )
                        .help(one_of(&mode.text, RoundingMode::NAMES.iter().copied()))
                        .note("expected half_even, half_up, half_down, down or up"),
                    ),
                },
                ast::SettingKind::Effective { from, to } => {
                    let day = |d: &Option<ast::Term<chrono::NaiveDate>>| {
                        d.as_ref().and_then(|t| t.value().copied())
                    };
                    effective = (day(from), day(to));
                }
                ast::SettingKind::Budget(m) => {
                    if let Some(b) = m.value().and_then(|m| self.money(m)) {
                        if b.amount <= rust_decimal::Decimal::ZERO {
                            // Written so, or set so by a scenario's override.
                            self.report(
                                Diagnostic::new(
                                    Code::InvalidClause,
                                    format!("a budget of {b} leaves nothing to pay"),
                                    s.span,
                                )
                                .help("a budget is an amount above zero; remove it for a program without one"),
                            );
                        } else if budgets.iter().any(|x| x.currency == b.currency) {
                            self.report(
                                Diagnostic::new(
                                    Code::DuplicateSetting,
                                    format!("the program already has a budget in {}", b.currency),
                                    s.span,
                                )
                                .help("a program has at most one budget per currency"),
                            );
                        } else {
                            budgets.push(b);
                        }
                    }
                }
                ast::SettingKind::MinimumPayout(m) => {
                    minimum = m.value().and_then(|m| self.money(m));
                    if let Some(min) = minimum.filter(|m| m.amount.is_sign_negative()) {
                        self.report(
                            Diagnostic::new(
                                Code::InvalidClause,
                                format!("a minimum payout of {min} is below zero"),
                                s.span,
                            )
                            .help("a minimum payout is an amount of zero or more (`minimum payout 50 USD`)"),
                        );
                    }
                }
            }
        }
        if !currency_seen {
            self.report(
                Diagnostic::new(
                    Code::MissingSetting,
                    "the program has no default currency",
                    h.span,
                )
                .help("add `currency USD` (or your currency) inside the `program` block"),
            );
        }
        if !tz_seen {
            self.report(
                Diagnostic::new(Code::MissingSetting, "the program has no time zone", h.span).help(
                    "add `timezone \"UTC\"` (or your zone): it decides what a day and a month are",
                ),
            );
        }
        self.default_currency = currency;
        let slug: String = h
            .name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        Some(HeaderInfo {
            name: h.name.clone(),
            version: version.unwrap_or_else(|| "0".to_string()),
            slug,
            currency: currency?,
            tz: tz?,
            rounding,
            effective,
            budgets,
            minimum_payout: minimum,
        })
    }
}
