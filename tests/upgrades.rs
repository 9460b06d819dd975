//! Upgrades and the details of an install, against pip, and the reports:
//!
//! - an old version installed by pip, then the new one by pip in one venv and by winst in
//!   another: the same final tree (see `tests/pipcompare` for the differences allowed);
//! - an upgrade that turns a file into a directory and a directory into a file, and the
//!   downgrade back, against pip's; a failed batch and a file no project lists leave both as
//!   they were;
//! - venvs whose path has a space, or is long enough that a shebang line would pass 127 bytes:
//!   launchers (console and GUI) use the `/bin/sh` prelude as pip's do, name their own venv's
//!   interpreter, and run with the same output as pip's;
//! - `INSTALLER`, `REQUESTED` and `direct_url.json` byte for byte, the URL quoted as pip quotes it;
//! - `--compile` against `pip install` (which compiles by default): the same `.pyc` files, each
//!   valid for its source (an import rewrites none of them);
//! - `--dry-run` of an upgrade and `uninstall --dry-run` change nothing (the environment and the
//!   `--cache-dir`) and say what they would do; the `--json` report matches the JSON Schema in
//!   `tests/schemas/install-report.schema.json` (checked by a small validator here, and by
//!   Python's `jsonschema` too when the test interpreter has it), and a failed install prints no
//!   report at all on stdout.

mod pipcompare;
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use pipcompare::*;
use support::*;

fn pip_ok(venv: &Venv, args: &[&str]) {
    let out = venv.pip(args);
    assert!(out.status.success(), "pip {args:?}: {:?}", text(&out));
}

fn strs(paths: &[PathBuf]) -> Vec<&str> {
    paths.iter().map(|p| p.to_str().unwrap()).collect()
}

/// A hand-built project with console and GUI entry points, a `#!python` data script and a data
/// file; version 1.0 has files 2.0 drops.
fn app(dir: &Path, version: &str) -> PathBuf {
    let mut b = WheelBuilder::new("upapp", version).file(
        "upapp/__init__.py",
        format!(
            "VERSION = {version:?}\ndef main():\n    print('upapp', VERSION)\n\
             def gui():\n    print('upapp gui', VERSION)\n"
        ),
    );
    let data = b.data_dir();
    b = b
        .file(&format!("{data}/data/share/upapp/{version}.txt"), version)
        .exe(
            &format!("{data}/scripts/upapp-tool"),
            "#!python\nimport upapp\nprint('tool', upapp.VERSION)\n",
        );
    if version == "1.0" {
        b.file("upapp/old_only.py", "OLD = True\n")
            .file("upapp/sub/__init__.py", "")
            .file("upapp_old_top.py", "")
            .entry_points(
                "[console_scripts]\nupapp = upapp:main\nupapp-old = upapp:main\n\
                 [gui_scripts]\nupapp-gui = upapp:gui\n",
            )
            .build(dir)
    } else {
        b.file("upapp/new_only.py", "NEW = True\n")
            .entry_points(
                "[console_scripts]\nupapp = upapp:main\n[gui_scripts]\nupapp-gui = upapp:gui\n",
            )
            .build(dir)
    }
}

/// An old release of a corpus project, hand-built: its main module (older text) and a module
/// the real new release no longer has.
fn old_release(dir: &Path, name: &str, version: &str, module: &str) -> PathBuf {
    WheelBuilder::new(name, version)
        .file(
            &format!("{module}.py"),
            format!("__version__ = {version:?}\n"),
        )
        .file(&format!("{module}_legacy.py"), "LEGACY = True\n")
        .entry_points(&format!(
            "[console_scripts]\n{name}-legacy = {module}:main\n"
        ))
        .build(dir)
}

/// Compares what pip and winst left in two venvs (everything added to the fresh venvs).
fn compare_venvs(pip: &Venv, pip_base: &Tree, winst: &Venv, winst_base: &Tree, wheels: &[PathBuf]) {
    let launchers = entry_point_scripts(wheels);
    let (pt, wt) = (
        added(pip_base, &tree(&pip.root())),
        added(winst_base, &tree(&winst.root())),
    );
    let (pp, wp) = (pip.python(), winst.python());
    let (pr, wr) = (pip.root(), winst.root());
    let diffs = differences(
        &Side {
            who: "pip",
            tree: &pt,
            dir: &pr,
            root: &pr,
            python: &pp,
        },
        &Side {
            who: "winst",
            tree: &wt,
            dir: &wr,
            root: &wr,
            python: &wp,
        },
        &Rules {
            scripts: "bin",
            launchers: &launchers,
            pip_record_path: &|p: &str| p.to_string(),
        },
    );
    assert_no_differences("venv", &diffs);
}

// ---------------------------------------------------------------------------------------------
// Upgrades

#[test]
fn an_upgrade_over_a_pip_install_leaves_what_pips_upgrade_leaves() {
    let Some(corpus) = corpus::wheels("an_upgrade_over_a_pip_install") else {
        return;
    };
    let old_dir = wheel_dir();
    let old = vec![
        old_release(old_dir.path(), "six", "1.16.0", "six"),
        old_release(old_dir.path(), "jsonpointer", "3.0.0", "jsonpointer"),
        app(old_dir.path(), "1.0"),
    ];
    let new_dir = wheel_dir();
    let new = vec![
        corpus::wheel(&corpus, "six"),
        corpus::wheel(&corpus, "jsonpointer"),
        app(new_dir.path(), "2.0"),
    ];
    let (a, b) = (Venv::new(), Venv::new());
    let (a_base, b_base) = (tree(&a.root()), tree(&b.root()));
    // The old versions by pip, compiled as pip does by default.
    for venv in [&a, &b] {
        let mut args = vec!["install", "--no-deps"];
        args.extend(strs(&old));
        pip_ok(venv, &args);
    }
    assert!(
        pycs(&b.site_packages())
            .iter()
            .any(|p| p.starts_with("__pycache__/six_legacy.")),
        "pip compiled the old version"
    );
    let mut args = vec!["install", "--no-deps", "--no-compile"];
    args.extend(strs(&new));
    pip_ok(&a, &args);
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = Vec::new();
    for w in &new {
        args.push(w);
    }
    let (_, stderr) = ok(&b.install(&args));
    for change in [
        "- six==1.16.0",
        "+ six==1.17.0",
        "- jsonpointer==3.0.0",
        "- upapp==1.0",
        "+ upapp==2.0",
    ] {
        assert!(stderr.contains(change), "{change}:\n{stderr}");
    }
    let mut all = old.clone();
    all.extend(new.iter().cloned());
    compare_venvs(&a, &a_base, &b, &b_base, &all);
    // What the upgrade removed is really gone (not just equal to pip by accident).
    let sp = b.site_packages();
    for gone in [
        "six_legacy.py",
        "six-1.16.0.dist-info",
        "upapp/old_only.py",
        "upapp/sub",
        "upapp_old_top.py",
    ] {
        assert!(!sp.join(gone).exists(), "{gone} survived the upgrade");
    }
    assert!(!b.bin("upapp-old").exists() && !b.bin("six-legacy").exists());
    let check = b.pip(&["check"]);
    assert!(check.status.success(), "{:?}", text(&check));
}

// ---------------------------------------------------------------------------------------------
// Upgrades that change a path's kind

/// A project whose 1.0 has a data file `kinds/data` and a subpackage `kinds/sub/`, and whose 2.0
/// has a directory `kinds/data/` (two levels) and a data file `kinds/sub`, and a new directory
/// `kinds/extra/`.
fn kinds(dir: &Path, version: &str) -> PathBuf {
    let b = WheelBuilder::new("kinds", version)
        .file("kinds/__init__.py", format!("VERSION = {version:?}\n"));
    let b = if version == "1.0" {
        b.file("kinds/data", "data 1.0\n")
            .file("kinds/sub/__init__.py", "SUB = 1\n")
            .file("kinds/sub/mod.py", "MOD = 1\n")
    } else {
        b.file("kinds/data/x.txt", "x 2.0\n")
            .file("kinds/data/deeper/y.txt", "y 2.0\n")
            .file("kinds/sub", "sub is a data file now\n")
            .file("kinds/extra/z.txt", "z\n")
    };
    b.build(dir)
}

/// What `kinds` looks like from Python: its version and its data, read through
/// `importlib.resources`.
const KINDS_PROBE: &str = "import importlib.resources as r, kinds\n\
    f = r.files('kinds')\n\
    print(kinds.VERSION)\n\
    for p in ('data', 'data/x.txt', 'data/deeper/y.txt', 'sub', 'sub/mod.py'):\n\
    \x20   q = f.joinpath(p)\n\
    \x20   print(p, 'dir' if q.is_dir() else repr(q.read_text()) if q.is_file() else '-')\n";

#[test]
fn an_upgrade_that_turns_files_into_directories_and_back_matches_pip() {
    let (d1, d2) = (wheel_dir(), wheel_dir());
    let (v1, v2) = (kinds(d1.path(), "1.0"), kinds(d2.path(), "2.0"));
    let (a, b) = (Venv::new(), Venv::new());
    let (a_base, b_base) = (tree(&a.root()), tree(&b.root()));
    // The old version by pip, compiled as pip does by default: `kinds/sub` holds bytecode.
    for venv in [&a, &b] {
        pip_ok(venv, &["install", "--no-deps", v1.to_str().unwrap()]);
    }
    let sp = b.site_packages();
    assert!(sp.join("kinds/sub/__pycache__").is_dir());
    // A dry run says what goes, and changes nothing.
    let before = b.snapshot();
    let (stdout, _) = ok(&b.install(&[&"--dry-run", &v2]));
    for gone in ["kinds/data", "kinds/sub/__init__.py", "kinds/sub/mod.py"] {
        let line = format!("remove {}\n", sp.join(gone).display());
        assert!(stdout.contains(&line), "{gone}:\n{stdout}");
    }
    assert_same_tree(&before, &b.snapshot());
    let all = [v1.clone(), v2.clone()];
    // Up (file to directory, directory to file), then down again: each as pip's.
    for (whl, version) in [(&v2, "2.0"), (&v1, "1.0")] {
        let whl_str = whl.to_str().unwrap();
        pip_ok(&a, &["install", "--no-deps", "--no-compile", whl_str]);
        let (_, stderr) = ok(&b.install(&[whl]));
        assert!(stderr.contains(&format!("+ kinds=={version}")), "{stderr}");
        compare_venvs(&a, &a_base, &b, &b_base, &all);
        assert_eq!(b.python_out(KINDS_PROBE), a.python_out(KINDS_PROBE));
        let show = text(&b.pip(&["show", "kinds"])).0;
        assert!(show.contains(&format!("Version: {version}")), "{show}");
        let check = b.pip(&["check"]);
        assert!(check.status.success(), "{:?}", text(&check));
    }
    assert!(sp.join("kinds/sub/mod.py").is_file() && sp.join("kinds/data").is_file());
    assert_eq!(
        b.python_out(KINDS_PROBE),
        "1.0\ndata 'data 1.0\\n'\ndata/x.txt -\ndata/deeper/y.txt -\nsub dir\n\
         sub/mod.py 'MOD = 1\\n'"
    );

    // Installed by winst, then imported: the bytecode Python wrote in `kinds/sub` is in no
    // RECORD, and goes with the directory (pip removes it too).
    let c = Venv::new();
    ok(&c.install(&[&v1]));
    let imported = Command::new(c.python())
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .args(["-c", "import kinds.sub.mod"])
        .output()
        .unwrap();
    assert!(imported.status.success(), "{:?}", text(&imported));
    assert!(c.site_packages().join("kinds/sub/__pycache__").is_dir());
    ok(&c.install(&[&v2]));
    let csp = c.site_packages();
    assert_eq!(
        std::fs::read(csp.join("kinds/sub")).unwrap(),
        b"sub is a data file now\n"
    );
    assert_eq!(
        std::fs::read(csp.join("kinds/data/deeper/y.txt")).unwrap(),
        b"y 2.0\n"
    );
    let names: Vec<String> = tree(&c.root()).into_keys().collect();
    assert!(
        !names.iter().any(|n| n.contains(".winst-")),
        "leftovers: {names:?}"
    );
}

#[test]
fn a_failed_batch_puts_back_the_file_and_the_directory_exactly() {
    let (d1, d2) = (wheel_dir(), wheel_dir());
    let (v1, v2) = (kinds(d1.path(), "1.0"), kinds(d2.path(), "2.0"));
    let bad = WheelBuilder::new("zbad", "1.0")
        .unrecorded("zbad/__init__.py", "X = 1\n")
        .record_row(&format!("zbad/__init__.py,{},6", record_hash(b"X = 2\n")))
        .build(d2.path());
    let venv = Venv::new();
    ok(&venv.install(&[&"--compile", &v1]));
    let before = venv.snapshot();
    // With --compile, bytecode is written for the new version too before the commit.
    for extra in [&[][..], &["--compile"][..]] {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = Vec::new();
        for e in extra {
            args.push(e);
        }
        args.push(&v2);
        args.push(&bad);
        let out = venv.install(&args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("zbad-1.0-py3-none-any.whl") && stderr.contains("zbad/__init__.py"),
            "{stderr}"
        );
        assert_same_tree(&before, &venv.snapshot());
    }
    // And the same batch without the bad wheel goes through.
    ok(&venv.install(&[&v2]));
    assert!(venv.site_packages().join("kinds/sub").is_file());
}

#[test]
fn files_no_project_lists_block_a_change_of_kind_and_change_nothing() {
    let (d1, d2) = (wheel_dir(), wheel_dir());
    let (v1, v2) = (kinds(d1.path(), "1.0"), kinds(d2.path(), "2.0"));
    let venv = Venv::new();
    ok(&venv.install(&[&v1]));
    let sp = venv.site_packages();
    // A file of the user's in the directory that would become a file.
    let notes = sp.join("kinds/sub/notes.txt");
    std::fs::write(&notes, "mine\n").unwrap();
    let before = venv.snapshot();
    let out = venv.install(&[&v2]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for said in [
        "kinds-2.0-py3-none-any.whl".to_string(),
        format!("installs a file at {}", sp.join("kinds/sub").display()),
        format!("{} in it belongs to no installed project", notes.display()),
        "cannot give way to the file".to_string(),
    ] {
        assert!(stderr.contains(&said), "{said}:\n{stderr}");
    }
    assert!(!stderr.contains("No such file"), "{stderr}");
    assert_same_tree(&before, &venv.snapshot());
    // pip refuses it too (and rolls its uninstall back).
    let pip_venv = Venv::new();
    pip_ok(&pip_venv, &["install", "--no-deps", v1.to_str().unwrap()]);
    std::fs::write(
        pip_venv.site_packages().join("kinds/sub/notes.txt"),
        "mine\n",
    )
    .unwrap();
    let pip = pip_venv.pip(&["install", "--no-deps", v2.to_str().unwrap()]);
    assert!(!pip.status.success(), "{:?}", text(&pip));
    std::fs::remove_file(&notes).unwrap();

    // A file no project lists where the new version needs a directory.
    let extra = sp.join("kinds/extra");
    std::fs::write(&extra, "mine\n").unwrap();
    let before = venv.snapshot();
    let out = venv.install(&[&v2]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} exists and is not a directory, and this install needs a directory there",
            extra.display()
        )),
        "{stderr}"
    );
    assert_same_tree(&before, &venv.snapshot());
    std::fs::remove_file(&extra).unwrap();
    ok(&venv.install(&[&v2]));
}

// ---------------------------------------------------------------------------------------------
// Launchers in awkward venv paths

/// Two venvs (pip's and winst's) in a parent directory named `parent`.
fn venvs_under(parent: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("winst-paths-")
        .tempdir()
        .unwrap();
    let base = dir.path().join(parent);
    let (p, w) = (base.join("pip"), base.join("winst"));
    for v in [&p, &w] {
        check(
            Command::new(python3())
                .args(["-m", "venv", "--without-pip"])
                .arg(v),
        );
    }
    (dir, p, w)
}

fn launchers_match_pip(parent: &str) {
    let wheels = wheel_dir();
    let whl = app(wheels.path(), "2.0");
    let (_dir, p, w) = venvs_under(parent);
    let out = Command::new(python3())
        .args(["-m", "pip", "--python"])
        .arg(p.join("bin/python"))
        .args(["install", "--no-deps", "--no-compile"])
        .arg(&whl)
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    ok(&winst()
        .args(["install", "--python"])
        .arg(w.join("bin/python"))
        .arg(&whl)
        .output()
        .unwrap());
    let needs_prelude = parent.contains(' ') || format!("#!{}/bin/python", w.display()).len() > 127;
    assert!(needs_prelude, "the test path must need the prelude");
    for script in ["upapp", "upapp-gui"] {
        let pip_bytes = std::fs::read(p.join("bin").join(script)).unwrap();
        let winst_bytes = std::fs::read(w.join("bin").join(script)).unwrap();
        // Both use the /bin/sh prelude, each naming its own interpreter.
        for (who, bytes, root) in [("pip", &pip_bytes, &p), ("winst", &winst_bytes, &w)] {
            assert!(
                bytes.starts_with(b"#!/bin/sh\n'''exec' "),
                "{who}'s {script} does not start with the prelude:\n{}",
                String::from_utf8_lossy(bytes)
            );
            assert_eq!(
                shebang_interpreter(bytes),
                Some(root.join("bin/python").to_string_lossy().into_owned()),
                "{who}'s {script}"
            );
        }
        let pip_run = run_script(&p.join("bin").join(script), &[], None, &p);
        let winst_run = run_script(&w.join("bin").join(script), &[], None, &w);
        assert_eq!(pip_run.0, Some(0), "{pip_run:?}");
        assert_eq!(winst_run, pip_run, "{script}");
    }
    // The `#!python` data script runs too (pip 23 writes a plain `#!` line here, which the kernel
    // cannot run from a path with a space; winst writes the prelude).
    let tool = run_script(&w.join("bin/upapp-tool"), &[], None, &w);
    assert_eq!(tool, (Some(0), "tool 2.0\n".to_string(), String::new()));
    let tool_bytes = std::fs::read(w.join("bin/upapp-tool")).unwrap();
    assert_eq!(
        shebang_interpreter(&tool_bytes),
        Some(w.join("bin/python").to_string_lossy().into_owned())
    );
}

#[test]
fn launchers_in_a_venv_whose_path_has_a_space_match_pips() {
    launchers_match_pip("with a space");
}

#[test]
fn launchers_in_a_venv_with_a_long_path_use_the_prelude_like_pip() {
    launchers_match_pip(&"long-".repeat(26));
}

#[test]
fn gui_entry_points_get_launchers_like_pips() {
    let wheels = wheel_dir();
    let whl = app(wheels.path(), "2.0");
    let (a, b) = (Venv::new(), Venv::new());
    let (a_base, b_base) = (tree(&a.root()), tree(&b.root()));
    pip_ok(
        &a,
        &[
            "install",
            "--no-deps",
            "--no-compile",
            whl.to_str().unwrap(),
        ],
    );
    ok(&b.install(&[&whl]));
    compare_venvs(&a, &a_base, &b, &b_base, std::slice::from_ref(&whl));
    let launcher = b.bin("upapp-gui");
    let bytes = std::fs::read(&launcher).unwrap();
    assert_eq!(
        shebang_interpreter(&bytes),
        Some(b.python().to_string_lossy().into_owned())
    );
    let pip_run = run_script(&a.bin("upapp-gui"), &[], None, &a.root());
    let winst_run = run_script(&launcher, &[], None, &b.root());
    assert_eq!(
        pip_run,
        (Some(0), "upapp gui 2.0\n".to_string(), String::new())
    );
    assert_eq!(winst_run, pip_run);
    // Listed in RECORD as pip lists it.
    let record =
        std::fs::read_to_string(b.site_packages().join("upapp-2.0.dist-info/RECORD")).unwrap();
    let rows = record_rows(record.as_bytes());
    let (hash, size) = &rows["../../../bin/upapp-gui"];
    assert_eq!(*hash, record_hash(&bytes));
    assert_eq!(*size, bytes.len().to_string());
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping files

#[test]
fn installer_requested_and_direct_url_are_exact() {
    let wheels = tempfile::Builder::new()
        .prefix("winst-wheels-")
        .tempdir()
        .unwrap();
    // A directory name that needs quoting in a URL.
    let odd = wheels.path().join("a dir #1 %41 caf\u{e9}");
    std::fs::create_dir(&odd).unwrap();
    let whl = app(&odd, "2.0");
    let sha = sha256_hex(&std::fs::read(&whl).unwrap());
    let (a, b) = (Venv::new(), Venv::new());
    pip_ok(
        &a,
        &[
            "install",
            "--no-deps",
            "--no-compile",
            whl.to_str().unwrap(),
        ],
    );
    ok(&b.install(&[&whl]));
    let di = b.site_packages().join("upapp-2.0.dist-info");
    let pip_di = a.site_packages().join("upapp-2.0.dist-info");
    assert_eq!(std::fs::read(di.join("INSTALLER")).unwrap(), b"winst\n");
    assert_eq!(std::fs::read(di.join("REQUESTED")).unwrap(), b"");
    assert_eq!(std::fs::read(pip_di.join("REQUESTED")).unwrap(), b"");
    let quoted = whl
        .to_str()
        .unwrap()
        .replace('%', "%25")
        .replace(' ', "%20")
        .replace('#', "%23")
        .replace('\u{e9}', "%C3%A9");
    let expected = format!(
        "{{\"archive_info\":{{\"hash\":\"sha256={sha}\",\"hashes\":{{\"sha256\":\"{sha}\"}}}},\
         \"url\":\"file://{quoted}\"}}"
    );
    let ours = std::fs::read_to_string(di.join("direct_url.json")).unwrap();
    assert_eq!(ours, expected);
    let pips: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pip_di.join("direct_url.json")).unwrap()).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&ours).unwrap(),
        pips,
        "pip records the same URL and hashes"
    );
    // Each listed in RECORD with its hash and size.
    let rows = record_rows(&std::fs::read(di.join("RECORD")).unwrap());
    for name in ["INSTALLER", "REQUESTED", "direct_url.json"] {
        let bytes = std::fs::read(di.join(name)).unwrap();
        assert_eq!(
            rows[&format!("upapp-2.0.dist-info/{name}")],
            (record_hash(&bytes), bytes.len().to_string()),
            "{name}"
        );
    }
    assert_eq!(
        rows["upapp-2.0.dist-info/RECORD"],
        (String::new(), String::new())
    );
    // importlib.metadata reads them as pip's.
    assert_eq!(
        b.python_out(
            "import importlib.metadata as m; d = m.distribution('upapp'); \
             print(d.read_text('INSTALLER').strip(), repr(d.read_text('REQUESTED')))"
        ),
        "winst ''"
    );
}

// ---------------------------------------------------------------------------------------------
// Bytecode

/// Every `.pyc` under `root`, relative.
fn pycs(root: &Path) -> BTreeSet<String> {
    tree(root)
        .into_keys()
        .filter(|p| p.ends_with(".pyc"))
        .collect()
}

/// Checks each `.pyc` in the venv against its source: the header (magic, flags, the source's
/// mtime and size) is what the importer accepts, and the code is what compiling the source
/// gives. Prints the failures.
const PYC_CHECK: &str = r#"
import importlib.util, marshal, os, sys
bad = []
for pyc in sys.argv[1:]:
    d = os.path.dirname(os.path.dirname(pyc))
    src = os.path.join(d, os.path.basename(pyc).split(".")[0] + ".py")
    data = open(pyc, "rb").read()
    st = os.stat(src)
    if data[:4] != importlib.util.MAGIC_NUMBER:
        bad.append(pyc + ": magic")
        continue
    if int.from_bytes(data[4:8], "little") != 0:
        bad.append(pyc + ": flags")
    if int.from_bytes(data[8:12], "little") != int(st.st_mtime) & 0xFFFFFFFF:
        bad.append(pyc + ": mtime")
    if int.from_bytes(data[12:16], "little") != st.st_size & 0xFFFFFFFF:
        bad.append(pyc + ": size")
    code = marshal.loads(data[16:])
    want = compile(open(src, "rb").read(), src, "exec", dont_inherit=True)
    if code.co_code != want.co_code:
        bad.append(pyc + ": code differs from the source's")
print("\n".join(bad))
"#;

#[test]
fn compile_writes_the_pyc_files_pip_writes_each_valid() {
    let Some(corpus) = corpus::wheels("compile_writes_the_pyc_files_pip_writes") else {
        return;
    };
    let extra = wheel_dir();
    let mut wheels: Vec<PathBuf> = ["six", "jsonpointer", "markupsafe", "flake8", "pyflakes"]
        .iter()
        .map(|p| corpus::wheel(&corpus, p))
        .collect();
    wheels.push(app(extra.path(), "2.0"));
    // A file that does not compile: a warning, and no .pyc, in both.
    wheels.push(
        WheelBuilder::new("halfbad", "1.0")
            .file("halfbad/__init__.py", "OK = 1\n")
            .file("halfbad/broken.py", "def (:\n")
            .build(extra.path()),
    );
    let (a, b) = (Venv::new(), Venv::new());
    let mut args = vec!["install", "--no-deps"];
    args.extend(strs(&wheels));
    pip_ok(&a, &args);
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--compile"];
    for w in &wheels {
        args.push(w);
    }
    let (_, stderr) = ok(&b.install(&args));
    assert!(stderr.contains("halfbad/broken.py"), "{stderr}");
    let (pip_pycs, winst_pycs) = (pycs(&a.root()), pycs(&b.root()));
    assert!(pip_pycs.len() > 50, "{pip_pycs:?}");
    assert_eq!(
        winst_pycs.difference(&pip_pycs).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "only winst wrote these"
    );
    assert_eq!(
        pip_pycs.difference(&winst_pycs).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "only pip wrote these"
    );
    assert!(!winst_pycs.iter().any(|p| p.contains("broken")));
    // Each is valid for its source.
    let root = b.root();
    let out = Command::new(b.python())
        .arg("-B")
        .arg("-c")
        .arg(PYC_CHECK)
        .args(winst_pycs.iter().map(|p| root.join(p)))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.trim(), "", "invalid .pyc files");
    // Importing (bytecode writing on) rewrites none of them: the importer accepted them all.
    let before = b.snapshot();
    let imp = Command::new(b.python())
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .args([
            "-c",
            "import six, jsonpointer, markupsafe, flake8.main.cli, pyflakes.checker, upapp, \
             upapp.new_only, halfbad",
        ])
        .output()
        .unwrap();
    assert!(imp.status.success(), "{:?}", text(&imp));
    assert_same_tree(&before, &b.snapshot());
    // RECORD lists each, as pip's does.
    let listed: BTreeSet<String> = tree(&b.site_packages())
        .into_keys()
        .filter(|p| p.ends_with(".dist-info/RECORD"))
        .flat_map(|r| {
            record_rows(&std::fs::read(b.site_packages().join(&r)).unwrap())
                .into_keys()
                .filter(|p| p.ends_with(".pyc"))
                .collect::<Vec<_>>()
        })
        .collect();
    let sp_rel = b
        .site_packages()
        .strip_prefix(b.root())
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let on_disk: BTreeSet<String> = winst_pycs
        .iter()
        .filter_map(|p| p.strip_prefix(&format!("{sp_rel}/")).map(str::to_string))
        .collect();
    assert_eq!(listed, on_disk);
}

// ---------------------------------------------------------------------------------------------
// Reports

fn cache_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("winst-cache-")
        .tempdir()
        .unwrap()
}

#[test]
fn a_dry_run_upgrade_changes_nothing_and_says_what_it_would_do() {
    let wheels = wheel_dir();
    let old = app(wheels.path(), "1.0");
    let new_dir = wheel_dir();
    let new = app(new_dir.path(), "2.0");
    let cache = cache_dir();
    let venv = Venv::new();
    ok(&venv.install(&[&"--cache-dir", &cache.path(), &old]));
    let before = venv.snapshot();
    let cache_before = snapshot(cache.path());
    assert!(!cache_before.is_empty());
    let sp = venv.site_packages();
    let out = venv.install(&[&"--dry-run", &"--cache-dir", &cache.path(), &new]);
    let (stdout, _) = ok(&out);
    assert_same_tree(&before, &venv.snapshot());
    assert_same_tree(&cache_before, &snapshot(cache.path()));
    assert!(stdout.contains("Would install 1 package"), "{stdout}");
    assert!(
        stdout.contains(" - upapp==1.0") && stdout.contains(" + upapp==2.0"),
        "{stdout}"
    );
    for gone in [
        "upapp/old_only.py",
        "upapp_old_top.py",
        "upapp/sub/__init__.py",
    ] {
        assert!(
            stdout.contains(&format!("remove {}", sp.join(gone).display())),
            "{gone}:\n{stdout}"
        );
    }
    assert!(
        stdout.contains(&format!("remove {}", venv.bin("upapp-old").display())),
        "{stdout}"
    );
    for script in ["upapp", "upapp-gui"] {
        assert!(
            stdout.contains(&format!("script {}", venv.bin(script).display())),
            "{stdout}"
        );
    }
    // The files it keeps are not said to be removed.
    assert!(
        !stdout.contains(&format!(
            "remove {}\n",
            sp.join("upapp/__init__.py").display()
        )),
        "{stdout}"
    );

    // With --json: the same, as data, and matching the schema.
    let out = venv.install(&[&"--dry-run", &"--json", &"--cache-dir", &cache.path(), &new]);
    let (stdout, _) = ok(&out);
    assert_same_tree(&before, &venv.snapshot());
    assert_same_tree(&cache_before, &snapshot(cache.path()));
    let report = valid_report(&stdout);
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["wheels"][0]["replaces"][0], "upapp==1.0");
    let removed: BTreeSet<PathBuf> = report["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| PathBuf::from(v.as_str().unwrap()))
        .collect();
    // Exactly the old version's files the new one does not have, and its dist-info.
    let old_di = sp.join("upapp-1.0.dist-info");
    let mut expected: BTreeSet<PathBuf> = [
        "upapp/old_only.py",
        "upapp/sub/__init__.py",
        "upapp_old_top.py",
    ]
    .iter()
    .map(|p| sp.join(p))
    .collect();
    expected.insert(venv.bin("upapp-old"));
    expected.insert(venv.root().join("share/upapp/1.0.txt"));
    for e in std::fs::read_dir(&old_di).unwrap().flatten() {
        expected.insert(e.path());
    }
    assert_eq!(removed, expected);

    // A dry run does not create a wheel cache either (an empty --cache-dir gets only what the
    // interpreter said and the compiled plugins: caching those is not a change to undo), and
    // does not create a --cache-dir that does not exist.
    let fresh = cache_dir();
    ok(&venv.install(&[&"--dry-run", &"--cache-dir", &fresh.path(), &new]));
    let made: Vec<PathBuf> = snapshot(fresh.path()).into_keys().collect();
    assert!(
        made.iter()
            .all(|p| p.starts_with("interpreters") || p.starts_with("plugins")),
        "{made:?}"
    );
    let missing = fresh.path().join("not-yet");
    ok(&venv.install(&[&"--dry-run", &"--cache-dir", &missing, &new]));
    assert!(!missing.exists());
    assert_same_tree(&before, &venv.snapshot());

    // The real upgrade then removes exactly those.
    ok(&venv.install(&[&"--cache-dir", &cache.path(), &new]));
    for p in &expected {
        assert!(!p.exists(), "{} survived", p.display());
    }
}

#[test]
fn uninstall_dry_run_changes_nothing_and_says_what_it_would_remove() {
    let wheels = wheel_dir();
    let whl = app(wheels.path(), "1.0");
    let cache = cache_dir();
    let venv = Venv::new();
    ok(&venv.install(&[&"--cache-dir", &cache.path(), &"--compile", &whl]));
    // `uninstall` has no --cache-dir; it keeps its interpreter answers under WINST_CACHE_DIR
    // (filled here first: caching what the interpreter said is not a change to undo).
    ok(&winst()
        .env("WINST_CACHE_DIR", cache.path())
        .args(["list", "--python"])
        .arg(venv.python())
        .output()
        .unwrap());
    let before = venv.snapshot();
    let cache_before = snapshot(cache.path());
    assert!(!cache_before.is_empty());
    let out = winst()
        .env("WINST_CACHE_DIR", cache.path())
        .args(["uninstall", "--dry-run", "-v"])
        .arg("--python")
        .arg(venv.python())
        .arg("upapp")
        .output()
        .unwrap();
    let (stdout, stderr) = ok(&out);
    assert_same_tree(&before, &venv.snapshot());
    assert_same_tree(&cache_before, &snapshot(cache.path()));
    let said = format!("{stdout}{stderr}");
    assert!(said.contains("Would uninstall 1 package"), "{said}");
    assert!(said.contains(" - upapp==1.0"), "{said}");
    assert!(!said.contains("Uninstalled"), "{said}");
    // The real one removes it, and every file it counted.
    let out = winst()
        .args(["uninstall", "--python"])
        .arg(venv.python())
        .arg("upapp")
        .output()
        .unwrap();
    ok(&out);
    assert!(!venv.site_packages().join("upapp").exists());
}

/// A tiny JSON Schema checker for the keywords the report schema uses; panics on any other
/// keyword so the schema cannot say more than is checked.
fn schema_errors(schema: &serde_json::Value, value: &serde_json::Value, at: &str) -> Vec<String> {
    use serde_json::Value;
    let mut errors = Vec::new();
    let Some(obj) = schema.as_object() else {
        return vec![format!("{at}: schema is not an object")];
    };
    for key in obj.keys() {
        assert!(
            [
                "$schema",
                "title",
                "description",
                "type",
                "properties",
                "required",
                "additionalProperties",
                "items",
                "enum",
                "minimum",
                "minLength",
            ]
            .contains(&key.as_str()),
            "the checker does not know schema keyword {key}"
        );
    }
    if let Some(t) = obj.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let matches = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            "number" => value.is_number(),
            "integer" => value.is_u64() || value.is_i64(),
            _ => false,
        });
        if !matches {
            errors.push(format!("{at}: {value} is not of type {types:?}"));
            return errors;
        }
    }
    if let Some(Value::Array(options)) = obj.get("enum")
        && !options.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {options:?}"));
    }
    if let (Some(min), Some(n)) = (obj.get("minimum").and_then(Value::as_f64), value.as_f64())
        && n < min
    {
        errors.push(format!("{at}: {n} < {min}"));
    }
    if let (Some(min), Some(s)) = (obj.get("minLength").and_then(Value::as_u64), value.as_str())
        && (s.chars().count() as u64) < min
    {
        errors.push(format!("{at}: {s:?} is shorter than {min}"));
    }
    if let Some(map) = value.as_object() {
        if let Some(Value::Array(required)) = obj.get("required") {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    errors.push(format!("{at}: missing {r}"));
                }
            }
        }
        let props = obj.get("properties").and_then(Value::as_object);
        for (k, v) in map {
            match props.and_then(|p| p.get(k)) {
                Some(sub) => errors.extend(schema_errors(sub, v, &format!("{at}/{k}"))),
                None if obj.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: unexpected property {k}"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (obj.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            errors.extend(schema_errors(items, v, &format!("{at}/{i}")));
        }
    }
    errors
}

fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/schemas/install-report.schema.json")
}

/// Parses a `--json` report and checks it against the schema (and with Python's `jsonschema`,
/// when the test interpreter has it).
fn valid_report(stdout: &str) -> serde_json::Value {
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(schema_path()).unwrap()).unwrap();
    let report: serde_json::Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("the report is not JSON ({e}):\n{stdout}"));
    let errors = schema_errors(&schema, &report, "");
    assert!(
        errors.is_empty(),
        "the report does not match the schema:\n{}\n{stdout}",
        errors.join("\n")
    );
    let has_jsonschema = Command::new(python3())
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_jsonschema {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.json");
        std::fs::write(&file, stdout).unwrap();
        let out = Command::new(python3())
            .args([
                "-c",
                "import json, sys, jsonschema\n\
                 s = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))\n\
                 jsonschema.Draft202012Validator.check_schema(s)\n\
                 jsonschema.Draft202012Validator(s).validate(r)",
            ])
            .arg(schema_path())
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "jsonschema: {:?}", text(&out));
    } else {
        eprintln!("note: python3 has no jsonschema module; the report was checked in Rust only");
    }
    report
}

#[test]
fn json_reports_match_the_schema_on_success_and_print_nothing_on_failure() {
    let Some(corpus) = corpus::wheels("json_reports_match_the_schema") else {
        return;
    };
    let wheels = wheel_dir();
    let old = app(wheels.path(), "1.0");
    let new_dir = wheel_dir();
    let new = app(new_dir.path(), "2.0");
    let markupsafe = corpus::wheel(&corpus, "markupsafe");
    let venv = Venv::new();

    let fresh = valid_report(&ok(&venv.install(&[&"--json", &old, &markupsafe])).0);
    assert_eq!(fresh["dry_run"], false);
    assert_eq!(fresh["wheels"].as_array().unwrap().len(), 2);
    assert!(fresh["compile"].is_null());
    let upgrade = valid_report(&ok(&venv.install(&[&"--json", &"--compile", &new])).0);
    assert_eq!(upgrade["wheels"][0]["replaces"][0], "upapp==1.0");
    assert!(upgrade["compile"]["compiled"].as_u64().unwrap() >= 2);
    assert!(!upgrade["removed"].as_array().unwrap().is_empty());
    let dry = valid_report(&ok(&venv.install(&[&"--json", &"--dry-run", &old])).0);
    assert_eq!(dry["dry_run"], true);
    // --target and --prefix reports too.
    for flag in ["--target", "--prefix"] {
        let dir = tempfile::tempdir().unwrap();
        let out = winst()
            .args(["install", "--json", "--python"])
            .arg(venv.python())
            .arg(flag)
            .arg(dir.path().join("d"))
            .arg(&new)
            .output()
            .unwrap();
        let report = valid_report(&ok(&out).0);
        assert_eq!(report["wheels"][0]["name"], "upapp", "{flag}");
    }
    // The checker is not vacuous: a report with a field renamed or of the wrong type fails.
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(schema_path()).unwrap()).unwrap();
    let mut broken = fresh.clone();
    broken["wheels"][0]["files"] = serde_json::json!("many");
    assert!(!schema_errors(&schema, &broken, "").is_empty());
    let mut broken = fresh.clone();
    broken["timings"]["new_stage_ms"] = serde_json::json!(1.0);
    assert!(!schema_errors(&schema, &broken, "").is_empty());

    // Failures: a bad wheel, a missing file, a conflict. Exit 1, the error on stderr, nothing on
    // stdout (no partial or empty report), and the venv unchanged.
    let bad = WheelBuilder::new("badhash", "1.0")
        .unrecorded("badhash/__init__.py", "X = 1\n")
        .record_row(&format!(
            "badhash/__init__.py,{},6",
            record_hash(b"X = 2\n")
        ))
        .build(wheels.path());
    let clash = WheelBuilder::new("clash", "1.0")
        .file("upapp/__init__.py", "STOLEN = True\n")
        .build(wheels.path());
    let before = venv.snapshot();
    // A dry run does not inflate members, so it cannot see a bad hash (nor does pip's).
    for (args, said, dry_runs) in [
        (vec![bad.clone()], "badhash/__init__.py", &[false][..]),
        (
            vec![wheels.path().join("missing-1.0-py3-none-any.whl")],
            "missing-1.0",
            &[false, true][..],
        ),
        (vec![clash.clone()], "upapp/__init__.py", &[false, true][..]),
    ] {
        for &dry in dry_runs {
            let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--json"];
            if dry {
                all.push(&"--dry-run");
            }
            for a in &args {
                all.push(a);
            }
            let out = venv.install(&all);
            let (stdout, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
            assert_eq!(stdout, "", "a failed install printed a report");
            assert!(
                stderr.contains("error:") && stderr.contains(said),
                "{stderr}"
            );
        }
    }
    assert_same_tree(&before, &venv.snapshot());
}
