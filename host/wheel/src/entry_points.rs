//! `entry_points.txt`: the console and GUI scripts a wheel asks for.
//!
//! Parses the INI-style file and validates what becomes a file name (the entry point's name) and
//! what becomes Python code (the object reference). Other groups (plugins of other tools) are
//! parsed but not validated: winst does not act on them.

use serde::Serialize;

/// Whether a script is a console or a GUI script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScriptKind {
    Console,
    Gui,
}

/// A `console_scripts` or `gui_scripts` entry: `name = module:attr.sub [extras]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryPoint {
    pub name: String,
    pub module: String,
    /// The attribute path after the colon, dotted (`main` or `cli.main`).
    pub attr: String,
    pub kind: ScriptKind,
}

/// Parses `entry_points.txt` and returns the script entry points, validated.
/// Lines outside any section are not looked at and lines of other groups only need an `=` (as
/// `importlib.metadata` reads them for pip); a name given twice in one group takes its last definition, as
/// in pip. Errors name the line and the rule.
pub fn parse_scripts(text: &str) -> Result<Vec<EntryPoint>, String> {
    let mut section: Option<String> = None;
    let mut out: Vec<EntryPoint> = Vec::new();
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest
                .strip_suffix(']')
                .ok_or_else(|| format!("line {}: unterminated section header", number + 1))?;
            section = Some(name.trim().to_string());
            continue;
        }
        // Lines before any section are skipped unread, as by `importlib.metadata`; inside any
        // section a line without `=` makes pip fail, so it is refused in every group.
        let Some(group) = section.as_deref() else {
            continue;
        };
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!(
                "line {}: expected `name = object reference`",
                number + 1
            ));
        };
        let kind = match group {
            "console_scripts" => ScriptKind::Console,
            "gui_scripts" => ScriptKind::Gui,
            _ => continue,
        };
        let name = name.trim();
        validate_script_name(name).map_err(|e| format!("line {}: {e}", number + 1))?;
        let (module, attr) =
            parse_object_reference(value).map_err(|e| format!("line {}: {e}", number + 1))?;
        let entry = EntryPoint {
            name: name.to_string(),
            module,
            attr,
            kind,
        };
        match out.iter_mut().find(|e| e.name == name && e.kind == kind) {
            Some(earlier) => *earlier = entry,
            None => out.push(entry),
        }
    }
    Ok(out)
}

/// A script name becomes a file name in the scripts directory: no separators, no dots-only names,
/// nothing a shell or a file system would read specially.
pub fn validate_script_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 200 {
        return Err("a script name must be 1 to 200 bytes long".to_string());
    }
    if name == "." || name == ".." || name.starts_with('.') {
        return Err(format!("script name `{name}` must not start with a dot"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '+')))
    {
        return Err(format!(
            "script name `{}` contains `{}`: only letters, digits and _ - . + are allowed",
            name.escape_default(),
            bad.escape_default()
        ));
    }
    Ok(())
}

/// `module.sub:attr.sub [extra]` → (`module.sub`, `attr.sub`). Both parts must be dotted Python
/// identifiers; scripts need the attribute.
pub fn parse_object_reference(value: &str) -> Result<(String, String), String> {
    let value = value.trim();
    let value = match value.find('[') {
        Some(i) => {
            if !value.ends_with(']') {
                return Err(format!("`{value}`: unterminated extras"));
            }
            value[..i].trim()
        }
        None => value,
    };
    let (module, attr) = value
        .split_once(':')
        .ok_or_else(|| format!("object reference `{value}` must be `module:attribute`"))?;
    let (module, attr) = (module.trim(), attr.trim());
    for (what, dotted) in [("module", module), ("attribute", attr)] {
        if dotted.is_empty() || !dotted.split('.').all(is_identifier) {
            return Err(format!(
                "object reference `{}`: {what} `{}` is not a dotted Python identifier",
                value.escape_default(),
                dotted.escape_default()
            ));
        }
    }
    Ok((module.to_string(), attr.to_string()))
}

/// A Python identifier (approximating XID with Unicode alphanumerics).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scripts_and_ignores_other_groups() {
        let eps = parse_scripts(
            "[console_scripts]\nfoo = foo.cli:main\nbar-baz=foo:app.run [extra]\n\n[gui_scripts]\nfoow = foo.gui:main\n[pytest11]\nweird thing = not valid at all\n",
        )
        .unwrap();
        assert_eq!(eps.len(), 3);
        assert_eq!(eps[1].attr, "app.run");
        assert_eq!(eps[2].kind, ScriptKind::Gui);
    }

    #[test]
    fn reads_what_pip_reads_and_lets_the_last_definition_win() {
        let eps = parse_scripts(
            "stray = before:any_section\n[console_scripts]\nfoo = a:b\nfoo = c:d\n\
             [other]\nweird = not valid at all\n",
        )
        .unwrap();
        assert_eq!(eps.len(), 1);
        assert_eq!((eps[0].module.as_str(), eps[0].attr.as_str()), ("c", "d"));
    }

    #[test]
    fn refuses_paths_and_code() {
        for bad in [
            "[console_scripts]\n../../evil = foo:main\n",
            "[console_scripts]\na/b = foo:main\n",
            "[console_scripts]\n.hidden = foo:main\n",
            "[console_scripts]\nfoo = os:system('rm -rf /')\n",
            "[console_scripts]\nfoo = foo\n",
            "[console_scripts]\nfoo = foo:1bad\n",
            "[console_scripts]\nfoo = foo;bar:main\n",
            "[console_scripts]\nno equals sign\n",
            "[pytest11]\nno equals sign\n",
        ] {
            assert!(parse_scripts(bad).is_err(), "accepted {bad:?}");
        }
    }
}
