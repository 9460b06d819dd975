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

use winst_plugin_sdk::types::{Target, Verdict, Wheel};
use winst_plugin_sdk::{Plugin, host, register_plugin};

#[derive(serde::Deserialize, Default)]
struct Config {
    #[serde(default)]
    deny: BTreeMap<String, String>,
}

fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = if matches!(c, '-' | '_' | '.') {
            '-'
        } else {
            c.to_ascii_lowercase()
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out
}

struct DenyList;

impl Plugin for DenyList {
    fn check(wheel: Wheel, _target: Target) -> Verdict {
        let config: Config = match host::config() {
            Ok(c) => c,
            Err(e) => return Verdict::Deny(e),
        };
        let name = normalize(&wheel.name);
        for (denied, reason) in &config.deny {
            if normalize(denied) == name {
                return Verdict::Deny(format!("{} is on the deny list: {reason}", wheel.name));
            }
        }
        Verdict::Allow
    }
}

register_plugin!(DenyList, roles = ["policy"]);
