//! Script files: the shebang winst gives scripts, and the checks on launcher files.
//!
//! Launchers themselves come from the `scripts` plugin role (the default plugin is built from
//! `plugins/scripts`); the host computes the shebang the plugin uses and validates whatever a
//! plugin returns (see [`validate_generated`]) before it is written.

use std::path::Path;

use winst_wheel::entry_points;

/// A file a scripts plugin asks to write into the scripts directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptFile {
    /// A bare file name (no directories).
    pub name: String,
    pub contents: Vec<u8>,
    pub executable: bool,
}

/// Checks a generator's output: names must be valid script names.
pub fn validate_generated(files: &[ScriptFile]) -> Result<(), String> {
    for f in files {
        entry_points::validate_script_name(&f.name)
            .map_err(|e| format!("generated an invalid file name: {e}"))?;
    }
    Ok(())
}

/// Linux executes a `#!` line of at most this many bytes.
const MAX_SHEBANG: usize = 127;

/// The first line(s) that make a file run with `python`. Paths too long for the kernel or with
/// spaces use a `/bin/sh` prelude that Python reads as a string literal.
pub fn shebang(python: &Path) -> String {
    let p = python.to_string_lossy();
    let simple = format!("#!{p}");
    if simple.len() <= MAX_SHEBANG && !p.contains([' ', '\t']) {
        return simple;
    }
    let quoted = p
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('$', "\\$")
        .replace('`', "\\`");
    format!("#!/bin/sh\n'''exec' \"{quoted}\" \"$0\" \"$@\"\n' '''")
}

/// Replaces a `#!python` / `#!pythonw` first line with the target's shebang, as pip does.
pub fn fix_shebang_bytes(content: &[u8], python: &Path) -> Option<Vec<u8>> {
    if !content.starts_with(b"#!python") {
        return None;
    }
    let rest = match content.iter().position(|&b| b == b'\n') {
        Some(i) => &content[i + 1..],
        None => &[][..],
    };
    let mut out = shebang(python).into_bytes();
    out.push(b'\n');
    out.extend_from_slice(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_shebangs() {
        assert_eq!(shebang(Path::new("/v/bin/python")), "#!/v/bin/python");
        let spaced = shebang(Path::new("/my venv/bin/python"));
        assert!(spaced.starts_with("#!/bin/sh\n'''exec' \"/my venv/bin/python\""));
        let long = format!("/{}/bin/python", "x".repeat(200));
        assert!(shebang(Path::new(&long)).starts_with("#!/bin/sh\n"));
    }
}
