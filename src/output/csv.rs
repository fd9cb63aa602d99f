//! CSV: a header row, ISO dates, plain decimals, no thousands separators, RFC 4180 quoting,
//! and no cell a spreadsheet would run as a formula.

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

/// Appends one CSV cell: quoted per RFC 4180 when needed, and, when text from the records
/// starts like a spreadsheet formula (`=`, `+`, `@`, a tab or carriage return, or `-` not
/// starting a number), prefixed with `'` so that a spreadsheet shows it instead of running it.
pub fn write_cell(c: &str, out: &mut Vec<u8>) {
    let formula = c.starts_with(['=', '+', '@', '\t', '\r'])
        || (c.starts_with('-') && c.parse::<rust_decimal::Decimal>().is_err());
    let quote = formula || c.contains([',', '"', '\n', '\r']);
    if quote {
        out.push(b'"');
    }
    if formula {
        out.push(b'\'');
    }
    if c.contains('"') {
        out.extend_from_slice(c.replace('"', "\"\"").as_bytes());
    } else {
        out.extend_from_slice(c.as_bytes());
    }
    if quote {
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::write_cell;

    fn cell(s: &str) -> String {
        let mut out = Vec::new();
        write_cell(s, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("R-1"), "R-1");
        assert_eq!(cell("-30.00"), "-30.00");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "\"'+1\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("-cmd"), "\"'-cmd\"");
    }
}
