//! Hostile input, through the real binary: every case gets a clear message naming the place
//! (file:line:col for rules, line/id/field for records), a documented exit code, no panic, and no
//! output file left behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PROGRAM: &str = "rules-examples/benchmark.rules";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn merit_with_stdin(args: &[&str], stdin: &[u8]) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_merit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("merit starts");
    if let Some(mut i) = child.stdin.take() {
        // The child may stop reading early (a usage error); a broken pipe is fine then.
        let _ = i.write_all(stdin);
    }
    let out = child.wait_with_output().expect("merit finishes");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A file in a folder of its own (tests run in parallel and look for leftover temporary files).
fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir()
        .join(format!("merit-hostile-{}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(&d).expect("temp dir");
    d.join(name)
}

/// Runs the benchmark program over `records` (given on standard input) with `--output`.
/// Asserts: no panic, the exit code, the message, and no output file when the run fails.
/// Runs the records through `merit run`, in memory (`json`) and streamed (`jsonl`): the same
/// exit code and messages, no panic, and nothing left behind by a failed run.
fn records_case(name: &str, records: &[u8], code: i32, expect: &[&str]) {
    records_case_with(name, &[], records, code, expect);
}

/// [`records_case`] with more arguments for `merit run`; returns the standard error of the
/// `json` run, then of the `jsonl` run (the ledgers are in `temp("{name}.{format}")`).
fn records_case_with(
    name: &str,
    extra: &[&str],
    records: &[u8],
    code: i32,
    expect: &[&str],
) -> Vec<String> {
    let mut stderrs = Vec::new();
    for format in ["json", "jsonl"] {
        let out_file = temp(&format!("{name}.{format}"));
        let _ = std::fs::remove_file(&out_file);
        let out_path = out_file.display().to_string();
        let o = merit_with_stdin(
            &[
                "run",
                PROGRAM,
                "--records",
                "-",
                "--as-of",
                "2025-12-31",
                "--format",
                format,
                "--output",
                &out_path,
            ]
            .iter()
            .chain(extra)
            .copied()
            .collect::<Vec<_>>(),
            records,
        );
        let name = format!("{name} ({format})");
        assert!(
            !o.stderr.contains("internal error"),
            "{name}: panicked: {}",
            o.stderr
        );
        assert_eq!(o.code, code, "{name}: exit code; stderr: {}", o.stderr);
        for e in expect {
            assert!(
                o.stderr.contains(e),
                "{name}: expected {e:?} in:\n{}",
                o.stderr
            );
        }
        if code != 0 {
            assert!(
                !out_file.exists(),
                "{name}: a failed run left {}",
                out_file.display()
            );
        }
        let leftovers: Vec<_> = std::fs::read_dir(out_file.parent().unwrap_or(Path::new(".")))
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "{name}: temporary files left: {leftovers:?}"
        );
        stderrs.push(o.stderr);
    }
    stderrs
}

fn good(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","created_at":"2025-02-01T10:00:00Z","referrer":{{"id":"C1","health_score":80}},"referee":{{"id":"P1"}},"deal":{{"amount":"1000.00","currency":"USD","stage":"closed_won"}},"events":[{{"kind":"closed_won","at":"2025-02-10T10:00:00Z"}}]}}"#
    )
}

fn with_amount(id: &str, amount: &str) -> String {
    good(id).replace(r#""amount":"1000.00""#, &format!(r#""amount":{amount}"#))
}

fn with_created(id: &str, created: &str) -> String {
    good(id).replace("2025-02-01T10:00:00Z", created)
}

#[test]
fn numbers_that_are_not_exact_amounts() {
    let cases: &[(&str, &str, &str)] = &[
        ("nan", "NaN", "malformed JSON"),
        ("infinity", "Infinity", "malformed JSON"),
        ("exponent-overflow", "1e400", "cannot be held exactly"),
        (
            "garbage-suffix",
            r#""1.23abc""#,
            "`1.23abc` is not a number",
        ),
        (
            "29-decimals",
            r#""0.12345678901234567890123456789""#,
            "cannot be held exactly",
        ),
        (
            "beyond-decimal-range",
            r#""99999999999999999999999999999999""#,
            "cannot be held exactly",
        ),
        (
            "more-decimals-than-usd",
            r#""10.001""#,
            "more decimals than USD allows",
        ),
        (
            "beyond-the-largest-amount",
            r#""100000000000000000000.00""#,
            "beyond the largest amount merit accepts",
        ),
    ];
    for (name, amount, msg) in cases {
        let line = with_amount("H1", amount);
        records_case(name, line.as_bytes(), 1, &["line 1", "record H1", msg]);
    }
    // A JSON number (not a string) with two decimals is read exactly.
    records_case(
        "json-number-amount",
        with_amount("H1", "1000.10").as_bytes(),
        0,
        &[],
    );
}

#[test]
fn dates_and_times_that_do_not_exist() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "feb-29-2023",
            "2023-02-29T10:00:00Z",
            "not an RFC 3339 timestamp",
        ),
        (
            "hour-24",
            "2025-02-01T24:00:00Z",
            "not an RFC 3339 timestamp",
        ),
        ("no-offset", "2025-02-01T10:00:00", "has no offset"),
    ];
    for (name, created, msg) in cases {
        let line = with_created("H2", created);
        records_case(
            name,
            line.as_bytes(),
            1,
            &["line 1", "record H2", "field created_at", msg],
        );
    }
    // A 60th second (a leap second, or a time that does not exist) is a record problem.
    for (name, created) in [
        ("leap-second", "2016-12-31T23:59:60Z"),
        ("second-60", "2025-02-01T10:00:60+01:00"),
    ] {
        let line = with_created("H3", created);
        records_case(
            name,
            line.as_bytes(),
            1,
            &["record H3", "field created_at", "60th second"],
        );
    }
}

#[test]
fn work_limits_name_the_limit_the_record_and_the_rule() {
    let events = good("E1").replace(
        r#""events":[{"kind":"closed_won","at":"2025-02-10T10:00:00Z"}]"#,
        r#""events":[{"kind":"closed_won","at":"2025-02-10T10:00:00Z"},{"kind":"closed_won","at":"2025-02-11T10:00:00Z"},{"kind":"closed_won","at":"2025-02-12T10:00:00Z"}]"#,
    );
    records_case_with(
        "max-events",
        &["--max-events", "2"],
        events.as_bytes(),
        1,
        &[
            "record E1",
            "field events",
            "3 events",
            "limit of 2",
            "--max-events",
        ],
    );
    // Looking at three events for the milestone passes a limit of two steps.
    records_case_with(
        "max-record-work",
        &["--max-record-work", "2"],
        events.as_bytes(),
        1,
        &[
            "record E1",
            "milestone",
            "more evaluation steps than the limit",
            "--max-record-work",
        ],
    );
    // The benchmark program gives each qualifying record two lines.
    records_case_with(
        "max-record-lines",
        &["--max-record-lines", "1"],
        good("L1").as_bytes(),
        1,
        &[
            "record L1",
            "reward `referee_discount`",
            "limit of 1 reward lines per record",
        ],
    );
    // The record's object is level 1, `deal` level 2: a list in it is level 3.
    let nested = good("J1").replace(r#""stage":"#, r#""notes":[[]],"stage":"#);
    records_case_with(
        "max-json-depth",
        &["--max-json-depth", "3"],
        nested.as_bytes(),
        1,
        &[
            "line 1",
            "record J1",
            "field deal.notes",
            "deeper than the limit of 3 levels",
            "--max-json-depth",
        ],
    );
    records_case_with(
        "json-depth-at-limit",
        &["--max-json-depth", "4"],
        nested.as_bytes(),
        0,
        &[],
    );
    let three = format!("{}\n{}\n{}\n", good("N1"), good("N2"), good("N3"));
    records_case_with(
        "max-run-lines",
        &["--max-run-lines", "5"],
        three.as_bytes(),
        2,
        &["more than 5 reward lines", "--max-run-lines"],
    );
    // At the limit exactly, the run goes through.
    records_case_with(
        "run-lines-at-limit",
        &["--max-run-lines", "6"],
        three.as_bytes(),
        0,
        &[],
    );
}

/// Every record of a file with one id is a problem, and each says so in a message of bounded
/// length (the first ten lines and how many in all), in memory and streamed: the report grows
/// with the records, not with their square.
#[test]
fn one_id_on_every_line_gives_bounded_messages() {
    let n = 5_000;
    let line = good("SAME");
    let input: String = (0..n).map(|_| format!("{line}\n")).collect();
    let want = format!(
        "record problem: line 1, record SAME, field id: the record id appears on {n} lines: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and {} more",
        n - 10
    );
    let stderrs = records_case_with("one-id", &["--keep-going"], input.as_bytes(), 0, &[&want]);
    for (format, stderr) in ["json", "jsonl"].iter().zip(stderrs) {
        // About 130 bytes a record (a message naming all 5,000 lines would make 150 MB).
        assert!(
            stderr.len() < n * 200,
            "{format}: {} bytes of problems",
            stderr.len()
        );
        let ledger = std::fs::read_to_string(temp(&format!("one-id.{format}"))).expect("ledger");
        // No line at all (every line names its recipient; the problems, in `json`, do not).
        assert!(!ledger.contains("\"recipient\""), "{format}: SAME was paid");
    }
}

#[test]
fn a_record_lists_at_most_its_limit_of_problems() {
    // 150 events with a broken time, on two lines with the same id: 151 problems each.
    let events: Vec<String> = (0..150)
        .map(|i| format!(r#"{{"kind":"closed_won","at":"bad{i}"}}"#))
        .collect();
    let line = good("P1").replace(
        r#""events":[{"kind":"closed_won","at":"2025-02-10T10:00:00Z"}]"#,
        &format!(r#""events":[{}]"#, events.join(",")),
    );
    let input = format!("{line}\n{line}\n");
    for (extra, listed) in [(&[][..], 100), (&["--max-record-problems", "3"][..], 3)] {
        for format in ["json", "jsonl"] {
            let args = [
                &[
                    "run",
                    PROGRAM,
                    "--records",
                    "-",
                    "--as-of",
                    "2025-12-31",
                    "--format",
                    format,
                ][..],
                extra,
            ]
            .concat();
            let o = merit_with_stdin(&args, input.as_bytes());
            assert_eq!(o.code, 1, "{}", o.stderr);
            let problems: Vec<&str> = o
                .stderr
                .lines()
                .filter(|l| l.starts_with("record problem: "))
                .collect();
            assert_eq!(problems.len(), 2 * (listed + 1), "{format} {extra:?}");
            for n in [1, 2] {
                let note = format!("record problem: line {n}, record P1: the record has 151 problems, {listed} of them listed (limit --max-record-problems)");
                assert!(problems.contains(&note.as_str()), "{}", o.stderr);
                let last = format!("line {n}, record P1, field events[{}].at", listed - 1);
                assert!(problems.iter().any(|p| p.contains(&last)), "{}", o.stderr);
            }
            assert!(o.stderr.contains("2 record(s) could not be judged"));
        }
    }
}

#[test]
fn malformed_files() {
    let dup = format!("{}\n{}\n", good("D1"), good("D1"));
    records_case(
        "duplicate-ids",
        dup.as_bytes(),
        1,
        &[
            "line 1",
            "line 2",
            "record D1",
            "field id",
            "appears on lines 1, 2",
        ],
    );
    let dup_key = good("K1").replace(
        r#""health_score":80"#,
        r#""health_score":80,"health_score":10"#,
    );
    records_case(
        "duplicate-json-key",
        dup_key.as_bytes(),
        1,
        &["record K1", "referrer.health_score", "appears twice"],
    );
    // Any key twice in an object merit reads, not only a declared field: a second `currency`
    // would change the payout's currency, a second `kind` the event.
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "duplicate-currency",
            r#""currency":"USD""#,
            r#""currency":"EUR","currency":"USD""#,
            "deal.currency",
        ),
        (
            "duplicate-undeclared-key",
            r#""id":"C1""#,
            r#""id":"C1","region":"EU","region":"US""#,
            "referrer.region",
        ),
        (
            "duplicate-object",
            r#""deal":{"#,
            r#""deal":null,"deal":{"#,
            "deal",
        ),
        (
            "duplicate-event-kind",
            r#""kind":"closed_won""#,
            r#""kind":"demo","kind":"closed_won""#,
            "events[0].kind",
        ),
    ];
    for (name, from, to, field) in cases {
        let line = good("K2").replacen(from, to, 1);
        assert_ne!(line, good("K2"), "{name}: nothing replaced");
        records_case(
            name,
            line.as_bytes(),
            1,
            &["record K2", &format!("field {field}"), "appears twice"],
        );
    }
    records_case(
        "trailing-garbage",
        format!("{} trailing", good("T1")).as_bytes(),
        1,
        &["line 1", "malformed JSON"],
    );
    records_case(
        "not-json",
        b"id,created_at\nR1,2025-01-01\n",
        1,
        &["line 1", "line 2"],
    );
    records_case(
        "invalid-utf8",
        b"{\"id\":\"U1\xff\"}\n",
        1,
        &["line 1", "not valid UTF-8"],
    );
    records_case(
        "json-10000-deep",
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).as_bytes(),
        1,
        &[
            "line 1",
            "nests deeper than the limit of 64 levels (--max-json-depth)",
        ],
    );
    let deep_field = good("N1").replace(
        r#""referee":{"id":"P1"}"#,
        &format!(
            r#""referee":{{"id":"P1","x":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    // Nesting counts in fields the program does not read too, and the problem names the field.
    records_case(
        "ignored-field-nested-10000-deep",
        deep_field.as_bytes(),
        1,
        &[
            "line 1",
            "record N1",
            "field referee.x",
            "limit of 64 levels",
            "--max-json-depth",
        ],
    );
    // Past a raised limit, such nesting is skipped without recursion: judged normally.
    records_case_with(
        "ignored-field-nested-10000-deep-allowed",
        &["--max-json-depth", "20000"],
        deep_field.as_bytes(),
        0,
        &[],
    );
    // Nesting inside a field it reads is a problem naming the field.
    let deep_read = good("N2").replace(
        r#""health_score":80"#,
        &format!(
            r#""health_score":{}{}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    records_case(
        "read-field-nested-10000-deep",
        deep_read.as_bytes(),
        1,
        &[
            "record N2",
            "field referrer.health_score",
            "--max-json-depth",
        ],
    );
    // Accepted: a byte-order mark, CRLF line endings, blank lines, an empty file.
    let bom = format!("\u{feff}{}\r\n\r\n{}\r\n", good("B1"), good("B2"));
    records_case("bom-and-crlf", bom.as_bytes(), 0, &[]);
    records_case("empty-file", b"", 0, &[]);
    // A JSON array works like JSON Lines; a broken one names the line.
    records_case(
        "json-array",
        format!("[\n{},\n{}\n]\n", good("A1"), good("A2")).as_bytes(),
        0,
        &[],
    );
    records_case(
        "broken-json-array",
        format!("[\n{},\n{{\"id\": \n", good("A1")).as_bytes(),
        1,
        &["malformed"],
    );
}

#[test]
fn a_huge_line_is_refused_without_holding_it() {
    // 64 MiB on one line against a 1 MiB limit: reported, never buffered whole.
    let mut big = Vec::with_capacity(64 << 20);
    big.extend_from_slice(br#"{"id":"BIG","pad":""#);
    big.resize(64 << 20, b'x');
    big.extend_from_slice(b"\"}\n");
    big.extend_from_slice(good("OK1").as_bytes());
    big.push(b'\n');
    let o = merit_with_stdin(
        &[
            "run",
            PROGRAM,
            "--records",
            "-",
            "--as-of",
            "2025-12-31",
            "--max-line-bytes",
            "1048576",
            "--keep-going",
            "--format",
            "jsonl",
        ],
        &big,
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("line 1") && o.stderr.contains("longer than the limit of 1048576 bytes"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.contains("OK1"), "the next line is still judged");
}

/// The peak resident memory of a running process, in KiB (Linux; `None` elsewhere).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_one_gib_line_is_skipped_in_bounded_memory() {
    // Line 1 is a good record, line 2 is 1 GiB, line 3 is broken: the reader skips line 2
    // (holding at most the 16 MiB limit of it) and goes on with line 3. Written in chunks by a
    // thread, never held whole; a broken pipe (merit stopping early) ends the writer.
    const GIB: usize = 1 << 30;
    let out_file = temp("one-gib.jsonl");
    let _ = std::fs::remove_file(&out_file);
    let start = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_merit"))
        .args(["run", PROGRAM, "--records", "-", "--as-of", "2025-12-31"])
        .args(["--format", "jsonl", "--output"])
        .arg(&out_file)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("merit starts");
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || -> (usize, Option<u64>) {
        let mut written = 0usize;
        let mut put = |bytes: &[u8], written: &mut usize| -> bool {
            let ok = stdin.write_all(bytes).is_ok();
            if ok {
                *written += bytes.len();
            }
            ok
        };
        let head = format!("{}\n{{\"id\":\"BIG\",\"pad\":\"", good("G1"));
        let chunk = vec![b'x'; 1 << 20];
        let mut ok = put(head.as_bytes(), &mut written);
        let mut padded = 0;
        while ok && padded < GIB {
            ok = put(&chunk, &mut written);
            padded += chunk.len();
        }
        // merit is still reading the long line: its peak memory so far covers skipping it.
        let peak = peak_rss_kib(pid);
        if ok {
            put(b"\"}\n{\"id\": broken\n", &mut written);
        }
        (written, peak)
    });
    // A watchdog: neither side may hang.
    let deadline = std::time::Duration::from_secs(300);
    let status = loop {
        if let Some(s) = child.try_wait().expect("merit runs") {
            break s;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            panic!("merit did not finish reading a 1 GiB line in {deadline:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let (written, peak) = writer.join().expect("the writer ends");
    let out = child.wait_with_output().expect("merit ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("internal error"), "{stderr}");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "record problem: line 2: the line is longer than the limit of 16777216 bytes"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("record problem: line 3: malformed JSON"),
        "{stderr}"
    );
    assert!(stderr.contains("2 record(s) could not be judged; nothing was written"));
    assert!(
        !out_file.exists(),
        "a failed run left {}",
        out_file.display()
    );
    assert!(written > GIB, "merit read all of it ({written} bytes)");
    if let Some(kib) = peak {
        assert!(
            kib < 256 << 10,
            "merit held {kib} KiB while skipping a 1 GiB line"
        );
    }
}

#[test]
fn hostile_rule_files() {
    let run_check = |name: &str, text: &str| {
        let path = temp(name);
        std::fs::write(&path, text).expect("write");
        let o = merit_with_stdin(&["check", &path.display().to_string()], b"");
        assert!(!o.stderr.contains("internal error"), "{name}: {}", o.stderr);
        (o.code, o.stdout)
    };
    let header = "program \"H\" { currency USD timezone \"UTC\" }\n";
    let deep = format!(
        "{header}condition c = {}true{}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let (code, out) = run_check("deep-parens.rules", &deep);
    assert_eq!(code, 1);
    assert!(
        out.contains("M0004") && out.contains("deep-parens.rules:2:"),
        "{out}"
    );
    assert!(out.contains("name part of the expression"), "{out}");
    // Blocks that nest past the limit (every `{` left open) get a hint about blocks instead.
    let open = format!(
        "{header}{}",
        "events { won }\nmilestone m = event won\nreward r on m to referrer {\n".repeat(70)
    );
    let (code, out) = run_check("open-blocks.rules", &open);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("M0004") && out.contains("is never closed") && !out.contains("condition"),
        "{out}"
    );
    let nots = format!("{header}condition c = {}true\n", "not ".repeat(10_000));
    let (code, out) = run_check("deep-nots.rules", &nots);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("M0004"), "{out}");
    let negs = format!("{header}param p = {}1\n", "- ".repeat(10_000));
    let (code, out) = run_check("deep-negs.rules", &negs);
    assert_eq!(code, 1, "{out}");
    // A run of `-` is not brackets: the message says what nested.
    let negs = format!(
        "{header}param x = 1\ncondition c = {}x < 0\n",
        "- ".repeat(65)
    );
    let (code, out) = run_check("deep-negs-65.rules", &negs);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("M0004")
            && out.contains("prefix `-` operators nest more than 64 deep")
            && out.contains("--max-rule-depth")
            && !out.contains("brackets"),
        "{out}"
    );
    let negs = format!(
        "{header}param x = 1\ncondition c = {}x < 0\n",
        "- ".repeat(64)
    );
    let (code, out) = run_check("deep-negs-64.rules", &negs);
    assert_eq!(code, 0, "{out}");
    let huge = format!("{header}{}", "# padding comment line\n".repeat(500_000));
    let (code, out) = run_check("ten-megabytes.rules", &huge);
    assert_eq!(code, 1);
    assert!(
        out.contains("M0004") && out.contains("larger than the limit of 8388608 bytes"),
        "{out}"
    );
    let (code, out) = run_check("nul-byte.rules", "program \"x\" { currency USD }\u{0}\n");
    assert!(code == 1, "{out}");
    // A byte-order mark and CRLF line endings are fine.
    let bom = "\u{FEFF}program \"B\" { currency USD timezone \"UTC\" }\r\nevents { won }\r\nmilestone m = event won\r\nreward r on m to referrer { cash 5 USD }\r\n";
    let (code, out) = run_check("bom-crlf.rules", bom);
    assert_eq!(code, 0, "{out}");
    // An empty file is a program without a header, at 1:1.
    let (code, out) = run_check("empty.rules", "");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("M1001") && out.contains("empty.rules:1:1"),
        "{out}"
    );
    // Left-nested groups: `((x + 1 + ...) + 1 + ...)` nests as deep as it has operators.
    let mut e = "1".to_string();
    for _ in 0..60 {
        e = format!("({e}{})", " + 1".repeat(500));
    }
    let (code, out) = run_check(
        "left-nested.rules",
        &format!("{header}condition c = {e} > 0\n"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("M0004") && out.contains("30001 operators"),
        "{out}"
    );
    assert!(
        out.lines().all(|l| l.chars().count() < 400),
        "long lines are shown as a window"
    );
}

/// `merit` with `args` in the crate folder, standard input empty.
fn merit(args: &[&str]) -> Out {
    merit_with_stdin(args, b"")
}

#[test]
fn rule_limits_are_flags_of_every_command_that_reads_rules() {
    let dir = temp("rule-limits.rules");
    let dir = dir.parent().unwrap_or(Path::new("."));
    let header = "program \"L\" { currency USD timezone \"UTC\" }\n";
    let body = "events { closed_won }\nparam x = 1\nmilestone won = event closed_won\nreward r on won to referrer { cash 10 USD }\n";
    // Brackets 6 deep, 5 operators in one expression, and an include: 2 files, 300-odd bytes.
    let main = format!(
        "{header}include \"part.rules\"\n{body}eligible referral if ((((((x + x + x + x + x > 0))))))\n"
    );
    std::fs::write(dir.join("limits.rules"), &main).expect("write");
    std::fs::write(dir.join("part.rules"), "condition always = true\n").expect("write");
    let program = dir.join("limits.rules").display().to_string();
    let records = dir.join("limits.jsonl");
    std::fs::write(&records, format!("{}\n", good("R1"))).expect("write");
    let records = records.display().to_string();
    let scenarios = dir.join("limits-scenarios.json");
    std::fs::write(&scenarios, r#"{"scenarios":[{"name":"base"}]}"#).expect("write");
    let scenarios = scenarios.display().to_string();
    let test_file = dir.join("limits.test.json");
    std::fs::write(
        &test_file,
        r#"{"as_of":"2025-12-31","records_file":"limits.jsonl","tests":[{"name":"runs","expect":{"summary":{"records":1}}}]}"#,
    )
    .expect("write");
    let test_file = test_file.display().to_string();
    let as_of = ["--as-of", "2025-12-31"];
    let commands: Vec<(&str, Vec<&str>, i32)> = vec![
        ("check", vec!["check", &program], 1),
        (
            "run",
            [&["run", &program, "--records", &records][..], &as_of].concat(),
            1,
        ),
        (
            "explain",
            [
                &["explain", &program, "--records", &records, "--id", "R1"][..],
                &as_of,
            ]
            .concat(),
            1,
        ),
        (
            "simulate",
            [
                &["simulate", &program, "--records", &records][..],
                &["--scenarios", &scenarios],
                &as_of,
            ]
            .concat(),
            1,
        ),
        (
            "diff",
            [
                &["diff", &program, &program, "--records", &records][..],
                &as_of,
            ]
            .concat(),
            1,
        ),
        (
            "report",
            [
                &["report", "--program", &program, "--records", &records][..],
                &as_of,
            ]
            .concat(),
            1,
        ),
        ("fmt", vec!["fmt", "--check", &program], 2),
        ("test", vec!["test", &test_file], 2),
    ];
    let limits: &[(&str, &str, &str, &str)] = &[
        (
            "--max-rule-bytes",
            "100",
            "300",
            "larger than the limit of 100 bytes",
        ),
        (
            "--max-rule-depth",
            "5",
            "6",
            "brackets nest more than 5 deep",
        ),
        (
            "--max-rule-operators",
            "4",
            "5",
            "this expression has 5 operators; the limit is 4",
        ),
        (
            "--max-rule-files",
            "1",
            "2",
            "more than 1 files in one program",
        ),
    ];
    for (name, args, failed) in &commands {
        // Within the defaults, every command runs.
        let o = merit(args);
        assert!(
            o.code == 0 || (*name == "fmt" && o.code == 1),
            "{name}: {}{}",
            o.stdout,
            o.stderr
        );
        for (flag, over, at, message) in limits {
            if *name == "fmt" && *flag == "--max-rule-files" {
                continue; // fmt formats each file on its own, without reading includes
            }
            let past = [&args[..], &[flag, over]].concat();
            let o = merit(&past);
            let all = format!("{}{}", o.stdout, o.stderr);
            assert_eq!(o.code, *failed, "{name} {flag} {over}: {all}");
            assert!(
                all.contains("M0004") && all.contains(message) && all.contains(flag),
                "{name} {flag} {over}: {all}"
            );
            assert!(!all.contains("internal error"), "{name}: {all}");
            let within = [&args[..], &[flag, at]].concat();
            let o = merit(&within);
            assert!(
                !format!("{}{}", o.stdout, o.stderr).contains("M0004"),
                "{name} {flag} {at}: {}{}",
                o.stdout,
                o.stderr
            );
        }
    }
}

/// `check` and `fmt` stop reading a rule file at its size limit: bytes past it (here a byte
/// that is not UTF-8) are never looked at, and the file is reported as too large (M0004), from
/// a path and from standard input alike.
#[test]
fn rule_files_are_not_read_past_their_size_limit() {
    let path = temp("past-the-limit.rules");
    let mut bytes =
        format!("program \"x\" {{ currency USD }}\n# {}\n", "0".repeat(200)).into_bytes();
    bytes.extend_from_slice(b"\xFF\n");
    std::fs::write(&path, &bytes).expect("write");
    let file = path.display().to_string();
    for args in [
        vec!["check", &file, "--max-rule-bytes", "100"],
        vec!["fmt", "--check", &file, "--max-rule-bytes", "100"],
        vec!["fmt", "--check", "-", "--max-rule-bytes", "100"],
    ] {
        let o = merit_with_stdin(&args, &bytes);
        assert_eq!(
            o.code,
            if args[0] == "check" { 1 } else { 2 },
            "{args:?}: {}",
            o.stderr
        );
        let all = format!("{}{}", o.stdout, o.stderr);
        assert!(
            all.contains("M0004") && all.contains("larger than the limit of 100 bytes"),
            "{args:?}: {all}"
        );
        assert!(!all.contains("UTF-8"), "{args:?}: {all}");
    }
}

#[test]
fn record_limits_are_flags_of_every_command_that_reads_records() {
    let dir = temp("record-limits.jsonl");
    let dir = dir.parent().unwrap_or(Path::new("."));
    let records = dir.join("records.jsonl");
    std::fs::write(&records, format!("{}\n", good("R1"))).expect("write");
    let records = records.display().to_string();
    let scenarios = dir.join("scenarios.json");
    std::fs::write(&scenarios, r#"{"scenarios":[{"name":"base"}]}"#).expect("write");
    let scenarios = scenarios.display().to_string();
    let program = dir.join("program.rules");
    std::fs::copy(PROGRAM, &program).expect("copy");
    let program = program.display().to_string();
    let test_file = dir.join("program.test.json");
    std::fs::write(
        &test_file,
        r#"{"as_of":"2025-12-31","records_file":"records.jsonl","tests":[{"name":"runs","expect":{"summary":{"records":1}}}]}"#,
    )
    .expect("write");
    let test_file = test_file.display().to_string();
    let as_of = ["--as-of", "2025-12-31"];
    let r = ["--records", records.as_str()];
    let commands: Vec<Vec<&str>> = vec![
        [&["run", &program][..], &r, &as_of].concat(),
        [&["explain", &program, "--id", "R1"][..], &r, &as_of].concat(),
        [
            &["simulate", &program, "--scenarios", &scenarios][..],
            &r,
            &as_of,
        ]
        .concat(),
        [&["diff", &program, &program][..], &r, &as_of].concat(),
        [&["report", "--program", &program][..], &r, &as_of].concat(),
        vec!["test", &test_file],
    ];
    // The record's events are at level 2, each event at level 3.
    for args in &commands {
        let o = merit(args);
        assert_eq!(o.code, 0, "{args:?}: {}{}", o.stdout, o.stderr);
        let past = [&args[..], &["--max-json-depth", "2"]].concat();
        let o = merit(&past);
        let all = format!("{}{}", o.stdout, o.stderr);
        assert_eq!(o.code, 1, "{past:?}: {all}");
        assert!(
            all.contains("record R1")
                && all.contains("field events")
                && all.contains("limit of 2 levels (--max-json-depth)"),
            "{past:?}: {all}"
        );
        let o = merit(&[&args[..], &["--max-json-depth", "3"]].concat());
        assert_eq!(o.code, 0, "{args:?}: {}{}", o.stdout, o.stderr);
    }
}

#[test]
fn rule_limits_up_to_their_ceilings_fit_the_stack() {
    // 4000 groups, each one operator deeper: 4000 brackets and 4001 operators, through the
    // parser, checker and evaluator on merit's own thread (`--threads 1`). (A debug build
    // parses this in about two seconds; the formatter was checked by hand at the ceilings.)
    let header = "program \"Deep\" { currency USD timezone \"UTC\" }\nevents { closed_won }\n";
    let e = format!("{}1{}", "(1 + ".repeat(4000), ")".repeat(4000));
    let program = format!(
        "{header}eligible referral if {e} > 0\nmilestone won = event closed_won\nreward r on won to referrer {{ cash 10 USD }}\n"
    );
    let path = temp("ceiling.rules");
    std::fs::write(&path, program).expect("write");
    let path = path.display().to_string();
    let ceilings = ["--max-rule-depth", "4096", "--max-rule-operators", "4096"];
    let o = merit(&[&["check", &path][..], &ceilings].concat());
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = merit_with_stdin(
        &[
            &[
                "run",
                &path,
                "--records",
                "-",
                "--as-of",
                "2025-12-31",
                "--threads",
                "1",
                "--format",
                "jsonl",
            ][..],
            &ceilings,
        ]
        .concat(),
        format!("{}\n", good("D1")).as_bytes(),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout.lines().count(), 1);
    // Past a ceiling, the flag itself is refused: exit 2.
    for (flag, v) in [
        ("--max-rule-depth", "4097"),
        ("--max-rule-operators", "4097"),
    ] {
        let o = merit(&["check", &path, flag, v]);
        assert_eq!(o.code, 2, "{}", o.stderr);
        assert!(o.stderr.contains("1..=4096"), "{}", o.stderr);
    }
}

#[test]
fn rule_files_that_are_not_utf8_or_too_large_for_memory() {
    // Invalid UTF-8 names the line and column, exit 2.
    let path = temp("latin1.rules");
    std::fs::write(
        &path,
        b"program \"x\" { currency USD timezone \"UTC\" }\n# caf\xe9\n",
    )
    .expect("write");
    for args in [&["check"][..], &["fmt", "--check"]] {
        let o = merit_with_stdin(&[args, &[&path.display().to_string()]].concat(), b"");
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(
            o.stderr
                .contains("latin1.rules: line 2, column 6: byte 0xE9 is not UTF-8"),
            "{args:?}: {}",
            o.stderr
        );
    }
    // A rule file is never read past its limit: standard input that never ends stops there.
    let mut child = Command::new(env!("CARGO_BIN_EXE_merit"))
        .args(["check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("merit runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let chunk = vec![b' '; 1 << 20];
        // Up to 64 MiB; merit stops reading after 8 MiB and the pipe breaks.
        for _ in 0..64 {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let out = child.wait_with_output().expect("merit ends");
    let _ = feeder.join();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("larger than the limit"));
}

#[test]
fn an_expression_at_the_operator_limit_evaluates_on_worker_threads() {
    let sum = format!("0{}", " + 1".repeat(1000));
    let program = format!(
        "program \"Deep\" {{ currency USD timezone \"UTC\" }}\nevents {{ closed_won }}\neligible referral if {sum} > 999\nmilestone won = event closed_won\nreward r on won to referrer {{ cash 10 USD }}\n"
    );
    let path = temp("deep-ok.rules");
    std::fs::write(&path, program).expect("write");
    let records: String = (0..50).map(|i| good(&format!("R{i}")) + "\n").collect();
    // One thread evaluates on merit's own thread, which has the workers' stack too.
    for (threads, format) in [("2", "jsonl"), ("1", "jsonl"), ("1", "json")] {
        let o = merit_with_stdin(
            &[
                "run",
                &path.display().to_string(),
                "--records",
                "-",
                "--as-of",
                "2025-12-31",
                "--threads",
                threads,
                "--format",
                format,
            ],
            records.as_bytes(),
        );
        assert_eq!(o.code, 0, "--threads {threads}: {}", o.stderr);
        if format == "jsonl" {
            assert_eq!(o.stdout.lines().count(), 50);
        }
    }
}

#[test]
fn an_escaped_panic_is_an_internal_error_with_exit_70_and_writes_nothing() {
    let out_file = temp("panic.json");
    let _ = std::fs::remove_file(&out_file);
    let out = Command::new(env!("CARGO_BIN_EXE_merit"))
        .args([
            "run",
            PROGRAM,
            "--records",
            "rules-examples/benchmark.jsonl",
            "--as-of",
            "2025-12-31",
            "--output",
        ])
        .arg(&out_file)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("MERIT_TEST_INTERNAL_PANIC", "1")
        .output()
        .expect("merit runs");
    assert_eq!(out.status.code(), Some(70));
    assert!(String::from_utf8_lossy(&out.stderr).contains("internal error"));
    assert!(!out_file.exists());
}

#[test]
fn a_computed_reward_beyond_the_largest_amount_is_a_record_problem() {
    let program = "program \"Big\" { currency USD timezone \"UTC\" }\nfields { deal.amount: money }\nevents { won }\nmilestone m = event won\nreward r on m to referrer { cash deal.amount * 1000000 }\n";
    let path = temp("big.rules");
    std::fs::write(&path, program).expect("write");
    let rec = r#"{"id":"X1","created_at":"2025-01-01T00:00:00Z","referrer":{"id":"A"},"referee":{"id":"B"},"deal":{"amount":"900000000000000.00","currency":"USD"},"events":[{"kind":"won","at":"2025-01-02T00:00:00Z"}]}"#;
    let o = merit_with_stdin(
        &[
            "run",
            &path.display().to_string(),
            "--records",
            "-",
            "--as-of",
            "2025-12-31",
        ],
        rec.as_bytes(),
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("record X1") && o.stderr.contains("beyond the largest amount"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("internal error"));
}
