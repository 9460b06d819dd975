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
/// and `uv pip list` show them (`charset-normalizer`, `Django`), sorted by normalized name, and
/// the `INSTALLER` that installed it.
pub(crate) fn list(args: ListArgs) -> Result<()> {
    let target = args.env.resolve()?;
    let _lock = open_env(&target)?;
    let mut projects = load_projects(&target)?;
    projects.sort_by(|a, b| a.normalized.cmp(&b.normalized));
    let installer = |p: &crate::check::Project| {
        std::fs::read_to_string(p.dist_info.join("INSTALLER"))
            .ok()
            .map(|s| s.trim().to_string())
    };
    if args.format == ListFormat::Json {
        let rows: Vec<serde_json::Value> = projects
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name,
                    "version": p.version,
                    "installer": installer(p),
                    "location": p.dist_info.parent(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let width = |f: &dyn Fn(&crate::check::Project) -> usize, min: usize| {
        projects.iter().map(f).max().unwrap_or(0).max(min)
    };
    let nw = width(&|p| p.name.len(), 7);
    let vw = width(&|p| p.version.len(), 7);
    println!("{:<nw$} {:<vw$} Installer", "Package", "Version");
    println!("{} {} {}", "-".repeat(nw), "-".repeat(vw), "-".repeat(9));
    for p in &projects {
        println!(
            "{:<nw$} {:<vw$} {}",
            p.name,
            p.version,
            installer(p).unwrap_or_default()
        );
    }
    Ok(())
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
