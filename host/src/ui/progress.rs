//! Progress of an install: counters the pipeline bumps ([`Progress`]) and the live display that
//! shows them on a terminal ([`Display`]).
//!
//! The write stage runs every file of every wheel in a rayon pool. Its workers only bump atomics
//! ([`Progress::file_done`], one call per file); they never touch the terminal. One display
//! thread polls the counters every [`POLL`] and redraws one line (an indicatif bar) on stderr.
//! The bar appears only if the install is still running after [`DEFAULT_MIN_MS`] (so a quick
//! install never flickers), is cleared before anything else is printed, and never hides the
//! cursor, so an interrupted winst cannot leave it hidden. Lines printed while it is on screen
//! go above it ([`suspend`]).
//!
//! Not here: deciding whether stderr can show it ([`super::Settings::progress`]) or the
//! closing summary ([`super::summary`]).

use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use winst_install::progress::{Progress, Snapshot, Stage};

use super::Paint;
use super::summary::{human_bytes, thousands};

/// How often the display thread looks at the counters.
pub const POLL: Duration = Duration::from_millis(80);

/// Installs shorter than this show no bar. `WINST_PROGRESS_MIN_MS` changes it (tests use 0).
pub const DEFAULT_MIN_MS: u64 = 150;

/// The bar on screen now, if any, so that other output can step around it.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn active() -> Option<ProgressBar> {
    ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn set_active(bar: Option<ProgressBar>) -> Option<ProgressBar> {
    std::mem::replace(&mut *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()), bar)
}

/// Runs `f` (which prints) with the bar cleared from the screen, then redraws the bar.
pub fn suspend<R>(f: impl FnOnce() -> R) -> R {
    match active() {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}

/// The live display of a [`Progress`]; dropping it clears the bar and stops the thread.
pub struct Display {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Display {
    /// Starts the display thread if the settings allow a bar; otherwise does nothing.
    pub fn start(progress: &Progress) -> Display {
        if !super::settings().progress {
            return Display {
                stop: None,
                thread: None,
            };
        }
        let min = std::env::var("WINST_PROGRESS_MIN_MS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_MIN_MS);
        let (tx, rx) = mpsc::channel();
        let progress = progress.clone();
        let paint = Paint::stderr();
        let thread = std::thread::Builder::new()
            .name("winst-progress".into())
            .spawn(move || run(&progress, &rx, Duration::from_millis(min), paint))
            .ok();
        Display {
            stop: Some(tx),
            thread,
        }
    }

    /// Clears the bar and waits for the display thread to end.
    pub fn finish(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        // Dropping the sender wakes the thread at once.
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // If the thread could not clear it (it panicked), clear it here.
        if let Some(bar) = set_active(None) {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.stop_now();
    }
}

fn run(progress: &Progress, stop: &mpsc::Receiver<()>, min: Duration, paint: Paint) {
    let start = Instant::now();
    let mut bar: Option<(ProgressBar, bool)> = None;
    let mut wait = min.min(POLL);
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(wait) {
        wait = POLL;
        if start.elapsed() < min {
            wait = (min - start.elapsed()).min(POLL);
            continue;
        }
        let snap = progress.snapshot();
        let (pb, writing) = bar.get_or_insert_with(|| {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            pb.set_style(spinner_style());
            set_active(Some(pb.clone()));
            (pb, false)
        });
        draw(pb, writing, &snap, paint);
    }
    if let Some(pb) = set_active(None) {
        pb.finish_and_clear();
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} {spinner} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ")
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} [{bar:30}] {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// The stage name right-aligned in 10 columns, cargo style.
fn prefix(stage: Stage, paint: Paint) -> String {
    paint.cyan_bold(&format!("{:>10}", stage.label()))
}

/// The text after the bar: bytes, files and wheels, done of total.
pub fn message(s: &Snapshot) -> String {
    let wheels = if s.wheels_total == 1 {
        "wheel"
    } else {
        "wheels"
    };
    if s.stage == Stage::Compiling && s.compile_total > 0 {
        format!(
            "{}/{} .py files · {} {wheels}",
            thousands(s.compile_done.min(s.compile_total)),
            thousands(s.compile_total),
            s.wheels_total
        )
    } else if s.stage == Stage::Writing || s.files_total > 0 {
        format!(
            "{}/{} · {}/{} files · {}/{} {wheels}",
            human_bytes(s.bytes_done.min(s.bytes_total)),
            human_bytes(s.bytes_total),
            thousands(s.files_done.min(s.files_total)),
            thousands(s.files_total),
            s.wheels_done.min(s.wheels_total),
            s.wheels_total
        )
    } else if s.wheels_total > 0 {
        format!("{} {wheels}", s.wheels_total)
    } else {
        String::new()
    }
}

fn draw(pb: &ProgressBar, writing: &mut bool, s: &Snapshot, paint: Paint) {
    if s.files_total > 0 && !*writing {
        pb.set_style(bar_style());
        *writing = true;
    }
    if *writing && s.stage == Stage::Compiling && s.compile_total > 0 {
        pb.set_length(s.compile_total);
        pb.set_position(s.compile_done.min(s.compile_total));
    } else if *writing {
        pb.set_length(s.bytes_total.max(1));
        pb.set_position(s.bytes_done.min(s.bytes_total));
    } else {
        pb.tick();
    }
    pb.set_prefix(prefix(s.stage, paint));
    pb.set_message(message(s));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheels_are_done_when_their_last_file_is() {
        let p = Progress::new();
        p.set_wheels(2);
        p.start_writing(&[2, 1], 30);
        p.file_done(0, 10);
        assert_eq!(p.snapshot().wheels_done, 0);
        p.file_done(1, 5);
        assert_eq!(p.snapshot().wheels_done, 1);
        p.file_done(0, 15);
        // An index past the wheels is ignored, not a panic.
        p.file_done(7, 0);
        let s = p.snapshot();
        assert_eq!(s.wheels_done, 2);
        assert_eq!((s.files_done, s.files_total), (4, 3));
        assert_eq!(s.bytes_done, 30);
        assert_eq!(s.stage, Stage::Writing);
        assert_eq!(message(&s), "30 B/30 B · 3/3 files · 2/2 wheels");
    }

    #[test]
    fn the_compile_stage_counts_py_files_not_bytes() {
        let p = Progress::new();
        p.start_writing(&[2], 30);
        p.file_done(0, 30);
        p.file_done(0, 0);
        p.start_compiling(1500);
        p.compiled(1000);
        p.compiled(1);
        let s = p.snapshot();
        assert_eq!(s.stage, Stage::Compiling);
        assert_eq!(message(&s), "1,001/1,500 .py files · 1 wheel");
    }

    #[test]
    fn counts_from_many_threads_add_up() {
        let p = Progress::new();
        let per_wheel = vec![1000; 8];
        p.start_writing(&per_wheel, 8000);
        std::thread::scope(|scope| {
            for w in 0..8 {
                let p = p.clone();
                scope.spawn(move || (0..1000).for_each(|_| p.file_done(w, 1)));
            }
        });
        let s = p.snapshot();
        assert_eq!((s.files_done, s.bytes_done, s.wheels_done), (8000, 8000, 8));
    }
}
