//! PEP 668: refusing to change an environment that another package manager owns.
//!
//! An interpreter that is not running in a virtual environment, and whose sysconfig `stdlib`
//! directory holds an `EXTERNALLY-MANAGED` file, belongs to the operating system (or another
//! tool). `winst install` and `winst uninstall` refuse it unless `--break-system-packages` (or
//! `WINST_BREAK_SYSTEM_PACKAGES=1`), with the marker's `Error` text (or `Error-<lang>` for the
//! user's locale), as pip does. Like pip, `--target` and `--prefix` installs, and `--dry-run
//! --json` reports, are not refused: they do not touch the interpreter's own environment.
//!
//! Not here: finding the environment ([`crate::discover`]).

use std::path::{Path, PathBuf};

use crate::target::{Layout, Target};

/// The marker file's name, in the stdlib directory.
pub(crate) const MARKER: &str = "EXTERNALLY-MANAGED";

/// Why the environment must not be changed: the marker file and the text to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternallyManaged {
    pub marker: PathBuf,
    pub prefix: PathBuf,
    /// The marker's `Error` text, or pip's default when it has none.
    pub message: String,
}

impl std::fmt::Display for ExternallyManaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "the environment at {} is externally managed (PEP 668: {} exists):\n",
            self.prefix.display(),
            self.marker.display()
        )?;
        for line in self.message.trim_end().lines() {
            if line.is_empty() {
                writeln!(f)?;
            } else {
                writeln!(f, "  {}", winst_wheel::error::printable(line))?;
            }
        }
        write!(
            f,
            "\nnote: If you believe this is a mistake, please contact your Python installation or \
             OS distribution provider. You can override this, at the risk of breaking your Python \
             installation or OS, by passing --break-system-packages (or setting \
             WINST_BREAK_SYSTEM_PACKAGES=1).\n\
             hint: to install into a virtual environment instead, create one with \
             `python3 -m venv .venv` and pass --python .venv"
        )
    }
}

impl std::error::Error for ExternallyManaged {}

/// pip's text for a marker without an `Error` key.
fn default_message(prefix: &Path) -> String {
    format!(
        "The Python environment under {} is managed externally, and may not be\n\
         manipulated by the user. Please use specific tooling from the distributor of\n\
         the Python installation to interact with this environment instead.",
        prefix.display()
    )
}

/// Whether `WINST_BREAK_SYSTEM_PACKAGES` asks for the override.
pub fn override_from_env() -> bool {
    std::env::var("WINST_BREAK_SYSTEM_PACKAGES").is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// Refuses a target that PEP 668 protects, unless `allowed`. Only the interpreter's own
/// environment counts, and only when it is not a virtual environment.
pub fn check(target: &Target, allowed: bool) -> Result<(), ExternallyManaged> {
    if allowed || target.layout != Layout::Environment || target.interpreter.is_venv() {
        return Ok(());
    }
    match marker_in(&target.interpreter.stdlib, &target.interpreter.prefix) {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// Reads the marker in `stdlib`, if there is one.
pub(crate) fn marker_in(stdlib: &Path, prefix: &Path) -> Option<ExternallyManaged> {
    let marker = stdlib.join(MARKER);
    if !marker.is_file() {
        return None;
    }
    // pip falls back to its default text when the file cannot be read or parsed.
    let message = std::fs::read(&marker)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| error_text(&text, locale_lang().as_deref()))
        .unwrap_or_else(|| default_message(prefix));
    Some(ExternallyManaged {
        marker,
        prefix: prefix.to_path_buf(),
        message,
    })
}

/// The language of the message locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), as Python's
/// `locale.getlocale` gives it: `de_DE` for `de_DE.UTF-8`; `None` for `C`/`POSIX`.
fn locale_lang() -> Option<String> {
    let value = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())?;
    let lang = value.split(['.', '@']).next().unwrap_or("");
    if lang.is_empty() || lang == "C" || lang == "POSIX" {
        return None;
    }
    Some(lang.to_string())
}

/// The keys pip tries, in order: `Error-de_DE`, `Error-de`, `Error`.
fn error_keys(lang: Option<&str>) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(lang) = lang {
        keys.push(format!("Error-{lang}"));
        for sep in ['-', '_'] {
            if let Some((before, _)) = lang.split_once(sep) {
                keys.push(format!("Error-{before}"));
            }
        }
    }
    keys.push("Error".to_string());
    keys
}

/// The error text from a marker's `[externally-managed]` section, read as Python's
/// `configparser` reads it (keys case-insensitive, `=` or `:`, indented continuation lines,
/// full-line `#`/`;` comments).
pub(crate) fn error_text(ini: &str, lang: Option<&str>) -> Option<String> {
    let section = parse_section(ini, "externally-managed")?;
    error_keys(lang).iter().find_map(|key| {
        let key = key.to_lowercase();
        section
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    })
}

/// The keys and values of one section, in file order.
fn parse_section(ini: &str, wanted: &str) -> Option<Vec<(String, String)>> {
    let mut found = false;
    let mut in_section = false;
    let mut entries: Vec<(String, Vec<String>)> = Vec::new();
    let mut key_indent: Option<usize> = None;
    for raw in ini.lines() {
        let line = raw.trim_end_matches('\r');
        let stripped = line.trim();
        let indent = line.len() - line.trim_start().len();
        let is_comment = stripped.starts_with('#') || stripped.starts_with(';');
        // A continuation line: indented deeper than its key, or an empty line inside a value.
        if let Some(ki) = key_indent
            && (stripped.is_empty() || (indent > ki && !is_comment))
        {
            if in_section && let Some((_, lines)) = entries.last_mut() {
                lines.push(stripped.to_string());
            }
            continue;
        }
        if stripped.is_empty() || is_comment {
            continue;
        }
        if let Some(name) = stripped.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            in_section = name == wanted;
            found |= in_section;
            key_indent = None;
            continue;
        }
        let Some(split) = stripped.find(['=', ':']) else {
            // configparser would refuse the file; pip then uses its default text.
            return None;
        };
        key_indent = Some(indent);
        if in_section {
            let key = stripped[..split].trim().to_lowercase();
            let value = stripped[split + 1..].trim().to_string();
            entries.push((key, vec![value]));
        }
    }
    found.then(|| {
        entries
            .into_iter()
            .map(|(k, lines)| (k, lines.join("\n").trim_end().to_string()))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = "[externally-managed]\nError=To install Python packages system-wide, try apt install\n python3-xyz, where xyz is the package you are trying to\n install.\n\n If you wish to install a non-Debian-packaged Python package,\n create a virtual environment.\n";

    #[test]
    fn reads_the_error_like_configparser() {
        assert_eq!(
            error_text(DEBIAN, None).as_deref(),
            Some(
                "To install Python packages system-wide, try apt install\npython3-xyz, where xyz \
                 is the package you are trying to\ninstall.\n\nIf you wish to install a \
                 non-Debian-packaged Python package,\ncreate a virtual environment."
            )
        );
    }

    #[test]
    fn locale_variants_and_fallbacks() {
        let ini = "# owned by the distro\n[other]\nError = no\n[externally-managed]\nerror = plain\nError-de = auf Deutsch\nError-pt_BR: em português\n";
        assert_eq!(
            error_text(ini, Some("de_DE")).as_deref(),
            Some("auf Deutsch")
        );
        assert_eq!(
            error_text(ini, Some("pt_BR")).as_deref(),
            Some("em português")
        );
        assert_eq!(error_text(ini, Some("fr_FR")).as_deref(), Some("plain"));
        assert_eq!(error_text(ini, None).as_deref(), Some("plain"));
        assert_eq!(error_text("[externally-managed]\n", None), None);
        assert_eq!(error_text("", None), None);
        assert_eq!(
            error_text("[externally-managed]\nnot a key line\n", None),
            None
        );
    }

    #[test]
    fn marker_decides() {
        let dir = tempfile::tempdir().expect("temp dir");
        let stdlib = dir.path().join("lib/python3.11");
        std::fs::create_dir_all(&stdlib).expect("mkdir");
        assert_eq!(marker_in(&stdlib, Path::new("/usr")), None);
        std::fs::write(stdlib.join(MARKER), "[externally-managed]\n").expect("write");
        let refusal = marker_in(&stdlib, Path::new("/usr")).expect("marker found");
        assert!(
            refusal
                .message
                .starts_with("The Python environment under /usr is managed")
        );
        std::fs::write(stdlib.join(MARKER), b"\xff\xfe").expect("write");
        let refusal = marker_in(&stdlib, Path::new("/usr")).expect("marker found");
        assert!(refusal.message.contains("managed externally"));
    }
}
