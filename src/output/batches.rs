//! Writing through a thread of its own: what a producer hands over is gathered in batches of
//! [`BATCH`] bytes and written by a writing thread, so the kernel's copying overlaps the
//! producing. The bytes written are exactly those handed over, in order.

use std::io::Write;
use std::sync::mpsc;

/// Bytes gathered before a batch goes to the writing thread.
pub(crate) const BATCH: usize = 1 << 20;

/// Runs `produce`, which hands bytes to the function it is given, and writes them to `out`
/// on a writing thread; flushes `out` at the end. A write error stops the producer (its next
/// hand-over fails) and is the error returned.
pub(crate) fn through_thread<T>(
    out: &mut (dyn Write + Send),
    produce: impl FnOnce(&mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let stopped = || std::io::Error::other("the writing thread stopped");
    std::thread::scope(|s| {
        let (to_writer, batches) = mpsc::sync_channel::<Vec<u8>>(4);
        let (give_back, spare) = mpsc::channel::<Vec<u8>>();
        let writer = std::thread::Builder::new()
            .name("merit-writer".into())
            .spawn_scoped(s, move || -> std::io::Result<()> {
                for batch in batches {
                    out.write_all(&batch)?;
                    // The producer may have stopped; then the batch is just dropped.
                    let _ = give_back.send(batch);
                }
                out.flush()
            })
            .map_err(|e| std::io::Error::other(format!("cannot start the writer: {e}")))?;
        let mut batch = Vec::with_capacity(BATCH);
        let produced = produce(&mut |bytes: &[u8]| {
            batch.extend_from_slice(bytes);
            if batch.len() >= BATCH {
                let mut next = spare
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                next.clear();
                let full = std::mem::replace(&mut batch, next);
                to_writer.send(full).map_err(|_| stopped())?;
            }
            Ok(())
        });
        let last = match produced {
            Ok(_) if !batch.is_empty() => to_writer.send(batch).map_err(|_| stopped()),
            _ => Ok(()),
        };
        drop(to_writer);
        let wrote = writer
            .join()
            .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
        // The writer's error explains a stopped producer best.
        wrote?;
        let value = produced?;
        last?;
        Ok(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces of every size, across many batches, arrive whole and in order.
    #[test]
    fn the_bytes_arrive_in_order() {
        let mut want = Vec::new();
        let mut out: Vec<u8> = Vec::new();
        let n = through_thread(&mut out, |write| {
            for i in 0..20_000u32 {
                let piece = format!("{i}:{}\n", "x".repeat((i % 700) as usize));
                want.extend_from_slice(piece.as_bytes());
                write(piece.as_bytes())?;
            }
            Ok(20_000)
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n, 20_000);
        assert!(want.len() > 3 * BATCH);
        assert_eq!(out, want);
    }

    /// A sink that fails after some bytes.
    struct Failing(usize);

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 < buf.len() {
                return Err(std::io::Error::other("disk full"));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A failing write stops the producer and is the error returned (no hang, no panic).
    #[test]
    fn a_write_error_stops_the_producer() {
        let mut out = Failing(3 * BATCH);
        let mut handed = 0usize;
        let got = through_thread(&mut out, |write| loop {
            write(&[b'y'; 4096])?;
            handed += 4096;
        });
        let e: Result<(), _> = got;
        assert_eq!(e.err().map(|e| e.to_string()), Some("disk full".into()));
        // It stopped within the queue's few batches of the failure.
        assert!(handed < 12 * BATCH, "{handed} bytes handed over");
    }
}
