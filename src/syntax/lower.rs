//! Lowering pest pairs into the AST: one function per grammar rule, named after it.
//!
//! Each function matches on the rules of its children instead of assuming their order, so a
//! grammar change shows up as an "internal" diagnostic rather than a panic. Literal values that
//! the grammar accepts but that do not exist (`2023-02-29`, a number beyond Decimal's range) are
//! reported here as `M0002`.

use super::ast::*;
use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};
use chrono::NaiveDate;
use pest::iterators::{Pair, Pairs};
use rust_decimal::Decimal;
use std::cell::RefCell;

pub(super) type P<'i> = Pair<'i, Rule>;

/// Lowering state for one file: its id and the problems found so far.
pub(super) struct Lower {
    pub(super) file: FileId,
    diags: RefCell<Vec<Diagnostic>>,
    /// How many `expr` lowerings are under way (0 outside expressions).
    pub(super) expr_depth: std::cell::Cell<usize>,
    /// [`super::SyntaxLimits::max_operators`].
    pub(super) max_operators: usize,
}

impl Lower {
    pub(super) fn new(file: FileId, max_operators: usize) -> Lower {
        Lower {
            file,
            diags: RefCell::new(Vec::new()),
            expr_depth: std::cell::Cell::new(0),
            max_operators,
        }
    }

    pub(super) fn finish<T>(self, value: T) -> (T, Vec<Diagnostic>) {
        (value, self.diags.into_inner())
    }

    /// The pair's span, without the white space and comments pest leaves at its end when an
    /// optional trailing part is absent.
    pub(super) fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        // `trimmed_len` is at most the pair's length: the sum is at most `s.end()`.
        Span::new(
            self.file,
            s.start(),
            s.start().saturating_add(trimmed_len(p.as_str())),
        )
    }

    pub(super) fn report(&self, d: Diagnostic) {
        self.diags.borrow_mut().push(d);
    }

    /// A pair the grammar should never produce here.
    pub(super) fn unexpected<T>(&self, p: &P, in_rule: &str) -> Option<T> {
        self.report(Diagnostic::new(
            Code::Syntax,
            format!("internal: unexpected {:?} in {in_rule}", p.as_rule()),
            self.span(p),
        ));
        None
    }

    /// A required child that is absent.
    fn missing<T>(&self, span: Span, what: &str) -> Option<T> {
        self.report(Diagnostic::new(
            Code::Syntax,
            format!("internal: {what} missing"),
            span,
        ));
        None
    }

    fn invalid(&self, p: &P, message: String, help: &str) {
        self.report(Diagnostic::new(Code::InvalidLiteral, message, self.span(p)).help(help));
    }

    /// `file`.
    pub(super) fn file(&self, pairs: Pairs<Rule>) -> Option<Module> {
        let mut items = Vec::new();
        for p in pairs.flat_map(|p| p.into_inner()) {
            if p.as_rule() == Rule::EOI {
                continue;
            }
            if let Some(item) = self.item(p) {
                items.push(item);
            }
        }
        Some(Module { items })
    }

    /// `item`.
    fn item(&self, p: P) -> Option<Item> {
        Some(match p.as_rule() {
            Rule::header => Item::Header(self.header(p)?),
            Rule::include => Item::Include(self.include(p)?),
            Rule::param => Item::Param(self.param(p)?),
            Rule::fields => Item::Fields(self.fields(p)),
            Rule::events => Item::Events(self.events(p)),
            Rule::table => Item::Table(self.table(p)?),
            Rule::condition => Item::Condition(self.condition(p)?),
            Rule::window => Item::Window(self.window(p)?),
            Rule::eligible => Item::Eligible(self.eligible(p)?),
            Rule::reject => Item::Reject(self.reject(p)?),
            Rule::duplicates => Item::Duplicates(self.duplicates(p)?),
            Rule::rates => Item::Rates(self.rates(p)?),
            Rule::milestone => Item::Milestone(self.milestone(p)?),
            Rule::reward => Item::Reward(self.reward(p)?),
            _ => return self.unexpected(&p, "file"),
        })
    }

    /// `include`.
    fn include(&self, p: P) -> Option<Include> {
        let span = self.span(&p);
        let path = p.into_inner().find(|c| c.as_rule() == Rule::string);
        match path {
            Some(s) => Some(Include {
                path: self.string(s),
                span,
            }),
            None => self.missing(span, "include path"),
        }
    }

    /// `header`.
    fn header(&self, p: P) -> Option<Header> {
        let span = self.span(&p);
        let mut name = None;
        let mut settings = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => name = Some(self.string(c)),
                Rule::kw_program | Rule::lbrace | Rule::rbrace => {}
                _ => {
                    if let Some(s) = self.setting(c) {
                        settings.push(s);
                    }
                }
            }
        }
        Some(Header {
            name: name.or_else(|| self.missing(span, "program name"))?,
            settings,
            span,
        })
    }

    /// `setting`.
    fn setting(&self, p: P) -> Option<Setting> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.clone().into_inner();
        let kind = match rule {
            Rule::set_version => {
                let v = inner.next().or_else(|| self.missing(span, "version"))?;
                SettingKind::Version(match v.as_rule() {
                    Rule::string => self.string(v),
                    _ => v.as_str().to_string(),
                })
            }
            Rule::set_currency => SettingKind::Currency(self.name(inner.next(), span)?),
            Rule::set_timezone => SettingKind::Timezone(
                self.string(inner.next().or_else(|| self.missing(span, "zone"))?),
            ),
            Rule::set_rounding => {
                let mode = self.name(inner.next(), span)?;
                let scale = match inner.find(|c| c.as_rule() == Rule::int) {
                    Some(s) => Some(self.int(&s)?),
                    None => None,
                };
                SettingKind::Rounding { mode, scale }
            }
            Rule::set_effective => {
                let (mut from, mut to) = (None, None);
                let mut target_is_to = false;
                for c in inner {
                    match c.as_rule() {
                        Rule::kw_from => target_is_to = false,
                        Rule::kw_to => target_is_to = true,
                        Rule::date | Rule::param_ref => {
                            let d = if c.as_rule() == Rule::date {
                                Term::Value(self.date(&c)?)
                            } else {
                                Term::Param(self.param_ref(&c))
                            };
                            if target_is_to {
                                to = Some(d);
                            } else {
                                from = Some(d);
                            }
                        }
                        _ => return self.unexpected(&c, "effective"),
                    }
                }
                SettingKind::Effective { from, to }
            }
            Rule::set_budget => SettingKind::Budget(self.money_term(inner.next(), span)?),
            Rule::set_minimum => SettingKind::MinimumPayout(
                self.money_term(inner.find(|c| c.as_rule() != Rule::kw_payout), span)?,
            ),
            _ => return self.unexpected(&p, "program header"),
        };
        Some(Setting { kind, span })
    }

    /// `param`.
    fn param(&self, p: P) -> Option<Param> {
        let span = self.span(&p);
        let (mut name, mut value) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::literal => value = self.literal(c),
                Rule::kw_param | Rule::equals => {}
                _ => return self.unexpected(&c, "param"),
            }
        }
        Some(Param {
            name: name?,
            value: value?,
            span,
        })
    }

    /// `fields`.
    fn fields(&self, p: P) -> Vec<FieldDecl> {
        p.into_inner()
            .filter(|c| c.as_rule() == Rule::field_decl)
            .filter_map(|c| self.field_decl(c))
            .collect()
    }

    /// `field_decl`.
    fn field_decl(&self, p: P) -> Option<FieldDecl> {
        let span = self.span(&p);
        let (mut path, mut ty, mut optional) = (None, None, false);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::path => path = Some(self.path(c)),
                Rule::type_expr => ty = self.type_expr(c),
                Rule::kw_optional => optional = true,
                Rule::colon => {}
                _ => return self.unexpected(&c, "field"),
            }
        }
        Some(FieldDecl {
            path: path?,
            ty: ty?,
            optional,
            span,
        })
    }

    /// `type_expr`.
    fn type_expr(&self, p: P) -> Option<TypeExpr> {
        let span = self.span(&p);
        let c = p
            .into_inner()
            .next()
            .or_else(|| self.missing(span, "type"))?;
        let kind = match c.as_rule() {
            Rule::enum_type => TypeKind::Enum(
                c.into_inner()
                    .filter(|w| w.as_rule() == Rule::word)
                    .map(|w| w.as_str().to_string())
                    .collect(),
            ),
            Rule::list_type => {
                let inner = c.into_inner().find(|w| w.as_rule() == Rule::word);
                let elem = inner
                    .map(|w| simple_type(w.as_str()))
                    .unwrap_or(TypeKind::Unknown(String::new()));
                TypeKind::List(Box::new(elem))
            }
            Rule::money_type => TypeKind::Money(
                c.into_inner()
                    .find(|w| w.as_rule() == Rule::currency)
                    .map(|w| self.ident(&w)),
            ),
            Rule::word => simple_type(c.as_str()),
            _ => return self.unexpected(&c, "type"),
        };
        Some(TypeExpr { kind, span })
    }

    /// `events`.
    fn events(&self, p: P) -> Vec<EventDecl> {
        p.into_inner()
            .filter(|c| c.as_rule() == Rule::event_decl)
            .filter_map(|c| self.event_decl(c))
            .collect()
    }

    /// `event_decl`.
    fn event_decl(&self, p: P) -> Option<EventDecl> {
        let span = self.span(&p);
        let (mut kind, mut attrs) = (None, Vec::new());
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::word => kind = Some(self.ident(&c)),
                Rule::field_decl => attrs.extend(self.field_decl(c)),
                Rule::lbrace | Rule::rbrace => {}
                _ => return self.unexpected(&c, "event"),
            }
        }
        Some(EventDecl {
            kind: kind?,
            attrs,
            span,
        })
    }

    /// `table`.
    fn table(&self, p: P) -> Option<Table> {
        let span = self.span(&p);
        let (mut name, mut key, mut rows, mut default) = (None, None, Vec::new(), None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::path => key = Some(self.path(c)),
                Rule::table_row => {
                    let mut lits = c.into_inner().filter(|x| x.as_rule() == Rule::literal);
                    if let (Some(k), Some(v)) = (lits.next(), lits.next()) {
                        if let (Some(k), Some(v)) = (self.literal(k), self.literal(v)) {
                            rows.push((k, v));
                        }
                    }
                }
                Rule::table_default => {
                    default = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::literal)
                        .and_then(|l| self.literal(l));
                }
                Rule::kw_table | Rule::kw_by | Rule::lbrace | Rule::rbrace => {}
                _ => return self.unexpected(&c, "table"),
            }
        }
        Some(Table {
            name: name?,
            key: key?,
            rows,
            default,
            span,
        })
    }

    /// `condition`.
    fn condition(&self, p: P) -> Option<Condition> {
        let span = self.span(&p);
        let (mut name, mut expr) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::expr => expr = self.expr(c),
                Rule::kw_condition | Rule::equals => {}
                _ => return self.unexpected(&c, "condition"),
            }
        }
        Some(Condition {
            name: name?,
            expr: expr?,
            span,
        })
    }

    /// `window`.
    fn window(&self, p: P) -> Option<Window> {
        let span = self.span(&p);
        let mut name = None;
        let mut dates = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::date => dates.push(Term::Value(self.date(&c)?)),
                Rule::param_ref => dates.push(Term::Param(self.param_ref(&c))),
                Rule::kw_window | Rule::equals | Rule::kw_from | Rule::kw_to => {}
                _ => return self.unexpected(&c, "window"),
            }
        }
        let mut dates = dates.into_iter();
        match (dates.next(), dates.next()) {
            (Some(from), Some(to)) => Some(Window {
                name: name?,
                from,
                to,
                span,
            }),
            _ => self.missing(span, "window dates"),
        }
    }

    /// `eligible`.
    fn eligible(&self, p: P) -> Option<Eligible> {
        let span = self.span(&p);
        let (mut role, mut expr) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::word => role = Some(self.ident(&c)),
                Rule::expr => expr = self.expr(c),
                Rule::kw_eligible | Rule::kw_if => {}
                _ => return self.unexpected(&c, "eligible"),
            }
        }
        Some(Eligible {
            role: role?,
            expr: expr?,
            span,
        })
    }

    /// `reject`.
    fn reject(&self, p: P) -> Option<Reject> {
        let span = self.span(&p);
        let (mut name, mut expr) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::expr => expr = self.expr(c),
                Rule::kw_reject | Rule::kw_if => {}
                _ => return self.unexpected(&c, "reject"),
            }
        }
        Some(Reject {
            name: name?,
            expr: expr?,
            span,
        })
    }

    /// `duplicates`.
    fn duplicates(&self, p: P) -> Option<Duplicates> {
        let span = self.span(&p);
        let (mut key, mut keep) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::path => key = Some(self.path(c)),
                Rule::word => keep = Some(self.ident(&c)),
                Rule::kw_duplicates | Rule::kw_by | Rule::kw_keep => {}
                _ => return self.unexpected(&c, "duplicates"),
            }
        }
        Some(Duplicates {
            key: key?,
            keep: keep?,
            span,
        })
    }

    /// `rates`.
    fn rates(&self, p: P) -> Option<Rates> {
        let span = self.span(&p);
        let (mut name, mut currency) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(&c)),
                Rule::currency => currency = Some(self.ident(&c)),
                Rule::kw_rates | Rule::kw_in => {}
                _ => return self.unexpected(&c, "rates"),
            }
        }
        Some(Rates {
            name: name?,
            currency: currency?,
            span,
        })
    }

    /// `milestone`.
    fn milestone(&self, p: P) -> Option<Milestone> {
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
    fn reward(&self, p: P) -> Option<Reward> {
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

    /// `param_ref`: the parameter's name.
    pub(super) fn param_ref(&self, p: &P) -> Name {
        match p.clone().into_inner().next() {
            Some(i) => self.ident(&i),
            None => self.ident(p),
        }
    }

    pub(super) fn ident(&self, p: &P) -> Name {
        Name {
            text: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    fn name(&self, p: Option<P>, span: Span) -> Option<Name> {
        match p {
            Some(p) => Some(self.ident(&p)),
            None => self.missing(span, "name"),
        }
    }

    pub(super) fn path(&self, p: P) -> Path {
        let span = self.span(&p);
        Path {
            parts: p
                .into_inner()
                .filter(|c| matches!(c.as_rule(), Rule::path_head | Rule::word))
                .map(|c| c.as_str().to_string())
                .collect(),
            span,
        }
    }

    /// `string`: the text between the quotes, unescaped.
    pub(super) fn string(&self, p: P) -> String {
        let raw = p
            .into_inner()
            .find(|c| c.as_rule() == Rule::string_inner)
            .map(|c| c.as_str())
            .unwrap_or("");
        raw.replace("\\\"", "\"").replace("\\\\", "\\")
    }

    /// `int`.
    pub(super) fn int(&self, p: &P) -> Option<u32> {
        match p.as_str().parse::<u32>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.invalid(
                    p,
                    format!("`{}` is too large for a count", p.as_str()),
                    "use a whole number below 4294967296",
                );
                None
            }
        }
    }

    /// `number`.
    pub(super) fn number(&self, p: &P) -> Option<Decimal> {
        match Decimal::from_str_exact(p.as_str()) {
            Ok(d) => Some(d),
            Err(_) => {
                self.invalid(
                    p,
                    format!("`{}` cannot be represented exactly", p.as_str()),
                    "numbers have at most 28 significant digits and 28 decimal places",
                );
                None
            }
        }
    }

    /// `date`.
    pub(super) fn date(&self, p: &P) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(p.as_str(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.invalid(
                    p,
                    format!("`{}` is not a calendar date", p.as_str()),
                    "dates are YYYY-MM-DD and must exist (2024-02-29 does, 2023-02-29 does not)",
                );
                None
            }
        }
    }

    /// `duration`.
    pub(super) fn duration(&self, p: &P) -> Option<Duration> {
        let mut amount = None;
        let mut unit = None;
        for c in p.clone().into_inner() {
            match c.as_rule() {
                Rule::int => amount = self.int(&c),
                Rule::duration_unit => {
                    let w = c.as_str();
                    unit = Some(if w.starts_with("business") {
                        DurationUnit::BusinessDays
                    } else if w.starts_with("hour") {
                        DurationUnit::Hours
                    } else if w.starts_with("day") {
                        DurationUnit::Days
                    } else if w.starts_with("week") {
                        DurationUnit::Weeks
                    } else if w.starts_with("month") {
                        DurationUnit::Months
                    } else {
                        DurationUnit::Years
                    });
                }
                _ => return self.unexpected(&c, "duration"),
            }
        }
        Some(Duration {
            amount: amount?,
            unit: unit?,
        })
    }

    /// `money`.
    /// `money | param_ref`.
    fn money_term(&self, p: Option<P>, span: Span) -> Option<Term<MoneyLit>> {
        match p {
            Some(r) if r.as_rule() == Rule::param_ref => Some(Term::Param(self.param_ref(&r))),
            p => self.money(p, span).map(Term::Value),
        }
    }

    pub(super) fn money(&self, p: Option<P>, span: Span) -> Option<MoneyLit> {
        let p = p.or_else(|| self.missing(span, "amount"))?;
        let (mut amount, mut currency) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::number => amount = self.number(&c),
                Rule::currency => currency = Some(self.ident(&c)),
                _ => return self.unexpected(&c, "money"),
            }
        }
        Some(MoneyLit {
            amount: amount?,
            currency: currency?,
        })
    }

    /// `literal`.
    pub(super) fn literal(&self, p: P) -> Option<Literal> {
        let span = self.span(&p);
        let c = p
            .into_inner()
            .next()
            .or_else(|| self.missing(span, "value"))?;
        let kind = match c.as_rule() {
            Rule::money => LiteralKind::Money(self.money(Some(c), span)?),
            Rule::percent => {
                let n = c.into_inner().find(|x| x.as_rule() == Rule::number);
                LiteralKind::Percent(self.number(&n.or_else(|| self.missing(span, "percent"))?)?)
            }
            Rule::duration => LiteralKind::Duration(self.duration(&c)?),
            Rule::date => LiteralKind::Date(self.date(&c)?),
            Rule::number => LiteralKind::Number(self.number(&c)?),
            Rule::string => LiteralKind::Text(self.string(c)),
            Rule::kw_bool => LiteralKind::Bool(c.as_str() == "true"),
            Rule::list_literal => LiteralKind::List(
                c.into_inner()
                    .filter(|x| x.as_rule() == Rule::literal)
                    .filter_map(|x| self.literal(x))
                    .collect(),
            ),
            _ => return self.unexpected(&c, "value"),
        };
        Some(Literal { kind, span })
    }
}

/// The length of `text` without trailing white space and `#` comments.
fn trimmed_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    // A trailing comment line: drop it and the white space before it, repeatedly.
    // Offsets within `text`, so the additions cannot overflow.
    loop {
        let body = text.get(..end).unwrap_or(text);
        let last_line_start = body.rfind('\n').map_or(0, |i| i.saturating_add(1));
        let last_line = body.get(last_line_start..).unwrap_or_default();
        match comment_start(last_line).map(|c| last_line_start.saturating_add(c)) {
            Some(cut) if cut > 0 => {
                let new_end = body.get(..cut).unwrap_or(body).trim_end().len();
                if new_end == end {
                    return end;
                }
                end = new_end;
            }
            _ => return end,
        }
    }
}

/// Where a `#` comment starts in a line, outside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, '#') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The type named by a single word; unknown words are kept for the checker to report.
fn simple_type(word: &str) -> TypeKind {
    match word {
        "text" => TypeKind::Text,
        "number" => TypeKind::Number,
        "money" => TypeKind::Money(None),
        "date" => TypeKind::Date,
        "datetime" => TypeKind::DateTime,
        "bool" => TypeKind::Bool,
        other => TypeKind::Unknown(other.to_string()),
    }
}
