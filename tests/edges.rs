//! Edge cases of the environment and of member names: symbolic links inside the environment
//! (`lib64 -> lib`, a package directory linked outside, a link planted where a file goes), member
//! names that are not plain UTF-8 (unflagged CP437, invalid UTF-8), names that differ only in
//! Unicode normalization, and names too long for the filesystem. Each is either installed the way
//! pip installs it (compared with the machine's pip) or refused with the wheel and the member
//! named and the environment left exactly as it was (snapshots).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::rawzip::{RawEntry, RawZip};
use support::*;

fn pkg(name: &str, version: &str) -> WheelBuilder {
    WheelBuilder::new(name, version).file(
        &format!("{}/__init__.py", name.replace('-', "_")),
        format!("VERSION = {version:?}\ndef main():\n    print('{name}', VERSION)\n"),
    )
}

/// `winst ARGS...`, any subcommand.
fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = winst();
    for a in args {
        cmd.arg(a);
    }
    cmd.output().unwrap()
}

/// Expects exit status 1 and returns stderr.
fn failed(out: &Output) -> String {
    let (stdout, stderr) = text(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected a refusal:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stderr
}

// ---------------------------------------------------------------------------------------------
// Symbolic links inside the environment

#[test]
fn a_venv_with_lib64_linked_to_lib_installs_lists_and_uninstalls() {
    let Some(corpus) = corpus::wheels("a_venv_with_lib64_linked_to_lib") else {
        return;
    };
    let venv = Venv::new();
    let lib64 = venv.root().join("lib64");
    if std::fs::symlink_metadata(&lib64).is_err() {
        // venv makes it on 64-bit Linux; elsewhere make it as Linux distributions do.
        std::os::unix::fs::symlink("lib", &lib64).unwrap();
    }
    assert!(
        std::fs::symlink_metadata(&lib64)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let six = corpus::wheel(&corpus, "six");
    let pointer = corpus::wheel(&corpus, "jsonpointer");
    ok(&venv.install(&[&six]));
    // A second install through the link: `--target` names site-packages by way of lib64.
    let via_link = lib64
        .join(format!("python{}", py_version()))
        .join("site-packages");
    ok(&run(&[
        &"install",
        &"--python",
        &venv.python(),
        &"--target",
        &via_link,
        &pointer,
    ]));
    // Both landed in the real lib, and lib64 is still the same link.
    let sp = venv.site_packages();
    assert!(sp.join("six.py").is_file());
    assert!(sp.join("jsonpointer.py").is_file());
    assert_eq!(
        std::fs::read_link(&lib64).unwrap(),
        PathBuf::from("lib"),
        "lib64 must stay a link to lib"
    );
    assert_eq!(
        venv.python_out("import six, jsonpointer; print(six.__version__)"),
        "1.17.0"
    );
    let (listed, _) = ok(&run(&[&"list", &"--python", &venv.python()]));
    assert!(
        listed.contains("six") && listed.contains("jsonpointer"),
        "{listed}"
    );
    // pip sees a consistent environment.
    let check = venv.pip(&["check"]);
    assert!(check.status.success(), "{:?}", text(&check));
    // Uninstalling through the link removes the files, not the link.
    ok(&run(&[
        &"uninstall",
        &"--target",
        &via_link,
        &"jsonpointer",
    ]));
    ok(&run(&[&"uninstall", &"--python", &venv.python(), &"six"]));
    assert!(!sp.join("six.py").exists());
    assert!(!sp.join("jsonpointer.py").exists());
    assert!(
        !sp.read_dir()
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".dist-info")),
        "a dist-info was left behind"
    );
    assert!(
        std::fs::symlink_metadata(&lib64)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_venv_reached_through_a_symlink_installs_like_the_real_path() {
    let venv = Venv::new();
    let alias = venv.dir.path().join("alias");
    std::os::unix::fs::symlink(venv.root(), &alias).unwrap();
    let wheels = wheel_dir();
    let whl = pkg("aliased", "1.0")
        .entry_points("[console_scripts]\naliased = aliased:main\n")
        .build(wheels.path());
    ok(&run(&[
        &"install",
        &"--python",
        &alias.join("bin/python"),
        &whl,
    ]));
    assert!(venv.site_packages().join("aliased/__init__.py").is_file());
    let launcher = venv.bin("aliased");
    let out = std::process::Command::new(&launcher).output().unwrap();
    assert_eq!(text(&out).0.trim(), "aliased 1.0", "{:?}", text(&out));
    assert!(
        std::fs::symlink_metadata(&alias)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// A directory outside every venv, with a file in it, and its snapshot.
fn outside_dir() -> (tempfile::TempDir, Snapshot) {
    let dir = tempfile::Builder::new()
        .prefix("winst-outside-")
        .tempdir()
        .unwrap();
    std::fs::create_dir(dir.path().join("linked")).unwrap();
    std::fs::write(dir.path().join("linked/keep.py"), "KEEP = 1\n").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "secret\n").unwrap();
    let snap = snapshot(dir.path());
    (dir, snap)
}

#[test]
fn a_package_directory_linked_outside_the_environment_is_refused_by_what_it_is() {
    let wheels = wheel_dir();
    let whl = pkg("linked", "1.0")
        .file("linked/sub/mod.py", "X = 1\n")
        .build(wheels.path());
    let (outside, outside_before) = outside_dir();
    let venv = Venv::new();
    let pkg_dir = venv.site_packages().join("linked");
    std::os::unix::fs::symlink(outside.path().join("linked"), &pkg_dir).unwrap();
    let before = venv.snapshot();
    let stderr = failed(&venv.install(&[&whl]));
    assert!(
        stderr.contains(&format!(
            "{} is a symbolic link to a directory outside the environment ({})",
            pkg_dir.display(),
            outside.path().join("linked").display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("is not a directory"), "{stderr}");
    assert_same_tree(&before, &venv.snapshot());
    assert_same_tree(&outside_before, &snapshot(outside.path()));

    // Linked to a directory inside the environment: refused too, and said so.
    let venv = Venv::new();
    let real = venv.site_packages().join("real_linked");
    std::fs::create_dir(&real).unwrap();
    let pkg_dir = venv.site_packages().join("linked");
    std::os::unix::fs::symlink("real_linked", &pkg_dir).unwrap();
    let before = venv.snapshot();
    let stderr = failed(&venv.install(&[&whl]));
    assert!(
        stderr.contains("is a symbolic link to a directory inside the environment (real_linked)"),
        "{stderr}"
    );
    assert_same_tree(&before, &venv.snapshot());

    // A dangling link where the package directory goes.
    let venv = Venv::new();
    let pkg_dir = venv.site_packages().join("linked");
    std::os::unix::fs::symlink(outside.path().join("nowhere"), &pkg_dir).unwrap();
    let before = venv.snapshot();
    let stderr = failed(&venv.install(&[&whl]));
    assert!(
        stderr.contains(&format!(
            "{} is a symbolic link to {}, not a directory",
            pkg_dir.display(),
            outside.path().join("nowhere").display()
        )),
        "{stderr}"
    );
    assert_same_tree(&before, &venv.snapshot());
    assert!(!outside.path().join("nowhere").exists());
    assert_same_tree(&outside_before, &snapshot(outside.path()));
}

#[test]
fn a_link_planted_at_a_file_path_is_replaced_never_written_through() {
    let wheels = wheel_dir();
    let whl = pkg("planted", "1.0")
        .file("planted/data.txt", "from the wheel\n")
        .build(wheels.path());
    let (outside, outside_before) = outside_dir();
    let venv = Venv::new();
    let sp = venv.site_packages();
    std::fs::create_dir(sp.join("planted")).unwrap();
    // One link to an existing file outside, one dangling (pip would create its target).
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        sp.join("planted/data.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("created-by-writing-through.py"),
        sp.join("planted/__init__.py"),
    )
    .unwrap();
    let (_, stderr) = ok(&venv.install(&[&whl]));
    for member in ["planted/data.txt", "planted/__init__.py"] {
        assert!(
            stderr.contains(&format!(
                "{member} replaces {}, which belongs to no installed project",
                sp.join(member).display()
            )),
            "the replacement of the planted link must be said:\n{stderr}"
        );
        let meta = std::fs::symlink_metadata(sp.join(member)).unwrap();
        assert!(meta.file_type().is_file(), "{member} is still a link");
    }
    assert_eq!(
        std::fs::read_to_string(sp.join("planted/data.txt")).unwrap(),
        "from the wheel\n"
    );
    assert_same_tree(&outside_before, &snapshot(outside.path()));
    assert_eq!(
        venv.python_out("import planted; print(planted.VERSION)"),
        "1.0"
    );

    // Untrusted mode refuses instead, and changes nothing.
    let venv = Venv::new();
    let sp = venv.site_packages();
    std::fs::create_dir(sp.join("planted")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        sp.join("planted/data.txt"),
    )
    .unwrap();
    let before = venv.snapshot();
    let stderr = failed(&venv.install(&[&"--untrusted", &whl]));
    assert!(
        stderr.contains("planted/data.txt") && stderr.contains("belongs to no installed project"),
        "{stderr}"
    );
    assert_same_tree(&before, &venv.snapshot());
    assert_same_tree(&outside_before, &snapshot(outside.path()));
}

#[test]
fn an_installed_file_swapped_for_a_link_is_removed_as_a_link_on_upgrade_and_uninstall() {
    let wheels = wheel_dir();
    let old = pkg("swapped", "1.0")
        .file("swapped/old.txt", "old\n")
        .file("swapped/kept.txt", "kept 1\n")
        .build(wheels.path());
    let new = pkg("swapped", "2.0")
        .file("swapped/kept.txt", "kept 2\n")
        .build(wheels.path());
    let (outside, outside_before) = outside_dir();
    let venv = Venv::new();
    let sp = venv.site_packages();
    ok(&venv.install(&[&old]));
    for name in ["old.txt", "kept.txt"] {
        std::fs::remove_file(sp.join("swapped").join(name)).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            sp.join("swapped").join(name),
        )
        .unwrap();
    }
    ok(&venv.install(&[&new]));
    assert!(std::fs::symlink_metadata(sp.join("swapped/old.txt")).is_err());
    assert_eq!(
        std::fs::read_to_string(sp.join("swapped/kept.txt")).unwrap(),
        "kept 2\n"
    );
    assert!(
        !std::fs::symlink_metadata(sp.join("swapped/kept.txt"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_same_tree(&outside_before, &snapshot(outside.path()));

    std::fs::remove_file(sp.join("swapped/kept.txt")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        sp.join("swapped/kept.txt"),
    )
    .unwrap();
    ok(&run(&[
        &"uninstall",
        &"--python",
        &venv.python(),
        &"swapped",
    ]));
    assert!(std::fs::symlink_metadata(sp.join("swapped")).is_err());
    assert_same_tree(&outside_before, &snapshot(outside.path()));
}

#[test]
fn uninstalling_through_a_package_directory_linked_outside_removes_nothing_there_and_says_so() {
    let wheels = wheel_dir();
    let whl = pkg("moved", "1.0")
        .file("moved/data.txt", "data\n")
        .build(wheels.path());
    let (outside, _) = outside_dir();
    let venv = Venv::new();
    ok(&venv.install(&[&whl]));
    // Someone moved the package out of the environment and linked it back.
    let sp = venv.site_packages();
    let moved_to = outside.path().join("moved");
    std::fs::rename(sp.join("moved"), &moved_to).unwrap();
    std::os::unix::fs::symlink(&moved_to, sp.join("moved")).unwrap();
    let outside_before = snapshot(outside.path());
    let (_, stderr) = ok(&run(&[&"uninstall", &"--python", &venv.python(), &"moved"]));
    assert_same_tree(&outside_before, &snapshot(outside.path()));
    for file in ["__init__.py", "data.txt"] {
        assert!(
            stderr.contains(&format!(
                "warning: not removing {}: {} is a symbolic link to {}, which winst does not \
                 follow; remove the link by hand",
                sp.join("moved").join(file).display(),
                sp.join("moved").display(),
                moved_to.display()
            )),
            "{stderr}"
        );
    }
    // The project itself is gone; the link is left for the user.
    assert!(!sp.join("moved-1.0.dist-info").exists());
    assert!(
        std::fs::symlink_metadata(sp.join("moved"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

// ---------------------------------------------------------------------------------------------
// Member names

const PLACEHOLDER: &str = "demo/PLACEHOLDER.py";

/// A valid `demo 1.0` wheel whose member `demo/PLACEHOLDER.py` is renamed to the raw bytes
/// `name` with zip flags `flags`, its RECORD row naming `record_name` instead.
fn renamed(dir: &Path, name: &[u8], flags: u16, record_name: &str) -> PathBuf {
    let built = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file(PLACEHOLDER, "NAMED = True\n")
        .build(dir);
    let mut raw = RawZip::from_wheel(&built);
    std::fs::remove_file(&built).unwrap();
    let i = raw.find(PLACEHOLDER);
    raw.entries[i].name = name.to_vec();
    raw.entries[i].flags = flags;
    let r = raw.find("demo-1.0.dist-info/RECORD");
    let record = String::from_utf8(raw.entries[r].data.clone())
        .unwrap()
        .replace(PLACEHOLDER, record_name);
    raw.entries[r] = RawEntry::stored("demo-1.0.dist-info/RECORD", record.as_bytes());
    raw.write(dir, "demo-1.0-py3-none-any.whl")
}

/// What pip does with `whl` in a fresh venv: its output and the files it left in site-packages.
fn pip_installs(whl: &Path) -> (Output, Snapshot, Venv) {
    let venv = Venv::new();
    let out = venv.pip(&[
        "install",
        "--no-deps",
        "--no-compile",
        whl.to_str().unwrap(),
    ]);
    let snap = snapshot(&venv.site_packages());
    (out, snap, venv)
}

/// Installs `whl` with winst into a fresh venv; on failure checks the error names the wheel and
/// `member` and that nothing changed. Returns the outcome and the venv.
fn winst_installs(whl: &Path, member: &str) -> (Result<Snapshot, String>, Venv) {
    let venv = Venv::new();
    let before = venv.snapshot();
    let around = snapshot(venv.dir.path());
    let out = venv.install(&[&whl]);
    if out.status.success() {
        return (Ok(snapshot(&venv.site_packages())), venv);
    }
    let stderr = failed(&out);
    let file_name = whl.file_name().unwrap().to_str().unwrap();
    assert!(
        stderr.contains(&format!("error: {file_name}: ")),
        "the error must name the wheel:\n{stderr}"
    );
    assert!(
        stderr.contains(member),
        "the error must name the member ({member}):\n{stderr}"
    );
    assert_same_tree(&before, &venv.snapshot());
    assert_same_tree(&around, &snapshot(venv.dir.path()));
    (Err(stderr), venv)
}

/// The files of a site-packages snapshot, without the bookkeeping files whose bytes differ by
/// design (INSTALLER, RECORD, direct_url.json).
fn payload(snap: &Snapshot) -> Snapshot {
    snap.iter()
        .filter(|(p, _)| {
            let name = p.file_name().unwrap().to_string_lossy();
            !matches!(&*name, "INSTALLER" | "RECORD" | "direct_url.json")
        })
        .map(|(p, n)| (p.clone(), n.clone()))
        .collect()
}

#[test]
fn an_unflagged_non_ascii_member_name_is_refused_by_name() {
    // 0x82 is `é` in CP437, the encoding a zip name has when the UTF-8 flag (bit 11) is clear.
    // pip's zipfile decodes it so and installs `demo/café.py`; other zip readers take the same
    // bytes as UTF-8 or Latin-1, and RECORD (UTF-8 text) cannot be matched to them reliably, so
    // winst refuses the wheel instead of guessing.
    let dir = wheel_dir();
    let whl = renamed(dir.path(), b"demo/caf\x82.py", 0, "demo/caf\u{e9}.py");
    let (pip_out, pip_tree, _pip_venv) = pip_installs(&whl);
    assert!(pip_out.status.success(), "{:?}", text(&pip_out));
    assert!(
        pip_tree.contains_key(Path::new("demo/caf\u{e9}.py")),
        "{pip_tree:?}"
    );
    let (winst, _venv) = winst_installs(&whl, "demo/caf\\x82.py");
    let stderr = winst.expect_err("an unflagged non-ASCII name must be refused");
    assert!(
        stderr.contains("not valid UTF-8") && stderr.contains("CP437"),
        "{stderr}"
    );
    // The same wheel with the name flagged as UTF-8 installs where pip put it.
    let whl = renamed(
        dir.path(),
        "demo/caf\u{e9}.py".as_bytes(),
        0x0800,
        "demo/caf\u{e9}.py",
    );
    let (winst, venv) = winst_installs(&whl, "demo/caf");
    let winst = winst.unwrap_or_else(|e| panic!("a UTF-8 name must install:\n{e}"));
    assert_same_tree(&payload(&pip_tree), &payload(&winst));
    assert_eq!(
        venv.python_out(
            "import importlib; print(importlib.import_module('demo.caf\\u00e9').NAMED)"
        ),
        "True"
    );
}

#[test]
fn a_flagged_member_name_that_is_not_utf8_is_refused_by_name() {
    let dir = wheel_dir();
    let whl = renamed(dir.path(), b"demo/bad\xff\xfe.py", 0x0800, "demo/bad.py");
    let (pip_out, _, _pip_venv) = pip_installs(&whl);
    // pip's zipfile cannot decode it either.
    assert!(!pip_out.status.success(), "{:?}", text(&pip_out));
    let (winst, _venv) = winst_installs(&whl, "demo/bad\\xff\\xfe.py");
    let stderr = winst.expect_err("a name that is not UTF-8 must be refused");
    assert!(stderr.contains("UTF-8"), "{stderr}");
}

#[test]
fn names_that_differ_only_in_unicode_normalization_install_as_pip_installs_them() {
    // `é` precomposed (NFC) and `e` + combining acute (NFD): two names for Linux and for pip.
    let nfc = "demo/caf\u{e9}.py";
    let nfd = "demo/cafe\u{301}.py";
    let dir = wheel_dir();
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file(nfc, "FORM = 'NFC'\n")
        .file(nfd, "FORM = 'NFD'\n")
        .build(dir.path());
    let (pip_out, pip_tree, _pip_venv) = pip_installs(&whl);
    assert!(pip_out.status.success(), "{:?}", text(&pip_out));
    let (winst, _venv) = winst_installs(&whl, "demo/caf");
    let winst = winst.unwrap_or_else(|e| panic!("pip installs both, winst refused:\n{e}"));
    assert!(pip_tree.contains_key(Path::new(nfc)) && pip_tree.contains_key(Path::new(nfd)));
    assert_same_tree(&payload(&pip_tree), &payload(&winst));
}

#[test]
fn a_name_too_long_for_the_filesystem_is_refused_by_name_in_normal_mode() {
    // 300 bytes in one component: over NAME_MAX (255) on every Linux filesystem.
    let long = format!("demo/{}.py", "n".repeat(300));
    let dir = wheel_dir();
    let whl = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file("demo/a_first.py", "")
        .file(&long, "")
        .build(dir.path());
    let (pip_out, _, _pip_venv) = pip_installs(&whl);
    assert!(!pip_out.status.success(), "{:?}", text(&pip_out));
    let (winst, _venv) = winst_installs(&whl, &long);
    let stderr = winst.expect_err("a 300-byte file name cannot be installed");
    assert!(stderr.contains("too long"), "{stderr}");

    // A long directory component, and a path longer than PATH_MAX in short components.
    let deep = format!("demo/{}x.py", format!("{}/", "d".repeat(200)).repeat(22));
    for member in [format!("demo/{}/x.py", "d".repeat(256)), deep] {
        let whl = WheelBuilder::new("demo", "1.0")
            .file("demo/__init__.py", "")
            .file(&member, "")
            .build(dir.path());
        let (winst, _venv) = winst_installs(&whl, &member[..40]);
        let stderr = winst.expect_err("the path cannot be created");
        assert!(stderr.contains("too long"), "{stderr}");
    }
}

/// `cmd` run with the limit on open files set to `limit`: the soft limit only, or the hard limit
/// as well.
fn with_open_files_limit(cmd: &Command, limit: u32, hard: bool) -> Command {
    let which = if hard { "-n" } else { "-Sn" };
    let mut sh = Command::new("bash");
    sh.arg("-c")
        .arg(format!("ulimit {which} {limit} && exec \"$0\" \"$@\""))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh
}

#[test]
fn many_directories_install_under_a_low_open_file_limit() {
    // More directories than the process may hold open files: an installer that holds a handle
    // per directory fails with "Too many open files". winst's write stage holds a few per
    // worker, and so does bytecode compilation (compiled by the interpreter workers and from the
    // bytecode cache), under a hard limit that winst cannot raise. Compilation used to hold two
    // handles per directory (1,200 here), and the transaction up to 256 on the directories it
    // creates `__pycache__` in.
    let dir = wheel_dir();
    let mut builder = pkg("manydirs", "1.0");
    for i in 0..600 {
        builder = builder.file(&format!("manydirs/d{i:03}/m.py"), format!("N = {i}\n"));
    }
    let wheel = builder.build(dir.path());
    let cache = Cache::new();
    let compile = &["--compile"][..];
    let tag = cache_tag();
    let runs = [
        ("cold", false, Some(200), &[][..]),
        ("filling", true, Some(200), &[][..]),
        ("warm", true, Some(200), &[][..]),
        ("warm, soft limit, compiled", true, None, compile),
        (
            "warm, compiled by the interpreters",
            true,
            Some(200),
            compile,
        ),
        (
            "warm, compiled from the bytecode cache",
            true,
            Some(200),
            compile,
        ),
    ];
    for (k, (what, cached, hard, extra)) in runs.into_iter().enumerate() {
        let venv = Venv::new();
        let mut cmd = winst();
        cmd.arg("install").args(extra);
        if cached {
            cmd.env_remove("WINST_NO_CACHE").args(cache.args());
        }
        if k == 4 {
            // A fresh bytecode cache: every file goes through an interpreter worker.
            std::fs::remove_dir_all(cache.path().join("bytecode-v2")).unwrap();
        }
        cmd.arg("--python").arg(venv.python()).arg(&wheel);
        let mut limited = match hard {
            Some(limit) => with_open_files_limit(&cmd, limit, true),
            None => with_open_files_limit(&cmd, 200, false),
        };
        let out = limited.output().unwrap();
        let (_, stderr) = text(&out);
        assert!(out.status.success(), "{what}: {stderr}");
        let n =
            venv.python_out("import manydirs.d000.m as a, manydirs.d599.m as b; print(a.N + b.N)");
        assert_eq!(n.trim(), "599", "{what}");
        let out = venv.pip(&["check"]);
        assert!(out.status.success(), "{what}: {:?}", text(&out));
        let record =
            std::fs::read_to_string(venv.site_packages().join("manydirs-1.0.dist-info/RECORD"))
                .unwrap();
        let pycs = (0..600)
            .filter(|i| {
                let pyc = format!("manydirs/d{i:03}/__pycache__/m.{tag}.pyc");
                venv.site_packages().join(&pyc).is_file() && record.contains(&pyc)
            })
            .count();
        let expected = if extra.is_empty() { 0 } else { 600 };
        assert_eq!(pycs, expected, "{what}: .pyc files installed and recorded");
    }
    assert_eq!(cache.entries().len(), 1);
}

/// The machine's CPython's bytecode cache tag (`cpython-311`).
fn cache_tag() -> String {
    let out = Command::new(python3())
        .args(["-c", "import sys; print(sys.implementation.cache_tag)"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// RECORD files in forms pip reads (Python's csv module, any hashlib algorithm of sha256's
/// strength): each installs with winst, with the files pip installs from it, and its files are
/// still checked against RECORD. Before, winst refused every one of them.
#[test]
fn record_forms_pip_reads_install_the_files_pip_installs() {
    use winst_wheel::record::Algorithm;
    let x = b"X = 1\n";
    let y = b"Y = 22\n";
    let forms: Vec<(&str, WheelBuilder)> = vec![
        ("lines ended by a lone CR", {
            let mut w = pkg("demo", "1.0");
            w.record_edit = Some(|r| r.replace('\n', "\r"));
            w
        }),
        ("a byte order mark", {
            let mut w = pkg("demo", "1.0");
            w.record_edit = Some(|r| format!("\u{feff}{r}"));
            w
        }),
        (
            "rows for directories",
            pkg("demo", "1.0").record_row("demo/,,"),
        ),
        (
            "a quoted directory row holding a line break",
            pkg("demo", "1.0").record_row("\"demo/a\nb/\",,"),
        ),
        (
            "a quote inside an unquoted path",
            pkg("demo", "1.0").file("demo/say\"hi\".py", "S = 1\n"),
        ),
        (
            "one row twice, as it is",
            pkg("demo", "1.0")
                .unrecorded("demo/x.py", x)
                .record_row(&format!("demo/x.py,{},6", record_hash(x)))
                .record_row(&format!("demo/x.py,{},6", record_hash(x))),
        ),
        (
            "sha3 and blake2 hashes",
            pkg("demo", "1.0")
                .unrecorded("demo/x.py", x)
                .record_row(&format!(
                    "demo/x.py,{},6",
                    record_hash_in(Algorithm::Sha3_256, x)
                ))
                .unrecorded("demo/y.py", y)
                .record_row(&format!(
                    "demo/y.py,{},7",
                    record_hash_in(Algorithm::Blake2b, y)
                )),
        ),
    ];
    for (form, wheel) in forms {
        let dir = wheel_dir();
        let whl = wheel.build(dir.path());
        let (pip_out, pip_tree, _pip_venv) = pip_installs(&whl);
        assert!(pip_out.status.success(), "{form}: {:?}", text(&pip_out));
        let (winst, venv) = winst_installs(&whl, "RECORD");
        let winst_tree = winst.unwrap_or_else(|e| panic!("{form}: winst refused:\n{e}"));
        assert_eq!(payload(&winst_tree), payload(&pip_tree), "{form}");
        let (_, stderr) = ok(&venv.pip(&["check"]));
        assert!(!stderr.contains("ERROR"), "{form}: {stderr}");
    }

    // The hashes are checked, whatever the algorithm: a sha3_256 of other bytes is refused.
    let dir = wheel_dir();
    let whl = pkg("demo", "1.0")
        .unrecorded("demo/x.py", x)
        .record_row(&format!(
            "demo/x.py,{},6",
            record_hash_in(Algorithm::Sha3_256, y)
        ))
        .build(dir.path());
    let (winst, _venv) = winst_installs(&whl, "demo/x.py");
    let stderr = winst.expect_err("a wrong sha3_256 must be refused");
    assert!(stderr.contains("RECORD says sha3_256="), "{stderr}");
}
