//! Reading ledgers back from JSON (`merit run --format json` or `jsonl`, or an array of lines),
//! by walking `serde_json::Value`s: amounts are decimal strings, never floats.

use super::ReconcileError;
use crate::ledger::{
    summarize, Explanation, Facts, Ledger, Line, ProgramRef, RecipientRef, Status, Summary,
};
use crate::money::Currency;
use crate::program::RewardKind;
use crate::records::RecordProblem;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};
use std::str::FromStr;

/// The largest amount or quantity accepted in a ledger read back (10^18).
const MAX_AMOUNT: i64 = 1_000_000_000_000_000_000;

/// A ledger read back from JSON.
#[derive(Debug, Clone)]
pub struct ReadLedger {
    /// The ledger; for JSON Lines input the program and date are unknown (empty name,
    /// `as_of` = the latest earned date) and the summary only has line totals.
    pub ledger: Ledger,
    /// Whether the input carried the run's summary (record counts).
    pub has_summary: bool,
}

/// Reads a ledger written by `merit run --format json` (or `jsonl`, or a JSON array of lines).
/// Amounts must be strings (merit never writes them as JSON numbers, which would be floats).
pub fn read_ledger(text: &str) -> Result<ReadLedger, ReconcileError> {
    let trimmed = text.trim_start();
    let doc: Option<Json> = serde_json::from_str(trimmed).ok();
    match doc {
        Some(Json::Object(o)) if o.contains_key("lines") => read_document(&o),
        Some(Json::Object(o)) => from_lines(vec![read_line(&o, 1)?]),
        Some(Json::Array(items)) => {
            let mut lines = Vec::new();
            let mut problems = Vec::new();
            for (n, item) in (1..).zip(&items) {
                match item {
                    Json::Object(o) => match read_line(o, n) {
                        Ok(l) => lines.push(l),
                        Err(e) => problems.extend(e.problems),
                    },
                    _ => problems.push(format!("line {n}: not a JSON object")),
                }
            }
            if problems.is_empty() {
                from_lines(lines)
            } else {
                Err(ReconcileError { problems })
            }
        }
        Some(_) => Err(ReconcileError::one(
            "not a ledger: expected a JSON object with `lines`, an array of lines, or JSON Lines",
        )),
        None => {
            let mut lines = Vec::new();
            let mut problems = Vec::new();
            for (n, row) in (1..).zip(text.lines()) {
                if row.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Json>(row) {
                    Ok(Json::Object(o)) => match read_line(&o, n) {
                        Ok(l) => lines.push(l),
                        Err(e) => problems.extend(e.problems),
                    },
                    Ok(_) => problems.push(format!("line {n}: not a JSON object")),
                    Err(e) => problems.push(format!("line {n}: not JSON: {e}")),
                }
            }
            if problems.is_empty() {
                from_lines(lines)
            } else {
                Err(ReconcileError { problems })
            }
        }
    }
}

fn from_lines(lines: Vec<Line>) -> Result<ReadLedger, ReconcileError> {
    let as_of = lines
        .iter()
        .map(|l| l.earned_at.date_naive())
        .max()
        .unwrap_or_default();
    let mut summary = Summary::default();
    summarize(&lines, &mut summary).map_err(|e| ReconcileError::one(e.message))?;
    Ok(ReadLedger {
        ledger: Ledger {
            program: ProgramRef {
                name: String::new(),
                version: String::new(),
            },
            as_of,
            lines,
            summary,
            problems: Vec::new(),
        },
        has_summary: false,
    })
}

fn read_document(o: &Map<String, Json>) -> Result<ReadLedger, ReconcileError> {
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    match o.get("lines") {
        Some(Json::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Json::Object(l) => match read_line(l, i.saturating_add(1)) {
                        Ok(l) => lines.push(l),
                        Err(e) => problems.extend(e.problems),
                    },
                    _ => problems.push(format!("lines[{i}]: not a JSON object")),
                }
            }
        }
        _ => problems.push("`lines` is not an array".to_string()),
    }
    let program = o.get("program").and_then(Json::as_object);
    let name = program
        .and_then(|p| p.get("name"))
        .and_then(Json::as_str)
        .unwrap_or_default();
    let version = program
        .and_then(|p| p.get("version"))
        .and_then(Json::as_str)
        .unwrap_or_default();
    let as_of = match o.get("as_of").and_then(Json::as_str) {
        Some(s) => match NaiveDate::from_str(s) {
            Ok(d) => Some(d),
            Err(_) => {
                problems.push(format!("as_of: `{s}` is not a date"));
                None
            }
        },
        None => None,
    };
    if !problems.is_empty() {
        return Err(ReconcileError { problems });
    }
    let mut read = from_lines(lines)?;
    read.ledger.program = ProgramRef {
        name: name.to_string(),
        version: version.to_string(),
    };
    if let Some(d) = as_of {
        read.ledger.as_of = d;
    }
    if let Some(s) = o.get("summary").and_then(Json::as_object) {
        let n = |k: &str| s.get(k).and_then(Json::as_u64).unwrap_or(0);
        let sm = &mut read.ledger.summary;
        sm.records = n("records");
        sm.eligible = n("eligible");
        sm.not_eligible = n("not_eligible");
        sm.rejected = n("rejected");
        sm.rewarded = n("rewarded");
        sm.lapsed = n("lapsed");
        sm.problems = n("problems");
        read.has_summary = true;
    }
    if let Some(Json::Array(ps)) = o.get("problems") {
        for p in ps {
            let Some(p) = p.as_object() else { continue };
            read.ledger.problems.push(RecordProblem {
                line: p.get("line").and_then(Json::as_u64).unwrap_or(0),
                record_id: p.get("record_id").and_then(Json::as_str).map(String::from),
                field: p.get("field").and_then(Json::as_str).map(String::from),
                message: p
                    .get("message")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
            });
        }
    }
    Ok(read)
}

fn parse_status(s: &str) -> Option<Status> {
    Some(match s {
        "pending" => Status::Pending,
        "payable" => Status::Payable,
        "expired" => Status::Expired,
        "forfeited" => Status::Forfeited,
        "clawed_back" => Status::ClawedBack,
        "capped" => Status::Capped,
        _ => return None,
    })
}

/// Reads one ledger line; `n` (1-based) is used in messages.
fn read_line(o: &Map<String, Json>, n: usize) -> Result<Line, ReconcileError> {
    let id = o.get("id").and_then(Json::as_str).unwrap_or_default();
    let at = |field: &str, what: &str| {
        if id.is_empty() {
            format!("line {n}: {field}: {what}")
        } else {
            format!("line {n} (`{id}`): {field}: {what}")
        }
    };
    let mut problems: Vec<String> = Vec::new();
    let mut text = |field: &str, required: bool| -> Option<String> {
        match o.get(field) {
            Some(Json::String(s)) => Some(s.clone()),
            None | Some(Json::Null) if !required => None,
            None | Some(Json::Null) => {
                problems.push(at(field, "missing"));
                None
            }
            Some(Json::Number(_)) => {
                problems.push(at(
                    field,
                    "a JSON number; write it as a string so it stays exact",
                ));
                None
            }
            Some(_) => {
                problems.push(at(field, "not a string"));
                None
            }
        }
    };
    let id_s = text("id", true);
    let record_id = text("record_id", true);
    let rule = text("rule", true);
    let tier = text("tier", false);
    let milestone = text("milestone", false);
    let kind = text("kind", true);
    let amount = text("amount", false);
    let currency = text("currency", false);
    let quantity = text("quantity", false);
    let unit = text("unit", false);
    let status = text("status", true);
    let earned_at = text("earned_at", true);
    let payable_on = text("payable_on", true);
    let expires_on = text("expires_on", false);
    let reverses = text("reverses", false);
    let recipient = o.get("recipient").and_then(Json::as_object);
    let role = recipient.and_then(|r| r.get("role")).and_then(Json::as_str);
    let rid = recipient.and_then(|r| r.get("id")).and_then(Json::as_str);
    if role.is_none() || rid.is_none() {
        problems.push(at("recipient", "expected {\"role\": ..., \"id\": ...}"));
    }
    let kind_v = kind.as_deref().and_then(|k| {
        let v = RewardKind::parse(k);
        if v.is_none() {
            problems.push(at("kind", &format!("`{k}` is not a reward kind")));
        }
        v
    });
    let status_v = status.as_deref().and_then(|s| {
        let v = parse_status(s);
        if v.is_none() {
            problems.push(at("status", &format!("`{s}` is not a status")));
        }
        v
    });
    let dec = |field: &str, s: &str, problems: &mut Vec<String>| match Decimal::from_str(s.trim()) {
        // Far beyond any real amount; keeps every sum of such amounts exact and in range.
        Ok(d) if d.abs() > Decimal::from(MAX_AMOUNT) => {
            problems.push(at(field, &format!("`{s}` is out of range")));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            problems.push(at(field, &format!("`{s}` is not a decimal number")));
            None
        }
    };
    let amount_v = amount
        .as_deref()
        .and_then(|s| dec("amount", s, &mut problems));
    let quantity_v = quantity
        .as_deref()
        .and_then(|s| dec("quantity", s, &mut problems));
    let currency_v = currency.as_deref().and_then(|c| {
        let v = Currency::parse(c);
        if v.is_none() {
            problems.push(at("currency", &format!("`{c}` is not a known currency")));
        }
        v
    });
    if amount_v.is_some() != currency_v.is_some() && currency.is_some() == amount.is_some() {
        // Both given but one failed: already reported.
    } else if amount.is_some() != currency.is_some() {
        problems.push(at(
            "amount",
            "an amount needs a currency and a currency an amount",
        ));
    }
    let earned_v = earned_at.as_deref().and_then(|s| {
        let v = chrono::DateTime::parse_from_rfc3339(s).ok();
        if v.is_none() {
            problems.push(at("earned_at", &format!("`{s}` is not an RFC 3339 time")));
        }
        v
    });
    let date = |field: &str, s: &str, problems: &mut Vec<String>| match NaiveDate::from_str(s) {
        Ok(d) => Some(d),
        Err(_) => {
            problems.push(at(field, &format!("`{s}` is not a date")));
            None
        }
    };
    let payable_v = payable_on
        .as_deref()
        .and_then(|s| date("payable_on", s, &mut problems));
    let expires_v = expires_on
        .as_deref()
        .and_then(|s| date("expires_on", s, &mut problems));
    let mut facts = Facts::default();
    let expl = o.get("explanation").and_then(Json::as_object);
    if let Some(Json::Object(f)) = expl.and_then(|e| e.get("facts")) {
        for (k, v) in f {
            facts.push(k.clone(), v.as_str().unwrap_or_default());
        }
    }
    let explanation = Explanation {
        text: expl
            .and_then(|e| e.get("text"))
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        facts,
    };
    let (
        Some(id),
        Some(record_id),
        Some(rule),
        Some(kind),
        Some(status),
        Some(earned_at),
        Some(payable_on),
        Some(role),
        Some(rid),
        true,
    ) = (
        id_s,
        record_id,
        rule,
        kind_v,
        status_v,
        earned_v,
        payable_v,
        role,
        rid,
        problems.is_empty(),
    )
    else {
        if problems.is_empty() {
            problems.push(at("line", "incomplete"));
        }
        return Err(ReconcileError { problems });
    };
    Ok(Line {
        id,
        record_id: record_id.into(),
        recipient: RecipientRef {
            role: role.into(),
            id: rid.into(),
        },
        rule: rule.into(),
        tier: tier.map(Into::into),
        milestone: milestone.unwrap_or_default().into(),
        kind,
        amount: amount_v.map(|a| (a, a.scale())),
        currency: currency_v,
        quantity: quantity_v,
        unit: unit.map(Into::into),
        status,
        earned_at,
        payable_on,
        expires_on: expires_v,
        reverses,
        explanation,
    })
}
