//! `-r LOCK` for `winst install` and `winst sync`: the locks' wheels chosen for the target
//! ([`winst_lock`]), each checked against the size and sha256 its lock records before anything
//! is installed, and for a sync, which installed projects stay.
//!
//! Not here: reading the lock formats ([`winst_lock`]) or the install itself
//! ([`crate::pipeline`]).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::args::LockArgs;
use crate::ui;
use winst_install::cache::WheelCache;
use winst_lock::{LockOptions, LockTarget, Selection};
use winst_python::tags::SupportedTags;
use winst_python::target::Target;
use winst_wheel::WheelFilename;
use winst_wheel::name::normalize;

/// What a fresh virtual environment starts with; `winst sync` keeps them unless `--exact`.
const SEED_PACKAGES: [&str; 3] = ["pip", "setuptools", "wheel"];

/// The sha256 of each verified wheel, by path.
type Verified = HashMap<PathBuf, [u8; 32]>;

/// What an install or a sync takes from the locks and the wheels given.
pub(crate) struct Inputs {
    /// What the locks selected (`None` without `-r`).
    pub selection: Option<Selection>,
    /// The verified sha256 of each chosen wheel.
    pub known_sha256: Verified,
    /// Every wheel to install: the locks' and the given ones.
    pub wheels: Vec<PathBuf>,
    /// `winst sync` (`sync` is `Some(exact)`): the projects that stay.
    pub keep: Option<HashSet<String>>,
}

/// The inputs of `winst install` (`sync` is `None`) or `winst sync`: the locks' wheels chosen
/// and verified, the wheels given, and for a sync the projects that stay.
pub(crate) fn inputs(
    args: &LockArgs,
    target: &Target,
    cache: Option<&WheelCache>,
    untrusted: bool,
    given: Vec<PathBuf>,
    sync: Option<bool>,
) -> Result<Inputs> {
    let (selection, known_sha256) = match select(args, target, cache, untrusted)? {
        Some((s, known)) => (Some(s), known),
        None => (None, HashMap::new()),
    };
    let wheels = self::wheels(selection.as_ref(), given);
    let keep = sync.map(|exact| self::keep(&wheels, exact));
    Ok(Inputs {
        selection,
        known_sha256,
        wheels,
        keep,
    })
}

/// The locks' selection for the target, and the sha256 of every chosen wheel, each verified
/// (size and sha256; the sha256 through the cache's stat index unless `untrusted`). `None`
/// without `-r`.
fn select(
    args: &LockArgs,
    target: &Target,
    cache: Option<&WheelCache>,
    untrusted: bool,
) -> Result<Option<(Selection, Verified)>> {
    if args.requirement.is_empty() {
        return Ok(None);
    }
    let markers = crate::check::marker_environment(&target.interpreter)?;
    let tags = SupportedTags::for_interpreter(&target.interpreter);
    let options = LockOptions {
        extras: args.extra.clone(),
        groups: args.group.clone(),
        find_links: (args.find_links.iter())
            .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone()))
            .collect(),
    };
    let lock_target = LockTarget {
        markers: &markers,
        tags: &tags,
    };
    let selection = winst_lock::select(&args.requirement, &lock_target, &options)?;
    let verified = selection
        .chosen
        .par_iter()
        .with_max_len(1)
        .map(|c| {
            let size = std::fs::metadata(&c.wheel)
                .with_context(|| format!("cannot read {}", c.wheel.display()))?
                .len();
            let sha256 = WheelCache::file_sha256(cache, &c.wheel, !untrusted)
                .with_context(|| format!("cannot read {}", c.wheel.display()))?;
            c.verify(size, &sha256)?;
            Ok((c.wheel.clone(), sha256))
        })
        .collect::<Result<Verified>>()?;
    for w in &selection.warnings {
        ui::warn(w);
    }
    Ok(Some((selection, verified)))
}

/// The wheels to install: the locks' chosen wheels, then the ones given by path, once each.
fn wheels(selection: Option<&Selection>, given: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = selection
        .map(|s| s.chosen.iter().map(|c| c.wheel.clone()).collect())
        .unwrap_or_default();
    let mut seen: HashSet<PathBuf> = out.iter().cloned().collect();
    for w in given {
        if seen.insert(w.clone()) {
            out.push(w);
        }
    }
    out
}

/// `winst sync`: the projects that stay (normalized names): those of the wheels, and unless
/// `exact`, what a fresh environment starts with.
fn keep(wheels: &[PathBuf], exact: bool) -> HashSet<String> {
    let mut keep: HashSet<String> = wheels
        .iter()
        .filter_map(|w| WheelFilename::parse(w.file_name()?.to_str()?).ok())
        .map(|f| normalize(&f.name))
        .collect();
    if !exact {
        keep.extend(SEED_PACKAGES.map(String::from));
    }
    keep
}
