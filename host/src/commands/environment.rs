//! The commands that look at or change an environment's installed projects: `uninstall`,
//! `list`, `check`, `show` and `repair`.

use anyhow::{Result, bail};

use super::open_env;
use crate::args::{
    CheckArgs, CheckFormat, ListArgs, ListFormat, RepairArgs, ShowArgs, UninstallArgs,
};
use crate::ui::{self, Paint};
use winst_install::uninstall as uninstalling;
use winst_python::target::Target;

pub(crate) fn uninstall(args: UninstallArgs) -> Result<()> {
    let target = args.env.resolve()?;
    args.pep668.check(&target)?;
    let _lock = open_env(&target)?;
    let start = std::time::Instant::now();
    let report = uninstalling::uninstall(&target, &args.names, args.dry_run)?;
    let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
    for w in &report.warnings {
        ui::warn(w);
    }
    for p in &report.projects {
        log::debug!("{}=={}: {} files", p.name, p.version, p.files);
        for s in &p.shared {
            log::info!("kept {} (another installed project lists it)", s.display());
        }
    }
    if ui::settings().verbosity >= 0 {
        ui::write_stderr(&ui::summary::uninstall(
            &report,
            elapsed_ms,
            Paint::stderr(),
        ));
    }
    Ok(())
}

/// `winst list`: every installed project with METADATA's `Name` and `Version` as `pip list`
/// and `uv pip list` show them (`charset-normalizer`, `Django`), sorted by normalized name, the
/// `INSTALLER` that installed it and, for an editable install (PEP 610 `dir_info.editable`),
/// its project directory (pip's `editable_project_location`).
pub(crate) fn list(args: ListArgs) -> Result<()> {
    let target = args.env.resolve()?;
    let _lock = open_env(&target)?;
    let mut projects = load_projects(&target)?;
    projects.sort_by(|a, b| a.normalized.cmp(&b.normalized));
    let rows: Vec<serde_json::Value> = projects
        .iter()
        .map(|p| {
            let installer = std::fs::read_to_string(p.dist_info.join("INSTALLER"))
                .ok()
                .map(|s| s.trim().to_string());
            let mut row = serde_json::json!({
                "name": p.name,
                "version": p.version,
                "installer": installer,
                "location": p.dist_info.parent(),
            });
            if let Some(dir) = editable_location(&p.dist_info) {
                row["editable_project_location"] = dir.into();
            }
            row
        })
        .collect();
    if args.format == ListFormat::Json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let cell = |r: &serde_json::Value, k: &str| r[k].as_str().unwrap_or_default().to_string();
    let editable = rows
        .iter()
        .any(|r| r.get("editable_project_location").is_some());
    let mut table = vec![
        [
            "Package",
            "Version",
            "Installer",
            "Editable project location",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in &rows {
        let keys = ["name", "version", "installer", "editable_project_location"];
        table.push(keys.iter().map(|k| cell(r, k)).collect());
    }
    let columns = if editable { 4 } else { 3 };
    let widths: Vec<usize> = (0..columns)
        .map(|c| table.iter().map(|r| r[c].len()).max().unwrap_or(0).max(7))
        .collect();
    table.insert(1, widths.iter().map(|w| "-".repeat(*w)).collect());
    for r in &table {
        let line: Vec<String> = (0..columns)
            .map(|c| format!("{:<w$}", r[c], w = widths[c]))
            .collect();
        println!("{}", line.join(" ").trim_end());
    }
    Ok(())
}

/// The project directory of an editable install: the `file://` URL of its `direct_url.json`
/// when `dir_info.editable` is true (percent-decoded), else `None`.
fn editable_location(dist_info: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(dist_info.join("direct_url.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    if value["dir_info"]["editable"] != serde_json::Value::Bool(true) {
        return None;
    }
    let url = url::Url::parse(value["url"].as_str()?).ok()?;
    Some(url.to_file_path().ok()?.display().to_string())
}

/// The projects installed in the target, with requirements evaluated for its interpreter.
fn load_projects(target: &Target) -> Result<Vec<crate::check::Project>> {
    let env = crate::check::marker_environment(&target.interpreter)?;
    let scheme = &target.scheme;
    Ok(crate::check::load(
        &[&scheme.purelib, &scheme.platlib],
        &env,
    ))
}

pub(crate) fn check(args: CheckArgs) -> Result<()> {
    let target = args.env.resolve()?;
    let _lock = open_env(&target)?;
    let problems = crate::check::check(&load_projects(&target)?, None);
    if args.format == CheckFormat::Json {
        println!("{}", serde_json::to_string_pretty(&problems)?);
    } else {
        for p in &problems {
            match p {
                crate::check::Problem::Unreadable { .. } => eprintln!("warning: {p}"),
                _ => println!("{p}"),
            }
        }
        if problems.is_empty() {
            println!("No broken requirements found.");
        }
    }
    if !problems.is_empty() {
        bail!(
            "{} broken requirement(s) in {}: install or upgrade the projects named above",
            problems.len(),
            target.scheme.purelib.display()
        );
    }
    Ok(())
}

pub(crate) fn show(args: ShowArgs) -> Result<()> {
    let target = args.env.resolve()?;
    let _lock = open_env(&target)?;
    let (found, missing) = crate::show::show(&load_projects(&target)?, &args.names);
    for (i, p) in found.iter().enumerate() {
        if i > 0 {
            println!("---");
        }
        print!("{}", p.text(args.files));
    }
    if !missing.is_empty() {
        bail!(
            "Package(s) not found: {} (not installed in {})",
            missing.join(", "),
            target.scheme.purelib.display()
        );
    }
    Ok(())
}

pub(crate) fn repair(args: RepairArgs) -> Result<()> {
    let target = args.env.resolve()?;
    let (_lock, recovery) = open_env(&target)?;
    if recovery.is_none() {
        log::info!(
            "nothing to repair in {}: no interrupted transaction",
            target.state_dir().display()
        );
    }
    Ok(())
}
