//! `winst plugins`: the plugins in effect, for people or as JSON, each validated: its sha256
//! (and the pin in `winst.toml`, if any), its API version, and whether it links and exports the
//! roles it is configured for. A plugin that cannot run is listed with the problem and its fix,
//! and the command then fails, so a deployment can be checked before an install meets it.

use anyhow::{Result, bail};
use rayon::prelude::*;

use crate::args::PluginsArgs;
use winst_plugin_host::{PluginConfig, PluginSource, PluginSpec, api, runtime};

/// What validating one configured plugin found.
struct Status {
    sha256: Option<String>,
    api: Option<String>,
    problems: Vec<String>,
}

fn status(spec: &PluginSpec) -> Status {
    let bytes = match &spec.source {
        PluginSource::Builtin(b) => b.to_vec(),
        PluginSource::File(p) => match std::fs::read(p) {
            Ok(b) => b,
            Err(e) => {
                return Status {
                    sha256: None,
                    api: None,
                    problems: vec![format!(
                        "cannot read {}: {e}; fix `file` in {}",
                        p.display(),
                        spec.origin
                    )],
                };
            }
        },
    };
    let mut problems: Vec<String> = runtime::pin_mismatch(spec, &bytes).into_iter().collect();
    if let Some(declared) = winst_plugin_host::config::declared_roles(&bytes) {
        let undeclared: Vec<&str> = spec
            .roles
            .iter()
            .filter(|r| !declared.contains(r))
            .map(|r| r.as_str())
            .collect();
        if !undeclared.is_empty() {
            let declared: Vec<&str> = declared.iter().map(|r| r.as_str()).collect();
            problems.push(format!(
                "it is configured for {} but declares only {} (the SDK's default for an unimplemented policy denies every wheel): fix `roles` in {}",
                undeclared.join(", "),
                declared.join(", "),
                spec.origin
            ));
        }
    }
    problems.extend(runtime::problems(&bytes, &spec.roles));
    Status {
        sha256: Some(runtime::sha256_hex(&bytes)),
        api: api::declared(&bytes).ok().map(|v| v.to_string()),
        problems,
    }
}

pub(crate) fn run(args: PluginsArgs, config: &PluginConfig) -> Result<()> {
    let statuses: Vec<Status> = config.plugins.par_iter().map(status).collect();
    let broken = statuses.iter().filter(|s| !s.problems.is_empty()).count();
    show(&args, config, &statuses)?;
    if broken > 0 {
        bail!(
            "{broken} of the configured plugins cannot run: see `problem:` above for each and its fix"
        );
    }
    Ok(())
}

fn show(args: &PluginsArgs, config: &PluginConfig, statuses: &[Status]) -> Result<()> {
    if args.json {
        let plugins: Vec<serde_json::Value> = config
            .plugins
            .iter()
            .zip(statuses)
            .map(|(p, s)| {
                serde_json::json!({
                    "sha256": s.sha256,
                    "api_version": s.api,
                    "problems": s.problems,
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
    for (p, s) in config.plugins.iter().zip(statuses) {
        let roles: Vec<&str> = p.roles.iter().map(|r| r.as_str()).collect();
        println!("{}", p.name);
        println!("  roles:  {}", roles.join(", "));
        println!("  file:   {}", p.file_display());
        println!(
            "  sha256: {}",
            s.sha256.as_deref().unwrap_or("(unreadable)")
        );
        println!("  API:    {}", s.api.as_deref().unwrap_or("(unknown)"));
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
        if s.problems.is_empty() {
            println!("  status: ok");
        }
        for problem in &s.problems {
            println!("  problem: {problem}");
        }
    }
    Ok(())
}
