//! A plugin that misbehaves on purpose, so winst's tests can show the sandbox holds.
//!
//! Its configuration picks the misbehaviour (`config = { mode = "loop" }`):
//! - `read-file`: tries to read `path` from the host's filesystem; denies with what it read (the
//!   test expects the read to fail, so the deny reason says `read failed: ...`).
//! - `loop`: never returns.
//! - `alloc`: tries to allocate and touch `bytes` bytes (default 1 GiB).
//! - `trap`: panics (a trap, with panic=abort).
//! - `bad-script`: as a scripts plugin, returns a launcher named `../escape`.
//! - `huge-log`: logs a very long line many times.
//! - `post-fail`: as a post-install plugin, fails the install.
//! - `bad-extra`: as a post-install plugin, asks to write `../../escape.txt`.
//! Otherwise it allows everything.

use winst_plugin_sdk::types::{
    EntryPoint, ExtraFile, GeneratedFile, InstalledProject, Target, Verdict, Wheel,
};
use winst_plugin_sdk::{Plugin, host, register_plugin};

#[derive(serde::Deserialize, Default)]
struct Config {
    #[serde(default)]
    mode: String,
    path: Option<String>,
    bytes: Option<usize>,
}

fn config() -> Config {
    host::config().unwrap_or_default()
}

fn misbehave(config: &Config) -> Option<String> {
    match config.mode.as_str() {
        "read-file" => {
            let path = config
                .path
                .clone()
                .unwrap_or_else(|| "/etc/passwd".to_string());
            Some(match std::fs::read(&path) {
                Ok(bytes) => format!("read {} bytes of {path}", bytes.len()),
                Err(e) => format!("read failed: {e}"),
            })
        }
        "loop" => {
            let mut x: u64 = 0;
            loop {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        "alloc" => {
            let n = config.bytes.unwrap_or(1 << 30);
            let mut v: Vec<u8> = Vec::new();
            if v.try_reserve_exact(n).is_err() {
                // Allocation refused inside the guest: trap so the host sees a failure either way.
                panic!("allocation of {n} bytes refused");
            }
            v.resize(n, 1);
            Some(format!("allocated {} bytes", std::hint::black_box(v).len()))
        }
        "trap" => panic!("hostile plugin traps on purpose"),
        "huge-log" => {
            let line = "x".repeat(1 << 20);
            for _ in 0..64 {
                host::info(&line);
            }
            None
        }
        _ => None,
    }
}

struct Hostile;

impl Plugin for Hostile {
    fn check(_wheel: Wheel, _target: Target) -> Verdict {
        match misbehave(&config()) {
            Some(message) => Verdict::Deny(message),
            None => Verdict::Allow,
        }
    }

    fn generate_scripts(entry: EntryPoint, target: Target) -> Result<Vec<GeneratedFile>, String> {
        let config = config();
        let name = if config.mode == "bad-script" {
            "../escape".to_string()
        } else {
            misbehave(&config);
            entry.name
        };
        Ok(vec![GeneratedFile {
            name,
            contents: format!("{}\nprint('hostile')\n", target.shebang).into_bytes(),
            executable: true,
        }])
    }

    fn after_install(
        projects: Vec<InstalledProject>,
        _target: Target,
    ) -> Result<Vec<ExtraFile>, String> {
        let config = config();
        match config.mode.as_str() {
            "post-fail" => Err("the hostile plugin fails the install".to_string()),
            "bad-extra" => Ok(projects
                .iter()
                .map(|p| ExtraFile {
                    project: p.name.clone(),
                    file: GeneratedFile {
                        name: "../../escape.txt".to_string(),
                        contents: b"escaped".to_vec(),
                        executable: false,
                    },
                })
                .collect()),
            _ => {
                misbehave(&config);
                Ok(Vec::new())
            }
        }
    }
}

register_plugin!(Hostile, roles = ["policy", "scripts", "post-install"]);
