//! Rendering a ledger: `table` (for people), `json` (one document), `jsonl` (one line per
//! ledger line, nothing else) and `csv` (opens cleanly in a spreadsheet). Also the atomic file
//! writer used by `--output`, and writing through a thread of its own (`batches`).

mod atomic;
pub(crate) mod batches;
pub mod csv;
pub mod jsonl;
mod table;

pub use atomic::{write_atomic, write_atomic_with};

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
            let mut out = Vec::new();
            for l in &ledger.lines {
                jsonl::write_line(l, &mut out);
            }
            String::from_utf8_lossy(&out).into_owned()
        }
        Format::Csv => csv::render(ledger),
    }
}
