//! docs/language.md stays true: every ```merit snippet checks without errors (a minimal
//! header is added to fragments that have none).

#[test]
fn every_language_snippet_checks() {
    let doc = std::fs::read_to_string("docs/language.md").expect("docs/language.md");
    let mut failures = Vec::new();
    let mut n = 0;
    for (i, block) in doc.split("```merit\n").skip(1).enumerate() {
        let Some(end) = block.find("\n```") else {
            continue;
        };
        let snippet = &block[..end];
        let text = if snippet.contains("program \"") {
            format!("{snippet}\n")
        } else {
            format!("program \"Snippet\" {{ currency USD timezone \"UTC\" }}\n{snippet}\n")
        };
        let parsed = merit::parse("snippet.rules", &text);
        if parsed.modules.iter().any(|(_, m)| {
            m.items
                .iter()
                .any(|it| matches!(it, merit::syntax::ast::Item::Include(_)))
        }) {
            continue; // include examples need files on disk
        }
        let checked = merit::check(&parsed);
        if checked.has_errors() {
            failures.push(format!(
                "snippet {}:\n{snippet}\n{}",
                i + 1,
                merit::diagnostics::render_text(&checked.diagnostics, &checked.sources)
            ));
        }
        n += 1;
    }
    assert!(n >= 20, "only {n} snippets found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
