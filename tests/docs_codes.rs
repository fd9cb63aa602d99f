//! `docs/diagnostics.md` documents exactly the codes of the registry
//! (`src/diagnostics/codes.rs`): every code has a `## CODE title` heading, and the page names no
//! code that does not exist.

use merit::diagnostics::Code;
use std::collections::BTreeSet;

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diagnostics.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// True for `M` followed by four digits.
fn is_code(word: &str) -> bool {
    word.len() == 5 && word.starts_with('M') && word[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The codes of the `## CODE title` headings, in order.
fn heading_codes(doc: &str) -> Vec<String> {
    doc.lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|rest| {
            let mut words = rest.split_whitespace();
            let code = words.next()?;
            is_code(code).then(|| {
                assert!(
                    words.next().is_some(),
                    "the heading `## {code}` has no title after the code"
                );
                code.to_string()
            })
        })
        .collect()
}

/// Every code-shaped word anywhere on the page.
fn mentioned_codes(doc: &str) -> BTreeSet<String> {
    doc.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| is_code(w))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_code_has_a_heading() {
    let doc = doc();
    let headings = heading_codes(&doc);
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !headings.iter().any(|h| h == c))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/diagnostics.md has no `## CODE title` heading for {missing:?}"
    );
}

#[test]
fn each_code_is_documented_once() {
    let doc = doc();
    let headings = heading_codes(&doc);
    let unique: BTreeSet<&String> = headings.iter().collect();
    assert_eq!(
        unique.len(),
        headings.len(),
        "docs/diagnostics.md has a code heading twice: {headings:?}"
    );
}

#[test]
fn the_doc_names_no_code_that_does_not_exist() {
    let doc = doc();
    let known: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let unknown: Vec<String> = mentioned_codes(&doc)
        .into_iter()
        .filter(|c| !known.contains(c.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/diagnostics.md names codes that are not in the registry: {unknown:?}"
    );
}

#[test]
fn headings_follow_the_registry_order() {
    let doc = doc();
    let headings = heading_codes(&doc);
    let registry: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        headings, registry,
        "docs/diagnostics.md should list the codes in registry order"
    );
}
