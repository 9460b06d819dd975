//! `winst plugins`: the plugins in effect, for people or as JSON.

use anyhow::Result;

use crate::args::PluginsArgs;
use winst_plugin_host::PluginConfig;

pub(crate) fn run(args: PluginsArgs, config: &PluginConfig) -> Result<()> {
    if args.json {
        let plugins: Vec<serde_json::Value> = config
            .plugins
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name,
                    "roles": p.roles,
                    "file": p.file_display(),
                    "origin": p.origin,
                    "limits": p.limits,
                    "config": serde_json::from_str::<serde_json::Value>(&p.config_json).unwrap_or_default(),
                })
            })
            .collect();
        let out = serde_json::json!({
            "plugins": plugins,
            "config_files": config.files,
            "roles": config.by_role(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if config.files.is_empty() {
        println!("Configuration files: none found");
    } else {
        println!("Configuration files (later ones override earlier ones):");
        for f in &config.files {
            println!("  {}", f.display());
        }
    }
    println!();
    for role in winst_plugin_host::Role::ALL {
        let names: Vec<&str> = config.chain(role).map(|p| p.name.as_str()).collect();
        let shown = if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join(" → ")
        };
        println!("{:<13} {shown}", format!("{}:", role.as_str()));
    }
    println!();
    for p in &config.plugins {
        let roles: Vec<&str> = p.roles.iter().map(|r| r.as_str()).collect();
        println!("{}", p.name);
        println!("  roles:  {}", roles.join(", "));
        println!("  file:   {}", p.file_display());
        println!("  from:   {}", p.origin);
        println!(
            "  limits: {} fuel, {} MiB memory, {} MiB reads per call",
            p.limits.fuel,
            p.limits.memory_bytes >> 20,
            p.limits.read_bytes >> 20
        );
        if p.config_json != "{}" {
            println!("  config: {}", p.config_json);
        }
    }
    Ok(())
}
