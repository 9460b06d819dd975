//! The guest SDK for winst plugins.
//!
//! A plugin is a WebAssembly component that winst runs in a sandbox. To write one in Rust:
//! implement [`Plugin`] for a type, overriding the roles you serve, and export it with
//! [`register_plugin!`]. Build it for `wasm32-unknown-unknown` as a `cdylib` and turn it into a
//! component (`plugins/build.sh` shows how).
//!
//! ```ignore
//! use winst_plugin_sdk::{Plugin, register_plugin, types::{Target, Verdict, Wheel}};
//!
//! struct NoFoo;
//! impl Plugin for NoFoo {
//!     fn check(wheel: Wheel, _target: Target) -> Verdict {
//!         if wheel.name == "foo" { Verdict::Deny("foo is not allowed here".into()) } else { Verdict::Allow }
//!     }
//! }
//! register_plugin!(NoFoo, roles = ["policy"]);
//! ```
//!
//! What this crate is not: a way out of the sandbox. The only outside calls a plugin has are in
//! [`host`]: logging, its configuration, and bounded reads of wheel members.

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

/// The types plugins receive and return (generated from `wit/since_v0.2.0/plugin.wit`).
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
        /// The first value of a METADATA field (case-insensitive key).
        pub fn metadata_field(&self, key: &str) -> Option<&str> {
            field(&self.metadata, key)
        }

        /// Every value of a multiple-use METADATA field, such as `Classifier`.
        pub fn metadata_fields<'a>(&'a self, key: &'a str) -> Vec<&'a str> {
            fields(&self.metadata, key)
        }

        /// Reads a member's bytes through the host (bounded by `max_bytes` and winst's limit).
        /// `path` is the archive path as in [`Member::path`] (`pkg/__init__.py`,
        /// `pkg-1.0.dist-info/METADATA`).
        pub fn read_member(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
            crate::host::read_member(self.id, path, max_bytes)
        }

        /// The wheel file's sha256, 64 lowercase hex digits.
        pub fn sha256(&self) -> Result<String, String> {
            crate::host::wheel_sha256(self.id)
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

/// Calls into winst.
pub mod host {
    use crate::bindings::winst::plugin::host as raw;
    pub use raw::{InstalledDist, Level};

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

    /// The plugin's configuration table as JSON text.
    pub fn config_json() -> String {
        raw::config()
    }

    /// The plugin's configuration table, deserialized. A missing table reads as `{}`.
    pub fn config<T: serde::de::DeserializeOwned>() -> Result<T, String> {
        serde_json::from_str(&raw::config())
            .map_err(|e| format!("invalid plugin configuration: {e}"))
    }

    /// Reads a member of a wheel being installed.
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

use types::*;

/// A winst plugin. Override the functions of the roles the plugin serves; the others keep their
/// defaults (which winst never calls unless the plugin's configuration names the role).
pub trait Plugin {
    /// `scripts` role: the launcher files for one entry point.
    fn generate_scripts(entry: EntryPoint, target: Target) -> Result<Vec<GeneratedFile>, String> {
        let _ = (entry, target);
        Err("this plugin does not serve the scripts role".to_string())
    }

    /// `editable` role: how to lay out an editable wheel.
    fn editable_layout(wheel: EditableWheel, target: Target) -> Result<EditableLayout, String> {
        let _ = (wheel, target);
        Err("this plugin does not serve the editable role".to_string())
    }

    /// `policy` role: allow, warn or deny a wheel before anything is written. The default
    /// denies: a plugin configured as a policy that forgot to implement it must not let
    /// everything through.
    fn check(wheel: Wheel, target: Target) -> Verdict {
        let _ = target;
        Verdict::Deny(format!(
            "{} {}: this plugin is configured for the policy role but does not implement it",
            wheel.name, wheel.version
        ))
    }

    /// `post-install` role: extra dist-info files after the install is written, or an error that
    /// fails it.
    fn after_install(
        projects: Vec<InstalledProject>,
        target: Target,
    ) -> Result<Vec<ExtraFile>, String> {
        let _ = (projects, target);
        Ok(Vec::new())
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
                <$plugin as $crate::Plugin>::generate_scripts(entry, target)
            }
        }

        impl $crate::bindings::exports::winst::plugin::editable::Guest for __WinstPluginExport {
            fn layout(
                wheel: $crate::types::EditableWheel,
                target: $crate::types::Target,
            ) -> ::core::result::Result<$crate::types::EditableLayout, ::std::string::String> {
                <$plugin as $crate::Plugin>::editable_layout(wheel, target)
            }
        }

        impl $crate::bindings::exports::winst::plugin::policy::Guest for __WinstPluginExport {
            fn check(
                wheel: $crate::types::Wheel,
                target: $crate::types::Target,
            ) -> $crate::types::Verdict {
                <$plugin as $crate::Plugin>::check(wheel, target)
            }
        }

        impl $crate::bindings::exports::winst::plugin::post_install::Guest for __WinstPluginExport {
            fn after_install(
                projects: ::std::vec::Vec<$crate::types::InstalledProject>,
                target: $crate::types::Target,
            ) -> ::core::result::Result<::std::vec::Vec<$crate::types::ExtraFile>, ::std::string::String> {
                <$plugin as $crate::Plugin>::after_install(projects, target)
            }
        }

        $crate::bindings::__export_winst_plugin!(__WinstPluginExport with_types_in $crate::bindings);
    };
}
