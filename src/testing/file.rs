//! The test file format (`X.test.json` next to `X.rules`; documented in `docs/testing.md`),
//! read into [`TestFile`] and checked before anything runs: an unknown key, a bad date, an
//! unknown status or currency is a malformed test file, never a silently failing test.

use super::expect::{Field, LinePattern, SummaryExpect, Want};
use super::problems::{DiagnosticPattern, ProblemPattern};
use crate::diagnostics::{did_you_mean, Code};
use crate::ledger::Status;
use crate::money::Currency;
use crate::program::RewardKind;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// One test file.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// The program under test: `"program"` in the file, else `X.rules` next to `X.test.json`.
    pub program: PathBuf,
    /// The tests, in file order.
    pub tests: Vec<TestCase>,
}

/// Where a test's records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Records {
    /// Written in the test (the JSON array's text, exactly as written).
    Inline(String),
    /// A JSON Lines (or JSON array) file, relative to the test file.
    File(PathBuf),
}

/// One named test.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// Its name (unique in its file).
    pub name: String,
    /// The records, if the test evaluates.
    pub records: Option<Records>,
    /// The as-of date, if the test evaluates.
    pub as_of: Option<NaiveDate>,
    /// Parameter overrides, in literal syntax.
    pub set: Vec<(String, String)>,
    /// A program written in the test instead of the file's program.
    pub program_text: Option<String>,
    /// What must hold.
    pub expect: Expect,
}

/// A test's expectations.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Lines that must each match a different ledger line.
    pub lines: Vec<LinePattern>,
    /// No ledger line beyond those in `lines`.
    pub exact_lines: bool,
    /// Lines that must match no ledger line.
    pub no_lines: Vec<LinePattern>,
    /// Owed per currency, exactly (every currency owed is listed).
    pub totals: Option<Vec<(Currency, Decimal)>>,
    /// Summary counts.
    pub summary: SummaryExpect,
    /// Exactly these record problems (none when absent).
    pub problems: Option<Vec<ProblemPattern>>,
    /// A diagnostic the program's check must report.
    pub diagnostic: Option<DiagnosticPattern>,
}

impl Expect {
    /// Whether the test evaluates records (anything beyond a diagnostic).
    pub fn evaluates(&self) -> bool {
        !self.lines.is_empty()
            || self.exact_lines
            || !self.no_lines.is_empty()
            || self.totals.is_some()
            || !self.summary.is_empty()
            || self.problems.is_some()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    program: Option<String>,
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    records_file: Option<String>,
    tests: Vec<TestDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestDoc {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    records: Option<Box<RawValue>>,
    #[serde(default)]
    records_file: Option<String>,
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    set: BTreeMap<String, Box<RawValue>>,
    #[serde(default)]
    program_text: Option<ProgramText>,
    expect: ExpectDoc,
}

/// A program written in a test: one string, or a list of lines (JSON has no multi-line
/// strings).
#[derive(Deserialize)]
#[serde(untagged)]
enum ProgramText {
    Text(String),
    Lines(Vec<String>),
}

type Object = BTreeMap<String, Box<RawValue>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectDoc {
    #[serde(default)]
    lines: Vec<Object>,
    #[serde(default)]
    exact_lines: bool,
    #[serde(default)]
    no_lines: Vec<Object>,
    #[serde(default)]
    totals: Option<Object>,
    #[serde(default)]
    summary: Option<SummaryExpect>,
    #[serde(default)]
    problems: Option<Vec<ProblemPattern>>,
    #[serde(default)]
    diagnostic: Option<DiagnosticDoc>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DiagnosticDoc {
    Code(String),
    Full {
        code: String,
        #[serde(default)]
        line: Option<usize>,
        #[serde(default)]
        message: Option<String>,
    },
}

/// The program a test file `X.test.json` tests when it names none: `X.rules` beside it.
pub fn sibling_program(test_file: &Path) -> Option<PathBuf> {
    let name = test_file.file_name()?.to_str()?;
    let stem = name.strip_suffix(".test.json")?;
    Some(test_file.with_file_name(format!("{stem}.rules")))
}

/// The test file `X.test.json` beside a program `X.rules`.
pub fn sibling_tests(program: &Path) -> Option<PathBuf> {
    let name = program.file_name()?.to_str()?;
    let stem = name.strip_suffix(".rules")?;
    Some(program.with_file_name(format!("{stem}.test.json")))
}

/// The program a test file names, read leniently (for reporting a malformed file): its
/// `"program"` if that much can be read, else `X.rules` beside `X.test.json`.
pub fn program_of(test_file: &Path) -> Option<PathBuf> {
    #[derive(Deserialize)]
    struct ProgramOnly {
        program: Option<String>,
    }
    let named = std::fs::read_to_string(test_file)
        .ok()
        .and_then(|t| serde_json::from_str::<ProgramOnly>(&t).ok())
        .and_then(|p| p.program);
    match named {
        Some(p) => Some(test_file.parent().unwrap_or(Path::new("")).join(p)),
        None => sibling_program(test_file),
    }
}

/// Reads and checks a test file. `Err` says what is wrong, with the test's name.
pub fn load(path: &Path) -> Result<TestFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(path, &text)
}

/// Parses a test file's text (`path` locates relative files).
pub fn parse(path: &Path, text: &str) -> Result<TestFile, String> {
    let doc: FileDoc = serde_json::from_str(text)
        .map_err(|e| format!("{} is not a valid test file: {e}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let program = match &doc.program {
        Some(p) => dir.join(p),
        None => sibling_program(path).ok_or_else(|| {
            format!(
                "{}: name the program with \"program\", or call the file X.test.json next to X.rules",
                path.display()
            )
        })?,
    };
    let default_as_of = doc
        .as_of
        .as_deref()
        .map(|d| date(d).map_err(|e| format!("{}: \"as_of\": {e}", path.display())))
        .transpose()?;
    let mut tests: Vec<TestCase> = Vec::with_capacity(doc.tests.len());
    if doc.tests.is_empty() {
        return Err(format!("{}: \"tests\" is empty", path.display()));
    }
    for t in doc.tests {
        let name = t.name.trim().to_string();
        let at = |e: String| format!("{}, test `{name}`: {e}", path.display());
        if name.is_empty() {
            return Err(format!("{}: a test has an empty name", path.display()));
        }
        if tests.iter().any(|o| o.name == name) {
            return Err(at("two tests have this name".to_string()));
        }
        let expect = expect(t.expect).map_err(at)?;
        let records = match (t.records, t.records_file) {
            (Some(_), Some(_)) => {
                return Err(at("give `records` or `records_file`, not both".to_string()))
            }
            (Some(raw), None) => {
                let text = raw.get().trim();
                if !text.starts_with('[') {
                    return Err(at(
                        "`records` is an array of record objects (or use `records_file`)"
                            .to_string(),
                    ));
                }
                Some(Records::Inline(text.to_string()))
            }
            (None, Some(f)) => Some(Records::File(dir.join(f))),
            (None, None) => doc
                .records_file
                .as_ref()
                .map(|f| Records::File(dir.join(f))),
        };
        let as_of = match &t.as_of {
            Some(d) => Some(date(d).map_err(|e| at(format!("`as_of`: {e}")))?),
            None => default_as_of,
        };
        if expect.evaluates() {
            if records.is_none() {
                return Err(at(
                    "it checks a run but gives no `records` or `records_file`".into(),
                ));
            }
            if as_of.is_none() {
                return Err(at("it checks a run but gives no `as_of` date".into()));
            }
        } else if expect.diagnostic.is_none() {
            return Err(at(
                "it expects nothing: give `lines`, `totals`, `summary`, `problems` or `diagnostic` under `expect`".into(),
            ));
        }
        let mut set = Vec::new();
        for (k, raw) in t.set {
            let raw = raw.get().trim();
            let value = if raw.starts_with('"') {
                serde_json::from_str::<String>(raw).map_err(|e| at(format!("`set.{k}`: {e}")))?
            } else if raw.starts_with('{') || raw == "null" {
                return Err(at(format!(
                    "`set.{k}`: write the value as a string in merit syntax, e.g. \"3%\""
                )));
            } else {
                raw.to_string()
            };
            set.push((k, value));
        }
        tests.push(TestCase {
            name,
            records,
            as_of,
            set,
            program_text: t.program_text.map(|p| match p {
                ProgramText::Text(t) => t,
                ProgramText::Lines(lines) => {
                    let mut text = lines.join("\n");
                    text.push('\n');
                    text
                }
            }),
            expect,
        });
    }
    Ok(TestFile {
        path: path.to_path_buf(),
        program,
        tests,
    })
}

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

fn expect(doc: ExpectDoc) -> Result<Expect, String> {
    let lines = doc
        .lines
        .iter()
        .enumerate()
        .map(|(i, o)| line_pattern(o).map_err(|e| format!("`lines[{i}]`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let no_lines = doc
        .no_lines
        .iter()
        .enumerate()
        .map(|(i, o)| line_pattern(o).map_err(|e| format!("`no_lines[{i}]`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let totals = match doc.totals {
        None => None,
        Some(map) => {
            let mut out = Vec::new();
            for (code, raw) in &map {
                let c = currency(code).map_err(|e| format!("`totals`: {e}"))?;
                let d = decimal(raw).map_err(|e| format!("`totals.{code}`: {e}"))?;
                out.push((c, d));
            }
            Some(out)
        }
    };
    if let Some(ps) = &doc.problems {
        for (i, p) in ps.iter().enumerate() {
            if p.is_empty() {
                return Err(format!(
                    "`problems[{i}]` names nothing: give `record_id`, `field`, `line` or `message`"
                ));
            }
        }
    }
    let diagnostic = match doc.diagnostic {
        None => None,
        Some(d) => {
            let (code, line, message) = match d {
                DiagnosticDoc::Code(c) => (c, None, None),
                DiagnosticDoc::Full {
                    code,
                    line,
                    message,
                } => (code, line, message),
            };
            let Some(found) = Code::ALL.iter().find(|c| c.as_str() == code.trim()) else {
                let hint = did_you_mean(code.trim(), Code::ALL.iter().map(|c| c.as_str()))
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                return Err(format!("`diagnostic`: `{code}` is not a merit code{hint}"));
            };
            Some(DiagnosticPattern {
                code: *found,
                line,
                message,
            })
        }
    };
    Ok(Expect {
        lines,
        exact_lines: doc.exact_lines,
        no_lines,
        totals,
        summary: doc.summary.unwrap_or_default(),
        problems: doc.problems,
        diagnostic,
    })
}

const LINE_KEYS: &[&str] = &[
    "id",
    "record_id",
    "recipient",
    "rule",
    "tier",
    "milestone",
    "kind",
    "amount",
    "currency",
    "quantity",
    "unit",
    "status",
    "earned_at",
    "payable_on",
    "expires_on",
    "reverses",
];

const STATUSES: &[Status] = &[
    Status::Pending,
    Status::Payable,
    Status::Expired,
    Status::Forfeited,
    Status::ClawedBack,
    Status::Capped,
];

/// Reads one expected line: a subset of a ledger line's fields.
fn line_pattern(obj: &Object) -> Result<LinePattern, String> {
    if obj.is_empty() {
        return Err("an expected line names no field".into());
    }
    let mut fields: Vec<(Field, Want)> = Vec::new();
    for (key, raw) in obj {
        let raw_text = raw.get().trim();
        let null = raw_text == "null";
        let text = || string(raw).map_err(|e| format!("`{key}`: {e}"));
        let nullable = |f: Field, fields: &mut Vec<(Field, Want)>| -> Result<(), String> {
            if null {
                fields.push((f, Want::Absent));
            } else {
                fields.push((f, Want::Text(text()?)));
            }
            Ok(())
        };
        match key.as_str() {
            "id" => fields.push((Field::Id, Want::Text(text()?))),
            "record_id" => fields.push((Field::RecordId, Want::Text(text()?))),
            "rule" => fields.push((Field::Rule, Want::Text(text()?))),
            "milestone" => fields.push((Field::Milestone, Want::Text(text()?))),
            "tier" => nullable(Field::Tier, &mut fields)?,
            "unit" => nullable(Field::Unit, &mut fields)?,
            "reverses" => nullable(Field::Reverses, &mut fields)?,
            "recipient" => recipient(raw, &mut fields)?,
            "kind" => {
                let k = text()?;
                if RewardKind::parse(&k).is_none() {
                    return Err(unknown("kind", &k, RewardKind::NAMES.iter().copied()));
                }
                fields.push((Field::Kind, Want::Text(k)));
            }
            "status" => {
                let s = text()?;
                if !STATUSES.iter().any(|st| st.as_str() == s) {
                    return Err(unknown("status", &s, STATUSES.iter().map(|s| s.as_str())));
                }
                fields.push((Field::Status, Want::Text(s)));
            }
            "currency" if null => fields.push((Field::Currency, Want::Absent)),
            "currency" => {
                currency(&text()?)?;
                fields.push((Field::Currency, Want::Text(text()?)));
            }
            "amount" | "quantity" => {
                let f = if key == "amount" {
                    Field::Amount
                } else {
                    Field::Quantity
                };
                if null {
                    fields.push((f, Want::Absent));
                } else {
                    let d = decimal(raw).map_err(|e| format!("`{key}`: {e}"))?;
                    fields.push((f, Want::Decimal(d)));
                }
            }
            "payable_on" => {
                fields.push((Field::PayableOn, Want::Date(date(&text()?)?)));
            }
            "expires_on" if null => fields.push((Field::ExpiresOn, Want::Absent)),
            "expires_on" => fields.push((Field::ExpiresOn, Want::Date(date(&text()?)?))),
            "earned_at" => {
                let s = text()?;
                let t = chrono::DateTime::parse_from_rfc3339(&s).map_err(|_| {
                    format!("`earned_at`: `{s}` is not an RFC 3339 time with an offset")
                })?;
                fields.push((Field::EarnedAt, Want::Instant(t)));
            }
            other => {
                let hint = did_you_mean(other, LINE_KEYS.iter().copied())
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_else(|| format!(" (a line has: {})", LINE_KEYS.join(", ")));
                return Err(format!("`{other}` is not a ledger line field{hint}"));
            }
        }
    }
    fields.sort_by_key(|(f, _)| *f);
    Ok(LinePattern { fields })
}

/// `"recipient": {"role": "referrer", "id": "C-1"}` or `"recipient": "referrer:C-1"`.
fn recipient(raw: &RawValue, fields: &mut Vec<(Field, Want)>) -> Result<(), String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Rec {
        #[serde(default)]
        role: Option<String>,
        #[serde(default)]
        id: Option<String>,
    }
    if raw.get().trim_start().starts_with('"') {
        let s = string(raw)?;
        let Some((role, id)) = s.split_once(':') else {
            return Err(format!(
                "`recipient`: write \"role:id\" (e.g. \"referrer:C-1\") or {{\"role\": …, \"id\": …}}, not `{s}`"
            ));
        };
        fields.push((Field::RecipientRole, Want::Text(role.to_string())));
        fields.push((Field::RecipientId, Want::Text(id.to_string())));
        return Ok(());
    }
    let r: Rec = serde_json::from_str(raw.get()).map_err(|e| format!("`recipient`: {e}"))?;
    if r.role.is_none() && r.id.is_none() {
        return Err("`recipient` names neither `role` nor `id`".into());
    }
    if let Some(role) = r.role {
        fields.push((Field::RecipientRole, Want::Text(role)));
    }
    if let Some(id) = r.id {
        fields.push((Field::RecipientId, Want::Text(id)));
    }
    Ok(())
}

fn string(raw: &RawValue) -> Result<String, String> {
    serde_json::from_str::<String>(raw.get())
        .map_err(|_| format!("expected a string, found `{}`", raw.get().trim()))
}

/// An exact decimal from a JSON string or number, read from its text (never a float).
fn decimal(raw: &RawValue) -> Result<Decimal, String> {
    let text = raw.get().trim();
    let s = if text.starts_with('"') {
        string(raw)?
    } else {
        text.to_string()
    };
    Decimal::from_str(s.trim())
        .or_else(|_| Decimal::from_scientific(s.trim()))
        .map_err(|_| format!("`{s}` is not a decimal amount"))
}

fn currency(code: &str) -> Result<Currency, String> {
    Currency::parse(code).ok_or_else(|| {
        let hint = did_you_mean(code, Currency::known())
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        format!("`{code}` is not a currency merit knows{hint}")
    })
}

fn unknown<'a>(what: &str, value: &str, names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    let hint = did_you_mean(value, names.iter().copied())
        .unwrap_or_else(|| format!("one of {}", names.join(", ")));
    format!("`{what}`: `{value}` is not a {what} ({hint})")
}
