//! How the write stage hands out work: the planned files grouped by the environment directory
//! they go in, so one worker writes or links a run of files through one directory handle, and
//! the cache side through one handle per cached directory.
//!
//! A run holds at most [`MAX_FILES`] files and [`MAX_BYTES`] bytes, so a big directory is split
//! and a big file is a job of its own: both cores stay busy to the end. Handles live as long as
//! the job that opened them, so an install holds about two directory handles per worker however
//! many directories it writes (a thousand small wheels would otherwise hold thousands, past the
//! open-file limit).
//!
//! Not here: what is written into each file (the parent module and [`super::cached`]).

use std::io;

use cap_std::fs::Dir;
use rayon::prelude::*;

use crate::plan::FileOp;
use crate::roots::{RootId, Roots, open_dir_handle, split_parent};

/// The most files one job writes.
const MAX_FILES: usize = 64;
/// The most bytes (declared sizes) one job writes, unless one file alone is bigger.
const MAX_BYTES: u64 = 1 << 20;

/// One task of the write stage's pool.
pub(super) enum Job {
    /// Write the plan's files `order[start..end]`, all in one directory of the environment.
    Files { start: usize, end: usize },
    /// Hash this wheel file (for `direct_url.json`), when its sha256 is not known yet.
    HashWheel(usize),
}

/// The order files are written in (grouped by directory), and the jobs over it: runs of files
/// largest first, and the wheels whose sha256 is not `known` interleaved early, largest first
/// (hashing a wheel is as much work as inflating it).
pub(super) fn schedule(
    files: &[FileOp],
    wheel_sizes: &[u64],
    known: &dyn Fn(usize) -> bool,
) -> (Vec<usize>, Vec<Job>) {
    let mut order: Vec<usize> = (0..files.len()).collect();
    // Each file's directory, found once (not once per comparison).
    let dirs: Vec<(RootId, &str)> = (files.par_iter())
        .map(|f| (f.root, split_parent(&f.rel).0))
        .collect();
    let dir_of = |i: usize| dirs[i];
    // Grouped by directory within each wheel's stretch of the plan (the plan lists a wheel's
    // files together): many small sorts in parallel, not one of every file. Two wheels writing
    // into one directory make two runs there, as a big directory does.
    let mut stretches: Vec<&mut [usize]> = Vec::new();
    let mut rest = order.as_mut_slice();
    while !rest.is_empty() {
        let wheel = files[rest[0]].wheel;
        let len = (rest.iter())
            .position(|&i| files[i].wheel != wheel)
            .unwrap_or(rest.len());
        let (stretch, tail) = rest.split_at_mut(len);
        stretches.push(stretch);
        rest = tail;
    }
    stretches
        .par_iter_mut()
        .for_each(|s| s.sort_unstable_by(|&a, &b| dir_of(a).cmp(&dir_of(b)).then(a.cmp(&b))));

    let mut runs: Vec<(u64, usize, usize)> = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (k, &i) in order.iter().enumerate() {
        let size = files[i].size_hint();
        let same_dir = k > start && dir_of(order[start]) == dir_of(i);
        if k > start && (!same_dir || k - start == MAX_FILES || bytes + size > MAX_BYTES) {
            runs.push((bytes, start, k));
            start = k;
            bytes = 0;
        }
        bytes += size;
    }
    if start < order.len() {
        runs.push((bytes, start, order.len()));
    }
    runs.sort_by_key(|&(bytes, start, _)| (std::cmp::Reverse(bytes), start));
    let mut by_size: Vec<usize> = (0..wheel_sizes.len()).collect();
    by_size.sort_by_key(|&w| std::cmp::Reverse(wheel_sizes[w]));
    by_size.retain(|&w| !known(w));
    // One wheel to hash, then one run of files, while both last; then whichever is left.
    let mut jobs: Vec<Job> = Vec::with_capacity(runs.len() + by_size.len());
    let mut runs = runs
        .into_iter()
        .map(|(_, start, end)| Job::Files { start, end });
    let mut hashes = by_size.into_iter().map(Job::HashWheel);
    loop {
        match (hashes.next(), runs.next()) {
            (None, None) => break,
            (hash, run) => jobs.extend(hash.into_iter().chain(run)),
        }
    }
    (order, jobs)
}

/// The directory handles of one job: the environment directory its files go in, and the cache
/// directory it last placed from or linked into (by wheel), each opened on first use.
#[derive(Default)]
pub(super) struct JobDirs {
    pub env: Slot<RootId>,
    pub cache: Slot<usize>,
}

/// One open directory, known by an id (a root, a wheel) and a path below it.
pub(super) struct Slot<T> {
    open: Option<(T, String, Dir)>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot { open: None }
    }
}

impl<T: Copy + PartialEq> Slot<T> {
    /// The directory `parent` of `id`: the one open already, or the one `open` opens.
    pub(super) fn get(
        &mut self,
        id: T,
        parent: &str,
        open: impl FnOnce() -> io::Result<Dir>,
    ) -> io::Result<&Dir> {
        let same = matches!(&self.open, Some((i, p, _)) if *i == id && p == parent);
        if !same {
            self.open = None;
            self.open = Some((id, parent.to_string(), open()?));
        }
        match &self.open {
            Some((_, _, dir)) => Ok(dir),
            None => Err(io::Error::other("no directory")),
        }
    }
}

/// The environment directory `parent` of root `root`, opened beneath the root's capability.
pub(super) fn open_env(roots: &Roots, root: RootId, parent: &str) -> io::Result<Dir> {
    open_dir_handle(roots.dir(root)?, parent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Source;
    use std::sync::Arc;

    fn file(rel: &str, size: usize) -> FileOp {
        FileOp {
            wheel: 0,
            source: Source::Generated {
                bytes: Arc::from(vec![0u8; size]),
                origin: rel.into(),
            },
            root: RootId::default(),
            rel: rel.to_string(),
            executable: false,
            shadowed: false,
        }
    }

    fn runs(files: &[FileOp], order: &[usize], jobs: &[Job]) -> Vec<Vec<String>> {
        jobs.iter()
            .filter_map(|j| match j {
                Job::Files { start, end } => Some(
                    order[*start..*end]
                        .iter()
                        .map(|&i| files[i].rel.clone())
                        .collect(),
                ),
                Job::HashWheel(_) => None,
            })
            .collect()
    }

    #[test]
    fn files_are_grouped_by_directory_largest_first() {
        let files = vec![
            file("a/x.py", 10),
            file("b/y.py", 5000),
            file("a/z.py", 10),
            file("top.py", 1),
        ];
        let (order, jobs) = schedule(&files, &[100], &|_| true);
        assert_eq!(
            runs(&files, &order, &jobs),
            [vec!["b/y.py"], vec!["a/x.py", "a/z.py"], vec!["top.py"]]
        );
    }

    #[test]
    fn big_directories_and_big_files_are_split() {
        let mut files: Vec<FileOp> = (0..150).map(|i| file(&format!("d/{i}.py"), 10)).collect();
        files.push(file("d/big.so", 3 << 20));
        files.push(file("d/mid.so", 700 << 10));
        files.push(file("d/mid2.so", 700 << 10));
        let (order, jobs) = schedule(&files, &[1], &|_| false);
        let runs = runs(&files, &order, &jobs);
        assert!(runs.iter().all(|r| r.len() <= MAX_FILES));
        assert_eq!(runs[0], ["d/big.so"], "the biggest job first");
        assert_eq!(runs.iter().map(Vec::len).sum::<usize>(), files.len());
        // Every file once.
        let mut all: Vec<&String> = runs.iter().flatten().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), files.len());
        // The wheel to hash is scheduled first.
        assert!(matches!(jobs[0], Job::HashWheel(0)));
    }
}
