//! Turning a pest parse failure into a [`Diagnostic`] that names what was expected in the
//! designer's words ("expected `{`", "expected a date such as 2025-03-31").

use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::error::{ErrorVariant, InputLocation};

/// What a grammar rule looks like, for "expected ..." messages.
fn describe(rule: Rule) -> &'static str {
    use Rule::*;
    match rule {
        lbrace => "`{`",
        rbrace => "`}`",
        lparen => "`(`",
        rparen => "`)`",
        lbracket => "`[`",
        rbracket => "`]`",
        comma => "`,`",
        colon => "`:`",
        equals => "`=`",
        arrow => "`=>`",
        dot => "`.`",
        kw_program | kw_include | kw_param | kw_fields | kw_events | kw_table | kw_condition
        | kw_window | kw_eligible | kw_reject | kw_duplicates | kw_milestone | kw_rates
        | kw_reward => "a declaration (`param`, `milestone`, `reward`, ...)",
        kw_if => "`if`",
        kw_unless => "`unless`",
        kw_on => "`on`",
        kw_to => "`to`",
        kw_from => "`from`",
        kw_by => "`by`",
        kw_keep => "`keep`",
        kw_event => "`event`",
        kw_each => "`each`",
        kw_within => "`within`",
        kw_after => "`after`",
        kw_where => "`where`",
        kw_limit => "`limit`",
        kw_tiers => "`tiers`",
        kw_count => "`count`",
        kw_per => "`per`",
        kw_optional => "`optional`",
        kw_else => "`else`",
        kw_scale => "`scale`",
        kw_payout => "`payout`",
        kw_next => "`next`",
        kw_month => "`month`",
        kw_referral => "`referral`",
        kw_bool => "`true` or `false`",
        kw_presence => "`present` or `missing`",
        ident => "a name",
        param_ref => "a parameter's name",
        multiplier_param | kw_x => "a multiplier such as x1.5",
        word => "a word",
        path | path_head => "a field or name",
        string | string_inner => "a quoted string",
        number => "a number",
        currency => "a currency code such as USD",
        money => "an amount such as 50 USD",
        percent => "a percentage such as 2%",
        date => "a date such as 2025-03-31",
        duration => "a duration such as 90 days",
        int => "a whole number",
        duration_unit => "a unit: hours, days, business days, weeks, months or years",
        ordinal => "an ordinal such as 5th",
        EOI => "the end of the file",
        item | header | include | param | fields | events | table | condition | window
        | eligible | reject | duplicates | rates | milestone | reward => {
            "a declaration (program, param, fields, events, table, condition, window, eligible, reject, duplicates, rates, milestone, reward)"
        }
        set_version | set_currency | set_timezone | set_rounding | set_effective | set_budget
        | set_minimum => {
            "a setting (version, currency, timezone, rounding, effective, budget, minimum payout)"
        }
        field_decl => "a field such as `referrer.health_score: number`",
        type_expr | enum_type | list_type | money_type => "a type (text, number, money, date, datetime, bool, list(...), enum(...))",
        event_decl => "an event kind",
        table_row | table_default => "a table row such as `\"US\" => 100 USD`",
        where_clause => "`where`",
        within_clause => "`within`",
        limit_clause => "`limit`",
        hold | pay_schedule | expires | clawback | forfeit | cap | bonus | only_if | nth
        | stacks | pays | clause_keyword => {
            "a reward clause (a kind such as `cash 50 USD`, hold, pay, expires, clawback, forfeit, cap, bonus, only if, every, at, stacks)"
        }
        amount_tiers | count_tiers => "`tiers by`",
        period | rolling => "a period such as `per month`",
        band => "a band such as `from 100 below 500 => 10 USD`",
        band_lower => "`from` or `above`",
        band_upper => "`below` or `to`",
        band_min => "`min`",
        band_max => "`max`",
        schedule | sched_end_next | sched_day_next | sched_quarterly | sched_immediately => {
            "a schedule (end of next month, on 15 of next month, quarterly, immediately)"
        }
        multiplier => "a multiplier such as x1.5",
        literal | list_literal => "a value",
        expr | primary | group | call | call_arg => "an expression",
        op_not | op_neg => "`not` or `-`",
        op_is_present | op_is_missing => "`is present` or `is missing`",
        kw_and | kw_or | kw_not | kw_in | kw_is | kw_of => "an operator",
        op_or | op_and | op_eq | op_ne | op_le | op_ge | op_lt | op_gt | op_in | op_not_in
        | op_add | op_sub | op_mul | op_div | op_of => "an operator",
        _ => "something else",
    }
}

/// Builds the diagnostic for a pest failure.
pub(super) fn syntax_error(file: FileId, text: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    // Offsets within a rule file (at most `SyntaxLimits::max_file_bytes`): saturating is exact.
    let end = text
        .get(pos.min(text.len())..)
        .unwrap_or_default()
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, _)| pos.saturating_add(i))
        .unwrap_or(text.len())
        .max(pos.saturating_add(1))
        .min(text.len().max(pos.saturating_add(1)));
    let found: String = text
        .get(pos..)
        .unwrap_or("")
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .take(24)
        .collect();
    // The single words the parser would have taken here (`month`, `scale`), for did-you-mean.
    let mut words: Vec<&str> = Vec::new();
    let (message, note, expected) = match e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut wanted: Vec<&str> = positives.iter().map(|r| describe(*r)).collect();
            words = wanted
                .iter()
                .filter_map(|w| w.strip_prefix('`')?.strip_suffix('`'))
                .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
                .collect();
            wanted.sort_unstable();
            wanted.dedup();
            let expected = match wanted.as_slice() {
                [] => "something else".to_string(),
                [one] => (*one).to_string(),
                many => {
                    let (last, rest) = many.split_last().unwrap_or((&"", &[]));
                    format!("{} or {}", rest.join(", "), last)
                }
            };
            let found = if found.is_empty() {
                "the end of the file".to_string()
            } else {
                format!("`{found}`")
            };
            (
                format!("expected {expected}, found {found}"),
                format!("expected {expected}"),
                expected,
            )
        }
        ErrorVariant::CustomError { message } => (message.clone(), message, String::new()),
    };
    let word: String = found
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let hint = if word.is_empty() {
        None
    } else {
        crate::diagnostics::did_you_mean(&word, words.iter().copied())
            .or_else(|| crate::diagnostics::did_you_mean(&word, KEYWORDS.iter().copied()))
    };
    let mut back = text.get(..pos).unwrap_or("").split_whitespace().rev();
    let (before, number) = (back.next().unwrap_or(""), back.next().unwrap_or(""));
    let hint = hint
        .or_else(|| lowercase_currency(number, before))
        .or_else(|| term_read_as_name(number, before, &word))
        .or_else(|| known_mistake(&expected, &found, &word));
    let hint = hint.unwrap_or_else(|| {
        format!(
            "{}; docs/language.md shows the form of each declaration",
            capitalize(&note)
        )
    });
    Diagnostic::new(Code::Syntax, message, Span::new(file, pos, end))
        .note(note)
        .help(hint)
}

/// A hint for the mistakes designers make most, from what was expected and what was found.
fn known_mistake(expected: &str, found: &str, word: &str) -> Option<String> {
    let units = ["hours", "days", "business", "weeks", "months", "years"];
    let hint = if found.starts_with("==") {
        return None;
    } else if found.starts_with('=') && !found.starts_with("=>") {
        "comparisons are written `==` (a single `=` only names a value: `param x = 3`)".into()
    } else if found.starts_with(';') {
        "merit has no `;`: a declaration ends where the next one starts".into()
    } else if found.starts_with("->") {
        "a band and what it pays are joined by `=>`".into()
    } else if found.starts_with('"') && expected.contains("quoted string") {
        "close the text with `\"` on the same line".into()
    } else if found
        .strip_prefix(',')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    {
        "write amounts without thousands separators: `250000`, not `250,000`".into()
    } else if expected == "`payout`" {
        "the setting is written `minimum payout 50 USD`".into()
    } else if word == "before" {
        "deadlines count forward from their anchor: `within 30 days after created`".into()
    } else if expected.contains("ordinal") && word.chars().all(|c| c.is_ascii_digit()) {
        format!("write the position with its suffix: `{word}th` (1st, 2nd, 3rd, 4th, ...)")
    } else if expected.contains("a unit") && !word.is_empty() {
        return crate::diagnostics::did_you_mean(word, units.iter().copied()).or_else(|| {
            Some("durations are a number and a unit: `30 days`, `48 hours`, `5 business days`, `2 weeks`, `3 months`, `1 years`".into())
        });
    } else if expected.contains("amount such as") {
        "an amount names its currency: `100000 USD`".into()
    } else if expected == "a name" && KEYWORDS.contains(&word) {
        format!("`{word}` is a word of the language; pick another name, such as `my_{word}`")
    } else if word.len() == 3 && word.chars().all(|c| c.is_ascii_lowercase()) {
        format!(
            "currency codes are written in capitals: `{}`",
            word.to_ascii_uppercase()
        )
    } else if expected.starts_with("`{`") {
        "a block opens with `{` after its header".into()
    } else if expected.contains("`}`") {
        "a block is not closed: check that every `{` above has its `}`".into()
    } else if expected == "`:`" {
        "a field is declared as `path: type`, e.g. `referrer.health_score: number`".into()
    } else if expected == "a value" {
        "write a number, an amount (`500 USD`), a percentage, a date or a quoted text here; names of parameters are not allowed in this place".into()
    } else {
        return None;
    };
    Some(hint)
}

/// `hold for 30 days`, `within sixty days after created`: a term may be a parameter's name, so
/// the word after the keyword was read as one, and the parser stops at the value that follows.
fn term_read_as_name(keyword: &str, name: &str, word: &str) -> Option<String> {
    let example = match keyword {
        "hold" => "hold 30 days",
        "within" => "within 60 days after created",
        "expires" => "expires 12 months after payable",
        "cap" => "cap 500 USD per recipient per year",
        "budget" => "budget 100000 USD",
        "payout" => "minimum payout 50 USD",
        "limit" => "limit 12",
        _ => return None,
    };
    let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let units = [
        "hour", "hours", "day", "days", "business", "week", "weeks", "month", "months", "year",
        "years", "USD", "EUR", "GBP",
    ];
    let value_follows = word.starts_with(|c: char| c.is_ascii_digit()) || units.contains(&word);
    (is_name && value_follows).then(|| {
        format!(
            "`{name}` was read as a parameter's name; after `{keyword}` write the value itself, in digits (`{example}`), or the name of a `param`"
        )
    })
}

/// `50 usd`: the parser stops after the lower-case code, so look at the two words before.
fn lowercase_currency(number: &str, before: &str) -> Option<String> {
    let upper = before.to_ascii_uppercase();
    (number.starts_with(|c: char| c.is_ascii_digit())
        && before.len() == 3
        && before.chars().all(|c| c.is_ascii_lowercase())
        && crate::money::Currency::parse(&upper).is_some())
    .then(|| format!("currency codes are written in capitals: `{upper}`, not `{before}`"))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Keywords a misspelling is most likely meant to be.
const KEYWORDS: &[&str] = &[
    "program",
    "include",
    "param",
    "fields",
    "events",
    "table",
    "condition",
    "window",
    "eligible",
    "reject",
    "duplicates",
    "rates",
    "milestone",
    "reward",
    "within",
    "after",
    "where",
    "limit",
    "tiers",
    "count",
    "per",
    "optional",
    "hold",
    "pay",
    "expires",
    "clawback",
    "forfeit",
    "cap",
    "bonus",
    "only",
    "every",
    "stacks",
    "below",
    "above",
    "from",
    "to",
    "max",
    "min",
    "present",
    "missing",
    "unless",
    "keep",
    "each",
    "event",
];
