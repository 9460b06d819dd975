//! The unpacked-wheel cache: the files of wheels installed before, ready to be linked (or cloned,
//! or copied) into the next environment instead of inflated again.
//!
//! An entry is keyed by the sha256 of the whole wheel file, so it holds exactly the bytes that
//! wheel unpacks to; those bytes were checked against the wheel's RECORD when they were first
//! written. Layout under the cache directory:
//!
//! ```text
//! wheels-v3/<sha256>/files/<member path>   one file per plain archive member
//! wheels-v3/<sha256>/manifest.bin          the wheel's file name and listing (members and
//!                                          dist-info files, so a warm install does not open
//!                                          the archive); per file its size, sha256,
//!                                          executable bit, and the mode and mtime it had when
//!                                          the entry was filled ([`crate::manifest`])
//! wheels-v3/index/<hash of path>.json      stat identity of a wheel file → its sha256
//! ```
//!
//! **Cached files are checked before they are placed.** With hard links (the default), an
//! installed file *is* the cache's file: an edit made in one environment through such a link
//! (`open(path, "w")`, `chmod`) edits the cache. So every file is `stat`ed before it is linked,
//! cloned or copied, and placed only if its size, mode and modification time (nanoseconds) are
//! still those recorded when the entry was filled; and its manifest sha256 must equal the
//! wheel's own RECORD hash for the member (see [`crate::write`]). A file that fails either
//! check is inflated from the wheel instead, and the entry is removed after the install so the
//! next one refills it (`WheelCache::evict`). What this cannot see: bytes changed on purpose
//! with the size kept and the timestamp set back (`touch -d`), which needs write access to the
//! cache itself; `--untrusted` installs therefore never place files from the cache (they fill
//! it, from bytes they verified).
//!
//! An entry is built in a private `.tmp-*` directory and renamed into place whole, so concurrent
//! winst processes only ever see complete entries (the first rename wins; the loser discards its
//! copy). An entry that another process completes after this one looked for it is used, not
//! taken for a damaged one, and removing a stale entry never removes the complete one another
//! process put in its place meanwhile (`WheelCache::evict`). A cold install does not write twice:
//! with hard links on one filesystem the cache is filled by linking each file as it is written;
//! otherwise it is copied after the commit, with a reflink where the filesystem has them and
//! `copy_file_range` otherwise.
//!
//! The stat index saves hashing a wheel file that has not changed since winst last hashed it (same
//! device, inode, size, modification and change time); untrusted installs always hash.
//!
//! Not here: deciding which files of an install come from the cache ([`crate::write`]).

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use crate::manifest::{self, Manifest, Stamp, Stored};
use crate::roots::{create_file, open_dir_handle};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use winst_wheel::Listing;
use winst_wheel::record::Algorithm;

const VERSION_DIR: &str = "wheels-v3";

/// How files get from the cache into an environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum LinkMode {
    /// A copy-on-write clone (btrfs, XFS, bcachefs, APFS); a copy where the filesystem has none.
    Clone,
    /// A hard link: no data written at all; the environment's files share the cache's inodes.
    /// A copy when the cache is on another filesystem.
    Hardlink,
    /// A full copy (done in the kernel with `copy_file_range`).
    Copy,
}

impl LinkMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkMode::Clone => "clone",
            LinkMode::Hardlink => "hardlink",
            LinkMode::Copy => "copy",
        }
    }

    /// `$WINST_LINK_MODE`, else hard links (as uv does on Linux).
    pub fn from_env() -> Result<LinkMode, String> {
        match std::env::var("WINST_LINK_MODE").ok().as_deref() {
            None | Some("") => Ok(LinkMode::Hardlink),
            Some("clone") => Ok(LinkMode::Clone),
            Some("hardlink") => Ok(LinkMode::Hardlink),
            Some("copy") => Ok(LinkMode::Copy),
            Some(other) => Err(format!(
                "WINST_LINK_MODE is `{other}`: use clone, hardlink or copy"
            )),
        }
    }
}

impl Stored {
    /// Whether a cached file's `stat` is still what was recorded at fill: a regular file of the
    /// recorded size, mode and modification time.
    fn matches(&self, st: &rustix::fs::Stat) -> bool {
        rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile
            && st.st_size as u64 == self.size
            && Stamp::of_stat(st) == self.stamp
    }
}

impl Stamp {
    /// The stamp of `name` (a path below `dir`, not followed if it is a symbolic link).
    pub(crate) fn of_at(dir: &Dir, name: &str) -> io::Result<Stamp> {
        let st = rustix::fs::statat(dir, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)?;
        Ok(Stamp::of_stat(&st))
    }

    // The casts are no-ops on 64-bit Linux, not on every platform's `stat`.
    #[allow(clippy::unnecessary_cast)]
    fn of_stat(st: &rustix::fs::Stat) -> Stamp {
        Stamp {
            mode: st.st_mode as u32 & 0o7777,
            mtime_ns: (st.st_mtime as i64)
                .saturating_mul(1_000_000_000)
                .saturating_add(st.st_mtime_nsec as i64),
        }
    }
}

/// A file's device and inode, the same types on every platform (`st_dev` is an `i32` on macOS).
#[allow(clippy::unnecessary_cast)]
fn identity(st: &rustix::fs::Stat) -> (u64, u64) {
    (st.st_dev as u64, st.st_ino as u64)
}

/// A complete cache entry: a wheel's plain members, and what its manifest says of them.
pub struct Entry {
    files_dir: Dir,
    /// Per member of the wheel, in the archive's order: what was cached of it.
    files: Vec<Option<Stored>>,
    listing: Option<Listing>,
}

impl Entry {
    /// The directory holding the member paths.
    pub(crate) fn files_dir(&self) -> &Dir {
        &self.files_dir
    }

    /// What was cached of the member at `index` (in the archive's order), if it was.
    pub(crate) fn file(&self, index: usize) -> Option<&Stored> {
        self.files.get(index)?.as_ref()
    }

    /// The wheel's listing, once: a second call gives `None`. Also `None` when it disagrees
    /// with the entry's own record of its files: a cached file of another size than its member,
    /// or, when the listing holds RECORD checked, another sha256 than RECORD's for it. A listing
    /// made from a checked RECORD is not checked against RECORD's text again, so this is where
    /// a manifest that contradicts itself is caught, and the wheel's archive, which has the
    /// last word, is read instead: a wrong hash on either side must not fail the install nor
    /// install the wrong bytes.
    pub(crate) fn take_listing(&mut self) -> Option<Listing> {
        let listing = self.listing.take()?;
        let record = |i: usize| listing.record.as_ref().map(|r| r.get(i));
        let fits = listing.members.len() == self.files.len()
            && (listing.members.iter().zip(&self.files).enumerate()).all(|(i, (m, f))| {
                let Some(f) = f else { return true };
                let same_hash = match record(i) {
                    // RECORD's text is checked when the wheel is opened.
                    None => true,
                    Some(Some(Some(h))) if h.algorithm == Algorithm::Sha256 => {
                        h.digest[..] == f.sha256[..]
                    }
                    // Another algorithm: the write stage inflates and checks the member. No
                    // hash: RECORD's own signature files, which RECORD does not hash.
                    Some(Some(_)) => true,
                    // Beyond the listing's RECORD.
                    Some(None) => false,
                };
                f.size == m.size && same_hash
            });
        if !fits {
            log::debug!("cache entry: its listing disagrees with its files; reading the wheel");
        }
        fits.then_some(listing)
    }
}

/// The cache, opened.
pub struct WheelCache {
    root: PathBuf,
    dir: Dir,
    dev: u64,
    pub link_mode: LinkMode,
    /// Set once hard links or clones fail (another filesystem): later files go straight to copy.
    link_failed: AtomicBool,
    clone_failed: AtomicBool,
    counter: AtomicUsize,
    /// Whether this process has removed the staging directories of dead processes yet.
    swept: AtomicBool,
    /// The entries [`WheelCache::lookup`] found, by key: their `files` directory's device and
    /// inode, so that [`WheelCache::evict`] removes the entry found stale and not one another
    /// process has put in its place since.
    found: Mutex<HashMap<[u8; 32], (u64, u64)>>,
}

/// How a file was placed from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placed {
    Linked,
    Cloned,
    Copied,
}

impl WheelCache {
    /// Opens (creating) the cache under `dir`. `None` when it cannot be used: the cache only
    /// ever makes installs faster, so its failures are never the install's.
    pub fn open(dir: &Path, link_mode: LinkMode) -> io::Result<WheelCache> {
        let root = dir.join(VERSION_DIR);
        std::fs::create_dir_all(root.join("index"))?;
        let dev = std::fs::metadata(&root)?.dev();
        let dir = Dir::open_ambient_dir(&root, ambient_authority())?;
        Ok(WheelCache {
            root,
            dir,
            dev,
            link_mode,
            link_failed: AtomicBool::new(false),
            clone_failed: AtomicBool::new(false),
            counter: AtomicUsize::new(0),
            swept: AtomicBool::new(false),
            found: Mutex::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The cache directory itself (the wheel entries live in a versioned directory under it).
    pub fn base(&self) -> &Path {
        self.root.parent().unwrap_or(&self.root)
    }

    /// Whether `path` is on the cache's filesystem (hard links possible).
    pub(crate) fn same_filesystem(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| m.dev() == self.dev)
    }

    /// The sha256 of a wheel file, from the stat index when `trust_stat` and the file has not
    /// changed since it was last hashed. The flag says whether it came from the index.
    pub(crate) fn wheel_key(&self, path: &Path, trust_stat: bool) -> io::Result<([u8; 32], bool)> {
        let mut file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        let stat = StatKey::of(&meta);
        let path_hash = sha2::Sha256::digest(path.as_os_str().as_encoded_bytes());
        let index = format!("index/{}.json", hex::encode(&path_hash[..16]));
        if trust_stat
            && let Ok(Ok(known)) = read_reusing(&self.dir, &index, |bytes| {
                serde_json::from_slice::<IndexEntry>(bytes)
            })
            && known.stat == stat
        {
            return Ok((known.sha256, true));
        }
        let sha256 = sha256_of(&mut file, &mut vec![0u8; 256 << 10])?;
        // A file modified while hashed is not indexed.
        if StatKey::of(&file.metadata()?) == stat
            && let Ok(bytes) = serde_json::to_vec(&IndexEntry { stat, sha256 })
        {
            let _ = self.write_atomically(&index, &bytes);
        }
        Ok((sha256, false))
    }

    /// The sha256 of a file (a wheel named by a lock), through the stat index when
    /// `trust_stat` (see [`WheelCache::wheel_key`]); without a cache, by reading it.
    pub fn file_sha256(
        cache: Option<&WheelCache>,
        path: &Path,
        trust_stat: bool,
    ) -> io::Result<[u8; 32]> {
        match cache {
            Some(c) => c.wheel_key(path, trust_stat).map(|(k, _)| k),
            None => sha256_of(&mut std::fs::File::open(path)?, &mut vec![0u8; 256 << 10]),
        }
    }

    /// Whether the cache has an entry (complete or damaged) under `key`.
    pub(crate) fn has_entry(&self, key: &[u8; 32]) -> bool {
        self.dir.exists(hex::encode(key))
    }

    /// The complete entry for a wheel, if there is one. `None` as well when the manifest cannot
    /// be read or parsed, or was filled from a wheel with another file name than `wheel` (an
    /// index or manifest that does not belong to this wheel).
    pub(crate) fn lookup(&self, key: &[u8; 32], wheel: &str) -> Option<Entry> {
        let name = hex::encode(key);
        let decoded = read_reusing(&self.dir, &format!("{name}/manifest.bin"), manifest::decode);
        let Some(manifest) = decoded.ok()? else {
            log::debug!("cache entry {name}: damaged manifest; not used");
            return None;
        };
        if manifest.wheel != wheel {
            log::debug!(
                "cache entry {name} was filled from {}, not {wheel}; not used",
                manifest.wheel
            );
            return None;
        }
        // Only linked and copied from, through `*at` calls.
        let files_dir = open_dir_handle(&self.dir, &format!("{name}/files")).ok()?;
        if let Ok(st) = rustix::fs::fstat(&files_dir) {
            let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
            found.insert(*key, identity(&st));
        }
        Some(Entry {
            files_dir,
            files: manifest.files,
            listing: Some(manifest.listing),
        })
    }

    /// Removes what killed winst processes left: staging directories (`.tmp-<pid>-...`) of
    /// processes that no longer run. Done once per process, before its first new entry, so a
    /// warm install never pays for it.
    fn sweep(&self) {
        let Ok(entries) = self.dir.entries() else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(".tmp-"))
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = self.dir.remove_dir_all(&name);
            }
        }
    }

    /// Starts building the entry for a wheel, with the directories its members need.
    pub(crate) fn begin(
        &self,
        key: &[u8; 32],
        wheel: &str,
        dirs: &BTreeSet<String>,
    ) -> Option<Staging> {
        if !self.swept.swap(true, Ordering::Relaxed) {
            self.sweep();
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = format!(
            ".tmp-{}-{n}-{}",
            std::process::id(),
            &hex::encode(key)[..16]
        );
        let built = (|| -> io::Result<Dir> {
            self.dir.create_dir(&tmp)?;
            self.dir.create_dir(format!("{tmp}/files"))?;
            let files = self.dir.open_dir(format!("{tmp}/files"))?;
            for d in dirs {
                files.create_dir_all(d)?;
            }
            Ok(files)
        })();
        match built.and_then(|files_dir| Ok((files_dir, self.dir.try_clone()?))) {
            Ok((files_dir, parent)) => Some(Staging {
                parent,
                tmp,
                key: *key,
                wheel: wheel.to_string(),
                files_dir,
                done: false,
            }),
            Err(_) => {
                let _ = self.dir.remove_dir_all(&tmp);
                None
            }
        }
    }

    /// Places a cached file, `src_name` (a path inside the entry's directory `src_dir`), at
    /// `dest_name` (a new name, one path component) in `dest_dir`, by the link mode, falling back
    /// to a copy where links or clones do not work.
    ///
    /// Errors, placing nothing, when the file's size, mode or modification time differ from
    /// `stored` (it was changed after it was cached; the error's kind is
    /// [`io::ErrorKind::InvalidData`]), or when it cannot be read.
    pub(crate) fn place(
        &self,
        src_dir: &Dir,
        src_name: &str,
        dest_dir: &Dir,
        dest_name: &str,
        stored: &Stored,
    ) -> io::Result<Placed> {
        let changed = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("cached file {src_name} changed after it was cached"),
            )
        };
        if self.link_mode == LinkMode::Hardlink && !self.link_failed.load(Ordering::Relaxed) {
            match link_at(src_dir, src_name, dest_dir, dest_name) {
                // The new link is the cached inode: look at it through its one-component name
                // in the environment (a cheaper lookup than the cache's deeper path).
                Ok(()) => {
                    let unchanged = rustix::fs::statat(
                        dest_dir,
                        dest_name,
                        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
                    )
                    .is_ok_and(|st| stored.matches(&st));
                    if !unchanged {
                        let _ = dest_dir.remove_file(dest_name);
                        return Err(changed());
                    }
                    return Ok(Placed::Linked);
                }
                Err(e) if winst_platform::is_unsupported(&e) => {
                    self.link_failed.store(true, Ordering::Relaxed)
                }
                Err(e) => return Err(e),
            }
        }
        let src = src_dir.open(src_name)?.into_std();
        if !rustix::fs::fstat(&src).is_ok_and(|st| stored.matches(&st)) {
            return Err(changed());
        }
        let clone = self.link_mode == LinkMode::Clone;
        self.clone_or_copy(&src, dest_dir, dest_name, stored.executable, clone)
    }
    /// Fills a staging entry after the install: each source file (an installed file) cloned or
    /// copied in, and stamped. Files that fail are left out of the entry.
    pub(crate) fn fill(
        &self,
        staging: &Staging,
        files: &[(PathBuf, usize, String, Stored)],
    ) -> Vec<(usize, Stored)> {
        let mut kept = Vec::new();
        for (i, (src, index, member, stored)) in files.iter().enumerate() {
            let done = std::fs::File::open(src).and_then(|src| {
                crate::txn::crash_half_way("cache-fill", i, files.len());
                let dir = &staging.files_dir;
                self.clone_or_copy(&src, dir, member, stored.executable, true)?;
                Stamp::of_at(dir, member)
            });
            if let Ok(stamp) = done {
                kept.push((
                    *index,
                    Stored {
                        stamp,
                        ..stored.clone()
                    },
                ));
            }
        }
        kept
    }

    /// Removes the entry of a wheel (one whose files were found changed, or whose manifest
    /// could not be used), so that the next install fills it anew. A process placing files from
    /// it at the same time falls back to the wheel for the files it has not placed yet.
    ///
    /// An entry this process looked up is removed only while it is still the one looked up: a
    /// complete entry another process renamed into place since (after removing the stale one)
    /// is left alone.
    pub(crate) fn evict(&self, key: &[u8; 32]) {
        let looked_up = {
            let found = self.found.lock().unwrap_or_else(|e| e.into_inner());
            found.get(key).copied()
        };
        if let Some(looked_up) = looked_up {
            let now = rustix::fs::statat(
                &self.dir,
                format!("{}/files", hex::encode(key)),
                rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
            );
            if now.is_ok_and(|st| identity(&st) != looked_up) {
                log::debug!("cache entry {}: replaced since; kept", hex::encode(key));
                return;
            }
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let doomed = format!(".tmp-{}-{n}-evicted", std::process::id());
        if self
            .dir
            .rename(hex::encode(key), &self.dir, &doomed)
            .is_ok()
        {
            let _ = self.dir.remove_dir_all(&doomed);
        }
    }

    /// Creates `name` in `dir` with the contents of `src`: a copy-on-write clone when
    /// `try_clone` and the filesystem can (see [`winst_platform::clone_file`]), else a copy.
    fn clone_or_copy(
        &self,
        mut src: &std::fs::File,
        dir: &Dir,
        name: &str,
        executable: bool,
        try_clone: bool,
    ) -> io::Result<Placed> {
        if try_clone && !self.clone_failed.load(Ordering::Relaxed) {
            match winst_platform::clone_file(src, dir, name, executable) {
                Ok(()) => return Ok(Placed::Cloned),
                Err(_) => self.clone_failed.store(true, Ordering::Relaxed),
            }
        }
        let mut out = create_file(dir, name, executable)?.into_std();
        io::copy(&mut src, &mut out)?;
        Ok(Placed::Copied)
    }

    /// Completes an entry: writes its manifest (the wheel's `listing`, and its cached `files`
    /// by member index) and renames it into place. Another process that finished the same
    /// entry first wins; ours is discarded.
    pub(crate) fn finish(
        &self,
        mut staging: Staging,
        files: Vec<(usize, Stored)>,
        listing: Listing,
    ) {
        crate::txn::crash_point("cache-finish");
        let mut by_index = vec![None; listing.members.len()];
        for (index, stored) in files {
            if let Some(slot) = by_index.get_mut(index) {
                *slot = Some(stored);
            }
        }
        let manifest = Manifest {
            wheel: staging.wheel.clone(),
            listing,
            files: by_index,
        };
        let done = manifest::encode(&manifest)
            .ok_or_else(|| io::Error::other("cannot encode the manifest"))
            .and_then(|bytes| {
                self.dir
                    .write(format!("{}/manifest.bin", staging.tmp), bytes)
            })
            .and_then(|()| {
                self.dir
                    .rename(&staging.tmp, &self.dir, hex::encode(&staging.key))
            });
        // When the rename fails (another process finished first), dropping removes ours.
        staging.done = done.is_ok();
    }

    fn write_atomically(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = format!("{rel}.tmp-{}-{n}", std::process::id());
        self.dir.write(&tmp, bytes)?;
        self.dir.rename(&tmp, &self.dir, rel)
    }
}

/// An entry being built; dropped unfinished, it is removed.
pub struct Staging {
    parent: Dir,
    tmp: String,
    key: [u8; 32],
    wheel: String,
    files_dir: Dir,
    done: bool,
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.parent.remove_dir_all(&self.tmp);
        }
    }
}

impl Staging {
    /// The directory the member paths go in.
    pub(crate) fn files_dir(&self) -> &Dir {
        &self.files_dir
    }
}

/// The sha256 of everything `reader` yields, read through `buf`.
pub(crate) fn sha256_of(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<[u8; 32]> {
    let mut h = winst_wheel::record::Sha256::new();
    loop {
        let n = reader.read(buf)?;
        if n == 0 {
            return Ok(h.finish());
        }
        h.update(&buf[..n]);
    }
}

thread_local! {
    /// The buffer [`read_reusing`] reads into, kept by each thread.
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads the file `path` below `dir` into this thread's buffer and returns what `parse` makes
/// of its bytes. A warm install reads two small files per wheel (its stat index entry and its
/// manifest): reading each into a fresh allocation page-faulted new memory, and with two threads
/// those faults queued behind each other's heap growth (the most common reason an open-stage
/// thread slept in a scheduler trace of a 1,000-wheel install). A buffer that grew past 8 MiB is
/// not kept.
fn read_reusing<T>(dir: &Dir, path: &str, parse: impl FnOnce(&[u8]) -> T) -> io::Result<T> {
    let mut file = dir.open(path)?;
    READ_BUFFER.with(|buffer| {
        let Ok(mut buffer) = buffer.try_borrow_mut() else {
            let mut own = Vec::new();
            file.read_to_end(&mut own)?;
            return Ok(parse(&own));
        };
        buffer.clear();
        let read = file.read_to_end(&mut buffer).map(|_| parse(&buffer));
        if buffer.capacity() > 8 << 20 {
            *buffer = Vec::new();
        }
        read
    })
}

/// Hard-links `src_name` in `src_dir` to `dest_name` in `dest_dir`. Either name may be a relative
/// path below its directory when that side is the cache (winst's own tree); the environment's
/// side is always one component relative to a handle opened beneath its root.
pub(crate) fn link_at(
    src_dir: &Dir,
    src_name: &str,
    dest_dir: &Dir,
    dest_name: &str,
) -> io::Result<()> {
    rustix::fs::linkat(
        src_dir,
        src_name,
        dest_dir,
        dest_name,
        rustix::fs::AtFlags::empty(),
    )
    .map_err(io::Error::from)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct StatKey {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl StatKey {
    fn of(m: &std::fs::Metadata) -> StatKey {
        StatKey {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
            ctime_ns: m.ctime() as i128 * 1_000_000_000 + m.ctime_nsec() as i128,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct IndexEntry {
    stat: StatKey,
    #[serde(with = "hex::serde")]
    sha256: [u8; 32],
}
