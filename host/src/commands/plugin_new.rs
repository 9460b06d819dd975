//! `winst plugin new NAME --role ROLE`: writes a plugin crate that builds as it is (Cargo.toml,
//! src/lib.rs with a working example of the role and a unit test on the SDK's test host, a
//! README, a .gitignore), so an author starts from something that runs and edits the policy.
//!
//! Not here: building it (`winst plugin build`, [`super::plugin_build`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::args::{NewRole, PluginNewArgs};

/// The SDK version `plugin new` depends on when no `--sdk` is given.
const SDK_VERSION: &str = "0.2";

pub(crate) fn run(args: PluginNewArgs) -> Result<()> {
    let name = args.name.as_str();
    if !valid_name(name) {
        bail!(
            "`{name}` cannot be a plugin name: use letters, digits, `-` and `_`, starting with a letter (it becomes the crate's and the component's name)"
        );
    }
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(name));
    if dir.exists() && std::fs::read_dir(&dir).map(|mut d| d.next().is_some())? {
        bail!(
            "{} exists and is not empty: choose another --dir",
            dir.display()
        );
    }
    let sdk = sdk_dependency(args.sdk.as_deref())?;
    let (role, body) = template(args.role);
    let files = [
        ("Cargo.toml", cargo_toml(name, &sdk)),
        ("src/lib.rs", body.replace("PLUGIN_NAME", name)),
        ("README.md", readme(name, role)),
        (".gitignore", "/target\n*.wasm\n".to_string()),
    ];
    for (path, text) in &files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "Wrote the {role} plugin {name} in {}: edit src/lib.rs, test it with `cargo test`, build it with `winst plugin build {}`",
        dir.display(),
        dir.display()
    );
    Ok(())
}

fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// The `winst-plugin-sdk = ...` value: a path (made absolute), a git URL, or the crates.io
/// version.
fn sdk_dependency(sdk: Option<&str>) -> Result<String> {
    let Some(sdk) = sdk else {
        return Ok(format!("\"{SDK_VERSION}\""));
    };
    if sdk.contains("://") || sdk.starts_with("git@") {
        return Ok(format!("{{ git = {} }}", toml_string(sdk)));
    }
    let path = Path::new(sdk);
    if !path.join("Cargo.toml").is_file() {
        bail!(
            "--sdk {sdk}: no Cargo.toml there; give the SDK's directory (plugins/sdk in a winst checkout) or a git URL"
        );
    }
    let path = std::path::absolute(path)?;
    Ok(format!(
        "{{ path = {} }}",
        toml_string(&path.display().to_string())
    ))
}

/// A TOML basic string: JSON's string escapes are all valid TOML escapes.
fn toml_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn cargo_toml(name: &str, sdk: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
winst-plugin-sdk = {sdk}
serde = {{ version = "1", features = ["derive"] }}

# Small, reproducible components (`winst plugin build` also remaps paths).
[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
strip = true
debug = false

# A crate of its own, also when it sits inside another project's workspace.
[workspace]
"#
    )
}

fn readme(name: &str, role: &str) -> String {
    format!(
        r#"# {name}

A winst `{role}` plugin.

```sh
cargo test                 # unit tests, on the SDK's test host (no winst, no wasm)
winst plugin build         # {name}.wasm (needs `rustup target add wasm32-unknown-unknown`)
winst plugin check {name}.wasm
```

Use it with `winst --plugin {name}.wasm install ...`, or in a `winst.toml`:

```toml
[[plugin]]
file = "{name}.wasm"        # relative to the winst.toml
config = {{ }}              # the plugin's Config, see src/lib.rs
```
"#
    )
}

/// The role's name and the example `src/lib.rs` (`PLUGIN_NAME` stands for the plugin's name).
fn template(role: NewRole) -> (&'static str, String) {
    match role {
        NewRole::Policy => ("policy", POLICY.to_string()),
        NewRole::PostInstall => ("post-install", POST_INSTALL.to_string()),
        NewRole::Scripts => ("scripts", SCRIPTS.to_string()),
        NewRole::Editable => ("editable", EDITABLE.to_string()),
    }
}

const POLICY: &str = r##"//! PLUGIN_NAME: a winst policy plugin. winst calls `check` for every wheel before it writes
//! anything; a `Deny` refuses the whole install with its reason, a `Warn` is printed.
//!
//! Configuration (`winst.toml`):
//! ```toml
//! [[plugin]]
//! file = "PLUGIN_NAME.wasm"
//! config = { deny = { "pyyaml" = "use ruamel.yaml" }, refuse = { "requests" = "<2.32.0" } }
//! ```

use std::collections::BTreeMap;

use winst_plugin_sdk::types::{Verdict, Wheel};
use winst_plugin_sdk::{Context, Plugin, register_plugin};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Config {
    /// Project name → why it is refused (names compare after PEP 503 normalization).
    deny: BTreeMap<String, String>,
    /// Project name → PEP 440 versions refused (`<2.32.0`, `>=1,<1.4`).
    refuse: BTreeMap<String, String>,
}

struct Policy;

impl Plugin for Policy {
    type Config = Config;

    fn check(wheel: Wheel, cx: &Context<Config>) -> Verdict {
        if let Some((_, reason)) = cx.config.deny.iter().find(|(name, _)| wheel.is(name)) {
            return Verdict::Deny(format!("{} is not allowed: {reason}", wheel.name));
        }
        for (_, range) in cx.config.refuse.iter().filter(|(name, _)| wheel.is(name)) {
            match wheel.version_in(range) {
                Ok(false) => {}
                Ok(true) => {
                    return Verdict::Deny(format!(
                        "{} {} is in the refused range {range}",
                        wheel.name, wheel.version
                    ));
                }
                Err(e) => return Verdict::Deny(e),
            }
        }
        Verdict::Allow
    }
}

register_plugin!(Policy, roles = ["policy"]);

#[cfg(test)]
mod tests {
    use winst_plugin_sdk::testing::{TestHost, check, wheel};
    use winst_plugin_sdk::types::Verdict;

    #[test]
    fn refuses_what_the_configuration_lists() {
        TestHost::new()
            .config(r#"{"deny": {"PyYAML": "use ruamel.yaml"}, "refuse": {"requests": "<2.32.0"}}"#)
            .enter();
        assert!(matches!(check::<super::Policy>(wheel("pyyaml", "6.0")), Verdict::Deny(_)));
        assert!(matches!(check::<super::Policy>(wheel("requests", "2.31.0")), Verdict::Deny(_)));
        assert!(matches!(check::<super::Policy>(wheel("requests", "2.32.3")), Verdict::Allow));
    }
}
"##;

const POST_INSTALL: &str = r##"//! PLUGIN_NAME: a winst post-install plugin. winst calls `after_install` once, after every file
//! is written and before the install is committed; it may add files to the projects' dist-info
//! directories (listed in their RECORD) or fail the install.
//!
//! Configuration: `config = { note = "installed by ACME CI" }`.

use winst_plugin_sdk::types::{ExtraFile, GeneratedFile, InstalledProject};
use winst_plugin_sdk::{Context, Plugin, register_plugin};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Config {
    note: String,
}

struct PostInstall;

impl Plugin for PostInstall {
    type Config = Config;

    fn after_install(
        projects: Vec<InstalledProject>,
        cx: &Context<Config>,
    ) -> Result<Vec<ExtraFile>, String> {
        Ok(projects
            .iter()
            .map(|p| ExtraFile {
                project: p.name.clone(),
                file: GeneratedFile {
                    name: "PLUGIN_NAME.txt".to_string(),
                    contents: format!("{} {} ({}) {}\n", p.name, p.version, p.wheel_sha256, cx.config.note)
                        .into_bytes(),
                    executable: false,
                },
            })
            .collect())
    }
}

register_plugin!(PostInstall, roles = ["post-install"]);
"##;

const SCRIPTS: &str = r##"//! PLUGIN_NAME: a winst scripts plugin. winst calls `generate_scripts` for each console and GUI
//! entry point; the files it returns go into the environment's scripts directory.

use winst_plugin_sdk::types::{EntryPoint, GeneratedFile};
use winst_plugin_sdk::{Context, NoConfig, Plugin, register_plugin};

struct Scripts;

impl Plugin for Scripts {
    type Config = NoConfig;

    fn generate_scripts(ep: EntryPoint, cx: &Context<NoConfig>) -> Result<Vec<GeneratedFile>, String> {
        let head = ep.attr.split('.').next().unwrap_or(&ep.attr);
        let text = format!(
            "{}\nimport sys\nfrom {} import {head}\nsys.exit({}())\n",
            cx.target.shebang, ep.module, ep.attr
        );
        Ok(vec![GeneratedFile { name: ep.name, contents: text.into_bytes(), executable: true }])
    }
}

register_plugin!(Scripts, roles = ["scripts"]);
"##;

const EDITABLE: &str = r##"//! PLUGIN_NAME: a winst editable plugin. winst calls `editable_layout` for each PEP 660
//! editable wheel; this one keeps the build backend's `.pth` files and finder modules as they are.

use winst_plugin_sdk::types::{EditableLayout, EditableWheel};
use winst_plugin_sdk::{Context, NoConfig, Plugin, register_plugin};

struct Editable;

impl Plugin for Editable {
    type Config = NoConfig;

    fn editable_layout(wheel: EditableWheel, _cx: &Context<NoConfig>) -> Result<EditableLayout, String> {
        let files = wheel.pth_files.into_iter().chain(wheel.finder_modules).collect();
        Ok(EditableLayout { files, direct_url: wheel.direct_url })
    }
}

register_plugin!(Editable, roles = ["editable"]);
"##;
