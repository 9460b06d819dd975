//! Lexical path handling shared by the environment and install layers.
//!
//! Not here: anything that touches the filesystem.

use std::path::{Component, Path, PathBuf};

/// Lexically normalizes an absolute path (`.` dropped, `..` pops); `None` if it climbs above `/`.
pub fn normalize(path: &Path) -> Option<PathBuf> {
    if is_normal(path) {
        return Some(path.to_path_buf());
    }
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

/// [`normalize`] of an owned path, without a copy when it is normalized already (the common
/// case: the planner normalizes every file's destination); a path that cannot be normalized
/// (`..` above `/`) is returned as it is.
pub fn normalized(path: PathBuf) -> PathBuf {
    if is_normal(&path) {
        return path;
    }
    normalize(&path).unwrap_or(path)
}

/// Whether an absolute path is normalized already: on Unix, `/` then names that are neither
/// empty, `.` nor `..` (the common case, checked without building components).
fn is_normal(path: &Path) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    cfg!(unix)
        && bytes.len() > 1
        && bytes[0] == b'/'
        && bytes[1..]
            .split(|&b| b == b'/')
            .all(|name| !matches!(name, b"" | b"." | b".."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        for (path, want) in [
            ("/a/b/c.py", Some("/a/b/c.py")),
            ("/a/./b", Some("/a/b")),
            ("/a//b/", Some("/a/b")),
            ("/a/b/../c", Some("/a/c")),
            ("/a/b/..", Some("/a")),
            ("/a/.", Some("/a")),
            ("/", Some("/")),
            ("/..", None),
            ("/../x", None),
            ("/a/...", Some("/a/...")),
            ("/a/.hidden/b", Some("/a/.hidden/b")),
        ] {
            assert_eq!(
                normalize(Path::new(path)),
                want.map(PathBuf::from),
                "{path}"
            );
            let owned = normalized(PathBuf::from(path));
            assert_eq!(owned, PathBuf::from(want.unwrap_or(path)), "{path}");
        }
    }
}
