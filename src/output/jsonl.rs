//! One ledger line as JSON (the `jsonl` format) or as a CSV row, written straight into a byte
//! buffer. The JSON is byte for byte what `serde_json::to_string` gives for a [`Line`] (same
//! field order, same escapes); a test holds the two together.

use crate::ledger::{Facts, Line};
use crate::money::{at_scale, format_amount, Plain};
use std::io::Write as _;

/// Appends `l` as one line of JSON, with its newline.
pub fn write_line(l: &Line, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"id\":");
    string(&l.id, out);
    out.extend_from_slice(b",\"record_id\":");
    string(&l.record_id, out);
    out.extend_from_slice(b",\"recipient\":{\"role\":");
    string(&l.recipient.role, out);
    out.extend_from_slice(b",\"id\":");
    string(&l.recipient.id, out);
    out.extend_from_slice(b"},\"rule\":");
    string(&l.rule, out);
    out.extend_from_slice(b",\"tier\":");
    opt_string(l.tier.as_deref(), out);
    out.extend_from_slice(b",\"milestone\":");
    string(&l.milestone, out);
    out.extend_from_slice(b",\"kind\":\"");
    out.extend_from_slice(l.kind.name().as_bytes());
    out.extend_from_slice(b"\",\"amount\":");
    match l.amount {
        Some((a, scale)) => {
            // Digits, a sign and a point: nothing to escape.
            out.push(b'"');
            Plain(at_scale(a, scale)).push_to(out);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"currency\":");
    opt_string(l.currency.as_ref().map(|c| c.as_str()), out);
    out.extend_from_slice(b",\"quantity\":");
    match l.quantity {
        Some(q) => {
            out.push(b'"');
            Plain(q.normalize()).push_to(out);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"unit\":");
    opt_string(l.unit.as_deref(), out);
    out.extend_from_slice(b",\"status\":\"");
    out.extend_from_slice(l.status.as_str().as_bytes());
    out.extend_from_slice(b"\",\"earned_at\":\"");
    instant(&l.earned_at, out);
    out.extend_from_slice(b"\",\"payable_on\":\"");
    date(l.payable_on, out);
    out.extend_from_slice(b"\",\"expires_on\":");
    match l.expires_on {
        Some(d) => {
            out.push(b'"');
            date(d, out);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"reverses\":");
    opt_string(l.reverses.as_deref(), out);
    out.extend_from_slice(b",\"explanation\":{\"text\":");
    string(&l.explanation.text, out);
    out.extend_from_slice(b",\"facts\":");
    facts(&l.explanation.facts, out);
    out.extend_from_slice(b"}}\n");
}

/// A date as chrono writes it (`2024-01-31`).
fn date(d: chrono::NaiveDate, out: &mut Vec<u8>) {
    match crate::stamp::date(d) {
        Some(s) => out.extend_from_slice(s.as_bytes()),
        None => {
            let _ = write!(out, "{d}");
        }
    }
}

/// An instant as `to_rfc3339_opts(AutoSi, true)` writes it (`2024-01-31T09:05:00Z`).
fn instant(t: &crate::time::Instant, out: &mut Vec<u8>) {
    match crate::stamp::instant(t, true) {
        Some(s) => out.extend_from_slice(s.as_bytes()),
        None => {
            let _ = write!(
                out,
                "{}",
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            );
        }
    }
}

fn facts(f: &Facts, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (k, v)) in f.0.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(k, out);
        out.push(b':');
        string(v, out);
    }
    out.push(b'}');
}

fn opt_string(s: Option<&str>, out: &mut Vec<u8>) {
    match s {
        Some(s) => string(s, out),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string with serde_json's escapes: `\"`, `\\`, `\b \t \n \f \r`, other control
/// characters as `\u00XX`; everything else (DEL and all non-ASCII) as is.
pub fn string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let mut rest = s.as_bytes();
    while let Some(at) = crate::records::first_special(rest) {
        // `at` is a position in `rest`, so both splits succeed.
        let Some((plain, from)) = rest.split_at_checked(at) else {
            break;
        };
        let Some((&b, tail)) = from.split_first() else {
            break;
        };
        out.extend_from_slice(plain);
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0A => b"\\n",
            0x0C => b"\\f",
            0x0D => b"\\r",
            _ => b"",
        };
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let hex = |n: u8| HEX.get(usize::from(n)).copied().unwrap_or(b'0');
            out.extend_from_slice(b"\\u00");
            out.push(hex(b >> 4));
            out.push(hex(b & 0xF));
        } else {
            out.extend_from_slice(esc);
        }
        rest = tail;
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// The CSV header row.
pub const CSV_HEADER: &str = "id,record_id,recipient_role,recipient_id,rule,tier,milestone,kind,amount,currency,quantity,unit,status,earned_at,payable_on,expires_on,reverses,explanation,facts\n";

/// Appends `l` as one CSV row (RFC 4180 quoting), with its newline.
pub fn write_csv_row(l: &Line, out: &mut Vec<u8>) {
    let amount = l.amount.map(|(a, s)| format_amount(a, s));
    let quantity = l.quantity.map(|q| Plain(q.normalize()).to_string());
    let earned = l
        .earned_at
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let payable = l.payable_on.to_string();
    let expires = l.expires_on.map(|d| d.to_string());
    // The structured facts as one JSON object (`{"band":"from 1000","hold":"30 days"}`), the
    // same as the `facts` of the JSON formats.
    let facts = serde_json::to_string(&l.explanation.facts).unwrap_or_default();
    let cells: [&str; 19] = [
        &l.id,
        &l.record_id,
        &l.recipient.role,
        &l.recipient.id,
        &l.rule,
        l.tier.as_deref().unwrap_or_default(),
        &l.milestone,
        l.kind.name(),
        amount.as_deref().unwrap_or_default(),
        l.currency.as_ref().map(|c| c.as_str()).unwrap_or_default(),
        quantity.as_deref().unwrap_or_default(),
        l.unit.as_deref().unwrap_or_default(),
        l.status.as_str(),
        &earned,
        &payable,
        expires.as_deref().unwrap_or_default(),
        l.reverses.as_deref().unwrap_or_default(),
        &l.explanation.text,
        &facts,
    ];
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        super::csv::write_cell(c, out);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let all_controls: String = (0u8..0x20).map(char::from).collect();
        for s in [
            "",
            "plain",
            "a\"b\\c/d",
            "\u{7f}é€😀",
            "\u{0}\u{1f}x\u{1}",
            "tab\there\nand\r\u{8}\u{c}",
            all_controls.as_str(),
            "ends with \"",
        ] {
            let mut out = Vec::new();
            super::string(s, &mut out);
            let want = serde_json::to_string(s).unwrap_or_default();
            assert_eq!(String::from_utf8_lossy(&out), want, "{s:?}");
        }
    }
}
