//! `--target` and `--prefix` against pip: the same real wheels (a subset of the corpus: a plain
//! module, a `#!python` data script, `.data/headers` and `.data/data` files, binary platlib
//! wheels, console scripts) plus a hand-built wheel with a GUI entry point, installed with
//! `pip install --no-deps --no-compile --target DIR` / `--prefix DIR` and with `winst install
//! --target DIR` / `--prefix DIR` into separate directories, must give the same tree and bytes,
//! RECORD rows included (see `tests/pipcompare` for the differences allowed). The launchers must
//! run and print what pip's print, `winst list` must agree with `pip list --path`, `winst show`
//! with `pip show`, and `winst uninstall` must leave what installing the remaining wheels leaves.
//!
//! Two things pip does in these layouts are not copied:
//! - pip's RECORD rows under `--target` for scripts and data are relative to the temporary
//!   directory pip installed into (`../../bin/flake8` for `DIR/bin/flake8`), which points outside
//!   `DIR`; winst writes the row relative to the dist-info's directory (`bin/flake8`). The
//!   comparison maps pip's rows back.
//! - An upgrade: pip does not uninstall the old version in either layout (under `--target` it
//!   replaces whole top-level directories with `--upgrade` and keeps the old `.dist-info` and the
//!   old version's top-level modules; under `--prefix` it does not see the old version at all),
//!   so two versions stay installed. winst removes the old version as it does in a venv, so an
//!   upgrade must leave exactly what pip leaves when it installs the new version alone.

mod pipcompare;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pipcompare::*;
use support::*;

/// Corpus projects installed in both layouts.
const PROJECTS: &[&str] = &[
    "six",
    "jsonpointer",
    "pybind11-global",
    "markupsafe",
    "greenlet",
    "flake8",
    "pyflakes",
    "pycodestyle",
    "mccabe",
];

#[derive(Clone, Copy, Debug)]
enum Layout {
    Target,
    Prefix,
}

impl Layout {
    fn flag(self) -> &'static str {
        match self {
            Layout::Target => "--target",
            Layout::Prefix => "--prefix",
        }
    }

    /// Where the packages land under `dir`.
    fn site(self, dir: &Path) -> PathBuf {
        match self {
            Layout::Target => dir.to_path_buf(),
            Layout::Prefix => dir
                .join("lib")
                .join(format!("python{}", py_version()))
                .join("site-packages"),
        }
    }

    /// pip's RECORD row for a path, as winst (correctly) writes it.
    fn pip_record_path(self) -> &'static dyn Fn(&str) -> String {
        match self {
            Layout::Target => &|p: &str| p.strip_prefix("../../").unwrap_or(p).to_string(),
            Layout::Prefix => &|p: &str| p.to_string(),
        }
    }
}

/// A hand-built wheel with console and GUI entry points and a data file.
fn gui_wheel(dir: &Path, version: &str, old_files: bool) -> PathBuf {
    let mut b = WheelBuilder::new("layoutgui", version)
        .file(
            "layoutgui/__init__.py",
            format!(
                "VERSION = {version:?}\ndef main():\n    print('layoutgui', VERSION)\n\
                 def gui():\n    print('gui', VERSION)\n"
            ),
        )
        .file("layoutgui/common.py", "COMMON = True\n");
    let data = b.data_dir();
    b = b.file(
        &format!("{data}/data/share/layoutgui/{version}.txt"),
        version,
    );
    if old_files {
        b = b
            .file("layoutgui/old_only.py", "OLD = True\n")
            .file("layoutgui_old_top.py", "")
            .entry_points(
                "[console_scripts]\nlayoutgui = layoutgui:main\nlayoutgui-old = layoutgui:main\n",
            );
    } else {
        b = b
            .file("layoutgui/new_only.py", "NEW = True\n")
            .entry_points(
                "[console_scripts]\nlayoutgui = layoutgui:main\n\
                 [gui_scripts]\nlayoutgui-gui = layoutgui:gui\n",
            );
    }
    b.build(dir)
}

fn pip_install(venv: &Venv, layout: Layout, dir: &Path, wheels: &[PathBuf]) {
    let mut args = vec![
        "install".to_string(),
        "--no-deps".to_string(),
        "--no-compile".to_string(),
        layout.flag().to_string(),
        dir.to_string_lossy().into_owned(),
    ];
    args.extend(wheels.iter().map(|w| w.to_string_lossy().into_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = venv.pip(&args);
    assert!(out.status.success(), "pip {args:?}: {:?}", text(&out));
}

fn winst_in(venv: &Venv, layout: Layout, dir: &Path, sub: &str, args: &[&str]) -> Output {
    let mut cmd = winst();
    cmd.arg(sub);
    if sub == "install" {
        cmd.arg("--python").arg(venv.python());
    }
    cmd.arg(layout.flag()).arg(dir).args(args);
    cmd.output().unwrap()
}

fn winst_ok(venv: &Venv, layout: Layout, dir: &Path, sub: &str, args: &[&str]) -> String {
    let out = winst_in(venv, layout, dir, sub, args);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "winst {sub} {layout:?} {args:?}:\n{stdout}\n{stderr}"
    );
    stdout
}

fn compare(venv: &Venv, layout: Layout, pip_dir: &Path, winst_dir: &Path, wheels: &[PathBuf]) {
    let launchers = entry_point_scripts(wheels);
    let (pt, wt) = (tree(pip_dir), tree(winst_dir));
    let python = venv.python();
    let diffs = differences(
        &Side {
            who: "pip",
            tree: &pt,
            dir: pip_dir,
            root: pip_dir,
            python: &python,
        },
        &Side {
            who: "winst",
            tree: &wt,
            dir: winst_dir,
            root: winst_dir,
            python: &python,
        },
        &Rules {
            scripts: "bin",
            launchers: &launchers,
            pip_record_path: layout.pip_record_path(),
        },
    );
    assert_no_differences(&format!("{layout:?}"), &diffs);
}

/// `pip list --path SITE` as sorted `name==version` lines.
fn pip_list(venv: &Venv, site: &Path) -> Vec<String> {
    let out = venv.pip(&["list", "--path", site.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut list: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}=={}",
                r["name"].as_str().unwrap(),
                r["version"].as_str().unwrap()
            )
        })
        .collect();
    list.sort();
    list
}

fn winst_list(venv: &Venv, layout: Layout, dir: &Path) -> Vec<String> {
    let stdout = winst_ok(venv, layout, dir, "list", &["--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let mut list: Vec<String> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["installer"], "winst", "{r}");
            assert_eq!(
                r["location"].as_str().map(PathBuf::from),
                Some(layout.site(dir)),
                "{r}"
            );
            format!(
                "{}=={}",
                r["name"].as_str().unwrap(),
                r["version"].as_str().unwrap()
            )
        })
        .collect();
    list.sort();
    list
}

/// The `Field: value` lines of a `show` output, for the fields pip and winst share.
fn show_fields(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| {
            [
                "Name:",
                "Version:",
                "Summary:",
                "Location:",
                "Requires:",
                "Required-by:",
            ]
            .iter()
            .any(|f| l.starts_with(f))
        })
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// What every launcher and script prints, run from pip's and from winst's directory.
fn assert_scripts_run_alike(layout: Layout, pip_dir: &Path, winst_dir: &Path) {
    for (script, args) in [
        ("flake8", &["--version"][..]),
        ("jsonpointer", &["--help"][..]),
        ("layoutgui", &[][..]),
        ("layoutgui-gui", &[][..]),
    ] {
        let pip = run_script(
            &pip_dir.join("bin").join(script),
            args,
            Some(&layout.site(pip_dir)),
            pip_dir,
        );
        let winst = run_script(
            &winst_dir.join("bin").join(script),
            args,
            Some(&layout.site(winst_dir)),
            winst_dir,
        );
        assert_eq!(pip.0, Some(0), "pip's {script} failed: {pip:?}");
        assert_eq!(
            winst, pip,
            "{layout:?}: winst's {script} does not behave like pip's"
        );
    }
}

fn layout_matches_pip(layout: Layout) {
    let Some(corpus) = corpus::wheels(&format!("{layout:?}_matches_pip")) else {
        return;
    };
    let extra = wheel_dir();
    let mut wheels: Vec<PathBuf> = PROJECTS.iter().map(|p| corpus::wheel(&corpus, p)).collect();
    wheels.push(gui_wheel(extra.path(), "2.0", false));
    let venv = Venv::new();
    let venv_before = venv.snapshot();
    let dirs = tempfile::Builder::new()
        .prefix("winst-layouts-")
        .tempdir()
        .unwrap();
    let (pip_dir, winst_dir) = (dirs.path().join("pip"), dirs.path().join("winst"));
    pip_install(&venv, layout, &pip_dir, &wheels);
    let mut args: Vec<&str> = wheels.iter().map(|w| w.to_str().unwrap()).collect();
    // A dry run names the directory the install would go to (not the venv), and makes nothing.
    args.push("--dry-run");
    let dry = winst_ok(&venv, layout, &winst_dir, "install", &args);
    let would = format!("Would install {} packages", wheels.len());
    assert!(dry.contains(&would), "{dry}");
    assert!(
        dry.lines()
            .next()
            .is_some_and(|l| l.ends_with(&format!("into {}", winst_dir.display()))),
        "{dry}"
    );
    assert!(
        !winst_dir.exists(),
        "a dry run made {}",
        winst_dir.display()
    );
    args.pop();
    winst_ok(&venv, layout, &winst_dir, "install", &args);
    compare(&venv, layout, &pip_dir, &winst_dir, &wheels);
    assert_scripts_run_alike(layout, &pip_dir, &winst_dir);
    // The venv itself is untouched by either.
    assert_same_tree(&venv_before, &venv.snapshot());

    // list and show agree with pip's view of the same directory.
    let listed = winst_list(&venv, layout, &winst_dir);
    assert_eq!(listed.len(), wheels.len(), "{listed:?}");
    assert_eq!(listed, pip_list(&venv, &layout.site(&winst_dir)));
    for project in ["six", "flake8", "layoutgui"] {
        let ours = winst_ok(&venv, layout, &winst_dir, "show", &[project]);
        let pips = Command::new(python3())
            .args(["-m", "pip", "--python"])
            .arg(venv.python())
            .args(["show", project])
            .env("PYTHONPATH", layout.site(&winst_dir))
            .output()
            .unwrap();
        assert!(pips.status.success(), "{:?}", text(&pips));
        assert_eq!(
            show_fields(&ours),
            show_fields(&text(&pips).0),
            "{layout:?}: winst show {project}"
        );
        assert!(ours.contains("Installer: winst"), "{ours}");
    }
    let files = winst_ok(&venv, layout, &winst_dir, "show", &["--files", "flake8"]);
    assert!(
        files.lines().any(|l| l.trim() == "flake8/__init__.py"),
        "{files}"
    );

    // Uninstalling some projects leaves what installing the others leaves.
    let gone = ["six", "jsonpointer", "layoutgui"];
    winst_ok(&venv, layout, &winst_dir, "uninstall", &gone);
    let rest: Vec<PathBuf> = wheels
        .iter()
        .filter(|w| {
            let name = w.file_name().unwrap().to_string_lossy().to_lowercase();
            !gone.iter().any(|g| name.starts_with(&format!("{g}-")))
        })
        .cloned()
        .collect();
    assert_eq!(rest.len(), wheels.len() - gone.len());
    let pip_rest = dirs.path().join("pip-rest");
    pip_install(&venv, layout, &pip_rest, &rest);
    compare(&venv, layout, &pip_rest, &winst_dir, &rest);
    // And uninstalling the rest leaves no file.
    let names: Vec<&str> = PROJECTS
        .iter()
        .copied()
        .filter(|p| !gone.contains(p))
        .collect();
    winst_ok(&venv, layout, &winst_dir, "uninstall", &names);
    let left: Vec<String> = tree(&winst_dir)
        .into_iter()
        .filter(|(_, e)| !matches!(e, Entry::Dir { .. }))
        .map(|(p, _)| p)
        .collect();
    assert!(
        left.is_empty(),
        "{layout:?}: left after uninstall: {left:?}"
    );
    assert_eq!(winst_list(&venv, layout, &winst_dir), Vec::<String>::new());
}

#[test]
fn target_layout_matches_pip() {
    layout_matches_pip(Layout::Target);
}

#[test]
fn prefix_layout_matches_pip() {
    layout_matches_pip(Layout::Prefix);
}

fn upgrade_matches_pip(layout: Layout) {
    let wheels = wheel_dir();
    let old = gui_wheel(wheels.path(), "1.0", true);
    let new_dir = wheel_dir();
    let new = gui_wheel(new_dir.path(), "2.0", false);
    let venv = Venv::new();
    let dirs = tempfile::Builder::new()
        .prefix("winst-layouts-")
        .tempdir()
        .unwrap();
    let (pip_dir, winst_dir) = (dirs.path().join("pip"), dirs.path().join("winst"));
    winst_ok(
        &venv,
        layout,
        &winst_dir,
        "install",
        &[old.to_str().unwrap()],
    );
    assert!(winst_dir.join("bin/layoutgui-old").is_file());
    let stderr = text(&winst_in(
        &venv,
        layout,
        &winst_dir,
        "install",
        &[new.to_str().unwrap()],
    ))
    .1;
    assert!(
        stderr.contains("- layoutgui==1.0") && stderr.contains("+ layoutgui==2.0"),
        "{stderr}"
    );
    pip_install(&venv, layout, &pip_dir, std::slice::from_ref(&new));
    compare(
        &venv,
        layout,
        &pip_dir,
        &winst_dir,
        &[old.clone(), new.clone()],
    );
    let site = layout.site(&winst_dir);
    assert!(!site.join("layoutgui-1.0.dist-info").exists());
    assert!(!site.join("layoutgui_old_top.py").exists());
    assert!(!winst_dir.join("bin/layoutgui-old").exists());
    assert!(!winst_dir.join("share/layoutgui/1.0.txt").exists());
    assert_eq!(
        winst_list(&venv, layout, &winst_dir),
        vec!["layoutgui==2.0".to_string()]
    );
    let ran = run_script(
        &winst_dir.join("bin/layoutgui"),
        &[],
        Some(&site),
        &winst_dir,
    );
    assert_eq!(ran.1.trim(), "layoutgui 2.0", "{ran:?}");
}

#[test]
fn an_upgrade_in_a_target_directory_leaves_what_pip_installs() {
    upgrade_matches_pip(Layout::Target);
}

#[test]
fn an_upgrade_under_a_prefix_leaves_what_pip_installs() {
    upgrade_matches_pip(Layout::Prefix);
}

/// An install into a `--target` or `--prefix` directory that does not exist yet, failing late
/// (a file whose bytes do not match RECORD, found while writing), leaves nothing: not the
/// directory, not the parents winst made for it. The same install of a good wheel creates them.
fn a_failed_install_into_a_new_directory_leaves_nothing(layout: Layout) {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let bad = WheelBuilder::new("latebad", "1.0")
        .file("latebad/__init__.py", "\n")
        .file("latebad/good.py", "GOOD = 1\n")
        .unrecorded("latebad/a.py", "A = 1\n")
        .record_row(&format!("latebad/a.py,{},6", record_hash(b"B = 2\n")))
        .build(wheels.path());
    let good = gui_wheel(wheels.path(), "1.0", false);
    let base = tempfile::tempdir().unwrap();
    let dest = base.path().join("new/deeper/dir");
    let cache = Cache::new();
    let cache_args = cache.args();
    let cached: Vec<&str> = cache_args.iter().map(|a| a.to_str().unwrap()).collect();
    // Cold, then filling a cache.
    for args in [&[][..], &cached] {
        let mut all = args.to_vec();
        all.push(bad.to_str().unwrap());
        let out = winst_in(&venv, layout, &dest, "install", &all);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{layout:?} {args:?}: {stderr}");
        assert!(
            stderr.contains("latebad/a.py") && stderr.contains("RECORD"),
            "{stderr}"
        );
        assert_eq!(
            snapshot(base.path()),
            Snapshot::new(),
            "{layout:?} {args:?}: nothing left"
        );
    }
    winst_ok(&venv, layout, &dest, "install", &[good.to_str().unwrap()]);
    assert!(layout.site(&dest).join("layoutgui/__init__.py").is_file());
}

#[test]
fn a_failed_install_into_a_new_target_directory_leaves_nothing() {
    a_failed_install_into_a_new_directory_leaves_nothing(Layout::Target);
}

#[test]
fn a_failed_install_under_a_new_prefix_leaves_nothing() {
    a_failed_install_into_a_new_directory_leaves_nothing(Layout::Prefix);
}

/// An install into a new `--target` or `--prefix` directory killed before its commit leaves the
/// directory (its journal is there); the command that recovers it (`winst repair`, or another
/// install that fails too) removes what the killed one made, parents included.
fn a_crashed_install_into_a_new_directory_is_recovered_to_nothing(layout: Layout) {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let good = gui_wheel(wheels.path(), "1.0", false);
    let bad = WheelBuilder::new("latebad", "1.0")
        .unrecorded("latebad/a.py", "A = 1\n")
        .record_row(&format!("latebad/a.py,{},6", record_hash(b"B = 2\n")))
        .build(wheels.path());
    let base = tempfile::tempdir().unwrap();
    let dest = base.path().join("new/deeper/dir");
    let crash = |point: &str| {
        let mut cmd = winst();
        cmd.args(["install", "--python"]).arg(venv.python());
        cmd.arg(layout.flag()).arg(&dest).arg(&good);
        let out = cmd.env("WINST_CRASH_AT", point).output().unwrap();
        assert!(!out.status.success(), "{layout:?}: crashed at {point}");
        assert!(dest.join(".winst-journal").is_file(), "{layout:?}: {point}");
    };
    crash("written");
    let out = winst_in(&venv, layout, &dest, "install", &[bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert!(text(&out).1.contains("rolled it back"), "{:?}", text(&out));
    assert_eq!(
        snapshot(base.path()),
        Snapshot::new(),
        "{layout:?}: by a failed install"
    );
    // The second crash recovers the first, then is killed itself: its journal names the
    // directories the first one made.
    crash("written");
    crash("written");
    winst_ok(&venv, layout, &dest, "repair", &[]);
    assert_eq!(
        snapshot(base.path()),
        Snapshot::new(),
        "{layout:?}: by repair"
    );
}

#[test]
fn a_crashed_install_into_a_new_target_directory_is_recovered_to_nothing() {
    a_crashed_install_into_a_new_directory_is_recovered_to_nothing(Layout::Target);
}

#[test]
fn a_crashed_install_under_a_new_prefix_is_recovered_to_nothing() {
    a_crashed_install_into_a_new_directory_is_recovered_to_nothing(Layout::Prefix);
}

/// Two failing installs at once into the same new `--target` directory: each one waits for the
/// other's lock, and the one that made the directories removes them when it fails, possibly
/// while the other waits on them. Both fail for the wheel (never for a directory gone under
/// them), and nothing is left.
#[test]
fn two_failing_installs_at_once_into_a_new_directory_leave_nothing() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let bad = WheelBuilder::new("latebad", "1.0")
        .file("latebad/__init__.py", "\n")
        .unrecorded("latebad/a.py", "A = 1\n")
        .record_row(&format!("latebad/a.py,{},6", record_hash(b"B = 2\n")))
        .build(wheels.path());
    let base = tempfile::tempdir().unwrap();
    let dest = base.path().join("new/deeper/dir");
    for round in 0..8 {
        let spawn = || {
            let mut cmd = winst();
            cmd.args(["install", "--python"]).arg(venv.python());
            cmd.arg("--target").arg(&dest).arg(&bad);
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            let (_, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(1), "round {round}: {stderr}");
            assert!(
                stderr.contains("latebad/a.py") && stderr.contains("hash in RECORD"),
                "round {round}: {stderr}"
            );
        }
        assert_eq!(snapshot(base.path()), Snapshot::new(), "round {round}");
    }
}
