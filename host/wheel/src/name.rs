//! Project names and versions as the packaging specs compare them.
//!
//! PEP 503 normalization for comparing names, the escaping wheel and dist-info directory names
//! use (binary distribution format, "Escaping and Unicode"), and PEP 440 equality of the versions
//! a file name, a dist-info directory and METADATA give (through `pep440_rs`, the PEP 440 code
//! `pep508_rs` and uv use). Not here: ordering versions or matching specifiers.

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
/// may use for the same version compare equal (case, `-`/`_` escaping, a leading `v`). The
/// fallback of [`same_version`] for versions that are not PEP 440.
pub fn version_key(version: &str) -> String {
    let v = version.trim().to_ascii_lowercase().replace('-', "_");
    v.strip_prefix('v').map(str::to_string).unwrap_or(v)
}

/// Whether two spellings of a version name the same version, as pip and uv compare a wheel's
/// file name with its METADATA: PEP 440 equality when both parse (`1.0.0` = `1.0`,
/// `1.0.0rc1` = `1.0.0-rc1`, `1.0+g1` = `1.0+G1`), else equal [`version_key`]s. A side that does
/// not parse is also tried with one `_` read as `+`, because older tools escaped a local
/// version's `+` as `_` in file and dist-info directory names (`minlv-1.0_g1.dist-info`).
pub fn same_version(a: &str, b: &str) -> bool {
    let (x, y) = (pep440(a), pep440(b));
    if x.is_empty() || y.is_empty() {
        return version_key(a) == version_key(b);
    }
    x.iter().any(|v| y.contains(v))
}

/// `version` as PEP 440: itself when it parses, else every reading of one of its `_` as the `+`
/// of a local version that parses (`1.0_post1_g1` is `1.0.post1+g1`, or `1.0+post1.g1`).
fn pep440(version: &str) -> Vec<pep440_rs::Version> {
    use std::str::FromStr;
    let version = version.trim();
    if let Ok(v) = pep440_rs::Version::from_str(version) {
        return vec![v];
    }
    version
        .match_indices('_')
        .filter_map(|(i, _)| {
            let local = format!("{}+{}", &version[..i], &version[i + 1..]);
            pep440_rs::Version::from_str(&local).ok()
        })
        .collect()
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

    #[test]
    fn versions_are_equal_as_pep_440_says() {
        assert!(same_version("1.0.0", "1.0"));
        assert!(same_version("1.0.0rc1", "1.0.0-rc1"));
        assert!(same_version("1.0+g1", "1.0_g1"));
        assert!(same_version("1.0_post1_g1", "1.0.post1+g1"));
        assert!(same_version("v2.0", "2.0"));
        assert!(same_version("2019.1", "2019.01"));
        assert!(!same_version("1.2.0", "1.0.0"));
        assert!(!same_version("1.0+g1", "1.0+g2"));
        assert!(!same_version("1.0", "1.0+g1"));
        // Not PEP 440 on either side: compared as normalized strings.
        assert!(same_version("1.0.foo", "1.0.FOO"));
        assert!(!same_version("1.0.foo", "1.0.bar"));
    }
}
