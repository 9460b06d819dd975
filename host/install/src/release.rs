//! Freeing a big install's data off the critical path: the hundreds of thousands of small
//! allocations of its plan (paths, file records) cost the main thread tens of milliseconds to
//! free, which it need not wait for.
//!
//! Not for data whose drop does anything beyond freeing memory and closing descriptors
//! (a transaction, a lock).

/// Drops `value` on a thread of its own (a process that exits first leaves the freeing to the
/// kernel). If no thread can be started, `value` is dropped here.
pub fn in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("winst-release".into())
        .spawn(move || drop(value));
}
