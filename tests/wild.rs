//! Wheels in the wild: small inputs real wheels carry that pip and uv install, installed by winst
//! and by pip side by side, each result compared with pip's.
//!
//! - versions that a file name, the dist-info directory and METADATA spell differently but that
//!   PEP 440 calls equal (`1.0+g1` / `1.0_g1`, `1.0.0` / `1.0`, `1.0.0rc1` / `1.0.0-rc1`);
//! - a `.data/scripts` wrapper named like one of the wheel's entry points (old setuptools), which
//!   the generated launcher replaces;
//! - pip's versioned commands (`pipX.Y`, `easy_install-X.Y`), for a hand-built wheel and for the
//!   real upgrade of pip 23.2.1 (ensurepip's) to pip 25.1.1 (`tests/corpus/tools.txt`);
//! - `winst list` spelling names as METADATA does, like `pip list`;
//! - what pip reads leniently: a `WHEEL` without `Root-Is-Purelib` (or with another value than
//!   true/false), `entry_points.txt` with lines outside any section, entries of other groups
//!   that are not valid scripts, and a script defined twice (the last definition wins).
//!
//! Not here: refusals (`tests/invalid.rs`), the real-wheel corpus (`tests/differential.rs`).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// File names in the venv's `bin/`, without the ones `python -m venv` made.
fn commands(venv: &Venv) -> BTreeSet<String> {
    std::fs::read_dir(venv.root().join("bin"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("python") && !n.starts_with("activate") && n != "Activate.ps1")
        .collect()
}

/// `pip install --no-deps` of `wheels` into `venv` (pip from the base interpreter).
fn pip_install(venv: &Venv, wheels: &[PathBuf]) {
    let mut args = vec!["install", "--no-deps", "--no-compile"];
    args.extend(wheels.iter().map(|w| w.to_str().unwrap()));
    ok(&venv.pip(&args));
}

/// `name==version` of every row of a `list --format json` output (pip's or winst's).
fn listed(out: &std::process::Output) -> BTreeSet<String> {
    let rows: Vec<serde_json::Value> = serde_json::from_str(&ok(out).0).unwrap();
    let field = |r: &serde_json::Value, k: &str| r[k].as_str().unwrap().to_string();
    rows.iter()
        .map(|r| format!("{}=={}", field(r, "name"), field(r, "version")))
        .collect()
}

fn pip_list(venv: &Venv) -> BTreeSet<String> {
    listed(&venv.pip(&["list", "--format", "json"]))
}

fn winst_list(venv: &Venv) -> BTreeSet<String> {
    let mut cmd = winst();
    cmd.args(["list", "--format", "json", "--python"])
        .arg(venv.python());
    listed(&cmd.output().unwrap())
}

#[test]
fn versions_pep_440_calls_equal_install_as_with_pip() {
    let dir = wheel_dir();
    // Older tools escaped a local version's `+` as `_` in the dist-info directory's name.
    let mut local = WheelBuilder::new("minlv", "1.0+g1").file("minlv.py", "X = 1\n");
    local.dist_info = Some("minlv-1.0_g1.dist-info".into());
    let mut padded = WheelBuilder::new("minpad", "1.0.0").file("minpad.py", "X = 1\n");
    padded.metadata = Some("Metadata-Version: 2.1\nName: minpad\nVersion: 1.0\n".into());
    let mut pre = WheelBuilder::new("minrc", "1.0.0rc1").file("minrc.py", "X = 1\n");
    pre.metadata = Some("Metadata-Version: 2.1\nName: minrc\nVersion: 1.0.0-rc1\n".into());
    let wheels: Vec<PathBuf> = [&local, &padded, &pre]
        .iter()
        .map(|b| b.build(dir.path()))
        .collect();

    let ours = Venv::new();
    let args: Vec<&dyn AsRef<std::ffi::OsStr>> = wheels.iter().map(|w| w as _).collect();
    ok(&ours.install(&args));
    let pips = Venv::new();
    pip_install(&pips, &wheels);

    let versions = "import importlib.metadata as m; \
        print(*(m.version(n) for n in ('minlv', 'minpad', 'minrc')))";
    assert_eq!(ours.python_out(versions), "1.0+g1 1.0 1.0.0-rc1");
    assert_eq!(ours.python_out(versions), pips.python_out(versions));
    assert_eq!(pip_list(&ours), pip_list(&pips));
    assert_eq!(winst_list(&ours), pip_list(&pips));
    assert!(ours.site_packages().join("minlv-1.0_g1.dist-info").is_dir());

    // The same wheels again are recognised as installed (the installed directory says
    // `1.0_g1`, the file name `1.0+g1`).
    let (_, stderr) = ok(&ours.install(&args));
    assert!(stderr.contains("Audited 3 packages"), "{stderr}");
}

#[test]
fn a_setuptools_wrapper_beside_an_entry_point_gives_way_to_the_launcher() {
    let dir = wheel_dir();
    let b = WheelBuilder::new("dupmin", "1.0")
        .file(
            "dupmin.py",
            "def main():\n    print('launcher of dupmin')\n",
        )
        .entry_points(
            "[console_scripts]\ndupmin = dupmin:main\n[gui_scripts]\ndupgui = dupmin:main\n",
        );
    let data = b.data_dir();
    let wrapper = "#!python\nprint('old setuptools wrapper')\n";
    let wheel = b
        .exe(&format!("{data}/scripts/dupmin"), wrapper)
        .exe(&format!("{data}/scripts/dupmin-script.py"), wrapper)
        .exe(&format!("{data}/scripts/dupmin.exe"), "MZ not really")
        .exe(&format!("{data}/scripts/dupgui.pya"), wrapper)
        .exe(
            &format!("{data}/scripts/dupmin-tool"),
            "#!python\nprint('a script of its own')\n",
        )
        .build(dir.path());

    let ours = Venv::new();
    ok(&ours.install(&[&wheel]));
    let pips = Venv::new();
    pip_install(&pips, std::slice::from_ref(&wheel));

    assert_eq!(commands(&ours), commands(&pips));
    assert_eq!(
        commands(&ours),
        ["dupgui", "dupmin", "dupmin-tool"].map(String::from).into()
    );
    let run = |venv: &Venv, cmd: &str| {
        let out = Command::new(venv.bin(cmd)).output().unwrap();
        ok(&out).0
    };
    assert_eq!(run(&ours, "dupmin"), "launcher of dupmin\n");
    assert_eq!(run(&ours, "dupmin"), run(&pips, "dupmin"));
    assert_eq!(run(&ours, "dupmin-tool"), "a script of its own\n");
    // Uninstalling removes the launchers and leaves no wrapper behind.
    ok(&winst()
        .args(["uninstall", "--python"])
        .arg(ours.python())
        .arg("dupmin")
        .output()
        .unwrap());
    assert!(commands(&ours).is_empty(), "{:?}", commands(&ours));
}

#[test]
fn pip_and_easy_install_get_the_versioned_commands_pip_writes() {
    let dir = wheel_dir();
    // As a pip wheel built by another Python lists them, and old setuptools' commands.
    let tools = WheelBuilder::new("piplike", "1.0")
        .file("piplike.py", "def main():\n    print('piplike')\n")
        .entry_points(
            "[console_scripts]\npip = piplike:main\npip3 = piplike:main\npip3.6 = piplike:main\n\
             easy_install = piplike:main\neasy_install-3.6 = piplike:main\npip-tools = piplike:main\n",
        )
        .build(dir.path());
    let ours = Venv::new();
    ok(&ours.install(&[&tools]));
    let pips = Venv::new();
    pip_install(&pips, std::slice::from_ref(&tools));
    let v = py_version();
    let expected: BTreeSet<String> = [
        "pip".to_string(),
        "pip3".to_string(),
        format!("pip{v}"),
        "easy_install".to_string(),
        format!("easy_install-{v}"),
        "pip-tools".to_string(),
    ]
    .into();
    assert_eq!(commands(&pips), expected);
    assert_eq!(commands(&ours), expected);
    let out = Command::new(ours.bin(&format!("pip{v}"))).output().unwrap();
    assert_eq!(ok(&out).0, "piplike\n");
}

/// A venv with ensurepip's pip, as `python -m venv` makes it.
fn venv_with_pip() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("env");
    ok(&Command::new(python3())
        .args(["-m", "venv"])
        .arg(&root)
        .output()
        .unwrap());
    (dir, root)
}

fn bin_names(root: &Path) -> BTreeSet<String> {
    std::fs::read_dir(root.join("bin"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn upgrading_pip_with_winst_leaves_the_commands_pip_leaves() {
    let Some(tools) = corpus::tools("upgrading_pip_with_winst_leaves_the_commands_pip_leaves")
    else {
        return;
    };
    let pip = corpus::wheel(&tools, "pip");
    let (_a, ours) = venv_with_pip();
    let (_b, pips) = venv_with_pip();
    let before = bin_names(&ours);
    let v = py_version();
    assert!(before.contains(&format!("pip{v}")), "{before:?}");

    ok(&winst()
        .args(["install", "--python"])
        .arg(ours.join("bin/python"))
        .arg(&pip)
        .output()
        .unwrap());
    // pip upgrading itself, the way people do it.
    ok(&Command::new(pips.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        .arg(&pip)
        .output()
        .unwrap());
    assert_eq!(bin_names(&ours), bin_names(&pips));
    assert_eq!(bin_names(&ours), before);
    let out = Command::new(ours.join(format!("bin/pip{v}")))
        .arg("--version")
        .output()
        .unwrap();
    assert!(ok(&out).0.starts_with("pip 25.1.1 "), "{:?}", text(&out));
}

#[test]
fn what_pip_reads_leniently_installs_as_with_pip() {
    let dir = wheel_dir();
    let wheel_file = |purelib: &str| {
        format!("Wheel-Version: 1.0\nGenerator: winst-tests\n{purelib}Tag: py3-none-any\n")
    };
    let mut missing = WheelBuilder::new("nopurelib", "1.0").file("nopurelib.py", "X = 1\n");
    missing.wheel_file = Some(wheel_file(""));
    let mut yes = WheelBuilder::new("yespurelib", "1.0").file("yespurelib.py", "X = 1\n");
    yes.wheel_file = Some(wheel_file("Root-Is-Purelib: yes\n"));
    let eps = WheelBuilder::new("laxeps", "1.0")
        .file(
            "laxeps.py",
            "def old():\n    print('old')\ndef new():\n    print('new')\n",
        )
        .entry_points(
            "stray = before:any_section\n[console_scripts]\nlax = laxeps:old\nlax = laxeps:new\n\
             [some.plugin.group]\nodd name = not a valid (reference)\n",
        );
    let wheels: Vec<PathBuf> = [&missing, &yes, &eps]
        .iter()
        .map(|b| b.build(dir.path()))
        .collect();
    let ours = Venv::new();
    let args: Vec<&dyn AsRef<std::ffi::OsStr>> = wheels.iter().map(|w| w as _).collect();
    let (_, stderr) = ok(&ours.install(&args));
    assert!(
        stderr.contains("nopurelib-1.0.dist-info/WHEEL has no Root-Is-Purelib field"),
        "{stderr}"
    );
    assert!(stderr.contains("Root-Is-Purelib is `yes`"), "{stderr}");
    let pips = Venv::new();
    pip_install(&pips, &wheels);
    assert_eq!(pip_list(&ours), pip_list(&pips));
    assert_eq!(commands(&ours), commands(&pips));
    let run = |venv: &Venv| ok(&Command::new(venv.bin("lax")).output().unwrap()).0;
    assert_eq!(run(&ours), "new\n");
    assert_eq!(run(&ours), run(&pips));
    ours.python_out("import nopurelib, yespurelib, laxeps");
}
