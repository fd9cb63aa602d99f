//! The streaming evaluator (`merit run --format jsonl|csv`) writes exactly the lines, and
//! reports exactly the problems, of the in-memory evaluator: on every example and every
//! evaluator case, with the input shuffled, on 1 and 3 threads, and with so little sort memory
//! that every entry goes to disk.

use chrono::NaiveDate;
use merit::eval::stream::{evaluate_lines, streamable, LineFormat, Spill};
use merit::eval::{evaluate, Options};
use merit::output::{render, Format};
use merit::program::Program;
use std::path::{Path, PathBuf};

/// A program, its records and the as-of date to judge them at.
struct Case {
    name: String,
    program: Program,
    records: String,
    as_of: NaiveDate,
}

fn compile(name: &str, source: &str) -> Program {
    let checked = merit::check(&merit::parse(name, source));
    checked
        .program
        .unwrap_or_else(|| panic!("{name}: {:?}", checked.diagnostics))
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root.join("rules-examples"))
        .expect("rules-examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    examples.sort();
    for p in examples {
        let name = format!("{}", p.display());
        out.push(Case {
            program: compile(&name, &std::fs::read_to_string(&p).expect("example")),
            records: std::fs::read_to_string(p.with_extension("jsonl")).expect("records"),
            as_of: NaiveDate::from_ymd_opt(2025, 12, 31).expect("date"),
            name,
        });
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("tests/cases/eval"))
        .expect("eval cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    for d in dirs {
        let read = |f: &str| std::fs::read_to_string(d.join(f)).expect("case file");
        let name = format!("{}", d.display());
        out.push(Case {
            program: compile(&name, &read("program.rules")),
            records: read("records.jsonl"),
            as_of: NaiveDate::parse_from_str(read("as_of").trim(), "%Y-%m-%d").expect("as_of"),
            name,
        });
    }
    out
}

/// The in-memory evaluator's lines in `format`, and its problems.
fn in_memory(case: &Case, records: &str, format: Format) -> (String, Vec<String>) {
    let ledger = evaluate(
        &case.program,
        records.as_bytes(),
        &Options::as_of(case.as_of),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", case.name))
    .ledger;
    let problems = ledger.problems.iter().map(|p| p.to_string()).collect();
    (render(&ledger, format), problems)
}

/// The streaming evaluator's output and problems.
fn streamed(
    case: &Case,
    records: &str,
    format: LineFormat,
    threads: usize,
    memory: usize,
) -> (String, Vec<String>) {
    let mut opts = Options::as_of(case.as_of);
    opts.threads = threads;
    let spill = Spill {
        dir: std::env::temp_dir(),
        memory,
    };
    let s = evaluate_lines(&case.program, records.as_bytes(), &opts, format, &spill)
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let problems = s.problems().iter().map(|p| p.to_string()).collect();
    let mut out = Vec::new();
    s.write(&mut out).expect("write to memory");
    (String::from_utf8(out).expect("utf-8"), problems)
}

/// The record lines in a fixed, shuffled order (a deterministic permutation).
fn shuffled(records: &str) -> String {
    let mut lines: Vec<&str> = records.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..lines.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = (seed % (i as u64 + 1)) as usize;
        lines.swap(i, j);
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

#[test]
fn streamed_lines_equal_the_in_memory_ledger() {
    let mut compared = 0;
    for case in cases() {
        if !streamable(&case.program) {
            continue;
        }
        let records = case.records.clone();
        for (format, line_format) in [
            (Format::Jsonl, LineFormat::Jsonl),
            (Format::Csv, LineFormat::Csv),
        ] {
            let (want, want_problems) = in_memory(&case, &records, format);
            for threads in [1, 3] {
                for memory in [1, 24 << 20] {
                    for input in [records.clone(), shuffled(&records)] {
                        let (got, got_problems) =
                            streamed(&case, &input, line_format, threads, memory);
                        assert_eq!(
                            got, want,
                            "{}: {format:?}, {threads} thread(s), memory {memory}",
                            case.name
                        );
                        // Problems name lines, which shuffling moves: compare them unshuffled.
                        if input == records {
                            assert_eq!(got_problems, want_problems, "{}", case.name);
                        } else {
                            assert_eq!(got_problems.len(), want_problems.len(), "{}", case.name);
                        }
                    }
                }
            }
        }
        compared += 1;
    }
    // Most programs stream; only `duplicates by` and `minimum payout` ones do not.
    assert!(compared >= 15, "only {compared} programs were compared");
}

#[test]
fn programs_that_need_every_line_first_are_not_streamed() {
    let by_name = |n: &str| {
        cases()
            .into_iter()
            .find(|c| c.name.ends_with(n))
            .unwrap_or_else(|| panic!("no case {n}"))
    };
    assert!(!streamable(&by_name("duplicates-keep-first").program));
    assert!(!streamable(&by_name("budget-and-minimum-payout").program));
    assert!(streamable(&by_name("benchmark.rules").program));
    // Asked anyway, the streaming evaluator refuses rather than ignore the minimum payout.
    let case = by_name("budget-and-minimum-payout");
    let refused = evaluate_lines(
        &case.program,
        case.records.as_bytes(),
        &Options::as_of(case.as_of),
        LineFormat::Jsonl,
        &Spill::default(),
    );
    assert!(matches!(refused, Err(e) if e.kind() == std::io::ErrorKind::InvalidInput));
}

#[test]
fn a_json_array_streams_like_json_lines() {
    let case = cases()
        .into_iter()
        .find(|c| c.name.ends_with("advocates.rules"))
        .expect("advocates example");
    let array = format!(
        "[{}]",
        case.records
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(",\n")
    );
    let (want, _) = in_memory(&case, &case.records, Format::Jsonl);
    for threads in [1, 2] {
        let (got, problems) = streamed(&case, &array, LineFormat::Jsonl, threads, 1);
        assert_eq!(got, want);
        assert!(problems.is_empty(), "{problems:?}");
    }
}

/// A spill folder that cannot be written is an error on every thread count: the workers
/// (which sort and spill their own entries) report it, and the run neither hangs nor panics.
#[test]
fn a_spill_folder_that_cannot_be_written_is_an_error() {
    let case = cases()
        .into_iter()
        .find(|c| c.name.ends_with("advocates.rules"))
        .expect("advocates example");
    let records: String = std::iter::repeat_n(case.records.as_str(), 40).collect();
    let dir = std::env::temp_dir().join(format!("merit-no-such-folder-{}", std::process::id()));
    for threads in [1, 3] {
        let mut opts = Options::as_of(case.as_of);
        opts.threads = threads;
        let spill = Spill {
            dir: dir.clone(),
            memory: 1,
        };
        let got = evaluate_lines(
            &case.program,
            records.as_bytes(),
            &opts,
            LineFormat::Jsonl,
            &spill,
        );
        let e = got.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.contains("cannot create a temporary file in"),
            "{threads} thread(s): {e:?}"
        );
    }
}

/// Duplicated record ids are found across blocks of input: the generator's records come in id
/// order (so the check at the end is skipped), and a copy of one of them, placed next to it,
/// at the far end, or before it, makes every copy a problem with no lines, as in memory.
#[test]
fn record_ids_on_two_lines_are_found_across_blocks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("rules-examples/benchmark.rules"))
        .expect("benchmark example");
    let program = compile("benchmark.rules", &source);
    let mut bytes = Vec::new();
    merit::gen::generate(7, 4_000, &mut bytes).expect("generate");
    let records = String::from_utf8(bytes).expect("utf-8");
    // Several of the reader's blocks (512 KiB each).
    assert!(records.len() > 3 << 19, "{} bytes", records.len());
    let lines: Vec<&str> = records.lines().collect();
    // A record that qualifies, so that leaving it out changes the ledger.
    let (at, copied) = lines
        .iter()
        .enumerate()
        .skip(2_000)
        .find(|(_, l)| l.contains("closed_won\"}") && l.contains("\"health_score\":9"))
        .map(|(i, l)| (i, l.to_string()))
        .expect("a qualifying record");
    let with_copy = |pos: usize| {
        let mut v: Vec<&str> = lines.clone();
        v.insert(pos, &copied);
        let mut s = v.join("\n");
        s.push('\n');
        s
    };
    let case = |records: String| Case {
        name: "benchmark".into(),
        program: program.clone(),
        records,
        as_of: NaiveDate::from_ymd_opt(2030, 12, 31).expect("date"),
    };
    let unique = case(records.clone());
    let (want, want_problems) = in_memory(&unique, &records, Format::Jsonl);
    assert!(want_problems.is_empty(), "{want_problems:?}");
    for threads in [1, 2] {
        let (got, problems) = streamed(&unique, &records, LineFormat::Jsonl, threads, 24 << 20);
        assert_eq!(got, want, "{threads} thread(s)");
        assert!(problems.is_empty(), "{problems:?}");
    }
    let id = copied.split('"').nth(3).expect("id").to_string();
    let unique_len = want.len();
    for pos in [at + 1, lines.len(), 10] {
        let input = with_copy(pos);
        let c = case(input.clone());
        let (want, want_problems) = in_memory(&c, &input, Format::Jsonl);
        assert_eq!(want_problems.len(), 2, "{want_problems:?}");
        assert!(!want.contains(&format!("\"record_id\":\"{id}\"")));
        assert!(want.len() < unique_len, "the copies earn nothing");
        for threads in [1, 2] {
            let (got, problems) = streamed(&c, &input, LineFormat::Jsonl, threads, 24 << 20);
            assert_eq!(got, want, "copy at {pos}, {threads} thread(s)");
            assert_eq!(
                problems, want_problems,
                "copy at {pos}, {threads} thread(s)"
            );
        }
    }
}
