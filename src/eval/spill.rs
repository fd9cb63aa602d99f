//! Sorting more than fits in memory: entries (a key compared byte by byte, and a payload) are
//! gathered in a buffer; when it holds more than its limit it is sorted and written to a
//! temporary file as one sorted run; reading merges the runs and what is left in memory.
//!
//! Temporary files are created in the spill folder (the system's temporary folder by default,
//! `TMPDIR` on Unix) and, on Unix, unlinked at once: nothing is left behind even if the process
//! is killed.

use super::runs::{RunReader, RunWriter};
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// One entry's place in a [`Chunk`]'s arena: the key is `off..kend`, the payload `kend..end`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The key's first eight bytes, big-endian (zero-padded): most comparisons end here.
    prefix: u64,
    off: usize,
    kend: usize,
    end: usize,
}

/// Bytes of memory one entry costs besides its key and payload.
const ENTRY_COST: usize = std::mem::size_of::<Entry>();

pub(super) fn prefix(key: &[u8]) -> u64 {
    let mut p = [0u8; 8];
    for (d, s) in p.iter_mut().zip(key) {
        *d = *s;
    }
    u64::from_be_bytes(p)
}

/// Entries in memory, in the order pushed until [`Chunk::sort`].
#[derive(Debug, Default)]
pub(crate) struct Chunk {
    arena: Vec<u8>,
    index: Vec<Entry>,
}

impl Chunk {
    /// An empty chunk with room for `arena` bytes of keys and payloads and `entries` entries.
    pub(crate) fn with_capacity(arena: usize, entries: usize) -> Chunk {
        Chunk {
            arena: Vec::with_capacity(arena),
            index: Vec::with_capacity(entries),
        }
    }

    /// Bytes of keys and payloads and number of entries, to size the next chunk.
    pub(crate) fn size(&self) -> (usize, usize) {
        (self.arena.len(), self.index.len())
    }

    /// Adds an entry.
    #[cfg(test)]
    pub(crate) fn push(&mut self, key: &[u8], payload: &[u8]) {
        let off = self.arena.len();
        self.arena.extend_from_slice(key);
        let kend = self.arena.len();
        self.arena.extend_from_slice(payload);
        self.push_written(off, kend);
    }

    /// Adds an entry whose key (`off..kend`) and then payload (`kend..` to the end) were just
    /// appended to [`Chunk::arena_mut`].
    pub(crate) fn push_written(&mut self, off: usize, kend: usize) {
        let key = self.arena.get(off..kend).unwrap_or_default();
        self.index.push(Entry {
            prefix: prefix(key),
            off,
            kend,
            end: self.arena.len(),
        });
    }

    /// The arena, to write an entry in place (then [`Chunk::push_written`]).
    pub(crate) fn arena_mut(&mut self) -> &mut Vec<u8> {
        &mut self.arena
    }

    /// Memory held (saturating: only compared with the sort memory limit).
    pub(crate) fn bytes(&self) -> usize {
        self.index
            .len()
            .saturating_mul(ENTRY_COST)
            .saturating_add(self.arena.len())
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The keys, in the order pushed (before [`Chunk::sort`]) or sorted (after).
    pub(crate) fn keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.index.iter().map(|e| self.key(e))
    }

    fn key(&self, e: &Entry) -> &[u8] {
        self.arena.get(e.off..e.kend).unwrap_or_default()
    }

    fn payload(&self, e: &Entry) -> &[u8] {
        self.arena.get(e.kend..e.end).unwrap_or_default()
    }

    /// Memory the chunk's buffers take (their capacity: what the process holds).
    fn held(&self) -> usize {
        self.index
            .capacity()
            .saturating_mul(ENTRY_COST)
            .saturating_add(self.arena.capacity())
    }
}

/// One entry of the chunks a [`Sorter`] holds: which chunk, which of its entries.
#[derive(Debug, Clone, Copy)]
struct Ref {
    prefix: u64,
    chunk: u32,
    entry: u32,
}

/// The chunks a [`Sorter`] holds in memory, as they came (never copied into one buffer), and
/// once sorted, the order of all their entries.
#[derive(Debug, Default)]
struct Mem {
    chunks: Vec<Chunk>,
    order: Vec<Ref>,
    held: usize,
}

impl Mem {
    fn push(&mut self, chunk: Chunk) {
        self.held = self.held.saturating_add(chunk.held());
        self.chunks.push(chunk);
    }

    fn get(&self, r: &Ref) -> (&[u8], &[u8]) {
        let entry = self
            .chunks
            .get(r.chunk as usize)
            .and_then(|c| Some((c, c.index.get(r.entry as usize)?)));
        match entry {
            Some((c, e)) => (c.key(e), c.payload(e)),
            None => (&[], &[]),
        }
    }

    /// Orders every entry by key (equal keys in no particular order).
    fn sort(&mut self) -> std::io::Result<()> {
        let too_many = || std::io::Error::other("more than 2^32 entries in one sort buffer");
        let mut order = Vec::with_capacity(self.chunks.iter().map(Chunk::len).sum());
        for (ci, c) in self.chunks.iter().enumerate() {
            let chunk = u32::try_from(ci).map_err(|_| too_many())?;
            for (ei, e) in c.index.iter().enumerate() {
                let entry = u32::try_from(ei).map_err(|_| too_many())?;
                order.push(Ref {
                    prefix: e.prefix,
                    chunk,
                    entry,
                });
            }
        }
        order.sort_unstable_by(|a, b| {
            a.prefix
                .cmp(&b.prefix)
                .then_with(|| self.get(a).0.cmp(self.get(b).0))
        });
        self.order = order;
        Ok(())
    }

    fn clear(&mut self) {
        self.chunks.clear();
        self.order = Vec::new();
        self.held = 0;
    }
}

/// A sorted run in a temporary file.
pub(super) struct Run {
    pub(super) file: File,
    /// Removed on drop (where the file could not be unlinked while open).
    path: Option<PathBuf>,
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A new temporary file in `dir`, removed when dropped.
pub(super) fn temp_file(dir: &Path) -> std::io::Result<Run> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let mut last = None;
    for _ in 0..64 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = dir.join(format!(
            ".merit-spill-{}-{}-{nanos}.tmp",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => {
                // Unlinked at once where the system allows it, so nothing is ever left behind.
                let path = if cfg!(unix) && std::fs::remove_file(&path).is_ok() {
                    None
                } else {
                    Some(path)
                };
                return Ok(Run { file, path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("cannot create a temporary file in {}: {e}", dir.display()),
                ))
            }
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("cannot create a temporary file")))
}

/// Gathers entries, spilling sorted runs to disk past `limit` bytes.
pub(crate) struct Sorter {
    mem: Mem,
    limit: usize,
    dir: PathBuf,
    runs: Vec<Run>,
}

impl Sorter {
    /// A sorter that holds about `limit` bytes before writing a run in `dir`.
    pub(crate) fn new(limit: usize, dir: PathBuf) -> Sorter {
        Sorter {
            mem: Mem::default(),
            limit: limit.max(1),
            dir,
            runs: Vec::new(),
        }
    }

    /// Adds one entry.
    #[cfg(test)]
    pub(crate) fn push(&mut self, key: &[u8], payload: &[u8]) -> std::io::Result<()> {
        let mut c = Chunk::default();
        c.push(key, payload);
        self.absorb(c)
    }

    /// Adds every entry of a chunk.
    pub(crate) fn absorb(&mut self, chunk: Chunk) -> std::io::Result<()> {
        if chunk.len() > 0 {
            self.mem.push(chunk);
            self.spill_if_full()?;
        }
        Ok(())
    }

    /// Runs written to disk so far.
    #[cfg(test)]
    pub(crate) fn runs(&self) -> usize {
        self.runs.len()
    }

    fn spill_if_full(&mut self) -> std::io::Result<()> {
        if self.mem.held < self.limit {
            return Ok(());
        }
        self.mem.sort()?;
        let run = temp_file(&self.dir)?;
        let mut w = RunWriter::new(&run.file);
        for r in &self.mem.order {
            let (key, payload) = self.mem.get(r);
            w.entry(key, payload)?;
        }
        w.finish()?;
        self.runs.push(run);
        self.mem.clear();
        Ok(())
    }

    /// Everything added, sorted.
    pub(crate) fn finish(mut self) -> std::io::Result<Sorted> {
        self.mem.sort()?;
        Ok(Sorted {
            mems: vec![self.mem],
            runs: self.runs,
        })
    }
}

/// All entries, sorted; can be read more than once.
pub(crate) struct Sorted {
    /// What was left in memory, one part per sorter joined.
    mems: Vec<Mem>,
    runs: Vec<Run>,
}

impl Sorted {
    /// The entries of several sorters as one (each worker thread sorts its own).
    pub(crate) fn join(parts: impl IntoIterator<Item = Sorted>) -> Sorted {
        let mut all = Sorted {
            mems: Vec::new(),
            runs: Vec::new(),
        };
        for p in parts {
            all.mems.extend(p.mems);
            all.runs.extend(p.runs);
        }
        all
    }

    /// Reads the entries in key order (equal keys: those in memory first, then by run).
    pub(crate) fn merge(&mut self) -> std::io::Result<Merge<'_>> {
        let mut runs = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            (&run.file).seek(SeekFrom::Start(0))?;
            let mut r = RunReader::new(&run.file);
            r.advance()?;
            runs.push(r);
        }
        Ok(Merge {
            mems: self.mems.iter().map(|m| (m, m.order.as_slice())).collect(),
            runs,
            heap: Vec::new(),
            started: false,
        })
    }
}

/// Where a merged entry comes from: a part in memory, or a run on disk. The order of sources
/// breaks ties between equal keys (memory first, then runs in the order written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Mem(usize),
    Run(usize),
}

/// A merged reading of a [`Sorted`]: a binary heap of the sources by their current entry, so
/// each entry costs a few comparisons however many runs there are.
pub(crate) struct Merge<'a> {
    /// Each part in memory and its entries not read yet.
    mems: Vec<(&'a Mem, &'a [Ref])>,
    runs: Vec<RunReader<'a>>,
    /// Sources that still have entries, the smallest first, each with its current entry's key
    /// prefix (most comparisons end there, without looking the entry up); built on the first
    /// call.
    heap: Vec<(u64, Source)>,
    started: bool,
}

impl Merge<'_> {
    /// A source's current entry: key prefix, key and payload; `None` once it is read.
    fn head(&self, s: Source) -> Option<(u64, &[u8], &[u8])> {
        match s {
            Source::Mem(i) => {
                let (mem, rest) = self.mems.get(i)?;
                let e = rest.first()?;
                let (k, p) = mem.get(e);
                Some((e.prefix, k, p))
            }
            Source::Run(i) => {
                let r = self.runs.get(i)?;
                r.live.then(|| (r.prefix, r.key(), r.payload()))
            }
        }
    }

    /// Whether heap entry `a`'s source comes before `b`'s: by key prefix, then by key, then
    /// by source.
    fn before(&self, (pa, a): (u64, Source), (pb, b): (u64, Source)) -> bool {
        if pa != pb {
            return pa < pb;
        }
        match (self.head(a), self.head(b)) {
            (Some((_, ka, _)), Some((_, kb, _))) => (ka, a) < (kb, b),
            (Some(_), None) => true,
            _ => false,
        }
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let (l, r) = (
                at.saturating_mul(2).saturating_add(1),
                at.saturating_mul(2).saturating_add(2),
            );
            let mut least = at;
            for child in [l, r] {
                if let (Some(&c), Some(&m)) = (self.heap.get(child), self.heap.get(least)) {
                    if self.before(c, m) {
                        least = child;
                    }
                }
            }
            if least == at {
                return;
            }
            self.heap.swap(at, least);
            at = least;
        }
    }

    /// The next entry: key and payload.
    pub(crate) fn next(&mut self) -> std::io::Result<Option<(&[u8], &[u8])>> {
        if !self.started {
            self.started = true;
            let mut all: Vec<Source> = (0..self.mems.len()).map(Source::Mem).collect();
            all.extend((0..self.runs.len()).map(Source::Run));
            self.heap = all
                .into_iter()
                .filter_map(|s| self.head(s).map(|(p, _, _)| (p, s)))
                .collect();
            for at in (0..self.heap.len() / 2).rev() {
                self.sift_down(at);
            }
        } else if let Some(&(_, top)) = self.heap.first() {
            // Past the entry returned last.
            match top {
                Source::Mem(i) => {
                    if let Some((_, rest)) = self.mems.get_mut(i) {
                        *rest = rest.split_first().map_or(&[], |(_, r)| r);
                    }
                }
                Source::Run(i) => {
                    if let Some(r) = self.runs.get_mut(i) {
                        r.advance()?;
                    }
                }
            }
            match self.head(top).map(|(p, _, _)| p) {
                Some(p) => {
                    if let Some(first) = self.heap.first_mut() {
                        first.0 = p;
                    }
                }
                None => {
                    self.heap.swap_remove(0);
                }
            }
            self.sift_down(0);
        }
        Ok(self
            .heap
            .first()
            .and_then(|&(_, s)| self.head(s))
            .map(|(_, k, p)| (k, p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spilled_and_in_memory_sorts_agree() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 33
        };
        let entries: Vec<(Vec<u8>, Vec<u8>)> = (0..3000)
            .map(|i| {
                let len = (next() % 12) as usize;
                let key: Vec<u8> = (0..len).map(|_| (next() % 3) as u8).collect();
                (key, format!("payload {i}").into_bytes())
            })
            .collect();
        let mut want: Vec<&(Vec<u8>, Vec<u8>)> = entries.iter().collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        for limit in [1usize, 100, 5000, 1 << 30] {
            let mut s = Sorter::new(limit, std::env::temp_dir());
            let mut chunk = Chunk::default();
            for (i, (k, p)) in entries.iter().enumerate() {
                if i % 2 == 0 {
                    chunk.push(k, p);
                } else {
                    s.push(k, p).unwrap_or_default();
                }
                if chunk.len() > 40 {
                    s.absorb(std::mem::take(&mut chunk)).unwrap_or_default();
                }
            }
            s.absorb(chunk).unwrap_or_default();
            if limit < 5000 {
                assert!(s.runs() > 1, "limit {limit}: nothing went to disk");
            } else if limit == 1 << 30 {
                assert_eq!(s.runs(), 0);
            }
            let mut sorted = s.finish().unwrap_or_else(|e| panic!("{e}"));
            for _ in 0..2 {
                let mut m = sorted.merge().unwrap_or_else(|e| panic!("{e}"));
                let mut got: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
                while let Ok(Some((k, p))) = m.next() {
                    got.push((k.to_vec(), p.to_vec()));
                }
                assert_eq!(got.len(), want.len(), "limit {limit}");
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(g.0, w.0, "limit {limit}");
                }
                let mut a: Vec<_> = got.clone();
                let mut b: Vec<_> = want.iter().map(|x| (*x).clone()).collect();
                a.sort();
                b.sort();
                assert_eq!(a, b);
            }
        }
    }

    /// Several sorters joined (as each worker sorts its own entries) read as one sort, with
    /// parts in memory and runs on disk mixed.
    #[test]
    fn joined_sorters_merge_as_one() {
        let entries: Vec<(Vec<u8>, Vec<u8>)> = (0..2000u32)
            .map(|i| {
                let k = (i.wrapping_mul(2_654_435_761) % 500).to_be_bytes().to_vec();
                (k, i.to_be_bytes().to_vec())
            })
            .collect();
        let mut want: Vec<Vec<u8>> = entries.iter().map(|(k, _)| k.clone()).collect();
        want.sort();
        for limits in [[1usize, 1, 1], [1 << 30, 1, 2000], [1 << 30; 3]] {
            let mut parts: Vec<Sorter> = limits
                .iter()
                .map(|l| Sorter::new(*l, std::env::temp_dir()))
                .collect();
            for (i, (k, p)) in entries.iter().enumerate() {
                if let Some(s) = parts.get_mut(i % 3) {
                    s.push(k, p).unwrap_or_else(|e| panic!("{e}"));
                }
            }
            let sorted = parts
                .into_iter()
                .map(|s| s.finish().unwrap_or_else(|e| panic!("{e}")));
            let mut all = Sorted::join(sorted);
            let mut m = all.merge().unwrap_or_else(|e| panic!("{e}"));
            let mut got = Vec::new();
            let mut payloads = std::collections::HashSet::new();
            while let Some((k, p)) = m.next().unwrap_or_else(|e| panic!("{e}")) {
                got.push(k.to_vec());
                payloads.insert(p.to_vec());
            }
            assert_eq!(got, want, "limits {limits:?}");
            assert_eq!(payloads.len(), entries.len(), "limits {limits:?}");
        }
    }
}
