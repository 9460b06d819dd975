//! Script files: which commands a wheel's entry points become, the shebang winst gives scripts,
//! and the checks on launcher files.
//!
//! Launchers themselves come from the `scripts` plugin role (the default plugin is built from
//! `plugins/scripts`); the host decides the list of commands ([`commands`], pip's rule for its
//! own and setuptools' versioned commands), computes the shebang the plugin uses and validates
//! whatever a plugin returns (see [`validate_generated`]) before it is written.

use std::path::Path;

use winst_wheel::entry_points::{self, EntryPoint, ScriptKind};

/// The launcher files a scripts plugin made for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launcher {
    /// The command (entry point) name the files are for.
    pub entry_point: String,
    pub files: Vec<ScriptFile>,
}

/// The commands to write launchers for: the wheel's console and GUI entry points, with pip's
/// rule (`get_console_script_specs` in pip's wheel installer) for two projects' versioned
/// commands, so that a venv ends with the commands pip would leave. A console entry point `pip`
/// also gives `pipX` and `pipX.Y` for the target's Python `(X, Y)`, replacing the wheel's own
/// `pipN`/`pipN.M` entries (a pip wheel lists those for the Python that built it, or not at all
/// since pip 24.1); likewise `easy_install` gives `easy_install-X.Y`, replacing any
/// `easy_install-N.M`. pip's `ENSUREPIP_OPTIONS` variants are not followed.
pub fn commands(entry_points: &[EntryPoint], (major, minor): (u32, u32)) -> Vec<EntryPoint> {
    let console = |name: &str| {
        entry_points
            .iter()
            .find(|e| e.kind == ScriptKind::Console && e.name == name)
    };
    let alias = |ep: &EntryPoint, name: String| EntryPoint { name, ..ep.clone() };
    let pip = console("pip");
    let easy_install = console("easy_install");
    let mut out = Vec::with_capacity(entry_points.len() + 2);
    for ep in entry_points {
        let console = ep.kind == ScriptKind::Console;
        if console && ep.name == "pip" {
            out.push(ep.clone());
            out.push(alias(ep, format!("pip{major}")));
            out.push(alias(ep, format!("pip{major}.{minor}")));
        } else if console && ep.name == "easy_install" {
            out.push(ep.clone());
            out.push(alias(ep, format!("easy_install-{major}.{minor}")));
        } else if !(console
            && (pip.is_some() && is_versioned(&ep.name, "pip")
                || easy_install.is_some() && is_versioned(&ep.name, "easy_install-")))
        {
            out.push(ep.clone());
        }
    }
    out
}

/// `name` is `prefix` followed by `N` or `N.M` (digits); for pip also `N` alone.
fn is_versioned(name: &str, prefix: &str) -> bool {
    let Some(rest) = name.strip_prefix(prefix) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match rest.split_once('.') {
        Some((a, b)) => digits(a) && digits(b),
        None => prefix == "pip" && digits(rest),
    }
}

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

    fn names(text: &str) -> Vec<String> {
        let eps = entry_points::parse_scripts(text).unwrap();
        commands(&eps, (3, 11))
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    #[test]
    fn pip_and_easy_install_get_the_targets_versioned_commands() {
        assert_eq!(
            names(
                "[console_scripts]\npip = pip._internal.cli.main:main\npip3 = pip._internal.cli.main:main\n"
            ),
            ["pip", "pip3", "pip3.11"]
        );
        // A pip wheel built by another Python lists that Python's command: replaced.
        assert_eq!(
            names(
                "[console_scripts]\npip = p:main\npip3 = p:main\npip3.9 = p:main\npip-tools = p:x\n"
            ),
            ["pip", "pip3", "pip3.11", "pip-tools"]
        );
        assert_eq!(
            names("[console_scripts]\neasy_install = s:main\neasy_install-3.6 = s:main\n"),
            ["easy_install", "easy_install-3.11"]
        );
        // Without `pip` itself, versioned names are ordinary commands.
        assert_eq!(names("[console_scripts]\npip3 = p:main\n"), ["pip3"]);
        assert_eq!(names("[gui_scripts]\npip = p:main\n"), ["pip"]);
        assert_eq!(names("[console_scripts]\ntool = t:main\n"), ["tool"]);
    }

    #[test]
    fn short_and_long_shebangs() {
        assert_eq!(shebang(Path::new("/v/bin/python")), "#!/v/bin/python");
        let spaced = shebang(Path::new("/my venv/bin/python"));
        assert!(spaced.starts_with("#!/bin/sh\n'''exec' \"/my venv/bin/python\""));
        let long = format!("/{}/bin/python", "x".repeat(200));
        assert!(shebang(Path::new(&long)).starts_with("#!/bin/sh\n"));
    }
}
