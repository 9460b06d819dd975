//! Which plugins are in effect: built-in defaults, then `winst.toml` files, then the command line.
//!
//! Sources, each overriding the ones before it:
//! 1. the built-in default plugins (`scripts`, `editable`);
//! 2. the system file: `$WINST_SYSTEM_CONFIG`, else `/etc/winst/winst.toml` (an organization's
//!    machine image);
//! 3. the user file: `$XDG_CONFIG_HOME/winst/winst.toml`, else `~/.config/winst/winst.toml`;
//! 4. the project file: `winst.toml` in the current directory or the nearest parent that has one;
//! 5. `--config FILE`, in the order given;
//! 6. `--plugin FILE.wasm`, in the order given (roles read from the component itself).
//!
//! A plugin serving `scripts` or `editable` replaces the previous one for that role; `policy` and
//! `post-install` plugins add to a chain that runs in source order. A plugin with the same name as
//! an earlier one replaces it (so a later file can reconfigure or disable it with
//! `enabled = false`). Not here: loading or running plugins ([`super::runtime`]).
//!
//! ```toml
//! [[plugin]]
//! name = "licenses"              # default: the file name without .wasm
//! file = "license-policy.wasm"   # relative to this file's directory
//! roles = ["policy"]             # default: the roles the component declares
//! fuel = 2_000_000_000           # CPU bound per call (wasm instructions, roughly)
//! memory_mb = 128                # memory cap per call
//! read_limit_mb = 16             # bytes a plugin may read from wheel members per call
//! config = { allow = ["MIT", "BSD-3-Clause", "Apache-2.0"] }
//! sha256 = "…"                   # optional: refuse any other build of the file
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// A role a plugin can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Scripts,
    Editable,
    Policy,
    PostInstall,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Scripts,
        Role::Editable,
        Role::Policy,
        Role::PostInstall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Scripts => "scripts",
            Role::Editable => "editable",
            Role::Policy => "policy",
            Role::PostInstall => "post-install",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// Whether one plugin serves this role at a time (as opposed to a chain).
    pub(crate) fn is_exclusive(self) -> bool {
        matches!(self, Role::Scripts | Role::Editable)
    }
}

/// Resource bounds for every call into a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SandboxLimits {
    /// Fuel per call: roughly, wasm instructions.
    pub fuel: u64,
    /// Linear memory cap per call, bytes.
    pub memory_bytes: u64,
    /// Bytes a plugin may read from wheel members per call.
    pub read_bytes: u64,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            fuel: 2_000_000_000,
            memory_bytes: 128 << 20,
            read_bytes: 16 << 20,
        }
    }
}

impl SandboxLimits {
    /// The tighter bounds of untrusted mode: a quarter of the fuel, at most 64 MiB of memory and
    /// 4 MiB of member reads per call.
    pub fn untrusted(self) -> SandboxLimits {
        SandboxLimits {
            fuel: self.fuel / 4,
            memory_bytes: self.memory_bytes.min(64 << 20),
            read_bytes: self.read_bytes.min(4 << 20),
        }
    }
}

/// Where a plugin's component comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// Shipped inside the winst binary.
    Builtin(&'static [u8]),
    File(PathBuf),
}

/// One plugin in effect.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    pub name: String,
    pub source: PluginSource,
    pub roles: Vec<Role>,
    pub limits: SandboxLimits,
    /// The plugin's configuration table as JSON text.
    pub config_json: String,
    /// Where this entry came from (`built-in`, a file path, `--plugin`).
    pub origin: String,
    /// The component's sha256 (hex) that `winst.toml` pins with `sha256 = "..."`; a file with
    /// another hash is refused when it is loaded.
    pub sha256: Option<String>,
}

impl PluginSpec {
    pub fn file_display(&self) -> String {
        match &self.source {
            PluginSource::Builtin(_) => "(built into winst)".to_string(),
            PluginSource::File(p) => p.display().to_string(),
        }
    }
}

/// The default plugins, built from `plugins/` and committed in `plugins/dist/`.
pub(crate) const DEFAULT_SCRIPTS: &[u8] = include_bytes!("../../../plugins/dist/scripts.wasm");
pub(crate) const DEFAULT_EDITABLE: &[u8] = include_bytes!("../../../plugins/dist/editable.wasm");

/// The plugins in effect, in order.
#[derive(Debug, Clone, Default)]
pub struct PluginConfig {
    pub plugins: Vec<PluginSpec>,
    /// The configuration files that were read, in order.
    pub files: Vec<PathBuf>,
    /// `[install]` settings, later files overriding earlier ones key by key.
    pub install: InstallSettings,
}

/// The `[install]` table of winst.toml:
///
/// ```toml
/// [install]
/// untrusted = true                 # as --untrusted
/// [install.limits]                 # untrusted mode's limits, as the --max-* flags
/// max-member-size = "256MiB"
/// allow-pth = true
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallSettings {
    pub untrusted: Option<bool>,
    #[serde(default)]
    pub limits: LimitSettings,
}

/// Overrides of [`winst_wheel::limits::UntrustedLimits`]; sizes are strings like `"512MiB"` or numbers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitSettings {
    pub max_total_size: Option<toml::Value>,
    pub max_member_size: Option<toml::Value>,
    pub max_ratio: Option<u64>,
    pub max_members: Option<u64>,
    pub max_path_length: Option<u64>,
    pub max_path_depth: Option<u64>,
    pub max_metadata_size: Option<toml::Value>,
    pub allow_pth: Option<bool>,
    pub allow_executable: Option<bool>,
}

impl LimitSettings {
    /// Overlays `later`: each key it sets replaces this one's.
    pub fn merge(&mut self, later: LimitSettings) {
        macro_rules! take {
            ($($f:ident),*) => { $( if later.$f.is_some() { self.$f = later.$f; } )* };
        }
        take!(
            max_total_size,
            max_member_size,
            max_ratio,
            max_members,
            max_path_length,
            max_path_depth,
            max_metadata_size,
            allow_pth,
            allow_executable
        );
    }

    /// Applies these settings to `limits`.
    pub fn apply(&self, limits: &mut winst_wheel::limits::UntrustedLimits) -> Result<()> {
        let size = |v: &toml::Value, key: &str| -> Result<u64> {
            match v {
                toml::Value::Integer(n) if *n >= 0 => Ok(*n as u64),
                toml::Value::String(s) => winst_wheel::limits::parse_size(s)
                    .map_err(|e| anyhow::anyhow!("[install.limits] {key}: {e}")),
                _ => bail!("[install.limits] {key}: expected a size like \"512MiB\""),
            }
        };
        if let Some(v) = &self.max_total_size {
            limits.max_total_size = size(v, "max-total-size")?;
        }
        if let Some(v) = &self.max_member_size {
            limits.max_member_size = size(v, "max-member-size")?;
        }
        if let Some(v) = &self.max_metadata_size {
            limits.max_metadata_size = size(v, "max-metadata-size")?;
        }
        macro_rules! plain {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { limits.$f = v; } )* };
        }
        plain!(
            max_ratio,
            max_members,
            max_path_length,
            max_path_depth,
            allow_pth,
            allow_executable
        );
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    plugin: Vec<PluginEntry>,
    install: Option<InstallSettings>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginEntry {
    name: Option<String>,
    file: Option<PathBuf>,
    roles: Option<Vec<String>>,
    fuel: Option<u64>,
    memory_mb: Option<u64>,
    read_limit_mb: Option<u64>,
    config: Option<toml::Table>,
    enabled: Option<bool>,
    sha256: Option<String>,
}

/// Roles a component declares in its `winst-roles` custom section (written by the SDK's
/// `register_plugin!`), e.g. `policy,post-install`.
pub fn declared_roles(component: &[u8]) -> Option<Vec<Role>> {
    let text = std::str::from_utf8(super::api::custom_section(component, "winst-roles")?).ok()?;
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(Role::parse)
        .collect()
}

impl PluginConfig {
    /// Just the built-in defaults.
    pub(crate) fn defaults() -> PluginConfig {
        let builtin = |name: &str, bytes: &'static [u8], role: Role| PluginSpec {
            name: name.to_string(),
            source: PluginSource::Builtin(bytes),
            roles: vec![role],
            limits: SandboxLimits::default(),
            config_json: "{}".to_string(),
            origin: "built-in".to_string(),
            sha256: None,
        };
        PluginConfig {
            plugins: vec![
                builtin("default-scripts", DEFAULT_SCRIPTS, Role::Scripts),
                builtin("default-editable", DEFAULT_EDITABLE, Role::Editable),
            ],
            files: Vec::new(),
            install: InstallSettings::default(),
        }
    }

    /// Builds the configuration from every source (see the module docs).
    pub fn load(config_files: &[PathBuf], plugin_files: &[PathBuf]) -> Result<PluginConfig> {
        let mut config = PluginConfig::defaults();
        for file in discovered_files() {
            config.apply_file(&file)?;
        }
        for file in config_files {
            if !file.is_file() {
                bail!("--config {}: no such file", file.display());
            }
            config.apply_file(file)?;
        }
        for file in plugin_files {
            let bytes = std::fs::read(file)
                .with_context(|| format!("--plugin {}: cannot read it", file.display()))?;
            let roles = declared_roles(&bytes).with_context(|| {
                format!(
                    "--plugin {}: the component does not declare its roles (build it with the winst SDK's register_plugin!, or configure it in a winst.toml with `roles = [...]`)",
                    file.display()
                )
            })?;
            config.add(PluginSpec {
                name: stem(file),
                source: PluginSource::File(std::path::absolute(file)?),
                roles,
                limits: SandboxLimits::default(),
                config_json: "{}".to_string(),
                origin: "--plugin".to_string(),
                sha256: None,
            });
        }
        Ok(config)
    }

    /// Adds a plugin, replacing a same-named one and taking exclusive roles from others.
    fn add(&mut self, spec: PluginSpec) {
        self.plugins.retain(|p| p.name != spec.name);
        for role in spec.roles.iter().filter(|r| r.is_exclusive()) {
            for p in &mut self.plugins {
                p.roles.retain(|r| r != role);
            }
        }
        self.plugins.retain(|p| !p.roles.is_empty());
        self.plugins.push(spec);
    }

    fn apply_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let parsed: FileConfig =
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        if let Some(install) = parsed.install {
            if install.untrusted.is_some() {
                self.install.untrusted = install.untrusted;
            }
            self.install.limits.merge(install.limits);
        }
        let base = path.parent().unwrap_or(Path::new("."));
        for (i, entry) in parsed.plugin.into_iter().enumerate() {
            let what = || format!("{}: [[plugin]] #{}", path.display(), i + 1);
            let name = entry
                .name
                .clone()
                .or_else(|| entry.file.as_deref().map(stem))
                .with_context(|| format!("{}: needs a name or a file", what()))?;
            if entry.enabled == Some(false) {
                self.plugins.retain(|p| p.name != name);
                continue;
            }
            let file = entry
                .file
                .as_ref()
                .with_context(|| format!("{} ({name}): needs `file`", what()))?;
            let file = std::path::absolute(base.join(file))?;
            let roles = match &entry.roles {
                Some(list) => list
                    .iter()
                    .map(|r| {
                        Role::parse(r).with_context(|| {
                            format!(
                                "{} ({name}): unknown role `{r}` (roles: scripts, editable, policy, post-install)",
                                what()
                            )
                        })
                    })
                    .collect::<Result<Vec<Role>>>()?,
                None => std::fs::read(&file)
                    .ok()
                    .and_then(|b| declared_roles(&b))
                    .with_context(|| {
                        format!(
                            "{} ({name}): no `roles`, and {} does not declare any",
                            what(),
                            file.display()
                        )
                    })?,
            };
            if roles.is_empty() {
                bail!("{} ({name}): `roles` is empty", what());
            }
            let defaults = SandboxLimits::default();
            let limits = SandboxLimits {
                fuel: entry.fuel.unwrap_or(defaults.fuel),
                memory_bytes: entry
                    .memory_mb
                    .map(|m| m << 20)
                    .unwrap_or(defaults.memory_bytes),
                read_bytes: entry
                    .read_limit_mb
                    .map(|m| m << 20)
                    .unwrap_or(defaults.read_bytes),
            };
            let config_json = serde_json::to_string(&entry.config.unwrap_or_default())?;
            self.add(PluginSpec {
                name,
                source: PluginSource::File(file),
                roles,
                limits,
                config_json,
                origin: path.display().to_string(),
                sha256: entry.sha256.map(|h| h.to_ascii_lowercase()),
            });
        }
        self.files.push(path.to_path_buf());
        Ok(())
    }

    /// The plugin serving an exclusive role.
    pub fn exclusive(&self, role: Role) -> Option<&PluginSpec> {
        self.plugins.iter().rev().find(|p| p.roles.contains(&role))
    }

    /// The plugins serving a chained role, in order.
    pub fn chain(&self, role: Role) -> impl Iterator<Item = &PluginSpec> {
        self.plugins.iter().filter(move |p| p.roles.contains(&role))
    }

    /// Per role, the names of the plugins serving it (for `winst plugins --json`).
    pub fn by_role(&self) -> BTreeMap<Role, Vec<String>> {
        Role::ALL
            .into_iter()
            .map(|r| (r, self.chain(r).map(|p| p.name.clone()).collect()))
            .collect()
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin".to_string())
}

/// The configuration files found on this machine, lowest precedence first.
fn discovered_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let system = std::env::var_os("WINST_SYSTEM_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/winst/winst.toml"));
    out.push(system);
    let user = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("winst").join("winst.toml"));
    out.extend(user);
    if let Ok(cwd) = std::env::current_dir() {
        out.extend(
            cwd.ancestors()
                .map(|d| d.join("winst.toml"))
                .find(|f| f.is_file()),
        );
    }
    out.retain(|f| f.is_file());
    out.dedup();
    out
}
