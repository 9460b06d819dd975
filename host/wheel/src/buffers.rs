//! Spare read buffers, per thread: the archive readers ([`crate::archive`]) and the layout check
//! ([`crate::container`]) take their buffers from here and give them back when dropped. Not
//! here: reading anything.

thread_local! {
    /// Read buffers no longer used on this thread (at most [`SPARES`]), for the next reader.
    static SPARE: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How many spare read buffers a thread keeps.
const SPARES: usize = 4;

/// A read buffer, empty, from this thread's spares (allocated when there is none). Readers
/// made and dropped wheel after wheel reuse a few buffers instead of allocating tens of KiB
/// each time: with glibc's per-thread caches, that churn left the heap fragmented (measured:
/// tens of MB of resident memory on a 1,000-wheel install).
pub(crate) fn spare_buffer() -> Vec<u8> {
    SPARE
        .try_with(|s| s.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Returns a buffer for [`spare_buffer`] to hand out again.
pub(crate) fn give_back(mut buf: Vec<u8>) {
    if buf.capacity() == 0 {
        return;
    }
    buf.clear();
    let _ = SPARE.try_with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < SPARES {
            s.push(buf);
        }
    });
}
