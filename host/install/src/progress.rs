//! What an install has done so far: counters the pipeline's stages bump as they go
//! ([`Progress`]), read by whoever reports progress (the terminal display in `ui::progress`).
//!
//! The install steps own these counters and know nothing of how they are shown; the write
//! stage's workers only bump atomics (one call per file).
//!
//! Not here: drawing anything.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};

/// The stage an install is in, as the display names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Stage {
    Starting = 0,
    /// Reading and checking the wheels.
    Opening,
    /// Policy plugins, launchers, planning and conflict checks.
    Checking,
    /// Writing every file.
    Writing,
    /// Post-install plugins and RECORD files.
    Recording,
    /// Renaming everything into place.
    Committing,
    /// Bytecode (`--compile`), between writing and recording.
    Compiling,
}

impl Stage {
    fn from_u8(v: u8) -> Stage {
        match v {
            1 => Stage::Opening,
            2 => Stage::Checking,
            3 => Stage::Writing,
            4 => Stage::Recording,
            5 => Stage::Committing,
            6 => Stage::Compiling,
            _ => Stage::Starting,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Starting => "Starting",
            Stage::Opening => "Opening",
            Stage::Checking => "Checking",
            Stage::Writing => "Writing",
            Stage::Compiling => "Compiling",
            Stage::Recording => "Recording",
            Stage::Committing => "Committing",
        }
    }
}

#[derive(Default)]
struct Counters {
    stage: AtomicU8,
    wheels_total: AtomicUsize,
    files_total: AtomicU64,
    bytes_total: AtomicU64,
    files_done: AtomicU64,
    bytes_done: AtomicU64,
    wheels_done: AtomicUsize,
    /// Files left to write, per wheel (set when writing starts).
    left: OnceLock<Box<[AtomicUsize]>>,
    /// `.py` files to compile and compiled (with `--compile`).
    compile_total: AtomicU64,
    compile_done: AtomicU64,
}

/// What an install has done so far. Cheap to clone (shared counters); every method is a few
/// relaxed atomic operations, safe from any thread.
#[derive(Clone, Default)]
pub struct Progress {
    counters: Arc<Counters>,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub stage: Stage,
    pub wheels_total: usize,
    pub wheels_done: usize,
    pub files_total: u64,
    pub files_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub compile_total: u64,
    pub compile_done: u64,
}

impl Progress {
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Enters a stage.
    pub fn stage(&self, stage: Stage) {
        self.counters.stage.store(stage as u8, Ordering::Relaxed);
    }

    /// How many wheels this install has.
    pub fn set_wheels(&self, n: usize) {
        self.counters.wheels_total.store(n, Ordering::Relaxed);
    }

    /// Enters the write stage: `files_per_wheel[w]` files of wheel `w`, `bytes` in all.
    pub fn start_writing(&self, files_per_wheel: &[usize], bytes: u64) {
        let c = &self.counters;
        let left: Box<[AtomicUsize]> = files_per_wheel.iter().map(|&n| n.into()).collect();
        // One install per Progress; a second call keeps the first split.
        let _ = c.left.set(left);
        c.wheels_total
            .store(files_per_wheel.len(), Ordering::Relaxed);
        c.files_total.store(
            files_per_wheel.iter().map(|&n| n as u64).sum(),
            Ordering::Relaxed,
        );
        c.bytes_total.store(bytes, Ordering::Relaxed);
        self.stage(Stage::Writing);
    }

    /// One file of wheel `wheel` is written (`bytes` long). A wheel is done when its last file
    /// is.
    pub fn file_done(&self, wheel: usize, bytes: u64) {
        let c = &self.counters;
        c.files_done.fetch_add(1, Ordering::Relaxed);
        c.bytes_done.fetch_add(bytes, Ordering::Relaxed);
        if let Some(left) = c.left.get().and_then(|l| l.get(wheel))
            && left.fetch_sub(1, Ordering::Relaxed) == 1
        {
            c.wheels_done.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Enters the compile stage: `n` `.py` files to compile (from the cache or a worker).
    pub fn start_compiling(&self, n: usize) {
        self.counters
            .compile_total
            .store(n as u64, Ordering::Relaxed);
        self.stage(Stage::Compiling);
    }

    /// `n` more `.py` files compiled (or found not to compile).
    pub fn compiled(&self, n: usize) {
        self.counters
            .compile_done
            .fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        let c = &self.counters;
        Snapshot {
            stage: Stage::from_u8(c.stage.load(Ordering::Relaxed)),
            wheels_total: c.wheels_total.load(Ordering::Relaxed),
            wheels_done: c.wheels_done.load(Ordering::Relaxed),
            files_total: c.files_total.load(Ordering::Relaxed),
            files_done: c.files_done.load(Ordering::Relaxed),
            bytes_total: c.bytes_total.load(Ordering::Relaxed),
            bytes_done: c.bytes_done.load(Ordering::Relaxed),
            compile_total: c.compile_total.load(Ordering::Relaxed),
            compile_done: c.compile_done.load(Ordering::Relaxed),
        }
    }
}
