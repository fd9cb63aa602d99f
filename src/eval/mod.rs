//! The evaluator: a checked [`Program`] and referral records in, a [`Ledger`] out.
//!
//! Records are streamed: each is decoded (only the declared fields), judged on its own, and
//! reduced to the few reward candidates it earns; the input is never held in memory. Decoding and
//! judging run on `threads` workers; the cross-record pass (`finalize`) then orders everything
//! by earned time and record id, so the ledger is byte-identical whatever the thread count or
//! input order. The clock is never read: "today" is [`Options::as_of`].

mod aside;
mod candidate;
mod codec;
pub mod coverage;
mod expr;
mod finalize;
mod judge;
mod keys;
mod milestones;
mod runs;
mod sorters;
mod spill;
pub mod stream;

pub use coverage::Coverage;
pub use expr::EvalError;
pub use finalize::Explained;

use crate::ledger::Ledger;
use crate::program::Program;
use crate::records::{decode_line_reusing, Decoder, RecordLimits, RecordProblem, Scratch};
use crate::time::{end_of_day, Instant};
use crate::value::Value;
use chrono::NaiveDate;
use judge::Judged;
use std::io::BufRead;
use std::sync::mpsc;

/// How to evaluate.
#[derive(Debug, Clone)]
pub struct Options {
    /// "Today": events after the end of this day (program time zone) have not happened yet.
    pub as_of: NaiveDate,
    /// Worker threads for decoding and judging (1 = on the calling thread).
    pub threads: usize,
    /// Record id to trace step by step (for `merit explain`).
    pub explain: Option<String>,
    /// Input limits.
    pub limits: RecordLimits,
    /// Collect rule coverage (for `merit test --coverage`).
    pub coverage: bool,
}

impl Options {
    /// Options for a date, single-threaded, default limits.
    pub fn as_of(as_of: NaiveDate) -> Options {
        Options {
            as_of,
            threads: 1,
            explain: None,
            limits: RecordLimits::default(),
            coverage: false,
        }
    }
}

/// A ledger and, when asked for, the step-by-step account of one record.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The ledger.
    pub ledger: Ledger,
    /// The explained record, if `Options::explain` named one that was found.
    pub explained: Option<Explained>,
    /// Rule coverage, if `Options::coverage` was set.
    pub coverage: Option<Coverage>,
}

/// Stack size of worker threads (virtual memory; only what is used is committed).
const WORKER_STACK: usize = 64 << 20;

/// Records per unit of work handed to a thread.
const CHUNK: usize = 2048;

/// Evaluates records from a reader (JSON Lines, or one JSON array).
pub fn evaluate(
    program: &Program,
    input: impl BufRead,
    opts: &Options,
) -> std::io::Result<Evaluation> {
    let (as_of_end, params) = prepare(program, opts)?;
    let decoder = Decoder::with_limits(program, &opts.limits);
    let work = Work {
        program,
        params: &params,
        decoder: &decoder,
        opts,
        as_of_end,
    };
    let mut judged: Vec<Judged> = Vec::new();
    let mut problems: Vec<RecordProblem> = Vec::new();
    // Records read: a statistic (saturating), never near `u64::MAX`.
    let mut read = 0u64;
    let threads = opts.threads.max(1);
    if threads == 1 {
        let own = stream::read_all(input, opts, |job| {
            read = read.saturating_add(work.run(&job, &mut judged, &mut problems));
            Ok(())
        })?;
        read = read.saturating_add(own.len() as u64);
        problems.extend(own);
    } else {
        // The input is read on this thread (it need not be `Send`); workers judge.
        let (to_workers, from_reader) =
            mpsc::sync_channel::<stream::Job>(threads.saturating_mul(2));
        let from_reader = std::sync::Mutex::new(from_reader);
        std::thread::scope(|s| -> std::io::Result<()> {
            let (to_main, results) = mpsc::channel::<(Vec<Judged>, Vec<RecordProblem>, u64)>();
            for _ in 0..threads {
                let (rx, tx, work) = (&from_reader, to_main.clone(), &work);
                // A generous stack: expressions may nest about a thousand deep (see syntax limits).
                let spawned = std::thread::Builder::new()
                    .name("merit-worker".into())
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(s, move || loop {
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let (mut j, mut p) = (Vec::new(), Vec::new());
                        let n = work.run(&job, &mut j, &mut p);
                        if tx.send((j, p, n)).is_err() {
                            return;
                        }
                    });
                if let Err(e) = spawned {
                    return Err(std::io::Error::other(format!(
                        "cannot start a worker thread: {e}"
                    )));
                }
            }
            drop(to_main);
            let outcome = stream::read_all(input, opts, |job| {
                to_workers
                    .send(job)
                    .map_err(|_| std::io::Error::other("a worker thread stopped"))
            });
            drop(to_workers);
            for (mut j, mut p, n) in results {
                judged.append(&mut j);
                problems.append(&mut p);
                read = read.saturating_add(n);
            }
            let own = outcome?;
            read = read.saturating_add(own.len() as u64);
            problems.extend(own);
            Ok(())
        })?;
    }
    let lines: usize = judged.iter().map(|j| j.candidates.len()).sum();
    run_lines_within(lines as u64, &opts.limits)?;
    let (ledger, explained, coverage) = finalize::finalize(program, judged, problems, read, opts)?;
    Ok(Evaluation {
        ledger,
        explained,
        coverage,
    })
}

/// Stops a run that computes more reward lines than [`RecordLimits::max_run_lines`].
fn run_lines_within(lines: u64, limits: &RecordLimits) -> std::io::Result<()> {
    if lines <= limits.max_run_lines {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "the run computes more than {} reward lines, the limit per run (--max-run-lines); nothing was written",
            limits.max_run_lines
        ),
    ))
}

/// What both evaluators need before the first record: the rates are there, the end of the
/// as-of day in the program's zone, and the parameter values.
fn prepare(program: &Program, opts: &Options) -> std::io::Result<(Instant, Vec<Value>)> {
    check_rates(program)?;
    let as_of_end = end_of_day(opts.as_of, program.tz).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the as-of date is out of range",
        )
    })?;
    let params = program.params.iter().map(|p| p.value.clone()).collect();
    Ok((as_of_end, params))
}

/// Refuses to run a program whose exchange rates were not supplied.
fn check_rates(program: &Program) -> std::io::Result<()> {
    let missing = program.missing_rates();
    if missing.is_empty() {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "the program converts currencies with rates `{}`, which were not supplied (merit run --rates {}=FILE)",
            missing.join("`, `"),
            missing.first().copied().unwrap_or("NAME")
        ),
    ))
}

/// Evaluates records given as text (JSON Lines or a JSON array).
pub fn evaluate_str(
    program: &Program,
    records: &str,
    opts: &Options,
) -> std::io::Result<Evaluation> {
    evaluate(program, records.as_bytes(), opts)
}

struct Work<'a> {
    program: &'a Program,
    params: &'a [Value],
    decoder: &'a Decoder,
    opts: &'a Options,
    as_of_end: Instant,
}

impl Work<'_> {
    /// Judges a job's records; returns how many records it held.
    fn run(
        &self,
        job: &stream::Job,
        judged: &mut Vec<Judged>,
        problems: &mut Vec<RecordProblem>,
    ) -> u64 {
        let mut n = 0u64;
        let mut scratch = Scratch::default();
        job.for_each(self.opts, |line, r| {
            n = n.saturating_add(1);
            match r.map(|text| decode_line_reusing(self.decoder, line, text, &mut scratch)) {
                Ok(Ok(rec)) => {
                    let (program, params, opts) = (self.program, self.params, self.opts);
                    let end = self.as_of_end;
                    match judge::judge_recycling(program, params, rec, opts, end, &mut scratch) {
                        Ok(j) => judged.push(j),
                        Err(p) => problems.push(p),
                    }
                }
                Ok(Err(mut ps)) => problems.append(&mut ps),
                Err(p) => problems.push(p),
            }
        });
        n
    }
}
