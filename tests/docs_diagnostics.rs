//! docs/diagnostics.md stays true: each code's example, checked as `program.rules`, gives
//! exactly the message the page shows.

fn blocks_after(section: &str, heading: &str) -> Option<String> {
    let start = section.find(heading)?;
    let rest = &section[start..];
    let open = rest.find("```text\n")? + "```text\n".len();
    let close = rest[open..].find("\n```")?;
    Some(rest[open..open + close].to_string())
}

#[test]
fn every_documented_message_is_what_merit_prints() {
    let doc = std::fs::read_to_string("docs/diagnostics.md").expect("docs/diagnostics.md");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for section in doc.split("\n## ").skip(1) {
        let code = section.split_whitespace().next().unwrap_or("").to_string();
        let (Some(example), Some(message)) = (
            blocks_after(section, "**Example**"),
            blocks_after(section, "**Message**"),
        ) else {
            continue;
        };
        let parsed = merit::parse("program.rules", &format!("{example}\n"));
        let result = merit::check(&parsed);
        let text = merit::diagnostics::render_text(&result.diagnostics, &result.sources);
        let body: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        let shown: Vec<&str> = message.lines().filter(|l| !l.is_empty()).collect();
        // The page shows the diagnostics, without the closing count line.
        let body = &body[..body.len().saturating_sub(1)];
        if body != shown.as_slice() {
            wrong.push(format!(
                "{code}:\n--- page\n{}\n--- merit\n{}",
                shown.join("\n"),
                body.join("\n")
            ));
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} examples found");
    assert!(
        wrong.is_empty(),
        "{} stale messages:\n{}",
        wrong.len(),
        wrong.join("\n\n")
    );
}
