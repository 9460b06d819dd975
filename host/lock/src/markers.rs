//! Environment markers of lock entries, evaluated for the target with the selected extras and
//! dependency groups.
//!
//! PEP 751 adds two marker variables that hold sets, `extras` and `dependency_groups`, used as
//! `'NAME' in extras` and `'NAME' not in dependency_groups`. `pep508_rs` knows only the
//! classic `extra`, so each such comparison is rewritten before parsing: `'x' in extras` to
//! `extra == 'x'`, and `'dev' in dependency_groups` to `extra == 'winst-dependency-group-dev'`
//! with the selected groups passed as extras of that name (a prefix no real extra uses).
//! Anything else is parsed and evaluated by `pep508_rs` as it stands.

use std::str::FromStr;

use pep508_rs::{ExtraName, MarkerEnvironment, MarkerTree};
use winst_wheel::name::normalize;

const GROUP_PREFIX: &str = "winst-dependency-group-";

/// A parsed marker, ready to evaluate.
pub(crate) struct Marker {
    tree: MarkerTree,
}

impl Marker {
    /// Parses a marker expression, PEP 751 set variables included. The error is `pep508_rs`'s
    /// first line.
    pub(crate) fn parse(text: &str) -> Result<Marker, String> {
        let rewritten = rewrite(text);
        MarkerTree::from_str(&rewritten)
            .map(|tree| Marker { tree })
            .map_err(|e| {
                let msg = e.to_string();
                format!(
                    "invalid marker `{text}`: {}",
                    msg.lines().next().unwrap_or_default()
                )
            })
    }

    /// Whether the marker holds for the target with these extras and dependency groups.
    pub(crate) fn evaluate(
        &self,
        env: &MarkerEnvironment,
        extras: &[String],
        groups: &[String],
    ) -> bool {
        let names: Vec<ExtraName> = extras
            .iter()
            .map(|e| normalize(e))
            .chain(
                groups
                    .iter()
                    .map(|g| format!("{GROUP_PREFIX}{}", normalize(g))),
            )
            .filter_map(|n| ExtraName::new(n).ok())
            .collect();
        self.tree.evaluate(env, &names)
    }
}

/// One token of a marker: a quoted string (with its quotes) or a run of other characters.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c == b'\'' || c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != c {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
        } else if c.is_ascii_whitespace() || c == b'(' || c == b')' {
            i += 1;
        } else {
            while i < bytes.len()
                && !matches!(bytes[i], b'\'' | b'"' | b'(' | b')')
                && !bytes[i].is_ascii_whitespace()
            {
                i += 1;
            }
        }
        out.push(&text[start..i]);
    }
    out
}

/// Rewrites `'x' [not] in extras|dependency_groups` as comparisons of `extra` (see the module
/// doc); the rest of the text is kept as it is.
pub(crate) fn rewrite(text: &str) -> String {
    let toks = tokens(text);
    let words: Vec<(usize, &str)> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(i, t)| (i, *t))
        .collect();
    let mut out: Vec<String> = toks.iter().map(|t| t.to_string()).collect();
    for w in 0..words.len() {
        let (i, quoted) = words[w];
        if !(quoted.len() >= 2 && (quoted.starts_with('\'') || quoted.starts_with('"'))) {
            continue;
        }
        let value = &quoted[1..quoted.len() - 1];
        let rest: Vec<&str> = words[w + 1..].iter().take(3).map(|(_, t)| *t).collect();
        let (negated, var_at) = match rest.as_slice() {
            ["not", "in", _] => (true, w + 3),
            ["in", _, ..] => (false, w + 2),
            _ => continue,
        };
        let var = words[var_at].1;
        let name = match var {
            "extras" => normalize(value),
            "dependency_groups" => format!("{GROUP_PREFIX}{}", normalize(value)),
            _ => continue,
        };
        let op = if negated { "!=" } else { "==" };
        out[i] = format!("extra {op} '{name}'");
        for t in &mut out[i + 1..=words[var_at].0] {
            t.clear();
        }
    }
    out.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(marker: &str, extras: &[&str], groups: &[&str]) -> bool {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Marker::parse(marker).unwrap().evaluate(
            &crate::testing::markers(),
            &own(extras),
            &own(groups),
        )
    }

    #[test]
    fn set_variables_are_rewritten() {
        assert_eq!(rewrite("'fast' in extras"), "extra == 'fast'");
        assert_eq!(
            rewrite("\"dev\" not in dependency_groups and python_version >= '3.8'"),
            "extra != 'winst-dependency-group-dev' and python_version >= '3.8'"
        );
        // A string that only looks like the variable stays as it is.
        assert_eq!(
            rewrite("sys_platform == 'extras'"),
            "sys_platform == 'extras'"
        );
    }

    #[test]
    fn evaluates_with_extras_and_groups() {
        assert!(holds("sys_platform == 'linux'", &[], &[]));
        assert!(!holds("sys_platform == 'win32'", &[], &[]));
        assert!(holds("'fast' in extras", &["Fast"], &[]));
        assert!(!holds("'fast' in extras", &[], &["fast"]));
        assert!(holds("'dev' in dependency_groups", &[], &["dev"]));
        assert!(!holds("'dev' in dependency_groups", &["dev"], &[]));
        assert!(holds("'dev' not in dependency_groups", &[], &["test"]));
        assert!(holds(
            "('a' in extras or 'dev' in dependency_groups) and python_version >= '3.8'",
            &[],
            &["dev"]
        ));
        assert!(Marker::parse("python_version >>> '3'").is_err());
    }
}
