//! `merit check FILE...`.

use super::exit;
use crate::diagnostics::{render_github, render_json_for, render_sarif, render_text, Diagnostic};
use std::path::PathBuf;

/// Diagnostic output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiagFormat {
    /// Source line, caret and hint.
    Text,
    /// One JSON document.
    Json,
    /// GitHub Actions annotations.
    Github,
    /// SARIF 2.1.0 (code scanning), one log for all files.
    Sarif,
}

/// Arguments of `merit check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Program files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiagFormat,
    /// Fail on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    #[command(flatten)]
    pub rules: super::limits::RuleLimitArgs,
}

/// Reads and parses a program file within `limits`; `Err` is an I/O message.
pub(crate) fn read_program(
    path: &PathBuf,
    limits: &crate::syntax::SyntaxLimits,
) -> Result<crate::syntax::Parsed, String> {
    let text = if path.as_os_str() == "-" {
        crate::syntax::read_rules(std::io::stdin().lock(), limits)
    } else {
        std::fs::File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|f| crate::syntax::read_rules(f, limits))
    }
    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(crate::syntax::parse_limited(
        &path.display().to_string(),
        &text,
        limits,
    ))
}

/// Loads, parses and checks a program file; `Err` is an I/O message.
pub(crate) fn load(
    path: &PathBuf,
    limits: &crate::syntax::SyntaxLimits,
) -> Result<crate::check::Checked, String> {
    read_program(path, limits).map(|parsed| crate::check::check(&parsed))
}

/// Runs `merit check`.
pub fn run(args: CheckArgs) -> i32 {
    let mut failed = false;
    let mut json_docs = Vec::new();
    let mut checked_all = Vec::new();
    let limits = args.rules.limits();
    for path in &args.files {
        let checked = match load(path, &limits) {
            Ok(c) => c,
            Err(m) => {
                eprintln!("error: {m}");
                return exit::USAGE;
            }
        };
        let diags: &[Diagnostic] = &checked.diagnostics;
        if diags.iter().any(|d| d.is_error() || args.deny_warnings) {
            failed = true;
        }
        match args.format {
            DiagFormat::Text => {
                if diags.is_empty() {
                    println!("{}: ok", path.display());
                } else {
                    print!("{}", render_text(diags, &checked.sources));
                }
            }
            DiagFormat::Json => {
                let file = path.display().to_string();
                let named = (args.files.len() > 1).then_some(file.as_str());
                json_docs.push(render_json_for(named, diags, &checked.sources));
            }
            DiagFormat::Github => print!("{}", render_github(diags, &checked.sources)),
            DiagFormat::Sarif => {}
        }
        if args.format == DiagFormat::Sarif {
            checked_all.push(checked);
        }
    }
    if args.format == DiagFormat::Json {
        if json_docs.len() == 1 {
            print!("{}", json_docs.concat());
        } else {
            println!(
                "[{}]",
                json_docs
                    .iter()
                    .map(|d| d.trim_end())
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
    }
    if args.format == DiagFormat::Sarif {
        let programs: Vec<(&[Diagnostic], &crate::source::SourceMap)> = checked_all
            .iter()
            .map(|c| (c.diagnostics.as_slice(), &c.sources))
            .collect();
        print!("{}", render_sarif(&programs));
    }
    if failed {
        exit::FAILED
    } else {
        exit::OK
    }
}
