//! `merit gen`: the deterministic benchmark workload.

use super::exit;

/// Arguments of `merit gen`.
#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// How many records.
    #[arg(long, default_value_t = 1000)]
    pub count: u64,
    /// Seed: the same seed and count give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Distinct referrer ids to draw from (fewer referrers, more referrals each).
    #[arg(long, default_value_t = crate::gen::Shape::default().referrers)]
    pub referrers: u64,
    /// Write here instead of standard output.
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
}

/// Runs `merit gen`.
pub fn run(args: GenArgs) -> i32 {
    use std::io::Write;
    let shape = crate::gen::Shape {
        referrers: args.referrers,
    };
    let result = match &args.output {
        // Atomically, like every file merit writes: the old file or the whole new one.
        Some(p) => crate::output::write_atomic_with(p, |w| {
            crate::gen::generate_with(&shape, args.seed, args.count, w)
        }),
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            crate::gen::generate_with(&shape, args.seed, args.count, &mut w).and_then(|_| w.flush())
        }
    };
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
    }
}
