//! Atomic, durable file output: write a temporary file in the same folder, sync it, then rename
//! it over the target. A run that fails or is killed leaves the old file or the new one, never
//! a mix, and no temporary file behind on failure.

use std::io::Write;
use std::path::Path;

/// Writes `data` to `path` atomically.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(data))
}

/// Writes what `write` produces to `path` atomically (buffered; nothing is held in memory).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "output".to_string());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    // Removes the temporary file on every way out but success, a panic included.
    struct Cleanup<'a>(&'a Path, bool);
    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            if !self.1 {
                let _ = std::fs::remove_file(self.0);
            }
        }
    }
    let mut cleanup = Cleanup(&tmp, false);
    let result = (|| {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&tmp)?);
        write(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        cleanup.1 = true;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    drop(cleanup);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_writing_leaves_the_old_file_and_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("merit-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("ledger.jsonl");
        std::fs::write(&path, "old\n").unwrap_or_default();
        let caught = std::panic::catch_unwind(|| {
            write_atomic_with(&path, |w| {
                w.write_all(b"half of the new")?;
                panic!("a bug while writing");
            })
        });
        assert!(caught.is_err());
        let left: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(left, ["ledger.jsonl"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "old\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
