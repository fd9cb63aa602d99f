//! `merit fmt`: every program that parses formats idempotently to the same syntax tree; messy
//! inputs are snapshotted; random white space and comments between tokens change nothing but the
//! comments; formatting never changes a ledger; and the command's exit codes.

use chrono::NaiveDate;
use merit::syntax::ast::Module;
use merit::syntax::{parse_with, SyntaxLimits};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rules` file under `dir`, recursively, sorted.
fn rules_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            rules_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rules") {
            out.push(p);
        }
    }
}

/// The main file's syntax tree, includes not read; `None` when the file has syntax errors.
fn module(name: &str, text: &str) -> Option<Module> {
    let parsed = parse_with(name, text, &SyntaxLimits::default(), &mut |_| {
        Ok(String::new())
    });
    let broken = parsed.diagnostics.iter().any(|d| {
        d.code != merit::diagnostics::Code::Include && d.span().file == merit::source::FileId(0)
    });
    if broken {
        return None;
    }
    parsed
        .modules
        .into_iter()
        .find(|(f, _)| *f == merit::source::FileId(0))
        .map(|(_, m)| m)
}

fn fmt(name: &str, text: &str) -> String {
    merit::fmt::format(name, text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A syntax tree's `Debug` text with every span (`0:12..34`) blanked: an independent check.
fn without_spans(m: &Module) -> String {
    let text: Vec<char> = format!("{m:?}").chars().collect();
    let digits = |mut i: usize| {
        let start = i;
        while i < text.len() && text[i].is_ascii_digit() {
            i += 1;
        }
        (i > start).then_some(i)
    };
    // `file:start..end` starting at `i`: where it ends.
    let span_at = |i: usize| {
        let i = digits(i)?;
        let i = digits(i + 1).filter(|_| text.get(i) == Some(&':'))?;
        let dots = text.get(i) == Some(&'.') && text.get(i + 1) == Some(&'.');
        digits(i + 2).filter(|_| dots)
    };
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        let boundary = i == 0 || !text[i - 1].is_ascii_alphanumeric();
        match span_at(i).filter(|_| boundary) {
            Some(end) => {
                out.push('_');
                i = end;
            }
            None => {
                out.push(text[i]);
                i += 1;
            }
        }
    }
    out
}

#[test]
fn every_program_that_parses_formats_idempotently_to_the_same_tree() {
    let mut files = Vec::new();
    rules_files(&root().join("rules-examples"), &mut files);
    let examples = files.len();
    rules_files(&root().join("tests/cases"), &mut files);
    let mut formatted = 0;
    for (k, path) in files.iter().enumerate() {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).expect("readable");
        let Some(before) = module(&name, &text) else {
            assert!(
                merit::fmt::format(&name, &text).is_err(),
                "{name}: a file with syntax errors was formatted"
            );
            continue;
        };
        let once = fmt(&name, &text);
        let twice = fmt(&name, &once);
        assert_eq!(once, twice, "{name}: formatting is not idempotent");
        let after = module(&name, &once).unwrap_or_else(|| panic!("{name}: output does not parse"));
        assert!(
            merit::fmt::equivalent(&before, &after),
            "{name}: the formatted program differs"
        );
        if k < examples {
            // The examples keep their settings in the canonical order: their trees are equal
            // outright, spans aside.
            assert_eq!(without_spans(&before), without_spans(&after), "{name}");
        }
        formatted += 1;
    }
    assert!(examples >= 5, "only {examples} examples found");
    assert!(formatted >= 40, "only {formatted} programs formatted");
}

#[test]
fn messy_inputs_snapshots() {
    insta::glob!("cases/fmt/*.rules", |path: &Path| {
        let name = format!(
            "tests/cases/fmt/{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("")
        );
        let text = std::fs::read_to_string(path).expect("readable");
        let out = fmt(&name, &text);
        assert_eq!(fmt(&name, &out), out, "{name}: not idempotent");
        insta::assert_snapshot!(out);
    });
}

#[test]
fn broken_files_are_refused_with_their_diagnostics() {
    match merit::fmt::format("x.rules", "param x = \nreward {") {
        Err(merit::fmt::FormatError::Syntax { diagnostics, .. }) => {
            assert!(!diagnostics.is_empty());
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn crlf_and_tabs_become_canonical() {
    let src = "param\ta = 1\r\n\r\n\r\n# note\r\nparam b = 2   # two\r\n";
    assert_eq!(
        fmt("x.rules", src),
        "param a = 1\n\n# note\nparam b = 2  # two\n"
    );
    assert_eq!(fmt("x.rules", ""), "");
    assert_eq!(
        fmt("x.rules", "\n\n# only a comment\n\n"),
        "# only a comment\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Random white space and comments between tokens
// ---------------------------------------------------------------------------------------------

const UNITS: [&str; 10] = [
    "hours", "hour", "days", "day", "weeks", "week", "months", "month", "years", "year",
];

/// The tokens of a program, comments dropped. Pieces that must stay together (`50 USD`, `90
/// days`, `2%`, `money EUR`, `2025-03-01`, `referrer.id`, `x1.5`, strings) are one token.
fn tokens(src: &str) -> Vec<String> {
    let c: Vec<char> = src.chars().collect();
    let ident = |ch: char| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.';
    let mut out = Vec::new();
    let mut i = 0;
    // After a number or `money`: ` USD` (a currency) or ` days` (a unit) joins it.
    let suffix = |i: usize| -> Option<(String, usize)> {
        let mut j = i;
        while j < c.len() && c[j] == ' ' {
            j += 1;
        }
        if j == i {
            return None;
        }
        let start = j;
        while j < c.len() && (c[j].is_ascii_alphanumeric() || c[j] == '_') {
            j += 1;
        }
        let word: String = c[start..j].iter().collect();
        if word.len() == 3 && word.chars().all(|x| x.is_ascii_uppercase()) {
            return Some((format!(" {word}"), j));
        }
        if UNITS.contains(&word.as_str()) {
            return Some((format!(" {word}"), j));
        }
        if word == "business" {
            let (rest, k) = suffixed_unit(&c, j)?;
            return Some((format!(" business {rest}"), k));
        }
        None
    };
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '#' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '"' {
            let start = i;
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(c.len());
            out.push(c[start..i].iter().collect());
        } else if ch.is_ascii_digit()
            || (ch == '-' && c.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < c.len()
                && (ident(c[i]) || (c[i] == '-' && c.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            if c.get(i) == Some(&'%') {
                i += 1;
            }
            let mut tok: String = c[start..i].iter().collect();
            if let Some((s, j)) = suffix(i) {
                tok.push_str(&s);
                i = j;
            }
            out.push(tok);
        } else if ident(ch) {
            let start = i;
            while i < c.len() && ident(c[i]) {
                i += 1;
            }
            let mut tok: String = c[start..i].iter().collect();
            if tok == "money" {
                if let Some((s, j)) = suffix(i).filter(|(s, _)| s.len() == 4) {
                    tok.push_str(&s);
                    i = j;
                }
            }
            out.push(tok);
        } else {
            let two: String = c[i..(i + 2).min(c.len())].iter().collect();
            if ["=>", ">=", "<=", "==", "!="].contains(&two.as_str()) {
                out.push(two);
                i += 2;
            } else {
                out.push(ch.to_string());
                i += 1;
            }
        }
    }
    out
}

/// ` days` after `business`.
fn suffixed_unit(c: &[char], mut j: usize) -> Option<(String, usize)> {
    let start0 = j;
    while j < c.len() && c[j] == ' ' {
        j += 1;
    }
    let start = j;
    while j < c.len() && c[j].is_ascii_alphabetic() {
        j += 1;
    }
    let word: String = c[start..j].iter().collect();
    (j > start0 && (word == "days" || word == "day")).then_some((word, j))
}

/// A formatted text without comments and blank lines: what the layout says about the code.
fn code_only(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        let mut cut = line.len();
        for (i, ch) in line.char_indices() {
            match (in_string, escaped, ch) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (_, false, '"') => in_string = !in_string,
                (false, _, '#') => {
                    cut = i;
                    break;
                }
                _ => {}
            }
        }
        let code = line[..cut].trim_end();
        if !code.is_empty() {
            out.push_str(code);
            out.push('\n');
        }
    }
    out
}

fn examples() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rules_files(&root().join("rules-examples"), &mut files);
    files
        .iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(p).expect("readable"),
            )
        })
        .collect()
}

#[test]
fn the_tokenizer_rebuilds_every_example() {
    for (name, text) in examples() {
        let joined = tokens(&text).join(" ");
        assert_eq!(
            code_only(&fmt(&name, &joined)),
            code_only(&fmt(&name, &text)),
            "{name}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn white_space_and_comments_between_tokens_change_only_comments(
        which in 0usize..64,
        gaps in prop::collection::vec(0u8..20, 64..4096),
    ) {
        let all = examples();
        prop_assume!(!all.is_empty());
        let (name, text) = &all[which % all.len()];
        let toks = tokens(text);
        let mut noisy = String::new();
        let mut inserted = Vec::new();
        for (k, tok) in toks.iter().enumerate() {
            noisy.push_str(tok);
            let gap = match gaps[k % gaps.len()] {
                0 => "\n".to_string(),
                1 => "\n      ".to_string(),
                2 => "\t".to_string(),
                3 => "   ".to_string(),
                4 => "\n\n".to_string(),
                5 => {
                    inserted.push(format!("# t{k}"));
                    format!(" # t{k}\n")
                }
                6 => {
                    inserted.push(format!("# o{k}"));
                    format!("\n   # o{k}\n")
                }
                _ => " ".to_string(),
            };
            noisy.push_str(&gap);
        }
        let out = merit::fmt::format(name, &noisy);
        prop_assert!(out.is_ok(), "{name}: {:?}\n{noisy}", out.err());
        let out = out.unwrap_or_default();
        prop_assert_eq!(code_only(&out), code_only(&fmt(name, text)));
        let kept: Vec<&str> = out.lines().map(str::trim).flat_map(|l| l.split("  ")).collect();
        for c in &inserted {
            prop_assert!(
                kept.iter().any(|piece| piece.trim() == c),
                "{} lost {}", name, c
            );
        }
        prop_assert_eq!(&fmt(name, &out), &out, "not idempotent");
        // And the formatted program pays exactly what the original pays.
        if let Ok(records) = std::fs::read_to_string(Path::new(name).with_extension("jsonl")) {
            prop_assert_eq!(ledger_json(name, &out, &records), ledger_json(name, text, &records));
        }
    }
}

const OPS: [&str; 15] = [
    "or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "+", "-", "*", "/", "of",
];

/// Random expressions, each operation in parentheses or not: whatever tree the parser makes of
/// one, the formatter must print it back to the same tree (or `format` refuses).
fn arb_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("referrer.score".to_string()),
        Just("5".to_string()),
        Just("-2.50".to_string()),
        Just("2%".to_string()),
        Just("3 USD".to_string()),
        Just("30 days".to_string()),
        Just("count(payment within 30 days after won)".to_string()),
        Just("[\"x\", 1]".to_string()),
        Just("true".to_string()),
    ];
    leaf.prop_recursive(6, 48, 2, |inner| {
        let wrap = |paren: bool, s: String| if paren { format!("({s})") } else { s };
        prop_oneof![
            4 => (inner.clone(), 0..OPS.len(), inner.clone(), any::<bool>())
                .prop_map(move |(l, op, r, p)| wrap(p, format!("{l} {} {r}", OPS[op]))),
            1 => (inner.clone(), any::<bool>()).prop_map(move |(x, p)| wrap(p, format!("not {x}"))),
            1 => (inner.clone(), any::<bool>()).prop_map(move |(x, p)| wrap(p, format!("-{x}"))),
            1 => (inner.clone(), any::<bool>(), any::<bool>()).prop_map(move |(x, present, p)| {
                let test = if present { "present" } else { "missing" };
                wrap(p, format!("{x} is {test}"))
            }),
            1 => (inner, any::<bool>()).prop_map(move |(x, p)| wrap(p, format!("min({x}, a)"))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn expressions_keep_their_tree_with_minimal_parentheses(e in arb_expr()) {
        let src = format!("condition c = {e}\nreward r on m to referrer {{\n  cash tiers by {e} {{\n    from 1 => {e}\n  }}\n}}\n");
        prop_assume!(module("e.rules", &src).is_some());
        let out = merit::fmt::format("e.rules", &src);
        prop_assert!(out.is_ok(), "{:?}\n{}", out.err(), src);
        let out = out.unwrap_or_default();
        prop_assert_eq!(&fmt("e.rules", &out), &out);
    }
}

// ---------------------------------------------------------------------------------------------
// Ledgers
// ---------------------------------------------------------------------------------------------

fn ledger_json(name: &str, text: &str, records: &str) -> String {
    let checked = merit::check::check(&merit::parse(name, text));
    let program = checked
        .program
        .unwrap_or_else(|| panic!("{name} does not check clean"));
    let as_of = NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
    let ledger = merit::eval::evaluate_str(&program, records, &merit::eval::Options::as_of(as_of))
        .expect("records readable")
        .ledger;
    serde_json::to_string(&ledger).expect("ledger as JSON")
}

#[test]
fn formatting_never_changes_a_ledger() {
    let mut compared = 0;
    let mut files = Vec::new();
    rules_files(&root().join("rules-examples"), &mut files);
    for path in files {
        let Ok(records) = std::fs::read_to_string(path.with_extension("jsonl")) else {
            continue;
        };
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).expect("readable");
        let formatted = fmt(&name, &text);
        assert_eq!(
            ledger_json(&name, &formatted, &records),
            ledger_json(&name, &text, &records),
            "{name}: formatting changed the ledger"
        );
        compared += 1;
    }
    assert!(compared >= 5, "only {compared} ledgers compared");
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("merit-fmt-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).expect("temp dir");
    dir
}

fn merit(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_merit"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("merit runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_check_diff_write_and_errors() {
    let dir = temp_dir("cli");
    let messy = "param   x=1\n";
    let file = dir.join("sub/a.rules");
    std::fs::write(&file, messy).expect("write");
    std::fs::write(dir.join("notes.txt"), messy).expect("write");

    let (code, out, _) = merit(&dir, &["fmt", "--check", "sub/a.rules"]);
    assert_eq!(code, 1, "--check on an unformatted file");
    assert!(out.contains("a.rules"), "{out}");

    let (code, out, _) = merit(&dir, &["fmt", "--diff", "sub/a.rules"]);
    assert_eq!(code, 0);
    assert!(out.contains("-param   x=1\n+param x = 1\n"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        messy,
        "--diff wrote"
    );

    // No paths: every `.rules` file under the current folder.
    let (code, _, err) = merit(&dir, &["fmt"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "param x = 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).expect("read"),
        messy
    );

    let (code, out, _) = merit(&dir, &["fmt", "--check", "sub/a.rules"]);
    assert_eq!((code, out.as_str()), (0, ""), "--check on a formatted file");

    let broken = dir.join("sub/broken.rules");
    std::fs::write(&broken, "param x = \n").expect("write");
    let (code, _, err) = merit(&dir, &["fmt", "sub"]);
    assert_eq!(code, 2, "syntax errors exit 2");
    assert!(err.contains("M0001"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&broken).expect("read"),
        "param x = \n"
    );

    let (code, _, _) = merit(&dir, &["fmt", "--check", "sub/missing.rules"]);
    assert_eq!(code, 2, "unreadable files exit 2");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A byte-order mark is read past, as `merit check` does, and kept: a formatted file with one
/// passes `--check`, and a messy one is formatted after it.
#[test]
fn a_byte_order_mark_is_formatted_past_and_kept() {
    let dir = temp_dir("bom");
    let file = dir.join("bom.rules");
    std::fs::write(&file, "\u{FEFF}param   x=1\n").expect("write");
    let (code, out, err) = merit(&dir, &["fmt", "--check", "bom.rules"]);
    assert_eq!((code, out.as_str()), (1, "bom.rules\n"), "{err}");
    let (code, _, err) = merit(&dir, &["fmt", "bom.rules"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "\u{FEFF}param x = 1\n"
    );
    let (code, out, err) = merit(&dir, &["fmt", "--check", "bom.rules"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
