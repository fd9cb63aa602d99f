//! A worker's three external sorters for streaming evaluation ([`super::stream`]): its
//! rendered lines, its waiting candidates and its record ids, each sorted (and spilled to
//! temporary files past its share of memory) on the worker that made them.

use super::spill::{Chunk, Sorted, Sorter};

/// One worker's three external sorters: rendered lines, waiting candidates, record ids.
pub(super) struct Sorters {
    lines: Sorter,
    cands: Sorter,
    ids: Sorter,
}

/// What [`Sorters`] hold once sorted.
pub(super) struct Sorted3 {
    pub(super) lines: Sorted,
    pub(super) cands: Sorted,
    pub(super) ids: Sorted,
}

impl Sorters {
    /// Sorters within `share` bytes each for candidates and ids, twice that for lines.
    pub(super) fn new(share: usize, dir: &std::path::Path) -> Sorters {
        Sorters {
            lines: Sorter::new(share.saturating_mul(2), dir.to_path_buf()),
            cands: Sorter::new(share, dir.to_path_buf()),
            ids: Sorter::new(share, dir.to_path_buf()),
        }
    }

    /// Takes a job's entries (sorting and spilling to disk here, on the worker).
    pub(super) fn absorb(&mut self, lines: Chunk, cands: Chunk, ids: Chunk) -> std::io::Result<()> {
        self.lines.absorb(lines)?;
        self.cands.absorb(cands)?;
        self.ids.absorb(ids)
    }

    pub(super) fn finish(self) -> std::io::Result<Sorted3> {
        Ok(Sorted3 {
            lines: self.lines.finish()?,
            cands: self.cands.finish()?,
            ids: self.ids.finish()?,
        })
    }
}
