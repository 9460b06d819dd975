//! Example policy plugin: allow only projects whose license is on the organization's list.
//!
//! The license comes from `License-Expression` (an SPDX expression: `MIT OR Apache-2.0`,
//! `GPL-2.0-only WITH Classpath-exception-2.0`, parentheses), else the `License ::` trove
//! classifiers (mapped to SPDX ids where the mapping is unambiguous; allowed if any is allowed, as
//! several classifiers mean a choice), else a `License` field that is itself an SPDX id.
//!
//! Configuration:
//! ```toml
//! config = { allow = ["MIT", "BSD-3-Clause", "Apache-2.0"], unknown = "deny" }
//! ```
//! `unknown` says what to do when no license can be found: `deny` (default), `warn` or `allow`.
//! `allow_classifiers` lists whole classifier strings to allow as they are.

use winst_plugin_sdk::types::{Verdict, Wheel};
use winst_plugin_sdk::{Context, Plugin, register_plugin};

#[derive(serde::Deserialize)]
#[serde(default)]
struct Config {
    allow: Vec<String>,
    allow_classifiers: Vec<String>,
    unknown: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            allow: Vec::new(),
            allow_classifiers: Vec::new(),
            unknown: "deny".to_string(),
        }
    }
}

/// Common trove license classifiers and the SPDX id they name.
const CLASSIFIERS: &[(&str, &str)] = &[
    ("MIT License", "MIT"),
    ("MIT No Attribution License (MIT-0)", "MIT-0"),
    ("Apache Software License", "Apache-2.0"),
    ("ISC License (ISCL)", "ISC"),
    ("Python Software Foundation License", "PSF-2.0"),
    ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
    ("GNU General Public License v2 (GPLv2)", "GPL-2.0-only"),
    (
        "GNU General Public License v2 or later (GPLv2+)",
        "GPL-2.0-or-later",
    ),
    ("GNU General Public License v3 (GPLv3)", "GPL-3.0-only"),
    (
        "GNU General Public License v3 or later (GPLv3+)",
        "GPL-3.0-or-later",
    ),
    (
        "GNU Lesser General Public License v2 (LGPLv2)",
        "LGPL-2.0-only",
    ),
    (
        "GNU Lesser General Public License v2 or later (LGPLv2+)",
        "LGPL-2.0-or-later",
    ),
    (
        "GNU Lesser General Public License v3 (LGPLv3)",
        "LGPL-3.0-only",
    ),
    (
        "GNU Lesser General Public License v3 or later (LGPLv3+)",
        "LGPL-3.0-or-later",
    ),
    ("GNU Affero General Public License v3", "AGPL-3.0-only"),
    ("The Unlicense (Unlicense)", "Unlicense"),
    ("Zope Public License", "ZPL-2.1"),
    ("Boost Software License 1.0 (BSL-1.0)", "BSL-1.0"),
];

/// Evaluates an SPDX license expression: is it satisfiable with the allowed ids?
struct Expr<'a> {
    tokens: Vec<&'a str>,
    pos: usize,
    allowed: &'a dyn Fn(&str) -> bool,
}

impl<'a> Expr<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.tokens.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<&'a str> {
        let t = self.tokens.get(self.pos).copied();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut ok = self.and()?;
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("OR")) {
            self.pos += 1;
            ok |= self.and()?;
        }
        Ok(ok)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut ok = self.atom()?;
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("AND")) {
            self.pos += 1;
            ok &= self.atom()?;
        }
        Ok(ok)
    }

    fn atom(&mut self) -> Result<bool, String> {
        match self.next() {
            Some("(") => {
                let ok = self.or()?;
                match self.next() {
                    Some(")") => Ok(ok),
                    _ => Err("unbalanced parentheses".to_string()),
                }
            }
            Some(id) if !matches!(id, ")") => {
                let id = id.trim_end_matches('+');
                let mut ok = (self.allowed)(id);
                if self.peek().is_some_and(|t| t.eq_ignore_ascii_case("WITH")) {
                    self.pos += 1;
                    let exception = self.next().ok_or("WITH without an exception")?;
                    // An exception only widens what a license permits; the pair is allowed if
                    // the license is, or if the pair is listed as a whole.
                    ok |= (self.allowed)(&format!("{id} WITH {exception}"));
                }
                Ok(ok)
            }
            _ => Err("unexpected end of expression".to_string()),
        }
    }
}

fn evaluate(expression: &str, allowed: &dyn Fn(&str) -> bool) -> Result<bool, String> {
    let spaced = expression.replace('(', " ( ").replace(')', " ) ");
    let mut e = Expr {
        tokens: spaced.split_whitespace().collect(),
        pos: 0,
        allowed,
    };
    let ok = e.or()?;
    if e.pos != e.tokens.len() {
        return Err(format!("unexpected `{}`", e.tokens[e.pos]));
    }
    Ok(ok)
}

fn looks_like_spdx_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+'))
}

struct LicensePolicy;

impl Plugin for LicensePolicy {
    type Config = Config;

    fn check(wheel: Wheel, cx: &Context<Config>) -> Verdict {
        let config = &cx.config;
        let allowed = |id: &str| config.allow.iter().any(|a| a.eq_ignore_ascii_case(id));
        let who = format!("{} {}", wheel.name, wheel.version);

        if let Some(expr) = wheel.metadata_field("License-Expression") {
            return match evaluate(expr, &allowed) {
                Ok(true) => Verdict::Allow,
                Ok(false) => Verdict::Deny(format!(
                    "{who} is licensed under {expr}, which the license policy does not allow"
                )),
                Err(e) => Verdict::Deny(format!(
                    "{who} has an invalid License-Expression `{expr}`: {e}"
                )),
            };
        }
        let classifiers: Vec<&str> = wheel
            .metadata_fields("Classifier")
            .into_iter()
            .filter(|c| c.starts_with("License ::"))
            .collect();
        if !classifiers.is_empty() {
            let ok = classifiers.iter().any(|c| {
                config.allow_classifiers.iter().any(|a| a == c)
                    || c.rsplit(" :: ").next().is_some_and(|leaf| {
                        CLASSIFIERS
                            .iter()
                            .any(|(name, id)| *name == leaf && allowed(id))
                    })
            });
            return if ok {
                Verdict::Allow
            } else {
                Verdict::Deny(format!(
                    "{who} is licensed under {}, which the license policy does not allow",
                    classifiers.join("; ")
                ))
            };
        }
        if let Some(license) = wheel.metadata_field("License").map(str::trim)
            && looks_like_spdx_id(license)
        {
            return if allowed(license) {
                Verdict::Allow
            } else {
                Verdict::Deny(format!(
                    "{who} is licensed under {license}, which the license policy does not allow"
                ))
            };
        }
        let message = format!("{who} declares no license the policy can read");
        match config.unknown.as_str() {
            "allow" => Verdict::Allow,
            "warn" => Verdict::Warn(message),
            _ => Verdict::Deny(message),
        }
    }
}

register_plugin!(LicensePolicy, roles = ["policy"]);

#[cfg(test)]
mod tests {
    use super::evaluate;

    #[test]
    fn spdx_expressions() {
        let allow = |id: &str| matches!(id, "MIT" | "Apache-2.0");
        assert_eq!(evaluate("MIT", &allow), Ok(true));
        assert_eq!(evaluate("GPL-3.0-only", &allow), Ok(false));
        assert_eq!(evaluate("MIT OR GPL-3.0-only", &allow), Ok(true));
        assert_eq!(evaluate("MIT AND GPL-3.0-only", &allow), Ok(false));
        assert_eq!(
            evaluate("(MIT OR BSD-2-Clause) AND Apache-2.0", &allow),
            Ok(true)
        );
        assert_eq!(evaluate("Apache-2.0 WITH LLVM-exception", &allow), Ok(true));
        assert!(evaluate("(MIT", &allow).is_err());
        assert!(evaluate("MIT OR", &allow).is_err());
    }
}
