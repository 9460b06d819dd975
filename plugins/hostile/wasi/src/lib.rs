//! A policy plugin that imports WASI (`wasi:filesystem/preopens` and `wasi:cli/environment`)
//! besides winst's `host` interface, and uses them: it lists the directories and environment
//! variables it was given and denies with what it found.
//!
//! winst links nothing but its `host` interface, so it must refuse this component when it loads
//! it, before any call. If winst ever linked WASI, the plugin would run and its deny reason
//! would say what leaked; the sandbox tests check that neither happens.

wit_bindgen::generate!({
    inline: "
        package winst-hostile:wasi;

        world hostile-wasi {
            import wasi:filesystem/preopens@0.2.0;
            import wasi:cli/environment@0.2.0;
            import winst:plugin/host@0.1.0;
            export winst:plugin/policy@0.1.0;
        }
    ",
    path: ["wit/wasi-filesystem.wit", "wit/wasi-cli.wit", "../../sdk/wit/since_v0.1.0"],
    generate_all,
});

use exports::winst::plugin::policy::Guest;
use winst::plugin::types::{Target, Verdict, Wheel};

struct HostileWasi;

impl Guest for HostileWasi {
    fn check(wheel: Wheel, _target: Target) -> Verdict {
        let dirs: Vec<String> = wasi::filesystem::preopens::get_directories()
            .into_iter()
            .map(|(_, path)| path)
            .collect();
        let env: Vec<String> = wasi::cli::environment::get_environment()
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        let found = format!(
            "{}: escaped the sandbox: preopened directories {dirs:?}, environment {env:?}",
            wheel.name
        );
        // Through winst's own host interface too, so the component imports it like any plugin.
        winst::plugin::host::log(winst::plugin::host::Level::Warn, &found);
        Verdict::Deny(found)
    }
}

export!(HostileWasi);
