//! The on-disk form of one sorted run of the external sort ([`super::spill`]): entries (a
//! varint key length, a varint payload length, the key, the payload) packed into blocks of
//! about [`BLOCK`] bytes, each block compressed with LZ4.
//!
//! Ledger lines repeat most of their text from one line to the next (field names, rule names,
//! the explanation's wording), so a run shrinks about eightfold: the temporary files cost an
//! eighth of the writes, and compressing costs less than the kernel's copying did.
//!
//! A block on disk: its uncompressed length and its compressed length (four bytes each,
//! little-endian), then the compressed bytes. Anything else is a file changed under us.

use super::codec::{read_u64v, u64v};
use std::fs::File;
use std::io::{BufWriter, Read, Write};

/// Uncompressed bytes gathered before a block is compressed and written (an entry larger than
/// this is a block of its own).
pub(super) const BLOCK: usize = 1 << 17;

/// The largest block a reader accepts: a larger length can only be a damaged file.
const MAX_BLOCK: usize = 1 << 31;

/// The error for a run that does not read back as written.
pub(super) fn corrupt() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "a temporary sort file was changed while merit was using it",
    )
}

/// Writes one run: entries in the order given, which is the sorted order.
pub(super) struct RunWriter<'a> {
    out: BufWriter<&'a File>,
    block: Vec<u8>,
    packed: Vec<u8>,
}

impl<'a> RunWriter<'a> {
    pub(super) fn new(file: &'a File) -> RunWriter<'a> {
        RunWriter {
            out: BufWriter::with_capacity(1 << 16, file),
            block: Vec::with_capacity(BLOCK.saturating_add(BLOCK / 8)),
            packed: Vec::new(),
        }
    }

    pub(super) fn entry(&mut self, key: &[u8], payload: &[u8]) -> std::io::Result<()> {
        u64v(key.len() as u64, &mut self.block);
        u64v(payload.len() as u64, &mut self.block);
        self.block.extend_from_slice(key);
        self.block.extend_from_slice(payload);
        if self.block.len() >= BLOCK {
            self.flush_block()?;
        }
        Ok(())
    }

    fn flush_block(&mut self) -> std::io::Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        let raw = u32::try_from(self.block.len())
            .map_err(|_| std::io::Error::other("a sort entry passes 4 GiB"))?;
        self.packed.resize(
            lz4_flex::block::get_maximum_output_size(self.block.len()),
            0,
        );
        let n = lz4_flex::block::compress_into(&self.block, &mut self.packed)
            .map_err(|e| std::io::Error::other(format!("cannot compress a sort run: {e}")))?;
        let packed = self.packed.get(..n).unwrap_or_default();
        let len =
            u32::try_from(n).map_err(|_| std::io::Error::other("a sort block passes 4 GiB"))?;
        self.out.write_all(&raw.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(packed)?;
        self.block.clear();
        Ok(())
    }

    /// Writes what is left and flushes the file.
    pub(super) fn finish(mut self) -> std::io::Result<()> {
        self.flush_block()?;
        self.out.flush()
    }
}

/// Reads one run back, one entry at a time.
pub(super) struct RunReader<'a> {
    /// Read a whole block at a time, so unbuffered: a merge of many runs holds only their
    /// blocks.
    r: &'a File,
    block: Vec<u8>,
    packed: Vec<u8>,
    /// Where the next entry starts in `block`.
    pos: usize,
    /// The current entry: key and payload, as ranges of `block`.
    key: (usize, usize),
    payload: (usize, usize),
    /// The key's first eight bytes, as [`super::spill`] compares them.
    pub(super) prefix: u64,
    /// False once the run is read to its end.
    pub(super) live: bool,
}

impl<'a> RunReader<'a> {
    /// A reader positioned before the first entry (call [`RunReader::advance`]).
    pub(super) fn new(file: &'a File) -> RunReader<'a> {
        RunReader {
            r: file,
            block: Vec::new(),
            packed: Vec::new(),
            pos: 0,
            key: (0, 0),
            payload: (0, 0),
            prefix: 0,
            live: true,
        }
    }

    pub(super) fn key(&self) -> &[u8] {
        self.block.get(self.key.0..self.key.1).unwrap_or_default()
    }

    pub(super) fn payload(&self) -> &[u8] {
        self.block
            .get(self.payload.0..self.payload.1)
            .unwrap_or_default()
    }

    /// Reads the next block; false at a clean end of the file.
    fn next_block(&mut self) -> std::io::Result<bool> {
        let mut head = [0u8; 8];
        let mut got = 0;
        while got < head.len() {
            let n = self.r.read(head.get_mut(got..).unwrap_or_default())?;
            if n == 0 {
                return if got == 0 { Ok(false) } else { Err(corrupt()) };
            }
            got = got.saturating_add(n);
        }
        let [a, b, c, d, e, f, g, h] = head;
        let raw = u32::from_le_bytes([a, b, c, d]) as usize;
        let len = u32::from_le_bytes([e, f, g, h]) as usize;
        if raw > MAX_BLOCK || len > MAX_BLOCK {
            return Err(corrupt());
        }
        self.packed.resize(len, 0);
        self.r.read_exact(&mut self.packed)?;
        self.block.resize(raw, 0);
        let n = lz4_flex::block::decompress_into(&self.packed, &mut self.block)
            .map_err(|_| corrupt())?;
        if n != raw {
            return Err(corrupt());
        }
        self.pos = 0;
        Ok(true)
    }

    /// Moves to the next entry, or marks the run as read.
    pub(super) fn advance(&mut self) -> std::io::Result<()> {
        if self.pos >= self.block.len() && !self.next_block()? {
            self.live = false;
            return Ok(());
        }
        let entry = (|| {
            let mut rest = self.block.get(self.pos..)?;
            let klen = usize::try_from(read_u64v(&mut rest)?).ok()?;
            let plen = usize::try_from(read_u64v(&mut rest)?).ok()?;
            let pos = self.block.len().checked_sub(rest.len())?;
            let kend = pos.checked_add(klen)?;
            let end = kend.checked_add(plen)?;
            (end <= self.block.len()).then_some(((pos, kend), (kend, end)))
        })();
        let (key, payload) = entry.ok_or_else(corrupt)?;
        self.key = key;
        self.payload = payload;
        self.pos = payload.1;
        self.prefix = super::spill::prefix(self.key());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, SeekFrom};

    /// An empty temporary file, already unlinked.
    fn scratch(name: &str) -> File {
        let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{e}"));
        let _ = std::fs::remove_file(&path);
        file
    }

    #[test]
    fn entries_read_back_as_written_across_blocks() {
        let file = scratch("merit-runs-test");
        // Small entries, an empty one, and one bigger than a block.
        let big = vec![b'x'; BLOCK * 2 + 3];
        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = (0..5000u32)
            .map(|i| {
                (
                    i.to_be_bytes().to_vec(),
                    format!("line {i} {}", i * 7).into_bytes(),
                )
            })
            .collect();
        entries.insert(10, (Vec::new(), Vec::new()));
        entries.insert(2000, (b"big".to_vec(), big));
        let mut w = RunWriter::new(&file);
        for (k, p) in &entries {
            w.entry(k, p).unwrap_or_else(|e| panic!("{e}"));
        }
        w.finish().unwrap_or_else(|e| panic!("{e}"));
        (&file)
            .seek(SeekFrom::Start(0))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut r = RunReader::new(&file);
        let mut got = Vec::new();
        r.advance().unwrap_or_else(|e| panic!("{e}"));
        while r.live {
            got.push((r.key().to_vec(), r.payload().to_vec()));
            r.advance().unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(got, entries);
        // Much smaller than written: the payloads repeat their wording.
        let size = (&file).seek(SeekFrom::End(0)).unwrap_or(0);
        let raw: usize = entries.iter().map(|(k, p)| k.len() + p.len()).sum();
        assert!(size < raw as u64 / 2, "{size} bytes on disk for {raw}");
    }

    #[test]
    fn a_damaged_run_is_an_error_not_a_panic() {
        let file = scratch("merit-runs-bad");
        // A block that claims more bytes than it holds, then garbage.
        (&file)
            .write_all(&[16, 0, 0, 0, 4, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
            .unwrap_or_else(|e| panic!("{e}"));
        (&file)
            .seek(SeekFrom::Start(0))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut r = RunReader::new(&file);
        let e = r.advance().err().map(|e| e.kind());
        assert_eq!(e, Some(std::io::ErrorKind::InvalidData));
    }
}
