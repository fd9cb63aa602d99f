//! `merit fmt [--check] [--diff] [PATH...]`: rewrite `.rules` files in the canonical layout.
//!
//! Without paths, every `.rules` file under the current folder (hidden folders and `target`
//! skipped). Files are written atomically, and only when they change. `--check` writes nothing
//! and exits 1 if a file is not formatted, listing it; `--diff` writes nothing and prints what
//! would change.
//! Unreadable files and syntax errors exit 2 (the file is left alone); a formatter bug caught
//! by the re-parse check exits 70, with nothing written.

use super::exit;
use crate::diagnostics::render_text;
use crate::fmt::{diff, format_with, FormatError};
use std::path::{Path, PathBuf};

/// Arguments of `merit fmt`.
#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Files or folders (folders: every `.rules` file in them, recursively); default `.`; `-`
    /// formats standard input to standard output.
    pub paths: Vec<PathBuf>,
    /// Write nothing; exit 1 if any file is not formatted, listing those files.
    #[arg(long)]
    pub check: bool,
    /// Write nothing; print a line diff of what formatting would change.
    #[arg(long)]
    pub diff: bool,
    #[command(flatten)]
    pub rules: super::limits::RuleLimitArgs,
}

/// Every `.rules` file under `dir`, sorted; hidden folders, folders named `target` and symbolic
/// links are skipped (as `merit test` does).
fn rules_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let kind = e.file_type()?;
        let name = e.file_name().to_string_lossy().to_string();
        let skipped = name.starts_with('.') || name == "target";
        if kind.is_dir() && !skipped {
            rules_files(&path, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|x| x == "rules") {
            out.push(path);
        }
    }
    Ok(())
}

/// The worse of two exit codes.
fn worse(a: i32, b: i32) -> i32 {
    let rank = |c: i32| match c {
        exit::OK => 0,
        exit::FAILED => 1,
        exit::USAGE => 2,
        _ => 3,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Formats one file (or standard input); returns its exit code.
fn one(path: &Path, args: &FmtArgs) -> i32 {
    let stdin = path.as_os_str() == "-";
    let limits = args.rules.limits();
    // Never past the size limit (M0004 then), as `check` reads.
    let read = if stdin {
        crate::syntax::read_rules_as_written(std::io::stdin().lock(), &limits)
    } else {
        std::fs::File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|f| crate::syntax::read_rules_as_written(f, &limits))
    };
    let text = match read {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return exit::USAGE;
        }
    };
    let name = path.display().to_string();
    // A byte-order mark is not part of the program (`check` drops it too): the text after it
    // is formatted, and the mark is kept.
    let (bom, source) = match text.strip_prefix('\u{FEFF}') {
        Some(rest) => ("\u{FEFF}", rest),
        None => ("", text.as_str()),
    };
    let formatted = match format_with(&name, source, &limits) {
        Ok(f) => format!("{bom}{f}"),
        Err(FormatError::Syntax {
            diagnostics,
            sources,
        }) => {
            eprint!("{}", render_text(&diagnostics, &sources));
            eprintln!("error: {name} has syntax errors; not formatted");
            return exit::USAGE;
        }
        Err(e) => {
            eprintln!("internal error (a bug in merit fmt, please report it): {name}: {e}");
            return exit::INTERNAL;
        }
    };
    if formatted == text {
        if stdin && !args.check && !args.diff {
            print!("{formatted}");
        }
        return exit::OK;
    }
    if args.diff {
        print!(
            "{}",
            diff::unified(&text, &formatted, &name, &format!("{name} (formatted)"))
        );
    }
    if args.check {
        if !args.diff {
            println!("{name}");
        }
        return exit::FAILED;
    }
    if args.diff {
        return exit::OK;
    }
    if stdin {
        print!("{formatted}");
        return exit::OK;
    }
    match crate::output::write_atomic(path, formatted.as_bytes()) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: cannot write {name}: {e}");
            exit::USAGE
        }
    }
}

/// Runs `merit fmt`.
pub fn run(args: FmtArgs) -> i32 {
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut code = exit::OK;
    let mut files = Vec::new();
    for root in &roots {
        if root.is_dir() {
            if let Err(e) = rules_files(root, &mut files) {
                eprintln!("error: cannot list {}: {e}", root.display());
                code = worse(code, exit::USAGE);
            }
        } else {
            files.push(root.clone());
        }
    }
    for file in &files {
        code = worse(code, one(file, &args));
    }
    code
}
