//! Diagnostic snapshots: every broken program in `tests/cases/{syntax,check,lint}/` is parsed
//! and checked through the library API, and its rendered diagnostics are snapshotted (one
//! snapshot per file, in `tests/snapshots/`).
//!
//! Each case file starts with a `#` comment line naming the mistake and the code(s) it must
//! produce, e.g. `# mistake: ... (expect M2001)`; the tests check that those codes appear and
//! belong to the stage of the folder the file is in.

use merit::check::Checked;
use merit::diagnostics::{render_json, render_text, Code, Severity};
use std::path::Path;

/// The path of a case file relative to the crate, with `/` separators (the name diagnostics
/// show, so snapshots do not depend on where the crate is checked out).
fn crate_relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads, parses and checks one case file.
fn check_file(path: &Path) -> (String, String, Checked) {
    let name = crate_relative(path);
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let parsed = merit::syntax::parse(&name, &text);
    let checked = merit::check::check(&parsed);
    (name, text, checked)
}

/// The codes a case file's first line promises, e.g. `# mistake: ... (expect M2001)`.
fn expected_codes(name: &str, text: &str) -> Vec<Code> {
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with('#'),
        "{name}: the first line must be a `#` comment naming the mistake and its code"
    );
    let words = first.split(|c: char| !c.is_ascii_alphanumeric());
    let codes: Vec<Code> = words
        .filter(|w| {
            w.len() == 5 && w.starts_with('M') && w[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(|w| {
            Code::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == w)
                .unwrap_or_else(|| panic!("{name}: the first line names {w}, which is not a code"))
        })
        .collect();
    assert!(
        !codes.is_empty(),
        "{name}: the first line must name the code the mistake produces (e.g. `(expect M2001)`)"
    );
    codes
}

/// The codes a check produced, for messages.
fn produced(checked: &Checked) -> Vec<&'static str> {
    checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

/// Checks one case file, asserts what every stage has in common, snapshots the rendered text
/// and returns what the stage-specific assertions need.
fn run_case(stage: &str, path: &Path) -> (String, Vec<Code>, Checked) {
    let (name, text, checked) = check_file(path);
    let expected = expected_codes(&name, &text);
    assert!(
        !checked.diagnostics.is_empty(),
        "{name}: a broken program must produce at least one diagnostic"
    );
    for code in &expected {
        assert!(
            checked.diagnostics.iter().any(|d| d.code == *code),
            "{name}: expected {code}, got {:?}",
            produced(&checked)
        );
    }
    for d in &checked.diagnostics {
        assert_eq!(
            d.severity,
            d.code.severity(),
            "{name}: {} is reported with a severity other than its default",
            d.code
        );
        // Every diagnostic tells the designer what to do about it.
        assert!(
            d.help.as_deref().is_some_and(|h| !h.trim().is_empty()),
            "{name}: {} \"{}\" has no hint",
            d.code,
            d.message
        );
    }
    // Named after the stage: `diagnostics__lint@tier-gap.rules.snap`.
    insta::assert_snapshot!(stage, render_text(&checked.diagnostics, &checked.sources));
    (name, expected, checked)
}

/// True when the code's string starts with `prefix` (`"M000"`, `"M1"`, `"M2"`).
fn in_stage(code: Code, prefix: &str) -> bool {
    code.as_str().starts_with(prefix)
}

#[test]
fn syntax_stage() {
    insta::glob!("cases/syntax/*.rules", |path| {
        let (name, expected, checked) = run_case("syntax", path);
        assert!(
            expected.iter().all(|c| in_stage(*c, "M000")),
            "{name}: a syntax case names a code outside M0001-M0004"
        );
        assert!(
            checked
                .diagnostics
                .iter()
                .any(|d| in_stage(d.code, "M000") && d.is_error()),
            "{name}: expected a syntax error (M000x), got {:?}",
            produced(&checked)
        );
        assert!(
            checked.program.is_none(),
            "{name}: a syntax error must reject the program"
        );
    });
}

#[test]
fn check_stage() {
    insta::glob!("cases/check/*.rules", |path| {
        let (name, expected, checked) = run_case("check", path);
        assert!(
            expected.iter().any(|c| in_stage(*c, "M1")),
            "{name}: a check case names no M1xxx code"
        );
        // Every case is an error, except the optional-field guard, which is a warning.
        let wants_error = expected
            .iter()
            .any(|c| in_stage(*c, "M1") && c.severity() == Severity::Error);
        assert!(
            checked
                .diagnostics
                .iter()
                .any(|d| in_stage(d.code, "M1") && (d.is_error() || !wants_error)),
            "{name}: expected an M1xxx {}, got {:?}",
            if wants_error { "error" } else { "diagnostic" },
            produced(&checked)
        );
        if wants_error {
            assert!(
                checked.program.is_none(),
                "{name}: an error must reject the program"
            );
        }
    });
}

#[test]
fn lint_stage() {
    insta::glob!("cases/lint/*.rules", |path| {
        let (name, expected, checked) = run_case("lint", path);
        assert!(
            expected.iter().all(|c| in_stage(*c, "M2")),
            "{name}: a lint case names a code outside M2xxx"
        );
        assert!(
            checked.diagnostics.iter().any(|d| in_stage(d.code, "M2")),
            "{name}: expected an M2xxx diagnostic, got {:?}",
            produced(&checked)
        );
        // A lint case is a program that is otherwise correct: nothing from an earlier stage.
        assert!(
            checked.diagnostics.iter().all(|d| in_stage(d.code, "M2")),
            "{name}: a lint case should have only lint diagnostics, got {:?}",
            produced(&checked)
        );
    });
}

#[test]
fn three_mistakes_in_one_run() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/check/three-mistakes.rules");
    let (name, _, checked) = check_file(&path);
    let mut codes = produced(&checked);
    assert_eq!(
        checked.diagnostics.len(),
        3,
        "{name}: expected exactly three diagnostics, got {codes:?}"
    );
    codes.sort_unstable();
    assert_eq!(codes, ["M1103", "M1104", "M2001"], "{name}");
    assert!(checked.has_errors());
    assert!(checked.program.is_none());
}

#[test]
fn json_has_position_and_code_for_every_diagnostic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for stage in ["syntax", "check", "lint"] {
        let dir = root.join("tests/cases").join(stage);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rules"))
            .collect();
        files.sort();
        for path in files {
            let (name, _, checked) = check_file(&path);
            let json = render_json(&checked.diagnostics, &checked.sources);
            let doc: serde_json::Value = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{name}: render_json is not JSON ({e}):\n{json}"));
            let diags = doc["diagnostics"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: no `diagnostics` array:\n{json}"));
            assert_eq!(diags.len(), checked.diagnostics.len(), "{name}");
            for (j, d) in diags.iter().zip(&checked.diagnostics) {
                assert_eq!(j["code"].as_str(), Some(d.code.as_str()), "{name}");
                assert_eq!(
                    j["file"].as_str(),
                    Some(name.as_str()),
                    "{name}: {}",
                    d.code
                );
                assert!(
                    j["line"].as_u64().is_some_and(|l| l >= 1),
                    "{name}: {} has no line",
                    d.code
                );
                assert!(
                    j["column"].as_u64().is_some_and(|c| c >= 1),
                    "{name}: {} has no column",
                    d.code
                );
                assert!(
                    j["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{name}: {} has no message",
                    d.code
                );
                let severity = if d.is_error() { "error" } else { "warning" };
                assert_eq!(j["severity"].as_str(), Some(severity), "{name}");
            }
            let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
            assert_eq!(doc["errors"].as_u64(), Some(errors as u64), "{name}");
            assert_eq!(
                doc["warnings"].as_u64(),
                Some((checked.diagnostics.len() - errors) as u64),
                "{name}"
            );
            seen += 1;
        }
    }
    assert!(
        seen >= 40,
        "expected at least 40 broken programs, found {seen}"
    );
}

#[test]
fn three_mistakes_as_json() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/check/three-mistakes.rules");
    let (_, _, checked) = check_file(&path);
    insta::assert_snapshot!(render_json(&checked.diagnostics, &checked.sources));
}

#[test]
fn cases_cover_every_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut covered = std::collections::BTreeSet::new();
    for stage in ["syntax", "check", "lint"] {
        let dir = root.join("tests/cases").join(stage);
        for entry in std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "rules") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                covered.extend(expected_codes(&crate_relative(&path), &text));
            }
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !covered.contains(*c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "no case file expects {missing:?}");
}
