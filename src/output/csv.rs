//! CSV: a header row, ISO dates, plain decimals, no thousands separators, RFC 4180 quoting.

use crate::ledger::Ledger;
use crate::money::format_amount;

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Renders the ledger's lines as CSV.
pub fn render(ledger: &Ledger) -> String {
    let mut out = String::from(
        "id,record_id,recipient_role,recipient_id,rule,tier,milestone,kind,amount,currency,quantity,unit,status,earned_at,payable_on,expires_on,reverses,explanation\n",
    );
    for l in &ledger.lines {
        let cells = [
            l.id.clone(),
            l.record_id.clone(),
            l.recipient.role.clone(),
            l.recipient.id.clone(),
            l.rule.clone(),
            l.tier.clone().unwrap_or_default(),
            l.milestone.clone(),
            l.kind.name().to_string(),
            l.amount
                .map(|(a, s)| format_amount(a, s))
                .unwrap_or_default(),
            l.currency.map(|c| c.to_string()).unwrap_or_default(),
            l.quantity
                .map(|q| q.normalize().to_string())
                .unwrap_or_default(),
            l.unit.clone().unwrap_or_default(),
            l.status.as_str().to_string(),
            l.earned_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            l.payable_on.to_string(),
            l.expires_on.map(|d| d.to_string()).unwrap_or_default(),
            l.reverses.clone().unwrap_or_default(),
            l.explanation.text.clone(),
        ];
        let row: Vec<String> = cells.iter().map(|c| field(c)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}
