//! Build script of the `winst` binary: puts the git commit it is built from into `--version`.
//!
//! Sets `WINST_VERSION` to `0.1.0 (<12-hex commit> <commit date YYYY-MM-DD>)` when the source is
//! a git checkout and `git` runs, else to the bare package version (a source archive). Only the
//! commit's own data is used, never the build time, so that the same commit builds the same
//! binary. Not here: anything else about the build.

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let full = match git(&["log", "-1", "--format=%H %cs"]) {
        Some(line) => {
            let (hash, date) = line.split_once(' ').unwrap_or((&line, ""));
            format!("{version} ({} {date})", &hash[..hash.len().min(12)])
        }
        None => version.to_string(),
    };
    println!("cargo:rustc-env=WINST_VERSION={full}");
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it points at (a commit).
    for path in [
        Some("HEAD".to_string()),
        git(&["symbolic-ref", "-q", "HEAD"]),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(file) = git(&["rev-parse", "--git-path", &path]) {
            let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file);
            println!("cargo:rerun-if-changed={}", file.display());
        }
    }
    if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"]) {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(packed);
        println!("cargo:rerun-if-changed={}", file.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
}
