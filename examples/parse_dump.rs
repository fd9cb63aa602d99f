//! Development aid: parse and check a file, print the diagnostics (and the AST with `--ast`).
fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let parsed = merit::syntax::parse(&path, &text);
    if std::env::args().any(|a| a == "--ast") {
        println!("{:#?}", parsed.modules);
    }
    let checked = merit::check::check(&parsed);
    print!(
        "{}",
        merit::diagnostics::render_text(&checked.diagnostics, &checked.sources)
    );
}
