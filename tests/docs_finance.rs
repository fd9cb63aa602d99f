//! docs/finance.md stays true: every ```console block is run through the built binary, in
//! order (later examples read the ledgers earlier ones write to /tmp/merit-demo, here a
//! temporary folder), and must print exactly what the page shows.

use std::process::Command;

/// Splits a command line the way a shell would for these examples: spaces separate words,
/// double quotes group them.
fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[test]
fn every_console_example_prints_what_the_page_shows() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/finance.md"))
        .expect("docs/finance.md");
    let demo = std::env::temp_dir().join(format!("merit-docs-finance-{}", std::process::id()));
    std::fs::create_dir_all(&demo).expect("temp dir");
    let demo_path = demo.display().to_string();
    let mut wrong = Vec::new();
    let mut ran = 0;
    for block in doc.split("```console\n").skip(1) {
        let Some(end) = block.find("```") else {
            continue;
        };
        let block = &block[..end];
        let (first, shown) = block.split_once('\n').unwrap_or((block, ""));
        let command = first
            .strip_prefix("$ merit ")
            .unwrap_or_else(|| panic!("a console example that is not `$ merit ...`: {first}"));
        let command = command.replace("/tmp/merit-demo", &demo_path);
        let out = Command::new(env!("CARGO_BIN_EXE_merit"))
            .args(words(&command))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("the merit binary runs");
        let printed = String::from_utf8_lossy(&out.stdout).replace(&demo_path, "/tmp/merit-demo");
        if printed.trim_end() != shown.trim_end() {
            wrong.push(format!(
                "$ merit {}\n--- page\n{}\n--- merit (exit {:?})\n{}\n{}",
                first.trim_start_matches("$ merit "),
                shown.trim_end(),
                out.status.code(),
                printed.trim_end(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        ran += 1;
    }
    let _ = std::fs::remove_dir_all(&demo);
    assert!(ran >= 15, "only {ran} examples found");
    assert!(
        wrong.is_empty(),
        "{} stale examples:\n\n{}",
        wrong.len(),
        wrong.join("\n\n")
    );
}
