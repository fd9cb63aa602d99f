#![forbid(unsafe_code)]
//! The `merit` binary: see [`merit::cli`].

fn main() {
    // A panic that escapes anyway is an internal error: exit 70, and nothing was written
    // (output files are only ever renamed into place after a complete run).
    std::panic::set_hook(Box::new(|info| {
        eprintln!("internal error (a bug in merit, please report it): {info}");
    }));
    // The command runs on a thread with the stack of merit's worker threads, whatever the
    // main thread's: parsing, checking, formatting and single-threaded evaluation recurse as
    // deep as the rule-file limits allow (see `SyntaxLimits::MAX_OPERATORS_CEILING`).
    let command = std::thread::Builder::new()
        .name("merit".into())
        .stack_size(STACK)
        .spawn(|| {
            std::panic::catch_unwind(|| {
                // Lets the test suite prove that an escaped panic exits 70 and writes nothing.
                if std::env::var_os("MERIT_TEST_INTERNAL_PANIC").is_some() {
                    panic!("panic requested by MERIT_TEST_INTERNAL_PANIC");
                }
                merit::cli::main()
            })
            .unwrap_or(merit::cli::exit::INTERNAL)
        });
    let code = match command {
        Ok(handle) => handle.join().unwrap_or(merit::cli::exit::INTERNAL),
        Err(e) => {
            eprintln!("error: cannot start merit's thread: {e}");
            merit::cli::exit::INTERNAL
        }
    };
    std::process::exit(code);
}

/// Stack size of the thread the command runs on (virtual memory; only what is used is
/// committed), as for the evaluator's worker threads.
const STACK: usize = 64 << 20;
