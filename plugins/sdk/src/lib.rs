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
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "__export_winst_plugin",
        default_bindings_module: "winst_plugin_sdk::bindings",
        runtime_path: "winst_plugin_sdk::__wit_bindgen::rt",
    });
}

/// The types plugins receive and return (generated from `wit/plugin.wit`).
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
        pub fn read_member(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
            crate::host::read_member(self.id, path, max_bytes)
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
    pub use raw::Level;

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

/// Exports a [`Plugin`] implementation, declaring the roles it serves.
///
/// `register_plugin!(MyPolicy, roles = ["policy"]);` — roles are `scripts`, `editable`, `policy`
/// and `post-install`. winst reads them from the component (a `winst-roles` custom section), so
/// `winst --plugin my.wasm` needs no configuration; a `winst.toml` entry may still narrow them.
#[macro_export]
macro_rules! register_plugin {
    ($plugin:ty, roles = [$($role:literal),+ $(,)?]) => {
        const _: () = {
            const ROLES: &str = concat!($($role, ","),+);
            const LEN: usize = ROLES.len();
            const fn bytes() -> [u8; LEN] {
                let src = ROLES.as_bytes();
                let mut out = [0u8; LEN];
                let mut i = 0;
                while i < LEN {
                    out[i] = src[i];
                    i += 1;
                }
                out
            }
            #[used]
            #[unsafe(link_section = "winst-roles")]
            static WINST_ROLES: [u8; LEN] = bytes();
        };
        $crate::register_plugin!(@exports $plugin);
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
