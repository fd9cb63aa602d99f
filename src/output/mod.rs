//! Rendering a ledger: `table` (for people), `json` (one document), `jsonl` (one line per
//! ledger line, nothing else) and `csv` (opens cleanly in a spreadsheet). Also the atomic file
//! writer used by `--output`.

mod atomic;
mod csv;
mod table;

pub use atomic::write_atomic;

use crate::ledger::Ledger;

/// Output formats for ledgers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns and a summary.
    Table,
    /// One JSON document `{program, as_of, lines, summary, problems}`.
    Json,
    /// One ledger line per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

/// Renders a ledger in a format.
pub fn render(ledger: &Ledger, format: Format) -> String {
    match format {
        Format::Table => table::render(ledger),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(ledger).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Jsonl => {
            let mut out = String::new();
            for l in &ledger.lines {
                out.push_str(&serde_json::to_string(l).unwrap_or_default());
                out.push('\n');
            }
            out
        }
        Format::Csv => csv::render(ledger),
    }
}
