//! Lexical path handling shared by the environment and install layers.
//!
//! Not here: anything that touches the filesystem.

use std::path::{Component, Path, PathBuf};

/// Lexically normalizes an absolute path (`.` dropped, `..` pops); `None` if it climbs above `/`.
pub fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => out.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() || out.as_os_str().is_empty() {
                    return None;
                }
            }
            Component::Normal(n) => out.push(n),
        }
    }
    Some(out)
}
