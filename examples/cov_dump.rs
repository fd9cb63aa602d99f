//! Development aid: print the rule coverage of a program over records as JSON.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(p), Some(r)) = (args.get(1), args.get(2)) else {
        return;
    };
    let text = std::fs::read_to_string(p).unwrap_or_default();
    let checked = merit::check(&merit::parse(p, &text));
    let Some(program) = checked.program else {
        return;
    };
    let records = std::fs::read_to_string(r).unwrap_or_default();
    let mut opts = merit::eval::Options::as_of(
        chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default(),
    );
    opts.coverage = true;
    if let Ok(ev) = merit::eval::evaluate_str(&program, &records, &opts) {
        println!(
            "{}",
            serde_json::to_string_pretty(&ev.coverage).unwrap_or_default()
        );
    }
}
