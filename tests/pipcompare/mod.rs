//! Comparing what pip installed with what winst installed, for the layout and upgrade tests:
//! whole trees (paths, bytes, modes) with only the differences the README documents allowed.
//!
//! Allowed: the contents of `INSTALLER` (`pip` / `winst`), launchers generated from entry points
//! (each installer's own template; both must be executable and name the same interpreter), and in
//! `RECORD` the rows of those files (winst's rows must match the bytes on disk). `REQUESTED` must
//! be empty in both, and `direct_url.json` must be the same JSON. Every other file must have the
//! same bytes and mode, and every other `RECORD` row must be the same.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::{record_hash, replace_bytes, text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Dir { mode: u32 },
    File { mode: u32, bytes: Vec<u8> },
    Link(PathBuf),
}

/// Every path under `root`, relative and `/`-separated, without following links.
pub type Tree = BTreeMap<String, Entry>;

pub fn tree(root: &Path) -> Tree {
    fn go(root: &Path, dir: &Path, out: &mut Tree) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
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
                out.insert(
                    rel,
                    Entry::File {
                        mode,
                        bytes: std::fs::read(&path).unwrap(),
                    },
                );
            }
        }
    }
    let mut out = Tree::new();
    go(root, root, &mut out);
    out
}

/// The entries of `after` that are not in `base` (what an installer added to a fresh venv).
pub fn added(base: &Tree, after: &Tree) -> Tree {
    after
        .iter()
        .filter(|(p, e)| base.get(*p) != Some(e))
        .map(|(p, e)| (p.clone(), e.clone()))
        .collect()
}

/// Script names of the `console_scripts` and `gui_scripts` entry points in `wheels`.
pub fn entry_point_scripts(wheels: &[PathBuf]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for wheel in wheels {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
        for i in 0..zip.len() {
            let mut member = zip.by_index(i).unwrap();
            let name = member.name().unwrap().to_string();
            if !name.ends_with(".dist-info/entry_points.txt") || name.matches('/').count() != 1 {
                continue;
            }
            let mut text = String::new();
            member.read_to_string(&mut text).unwrap();
            let mut in_scripts = false;
            for line in text.lines().map(str::trim) {
                if let Some(section) = line.strip_prefix('[') {
                    let section = section.trim_end_matches(']').trim();
                    in_scripts = section == "console_scripts" || section == "gui_scripts";
                } else if in_scripts && let Some((name, _)) = line.split_once('=') {
                    names.insert(name.trim().to_string());
                }
            }
        }
    }
    names
}

/// The interpreter a script's first lines run it with: `#!PATH`, or the `/bin/sh` prelude
/// (`'''exec' PATH "$0" "$@"`, the path quoted or not) pip and winst use for long or spaced paths.
pub fn shebang_interpreter(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
    let mut lines = text.lines();
    let first = lines.next()?.strip_prefix("#!")?.trim().to_string();
    if first != "/bin/sh" {
        return Some(first);
    }
    let rest = lines.next()?.strip_prefix("'''exec' ")?;
    let rest = rest.strip_suffix(" \"$0\" \"$@\"")?;
    Some(rest.trim_matches('"').to_string())
}

/// One side of a comparison: the tree (relative to the directory compared), the environment's
/// root (replaced by a placeholder where a file names it) and the interpreter launchers must
/// name.
pub struct Side<'a> {
    pub who: &'a str,
    pub tree: &'a Tree,
    /// The directory the tree was taken of.
    pub dir: &'a Path,
    pub root: &'a Path,
    pub python: &'a Path,
}

/// How the comparison reads the trees.
pub struct Rules<'a> {
    /// The scripts directory relative to the compared directory (`bin`).
    pub scripts: &'a str,
    /// Entry-point script names (launchers).
    pub launchers: &'a BTreeSet<String>,
    /// Rewrites a path in pip's RECORD before comparing (pip's `--target` rows are relative to
    /// the temporary directory it installed into).
    pub pip_record_path: &'a dyn Fn(&str) -> String,
}

/// RECORD rows as `path -> (hash, size)` (the simple CSV pip and winst write for these wheels).
pub fn record_rows(bytes: &[u8]) -> BTreeMap<String, (String, String)> {
    let text = String::from_utf8_lossy(bytes);
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.rsplitn(3, ',');
        let size = parts.next().unwrap_or("").to_string();
        let hash = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").trim_matches('"').to_string();
        rows.insert(path, (hash, size));
    }
    rows
}

/// Every difference between what pip and winst installed that the README does not allow.
pub fn differences(pip: &Side, winst: &Side, rules: &Rules) -> Vec<String> {
    let mut diffs = Vec::new();
    if !pip.tree.keys().any(|p| p.ends_with(".dist-info/RECORD")) {
        diffs.push("pip installed nothing: the comparison would prove nothing".to_string());
    }
    let paths: BTreeSet<&String> = pip.tree.keys().chain(winst.tree.keys()).collect();
    // RECORDs are compared last, knowing which scripts name each side's interpreter.
    let mut records: Vec<(&String, &Vec<u8>, &Vec<u8>)> = Vec::new();
    let mut rewritten: BTreeSet<String> = BTreeSet::new();
    let launcher_paths: BTreeSet<String> = rules
        .launchers
        .iter()
        .map(|n| format!("{}/{n}", rules.scripts))
        .collect();
    for path in paths {
        let (p, w) = match (pip.tree.get(path), winst.tree.get(path)) {
            (Some(p), Some(w)) => (p, w),
            (Some(_), None) => {
                diffs.push(format!("{path}: only pip has it"));
                continue;
            }
            (None, Some(_)) => {
                diffs.push(format!("{path}: only winst has it"));
                continue;
            }
            (None, None) => unreachable!(),
        };
        let ((pm, pb), (wm, wb)) = match (p, w) {
            (
                Entry::File {
                    mode: pm,
                    bytes: pb,
                },
                Entry::File {
                    mode: wm,
                    bytes: wb,
                },
            ) => ((*pm, pb), (*wm, wb)),
            _ if p == w => continue,
            _ => {
                diffs.push(format!("{path}: pip has {p:?}, winst {w:?}"));
                continue;
            }
        };
        let file_name = path.rsplit('/').next().unwrap_or(path);
        let in_dist_info = path
            .rsplit_once('/')
            .is_some_and(|(parent, _)| parent.ends_with(".dist-info"));
        if launcher_paths.contains(path) {
            for (side, mode, bytes) in [(pip, pm, pb), (winst, wm, wb)] {
                if mode & 0o111 == 0 {
                    diffs.push(format!(
                        "{path}: {}'s launcher is not executable ({mode:o})",
                        side.who
                    ));
                }
                let want = side.python.to_string_lossy().into_owned();
                if shebang_interpreter(bytes).as_deref() != Some(&*want) {
                    diffs.push(format!(
                        "{path}: {}'s launcher runs {:?}, not {want}",
                        side.who,
                        shebang_interpreter(bytes)
                    ));
                }
            }
            continue;
        }
        if pm != wm {
            diffs.push(format!("{path}: mode pip {pm:o}, winst {wm:o}"));
        }
        if in_dist_info && file_name == "INSTALLER" {
            if pb != b"pip\n" || wb != b"winst\n" {
                diffs.push(format!(
                    "{path}: INSTALLER pip {:?}, winst {:?}",
                    String::from_utf8_lossy(pb),
                    String::from_utf8_lossy(wb)
                ));
            }
            continue;
        }
        if in_dist_info && file_name == "direct_url.json" {
            let pj: serde_json::Value = serde_json::from_slice(pb).unwrap();
            let wj: serde_json::Value = serde_json::from_slice(wb).unwrap();
            if pj != wj {
                diffs.push(format!("{path}: direct_url.json pip {pj}, winst {wj}"));
            }
            continue;
        }
        if in_dist_info && file_name == "RECORD" {
            records.push((path, pb, wb));
            continue;
        }
        if pb == wb {
            continue;
        }
        // A `#!python` script names each environment's interpreter.
        let pr = replace_bytes(pb, pip.root.to_string_lossy().as_bytes(), b"<ROOT>");
        let wr = replace_bytes(wb, winst.root.to_string_lossy().as_bytes(), b"<ROOT>");
        if pr != wr || !pb.starts_with(b"#!") {
            diffs.push(format!(
                "{path}: contents differ (pip {} bytes, winst {} bytes)",
                pb.len(),
                wb.len()
            ));
        } else {
            rewritten.insert(path.clone());
        }
    }
    for (path, pb, wb) in records {
        diffs.extend(record_differences(path, pb, wb, winst, rules, &rewritten));
    }
    diffs
}

fn record_differences(
    path: &str,
    pip: &[u8],
    winst: &[u8],
    winst_side: &Side,
    rules: &Rules,
    rewritten: &BTreeSet<String>,
) -> Vec<String> {
    let mut diffs = Vec::new();
    let pip_rows: BTreeMap<String, (String, String)> = record_rows(pip)
        .into_iter()
        .map(|(p, v)| ((rules.pip_record_path)(&p), v))
        .collect();
    let winst_rows = record_rows(winst);
    let dist_info = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let base = Path::new(dist_info).parent().unwrap_or(Path::new(""));
    let launcher_rel: BTreeSet<String> = rules
        .launchers
        .iter()
        .map(|n| format!("{}/{n}", rules.scripts))
        .collect();
    let pip_paths: BTreeSet<&String> = pip_rows.keys().collect();
    let winst_paths: BTreeSet<&String> = winst_rows.keys().collect();
    for only in pip_paths.difference(&winst_paths) {
        diffs.push(format!("{path}: only pip's RECORD lists {only}"));
    }
    for only in winst_paths.difference(&pip_paths) {
        diffs.push(format!("{path}: only winst's RECORD lists {only}"));
    }
    for (row, (hash, size)) in &winst_rows {
        let on_disk = winst_side.dir.join(base).join(row);
        let on_disk = normalize(&on_disk);
        let rel = on_disk
            .strip_prefix(winst_side.dir)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = row.rsplit('/').next().unwrap_or(row);
        let in_own_dist_info = Path::new(&rel).parent() == Some(Path::new(dist_info));
        let own = in_own_dist_info && matches!(name, "INSTALLER" | "direct_url.json" | "RECORD");
        if name == "RECORD" && in_own_dist_info {
            if !hash.is_empty() || !size.is_empty() {
                diffs.push(format!("{path}: RECORD's own row has a hash"));
            }
            continue;
        }
        if own || launcher_rel.contains(&rel) || rewritten.contains(&rel) {
            // winst's bytes differ from pip's by design (or name its own interpreter); the row
            // must match winst's file.
            match std::fs::read(&on_disk) {
                Ok(bytes) => {
                    if *hash != record_hash(&bytes) || *size != bytes.len().to_string() {
                        diffs.push(format!("{path}: row {row} does not match the file"));
                    }
                }
                Err(e) => diffs.push(format!("{path}: row {row}: {e}")),
            }
            continue;
        }
        if let Some(p) = pip_rows.get(row)
            && p != &(hash.clone(), size.clone())
        {
            diffs.push(format!("{path}: row {row}: pip {p:?}, winst {hash},{size}"));
        }
    }
    diffs
}

/// `path` with `.` and `..` resolved lexically.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// Panics listing the differences, if any.
pub fn assert_no_differences(what: &str, diffs: &[String]) {
    assert!(
        diffs.is_empty(),
        "{what}: {} differences from pip:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Runs `program ARGS` with `PYTHONPATH` (if any) and no bytecode; returns (status, stdout,
/// stderr) with `root` replaced by `<ROOT>`.
pub fn run_script(
    program: &Path,
    args: &[&str],
    pythonpath: Option<&Path>,
    root: &Path,
) -> (Option<i32>, String, String) {
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).env("PYTHONDONTWRITEBYTECODE", "1");
    if let Some(pp) = pythonpath {
        cmd.env("PYTHONPATH", pp);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let (stdout, stderr) = text(&out);
    let root = root.to_string_lossy();
    (
        out.status.code(),
        stdout.replace(&*root, "<ROOT>"),
        stderr.replace(&*root, "<ROOT>"),
    )
}
