//! A plugin that misbehaves on purpose, so winst's tests can show that every bound of the
//! sandbox holds and that winst checks what a plugin returns.
//!
//! Its configuration picks the misbehaviour (`config = { mode = "loop" }`). Sizes and counts come
//! from the other fields, so a test can cross a bound by exactly one:
//!
//! In any role:
//! - `loop`: never returns.
//! - `spin`: counts to `count` (burns CPU), then allows.
//! - `alloc`: allocates and touches `bytes` bytes (default 1 GiB); the policy role then denies
//!   with `allocated N bytes`, so that a test sees the allocation worked.
//! - `recurse`: recurses `count` calls deep (the wasm stack, not linear memory), then allows.
//! - `trap`: panics (a trap, with panic=abort).
//! - `log`: logs `text` repeated `repeat` times (default once), `count` times (default once).
//! - `huge-log`: logs a 1 MiB line 64 times.
//!
//! Policy role:
//! - `read`: reads each of `paths` with `host.read-member(wheel, path, max_bytes)` (default: no
//!   cap of its own); denies with `read-member failed: ...` at the first refusal, else allows.
//! - `deny` / `warn`: denies or warns with `text` repeated `repeat` times.
//!
//! Scripts role:
//! - `bad-script`: returns a launcher named `../escape`.
//! - `script-name`: returns one launcher named `text` repeated `repeat` times.
//!
//! Editable role:
//! - `editable-file`: lays the wheel out as one file at `path`.
//! - `editable-url`: keeps no files and returns `text` as `direct_url.json`.
//! - `editable-fail`: fails with `text` repeated `repeat` times.
//!
//! Post-install role:
//! - `post-fail`: fails the install (with `text` repeated `repeat` times, when given).
//! - `bad-extra`: asks to write `../../escape.txt`.
//! - `extra`: asks to write `path` (default `hostile.txt`) of `bytes` bytes (default 7) into the
//!   dist-info of every project.
//!
//! For a plugin that tries to reach the host's files and environment, see `wasi/` (the
//! `hostile-wasi` component), which winst must refuse to load.
//!
//! Otherwise it allows everything and writes its launchers normally.

use winst_plugin_sdk::types::{
    EditableLayout, EditableWheel, EntryPoint, ExtraFile, GeneratedFile, InstalledProject, Verdict,
    Wheel,
};
use winst_plugin_sdk::{Context, Plugin, host, register_plugin};

#[derive(serde::Deserialize, Default)]
struct Config {
    #[serde(default)]
    mode: String,
    path: Option<String>,
    bytes: Option<usize>,
    count: Option<u64>,
    #[serde(default)]
    paths: Vec<String>,
    max_bytes: Option<u64>,
    text: Option<String>,
    repeat: Option<usize>,
}

impl Config {
    /// `text` repeated `repeat` times.
    fn text(&self) -> String {
        self.text
            .as_deref()
            .unwrap_or("hostile")
            .repeat(self.repeat.unwrap_or(1))
    }
}

/// Recursion that lives on the wasm stack only: no locals in linear memory, no tail call.
#[inline(never)]
fn deep(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    std::hint::black_box(deep(std::hint::black_box(n - 1))) + 1
}

/// The misbehaviours every role shares.
fn misbehave(config: &Config) {
    match config.mode.as_str() {
        "loop" => {
            let mut x: u64 = 0;
            loop {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        "spin" => {
            let mut x: u64 = 0;
            for _ in 0..config.count.unwrap_or(0) {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            host::info(&format!("spun {x} times"));
        }
        "alloc" => {
            let n = config.bytes.unwrap_or(1 << 30);
            let mut v: Vec<u8> = Vec::new();
            if v.try_reserve_exact(n).is_err() {
                // Allocation refused inside the guest: trap so the host sees a failure either way.
                panic!("allocation of {n} bytes refused");
            }
            v.resize(n, 1);
            host::info(&format!(
                "allocated {} bytes",
                std::hint::black_box(v).len()
            ));
        }
        "recurse" => {
            let depth = deep(config.count.unwrap_or(0));
            host::info(&format!("recursed {depth} calls deep"));
        }
        "trap" => panic!("hostile plugin traps on purpose"),
        "log" => {
            let line = config.text();
            for _ in 0..config.count.unwrap_or(1) {
                host::info(&line);
            }
        }
        "huge-log" => {
            let line = "x".repeat(1 << 20);
            for _ in 0..64 {
                host::info(&line);
            }
        }
        _ => {}
    }
}

struct Hostile;

impl Plugin for Hostile {
    type Config = Config;

    fn check(wheel: Wheel, cx: &Context<Config>) -> Verdict {
        let config = &cx.config;
        match config.mode.as_str() {
            "read" => {
                let max = config.max_bytes.unwrap_or(u64::MAX);
                let mut total = 0;
                for path in &config.paths {
                    match wheel.read_member(path, max) {
                        Ok(bytes) => total += bytes.len(),
                        Err(e) => return Verdict::Deny(format!("read-member failed: {e}")),
                    }
                }
                host::info(&format!("read {total} bytes"));
                Verdict::Allow
            }
            "alloc" => {
                // Reached only if the allocation worked: say so, as tests/untrusted.rs expects.
                misbehave(config);
                Verdict::Deny(format!(
                    "allocated {} bytes",
                    config.bytes.unwrap_or(1 << 30)
                ))
            }
            "deny" => Verdict::Deny(config.text()),
            "warn" => Verdict::Warn(config.text()),
            _ => {
                misbehave(config);
                Verdict::Allow
            }
        }
    }

    fn generate_scripts(
        entry: EntryPoint,
        cx: &Context<Config>,
    ) -> Result<Vec<GeneratedFile>, String> {
        let (config, target) = (&cx.config, &cx.target);
        let name = match config.mode.as_str() {
            "bad-script" => "../escape".to_string(),
            "script-name" => config.text(),
            _ => {
                misbehave(config);
                entry.name
            }
        };
        Ok(vec![GeneratedFile {
            name,
            contents: format!("{}\nprint('hostile')\n", target.shebang).into_bytes(),
            executable: true,
        }])
    }

    fn editable_layout(
        wheel: EditableWheel,
        cx: &Context<Config>,
    ) -> Result<EditableLayout, String> {
        let config = &cx.config;
        match config.mode.as_str() {
            "editable-file" => Ok(EditableLayout {
                files: vec![(config.path.clone().unwrap_or_default(), b"/tmp\n".to_vec())],
                direct_url: wheel.direct_url,
            }),
            "editable-url" => Ok(EditableLayout {
                files: Vec::new(),
                direct_url: config.text(),
            }),
            "editable-fail" => Err(config.text()),
            _ => {
                misbehave(config);
                Ok(EditableLayout {
                    files: wheel.pth_files,
                    direct_url: wheel.direct_url,
                })
            }
        }
    }

    fn after_install(
        projects: Vec<InstalledProject>,
        cx: &Context<Config>,
    ) -> Result<Vec<ExtraFile>, String> {
        let config = &cx.config;
        // One fresh buffer per project, so a file of n bytes costs n bytes of memory, not 2n.
        let extra = |name: &str, contents: &dyn Fn() -> Vec<u8>| -> Vec<ExtraFile> {
            projects
                .iter()
                .map(|p| ExtraFile {
                    project: p.name.clone(),
                    file: GeneratedFile {
                        name: name.to_string(),
                        contents: contents(),
                        executable: false,
                    },
                })
                .collect()
        };
        match config.mode.as_str() {
            "post-fail" if config.text.is_some() => Err(config.text()),
            "post-fail" => Err("the hostile plugin fails the install".to_string()),
            "bad-extra" => Ok(extra("../../escape.txt", &|| b"escaped".to_vec())),
            "extra" => Ok(extra(
                config.path.as_deref().unwrap_or("hostile.txt"),
                &|| vec![b'x'; config.bytes.unwrap_or(7)],
            )),
            _ => {
                misbehave(config);
                Ok(Vec::new())
            }
        }
    }
}

register_plugin!(
    Hostile,
    roles = ["policy", "scripts", "editable", "post-install"]
);
