//! Environment discovery and PEP 668, with real virtual environments in nested directories and
//! a real interpreter whose stdlib holds an `EXTERNALLY-MANAGED` marker (in a private mount
//! namespace, see `support::system`). Each case installs a small wheel and imports it with the
//! environment's own Python.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::system::MarkedSystem;
use support::*;

fn pkg(name: &str) -> WheelBuilder {
    WheelBuilder::new(name, "1.0").file(&format!("{name}/__init__.py"), "OK = 'yes'\n")
}

/// A venv at `dir` (made with the test Python).
fn make_venv(dir: &Path) {
    check(
        Command::new(python3())
            .args(["-m", "venv", "--without-pip"])
            .arg(dir),
    );
}

/// Whether `python` can import `module`.
fn imports(python: &Path, module: &str) -> bool {
    Command::new(python)
        .args(["-B", "-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[track_caller]
fn ok(out: Output) -> Output {
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "winst failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    out
}

#[test]
fn dot_venv_in_a_parent_is_found_from_a_subdirectory() {
    let project = tempfile::tempdir().unwrap();
    make_venv(&project.path().join(".venv"));
    let deep = project.path().join("src/pkg/sub");
    std::fs::create_dir_all(&deep).unwrap();
    let wheels = wheel_dir();
    let whl = pkg("from_parent").build(wheels.path());
    ok(winst()
        .arg("install")
        .arg(&whl)
        .current_dir(&deep)
        .output()
        .unwrap());
    assert!(imports(
        &project.path().join(".venv/bin/python"),
        "from_parent"
    ));
}

#[test]
fn the_nearest_dot_venv_wins() {
    let project = tempfile::tempdir().unwrap();
    make_venv(&project.path().join(".venv"));
    let inner = project.path().join("inner");
    make_venv(&inner.join(".venv"));
    let cwd = inner.join("deeper");
    std::fs::create_dir_all(&cwd).unwrap();
    let wheels = wheel_dir();
    let whl = pkg("nearest").build(wheels.path());
    ok(winst()
        .arg("install")
        .arg(&whl)
        .current_dir(&cwd)
        .output()
        .unwrap());
    assert!(imports(&inner.join(".venv/bin/python"), "nearest"));
    assert!(!imports(
        &project.path().join(".venv/bin/python"),
        "nearest"
    ));
}

#[test]
fn virtual_env_wins_over_conda_prefix_and_dot_venv() {
    let project = tempfile::tempdir().unwrap();
    make_venv(&project.path().join(".venv"));
    let active = Venv::new();
    let conda = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("active_one").build(wheels.path());
    ok(winst()
        .arg("install")
        .arg(&whl)
        .current_dir(project.path())
        .env("VIRTUAL_ENV", active.root())
        .env("CONDA_PREFIX", conda.root())
        .output()
        .unwrap());
    assert!(imports(&active.python(), "active_one"));
    assert!(!imports(&conda.python(), "active_one"));
    assert!(!imports(
        &project.path().join(".venv/bin/python"),
        "active_one"
    ));
}

#[test]
fn conda_prefix_is_used_before_dot_venv() {
    // A venv directory stands in for a conda environment: both have bin/python.
    let project = tempfile::tempdir().unwrap();
    make_venv(&project.path().join(".venv"));
    let conda = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("conda_one").build(wheels.path());
    ok(winst()
        .arg("install")
        .arg(&whl)
        .current_dir(project.path())
        .env("CONDA_PREFIX", conda.root())
        .output()
        .unwrap());
    assert!(imports(&conda.python(), "conda_one"));
    assert!(!imports(
        &project.path().join(".venv/bin/python"),
        "conda_one"
    ));
}

#[test]
fn python_version_request_prefers_the_active_environment() {
    let active = Venv::new();
    let empty = tempfile::tempdir().unwrap();
    let wheels = wheel_dir();
    let version = py_version();
    let major = version.split('.').next().unwrap().to_string();
    for (i, request) in [version.clone(), major, format!("cpython{version}")]
        .iter()
        .enumerate()
    {
        let name = format!("by_version_{i}");
        let whl = pkg(&name).build(wheels.path());
        ok(winst()
            .args(["install", "--python", request])
            .arg(&whl)
            .current_dir(empty.path())
            .env("VIRTUAL_ENV", active.root())
            .output()
            .unwrap());
        assert!(imports(&active.python(), &name), "--python {request}");
    }
}

/// The interpreter a `--dry-run --json` report names.
fn reported_python(out: &Output) -> PathBuf {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    PathBuf::from(report["target"]["python"].as_str().unwrap())
}

#[test]
fn python_version_request_searches_path() {
    let version = py_version();
    let empty = tempfile::tempdir().unwrap();
    let wheels = wheel_dir();
    let whl = pkg("on_path").build(wheels.path());

    // No environment around: an interpreter on PATH, which is not a venv.
    let out = ok(winst()
        .args(["install", "--dry-run", "--json", "--python", &version])
        .arg(&whl)
        .current_dir(empty.path())
        .output()
        .unwrap());
    let python = reported_python(&out);
    let answer = check(Command::new(&python).args([
        "-c",
        "import sys; print(sys.prefix == sys.base_prefix, f'{sys.version_info[0]}.{sys.version_info[1]}')",
    ]));
    assert_eq!(
        text(&answer).0.trim(),
        format!("True {version}"),
        "{python:?}"
    );

    // A venv's bin directory first on PATH (activated without $VIRTUAL_ENV): its python3.X.
    let venv = Venv::new();
    let path = std::env::join_paths(
        std::iter::once(venv.root().join("bin"))
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    ok(winst()
        .args(["install", "--python", &version])
        .arg(&whl)
        .current_dir(empty.path())
        .env("PATH", &path)
        .output()
        .unwrap());
    assert!(imports(&venv.python(), "on_path"));

    // And by name on PATH.
    let other = pkg("by_name").build(wheels.path());
    ok(winst()
        .args(["install", "--python", &format!("python{version}")])
        .arg(&other)
        .current_dir(empty.path())
        .env("PATH", &path)
        .output()
        .unwrap());
    assert!(imports(&venv.python(), "by_name"));
}

#[test]
fn python_version_that_does_not_exist() {
    let empty = tempfile::tempdir().unwrap();
    let wheels = wheel_dir();
    let whl = pkg("nowhere").build(wheels.path());
    let out = winst()
        .args(["install", "--python", "3.99"])
        .arg(&whl)
        .current_dir(empty.path())
        .output()
        .unwrap();
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: no Python 3.99 interpreter found for --python: looked at the active and \
             nearby environments, then python3.99, python3, python on PATH (checked: "
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("is CPython {}.", py_version())),
        "{stderr}"
    );
    assert!(
        stderr.trim_end().ends_with(
            "install Python 3.99, or pass --python with the path of an interpreter or a \
             virtual environment"
        ),
        "{stderr}"
    );
}

#[test]
fn python_given_as_a_venv_directory() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("by_dir").build(wheels.path());
    // Relative to the current directory, as a user types it.
    ok(winst()
        .args(["install", "--python", "env"])
        .arg(&whl)
        .current_dir(venv.dir.path())
        .output()
        .unwrap());
    assert!(imports(&venv.python(), "by_dir"));
    // A directory that is not an environment.
    let out = winst()
        .args(["install", "--python"])
        .arg(venv.dir.path())
        .arg(&whl)
        .output()
        .unwrap();
    assert_eq!(
        text(&out).1,
        format!(
            "error: --python {}: this directory has no bin/python, so it is not a Python \
             environment; pass a virtual environment directory or an interpreter\n",
            venv.dir.path().display()
        )
    );
}

// ---------------------------------------------------------------------------------------------
// PEP 668

const MARKER: &str = "[externally-managed]\n\
Error=This Python belongs to the test distribution.\n \
Use a virtual environment:\n\n    \
python3 -m venv .venv\n\
Error-de = Dieses Python gehört der Distribution.\n";

/// The top level of `python`'s real install directories (purelib, platlib, scripts), read outside
/// any overlay: what an install into that interpreter would add to or remove from.
fn real_install_dirs(python: &Path) -> BTreeMap<PathBuf, BTreeSet<OsString>> {
    let out = check(Command::new(python).args([
        "-c",
        "import sysconfig; p = sysconfig.get_paths(); \
         print(p['purelib']); print(p['platlib']); print(p['scripts'])",
    ]));
    text(&out)
        .0
        .lines()
        .map(|dir| {
            let names = std::fs::read_dir(dir)
                .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
                .unwrap_or_default();
            (PathBuf::from(dir), names)
        })
        .collect()
}

fn marked() -> Option<MarkedSystem> {
    MarkedSystem::new(MARKER)
}

#[test]
fn externally_managed_install_and_uninstall_are_refused() {
    let real = real_install_dirs(Path::new(&python3()));
    let Some(system) = marked() else { return };
    let wheels = wheel_dir();
    let whl = pkg("refused_pkg").build(wheels.path());
    let expected = format!(
        "error: the environment at {prefix} is externally managed (PEP 668: {marker} exists):\n\
         \n\
         \x20 This Python belongs to the test distribution.\n\
         \x20 Use a virtual environment:\n\
         \n\
         \x20 python3 -m venv .venv\n\
         \n\
         note: If you believe this is a mistake, please contact your Python installation or OS \
         distribution provider. You can override this, at the risk of breaking your Python \
         installation or OS, by passing --break-system-packages (or setting \
         WINST_BREAK_SYSTEM_PACKAGES=1).\n\
         hint: to install into a virtual environment instead, create one with \
         `python3 -m venv .venv` and pass --python .venv\n",
        prefix = system.prefix.display(),
        marker = system.stdlib.join("EXTERNALLY-MANAGED").display(),
    );
    // With a private wheel cache, which the refusal must leave without an entry.
    let cache = Cache::new();
    let empty = cache.snapshot();
    let out = system.run(
        winst()
            .args(["install", "--python"])
            .arg(&system.python)
            .args(cache.args())
            .arg(&whl)
            .env("LANG", "C"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out).1, expected);
    cache.assert_nothing_cached(&empty);
    let out = system.run(
        winst()
            .args(["uninstall", "--python"])
            .arg(&system.python)
            .arg("refused_pkg")
            .env("LANG", "C"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out).1, expected);
    // Nothing was written under the prefix: the upper directory holds only the marker, and the
    // real installation is as it was.
    let marker = system
        .stdlib
        .join("EXTERNALLY-MANAGED")
        .strip_prefix(&system.prefix)
        .unwrap()
        .to_path_buf();
    assert_eq!(system.written(), vec![marker.clone()]);
    assert_eq!(real_install_dirs(Path::new(&python3())), real);

    // The locale picks `Error-de`, as pip does.
    let out = system.run(
        winst()
            .args(["install", "--python"])
            .arg(&system.python)
            .arg(&whl)
            .env("LC_ALL", "de_DE.UTF-8"),
    );
    assert!(
        text(&out)
            .1
            .contains("exists):\n\n  Dieses Python gehört der Distribution.\n\nnote:"),
        "{}",
        text(&out).1
    );
}

#[test]
fn break_system_packages_overrides_and_venvs_target_prefix_are_not_refused() {
    let real = real_install_dirs(Path::new(&python3()));
    let Some(system) = marked() else { return };
    let wheels = wheel_dir();
    let site = {
        let out = system.run(Command::new(&system.python).args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ]));
        PathBuf::from(text(&out).0.trim())
    };

    // The flag, then the environment variable: the install goes in (into the overlay).
    for (name, flag, env) in [
        ("forced_flag", Some("--break-system-packages"), None),
        (
            "forced_env",
            None,
            Some(("WINST_BREAK_SYSTEM_PACKAGES", "1")),
        ),
    ] {
        let whl = pkg(name).build(wheels.path());
        let mut cmd = winst();
        cmd.args(["install", "--python"])
            .arg(&system.python)
            .arg(&whl);
        cmd.args(flag);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        ok(system.run(&mut cmd));
        assert!(system.upper(&site).join(name).join("__init__.py").is_file());
        let import =
            system.run(Command::new(&system.python).args(["-c", &format!("import {name}")]));
        assert!(import.status.success(), "{}", text(&import).1);
        assert!(!site.join(name).exists(), "the real prefix was changed");
    }
    let out = system.run(
        winst()
            .args(["uninstall", "--break-system-packages", "--python"])
            .arg(&system.python)
            .arg("forced_flag"),
    );
    ok(out);
    assert!(!system.upper(&site).join("forced_flag/__init__.py").exists());

    // --target and --prefix do not change the interpreter's environment: allowed, as in pip.
    let whl = pkg("elsewhere").build(wheels.path());
    let dest = tempfile::tempdir().unwrap();
    ok(system.run(
        winst()
            .args(["install", "--python"])
            .arg(&system.python)
            .arg("--target")
            .arg(dest.path().join("t"))
            .arg(&whl),
    ));
    assert!(dest.path().join("t/elsewhere/__init__.py").is_file());
    ok(system.run(
        winst()
            .args(["install", "--python"])
            .arg(&system.python)
            .arg("--prefix")
            .arg(dest.path().join("p"))
            .arg(&whl),
    ));
    // A `--dry-run --json` report may look.
    ok(system.run(
        winst()
            .args(["install", "--dry-run", "--json", "--python"])
            .arg(&system.python)
            .arg(&whl),
    ));
    // A virtual environment made from the marked interpreter is the user's own.
    let venv = tempfile::tempdir().unwrap();
    let out = system.run(
        Command::new(&system.python)
            .args(["-m", "venv", "--without-pip"])
            .arg(venv.path().join("env")),
    );
    ok(out);
    ok(system.run(
        winst()
            .args(["install", "--python"])
            .arg(venv.path().join("env"))
            .arg(&whl),
    ));
    assert!(imports(&venv.path().join("env/bin/python"), "elsewhere"));
    // Every install went into the overlay: the real installation is as it was.
    assert_eq!(real_install_dirs(Path::new(&python3())), real);
}

#[test]
fn the_distributions_own_marker_is_honoured() {
    // The machine's distribution Python (Debian's, Ubuntu's, Fedora's /usr/bin/python3) with its
    // own PEP 668 marker. It runs overlaid (support::system) with nothing added, so a regression
    // in the refusal writes into the overlay, never into /usr.
    let python = Path::new("/usr/bin/python3");
    let marked = python.is_file() && {
        let out = check(Command::new(python).args([
            "-c",
            "import sys, sysconfig; print(sysconfig.get_path('stdlib')); \
             print(sys.prefix == sys.base_prefix)",
        ]));
        let answer = text(&out).0;
        let mut lines = answer.lines();
        let stdlib = PathBuf::from(lines.next().unwrap());
        lines.next() == Some("True") && stdlib.join("EXTERNALLY-MANAGED").is_file()
    };
    if !prerequisite(
        marked,
        "a distribution Python at /usr/bin/python3 with its own EXTERNALLY-MANAGED marker \
         (Debian or Ubuntu: apt-get install python3)",
    ) {
        return;
    }
    let real = real_install_dirs(python);
    let Some(system) = MarkedSystem::overlay(python, None) else {
        return;
    };
    let wheels = wheel_dir();
    let whl = pkg("distro_refused").build(wheels.path());
    let out = system.run(
        winst()
            .args(["install", "--python"])
            .arg(python)
            .arg(&whl)
            .env("LANG", "C"),
    );
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is externally managed (PEP 668")
            && stderr.contains("--break-system-packages"),
        "{stderr}"
    );
    let out = system.run(
        winst()
            .args(["uninstall", "--python"])
            .arg(python)
            .arg("pip"),
    );
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is externally managed (PEP 668"),
        "{stderr}"
    );
    assert_eq!(
        system.written(),
        Vec::<PathBuf>::new(),
        "written under /usr"
    );
    assert_eq!(real_install_dirs(python), real, "the real /usr changed");
}
