//! Deciding, before the write stage, how each wheel of an install uses the wheel cache: placed
//! from a complete entry, filled alongside by hard links, copied in after the commit, or not at
//! all (see [`crate::cache`] for what makes an entry usable).
//!
//! Not here: placing or filling files ([`crate::write`]).

use std::path::Path;

use rayon::prelude::*;
use winst_wheel::OpenedWheel;

use crate::cache::{LinkMode, WheelCache};
use crate::plan::Plan;
use crate::write::{CachePlan, CacheUse, member_dirs};

/// Decides, per wheel, how the write stage uses the cache: wheels are keyed by their sha256 (in
/// parallel), found entries are used, missing ones built.
///
/// `untrusted` installs hash every wheel file (no stat index) and never place files from the
/// cache: they inflate and verify every member, and fill entries that are missing.
pub fn plan_cache<'a>(
    cache: &'a WheelCache,
    plan: &Plan,
    wheels: &[OpenedWheel],
    state_dir: &Path,
    untrusted: bool,
) -> CachePlan<'a> {
    let looked_up: Vec<Option<([u8; 32], bool)>> = wheels
        .par_iter()
        .with_max_len(1)
        .map(|w| cache.wheel_key(&w.path, !untrusted).ok())
        .collect();
    let alongside = cache.link_mode == LinkMode::Hardlink && cache.same_filesystem(state_dir);
    let (keys, uses) = looked_up
        .into_iter()
        .enumerate()
        .map(|(w, found)| {
            let Some((key, from_index)) = found else {
                return (None, CacheUse::None);
            };
            let choice = CacheChoice {
                key,
                from_index,
                untrusted,
                alongside,
            };
            match cache_use(cache, plan, wheels, w, choice) {
                Some((key, usage)) => (Some(key), usage),
                None => (None, CacheUse::None),
            }
        })
        .unzip();
    CachePlan {
        cache,
        wheels: uses,
        stale: wheels.iter().map(|_| Default::default()).collect(),
        keys,
        placed: Default::default(),
    }
}

/// What [`cache_use`] decides from: the wheel's key, whether it came from the stat index, whether
/// the install is untrusted, and whether a new entry is filled by hard links while writing.
struct CacheChoice {
    key: [u8; 32],
    from_index: bool,
    untrusted: bool,
    alongside: bool,
}

/// How one wheel uses the cache, with its confirmed key; `None` when its key cannot be had.
/// A key read from the stat index is confirmed from the wheel's bytes before anything is filled
/// under it (the index may be stale or damaged).
fn cache_use(
    cache: &WheelCache,
    plan: &Plan,
    wheels: &[OpenedWheel],
    w: usize,
    choice: CacheChoice,
) -> Option<([u8; 32], CacheUse)> {
    let CacheChoice {
        mut key,
        from_index,
        untrusted,
        alongside,
    } = choice;
    let wheel = &wheels[w];
    if !untrusted && let Some(entry) = cache.lookup(&key, &wheel.file_name) {
        return Some((key, CacheUse::Hit(entry)));
    }
    if from_index {
        let (confirmed, _) = cache.wheel_key(&wheel.path, false).ok()?;
        if confirmed != key {
            key = confirmed;
            if !untrusted && let Some(entry) = cache.lookup(&key, &wheel.file_name) {
                return Some((key, CacheUse::Hit(entry)));
            }
        }
    }
    if cache.has_entry(&key) {
        if untrusted {
            // Untrusted installs never read the cache, and only fill what is missing.
            return Some((key, CacheUse::None));
        }
        // This wheel's entry, damaged (no readable manifest): replace it.
        cache.evict(&key);
    }
    let dirs = member_dirs(plan, wheels, w);
    let usage = match cache.begin(&key, &wheel.file_name, &dirs) {
        Some(staging) if alongside => CacheUse::LinkAlongside(staging),
        Some(staging) => CacheUse::CopyAfter(staging),
        None => CacheUse::None,
    };
    Some((key, usage))
}
