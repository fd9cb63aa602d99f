#![forbid(unsafe_code)]
//! The `merit` binary: see [`merit::cli`].

fn main() {
    // A panic that escapes anyway is an internal error: exit 70, and nothing was written
    // (output files are only ever renamed into place after a complete run).
    std::panic::set_hook(Box::new(|info| {
        eprintln!("internal error (a bug in merit, please report it): {info}");
    }));
    let code = std::panic::catch_unwind(|| {
        // Lets the test suite prove that an escaped panic exits 70 and writes nothing.
        if std::env::var_os("MERIT_TEST_INTERNAL_PANIC").is_some() {
            panic!("panic requested by MERIT_TEST_INTERNAL_PANIC");
        }
        merit::cli::main()
    })
    .unwrap_or(merit::cli::exit::INTERNAL);
    std::process::exit(code);
}
