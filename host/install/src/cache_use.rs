//! The open stage with the wheel cache, and deciding before the write stage how each wheel of an
//! install uses the cache: placed from a complete entry, filled alongside by hard links, copied
//! in after the commit, or not at all (see [`crate::cache`] for what makes an entry usable).
//!
//! A wheel whose entry is complete is opened from the entry's manifest ([`crate::manifest`]):
//! its listing goes through the same checks as the archive's would ([`winst_wheel::open_listed`]),
//! and the archive is not read unless a cached file fails its checks.
//!
//! Not here: placing or filling files ([`crate::write`]).

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use winst_wheel::error::WheelError;
use winst_wheel::{OpenOptions, OpenedWheel};

use crate::cache::{Entry, LinkMode, WheelCache};
use crate::plan::Plan;
use crate::write::{CachePlan, CacheUse, member_dirs};

/// What the open stage found of one wheel in the cache.
#[derive(Default)]
pub struct Found {
    /// The wheel's sha256, and whether it came from the stat index; `None` when the wheel file
    /// could not be read to key it.
    key: Option<([u8; 32], bool)>,
    /// Its complete entry (never for untrusted installs).
    entry: Option<Entry>,
    /// Whether the wheel was opened from the entry's manifest, without reading its archive.
    listed: bool,
}

impl Found {
    /// Whether the wheel was opened from its cache entry's manifest (its archive not read).
    pub fn opened_from_cache(&self) -> bool {
        self.listed
    }
}

/// Opens every wheel in parallel (the first failure in argument order wins), with the cache when
/// there is one: each wheel is keyed (see [`WheelCache`]'s stat index), and one with a complete
/// entry is opened from the entry's manifest instead of its archive. Untrusted installs
/// (`options.limits`) key every wheel by hashing it, and always open the archive.
pub fn open_all(
    paths: &[PathBuf],
    options: OpenOptions,
    cache: Option<&WheelCache>,
) -> Result<(Vec<OpenedWheel>, Vec<Found>), WheelError> {
    paths
        .par_iter()
        .with_max_len(1)
        .map(|path| open_one(path, options, cache))
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map(|opened| opened.into_iter().unzip())
}

fn open_one(
    path: &Path,
    options: OpenOptions,
    cache: Option<&WheelCache>,
) -> Result<(OpenedWheel, Found), WheelError> {
    let Some(cache) = cache else {
        return Ok((winst_wheel::open(path, options)?, Found::default()));
    };
    let untrusted = options.limits.is_some();
    let key = cache.wheel_key(path, !untrusted).ok();
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut entry = key
        .filter(|_| !untrusted)
        .and_then(|(key, _)| cache.lookup(&key, file_name));
    if let Some(listing) = entry.as_mut().and_then(Entry::take_listing) {
        match winst_wheel::open_listed(path, listing, options) {
            Ok(wheel) => {
                let listed = true;
                return Ok((wheel, Found { key, entry, listed }));
            }
            // The archive has the last word (the listing may be from an older rule set).
            Err(e) => log::debug!("{}: not opened from the cache: {e}", path.display()),
        }
    }
    let wheel = winst_wheel::open(path, options)?;
    let listed = false;
    Ok((wheel, Found { key, entry, listed }))
}

/// Decides, per wheel, how the write stage uses the cache, from what [`open_all`] found: found
/// entries are used, missing ones built.
///
/// `untrusted` installs never place files from the cache: they inflate and verify every member,
/// and fill entries that are missing.
pub fn plan_cache<'a>(
    cache: &'a WheelCache,
    plan: &Plan,
    wheels: &[OpenedWheel],
    found: Vec<Found>,
    state_dir: &Path,
    untrusted: bool,
) -> CachePlan<'a> {
    let alongside = cache.link_mode == LinkMode::Hardlink && cache.same_filesystem(state_dir);
    let (keys, uses) = found
        .into_par_iter()
        .enumerate()
        .with_max_len(1)
        .map(|(w, found)| {
            let choice = CacheChoice {
                untrusted,
                alongside,
            };
            match cache_use(cache, plan, wheels, w, found, choice) {
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

/// What [`cache_use`] decides from besides the wheel: whether the install is untrusted, and
/// whether a new entry is filled by hard links while writing.
struct CacheChoice {
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
    found: Found,
    choice: CacheChoice,
) -> Option<([u8; 32], CacheUse)> {
    let CacheChoice {
        untrusted,
        alongside,
    } = choice;
    let (mut key, from_index) = found.key?;
    let wheel = &wheels[w];
    if let Some(entry) = found.entry {
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
        // Another winst process completed the entry since the open stage looked for it.
        if let Some(entry) = cache.lookup(&key, &wheel.file_name) {
            return Some((key, CacheUse::Hit(entry)));
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
