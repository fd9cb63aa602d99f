//! `merit test` (not built yet).

use super::exit;

/// Arguments of `merit test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Files or folders.
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs `merit test`.
pub fn run(_args: TestArgs) -> i32 {
    eprintln!("merit test is not built yet");
    exit::USAGE
}
