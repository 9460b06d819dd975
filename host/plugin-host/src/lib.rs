//! winst's plugin host: WebAssembly components that customize winst, run in a sandbox.
//!
//! A plugin serves one or more **roles** (the interfaces in `wit/since_v0.2.0/plugin.wit`; every
//! earlier version in `wit/since_vX.Y.Z/` keeps working, see [`api`]):
//! - `scripts`: writes the launchers for console and GUI entry points (one plugin at a time; the
//!   built-in default can be replaced);
//! - `editable`: lays out PEP 660 editable wheels (one at a time; replaceable);
//! - `policy`: allows, warns about or denies each wheel before anything is written (a chain: every
//!   configured policy runs, in order);
//! - `post-install`: adds files (an SBOM...) after everything is written, or fails the install
//!   (a chain).
//!
//! [`config`] decides which plugins are in effect and where each came from; [`runtime`] compiles
//! (once, cached), sandboxes and calls them. The host never trusts what a plugin returns: names
//! and sizes are validated before anything is written; [`hooks`] makes the call of each role and
//! checks what comes back.
//!
//! Not here: deciding what an install does with a plugin's answer (the `winst` binary's install
//! command turns it into planner input), or anything that writes to the environment.

pub mod api;
pub mod config;
pub mod hooks;
pub mod runtime;

pub use config::{PluginConfig, PluginSource, PluginSpec, Role, SandboxLimits};
pub use runtime::{PLUGIN_LOG_TARGET, PluginHost};
