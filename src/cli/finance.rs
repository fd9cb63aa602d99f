//! `merit simulate`, `merit diff`, `merit report`: thin layers over [`crate::finance`].

use super::exit;
use crate::eval::{evaluate_str, Options};
use crate::finance::diff::{check_gate, money_diff, render_json, render_text, Diff, Gate};
use crate::finance::report::{
    render as render_report, report as build_report, with_reached, ReportFormat,
};
use crate::finance::simulate::{render as render_sim, simulate as run_sim, SimFormat};
use crate::finance::terms::{diff_terms, outline};
use crate::finance::{load_parsed, Loaded};
use crate::ledger::Ledger;
use crate::scenario::{apply, parse_literal, parse_overrides, parse_scenarios, Override};
use crate::value::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::str::FromStr;

/// Arguments of `merit simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The program file.
    pub program: PathBuf,
    /// Referral records: JSON Lines or a JSON array (`-` for standard input).
    #[arg(long)]
    pub records: PathBuf,
    /// The scenario file (JSON: `{"scenarios": [{"name": ..., "set": {"param": "value"}}]}`).
    #[arg(long)]
    pub scenarios: PathBuf,
    /// Evaluate as of the end of this day (default: today, UTC).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: SimFormat,
    /// Go on when some records cannot be judged (they are listed).
    #[arg(long)]
    pub keep_going: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub limits: super::limits::RecordLimitArgs,
    #[command(flatten)]
    pub rules: super::limits::RuleLimitArgs,
}

/// Output formats of `merit diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Sections for people.
    Text,
    /// One JSON document.
    Json,
}

/// Arguments of `merit diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old program.
    pub old: PathBuf,
    /// The new program (leave out and use `--set` to compare a program with a scenario of it).
    pub new: Option<PathBuf>,
    /// Referral records: JSON Lines or a JSON array (`-` for standard input).
    #[arg(long)]
    pub records: PathBuf,
    /// Evaluate as of the end of this day (default: today, UTC).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// Exit 1 when any currency's owed total grows by more than this many percent.
    #[arg(long, value_name = "PERCENT")]
    pub fail_above: Option<String>,
    /// Exit 1 when the owed total in this currency grows by more than this amount.
    #[arg(long, value_name = "MONEY")]
    pub fail_above_amount: Option<String>,
    /// With a single program: compare it with these overrides (`--set rate=3%`).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// With a single program: a scenario file; compare `--old-scenario` with `--new-scenario`.
    #[arg(
        long,
        value_name = "FILE",
        requires = "new_scenario",
        conflicts_with = "set"
    )]
    pub scenarios: Option<PathBuf>,
    /// The scenario on the old side (default: the program as written).
    #[arg(long, value_name = "NAME", requires = "scenarios")]
    pub old_scenario: Option<String>,
    /// The scenario on the new side.
    #[arg(long, value_name = "NAME", requires = "scenarios")]
    pub new_scenario: Option<String>,
    /// Go on when some records cannot be judged (they are listed).
    #[arg(long)]
    pub keep_going: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub limits: super::limits::RecordLimitArgs,
    #[command(flatten)]
    pub rules: super::limits::RuleLimitArgs,
}

/// Arguments of `merit report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A ledger (JSON from `merit run --format json`, or JSON Lines; JSON Lines carry no program name or run date); or use `--program` and `--records`.
    pub ledger: Option<PathBuf>,
    /// Run this program first.
    #[arg(long, requires = "records", conflicts_with = "ledger")]
    pub program: Option<PathBuf>,
    /// Records for `--program`.
    #[arg(long, requires = "program")]
    pub records: Option<PathBuf>,
    /// With `--program`: evaluate as of the end of this day (default: today, UTC).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// With `--program`: parameter overrides.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    /// How many referrers the leaderboard lists per currency.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// With `--program`: go on when some records cannot be judged.
    #[arg(long)]
    pub keep_going: bool,
    #[command(flatten)]
    pub limits: super::limits::RecordLimitArgs,
    #[command(flatten)]
    pub rules: super::limits::RuleLimitArgs,
}

fn threads(n: Option<usize>) -> usize {
    n.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
    .max(1)
}

fn read(path: &PathBuf) -> Result<String, i32> {
    super::read_input(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        exit::USAGE
    })
}

fn program(path: &PathBuf, limits: &super::limits::RuleLimitArgs) -> Result<Loaded, i32> {
    let parsed = super::check::read_program(path, &limits.limits()).map_err(|m| {
        eprintln!("error: {m}");
        exit::USAGE
    })?;
    load_parsed(parsed).map_err(|diags| {
        eprint!("{diags}");
        exit::FAILED
    })
}

/// Evaluates; record problems fail the command unless `keep_going`.
fn ledger(
    program: &crate::program::Program,
    records: &str,
    opts: &Options,
    keep_going: bool,
) -> Result<Ledger, i32> {
    evaluation(program, records, opts, keep_going).map(|e| e.ledger)
}

/// Evaluates, printing record problems; fails on them unless `keep_going`.
fn evaluation(
    program: &crate::program::Program,
    records: &str,
    opts: &Options,
    keep_going: bool,
) -> Result<crate::eval::Evaluation, i32> {
    let evaluation = match evaluate_str(program, records, opts) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: reading records: {e}");
            return Err(exit::USAGE);
        }
    };
    let ledger = &evaluation.ledger;
    for p in &ledger.problems {
        eprintln!("record problem: {p}");
    }
    if !ledger.problems.is_empty() && !keep_going {
        eprintln!(
            "error: {} record(s) could not be judged (use --keep-going to go on without them)",
            ledger.problems.len()
        );
        return Err(exit::FAILED);
    }
    Ok(evaluation)
}

fn print(text: &str) -> i32 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => exit::OK,
        Err(_) => exit::USAGE,
    }
}

/// Runs `merit simulate`.
pub fn simulate(a: SimulateArgs) -> i32 {
    let run = || -> Result<i32, i32> {
        let loaded = program(&a.program, &a.rules)?;
        let scenarios = parse_scenarios(&read(&a.scenarios)?).map_err(|e| {
            eprintln!("error: {}: {e}", a.scenarios.display());
            exit::USAGE
        })?;
        let records = read(&a.records)?;
        let as_of = a.as_of.unwrap_or_else(super::today);
        let mut opts = Options::as_of(as_of);
        opts.threads = threads(a.threads);
        opts.limits = a.limits.limits();
        for s in &scenarios {
            for w in crate::scenario::override_warnings(&loaded.program, &s.set) {
                eprintln!("{w} (scenario `{}`)", s.name);
            }
        }
        let results = run_sim(&loaded.program, &records, &scenarios, &opts).map_err(|e| {
            eprintln!("error: {e}");
            exit::USAGE
        })?;
        let mut failed = false;
        for r in &results {
            for p in &r.problems {
                eprintln!("record problem ({}): {p}", r.name);
                failed = true;
            }
        }
        if failed && !a.keep_going {
            eprintln!(
                "error: some records could not be judged (use --keep-going to go on without them)"
            );
            return Err(exit::FAILED);
        }
        Ok(print(&render_sim(
            &loaded.program,
            as_of,
            &results,
            a.format,
        )))
    };
    run().unwrap_or_else(|code| code)
}

/// Reads `--fail-above` (`10` or `10%`).
fn percent_arg(s: &str) -> Option<Decimal> {
    let d = Decimal::from_str(s.trim().trim_end_matches('%').trim()).ok()?;
    (d >= Decimal::ZERO).then_some(d)
}

/// Runs `merit diff`.
pub fn diff(a: DiffArgs) -> i32 {
    let run = || -> Result<i32, i32> {
        let mut gate = Gate::default();
        if let Some(p) = &a.fail_above {
            gate.max_percent = Some(percent_arg(p).ok_or_else(|| {
                eprintln!("error: --fail-above takes a percentage such as 10, not `{p}`");
                exit::USAGE
            })?);
        }
        if let Some(m) = &a.fail_above_amount {
            match parse_literal(m) {
                Ok(Value::Money(money)) if money.amount >= Decimal::ZERO => {
                    gate.max_amount = Some(money)
                }
                _ => {
                    eprintln!(
                        "error: --fail-above-amount takes an amount of money such as \"5000 USD\", not `{m}`"
                    );
                    return Err(exit::USAGE);
                }
            }
        }
        let mut old = program(&a.old, &a.rules)?;
        if let (Some(file), None) = (&a.scenarios, &a.new) {
            let pick = |name: &Option<String>| -> Result<Option<Vec<Override>>, i32> {
                let Some(name) = name else { return Ok(None) };
                let all = parse_scenarios(&read(file)?).map_err(|e| {
                    eprintln!("error: {}: {e}", file.display());
                    exit::USAGE
                })?;
                let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
                match all.iter().find(|s| s.name == *name) {
                    Some(s) => Ok(Some(s.set.clone())),
                    None => {
                        eprintln!(
                            "error: {} has no scenario `{name}` (it has: {})",
                            file.display(),
                            names.join(", ")
                        );
                        Err(exit::USAGE)
                    }
                }
            };
            let scenario = |sets: Vec<Override>, which: &str| -> Result<Loaded, i32> {
                let p = apply(&old.program, &sets).map_err(|e| {
                    eprintln!("error: {which} scenario: {e}");
                    exit::USAGE
                })?;
                super::warn_overrides(&p, &sets);
                Ok(Loaded {
                    program: p,
                    parsed: old.parsed.clone(),
                })
            };
            let new_sets = pick(&a.new_scenario)?.unwrap_or_default();
            let new = scenario(new_sets, "new")?;
            if let Some(sets) = pick(&a.old_scenario)? {
                old = scenario(sets, "old")?;
            }
            return finish_diff(&a, gate, old, new);
        }
        if a.scenarios.is_some() {
            eprintln!("error: --scenarios compares two scenarios of one program; give one program");
            return Err(exit::USAGE);
        }
        let new = match (&a.new, a.set.is_empty()) {
            (Some(path), true) => program(path, &a.rules)?,
            (None, false) => {
                let sets = parse_overrides(&a.set).map_err(|e| {
                    eprintln!("error: {e}");
                    exit::USAGE
                })?;
                let p = apply(&old.program, &sets).map_err(|e| {
                    eprintln!("error: --set: {e}");
                    exit::USAGE
                })?;
                super::warn_overrides(&p, &sets);
                Loaded {
                    program: p,
                    parsed: old.parsed.clone(),
                }
            }
            (Some(_), false) => {
                eprintln!("error: --set compares one program with a scenario of it; give one program, or two programs without --set");
                return Err(exit::USAGE);
            }
            (None, true) => {
                eprintln!(
                    "error: give the new program, or `--set name=value` to compare with a scenario"
                );
                return Err(exit::USAGE);
            }
        };
        finish_diff(&a, gate, old, new)
    };
    run().unwrap_or_else(|code| code)
}

/// Evaluates both sides of a diff, prints it and applies the gate.
fn finish_diff(a: &DiffArgs, gate: Gate, old: Loaded, new: Loaded) -> Result<i32, i32> {
    {
        let records = read(&a.records)?;
        let as_of = a.as_of.unwrap_or_else(super::today);
        let mut opts = Options::as_of(as_of);
        opts.threads = threads(a.threads);
        opts.limits = a.limits.limits();
        let old_ledger = ledger(&old.program, &records, &opts, a.keep_going)?;
        let new_ledger = ledger(&new.program, &records, &opts, a.keep_going)?;
        let money = money_diff(&old_ledger, &new_ledger).map_err(|e| {
            eprintln!("error: {}", e.message);
            exit::USAGE
        })?;
        let gated = gate.max_percent.is_some() || gate.max_amount.is_some();
        let d = Diff {
            old_program: (old.program.name.clone(), old.program.version.clone()),
            new_program: (new.program.name.clone(), new.program.version.clone()),
            as_of,
            records: new_ledger.summary.records,
            terms: diff_terms(&outline(&old), &outline(&new)),
            gate_failures: check_gate(&money.owed, &gate),
            money,
            gated,
        };
        let text = match a.format {
            DiffFormat::Text => render_text(&d),
            DiffFormat::Json => render_json(&d),
        };
        let code = print(&text);
        if !d.gate_failures.is_empty() {
            for f in &d.gate_failures {
                eprintln!("gate failed: {f}");
            }
            return Ok(exit::FAILED);
        }
        Ok(code)
    }
}

/// Runs `merit report`.
pub fn report(a: ReportArgs) -> i32 {
    let run = || -> Result<i32, i32> {
        let mut reached = None;
        let (ledger, records, budget) = match (&a.ledger, &a.program, &a.records) {
            (Some(path), None, _) => {
                if !a.set.is_empty() || a.as_of.is_some() {
                    eprintln!("error: --set and --as-of need --program and --records");
                    return Err(exit::USAGE);
                }
                let read_back = crate::reconcile::read_ledger(&read(path)?).map_err(|e| {
                    eprintln!("error: {}: {e}", path.display());
                    exit::USAGE
                })?;
                let records = read_back
                    .has_summary
                    .then_some(read_back.ledger.summary.records);
                (read_back.ledger, records, Vec::new())
            }
            (None, Some(prog), Some(recs)) => {
                let loaded = program(prog, &a.rules)?;
                let sets = parse_overrides(&a.set).map_err(|e| {
                    eprintln!("error: {e}");
                    exit::USAGE
                })?;
                let p = apply(&loaded.program, &sets).map_err(|e| {
                    eprintln!("error: --set: {e}");
                    exit::USAGE
                })?;
                super::warn_overrides(&p, &sets);
                let as_of = a.as_of.unwrap_or_else(super::today);
                let mut opts = Options::as_of(as_of);
                opts.threads = threads(None);
                opts.limits = a.limits.limits();
                // Coverage gives the exact funnel: every milestone reached, paid for or not.
                opts.coverage = true;
                let ev = evaluation(&p, &read(recs)?, &opts, a.keep_going)?;
                reached = ev.coverage.map(|c| c.milestones);
                let l = ev.ledger;
                let n = l.summary.records;
                (l, Some(n), p.budgets.clone())
            }
            _ => {
                eprintln!("error: give a ledger file, or --program and --records");
                return Err(exit::USAGE);
            }
        };
        let mut r = build_report(&ledger, records, &budget, a.top).map_err(|e| {
            eprintln!("error: {}", e.message);
            exit::USAGE
        })?;
        if let Some(reached) = &reached {
            with_reached(&mut r, reached, records);
        }
        Ok(print(&render_report(&r, a.format)))
    };
    run().unwrap_or_else(|code| code)
}
