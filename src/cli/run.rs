//! `merit run` and `merit explain`, with `--set` overrides and, for `run`, reconciliation
//! against earlier ledgers (`--already-paid`).

use super::check::load;
use super::exit;
use crate::diagnostics::render_text;
use crate::eval::stream::{evaluate_lines, streamable, LineFormat, Spill};
use crate::eval::{evaluate, Options};
use crate::ledger::Ledger;
use crate::output::{render, write_atomic, write_atomic_with, Format};
use crate::{reconcile, scenario};
use chrono::NaiveDate;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Arguments of `merit run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The program file.
    pub program: PathBuf,
    /// Referral records: JSON Lines or a JSON array (`-` for standard input).
    #[arg(long)]
    pub records: PathBuf,
    /// Evaluate as of the end of this day (default: today, UTC).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file atomically instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Produce the ledger even when some records cannot be judged (they are listed).
    #[arg(long)]
    pub keep_going: bool,
    /// Worker threads (default: all cores). The output is the same whatever the number.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Override a declared `param` for this run (repeatable): `--set min_health=75`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Exchange rates for a `rates NAME in CUR` table (repeatable): `--rates fx=rates.json`.
    #[arg(long = "rates", value_name = "NAME=FILE")]
    pub rates: Vec<String>,
    /// With `--format jsonl|csv`: MiB of ledger lines and waiting rewards held in memory
    /// before they are sorted into temporary files (in TMPDIR).
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_SORT_MIB, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub sort_memory: u64,
    /// A ledger written earlier (JSON or JSON Lines; repeatable): emit only what changed since.
    #[arg(long, value_name = "LEDGER")]
    pub already_paid: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: super::limits::RecordLimitArgs,
    #[command(flatten)]
    pub rules: super::limits::RuleLimitArgs,
}

/// Arguments of `merit explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The program file.
    pub program: PathBuf,
    /// Referral records.
    #[arg(long)]
    pub records: PathBuf,
    /// The record to explain.
    #[arg(long)]
    pub id: String,
    /// Evaluate as of the end of this day (default: today, UTC).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Override a declared `param` (repeatable): `--set min_health=75`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Exchange rates for a `rates NAME in CUR` table (repeatable): `--rates fx=rates.json`.
    #[arg(long = "rates", value_name = "NAME=FILE")]
    pub rates: Vec<String>,
    #[command(flatten)]
    pub limits: super::limits::RecordLimitArgs,
    #[command(flatten)]
    pub rules: super::limits::RuleLimitArgs,
}

/// Default of `--sort-memory`, in MiB (the library's `Spill::default()`).
const DEFAULT_SORT_MIB: u64 = 16;

fn threads(n: Option<usize>) -> usize {
    n.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
    .max(1)
}

/// Loads and checks a program and applies `--set` overrides; prints diagnostics and returns
/// the exit code on failure.
fn program(
    path: &PathBuf,
    limits: &super::limits::RuleLimitArgs,
    set: &[String],
    rates: &[String],
) -> Result<crate::program::Program, i32> {
    let checked = load(path, &limits.limits()).map_err(|m| {
        eprintln!("error: {m}");
        exit::USAGE
    })?;
    let warnings_only = !checked.has_errors();
    if !checked.diagnostics.is_empty() && !warnings_only {
        eprint!("{}", render_text(&checked.diagnostics, &checked.sources));
    }
    let mut program = checked.program.ok_or(exit::FAILED)?;
    for r in rates {
        let Some((name, file)) = r.split_once('=') else {
            eprintln!("error: --rates takes NAME=FILE, got `{r}`");
            return Err(exit::USAGE);
        };
        let table = super::read_input(&PathBuf::from(file))
            .map_err(|e| format!("cannot read {file}: {e}"))
            .and_then(|t| crate::rates::parse(&t).map_err(|e| format!("{file}: {e}")))
            .and_then(|t| program.with_rates(name, t));
        if let Err(e) = table {
            eprintln!("error: --rates: {e}");
            return Err(exit::USAGE);
        }
    }
    if set.is_empty() {
        return Ok(program);
    }
    let overrides = scenario::parse_overrides(set).map_err(|e| {
        eprintln!("error: --set: {e}");
        exit::USAGE
    })?;
    let program = scenario::apply(&program, &overrides).map_err(|e| {
        eprintln!("error: --set: {e}");
        exit::USAGE
    })?;
    let shown: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
    eprintln!("merit: with {}", shown.join(" "));
    super::warn_overrides(&program, &overrides);
    Ok(program)
}

/// Reconciles against earlier ledgers; prints what happened to standard error.
fn reconcile_with(ledger: Ledger, paid: &[PathBuf]) -> Result<Ledger, i32> {
    let mut lines = Vec::new();
    for path in paid {
        let text = super::read_input(path).map_err(|e| {
            eprintln!("error: cannot read {}: {e}", path.display());
            exit::USAGE
        })?;
        let read = reconcile::read_ledger(&text).map_err(|e| {
            for p in &e.problems {
                eprintln!("error: {}: {p}", path.display());
            }
            exit::USAGE
        })?;
        let earlier = &read.ledger.program;
        if !earlier.name.is_empty() && earlier.name != ledger.program.name {
            eprintln!(
                "warning: {} is a ledger of \"{}\", this run is \"{}\"",
                path.display(),
                earlier.name,
                ledger.program.name
            );
        }
        lines.extend(read.ledger.lines);
    }
    let done = reconcile::reconcile(&ledger, &lines).map_err(|e| {
        for p in &e.problems {
            eprintln!("error: {p}");
        }
        eprintln!("error: the run does not reconcile with the earlier ledger; nothing was written");
        exit::FAILED
    })?;
    let s = &done.stats;
    eprintln!(
        "merit: reconciled with {} earlier line(s): {} unchanged ({} changed status only), {} new, {} adjusted, {} reversed",
        s.earlier_lines, s.unchanged, s.status_changed, s.new, s.adjusted, s.reversed
    );
    if done.ledger.summary.owed.is_empty() {
        eprintln!("merit: no new money");
    }
    for t in &done.ledger.summary.owed {
        eprintln!(
            "merit: new money {}: {}",
            t.currency,
            crate::money::format_amount(t.amount.0, t.amount.1)
        );
    }
    Ok(done.ledger)
}

fn open(path: &PathBuf) -> Result<Box<dyn std::io::BufRead>, i32> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(std::io::BufReader::new(std::io::stdin())));
    }
    match std::fs::File::open(path) {
        Ok(f) => Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, f))),
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            Err(exit::USAGE)
        }
    }
}

/// Runs `merit run`.
pub fn run(args: RunArgs) -> i32 {
    let program = match program(&args.program, &args.rules, &args.set, &args.rates) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let as_of = args.as_of.unwrap_or_else(super::today);
    let mut opts = Options::as_of(as_of);
    opts.threads = threads(args.threads);
    opts.limits = args.limits.limits();
    let line_format = match args.format {
        Some(Format::Jsonl) => Some(LineFormat::Jsonl),
        Some(Format::Csv) => Some(LineFormat::Csv),
        _ => None,
    };
    if let (Some(format), true) = (
        line_format,
        args.already_paid.is_empty() && streamable(&program),
    ) {
        return run_streamed(&program, &args, &opts, format);
    }
    let input = match open(&args.records) {
        Ok(i) => i,
        Err(code) => return code,
    };
    eprintln!("merit: evaluating as of {as_of}");
    let evaluation = match evaluate(&program, input, &opts) {
        Ok(e) => e,
        Err(e) => return evaluation_failed(&e),
    };
    let ledger = evaluation.ledger;
    for p in &ledger.problems {
        eprintln!("record problem: {p}");
    }
    if !ledger.problems.is_empty() && !args.keep_going {
        eprintln!(
            "error: {} record(s) could not be judged; nothing was written (use --keep-going to produce the ledger for the rest)",
            ledger.summary.problems
        );
        return exit::FAILED;
    }
    if !ledger.problems.is_empty() && !args.already_paid.is_empty() {
        eprintln!(
            "error: --already-paid needs every record judged: {} record(s) could not be, and reconciling without them would reverse what they were paid and shift the counts of others; fix the records first; nothing was written",
            ledger.summary.problems
        );
        return exit::FAILED;
    }
    let ledger = if args.already_paid.is_empty() {
        ledger
    } else {
        match reconcile_with(ledger, &args.already_paid) {
            Ok(l) => l,
            Err(code) => return code,
        }
    };
    let format = args.format.unwrap_or(
        if args.output.is_none() && std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        },
    );
    let text = render(&ledger, format);
    match &args.output {
        Some(path) => {
            if let Err(e) = write_atomic(path, text.as_bytes()) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return exit::USAGE;
            }
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            if out
                .write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return exit::USAGE;
            }
        }
    }
    exit::OK
}

/// Reports an evaluation that could not run (a limit, missing rates, unreadable input).
fn evaluation_failed(e: &std::io::Error) -> i32 {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        eprintln!("error: {e}");
    } else {
        eprintln!("error: reading records: {e}");
    }
    exit::USAGE
}

/// `merit run` for line formats: lines are written as they come out of the sort, never all
/// held in memory (see `eval::stream`).
fn run_streamed(
    program: &crate::program::Program,
    args: &RunArgs,
    opts: &Options,
    format: LineFormat,
) -> i32 {
    let input: Box<dyn std::io::Read + Send> = if args.records.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(&args.records) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", args.records.display());
                return exit::USAGE;
            }
        }
    };
    eprintln!("merit: evaluating as of {}", opts.as_of);
    let spill = Spill {
        memory: usize::try_from(args.sort_memory << 20).unwrap_or(usize::MAX),
        ..Spill::default()
    };
    let streamed = match evaluate_lines(program, input, opts, format, &spill) {
        Ok(s) => s,
        Err(e) => return evaluation_failed(&e),
    };
    for p in streamed.problems() {
        eprintln!("record problem: {p}");
    }
    if !streamed.problems().is_empty() && !args.keep_going {
        eprintln!(
            "error: {} record(s) could not be judged; nothing was written (use --keep-going to produce the ledger for the rest)",
            streamed.problem_records()
        );
        return exit::FAILED;
    }
    let written = match &args.output {
        Some(path) => write_atomic_with(path, |w| streamed.write(w).map(|_| ())).map_err(|e| {
            eprintln!("error: cannot write {}: {e}", path.display());
        }),
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
            streamed.write(&mut out).map(|_| ()).map_err(|_| ())
        }
    };
    match written {
        Ok(()) => exit::OK,
        Err(()) => exit::USAGE,
    }
}

/// Runs `merit explain`.
pub fn explain(args: ExplainArgs) -> i32 {
    let program = match program(&args.program, &args.rules, &args.set, &args.rates) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let input = match open(&args.records) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let as_of = args.as_of.unwrap_or_else(super::today);
    let mut opts = Options::as_of(as_of);
    opts.explain = Some(args.id.clone());
    opts.limits = args.limits.limits();
    let evaluation = match evaluate(&program, input, &opts) {
        Ok(e) => e,
        Err(e) => return evaluation_failed(&e),
    };
    let ledger = evaluation.ledger;
    let problems: Vec<_> = ledger
        .problems
        .iter()
        .filter(|p| p.record_id.as_deref() == Some(&args.id))
        .collect();
    println!(
        "record {} under {} {}, as of {as_of}",
        args.id, program.name, program.version
    );
    if !problems.is_empty() {
        for p in problems {
            println!("  cannot be judged: {p}");
        }
        return exit::FAILED;
    }
    let Some(ex) = evaluation.explained else {
        println!("  no record with this id");
        return exit::FAILED;
    };
    for s in &ex.steps {
        println!("  {s}");
    }
    println!("  outcome: {}", ex.outcome);
    let lines: Vec<_> = ledger
        .lines
        .iter()
        .filter(|l| *l.record_id == *args.id)
        .collect();
    if lines.is_empty() {
        println!("  earned nothing");
    }
    for l in lines {
        println!("  line {}: {}", l.id, l.explanation.text);
    }
    exit::OK
}
