//! Differential test against pip: the pinned real-world wheel corpus (`tests/corpus`) installed by
//! `pip install --no-deps --no-compile` into one fresh venv and by `winst install` into others must
//! give the same tree: the same paths, bytes and modes. winst installs it three ways, each
//! compared with the one pip install: cold (no wheel cache: every file inflated and verified),
//! filling (an empty private cache, filled by that install) and warm (from the cache the filling
//! install filled, into another venv; its `--json` report must say the files came from the
//! cache). Only these may differ:
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
//! Then each winst venv must work: `pip check` says the same as in the pip venv, the main modules
//! import, console scripts run, and `pip uninstall` removes everything some projects installed.
//!
//! The corpus is downloaded from PyPI by `tests/corpus/fetch.sh` (cached). Without network access
//! the test fails, unless `WINST_SKIP_NETWORK_TESTS=1` (never under `CI=true`).

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

/// Which install path a winst venv was made by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// No wheel cache: every file inflated from its wheel and verified.
    Cold,
    /// An empty private cache, filled by this install.
    Filling,
    /// The cache the filling install filled: files placed from it.
    Warm,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Cold => "cold (no cache)",
            Way::Filling => "filling (empty cache)",
            Way::Warm => "warm (from the cache)",
        }
    }
}

/// What comparing one winst venv with pip's found.
#[derive(Default)]
struct Verdict {
    venv_changes: Vec<String>,
    tree_diffs: Vec<String>,
    record_diffs: Vec<String>,
    works: Vec<String>,
    summary: String,
    ran: Vec<String>,
    check: BTreeSet<String>,
}

impl Verdict {
    fn differences(&self) -> usize {
        self.venv_changes.len() + self.tree_diffs.len() + self.record_diffs.len() + self.works.len()
    }
}

/// What the pip venv gives once, for every comparison.
struct Reference<'a> {
    venv: &'a Venv,
    side: Side<'a>,
    check: BTreeSet<String>,
    site_packages: String,
    wheels: usize,
    scripts: &'a ScriptInfo,
}

/// Compares a winst venv with pip's: the trees, RECORD, then, with `at_work`, the venv at work
/// (pip check, imports, scripts, and at last pip uninstall).
fn judge(
    reference: &Reference,
    venv: &Venv,
    base: &Tree,
    after: &Tree,
    scratch: &Path,
    at_work: bool,
) -> Verdict {
    let mut v = Verdict::default();
    let root = venv.root();
    let site_packages = &reference.site_packages;
    let winst_tree = installed("winst", base, after, &mut v.venv_changes);
    let winst_side = Side {
        root: &root,
        tree: &winst_tree,
    };
    // 1. The trees.
    let seen = compare_trees(
        &reference.side,
        &winst_side,
        reference.scripts,
        &mut v.tree_diffs,
    );
    for info in dist_infos(reference.side.tree, site_packages)
        .into_iter()
        .chain(dist_infos(&winst_tree, site_packages))
        .collect::<BTreeSet<_>>()
    {
        for file in ["INSTALLER", "RECORD", "REQUESTED"] {
            for (who, tree) in [("pip", reference.side.tree), ("winst", &winst_tree)] {
                if !tree.contains_key(&format!("{info}/{file}")) {
                    v.tree_diffs
                        .push(format!("{info}/{file}: not written by {who}"));
                }
            }
        }
    }
    let projects = dist_infos(&winst_tree, site_packages).len();
    if projects != reference.wheels {
        v.tree_diffs.push(format!(
            "{site_packages}: dist-info count differs: {} wheels, {projects} dist-info \
             directories",
            reference.wheels
        ));
    }

    // 2. RECORD.
    let records = compare_records(
        &reference.side,
        &winst_side,
        site_packages,
        &mut v.record_diffs,
    );

    if !at_work {
        v.summary = format!(
            "{projects} projects, {} paths compared ({} byte-identical files, {} directories, {} \
             launchers, {} #!python scripts, {} dist-info bookkeeping files), {} RECORDs with {} \
             rows verified; {} differences",
            seen.paths,
            seen.identical_files,
            seen.dirs,
            seen.launchers,
            seen.python_scripts,
            seen.bookkeeping,
            records.records,
            records.rows_verified,
            v.differences(),
        );
        return v;
    }

    // 3. The winst venv at work (only now may anything run in it).
    v.check = pip_check_lines(venv);
    if reference.check != v.check {
        v.works.push(format!(
            "pip check differs: only in the pip venv {:?}; only in the winst venv {:?}",
            reference.check.difference(&v.check).collect::<Vec<_>>(),
            v.check.difference(&reference.check).collect::<Vec<_>>()
        ));
    }
    for line in &v.check {
        if !line.to_ascii_lowercase().starts_with("qtconsole ") {
            v.works.push(format!(
                "pip check in the winst venv: {line:?} (only qtconsole's missing dependencies \
                 are expected)"
            ));
        }
    }
    let bad_imports = failed_imports(venv, scratch);
    if !bad_imports.is_empty() {
        let in_pip_venv = failed_imports(reference.venv, scratch);
        for bad in bad_imports {
            let module = bad.split(':').next().unwrap_or("").to_string();
            let also = in_pip_venv
                .iter()
                .any(|b| b.starts_with(&format!("{module}:")));
            v.works.push(format!(
                "import {bad} ({} in the pip venv)",
                if also { "fails too" } else { "works" }
            ));
        }
    }
    for (script, args) in SCRIPTS {
        let out = run_in(scratch, &venv.bin(script), args);
        let (stdout, stderr) = text(&out);
        if out.status.success() {
            v.ran.push(format!(
                "{script} {} -> {}",
                args.join(" "),
                stdout.lines().next().unwrap_or("").trim()
            ));
        } else {
            v.works.push(format!(
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
        let Some(info) = dist_info_of(&winst_tree, site_packages, project) else {
            v.works.push(format!(
                "{project}: not installed by winst, cannot uninstall"
            ));
            continue;
        };
        let rows = record_rows(&root, &info).unwrap_or_default();
        let sp_abs = root.join(site_packages);
        let mut files: Vec<PathBuf> = rows.iter().map(|r| lexical_join(&sp_abs, &r[0])).collect();
        files.push(root.join(&info));
        removable.push((project.to_string(), files));
    }
    let mut un_args = vec!["uninstall", "-y"];
    un_args.extend_from_slice(UNINSTALL);
    let un = venv.pip(&un_args);
    if !un.status.success() {
        v.works
            .push(format!("pip uninstall failed: {:?}", text(&un)));
    }
    let mut uninstalled_files = 0;
    for (project, files) in &removable {
        for f in files {
            uninstalled_files += 1;
            if std::fs::symlink_metadata(f).is_ok() {
                v.works.push(format!(
                    "{project}: {} left behind by pip uninstall",
                    f.strip_prefix(&root).unwrap_or(f).display()
                ));
            }
        }
    }
    v.summary = format!(
        "{projects} projects, {} paths compared ({} byte-identical files, {} directories, {} \
         launchers, {} #!python scripts, {} dist-info bookkeeping files), {} RECORDs with {} rows \
         verified, {} imports, {} scripts run, {} projects ({uninstalled_files} files) \
         uninstalled; {} differences",
        seen.paths,
        seen.identical_files,
        seen.dirs,
        seen.launchers,
        seen.python_scripts,
        seen.bookkeeping,
        records.records,
        records.rows_verified,
        IMPORTS.len(),
        v.ran.len(),
        removable.len(),
        v.differences(),
    );
    v
}

/// Snapshots venvs at once (hashing a few hundred MB each).
fn walk_all(roots: &[PathBuf]) -> Vec<Tree> {
    std::thread::scope(|s| {
        let handles: Vec<_> = roots.iter().map(|r| s.spawn(move || walk(r))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// `winst install --json --python VENV [ARGS...] WHEELS`; the report and how long it took.
fn winst_install(venv: &Venv, args: &[std::ffi::OsString], wheels: &Path) -> (Output, Duration) {
    let t = Instant::now();
    let out = winst()
        .args(["install", "--json", "--python"])
        .arg(venv.python())
        .args(args)
        .arg(wheels)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    (out, t.elapsed())
}

/// The corpus installed by pip once, and by winst three ways (cold, filling an empty cache, warm
/// from that cache), each compared with pip's tree byte for byte.
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
    // Files written per environment, never from the cache.
    let per_venv = scripts.launchers.len() + scripts.python_scripts.len();

    let ways = [Way::Cold, Way::Filling, Way::Warm];
    let pip_venv = Venv::new();
    let venvs: Vec<Venv> = ways.iter().map(|_| Venv::new()).collect();
    let cache = Cache::new();
    let mut roots = vec![pip_venv.root()];
    roots.extend(venvs.iter().map(Venv::root));
    let bases = walk_all(&roots);
    let site_packages = pip_venv
        .site_packages()
        .strip_prefix(pip_venv.root())
        .unwrap()
        .to_string_lossy()
        .into_owned();

    // pip and the cold winst at once (pip is single-threaded), then filling, then warm.
    let ((pip_out, pip_time), cold) = std::thread::scope(|s| {
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
        let cold = winst_install(&venvs[0], &[], &winst_arg);
        (pip.join().unwrap(), cold)
    });
    let filling = winst_install(&venvs[1], &cache.args(), &winst_arg);
    let entries = cache.entries().len();
    let warm = winst_install(&venvs[2], &cache.args(), &winst_arg);
    let runs = [cold, filling, warm];
    let (stdout, stderr) = text(&pip_out);
    assert!(
        pip_out.status.success(),
        "pip failed to install the corpus ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        pip_out.status
    );
    let mut reports = Vec::new();
    for (way, (out, _)) in ways.iter().zip(&runs) {
        let (stdout, stderr) = text(out);
        assert!(
            out.status.success(),
            "winst {} failed to install the corpus ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            way.name(),
            out.status
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("winst {}: no JSON report ({e}):\n{stdout}", way.name()));
        reports.push(report);
    }
    // Where the files came from, as the reports say.
    let placed: Vec<u64> = reports
        .iter()
        .map(|r| r["from_cache"].as_u64().unwrap())
        .collect();
    let files = reports[2]["files"].as_u64().unwrap();
    assert_eq!(placed[0], 0, "cold: files came from a cache");
    assert_eq!(placed[1], 0, "filling: files came from the empty cache");
    assert_eq!(entries, wheels.len(), "filling: one cache entry per wheel");
    assert!(
        placed[2] > 0 && placed[2] + per_venv as u64 >= files,
        "warm: {} of {files} files came from the cache; all but the {per_venv} launchers and \
         #!python scripts should have",
        placed[2]
    );

    let mut afters = walk_all(&roots).into_iter();
    let pip_after = afters.next().unwrap();
    let mut pip_changes = Vec::new();
    let pip_tree = installed("pip", &bases[0], &pip_after, &mut pip_changes);
    assert!(
        pip_changes.is_empty(),
        "pip changed the venv: {pip_changes:?}"
    );
    let pip_root = pip_venv.root();
    let scratch = tempfile::tempdir().unwrap();
    let reference = Reference {
        venv: &pip_venv,
        side: Side {
            root: &pip_root,
            tree: &pip_tree,
        },
        check: pip_check_lines(&pip_venv),
        site_packages,
        wheels: wheels.len(),
        scripts: &scripts,
    };
    let verdicts: Vec<Verdict> = ways
        .iter()
        .enumerate()
        .zip(afters)
        .map(|((i, way), after)| {
            // The filling install writes files as the cold one does (then fills the cache):
            // its tree is compared, and the cold and warm venvs are also put to work.
            let at_work = *way != Way::Filling;
            judge(
                &reference,
                &venvs[i],
                &bases[i + 1],
                &after,
                scratch.path(),
                at_work,
            )
        })
        .collect();

    eprintln!(
        "differential: {} wheels; pip {}, winst cold {}, filling {}, warm {} ({} of {files} files \
         from the cache); total {}",
        wheels.len(),
        secs(pip_time),
        secs(runs[0].1),
        secs(runs[1].1),
        secs(runs[2].1),
        placed[2],
        secs(started.elapsed()),
    );
    let mut report = String::new();
    for (way, v) in ways.iter().zip(&verdicts) {
        eprintln!("differential: {}: {}", way.name(), v.summary);
        for r in &v.ran {
            eprintln!("differential:   {r}");
        }
        for l in &v.check {
            eprintln!("differential:   pip check: {l}");
        }
        let w = way.name();
        section(
            &mut report,
            &format!("{w}: venv files changed"),
            &v.venv_changes,
            true,
        );
        section(
            &mut report,
            &format!("{w}: tree differences (pip vs winst)"),
            &v.tree_diffs,
            true,
        );
        section(
            &mut report,
            &format!("{w}: RECORD differences"),
            &v.record_diffs,
            true,
        );
        section(
            &mut report,
            &format!("{w}: the winst venv does not work"),
            &v.works,
            false,
        );
    }
    if !report.is_empty() {
        let keep = std::env::var("WINST_KEEP_VENVS").is_ok_and(|v| v == "1");
        let mut kept = vec![format!("pip {}", pip_root.display())];
        for (way, venv) in ways.iter().zip(&venvs) {
            kept.push(format!("{} {}", way.name(), venv.root().display()));
        }
        if keep {
            let _ = pip_venv.dir.keep();
            for venv in venvs {
                let _ = venv.dir.keep();
            }
            let _ = cache.dir.keep();
        }
        panic!(
            "winst and pip installed the corpus differently (venvs: {}; {}):{report}",
            kept.join(", "),
            if keep {
                "kept"
            } else {
                "removed, set WINST_KEEP_VENVS=1 to keep them"
            }
        );
    }
    // Removing venvs of ~15,000 files each is slow on some file systems: all at once.
    std::thread::scope(|s| {
        for venv in venvs {
            s.spawn(move || venv.dir.close().unwrap());
        }
        pip_venv.dir.close().unwrap();
    });
}
