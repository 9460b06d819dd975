//! All or nothing: failures injected for real (a corrupt wheel found late, a read-only directory,
//! a file-size limit, a full filesystem, Ctrl-C), SIGKILL at many moments followed by recovery,
//! concurrent runs, and `winst uninstall` / `winst list` compared with pip.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

/// A package with `n` modules of about `size` bytes each.
fn many(name: &str, version: &str, n: usize, size: usize) -> WheelBuilder {
    let mut w = WheelBuilder::new(name, version).file(
        &format!("{name}/__init__.py"),
        format!("VERSION = '{version}'\n"),
    );
    for i in 0..n {
        let body = format!("# {name} {version} module {i}\n").repeat(size / 24 + 1);
        w = w.file(&format!("{name}/m{i:05}.py"), body);
    }
    w
}

fn journal(venv: &Venv) -> PathBuf {
    venv.root().join(".winst-journal")
}

/// Runs `cmd` and expects a failure that leaves the venv byte-identical; returns stderr.
fn fails_unchanged(venv: &Venv, cmd: &mut Command, before: &Snapshot) -> String {
    let out = cmd.output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(
        !out.status.success(),
        "expected a failure:\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("error:"), "{stderr}");
    assert_same_tree(before, &venv.snapshot());
    assert!(!journal(venv).exists());
    stderr
}

/// Runs the install `make` builds twice on the same venv: cold (no wheel cache), then filling an
/// empty private cache. Each must fail and leave the venv byte-identical, and the cache must end
/// without an entry or a temporary. Returns both stderrs (cold, filling).
fn install_fails_unchanged(
    venv: &Venv,
    make: &dyn Fn() -> Command,
    before: &Snapshot,
) -> [String; 2] {
    let cold = fails_unchanged(venv, &mut make(), before);
    let cache = Cache::new();
    let empty = cache.snapshot();
    let filling = fails_unchanged(venv, make().args(cache.args()), before);
    cache.assert_nothing_cached(&empty);
    [cold, filling]
}

fn install_cmd(venv: &Venv, wheels: &[&PathBuf]) -> Command {
    let mut cmd = winst();
    cmd.arg("install").arg("--python").arg(venv.python());
    cmd.args(wheels);
    cmd
}

/// Makes a directory unwritable for the duration of a test: `chattr +i` when running as root
/// (root ignores permission bits), `chmod 555` otherwise. `None` when the machine cannot.
struct ReadOnly(PathBuf, bool);

impl ReadOnly {
    fn new(dir: &Path) -> Option<ReadOnly> {
        let root = is_root();
        let ok = if root {
            Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success())
        } else {
            Command::new("chmod")
                .arg("555")
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success())
        };
        let how = if root {
            "chattr +i (root; e2fsprogs)"
        } else {
            "chmod 555"
        };
        if !prerequisite(ok, &format!("{how} to make {} read-only", dir.display())) {
            return None;
        }
        Some(ReadOnly(dir.to_path_buf(), root))
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.1 {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        } else {
            let _ = Command::new("chmod").arg("755").arg(&self.0).status();
        }
    }
}

/// A venv with `alpha 1.0` (a package with a subpackage that 2.0 drops) installed by winst.
fn venv_with_alpha_1(wheels: &Path) -> Venv {
    let venv = Venv::new();
    let old = many("alpha", "1.0", 20, 200)
        .file("alpha/legacy/__init__.py", "")
        .file("alpha/legacy/old.py", "OLD = True\n")
        .entry_points("[console_scripts]\nalpha = alpha:main\n")
        .build(wheels);
    check(&mut install_cmd(&venv, &[&old]));
    venv
}

#[test]
fn a_corrupt_wheel_found_late_rolls_back_an_upgrade() {
    let wheels = wheel_dir();
    let venv = venv_with_alpha_1(wheels.path());
    let alpha2 = many("alpha", "2.0", 50, 4000)
        .entry_points("[console_scripts]\nalpha = alpha:main\n")
        .build(wheels.path());
    let beta = many("beta", "1.0", 50, 4000).build(wheels.path());
    // The corrupt member is the smallest file, so it is written after the others (largest first).
    let broken = WheelBuilder::new("broken", "1.0")
        .file("broken/__init__.py", "x")
        .record_row("broken/__init__.py,sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,1")
        .build(wheels.path());
    let before = venv.snapshot();
    for stderr in install_fails_unchanged(
        &venv,
        &|| install_cmd(&venv, &[&alpha2, &beta, &broken]),
        &before,
    ) {
        assert!(stderr.contains("broken-1.0-py3-none-any.whl"), "{stderr}");
        assert!(stderr.contains("broken/__init__.py"), "{stderr}");
    }
    assert_eq!(venv.python_out("import alpha; print(alpha.VERSION)"), "1.0");
}

/// Upgrades alpha 1.0 to 2.0 (which drops alpha/legacy/) and installs beta, with `read_only` (a
/// directory in site-packages) unwritable; expects a failure that changes nothing, cold and
/// filling a cache. Returns the venv and both stderrs, or `None` when the machine cannot make a
/// directory read-only.
fn upgrade_with_read_only(read_only: &str, files: usize) -> Option<(Venv, [String; 2])> {
    let wheels = wheel_dir();
    let venv = venv_with_alpha_1(wheels.path());
    let alpha2 = many("alpha", "2.0", files, 500).build(wheels.path());
    let beta = many("beta", "1.0", files, 500).build(wheels.path());
    let before = venv.snapshot();
    let _ro = ReadOnly::new(&venv.site_packages().join(read_only))?;
    let stderr = install_fails_unchanged(&venv, &|| install_cmd(&venv, &[&beta, &alpha2]), &before);
    Some((venv, stderr))
}

#[test]
fn an_unwritable_directory_rolls_back() {
    // Writing alpha 2.0's files into alpha/ fails, after beta's were written.
    if let Some((_, stderrs)) = upgrade_with_read_only("alpha", 50) {
        for stderr in stderrs {
            assert!(stderr.contains("alpha/"), "{stderr}");
        }
    }
}

#[test]
fn a_failure_while_committing_restores_what_was_moved_aside() {
    // alpha/legacy/ can only be removed at commit, after alpha/*.py were already moved aside for
    // replacement: a read-only alpha/legacy makes that step fail, and they must come back.
    let Some((venv, stderrs)) = upgrade_with_read_only("alpha/legacy", 20) else {
        return;
    };
    for stderr in stderrs {
        assert!(stderr.contains("cannot move"), "{stderr}");
        assert!(stderr.contains("alpha/legacy/"), "{stderr}");
    }
    assert_eq!(venv.python_out("import alpha; print(alpha.VERSION)"), "1.0");
    let out = venv.pip(&["check"]);
    assert!(out.status.success(), "{:?}", text(&out));
}

#[test]
fn a_file_size_limit_rolls_back() {
    let wheels = wheel_dir();
    let venv = venv_with_alpha_1(wheels.path());
    let small = many("beta", "1.0", 30, 500).build(wheels.path());
    let big = WheelBuilder::new("big", "1.0")
        .file("big/__init__.py", "")
        .file("big/blob.bin", vec![7u8; 3 << 20])
        .build(wheels.path());
    let before = venv.snapshot();
    // RLIMIT_FSIZE of 1 MiB: writing the 3 MiB member fails with EFBIG (winst ignores SIGXFSZ).
    let limited = || {
        let mut cmd = Command::new(python3());
        cmd.args([
            "-c",
            "import os, resource, sys; \
             resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20)); \
             os.execv(sys.argv[1], sys.argv[1:])",
        ]);
        let inner = install_cmd(&venv, &[&small, &big]);
        cmd.arg(inner.get_program()).args(inner.get_args());
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd
    };
    for stderr in install_fails_unchanged(&venv, &limited, &before) {
        assert!(stderr.contains("big/blob.bin"), "{stderr}");
        assert!(stderr.to_lowercase().contains("file too large"), "{stderr}");
    }
}

/// Deterministic incompressible bytes.
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

#[test]
fn a_full_filesystem_rolls_back() {
    let work = tempfile::tempdir().unwrap();
    let mnt = work.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
        .arg(&mnt)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !prerequisite(mounted, "mounting a small tmpfs (root)") {
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mnt.clone());
    let venv_dir = tempfile::Builder::new()
        .prefix("venv-")
        .tempdir_in(&mnt)
        .unwrap();
    check(
        Command::new(python3())
            .args(["-m", "venv", "--without-pip"])
            .arg(venv_dir.path().join("env")),
    );
    let venv = Venv { dir: venv_dir };
    let wheels = wheel_dir();
    let fits = many("beta", "1.0", 20, 500).build(wheels.path());
    check(&mut install_cmd(&venv, &[&fits]));
    let mut huge = WheelBuilder::new("huge", "1.0").stored();
    for i in 0..3 {
        huge = huge.file(&format!("huge/part{i}.bin"), noise(4 << 20, i + 1));
    }
    let huge = huge.build(wheels.path());
    let alpha = many("alpha", "1.0", 20, 500).build(wheels.path());
    let before = venv.snapshot();
    for stderr in install_fails_unchanged(&venv, &|| install_cmd(&venv, &[&alpha, &huge]), &before)
    {
        assert!(stderr.contains("No space left on device"), "{stderr}");
    }
}

/// Waits until `path` exists (or the process ends); false on timeout.
fn wait_for(path: &Path, child: &mut std::process::Child, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if path.exists() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    false
}

#[test]
fn ctrl_c_rolls_back() {
    let wheels = wheel_dir();
    let venv = venv_with_alpha_1(wheels.path());
    let big = many("bulk", "1.0", 6000, 2000).build(wheels.path());
    let before = venv.snapshot();
    let mut child = install_cmd(&venv, &[&big])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The journal appears when the write stage starts.
    assert!(
        wait_for(&journal(&venv), &mut child, Duration::from_secs(60)),
        "the install never started writing"
    );
    std::thread::sleep(Duration::from_millis(20));
    check(Command::new("kill").args(["-INT", &child.id().to_string()]));
    let out = child.wait_with_output().unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_same_tree(&before, &venv.snapshot());
    assert!(!journal(&venv).exists());
}

#[test]
fn a_second_winst_waits_for_the_first() {
    let wheels = wheel_dir();
    let venv = Venv::new();
    let first = many("first", "1.0", 3000, 1000).build(wheels.path());
    let second = many("second", "1.0", 100, 1000).build(wheels.path());
    let mut a = install_cmd(&venv, &[&first])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_for(&journal(&venv), &mut a, Duration::from_secs(60)));
    let b = install_cmd(&venv, &[&second]).output().unwrap();
    let a = a.wait_with_output().unwrap();
    assert!(a.status.success(), "{:?}", text(&a));
    assert!(b.status.success(), "{:?}", text(&b));
    assert!(
        text(&b).1.contains("waiting for another winst process"),
        "{:?}",
        text(&b)
    );
    venv.python_out("import first, second");
    let out = venv.pip(&["check"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let list = text(&venv.pip(&["list", "--format=freeze"])).0;
    assert!(
        list.contains("first==1.0") && list.contains("second==1.0"),
        "{list}"
    );
}

#[test]
fn a_lock_held_too_long_is_a_clear_error() {
    let wheels = wheel_dir();
    let venv = Venv::new();
    let whl = many("solo", "1.0", 2, 10).build(wheels.path());
    // Another process holds the environment's lock (as a running winst would).
    let mut holder = Command::new(python3())
        .args([
            "-c",
            "import fcntl, os, sys, time\n\
             fd = os.open(sys.argv[1], os.O_RDONLY)\n\
             fcntl.flock(fd, fcntl.LOCK_EX)\n\
             print('locked', flush=True)\n\
             time.sleep(60)",
        ])
        .arg(venv.root())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    let before = venv.snapshot();
    let start = Instant::now();
    let stderrs = install_fails_unchanged(
        &venv,
        &|| {
            let mut cmd = install_cmd(&venv, &[&whl]);
            cmd.env("WINST_LOCK_TIMEOUT", "1");
            cmd
        },
        &before,
    );
    let _ = holder.kill();
    let _ = holder.wait();
    assert!(start.elapsed() < Duration::from_secs(30));
    for stderr in stderrs {
        assert!(
            stderr.contains("waiting for another winst process"),
            "{stderr}"
        );
        assert!(
            stderr.contains("another winst process is still working on"),
            "{stderr}"
        );
        assert!(stderr.contains("WINST_LOCK_TIMEOUT"), "{stderr}");
    }
}

// ---------------------------------------------------------------------------------------------
// Crashes at the critical moments, and SIGKILL at many moments, then recovery

/// How an install meets the wheel cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// No wheel cache: every file inflated from its wheel and verified.
    Cold,
    /// A cache filled by an earlier install into another venv: files placed from it.
    Warm,
}

/// A venv template and trial copies of it, always at the same path, so that whole snapshots of
/// trials (launchers, RECORDs and `pyvenv.cfg` included) compare byte for byte.
struct Trials {
    _work: tempfile::TempDir,
    template: PathBuf,
    trial: PathBuf,
    mode: Mode,
    cache: Cache,
}

impl Trials {
    /// A template venv with `old` installed (cold), and in warm mode a cache filled with `new`
    /// by an install into another venv.
    fn new(mode: Mode, old: &[&Path], new: &[&Path]) -> Trials {
        let work = tempfile::tempdir().unwrap();
        let template = work.path().join("template");
        check(
            Command::new(python3())
                .args(["-m", "venv", "--without-pip"])
                .arg(&template),
        );
        check(
            winst()
                .args(["install", "--python"])
                .arg(template.join("bin/python"))
                .args(old),
        );
        let cache = Cache::new();
        if mode == Mode::Warm {
            let filler = Venv::new();
            let report = install_json(
                winst()
                    .args(["install", "--json", "--python"])
                    .arg(filler.python())
                    .args(cache.args())
                    .args(new),
            );
            assert_eq!(report["from_cache"], 0, "the cache was empty");
            assert_eq!(cache.entries().len(), new.len(), "one entry per wheel");
        }
        Trials {
            trial: work.path().join("trial"),
            template,
            _work: work,
            mode,
            cache,
        }
    }

    /// A fresh copy of the template at the trial path.
    fn fresh(&self) {
        if self.trial.exists() {
            std::fs::remove_dir_all(&self.trial).unwrap();
        }
        check(
            Command::new("cp")
                .arg("-a")
                .arg(&self.template)
                .arg(&self.trial),
        );
    }

    fn python(&self) -> PathBuf {
        self.trial.join("bin/python")
    }

    fn journal(&self) -> PathBuf {
        self.trial.join(".winst-journal")
    }

    fn snapshot(&self) -> Snapshot {
        snapshot(&self.trial)
    }

    /// `winst install --python TRIAL WHEELS...`, with `--cache-dir DIR` when `mode` is warm.
    fn install_as(&self, mode: Mode, wheels: &[&Path]) -> Command {
        let mut cmd = winst();
        cmd.arg("install").arg("--python").arg(self.python());
        if mode == Mode::Warm {
            assert_eq!(self.mode, Mode::Warm, "no warm cache in cold trials");
            cmd.args(self.cache.args());
        }
        cmd.args(wheels);
        cmd
    }

    /// The install the trials are about (cold or warm).
    fn install(&self, wheels: &[&Path]) -> Command {
        self.install_as(self.mode, wheels)
    }

    /// An uninterrupted install (`mode`) into a fresh trial, with `--json`; checks where its
    /// files came from and returns the new state and how long the install took.
    fn new_state(&self, mode: Mode, wheels: &[&Path]) -> (Snapshot, Duration) {
        self.fresh();
        let start = Instant::now();
        let report = install_json(self.install_as(mode, wheels).arg("--json"));
        let took = start.elapsed();
        assert_from_cache(mode, &report);
        (self.snapshot(), took)
    }

    /// The new state of an uninterrupted install; in warm mode also checks it is what a cold
    /// install gives.
    fn checked_new_state(&self, wheels: &[&Path]) -> Snapshot {
        let (new, _) = self.new_state(self.mode, wheels);
        if self.mode == Mode::Warm {
            let (cold, _) = self.new_state(Mode::Cold, wheels);
            assert_same_tree(&cold, &new);
        }
        new
    }

    fn pip_check(&self) {
        let out = Command::new(python3())
            .args(["-m", "pip", "--disable-pip-version-check", "--python"])
            .arg(self.python())
            .arg("check")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "pip check: {:?}", text(&out));
    }
}

/// Runs an install with `--json`; its report.
fn install_json(cmd: &mut Command) -> serde_json::Value {
    let out = check(cmd);
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// Cold: nothing from the cache. Warm: every file but launchers and `#!python` scripts (written
/// per environment) from the cache.
#[track_caller]
fn assert_from_cache(mode: Mode, report: &serde_json::Value) {
    let files = report["files"].as_u64().unwrap();
    let placed = report["from_cache"].as_u64().unwrap();
    match mode {
        Mode::Cold => assert_eq!(placed, 0, "a cold install placed files from a cache"),
        Mode::Warm => assert!(
            placed > 0 && placed + 10 >= files,
            "warm: only {placed} of {files} files came from the cache"
        ),
    }
}

/// Crashes (`WINST_CRASH_AT`) at each step of the commit of an upgrade, then recovery: to the
/// old state before the commit point, to the new one after. Whole trees are compared, contents
/// and modes, launchers and RECORDs included (every trial is at the same path).
fn crashes_at_each_step(mode: Mode) {
    let wheels = wheel_dir();
    let alpha1 = many("alpha", "1.0", 20, 200)
        .file("alpha/legacy/__init__.py", "")
        .file("alpha/legacy/old.py", "OLD = True\n")
        .entry_points("[console_scripts]\nalpha = alpha:main\n")
        .build(wheels.path());
    // 2.0 replaces 1.0's modules and launcher, drops alpha/legacy/, and adds modules and a
    // launcher in directories that exist (renamed into place, so a rollback must remove them).
    let alpha2 = many("alpha", "2.0", 40, 300)
        .entry_points("[console_scripts]\nalpha = alpha:main\nalpha-two = alpha:main\n")
        .build(wheels.path());
    let beta = many("beta", "1.0", 20, 300).build(wheels.path());
    let upgrade: [&Path; 2] = [&alpha2, &beta];
    let trials = Trials::new(mode, &[&alpha1], &upgrade);
    let new = trials.checked_new_state(&upgrade);
    trials.fresh();
    let old = trials.snapshot();
    assert_ne!(old, new);
    for (point, expect_new) in [
        ("written", false),
        ("moved-aside", false),
        ("half-renamed", false),
        ("committed", true),
    ] {
        trials.fresh();
        let out = trials
            .install(&upgrade)
            .env("WINST_CRASH_AT", point)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{point}: did not crash");
        assert!(trials.journal().exists(), "{point}: no journal left");
        // Any winst command on the environment recovers first.
        let out = check(winst().args(["list", "--python"]).arg(trials.python()));
        let said = text(&out).1;
        if expect_new {
            assert!(said.contains("finished it"), "{point}: {said}");
            assert_same_tree(&new, &trials.snapshot());
            let out = check(Command::new(trials.python()).args([
                "-B",
                "-c",
                "import alpha; print(alpha.VERSION)",
            ]));
            assert_eq!(text(&out).0.trim(), "2.0");
        } else {
            assert!(said.contains("rolled it back"), "{point}: {said}");
            assert_same_tree(&old, &trials.snapshot());
        }
        assert!(!trials.journal().exists());
        trials.pip_check();
    }
}

#[test]
fn crashes_at_each_step_of_the_commit_recover() {
    crashes_at_each_step(Mode::Cold);
}

#[test]
fn crashes_at_each_step_of_the_commit_recover_with_a_warm_cache() {
    crashes_at_each_step(Mode::Warm);
}

/// Real wheels with dependencies among them (`pip check` is clean), pure and binary, some with
/// many small files (pytz, tzdata).
const KILL_SET: &[&str] = &[
    "six",
    "python-dateutil",
    "urllib3",
    "idna",
    "certifi",
    "charset-normalizer",
    "requests",
    "pytz",
    "tzdata",
    "attrs",
    "packaging",
    "click",
    "jinja2",
    "markupsafe",
    "pyyaml",
    "jmespath",
];
const TRIALS: u32 = 30;
/// Trials at the end killed after several whole runs (see [`killed_installs`]).
const TAIL: u32 = 3;

/// Where one killed trial ended, after `winst repair`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Old,
    New,
}

/// SIGKILL at moments spread over a whole install (measured first), then `winst repair`: every
/// trial must end exactly in the old or the new state (whole tree, contents and modes), both
/// outcomes must occur, and some kills must land inside the transaction (a real recovery).
fn killed_installs(mode: Mode) {
    let Some(corpus) = corpus::wheels("transactions") else {
        return;
    };
    let set: Vec<PathBuf> = KILL_SET.iter().map(|n| corpus::wheel(&corpus, n)).collect();
    let set: Vec<&Path> = set.iter().map(PathBuf::as_path).collect();
    let wheels = wheel_dir();
    // The old state: an older `six` (which the set upgrades: files replaced and removed).
    let old_six = WheelBuilder::new("six", "1.0")
        .file("six.py", "OLD = True\n")
        .file("six_legacy.py", "LEGACY = True\n")
        .build(wheels.path());
    let trials = Trials::new(mode, &[&old_six], &set);
    trials.fresh();
    let old = trials.snapshot();
    trials.pip_check();
    let new = trials.checked_new_state(&set);
    trials.pip_check();
    // How long an uninterrupted install takes here and now (the machine may be busy): the
    // median of three, each of which must give the same new state.
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let (state, took) = trials.new_state(mode, &set);
            assert_same_tree(&new, &state);
            took
        })
        .collect();
    times.sort();
    let full = times[1];

    let (mut rolled_back, mut completed, mut clean, mut finished) = (0, 0, 0, 0);
    let mut log = Vec::new();
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    for i in 0..TRIALS {
        trials.fresh();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let jitter = (seed >> 11) as f64 / (1u64 << 53) as f64;
        // Stratified over 150% of a whole run, so the first kills land before anything is
        // written and the later ones after the install finished; the last few at two to four
        // whole runs, in case the machine got slower since the measurement.
        let spread = TRIALS - TAIL;
        let delay = if i < spread {
            full.mul_f64(1.5 * (f64::from(i) + jitter) / f64::from(spread))
        } else {
            full * (2 + i - spread)
        };
        let mut child = trials
            .install(&set)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        }
        let out = check(winst().args(["repair", "--python"]).arg(trials.python()));
        let said = text(&out).1;
        if said.contains("rolled it back") {
            rolled_back += 1;
        } else if said.contains("finished it") {
            completed += 1;
        } else {
            assert!(said.contains("nothing to repair"), "{said}");
            clean += 1;
        }
        let now = trials.snapshot();
        let ended = if now == old {
            Ended::Old
        } else if now == new {
            Ended::New
        } else {
            let closer = if now.len().abs_diff(old.len()) < now.len().abs_diff(new.len()) {
                &old
            } else {
                &new
            };
            eprintln!("{mode:?} trial {i}: killed after {delay:?}; repair said: {said}");
            assert_same_tree(closer, &now);
            unreachable!("the tree is neither the old nor the new state");
        };
        assert!(!trials.journal().exists());
        log.push(format!(
            "{delay:.0?} {ended:?} ({})",
            said.lines().last().unwrap_or("").trim()
        ));
    }
    let ended_old = log.iter().filter(|l| l.contains(" Old ")).count();
    let ended_new = log.len() - ended_old;
    let summary = format!(
        "{mode:?} kill test: {TRIALS} trials over a {full:?} run: {ended_old} ended in the old \
         state, {ended_new} in the new; {rolled_back} rolled back, {completed} rolled forward, \
         {clean} needed no repair ({finished} of those had finished)"
    );
    println!("{summary}");
    let details = format!(
        "{summary}\nkill delays and outcomes:\n  {}",
        log.join("\n  ")
    );
    assert!(ended_old > 0, "no trial ended in the old state:\n{details}");
    assert!(ended_new > 0, "no trial ended in the new state:\n{details}");
    assert!(
        rolled_back + completed > 0,
        "no kill landed inside a transaction, so nothing was recovered:\n{details}"
    );
    if mode == Mode::Warm {
        // The kills did not damage the cache: a warm install still gives the new state.
        let (state, _) = trials.new_state(Mode::Warm, &set);
        assert_same_tree(&new, &state);
    }
}

#[test]
fn killed_installs_recover_to_the_old_or_the_new_state() {
    killed_installs(Mode::Cold);
}

#[test]
fn killed_installs_recover_to_the_old_or_the_new_state_with_a_warm_cache() {
    killed_installs(Mode::Warm);
}

// ---------------------------------------------------------------------------------------------
// winst uninstall and winst list

fn uninstall(venv: &Venv, names: &[&str]) -> std::process::Output {
    winst()
        .args(["uninstall", "--python"])
        .arg(venv.python())
        .args(names)
        .output()
        .unwrap()
}

/// Projects removed in the comparison with pip: namespace packages, `.data` headers and scripts,
/// console scripts, a big one, a binary one.
const UNINSTALL: &[&str] = &[
    "requests",
    "botocore",
    "jaraco.functools",
    "zope.interface",
    "pybind11-global",
    "jsonpointer",
    "flake8",
    "numpy",
    "six",
];
const UNINSTALL_SET: &[&str] = &[
    "requests",
    "botocore",
    "jaraco.functools",
    "jaraco.context",
    "zope.interface",
    "pybind11-global",
    "jsonpointer",
    "flake8",
    "numpy",
    "six",
    "idna",
];

#[test]
fn uninstall_removes_what_pip_uninstall_removes() {
    let Some(corpus) = corpus::wheels("transactions") else {
        return;
    };
    let set: Vec<PathBuf> = UNINSTALL_SET
        .iter()
        .map(|n| corpus::wheel(&corpus, n))
        .collect();
    let by_pip = Venv::new();
    let by_winst = Venv::new();
    for venv in [&by_pip, &by_winst] {
        let mut cmd = winst();
        cmd.arg("install")
            .arg("--python")
            .arg(venv.python())
            .args(&set);
        check(&mut cmd);
        // Bytecode, as a used environment has it.
        check(
            Command::new(venv.python())
                .args(["-m", "compileall", "-q"])
                .arg(venv.site_packages()),
        );
    }
    let out = by_pip.pip(&[&["uninstall", "-y"][..], UNINSTALL].concat());
    assert!(out.status.success(), "{:?}", text(&out));
    let out = uninstall(&by_winst, UNINSTALL);
    assert!(out.status.success(), "{:?}", text(&out));

    let a = snapshot(&by_pip.root());
    let b = snapshot(&by_winst.root());
    // The same files remain (launchers differ only in their shebang's venv path).
    let files = |s: &Snapshot| -> Vec<PathBuf> {
        s.iter()
            .filter(|(_, n)| !matches!(n, Node::Dir))
            .map(|(p, _)| p.clone())
            .collect()
    };
    assert_eq!(files(&a), files(&b), "different files remain");
    // Deliberate difference: winst also removes directories the uninstall left empty (pip
    // leaves e.g. an empty namespace directory behind). Anything else must be the same.
    let mut left_by_pip = Vec::new();
    for (path, node) in &a {
        if !b.contains_key(path) {
            let empty_tree = a
                .iter()
                .filter(|(k, _)| k.starts_with(path))
                .all(|(_, n)| matches!(n, Node::Dir));
            assert!(
                matches!(node, Node::Dir) && empty_tree,
                "winst removed {} which pip kept",
                path.display()
            );
            left_by_pip.push(path.display().to_string());
        }
    }
    for path in b.keys() {
        assert!(
            a.contains_key(path),
            "winst kept {} which pip removed",
            path.display()
        );
    }
    println!(
        "empty directories pip left and winst removed: {}",
        left_by_pip.join(", ")
    );
    // What remains still works.
    by_winst.python_out("import idna");
}

#[test]
fn uninstall_keeps_shared_files_and_never_leaves_the_environment() {
    let wheels = wheel_dir();
    let venv = Venv::new();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let a = WheelBuilder::new("nv-a", "1.0")
        .file("nv/__init__.py", "")
        .file("nv/a.py", "A = 1\n")
        .build(wheels.path());
    let b = WheelBuilder::new("nv-b", "1.0")
        .file("nv/__init__.py", "")
        .file("nv/b.py", "B = 1\n")
        .build(wheels.path());
    check(&mut install_cmd(&venv, &[&a, &b]));
    // A RECORD (edited after install, as a hostile or broken tool could) naming a file outside.
    let record = venv.site_packages().join("nv_a-1.0.dist-info/RECORD");
    let mut text_record = std::fs::read_to_string(&record).unwrap();
    let sp = venv.site_packages();
    let ups = "../".repeat(sp.components().count() - 1);
    text_record.push_str(&format!(
        "{ups}{},,\n",
        victim.strip_prefix("/").unwrap().display()
    ));
    std::fs::write(&record, text_record).unwrap();

    let out = uninstall(&venv, &["NV_A"]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("outside the environment; not removed"),
        "{stderr}"
    );
    assert!(stderr.contains("kept"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!sp.join("nv/a.py").exists());
    assert!(!sp.join("nv_a-1.0.dist-info").exists());
    assert!(sp.join("nv/__init__.py").exists(), "shared with nv-b");
    venv.python_out("import nv.b");

    let out = uninstall(&venv, &["nv-b"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(!sp.join("nv").exists());
}

/// An installed RECORD edited by hand (or by another tool) whose quoted path holds a line break:
/// the part after the break is not a row of its own. Read line by line, as before, the row below
/// named `important.py` for the uninstall to remove; pip keeps it, and so does winst.
#[test]
fn a_quoted_record_path_holding_a_line_break_names_no_other_file() {
    let wheels = wheel_dir();
    let a = WheelBuilder::new("nv-a", "1.0")
        .file("nv/__init__.py", "")
        .file("nv/a.py", "A = 1\n")
        .build(wheels.path());
    let by_pip = Venv::new();
    let by_winst = Venv::new();
    for venv in [&by_pip, &by_winst] {
        check(&mut install_cmd(venv, &[&a]));
        let sp = venv.site_packages();
        std::fs::write(sp.join("important.py"), "KEEP = 1\n").unwrap();
        let record = sp.join("nv_a-1.0.dist-info/RECORD");
        let mut rows = std::fs::read_to_string(&record).unwrap();
        rows.push_str("\"nv/odd\nimportant.py,,\n\",,\n");
        std::fs::write(&record, rows).unwrap();
    }
    let out = by_pip.pip(&["uninstall", "-y", "nv-a"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = uninstall(&by_winst, &["nv-a"]);
    assert!(out.status.success(), "{:?}", text(&out));
    for venv in [&by_pip, &by_winst] {
        let sp = venv.site_packages();
        assert!(!sp.join("nv/a.py").exists());
        assert_eq!(
            std::fs::read_to_string(sp.join("important.py")).unwrap(),
            "KEEP = 1\n"
        );
    }
}

#[test]
fn uninstall_errors_change_nothing() {
    let wheels = wheel_dir();
    let venv = venv_with_alpha_1(wheels.path());
    let before = venv.snapshot();
    let out = uninstall(&venv, &["alpha", "nothere"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).1.contains("nothere is not installed"),
        "{:?}",
        text(&out)
    );
    assert_same_tree(&before, &venv.snapshot());

    std::fs::remove_file(venv.site_packages().join("alpha-1.0.dist-info/RECORD")).unwrap();
    let before = venv.snapshot();
    let out = uninstall(&venv, &["alpha"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("has no RECORD"), "{:?}", text(&out));
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn a_failing_uninstall_changes_nothing() {
    let wheels = wheel_dir();
    let venv = venv_with_alpha_1(wheels.path());
    let before = venv.snapshot();
    let Some(_ro) = ReadOnly::new(&venv.site_packages().join("alpha/legacy")) else {
        return;
    };
    let stderr = fails_unchanged(
        &venv,
        winst()
            .args(["uninstall", "--python"])
            .arg(venv.python())
            .arg("alpha"),
        &before,
    );
    assert!(stderr.contains("alpha/legacy"), "{stderr}");
}

#[test]
fn uninstall_removes_launchers_bytecode_and_empty_directories() {
    let wheels = wheel_dir();
    let venv = Venv::new();
    let empty = venv.snapshot();
    let alpha = WheelBuilder::new("alpha", "1.0")
        .file("alpha/__init__.py", "def main():\n    pass\n")
        .file("alpha/deep/er/mod.py", "")
        .entry_points("[console_scripts]\nalpha-cli = alpha:main\n")
        .build(wheels.path());
    check(&mut install_cmd(&venv, &[&alpha]));
    check(
        Command::new(venv.python())
            .args(["-m", "compileall", "-q"])
            .arg(venv.site_packages()),
    );
    assert!(venv.bin("alpha-cli").exists());
    let out = uninstall(&venv, &["alpha"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(text(&out).1.contains(" - alpha==1.0"), "{:?}", text(&out));
    assert_same_tree(&empty, &venv.snapshot());
}

#[test]
fn list_shows_projects_and_their_installer() {
    let wheels = wheel_dir();
    let venv = venv_with_alpha_1(wheels.path());
    let out = check(winst().args(["list", "--python"]).arg(venv.python()));
    let table = text(&out).0;
    let row = table
        .lines()
        .find(|l| l.starts_with("alpha "))
        .unwrap_or_else(|| panic!("{table}"));
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["alpha", "1.0", "winst"]
    );
    let out = check(
        winst()
            .args(["list", "--format", "json", "--python"])
            .arg(venv.python()),
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "alpha");
    assert_eq!(rows[0]["version"], "1.0");
    assert_eq!(rows[0]["installer"], "winst");
    // The same projects pip sees.
    let pip: serde_json::Value =
        serde_json::from_slice(&venv.pip(&["list", "--format=json"]).stdout).unwrap();
    assert_eq!(
        rows.as_array().unwrap().len(),
        pip.as_array().unwrap().len()
    );
}

#[test]
fn repair_without_an_interrupted_transaction_does_nothing() {
    let venv = Venv::new();
    let before = venv.snapshot();
    let out = check(winst().args(["repair", "--python"]).arg(venv.python()));
    assert!(text(&out).1.contains("nothing to repair"));
    assert_same_tree(&before, &venv.snapshot());
}
