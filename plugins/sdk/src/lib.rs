//! The guest SDK for winst plugins.
//!
//! A plugin is a WebAssembly component that winst runs in a sandbox. To write one in Rust:
//! implement [`Plugin`] for a type, overriding the roles you serve, and export it with
//! [`register_plugin!`]. `winst plugin new NAME --role policy` writes such a crate and
//! `winst plugin build` makes the component (for `wasm32-unknown-unknown`, a `cdylib`).
//!
//! ```ignore
//! use winst_plugin_sdk::{Context, Plugin, register_plugin, types::{Verdict, Wheel}};
//!
//! #[derive(serde::Deserialize, Default)]
//! #[serde(default)]
//! struct Config { deny: Vec<String> }
//!
//! struct NoFoo;
//! impl Plugin for NoFoo {
//!     type Config = Config;
//!     fn check(wheel: Wheel, cx: &Context<Config>) -> Verdict {
//!         if cx.config.deny.iter().any(|d| wheel.is(d)) {
//!             Verdict::Deny(format!("{} is not allowed here", wheel.name))
//!         } else {
//!             Verdict::Allow
//!         }
//!     }
//! }
//! register_plugin!(NoFoo, roles = ["policy"]);
//! ```
//!
//! The crate carries the WIT it builds against (`wit/since_v0.2.0/`, [`API_VERSION`]) and the
//! older versions winst still runs. Helpers answer what policies ask: [`normalize`] (PEP 503),
//! `Wheel::is`, `Wheel::version_in` (PEP 440 specifiers), `Wheel::installed_version`,
//! `Wheel::sha256`, METADATA fields, RECORD hashes as hex. In a native build (`cargo test`),
//! [`testing`] stands in for winst so `check` can be unit-tested.
//!
//! What this crate is not: a way out of the sandbox. The only outside calls a plugin has are in
//! [`host`]: logging, its configuration, bounded reads of wheel members, the wheel's sha256, the
//! projects installed, and PEP 440 comparisons.

// The generated bindings name this crate by its path, also from inside it.
extern crate self as winst_plugin_sdk;

#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "wit/since_v0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_winst_plugin",
        default_bindings_module: "winst_plugin_sdk::bindings",
        runtime_path: "winst_plugin_sdk::__wit_bindgen::rt",
    });
}

/// PEP 503 name normalization: lowercase, runs of `-`, `_` and `.` become one `-`
/// (`Foo.Bar_baz` → `foo-bar-baz`). Compare project names only this way.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Whether two project names are the same project (equal after [`normalize`]).
pub fn same_project(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

/// A RECORD hash (`sha256=<urlsafe base64, no padding>`, PEP 376) as 64 lowercase hex digits;
/// `None` for another algorithm or bad base64.
pub fn record_hash_hex(hash: &str) -> Option<String> {
    let b64 = hash.strip_prefix("sha256=")?;
    let (mut bits, mut nbits, mut out) = (0u32, 0, String::with_capacity(64));
    for c in b64.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push_str(&format!("{:02x}", (bits >> nbits) & 0xff));
        }
    }
    (out.len() == 64).then_some(out)
}

/// The types plugins receive and return (generated from `wit/since_v0.2.0/plugin.wit`), with
/// helpers for the questions policies ask.
pub mod types {
    pub use crate::bindings::winst::plugin::types::*;

    fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    fn fields<'a>(fields: &'a [(String, String)], key: &'a str) -> Vec<&'a str> {
        fields
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    impl Wheel {
        /// The project name, PEP 503-normalized ([`crate::normalize`]).
        pub fn normalized_name(&self) -> String {
            crate::normalize(&self.name)
        }

        /// Whether this wheel is of project `name` (compared after normalization).
        pub fn is(&self, name: &str) -> bool {
            crate::same_project(&self.name, name)
        }

        /// Whether the wheel's version is in a PEP 440 specifier set (`<2.32.0`, `>=1,<1.4`).
        pub fn version_in(&self, specifiers: &str) -> Result<bool, String> {
            crate::host::version_matches(&self.version, specifiers)
        }

        /// The version of this project installed in the environment now, if any.
        pub fn installed_version(&self) -> Option<String> {
            crate::host::installed()
                .into_iter()
                .find(|d| self.is(&d.name))
                .map(|d| d.version)
        }

        /// The first value of a METADATA field (case-insensitive key), e.g. `License-Expression`.
        pub fn metadata_field(&self, key: &str) -> Option<&str> {
            field(&self.metadata, key)
        }

        /// Every value of a multiple-use METADATA field, such as `Classifier`.
        pub fn metadata_fields<'a>(&'a self, key: &'a str) -> Vec<&'a str> {
            fields(&self.metadata, key)
        }

        /// The member at an archive path (`pkg/__init__.py`, `pkg-1.0.dist-info/METADATA`).
        pub fn member(&self, path: &str) -> Option<&Member> {
            self.members.iter().find(|m| m.path == path)
        }

        /// Reads a member's bytes through the host (bounded by `max_bytes` and winst's limit).
        /// `path` is the archive path as in [`Member::path`].
        pub fn read_member(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
            crate::host::read_member(self.id, path, max_bytes)
        }

        /// The wheel file's sha256, 64 lowercase hex digits.
        pub fn sha256(&self) -> Result<String, String> {
            crate::host::wheel_sha256(self.id)
        }
    }

    impl Member {
        /// The RECORD sha256 as hex ([`crate::record_hash_hex`]).
        pub fn sha256_hex(&self) -> Option<String> {
            crate::record_hash_hex(self.hash.as_deref()?)
        }
    }

    impl InstalledFile {
        /// The RECORD sha256 as hex ([`crate::record_hash_hex`]).
        pub fn sha256_hex(&self) -> Option<String> {
            crate::record_hash_hex(self.hash.as_deref()?)
        }
    }

    impl InstalledProject {
        /// The first value of a METADATA field (case-insensitive key).
        pub fn metadata_field(&self, key: &str) -> Option<&str> {
            field(&self.metadata, key)
        }

        /// Every value of a multiple-use METADATA field.
        pub fn metadata_fields<'a>(&'a self, key: &'a str) -> Vec<&'a str> {
            fields(&self.metadata, key)
        }
    }
}

/// Calls into winst. In a native build (`cargo test` of a plugin) they go to the
/// [`testing::TestHost`] of the current thread instead.
pub mod host {
    #[cfg(target_arch = "wasm32")]
    use crate::bindings::winst::plugin::host as raw;
    pub use crate::bindings::winst::plugin::host::{InstalledDist, Level};
    #[cfg(not(target_arch = "wasm32"))]
    use crate::testing::raw;

    pub fn log(level: Level, message: &str) {
        raw::log(level, message);
    }

    pub fn debug(message: &str) {
        raw::log(Level::Debug, message);
    }

    pub fn info(message: &str) {
        raw::log(Level::Info, message);
    }

    pub fn warn(message: &str) {
        raw::log(Level::Warn, message);
    }

    /// The plugin's configuration table as JSON text (`{}` when none). Most plugins use the
    /// typed [`crate::Plugin::Config`] instead.
    pub fn config_json() -> String {
        raw::config()
    }

    /// Reads a member of a wheel being installed (by `wheel.id`).
    pub fn read_member(wheel: u32, path: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
        raw::read_member(wheel, path, max_bytes)
    }

    /// The sha256 of a wheel file being installed, 64 lowercase hex digits (API 0.2.0).
    pub fn wheel_sha256(wheel: u32) -> Result<String, String> {
        raw::wheel_sha256(wheel)
    }

    /// The projects installed in the target environment before this install (in the policy
    /// hook; empty in the others).
    pub fn installed() -> Vec<InstalledDist> {
        raw::installed()
    }

    /// Compares two PEP 440 versions (`1.0` equals `1.0.0`; `1.0rc1` sorts before `1.0`).
    pub fn version_compare(a: &str, b: &str) -> Result<std::cmp::Ordering, String> {
        raw::version_compare(a, b).map(|o| o.cmp(&0))
    }

    /// Whether a PEP 440 version is in a specifier set such as `>=1.0,<1.2.3`.
    pub fn version_matches(version: &str, specifiers: &str) -> Result<bool, String> {
        raw::version_matches(version, specifiers)
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

use serde::de::DeserializeOwned;
use types::*;

/// What every call of a role gets besides its input: the environment being installed into and the
/// plugin's configuration, deserialized.
#[non_exhaustive]
pub struct Context<C> {
    /// The environment being installed into (interpreter, paths, shebang).
    pub target: Target,
    /// The plugin's `config` table from `winst.toml`; [`Default`] when it has none.
    pub config: C,
}

impl<C> Context<C> {
    pub fn new(target: Target, config: C) -> Context<C> {
        Context { target, config }
    }
}

/// The configuration of a plugin that takes none (any table is accepted and ignored).
#[derive(serde::Deserialize, Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoConfig {}

/// The plugin's configuration: [`Default`] when `winst.toml` gives no `config` table, else the
/// table deserialized (JSON shape: TOML tables are objects, arrays are arrays). Put
/// `#[serde(default)]` on the struct so that a table may leave fields out.
pub fn load_config<C: DeserializeOwned + Default>() -> Result<C, String> {
    // A configuration without fields ([`NoConfig`]) has nothing to read: skipping the parse keeps
    // serde_json out of plugins that take no configuration (smaller, faster to instantiate).
    if std::mem::size_of::<C>() == 0 {
        return Ok(C::default());
    }
    let text = host::config_json();
    if text.trim() == "{}" {
        return Ok(C::default());
    }
    serde_json::from_str(&text).map_err(|e| format!("invalid plugin configuration: {e}"))
}

/// A winst plugin. Override the functions of the roles the plugin serves; the others keep their
/// defaults (which winst never calls unless the plugin's configuration names the role).
///
/// Each call gets a [`Context`] with the target and the plugin's typed [`Plugin::Config`]. A
/// configuration that does not deserialize fails the call with a message saying why: a policy
/// denies, the other roles fail the install.
pub trait Plugin {
    /// The plugin's `config` table from `winst.toml`; [`NoConfig`] when it takes none.
    type Config: DeserializeOwned + Default;

    /// `scripts` role: the launcher files for one entry point.
    fn generate_scripts(
        entry: EntryPoint,
        cx: &Context<Self::Config>,
    ) -> Result<Vec<GeneratedFile>, String> {
        let _ = (entry, cx);
        Err("this plugin does not serve the scripts role".to_string())
    }

    /// `editable` role: how to lay out an editable wheel.
    fn editable_layout(
        wheel: EditableWheel,
        cx: &Context<Self::Config>,
    ) -> Result<EditableLayout, String> {
        let _ = (wheel, cx);
        Err("this plugin does not serve the editable role".to_string())
    }

    /// `policy` role: allow, warn or deny a wheel before anything is written. The default
    /// denies: a plugin configured as a policy that forgot to implement it must not let
    /// everything through.
    fn check(wheel: Wheel, cx: &Context<Self::Config>) -> Verdict {
        let _ = cx;
        Verdict::Deny(format!(
            "{} {}: this plugin is configured for the policy role but does not implement it",
            wheel.name, wheel.version
        ))
    }

    /// `post-install` role: extra dist-info files after the install is written, or an error that
    /// fails it.
    fn after_install(
        projects: Vec<InstalledProject>,
        cx: &Context<Self::Config>,
    ) -> Result<Vec<ExtraFile>, String> {
        let _ = (projects, cx);
        Ok(Vec::new())
    }
}

/// What the exports call: the configuration loaded, then the plugin's function.
#[doc(hidden)]
pub mod __call {
    use super::*;

    fn context<P: Plugin>(target: Target) -> Result<Context<P::Config>, String> {
        Ok(Context::new(target, load_config()?))
    }

    pub fn generate_scripts<P: Plugin>(
        entry: EntryPoint,
        target: Target,
    ) -> Result<Vec<GeneratedFile>, String> {
        P::generate_scripts(entry, &context::<P>(target)?)
    }

    pub fn editable_layout<P: Plugin>(
        wheel: EditableWheel,
        target: Target,
    ) -> Result<EditableLayout, String> {
        P::editable_layout(wheel, &context::<P>(target)?)
    }

    pub fn check<P: Plugin>(wheel: Wheel, target: Target) -> Verdict {
        match context::<P>(target) {
            Ok(cx) => P::check(wheel, &cx),
            Err(e) => Verdict::Deny(e),
        }
    }

    pub fn after_install<P: Plugin>(
        projects: Vec<InstalledProject>,
        target: Target,
    ) -> Result<Vec<ExtraFile>, String> {
        P::after_install(projects, &context::<P>(target)?)
    }
}

/// The winst plugin API version this SDK builds against (the `package` line of its WIT). Every
/// plugin carries it in a `winst-api-version` custom section, and winst runs the plugin with the
/// host adapter of that version, or refuses it naming both versions when it does not know it.
pub const API_VERSION: &str = "0.2.0";

/// Exports a [`Plugin`] implementation, declaring the roles it serves.
///
/// `register_plugin!(MyPolicy, roles = ["policy"]);` — roles are `scripts`, `editable`, `policy`
/// and `post-install`. winst reads them from the component (a `winst-roles` custom section), so
/// `winst --plugin my.wasm` needs no configuration; a `winst.toml` entry may still narrow them.
/// The macro also stamps the component with [`API_VERSION`] (a `winst-api-version` section).
#[macro_export]
macro_rules! register_plugin {
    ($plugin:ty, roles = [$($role:literal),+ $(,)?]) => {
        $crate::register_plugin!(@section "winst-roles", concat!($($role, ","),+));
        $crate::register_plugin!(@section "winst-api-version", $crate::API_VERSION);
        $crate::register_plugin!(@exports $plugin);
    };
    (@section $name:literal, $text:expr) => {
        const _: () = {
            const TEXT: &str = $text;
            const LEN: usize = TEXT.len();
            const fn bytes() -> [u8; LEN] {
                let src = TEXT.as_bytes();
                let mut out = [0u8; LEN];
                let mut i = 0;
                while i < LEN {
                    out[i] = src[i];
                    i += 1;
                }
                out
            }
            #[used]
            #[unsafe(link_section = $name)]
            static SECTION: [u8; LEN] = bytes();
        };
    };
    (@exports $plugin:ty) => {
        #[doc(hidden)]
        pub struct __WinstPluginExport;

        impl $crate::bindings::exports::winst::plugin::scripts::Guest for __WinstPluginExport {
            fn generate(
                entry: $crate::types::EntryPoint,
                target: $crate::types::Target,
            ) -> ::core::result::Result<::std::vec::Vec<$crate::types::GeneratedFile>, ::std::string::String> {
                $crate::__call::generate_scripts::<$plugin>(entry, target)
            }
        }

        impl $crate::bindings::exports::winst::plugin::editable::Guest for __WinstPluginExport {
            fn layout(
                wheel: $crate::types::EditableWheel,
                target: $crate::types::Target,
            ) -> ::core::result::Result<$crate::types::EditableLayout, ::std::string::String> {
                $crate::__call::editable_layout::<$plugin>(wheel, target)
            }
        }

        impl $crate::bindings::exports::winst::plugin::policy::Guest for __WinstPluginExport {
            fn check(
                wheel: $crate::types::Wheel,
                target: $crate::types::Target,
            ) -> $crate::types::Verdict {
                $crate::__call::check::<$plugin>(wheel, target)
            }
        }

        impl $crate::bindings::exports::winst::plugin::post_install::Guest for __WinstPluginExport {
            fn after_install(
                projects: ::std::vec::Vec<$crate::types::InstalledProject>,
                target: $crate::types::Target,
            ) -> ::core::result::Result<::std::vec::Vec<$crate::types::ExtraFile>, ::std::string::String> {
                $crate::__call::after_install::<$plugin>(projects, target)
            }
        }

        $crate::bindings::__export_winst_plugin!(__WinstPluginExport with_types_in $crate::bindings);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_as_pep_503_says() {
        assert_eq!(normalize("Foo.Bar__baz-"), "foo-bar-baz-");
        assert_eq!(normalize("PyYAML"), "pyyaml");
        assert!(same_project("zope.interface", "Zope_Interface"));
        assert!(!same_project("zope", "zope-interface"));
    }

    #[test]
    fn record_hashes_become_hex() {
        // sha256 of the empty string.
        let hex = record_hash_hex("sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
        assert_eq!(
            hex.as_deref(),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(record_hash_hex("md5=abc"), None);
        assert_eq!(record_hash_hex("sha256=!!"), None);
    }

    #[test]
    fn versions_and_installed_projects_through_the_test_host() {
        testing::TestHost::new()
            .installed("Requests", "2.31.0")
            .enter();
        let w = testing::wheel("requests", "2.32.3");
        assert_eq!(w.installed_version().as_deref(), Some("2.31.0"));
        assert_eq!(w.version_in("<2.32"), Ok(false));
        assert_eq!(w.version_in(">=2.32,<3"), Ok(true));
        assert!(w.version_in("<<2").is_err());
        assert_eq!(
            host::version_compare("1.0", "1.0.0"),
            Ok(std::cmp::Ordering::Equal)
        );
        assert_eq!(
            host::version_compare("1.0rc1", "1.0"),
            Ok(std::cmp::Ordering::Less)
        );
    }
}
