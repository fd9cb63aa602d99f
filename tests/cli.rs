//! CLI golden tests through the built binary: each `tests/golden/*.args` file holds one
//! argument per line (`{root}` is the crate folder); the snapshot holds the exit code, stdout
//! and stderr.

use std::process::Command;

fn merit(args: &[String]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_merit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the merit binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Replaces the absolute crate path in output so snapshots are stable on any machine.
fn scrub(s: &str) -> String {
    s.replace(env!("CARGO_MANIFEST_DIR"), "{root}")
}

#[test]
fn golden() {
    insta::glob!("golden/*.args", |path: &std::path::Path| {
        let text = std::fs::read_to_string(path).expect("args file");
        let args: Vec<String> = text
            .lines()
            .map(|l| l.replace("{root}", env!("CARGO_MANIFEST_DIR")))
            .collect();
        let (code, stdout, stderr) = merit(&args);
        insta::assert_snapshot!(format!(
            "args: {}\nexit: {code}\n--- stdout\n{}--- stderr\n{}",
            scrub(&args.join(" ")),
            scrub(&stdout),
            scrub(&stderr)
        ));
    });
}

fn root(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn exit_codes() {
    let check = |args: &[&str]| merit(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).0;
    assert_eq!(
        check(&["check", &root("rules-examples/benchmark.rules")]),
        0
    );
    assert_eq!(
        check(&["check", &root("tests/golden/inputs/mistakes.rules")]),
        1
    );
    assert_eq!(check(&["check", "/nonexistent/x.rules"]), 2);
    assert_eq!(check(&["frobnicate"]), 2);
    let bad = root("tests/golden/inputs/bad-records.jsonl");
    let prog = root("rules-examples/benchmark.rules");
    assert_eq!(
        check(&["run", &prog, "--records", &bad, "--as-of", "2025-12-31"]),
        1
    );
    assert_eq!(
        check(&[
            "run",
            &prog,
            "--records",
            &bad,
            "--as-of",
            "2025-12-31",
            "--keep-going"
        ]),
        0
    );
}

#[test]
fn output_is_written_atomically_and_not_at_all_on_failure() {
    let dir = std::env::temp_dir().join(format!("merit-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("ledger.json");
    let prog = root("rules-examples/benchmark.rules");
    let run = |records: &str| {
        merit(&[
            "run".into(),
            prog.clone(),
            "--records".into(),
            root(records),
            "--as-of".into(),
            "2025-12-31".into(),
            "--output".into(),
            out.display().to_string(),
        ])
        .0
    };
    assert_eq!(run("rules-examples/benchmark.jsonl"), 0);
    let first = std::fs::read_to_string(&out).expect("ledger written");
    let doc: serde_json::Value = serde_json::from_str(&first).expect("valid JSON");
    assert!(doc["lines"].as_array().is_some_and(|l| !l.is_empty()));
    // A failing run leaves the previous file untouched and no temporary file behind.
    assert_eq!(run("tests/golden/inputs/bad-records.jsonl"), 1);
    assert_eq!(std::fs::read_to_string(&out).expect("still there"), first);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != "ledger.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let prog = root("rules-examples/benchmark.rules");
    let recs = root("rules-examples/benchmark.jsonl");
    let run = |threads: &str| {
        merit(&[
            "run".into(),
            prog.clone(),
            "--records".into(),
            recs.clone(),
            "--as-of".into(),
            "2025-12-31".into(),
            "--format".into(),
            "json".into(),
            "--threads".into(),
            threads.into(),
        ])
        .1
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert_eq!(one, run("2"));
    assert_eq!(one, run("7"));
}

#[test]
fn gen_writes_the_same_bytes_for_the_same_seed_whole_or_not_at_all() {
    let dir = std::env::temp_dir().join(format!("merit-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("w.jsonl");
    let args = |seed: &str| -> Vec<String> {
        ["gen", "--count", "50", "--seed", seed, "--output"]
            .iter()
            .map(|s| s.to_string())
            .chain([file.display().to_string()])
            .collect()
    };
    assert_eq!(merit(&args("7")).0, 0);
    let first = std::fs::read(&file).expect("written");
    assert_eq!(first.iter().filter(|&&b| b == b'\n').count(), 50);
    assert_eq!(merit(&args("7")).0, 0);
    assert_eq!(std::fs::read(&file).expect("written"), first);
    assert_eq!(merit(&args("8")).0, 0);
    assert_ne!(std::fs::read(&file).expect("written"), first);
    // Standard output gives the same bytes as the file.
    let (code, out, _) = merit(&["gen", "--count", "50", "--seed", "7"].map(String::from));
    assert_eq!(code, 0);
    assert_eq!(out.as_bytes(), first.as_slice());
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 1, "temporary files left: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
