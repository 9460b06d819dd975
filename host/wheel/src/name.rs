//! Project names and versions as the packaging specs compare them.
//!
//! PEP 503 normalization for comparing names, and the escaping wheel and dist-info directory names
//! use (binary distribution format, "Escaping and Unicode"). Not a PEP 440 implementation: versions
//! are compared as normalized strings, which is what matching a filename to its metadata needs.

/// PEP 503: lowercase, runs of `-`, `_` and `.` become one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if c == '-' || c == '_' || c == '.' {
            if !in_sep {
                out.push('-');
                in_sep = true;
            }
        } else {
            out.push(c.to_ascii_lowercase());
            in_sep = false;
        }
    }
    out
}

/// The name as it appears in `{name}-{version}.dist-info`: normalized, with `_` for separators.
pub fn escape(name: &str) -> String {
    normalize(name).replace('-', "_")
}

/// A version string reduced so that the spellings a filename, a dist-info directory and METADATA
/// may use for the same version compare equal (case, `-`/`_` escaping, a leading `v`).
pub fn version_key(version: &str) -> String {
    let v = version.trim().to_ascii_lowercase().replace('-', "_");
    v.strip_prefix('v').map(str::to_string).unwrap_or(v)
}

/// Whether `name` is a valid project name (PEP 508 / core metadata `Name`).
pub fn is_valid_project_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_pep_503() {
        assert_eq!(normalize("Foo.Bar__baz-QUX"), "foo-bar-baz-qux");
        assert_eq!(escape("zope.interface"), "zope_interface");
        assert_eq!(normalize("a-_-b"), "a-b");
    }

    #[test]
    fn validates_names() {
        assert!(is_valid_project_name("requests"));
        assert!(is_valid_project_name("zope.interface"));
        assert!(!is_valid_project_name("../evil"));
        assert!(!is_valid_project_name("-x"));
        assert!(!is_valid_project_name(""));
    }

    #[test]
    fn version_keys() {
        assert_eq!(version_key("1.0-post1"), version_key("1.0_post1"));
        assert_eq!(version_key("V2.0"), "2.0");
    }
}
