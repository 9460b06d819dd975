//! A stand-in for winst in native builds, so a plugin's functions can be unit-tested with
//! `cargo test` (no wasm, no winst): a [`TestHost`] holds what the host interface would answer
//! (configuration, wheel members, sha256s, installed projects) for the current thread, and keeps
//! what the plugin logs.
//!
//! ```ignore
//! use winst_plugin_sdk::testing::{TestHost, check, wheel};
//! TestHost::new().config(r#"{"deny": ["foo"]}"#).enter();
//! assert!(matches!(check::<MyPolicy>(wheel("Foo", "1.0")), Verdict::Deny(_)));
//! ```
//!
//! PEP 440 comparisons use `pep440_rs` here, as winst's host does. Not for: wasm builds (this
//! module does not exist there) or running a component (that is winst's job).

use std::cell::RefCell;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};

use crate::Plugin;
use crate::host::{InstalledDist, Level};
use crate::types::{Target, Verdict, Wheel};

/// What the host interface answers on this thread.
#[derive(Debug, Clone)]
pub struct TestHost {
    config: String,
    members: Vec<(u32, String, Vec<u8>)>,
    sha256: Vec<(u32, String)>,
    installed: Vec<InstalledDist>,
}

impl Default for TestHost {
    fn default() -> Self {
        TestHost {
            config: "{}".to_string(),
            members: Vec::new(),
            sha256: Vec::new(),
            installed: Vec::new(),
        }
    }
}

thread_local! {
    static HOST: RefCell<TestHost> = RefCell::new(TestHost::default());
    static LOGS: RefCell<Vec<(Level, String)>> = const { RefCell::new(Vec::new()) };
}

impl TestHost {
    pub fn new() -> TestHost {
        TestHost::default()
    }

    /// The plugin's configuration table, as JSON text (`{}` by default).
    pub fn config(mut self, json: &str) -> TestHost {
        self.config = json.to_string();
        self
    }

    /// A member of wheel `wheel` (its `id`) that `read-member` returns.
    pub fn member(mut self, wheel: u32, path: &str, bytes: &[u8]) -> TestHost {
        self.members.push((wheel, path.to_string(), bytes.to_vec()));
        self
    }

    /// The sha256 (hex) `wheel-sha256` returns for wheel `wheel`.
    pub fn sha256(mut self, wheel: u32, hex: &str) -> TestHost {
        self.sha256.push((wheel, hex.to_string()));
        self
    }

    /// A project `installed` lists.
    pub fn installed(mut self, name: &str, version: &str) -> TestHost {
        self.installed.push(InstalledDist {
            name: name.to_string(),
            version: version.to_string(),
        });
        self
    }

    /// Makes this the host of the current thread (each test runs on its own thread) and clears
    /// the logs.
    pub fn enter(self) {
        HOST.with(|h| *h.borrow_mut() = self);
        LOGS.with(|l| l.borrow_mut().clear());
    }
}

/// What the plugin logged on this thread since [`TestHost::enter`].
pub fn logs() -> Vec<(Level, String)> {
    LOGS.with(|l| l.borrow().clone())
}

/// A wheel record as winst would pass it: id 0, `{name}-{version}-py3-none-any.whl`, METADATA
/// with `Name` and `Version`, no members (push them onto `members` as needed).
pub fn wheel(name: &str, version: &str) -> Wheel {
    Wheel {
        id: 0,
        filename: format!("{}-{version}-py3-none-any.whl", name.replace('-', "_")),
        name: name.to_string(),
        version: version.to_string(),
        tags: vec!["py3-none-any".to_string()],
        metadata: vec![
            ("Metadata-Version".to_string(), "2.4".to_string()),
            ("Name".to_string(), name.to_string()),
            ("Version".to_string(), version.to_string()),
        ],
        members: Vec::new(),
        entry_points: Vec::new(),
    }
}

/// A CPython 3.12 virtual environment on Linux at `/venv`.
pub fn target() -> Target {
    Target {
        interpreter: "/venv/bin/python".to_string(),
        platform: "linux-x86_64".to_string(),
        python_version: "3.12.3".to_string(),
        implementation: "cpython".to_string(),
        prefix: "/venv".to_string(),
        scripts_dir: "/venv/bin".to_string(),
        purelib: "/venv/lib/python3.12/site-packages".to_string(),
        shebang: "#!/venv/bin/python".to_string(),
    }
}

/// Runs `P`'s policy on `wheel` as winst would: the configuration from this thread's
/// [`TestHost`], deserialized (a bad one denies), and [`target`].
pub fn check<P: Plugin>(wheel: Wheel) -> Verdict {
    crate::__call::check::<P>(wheel, target())
}

/// The host functions, answered from this thread's [`TestHost`].
pub(crate) mod raw {
    use super::*;

    fn with<T>(f: impl FnOnce(&TestHost) -> T) -> T {
        HOST.with(|h| f(&h.borrow()))
    }

    pub fn log(level: Level, message: &str) {
        LOGS.with(|l| l.borrow_mut().push((level, message.to_string())));
    }

    pub fn config() -> String {
        with(|h| h.config.clone())
    }

    pub fn read_member(wheel: u32, path: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
        with(|h| {
            let (_, _, bytes) = h
                .members
                .iter()
                .find(|(w, p, _)| *w == wheel && p == path)
                .ok_or_else(|| format!("wheel {wheel} has no member {path}"))?;
            if bytes.len() as u64 > max_bytes {
                return Err(format!(
                    "{path} is {} bytes, more than the {max_bytes} bytes the plugin asked for at most (max-bytes)",
                    bytes.len()
                ));
            }
            Ok(bytes.clone())
        })
    }

    pub fn wheel_sha256(wheel: u32) -> Result<String, String> {
        with(|h| {
            h.sha256
                .iter()
                .find(|(w, _)| *w == wheel)
                .map(|(_, hex)| hex.clone())
                .ok_or_else(|| format!("no wheel with id {wheel}"))
        })
    }

    pub fn installed() -> Vec<InstalledDist> {
        with(|h| h.installed.clone())
    }

    fn pep440(text: &str) -> Result<Version, String> {
        Version::from_str(text).map_err(|e| format!("`{text}` is not a PEP 440 version: {e}"))
    }

    pub fn version_compare(a: &str, b: &str) -> Result<i8, String> {
        Ok(pep440(a)?.cmp(&pep440(b)?) as i8)
    }

    pub fn version_matches(version: &str, specifiers: &str) -> Result<bool, String> {
        let v = pep440(version)?;
        let s = VersionSpecifiers::from_str(specifiers)
            .map_err(|e| format!("`{specifiers}` is not a PEP 440 specifier set: {e}"))?;
        Ok(s.contains(&v))
    }
}
