//! The pinned real-world wheel corpus (`tests/corpus/wheels.txt`), and the pinned tools
//! (`tests/corpus/tools.txt`: pip, build backends, pyproject-hooks), each downloaded once from
//! PyPI by `tests/corpus/fetch.sh` into a cache outside the repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{prerequisite, python3, sha256_hex, text};

/// Runs `fetch.sh`; `None` (the test prints `SKIPPED` and returns) when the download failed and
/// `WINST_SKIP_NETWORK_TESTS=1`; under `CI=true` that fails the test instead.
pub fn fetch(test: &str) -> Option<PathBuf> {
    fetch_list(test, "wheels.txt", None)
}

/// Runs `fetch.sh` for the pinned list `tests/corpus/{list}` into `dest` (default: the corpus
/// cache); `None` as for [`fetch`].
fn fetch_list(test: &str, list: &str, dest: Option<&Path>) -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/fetch.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(&script)
        .env("PYTHON", python3())
        .env("WINST_REQUIREMENTS", list_path(list));
    if let Some(dest) = dest {
        cmd.arg(dest);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let (stdout, stderr) = text(&out);
    if !out.status.success() {
        if std::env::var("WINST_SKIP_NETWORK_TESTS").is_ok_and(|v| v == "1") {
            // Skipped visibly, and never under CI=true.
            prerequisite(
                false,
                &format!(
                    "{test}: the wheel corpus (it could not be downloaded and \
                     WINST_SKIP_NETWORK_TESTS=1 is set); fetch.sh said:\n{stderr}"
                ),
            );
            return None;
        }
        panic!(
            "{} failed ({}): the wheel corpus could not be downloaded from PyPI. This test needs \
             network access the first time (the corpus is cached afterwards); set \
             WINST_SKIP_NETWORK_TESTS=1 to skip it on machines without network (not under \
             CI=true).\n\
             stdout:\n{stdout}\nstderr:\n{stderr}",
            script.display(),
            out.status
        );
    }
    if !stderr.trim().is_empty() {
        eprintln!("{}", stderr.trim_end());
    }
    let dir = stdout
        .lines()
        .last()
        .unwrap_or_else(|| panic!("fetch.sh printed no directory; stdout:\n{stdout}"));
    Some(PathBuf::from(dir))
}

fn list_path(list: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/corpus")
        .join(list)
}

/// The sha256 digests pinned in `wheels.txt`.
pub fn pinned_hashes() -> BTreeSet<String> {
    pinned_hashes_in("wheels.txt")
}

fn pinned_hashes_in(list: &str) -> BTreeSet<String> {
    let list = list_path(list);
    let text = std::fs::read_to_string(&list).unwrap();
    let mut pins = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("sha256:") {
            let hex: String = rest[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .collect();
            assert_eq!(hex.len(), 64, "bad pin in wheels.txt: {line}");
            pins.insert(hex);
            rest = &rest[i + 7..];
        }
    }
    assert!(!pins.is_empty(), "no pins in {}", list.display());
    pins
}

/// The pinned wheels in the corpus directory (sorted by file name), and the stray `.whl` files
/// next to them (older pins left in the cache).
pub fn select(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    select_pinned(dir, &pinned_hashes())
}

fn select_pinned(dir: &Path, pins: &BTreeSet<String>) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut strays = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "whl") || !path.is_file() {
            continue;
        }
        let hash = sha256_hex(&std::fs::read(&path).unwrap());
        if pins.contains(&hash) {
            found.insert(hash, path);
        } else {
            strays.push(path);
        }
    }
    let missing: Vec<&String> = pins.iter().filter(|h| !found.contains_key(*h)).collect();
    assert!(
        missing.is_empty(),
        "fetch.sh succeeded but {} lacks the wheels with sha256 {missing:?}",
        dir.display()
    );
    let mut wheels: Vec<PathBuf> = found.into_values().collect();
    wheels.sort_by_key(|p| p.file_name().unwrap().to_owned());
    (wheels, strays)
}

/// The corpus wheels, or `None` when it cannot be downloaded and `WINST_SKIP_NETWORK_TESTS=1`.
pub fn wheels(test: &str) -> Option<Vec<PathBuf>> {
    let dir = fetch(test)?;
    Some(select(&dir).0)
}

/// The pinned tool wheels of `tests/corpus/tools.txt` (pip, the build backends and their
/// dependencies, pyproject-hooks), kept in `$WINST_TOOLS_DIR`, else `winst-test-tool-wheels` beside
/// the corpus cache; `None` as for [`wheels`].
pub fn tools(test: &str) -> Option<Vec<PathBuf>> {
    let dest = match std::env::var_os("WINST_TOOLS_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            let home =
                std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map_or_else(|| home.join(".cache"), PathBuf::from);
            cache.join("winst-test-tool-wheels")
        }
    };
    let dir = fetch_list(test, "tools.txt", Some(&dest))?;
    Some(select_pinned(&dir, &pinned_hashes_in("tools.txt")).0)
}

/// The corpus wheel of project `name` (normalized as in wheel file names).
pub fn wheel(wheels: &[PathBuf], name: &str) -> PathBuf {
    let prefix = format!("{}-", name.replace(['-', '.'], "_"));
    wheels
        .iter()
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_ascii_lowercase().starts_with(&prefix))
        })
        .unwrap_or_else(|| panic!("no {name} wheel in the corpus"))
        .clone()
}
