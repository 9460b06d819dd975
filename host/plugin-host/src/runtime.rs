//! Running plugins: one wasmtime engine, components compiled once and cached, a fresh sandboxed
//! instance per call.
//!
//! The sandbox: a plugin imports only winst's `host` interface (no WASI: no files, sockets,
//! clocks, environment or randomness exist for it); every call gets a fuel budget (CPU) and a
//! memory cap, and reads of wheel members are bounded. A call that traps, runs out of fuel or
//! memory, or returns something winst refuses fails the install with an error naming the plugin
//! and the role. Each call has its own `Store`, so calls run in parallel with no shared lock and a
//! trap never poisons a later call. Compiled code is cached under winst's cache directory, keyed
//! by the component's sha256 and the engine's configuration, so a warm run does not compile.

use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;
use sha2::Digest as _;
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::{Engine, ResourceLimiter, Store};

use std::str::FromStr as _;

use pep508_rs::pep440_rs::{Version, VersionSpecifiers};

use super::api::{self, ApiVersion};
use super::config::{PluginConfig, PluginSource, PluginSpec, Role};
use winst_wheel::OpenedWheel;

/// The `log` target of what plugins log through the host's `log` function. The logger shows
/// these at their own levels (`info` by default, `debug` with `-v`), tagged `info:`, `warning:`,
/// `error:` or `debug:`.
pub const PLUGIN_LOG_TARGET: &str = "winst::plugin";
/// Generated bindings, one module per supported API version (`wit/since_vX.Y.Z/`).
///
/// Each version has the all-roles world (`base`: its `types` and `host` interfaces) and one world
/// per role. Older versions reuse the current `types` module wherever their `types` interface is
/// the same (as 0.1.0's is), so their calls need no conversion; their `host` interface is
/// implemented by delegating to the current one.
pub mod bindings {
    macro_rules! role_world {
        ($module:ident, $world:literal, $path:literal) => {
            pub mod $module {
                wasmtime::component::bindgen!({
                    world: $world,
                    path: $path,
                    with: {
                        "winst:plugin/types": super::base::winst::plugin::types,
                        "winst:plugin/host": super::base::winst::plugin::host,
                    },
                });
            }
        };
    }
    macro_rules! role_worlds {
        ($path:literal) => {
            role_world!(scripts, "scripts-plugin", $path);
            role_world!(editable, "editable-plugin", $path);
            role_world!(policy, "policy-plugin", $path);
            role_world!(post_install, "post-install-plugin", $path);
        };
    }
    /// API 0.2.0, the current one.
    pub mod v0_2_0 {
        pub mod base {
            wasmtime::component::bindgen!({
                world: "plugin",
                path: "../../plugins/sdk/wit/since_v0.2.0",
            });
        }
        role_worlds!("../../plugins/sdk/wit/since_v0.2.0");
    }
    /// API 0.1.0: the same `types`; a `host` without the functions 0.2.0 added.
    pub mod v0_1_0 {
        pub mod base {
            wasmtime::component::bindgen!({
                world: "plugin",
                path: "../../plugins/sdk/wit/since_v0.1.0",
                with: {
                    "winst:plugin/types": crate::runtime::bindings::v0_2_0::base::winst::plugin::types,
                },
            });
        }
        role_worlds!("../../plugins/sdk/wit/since_v0.1.0");
    }
    pub use v0_2_0 as current;
}

pub use bindings::current::base::winst::plugin::host as wit_host;
use bindings::current::base::winst::plugin::host::{Host, InstalledDist, Level};
pub use bindings::current::base::winst::plugin::types as wit;

/// Keeps a plugin's text printable and short.
pub(crate) fn sanitize(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(2000)
        .collect();
    s.trim().to_string()
}

/// Longest log line a plugin may write, and how many lines per call.
const MAX_LOG_LINE: usize = 4096;
const MAX_LOG_LINES: usize = 200;
/// The wasm stack of every call.
const MAX_WASM_STACK: usize = 1 << 20;

/// What a hook gives its calls to look at through the host interface.
#[derive(Clone, Default)]
pub(crate) struct CallInput {
    /// The wheels `read-member` and `wheel-sha256` serve, by `wheel.id` (the policy hook).
    pub wheels: Option<Arc<[OpenedWheel]>>,
    /// What `installed` returns (the policy hook; empty elsewhere).
    pub installed: Arc<[InstalledDist]>,
}

/// What one call's store holds.
struct CallState {
    plugin: Arc<str>,
    role: Role,
    config_json: Arc<str>,
    input: CallInput,
    read_limit: u64,
    read_budget: u64,
    memory_limit: u64,
    memory_denied: bool,
    logs: usize,
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.memory_limit {
            self.memory_denied = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

impl Host for CallState {
    fn log(&mut self, level: Level, message: String) {
        let level = match level {
            Level::Debug => log::Level::Debug,
            Level::Info => log::Level::Info,
            Level::Warn => log::Level::Warn,
            Level::Error => log::Level::Error,
        };
        // Each line of a message counts, and each is printed under the plugin's name, so a
        // plugin can neither exceed the cap with newlines nor print lines that look like winst's.
        for line in message.split('\n') {
            self.logs += 1;
            if self.logs > MAX_LOG_LINES {
                if self.logs == MAX_LOG_LINES + 1 {
                    log::warn!(
                        "plugin {} logged more than {MAX_LOG_LINES} lines in its {} hook; the rest were dropped",
                        self.plugin,
                        self.role.as_str()
                    );
                }
                return;
            }
            let mut cut = line.len().min(MAX_LOG_LINE);
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            let mut shown: String = line[..cut]
                .chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .collect();
            if cut < line.len() {
                shown.push('…');
            }
            log::log!(target: PLUGIN_LOG_TARGET, level, "plugin {}: {shown}", self.plugin);
        }
    }

    fn config(&mut self) -> String {
        self.config_json.to_string()
    }

    fn read_member(&mut self, wheel: u32, path: String, max_bytes: u64) -> Result<Vec<u8>, String> {
        let w = self.wheel(wheel)?;
        let member = w
            .archive
            .members
            .iter()
            .find(|m| m.name == path && !m.is_dir)
            .ok_or_else(|| format!("{} has no member {path}", w.file_name))?;
        if member.size > max_bytes {
            return Err(format!(
                "{path} is {} bytes, more than the {max_bytes} bytes the plugin asked for at most (max-bytes)",
                member.size
            ));
        }
        if member.size > self.read_budget {
            return Err(format!(
                "{path} is {} bytes, more than the {} bytes left of the {} bytes this plugin may read per call (read_limit_mb)",
                member.size, self.read_budget, self.read_limit
            ));
        }
        let limit = max_bytes.min(self.read_budget);
        let bytes = w
            .archive
            .read_small(member.index, limit)
            .map_err(|rule| format!("{}: {path} {rule}", w.file_name))?;
        self.read_budget -= bytes.len() as u64;
        Ok(bytes)
    }

    fn wheel_sha256(&mut self, wheel: u32) -> Result<String, String> {
        let w = self.wheel(wheel)?;
        let mut file = std::fs::File::open(&w.path)
            .map_err(|e| format!("cannot read {}: {e}", w.file_name))?;
        let mut hasher = sha2::Sha256::new();
        std::io::copy(&mut file, &mut hasher)
            .map_err(|e| format!("cannot read {}: {e}", w.file_name))?;
        Ok(hex::encode(hasher.finalize()))
    }

    fn installed(&mut self) -> Vec<InstalledDist> {
        self.input.installed.to_vec()
    }

    fn version_compare(&mut self, a: String, b: String) -> Result<i8, String> {
        let (a, b) = (pep440(&a)?, pep440(&b)?);
        Ok(a.cmp(&b) as i8)
    }

    fn version_matches(&mut self, version: String, specifiers: String) -> Result<bool, String> {
        let v = pep440(&version)?;
        let s = VersionSpecifiers::from_str(&specifiers)
            .map_err(|e| format!("`{specifiers}` is not a PEP 440 specifier set: {e}"))?;
        Ok(s.contains(&v))
    }
}

fn pep440(text: &str) -> Result<Version, String> {
    Version::from_str(text).map_err(|e| format!("`{text}` is not a PEP 440 version: {e}"))
}

impl CallState {
    /// The wheel with this `wheel.id`, or the error `read-member` and `wheel-sha256` return.
    fn wheel(&self, id: u32) -> Result<&OpenedWheel, String> {
        self.input
            .wheels
            .as_ref()
            .ok_or("no wheel can be read in this hook")?
            .get(id as usize)
            .ok_or_else(|| format!("no wheel with id {id}"))
    }
}

/// API 0.1.0's `host`: the same functions as the current one's first three.
impl bindings::v0_1_0::base::winst::plugin::host::Host for CallState {
    fn log(&mut self, level: bindings::v0_1_0::base::winst::plugin::host::Level, message: String) {
        use bindings::v0_1_0::base::winst::plugin::host::Level as Old;
        let level = match level {
            Old::Debug => Level::Debug,
            Old::Info => Level::Info,
            Old::Warn => Level::Warn,
            Old::Error => Level::Error,
        };
        Host::log(self, level, message);
    }

    fn config(&mut self) -> String {
        Host::config(self)
    }

    fn read_member(&mut self, wheel: u32, path: String, max_bytes: u64) -> Result<Vec<u8>, String> {
        Host::read_member(self, wheel, path, max_bytes)
    }
}

/// A plugin, compiled, with its linked pre-instances per role.
struct Loaded {
    spec: PluginSpec,
    /// The API version it was built against.
    version: ApiVersion,
    component: Component,
    pre: [OnceLock<std::result::Result<PreByRole, String>>; 4],
}

/// The typed pre-instances of one API version, one variant per role.
macro_rules! version_pre {
    ($name:ident, $v:ident) => {
        #[derive(Clone)]
        enum $name {
            Scripts(bindings::$v::scripts::ScriptsPluginPre<CallState>),
            Editable(bindings::$v::editable::EditablePluginPre<CallState>),
            Policy(bindings::$v::policy::PolicyPluginPre<CallState>),
            PostInstall(bindings::$v::post_install::PostInstallPluginPre<CallState>),
        }

        impl $name {
            fn new(role: Role, pre: InstancePre<CallState>) -> wasmtime::Result<$name> {
                use bindings::$v::*;
                Ok(match role {
                    Role::Scripts => $name::Scripts(scripts::ScriptsPluginPre::new(pre)?),
                    Role::Editable => $name::Editable(editable::EditablePluginPre::new(pre)?),
                    Role::Policy => $name::Policy(policy::PolicyPluginPre::new(pre)?),
                    Role::PostInstall => {
                        $name::PostInstall(post_install::PostInstallPluginPre::new(pre)?)
                    }
                })
            }
        }
    };
}
version_pre!(PreV0_2_0, v0_2_0);
version_pre!(PreV0_1_0, v0_1_0);

/// A plugin's pre-instance for one role, in the API version it was built against.
#[derive(Clone)]
enum PreByRole {
    V0_2_0(PreV0_2_0),
    V0_1_0(PreV0_1_0),
}

/// Instantiates the role's pre-instance as `$instance` and evaluates `$body`, for every API
/// version: their role interfaces share the current types, so one body serves them all.
macro_rules! with_instance {
    ($pre:expr, $role:ident, $store:ident, $instance:ident => $body:expr) => {
        match $pre {
            PreByRole::V0_2_0(PreV0_2_0::$role(pre)) => {
                let $instance = pre.instantiate(&mut *$store)?;
                $body
            }
            PreByRole::V0_1_0(PreV0_1_0::$role(pre)) => {
                let $instance = pre.instantiate(&mut *$store)?;
                $body
            }
            _ => unreachable!("pre() returns the role asked for"),
        }
    };
}

fn role_index(role: Role) -> usize {
    match role {
        Role::Scripts => 0,
        Role::Editable => 1,
        Role::Policy => 2,
        Role::PostInstall => 3,
    }
}

/// The loaded plugins of one winst run.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<CallState>,
    plugins: Vec<Loaded>,
    /// Load and compile times, for reports.
    pub load_ms: f64,
}

fn engine() -> Result<Engine> {
    let mut config = wasmtime::Config::new();
    config.consume_fuel(true);
    config.max_wasm_stack(MAX_WASM_STACK);
    Engine::new(&config).map_err(|e| anyhow!("cannot start the plugin engine: {e}"))
}

/// The component's sha256, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// When `winst.toml` pins the component's sha256 and `bytes` has another, what to say.
pub fn pin_mismatch(spec: &PluginSpec, bytes: &[u8]) -> Option<String> {
    let pinned = spec.sha256.as_deref()?;
    let actual = sha256_hex(bytes);
    (actual != pinned).then(|| {
        format!(
            "its sha256 is {actual}, but {} pins {pinned}: deploy the build with that hash, or update `sha256` there",
            spec.origin
        )
    })
}

/// A linker with the `host` interface of every supported API version.
fn linker(engine: &Engine) -> Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    bindings::v0_2_0::base::winst::plugin::host::add_to_linker::<CallState, HasSelf<CallState>>(
        &mut linker,
        |s| s,
    )
    .and_then(|()| {
        bindings::v0_1_0::base::winst::plugin::host::add_to_linker::<CallState, HasSelf<CallState>>(
            &mut linker,
            |s| s,
        )
    })
    .map_err(|e| anyhow!("cannot link the plugin host interface: {e}"))?;
    Ok(linker)
}

/// Links a component of API `version` for one role: its imports must all be winst's `host` of
/// that version and it must export the role's interface. The error says which failed.
fn link(
    linker: &Linker<CallState>,
    component: &Component,
    version: ApiVersion,
    role: Role,
) -> std::result::Result<PreByRole, String> {
    let instance_pre = linker.instantiate_pre(component).map_err(|e| {
        format!(
            "its imports cannot be satisfied (a plugin built against API {version} may import only winst:plugin/host@{version}): {e:#}; build it for wasm32-unknown-unknown with the winst SDK (`winst plugin build`), without WASI"
        )
    })?;
    let missing = |e: wasmtime::Error| {
        format!(
            "it does not export the {} interface: {e:#}; implement the role, or leave it out of the plugin's `roles`",
            role.as_str()
        )
    };
    Ok(match version {
        ApiVersion::V0_1_0 => {
            PreByRole::V0_1_0(PreV0_1_0::new(role, instance_pre).map_err(missing)?)
        }
        _ => PreByRole::V0_2_0(PreV0_2_0::new(role, instance_pre).map_err(missing)?),
    })
}

/// Whether this winst can run the component `bytes` in each of `roles`: its API version is
/// supported, it compiles (the compiled code is cached as for an install), its imports link and
/// it exports every role. Returns the problems, each a sentence (empty when it can run).
pub fn problems(bytes: &[u8], roles: &[Role]) -> Vec<String> {
    let version = match api::version_of(bytes) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let linked = engine().and_then(|engine| {
        let linker = linker(&engine)?;
        let component = compile(&engine, bytes)?;
        Ok(roles
            .iter()
            .filter_map(|role| link(&linker, &component, version, *role).err())
            .collect::<Vec<_>>())
    });
    linked.unwrap_or_else(|e| vec![format!("{e:#}")])
}

fn cache_path(engine: &Engine, bytes: &[u8]) -> Option<PathBuf> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let digest = sha2::Sha256::digest(bytes);
    let hex = hex::encode(&digest[..16]);
    Some(
        winst_python::interpreter::cache_dir()?
            .join("plugins")
            .join(format!("{hex}-{:016x}.cwasm", h.finish())),
    )
}

/// Compiles a component, or loads its cached compiled code.
fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component> {
    let cache = cache_path(engine, bytes);
    if let Some(path) = &cache
        && path.is_file()
    {
        // SAFETY: the file was written by `precompile_component` of an engine with the same
        // compatibility hash, in winst's own cache directory (as trusted as winst's binary).
        if let Ok(c) = unsafe { Component::deserialize_file(engine, path) } {
            return Ok(c);
        }
    }
    let compiled = engine
        .precompile_component(bytes)
        .map_err(|e| anyhow!("not a valid plugin component: {e}"))?;
    if let Some(path) = &cache {
        let _ = write_atomically(path, &compiled);
    }
    // SAFETY: produced just above by this engine.
    unsafe { Component::deserialize(engine, &compiled) }
        .map_err(|e| anyhow!("cannot load compiled plugin: {e}"))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".tmp-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

impl PluginHost {
    /// Loads (compiles or reads cached code of) every plugin in the configuration, in parallel.
    pub fn load(config: &PluginConfig) -> Result<PluginHost> {
        Self::load_roles(config, &Role::ALL)
    }

    /// Loads only the plugins serving one of `roles`.
    pub(crate) fn load_roles(config: &PluginConfig, roles: &[Role]) -> Result<PluginHost> {
        let start = std::time::Instant::now();
        let engine = engine()?;
        let linker = linker(&engine)?;
        let wanted: Vec<&PluginSpec> = config
            .plugins
            .iter()
            .filter(|p| p.roles.iter().any(|r| roles.contains(r)))
            .filter(|p| {
                // Exclusive roles: only the one in effect.
                p.roles.iter().any(|r| {
                    !r.is_exclusive() || config.exclusive(*r).is_some_and(|e| e.name == p.name)
                })
            })
            .collect();
        let plugins = wanted
            .par_iter()
            .map(|spec| -> Result<Loaded> {
                let bytes: std::borrow::Cow<[u8]> = match &spec.source {
                    PluginSource::Builtin(b) => (*b).into(),
                    PluginSource::File(p) => std::fs::read(p)
                        .with_context(|| {
                            format!("plugin {}: cannot read {}", spec.name, p.display())
                        })?
                        .into(),
                };
                let what = || format!("plugin {} ({})", spec.name, spec.file_display());
                if let Some(problem) = pin_mismatch(spec, &bytes) {
                    bail!("{}: {problem}", what());
                }
                let version = api::version_of(&bytes).map_err(|e| anyhow!("{}: {e}", what()))?;
                let component = compile(&engine, &bytes).with_context(what)?;
                Ok(Loaded {
                    spec: (*spec).clone(),
                    version,
                    component,
                    pre: Default::default(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PluginHost {
            engine,
            linker,
            plugins,
            load_ms: start.elapsed().as_secs_f64() * 1000.0,
        })
    }

    fn pre(&self, loaded: &Loaded, role: Role) -> Result<PreByRole> {
        let slot = &loaded.pre[role_index(role)];
        let result =
            slot.get_or_init(|| link(&self.linker, &loaded.component, loaded.version, role));
        result.clone().map_err(|e| {
            anyhow!(
                "plugin {} cannot serve the {} role: {e}",
                loaded.spec.name,
                role.as_str()
            )
        })
    }

    fn store(&self, spec: &PluginSpec, role: Role, input: CallInput) -> Result<Store<CallState>> {
        let mut store = Store::new(
            &self.engine,
            CallState {
                plugin: spec.name.as_str().into(),
                role,
                config_json: spec.config_json.as_str().into(),
                input,
                read_limit: spec.limits.read_bytes,
                read_budget: spec.limits.read_bytes,
                memory_limit: spec.limits.memory_bytes,
                memory_denied: false,
                logs: 0,
            },
        );
        store.limiter(|s| s);
        store
            .set_fuel(spec.limits.fuel)
            .map_err(|e| anyhow!("cannot set fuel: {e}"))?;
        Ok(store)
    }

    /// Turns a wasmtime failure into a message naming the plugin, the role and the cause.
    fn failure(
        spec: &PluginSpec,
        role: Role,
        store: &Store<CallState>,
        e: wasmtime::Error,
    ) -> anyhow::Error {
        let limits = spec.limits;
        let cause = if store.get_fuel().is_ok_and(|f| f == 0) {
            format!(
                "it ran out of its CPU budget ({} fuel per call)",
                limits.fuel
            )
        } else if store.data().memory_denied {
            format!(
                "it tried to use more than its memory limit ({} MiB)",
                limits.memory_bytes >> 20
            )
        } else if e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::StackOverflow) {
            format!(
                "it overflowed its wasm stack ({} MiB)",
                MAX_WASM_STACK >> 20
            )
        } else {
            format!("it trapped: {e}")
        };
        anyhow!(
            "plugin {} failed in its {} hook: {cause}",
            spec.name,
            role.as_str()
        )
    }

    fn loaded(&self, role: Role) -> impl Iterator<Item = &Loaded> {
        self.plugins
            .iter()
            .filter(move |l| l.spec.roles.contains(&role))
    }

    /// The name of the plugin serving an exclusive role (`scripts`, `editable`).
    pub fn serving(&self, role: Role) -> Option<&str> {
        self.loaded(role).last().map(|l| l.spec.name.as_str())
    }

    /// The specs of the loaded plugins.
    pub fn specs(&self) -> impl Iterator<Item = &PluginSpec> {
        self.plugins.iter().map(|l| &l.spec)
    }

    /// One call of one plugin in one role: a fresh store within the plugin's limits, then `call`
    /// with the role's pre-instantiated component. A trap, an exhausted budget or a missing
    /// export becomes an error naming the plugin, the role and the cause.
    fn call<T>(
        &self,
        loaded: &Loaded,
        role: Role,
        input: CallInput,
        call: impl FnOnce(&PreByRole, &mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<T> {
        let pre = self.pre(loaded, role)?;
        let mut store = self.store(&loaded.spec, role, input)?;
        call(&pre, &mut store).map_err(|e| Self::failure(&loaded.spec, role, &store, e))
    }

    /// Generates launchers for a wheel's entry points with the scripts plugin: one instance for
    /// all of them.
    pub(crate) fn generate_scripts(
        &self,
        entries: &[wit::EntryPoint],
        target: &wit::Target,
    ) -> Result<Vec<Result<Vec<wit::GeneratedFile>, String>>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let loaded = self
            .loaded(Role::Scripts)
            .last()
            .context("no plugin serves the scripts role, so console scripts cannot be written")?;
        self.call(loaded, Role::Scripts, CallInput::default(), |pre, store| {
            with_instance!(pre, Scripts, store, instance => entries
                .iter()
                .map(|entry| {
                    instance
                        .winst_plugin_scripts()
                        .call_generate(&mut *store, entry, target)
                })
                .collect())
        })
    }

    /// Runs every policy plugin on one wheel, in order. Returns the verdicts with the plugin name.
    /// `input` holds the wheels (`wheel.id` indexes them) and the installed projects.
    pub(crate) fn check(
        &self,
        input: &CallInput,
        wheel: &wit::Wheel,
        target: &wit::Target,
    ) -> Result<Vec<(String, wit::Verdict)>> {
        let mut out = Vec::new();
        for loaded in self.loaded(Role::Policy) {
            let verdict = self.call(loaded, Role::Policy, input.clone(), |pre, store| {
                with_instance!(pre, Policy, store, instance => instance
                    .winst_plugin_policy()
                    .call_check(store, wheel, target))
            })?;
            out.push((loaded.spec.name.clone(), verdict));
        }
        Ok(out)
    }

    /// Whether any policy plugin is in effect.
    pub fn has(&self, role: Role) -> bool {
        self.loaded(role).next().is_some()
    }

    /// Runs the post-install chain. Returns, per plugin, the extra files it asked for.
    pub fn after_install(
        &self,
        projects: &[wit::InstalledProject],
        target: &wit::Target,
    ) -> Result<Vec<(String, Vec<wit::ExtraFile>)>> {
        let mut out = Vec::new();
        for loaded in self.loaded(Role::PostInstall) {
            let result = self.call(
                loaded,
                Role::PostInstall,
                CallInput::default(),
                |pre, store| {
                    with_instance!(pre, PostInstall, store, instance => instance
                    .winst_plugin_post_install()
                    .call_after_install(store, projects, target))
                },
            )?;
            match result {
                Ok(files) => out.push((loaded.spec.name.clone(), files)),
                Err(reason) => bail!(
                    "plugin {} failed the install in its post-install hook: {}",
                    loaded.spec.name,
                    sanitize(&reason)
                ),
            }
        }
        Ok(out)
    }

    /// Lays out an editable wheel with the editable plugin.
    pub(crate) fn editable_layout(
        &self,
        wheel: &wit::EditableWheel,
        target: &wit::Target,
    ) -> Result<wit::EditableLayout> {
        let loaded = self
            .loaded(Role::Editable)
            .last()
            .context("no plugin serves the editable role")?;
        let result = self.call(
            loaded,
            Role::Editable,
            CallInput::default(),
            |pre, store| {
                with_instance!(pre, Editable, store, instance => instance
                .winst_plugin_editable()
                .call_layout(store, wheel, target))
            },
        )?;
        result.map_err(|reason| {
            anyhow!(
                "plugin {} could not lay out the editable wheel {}: {}",
                loaded.spec.name,
                wheel.name,
                sanitize(&reason)
            )
        })
    }
}
