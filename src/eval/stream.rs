//! Streaming evaluation, for `merit run --format jsonl|csv`: the same ledger lines as
//! [`super::evaluate`], byte for byte, in bounded memory.
//!
//! - A reader hands blocks of whole lines to the workers (`records::blocks`).
//! - Each worker decodes and judges its records, and builds and renders the lines of every
//!   reward that depends on no other record (`finalize::local`). Candidates of the other
//!   rewards (count tiers, `every Nth`, shared caps, budgets) are encoded (`eval::codec`).
//! - Each worker also sorts what it made: rendered lines, waiting candidates and record ids go
//!   into its own three external sorters (`eval::spill`), which spill sorted runs to
//!   temporary files when they pass the worker's share of [`Spill::memory`]. The main thread
//!   only counts and gathers problems, then joins the workers' sorted parts.
//! - At the end: record ids seen twice are found in the sorted ids (unless the ids came in
//!   rising order, which proves there are none: `eval::keys::IdSpan`); the waiting
//!   candidates are read in ledger order and built with the cross-record state (which grows
//!   with recipients and periods, not records); the lines are written in ledger order,
//!   leaving out those of duplicated ids. With more than one thread, a writing thread does
//!   the writes while the main thread merges.
//!
//! Programs with a `duplicates by` rule or a `minimum payout` need every line before any can
//! be settled; [`streamable`] is false for them and the caller evaluates them in memory.

use super::finalize::{self, build, Built, LineKey, State};
use super::keys::{duplicate_ids, escape_id, id_entry, ids_rise, key_id, line_key, IdSpan};
use super::sorters::{Sizes, Sorted3, Sorters};
use super::spill::{Chunk, Sorted, Sorter};
use super::{codec, judge, Options};
use crate::ledger::Line;
use crate::output::jsonl;
use crate::program::Program;
use crate::records::blocks::{self, Block, Start, BLOCK_BYTES};
use crate::records::{decode_line_reusing, read_raw, Decoder, RawRecord, RecordProblem, Scratch};
use crate::time::Instant;
use crate::value::Value;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;

/// Line formats that can be written line by line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// One JSON object per line.
    Jsonl,
    /// A header row, then one row per line.
    Csv,
}

/// Where, and past how much memory, sorting goes to disk.
#[derive(Debug, Clone)]
pub struct Spill {
    /// Folder for temporary files.
    pub dir: PathBuf,
    /// Bytes the three sorters may hold in memory together.
    pub memory: usize,
}

impl Default for Spill {
    fn default() -> Self {
        Spill {
            dir: std::env::temp_dir(),
            memory: 16 << 20,
        }
    }
}

/// Whether a program can be evaluated as a stream (no rule that needs every line first).
pub fn streamable(program: &Program) -> bool {
    program.duplicates.is_none() && program.minimum_payout.is_none()
}

/// The outcome of a streamed run: problems now, lines when written.
pub struct Streamed {
    format: LineFormat,
    /// Lines built on the workers.
    lines: Sorted,
    /// Lines built in the cross-record pass.
    cross: Sorted,
    /// Records whose lines are left out (escaped as in keys): ids seen on more than one line,
    /// and records found to be problems while their lines were built.
    skip: HashSet<Vec<u8>>,
    problems: Vec<RecordProblem>,
    records: u64,
    /// Threads the run may use: above one, writing the ledger has a thread of its own.
    threads: usize,
}

impl Streamed {
    /// Records that could not be judged, sorted.
    pub fn problems(&self) -> &[RecordProblem] {
        &self.problems
    }

    /// How many records have problems (as `Summary::problems` counts them).
    pub fn problem_records(&self) -> u64 {
        self.problems
            .iter()
            .map(|p| (p.line, p.record_id.as_deref()))
            .collect::<HashSet<_>>()
            .len() as u64
    }

    /// Records read.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Writes the ledger's lines in ledger order; returns how many. With more than one
    /// thread, the merge runs here and the writes (the kernel's copying) on a thread of their
    /// own (`output::batches`); the bytes written are the same.
    pub fn write(mut self, out: &mut (dyn Write + Send)) -> std::io::Result<u64> {
        if self.threads <= 1 {
            let n = self.write_with(|line| out.write_all(line))?;
            out.flush()?;
            return Ok(n);
        }
        crate::output::batches::through_thread(out, |write| self.write_with(write))
    }

    /// Hands each line, in ledger order, to `write`; returns how many.
    fn write_with(
        &mut self,
        mut write: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<u64> {
        let mut n = 0u64;
        if self.format == LineFormat::Csv {
            write(jsonl::CSV_HEADER.as_bytes())?;
        }
        let skip = &self.skip;
        let mut write = |key: &[u8], line: &[u8]| -> std::io::Result<()> {
            if skip.is_empty() || !skip.contains(key_id(key)) {
                write(line)?;
                n = n.saturating_add(1);
            }
            Ok(())
        };
        // Two sorted streams with distinct keys (a reward is either local or not), merged.
        let (mut local, mut cross) = (self.lines.merge()?, self.cross.merge()?);
        let (mut a, mut b) = (local.next()?, cross.next()?);
        loop {
            match (a, b) {
                (Some((ka, la)), Some((kb, _))) if ka <= kb => {
                    write(ka, la)?;
                    a = local.next()?;
                }
                (_, Some((kb, lb))) => {
                    write(kb, lb)?;
                    b = cross.next()?;
                }
                (Some((ka, la)), None) => {
                    write(ka, la)?;
                    a = local.next()?;
                }
                (None, None) => break,
            }
        }
        Ok(n)
    }
}

/// Evaluates records from `input` (JSON Lines or a JSON array) into lines of `format`.
/// Refuses (`InvalidInput`) a program that is not [`streamable`].
pub fn evaluate_lines(
    program: &Program,
    input: impl Read + Send,
    opts: &Options,
    format: LineFormat,
    spill: &Spill,
) -> std::io::Result<Streamed> {
    if !streamable(program) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "this program has a `duplicates by` rule or a `minimum payout`, which need every line before any is settled: evaluate it in memory (merit::evaluate)",
        ));
    }
    let (as_of_end, params) = super::prepare(program, opts)?;
    let decoder = Decoder::with_limits(program, &opts.limits);
    let ctx = Ctx {
        program,
        params: &params,
        decoder: &decoder,
        opts,
        as_of_end,
        local: program
            .rewards
            .iter()
            .map(|r| finalize::local(program, r))
            .collect(),
        format,
    };
    let threads = opts.threads.max(1);
    let share = spill.memory / 4;
    let mut acc = Acc {
        records: 0,
        candidates: 0,
        limits: opts.limits,
        problems: Vec::new(),
        line_problems: Vec::new(),
        sorted: Vec::with_capacity(threads),
        share,
        dir: spill.dir.clone(),
        left_out: HashSet::new(),
        id_spans: Vec::new(),
    };
    // Each worker sorts its own entries within its share of the sort memory.
    let worker_share = share.checked_div(threads).unwrap_or(share);
    if threads == 1 {
        let mut sorters = Sorters::new(worker_share, &spill.dir);
        let mut sizes = Sizes::default();
        let own = read_all(input, opts, |job| {
            let mut out = ctx.job(&job, &mut sizes);
            let rise = out.id_span.as_ref().is_some_and(IdSpan::rises);
            sorters.absorb(
                std::mem::take(&mut out.lines),
                std::mem::take(&mut out.cands),
                std::mem::take(&mut out.ids),
                rise,
            )?;
            acc.absorb(out)
        })?;
        acc.reader(own);
        acc.sorted.push(sorters.finish()?);
    } else {
        let (to_workers, jobs) = mpsc::sync_channel::<Job>(threads);
        let jobs = std::sync::Mutex::new(jobs);
        std::thread::scope(|s| -> std::io::Result<()> {
            let (to_main, results) = mpsc::sync_channel::<Out>(threads);
            let mut workers = Vec::with_capacity(threads);
            for _ in 0..threads {
                let (jobs, to_main, ctx) = (&jobs, to_main.clone(), &ctx);
                let dir = &spill.dir;
                let worker = std::thread::Builder::new()
                    .name("merit-worker".into())
                    .stack_size(super::WORKER_STACK)
                    .spawn_scoped(s, move || -> std::io::Result<Sorted3> {
                        let mut sorters = Sorters::new(worker_share, dir);
                        let mut sizes = Sizes::default();
                        // After a failure, jobs are still taken (and dropped) so that the
                        // reader never waits on a full queue; the error is returned at the end.
                        let mut failed = Ok(());
                        loop {
                            let job = match jobs.lock() {
                                Ok(rx) => rx.recv(),
                                Err(_) => break,
                            };
                            let Ok(job) = job else { break };
                            if failed.is_err() {
                                continue;
                            }
                            let mut out = ctx.job(&job, &mut sizes);
                            let rise = out.id_span.as_ref().is_some_and(IdSpan::rises);
                            failed = sorters.absorb(
                                std::mem::take(&mut out.lines),
                                std::mem::take(&mut out.cands),
                                std::mem::take(&mut out.ids),
                                rise,
                            );
                            if to_main.send(out).is_err() {
                                break;
                            }
                        }
                        failed?;
                        sorters.finish()
                    })
                    .map_err(|e| std::io::Error::other(format!("cannot start a worker: {e}")))?;
                workers.push(worker);
            }
            drop(to_main);
            let reader = std::thread::Builder::new()
                .name("merit-reader".into())
                .spawn_scoped(s, move || {
                    read_all(input, opts, |job| {
                        to_workers
                            .send(job)
                            .map_err(|_| std::io::Error::other("a worker thread stopped"))
                    })
                })
                .map_err(|e| std::io::Error::other(format!("cannot start the reader: {e}")))?;
            let mut failed = Ok(());
            for out in results {
                if failed.is_ok() {
                    failed = acc.absorb(out);
                }
            }
            // A panic on the reader is a bug: carried to `main`, which reports it (exit 70).
            let read = reader
                .join()
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
            for w in workers {
                let sorted = w
                    .join()
                    .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
                if failed.is_ok() {
                    match sorted {
                        Ok(sorted) => acc.sorted.push(sorted),
                        Err(e) => failed = Err(e),
                    }
                }
            }
            failed?;
            acc.reader(read?);
            Ok(())
        })?;
    }
    acc.finish(&ctx)
}

/// A unit of work: a block of JSON Lines, or records split out of a JSON array.
pub(super) enum Job {
    Block(Block),
    Raw(Vec<Result<RawRecord, RecordProblem>>),
}

impl Job {
    /// Calls `f` for each record of the job (its line and text, or why it cannot be read).
    pub(super) fn for_each<'a>(
        &'a self,
        opts: &Options,
        mut f: impl FnMut(u64, Result<&'a str, RecordProblem>),
    ) {
        match self {
            Job::Block(b) => blocks::for_each_line(b, &opts.limits, f),
            Job::Raw(raws) => {
                for r in raws {
                    match r {
                        Ok(raw) => f(raw.line, Ok(&raw.text)),
                        Err(p) => f(p.line, Err(p.clone())),
                    }
                }
            }
        }
    }
}

/// Reads all input into jobs; returns the records read and problems found by the reader
/// itself (lines too long to hold).
pub(super) fn read_all(
    input: impl Read,
    opts: &Options,
    mut send: impl FnMut(Job) -> std::io::Result<()>,
) -> std::io::Result<Vec<RecordProblem>> {
    let mut failed = Ok(());
    let mut own = Vec::new();
    let start = blocks::read_blocks(
        input,
        &opts.limits,
        BLOCK_BYTES,
        |b| {
            failed = send(Job::Block(b));
            failed.is_ok()
        },
        |p| own.push(p),
    )?;
    failed?;
    if let Start::Other(rest) = start {
        let mut chunk = Vec::with_capacity(super::CHUNK);
        let mut failed = Ok(());
        read_raw(std::io::BufReader::new(rest), &opts.limits, |r| {
            chunk.push(r);
            if chunk.len() >= super::CHUNK && failed.is_ok() {
                failed = send(Job::Raw(std::mem::take(&mut chunk)));
            }
        })?;
        failed?;
        send(Job::Raw(chunk))?;
    }
    Ok(own)
}

/// What the workers share.
struct Ctx<'a> {
    program: &'a Program,
    params: &'a [Value],
    decoder: &'a Decoder,
    opts: &'a Options,
    as_of_end: Instant,
    /// Per reward: its lines are built on the worker.
    local: Vec<bool>,
    format: LineFormat,
}

/// What a worker made of one job.
#[derive(Default)]
struct Out {
    records: u64,
    /// Reward lines judged (candidates), for the per-run limit.
    candidates: u64,
    problems: Vec<RecordProblem>,
    /// Problems met while building lines on the worker: dropped if the record's id turns out
    /// to be duplicated (the line would never have been built).
    line_problems: Vec<RecordProblem>,
    lines: Chunk,
    cands: Chunk,
    ids: Chunk,
    /// How the job's ids came ([`IdSpan`]).
    id_span: Option<IdSpan>,
}

impl Ctx<'_> {
    fn job(&self, job: &Job, sizes: &mut Sizes) -> Out {
        let mut out = Out {
            lines: Sizes::chunk(sizes.lines),
            cands: Sizes::chunk(sizes.cands),
            ids: Sizes::chunk(sizes.ids),
            ..Out::default()
        };
        let mut scratch = Scratch::default();
        job.for_each(self.opts, |line, r| {
            out.records = out.records.saturating_add(1);
            match r {
                Ok(text) => self.record(line, text, &mut scratch, &mut out),
                Err(p) => out.problems.push(p),
            }
        });
        out.id_span = IdSpan::of(&out.ids);
        Sizes::learn(&mut sizes.lines, &out.lines);
        Sizes::learn(&mut sizes.cands, &out.cands);
        Sizes::learn(&mut sizes.ids, &out.ids);
        out
    }

    fn record(&self, line: u64, text: &str, scratch: &mut Scratch, out: &mut Out) {
        let rec = match decode_line_reusing(self.decoder, line, text, scratch) {
            Ok(rec) => rec,
            Err(ps) => {
                for p in &ps {
                    if let Some(id) = &p.record_id {
                        id_entry(id, p.line, &mut out.ids);
                    }
                }
                out.problems.extend(ps);
                return;
            }
        };
        let (program, params) = (self.program, self.params);
        let judged =
            judge::judge_recycling(program, params, rec, self.opts, self.as_of_end, scratch);
        let judged = match judged {
            Ok(j) => j,
            Err(p) => {
                if let Some(id) = &p.record_id {
                    id_entry(id, p.line, &mut out.ids);
                }
                out.problems.push(p);
                return;
            }
        };
        id_entry(&judged.id, judged.line, &mut out.ids);
        out.candidates = out
            .candidates
            .saturating_add(judged.candidates.len() as u64);
        // Most records earn nothing: no state to make and drop for them.
        if judged.candidates.is_empty() {
            return;
        }
        let mut state = State::default();
        for c in judged.candidates {
            if self.local.get(c.reward).copied().unwrap_or(false) {
                if let Some(b) = build(
                    self.program,
                    self.opts,
                    c,
                    &mut state,
                    &mut out.line_problems,
                ) {
                    self.emit(b, &mut out.lines);
                }
            } else {
                let arena = out.cands.arena_mut();
                let off = arena.len();
                line_key(
                    &c.earned_at,
                    &c.record_id,
                    c.reward,
                    c.occurrence,
                    false,
                    arena,
                );
                let kend = arena.len();
                codec::encode(&c, arena);
                out.cands.push_written(off, kend);
            }
        }
    }

    /// Renders a built line (and its clawback line) into a chunk.
    fn emit(&self, b: Built, lines: &mut Chunk) {
        if let Some((line, key)) = &b.clawback {
            self.render(line, key, lines);
        }
        self.render(&b.line, &b.key, lines);
    }

    fn render(&self, line: &Line, key: &LineKey, lines: &mut Chunk) {
        let arena = lines.arena_mut();
        let off = arena.len();
        line_key(&key.0, &key.1, key.2, key.3, key.4, arena);
        let kend = arena.len();
        match self.format {
            LineFormat::Jsonl => jsonl::write_line(line, arena),
            LineFormat::Csv => jsonl::write_csv_row(line, arena),
        }
        lines.push_written(off, kend);
    }
}

/// Everything gathered so far, on the main thread.
struct Acc {
    records: u64,
    candidates: u64,
    limits: crate::records::RecordLimits,
    problems: Vec<RecordProblem>,
    line_problems: Vec<RecordProblem>,
    /// Each worker's sorted entries (joined at the end).
    sorted: Vec<Sorted3>,
    /// Sort memory of the cands sorter, and the spill folder (for the cross-record lines).
    share: usize,
    dir: PathBuf,
    /// Escaped ids of records left out for a problem met while building their lines.
    left_out: HashSet<Vec<u8>>,
    /// Each job's [`IdSpan`].
    id_spans: Vec<IdSpan>,
}

impl Acc {
    /// Problems the reader found itself: each is a record read.
    fn reader(&mut self, own: Vec<RecordProblem>) {
        self.records = self.records.saturating_add(own.len() as u64);
        self.problems.extend(own);
    }

    fn absorb(&mut self, out: Out) -> std::io::Result<()> {
        self.records = self.records.saturating_add(out.records);
        // The count only grows, so whether a run passes the limit does not depend on order
        // (saturating: `u64::MAX` is past every limit that could stop it).
        self.candidates = self.candidates.saturating_add(out.candidates);
        super::run_lines_within(self.candidates, &self.limits)?;
        self.problems.extend(out.problems);
        self.line_problems.extend(out.line_problems);
        self.id_spans.extend(out.id_span);
        Ok(())
    }

    fn finish(mut self, ctx: &Ctx<'_>) -> std::io::Result<Streamed> {
        let (mut lines, mut cands, mut ids) = (Vec::new(), Vec::new(), Vec::new());
        let mut asides = Vec::new();
        for s in std::mem::take(&mut self.sorted) {
            lines.push(s.lines);
            cands.push(s.cands);
            ids.push(s.ids);
            asides.push(s.aside);
        }
        // 1. Record ids on more than one line: every such record is a problem. When the ids
        // came in rising order, there are none and the ids are not read; otherwise those kept
        // aside are sorted too.
        let dups = if ids_rise(&mut self.id_spans) {
            HashSet::new()
        } else {
            let mut replayed = Sorter::new(self.share, self.dir.clone());
            for a in asides {
                a.replay(&mut replayed, self.share.div_ceil(4).max(1 << 16))?;
            }
            ids.push(replayed.finish()?);
            duplicate_ids(Sorted::join(ids), &mut self.problems)?
        };
        let escaped = |id: &str| {
            let mut k = Vec::with_capacity(id.len().saturating_add(2));
            escape_id(id, &mut k);
            k
        };
        // 2. A record whose local lines met a problem earns nothing (its other lines are left
        // out when writing).
        let mut skip = dups;
        let mut local_bad = HashSet::new();
        for p in std::mem::take(&mut self.line_problems) {
            let Some(id) = p.record_id.as_deref().map(escaped) else {
                continue;
            };
            if !skip.contains(&id) {
                self.left_out.insert(id.clone());
                local_bad.insert(id);
                self.problems.push(p);
            }
        }
        // 3. The waiting candidates, in ledger order, with the cross-record state. As in
        // memory (`finalize::settle`), the first pass takes every record (so a record with a
        // local problem has its cross-record problems reported too); a record found to be a
        // problem is then left out and the pass made again without it.
        let mut cands = Sorted::join(cands);
        let corrupt = || {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "a temporary sort file was changed while merit was using it",
            )
        };
        let cross = loop {
            let mut state = State::default();
            if finalize::needs_totals(ctx.program) {
                let mut m = cands.merge()?;
                while let Some((key, bytes)) = m.next()? {
                    if skip.contains(key_id(key)) {
                        continue;
                    }
                    let c = codec::decode(bytes).ok_or_else(corrupt)?;
                    state.totals.add(ctx.program, &c);
                }
            }
            let mut out = Sorter::new(self.share.saturating_mul(2), self.dir.clone());
            let mut built = Chunk::default();
            let mut found = Vec::new();
            let mut m = cands.merge()?;
            while let Some((key, bytes)) = m.next()? {
                if skip.contains(key_id(key)) {
                    continue;
                }
                let c = codec::decode(bytes).ok_or_else(corrupt)?;
                if let Some(b) = build(ctx.program, ctx.opts, c, &mut state, &mut found) {
                    ctx.emit(b, &mut built);
                    if built.bytes() > 1 << 20 {
                        out.absorb(std::mem::take(&mut built))?;
                    }
                }
            }
            out.absorb(built)?;
            let redo = !local_bad.is_empty();
            skip.extend(local_bad.drain());
            if found.is_empty() && !redo {
                break out.finish()?;
            }
            for p in found {
                if let Some(id) = p.record_id.as_deref().map(escaped) {
                    skip.insert(id);
                }
                self.problems.push(p);
            }
        };
        self.problems.sort();
        self.problems.dedup();
        crate::records::limit_problems(&mut self.problems, self.limits.max_record_problems);
        Ok(Streamed {
            format: ctx.format,
            lines: Sorted::join(lines),
            cross,
            skip,
            problems: self.problems,
            records: self.records,
            threads: ctx.opts.threads.max(1),
        })
    }
}
