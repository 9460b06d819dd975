//! `winst install -r LOCK` and `winst sync`: lock files and wheelhouses.
//!
//! Real locks: `uv pip compile --generate-hashes --universal` and `uv export --format
//! pylock.toml` (uv from PyPI, installed by the test and cached), over a wheelhouse that
//! `pip download` fills (also with wheels for other platforms and Pythons, which the locks list
//! and winst must pass over). The requirements install is compared with `pip install --no-deps
//! --no-index --find-links ... -r` (same tree). Hand-written locks cover every rule: extras and
//! dependency groups, tag priority, and each refusal, which must leave the environment exactly
//! as it was. `winst sync` from lock A to lock B (upgrades, downgrades, additions, removals) must
//! equal a fresh sync of B, a failing sync must leave A whole, and a second sync is a no-op.
//! Kills during a sync are in `tests/kills.rs`. uv and the wheelhouse are downloaded once into
//! `~/.cache/winst-test-locks` (`WINST_TEST_LOCKS_CACHE`); uv then makes the locks offline.

mod pipcompare;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use pipcompare::*;
use support::*;

/// uv from PyPI, as `bench/run.py` pins it.
const UV_VERSION: &str = "0.13.9";

/// The real wheels of the wheelhouse (`pip download`), for the test interpreter.
const PINS: &[&str] = &[
    "six==1.17.0",
    "markupsafe==3.0.2",
    "attrs==25.3.0",
    "iniconfig==2.1.0",
    "colorama==0.4.6",
    "idna==3.10",
];

/// The directory for tools and downloads kept between runs.
fn cache_home() -> PathBuf {
    std::env::var_os("WINST_TEST_LOCKS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
            PathBuf::from(home).join(".cache/winst-test-locks")
        })
}

/// Runs a download or tool install; `Err` with its output when it fails.
fn run(cmd: &mut Command) -> Result<Output, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        let (o, e) = text(&out);
        Err(format!("{cmd:?} failed:\n{o}\n{e}"))
    }
}

/// Makes `dir` with `fill` (into a temporary sibling, renamed into place), unless it exists.
fn cached_dir(dir: &Path, fill: impl FnOnce(&Path) -> Result<(), String>) -> Result<(), String> {
    if dir.exists() {
        return Ok(());
    }
    let parent = dir.parent().unwrap();
    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    let tmp = tempfile::Builder::new()
        .prefix(".fill-")
        .tempdir_in(parent)
        .map_err(|e| e.to_string())?;
    fill(tmp.path())?;
    let kept = tmp.keep();
    if std::fs::rename(&kept, dir).is_err() {
        // Another test process filled it first.
        let _ = std::fs::remove_dir_all(&kept);
    }
    Ok(())
}

/// uv and the wheelhouse, made once per run (cached across runs).
struct Real {
    uv: PathBuf,
    /// The wheels for the test interpreter.
    house: PathBuf,
    /// Those and wheels of the same versions for other platforms and Pythons.
    all: PathBuf,
}

fn prepare_real() -> Result<Real, String> {
    let py = py_version();
    let tools = cache_home().join(format!("uv-{UV_VERSION}"));
    cached_dir(&tools, |dir| {
        run(Command::new(python3())
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--prefix",
            ])
            .arg(dir)
            .arg(format!("uv=={UV_VERSION}")))
        .map(drop)
    })?;
    let houses = cache_home().join(format!("wheelhouse-v2-py{py}"));
    cached_dir(&houses, |dir| {
        let download = |to: &str, extra: &[&str], pins: &[&str]| {
            run(Command::new(python3())
                .args(["-m", "pip", "download", "-q", "--disable-pip-version-check"])
                .args(["--only-binary=:all:", "--no-deps", "-d"])
                .arg(dir.join(to))
                .args(extra)
                .args(pins))
            .map(drop)
        };
        download("own", &[], PINS)?;
        // Wheels for another platform and another Python, which locks list too.
        let (major, minor) = py.split_once('.').unwrap();
        let next = format!("{major}.{}", minor.parse::<u32>().unwrap() + 1);
        let markupsafe = ["markupsafe==3.0.2"];
        download(
            "others",
            &["--platform", "win_amd64", "--python-version", &py],
            &markupsafe,
        )?;
        download(
            "others",
            &[
                "--platform",
                "manylinux2014_x86_64",
                "--python-version",
                &next,
            ],
            &markupsafe,
        )?;
        // One directory with all of them: uv takes each package from one --find-links
        // directory only.
        std::fs::create_dir(dir.join("all")).map_err(|e| e.to_string())?;
        for sub in ["own", "others"] {
            for e in std::fs::read_dir(dir.join(sub)).map_err(|e| e.to_string())? {
                let e = e.map_err(|e| e.to_string())?;
                std::fs::hard_link(e.path(), dir.join("all").join(e.file_name()))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })?;
    Ok(Real {
        uv: tools.join("bin/uv"),
        house: houses.join("own"),
        all: houses.join("all"),
    })
}

/// uv and the wheelhouse; `None` (skipped) when they cannot be downloaded and
/// `WINST_SKIP_NETWORK_TESTS=1` (never under `CI=true`).
fn real() -> Option<&'static Real> {
    static REAL: OnceLock<Result<Real, String>> = OnceLock::new();
    match REAL.get_or_init(prepare_real) {
        Ok(r) => Some(r),
        Err(e) if std::env::var("WINST_SKIP_NETWORK_TESTS").is_ok_and(|v| v == "1") => {
            prerequisite(false, &format!("uv and the wheelhouse from PyPI: {e}"));
            None
        }
        Err(e) => panic!(
            "uv and the test wheelhouse could not be downloaded from PyPI (needed the first time, \
             cached afterwards; WINST_SKIP_NETWORK_TESTS=1 skips, not under CI=true):\n{e}"
        ),
    }
}

/// `uv ARGS` in `dir`, offline, with its cache next to the tools.
fn uv(real: &Real, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(&real.uv);
    cmd.current_dir(dir)
        .args(args)
        .env("UV_CACHE_DIR", cache_home().join("uv-cache"))
        .env("UV_PYTHON", python3())
        .env_remove("VIRTUAL_ENV");
    check(&mut cmd)
}

/// `winst SUB --python VENV ARGS...`
fn winst_in(venv: &Venv, sub: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = winst();
    cmd.arg(sub).arg("--python").arg(venv.python());
    for a in args {
        cmd.arg(a);
    }
    cmd.output().unwrap()
}

/// Installed `name==version` lines, sorted.
fn installed(venv: &Venv) -> Vec<String> {
    let out = venv.python_out(
        "import importlib.metadata as m\n\
         print('\\n'.join(sorted(f\"{d.metadata['Name'].lower()}=={d.version}\" \
         for d in m.distributions())))",
    );
    out.lines().map(str::to_string).collect()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", text(out)))
}

/// The test interpreter's tags: (`cp311`, platform tag it surely runs, `linux_x86_64`).
fn own_tags() -> (String, String) {
    let out = check(Command::new(python3()).args([
        "-c",
        "import sys, platform; print(f'cp{sys.version_info[0]}{sys.version_info[1]}', \
         'linux_' + platform.machine())",
    ]));
    let text = text(&out).0;
    let (py, plat) = text.trim().split_once(' ').unwrap();
    (py.to_string(), plat.to_string())
}

fn sha256_file(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).unwrap())
}

// ---------------------------------------------------------------------------------------------
// Real locks made by uv

const REQUIREMENTS_IN: &str = "six==1.17.0\nmarkupsafe==3.0.2\nattrs==25.3.0\niniconfig==2.1.0\n\
colorama==0.4.6 ; sys_platform == 'win32'\nidna==3.10 ; python_version < '3.10'\n";

#[test]
fn a_uv_compiled_requirements_file_installs_what_pip_installs() {
    let Some(real) = real() else { return };
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("requirements.in"), REQUIREMENTS_IN).unwrap();
    let house = real.house.to_str().unwrap();
    uv(
        real,
        work.path(),
        &[
            "pip",
            "compile",
            "--universal",
            "--generate-hashes",
            "--no-index",
            "--find-links",
            house,
            "requirements.in",
            "-o",
            "requirements.txt",
            "-q",
        ],
    );
    let lock = work.path().join("requirements.txt");
    let text_lock = std::fs::read_to_string(&lock).unwrap();
    assert!(text_lock.contains("--hash=sha256:"), "{text_lock}");
    assert!(text_lock.contains("sys_platform == 'win32'"), "{text_lock}");

    let venv = Venv::new();
    let (pip_dir, winst_dir) = (work.path().join("pip"), work.path().join("winst"));
    let out = venv.pip(&[
        "install",
        "--no-deps",
        "--no-index",
        "--no-compile",
        "--find-links",
        house,
        "-r",
        lock.to_str().unwrap(),
        "--target",
        pip_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "pip: {:?}", text(&out));
    ok(&winst_in(
        &venv,
        "install",
        &[
            &"-r",
            &lock,
            &"--find-links",
            &house,
            &"--target",
            &winst_dir,
        ],
    ));
    // winst records each wheel's file and sha256 (PEP 610), which pip does not for a wheel
    // found by --find-links; everything else must be the same.
    let mut wt = tree(&winst_dir);
    wt.retain(|p, _| !p.ends_with(".dist-info/direct_url.json"));
    let pt = tree(&pip_dir);
    let python = venv.python();
    let diffs = differences(
        &Side {
            who: "pip",
            tree: &pt,
            dir: &pip_dir,
            root: &pip_dir,
            python: &python,
        },
        &Side {
            who: "winst",
            tree: &wt,
            dir: &winst_dir,
            root: &winst_dir,
            python: &python,
        },
        &Rules {
            scripts: "bin",
            launchers: &Default::default(),
            pip_record_path: &|p: &str| p.strip_prefix("../../").unwrap_or(p).to_string(),
        },
    );
    let diffs: Vec<String> = diffs
        .into_iter()
        .filter(|d| !(d.contains("direct_url.json") && d.contains("RECORD")))
        .collect();
    assert_no_differences("uv-compiled requirements", &diffs);
    let names: Vec<&String> = pt.keys().filter(|p| p.ends_with(".dist-info")).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        !pt.keys()
            .any(|p| p.starts_with("colorama") || p.starts_with("idna"))
    );
}

/// `uv lock` + `uv export --format pylock.toml` of a project over the wheelhouse.
fn uv_pylock(real: &Real, dir: &Path) -> PathBuf {
    std::fs::write(
        dir.join("pyproject.toml"),
        "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\n\
         dependencies = [\"six==1.17.0\", \"markupsafe==3.0.2\", \
         \"colorama==0.4.6; sys_platform == 'win32'\", \"idna==3.10; python_version < '3.10'\"]\n\
         [project.optional-dependencies]\nfast = [\"attrs==25.3.0\"]\n\
         [dependency-groups]\ndev = [\"iniconfig==2.1.0\"]\n",
    )
    .unwrap();
    let all = real.all.to_str().unwrap();
    uv(
        real,
        dir,
        &["lock", "-q", "--no-index", "--find-links", all],
    );
    uv(
        real,
        dir,
        &[
            "export",
            "-q",
            "--format",
            "pylock.toml",
            "--frozen",
            "--no-emit-project",
            "--all-extras",
            "-o",
            "pylock.toml",
        ],
    );
    dir.join("pylock.toml")
}

#[test]
fn a_uv_exported_pylock_installs_the_wheels_for_this_interpreter() {
    let Some(real) = real() else { return };
    let work = tempfile::tempdir().unwrap();
    let lock = uv_pylock(real, work.path());
    let venv = Venv::new();
    let out = winst_in(&venv, "install", &[&"-r", &lock, &"--dry-run", &"--json"]);
    ok(&out);
    let report = json(&out);
    let packages = report["lock"]["packages"].as_array().unwrap();
    let markupsafe = packages.iter().find(|p| p["name"] == "markupsafe").unwrap();
    let (py, _) = own_tags();
    let wheel = markupsafe["wheel"].as_str().unwrap();
    assert!(wheel.contains(&format!("{py}-{py}-manylinux")), "{wheel}");
    let reasons: Vec<String> = markupsafe["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["wheel"], r["reason"]))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("win_amd64") && r.contains("wrong tags")),
        "{reasons:?}"
    );
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    let skipped: Vec<&str> = report["lock"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["colorama", "idna"]);

    ok(&winst_in(&venv, "install", &[&"-r", &lock]));
    assert_eq!(
        installed(&venv),
        [
            "attrs==25.3.0",
            "iniconfig==2.1.0",
            "markupsafe==3.0.2",
            "six==1.17.0"
        ]
    );
    venv.python_out("import markupsafe, six, attr, iniconfig");
    // direct_url.json records the very file, hashed once (when it was checked against the lock).
    let dist_info = std::fs::read_dir(venv.site_packages())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().to_lowercase() == "markupsafe-3.0.2.dist-info")
        .unwrap()
        .path();
    let direct_url = std::fs::read_to_string(dist_info.join("direct_url.json")).unwrap();
    assert!(
        direct_url.contains(&sha256_file(Path::new(wheel))),
        "{direct_url}"
    );
    // The lock as made against an index: its wheels are found by file name in --find-links.
    let text = std::fs::read_to_string(&lock).unwrap();
    let all_url = format!("file://{}/", real.all.display());
    assert!(text.contains(&all_url), "{text}");
    let indexed = work.path().join("pylock.indexed.toml");
    std::fs::write(
        &indexed,
        text.replace(&all_url, "https://files.example.invalid/w/"),
    )
    .unwrap();
    let fresh = Venv::new();
    refused(
        &fresh,
        "install",
        &[&"-r", &indexed],
        &["is not in the wheelhouse"],
    );
    ok(&winst_in(
        &fresh,
        "install",
        &[&"-r", &indexed, &"-f", &real.house],
    ));
    assert_eq!(installed(&fresh), installed(&venv));
    // The same lock again: nothing to do.
    let before = venv.snapshot();
    let (_, stderr) = ok(&winst_in(&venv, "install", &[&"-r", &lock]));
    assert!(stderr.contains("Audited 4 packages"), "{stderr}");
    assert_same_tree(&before, &venv.snapshot());
}

// ---------------------------------------------------------------------------------------------
// Hand-written locks

/// A small wheel `name-version` whose module says its version.
fn small(name: &str, version: &str) -> WheelBuilder {
    WheelBuilder::new(name, version).file(
        &format!("{name}/__init__.py"),
        format!("VERSION = {version:?}\n"),
    )
}

/// A `[[packages]]` entry with one wheel at `path` (relative to the lock), its size and sha256.
fn pylock_package(name: &str, version: &str, wheel: &Path, marker: Option<&str>) -> String {
    let file = wheel.file_name().unwrap().to_str().unwrap();
    let marker = marker
        .map(|m| format!("marker = {m:?}\n"))
        .unwrap_or_default();
    format!(
        "[[packages]]\nname = {name:?}\nversion = {version:?}\n{marker}\
         wheels = [{{ path = \"house/{file}\", size = {}, hashes = {{ sha256 = \"{}\" }} }}]\n\n",
        std::fs::metadata(wheel).unwrap().len(),
        sha256_file(wheel)
    )
}

/// A scratch directory with a wheelhouse `house/`.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("house")).unwrap();
        Scratch { dir }
    }

    fn house(&self) -> PathBuf {
        self.dir.path().join("house")
    }

    fn wheel(&self, b: WheelBuilder) -> PathBuf {
        b.build(&self.house())
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

const PYLOCK_HEAD: &str = "lock-version = \"1.0\"\ncreated-by = \"hand\"\n";

#[test]
fn pylock_extras_and_dependency_groups_select_packages() {
    let s = Scratch::new();
    let base = s.wheel(small("base", "1.0"));
    let fast = s.wheel(small("fast", "1.0"));
    let dev = s.wheel(small("devtool", "1.0"));
    let test = s.wheel(small("testtool", "1.0"));
    let lock = s.write(
        "pylock.toml",
        &format!(
            "{PYLOCK_HEAD}extras = [\"fast\"]\ndependency-groups = [\"dev\", \"test\"]\n\
             default-groups = [\"dev\"]\n\n{}{}{}{}[tool.someone]\nanything = 1\n",
            pylock_package("base", "1.0", &base, None),
            pylock_package("fast", "1.0", &fast, Some("'fast' in extras")),
            pylock_package("devtool", "1.0", &dev, Some("'dev' in dependency_groups")),
            pylock_package(
                "testtool",
                "1.0",
                &test,
                Some("'test' in dependency_groups and python_version >= '3'")
            ),
        ),
    );
    // No flags: the default group.
    let venv = Venv::new();
    ok(&winst_in(&venv, "install", &[&"-r", &lock]));
    assert_eq!(installed(&venv), ["base==1.0", "devtool==1.0"]);
    // An extra and a group: the group replaces the default ones.
    let venv = Venv::new();
    ok(&winst_in(
        &venv,
        "install",
        &[&"-r", &lock, &"--extra", &"fast", &"--group", &"test"],
    ));
    assert_eq!(
        installed(&venv),
        ["base==1.0", "fast==1.0", "testtool==1.0"]
    );
    // The JSON report says why the others were skipped.
    let out = winst_in(&venv, "install", &[&"-r", &lock, &"--dry-run", &"--json"]);
    ok(&out);
    let skipped = json(&out)["lock"]["skipped"].clone();
    assert_eq!(skipped[0]["name"], "fast");
    assert_eq!(skipped[0]["reason"], "marker false: 'fast' in extras");
}

#[test]
fn the_best_tag_wins_and_the_others_say_why() {
    let s = Scratch::new();
    let (py, plat) = own_tags();
    let generic = s.wheel(small("demo", "1.0"));
    let specific = s.wheel(small("demo", "1.0").tag(&format!("{py}-{py}-{plat}")));
    let abi3 = s.wheel(small("demo", "1.0").tag(&format!("cp32-abi3-{plat}")));
    let windows = s.wheel(small("demo", "1.0").tag(&format!("{py}-{py}-win_amd64")));
    let hashes: Vec<String> = [&generic, &specific, &abi3, &windows]
        .iter()
        .map(|w| format!("--hash=sha256:{}", sha256_file(w)))
        .collect();
    let lock = s.write("req.txt", &format!("demo==1.0 {}\n", hashes.join(" ")));
    let venv = Venv::new();
    let out = winst_in(
        &venv,
        "install",
        &[&"-r", &lock, &"-f", &s.house(), &"--dry-run", &"--json"],
    );
    ok(&out);
    let report = json(&out);
    let demo = &report["lock"]["packages"][0];
    assert_eq!(demo["wheel"], specific.to_str().unwrap());
    let rejected: Vec<String> = demo["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}: {}",
                r["wheel"].as_str().unwrap(),
                r["reason"].as_str().unwrap()
            )
        })
        .collect();
    let name = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_string();
    assert_eq!(
        rejected,
        [
            format!(
                "{}: wrong tags: the target cannot run {py}-{py}-win_amd64",
                name(&windows)
            ),
            format!(
                "{}: the target prefers {py}-{py}-{plat} ({})",
                name(&abi3),
                name(&specific)
            ),
            format!(
                "{}: the target prefers {py}-{py}-{plat} ({})",
                name(&generic),
                name(&specific)
            ),
        ]
    );
    // The dry run said it in words too.
    let out = winst_in(
        &venv,
        "install",
        &[&"-r", &lock, &"-f", &s.house(), &"--dry-run"],
    );
    let (stdout, _) = ok(&out);
    assert!(
        stdout.contains(&format!("lock: demo==1.0: {}", name(&specific))),
        "{stdout}"
    );
    ok(&winst_in(
        &venv,
        "install",
        &[&"-r", &lock, &"-f", &s.house()],
    ));
    assert_eq!(installed(&venv), ["demo==1.0"]);
}

#[test]
fn includes_constraints_and_option_lines_are_read_as_pip_reads_them() {
    let s = Scratch::new();
    let one = s.wheel(small("one", "1.0"));
    let two = s.wheel(small("two", "2.0"));
    s.write(
        "base.txt",
        &format!(
            "# the base\none==1.0 \\\n    --hash=sha256:{}  # pinned\n",
            sha256_file(&one)
        ),
    );
    s.write("constraints.txt", "two<3\none>=1\n");
    std::fs::create_dir(s.dir.path().join("sub")).unwrap();
    let lock = s.write(
        "sub/req.txt",
        &format!(
            "--index-url https://example.invalid/simple\n--no-index\n--find-links ../house\n\
             -r ../base.txt\n-c ../constraints.txt\n--require-hashes\n\
             Two==2.0 ; python_version >= '3' --hash sha256:{}\n\
             skipped==9.9 ; sys_platform == 'win32' --hash=sha256:00\n",
            sha256_file(&two)
        ),
    );
    let venv = Venv::new();
    ok(&winst_in(&venv, "install", &[&"-r", &lock]));
    assert_eq!(installed(&venv), ["one==1.0", "two==2.0"]);
}

/// Runs `winst install -r ...` (or `sync`) on an environment with something installed; asserts
/// it fails with `expected` in the error (which names the lock file) and changes nothing.
fn refused(
    venv: &Venv,
    sub: &str,
    args: &[&dyn AsRef<std::ffi::OsStr>],
    expected: &[impl AsRef<str>],
) {
    let before = venv.snapshot();
    let out = winst_in(venv, sub, args);
    let (stdout, stderr) = text(&out);
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_os_string()).collect();
    assert_eq!(out.status.code(), Some(1), "{shown:?}: {stdout}\n{stderr}");
    for e in expected.iter().map(AsRef::as_ref) {
        assert!(
            stderr.contains(e),
            "{shown:?}: expected {e:?} in:\n{stderr}"
        );
    }
    assert!(stdout.is_empty(), "{stdout}");
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn every_lock_rule_refuses_and_leaves_the_environment_unchanged() {
    let s = Scratch::new();
    let (py, _) = own_tags();
    let demo = s.wheel(small("demo", "1.0"));
    let other = s.wheel(small("other", "1.0"));
    let win = s.wheel(small("winonly", "1.0").tag(&format!("{py}-{py}-win_amd64")));
    let outside = tempfile::tempdir().unwrap();
    let missing = small("missing", "1.0").build(outside.path());
    let sha = sha256_file(&demo);
    let venv = Venv::new();
    ok(&venv.install(&[&other]));
    let h = s.house();
    let req = |name: &str, text: &str| s.write(name, text);
    let mismatch = format!("has sha256 {sha}, which is not among");
    let cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            req(
                "mismatch.txt",
                &format!("demo==1.0 --hash=sha256:{}\n", "0".repeat(64)),
            ),
            vec!["mismatch.txt: demo==1.0: ", &mismatch],
        ),
        (
            req("unpinned.txt", "demo>=1.0\n"),
            vec!["unpinned.txt: line 1: demo: is not pinned"],
        ),
        (
            req("wild.txt", "demo==1.*\n"),
            vec!["wild.txt: line 1: demo: is not pinned"],
        ),
        (
            req(
                "url.txt",
                "demo @ https://example.invalid/demo-1.0-py3-none-any.whl\n",
            ),
            vec!["url.txt: line 1: demo: a URL requirement needs a --hash"],
        ),
        (
            req(
                "sdisturl.txt",
                "demo @ https://example.invalid/demo-1.0.tar.gz --hash=sha256:00\n",
            ),
            vec!["is not a wheel; winst installs built wheels: build demo first"],
        ),
        (
            req("editable.txt", "-e ./src\n"),
            vec!["editable.txt: line 1: an editable requirement"],
        ),
        (
            req(
                "half.txt",
                &format!("demo==1.0 --hash=sha256:{sha}\nother==1.0\n"),
            ),
            vec!["half.txt: line 2: other: has no --hash, but other requirements do"],
        ),
        (
            req("require.txt", "--require-hashes\ndemo==1.0\n"),
            vec!["require.txt: line 2: demo: has no --hash"],
        ),
        (
            req("sha512.txt", "demo==1.0 --hash=sha512:abcd\n"),
            vec!["no sha256 among them"],
        ),
        (
            req("absent.txt", "demo==2.0\n"),
            vec!["absent.txt: line 1: demo: no wheel of demo==2.0 in the --find-links"],
        ),
        (
            req(
                "constrained.txt",
                &format!("-c c.txt\ndemo==1.0 --hash=sha256:{sha}\n"),
            ),
            vec!["constrained.txt: line 2: demo: is pinned to 1.0, which the constraint"],
        ),
        (
            req("badopt.txt", "--frobnicate\n"),
            vec!["badopt.txt: line 1: unsupported option"],
        ),
        (
            req("nothing.txt", "./demo-1.0-py3-none-any.whl\n"),
            vec!["is not a PEP 508 requirement"],
        ),
        (
            s.dir.path().join("nonexistent.txt"),
            vec!["nonexistent.txt: cannot read"],
        ),
    ];
    s.write("c.txt", "demo<1\n");
    for (lock, expected) in &cases {
        refused(&venv, "install", &[&"-r", lock, &"-f", &h], expected);
    }

    let pkg = |name: &str, version: &str, wheel: &Path, marker: Option<&str>| {
        pylock_package(name, version, wheel, marker)
    };
    let pylock = |name: &str, text: String| s.write(&format!("pylock.{name}.toml"), &text);
    let demo_pkg = pkg("demo", "1.0", &demo, None);
    let wintags = format!("pylock.wintags.toml: winonly: no wheel for {py}-");
    let toml_cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            pylock("v2", format!("lock-version = \"2.0\"\n{demo_pkg}")),
            vec!["lock-version 2.0 is not supported: winst reads lock-version 1.x"],
        ),
        (
            pylock(
                "python",
                format!("{PYLOCK_HEAD}requires-python = \">=4\"\n{demo_pkg}"),
            ),
            vec!["pylock.python.toml: the lock requires Python >=4; the target is Python"],
        ),
        (
            pylock(
                "envs",
                format!("{PYLOCK_HEAD}environments = [\"sys_platform == 'win32'\"]\n{demo_pkg}"),
            ),
            vec!["the lock is for other environments (sys_platform == 'win32'); none matches"],
        ),
        (
            pylock("twice", format!("{PYLOCK_HEAD}{demo_pkg}{demo_pkg}")),
            vec!["pylock.twice.toml: demo: two entries apply to this target"],
        ),
        (
            pylock(
                "sdist",
                format!(
                    "{PYLOCK_HEAD}[[packages]]\nname = \"demo\"\nversion = \"1.0\"\n\
                     sdist = {{ name = \"demo-1.0.tar.gz\", url = \"https://example.invalid/demo-1.0.tar.gz\", \
                     hashes = {{ sha256 = \"00\" }} }}\n"
                ),
            ),
            vec![
                "pylock.sdist.toml: demo: the lock gives only an sdist for it; winst installs built wheels: build demo first",
            ],
        ),
        (
            pylock(
                "vcs",
                format!(
                    "{PYLOCK_HEAD}[[packages]]\nname = \"demo\"\nvcs = {{ type = \"git\", url = \"https://example.invalid/demo.git\", commit-id = \"abc\" }}\n"
                ),
            ),
            vec!["gives only a VCS checkout for it; winst installs built wheels"],
        ),
        (
            pylock(
                "wintags",
                format!("{PYLOCK_HEAD}{}", pkg("winonly", "1.0", &win, None)),
            ),
            vec![
                &wintags,
                "among: winonly-1.0-",
                "(wrong tags: the target cannot run",
            ],
        ),
        (
            pylock(
                "notfound",
                format!(
                    "{PYLOCK_HEAD}[[packages]]\nname = \"missing\"\nversion = \"1.0\"\n\
                     wheels = [{{ url = \"https://example.invalid/{}\", hashes = {{ sha256 = \"{}\" }} }}]\n",
                    missing.file_name().unwrap().to_str().unwrap(),
                    sha256_file(&missing)
                ),
            ),
            vec![
                "pylock.notfound.toml: missing: its wheel for",
                "is not in the wheelhouse: missing-1.0-py3-none-any.whl",
            ],
        ),
        (
            pylock(
                "size",
                format!("{PYLOCK_HEAD}{}", demo_pkg.replace("size = ", "size = 1")),
            ),
            vec![
                "pylock.size.toml: demo==1.0: ",
                "bytes, but the lock says 1",
            ],
        ),
        (
            pylock(
                "nosha",
                format!(
                    "{PYLOCK_HEAD}{}",
                    demo_pkg.replace("sha256 = ", "sha512 = ")
                ),
            ),
            vec!["the lock gives no sha256 for it (sha512)"],
        ),
        (
            pylock(
                "badmarker",
                format!(
                    "{PYLOCK_HEAD}{}",
                    pkg("demo", "1.0", &demo, Some("python_version >>> '3'"))
                ),
            ),
            vec!["pylock.badmarker.toml: demo: invalid marker `python_version >>> '3'`"],
        ),
        (
            pylock(
                "pkgpython",
                format!(
                    "{PYLOCK_HEAD}{}",
                    demo_pkg.replace(
                        "version = \"1.0\"\n",
                        "version = \"1.0\"\nrequires-python = \"<3\"\n"
                    )
                ),
            ),
            vec!["pylock.pkgpython.toml: demo: requires Python <3; the target is Python"],
        ),
        (
            pylock(
                "wrongversion",
                format!(
                    "{PYLOCK_HEAD}{}",
                    demo_pkg.replace("version = \"1.0\"", "version = \"2.0\"")
                ),
            ),
            vec!["is not version 2.0"],
        ),
        (
            pylock(
                "broken",
                "lock-version = \"1.0\"\n[[packages]\n".to_string(),
            ),
            vec!["pylock.broken.toml: not valid TOML"],
        ),
        (
            pylock("noversion", "created-by = \"x\"\n".to_string()),
            vec!["has no `lock-version`"],
        ),
    ];
    for (lock, expected) in &toml_cases {
        refused(&venv, "install", &[&"-r", lock, &"-f", &h], expected);
    }
    // Unknown extras and groups.
    let lock = pylock(
        "plain",
        format!("{PYLOCK_HEAD}extras = [\"x\"]\n{demo_pkg}"),
    );
    refused(
        &venv,
        "install",
        &[&"-r", &lock, &"--extra", &"y"],
        &["--extra y: the lock has no such extra (it has: x)"],
    );
    refused(
        &venv,
        "install",
        &[&"-r", &lock, &"--group", &"dev"],
        &["--group dev: the lock has no such dependency group (it has: none)"],
    );
    // A newer minor lock-version is read, with a warning.
    let lock = pylock("minor", format!("lock-version = \"1.1\"\n{demo_pkg}"));
    let (_, stderr) = ok(&winst_in(&venv, "install", &[&"-r", &lock, &"--dry-run"]));
    assert!(
        stderr.contains("lock-version 1.1 is newer than the 1.0 winst knows"),
        "{stderr}"
    );
    // Two locks naming one project at different versions.
    let demo2 = s.wheel(small("demo", "2.0"));
    let a = s.write("a.txt", &format!("demo==1.0 --hash=sha256:{sha}\n"));
    let b = s.write(
        "b.txt",
        &format!("demo==2.0 --hash=sha256:{}\n", sha256_file(&demo2)),
    );
    refused(
        &venv,
        "install",
        &[&"-r", &a, &"-r", &b, &"-f", &h],
        &["b.txt: demo: listed twice for this target: demo==1.0"],
    );
}

// ---------------------------------------------------------------------------------------------
// winst sync

/// A requirements lock of these wheels (all hashed).
fn lock_of(s: &Scratch, name: &str, wheels: &[impl AsRef<Path>]) -> PathBuf {
    let mut text = String::new();
    for w in wheels.iter().map(AsRef::as_ref) {
        let parsed: Vec<&str> = w
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .split('-')
            .collect();
        text.push_str(&format!(
            "{}=={} \\\n    --hash=sha256:{}\n",
            parsed[0],
            parsed[1],
            sha256_file(w)
        ));
    }
    s.write(name, &text)
}

/// Lock A and lock B: an upgrade, a downgrade, an addition, a removal and one unchanged.
fn two_locks(s: &Scratch) -> (PathBuf, PathBuf) {
    let a = [
        s.wheel(small("alpha", "1.0").file("alpha/old.py", "OLD = 1\n")),
        s.wheel(small("beta", "2.0").file("beta/two.py", "")),
        s.wheel(small("gone", "1.0").file("gone/deep/er.py", "")),
        s.wheel(small("same", "1.0")),
    ];
    let b = [
        s.wheel(small("alpha", "2.0").file("alpha/new.py", "NEW = 2\n")),
        s.wheel(small("beta", "1.0")),
        s.wheel(small("added", "1.0")),
        a[3].clone(),
    ];
    (lock_of(s, "a.txt", &a), lock_of(s, "b.txt", &b))
}

/// site-packages as a tree, with the venv's own path blanked where a file names it.
fn site_tree(venv: &Venv) -> Tree {
    let mut t = tree(&venv.site_packages());
    let root = venv.root().display().to_string();
    for e in t.values_mut() {
        if let Entry::File { bytes, .. } = e {
            *bytes = replace_bytes(bytes, root.as_bytes(), b"<ROOT>");
        }
    }
    t
}

#[test]
fn sync_from_lock_a_to_lock_b_equals_a_fresh_sync_of_b() {
    let s = Scratch::new();
    let (a, b) = two_locks(&s);
    let h = s.house();
    let moved = Venv::new();
    ok(&winst_in(&moved, "sync", &[&"-r", &a, &"-f", &h]));
    assert_eq!(
        installed(&moved),
        ["alpha==1.0", "beta==2.0", "gone==1.0", "same==1.0"]
    );
    // What it would do, as data.
    let out = winst_in(
        &moved,
        "sync",
        &[&"-r", &b, &"-f", &h, &"--dry-run", &"--json"],
    );
    ok(&out);
    let report = json(&out);
    assert_eq!(report["uninstalled"], serde_json::json!(["gone==1.0"]));
    assert_eq!(report["lock"]["remove"], serde_json::json!(["gone==1.0"]));
    let actions: Vec<String> = report["lock"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["action"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            "alpha install",
            "beta install",
            "added install",
            "same audited"
        ]
    );
    // And in words.
    let (_, stderr) = ok(&winst_in(&moved, "sync", &[&"-r", &b, &"-f", &h]));
    for line in [
        "Installed 3 packages",
        "Uninstalled 1 package",
        "Audited 1 package",
        " - alpha==1.0\n + alpha==2.0",
        " - beta==2.0\n + beta==1.0",
        " - gone==1.0",
        " + added==1.0",
    ] {
        assert!(stderr.contains(line), "{line:?} in:\n{stderr}");
    }
    let fresh = Venv::new();
    ok(&winst_in(&fresh, "sync", &[&"-r", &b, &"-f", &h]));
    assert_eq!(
        installed(&moved),
        ["added==1.0", "alpha==2.0", "beta==1.0", "same==1.0"]
    );
    let (mt, ft) = (site_tree(&moved), site_tree(&fresh));
    let keys = |t: &Tree| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&mt), keys(&ft));
    assert!(
        mt == ft,
        "the synced and the fresh trees differ in contents"
    );
    // Synced already: a no-op that says so and changes nothing.
    let before = moved.snapshot();
    let (_, stderr) = ok(&winst_in(&moved, "sync", &[&"-r", &b, &"-f", &h]));
    assert!(stderr.starts_with("Audited 4 packages in "), "{stderr}");
    assert_same_tree(&before, &moved.snapshot());
}

#[test]
fn a_sync_that_fails_leaves_the_old_environment_whole() {
    let s = Scratch::new();
    let (a, _) = two_locks(&s);
    let h = s.house();
    let venv = Venv::new();
    ok(&winst_in(&venv, "sync", &[&"-r", &a, &"-f", &h]));
    // A wheel found bad only while its files are written, after the plan removed `gone` and
    // replaced alpha and beta.
    let late = s.wheel(
        small("late", "1.0")
            .unrecorded("late/bad.py", "X = 1\n")
            .record_row("late/bad.py,sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,6"),
    );
    let alpha2 = s.wheel(small("alpha", "2.0"));
    let bad = lock_of(&s, "bad.txt", &[&alpha2, &late]);
    refused(
        &venv,
        "sync",
        &[&"-r", &bad, &"-f", &h],
        &["late-1.0-py3-none-any.whl: late/bad.py:"],
    );
    // A wheel whose file is not the one the lock names.
    let other = s.write(
        "other.txt",
        &format!("alpha==2.0 --hash=sha256:{}\n", "ab".repeat(32)),
    );
    refused(
        &venv,
        "sync",
        &[&"-r", &other, &"-f", &h],
        &["other.txt: alpha==2.0: "],
    );
    assert_eq!(
        installed(&venv),
        ["alpha==1.0", "beta==2.0", "gone==1.0", "same==1.0"]
    );
}

#[test]
fn sync_keeps_what_a_fresh_venv_starts_with_unless_exact() {
    let s = Scratch::new();
    let one = s.wheel(small("one", "1.0"));
    let lock = lock_of(&s, "one.txt", &[&one]);
    let dir = tempfile::tempdir().unwrap();
    check(
        Command::new(python3())
            .args(["-m", "venv"])
            .arg(dir.path().join("env")),
    );
    let venv = Venv { dir };
    let seeded: Vec<String> = installed(&venv);
    assert!(seeded.iter().any(|p| p.starts_with("pip==")), "{seeded:?}");
    ok(&winst_in(&venv, "sync", &[&"-r", &lock, &"-f", &s.house()]));
    let now = installed(&venv);
    assert!(
        now.contains(&"one==1.0".to_string()) && now.len() == seeded.len() + 1,
        "{now:?}"
    );
    ok(&winst_in(
        &venv,
        "sync",
        &[&"-r", &lock, &"-f", &s.house(), &"--exact"],
    ));
    assert_eq!(installed(&venv), ["one==1.0"]);
}
