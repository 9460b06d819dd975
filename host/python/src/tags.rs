//! Which wheel tags an interpreter can run, as `packaging.tags` computes them.
//!
//! Builds the ordered list of supported (python, abi, platform) triples from the interpreter's
//! facts: `cpXY`/`abi3`/`none` ABIs, platform tags from [`winst_platform`] (`manylinux_2_N`, `musllinux_1_N`, `linux_<arch>`,
//! `macosx_X_Y_<arch>`), and the pure-Python `pyX` tags. Not here: reading tags from a wheel (see [`winst_wheel::filename`]).

use std::collections::HashMap;

use crate::interpreter::Interpreter;

/// The set of tags a target supports, each with its priority, plus a description for error
/// messages.
pub struct SupportedTags {
    /// Each supported (python, abi, platform) triple and its rank in `packaging.tags` order
    /// (0 is the most specific, the one a resolver prefers).
    set: HashMap<(String, String, String), usize>,
    /// The most specific platform tag, e.g. `manylinux_2_36_x86_64`.
    pub best_platform: String,
    /// The interpreter tag, e.g. `cp311`.
    pub interpreter_tag: String,
}

impl SupportedTags {
    pub fn is_supported(&self, python: &str, abi: &str, platform: &str) -> bool {
        self.priority(python, abi, platform).is_some()
    }

    /// The rank of a supported tag in the order a resolver prefers them (`packaging.tags`
    /// order: 0 is best), or `None` when the target cannot run it.
    pub fn priority(&self, python: &str, abi: &str, platform: &str) -> Option<usize> {
        self.set
            .get(&(python.to_string(), abi.to_string(), platform.to_string()))
            .copied()
    }

    /// Whether some supported tag has this Python tag and ABI (on any platform).
    pub(crate) fn supports_python(&self, python: &str, abi: &str) -> bool {
        self.set.keys().any(|(p, a, _)| p == python && a == abi)
    }

    /// Whether some supported tag has this platform.
    pub(crate) fn supports_platform(&self, platform: &str) -> bool {
        self.set.keys().any(|(_, _, p)| p == platform)
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn for_interpreter(interp: &Interpreter) -> Self {
        let (major, minor) = (interp.version.0, interp.version.1);
        let short = match interp.implementation.as_str() {
            "cpython" => "cp",
            "pypy" => "pp",
            "ironpython" => "ip",
            "jython" => "jy",
            other => other,
        };
        let interpreter_tag = format!("{short}{major}{minor}");
        let platforms = platform_tags(interp);
        let mut set = HashMap::new();
        let mut add = |py: &str, abi: &str, plat: &str| {
            let rank = set.len();
            set.entry((py.to_string(), abi.to_string(), plat.to_string()))
                .or_insert(rank);
        };

        // Interpreter-specific ABIs.
        let mut abis: Vec<String> = Vec::new();
        if short == "cp" {
            abis.push(format!("cp{major}{minor}{}", interp.abiflags));
        } else if let Some(soabi) = &interp.soabi {
            // e.g. pypy311-pp73 → pypy311_pp73
            let parts: Vec<&str> = soabi.split('-').take(2).collect();
            abis.push(parts.join("_").replace(['.', '-'], "_"));
        }
        for abi in &abis {
            for plat in &platforms {
                add(&interpreter_tag, abi, plat);
            }
        }
        let stable_abi = short == "cp" && !interp.gil_disabled;
        if stable_abi {
            for plat in &platforms {
                add(&interpreter_tag, "abi3", plat);
            }
        }
        for plat in &platforms {
            add(&interpreter_tag, "none", plat);
        }
        if stable_abi {
            for m in (2..minor).rev() {
                for plat in &platforms {
                    add(&format!("cp{major}{m}"), "abi3", plat);
                }
            }
        }
        // Generic Python tags.
        let mut pys = vec![format!("py{major}{minor}"), format!("py{major}")];
        pys.extend((0..minor).rev().map(|m| format!("py{major}{m}")));
        for py in &pys {
            for plat in &platforms {
                add(py, "none", plat);
            }
        }
        add(&interpreter_tag, "none", "any");
        for py in &pys {
            add(py, "none", "any");
        }
        SupportedTags {
            set,
            best_platform: platforms.first().cloned().unwrap_or_default(),
            interpreter_tag,
        }
    }
}

/// The platform tags of the interpreter, most specific first (see [`winst_platform::platform_tags`]).
fn platform_tags(interp: &Interpreter) -> Vec<String> {
    winst_platform::platform_tags(&winst_platform::PlatformFacts {
        sysconfig_platform: &interp.platform,
        machine: &interp.markers.platform_machine,
        pointer_bits: interp.pointer_bits,
        libc: interp
            .libc
            .as_ref()
            .map(|l| (l.name.as_str(), l.version.as_str())),
        mac_version: interp.mac_version.as_deref(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::Libc;
    use crate::testing::cpython311;

    #[test]
    fn cpython_on_glibc() {
        let t = SupportedTags::for_interpreter(&cpython311());
        assert!(t.is_supported("cp311", "cp311", "manylinux_2_17_x86_64"));
        assert!(t.is_supported("cp311", "cp311", "manylinux2014_x86_64"));
        assert!(t.is_supported("cp311", "cp311", "manylinux1_x86_64"));
        assert!(t.is_supported("cp39", "abi3", "manylinux_2_28_x86_64"));
        assert!(t.is_supported("py3", "none", "any"));
        assert!(t.is_supported("py2.py3".split('.').nth(1).unwrap(), "none", "any"));
        assert!(t.is_supported("cp311", "none", "any"));
        assert!(t.is_supported("py38", "none", "any"));
        assert!(!t.is_supported("cp312", "cp312", "manylinux_2_17_x86_64"));
        assert!(!t.is_supported("cp311", "cp311", "manylinux_2_39_x86_64"));
        assert!(!t.is_supported("cp311", "cp311", "musllinux_1_2_x86_64"));
        assert!(!t.is_supported("cp311", "cp311", "win_amd64"));
        assert!(!t.is_supported("cp311", "abi3", "any"));
        assert!(!t.is_supported("py2", "none", "any"));
        assert_eq!(t.best_platform, "manylinux_2_36_x86_64");
    }

    #[test]
    fn priority_follows_packaging_order() {
        let t = SupportedTags::for_interpreter(&cpython311());
        let rank = |p, a, pl| t.priority(p, a, pl).unwrap();
        // Newer manylinux before older, own ABI before abi3 before none, platform before any.
        assert!(rank("cp311", "cp311", "manylinux_2_36_x86_64") == 0);
        assert!(
            rank("cp311", "cp311", "manylinux_2_28_x86_64")
                < rank("cp311", "cp311", "manylinux_2_17_x86_64")
        );
        assert!(
            rank("cp311", "cp311", "linux_x86_64") < rank("cp311", "abi3", "manylinux_2_36_x86_64")
        );
        assert!(
            rank("cp311", "abi3", "manylinux_2_17_x86_64")
                < rank("cp39", "abi3", "manylinux_2_17_x86_64")
        );
        assert!(rank("py3", "none", "manylinux_2_17_x86_64") < rank("py3", "none", "any"));
        assert!(rank("cp311", "none", "any") < rank("py3", "none", "any"));
        assert_eq!(t.priority("cp312", "cp312", "linux_x86_64"), None);
    }

    #[test]
    fn free_threaded_has_no_abi3() {
        let mut i = cpython311();
        i.version = (3, 13, 0);
        i.abiflags = "t".into();
        i.gil_disabled = true;
        let t = SupportedTags::for_interpreter(&i);
        assert!(t.is_supported("cp313", "cp313t", "linux_x86_64"));
        assert!(!t.is_supported("cp313", "cp313", "linux_x86_64"));
        assert!(!t.is_supported("cp312", "abi3", "linux_x86_64"));
    }

    #[test]
    fn musl() {
        let mut i = cpython311();
        i.libc = Some(Libc {
            name: "musl".into(),
            version: "1.2.4".into(),
        });
        let t = SupportedTags::for_interpreter(&i);
        assert!(t.is_supported("cp311", "cp311", "musllinux_1_1_x86_64"));
        assert!(!t.is_supported("cp311", "cp311", "manylinux_2_17_x86_64"));
    }
}
