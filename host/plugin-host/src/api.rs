//! Plugin API versions: which `winst:plugin` interface a component was built against, and whether
//! this winst runs it.
//!
//! Every released version of the interface is frozen in `wit/since_vX.Y.Z/` and stays supported:
//! the runtime binds each one and adapts it to the current types ([`super::runtime`]). A component
//! says which version it was built against in a `winst-api-version` custom section (text such as
//! `0.2.0`, written by the SDK's `register_plugin!`); components made before that section existed
//! (API 0.1.0) are recognized by the version in their `winst:plugin/...@X.Y.Z` import and export
//! names. A version this winst does not know is refused with a message naming both versions.
//!
//! Not here: binding or calling anything (the runtime), or reading roles ([`super::config`]).

use std::fmt;

/// A `winst:plugin` package version (semver, as in the WIT `package` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl ApiVersion {
    pub const V0_1_0: ApiVersion = ApiVersion::new(0, 1, 0);
    pub const V0_2_0: ApiVersion = ApiVersion::new(0, 2, 0);

    pub const fn new(major: u32, minor: u32, patch: u32) -> ApiVersion {
        ApiVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parses `X.Y.Z` (three decimal numbers); `None` for anything else.
    pub fn parse(text: &str) -> Option<ApiVersion> {
        let mut parts = text.trim().split('.').map(|p| p.parse::<u32>().ok());
        let v = ApiVersion::new(parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(v)
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The versions this winst runs, oldest first; the last is the current one.
pub const SUPPORTED: &[ApiVersion] = &[ApiVersion::V0_1_0, ApiVersion::V0_2_0];
/// The version the SDK of this checkout builds against.
pub const CURRENT: ApiVersion = ApiVersion::V0_2_0;
/// The custom section that carries a component's API version.
pub const SECTION: &str = "winst-api-version";

/// The contents of the first custom section called `name`, at any depth (the SDK's sections sit
/// in the component's core module).
pub fn custom_section<'a>(bytes: &'a [u8], name: &str) -> Option<&'a [u8]> {
    wasmparser::Parser::new(0)
        .parse_all(bytes)
        .find_map(|payload| match payload {
            Ok(wasmparser::Payload::CustomSection(s)) if s.name() == name => Some(s.data()),
            _ => None,
        })
}

/// The names a component imports and exports at its top level (`winst:plugin/host@0.2.0`,
/// `wasi:cli/environment@0.2.0`), each list deduplicated in order.
pub fn interfaces(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut imports, mut exports) = (Vec::<String>::new(), Vec::<String>::new());
    let mut depth = 0usize;
    let add = |list: &mut Vec<String>, name: &str| {
        if !list.iter().any(|n| n == name) {
            list.push(name.to_string());
        }
    };
    for payload in wasmparser::Parser::new(0).parse_all(bytes).flatten() {
        match payload {
            wasmparser::Payload::ModuleSection { .. }
            | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::ComponentImportSection(r) if depth == 0 => r
                .into_iter()
                .flatten()
                .for_each(|i| add(&mut imports, i.name.name)),
            wasmparser::Payload::ComponentExportSection(r) if depth == 0 => r
                .into_iter()
                .flatten()
                .for_each(|e| add(&mut exports, e.name.name)),
            _ => {}
        }
    }
    (imports, exports)
}

/// Versions of the `winst:plugin` interfaces a component imports or exports
/// (`winst:plugin/host@0.1.0`), deduplicated.
fn interface_versions(bytes: &[u8]) -> Vec<String> {
    let (imports, exports) = interfaces(bytes);
    let mut out: Vec<String> = Vec::new();
    for name in imports.iter().chain(&exports) {
        if let Some((_, v)) = name
            .strip_prefix("winst:plugin/")
            .and_then(|n| n.split_once('@'))
            && !out.iter().any(|o| o == v)
        {
            out.push(v.to_string());
        }
    }
    out
}

/// Whether `bytes` is a core WebAssembly module (not a component).
pub fn is_core_module(bytes: &[u8]) -> bool {
    matches!(
        wasmparser::Parser::new(0).parse_all(bytes).next(),
        Some(Ok(wasmparser::Payload::Version {
            encoding: wasmparser::Encoding::Module,
            ..
        }))
    )
}

/// The API version a component was built against, as it declares it (see the module docs).
/// Errors: not a component, a malformed section, no version at all, or mixed versions.
pub fn declared(bytes: &[u8]) -> Result<ApiVersion, String> {
    if is_core_module(bytes) {
        return Err("it is a core WebAssembly module, not a component: make it a component with `winst plugin build` (or wit-component)".to_string());
    }
    if let Some(data) = custom_section(bytes, SECTION) {
        let text = String::from_utf8_lossy(data);
        return ApiVersion::parse(&text).ok_or_else(|| {
            format!(
                "its `{SECTION}` section says `{}`, not a version X.Y.Z",
                text.escape_default()
            )
        });
    }
    match interface_versions(bytes).as_slice() {
        [one] => ApiVersion::parse(one)
            .ok_or_else(|| format!("it uses `winst:plugin` interfaces of version `{one}`, not a version X.Y.Z")),
        [] => Err("it neither imports nor exports any `winst:plugin` interface, so it is not a winst plugin".to_string()),
        many => Err(format!(
            "it mixes `winst:plugin` interface versions ({}); build it against one",
            many.join(", ")
        )),
    }
}

/// Checks that this winst runs components of `version`; the error names both versions and the
/// fix.
pub fn check_supported(version: ApiVersion) -> Result<ApiVersion, String> {
    if SUPPORTED.contains(&version) {
        return Ok(version);
    }
    let runs = SUPPORTED
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let winst = env!("CARGO_PKG_VERSION");
    if version > CURRENT {
        Err(format!(
            "it was built against winst plugin API {version}, newer than this winst {winst} knows (it runs API {runs}, newest {CURRENT}): upgrade winst, or rebuild the plugin with winst-plugin-sdk for API {CURRENT}"
        ))
    } else {
        Err(format!(
            "it was built against winst plugin API {version}, which this winst {winst} does not run (it runs API {runs}): rebuild the plugin with winst-plugin-sdk for API {CURRENT}"
        ))
    }
}

/// [`declared`] then [`check_supported`].
pub fn version_of(bytes: &[u8]) -> Result<ApiVersion, String> {
    declared(bytes).and_then(check_supported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(ApiVersion::parse("0.2.0"), Some(ApiVersion::V0_2_0));
        assert_eq!(
            ApiVersion::parse(" 1.10.3\n"),
            Some(ApiVersion::new(1, 10, 3))
        );
        for bad in ["", "0.2", "0.2.0.1", "a.b.c", "0.2.-1"] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad}");
        }
        assert!(ApiVersion::new(0, 10, 0) > ApiVersion::V0_2_0);
    }

    #[test]
    fn unknown_versions_are_refused_naming_both() {
        let newer = check_supported(ApiVersion::new(0, 9, 0)).unwrap_err();
        assert!(
            newer.contains("API 0.9.0") && newer.contains("newest 0.2.0"),
            "{newer}"
        );
        assert!(newer.contains("upgrade winst"), "{newer}");
        let older = check_supported(ApiVersion::new(0, 0, 1)).unwrap_err();
        assert!(
            older.contains("API 0.0.1") && older.contains("0.1.0, 0.2.0"),
            "{older}"
        );
        assert_eq!(check_supported(ApiVersion::V0_1_0), Ok(ApiVersion::V0_1_0));
    }

    #[test]
    fn a_core_module_is_not_a_component() {
        let module = b"\0asm\x01\0\0\0";
        assert!(is_core_module(module));
        assert!(
            declared(module)
                .unwrap_err()
                .contains("core WebAssembly module")
        );
    }
}
