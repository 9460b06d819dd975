//! `winst install`: from arguments to the install pipeline ([`crate::pipeline`]) and back to
//! the summary, the JSON report or the dry-run listing.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use super::{lockfile, open_env};
use crate::args::InstallArgs;
use crate::pipeline::{self, InstallOptions};
use crate::report::LockReport;
use crate::ui::{self, Paint, progress};
use winst_plugin_host::{PluginConfig, PluginHost};

/// Turns the arguments into wheel paths: files as given, directories expanded to their wheels.
fn expand_wheel_args(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    // Looked at in parallel: an install of a thousand wheels names a thousand files.
    let metas: Vec<std::io::Result<std::fs::Metadata>> =
        args.par_iter().map(std::fs::metadata).collect();
    for (arg, meta) in args.iter().zip(metas) {
        let meta = meta.map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow::anyhow!(
                "{}: no such file or directory; check the path (winst installs wheel files you \
                 already have; it does not download)",
                arg.display()
            ),
            _ => anyhow::anyhow!("cannot read {}: {e}", arg.display()),
        })?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(arg)
                .with_context(|| format!("cannot list {}", arg.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "whl") && p.is_file())
                .collect();
            if found.is_empty() {
                bail!(
                    "{} contains no .whl files; put the wheels there (for example with \
                     `python -m pip download --only-binary=:all: --dest {} NAME`) or pass them \
                     by path",
                    arg.display(),
                    arg.display()
                );
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(arg.clone());
        }
    }
    let mut absolute = Vec::with_capacity(out.len());
    let mut seen = std::collections::HashSet::with_capacity(out.len());
    for p in out {
        let abs =
            std::path::absolute(&p).with_context(|| format!("cannot resolve {}", p.display()))?;
        if seen.insert(abs.clone()) {
            absolute.push(abs);
        }
    }
    Ok(absolute)
}

/// The editable wheels of an install and the temporary directories the built ones live in.
struct Editables {
    /// (wheel, project directory), both absolute.
    wheels: Vec<(PathBuf, PathBuf)>,
    _build_dirs: Vec<tempfile::TempDir>,
}

/// The editable wheels of the install, each with its project directory: those given with
/// `--editable-wheel`, and those built from `-e` projects into temporary directories.
fn editables(args: &InstallArgs, target_python: &Path) -> Result<Editables> {
    let absolute = |p: &Path| -> Result<PathBuf> {
        let abs =
            std::path::absolute(p).with_context(|| format!("cannot resolve {}", p.display()))?;
        if !abs.exists() {
            bail!("{}: no such file or directory", p.display());
        }
        Ok(abs)
    };
    let mut out = Vec::new();
    for pair in args.editable_wheel.chunks(2) {
        let [wheel, project] = pair else {
            bail!("--editable-wheel takes a wheel and its project directory");
        };
        out.push((absolute(wheel)?, absolute(project)?));
    }
    let python = crate::editable_build::build_python(args.build_python.as_deref(), target_python)?;
    let mut dirs = Vec::new();
    for project in &args.editable {
        let project = absolute(project)?;
        let dir = tempfile::Builder::new()
            .prefix("winst-editable-")
            .tempdir()
            .context("cannot make a directory for the editable wheel")?;
        log::info!("building an editable wheel of {}", project.display());
        let wheel = crate::editable_build::build(&project, &python, dir.path())?;
        out.push((wheel, project));
        dirs.push(dir);
    }
    Ok(Editables {
        wheels: out,
        _build_dirs: dirs,
    })
}

/// Runs `winst install`, or with `sync` (`Some(exact)`) `winst sync`.
pub(crate) fn run(
    args: InstallArgs,
    plugin_config: &PluginConfig,
    sync: Option<bool>,
) -> Result<()> {
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            bail!("--jobs must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global()
            .context("cannot start the worker threads")?;
    }
    args.cache.set_dir(args.dry_run)?;
    let mut given = expand_wheel_args(&args.wheels)?;
    let target = args.env.resolve()?;
    // Like pip, a `--dry-run` report (`--json`) may look at a protected environment.
    if !(args.dry_run && args.json) {
        args.pep668.check(&target)?;
    }
    let limits = args.untrusted.limits(&plugin_config.install)?;
    if limits.is_some() && !args.editable.is_empty() {
        bail!(
            "-e runs the project's build backend, which untrusted mode does not allow; build the \
             editable wheel yourself and give it with --editable-wheel WHEEL PROJECT_DIR"
        );
    }
    let editable = editables(&args, &target.interpreter.executable)?;
    for (wheel, _) in &editable.wheels {
        if !given.contains(wheel) {
            given.push(wheel.clone());
        }
    }
    if limits.is_some() && args.no_verify_record {
        bail!(
            "--no-verify-record cannot be used in untrusted mode: RECORD is what proves the files"
        );
    }
    let plugins = if limits.is_some() {
        let mut tightened = plugin_config.clone();
        for p in &mut tightened.plugins {
            p.limits = p.limits.untrusted();
        }
        PluginHost::load(&tightened)?
    } else {
        PluginHost::load(plugin_config)?
    };
    // A dry run reads no cache and must not create one.
    let (cache, cache_warning) = if args.dry_run {
        (None, None)
    } else {
        args.cache.open()?
    };
    let lockfile::Inputs {
        selection,
        known_sha256,
        wheels,
        keep,
    } = lockfile::inputs(
        &args.lock,
        &target,
        cache.as_ref(),
        limits.is_some(),
        given,
        sync,
    )?;
    let _lock = open_env(&target)?;
    let progress = progress::Progress::new();
    let display = progress::Display::start(&progress);
    let report = pipeline::install(
        &target,
        &InstallOptions {
            wheels,
            dry_run: args.dry_run,
            allow_overwrite: args.allow_overwrite,
            reinstall: args.reinstall,
            verify_record: !args.no_verify_record,
            limits,
            plugins: &plugins,
            cache: cache.as_ref(),
            compile: args.compile,
            progress: &progress,
            editable: editable.wheels.clone(),
            keep: keep.as_ref(),
            known_sha256: &known_sha256,
        },
    );
    // The bar goes before anything else is printed, on success and on error alike.
    display.finish();
    let mut report = report?;
    if let Some(selection) = selection {
        report.lock = Some(LockReport::new(selection, &report));
    }
    // Warnings about the install itself come before the summary; unmet requirements of the
    // environment after it, as uv prints them. The cache's was printed when it was opened: it
    // joins the report's list (first) for `--json`.
    for w in &report.warnings {
        ui::warn(w);
    }
    if let Some(w) = cache_warning {
        report.warnings.insert(0, w);
    }
    let install_warnings = report.warnings.len();
    crate::check::add_to_report(&target, &mut report);
    ui::summary::log_details(&report);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if args.dry_run {
        print!("{}", ui::summary::install(&report, Paint::stdout()));
    } else if ui::settings().verbosity >= 0 {
        ui::write_stderr(&ui::summary::install(&report, Paint::stderr()));
    }
    for w in &report.warnings[install_warnings..] {
        ui::warn(w);
    }
    Ok(())
}
