//! Example policy plugin: refuse `.pth` files (code that runs at every interpreter start) unless
//! their name is on an allow-list.
//!
//! Configuration: `config = { allow = ["distutils-precedence.pth"] }`. A `.pth` file counts when
//! it lands in site-packages: at the wheel's root or under `.data/purelib` or `.data/platlib`.

use winst_plugin_sdk::types::{Verdict, Wheel};
use winst_plugin_sdk::{Context, Plugin, register_plugin};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Config {
    /// `.pth` file names that may be installed.
    allow: Vec<String>,
}

/// The file name of a member that installs into site-packages' root, if it does.
fn site_root_file(path: &str) -> Option<&str> {
    match path.split('/').collect::<Vec<_>>().as_slice() {
        [file] => Some(file),
        [data, scheme, file]
            if data.ends_with(".data") && matches!(*scheme, "purelib" | "platlib") =>
        {
            Some(file)
        }
        _ => None,
    }
}

struct PthPolicy;

impl Plugin for PthPolicy {
    type Config = Config;

    fn check(wheel: Wheel, cx: &Context<Config>) -> Verdict {
        let config = &cx.config;
        for m in &wheel.members {
            if let Some(file) = site_root_file(&m.path)
                && file.ends_with(".pth")
                && !config.allow.iter().any(|a| a == file)
            {
                let first_line = wheel
                    .read_member(&m.path, 4096)
                    .ok()
                    .and_then(|b| {
                        String::from_utf8_lossy(&b)
                            .lines()
                            .next()
                            .map(str::to_string)
                    })
                    .unwrap_or_default();
                return Verdict::Deny(format!(
                    "{} installs {file}, a .pth file that runs at every Python start ({:?}); it is not on the allow-list",
                    wheel.filename, first_line
                ));
            }
        }
        Verdict::Allow
    }
}

register_plugin!(PthPolicy, roles = ["policy"]);
