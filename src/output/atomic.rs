//! Atomic, durable file output: write a temporary file in the same folder, sync it, then rename
//! it over the target (a large file is synced in the background as it is written, so the last
//! sync is short). A run that fails or is killed leaves the old file or the new one, never
//! a mix, and no temporary file behind on failure.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;

/// Bytes written between two background syncs of a large file.
const SYNC_EVERY: u64 = 32 << 20;

/// A file being written that, past every [`SYNC_EVERY`] bytes, asks a thread of its own to
/// sync what is written so far: the device writes a large ledger while the rest is still being
/// produced, and the final sync only waits for the last part. Small files never start it.
struct Durable {
    file: File,
    unsynced: u64,
    /// The syncing thread: a request queue (one waiting request at most) and its result.
    syncer: Option<(
        mpsc::SyncSender<()>,
        std::thread::JoinHandle<std::io::Result<()>>,
    )>,
}

impl Durable {
    fn new(file: File) -> Durable {
        Durable {
            file,
            unsynced: 0,
            syncer: None,
        }
    }

    fn ask_for_sync(&mut self) -> std::io::Result<()> {
        if self.syncer.is_none() {
            let clone = self.file.try_clone()?;
            let (tx, rx) = mpsc::sync_channel::<()>(1);
            let thread = std::thread::Builder::new()
                .name("merit-sync".into())
                .spawn(move || -> std::io::Result<()> {
                    for () in rx {
                        clone.sync_data()?;
                    }
                    Ok(())
                })?;
            self.syncer = Some((tx, thread));
        }
        if let Some((tx, _)) = &self.syncer {
            // A request already waiting covers this one; a stopped thread reports at the end.
            let _ = tx.try_send(());
        }
        Ok(())
    }

    /// Waits for the syncing thread; its error, if any, is the write's.
    fn finish(mut self) -> std::io::Result<File> {
        if let Some((tx, thread)) = self.syncer.take() {
            drop(tx);
            thread
                .join()
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload))?;
        }
        Ok(self.file)
    }
}

impl Write for Durable {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced = self.unsynced.saturating_add(n as u64);
        if self.unsynced >= SYNC_EVERY {
            self.unsynced = 0;
            self.ask_for_sync()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

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
        let mut w =
            std::io::BufWriter::with_capacity(1 << 16, Durable::new(std::fs::File::create(&tmp)?));
        write(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?.finish()?;
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

    /// A file past several sync intervals is written whole, with the syncing thread at work.
    #[test]
    fn a_large_file_is_written_whole() {
        let dir = std::env::temp_dir().join(format!("merit-atomic-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("big.jsonl");
        let line = [b'x'; 4095];
        let lines = (SYNC_EVERY as usize / 4096) * 2 + 17;
        write_atomic_with(&path, |w| {
            for _ in 0..lines {
                w.write_all(&line)?;
                w.write_all(b"\n")?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert_eq!(len, lines as u64 * 4096);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
