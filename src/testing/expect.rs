//! Checking a run against a test's expectations. Every mismatch becomes a [`Failure`] whose
//! rows put what was expected beside what the run produced, field by field.

use super::file::Expect;
use crate::ledger::{Ledger, Line};
use crate::money::format_amount;
use crate::time::Instant;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A ledger line field an expectation can name (in display order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// `id`.
    Id,
    /// `record_id`.
    RecordId,
    /// `recipient.role`.
    RecipientRole,
    /// `recipient.id`.
    RecipientId,
    /// `rule`.
    Rule,
    /// `tier`.
    Tier,
    /// `milestone`.
    Milestone,
    /// `kind`.
    Kind,
    /// `amount`.
    Amount,
    /// `currency`.
    Currency,
    /// `quantity`.
    Quantity,
    /// `unit`.
    Unit,
    /// `status`.
    Status,
    /// `earned_at`.
    EarnedAt,
    /// `payable_on`.
    PayableOn,
    /// `expires_on`.
    ExpiresOn,
    /// `reverses`.
    Reverses,
}

impl Field {
    /// The field's name as written in a test file.
    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::RecordId => "record_id",
            Field::RecipientRole => "recipient.role",
            Field::RecipientId => "recipient.id",
            Field::Rule => "rule",
            Field::Tier => "tier",
            Field::Milestone => "milestone",
            Field::Kind => "kind",
            Field::Amount => "amount",
            Field::Currency => "currency",
            Field::Quantity => "quantity",
            Field::Unit => "unit",
            Field::Status => "status",
            Field::EarnedAt => "earned_at",
            Field::PayableOn => "payable_on",
            Field::ExpiresOn => "expires_on",
            Field::Reverses => "reverses",
        }
    }
}

/// An expected value.
#[derive(Debug, Clone, PartialEq)]
pub enum Want {
    /// This text.
    Text(String),
    /// The field is absent (`null`).
    Absent,
    /// This number (compared exactly, whatever the scale written).
    Decimal(Decimal),
    /// This date.
    Date(NaiveDate),
    /// This instant (any offset).
    Instant(Instant),
}

impl Want {
    fn show(&self) -> String {
        match self {
            Want::Text(t) => t.clone(),
            Want::Absent => "(none)".to_string(),
            Want::Decimal(d) => d.to_string(),
            Want::Date(d) => d.to_string(),
            Want::Instant(t) => t.to_rfc3339(),
        }
    }
}

/// An expected ledger line: the fields it names must all match.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinePattern {
    /// Field and value, in display order.
    pub fields: Vec<(Field, Want)>,
}

impl LinePattern {
    /// True when every named field matches the line.
    pub fn matches(&self, line: &Line) -> bool {
        self.fields.iter().all(|(f, w)| field_matches(line, *f, w))
    }

    /// How close a line is: fields that say which line it is (id, record, rule, recipient)
    /// outweigh all the value fields together, so the closest line is the one the expectation
    /// was written about, whatever its amount or status.
    fn score(&self, line: &Line) -> usize {
        self.fields
            .iter()
            .filter(|(f, w)| field_matches(line, *f, w))
            .map(|(f, _)| match f {
                Field::Id
                | Field::RecordId
                | Field::Rule
                | Field::RecipientRole
                | Field::RecipientId => 32,
                _ => 1,
            })
            .sum()
    }

    fn rows(&self, line: Option<&Line>) -> Vec<Row> {
        self.fields
            .iter()
            .map(|(f, w)| Row {
                field: f.name().to_string(),
                expected: w.show(),
                actual: line.map_or_else(|| "(no line)".to_string(), |l| show(l, *f)),
                differs: !line.is_some_and(|l| field_matches(l, *f, w)),
            })
            .collect()
    }
}

fn text_is(actual: Option<&str>, want: &Want) -> bool {
    match want {
        Want::Text(t) => actual == Some(t.as_str()),
        Want::Absent => actual.is_none(),
        _ => false,
    }
}

fn field_matches(line: &Line, field: Field, want: &Want) -> bool {
    match field {
        Field::Id => text_is(Some(&line.id), want),
        Field::RecordId => text_is(Some(&line.record_id), want),
        Field::RecipientRole => text_is(Some(&line.recipient.role), want),
        Field::RecipientId => text_is(Some(&line.recipient.id), want),
        Field::Rule => text_is(Some(&line.rule), want),
        Field::Tier => text_is(line.tier.as_deref(), want),
        Field::Milestone => text_is(Some(&line.milestone), want),
        Field::Kind => text_is(Some(line.kind.name()), want),
        Field::Currency => text_is(line.currency.as_ref().map(|c| c.as_str()), want),
        Field::Unit => text_is(line.unit.as_deref(), want),
        Field::Status => text_is(Some(line.status.as_str()), want),
        Field::Reverses => text_is(line.reverses.as_deref(), want),
        Field::Amount => decimal_is(line.amount.map(|(d, _)| d), want),
        Field::Quantity => decimal_is(line.quantity, want),
        Field::EarnedAt => matches!(want, Want::Instant(t) if *t == line.earned_at),
        Field::PayableOn => matches!(want, Want::Date(d) if *d == line.payable_on),
        Field::ExpiresOn => match want {
            Want::Date(d) => line.expires_on == Some(*d),
            Want::Absent => line.expires_on.is_none(),
            _ => false,
        },
    }
}

fn decimal_is(actual: Option<Decimal>, want: &Want) -> bool {
    match want {
        Want::Decimal(d) => actual == Some(*d),
        Want::Absent => actual.is_none(),
        _ => false,
    }
}

/// A line's field as text, for the "actual" column.
fn show(line: &Line, field: Field) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "(none)".to_string());
    match field {
        Field::Id => line.id.clone(),
        Field::RecordId => line.record_id.to_string(),
        Field::RecipientRole => line.recipient.role.to_string(),
        Field::RecipientId => line.recipient.id.to_string(),
        Field::Rule => line.rule.to_string(),
        Field::Tier => opt(line.tier.as_ref().map(|t| t.to_string())),
        Field::Milestone => line.milestone.to_string(),
        Field::Kind => line.kind.name().to_string(),
        Field::Amount => opt(line.amount.map(|(d, s)| format_amount(d, s))),
        Field::Currency => opt(line.currency.map(|c| c.to_string())),
        Field::Quantity => opt(line.quantity.map(|q| q.normalize().to_string())),
        Field::Unit => opt(line.unit.as_ref().map(|u| u.to_string())),
        Field::Status => line.status.as_str().to_string(),
        Field::EarnedAt => line
            .earned_at
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        Field::PayableOn => line.payable_on.to_string(),
        Field::ExpiresOn => opt(line.expires_on.map(|d| d.to_string())),
        Field::Reverses => opt(line.reverses.clone()),
    }
}

/// Expected summary counts (each one named is compared).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryExpect {
    /// Records read.
    pub records: Option<u64>,
    /// Eligible.
    pub eligible: Option<u64>,
    /// Not eligible.
    pub not_eligible: Option<u64>,
    /// Rejected.
    pub rejected: Option<u64>,
    /// Rewarded.
    pub rewarded: Option<u64>,
    /// Lapsed.
    pub lapsed: Option<u64>,
    /// Records with problems.
    pub problems: Option<u64>,
    /// Lines.
    pub lines: Option<u64>,
}

impl SummaryExpect {
    /// True when no count is named.
    pub fn is_empty(&self) -> bool {
        *self == SummaryExpect::default()
    }
}

/// One row of a side-by-side comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// What is compared.
    pub field: String,
    /// The test's value.
    pub expected: String,
    /// The run's value.
    pub actual: String,
    /// Whether they differ.
    pub differs: bool,
}

/// One way a test failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// A stable key: `missing_line`, `unexpected_line`, `forbidden_line`, `totals`, `summary`,
    /// `missing_problem`, `unexpected_problem`, `diagnostic`.
    pub kind: &'static str,
    /// One sentence.
    pub message: String,
    /// Expected beside actual.
    pub rows: Vec<Row>,
}

/// Pairs each pattern with a different item it accepts (a maximum bipartite matching, so the
/// order of the expectations never decides the outcome). `accepts[i]` lists pattern i's items.
pub(super) fn assign(accepts: &[Vec<usize>], items: usize) -> Vec<Option<usize>> {
    fn augment(
        i: usize,
        accepts: &[Vec<usize>],
        owner: &mut [Option<usize>],
        seen: &mut [bool],
    ) -> bool {
        for &j in accepts.get(i).map(Vec::as_slice).unwrap_or(&[]) {
            if seen.get(j).copied().unwrap_or(true) {
                continue;
            }
            if let Some(s) = seen.get_mut(j) {
                *s = true;
            }
            let prev = owner.get(j).copied().flatten();
            let free = match prev {
                None => true,
                Some(k) => augment(k, accepts, owner, seen),
            };
            if free {
                if let Some(o) = owner.get_mut(j) {
                    *o = Some(i);
                }
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; items];
    for i in 0..accepts.len() {
        let mut seen = vec![false; items];
        augment(i, accepts, &mut owner, &mut seen);
    }
    let mut out = vec![None; accepts.len()];
    for (j, o) in owner.iter().enumerate() {
        if let Some(slot) = o.and_then(|i| out.get_mut(i)) {
            *slot = Some(j);
        }
    }
    out
}

/// Checks a ledger against the expectations.
pub fn check_ledger(expect: &Expect, ledger: &Ledger) -> Vec<Failure> {
    let mut out = Vec::new();
    let lines = &ledger.lines;
    let accepts: Vec<Vec<usize>> = expect
        .lines
        .iter()
        .map(|p| {
            lines
                .iter()
                .enumerate()
                .filter(|(_, l)| p.matches(l))
                .map(|(j, _)| j)
                .collect()
        })
        .collect();
    let assigned = assign(&accepts, lines.len());
    let used: Vec<bool> = (0..lines.len())
        .map(|j| assigned.contains(&Some(j)))
        .collect();
    let n = expect.lines.len();
    for ((i, (p, a)), nth) in expect.lines.iter().zip(&assigned).enumerate().zip(1..) {
        if a.is_some() {
            continue;
        }
        // The closest line the other expectations did not take (else any line).
        let pool: Vec<&Line> = lines
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(l, _)| l)
            .collect();
        let pool = if pool.is_empty() {
            lines.iter().collect()
        } else {
            pool
        };
        let mut closest: Option<(&Line, usize)> = None;
        for l in pool {
            let s = p.score(l);
            if closest.is_none_or(|(_, best)| s > best) {
                closest = Some((l, s));
            }
        }
        let closest = closest.map(|(l, _)| l);
        let message = match (closest, accepts.get(i).is_some_and(|a| !a.is_empty())) {
            (_, true) => format!(
                "expected line {nth} of {n} matches only lines that other expected lines already match"
            ),
            (Some(l), false) => format!(
                "expected line {nth} of {n} matches no ledger line; the closest is {}",
                l.id
            ),
            (None, false) => format!("expected line {nth} of {n}: the ledger has no lines"),
        };
        out.push(Failure {
            kind: "missing_line",
            message,
            rows: p.rows(closest),
        });
    }
    if expect.exact_lines {
        for (l, _) in lines.iter().zip(&used).filter(|(_, u)| !**u) {
            out.push(Failure {
                kind: "unexpected_line",
                message: format!("unexpected line {} (`exact_lines` is set)", l.id),
                rows: summary_rows(l),
            });
        }
    }
    for (i, p) in expect.no_lines.iter().enumerate() {
        for l in lines.iter().filter(|l| p.matches(l)) {
            out.push(Failure {
                kind: "forbidden_line",
                message: format!("line {} matches `no_lines[{i}]`", l.id),
                rows: p.rows(Some(l)),
            });
        }
    }
    if let Some(totals) = &expect.totals {
        if let Some(f) = check_totals(totals, ledger) {
            out.push(f);
        }
    }
    if let Some(f) = check_summary(&expect.summary, ledger) {
        out.push(f);
    }
    out.extend(super::problems::check_problems(
        expect.problems.as_deref(),
        &ledger.problems,
    ));
    out
}

fn summary_rows(l: &Line) -> Vec<Row> {
    let mut fields = vec![
        Field::RecordId,
        Field::Rule,
        Field::RecipientRole,
        Field::RecipientId,
    ];
    if l.tier.is_some() {
        fields.push(Field::Tier);
    }
    if l.amount.is_some() {
        fields.extend([Field::Amount, Field::Currency]);
    } else {
        fields.extend([Field::Quantity, Field::Unit]);
    }
    fields.push(Field::Status);
    fields
        .into_iter()
        .map(|f| Row {
            field: f.name().to_string(),
            expected: "—".to_string(),
            actual: show(l, f),
            differs: true,
        })
        .collect()
}

fn check_totals(totals: &[(crate::money::Currency, Decimal)], ledger: &Ledger) -> Option<Failure> {
    let mut rows = Vec::new();
    let mut bad = false;
    for (c, want) in totals {
        let actual = ledger.summary.owed.iter().find(|t| t.currency == *c);
        let differs = actual.map(|t| t.amount.0) != Some(*want);
        bad |= differs;
        rows.push(Row {
            field: format!("owed {c}"),
            expected: want.to_string(),
            actual: actual.map_or_else(
                || "(none)".into(),
                |t| format_amount(t.amount.0, t.amount.1),
            ),
            differs,
        });
    }
    for t in &ledger.summary.owed {
        if !totals.iter().any(|(c, _)| *c == t.currency) {
            bad = true;
            rows.push(Row {
                field: format!("owed {}", t.currency),
                expected: "(none)".into(),
                actual: format_amount(t.amount.0, t.amount.1),
                differs: true,
            });
        }
    }
    bad.then(|| Failure {
        kind: "totals",
        message: "the amounts owed per currency differ".into(),
        rows,
    })
}

fn check_summary(want: &SummaryExpect, ledger: &Ledger) -> Option<Failure> {
    let s = &ledger.summary;
    let pairs = [
        ("records", want.records, s.records),
        ("eligible", want.eligible, s.eligible),
        ("not_eligible", want.not_eligible, s.not_eligible),
        ("rejected", want.rejected, s.rejected),
        ("rewarded", want.rewarded, s.rewarded),
        ("lapsed", want.lapsed, s.lapsed),
        ("problems", want.problems, s.problems),
        ("lines", want.lines, s.lines),
    ];
    let rows: Vec<Row> = pairs
        .iter()
        .filter_map(|(k, w, a)| {
            w.map(|w| Row {
                field: k.to_string(),
                expected: w.to_string(),
                actual: a.to_string(),
                differs: w != *a,
            })
        })
        .collect();
    rows.iter().any(|r| r.differs).then(|| Failure {
        kind: "summary",
        message: "summary counts differ".into(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::assign;

    #[test]
    fn matching_does_not_depend_on_order() {
        // Pattern 0 accepts items 0 and 1, pattern 1 only item 0: both can be matched.
        assert_eq!(assign(&[vec![0, 1], vec![0]], 2), vec![Some(1), Some(0)]);
        assert_eq!(assign(&[vec![0], vec![0]], 1), vec![Some(0), None]);
    }
}
