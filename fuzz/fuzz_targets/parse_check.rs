//! Any text: parsing and checking never panic, and rendering the diagnostics never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let parsed = merit::parse("fuzz.rules", text);
        let checked = merit::check(&parsed);
        let _ = merit::diagnostics::render_text(&checked.diagnostics, &checked.sources);
        let _ = merit::diagnostics::render_json(&checked.diagnostics, &checked.sources);
    }
});
