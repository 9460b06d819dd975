//! Pass 5 of the planner: what an upgrade removes, and the directories the writes need.
//!
//! A replaced version's files that no file of this install lands on, and that no other installed
//! project lists, are removed at commit; so is its dist-info directory when the new one is named
//! differently. The dist-info files the installer writes replace their old copies and are never
//! in the list. Files a RECORD lists outside the environment's directories are never removed
//! (a warning says so). A path whose kind an upgrade changes (a file where a directory goes, a
//! directory where a file goes) leaves the removals for lists of its own ([`kind_changes`]).
//! Not here: checks on the new files ([`super::checks`]).

use foldhash::{HashMap, HashSet, HashSetExt as _};
use std::path::{Path, PathBuf};

use winst_python::installed::InstalledDist;
use winst_wheel::dist_info;
use winst_wheel::error::WheelError;

use super::checks::{Owners, PathKeys};
use super::{FileOp, Names, Removal, WheelPlan};
use crate::roots::{RootId, Roots};

/// Files and dist-info directories of replaced versions to remove at commit.
pub(crate) struct Removals {
    /// Sorted by (root, path), no duplicates.
    pub removals: Vec<Removal>,
    pub stale_dist_infos: Vec<Removal>,
}

/// The removals of the replaced versions and of the projects removed whole (see the module
/// doc). A replaced or removed project without a RECORD cannot be removed safely: an error
/// naming it (and the wheel that would replace it).
pub(crate) fn removals(
    wheels: &[WheelPlan],
    removed: &[InstalledDist],
    roots: &Roots,
    keys: &PathKeys,
    owners: &Owners,
    wheel_names: &[&str],
    warnings: &mut Vec<String>,
) -> Result<Removals, WheelError> {
    let mut removals = Vec::new();
    let replaced = wheels
        .iter()
        .enumerate()
        .flat_map(|(w, wp)| wp.replaces.iter().map(move |d| (Some(w), d)));
    let gone = replaced.chain(removed.iter().map(|d| (None, d)));
    for (w, dist) in gone.clone() {
        let Some(old_files) = &dist.files else {
            return Err(no_record(dist, w.map(|w| wheel_names[w])));
        };
        for old in old_files {
            if keys.planned(old) || owners.owner_of(old).is_some() {
                continue;
            }
            match roots.locate(old) {
                Some((root, rel)) => removals.push(Removal {
                    root,
                    rel,
                    wheel: w,
                }),
                None => warnings.push(format!(
                    "not removing {} listed by the installed {}: it is outside the \
                     environment's directories",
                    old.display(),
                    dist.spec()
                )),
            }
        }
    }
    // The generated dist-info files replace old ones of the same name; do not remove them.
    let generated: HashSet<PathBuf> = wheels
        .iter()
        .flat_map(|wp| {
            dist_info::INSTALLER_WRITTEN
                .map(|n| roots.absolute(wp.lib_root, &format!("{}/{n}", wp.dist_info)))
        })
        .collect();
    removals.retain(|r| !generated.contains(&roots.absolute(r.root, &r.rel)));
    removals.sort_by(|a, b| (a.root, &a.rel).cmp(&(b.root, &b.rel)));
    removals.dedup_by(|a, b| a.root == b.root && a.rel == b.rel);
    let new_dist_infos: HashSet<PathBuf> = wheels
        .iter()
        .map(|wp| roots.absolute(wp.lib_root, &wp.dist_info))
        .collect();
    let stale_dist_infos = gone
        .filter(|(_, d)| !new_dist_infos.contains(&d.dist_info))
        .filter_map(|(w, d)| {
            let (root, rel) = roots.locate(&d.dist_info)?;
            Some(Removal {
                root,
                rel,
                wheel: w,
            })
        })
        .collect();
    Ok(Removals {
        removals,
        stale_dist_infos,
    })
}

/// A replaced (by `wheel`) or removed project without RECORD.
fn no_record(dist: &InstalledDist, wheel: Option<&str>) -> WheelError {
    let why = format!(
        "it has no RECORD, so its files are unknown (remove {} by hand)",
        dist.dist_info.display()
    );
    match wheel {
        Some(w) => WheelError::new(
            w,
            format!("cannot replace the installed {}: {why}", dist.spec()),
        ),
        None => WheelError::new(dist.spec(), format!("cannot remove it: {why}")),
    }
}

/// The files of an install as [`kind_changes`] reads them: the planned files, their absolute
/// destinations (in the same order) and what messages call them.
pub(crate) struct NewFiles<'a> {
    pub files: &'a [FileOp],
    pub abs_paths: &'a [PathBuf],
    pub names: &'a Names<'a>,
}

/// What changes kind in an upgrade (see [`kind_changes`]).
pub(crate) struct KindChanges {
    pub files_to_dirs: Vec<Removal>,
    pub dirs_to_files: Vec<Removal>,
}

/// Takes out of `removals` (whose absolute paths are `removal_paths`, in order) what goes
/// another way because an upgrade changes a path's kind, as pip's uninstall-then-install
/// allows:
/// - a file of a replaced version where this install needs a directory (one of `dirs`): moved
///   aside before the directories are made, listed by the directory's root and path;
/// - the files below a directory where a new file goes (`giving_way`: indices of the new files,
///   whose
///   directories [`super::checks::directories_in_the_way`] checked): they go with their
///   directory, moved aside whole at commit.
///
/// A directory needed where another installed project has a file is an error naming the file
/// of this install that needs it and the project.
pub(crate) fn kind_changes(
    new: &NewFiles,
    giving_way: &[usize],
    dirs: &[(RootId, String)],
    removals: &mut Vec<Removal>,
    removal_paths: &[PathBuf],
    roots: &Roots,
    owners: &Owners,
) -> Result<KindChanges, WheelError> {
    let (files, abs_paths) = (new.files, new.abs_paths);
    let mut gone = vec![false; removals.len()];
    let dirs_to_files: Vec<Removal> = (giving_way.iter())
        .map(|&i| Removal {
            root: files[i].root,
            rel: files[i].rel.clone(),
            wheel: Some(files[i].wheel),
        })
        .collect();
    for &i in giving_way {
        for (k, path) in removal_paths.iter().enumerate() {
            gone[k] |= path.starts_with(&abs_paths[i]);
        }
    }
    let mut files_to_dirs = Vec::new();
    if !removals.is_empty() || owners.owns_any() {
        let removed: HashMap<&Path, usize> = (removal_paths.iter())
            .enumerate()
            .map(|(k, p)| (p.as_path(), k))
            .collect();
        for (root, rel) in dirs {
            let abs = roots.absolute(*root, rel);
            if let Some(&k) = removed.get(abs.as_path()) {
                gone[k] = true;
                files_to_dirs.push(Removal {
                    root: *root,
                    rel: rel.clone(),
                    wheel: removals[k].wheel,
                });
            } else if let Some(dist) = owners.owner_of(&abs) {
                return Err(needs_directory(new, &abs, dist));
            }
        }
    }
    let mut k = 0;
    removals.retain(|_| {
        k += 1;
        !gone[k - 1]
    });
    Ok(KindChanges {
        files_to_dirs,
        dirs_to_files,
    })
}

/// A file of this install needs a directory at `dir`, where `dist` has a file.
fn needs_directory(new: &NewFiles, dir: &Path, dist: &InstalledDist) -> WheelError {
    let rule = format!(
        "needs a directory at {}, where the installed project {} has a file; another \
         project's file is never replaced by a directory, even with --allow-overwrite \
         (uninstall {} first)",
        dir.display(),
        dist.spec(),
        dist.name
    );
    match new.abs_paths.iter().position(|p| p.starts_with(dir)) {
        Some(i) => {
            let f = &new.files[i];
            WheelError::member(new.names.wheel(f), new.names.origin(f), rule)
        }
        None => WheelError::new(dir.display().to_string(), rule),
    }
}

fn parent_rel(rel: &str) -> Option<&str> {
    rel.rsplit_once('/').map(|(p, _)| p)
}

/// The directories the written files and the new dist-info directories need, per root,
/// parents before children (by depth, then root, then path).
pub(crate) fn directories(files: &[FileOp], wheels: &[WheelPlan]) -> Vec<(RootId, String)> {
    // Borrowed names: one set lookup per file, an allocation per directory only.
    let mut dirs: HashSet<(RootId, &str)> = HashSet::new();
    for f in files.iter().filter(|f| !f.shadowed) {
        let mut rel = f.rel.as_str();
        while let Some(parent) = parent_rel(rel) {
            if !dirs.insert((f.root, parent)) {
                break;
            }
            rel = parent;
        }
    }
    for wp in wheels {
        dirs.insert((wp.lib_root, wp.dist_info.as_str()));
    }
    let mut dirs: Vec<(usize, RootId, &str)> = dirs
        .into_iter()
        .map(|(root, rel)| (rel.matches('/').count(), root, rel))
        .collect();
    dirs.sort_unstable();
    dirs.into_iter()
        .map(|(_, root, rel)| (root, rel.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::testing::{installed, op, wheel_plan};
    use super::*;

    const NAMES: &[&str] = &["a-2.0-py3-none-any.whl"];

    fn roots() -> Roots {
        let mut r = Roots::default();
        r.add(Path::new("/site"));
        r.add(Path::new("/env/bin"));
        r
    }

    fn run(
        files: &[FileOp],
        wheels: &[WheelPlan],
        installed: &[winst_python::installed::InstalledDist],
    ) -> (Result<Removals, WheelError>, Vec<String>) {
        let roots = roots();
        let abs: Vec<PathBuf> = files
            .iter()
            .map(|f| roots.absolute(f.root, &f.rel))
            .collect();
        let mut keys = PathKeys::new(&abs, &[], false);
        let mut files = files.to_vec();
        let names = super::super::Names::plain(NAMES);
        super::super::checks::inside(&mut files, &abs, &mut keys, &names, &|_| {
            Ok((Vec::new(), 0))
        })
        .unwrap();
        let owners = Owners::new(installed, wheels);
        let mut warnings = Vec::new();
        let r = removals(wheels, &[], &roots, &keys, &owners, NAMES, &mut warnings);
        (r, warnings)
    }

    fn rels(r: &[Removal]) -> Vec<&str> {
        r.iter().map(|r| r.rel.as_str()).collect()
    }

    #[test]
    fn an_upgrade_removes_only_what_the_new_version_does_not_write() {
        let old = installed(
            "a",
            "1.0",
            "/site",
            &[
                "/site/a/__init__.py",
                "/site/a/gone.py",
                "/site/a-1.0.dist-info/METADATA",
                "/site/a-1.0.dist-info/INSTALLER",
                "/env/bin/a-old",
                "/site/shared.py",
            ],
        );
        let other = installed("other", "1.0", "/site", &["/site/shared.py"]);
        let wheels = [wheel_plan("a-2.0.dist-info", vec![old.clone()])];
        let files = [op(0, 0, "a/__init__.py", b"new")];
        let (r, warnings) = run(&files, &wheels, &[old, other]);
        let r = r.unwrap();
        assert_eq!(
            rels(&r.removals),
            [
                "a-1.0.dist-info/INSTALLER",
                "a-1.0.dist-info/METADATA",
                "a/gone.py",
                "a-old"
            ],
            "kept: the rewritten __init__.py and the file `other` also lists"
        );
        assert_eq!(rels(&r.stale_dist_infos), ["a-1.0.dist-info"]);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn the_installer_written_files_of_the_same_dist_info_are_not_removed() {
        let old = installed(
            "a",
            "2.0",
            "/site",
            &[
                "/site/a-2.0.dist-info/INSTALLER",
                "/site/a-2.0.dist-info/RECORD",
            ],
        );
        let wheels = [wheel_plan("a-2.0.dist-info", vec![old.clone()])];
        let (r, _) = run(&[], &wheels, &[old]);
        let r = r.unwrap();
        assert!(r.removals.is_empty(), "{:?}", rels(&r.removals));
        assert!(
            r.stale_dist_infos.is_empty(),
            "same name: replaced in place"
        );
    }

    #[test]
    fn files_outside_the_environment_are_never_removed() {
        let old = installed("a", "1.0", "/site", &["/etc/passwd", "/site/a.py"]);
        let wheels = [wheel_plan("a-2.0.dist-info", vec![old.clone()])];
        let (r, warnings) = run(&[], &wheels, &[old]);
        assert_eq!(rels(&r.unwrap().removals), ["a.py"]);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("not removing /etc/passwd"),
            "{warnings:?}"
        );
    }

    #[test]
    fn a_version_without_record_cannot_be_replaced() {
        let mut old = installed("a", "1.0", "/site", &[]);
        old.files = None;
        let wheels = [wheel_plan("a-2.0.dist-info", vec![old.clone()])];
        let e = run(&[], &wheels, &[old]).0.err().unwrap().to_string();
        assert!(e.contains("it has no RECORD"), "{e}");
    }

    #[test]
    fn a_path_that_changes_kind_leaves_the_removals() {
        let old = installed(
            "a",
            "1.0",
            "/site",
            &[
                "/site/pkg/data",
                "/site/pkg/sub/__init__.py",
                "/site/pkg/sub/deep/m.py",
                "/site/pkg/gone.py",
            ],
        );
        let wheels = [wheel_plan("a-2.0.dist-info", vec![old.clone()])];
        let files = [op(0, 0, "pkg/data/x.txt", b"1"), op(0, 0, "pkg/sub", b"2")];
        let all = [old];
        let (r, _) = run(&files, &wheels, &all);
        let mut removals = r.unwrap().removals;
        let roots = roots();
        let abs: Vec<PathBuf> = files.iter().map(|f| roots.absolute(0, &f.rel)).collect();
        let paths: Vec<PathBuf> = (removals.iter())
            .map(|r| roots.absolute(r.root, &r.rel))
            .collect();
        let dirs = directories(&files, &wheels);
        let owners = Owners::new(&all, &wheels);
        let new = NewFiles {
            files: &files,
            abs_paths: &abs,
            names: &Names::plain(NAMES),
        };
        let changes =
            kind_changes(&new, &[1], &dirs, &mut removals, &paths, &roots, &owners).unwrap();
        assert_eq!(rels(&changes.files_to_dirs), ["pkg/data"]);
        assert_eq!(rels(&changes.dirs_to_files), ["pkg/sub"]);
        assert_eq!(
            rels(&removals),
            ["pkg/gone.py"],
            "the rest go their own way"
        );

        // Another project's file where a directory is needed stays, and stops the install.
        let other = installed("other", "1.0", "/site", &["/site/pkg/data"]);
        let all = [other];
        let wheels = [wheel_plan("a-2.0.dist-info", Vec::new())];
        let owners = Owners::new(&all, &wheels);
        let files = &files[..1];
        let new = NewFiles {
            files,
            abs_paths: &abs[..1],
            names: &Names::plain(NAMES),
        };
        let e = kind_changes(
            &new,
            &[],
            &directories(files, &wheels),
            &mut Vec::new(),
            &[],
            &roots,
            &owners,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.contains("pkg/data/x.txt")
                && e.contains(
                    "needs a directory at /site/pkg/data, where the installed project \
                     other==1.0 has a file"
                ),
            "{e}"
        );
    }

    #[test]
    fn directories_come_parents_first_and_skip_shadowed_files() {
        let mut files = vec![
            op(0, 0, "pkg/sub/deep/x.py", b"1"),
            op(0, 1, "tool", b"1"),
            op(0, 0, "other/y.py", b"1"),
        ];
        files[2].shadowed = true;
        let wheels = [wheel_plan("a-2.0.dist-info", Vec::new())];
        let dirs = directories(&files, &wheels);
        let names: Vec<&str> = dirs.iter().map(|(_, d)| d.as_str()).collect();
        assert_eq!(names, ["a-2.0.dist-info", "pkg", "pkg/sub", "pkg/sub/deep"]);
    }
}
