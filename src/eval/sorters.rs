//! A worker's three external sorters for streaming evaluation ([`super::stream`]): its
//! rendered lines, its waiting candidates and its record ids, each sorted (and spilled to
//! temporary files past its share of memory) on the worker that made them; the ids of jobs
//! whose ids rise, kept aside unsorted ([`super::aside`]); and the sizes its jobs' chunks start
//! at.

use super::aside::Aside;
use super::spill::{Chunk, Sorted, Sorter};

/// One worker's three external sorters: rendered lines, waiting candidates, record ids; and
/// the ids kept aside.
pub(super) struct Sorters {
    lines: Sorter,
    cands: Sorter,
    ids: Sorter,
    aside: Aside,
}

/// What [`Sorters`] hold once sorted.
pub(super) struct Sorted3 {
    pub(super) lines: Sorted,
    pub(super) cands: Sorted,
    pub(super) ids: Sorted,
    /// Ids of jobs whose ids rose, unsorted: needed only when the run's ids do not rise.
    pub(super) aside: Aside,
}

impl Sorters {
    /// Sorters within `share` bytes each for candidates and ids, twice that for lines.
    pub(super) fn new(share: usize, dir: &std::path::Path) -> Sorters {
        Sorters {
            lines: Sorter::new(share.saturating_mul(2), dir.to_path_buf()),
            cands: Sorter::new(share, dir.to_path_buf()),
            ids: Sorter::new(share, dir.to_path_buf()),
            aside: Aside::new(dir.to_path_buf()),
        }
    }

    /// Takes a job's entries (sorting and spilling to disk here, on the worker). The ids of a
    /// job whose ids rise (`ids_rise`) are kept aside instead of sorted.
    pub(super) fn absorb(
        &mut self,
        lines: Chunk,
        cands: Chunk,
        ids: Chunk,
        ids_rise: bool,
    ) -> std::io::Result<()> {
        self.lines.absorb(lines)?;
        self.cands.absorb(cands)?;
        if ids_rise {
            self.aside.keep(&ids)
        } else {
            self.ids.absorb(ids)
        }
    }

    pub(super) fn finish(self) -> std::io::Result<Sorted3> {
        Ok(Sorted3 {
            lines: self.lines.finish()?,
            cands: self.cands.finish()?,
            ids: self.ids.finish()?,
            aside: self.aside,
        })
    }
}

/// The largest chunks a worker's jobs have made so far: the next job's chunks start that
/// large, instead of growing (and copying) from nothing each time.
#[derive(Default)]
pub(super) struct Sizes {
    pub(super) lines: (usize, usize),
    pub(super) cands: (usize, usize),
    pub(super) ids: (usize, usize),
}

impl Sizes {
    /// An empty chunk of a size [`Sizes::learn`] kept.
    pub(super) fn chunk(size: (usize, usize)) -> Chunk {
        Chunk::with_capacity(size.0, size.1)
    }

    /// Keeps the larger of `size` and what `chunk` holds.
    pub(super) fn learn(size: &mut (usize, usize), chunk: &Chunk) {
        let (arena, entries) = chunk.size();
        *size = (size.0.max(arena), size.1.max(entries));
    }
}
