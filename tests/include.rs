//! Splitting a program over several files with `include`.

use std::path::PathBuf;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("merit-include-{name}-{}", std::process::id()));
    std::fs::create_dir_all(d.join("shared")).expect("temp dir");
    d
}

fn check(main: &PathBuf) -> merit::check::Checked {
    let text = std::fs::read_to_string(main).expect("main file");
    merit::check(&merit::parse(&main.display().to_string(), &text))
}

#[test]
fn an_included_file_contributes_its_declarations() {
    let d = dir("ok");
    std::fs::write(
        d.join("shared/eligibility.rules"),
        "fields { referrer.health_score: number }\ncondition healthy = referrer.health_score >= 70\n",
    )
    .expect("write");
    let main = d.join("main.rules");
    std::fs::write(
        &main,
        "program \"Split\" { currency USD timezone \"UTC\" }\ninclude \"shared/eligibility.rules\"\nevents { won }\neligible referrer if healthy\nmilestone m = event won\nreward r on m to referrer { cash 10 USD }\n",
    )
    .expect("write");
    let checked = check(&main);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let program = checked.program.expect("program");
    assert_eq!(program.conditions.len(), 1);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn problems_in_an_included_file_name_that_file() {
    let d = dir("err");
    std::fs::write(
        d.join("shared/bad.rules"),
        "condition c = referrer.helth >= 70\n",
    )
    .expect("write");
    let main = d.join("main.rules");
    std::fs::write(
        &main,
        "program \"Split\" { currency USD timezone \"UTC\" }\ninclude \"shared/bad.rules\"\neligible referrer if c\n",
    )
    .expect("write");
    let checked = check(&main);
    let text = merit::diagnostics::render_text(&checked.diagnostics, &checked.sources);
    assert!(text.contains("shared/bad.rules:1:15"), "{text}");
    assert!(text.contains("M1103"), "{text}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_missing_or_repeated_include_is_an_error() {
    let d = dir("missing");
    std::fs::write(d.join("shared/a.rules"), "param x = 1\n").expect("write");
    let main = d.join("main.rules");
    std::fs::write(
        &main,
        "program \"Split\" { currency USD timezone \"UTC\" }\ninclude \"shared/nope.rules\"\ninclude \"shared/a.rules\"\ninclude \"shared/a.rules\"\n",
    )
    .expect("write");
    let checked = check(&main);
    let codes: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "M0003").count(),
        2,
        "{codes:?}"
    );
    assert!(checked.program.is_none());
    let _ = std::fs::remove_dir_all(&d);
}
