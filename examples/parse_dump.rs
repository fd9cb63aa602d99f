fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let parsed = merit::syntax::parse(&path, &text);
    println!("{:#?}", parsed.modules);
    print!(
        "{}",
        merit::diagnostics::render_text(&parsed.diagnostics, &parsed.sources)
    );
}
