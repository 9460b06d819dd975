//! Passes 2 to 4 of the planner: the rules files of an install must follow, among themselves and
//! against what the environment already holds. Each pass is a function of plain data (file
//! operations, their absolute destinations, the installed projects, an [`EnvView`]) and returns
//! the first broken rule as a [`WheelError`] naming the wheel, the member and the rule.
//!
//! Not here: where files go (pass 1, [`super::mapping`]) or what to remove (pass 5,
//! [`super::removals`]).

use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};
use rayon::prelude::*;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use winst_python::installed::InstalledDist;
use winst_wheel::error::WheelError;
use winst_wheel::limits::UntrustedLimits;

use super::{EnvView, FileOp, Names, WheelPlan};

/// What a file will contain, as (sha256, size); an error when a member cannot be read.
pub(crate) type Contents<'a> = dyn Fn(&FileOp) -> Result<(Vec<u8>, u64), WheelError> + 'a;

/// Two wheels of one install must be different projects. `projects` are the wheels' (file
/// name, project name as METADATA spells it, normalized name), in order.
pub(crate) fn distinct_projects<'a>(
    projects: impl IntoIterator<Item = (&'a str, &'a str, String)>,
) -> Result<(), WheelError> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for (file_name, name, normalized) in projects {
        if let Some(other) = seen.insert(normalized, file_name) {
            return Err(WheelError::new(
                file_name,
                format!(
                    "{name} is given twice ({other} and {file_name}); pass one wheel per project"
                ),
            ));
        }
    }
    Ok(())
}

/// Files Python runs at every interpreter start when they sit in site-packages.
fn runs_at_startup(name: &str) -> bool {
    name.ends_with(".pth") || name == "sitecustomize.py" || name == "usercustomize.py"
}

/// Linux's limit on a path given to a system call, terminating NUL included.
const PATH_MAX: usize = 4096;

/// Pass 2: no path may be too long for the system (`PATH_MAX`: no system call could name it,
/// nor Python import it), no file may be named like winst's journal and temporaries
/// (`.winst-*`), and in
/// untrusted mode no file Python runs at start-up (`*.pth`, `sitecustomize.py`,
/// `usercustomize.py`) may land in `lib_dirs` (purelib, platlib) unless `allow_pth`.
pub(crate) fn names(
    files: &[FileOp],
    abs_paths: &[PathBuf],
    names: &Names,
    lib_dirs: &[&Path],
    untrusted: Option<&UntrustedLimits>,
) -> Result<(), WheelError> {
    // In parallel; the first file in plan order that breaks a rule is the one reported.
    let first = (files.par_iter().zip(abs_paths))
        .find_map_first(|(f, abs)| name_rules(f, abs, names, lib_dirs, untrusted).err());
    first.map_or(Ok(()), Err)
}

/// The rules of [`names`] for one file and its absolute destination.
fn name_rules(
    f: &FileOp,
    abs: &Path,
    names: &Names,
    lib_dirs: &[&Path],
    untrusted: Option<&UntrustedLimits>,
) -> Result<(), WheelError> {
    let name = abs.file_name().and_then(|n| n.to_str()).unwrap_or("");
    // Refused here, by name, before anything is written, not as a bare ENAMETOOLONG half
    // way through.
    if abs.as_os_str().len() >= PATH_MAX {
        return Err(WheelError::member(
            names.wheel(f),
            names.origin(f),
            format!(
                "installs a path of {} bytes, too long for the system (paths are limited to \
                 {} bytes, PATH_MAX)",
                abs.as_os_str().len(),
                PATH_MAX - 1
            ),
        ));
    }
    if name.starts_with(".winst-") {
        return Err(WheelError::member(
            names.wheel(f),
            names.origin(f),
            format!(
                "installs {}: names starting with `.winst-` are reserved for winst's journal \
                 and temporary files",
                abs.display()
            ),
        ));
    }
    if let Some(limits) = untrusted
        && !limits.allow_pth
        && runs_at_startup(name)
        && abs.parent().is_some_and(|p| lib_dirs.contains(&p))
    {
        return Err(WheelError::member(
            names.wheel(f),
            names.origin(f),
            format!(
                "installs {}, which Python runs at every interpreter start; refused in \
                 untrusted mode (--allow-pth lets it in)",
                abs.display()
            ),
        ));
    }
    Ok(())
}

/// The key two paths must share to be one file: their bytes, lowercased on a filesystem that
/// ignores case. Keys borrow from the destinations (and their folded copies), so that keying
/// tens of thousands of files allocates nothing per file.
pub(crate) struct PathKeys<'a> {
    fold: bool,
    abs_paths: &'a [PathBuf],
    /// Each file's folded key, when the filesystem ignores case.
    folded: &'a [Vec<u8>],
    /// The first file at each key (filled by [`inside`]).
    by_key: HashMap<&'a [u8], usize>,
}

impl<'a> PathKeys<'a> {
    /// `folded` is [`PathKeys::fold_all`] of `abs_paths` when `case_insensitive`, else empty.
    pub(crate) fn new(
        abs_paths: &'a [PathBuf],
        folded: &'a [Vec<u8>],
        case_insensitive: bool,
    ) -> PathKeys<'a> {
        PathKeys {
            fold: case_insensitive,
            abs_paths,
            folded,
            by_key: HashMap::with_capacity(abs_paths.len()),
        }
    }

    /// The folded keys of `abs_paths` (for a filesystem that ignores case).
    pub(crate) fn fold_all(abs_paths: &[PathBuf]) -> Vec<Vec<u8>> {
        abs_paths.iter().map(|p| fold_case(p)).collect()
    }

    fn key_at(&self, i: usize) -> &'a [u8] {
        if self.fold {
            &self.folded[i]
        } else {
            self.abs_paths[i].as_os_str().as_bytes()
        }
    }

    /// The key of any absolute path.
    pub(crate) fn key_of(&self, p: &Path) -> Vec<u8> {
        if self.fold {
            fold_case(p)
        } else {
            p.as_os_str().as_bytes().to_vec()
        }
    }

    /// Whether a file of this install lands at `p`'s key.
    pub(crate) fn planned(&self, p: &Path) -> bool {
        self.by_key.contains_key(self.key_of(p).as_slice())
    }
}

fn fold_case(p: &Path) -> Vec<u8> {
    p.to_string_lossy().to_lowercase().into_bytes()
}

/// Pass 3a: conflicts inside the install. Two files at one key must be the same path (not a
/// case variant on a case-insensitive filesystem), from different wheels, with the same
/// contents; the later one is then marked `shadowed` (read and verified, not written).
pub(crate) fn inside(
    files: &mut [FileOp],
    abs_paths: &[PathBuf],
    keys: &mut PathKeys,
    names: &Names,
    contents: &Contents,
) -> Result<(), WheelError> {
    for i in 0..files.len() {
        let abs = &abs_paths[i];
        let key = keys.key_at(i);
        let Some(&first) = keys.by_key.get(key) else {
            keys.by_key.insert(key, i);
            continue;
        };
        let (a, b) = (&files[first], &files[i]);
        let other = &abs_paths[first];
        if other != abs {
            return Err(WheelError::member(
                names.wheel(b),
                names.origin(b),
                format!(
                    "installs {} and {} installs {}: they differ only in case, and the target \
                     filesystem ignores case",
                    abs.display(),
                    names.origin(a),
                    other.display()
                ),
            ));
        }
        if a.wheel == b.wheel {
            return Err(WheelError::member(
                names.wheel(b),
                names.origin(b),
                format!(
                    "writes {} which {} also writes",
                    abs.display(),
                    names.origin(a)
                ),
            ));
        }
        if contents(a)? != contents(b)? {
            return Err(WheelError::member(
                names.wheel(b),
                names.origin(b),
                format!(
                    "installs {} with different contents than {} ({}); refusing to let one \
                     overwrite the other",
                    abs.display(),
                    names.wheel(a),
                    names.origin(a)
                ),
            ));
        }
        files[i].shadowed = true;
    }
    Ok(())
}

/// Pass 3b: no file may land where another file of the install needs a directory.
pub(crate) fn file_where_directory(
    files: &[FileOp],
    abs_paths: &[PathBuf],
    names: &Names,
) -> Result<(), WheelError> {
    let mut planned_dirs: HashSet<&[u8]> = HashSet::new();
    for abs in abs_paths {
        let mut p = abs.as_os_str().as_bytes();
        while let Some(slash) = p.iter().rposition(|&b| b == b'/') {
            p = &p[..slash];
            if !planned_dirs.insert(p) {
                break;
            }
        }
    }
    for (f, abs) in files.iter().zip(abs_paths) {
        if planned_dirs.contains(abs.as_os_str().as_bytes()) {
            return Err(WheelError::member(
                names.wheel(f),
                names.origin(f),
                format!(
                    "installs a file at {} where another file of this install needs a directory",
                    abs.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Who owns each file the installed projects list: the projects this install does not replace
/// own theirs; the files of replaced projects are known apart.
///
/// Paths are keyed by their bytes: the installed RECORDs' paths and the plan's destinations are
/// both normalized absolute paths ([`crate::roots::normalize`]), so equal bytes are equal paths,
/// and hashing bytes is several times cheaper than hashing a `Path` component by component
/// (every planned file is looked up here).
pub(crate) struct Owners<'a> {
    owner: HashMap<&'a [u8], &'a InstalledDist>,
    replaced_files: HashSet<&'a [u8]>,
}

fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

impl<'a> Owners<'a> {
    /// The project that owns `path` (a project this install does not replace), if any.
    pub(crate) fn owner_of(&self, path: &Path) -> Option<&'a InstalledDist> {
        self.owner.get(key(path)).copied()
    }

    /// Whether a project this install replaces or removes lists `path`.
    pub(crate) fn is_replaced(&self, path: &Path) -> bool {
        self.replaced_files.contains(key(path))
    }

    /// Whether any project that stays owns a file.
    pub(crate) fn owns_any(&self) -> bool {
        !self.owner.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn new(installed: &'a [InstalledDist], wheels: &'a [WheelPlan]) -> Owners<'a> {
        Owners::with_removed(installed, wheels, &[])
    }

    /// The owners when the projects in `removed` go away in the same transaction (`winst
    /// sync`): like replaced versions, they own nothing the new files may not land on.
    pub(crate) fn with_removed(
        installed: &'a [InstalledDist],
        wheels: &'a [WheelPlan],
        removed: &'a [InstalledDist],
    ) -> Owners<'a> {
        let replaced: HashSet<&Path> = wheels
            .iter()
            .flat_map(|p| p.replaces.iter())
            .chain(removed)
            .map(|d| d.dist_info.as_path())
            .collect();
        let mut owner = HashMap::new();
        for dist in installed {
            if replaced.contains(dist.dist_info.as_path()) {
                continue;
            }
            for file in dist.files.iter().flatten() {
                owner.insert(key(file), dist);
            }
        }
        let replaced_files = wheels
            .iter()
            .flat_map(|p| p.replaces.iter())
            .chain(removed)
            .flat_map(|d| d.files.iter().flatten())
            .map(|f| key(f))
            .collect();
        Owners {
            owner,
            replaced_files,
        }
    }
}

/// Pass 4a: no file may overwrite a file another installed project owns, unless it writes the
/// very same bytes (as when two projects ship one shared file). `--allow-overwrite` skips it.
pub(crate) fn ownership(
    files: &[FileOp],
    abs_paths: &[PathBuf],
    owners: &Owners,
    names: &Names,
    env: &dyn EnvView,
    contents: &Contents,
) -> Result<(), WheelError> {
    if !owners.owns_any() {
        return Ok(());
    }
    for (f, abs) in files.iter().zip(abs_paths).filter(|(f, _)| !f.shadowed) {
        let Some(dist) = owners.owner_of(abs) else {
            continue;
        };
        let same = contents(f)
            .ok()
            .zip(env.file_identity(abs))
            .is_some_and(|(a, b)| a == b);
        if !same {
            return Err(WheelError::member(
                names.wheel(f),
                names.origin(f),
                format!(
                    "would overwrite {}, which belongs to the installed project {} (pass \
                     --allow-overwrite to replace it anyway)",
                    abs.display(),
                    dist.spec()
                ),
            ));
        }
    }
    Ok(())
}

/// Pass 4b: the files that would replace something on disk that no installed project lists
/// (the venv's own `bin/python`, `pyvenv.cfg`, leftovers), by index. The caller refuses them in
/// untrusted mode and warns otherwise.
pub(crate) fn unowned_existing(
    files: &[FileOp],
    abs_paths: &[PathBuf],
    owners: &Owners,
    env: &dyn EnvView,
) -> Vec<usize> {
    (0..files.len())
        .filter(|&i| !files[i].shadowed)
        .filter(|&i| {
            let abs = abs_paths[i].as_path();
            owners.owner_of(abs).is_none() && !owners.is_replaced(abs) && env.exists(abs)
        })
        .collect()
}

/// Pass 4c: new files whose destination is a directory on disk (an upgrade that turns a
/// directory into a file), by index; `unowned` are the files [`unowned_existing`] found (a
/// directory is in no RECORD, so it is among them). pip uninstalls the replaced version first,
/// which removes a directory when every file below it goes (its RECORD's files and the bytecode
/// of its `.py` files), and then installs the file. The rule is the same here: the directory
/// gives way when a replaced version had files in it and every file below it is a file of a
/// replaced version that no remaining project lists, or bytecode of such a `.py` file
/// (`__pycache__/NAME.*.pyc`; winst removes all of them, pip its own interpreter's); empty
/// directories below do not count. Anything else below (a file no project lists, another
/// project's file), or a directory no replaced version had files in, is an error naming it:
/// pip fails there too.
pub(crate) fn directories_in_the_way(
    files: &[FileOp],
    abs_paths: &[PathBuf],
    unowned: &[usize],
    owners: &Owners,
    names: &Names,
    env: &dyn EnvView,
) -> Result<Vec<usize>, WheelError> {
    let mut giving_way = Vec::new();
    for &i in unowned {
        let (f, abs) = (&files[i], &abs_paths[i]);
        let Some(below) = env.tree(abs) else {
            continue;
        };
        let refuse = |why: String| {
            WheelError::member(
                names.wheel(f),
                names.origin(f),
                format!(
                    "installs a file at {}, where there is a directory; {why}, so the directory \
                     cannot give way to the file (a directory is replaced by a file only when it \
                     holds nothing but files of the replaced version and their bytecode)",
                    abs.display()
                ),
            )
        };
        let mut replaced = false;
        for (path, _) in below.iter().filter(|(_, is_dir)| !is_dir) {
            if let Some(dist) = owners.owner_of(path) {
                return Err(refuse(format!(
                    "{} in it belongs to the installed project {}",
                    path.display(),
                    dist.spec()
                )));
            }
            if owners.is_replaced(path) {
                replaced = true;
            } else if !bytecode_of_removed(path, owners) {
                return Err(refuse(format!(
                    "{} in it belongs to no installed project",
                    path.display()
                )));
            }
        }
        if !replaced {
            return Err(refuse(
                "no replaced version of a project installed files in it".to_string(),
            ));
        }
        giving_way.push(i);
    }
    Ok(giving_way)
}

/// Whether `path` is `DIR/__pycache__/NAME.TAG.pyc` where `DIR/NAME.py` is a file of a replaced
/// version that no remaining project lists (it goes, and its bytecode with it).
fn bytecode_of_removed(path: &Path, owners: &Owners) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Some(dir) = path
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == "__pycache__"))
        .and_then(Path::parent)
    else {
        return false;
    };
    let Some(stem) = name.strip_suffix(".pyc") else {
        return false;
    };
    stem.match_indices('.').any(|(dot, _)| {
        let source = dir.join(format!("{}.py", &stem[..dot]));
        owners.is_replaced(&source) && owners.owner_of(&source).is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{MemView, contents, installed, op, wheel_plan};
    use super::*;

    fn abs(files: &[FileOp]) -> Vec<PathBuf> {
        files
            .iter()
            .map(|f| PathBuf::from(format!("/site/{}", f.rel)))
            .collect()
    }

    const WHEELS: &[&str] = &["a-1.0-py3-none-any.whl", "b-1.0-py3-none-any.whl"];

    fn wheel_names() -> Names<'static> {
        Names::plain(WHEELS)
    }

    fn check_ownership(files: &[FileOp], owners: &Owners, env: &MemView) -> Result<(), WheelError> {
        ownership(files, &abs(files), owners, &wheel_names(), env, &contents)
    }

    fn rule(e: WheelError) -> String {
        e.to_string()
    }

    #[test]
    fn one_project_twice_is_refused() {
        let p = |f: &'static str, n: &'static str| (f, n, winst_wheel::name::normalize(n));
        distinct_projects([p("a-1.0.whl", "a"), p("b-1.0.whl", "b")]).unwrap();
        let e = rule(
            distinct_projects([
                p("Foo_Bar-1.0.whl", "Foo_Bar"),
                p("foo.bar-2.0.whl", "foo.bar"),
            ])
            .unwrap_err(),
        );
        assert!(
            e.contains("foo.bar is given twice (Foo_Bar-1.0.whl and foo.bar-2.0.whl)"),
            "{e}"
        );
    }

    #[test]
    fn winst_names_are_reserved() {
        let files = [op(0, 0, "pkg/.winst-journal", b"x")];
        let e = names(
            &files,
            &abs(&files),
            &wheel_names(),
            &[Path::new("/site")],
            None,
        )
        .unwrap_err();
        assert!(rule(e).contains("reserved for winst's journal"));
        let files = [op(0, 0, "pkg/winst-journal", b"x")];
        names(
            &files,
            &abs(&files),
            &wheel_names(),
            &[Path::new("/site")],
            None,
        )
        .unwrap();
    }

    #[test]
    fn paths_too_long_for_the_system_are_refused_by_name() {
        let long = format!("pkg/{}/x.py", ["d"; 2100].join("/"));
        let files = [op(0, 0, &long, b"x")];
        let e = rule(names(&files, &abs(&files), &wheel_names(), &[], None).unwrap_err());
        assert!(e.contains("too long for the system"), "{e}");
        let files = [op(0, 0, &long[..3000], b"x")];
        names(&files, &abs(&files), &wheel_names(), &[], None).unwrap();
    }

    #[test]
    fn startup_files_in_site_packages_are_refused_only_when_untrusted() {
        let site = [Path::new("/site")];
        let strict = UntrustedLimits::default();
        let allowing = UntrustedLimits {
            allow_pth: true,
            ..UntrustedLimits::default()
        };
        for name in ["evil.pth", "sitecustomize.py", "usercustomize.py"] {
            let files = [op(0, 0, name, b"import os")];
            let a = abs(&files);
            let e = names(&files, &a, &wheel_names(), &site, Some(&strict)).unwrap_err();
            assert!(
                rule(e).contains("Python runs at every interpreter start"),
                "{name}"
            );
            names(&files, &a, &wheel_names(), &site, None).unwrap();
            names(&files, &a, &wheel_names(), &site, Some(&allowing)).unwrap();
        }
        // Deeper in a package, a .pth is data.
        let files = [op(0, 0, "pkg/data.pth", b"x")];
        names(&files, &abs(&files), &wheel_names(), &site, Some(&strict)).unwrap();
    }

    fn run_inside(files: &mut [FileOp], fold: bool) -> Result<(), WheelError> {
        let a = abs(files);
        let folded = if fold {
            PathKeys::fold_all(&a)
        } else {
            Vec::new()
        };
        let mut keys = PathKeys::new(&a, &folded, fold);
        inside(files, &a, &mut keys, &wheel_names(), &contents)
    }

    #[test]
    fn one_wheel_writing_a_path_twice_is_refused() {
        let mut files = [op(0, 0, "pkg/x.py", b"1"), op(0, 0, "pkg/x.py", b"1")];
        assert!(rule(run_inside(&mut files, false).unwrap_err()).contains("also writes"));
    }

    #[test]
    fn two_wheels_may_share_a_path_only_with_the_same_bytes() {
        let mut files = [op(0, 0, "shared/x.py", b"1"), op(1, 0, "shared/x.py", b"1")];
        run_inside(&mut files, false).unwrap();
        assert!(
            !files[0].shadowed && files[1].shadowed,
            "the second is not written"
        );
        let mut files = [op(0, 0, "shared/x.py", b"1"), op(1, 0, "shared/x.py", b"2")];
        let e = rule(run_inside(&mut files, false).unwrap_err());
        assert!(
            e.contains("with different contents than a-1.0-py3-none-any.whl"),
            "{e}"
        );
    }

    #[test]
    fn case_variants_collide_only_on_a_case_insensitive_filesystem() {
        let mut files = [
            op(0, 0, "pkg/Readme.txt", b"1"),
            op(1, 0, "pkg/README.txt", b"1"),
        ];
        run_inside(&mut files, false).unwrap();
        assert!(!files[1].shadowed);
        let e = rule(run_inside(&mut files, true).unwrap_err());
        assert!(e.contains("differ only in case"), "{e}");
    }

    #[test]
    fn a_file_where_a_directory_is_needed_is_refused() {
        let files = [op(0, 0, "pkg/mod", b"1"), op(1, 0, "pkg/mod/x.py", b"1")];
        let e = rule(file_where_directory(&files, &abs(&files), &wheel_names()).unwrap_err());
        assert!(e.contains("needs a directory"), "{e}");
        let files = [op(0, 0, "pkg/mod.py", b"1"), op(1, 0, "pkg/mod/x.py", b"1")];
        file_where_directory(&files, &abs(&files), &wheel_names()).unwrap();
    }

    #[test]
    fn another_projects_file_is_overwritten_only_with_its_own_bytes() {
        let other = [installed("other", "2.0", "/site", &["/site/shared.py"])];
        let plans = [wheel_plan("a-1.0.dist-info", Vec::new())];
        let owners = Owners::new(&other, &plans);
        let env = MemView {
            files: [(PathBuf::from("/site/shared.py"), b"same".to_vec())].into(),
            ..MemView::default()
        };
        let files = [op(0, 0, "shared.py", b"same")];
        check_ownership(&files, &owners, &env).unwrap();
        let files = [op(0, 0, "shared.py", b"changed")];
        let e = rule(check_ownership(&files, &owners, &env).unwrap_err());
        assert!(
            e.contains("belongs to the installed project other==2.0"),
            "{e}"
        );
        assert!(e.contains("--allow-overwrite"), "{e}");
    }

    #[test]
    fn a_replaced_versions_files_belong_to_no_one() {
        let old = installed("a", "0.9", "/site", &["/site/a.py"]);
        let plans = [wheel_plan("a-1.0.dist-info", vec![old.clone()])];
        let all = [old];
        let owners = Owners::new(&all, &plans);
        assert!(!owners.owns_any());
        let env = MemView {
            files: [(PathBuf::from("/site/a.py"), b"old".to_vec())].into(),
            ..MemView::default()
        };
        let files = [op(0, 0, "a.py", b"new")];
        check_ownership(&files, &owners, &env).unwrap();
        assert!(unowned_existing(&files, &abs(&files), &owners, &env).is_empty());
    }

    #[test]
    fn existing_files_no_project_lists_are_found() {
        let owners = Owners::new(&[], &[]);
        let env = MemView {
            files: [(PathBuf::from("/site/leftover.py"), b"x".to_vec())].into(),
            ..MemView::default()
        };
        let mut files = [
            op(0, 0, "leftover.py", b"y"),
            op(0, 0, "new.py", b"y"),
            op(1, 0, "leftover.py", b"y"),
        ];
        files[2].shadowed = true;
        assert_eq!(unowned_existing(&files, &abs(&files), &owners, &env), [0]);
    }

    #[test]
    fn a_directory_gives_way_to_a_file_only_when_all_it_holds_goes() {
        let old = installed("a", "1.0", "/site", &["/site/pkg/sub/__init__.py"]);
        let other = installed("other", "1.0", "/site", &["/site/pkg/sub/plugin.py"]);
        let plans = [wheel_plan("a-2.0.dist-info", vec![old.clone()])];
        let all = [old, other];
        let owners = Owners::new(&all, &plans);
        let files = [
            op(0, 0, "pkg/sub", b"now a file"),
            op(0, 0, "pkg/new.py", b""),
        ];
        let run = |paths: &[&str]| {
            let env = MemView {
                files: paths
                    .iter()
                    .map(|p| (PathBuf::from(p), Vec::new()))
                    .collect(),
                ..MemView::default()
            };
            let unowned = unowned_existing(&files, &abs(&files), &owners, &env);
            directories_in_the_way(
                &files,
                &abs(&files),
                &unowned,
                &owners,
                &wheel_names(),
                &env,
            )
            .map_err(rule)
        };
        // The replaced version's file and its bytecode (listed in RECORD or not) go.
        let gone = [
            "/site/pkg/sub/__init__.py",
            "/site/pkg/sub/__pycache__/__init__.cpython-311.pyc",
            "/site/pkg/sub/__pycache__/__init__.cpython-311.opt-1.pyc",
        ];
        assert_eq!(run(&gone).unwrap(), [0]);
        let mut with = gone.to_vec();
        with.push("/site/pkg/sub/user.txt");
        let e = run(&with).unwrap_err();
        assert!(
            e.contains("installs a file at /site/pkg/sub, where there is a directory")
                && e.contains("/site/pkg/sub/user.txt in it belongs to no installed project"),
            "{e}"
        );
        let e = run(&["/site/pkg/sub/__init__.py", "/site/pkg/sub/plugin.py"]).unwrap_err();
        assert!(
            e.contains("plugin.py in it belongs to the installed project other==1.0"),
            "{e}"
        );
        // Bytecode of a file no replaced version lists is not the upgrade's to remove.
        let e = run(&["/site/pkg/sub/__pycache__/x.cpython-311.pyc"]).unwrap_err();
        assert!(e.contains("x.cpython-311.pyc in it belongs to no installed project"));
        let e = run(&["/site/pkg/sub/__pycache__/__init__.cpython-311.pyc"]).unwrap_err();
        assert!(e.contains("no replaced version of a project installed files in it"));
        // A plain file in the way is the warning's business, not this pass's.
        assert!(run(&["/site/pkg/sub"]).unwrap().is_empty());
    }

    #[test]
    fn path_keys_fold_case_only_when_asked() {
        let p = PathBuf::from("/site/A.py");
        assert_eq!(PathKeys::new(&[], &[], false).key_of(&p), b"/site/A.py");
        assert_eq!(PathKeys::new(&[], &[], true).key_of(&p), b"/site/a.py");
    }
}
