//! Every program in `rules-examples/` is checked (it must be clean: no errors, no warnings), its
//! syntax tree snapshotted, and its ledger over the records beside it snapshotted.

use chrono::NaiveDate;
use std::path::Path;

/// The as-of date every example is evaluated at.
const AS_OF: (i32, u32, u32) = (2025, 12, 31);

fn load(path: &Path) -> (String, String) {
    let name = format!(
        "rules-examples/{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("")
    );
    let text = std::fs::read_to_string(path).expect("example readable");
    (name, text)
}

#[test]
fn examples_check_clean_and_their_syntax_trees_are_stable() {
    insta::glob!("../rules-examples", "*.rules", |path: &Path| {
        let (name, text) = load(path);
        let parsed = merit::parse(&name, &text);
        let checked = merit::check(&parsed);
        assert!(
            checked.diagnostics.is_empty(),
            "{name} is not clean:\n{}",
            merit::diagnostics::render_text(&checked.diagnostics, &checked.sources)
        );
        insta::assert_debug_snapshot!(parsed.modules);
    });
}

#[test]
fn examples_ledgers_are_stable() {
    let as_of = NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2).expect("date");
    insta::glob!("../rules-examples", "*.rules", |path: &Path| {
        let (name, text) = load(path);
        let records_path = path.with_extension("jsonl");
        let records = std::fs::read_to_string(&records_path)
            .unwrap_or_else(|_| panic!("{name} needs records in {}", records_path.display()));
        let checked = merit::check(&merit::parse(&name, &text));
        let program = checked.program.expect("clean program");
        let ledger = merit::evaluate(
            &program,
            records.as_bytes(),
            &merit::eval::Options::as_of(as_of),
        )
        .expect("records readable")
        .ledger;
        assert!(!ledger.lines.is_empty(), "{name}: its records earn nothing");
        assert!(
            ledger.problems.is_empty(),
            "{name}: record problems {:?}",
            ledger.problems
        );
        insta::assert_json_snapshot!(ledger);
    });
}

#[test]
fn every_example_has_records_and_is_in_the_examples_readme() {
    let readme =
        std::fs::read_to_string("rules-examples/README.md").expect("rules-examples/README.md");
    for entry in std::fs::read_dir("rules-examples").expect("folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rules") {
            let file = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            assert!(
                path.with_extension("jsonl").exists(),
                "{file} has no records file"
            );
            assert!(
                readme.contains(&file),
                "rules-examples/README.md does not mention {file}"
            );
        }
    }
}

#[test]
fn the_readme_program_checks_clean() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let start = readme
        .find("program \"Practice referral credit\"")
        .expect("the README's example program");
    let end = readme[start..]
        .find("```")
        .map(|e| start + e)
        .expect("end of the block");
    let checked = merit::check(&merit::parse("README.md", &readme[start..end]));
    assert!(
        checked.diagnostics.is_empty(),
        "{}",
        merit::diagnostics::render_text(&checked.diagnostics, &checked.sources)
    );
}

#[test]
fn the_examples_are_formatted() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_merit"))
        .args(["fmt", "--check", "rules-examples/"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("merit runs");
    assert!(
        out.status.success(),
        "run `merit fmt rules-examples/`:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
