//! Kills at the moments `tests/transactions.rs` does not reach: during recovery itself, part-way
//! through moving files aside, while an upgrade turns a file into a directory and a directory
//! into a file, during the cleanup after the commit, during the cache fill after
//! the commit, during `winst uninstall`, during `--compile`, SIGTERM/SIGINT mid-install, and
//! during `winst sync` (upgrades, an addition and a removal in one transaction).
//!
//! Each scene installs (or uninstalls) in a virtual environment that always lives at the same
//! path, so a whole-tree snapshot (contents and modes) of any run compares with the reference
//! old and new trees made without a crash. Every crash is a named crash point (`WINST_CRASH_AT`,
//! deterministic) and, where the window is wide enough, also SIGKILLs timed from what the
//! journal says. After the crash the next `winst` command (or `winst repair`) must leave exactly
//! the old or exactly the new tree, `pip check` and imports must work, and a following install
//! must succeed.

mod support;

use std::ffi::{OsStr, OsString};
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::*;

/// A package with `n` modules of about `size` bytes each, and a `VERSION`.
fn many(name: &str, version: &str, n: usize, size: usize) -> WheelBuilder {
    let mut w = WheelBuilder::new(name, version).file(
        &format!("{name}/__init__.py"),
        format!("VERSION = '{version}'\n\ndef main():\n    print(VERSION)\n"),
    );
    for i in 0..n {
        let body = format!("# {name} {version} module {i}\nX{i} = {i}\n").repeat(size / 32 + 1);
        w = w.file(&format!("{name}/m{i:05}.py"), body);
    }
    w
}

/// Which of the two reference trees an environment is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Old,
    New,
}

/// A snapshot where what legitimately differs between two runs of the same command is blanked:
/// the source modification time in a `.pyc` header, and so the `.pyc` hashes in RECORD.
fn snap(root: &Path) -> Snapshot {
    let mut s = snapshot(root);
    for (rel, node) in s.iter_mut() {
        let Node::File { sha256, .. } = node else {
            continue;
        };
        let path = root.join(rel);
        if rel.extension() == Some(OsStr::new("pyc")) {
            let mut bytes = std::fs::read(&path).unwrap();
            if bytes.len() >= 12 {
                bytes[8..12].fill(0);
            }
            *sha256 = sha256_hex(&bytes);
        } else if rel.file_name() == Some(OsStr::new("RECORD")) {
            let text = std::fs::read_to_string(&path).unwrap();
            let rows: Vec<String> = text
                .lines()
                .map(|row| {
                    let path = row.split(',').next().unwrap_or("");
                    if path.ends_with(".pyc") {
                        format!("{path},<pyc>")
                    } else {
                        row.to_string()
                    }
                })
                .collect();
            *sha256 = sha256_hex(rows.join("\n").as_bytes());
        }
    }
    s
}

/// Names in the tree that only a transaction in progress leaves: moved-aside files and
/// temporaries.
fn leftovers(root: &Path) -> (usize, usize) {
    let (mut aside, mut temps) = (0, 0);
    for rel in snapshot(root).keys() {
        let name = rel.file_name().unwrap().to_string_lossy();
        if name.starts_with(".winst-") && name.contains("-old-") {
            aside += 1;
        } else if name.starts_with(".winst-") && name.ends_with(".tmp") {
            temps += 1;
        }
    }
    (aside, temps)
}

/// Whether the journal's last line is the entry `op`.
fn journal_ends_with(root: &Path, op: &str) -> bool {
    let Ok(mut f) = std::fs::File::open(root.join(".winst-journal")) else {
        return false;
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(64)));
    let mut tail = String::new();
    let _ = f.read_to_string(&mut tail);
    tail.trim_end().ends_with(&format!("{{\"op\":\"{op}\"}}"))
}

/// Polls `ready` until it holds or the child ends; false if the child ended first.
fn wait_until(child: &mut Child, ready: impl Fn() -> bool, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    panic!("the command neither got there nor ended in {limit:?}");
}

/// Deterministic jitter in [0, 1) for trial `i`.
fn jitter(i: u32) -> f64 {
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(i).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// An environment at a fixed path, its old state (a saved copy), the command under test and the
/// new state that command leaves when nothing interrupts it.
struct Scene {
    work: tempfile::TempDir,
    /// `install ...` or `uninstall ...` (without `--python`).
    action: Vec<OsString>,
    old: Snapshot,
    new: Snapshot,
    /// Modules whose import the probe checks.
    modules: Vec<String>,
    probe_old: String,
    probe_new: String,
    /// A small wheel installed after recovery: the environment must still take installs.
    after: PathBuf,
}

impl Scene {
    /// Makes the old state with `prepare` (commands, as `action`), then the reference new state.
    fn new(
        work: tempfile::TempDir,
        prepare: &[Vec<OsString>],
        action: Vec<OsString>,
        modules: &[&str],
    ) -> Scene {
        let after = WheelBuilder::new("after", "1.0")
            .file("after/__init__.py", "AFTER = True\n")
            .build(work.path());
        let mut scene = Scene {
            work,
            action,
            old: Snapshot::new(),
            new: Snapshot::new(),
            modules: modules.iter().map(|m| m.to_string()).collect(),
            probe_old: String::new(),
            probe_new: String::new(),
            after,
        };
        check(
            Command::new(python3())
                .args(["-m", "venv", "--without-pip"])
                .arg(scene.env()),
        );
        for args in prepare {
            check(&mut scene.winst(args));
        }
        check(
            Command::new("cp")
                .arg("-a")
                .arg(scene.env())
                .arg(scene.template()),
        );
        scene.old = snap(&scene.env());
        scene.probe_old = scene.probe();
        check(&mut scene.action());
        scene.new = snap(&scene.env());
        scene.probe_new = scene.probe();
        assert_ne!(scene.old, scene.new, "the action changes nothing");
        scene
    }

    fn env(&self) -> PathBuf {
        self.work.path().join("env")
    }

    fn template(&self) -> PathBuf {
        self.work.path().join("template")
    }

    fn python(&self) -> PathBuf {
        self.env().join("bin/python")
    }

    fn cache(&self) -> PathBuf {
        self.work.path().join("cache")
    }

    fn journal(&self) -> PathBuf {
        self.env().join(".winst-journal")
    }

    /// `winst <args[0]> --python <env> <args[1..]>`, with this scene's own cache.
    fn winst<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = winst();
        // The durability flushes guard against a power loss, not a killed process, and cost
        // seconds per run on a shared disk: off here (they do not change what is journaled).
        cmd.env("WINST_CACHE_DIR", self.cache())
            .env("WINST_NO_SYNC", "1")
            .arg(&args[0])
            .arg("--python")
            .arg(self.python())
            .args(&args[1..]);
        cmd
    }

    fn action(&self) -> Command {
        self.winst(&self.action[..])
    }

    /// Puts the environment back in the old state.
    fn reset(&self) {
        if self.env().exists() {
            std::fs::remove_dir_all(self.env()).unwrap();
        }
        check(
            Command::new("cp")
                .arg("-a")
                .arg(self.template())
                .arg(self.env()),
        );
    }

    /// Imports each module and every submodule of it; prints what it found.
    fn probe(&self) -> String {
        let code = format!(
            "import importlib, pkgutil\n\
             for name in {:?}:\n\
             \x20   try:\n\
             \x20       m = importlib.import_module(name)\n\
             \x20   except ImportError:\n\
             \x20       print(name, '-'); continue\n\
             \x20   subs = [importlib.import_module(name + '.' + s.name)\n\
             \x20           for s in pkgutil.iter_modules(getattr(m, '__path__', []))]\n\
             \x20   print(name, getattr(m, 'VERSION', '?'), len(subs))\n",
            self.modules
        );
        let out = Command::new(self.python())
            .args(["-B", "-c", &code])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "imports fail:\n{stderr}");
        stdout
    }

    /// Runs the action with `WINST_CRASH_AT=point`; asserts it crashed and left a journal.
    fn crash_at(&self, point: &str) {
        let out = self.action().env("WINST_CRASH_AT", point).output().unwrap();
        assert!(
            out.status.code().is_none(),
            "{point}: did not crash: {:?}",
            text(&out)
        );
        assert!(self.journal().exists(), "{point}: no journal left");
    }

    /// Recovers with `winst repair` or, when `by_repair` is false, another command (`winst list`,
    /// which recovers first); returns what it said.
    fn recover(&self, by_repair: bool) -> String {
        let args = if by_repair { ["repair"] } else { ["list"] };
        let out = check(&mut self.winst(&args));
        text(&out).1
    }

    /// After recovery: exactly the old or the new tree, what recovery said matches it, a second
    /// repair has nothing to do, `pip check` and imports work, and a following install works.
    fn settled(&self, what: &str, said: &str) -> State {
        assert!(
            !self.journal().exists(),
            "{what}: the journal is still there"
        );
        let now = snap(&self.env());
        let state = if now == self.old {
            State::Old
        } else if now == self.new {
            State::New
        } else {
            let closer = if now.len().abs_diff(self.old.len()) <= now.len().abs_diff(self.new.len())
            {
                &self.old
            } else {
                &self.new
            };
            eprintln!("{what}: neither the old nor the new tree; recovery said: {said}");
            assert_same_tree(closer, &now);
            unreachable!()
        };
        match state {
            State::Old => assert!(
                !said.contains("finished it"),
                "{what}: old tree, but recovery said: {said}"
            ),
            State::New => assert!(
                !said.contains("rolled it back"),
                "{what}: new tree, but recovery said: {said}"
            ),
        }
        let out = check(&mut self.winst(&["repair"]));
        assert!(
            text(&out).1.contains("nothing to repair"),
            "{what}: {:?}",
            text(&out)
        );
        let probe = self.probe();
        let expected = match state {
            State::Old => &self.probe_old,
            State::New => &self.probe_new,
        };
        assert_eq!(&probe, expected, "{what}: imports");
        check(&mut self.winst(&[OsStr::new("install"), self.after.as_os_str()]));
        let out = Command::new(self.python())
            .args(["-B", "-c", "import after; print(after.AFTER)"])
            .output()
            .unwrap();
        assert_eq!(text(&out).0.trim(), "True", "{what}: {:?}", text(&out));
        self.pip_check(what);
        state
    }

    fn pip_check(&self, what: &str) {
        let out = Command::new(python3())
            .args(["-m", "pip", "--disable-pip-version-check", "--python"])
            .arg(self.python())
            .arg("check")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{what}: pip check: {:?}", text(&out));
    }

    /// Crashes the action at `point`, recovers, expects `expect`.
    fn crash_and_recover(&self, point: &str, by_repair: bool, expect: State) {
        self.reset();
        self.crash_at(point);
        let said = self.recover(by_repair);
        let expected_words = match expect {
            State::Old => "rolled it back",
            State::New => "finished it",
        };
        assert!(said.contains(expected_words), "{point}: {said}");
        assert_eq!(self.settled(point, &said), expect, "{point}");
    }

    /// SIGKILLs the action `trials` times, each once `ready` holds plus a delay spread over
    /// `spread`; recovers and checks every outcome. Returns, per trial, the state reached and
    /// the leftovers (moved-aside, temporaries) seen at the kill.
    fn kill_trials(
        &self,
        label: &str,
        trials: u32,
        ready: impl Fn(&Scene) -> bool,
        spread: Duration,
    ) -> Vec<(State, (usize, usize))> {
        let mut results = Vec::new();
        for i in 0..trials {
            self.reset();
            let delay = spread.mul_f64((f64::from(i) + jitter(i)) / f64::from(trials));
            let mut child = self
                .action()
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            if wait_until(&mut child, || ready(self), Duration::from_secs(120)) {
                std::thread::sleep(delay);
            }
            let _ = child.kill();
            child.wait().unwrap();
            let seen = leftovers(&self.env());
            let said = self.recover(i % 2 == 0);
            let what = format!("{label} trial {i} (+{delay:?}, leftovers {seen:?})");
            results.push((self.settled(&what, &said), seen));
        }
        let old = results.iter().filter(|r| r.0 == State::Old).count();
        println!(
            "{label}: {trials} kills: {old} rolled back, {} in the new state; leftovers at the \
             kills: {:?}",
            results.len() - old,
            results.iter().map(|r| r.1).collect::<Vec<_>>()
        );
        results
    }
}

fn os(parts: &[&dyn AsRef<OsStr>]) -> Vec<OsString> {
    parts.iter().map(|p| p.as_ref().to_os_string()).collect()
}

/// A scratch directory for one scene: the environment, its saved old state, wheels, caches.
/// On tmpfs (`/dev/shm`) where there is one: these tests create and delete environments of
/// thousands of files dozens of times, which a busy virtual disk makes take minutes; a killed
/// process leaves the same states on any filesystem.
fn workdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let mut builder = tempfile::Builder::new();
    builder.prefix("winst-kills-");
    match builder.tempdir_in(shm) {
        Ok(dir) if shm.is_dir() => dir,
        _ => builder.tempdir().unwrap(),
    }
}

/// An upgrade of `alpha` (1.0 → 2.0, `n` modules replaced, a subpackage and a console script
/// dropped) together with a new project `beta` that needs alpha 2; `extra` options for both the
/// first install and the upgrade.
fn upgrade_scene(n: usize, extra: &[&str]) -> Scene {
    let work = workdir();
    let alpha1 = many("alpha", "1.0", n, 200)
        .file("alpha/legacy/__init__.py", "")
        .file("alpha/legacy/old.py", "OLD = True\n")
        .entry_points("[console_scripts]\nalpha = alpha:main\nalpha-old = alpha:main\n")
        .build(work.path());
    let alpha2 = many("alpha", "2.0", n, 300)
        .entry_points("[console_scripts]\nalpha = alpha:main\n")
        .build(work.path());
    let beta = many("beta", "1.0", 50, 300)
        .metadata_extra("Requires-Dist: alpha>=2\n")
        .build(work.path());
    let mut prepare = os(&[&"install", &alpha1]);
    let mut action = os(&[&"install", &alpha2, &beta]);
    for e in extra {
        prepare.push(e.into());
        action.push(e.into());
    }
    Scene::new(work, &[prepare], action, &["alpha", "beta"])
}

impl WheelBuilder {
    fn metadata_extra(mut self, text: &str) -> Self {
        self.metadata_extra.push_str(text);
        self
    }
}

// ---------------------------------------------------------------------------------------------
// 1. A crash during recovery itself: the next recovery finishes the job

#[test]
fn a_crash_during_recovery_is_recovered_again() {
    let scene = upgrade_scene(300, &[]);
    for (i, (crash, during_recovery, expect)) in [
        // Rolling back: part-way through removing the new files, then through putting the
        // moved-aside files back.
        ("half-renamed", "rollback-removing", State::Old),
        ("half-renamed", "rollback-restoring", State::Old),
        ("moving-aside", "rollback-restoring", State::Old),
        ("written", "rollback-removing", State::Old),
        // Rolling forward: part-way through deleting the moved-aside files.
        ("committed", "cleanup", State::New),
        ("cleanup", "cleanup", State::New),
    ]
    .into_iter()
    .enumerate()
    {
        let what = format!("{crash}, then {during_recovery} while recovering");
        scene.reset();
        scene.crash_at(crash);
        let out = scene
            .winst(&["repair"])
            .env("WINST_CRASH_AT", during_recovery)
            .output()
            .unwrap();
        assert!(
            out.status.code().is_none(),
            "{what}: recovery did not crash"
        );
        assert!(scene.journal().exists(), "{what}: no journal left");
        let said = scene.recover(i % 2 == 1);
        let words = match expect {
            State::Old => "rolled it back",
            State::New => "finished it",
        };
        assert!(said.contains(words), "{what}: {said}");
        assert_eq!(scene.settled(&what, &said), expect, "{what}");
    }
    // The rollback winst does itself when an install fails (a corrupt member found after the
    // others were written), crashed part-way: the next command finishes it.
    let broken = WheelBuilder::new("broken", "1.0")
        .unrecorded("broken/__init__.py", "x")
        .record_row("broken/__init__.py,sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,1")
        .build(scene.work.path());
    let mut failing = scene.action.clone();
    failing.push(broken.into_os_string());
    scene.reset();
    let out = scene
        .winst(&failing[..])
        .env("WINST_CRASH_AT", "rollback-removing")
        .output()
        .unwrap();
    // Aborted (no exit code), not an ordinary failure.
    assert!(
        out.status.code().is_none(),
        "the failed install's rollback did not crash: {:?}",
        text(&out)
    );
    assert!(scene.journal().exists(), "no journal left");
    let said = scene.recover(false);
    assert!(said.contains("rolled it back"), "{said}");
    assert_eq!(
        scene.settled("a failed install's rollback", &said),
        State::Old
    );
}

#[test]
fn a_killed_recovery_is_recovered_again() {
    // Big enough that rolling back takes a while: 3000 files replaced, 3000 moved back.
    let scene = upgrade_scene(3000, &[]);
    const TRIALS: u32 = 4;
    let mut interrupted = 0;
    for i in 0..TRIALS {
        scene.reset();
        scene.crash_at("half-renamed");
        let before = leftovers(&scene.env());
        // The rollback removes the temporaries in journal order: the first one still on disk
        // vanishing means it has begun.
        let first = first_temporary(&scene.journal());
        let delay = Duration::from_millis(25).mul_f64((f64::from(i) + jitter(i)) / 4.0);
        let mut child = scene
            .winst(&["repair"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if wait_until(&mut child, || !first.exists(), Duration::from_secs(60)) {
            std::thread::sleep(delay);
        }
        let _ = child.kill();
        child.wait().unwrap();
        // Killed part-way through the rollback: it had begun, and the journal is still there.
        let at_kill = leftovers(&scene.env());
        if at_kill != before && scene.journal().exists() {
            interrupted += 1;
        }
        let what = format!("repair killed {delay:?} in: leftovers {before:?} -> {at_kill:?}");
        println!("{what}");
        let said = scene.recover(i % 2 == 0);
        assert_eq!(scene.settled(&what, &said), State::Old, "{what}");
    }
    println!("{interrupted} of {TRIALS} repairs were killed part-way");
    assert!(interrupted > 0, "no kill landed inside a recovery");
}

/// The first temporary the journal lists that is still on disk.
fn first_temporary(journal: &Path) -> PathBuf {
    let text = std::fs::read_to_string(journal).unwrap();
    let entries: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let roots = entries
        .iter()
        .find(|e| e["op"] == "begin")
        .and_then(|e| e["roots"].as_array())
        .expect("a begin entry");
    entries
        .iter()
        .filter(|e| e["op"] == "temps")
        .flat_map(|e| e["temps"].as_array().unwrap())
        .map(|t| {
            let root = roots[t["root"].as_u64().unwrap() as usize]
                .as_str()
                .unwrap();
            Path::new(root).join(t["tmp"].as_str().unwrap())
        })
        .find(|p| p.exists())
        .expect("a temporary on disk")
}

// ---------------------------------------------------------------------------------------------
// 2. Part-way through moving files aside (an upgrade that replaces many files)

#[test]
fn a_kill_while_moving_files_aside_rolls_back() {
    let scene = upgrade_scene(3000, &[]);
    scene.crash_and_recover("moving-aside", true, State::Old);
    // SIGKILL right after the journal announces the moves.
    let results = scene.kill_trials(
        "moving aside",
        4,
        |s| journal_ends_with(&s.env(), "renaming") || journal_ends_with(&s.env(), "committed"),
        Duration::from_millis(15),
    );
    assert!(
        results
            .iter()
            .any(|(state, (aside, _))| *state == State::Old && *aside > 0),
        "no kill landed while files were moved aside: {results:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2b. Part-way through writing new directory trees: journaled whole, removed whole

#[test]
fn a_kill_while_writing_new_trees_removes_them_whole() {
    let work = workdir();
    let alpha = many("alpha", "1.0", 20, 200).build(work.path());
    // gamma: a new project of nested new directories, and one file in site-packages itself (a
    // directory that exists, so that file gets a journaled temporary).
    let mut gamma = WheelBuilder::new("gamma", "1.0")
        .file("gamma/__init__.py", "VERSION = '1.0'\n")
        .file("gamma_top.py", "TOP = True\n");
    for d in 0..30 {
        gamma = gamma.file(&format!("gamma/sub{d:02}/__init__.py"), "");
        for i in 0..20 {
            let body = format!("X = {i}\n").repeat(20);
            gamma = gamma.file(&format!("gamma/sub{d:02}/deep/m{i:03}.py"), body);
        }
    }
    let gamma = gamma.build(work.path());
    let scene = Scene::new(
        work,
        &[os(&[&"install", &alpha])],
        os(&[&"install", &gamma, &"--no-cache"]),
        &["alpha", "gamma"],
    );

    // Half-way through the writes: part of the trees is on disk, and the journal lists the
    // directories it created and the one temporary outside them, not the files inside them.
    scene.reset();
    scene.crash_at("writing");
    let journal = std::fs::read_to_string(scene.journal()).unwrap();
    assert!(journal.contains("gamma/sub07/deep"), "{journal}");
    assert!(journal.contains("gamma_top.py"), "{journal}");
    assert!(
        !journal.contains("m000.py") && !journal.contains("__init__.py"),
        "files inside new directories are journaled one by one:\n{journal}"
    );
    let site = scene
        .new
        .keys()
        .find(|p| p.ends_with("gamma_top.py"))
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let written = snapshot(&scene.env().join(&site).join("gamma")).len();
    assert!(written > 0, "nothing of gamma was written before the crash");
    let said = scene.recover(true);
    assert!(said.contains("rolled it back"), "{said}");
    assert_eq!(
        scene.settled("crash half-way through writing", &said),
        State::Old
    );

    // SIGKILLs from the moment the directories are journaled.
    let results = scene.kill_trials(
        "writing new trees",
        6,
        |s| std::fs::read_to_string(s.journal()).is_ok_and(|j| j.contains("\"create-dirs\"")),
        Duration::from_millis(30),
    );
    assert!(
        results.iter().any(|(state, _)| *state == State::Old),
        "no kill landed before the commit: {results:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2c. An upgrade that turns a file into a directory and a directory into a file

#[test]
fn a_crash_while_a_file_and_a_directory_change_places_recovers() {
    let work = workdir();
    // 1.0: a data file `kinds/data` and a subpackage `kinds/sub/`; 2.0: a directory
    // `kinds/data/` and a data file `kinds/sub`. Compiled, so `kinds/sub` holds bytecode too.
    let v1 = WheelBuilder::new("kinds", "1.0")
        .file("kinds/__init__.py", "VERSION = '1.0'\n")
        .file("kinds/data", "data 1.0\n")
        .file("kinds/sub/__init__.py", "SUB = 1\n")
        .file("kinds/sub/mod.py", "MOD = 1\n")
        .build(work.path());
    let v2_dir = work.path().join("v2");
    std::fs::create_dir(&v2_dir).unwrap();
    let v2 = WheelBuilder::new("kinds", "2.0")
        .file("kinds/__init__.py", "VERSION = '2.0'\n")
        .file("kinds/data/x.txt", "x 2.0\n")
        .file("kinds/data/deeper/y.txt", "y 2.0\n")
        .file("kinds/sub", "sub is a data file now\n")
        .build(&v2_dir);
    let scene = Scene::new(
        work,
        &[os(&[&"install", &"--compile", &v1])],
        os(&[&"install", &"--compile", &v2]),
        &["kinds"],
    );
    for (point, expect) in [
        // The old file moved aside, the directory not made yet.
        ("made-way", State::Old),
        // Both new trees written; the old directory not moved aside yet.
        ("written", State::Old),
        // The old directory moved aside, the new file not renamed into place yet.
        ("moved-aside", State::Old),
        ("half-renamed", State::Old),
        ("committed", State::New),
        ("cleanup", State::New),
    ] {
        for by_repair in [true, false] {
            scene.crash_and_recover(point, by_repair, expect);
        }
    }
    // A rollback that crashes part-way is finished by the next command.
    scene.reset();
    scene.crash_at("moved-aside");
    let out = (scene.winst(&["repair"]))
        .env("WINST_CRASH_AT", "rollback-restoring")
        .output()
        .unwrap();
    assert!(out.status.code().is_none(), "recovery did not crash");
    let said = scene.recover(false);
    assert!(said.contains("rolled it back"), "{said}");
    assert_eq!(scene.settled("a crashed rollback", &said), State::Old);
}

// ---------------------------------------------------------------------------------------------
// 3. During the cleanup of moved-aside files after the commit

#[test]
fn a_kill_while_cleaning_up_after_the_commit_finishes() {
    let scene = upgrade_scene(2000, &[]);
    scene.crash_and_recover("cleanup", true, State::New);
    scene.crash_and_recover("committed", false, State::New);
    let results = scene.kill_trials(
        "cleanup",
        4,
        |s| journal_ends_with(&s.env(), "committed"),
        Duration::from_millis(10),
    );
    assert!(
        results.iter().all(|(state, _)| *state == State::New),
        "a kill after the commit point rolled back: {results:?}"
    );
    assert!(
        results.iter().any(|(_, (aside, _))| *aside > 0),
        "no kill landed while moved-aside files were being deleted: {results:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. During the cache fill after the commit

#[test]
fn a_kill_while_filling_the_cache_leaves_no_partial_entry() {
    let work = workdir();
    let fill = many("filled", "1.0", 2000, 400)
        .exe("filled/tool.sh", "#!/bin/sh\necho hi\n")
        .build(work.path());
    // The reference: a cold install with no cache at all.
    let cold = Scene::new(
        work,
        &[],
        os(&[&"install", &"--no-cache", &fill]),
        &["filled"],
    );
    // `copy` copies the installed files into the new entry after the commit; `hardlink` (the
    // cache on the environment's filesystem) links them as they are written and only writes the
    // manifest after the commit.
    for (mode, point) in [("copy", "cache-fill"), ("hardlink", "cache-finish")] {
        let cache = cold.work.path().join(format!("cache-{mode}"));
        let install = |cache: &Path| {
            let mut cmd = cold.winst(&[OsStr::new("install"), fill.as_os_str()]);
            // The wheel cache is the subject here: on, in this scene's cache directory.
            cmd.env("WINST_CACHE_DIR", cache)
                .env_remove("WINST_NO_CACHE")
                .args(["--link-mode", mode, "--json"]);
            cmd
        };
        let what = format!("{mode}: crash at {point}");
        cold.reset();
        let out = install(&cache)
            .env("WINST_CRASH_AT", point)
            .output()
            .unwrap();
        assert!(out.status.code().is_none(), "{what}: did not crash");
        // The install had committed: nothing to recover, and the new tree.
        assert!(!cold.journal().exists(), "{what}: a journal was left");
        let said = cold.recover(true);
        assert!(said.contains("nothing to repair"), "{what}: {said}");
        assert_eq!(cold.settled(&what, &said), State::New, "{what}");
        assert_eq!(cache_entries(&cache).len(), 0, "{what}");
        // Then a SIGKILL at random moments after the commit, on the same cache.
        // The entries a process was building (`.tmp-<pid>-*`): an interrupted fill leaves its
        // own behind, and the next process that fills an entry removes it.
        let staging_of = |pid: u32| {
            std::fs::read_dir(cache.join("wheels-v3"))
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(&format!(".tmp-{pid}-"))
                })
                .count()
        };
        let mut landed = 0;
        let mut left_behind = Vec::new();
        for i in 0..3u64 {
            cold.reset();
            let mut child = install(&cache)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let journal = cold.journal();
            // The commit removes the journal; the cache is filled after that.
            let ended = !wait_until(&mut child, || journal.exists(), Duration::from_secs(120))
                || !wait_until(&mut child, || !journal.exists(), Duration::from_secs(120));
            std::thread::sleep(Duration::from_micros(i * 1500));
            let _ = child.kill();
            child.wait().unwrap();
            if !ended && staging_of(child.id()) > 0 {
                landed += 1;
                left_behind.push(child.id());
            }
            let said = cold.recover(false);
            let state = cold.settled(&format!("{mode}: kill {i}"), &said);
            assert_eq!(state, State::New, "{mode}: kill {i}");
            assert!(cache_entries(&cache).len() <= 1, "{mode}");
            // Start cold again unless the entry was completed.
            if cache_entries(&cache).len() == 1 {
                std::fs::remove_dir_all(&cache).unwrap();
            }
        }
        println!("{mode}: {landed} of 3 kills landed after the commit, in the cache fill");
        if mode == "copy" {
            assert!(landed > 0, "{mode}: no kill landed in the cache fill");
        }

        // A cold install into the same cache, then a warm one from it: both byte-identical to
        // the install without a cache.
        for (round, warm) in [(0, false), (1, true)] {
            cold.reset();
            let out = check(&mut install(&cache));
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let from_cache = report["from_cache"].as_u64().unwrap();
            assert_eq!(from_cache > 0, warm, "{mode} round {round}: {report}");
            assert_same_tree(&cold.new, &snap(&cold.env()));
            assert_eq!(cache_entries(&cache).len(), 1, "{mode}");
        }
        // The fill of round 0 removed what the killed processes left (their entries stayed
        // incomplete and unused until then).
        for pid in left_behind {
            assert_eq!(
                staging_of(pid),
                0,
                "{mode}: the staging of {pid} was not removed"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. During `winst uninstall`

#[test]
fn a_kill_during_uninstall_recovers() {
    let work = workdir();
    let alpha = many("alpha", "1.0", 2000, 200)
        .file("alpha/deep/er/mod.py", "")
        .entry_points("[console_scripts]\nalpha = alpha:main\n")
        .build(work.path());
    let keep = many("keep", "1.0", 10, 100).build(work.path());
    let scene = Scene::new(
        work,
        // Installed with bytecode, which the uninstall removes too.
        &[os(&[&"install", &"--compile", &alpha, &keep])],
        os(&[&"uninstall", &"alpha"]),
        &["alpha", "keep"],
    );
    scene.crash_and_recover("moving-aside", true, State::Old);
    scene.crash_and_recover("committed", false, State::New);
    scene.crash_and_recover("cleanup", true, State::New);
    // How long an uninstall takes, to spread random kills over it.
    scene.reset();
    let start = Instant::now();
    check(&mut scene.action());
    let full = start.elapsed();
    scene.kill_trials("uninstall", 2, |_| true, full.mul_f64(1.3));
    let aside = scene.kill_trials(
        "uninstall, moving aside",
        2,
        |s| journal_ends_with(&s.env(), "renaming"),
        Duration::from_millis(10),
    );
    assert!(
        aside
            .iter()
            .any(|(state, (aside, _))| *state == State::Old && *aside > 0),
        "no kill landed while the uninstall moved files aside: {aside:?}"
    );
    let cleanup = scene.kill_trials(
        "uninstall, cleanup",
        2,
        |s| journal_ends_with(&s.env(), "committed"),
        Duration::from_millis(10),
    );
    assert!(
        cleanup
            .iter()
            .any(|(state, (aside, _))| *state == State::New && *aside > 0),
        "no kill landed while the uninstall deleted what it moved aside: {cleanup:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 6. During `--compile`

#[test]
fn a_kill_while_compiling_rolls_back() {
    // An upgrade with bytecode, over an install with bytecode: .pyc files replaced and new.
    let scene = upgrade_scene(600, &["--compile", "--no-cache"]);
    for by_repair in [true, false] {
        scene.reset();
        scene.crash_at("compiling");
        // Some .pyc files were written (under temporary names, or in place in beta's new
        // __pycache__) before the crash.
        let pycache = scene.env().join(format!(
            "lib/python{}/site-packages/beta/__pycache__",
            py_version()
        ));
        let written = std::fs::read_dir(&pycache).map_or(0, |d| d.count());
        let (_, temps) = leftovers(&scene.env());
        assert!(written + temps > 0, "no .pyc was written before the crash");
        let said = scene.recover(by_repair);
        assert!(said.contains("rolled it back"), "{said}");
        assert_eq!(scene.settled("compiling", &said), State::Old);
    }
    // SIGKILLs once the compile stage has made beta's __pycache__.
    let pycache = scene.env().join(format!(
        "lib/python{}/site-packages/beta/__pycache__",
        py_version()
    ));
    let start = Instant::now();
    scene.reset();
    check(&mut scene.action());
    let full = start.elapsed();
    let results = scene.kill_trials("compiling", 4, move |_| pycache.exists(), full.mul_f64(0.6));
    assert!(
        results.iter().any(|(state, _)| *state == State::Old),
        "no kill landed before the commit: {results:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. SIGTERM and SIGINT mid-install

/// Sends `signal` to the action once `ready` holds; expects an interrupted, rolled-back install.
fn interrupt(scene: &Scene, signal: &str, ready: impl Fn() -> bool) {
    scene.reset();
    let mut child = scene.action().stderr(Stdio::piped()).spawn().unwrap();
    assert!(
        wait_until(&mut child, ready, Duration::from_secs(120)),
        "{signal}: the install ended before the signal"
    );
    check(Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]));
    let out: Output = child.wait_with_output().unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(130), "{signal}: {stderr}");
    assert!(stderr.contains("interrupted"), "{signal}: {stderr}");
    assert!(
        !stderr.contains("panicked"),
        "{signal}: winst panicked: {stderr}"
    );
    // Rolled back on the spot: no journal, nothing for the next command to recover.
    assert!(!scene.journal().exists(), "{signal}: a journal was left");
    let said = scene.recover(true);
    assert!(said.contains("nothing to repair"), "{signal}: {said}");
    assert_eq!(scene.settled(signal, &said), State::Old, "{signal}");
}

#[test]
fn sigterm_and_sigint_mid_install_roll_back() {
    let scene = upgrade_scene(2000, &["--compile", "--no-cache"]);
    let env = scene.env();
    // While files are written (the journal exists from the write stage on).
    let journal = scene.journal();
    interrupt(&scene, "TERM", || journal.exists());
    // While compiling (beta's __pycache__ is made by the compile stage).
    let pycache = env.join(format!(
        "lib/python{}/site-packages/beta/__pycache__",
        py_version()
    ));
    interrupt(&scene, "TERM", || pycache.exists());
    interrupt(&scene, "INT", || pycache.exists());

    // A second SIGTERM 5 ms after the first (sooner, the two merge into one) exits at once with
    // 143, part-way through the rollback, or finds it done: either way the next command leaves
    // the old tree.
    for (i, ready) in [&(|| journal.exists()) as &dyn Fn() -> bool, &|| {
        pycache.exists()
    }]
    .into_iter()
    .enumerate()
    {
        scene.reset();
        let mut child = scene.action().stderr(Stdio::piped()).spawn().unwrap();
        assert!(
            wait_until(&mut child, ready, Duration::from_secs(120)),
            "the install ended before the signals"
        );
        let pid = child.id().to_string();
        check(
            Command::new("sh")
                .args([
                    "-c",
                    "kill -TERM $0; sleep 0.005; kill -TERM $0 2>/dev/null; true",
                ])
                .arg(&pid),
        );
        let out = child.wait_with_output().unwrap();
        let (_, stderr) = text(&out);
        assert!(
            matches!(out.status.code(), Some(130 | 143)),
            "two SIGTERMs: {:?}: {stderr}",
            out.status
        );
        let said = scene.recover(i == 0);
        assert!(!said.contains("finished it"), "two SIGTERMs: {said}");
        println!(
            "two SIGTERMs: exit {:?}, the journal {}",
            out.status.code(),
            if said.contains("rolled it back") {
                "was left and rolled back"
            } else {
                "was not left"
            }
        );
        assert_eq!(scene.settled("two SIGTERMs", &said), State::Old);
    }
}

// ---------------------------------------------------------------------------------------------
// 8. During `winst sync`: upgrades, an addition and a whole project's removal in one transaction

/// `name==version --hash=sha256:...` lines of these wheels.
fn hashed_lock(path: &Path, wheels: &[&PathBuf]) -> PathBuf {
    let mut text = String::new();
    for w in wheels {
        let name = w.file_name().unwrap().to_str().unwrap();
        let mut parts = name.split('-');
        let (project, version) = (parts.next().unwrap(), parts.next().unwrap());
        let sha = sha256_hex(&std::fs::read(w).unwrap());
        text.push_str(&format!("{project}=={version} --hash=sha256:{sha}\n"));
    }
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

#[test]
fn a_killed_sync_ends_as_lock_a_or_lock_b() {
    let work = workdir();
    let house = work.path().join("house");
    std::fs::create_dir(&house).unwrap();
    let alpha1 = many("alpha", "1.0", 1500, 200).build(&house);
    let gone = many("gone", "1.0", 1500, 200)
        .entry_points("[console_scripts]\ngone = gone:main\n")
        .build(&house);
    let keep = many("keep", "1.0", 10, 100).build(&house);
    let alpha2 = many("alpha", "2.0", 1500, 300).build(&house);
    let beta = many("beta", "1.0", 300, 300).build(&house);
    let a = hashed_lock(&work.path().join("a.txt"), &[&alpha1, &gone, &keep]);
    let b = hashed_lock(&work.path().join("b.txt"), &[&alpha2, &beta, &keep]);
    let scene = Scene::new(
        work,
        &[os(&[&"sync", &"-r", &a, &"-f", &house])],
        os(&[&"sync", &"-r", &b, &"-f", &house]),
        &["alpha", "beta", "gone", "keep"],
    );
    assert!(scene.probe_old.contains("gone 1.0") && scene.probe_new.contains("gone -"));
    scene.crash_and_recover("written", true, State::Old);
    scene.crash_and_recover("moving-aside", false, State::Old);
    scene.crash_and_recover("committed", true, State::New);
    scene.crash_and_recover("cleanup", false, State::New);
    // Random kills over the whole sync, then aimed at the moves and at the cleanup.
    scene.reset();
    let start = Instant::now();
    check(&mut scene.action());
    let full = start.elapsed();
    let spread = scene.kill_trials("sync", 4, |_| true, full.mul_f64(1.3));
    let aside = scene.kill_trials(
        "sync, moving aside",
        2,
        |s| journal_ends_with(&s.env(), "renaming"),
        Duration::from_millis(10),
    );
    let cleanup = scene.kill_trials(
        "sync, cleanup",
        2,
        |s| journal_ends_with(&s.env(), "committed"),
        Duration::from_millis(10),
    );
    let all: Vec<_> = spread.iter().chain(&aside).chain(&cleanup).collect();
    assert!(
        all.iter().any(|(s, _)| *s == State::Old) && all.iter().any(|(s, _)| *s == State::New),
        "the kills did not land both before and after the commit point: {all:?}"
    );
}
