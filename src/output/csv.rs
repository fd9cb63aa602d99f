//! CSV: a header row, ISO dates, plain decimals, no thousands separators, RFC 4180 quoting.

use super::jsonl::{write_csv_row, CSV_HEADER};
use crate::ledger::Ledger;

/// Renders the ledger's lines as CSV.
pub fn render(ledger: &Ledger) -> String {
    let mut out = CSV_HEADER.as_bytes().to_vec();
    for l in &ledger.lines {
        write_csv_row(l, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}
