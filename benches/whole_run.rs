//! The whole-run benchmark of the performance issue: `merit run` end to end against the
//! hand-written typed baseline, on the same records, in the same process run.
//!
//! ```sh
//! cargo bench --bench whole_run                              # 1,000,000 records, seed 1
//! MERIT_BENCH_RECORDS=200000 cargo bench --bench whole_run   # smaller
//! MERIT_BENCH_FILE=bench/data/w1m.jsonl cargo bench --bench whole_run
//! ```
//!
//! It measures, best of `MERIT_BENCH_RUNS` runs each:
//! - `read_lines`, `parse_value`, `typed_baseline`: in memory, as in `benches/baseline.rs`;
//! - `merit run --threads T --format jsonl` for each T in `MERIT_BENCH_THREADS`: the built
//!   binary as a child process, records read from a file, the ledger written to a temporary
//!   file; wall time and peak resident memory (`/usr/bin/time -f %M` when installed,
//!   otherwise `VmHWM` polled from `/proc/<pid>/status`);
//!
//! then checks that every thread count wrote the same bytes and, for the benchmark program,
//! that merit's lines agree with the baseline: as many lines, as many `referrer_payout` lines
//! as qualifying records, and the same referrer total per currency, to the cent. Last, it times
//! `merit check` on a generated program of `MERIT_BENCH_CHECK_LINES` lines (default 5,000).
//!
//! Environment knobs (all optional):
//! - `MERIT_BENCH_RECORDS` (1000000), `MERIT_BENCH_SEED` (1), `MERIT_BENCH_REFERRERS`
//!   (1000000: distinct referrer ids the generator draws from);
//! - `MERIT_BENCH_FILE`: read records from this JSON Lines file instead of generating them;
//! - `MERIT_BENCH_PROGRAM` (`rules-examples/benchmark.rules`); the baseline comparison only
//!   applies to that program;
//! - `MERIT_BENCH_AS_OF` (2030-12-31: late enough that every generated event has happened,
//!   as the baseline assumes);
//! - `MERIT_BENCH_THREADS` (`1,2`), `MERIT_BENCH_RUNS` (3);
//! - `MERIT_BENCH_CHECK_LINES` (5000; 0 skips the `merit check` timing);
//! - `MERIT_BENCH_KEEP`: keep the temporary files (their paths are printed).

#[path = "baseline_rule.rs"]
mod baseline_rule;

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MERIT: &str = env!("CARGO_BIN_EXE_merit");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn env_u64(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .replace('_', "")
            .parse()
            .map_err(|e| format!("{name}={v:?} is not a whole number: {e}")),
        Err(_) => Ok(default),
    }
}

struct Config {
    records: u64,
    seed: u64,
    referrers: u64,
    file: Option<PathBuf>,
    program: PathBuf,
    as_of: String,
    threads: Vec<usize>,
    runs: u64,
    check_lines: u64,
    keep: bool,
}

impl Config {
    fn from_env() -> Result<Config, String> {
        let threads = std::env::var("MERIT_BENCH_THREADS").unwrap_or_else(|_| "1,2".into());
        let threads = threads
            .split(',')
            .map(|t| {
                t.trim()
                    .parse::<usize>()
                    .map_err(|e| format!("MERIT_BENCH_THREADS: `{t}`: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Config {
            records: env_u64("MERIT_BENCH_RECORDS", 1_000_000)?,
            seed: env_u64("MERIT_BENCH_SEED", 1)?,
            referrers: env_u64("MERIT_BENCH_REFERRERS", 1_000_000)?,
            file: std::env::var_os("MERIT_BENCH_FILE").map(PathBuf::from),
            program: std::env::var_os("MERIT_BENCH_PROGRAM")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(ROOT).join("rules-examples/benchmark.rules")),
            as_of: std::env::var("MERIT_BENCH_AS_OF").unwrap_or_else(|_| "2030-12-31".into()),
            threads,
            runs: env_u64("MERIT_BENCH_RUNS", 3)?.max(1),
            check_lines: env_u64("MERIT_BENCH_CHECK_LINES", 5000)?,
            keep: std::env::var_os("MERIT_BENCH_KEEP").is_some(),
        })
    }
}

/// A temporary file removed on drop (unless `MERIT_BENCH_KEEP` is set).
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    fn new(name: &str, keep: bool) -> TempFile {
        let path = std::env::temp_dir().join(format!("merit-bench-{}-{name}", std::process::id()));
        TempFile { path, keep }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("kept {}", self.path.display());
        } else {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The best wall time of `runs` calls.
fn best<T>(runs: u64, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        let took = start.elapsed();
        if best.as_ref().is_none_or(|(b, _)| took < *b) {
            best = Some((took, out));
        }
    }
    match best {
        Some(b) => b,
        None => (Duration::ZERO, f()),
    }
}

fn count_lines(input: &[u8]) -> u64 {
    input
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .count() as u64
}

fn parse_values(input: &[u8]) -> u64 {
    let mut objects = 0;
    for line in input.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(line) {
            objects += 1;
            black_box(map);
        }
    }
    objects
}

/// One timed child run.
struct ChildRun {
    wall: Duration,
    /// Peak resident set, KiB.
    peak_kib: Option<u64>,
    stderr: String,
    ok: bool,
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `merit ARGS` with standard output to `out`, measuring wall time and peak memory.
fn run_child(args: &[String], out: &Path) -> Result<ChildRun, String> {
    let gnu_time = Path::new("/usr/bin/time");
    let rss_file = TempFile::new("rss.txt", false);
    let mut cmd = if gnu_time.exists() {
        let mut c = Command::new(gnu_time);
        c.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file.path)
            .arg(MERIT);
        c
    } else {
        Command::new(MERIT)
    };
    let stdout = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    cmd.args(args)
        .current_dir(ROOT)
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {MERIT}: {e}"))?;
    let stderr_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut p) = stderr_pipe {
            let _ = std::io::Read::read_to_string(&mut p, &mut s);
        }
        s
    });
    let mut polled = None;
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if !gnu_time.exists() {
            polled = vm_hwm(child.id()).or(polled);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = start.elapsed();
    let stderr = reader.join().unwrap_or_default();
    let peak_kib = if gnu_time.exists() {
        std::fs::read_to_string(&rss_file.path)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
    } else {
        polled
    };
    Ok(ChildRun {
        wall,
        peak_kib,
        stderr,
        ok: status.success(),
    })
}

/// What merit's JSON Lines ledger pays, to compare with the baseline.
#[derive(Debug, Default, PartialEq, Eq)]
struct Paid {
    lines: u64,
    payout_lines: u64,
    cents: [i64; 3],
    other: u64,
}

fn tally(jsonl: &[u8]) -> Result<Paid, String> {
    let mut paid = Paid::default();
    for line in jsonl.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value =
            serde_json::from_slice(line).map_err(|e| format!("merit wrote bad JSON: {e}"))?;
        paid.lines += 1;
        if v["rule"] != "referrer_payout" {
            continue;
        }
        paid.payout_lines += 1;
        let amount = v["amount"].as_str().unwrap_or("");
        let (negative, digits) = match amount.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, amount),
        };
        let cents =
            baseline_rule::parse_cents(digits).ok_or(format!("unreadable amount {amount:?}"))?;
        let cents = if negative { -cents } else { cents };
        let currency = v["currency"].as_str().unwrap_or("");
        match baseline_rule::CURRENCIES
            .iter()
            .position(|c| *c == currency)
        {
            Some(i) => paid.cents[i] += cents,
            None => paid.other += 1,
        }
    }
    Ok(paid)
}

/// A program of about `lines` lines that checks clean: many params and rewards, each paid
/// alongside the others (`stacks`), as a real program that size would say.
fn big_program(lines: u64) -> String {
    let mut s = String::from(
        "program \"Generated\" {\n  version \"1\"\n  currency USD\n  timezone \"UTC\"\n}\n\n\
         fields {\n  referrer.health_score: number optional\n  deal.amount: money optional\n  deal.stage: text optional\n}\n\n\
         events {\n  closed_won\n}\n\n\
         eligible referrer if referrer.health_score is present and referrer.health_score >= 70\n\n\
         milestone won = event closed_won within 90 days after created\n\n",
    );
    let mut n = 0u64;
    while (s.lines().count() as u64) < lines {
        n += 1;
        s.push_str(&format!(
            "param rate_{n} = {}%\n\n\
             # Reward {n}.\n\
             reward r{n} on won to referrer {{\n  \
               only if deal.stage is present and deal.stage == \"closed_won\" and deal.amount is present\n  \
               cash tiers by deal.amount {{\n    \
                 below 50000             => {}\n    \
                 from 50000 below 250000 => rate_{n}\n    \
                 from 250000             => 1.5% max 10000\n  \
               }}\n  \
               hold {} days\n  \
               cap 5000 USD per recipient per year\n  \
               stacks\n\
             }}\n\n",
            1 + n % 5,
            100 + n % 400,
            n % 60
        ));
    }
    s
}

fn rate(records: u64, bytes: u64, d: Duration) -> (f64, f64) {
    let s = d.as_secs_f64().max(1e-9);
    (records as f64 / s, bytes as f64 / 1e6 / s)
}

fn run() -> Result<(), String> {
    let cfg = Config::from_env()?;
    let generated = TempFile::new("records.jsonl", cfg.keep);
    let (input, path) = match &cfg.file {
        Some(p) => (
            std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?,
            p.clone(),
        ),
        None => {
            let mut input = Vec::new();
            merit::gen::generate_with(
                &merit::gen::Shape {
                    referrers: cfg.referrers,
                },
                cfg.seed,
                cfg.records,
                &mut input,
            )
            .map_err(|e| e.to_string())?;
            std::fs::write(&generated.path, &input)
                .map_err(|e| format!("{}: {e}", generated.path.display()))?;
            (input, generated.path.clone())
        }
    };
    let bytes = input.len() as u64;
    let records = count_lines(&input);
    let is_benchmark_program = cfg.program.ends_with("rules-examples/benchmark.rules");
    println!("# merit whole-run benchmark");
    println!(
        "records: {records} ({:.1} MB, {}), program {}, as of {}, best of {} runs",
        bytes as f64 / 1e6,
        match &cfg.file {
            Some(p) => p.display().to_string(),
            None => format!("seed {}, {} referrers at most", cfg.seed, cfg.referrers),
        },
        cfg.program.display(),
        cfg.as_of,
        cfg.runs
    );
    println!("binary: {MERIT}");
    println!();
    println!("| step | records/s | MB/s | wall s | vs baseline | peak RSS MiB |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let row = |name: &str, d: Duration, base: Option<Duration>, peak: Option<u64>| {
        let (rps, mbps) = rate(records, bytes, d);
        let ratio = base
            .map(|b| format!("{:.2}", b.as_secs_f64() / d.as_secs_f64().max(1e-9)))
            .unwrap_or_else(|| "-".into());
        let peak = peak
            .map(|k| format!("{:.1}", k as f64 / 1024.0))
            .unwrap_or_else(|| "-".into());
        println!(
            "| {name} | {rps:.0} | {mbps:.0} | {:.3} | {ratio} | {peak} |",
            d.as_secs_f64()
        );
    };
    let (t, _) = best(cfg.runs, || count_lines(black_box(&input)));
    row("read_lines (in memory)", t, None, None);
    let (t, _) = best(cfg.runs, || parse_values(black_box(&input)));
    row("parse_value (serde_json::Value)", t, None, None);
    baseline_rule::self_check().map_err(|e| format!("baseline rule self-check: {e}"))?;
    let (base_time, baseline) = best(cfg.runs, || baseline_rule::run_baseline(black_box(&input)));
    row(
        "typed baseline (run_baseline)",
        base_time,
        Some(base_time),
        None,
    );
    drop(input);

    let mut outputs: Vec<(usize, TempFile)> = Vec::new();
    let mut by_threads: Vec<(usize, Duration)> = Vec::new();
    for &threads in &cfg.threads {
        let out = TempFile::new(&format!("ledger-t{threads}.jsonl"), cfg.keep);
        let args: Vec<String> = vec![
            "run".into(),
            cfg.program.display().to_string(),
            "--records".into(),
            path.display().to_string(),
            "--as-of".into(),
            cfg.as_of.clone(),
            "--threads".into(),
            threads.to_string(),
            "--format".into(),
            "jsonl".into(),
            "--keep-going".into(),
        ];
        let mut best_run: Option<ChildRun> = None;
        let mut peak = 0;
        for _ in 0..cfg.runs {
            let r = run_child(&args, &out.path)?;
            if !r.ok {
                return Err(format!("merit {} failed:\n{}", args.join(" "), r.stderr));
            }
            peak = peak.max(r.peak_kib.unwrap_or(0));
            if best_run.as_ref().is_none_or(|b| r.wall < b.wall) {
                best_run = Some(r);
            }
        }
        let Some(r) = best_run else { continue };
        row(
            &format!("merit run --threads {threads} --format jsonl"),
            r.wall,
            Some(base_time),
            r.peak_kib.map(|_| peak),
        );
        by_threads.push((threads, r.wall));
        outputs.push((threads, out));
    }
    println!();
    if let [(t1, d1), rest @ ..] = by_threads.as_slice() {
        for (t, d) in rest {
            println!(
                "speed-up of --threads {t} over --threads {t1}: {:.2}x",
                d1.as_secs_f64() / d.as_secs_f64().max(1e-9)
            );
        }
    }

    // Same bytes whatever the thread count; the same rewards as the baseline.
    let mut first: Option<Vec<u8>> = None;
    for (threads, out) in &outputs {
        let bytes = std::fs::read(&out.path).map_err(|e| e.to_string())?;
        match &first {
            None => first = Some(bytes),
            Some(f) if *f == bytes => {}
            Some(_) => return Err(format!("--threads {threads} wrote different bytes")),
        }
    }
    if let Some(ledger) = &first {
        let paid = tally(ledger)?;
        println!(
            "ledger: {} lines, {} referrer_payout, referrer cents {:?} per {:?}",
            paid.lines,
            paid.payout_lines,
            paid.cents,
            baseline_rule::CURRENCIES
        );
        println!(
            "baseline: {} reward lines, {} qualifying, referrer cents {:?}",
            baseline.reward_count, baseline.qualifying, baseline.referrer_cents
        );
        if is_benchmark_program {
            let same = paid.lines == baseline.reward_count
                && paid.payout_lines == baseline.qualifying
                && paid.cents == baseline.referrer_cents
                && paid.other == 0;
            if !same {
                return Err("merit and the baseline pay different rewards".into());
            }
            println!("check: merit pays exactly what the baseline pays");
        }
    }

    if cfg.check_lines > 0 {
        let program = TempFile::new("big.rules", cfg.keep);
        let text = big_program(cfg.check_lines);
        let mut f = std::fs::File::create(&program.path).map_err(|e| e.to_string())?;
        f.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        drop(f);
        let sink = TempFile::new("check.txt", false);
        let args = vec!["check".to_string(), program.path.display().to_string()];
        let mut best_run: Option<ChildRun> = None;
        for _ in 0..cfg.runs.max(5) {
            let r = run_child(&args, &sink.path)?;
            if !r.ok {
                return Err(format!("merit check failed:\n{}", r.stderr));
            }
            let said = std::fs::read_to_string(&sink.path).unwrap_or_default();
            if said.contains("warning") {
                return Err(format!("the generated program is not clean:\n{said}"));
            }
            if best_run.as_ref().is_none_or(|b| r.wall < b.wall) {
                best_run = Some(r);
            }
        }
        if let Some(r) = best_run {
            println!(
                "merit check on a {}-line program: {:.1} ms (peak RSS {:.1} MiB)",
                text.lines().count(),
                r.wall.as_secs_f64() * 1000.0,
                r.peak_kib.unwrap_or(0) as f64 / 1024.0
            );
        }
    }
    Ok(())
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    if let Err(e) = run() {
        eprintln!("whole_run bench: {e}");
        std::process::exit(1);
    }
}
