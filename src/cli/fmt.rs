//! `merit fmt` (not built yet).

use super::exit;

/// Arguments of `merit fmt`.
#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Files or folders.
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs `merit fmt`.
pub fn run(_args: FmtArgs) -> i32 {
    eprintln!("merit fmt is not built yet");
    exit::USAGE
}
