//! `merit simulate`, `merit diff`, `merit report` (not built yet).

use super::exit;

/// Arguments of `merit simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The program file.
    pub program: std::path::PathBuf,
}

/// Arguments of `merit diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old program.
    pub old: std::path::PathBuf,
    /// The new program.
    pub new: std::path::PathBuf,
}

/// Arguments of `merit report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A ledger (JSON) file.
    pub ledger: std::path::PathBuf,
}

/// Runs `merit simulate`.
pub fn simulate(_a: SimulateArgs) -> i32 {
    eprintln!("merit simulate is not built yet");
    exit::USAGE
}

/// Runs `merit diff`.
pub fn diff(_a: DiffArgs) -> i32 {
    eprintln!("merit diff is not built yet");
    exit::USAGE
}

/// Runs `merit report`.
pub fn report(_a: ReportArgs) -> i32 {
    eprintln!("merit report is not built yet");
    exit::USAGE
}
