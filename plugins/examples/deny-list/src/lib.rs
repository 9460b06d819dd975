//! Example policy plugin: refuse listed projects, each with the organization's reason.
//!
//! Configuration (`winst.toml`):
//! ```toml
//! [[plugin]]
//! file = "deny-list.wasm"
//! roles = ["policy"]
//! config = { deny = { "pyyaml" = "use ruamel.yaml (see policy SEC-12)" } }
//! ```
//! Names are compared after PEP 503 normalization.

use std::collections::BTreeMap;

use winst_plugin_sdk::types::{Verdict, Wheel};
use winst_plugin_sdk::{Context, Plugin, register_plugin};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Config {
    /// Project name → why it is refused.
    deny: BTreeMap<String, String>,
}

struct DenyList;

impl Plugin for DenyList {
    type Config = Config;

    fn check(wheel: Wheel, cx: &Context<Config>) -> Verdict {
        match cx.config.deny.iter().find(|(name, _)| wheel.is(name)) {
            Some((_, reason)) => {
                Verdict::Deny(format!("{} is on the deny list: {reason}", wheel.name))
            }
            None => Verdict::Allow,
        }
    }
}

register_plugin!(DenyList, roles = ["policy"]);

#[cfg(test)]
mod tests {
    use winst_plugin_sdk::testing::{TestHost, check, wheel};
    use winst_plugin_sdk::types::Verdict;

    #[test]
    fn denies_listed_names_however_spelled() {
        TestHost::new()
            .config(r#"{"deny": {"py_yaml": "use ruamel.yaml"}}"#)
            .enter();
        let Verdict::Deny(reason) = check::<super::DenyList>(wheel("Py.YAML", "6.0")) else {
            panic!("Py.YAML is py-yaml")
        };
        assert_eq!(reason, "Py.YAML is on the deny list: use ruamel.yaml");
        assert!(matches!(
            check::<super::DenyList>(wheel("yaml", "1")),
            Verdict::Allow
        ));
    }

    #[test]
    fn a_bad_configuration_denies() {
        TestHost::new().config(r#"{"deny": ["pyyaml"]}"#).enter();
        let Verdict::Deny(reason) = check::<super::DenyList>(wheel("x", "1")) else {
            panic!("must fail closed")
        };
        assert!(
            reason.starts_with("invalid plugin configuration"),
            "{reason}"
        );
    }
}
