//! Example policy plugin for what plugin API 0.2.0 added: vulnerable version ranges (PEP 440),
//! no downgrades of installed projects, and an allow-list of wheel hashes.
//!
//! Configuration (`winst.toml`):
//! ```toml
//! [[plugin]]
//! file = "version-policy.wasm"
//! [plugin.config]
//! no_downgrade = true          # refuse a version older than the one installed
//! sha256 = ["9f86d0…"]         # when given, only wheels with one of these sha256s
//! [plugin.config.refuse.requests]
//! versions = "<2.32.0"         # a PEP 440 specifier set
//! reason = "CVE-2024-35195"
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;

use winst_plugin_sdk::types::{Verdict, Wheel};
use winst_plugin_sdk::{Context, Plugin, host, register_plugin};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Config {
    /// Project name → the versions refused and why.
    refuse: BTreeMap<String, Range>,
    no_downgrade: bool,
    /// Wheel sha256s (hex) allowed; empty allows any.
    sha256: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Range {
    versions: String,
    reason: String,
}

struct VersionPolicy;

impl VersionPolicy {
    fn refusal(wheel: &Wheel, config: &Config) -> Result<Option<String>, String> {
        let who = format!("{} {}", wheel.name, wheel.version);
        for (name, range) in config.refuse.iter().filter(|(n, _)| wheel.is(n)) {
            if wheel.version_in(&range.versions)? {
                return Ok(Some(format!(
                    "{who} is in the refused range {name} {}: {}",
                    range.versions, range.reason
                )));
            }
        }
        if config.no_downgrade
            && let Some(installed) = wheel.installed_version()
            && host::version_compare(&wheel.version, &installed)? == Ordering::Less
        {
            return Ok(Some(format!(
                "{who} would downgrade the installed {installed}"
            )));
        }
        if !config.sha256.is_empty() {
            let hash = wheel.sha256()?;
            if !config.sha256.iter().any(|h| h.eq_ignore_ascii_case(&hash)) {
                return Ok(Some(format!(
                    "{} has sha256 {hash}, which is not on the allow-list",
                    wheel.filename
                )));
            }
        }
        Ok(None)
    }
}

impl Plugin for VersionPolicy {
    type Config = Config;

    fn check(wheel: Wheel, cx: &Context<Config>) -> Verdict {
        match Self::refusal(&wheel, &cx.config) {
            Ok(None) => Verdict::Allow,
            Ok(Some(reason)) | Err(reason) => Verdict::Deny(reason),
        }
    }
}

register_plugin!(VersionPolicy, roles = ["policy"]);

#[cfg(test)]
mod tests {
    use winst_plugin_sdk::testing::{TestHost, check, wheel};
    use winst_plugin_sdk::types::Verdict;

    fn denied(host: TestHost, name: &str, version: &str) -> Option<String> {
        host.enter();
        match check::<super::VersionPolicy>(wheel(name, version)) {
            Verdict::Deny(reason) => Some(reason),
            _ => None,
        }
    }

    #[test]
    fn ranges_downgrades_and_hashes() {
        let ranges = || {
            TestHost::new()
                .config(r#"{"refuse": {"Requests": {"versions": "<2.32.0", "reason": "CVE"}}}"#)
        };
        assert_eq!(
            denied(ranges(), "requests", "2.31.0").as_deref(),
            Some("requests 2.31.0 is in the refused range Requests <2.32.0: CVE")
        );
        assert_eq!(denied(ranges(), "requests", "2.32.3"), None);
        let downgrade = TestHost::new()
            .config(r#"{"no_downgrade": true}"#)
            .installed("six", "1.17.0");
        assert!(denied(downgrade.clone(), "six", "1.16.0").is_some());
        assert_eq!(denied(downgrade, "six", "1.17.0"), None);
        let hashes = TestHost::new()
            .config(r#"{"sha256": ["ABCD"]}"#)
            .sha256(0, "abcd");
        assert_eq!(denied(hashes, "any", "1"), None);
        let other = TestHost::new()
            .config(r#"{"sha256": ["abcd"]}"#)
            .sha256(0, "ef01");
        assert!(
            denied(other, "any", "1")
                .unwrap()
                .contains("not on the allow-list")
        );
    }
}
