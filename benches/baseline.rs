//! Baseline benchmarks for the performance issue: how fast can the workload be read,
//! parsed generically, and judged by the hand-written typed reference rule?
//!
//! The workload is produced in memory by [`merit::gen::generate`] (default: seed 1,
//! 20,000 records, about 8.4 MB). Each benchmark is reported twice, once per
//! throughput unit: group `baseline_bytes` (MB/s) and group `baseline_records`
//! (records/s).
//!
//! Environment knobs:
//! - `MERIT_BENCH_RECORDS`: number of records (default 20000);
//! - `MERIT_BENCH_SEED`: generator seed (default 1);
//! - `MERIT_BENCH_DUMP`: also write the workload to this path (e.g. `bench/data/w.jsonl`).

#[path = "baseline_rule.rs"]
mod baseline_rule;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};

const DEFAULT_RECORDS: u64 = 20_000;
const DEFAULT_SEED: u64 = 1;

fn env_u64(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|e| format!("{name}={v:?} is not a whole number: {e}")),
        Err(_) => Ok(default),
    }
}

/// (a) Split the buffer into lines and count them.
fn count_lines(input: &[u8]) -> u64 {
    input
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .count() as u64
}

/// (b) Parse every line into a generic `serde_json::Value`; count the objects.
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

fn bench_group(c: &mut Criterion, name: &str, throughput: Throughput, input: &[u8]) {
    let mut group = c.benchmark_group(name);
    group.throughput(throughput);
    group.bench_function("read_lines", |b| b.iter(|| count_lines(black_box(input))));
    group.bench_function("parse_value", |b| b.iter(|| parse_values(black_box(input))));
    group.bench_function("typed_rule", |b| {
        b.iter(|| baseline_rule::run_baseline(black_box(input)))
    });
    group.finish();
}

fn run() -> Result<(), String> {
    let records = env_u64("MERIT_BENCH_RECORDS", DEFAULT_RECORDS)?;
    let seed = env_u64("MERIT_BENCH_SEED", DEFAULT_SEED)?;
    let mut input = Vec::new();
    merit::gen::generate(seed, records, &mut input).map_err(|e| e.to_string())?;
    if let Ok(path) = std::env::var("MERIT_BENCH_DUMP") {
        std::fs::write(&path, &input).map_err(|e| format!("writing {path}: {e}"))?;
        eprintln!("wrote {} bytes to {path}", input.len());
    }

    baseline_rule::self_check().map_err(|e| format!("baseline rule self-check: {e}"))?;
    let summary = baseline_rule::run_baseline(&input);
    eprintln!(
        "workload: seed {seed}, {records} records, {} bytes ({:.0} bytes/record)",
        input.len(),
        input.len() as f64 / records.max(1) as f64
    );
    eprintln!(
        "baseline: {summary:?} (cents per {:?})",
        baseline_rule::CURRENCIES
    );

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_group(
        &mut c,
        "baseline_bytes",
        Throughput::Bytes(input.len() as u64),
        &input,
    );
    bench_group(
        &mut c,
        "baseline_records",
        Throughput::Elements(records),
        &input,
    );
    c.final_summary();
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("baseline bench: {e}");
        std::process::exit(1);
    }
}
