//! Differential test against pip: the pinned real-world wheel corpus (`tests/corpus`) installed by
//! `pip install --no-deps --no-compile` into one fresh venv and by `winst install` into another must
//! give the same tree: the same paths, bytes and modes. Only these may differ:
//!
//! - `*.dist-info/INSTALLER`, `*.dist-info/direct_url.json` and `*.dist-info/REQUESTED` (contents
//!   only; each must exist in both trees);
//! - `*.dist-info/RECORD`, which is checked on its own: the same set of paths as pip's, and every
//!   row's hash and size match the file on disk;
//! - launchers generated from `console_scripts` / `gui_scripts`: both must exist, be executable,
//!   and start with a shebang naming their own venv's python;
//! - `.data/scripts` files that start with `#!python`, which must be equal once each venv's root
//!   is replaced by a placeholder.
//!
//! Then the winst venv must work: `pip check` says the same as in the pip venv, the main modules
//! import, console scripts run, and `pip uninstall` removes everything some projects installed.
//!
//! The corpus is downloaded from PyPI by `tests/corpus/fetch.sh` (cached). Without network access
//! the test fails, unless `WINST_SKIP_NETWORK_TESTS=1`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::*;

/// How many differences of one kind a failure message lists.
const SHOW: usize = 50;

/// Modules that must import in the winst venv.
const IMPORTS: &[&str] = &[
    "numpy",
    "requests",
    "django",
    "botocore",
    "yaml",
    "lxml",
    "cryptography",
    "zope.interface",
    "jaraco.functools",
    "PIL",
    "psutil",
    "orjson",
    "msgpack",
    "greenlet",
    "charset_normalizer",
    "markupsafe",
];

/// Scripts (entry-point launchers and `#!python` data scripts) that must run in the winst venv.
const SCRIPTS: &[(&str, &[&str])] = &[
    ("pytest", &["--version"]),
    ("black", &["--version"]),
    ("flake8", &["--version"]),
    ("django-admin", &["--version"]),
    ("jp.py", &["--help"]),
    ("jsonpointer", &["--help"]),
];

/// Projects uninstalled from the winst venv with pip at the end.
const UNINSTALL: &[&str] = &["requests", "django", "numpy", "pybind11-global"];

// ---------------------------------------------------------------------------------------------
// The corpus

/// What the wheels themselves say about scripts (read from the archives, not from either install).
#[derive(Default)]
struct ScriptInfo {
    /// `bin/NAME` of every `console_scripts` / `gui_scripts` entry point.
    launchers: BTreeSet<String>,
    /// `bin/NAME` of every `.data/scripts` member starting with `#!python`.
    python_scripts: BTreeSet<String>,
}

fn scan_wheels(wheels: &[PathBuf]) -> ScriptInfo {
    let mut info = ScriptInfo::default();
    for wheel in wheels {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", wheel.display()));
        for i in 0..zip.len() {
            let mut member = zip.by_index(i).unwrap();
            let name = member.name().unwrap().to_string();
            let Some((top, rest)) = name.split_once('/') else {
                continue;
            };
            if top.ends_with(".dist-info") && rest == "entry_points.txt" {
                let mut text = String::new();
                member.read_to_string(&mut text).unwrap();
                for script in entry_point_scripts(&text) {
                    info.launchers.insert(format!("bin/{script}"));
                }
            } else if let Some(script) = rest.strip_prefix("scripts/")
                && top.ends_with(".data")
                && !script.is_empty()
                && !name.ends_with('/')
            {
                let mut head = Vec::new();
                member.by_ref().take(8).read_to_end(&mut head).unwrap();
                if head.starts_with(b"#!python") {
                    info.python_scripts.insert(format!("bin/{script}"));
                }
            }
        }
    }
    info
}

/// Script names in the `console_scripts` and `gui_scripts` sections of `entry_points.txt`.
fn entry_point_scripts(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_scripts = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[') {
            let section = section.trim_end_matches(']').trim();
            in_scripts = section == "console_scripts" || section == "gui_scripts";
        } else if in_scripts && let Some((name, _)) = line.split_once('=') {
            names.push(name.trim().to_string());
        }
    }
    names
}

// ---------------------------------------------------------------------------------------------
// Trees

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Dir {
        mode: u32,
    },
    File {
        mode: u32,
        sha256: String,
        size: u64,
    },
    Link(PathBuf),
}

impl Entry {
    fn kind(&self) -> &'static str {
        match self {
            Entry::Dir { .. } => "directory",
            Entry::File { .. } => "file",
            Entry::Link(_) => "symlink",
        }
    }
}

/// Every path under `root` (relative, `/`-separated) without following symlinks.
type Tree = BTreeMap<String, Entry>;

fn walk(root: &Path) -> Tree {
    fn go(root: &Path, dir: &Path, out: &mut Tree) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let path = e.path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.file_type().is_symlink() {
                out.insert(rel, Entry::Link(std::fs::read_link(&path).unwrap()));
            } else if meta.is_dir() {
                out.insert(rel, Entry::Dir { mode });
                go(root, &path, out);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(
                    rel,
                    Entry::File {
                        mode,
                        sha256: sha256_hex(&bytes),
                        size: bytes.len() as u64,
                    },
                );
            }
        }
    }
    let mut out = Tree::new();
    go(root, root, &mut out);
    out
}

/// Snapshots both venvs at once (hashing a few hundred MB).
fn walk_both(a: &Path, b: &Path) -> (Tree, Tree) {
    std::thread::scope(|s| {
        let ta = s.spawn(|| walk(a));
        let tb = walk(b);
        (ta.join().unwrap(), tb)
    })
}

/// What the installer wrote: paths not in the fresh venv. Venv files it changed or removed are
/// reported into `problems`.
fn installed(who: &str, base: &Tree, after: &Tree, problems: &mut Vec<String>) -> Tree {
    for (path, entry) in base {
        match after.get(path) {
            None => problems.push(format!("{path}: venv's own file removed by {who}")),
            Some(now) if now != entry => {
                problems.push(format!("{path}: venv's own file changed by {who}"))
            }
            _ => {}
        }
    }
    after
        .iter()
        .filter(|(p, _)| !base.contains_key(*p))
        .map(|(p, e)| (p.clone(), e.clone()))
        .collect()
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if !needle.is_empty() && haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// Describes how two byte strings differ: sizes, and the first differing line when both are text.
fn describe_content_diff(a: &[u8], b: &[u8]) -> String {
    let mut msg = format!("pip {} bytes, winst {} bytes", a.len(), b.len());
    if let (Ok(ta), Ok(tb)) = (std::str::from_utf8(a), std::str::from_utf8(b)) {
        let (la, lb): (Vec<&str>, Vec<&str>) = (ta.lines().collect(), tb.lines().collect());
        let n = la.len().max(lb.len());
        if let Some(i) = (0..n).find(|&i| la.get(i) != lb.get(i)) {
            let cut = |s: Option<&&str>| -> String {
                s.map(|s| s.chars().take(120).collect::<String>())
                    .unwrap_or_else(|| "<none>".into())
            };
            msg.push_str(&format!(
                "; first difference at line {}: pip {:?} vs winst {:?}",
                i + 1,
                cut(la.get(i)),
                cut(lb.get(i))
            ));
        }
    } else {
        let at = a.iter().zip(b).position(|(x, y)| x != y);
        if let Some(at) = at {
            msg.push_str(&format!("; first differing byte at offset {at}"));
        }
    }
    msg
}

/// The interpreter a launcher's shebang names: `#!PATH`, or the `/bin/sh` prelude pip (distlib)
/// and winst use for long or spaced paths.
fn shebang_interpreter(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
    let mut lines = text.lines();
    let first = lines.next()?.strip_prefix("#!")?.trim().to_string();
    if first != "/bin/sh" {
        return Some(first);
    }
    let exec = lines.next()?;
    let rest = exec.strip_prefix("'''exec' ")?;
    let quoted = rest.strip_prefix('"')?;
    let end = quoted.find('"')?;
    Some(quoted[..end].to_string())
}

fn is_executable(mode: u32) -> bool {
    mode & 0o111 != 0
}

/// Counts of what the tree comparison looked at.
#[derive(Default)]
struct Compared {
    paths: usize,
    identical_files: usize,
    dirs: usize,
    launchers: usize,
    python_scripts: usize,
    bookkeeping: usize,
}

struct Side<'a> {
    root: &'a Path,
    tree: &'a Tree,
}

/// Compares what pip and winst installed; every difference not allowed goes into `diffs`.
fn compare_trees(
    pip: &Side,
    winst: &Side,
    scripts: &ScriptInfo,
    diffs: &mut Vec<String>,
) -> Compared {
    let mut seen = Compared::default();
    let paths: BTreeSet<&String> = pip.tree.keys().chain(winst.tree.keys()).collect();
    let pip_python = format!("{}/bin/python", pip.root.display());
    let winst_python = format!("{}/bin/python", winst.root.display());
    for path in paths {
        seen.paths += 1;
        let (p, w) = match (pip.tree.get(path), winst.tree.get(path)) {
            (Some(p), Some(w)) => (p, w),
            (Some(p), None) => {
                diffs.push(format!("{path}: only pip installed it ({})", p.kind()));
                continue;
            }
            (None, Some(w)) => {
                diffs.push(format!("{path}: only winst installed it ({})", w.kind()));
                continue;
            }
            (None, None) => unreachable!(),
        };
        let (pm, wm) = match (p, w) {
            (Entry::Dir { mode: pm }, Entry::Dir { mode: wm }) => {
                seen.dirs += 1;
                if pm != wm {
                    diffs.push(format!(
                        "{path}: directory mode differs: pip {pm:o}, winst {wm:o}"
                    ));
                }
                continue;
            }
            (Entry::Link(pt), Entry::Link(wt)) => {
                let norm = |t: &Path, root: &Path| {
                    t.to_string_lossy()
                        .replace(&*root.to_string_lossy(), "<VENV>")
                };
                if norm(pt, pip.root) != norm(wt, winst.root) {
                    diffs.push(format!(
                        "{path}: symlink target differs: pip {}, winst {}",
                        pt.display(),
                        wt.display()
                    ));
                }
                continue;
            }
            (Entry::File { mode: pm, .. }, Entry::File { mode: wm, .. }) => (*pm, *wm),
            _ => {
                diffs.push(format!(
                    "{path}: type differs: pip wrote a {}, winst a {}",
                    p.kind(),
                    w.kind()
                ));
                continue;
            }
        };
        let read = |side: &Side| std::fs::read(side.root.join(path)).unwrap();

        if scripts.launchers.contains(path) {
            // Launcher text is each installer's own; both must run with their venv's python.
            seen.launchers += 1;
            for (who, mode, side, python) in [
                ("pip", pm, pip, &pip_python),
                ("winst", wm, winst, &winst_python),
            ] {
                if !is_executable(mode) {
                    diffs.push(format!(
                        "{path}: launcher not executable: written by {who} with mode {mode:o}"
                    ));
                }
                match shebang_interpreter(&read(side)) {
                    Some(interp) if interp == *python => {}
                    other => diffs.push(format!(
                        "{path}: launcher shebang wrong: {who} wrote interpreter {other:?}, \
                         expected {python:?}"
                    )),
                }
            }
            continue;
        }

        let (parent, file_name) = path.rsplit_once('/').unwrap_or(("", path));
        if parent.ends_with(".dist-info")
            && matches!(
                file_name,
                "INSTALLER" | "RECORD" | "direct_url.json" | "REQUESTED"
            )
        {
            // Contents differ by design (RECORD is compared in `compare_records`).
            seen.bookkeeping += 1;
            if pm != wm {
                diffs.push(format!("{path}: mode differs: pip {pm:o}, winst {wm:o}"));
            }
            continue;
        }

        if pm != wm {
            let what = if is_executable(pm) != is_executable(wm) {
                "executable bit differs"
            } else {
                "mode differs"
            };
            diffs.push(format!("{path}: {what}: pip {pm:o}, winst {wm:o}"));
        }
        if scripts.python_scripts.contains(path) {
            // `#!python` became each venv's interpreter; the rest must be identical.
            seen.python_scripts += 1;
            let a = replace_bytes(&read(pip), pip.root.to_string_lossy().as_bytes(), b"<VENV>");
            let b = replace_bytes(
                &read(winst),
                winst.root.to_string_lossy().as_bytes(),
                b"<VENV>",
            );
            if a != b {
                diffs.push(format!(
                    "{path}: #!python script differs after replacing the venv root: {}",
                    describe_content_diff(&a, &b)
                ));
            }
            continue;
        }
        if p != w {
            if let (Entry::File { sha256: ph, .. }, Entry::File { sha256: wh, .. }) = (p, w)
                && ph != wh
            {
                diffs.push(format!(
                    "{path}: contents differ: {}",
                    describe_content_diff(&read(pip), &read(winst))
                ));
            }
        } else {
            seen.identical_files += 1;
        }
    }
    seen
}

// ---------------------------------------------------------------------------------------------
// RECORD

/// Parses CSV as Python's `csv` module writes it (RECORD): quoted fields, `""` escapes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    rows
}

/// `base/rel` with `.` and `..` resolved lexically (the file may no longer exist).
fn lexical_join(base: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in base.join(rel).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The `*.dist-info` directories directly in site-packages (relative to the venv root).
fn dist_infos(tree: &Tree, site_packages: &str) -> BTreeSet<String> {
    tree.iter()
        .filter(|(p, e)| {
            matches!(e, Entry::Dir { .. })
                && p.ends_with(".dist-info")
                && p.rsplit_once('/')
                    .is_some_and(|(parent, _)| parent == site_packages)
        })
        .map(|(p, _)| p.clone())
        .collect()
}

fn record_rows(root: &Path, dist_info: &str) -> Option<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(root.join(dist_info).join("RECORD")).ok()?;
    Some(parse_csv(&text))
}

#[derive(Default)]
struct RecordStats {
    records: usize,
    rows_verified: usize,
}

/// Compares pip's and winst's RECORD path sets per project, verifies every winst RECORD row against
/// the disk, and checks every file winst installed is listed in some RECORD.
fn compare_records(
    pip: &Side,
    winst: &Side,
    site_packages: &str,
    diffs: &mut Vec<String>,
) -> RecordStats {
    let mut stats = RecordStats::default();
    let mut listed: BTreeSet<PathBuf> = BTreeSet::new();
    let infos: BTreeSet<String> = dist_infos(pip.tree, site_packages)
        .into_iter()
        .chain(dist_infos(winst.tree, site_packages))
        .collect();
    let sp_abs = winst.root.join(site_packages);
    for info in &infos {
        let (Some(prows), Some(wrows)) =
            (record_rows(pip.root, info), record_rows(winst.root, info))
        else {
            diffs.push(format!(
                "{info}/RECORD: missing or unreadable in pip's or winst's venv"
            ));
            continue;
        };
        stats.records += 1;
        let pset: BTreeSet<&str> = prows.iter().map(|r| r[0].as_str()).collect();
        let wset: BTreeSet<&str> = wrows.iter().map(|r| r[0].as_str()).collect();
        if wset.len() != wrows.len() {
            diffs.push(format!("{info}/RECORD: winst lists a path more than once"));
        }
        let only_pip: Vec<&&str> = pset.difference(&wset).collect();
        let only_winst: Vec<&&str> = wset.difference(&pset).collect();
        if !only_pip.is_empty() || !only_winst.is_empty() {
            diffs.push(format!(
                "{info}/RECORD: path sets differ: only in pip's {only_pip:?}; only in winst's \
                 {only_winst:?}"
            ));
        }
        let own = format!(
            "{}/RECORD",
            info.rsplit_once('/').map(|(_, n)| n).unwrap_or(info)
        );
        for row in &wrows {
            if row.len() != 3 {
                diffs.push(format!(
                    "{info}/RECORD: winst row without 3 fields: {row:?}"
                ));
                continue;
            }
            let abs = lexical_join(&sp_abs, &row[0]);
            listed.insert(abs.clone());
            if row[0] == own {
                if !row[1].is_empty() || !row[2].is_empty() {
                    diffs.push(format!(
                        "{info}/RECORD: winst's own row has a hash: {row:?}"
                    ));
                }
                continue;
            }
            match std::fs::read(&abs) {
                Err(e) => diffs.push(format!(
                    "{info}/RECORD: winst lists an unreadable file: {} ({e})",
                    row[0]
                )),
                Ok(bytes) => {
                    stats.rows_verified += 1;
                    if row[1] != record_hash(&bytes) {
                        diffs.push(format!(
                            "{info}/RECORD: winst hash differs from the file: {} listed with {:?}, the file has {}",
                            row[0],
                            row[1],
                            record_hash(&bytes)
                        ));
                    }
                    if row[2] != bytes.len().to_string() {
                        diffs.push(format!(
                            "{info}/RECORD: winst size differs from the file: {} listed with {:?}, the file has {}",
                            row[0],
                            row[2],
                            bytes.len()
                        ));
                    }
                }
            }
        }
    }
    for (path, entry) in winst.tree {
        if !matches!(entry, Entry::Dir { .. }) && !listed.contains(&winst.root.join(path)) {
            diffs.push(format!("{path}: installed by winst but in no RECORD"));
        }
    }
    stats
}

// ---------------------------------------------------------------------------------------------
// The winst venv at work

fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['-', '.'], "_")
}

/// The dist-info directory of `project` (relative to the root).
fn dist_info_of(tree: &Tree, site_packages: &str, project: &str) -> Option<String> {
    dist_infos(tree, site_packages).into_iter().find(|p| {
        let name = p.rsplit_once('/').map(|(_, n)| n).unwrap_or(p);
        name.split_once('-')
            .is_some_and(|(n, _)| normalize(n) == normalize(project))
    })
}

/// Runs a program in the venv with no bytecode written, from an empty directory.
fn run_in(cwd: &Path, program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

/// Imports each module in a fresh interpreter of the venv; returns the failures.
fn failed_imports(venv: &Venv, cwd: &Path) -> Vec<String> {
    let code = "import importlib, sys\n\
                for m in sys.argv[1:]:\n    \
                    try:\n        importlib.import_module(m)\n    \
                    except BaseException as e:\n        \
                        print(f'{m}: {type(e).__name__}: {e}'.replace('\\n', ' '))\n";
    let mut args = vec!["-B", "-c", code];
    args.extend_from_slice(IMPORTS);
    let out = run_in(cwd, &venv.python(), &args);
    let (stdout, stderr) = text(&out);
    let mut bad: Vec<String> = stdout.lines().map(str::to_string).collect();
    if !out.status.success() {
        bad.push(format!(
            "the import script failed ({}): {stderr}",
            out.status
        ));
    }
    bad
}

fn pip_check_lines(venv: &Venv) -> BTreeSet<String> {
    let out = venv.pip(&["check"]);
    let (stdout, stderr) = text(&out);
    let lines: BTreeSet<String> = stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    assert!(
        out.status.success() || !lines.is_empty(),
        "pip check failed without saying why: {stderr}"
    );
    lines
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// Up to `SHOW` items of a section, with a count of the rest. Items are `PATH: KIND[: DETAIL]`;
/// with `tally`, the section starts with how many there are of each kind.
fn section(out: &mut String, title: &str, items: &[String], tally: bool) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("\n{title} ({}):\n", items.len()));
    if tally {
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for item in items {
            *kinds
                .entry(item.split(": ").nth(1).unwrap_or(item))
                .or_default() += 1;
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} x{n}")).collect();
        out.push_str(&format!("  by kind: {}\n", kinds.join(", ")));
    }
    for item in items.iter().take(SHOW) {
        out.push_str(&format!("  {item}\n"));
    }
    if items.len() > SHOW {
        out.push_str(&format!("  ... and {} more\n", items.len() - SHOW));
    }
}

#[test]
fn corpus_installs_like_pip() {
    let started = Instant::now();
    let Some(corpus) = corpus::fetch("differential") else {
        return;
    };
    let (wheels, strays) = corpus::select(&corpus);
    // winst gets a directory: the corpus itself, or links to the pinned wheels when older pins
    // linger in the cache.
    let links = tempfile::Builder::new()
        .prefix("winst-corpus-")
        .tempdir()
        .unwrap();
    let winst_arg = if strays.is_empty() {
        corpus.clone()
    } else {
        eprintln!(
            "differential: ignoring {} unpinned wheels in {}",
            strays.len(),
            corpus.display()
        );
        for w in &wheels {
            std::os::unix::fs::symlink(w, links.path().join(w.file_name().unwrap())).unwrap();
        }
        links.path().to_path_buf()
    };
    let scripts = scan_wheels(&wheels);

    let pip_venv = Venv::new();
    let winst_venv = Venv::new();
    let (pip_root, winst_root) = (pip_venv.root(), winst_venv.root());
    let (pip_base, winst_base) = walk_both(&pip_root, &winst_root);
    let site_packages = winst_venv
        .site_packages()
        .strip_prefix(&winst_root)
        .unwrap()
        .to_string_lossy()
        .into_owned();

    // Both installs at once: pip is single-threaded.
    let ((pip_out, pip_time), (winst_out, winst_time)) = std::thread::scope(|s| {
        let pip = s.spawn(|| {
            let t = Instant::now();
            let out = Command::new(python3())
                .args(["-m", "pip", "--disable-pip-version-check", "--no-input"])
                .arg("--python")
                .arg(pip_venv.python())
                .args(["install", "--no-deps", "--no-compile", "--no-index"])
                .args(&wheels)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .output()
                .unwrap();
            (out, t.elapsed())
        });
        let t = Instant::now();
        let out = winst()
            .arg("install")
            .arg("--python")
            .arg(winst_venv.python())
            .arg(&winst_arg)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .unwrap();
        let winst = (out, t.elapsed());
        (pip.join().unwrap(), winst)
    });
    for (who, out) in [("pip", &pip_out), ("winst", &winst_out)] {
        let (stdout, stderr) = text(out);
        assert!(
            out.status.success(),
            "{who} failed to install the corpus ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
    }

    // 1. The trees.
    let mut venv_changes = Vec::new();
    let (pip_after, winst_after) = walk_both(&pip_root, &winst_root);
    let pip_tree = installed("pip", &pip_base, &pip_after, &mut venv_changes);
    let winst_tree = installed("winst", &winst_base, &winst_after, &mut venv_changes);
    let pip_side = Side {
        root: &pip_root,
        tree: &pip_tree,
    };
    let winst_side = Side {
        root: &winst_root,
        tree: &winst_tree,
    };
    let mut tree_diffs = Vec::new();
    let seen = compare_trees(&pip_side, &winst_side, &scripts, &mut tree_diffs);
    let mut bookkeeping = Vec::new();
    for info in dist_infos(&pip_tree, &site_packages)
        .into_iter()
        .chain(dist_infos(&winst_tree, &site_packages))
        .collect::<BTreeSet<_>>()
    {
        for file in ["INSTALLER", "RECORD", "REQUESTED"] {
            for (who, tree) in [("pip", &pip_tree), ("winst", &winst_tree)] {
                if !tree.contains_key(&format!("{info}/{file}")) {
                    bookkeeping.push(format!("{info}/{file}: not written by {who}"));
                }
            }
        }
    }
    tree_diffs.extend(bookkeeping);
    let projects = dist_infos(&winst_tree, &site_packages).len();
    if projects != wheels.len() {
        tree_diffs.push(format!(
            "{site_packages}: dist-info count differs: {} wheels, {projects} dist-info \
             directories",
            wheels.len()
        ));
    }

    // 2. RECORD.
    let mut record_diffs = Vec::new();
    let records = compare_records(&pip_side, &winst_side, &site_packages, &mut record_diffs);

    // 3. The winst venv at work (only now may anything run in it).
    let mut works = Vec::new();
    let scratch = tempfile::tempdir().unwrap();
    let pip_check = pip_check_lines(&pip_venv);
    let winst_check = pip_check_lines(&winst_venv);
    if pip_check != winst_check {
        works.push(format!(
            "pip check differs: only in the pip venv {:?}; only in the winst venv {:?}",
            pip_check.difference(&winst_check).collect::<Vec<_>>(),
            winst_check.difference(&pip_check).collect::<Vec<_>>()
        ));
    }
    for line in &winst_check {
        if !line.to_ascii_lowercase().starts_with("qtconsole ") {
            works.push(format!(
                "pip check in the winst venv: {line:?} (only qtconsole's missing dependencies \
                 are expected)"
            ));
        }
    }
    let bad_imports = failed_imports(&winst_venv, scratch.path());
    if !bad_imports.is_empty() {
        let in_pip_venv = failed_imports(&pip_venv, scratch.path());
        for bad in bad_imports {
            let module = bad.split(':').next().unwrap_or("").to_string();
            let also = in_pip_venv
                .iter()
                .any(|b| b.starts_with(&format!("{module}:")));
            works.push(format!(
                "import {bad} ({} in the pip venv)",
                if also { "fails too" } else { "works" }
            ));
        }
    }
    let mut ran = Vec::new();
    for (script, args) in SCRIPTS {
        let out = run_in(scratch.path(), &winst_venv.bin(script), args);
        let (stdout, stderr) = text(&out);
        if out.status.success() {
            ran.push(format!(
                "{script} {} -> {}",
                args.join(" "),
                stdout.lines().next().unwrap_or("").trim()
            ));
        } else {
            works.push(format!(
                "{script} {} exited with {}: {}",
                args.join(" "),
                out.status,
                stderr.trim()
            ));
        }
    }

    // 4. pip uninstalls what winst installed, completely.
    let mut removable: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for project in UNINSTALL {
        let Some(info) = dist_info_of(&winst_tree, &site_packages, project) else {
            works.push(format!(
                "{project}: not installed by winst, cannot uninstall"
            ));
            continue;
        };
        let rows = record_rows(&winst_root, &info).unwrap_or_default();
        let sp_abs = winst_root.join(&site_packages);
        let mut files: Vec<PathBuf> = rows.iter().map(|r| lexical_join(&sp_abs, &r[0])).collect();
        files.push(winst_root.join(&info));
        removable.push((project.to_string(), files));
    }
    let mut un_args = vec!["uninstall", "-y"];
    un_args.extend_from_slice(UNINSTALL);
    let un = winst_venv.pip(&un_args);
    if !un.status.success() {
        works.push(format!("pip uninstall failed: {:?}", text(&un)));
    }
    let mut uninstalled_files = 0;
    for (project, files) in &removable {
        for f in files {
            uninstalled_files += 1;
            if std::fs::symlink_metadata(f).is_ok() {
                works.push(format!(
                    "{project}: {} left behind by pip uninstall",
                    f.strip_prefix(&winst_root).unwrap_or(f).display()
                ));
            }
        }
    }

    eprintln!(
        "differential: {} wheels ({projects} projects), {} paths compared ({} byte-identical \
         files, {} directories, {} launchers, {} #!python scripts, {} dist-info bookkeeping \
         files), {} RECORDs with {} rows verified, {} imports, {} scripts run, {} projects \
         ({} files) uninstalled; pip {}, winst {}, total {}; {} differences",
        wheels.len(),
        seen.paths,
        seen.identical_files,
        seen.dirs,
        seen.launchers,
        seen.python_scripts,
        seen.bookkeeping,
        records.records,
        records.rows_verified,
        IMPORTS.len(),
        ran.len(),
        removable.len(),
        uninstalled_files,
        secs(pip_time),
        secs(winst_time),
        secs(started.elapsed()),
        venv_changes.len() + tree_diffs.len() + record_diffs.len() + works.len(),
    );
    for r in &ran {
        eprintln!("differential:   {r}");
    }
    for l in &winst_check {
        eprintln!("differential:   pip check: {l}");
    }

    let mut report = String::new();
    section(&mut report, "venv files changed", &venv_changes, true);
    section(
        &mut report,
        "tree differences (pip vs winst)",
        &tree_diffs,
        true,
    );
    section(&mut report, "RECORD differences", &record_diffs, true);
    section(&mut report, "the winst venv does not work", &works, false);
    if !report.is_empty() {
        let keep = std::env::var("WINST_KEEP_VENVS").is_ok_and(|v| v == "1");
        let (pip_kept, winst_kept) = if keep {
            (pip_venv.dir.keep(), winst_venv.dir.keep())
        } else {
            (pip_root.clone(), winst_root.clone())
        };
        panic!(
            "winst and pip installed the corpus differently (pip venv {}, winst venv {}; {}):{report}",
            pip_kept.display(),
            winst_kept.display(),
            if keep {
                "kept"
            } else {
                "removed, set WINST_KEEP_VENVS=1 to keep them"
            }
        );
    }
    // Removing two venvs of ~15,000 files each is slow on some file systems: both at once.
    std::thread::scope(|s| {
        s.spawn(|| pip_venv.dir.close().unwrap());
        winst_venv.dir.close().unwrap();
    });
}
