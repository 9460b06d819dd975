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

/// The locks' selection for the target, and the sha256 of every chosen wheel, each verified
/// (size and sha256; the sha256 through the cache's stat index unless `untrusted`). `None`
/// without `-r`.
pub(crate) fn select(
    args: &LockArgs,
    target: &Target,
    cache: Option<&WheelCache>,
    untrusted: bool,
) -> Result<Option<(Selection, HashMap<PathBuf, [u8; 32]>)>> {
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
        .collect::<Result<HashMap<PathBuf, [u8; 32]>>>()?;
    for w in &selection.warnings {
        ui::warn(w);
    }
    Ok(Some((selection, verified)))
}

/// The wheels to install: the locks' chosen wheels, then the ones given by path, once each.
pub(crate) fn wheels(selection: Option<&Selection>, given: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = selection
        .map(|s| s.chosen.iter().map(|c| c.wheel.clone()).collect())
        .unwrap_or_default();
    for w in given {
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// `winst sync`: the projects that stay (normalized names): those of the wheels, and unless
/// `exact`, what a fresh environment starts with.
pub(crate) fn keep(wheels: &[PathBuf], exact: bool) -> HashSet<String> {
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
