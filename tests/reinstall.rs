//! No-op and partial reinstalls: wheels whose projects are installed already from the very same
//! wheel files are left alone ("Audited N packages", as uv says it); another build of the same
//! version, a damaged installation, or `--reinstall` installs again. Every install here runs
//! with a private cache (the stat index saves hashing) unless the test says otherwise.

mod support;

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use support::{Cache, Venv, WheelBuilder, assert_same_tree, text, wheel_dir};

fn demo(dir: &Path, name: &str, version: &str, body: &str) -> PathBuf {
    WheelBuilder::new(name, version)
        .file(&format!("{name}/__init__.py"), format!("BODY = {body:?}\n"))
        .file(&format!("{name}/data.txt"), "data\n")
        .build(dir)
}

/// `winst install --json ARGS...`, expected to succeed: (report, stderr).
fn install(venv: &Venv, args: &[&dyn AsRef<std::ffi::OsStr>]) -> (serde_json::Value, String) {
    let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--json"];
    all.extend_from_slice(args);
    let out = venv.install(&all);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    (serde_json::from_str(&stdout).expect("JSON report"), stderr)
}

fn names(list: &serde_json::Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w[key].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// (inode, modification time) of every file under `root`: a no-op rewrites nothing.
fn stamps(root: &Path) -> Vec<(PathBuf, u64, i64, i64)> {
    let mut out = Vec::new();
    for (rel, _) in support::snapshot(root) {
        let m = std::fs::symlink_metadata(root.join(&rel)).unwrap();
        out.push((rel, m.ino(), m.mtime(), m.mtime_nsec()));
    }
    out
}

#[test]
fn the_same_wheels_again_are_audited_and_nothing_is_touched() {
    let dir = wheel_dir();
    let a = demo(dir.path(), "alpha", "1.0", "a");
    let b = demo(dir.path(), "beta", "2.0", "b");
    for cached in [true, false] {
        let cache = Cache::new();
        let cache_args = cache.args();
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = if cached {
            cache_args
                .iter()
                .map(|a| a as &dyn AsRef<std::ffi::OsStr>)
                .collect()
        } else {
            vec![&"--no-cache"]
        };
        args.push(&a);
        args.push(&b);
        let venv = Venv::new();
        let (first, _) = install(&venv, &args);
        assert_eq!(names(&first["wheels"], "name"), ["alpha", "beta"]);
        assert_eq!(first["audited"], serde_json::json!([]));

        let before = venv.snapshot();
        let before_stamps = stamps(&venv.root());
        let (again, _) = install(&venv, &args);
        assert_eq!(again["wheels"], serde_json::json!([]), "cached={cached}");
        assert_eq!(names(&again["audited"], "name"), ["alpha", "beta"]);
        assert_eq!(names(&again["audited"], "version"), ["1.0", "2.0"]);
        assert_same_tree(&before, &venv.snapshot());
        assert_eq!(before_stamps, stamps(&venv.root()), "no file was rewritten");

        // The summary says so, as uv does.
        let out = venv.install(&args[..args.len()]);
        let (_, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.starts_with("Audited 2 packages in "), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        // A dry run says it would change nothing.
        let mut dry = args.clone();
        dry.push(&"--dry-run");
        let out = venv.install(&dry);
        assert!(
            text(&out)
                .0
                .starts_with("Would make no changes: 2 packages installed already"),
            "{}",
            text(&out).0
        );
    }
}

#[test]
fn another_build_of_the_same_version_is_installed_again_and_the_rest_audited() {
    let dir = wheel_dir();
    let a = demo(dir.path(), "alpha", "1.0", "a");
    let b = demo(dir.path(), "beta", "2.0", "b");
    let cache = Cache::new();
    let c = cache.args();
    let venv = Venv::new();
    install(&venv, &[&c[0], &c[1], &a, &b]);
    // A rebuild of beta 2.0 with other contents (same file name, other bytes).
    let other = wheel_dir();
    let b2 = demo(other.path(), "beta", "2.0", "rebuilt");
    let (report, _) = install(&venv, &[&c[0], &c[1], &a, &b2]);
    assert_eq!(names(&report["wheels"], "name"), ["beta"]);
    assert_eq!(names(&report["audited"], "name"), ["alpha"]);
    assert_eq!(venv.python_out("import beta; print(beta.BODY)"), "rebuilt");
    let out = venv.install(&[&c[0], &c[1], &a, &b]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr.lines().collect::<Vec<_>>()[1..],
        [
            "Audited 1 package (installed already from the same wheels)",
            " ~ beta==2.0"
        ],
        "{stderr}"
    );
    assert_eq!(venv.python_out("import beta; print(beta.BODY)"), "b");
}

#[test]
fn a_damaged_installation_and_reinstall_install_again() {
    let dir = wheel_dir();
    let a = demo(dir.path(), "alpha", "1.0", "a");
    let venv = Venv::new();
    install(&venv, &[&a]);
    let data = venv.site_packages().join("alpha/data.txt");
    std::fs::remove_file(&data).unwrap();
    let (report, _) = install(&venv, &[&a]);
    assert_eq!(
        names(&report["wheels"], "name"),
        ["alpha"],
        "a file is missing"
    );
    assert_eq!(std::fs::read_to_string(&data).unwrap(), "data\n");
    for flag in ["--reinstall", "--force-reinstall"] {
        let (report, _) = install(&venv, &[&flag, &a]);
        assert_eq!(names(&report["wheels"], "name"), ["alpha"], "{flag}");
        assert_eq!(report["audited"], serde_json::json!([]));
    }
    // A file changed in place is not looked at: left as it is (say so in the README).
    std::fs::write(&data, "edited\n").unwrap();
    let (report, _) = install(&venv, &[&a]);
    assert_eq!(names(&report["audited"], "name"), ["alpha"]);
}

#[test]
fn wheels_pip_installed_are_audited_and_bytecode_is_asked_for() {
    let dir = wheel_dir();
    let a = demo(dir.path(), "alpha", "1.0", "a");
    let venv = Venv::new();
    let out = venv.pip(&["install", "--no-deps", "--no-compile", a.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out).1);
    let (report, _) = install(&venv, &[&a]);
    assert_eq!(
        names(&report["audited"], "name"),
        ["alpha"],
        "pip's direct_url.json"
    );

    // Installed without bytecode: --compile installs again, with it; then it is audited.
    let (report, _) = install(&venv, &[&"--compile", &a]);
    assert_eq!(names(&report["wheels"], "name"), ["alpha"]);
    assert!(
        venv.site_packages()
            .join("alpha/__pycache__")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
    );
    let (report, _) = install(&venv, &[&"--compile", &a]);
    assert_eq!(names(&report["audited"], "name"), ["alpha"]);
    // Untrusted installs hash the wheel (no stat index) and audit the same way.
    let (report, _) = install(&venv, &[&"--untrusted", &a]);
    assert_eq!(names(&report["audited"], "name"), ["alpha"]);
}

/// The audit lists a directory holding several of a project's files and looks up the others
/// one by one (a file in the site directory, one alone in a directory, a script outside
/// site-packages through `..` in RECORD, a data file under the environment's root): a file
/// deleted in any of these places is seen, and the project installed again.
#[test]
fn a_file_deleted_anywhere_in_a_project_is_seen() {
    let dir = wheel_dir();
    let mut builder = WheelBuilder::new("gamma", "1.0")
        .file("gamma_top.py", "TOP = 1\n")
        .file("gamma/sub/only.py", "\n")
        .file("gamma-1.0.data/data/share/gamma/a.txt", "a\n")
        .entry_points("[console_scripts]\ngamma-cli = gamma:main\n");
    let modules: Vec<String> = (0..40).map(|i| format!("gamma/m{i:02}.py")).collect();
    for m in &modules {
        builder = builder.file(m, "\n");
    }
    let wheel = builder
        .file("gamma/__init__.py", "def main():\n    pass\n")
        .build(dir.path());
    let cache = Cache::new();
    let c = cache.args();
    let venv = Venv::new();
    install(&venv, &[&c[0], &c[1], &wheel]);
    let site = venv.site_packages();
    let victims = [
        site.join("gamma/m17.py"),
        site.join("gamma/sub/only.py"),
        site.join("gamma_top.py"),
        site.join("gamma-1.0.dist-info/METADATA"),
        venv.bin("gamma-cli"),
        venv.root().join("share/gamma/a.txt"),
    ];
    for victim in &victims {
        let (report, _) = install(&venv, &[&c[0], &c[1], &wheel]);
        assert_eq!(names(&report["audited"], "name"), ["gamma"], "{victim:?}");
        std::fs::remove_file(victim).unwrap();
        let (report, _) = install(&venv, &[&c[0], &c[1], &wheel]);
        assert_eq!(
            names(&report["wheels"], "name"),
            ["gamma"],
            "{victim:?} deleted"
        );
        assert_eq!(
            report["audited"],
            serde_json::json!([]),
            "{victim:?} deleted"
        );
        assert!(victim.symlink_metadata().is_ok(), "{victim:?} put back");
    }
}

/// What stands where a file should: its name, and how to make it at a path.
type Damage = (&'static str, fn(&Path));

/// A file of the project replaced by a directory of its name (with something in it), by a
/// dangling symbolic link or by a link to the right file is not that file: the audit sees it
/// (whether the file's directory is listed or the file looked up alone), the project is
/// installed again, and the file is a regular file with the wheel's bytes afterwards, with
/// nothing left of what stood there.
#[test]
fn a_file_replaced_by_a_directory_or_a_link_is_seen() {
    let dir = wheel_dir();
    let mut builder = WheelBuilder::new("delta", "1.0")
        .file("delta_top.py", "TOP = 1\n")
        .file("delta/data.txt", "data\n")
        .file("delta/__init__.py", "\n");
    for i in 0..4 {
        builder = builder.file(&format!("delta/m{i}.py"), "\n");
    }
    let wheel = builder.build(dir.path());
    let cache = Cache::new();
    let c = cache.args();
    let venv = Venv::new();
    install(&venv, &[&c[0], &c[1], &wheel]);
    let site = venv.site_packages();
    let clean = venv.snapshot();
    let damage: [Damage; 3] = [
        // Empty, or holding only empty directories (a tool's leftovers): it gives way.
        ("an empty directory", |p| {
            std::fs::create_dir_all(p.join("__pycache__")).unwrap();
        }),
        ("a dangling link", |p| {
            std::os::unix::fs::symlink("nowhere", p).unwrap()
        }),
        // To a copy of the very file, kept beside it.
        ("a link to a file", |p| {
            std::os::unix::fs::symlink(p.with_extension("bak"), p).unwrap()
        }),
    ];
    for (victim, want) in [("delta/data.txt", "data\n"), ("delta_top.py", "TOP = 1\n")] {
        for (what, make) in &damage {
            let path = site.join(victim);
            std::fs::copy(&path, path.with_extension("bak")).unwrap();
            std::fs::remove_file(&path).unwrap();
            make(&path);
            let (report, _) = install(&venv, &[&c[0], &c[1], &wheel]);
            assert_eq!(
                names(&report["wheels"], "name"),
                ["delta"],
                "{victim}: {what}"
            );
            assert_eq!(report["audited"], serde_json::json!([]), "{victim}: {what}");
            let meta = path.symlink_metadata().unwrap();
            assert!(meta.is_file(), "{victim}: {what}: {meta:?}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
            std::fs::remove_file(path.with_extension("bak")).unwrap();
            assert_same_tree(&clean, &venv.snapshot());
            let (report, _) = install(&venv, &[&c[0], &c[1], &wheel]);
            assert_eq!(
                names(&report["audited"], "name"),
                ["delta"],
                "{victim}: {what}"
            );
        }
    }
}

/// A file of an installed project that someone replaced by a directory holding files of their
/// own: installing the same wheel again wants the file back, but does not delete what no project
/// lists. The install stops naming it and changes nothing; once it is moved away, the file is put
/// back.
#[test]
fn a_directory_of_someone_elses_files_where_a_file_belongs_is_not_deleted() {
    let dir = wheel_dir();
    let v1 = WheelBuilder::new("epsilon", "1.0")
        .file("epsilon/__init__.py", "\n")
        .file("epsilon/data.txt", "data\n")
        .build(dir.path());
    let v2_dir = wheel_dir();
    let v2 = WheelBuilder::new("epsilon", "2.0")
        .file("epsilon/__init__.py", "\n")
        .file("epsilon/data.txt", "data 2\n")
        .build(v2_dir.path());
    let venv = Venv::new();
    install(&venv, &[&v1]);
    let path = venv.site_packages().join("epsilon/data.txt");
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir_all(path.join("deep")).unwrap();
    std::fs::write(path.join("deep/mine.txt"), "precious").unwrap();
    let damaged = venv.snapshot();
    // The same wheel again (a repair), and an upgrade.
    for wheel in [&v1, &v2] {
        let out = venv.install(&[wheel]);
        let (_, stderr) = text(&out);
        assert!(!out.status.success(), "{stderr}");
        assert!(
            stderr.contains("epsilon/data.txt is a directory where this install puts a file")
                && stderr.contains("deep/mine.txt")
                && stderr.contains("move the directory away"),
            "{stderr}"
        );
        assert_same_tree(&damaged, &venv.snapshot());
    }
    std::fs::remove_dir_all(&path).unwrap();
    install(&venv, &[&v2]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "data 2\n");
}
