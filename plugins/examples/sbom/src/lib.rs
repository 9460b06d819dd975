//! Example post-install plugin: a CycloneDX 1.5 SBOM for each installed project.
//!
//! Writes `sboms/winst.cdx.json` into each project's `.dist-info` (the location PEP 770 gives SBOM
//! files), describing the project (name, version, PyPI purl, license) with the wheel's sha256 and
//! every installed file with its hash. Configuration: `config = { author = "ACME build" }`
//! (optional) names who made the SBOM.

use serde_json::json;
use winst_plugin_sdk::types::{ExtraFile, GeneratedFile, InstalledProject};
use winst_plugin_sdk::{Context, Plugin, host, register_plugin};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Config {
    author: Option<String>,
}

/// The purl name: PEP 503-normalized, as the purl spec asks for `pypi` packages.
fn purl_name(name: &str) -> String {
    winst_plugin_sdk::normalize(name)
}

struct Sbom;

impl Plugin for Sbom {
    type Config = Config;

    fn after_install(
        projects: Vec<InstalledProject>,
        cx: &Context<Config>,
    ) -> Result<Vec<ExtraFile>, String> {
        let (config, target) = (&cx.config, &cx.target);
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
                    let hex = f.sha256_hex()?;
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
