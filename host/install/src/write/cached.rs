//! The write stage with the wheel cache: how each wheel uses it ([`CacheUse`]), placing files
//! from a complete entry after checking them ([`crate::cache`]), linking new files into a new
//! entry as they are written, and completing entries after the commit ([`finish_cache`]).
//!
//! Not here: deciding which wheels use the cache how (`crate::cache_use`), or inflating
//! members (the parent module).

use std::collections::BTreeSet;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::Result;
use cap_std::fs::Dir;

use super::jobs::Slot;
use super::{Dest, Worker, Written, write_one};
use crate::cache::{Entry, Staging, WheelCache, link_at};
use crate::manifest::{Stamp, Stored};
use crate::plan::{FileOp, Plan, Source};
use crate::roots::{Roots, open_dir_handle, split_parent};
use winst_wheel::OpenedWheel;
use winst_wheel::record::{Algorithm, RecordHash};

/// How the write stage uses the wheel cache for one wheel.
pub enum CacheUse {
    /// No cache, or nothing to do with it.
    None,
    /// The wheel's files are cached: place them by the link mode.
    Hit(Entry),
    /// Not cached; the cache is on the environment's filesystem: hard-link each file into the new
    /// entry as it is written.
    LinkAlongside(Staging),
    /// Not cached; copy (or clone) the installed files into the new entry after the commit.
    CopyAfter(Staging),
}

/// The cache and, per wheel, how to use it; `keys` are the wheels' sha256 when already known.
pub struct CachePlan<'a> {
    pub cache: &'a WheelCache,
    pub wheels: Vec<CacheUse>,
    pub keys: Vec<Option<[u8; 32]>>,
    /// Files placed from the cache so far.
    pub placed: AtomicUsize,
    /// Per wheel: a cached file of its entry failed the checks (see [`crate::cache`]).
    pub stale: Vec<AtomicBool>,
}

/// A cache entry to complete after the commit.
pub struct CacheFill {
    staging: Staging,
    /// Files already linked in, by member index.
    linked: Vec<(usize, Stored)>,
    /// Files to copy in: (installed path, member index, member path, stored).
    to_copy: Vec<(std::path::PathBuf, usize, String, Stored)>,
    /// The index of the wheel (among the install's) whose listing the manifest holds (see
    /// [`crate::manifest`]). The listing is made when the entry is finished, one wheel at a
    /// time, not held for every wheel across the commit.
    wheel: usize,
}

impl CachePlan<'_> {
    /// After the write stage: the entries to complete once the install is committed (only when
    /// every file was written, `ok`), and the keys of entries found damaged, to remove. Entries
    /// begun for a failed install are dropped, which removes them.
    pub(super) fn settle(
        self,
        ok: bool,
        mut linked: Vec<Vec<(usize, Stored)>>,
        files: &[FileOp],
        written: &[Written],
        wheels: &[OpenedWheel],
        roots: &Roots,
    ) -> (Vec<CacheFill>, Vec<[u8; 32]>) {
        let mut cache_fill = Vec::new();
        // The entries placed from: each holds a directory handle and its files' records, a
        // thousand closes and frees that the main thread need not wait for.
        let mut hits = Vec::new();
        let cache_evict = (self.stale.iter().zip(&self.keys))
            .filter(|(stale, _)| stale.load(Ordering::Relaxed))
            .filter_map(|(_, key)| *key)
            .collect();
        for (w, usage) in self.wheels.into_iter().enumerate() {
            match usage {
                CacheUse::LinkAlongside(staging) if ok => {
                    cache_fill.push(CacheFill {
                        staging,
                        linked: std::mem::take(&mut linked[w]),
                        to_copy: Vec::new(),
                        wheel: w,
                    });
                }
                CacheUse::CopyAfter(staging) if ok => {
                    let to_copy = files
                        .iter()
                        .zip(written)
                        .filter(|(op, _)| op.wheel == w && !op.shadowed)
                        .filter_map(|(op, wr)| {
                            let member = plain_member(&wheels[w], op)?;
                            Some((
                                roots.absolute(op.root, &op.rel),
                                member.index,
                                member.name.to_string(),
                                Stored {
                                    size: wr.size,
                                    sha256: wr.sha256,
                                    executable: op.executable,
                                    stamp: Default::default(),
                                },
                            ))
                        })
                        .collect();
                    cache_fill.push(CacheFill {
                        staging,
                        linked: Vec::new(),
                        to_copy,
                        wheel: w,
                    });
                }
                // Unfinished entries are removed when dropped.
                CacheUse::LinkAlongside(_) | CacheUse::CopyAfter(_) => {}
                CacheUse::Hit(entry) => hits.push(entry),
                CacheUse::None => {}
            }
        }
        crate::release::in_background(hits);
        (cache_fill, cache_evict)
    }
}

/// Completes the cache entries of a committed install (`wheels`: the install's, as the write
/// stage had them) and removes those found damaged. Failures only leave entries out.
pub fn finish_cache(
    cache: &WheelCache,
    fills: Vec<CacheFill>,
    evict: &[[u8; 32]],
    wheels: &[OpenedWheel],
) {
    for key in evict {
        cache.evict(key);
    }
    for mut fill in fills {
        // Dropping the staging directory removes it.
        let Some(Ok(listing)) = wheels.get(fill.wheel).map(OpenedWheel::listing) else {
            continue;
        };
        let copied = cache.fill(&fill.staging, &fill.to_copy);
        fill.linked.extend(copied);
        cache.finish(fill.staging, fill.linked, listing);
    }
}

/// A member of a wheel that is written as it is (no rewriting), so the cache can hold it.
#[derive(Clone, Copy)]
pub(super) struct PlainMember<'a> {
    /// Its index in the archive (and in the wheel's listing).
    pub index: usize,
    /// Its path in the archive.
    pub name: &'a str,
    /// Its declared size in bytes.
    pub size: u64,
}

/// The plain member a planned file writes, if it is one.
pub(super) fn plain_member<'a>(wheel: &'a OpenedWheel, op: &FileOp) -> Option<PlainMember<'a>> {
    match op.source {
        Source::Member {
            index,
            size,
            fix_shebang: false,
            ..
        } => wheel.archive.members.get(index).map(|m| PlainMember {
            index,
            name: m.name.as_str(),
            size,
        }),
        _ => None,
    }
}

/// The parent directories of the plain members of one wheel's plan, for a new cache entry.
pub(crate) fn member_dirs(plan: &Plan, wheels: &[OpenedWheel], w: usize) -> BTreeSet<String> {
    plan.files
        .iter()
        .filter(|f| f.wheel == w)
        .filter_map(|f| plain_member(&wheels[w], f))
        .filter_map(|m| m.name.rsplit_once('/').map(|(d, _)| d.to_string()))
        .collect()
}

/// Writes a plain member with the cache: placed from the cache entry when the wheel is cached
/// (inflated from the archive if that fails), else written and, when the cache is being filled
/// alongside, linked into the new entry. `cache_dirs` holds the job's open cache directory.
pub(super) fn write_cached(
    worker: &mut Worker,
    cache_dirs: &mut Slot<usize>,
    cache: &CachePlan,
    wheel: &OpenedWheel,
    member: PlainMember,
    dest: Dest,
    python: &Path,
) -> Result<(Written, Option<Stored>)> {
    let op = dest.op;
    let (member_parent, member_name) = split_parent(member.name);
    match &cache.wheels[op.wheel] {
        CacheUse::Hit(entry) => {
            let placed = place_cached(cache, entry, wheel, member, dest, || {
                cache_dirs.get(op.wheel, member_parent, || {
                    open_dir_handle(entry.files_dir(), member_parent)
                })
            });
            if let Some(written) = placed {
                return Ok((written, None));
            }
            write_one(worker, wheel, dest, python).map(|w| (w, None))
        }
        CacheUse::LinkAlongside(staging) => {
            let written = write_one(worker, wheel, dest, python)?;
            let stored = dest.out.and_then(|(env_dir, tmp_name)| {
                let cache_dir = cache_dirs
                    .get(op.wheel, member_parent, || {
                        open_dir_handle(staging.files_dir(), member_parent)
                    })
                    .ok()?;
                link_at(env_dir, tmp_name, cache_dir, member_name).ok()?;
                let stamp = Stamp::of_at(cache_dir, member_name).ok()?;
                Some(Stored {
                    size: written.size,
                    sha256: written.sha256,
                    executable: op.executable,
                    stamp,
                })
            });
            Ok((written, stored))
        }
        CacheUse::None | CacheUse::CopyAfter(_) => {
            write_one(worker, wheel, dest, python).map(|w| (w, None))
        }
    }
}

/// Places a member from its wheel's cache entry (nothing to place when the file is shadowed).
/// `None` when it must be inflated instead: the entry does not hold the member (its fill failed
/// for that file), or holds it with another size, mode or hash than the wheel says, or the
/// cached file changed after it was cached or vanished. The last three mark the entry stale, to
/// be refilled. `cache_dir` opens the entry's directory the member is in.
fn place_cached<'d>(
    cache: &CachePlan,
    entry: &Entry,
    wheel: &OpenedWheel,
    member: PlainMember,
    dest: Dest,
    cache_dir: impl FnOnce() -> io::Result<&'d Dir>,
) -> Option<Written> {
    let op = dest.op;
    let PlainMember { index, name, size } = member;
    let stored = entry.file(index)?;
    let stale = || cache.stale[op.wheel].store(true, Ordering::Relaxed);
    let agreement = record_agreement(stored, op.expected(wheel));
    if stored.size != size || stored.executable != op.executable || agreement == Agreement::Differs
    {
        log::debug!(
            "{}: {name}: the cache entry does not match the wheel's RECORD; inflating it",
            wheel.file_name
        );
        stale();
        return None;
    }
    if agreement == Agreement::Unknown {
        log::debug!(
            "{}: {name}: RECORD's hash is not a sha256, which the cache entry could vouch for; \
             inflating it",
            wheel.file_name
        );
        return None;
    }
    let written = Written {
        sha256: stored.sha256,
        size,
    };
    let Some((env_dir, tmp_name)) = dest.out else {
        return Some(written);
    };
    let placed = cache_dir().and_then(|dir| {
        let (_, file_name) = split_parent(name);
        cache.cache.place(dir, file_name, env_dir, tmp_name, stored)
    });
    match placed {
        Ok(_) => {
            cache.placed.fetch_add(1, Ordering::Relaxed);
            Some(written)
        }
        Err(e) => {
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::NotFound
            ) {
                stale();
            }
            log::debug!(
                "{}: {name}: not placed from the cache ({e}); inflating it",
                wheel.file_name
            );
            let _ = env_dir.remove_file(tmp_name);
            None
        }
    }
}

/// How a cache entry's record of a member stands to the wheel's RECORD hash for it.
#[derive(Debug, PartialEq, Eq)]
enum Agreement {
    /// RECORD's sha256 is the cached file's, or RECORD gives no hash (`--no-verify-record`).
    Same,
    /// RECORD's sha256 is another: the manifest belongs to another wheel, or was edited.
    Differs,
    /// RECORD's hash is in another algorithm, which the entry's sha256 cannot be compared with.
    /// The entry may have been filled by an install that did not check (`--no-verify-record`),
    /// so the member is inflated and checked as it is written.
    Unknown,
}

fn record_agreement(stored: &Stored, expected: Option<&RecordHash>) -> Agreement {
    match expected {
        None => Agreement::Same,
        Some(e) if e.algorithm != Algorithm::Sha256 => Agreement::Unknown,
        Some(e) if e.digest[..] == stored.sha256[..] => Agreement::Same,
        Some(_) => Agreement::Differs,
    }
}
