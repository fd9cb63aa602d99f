//! Record ids kept aside: the id entries of a job whose ids rise ([`super::keys::IdSpan`]) are
//! written as they are to a plain temporary file, neither sorted nor compressed. When the ids
//! of the whole run rise (the usual export, ordered by id), no id can be on two lines and the
//! file is dropped unread; otherwise its entries are put back into an ids sorter and the
//! duplicate-id pass runs over everything, as before.
//!
//! Sorting, compressing and writing an entry per record cost about 3% of a streamed run's
//! instructions; keeping it aside costs a copy.

use super::spill::{temp_file, Chunk, Run, Sorter};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// Bytes gathered before they are written to the file.
const BUFFER: usize = 256 << 10;

/// The largest entry a reader accepts: an id entry is an id and a line number, and an id is at
/// most a record line; a longer length can only be a damaged file.
const MAX_ENTRY: usize = 1 << 30;

/// One worker's id entries kept aside.
pub(super) struct Aside {
    dir: PathBuf,
    buf: Vec<u8>,
    file: Option<Run>,
}

impl Aside {
    /// Nothing kept yet; a file in `dir` once there is more than a buffer's worth.
    pub(super) fn new(dir: PathBuf) -> Aside {
        Aside {
            dir,
            buf: Vec::new(),
            file: None,
        }
    }

    /// Keeps every entry key of `ids` (each as its length, four bytes little-endian, then
    /// its bytes).
    pub(super) fn keep(&mut self, ids: &Chunk) -> std::io::Result<()> {
        for key in ids.keys() {
            let len = u32::try_from(key.len())
                .map_err(|_| std::io::Error::other("a record id passes 4 GiB"))?;
            self.buf.extend_from_slice(&len.to_le_bytes());
            self.buf.extend_from_slice(key);
        }
        if self.buf.len() >= BUFFER {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let run = match &mut self.file {
            Some(run) => run,
            None => self.file.insert(temp_file(&self.dir)?),
        };
        (&run.file).write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Puts every entry kept aside into `sorter`, in chunks of about `chunk_bytes`.
    pub(super) fn replay(mut self, sorter: &mut Sorter, chunk_bytes: usize) -> std::io::Result<()> {
        self.flush()?;
        let Some(run) = self.file.take() else {
            return Ok(());
        };
        let mut file = &run.file;
        file.seek(SeekFrom::Start(0))?;
        let mut r = BufReader::with_capacity(BUFFER, file);
        let mut chunk = Chunk::default();
        let mut key = Vec::new();
        loop {
            let mut head = [0u8; 4];
            match r.read_exact(&mut head) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(e),
            }
            let len = u32::from_le_bytes(head) as usize;
            if len > MAX_ENTRY {
                return Err(super::runs::corrupt());
            }
            key.resize(len, 0);
            r.read_exact(&mut key).map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => super::runs::corrupt(),
                _ => e,
            })?;
            let arena = chunk.arena_mut();
            let off = arena.len();
            arena.extend_from_slice(&key);
            let kend = arena.len();
            chunk.push_written(off, kend);
            if chunk.bytes() >= chunk_bytes {
                sorter.absorb(std::mem::take(&mut chunk))?;
            }
        }
        sorter.absorb(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(keys: &[&[u8]]) -> Chunk {
        let mut c = Chunk::default();
        for k in keys {
            let arena = c.arena_mut();
            let off = arena.len();
            arena.extend_from_slice(k);
            let kend = arena.len();
            c.push_written(off, kend);
        }
        c
    }

    fn sorted_keys(sorter: Sorter) -> Vec<Vec<u8>> {
        let mut sorted = sorter.finish().unwrap_or_else(|e| panic!("{e}"));
        let mut m = sorted.merge().unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        while let Some((k, _)) = m.next().unwrap_or_else(|e| panic!("{e}")) {
            out.push(k.to_vec());
        }
        out
    }

    #[test]
    fn kept_entries_come_back_sorted_through_files_and_buffers() {
        let dir = std::env::temp_dir();
        let mut aside = Aside::new(dir.clone());
        // Enough entries to pass the buffer several times, from two "jobs" that overlap.
        let a: Vec<Vec<u8>> = (0..40_000u32)
            .map(|i| format!("R{:07}", i * 2).into_bytes())
            .collect();
        let b: Vec<Vec<u8>> = (0..40_000u32)
            .map(|i| format!("R{:07}", i * 3).into_bytes())
            .collect();
        for job in [&a, &b] {
            for part in job.chunks(1000) {
                let keys: Vec<&[u8]> = part.iter().map(|k| k.as_slice()).collect();
                aside.keep(&ids(&keys)).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        assert!(
            aside.file.is_some(),
            "past one buffer the entries go to a file"
        );
        let mut sorter = Sorter::new(64 << 10, dir);
        aside
            .replay(&mut sorter, 16 << 10)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut want: Vec<Vec<u8>> = a.iter().chain(&b).cloned().collect();
        want.sort();
        assert_eq!(sorted_keys(sorter), want);
    }

    #[test]
    fn nothing_kept_replays_nothing_and_an_empty_key_survives() {
        let dir = std::env::temp_dir();
        let mut sorter = Sorter::new(1 << 20, dir.clone());
        Aside::new(dir.clone())
            .replay(&mut sorter, 1 << 20)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(sorted_keys(sorter).is_empty());
        let mut aside = Aside::new(dir.clone());
        aside
            .keep(&ids(&[b"", b"x"]))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut sorter = Sorter::new(1 << 20, dir);
        aside
            .replay(&mut sorter, 1 << 20)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sorted_keys(sorter), vec![b"".to_vec(), b"x".to_vec()]);
    }

    #[test]
    fn a_damaged_file_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir();
        let mut aside = Aside::new(dir.clone());
        aside.keep(&ids(&[b"R1"])).unwrap_or_else(|e| panic!("{e}"));
        aside.flush().unwrap_or_else(|e| panic!("{e}"));
        // A length that promises more bytes than follow.
        if let Some(run) = &aside.file {
            (&run.file)
                .write_all(&[200, 0, 0, 0, b'x'])
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut sorter = Sorter::new(1 << 20, dir);
        let e = aside.replay(&mut sorter, 1 << 20).err().map(|e| e.kind());
        assert_eq!(e, Some(std::io::ErrorKind::InvalidData));
    }
}
