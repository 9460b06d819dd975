//! The commands that look at or change an environment's installed projects: `uninstall`,
//! `list`, `check`, `show` and `repair`.

use anyhow::{Result, bail};

use super::open_env;
use crate::args::{
    CheckArgs, CheckFormat, ListArgs, ListFormat, RepairArgs, ShowArgs, UninstallArgs,
};
use crate::ui::{self, Paint};
use winst_install::uninstall as uninstalling;
use winst_python::installed;
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

pub(crate) fn list(args: ListArgs) -> Result<()> {
    let target = args.env.resolve()?;
    let _lock = open_env(&target)?;
    let scheme = &target.scheme;
    let mut dists = installed::scan(&[&scheme.purelib, &scheme.platlib]);
    dists.sort_by(|a, b| a.normalized.cmp(&b.normalized));
    if args.format == ListFormat::Json {
        let rows: Vec<serde_json::Value> = dists
            .iter()
            .map(|d| {
                serde_json::json!({
                    "name": d.name,
                    "version": d.version,
                    "installer": d.installer,
                    "location": d.dist_info.parent(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let width = |f: &dyn Fn(&installed::InstalledDist) -> usize, min: usize| {
        dists.iter().map(f).max().unwrap_or(0).max(min)
    };
    let nw = width(&|d| d.name.len(), 7);
    let vw = width(&|d| d.version.len(), 7);
    println!("{:<nw$} {:<vw$} Installer", "Package", "Version");
    println!("{} {} {}", "-".repeat(nw), "-".repeat(vw), "-".repeat(9));
    for d in &dists {
        println!(
            "{:<nw$} {:<vw$} {}",
            d.name,
            d.version,
            d.installer.as_deref().unwrap_or("")
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
