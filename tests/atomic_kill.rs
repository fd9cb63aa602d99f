//! Runs killed at many points while writing `--output` leave the old file or the new one,
//! never a mix: the in-memory path (`json`) and the streamed one (`jsonl`), at points spread
//! over the run and shifted by a seeded jitter.

use std::process::{Command, Stdio};
use std::time::Instant;

#[test]
fn a_killed_run_leaves_the_old_file_or_the_new_one() {
    let dir = std::env::temp_dir().join(format!("merit-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let records = dir.join("records.jsonl");
    let mut f = std::fs::File::create(&records).expect("records");
    merit::gen::generate(7, 20_000, &mut f).expect("generate");
    drop(f);
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for format in ["json", "jsonl"] {
        let out = dir.join(format!("ledger.{format}"));
        let run = || {
            let mut c = Command::new(env!("CARGO_BIN_EXE_merit"));
            c.current_dir(env!("CARGO_MANIFEST_DIR"))
                .args([
                    "run",
                    "rules-examples/benchmark.rules",
                    "--as-of",
                    "2026-01-01",
                    "--keep-going",
                    "--format",
                    format,
                    "--output",
                ])
                .arg(&out)
                .arg("--records")
                .arg(&records)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            c
        };
        // The new content, from a run left alone, and how long such a run takes.
        let started = Instant::now();
        let status = run().status().expect("reference run");
        assert!(status.success());
        let full_time = started.elapsed();
        let new = std::fs::read(&out).expect("reference output");
        let old = b"{\"old\": true}\n".to_vec();
        // Kill points spread over the whole run, the end (where the rename happens) included,
        // each moved by up to half a step.
        let points = 12u32;
        for i in 0..points {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let jitter = (seed % 1000) as f64 / 1000.0 - 0.5;
            let at = ((f64::from(i) + jitter) / f64::from(points - 2)).max(0.0);
            std::fs::write(&out, &old).expect("old file");
            let mut child = run().spawn().expect("spawn");
            std::thread::sleep(full_time.mul_f64(at));
            let _ = child.kill();
            let _ = child.wait();
            let now = std::fs::read(&out).expect("the file is always there");
            assert!(
                now == old || now == new,
                "{format}, kill point {i}: the output is a mix ({} bytes)",
                now.len()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
