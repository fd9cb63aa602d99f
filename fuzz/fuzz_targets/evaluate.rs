//! A program text and records from one input (split at the first NUL byte): whatever checks
//! clean is evaluated, and evaluation never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (prog, recs) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(prog) else { return };
    let checked = merit::check(&merit::parse("fuzz.rules", text));
    if let Some(program) = checked.program {
        let as_of = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default();
        let mut opts = merit::eval::Options::as_of(as_of);
        opts.coverage = true;
        let _ = merit::evaluate(&program, recs, &opts);
    }
});
