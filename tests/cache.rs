//! The unpacked-wheel cache: warm installs place files from it by link mode and give the same
//! environment as a cold install; it survives damage, concurrent winst processes, failed
//! installs and wheels rebuilt in place.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use support::{Venv, WheelBuilder, check, corpus, text, wheel_dir, winst};
use winst_install::manifest::Manifest;

/// Real wheels with console scripts, `.data/scripts` (`#!python` rewritten, so never cached),
/// package data and a platlib extension.
const PROJECTS: &[&str] = &[
    "six",
    "attrs",
    "black",
    "click",
    "mypy_extensions",
    "packaging",
    "pathspec",
    "platformdirs",
    "pytokens",
    "jmespath",
    "idna",
    "cffi",
    "pycparser",
];

fn corpus_subset() -> Option<Vec<PathBuf>> {
    let all = corpus::wheels("cache")?;
    Some(PROJECTS.iter().map(|p| corpus::wheel(&all, p)).collect())
}

fn install_json(
    venv: &Venv,
    cache: &[&dyn AsRef<std::ffi::OsStr>],
    wheels: &[PathBuf],
) -> serde_json::Value {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--json"];
    args.extend_from_slice(cache);
    for w in wheels {
        args.push(w);
    }
    let out = venv.install(&args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "install failed:\n{stderr}");
    serde_json::from_str(&stdout).expect("JSON report")
}

/// Every file every RECORD lists exists with the listed hash and size (checked by Python).
fn verify_records(venv: &Venv) {
    let code = r#"
import base64, csv, hashlib, os, sys, sysconfig
sp = sysconfig.get_paths()["purelib"]
bad, n = [], 0
for d in os.listdir(sp):
    if not d.endswith(".dist-info"):
        continue
    with open(os.path.join(sp, d, "RECORD"), newline="") as f:
        for row in csv.reader(f):
            path, h, size = row[0], row[1], row[2]
            if not h:
                continue
            full = os.path.normpath(os.path.join(sp, path))
            data = open(full, "rb").read()
            algo, _, want = h.partition("=")
            got = base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode()
            n += 1
            if got != want or int(size) != len(data):
                bad.append(path)
print(n, bad)
sys.exit(1 if bad or n == 0 else 0)
"#;
    let out = venv.run_python(code);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "RECORD mismatch: {stdout}{stderr}");
}

/// site-packages contents (paths, modes, bytes), RECORD files aside (launcher hashes name the
/// venv's own interpreter).
fn site_tree(venv: &Venv) -> support::Snapshot {
    support::snapshot(&venv.site_packages())
        .into_iter()
        .filter(|(p, _)| !p.ends_with("RECORD"))
        .collect()
}

fn entries(cache: &Path) -> Vec<String> {
    match std::fs::read_dir(cache.join("wheels-v3")) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "index")
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn cached_file(cache: &Path, member: &str) -> Vec<PathBuf> {
    entries(cache)
        .into_iter()
        .map(|e| cache.join("wheels-v3").join(e).join("files").join(member))
        .filter(|p| p.is_file())
        .collect()
}

#[test]
fn warm_install_from_the_cache_equals_a_cold_install() {
    let Some(wheels) = corpus_subset() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let cache_arg = [
        "--cache-dir".to_string(),
        cache.path().display().to_string(),
    ];
    let cache_args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&cache_arg[0], &cache_arg[1]];

    let plain = Venv::new();
    let report = install_json(&plain, &[&"--no-cache"], &wheels);
    assert_eq!(report["from_cache"], 0);
    assert!(entries(cache.path()).is_empty());

    let cold = Venv::new();
    let report = install_json(&cold, &cache_args, &wheels);
    assert_eq!(report["from_cache"], 0, "nothing was cached yet");
    assert_eq!(report["opened_from_cache"], 0);
    assert_eq!(
        entries(cache.path()).len(),
        wheels.len(),
        "one entry per wheel"
    );

    let warm = Venv::new();
    let report = install_json(&warm, &cache_args, &wheels);
    let files = report["files"].as_u64().unwrap();
    let placed = report["from_cache"].as_u64().unwrap();
    // No archive was read: every wheel was opened from its entry's manifest.
    assert_eq!(report["opened_from_cache"], wheels.len());
    // Everything but launchers and `#!python` scripts (rewritten per environment) comes from
    // the cache.
    assert!(
        placed > 0 && placed < files,
        "{placed} of {files} from the cache"
    );
    assert!(
        placed + 20 > files,
        "only {placed} of {files} files came from the cache"
    );

    let expected = site_tree(&plain);
    assert_eq!(site_tree(&cold), expected);
    assert_eq!(site_tree(&warm), expected);
    for v in [&cold, &warm] {
        verify_records(v);
        let out = v.pip(&["check"]);
        assert!(out.status.success(), "pip check: {:?}", text(&out));
        let out = v.run_python(
            "import six, attr, black, jmespath, idna, cffi, _cffi_backend; print('ok')",
        );
        assert!(out.status.success(), "{}", text(&out).1);
        let jp = std::fs::read_to_string(v.bin("jp.py")).unwrap();
        assert!(
            jp.starts_with(&format!("#!{}", v.python().display())),
            "{jp}"
        );
        let out = std::process::Command::new(v.bin("black"))
            .arg("--version")
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    // The same cached file is shared by the hard links of both environments.
    let sp = warm.site_packages();
    let placed_file = sp.join("six.py");
    let ino = std::fs::metadata(&placed_file).unwrap().ino();
    let in_cache = cached_file(cache.path(), "six.py");
    assert_eq!(in_cache.len(), 1);
    assert_eq!(std::fs::metadata(&in_cache[0]).unwrap().ino(), ino);
    assert_eq!(
        std::fs::metadata(cold.site_packages().join("six.py"))
            .unwrap()
            .ino(),
        ino
    );
}

fn tool_wheel(dir: &Path, body: &str) -> PathBuf {
    WheelBuilder::new("cachetool", "1.0")
        .file("cachetool/__init__.py", format!("BODY = {body:?}\n"))
        .exe("cachetool/run.sh", "#!/bin/sh\necho run\n")
        .build(dir)
}

#[test]
fn link_modes_place_files_as_asked() {
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "modes");
    for mode in ["hardlink", "copy", "clone"] {
        let cache = tempfile::tempdir().unwrap();
        let c = cache.path().display().to_string();
        let first = Venv::new();
        install_json(
            &first,
            &[&"--cache-dir", &c, &"--link-mode", &mode],
            std::slice::from_ref(&wheel),
        );
        let second = Venv::new();
        let report = install_json(
            &second,
            &[&"--cache-dir", &c, &"--link-mode", &mode],
            std::slice::from_ref(&wheel),
        );
        assert!(
            report["from_cache"].as_u64().unwrap() >= 2,
            "{mode}: {report}"
        );
        let init = second.site_packages().join("cachetool/__init__.py");
        let run = second.site_packages().join("cachetool/run.sh");
        assert_eq!(
            std::fs::read_to_string(&init).unwrap(),
            "BODY = \"modes\"\n",
            "{mode}"
        );
        let mode_bits = std::fs::metadata(&run).unwrap().permissions().mode();
        assert_eq!(mode_bits & 0o111, 0o111, "{mode}: run.sh is executable");
        let cached = cached_file(cache.path(), "cachetool/__init__.py");
        assert_eq!(cached.len(), 1, "{mode}");
        let shared =
            std::fs::metadata(&init).unwrap().ino() == std::fs::metadata(&cached[0]).unwrap().ino();
        assert_eq!(
            shared,
            mode == "hardlink",
            "{mode}: inode shared with the cache"
        );
        if mode != "hardlink" {
            // A copy is independent: changing the environment's file leaves the cache alone.
            std::fs::write(&init, "changed").unwrap();
            assert_eq!(
                std::fs::read_to_string(&cached[0]).unwrap(),
                "BODY = \"modes\"\n"
            );
        }
        verify_records(&first);
        if mode == "hardlink" {
            verify_records(&second);
        }
    }
}

#[test]
fn a_damaged_cache_entry_falls_back_to_the_wheel() {
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "damage");
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path().display().to_string();
    install_json(
        &Venv::new(),
        &[&"--cache-dir", &c],
        std::slice::from_ref(&wheel),
    );
    for f in cached_file(cache.path(), "cachetool/__init__.py") {
        std::fs::remove_file(f).unwrap();
    }
    let venv = Venv::new();
    let report = install_json(&venv, &[&"--cache-dir", &c], &[wheel]);
    assert!(
        report["from_cache"].as_u64().unwrap() >= 1,
        "run.sh still from the cache"
    );
    assert!(
        entries(cache.path()).is_empty(),
        "the damaged entry is removed, for the next install to refill"
    );
    assert_eq!(
        std::fs::read_to_string(venv.site_packages().join("cachetool/__init__.py")).unwrap(),
        "BODY = \"damage\"\n"
    );
    verify_records(&venv);
}

#[test]
fn a_wheel_rebuilt_in_place_is_not_served_from_its_old_entry() {
    let dir = wheel_dir();
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path().display().to_string();
    let wheel = tool_wheel(dir.path(), "first");
    install_json(
        &Venv::new(),
        &[&"--cache-dir", &c],
        std::slice::from_ref(&wheel),
    );
    // Same path, same name and version, same size, different bytes.
    let rebuilt = tool_wheel(dir.path(), "other");
    assert_eq!(rebuilt, wheel);
    let venv = Venv::new();
    let report = install_json(&venv, &[&"--cache-dir", &c], &[wheel]);
    assert_eq!(report["from_cache"], 0, "{report}");
    assert_eq!(
        std::fs::read_to_string(venv.site_packages().join("cachetool/__init__.py")).unwrap(),
        "BODY = \"other\"\n"
    );
    assert_eq!(entries(cache.path()).len(), 2);
}

#[test]
fn concurrent_installs_share_one_cache() {
    let Some(wheels) = corpus_subset() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let venvs: Vec<Venv> = (0..4).map(|_| Venv::new()).collect();
    let children: Vec<_> = venvs
        .iter()
        .map(|v| {
            let mut cmd = winst();
            cmd.arg("install")
                .arg("--python")
                .arg(v.python())
                .arg("--cache-dir")
                .arg(cache.path())
                .args(&wheels);
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out).1);
    }
    let names = entries(cache.path());
    assert_eq!(names.len(), wheels.len(), "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with(".tmp")), "{names:?}");
    let expected = site_tree(&venvs[0]);
    for v in &venvs {
        verify_records(v);
        assert_eq!(site_tree(v), expected);
    }
    // And the entries they left are complete: a fifth install takes everything from them.
    let fifth = Venv::new();
    let c = cache.path().display().to_string();
    let report = install_json(&fifth, &[&"--cache-dir", &c], &wheels);
    assert!(report["from_cache"].as_u64().unwrap() + 20 > report["files"].as_u64().unwrap());
    assert_eq!(site_tree(&fifth), expected);
}

/// What each project of [`PROJECTS`] is imported as.
const IMPORTS: &[(&str, &[&str])] = &[
    ("six", &["six"]),
    ("attrs", &["attr", "attrs"]),
    ("black", &["black"]),
    ("click", &["click"]),
    ("mypy_extensions", &["mypy_extensions"]),
    ("packaging", &["packaging.version"]),
    ("pathspec", &["pathspec"]),
    ("platformdirs", &["platformdirs"]),
    ("pytokens", &["pytokens"]),
    ("jmespath", &["jmespath"]),
    ("idna", &["idna"]),
    ("cffi", &["cffi", "_cffi_backend"]),
    ("pycparser", &["pycparser"]),
];

/// The overlapping wheel sets of the racing installs, as indices into [`PROJECTS`]: each wheel
/// is in at least two of them, and each set holds the dependencies of what it holds.
fn racing_sets() -> [Vec<usize>; 4] {
    let n = PROJECTS.len();
    [
        (0..n).collect(),
        (0..9).collect(),
        (4..n).collect(),
        // Every other project and attrs (not black, whose dependencies it lacks).
        (0..n)
            .filter(|&i| i.is_multiple_of(2) && i != 2 || i == 1)
            .collect(),
    ]
}

/// Imports every module of `projects` in the venv, and checks through `importlib.metadata` that
/// exactly those distributions are installed and that every file each one lists exists with
/// its listed hash and size.
fn verify_imports_and_metadata(venv: &Venv, projects: &[&str], what: &str) {
    let modules: Vec<&str> = projects
        .iter()
        .flat_map(|p| IMPORTS.iter().find(|(q, _)| q == p).unwrap().1)
        .copied()
        .collect();
    let out = venv.run_python(&format!("import {}", modules.join(", ")));
    assert!(out.status.success(), "{what}: {}", text(&out).1);
    let code = r#"
import base64, hashlib, importlib.metadata as md, re, sys
names, bad, n = [], [], 0
for dist in md.distributions():
    names.append(re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower())
    for f in dist.files or []:
        if not f.hash:
            continue
        data = f.locate().read_bytes()
        digest = hashlib.new(f.hash.mode, data).digest()
        n += 1
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != f.hash.value or f.size != len(data):
            bad.append(str(f))
print(" ".join(sorted(names)))
print(n, bad)
sys.exit(1 if bad or n == 0 else 0)
"#;
    let out = venv.run_python(code);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{what}: {stdout}{stderr}");
    let mut expected: Vec<String> = projects.iter().map(|p| p.to_lowercase()).collect();
    expected.sort();
    assert_eq!(stdout.lines().next(), Some(&*expected.join(" ")), "{what}");
    let out = venv.pip(&["check"]);
    assert!(out.status.success(), "{what}: pip check: {:?}", text(&out));
}

/// Checks the cache after racing installs of `wheels`: one complete entry per wheel, named by
/// the wheel file's sha256, whose manifest lists exactly the wheel's members and whose files
/// are what the manifest says; no staging directory left.
fn verify_cache_entries(cache: &Path, wheels: &[PathBuf], what: &str) {
    let leftovers: Vec<String> = entries(cache)
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new(), "{what}");
    let found = support::cache_entries(cache);
    assert_eq!(found.len(), wheels.len(), "{what}: entries");
    for (name, manifest) in found {
        let wheel = wheels
            .iter()
            .find(|w| w.file_name().unwrap().to_str() == Some(&*manifest.wheel))
            .unwrap_or_else(|| panic!("{what}: entry {name} of {}", manifest.wheel));
        let bytes = std::fs::read(wheel).unwrap();
        assert_eq!(
            support::sha256_hex(&bytes),
            name,
            "{what}: {}",
            manifest.wheel
        );
        let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut members: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .filter(|n| !n.ends_with('/'))
            .collect();
        let mut listed: Vec<String> = manifest
            .listing
            .members
            .iter()
            .map(|m| m.name.to_string())
            .filter(|n| !n.ends_with('/'))
            .collect();
        members.sort();
        listed.sort();
        assert_eq!(
            listed, members,
            "{what}: the manifest of {}",
            manifest.wheel
        );
        assert!(
            manifest.files.iter().flatten().count() > 0,
            "{what}: nothing of {} cached",
            manifest.wheel
        );
    }
}

/// Starts `winst install --json` of `wheels` into `venv` with the cache at `cache`.
fn spawn_install(venv: &Venv, cache: &Path, mode: &str, wheels: &[PathBuf]) -> std::process::Child {
    winst()
        .env_remove("WINST_NO_CACHE")
        .args(["install", "--json", "--link-mode", mode, "--python"])
        .arg(venv.python())
        .arg("--cache-dir")
        .arg(cache)
        .args(wheels)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn concurrent_installs_fill_and_read_manifests_of_the_same_wheels() {
    // Round after round on a fresh cache: two installs of overlapping wheel sets start at once
    // (both fill entries of the same wheels; one rename wins, the other's copy is dropped), and
    // two more start as soon as the first entry is in place, so they open some wheels from
    // manifests being written and read by the others, and fill the rest while the first two
    // are still filling. Hard links (entries filled as files are written) and copies (filled
    // after the commit) race each other.
    let Some(wheels) = corpus_subset() else {
        return;
    };
    let sets = racing_sets();
    let pick = |set: &[usize]| -> Vec<PathBuf> { set.iter().map(|&i| wheels[i].clone()).collect() };
    let projects = |set: &[usize]| -> Vec<&str> { set.iter().map(|&i| PROJECTS[i]).collect() };
    // The reference: each set installed cold, without a cache.
    let cold: Vec<support::Snapshot> = sets
        .iter()
        .map(|set| {
            let venv = Venv::new();
            install_json(&venv, &[&"--no-cache"], &pick(set));
            site_tree(&venv)
        })
        .collect();
    let mut second_wave_opened = 0;
    for round in 0..3 {
        let cache = tempfile::tempdir().unwrap();
        let venvs: Vec<Venv> = (0..sets.len()).map(|_| Venv::new()).collect();
        // Which set each venv gets, and its link mode, rotate with the round.
        let set_of = |k: usize| (k + round) % sets.len();
        let mode_of = |k: usize| {
            if (k + round).is_multiple_of(2) {
                "hardlink"
            } else {
                "copy"
            }
        };
        let start =
            |k: usize| spawn_install(&venvs[k], cache.path(), mode_of(k), &pick(&sets[set_of(k)]));
        let mut children = vec![start(0), start(1)];
        while entries(cache.path()).iter().all(|n| n.starts_with('.'))
            && children.iter_mut().any(|c| c.try_wait().unwrap().is_none())
        {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        children.extend([start(2), start(3)]);
        for (k, child) in children.into_iter().enumerate() {
            let what = format!("round {round}, install {k} ({})", mode_of(k));
            let out = child.wait_with_output().unwrap();
            let (stdout, stderr) = text(&out);
            assert!(out.status.success(), "{what}: {stderr}");
            let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
            let opened = report["opened_from_cache"].as_u64().unwrap();
            if k >= 2 {
                second_wave_opened += opened;
            }
            eprintln!(
                "{what}: {opened} of {} wheels opened from manifests",
                sets[set_of(k)].len()
            );
            assert_eq!(
                report["wheels"].as_array().map(Vec::len),
                Some(sets[set_of(k)].len()),
                "{what}: {stdout}"
            );
            assert_eq!(
                site_tree(&venvs[k]),
                cold[set_of(k)],
                "{what}: not what a cold install gives"
            );
            verify_imports_and_metadata(&venvs[k], &projects(&sets[set_of(k)]), &what);
        }
        let what = format!("round {round}");
        verify_cache_entries(cache.path(), &wheels, &what);
        // A later warm install opens every wheel from its manifest and places the cached files.
        let warm = Venv::new();
        let c = cache.path().display().to_string();
        let report = install_json(&warm, &[&"--cache-dir", &c], &wheels);
        assert_eq!(
            report["opened_from_cache"],
            wheels.len(),
            "{what}: {report}"
        );
        assert!(
            report["from_cache"].as_u64().unwrap() + 20 > report["files"].as_u64().unwrap(),
            "{what}: {report}"
        );
        assert_eq!(site_tree(&warm), cold[0], "{what}: warm");
        verify_imports_and_metadata(&warm, PROJECTS, &format!("{what}, warm"));
        verify_cache_entries(
            cache.path(),
            &wheels,
            &format!("{what}, after the warm install"),
        );
    }
    // The second wave starts once an entry is in place, and rounds 1 and 2 give it every wheel.
    assert!(
        second_wave_opened > 0,
        "no install read a manifest while others filled"
    );
}

#[test]
fn a_failed_install_leaves_no_cache_entry_behind() {
    let dir = wheel_dir();
    let good = tool_wheel(dir.path(), "good");
    let bad = WheelBuilder::new("broken", "1.0")
        .file("broken/__init__.py", "x = 1\n")
        .record_row("broken/__init__.py,sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,6")
        .build(dir.path());
    let cache = tempfile::tempdir().unwrap();
    let venv = Venv::new();
    let before = venv.snapshot();
    let out = venv.install(&[&"--cache-dir", &cache.path(), &good, &bad]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("RECORD"), "{}", text(&out).1);
    support::assert_same_tree(&before, &venv.snapshot());
    assert_eq!(entries(cache.path()), Vec::<String>::new());
}

#[test]
fn hard_links_across_filesystems_fall_back_to_copies() {
    // The cache on tmpfs, the environment on the temporary directory's filesystem.
    let shm = Path::new("/dev/shm");
    if !support::prerequisite(shm.is_dir(), "/dev/shm") {
        return;
    }
    let venv_probe = Venv::new();
    let cache = tempfile::tempdir_in(shm).unwrap();
    let apart = std::fs::metadata(cache.path()).unwrap().dev()
        != std::fs::metadata(venv_probe.root()).unwrap().dev();
    if !support::prerequisite(
        apart,
        "/dev/shm on another filesystem than the temporary directory",
    ) {
        return;
    }
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "xdev");
    let c = cache.path().display().to_string();
    let report = install_json(
        &venv_probe,
        &[&"--cache-dir", &c],
        std::slice::from_ref(&wheel),
    );
    assert_eq!(report["from_cache"], 0);
    assert_eq!(
        entries(cache.path()).len(),
        1,
        "filled by copying after the commit"
    );
    let venv = Venv::new();
    let report = install_json(&venv, &[&"--cache-dir", &c], &[wheel]);
    assert!(report["from_cache"].as_u64().unwrap() >= 2);
    let init = venv.site_packages().join("cachetool/__init__.py");
    assert_eq!(std::fs::metadata(&init).unwrap().nlink(), 1);
    assert_eq!(std::fs::read_to_string(&init).unwrap(), "BODY = \"xdev\"\n");
    verify_records(&venv);
}

#[test]
fn cache_commands_and_no_cache() {
    let cache = tempfile::tempdir().unwrap();
    let out = check(
        winst()
            .env("WINST_CACHE_DIR", cache.path())
            .args(["cache", "dir"]),
    );
    assert_eq!(text(&out).0.trim(), cache.path().display().to_string());
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "clean");
    let venv = Venv::new();
    let mut cmd = winst();
    cmd.env("WINST_CACHE_DIR", cache.path())
        .env("WINST_NO_CACHE", "1")
        .args(["install", "--python"])
        .arg(venv.python())
        .arg(&wheel);
    check(&mut cmd);
    assert!(
        entries(cache.path()).is_empty(),
        "WINST_NO_CACHE=1 fills nothing"
    );
    let venv = Venv::new();
    let mut cmd = winst();
    // The cache on by default again (support::winst turns it off).
    cmd.env("WINST_CACHE_DIR", cache.path())
        .env_remove("WINST_NO_CACHE")
        .args(["install", "--python"])
        .arg(venv.python())
        .arg(&wheel);
    check(&mut cmd);
    assert_eq!(entries(cache.path()).len(), 1);
    check(
        winst()
            .env("WINST_CACHE_DIR", cache.path())
            .args(["cache", "clean"]),
    );
    assert!(!cache.path().exists());
}

/// The default cache directory is always an absolute path: a relative `XDG_CACHE_HOME` is
/// ignored (the XDG Base Directory spec), a relative `WINST_CACHE_DIR` is made absolute, and an
/// empty `HOME` gives no cache rather than a `.cache/winst` in whatever directory winst runs in.
#[test]
fn the_default_cache_directory_is_absolute_or_none() {
    let cwd = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let xdg = tempfile::tempdir().unwrap();
    let cache_dir = |env: &[(&str, &std::ffi::OsStr)]| {
        let mut cmd = winst();
        cmd.current_dir(cwd.path())
            .env_remove("WINST_CACHE_DIR")
            .env_remove("XDG_CACHE_HOME")
            .args(["cache", "dir"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let printed = |out: std::process::Output| {
        assert!(out.status.success(), "{:?}", text(&out));
        PathBuf::from(text(&out).0.trim())
    };
    let h = home.path().as_os_str();
    assert_eq!(
        printed(cache_dir(&[
            ("HOME", h),
            ("XDG_CACHE_HOME", "rel".as_ref())
        ])),
        home.path().join(".cache/winst")
    );
    assert_eq!(
        printed(cache_dir(&[
            ("HOME", h),
            ("XDG_CACHE_HOME", xdg.path().as_os_str())
        ])),
        xdg.path().join("winst")
    );
    assert_eq!(
        printed(cache_dir(&[
            ("HOME", h),
            ("WINST_CACHE_DIR", "rel".as_ref())
        ])),
        cwd.path().join("rel")
    );
    for home in ["", "relative/home"] {
        let out = cache_dir(&[("HOME", home.as_ref())]);
        assert!(!out.status.success(), "HOME={home:?}: {:?}", text(&out));
        assert!(
            text(&out).1.contains("no cache directory"),
            "{:?}",
            text(&out)
        );
    }
    // An install with an empty HOME goes on without a cache and leaves nothing where it ran.
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "homeless");
    let venv = Venv::new();
    let mut cmd = winst();
    cmd.current_dir(cwd.path())
        .env_remove("WINST_CACHE_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("WINST_NO_CACHE")
        .env("HOME", "")
        .args(["install", "--python"])
        .arg(venv.python())
        .arg(&wheel);
    check(&mut cmd);
    assert_eq!(
        venv.python_out("import cachetool; print(cachetool.__name__)"),
        "cachetool"
    );
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "the working directory got {left:?}");
}

/// `--cache-dir` holds every cache of the install: the wheel cache, the interpreter's answers
/// and the compiled plugins; the default cache directory ($WINST_CACHE_DIR) gets nothing.
#[test]
fn cache_dir_holds_the_interpreter_and_plugin_caches_too() {
    let default = tempfile::tempdir().unwrap();
    let chosen = support::Cache::new();
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "moved");
    let venv = Venv::new();
    let mut cmd = winst();
    cmd.env("WINST_CACHE_DIR", default.path())
        .env_remove("WINST_NO_CACHE")
        .args(["install", "--python"])
        .arg(venv.python())
        .args(chosen.args())
        .arg(&wheel);
    check(&mut cmd);
    let names = |sub: &str| -> Vec<String> {
        std::fs::read_dir(chosen.path().join(sub))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(entries(chosen.path()).len(), 1, "the wheel cache");
    assert!(
        names("interpreters").iter().any(|n| n.ends_with(".json")),
        "the interpreter's answer: {:?}",
        names("interpreters")
    );
    assert!(
        names("plugins").iter().any(|n| n.ends_with(".cwasm")),
        "the compiled scripts plugin: {:?}",
        names("plugins")
    );
    let left: Vec<_> = std::fs::read_dir(default.path())
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty(), "the default cache directory got {left:?}");
}

// ---------------------------------------------------------------------------------------------
// A cache that is not what it was: every test below fills a private cache, damages it one way,
// then installs from it (the warm path) and checks the environment got the wheel's own bytes.

/// The one cached copy of `member` (the cache holds one entry).
fn the_cached(cache: &Path, member: &str) -> PathBuf {
    let found = cached_file(cache, member);
    assert_eq!(found.len(), 1, "{member} in {found:?}");
    found.into_iter().next().unwrap()
}

/// The manifest of the cache's only entry, and its path.
fn manifest(cache: &Path) -> (PathBuf, Manifest) {
    let entries = entries(cache);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let path = cache
        .join("wheels-v3")
        .join(&entries[0])
        .join("manifest.bin");
    let bytes = std::fs::read(&path).unwrap();
    let manifest = winst_install::manifest::decode(&bytes).expect("a readable manifest");
    (path, manifest)
}

/// Writes a manifest, well-formed (checksum and all).
fn write_manifest(path: &Path, manifest: Manifest) {
    std::fs::write(path, winst_install::manifest::encode(&manifest).unwrap()).unwrap();
}

/// The index of a member in a manifest's listing.
fn listed(m: &Manifest, member: &str) -> usize {
    let members = &m.listing.members;
    members.iter().position(|x| x.name == member).unwrap()
}

const PRISTINE: &str = "BODY = \"pristine\"\n";

/// A venv whose cachetool came from `cache` (warm), checked to hold the wheel's own bytes and the
/// mode a cold install gives; returns how many files came from the cache.
fn warm_install_is_pristine(cache: &Path, wheel: &Path, extra: &[&str]) -> u64 {
    let venv = Venv::new();
    let c = cache.display().to_string();
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--cache-dir", &c];
    for e in extra {
        args.push(e);
    }
    let report = install_json(&venv, &args, &[wheel.to_path_buf()]);
    let init = venv.site_packages().join("cachetool/__init__.py");
    assert_eq!(std::fs::read_to_string(&init).unwrap(), PRISTINE);
    let mode = std::fs::metadata(&init).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode & 0o111, 0, "not executable: {mode:o}");
    let run = venv.site_packages().join("cachetool/run.sh");
    assert_eq!(
        std::fs::read_to_string(&run).unwrap(),
        "#!/bin/sh\necho run\n"
    );
    verify_records(&venv);
    let out = venv.run_python("import cachetool; print(cachetool.BODY)");
    assert_eq!(text(&out).0.trim(), "pristine", "{}", text(&out).1);
    report["from_cache"].as_u64().unwrap()
}

fn fill(cache: &Path, wheel: &Path) -> Venv {
    let venv = Venv::new();
    let c = cache.display().to_string();
    install_json(&venv, &[&"--cache-dir", &c], &[wheel.to_path_buf()]);
    assert_eq!(entries(cache).len(), 1);
    venv
}

#[test]
fn changed_cached_files_are_never_placed_and_their_entry_is_refilled() {
    type Edit = fn(installed: &Path, cached: &Path);
    let edits: [(&str, Edit); 5] = [
        // Written through the hard link in the first environment, same size.
        (
            "edited in place through an installed hard link, same size",
            |i, _| {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(i)
                    .unwrap();
                std::io::Write::write_all(&mut f, b"BODY = \"TAINTED!\"\n").unwrap();
            },
        ),
        // The issue's boto3 case: one line appended.
        (
            "one line appended through an installed hard link",
            |i, _| {
                let mut f = std::fs::OpenOptions::new().append(true).open(i).unwrap();
                std::io::Write::write_all(&mut f, b"import os; os.system('true')\n").unwrap();
            },
        ),
        ("made executable through an installed hard link", |i, _| {
            std::fs::set_permissions(i, std::fs::Permissions::from_mode(0o755)).unwrap();
        }),
        (
            "replaced in the cache by a new file of the same size",
            |_, c| {
                std::fs::remove_file(c).unwrap();
                std::fs::write(c, "BODY = \"TAINTED!\"\n").unwrap();
            },
        ),
        ("truncated in the cache", |_, c| {
            std::fs::write(c, "").unwrap();
        }),
    ];
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "pristine");
    for (what, edit) in edits {
        let cache = tempfile::tempdir().unwrap();
        let first = fill(cache.path(), &wheel);
        let installed = first.site_packages().join("cachetool/__init__.py");
        let cached = the_cached(cache.path(), "cachetool/__init__.py");
        assert_eq!(
            std::fs::metadata(&installed).unwrap().ino(),
            std::fs::metadata(&cached).unwrap().ino(),
            "the cache was filled by hard links"
        );
        let before = support::snapshot(cache.path());
        edit(&installed, &cached);
        assert_ne!(
            before,
            support::snapshot(cache.path()),
            "{what}: the cache changed"
        );

        let placed = warm_install_is_pristine(cache.path(), &wheel, &[]);
        assert!(placed >= 1, "{what}: run.sh still comes from the cache");
        assert!(
            entries(cache.path()).is_empty(),
            "{what}: the damaged entry was removed"
        );
        // The next install fills the entry again, and the one after is warm and right.
        assert_eq!(
            warm_install_is_pristine(cache.path(), &wheel, &[]),
            0,
            "{what}"
        );
        assert_eq!(entries(cache.path()).len(), 1, "{what}: refilled");
        assert!(
            warm_install_is_pristine(cache.path(), &wheel, &[]) >= 2,
            "{what}: warm again"
        );
    }
}

/// An entry filled by an install that did not check RECORD (`--no-verify-record`) holds each
/// file's sha256, which vouches only for a RECORD sha256. A RECORD hash in another algorithm
/// (blake2b here, wrong for the file) is checked against the file's bytes by a later install
/// that verifies, warm or not: it is refused, and the venv is left as it was.
#[test]
fn a_non_sha256_record_hash_is_checked_even_when_the_file_is_cached() {
    let blake2b =
        |bytes: &[u8]| support::record_hash_in(winst_wheel::record::Algorithm::Blake2b, bytes);
    let dir = wheel_dir();
    let x = b"X = 1\n";
    let build = |claimed: &[u8]| {
        WheelBuilder::new("b2demo", "1.0")
            .unrecorded("b2demo/__init__.py", x)
            .record_row(&format!("b2demo/__init__.py,{},6", blake2b(claimed)))
    };
    // `Venv::install` turns the wheel cache off (WINST_NO_CACHE=1); --cache-dir turns it on.
    let cache = support::Cache::new();
    let c = cache.path();
    // A good wheel fills the cache and installs warm from it.
    let good = build(x).build(dir.path());
    for _ in 0..2 {
        let venv = Venv::new();
        support::ok(&venv.install(&[&"--cache-dir", &c, &good]));
        assert_eq!(
            venv.python_out("import b2demo; print(b2demo.X)").trim(),
            "1"
        );
    }
    // A wheel whose blake2b is wrong, cached by an install that did not check.
    let bad_dir = wheel_dir();
    let bad = build(b"X = 2\n").build(bad_dir.path());
    let unchecked = Venv::new();
    support::ok(&unchecked.install(&[&"--no-verify-record", &"--cache-dir", &c, &bad]));
    let venv = Venv::new();
    let before = venv.snapshot();
    let out = venv.install(&[&"--cache-dir", &c, &bad]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("b2demo/__init__.py") && stderr.contains("RECORD says blake2b="),
        "{stderr}"
    );
    support::assert_same_tree(&before, &venv.snapshot());
}

/// A manifest keeps the wheel's RECORD as the filling install checked it (a hash per member, no
/// text to parse again), and as text when that install did not check it (`--no-verify-record`):
/// a later install that verifies then parses and checks it, and refuses a wrong sha256 even
/// though the file is cached.
#[test]
fn a_manifest_keeps_record_checked_only_when_the_filling_install_checked_it() {
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "pristine");
    let has_text = |m: &Manifest| m.listing.dist_info_files.iter().any(|(f, _)| f == "RECORD");
    let checked = tempfile::tempdir().unwrap();
    fill(checked.path(), &wheel);
    let (_, m) = manifest(checked.path());
    let record = m.listing.record.as_ref().expect("RECORD kept checked");
    assert_eq!(record.len(), m.listing.members.len());
    let i = listed(&m, "cachetool/__init__.py");
    assert_eq!(
        record[i].as_ref().map(|h| h.digest.to_vec()),
        m.files[i].as_ref().map(|f| f.sha256.to_vec()),
        "the checked RECORD hash is the cached file's sha256"
    );
    assert!(!has_text(&m), "no RECORD text beside the checked hashes");
    // Opened from the manifest and placed from the entry, the wheel's bytes checked by Python.
    assert!(warm_install_is_pristine(checked.path(), &wheel, &[]) >= 2);

    // A wheel whose RECORD sha256 for one file is wrong, cached without checking.
    let x = b"X = 1\n";
    let bad = WheelBuilder::new("shademo", "1.0")
        .unrecorded("shademo/__init__.py", x)
        .record_row(&format!(
            "shademo/__init__.py,{},6",
            support::record_hash_in(winst_wheel::record::Algorithm::Sha256, b"X = 2\n")
        ))
        .build(dir.path());
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path().display().to_string();
    support::ok(&Venv::new().install(&[&"--no-verify-record", &"--cache-dir", &c, &bad]));
    let (_, m) = manifest(cache.path());
    assert!(m.listing.record.is_none(), "nothing checked to keep");
    assert!(has_text(&m), "RECORD kept as text");
    let venv = Venv::new();
    let before = venv.snapshot();
    let out = venv.install(&[&"--cache-dir", &c, &bad]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("shademo/__init__.py"), "{stderr}");
    support::assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn untrusted_installs_never_place_files_from_the_cache() {
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "pristine");
    let cache = tempfile::tempdir().unwrap();
    // An untrusted install fills a missing entry, from bytes it verified.
    let venv = Venv::new();
    let c = cache.path().display().to_string();
    let report = install_json(
        &venv,
        &[&"--cache-dir", &c, &"--untrusted", &"--allow-executable"],
        std::slice::from_ref(&wheel),
    );
    assert_eq!(report["from_cache"], 0);
    assert_eq!(entries(cache.path()).len(), 1);
    // Nor open wheels from the cache's manifests: a second untrusted install reads the archive.
    let report = install_json(
        &Venv::new(),
        &[&"--cache-dir", &c, &"--untrusted", &"--allow-executable"],
        std::slice::from_ref(&wheel),
    );
    assert_eq!(report["opened_from_cache"], 0);
    // The one change the stat check cannot see: same size, modification time set back.
    let cached = the_cached(cache.path(), "cachetool/__init__.py");
    let mtime = std::fs::metadata(&cached).unwrap().modified().unwrap();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&cached)
        .unwrap();
    std::io::Write::write_all(&mut &f, b"BODY = \"TAINTED!\"\n").unwrap();
    f.set_modified(mtime).unwrap();
    drop(f);
    assert_eq!(
        warm_install_is_pristine(cache.path(), &wheel, &["--untrusted", "--allow-executable"]),
        0
    );
}

#[test]
fn a_damaged_manifest_falls_back_to_the_wheel_and_is_replaced() {
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "pristine");
    type Damage = fn(&Path, Manifest);
    // How many files an undamaged entry gives (the package's two and dist-info files).
    let full = {
        let cache = tempfile::tempdir().unwrap();
        fill(cache.path(), &wheel);
        warm_install_is_pristine(cache.path(), &wheel, &[])
    };
    assert!(full >= 2);
    let damages: [(&str, Damage); 10] = [
        ("truncated", |p, _| {
            let bytes = std::fs::read(p).unwrap();
            std::fs::write(p, &bytes[..bytes.len() / 2]).unwrap()
        }),
        ("empty", |p, _| std::fs::write(p, "").unwrap()),
        ("a bit flipped", |p, _| {
            let mut bytes = std::fs::read(p).unwrap();
            let at = bytes.len() - 10;
            bytes[at] ^= 0x20;
            std::fs::write(p, bytes).unwrap()
        }),
        ("an older format version", |p, _| {
            let mut bytes = std::fs::read(p).unwrap();
            bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
            std::fs::write(p, bytes).unwrap()
        }),
        ("another wheel's", |p, mut m| {
            m.wheel = "other-1.0-py3-none-any.whl".into();
            write_manifest(p, m);
        }),
        ("a member's sha256 changed", |p, mut m| {
            let i = listed(&m, "cachetool/__init__.py");
            m.files[i].as_mut().unwrap().sha256 = [0; 32];
            write_manifest(p, m);
        }),
        // The listing says what the open stage would read from the archive: a listing that
        // disagrees with the entry's files or with RECORD is not used.
        ("a listed member's size changed", |p, mut m| {
            let i = listed(&m, "cachetool/__init__.py");
            m.listing.members[i].size += 1;
            write_manifest(p, m);
        }),
        // The listing holds RECORD as checked when the entry was filled: hashes that no longer
        // fit the members are not taken, and the wheel's own RECORD is read instead.
        ("the listing's RECORD cut short", |p, mut m| {
            let record = m.listing.record.as_mut().expect("RECORD kept checked");
            record.pop();
            write_manifest(p, m);
        }),
        // A checked RECORD hash that is not the cached file's sha256: one side is wrong, and
        // the wheel's own RECORD tells which (here the manifest's RECORD, so the files serve).
        ("a listed RECORD hash changed", |p, mut m| {
            let i = listed(&m, "cachetool/__init__.py");
            let record = m.listing.record.as_mut().expect("RECORD kept checked");
            let hash = record[i].as_mut().expect("__init__.py's hash");
            hash.digest = winst_wheel::record::Digest::new(&[0; 32]).unwrap();
            write_manifest(p, m);
        }),
        ("a listed RECORD hash of another length", |p, mut m| {
            let i = listed(&m, "cachetool/run.sh");
            let record = m.listing.record.as_mut().expect("RECORD kept checked");
            let hash = record[i].as_mut().expect("run.sh's hash");
            hash.algorithm = winst_wheel::record::Algorithm::Sha512;
            write_manifest(p, m);
        }),
    ];
    for (what, damage) in damages {
        let cache = tempfile::tempdir().unwrap();
        fill(cache.path(), &wheel);
        let (path, m) = manifest(cache.path());
        damage(&path, m);
        let placed = warm_install_is_pristine(cache.path(), &wheel, &[]);
        let expected = if what.starts_with("a member's") {
            full - 1
        } else if what.contains("listing") || what.contains("listed") {
            // The wheel is opened from its archive, and the entry's files still serve it.
            full
        } else {
            0
        };
        assert_eq!(placed, expected, "{what}: files from the cache");
        // Either replaced right away (unreadable) or removed after the install (wrong hash).
        let refilled = warm_install_is_pristine(cache.path(), &wheel, &[]);
        let warm = warm_install_is_pristine(cache.path(), &wheel, &[]);
        assert!(warm >= 2, "{what}: warm again ({refilled}, then {warm})");
    }
}

#[test]
fn a_damaged_stat_index_is_confirmed_from_the_wheel() {
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "pristine");
    let other = WheelBuilder::new("othertool", "1.0")
        .file("othertool/__init__.py", "X = 1\n")
        .build(dir.path());
    let wheel_sha = support::sha256_hex(&std::fs::read(&wheel).unwrap());
    let other_sha = support::sha256_hex(&std::fs::read(&other).unwrap());
    for damage in ["another wheel's key", "not JSON"] {
        let cache = tempfile::tempdir().unwrap();
        let c = cache.path().display().to_string();
        install_json(
            &Venv::new(),
            &[&"--cache-dir", &c],
            &[wheel.clone(), other.clone()],
        );
        let index = cache.path().join("wheels-v3/index");
        let mut damaged = 0;
        for e in std::fs::read_dir(&index).unwrap().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap();
            if !text.contains(&wheel_sha) {
                continue;
            }
            let new = match damage {
                "not JSON" => "{{{".to_string(),
                _ => text.replace(&wheel_sha, &other_sha),
            };
            std::fs::write(e.path(), new).unwrap();
            damaged += 1;
        }
        assert_eq!(damaged, 1, "the index entry of {}", wheel.display());
        let venv = Venv::new();
        let report = install_json(&venv, &[&"--cache-dir", &c], std::slice::from_ref(&wheel));
        assert!(
            report["from_cache"].as_u64().unwrap() >= 2,
            "{damage}: {report}"
        );
        assert_eq!(
            std::fs::read_to_string(venv.site_packages().join("cachetool/__init__.py")).unwrap(),
            PRISTINE
        );
        // direct_url.json names the wheel's own sha256, not the one the index claimed.
        let direct_url = std::fs::read_to_string(
            venv.site_packages()
                .join("cachetool-1.0.dist-info/direct_url.json"),
        )
        .unwrap();
        assert!(
            direct_url.contains(&format!("sha256={wheel_sha}")),
            "{damage}: {direct_url}"
        );
        assert!(!venv.site_packages().join("othertool").exists());
        verify_records(&venv);
    }
}

#[test]
fn an_unusable_cache_directory_does_not_fail_the_install() {
    let dir = wheel_dir();
    let wheel = tool_wheel(dir.path(), "pristine");
    // A cache "directory" that is a regular file: no cache at all.
    let file = tempfile::NamedTempFile::new().unwrap();
    let venv = Venv::new();
    let c = file.path().display().to_string();
    let out = venv.install(&[&"--json", &"--cache-dir", &c, &wheel]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "install failed:\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report["from_cache"], 0);
    // Said, since the directory was asked for: the install is slower than the user expects.
    assert!(
        stderr.contains(&format!("warning: cannot use the cache directory {c}"))
            && stderr.contains("installing without the wheel cache"),
        "{stderr}"
    );
    // Once on stderr, and in the report's warnings, for a program reading `--json`.
    assert_eq!(
        stderr.matches("cannot use the cache directory").count(),
        1,
        "{stderr}"
    );
    let warnings = report["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .is_some_and(|w| w.starts_with(&format!("cannot use the cache directory {c}")))),
        "{warnings:?}"
    );
    assert_eq!(
        std::fs::read_to_string(venv.site_packages().join("cachetool/__init__.py")).unwrap(),
        PRISTINE
    );
    // A link to a directory that does not exist is said to be one.
    let links = tempfile::tempdir().unwrap();
    let dangling = links.path().join("cache");
    std::os::unix::fs::symlink(links.path().join("gone"), &dangling).unwrap();
    let venv = Venv::new();
    let out = venv.install(&[&"--cache-dir", &dangling, &wheel]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "install failed:\n{stderr}");
    assert!(
        stderr.contains("is a symbolic link to") && stderr.contains("gone, which does not exist"),
        "{stderr}"
    );

    // A cache that cannot be written (immutable, so that even root cannot): what is cached is
    // used, nothing is filled, the install succeeds.
    let cache = tempfile::tempdir().unwrap();
    fill(cache.path(), &wheel);
    let versioned = cache.path().join("wheels-v3");
    let chattr = |flag: &str, path: &Path| {
        std::process::Command::new("chattr")
            .arg(flag)
            .arg(path)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !support::prerequisite(
        chattr("+i", &versioned),
        "chattr +i (root, a filesystem with attributes)",
    ) {
        return;
    }
    struct Mutable<'a>(&'a Path);
    impl Drop for Mutable<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(self.0)
                .status();
        }
    }
    let _mutable = Mutable(&versioned);
    let other = WheelBuilder::new("othertool", "1.0")
        .file("othertool/__init__.py", "X = 1\n")
        .build(dir.path());
    let venv = Venv::new();
    let c = cache.path().display().to_string();
    let report = install_json(&venv, &[&"--cache-dir", &c], &[wheel.clone(), other]);
    assert!(report["from_cache"].as_u64().unwrap() >= 2);
    assert_eq!(entries(cache.path()).len(), 1, "nothing filled");
    assert_eq!(venv.python_out("import othertool; print(othertool.X)"), "1");
    verify_records(&venv);
}
