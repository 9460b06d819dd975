//! Example post-install plugin: a CycloneDX 1.5 SBOM for each installed project.
//!
//! Writes `sboms/winst.cdx.json` into each project's `.dist-info` (the location PEP 770 gives SBOM
//! files), describing the project (name, version, PyPI purl, license) with the wheel's sha256 and
//! every installed file with its hash. Configuration: `config = { author = "ACME build" }`
//! (optional) names who made the SBOM.

use serde_json::json;
use winst_plugin_sdk::types::{ExtraFile, GeneratedFile, InstalledProject, Target};
use winst_plugin_sdk::{Plugin, host, register_plugin};

#[derive(serde::Deserialize, Default)]
struct Config {
    author: Option<String>,
}

fn purl_name(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// `sha256=<urlsafe base64>` → hex, for CycloneDX hashes.
fn record_hash_to_hex(hash: &str) -> Option<String> {
    let b64 = hash.strip_prefix("sha256=")?;
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = String::new();
    for c in b64.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            b'=' => continue,
            _ => return None,
        } as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push_str(&format!("{:02x}", (bits >> nbits) & 0xff));
        }
    }
    Some(out)
}

struct Sbom;

impl Plugin for Sbom {
    fn after_install(
        projects: Vec<InstalledProject>,
        target: Target,
    ) -> Result<Vec<ExtraFile>, String> {
        let config: Config = host::config()?;
        let mut out = Vec::new();
        for p in &projects {
            let purl = format!("pkg:pypi/{}@{}", purl_name(&p.name), p.version);
            let mut component = json!({
                "type": "library",
                "bom-ref": purl,
                "name": p.name,
                "version": p.version,
                "purl": purl,
                "hashes": [{"alg": "SHA-256", "content": p.wheel_sha256}],
                "properties": [{"name": "winst:wheel", "value": p.wheel}],
            });
            if let Some(expr) = p.metadata_field("License-Expression") {
                component["licenses"] = json!([{"expression": expr}]);
            }
            let files: Vec<_> = p
                .files
                .iter()
                .filter_map(|f| {
                    let hex = record_hash_to_hex(f.hash.as_deref()?)?;
                    Some(json!({
                        "type": "file",
                        "name": f.path,
                        "hashes": [{"alg": "SHA-256", "content": hex}],
                    }))
                })
                .collect();
            component["components"] = json!(files);
            let mut metadata = json!({
                "tools": {"components": [{"type": "application", "name": "winst"}]},
                "component": component,
                "properties": [
                    {"name": "winst:python", "value": format!("{} {}", target.implementation, target.python_version)},
                    {"name": "winst:platform", "value": target.platform},
                ],
            });
            if let Some(author) = &config.author {
                metadata["authors"] = json!([{"name": author}]);
            }
            let bom = json!({
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "version": 1,
                "metadata": metadata,
            });
            out.push(ExtraFile {
                project: p.name.clone(),
                file: GeneratedFile {
                    name: "sboms/winst.cdx.json".to_string(),
                    contents: serde_json::to_vec_pretty(&bom).map_err(|e| e.to_string())?,
                    executable: false,
                },
            });
        }
        host::info(&format!("wrote SBOMs for {} projects", out.len()));
        Ok(out)
    }
}

register_plugin!(Sbom, roles = ["post-install"]);
