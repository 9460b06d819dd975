//! Pass 1 of the planner: where each member of each wheel goes, and the files winst generates
//! (launchers from the scripts plugin, editable layouts from the editable plugin).
//!
//! Members of `{name}.data/<key>/` go to the scheme directory of `<key>` (headers under a
//! directory named for the project); everything else to purelib or platlib by
//! `Root-Is-Purelib`. The wheel's own `RECORD` is replaced by the installed one, and its
//! `INSTALLER`, `REQUESTED` and `direct_url.json` are skipped with a warning: the installer
//! writes those. A `.data/scripts` file named for one of the wheel's entry points (`NAME`,
//! `NAME.exe`, `NAME-script.py`, `NAME.pya`) is the wrapper old setuptools put there; it is
//! skipped and the generated launcher wins, as in pip and uv. Not here: any check between files
//! (later passes).

use rayon::prelude::*;
use winst_python::installed::InstalledDist;
use winst_python::scripts;
use winst_wheel::error::WheelError;
use winst_wheel::{self as wheel, OpenedWheel, dist_info};

use super::{FileOp, PlanOptions, SchemeRoots, Source, WheelPlan};
use crate::roots::{RootId, Roots};

/// The files and per-wheel plans of an install, before any check.
pub(crate) struct Mapped {
    pub files: Vec<FileOp>,
    pub wheels: Vec<WheelPlan>,
    pub warnings: Vec<String>,
}

/// Where one member goes: its root, its path there, and whether it is a script (from
/// `.data/scripts`). `None` for members that are not installed as they are: directories, the
/// wheel's RECORD, and the dist-info files the installer writes (the second value of the error
/// side says which, for a warning).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Destination {
    File {
        root: RootId,
        rel: String,
        script: bool,
    },
    /// Not installed, silently (a directory entry, RECORD, an unknown `.data` key refused when
    /// the wheel was opened).
    Skip,
    /// Not installed: the installer writes this dist-info file itself.
    InstallerWritten,
}

/// The naming facts of one wheel that decide destinations.
pub(crate) struct WheelNames<'a> {
    pub dist_info: &'a str,
    pub data_dir: &'a str,
    /// The project name as headers are installed under (`-` for `_`, as pip does).
    pub header_name: String,
    pub lib_root: RootId,
}

/// Where member `name` goes (see [`Destination`]).
pub(crate) fn destination(
    name: &str,
    is_dir: bool,
    w: &WheelNames,
    ids: SchemeRoots,
) -> Destination {
    if is_dir || name.strip_prefix(w.dist_info) == Some("/RECORD") {
        return Destination::Skip;
    }
    if let Some(file) = name
        .strip_prefix(w.dist_info)
        .and_then(|rest| rest.strip_prefix('/'))
        && matches!(
            file,
            dist_info::INSTALLER | dist_info::REQUESTED | dist_info::DIRECT_URL
        )
    {
        return Destination::InstallerWritten;
    }
    let Some(rest) = name
        .strip_prefix(w.data_dir)
        .and_then(|rest| rest.strip_prefix('/'))
    else {
        return Destination::File {
            root: w.lib_root,
            rel: name.to_string(),
            script: false,
        };
    };
    let (key, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (root, rel, script) = match key {
        "purelib" => (ids.purelib, path.to_string(), false),
        "platlib" => (ids.platlib, path.to_string(), false),
        "scripts" => (ids.scripts, path.to_string(), true),
        "headers" => (ids.headers, format!("{}/{path}", w.header_name), false),
        "data" => (ids.data, path.to_string(), false),
        // Unknown keys were refused when the wheel was opened.
        _ => return Destination::Skip,
    };
    Destination::File { root, rel, script }
}

/// Whether a file of `.data/scripts` (`rel`, relative to the scripts directory) is the wrapper
/// setuptools wrote for one of the wheel's entry points: its base name is an entry point's name,
/// or that name with `.exe`, `-script.py` or `.pya` (pip's `is_entrypoint_wrapper`; suffixes
/// compared ignoring case, names exactly).
pub(crate) fn is_entry_point_wrapper(rel: &str, entry_points: &[wheel::EntryPoint]) -> bool {
    let base = rel.rsplit('/').next().unwrap_or(rel);
    let lower = base.to_ascii_lowercase();
    let stem = [".exe", "-script.py", ".pya"]
        .iter()
        .find(|suffix| lower.ends_with(*suffix))
        .map_or(base, |suffix| &base[..base.len() - suffix.len()]);
    entry_points.iter().any(|ep| ep.name == stem)
}

/// Maps every wheel's members and generated files (pass 1).
pub(crate) fn map(
    wheels: &[OpenedWheel],
    roots: &Roots,
    ids: SchemeRoots,
    installed: &[InstalledDist],
    options: &PlanOptions,
) -> Result<Mapped, WheelError> {
    // Each wheel maps on its own (in parallel), then the results are joined in wheel order.
    let per_wheel: Vec<(Mapped, WheelPlan)> = wheels
        .par_iter()
        .enumerate()
        .map(|(w, wheel)| {
            let mut mapped = Mapped {
                files: Vec::with_capacity(wheel.archive.members.len()),
                wheels: Vec::new(),
                warnings: Vec::new(),
            };
            let plan = map_wheel(w, wheel, roots, ids, installed, options, &mut mapped)?;
            Ok((mapped, plan))
        })
        .collect::<Result<_, WheelError>>()?;
    let mut mapped = Mapped {
        files: Vec::with_capacity(per_wheel.iter().map(|(m, _)| m.files.len()).sum()),
        wheels: Vec::with_capacity(wheels.len()),
        warnings: Vec::new(),
    };
    for (one, plan) in per_wheel {
        mapped.files.extend(one.files);
        mapped.warnings.extend(one.warnings);
        mapped.wheels.push(plan);
    }
    Ok(mapped)
}

fn map_wheel(
    w: usize,
    wheel: &OpenedWheel,
    roots: &Roots,
    ids: SchemeRoots,
    installed: &[InstalledDist],
    options: &PlanOptions,
    out: &mut Mapped,
) -> Result<WheelPlan, WheelError> {
    let lib_root = if wheel.wheel_info.root_is_purelib {
        ids.purelib
    } else {
        ids.platlib
    };
    let lib_path = roots.path(lib_root).to_path_buf();
    let names = WheelNames {
        dist_info: &wheel.dist_info,
        data_dir: &wheel.data_dir,
        header_name: wheel.filename.name.replace('_', "-"),
        lib_root,
    };
    let editable = options.editable.get(w).and_then(Option::as_ref);
    for m in &wheel.archive.members {
        let (root, rel, script) = match destination(&m.name, m.is_dir, &names, ids) {
            Destination::File { root, rel, script } => (root, rel, script),
            Destination::Skip => continue,
            Destination::InstallerWritten => {
                out.warnings.push(format!(
                    "{}: ignoring {}: the installer writes that file",
                    wheel.file_name, m.name
                ));
                continue;
            }
        };
        if editable.is_some_and(|e| e.drop.contains(&m.name))
            || (script && is_entry_point_wrapper(&rel, &wheel.entry_points))
        {
            continue;
        }
        out.files.push(FileOp {
            wheel: w,
            source: Source::Member {
                index: m.index,
                size: m.size,
                fix_shebang: script,
            },
            root,
            rel,
            executable: m.executable || script,
            shadowed: false,
        });
    }
    for (path, contents) in editable.map(|e| e.files.as_slice()).unwrap_or(&[]) {
        out.files.push(FileOp {
            wheel: w,
            source: Source::Generated {
                bytes: contents.as_slice().into(),
                origin: format!("editable layout file {path}").into(),
            },
            root: lib_root,
            rel: path.clone(),
            executable: false,
            shadowed: false,
        });
    }
    let mut script_names = Vec::new();
    let launchers = options.launchers.get(w).map(Vec::as_slice).unwrap_or(&[]);
    for launcher in launchers {
        scripts::validate_generated(&launcher.files).map_err(|rule| {
            WheelError::member(
                &wheel.file_name,
                format!("{}/entry_points.txt", wheel.dist_info),
                format!("script `{}`: {rule}", launcher.entry_point),
            )
        })?;
        for f in &launcher.files {
            script_names.push(f.name.clone());
            out.files.push(FileOp {
                wheel: w,
                source: Source::Generated {
                    bytes: f.contents.as_slice().into(),
                    origin: format!("launcher for entry point `{}`", launcher.entry_point).into(),
                },
                root: ids.scripts,
                rel: f.name.clone(),
                executable: f.executable,
                shadowed: false,
            });
        }
    }
    Ok(WheelPlan {
        lib_root,
        lib_path,
        dist_info: wheel.dist_info.clone(),
        replaces: installed
            .iter()
            .filter(|d| d.normalized == wheel.normalized_name())
            .cloned()
            .collect(),
        scripts: script_names,
        requested: options.requested,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: SchemeRoots = SchemeRoots {
        purelib: 0,
        platlib: 1,
        scripts: 2,
        data: 3,
        headers: 4,
    };

    fn names(lib_root: RootId) -> WheelNames<'static> {
        WheelNames {
            dist_info: "demo_pkg-1.0.dist-info",
            data_dir: "demo_pkg-1.0.data",
            header_name: "demo-pkg".to_string(),
            lib_root,
        }
    }

    fn file(root: RootId, rel: &str, script: bool) -> Destination {
        Destination::File {
            root,
            rel: rel.to_string(),
            script,
        }
    }

    #[test]
    fn plain_members_go_to_the_lib_root_of_root_is_purelib() {
        let n = names(IDS.purelib);
        assert_eq!(
            destination("demo/__init__.py", false, &n, IDS),
            file(IDS.purelib, "demo/__init__.py", false)
        );
        let n = names(IDS.platlib);
        assert_eq!(
            destination("demo/_speedups.so", false, &n, IDS),
            file(IDS.platlib, "demo/_speedups.so", false)
        );
        assert_eq!(
            destination("demo_pkg-1.0.dist-info/METADATA", false, &n, IDS),
            file(IDS.platlib, "demo_pkg-1.0.dist-info/METADATA", false)
        );
    }

    #[test]
    fn data_keys_go_to_their_scheme_directories() {
        let n = names(IDS.purelib);
        let d = |m: &str| destination(m, false, &n, IDS);
        assert_eq!(
            d("demo_pkg-1.0.data/purelib/a.py"),
            file(IDS.purelib, "a.py", false)
        );
        assert_eq!(
            d("demo_pkg-1.0.data/platlib/b.so"),
            file(IDS.platlib, "b.so", false)
        );
        assert_eq!(
            d("demo_pkg-1.0.data/scripts/tool"),
            file(IDS.scripts, "tool", true)
        );
        assert_eq!(
            d("demo_pkg-1.0.data/data/share/x"),
            file(IDS.data, "share/x", false)
        );
        // Headers go under the project's name, with `-` for `_` as pip does.
        assert_eq!(
            d("demo_pkg-1.0.data/headers/api.h"),
            file(IDS.headers, "demo-pkg/api.h", false)
        );
        assert_eq!(d("demo_pkg-1.0.data/unknown/x"), Destination::Skip);
    }

    #[test]
    fn setuptools_wrappers_of_entry_points_are_recognized() {
        let eps = wheel::entry_points::parse_scripts(
            "[console_scripts]\ndupmin = dupmin:main\n[gui_scripts]\ndupgui = dupmin:gui\n",
        )
        .unwrap();
        for name in [
            "dupmin",
            "dupmin.exe",
            "dupmin-script.py",
            "dupmin.pya",
            "dupgui.EXE",
            "sub/dupgui",
        ] {
            assert!(is_entry_point_wrapper(name, &eps), "{name}");
        }
        for name in ["dupmin.py", "Dupmin", "dupmin-helper", "other", "dupmin.sh"] {
            assert!(!is_entry_point_wrapper(name, &eps), "{name}");
        }
    }

    #[test]
    fn record_directories_and_installer_files_are_not_installed_as_they_are() {
        let n = names(IDS.purelib);
        let d = |m: &str, dir: bool| destination(m, dir, &n, IDS);
        assert_eq!(d("demo_pkg-1.0.dist-info/RECORD", false), Destination::Skip);
        assert_eq!(d("demo/", true), Destination::Skip);
        for f in ["INSTALLER", "REQUESTED", "direct_url.json"] {
            assert_eq!(
                d(&format!("demo_pkg-1.0.dist-info/{f}"), false),
                Destination::InstallerWritten
            );
        }
        // The same names elsewhere are ordinary files.
        assert_eq!(
            d("demo/INSTALLER", false),
            file(IDS.purelib, "demo/INSTALLER", false)
        );
        assert_eq!(
            d("demo_pkg-1.0.dist-info.bak/RECORD", false),
            file(IDS.purelib, "demo_pkg-1.0.dist-info.bak/RECORD", false)
        );
    }
}
