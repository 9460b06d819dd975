//! `winst install`: the pipeline from wheel paths to a committed install.
//!
//! open (parallel) → check tags → check (policy plugins) → launchers and editable layouts
//! (plugins) → plan → write (parallel) → post-install (plugins) → record → commit. Each stage is a
//! function in its own module taking and returning plain data; this module only sequences and
//! times them. An error at any stage before commit leaves the environment as it was; the caller
//! holds the environment's lock ([`winst_install::lock`]) and has recovered it ([`winst_install::txn::recover`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use sha2::Digest as _;

use crate::report::{NoPlan, Report, Timings};
use winst_install::audit::{self, AuditOptions, Audited};
use winst_install::cache::WheelCache;
use winst_install::cache_use;
use winst_install::compile;
use winst_install::dist_info::{self, StagedExtra};
use winst_install::plan::{self, PlanOptions};
use winst_install::progress::{Progress, Stage};
use winst_install::write;
use winst_plugin_host::hooks::{self, wit_target};
use winst_plugin_host::runtime::wit;
use winst_plugin_host::{PluginHost, Role};
use winst_python::installed::{self, InstalledDist};
use winst_python::tags::SupportedTags;
use winst_python::target::Target;
use winst_wheel::error::WheelError;
use winst_wheel::{OpenOptions, OpenedWheel};

/// What the user asked for.
pub struct InstallOptions<'a> {
    /// Absolute paths of the wheels, in command-line order.
    pub wheels: Vec<PathBuf>,
    pub dry_run: bool,
    pub allow_overwrite: bool,
    /// Install wheels whose projects are installed already from the same files, too.
    pub reinstall: bool,
    pub verify_record: bool,
    /// Untrusted mode's limits, when it is on.
    pub limits: Option<winst_wheel::limits::UntrustedLimits>,
    pub plugins: &'a PluginHost,
    /// The unpacked-wheel cache, unless disabled.
    pub cache: Option<&'a WheelCache>,
    /// Compile `.py` files to bytecode (`--compile`).
    pub compile: bool,
    /// Counters the progress display reads ([`crate::ui::progress`]).
    pub progress: &'a Progress,
    /// Wheels a frontend said are editable (PEP 660), by absolute wheel path, with the absolute
    /// project directory each was built from (`-e`, `--editable-wheel`).
    pub editable: Vec<(PathBuf, PathBuf)>,
    /// `winst sync`: the normalized names of the projects to keep; every other installed
    /// project is removed in the same transaction. `None` for `winst install`.
    pub keep: Option<&'a std::collections::HashSet<String>>,
    /// The sha256 of wheel files verified already (against a lock), by path: not hashed again.
    pub known_sha256: &'a std::collections::HashMap<PathBuf, [u8; 32]>,
}

/// Refuses a wheel none of whose tags the target supports.
pub fn check_tags(wheels: &[OpenedWheel], target: &Target) -> Result<(), WheelError> {
    let tags = SupportedTags::for_interpreter(&target.interpreter);
    for w in wheels {
        if !w
            .filename
            .tags()
            .any(|(p, a, pl)| tags.is_supported(p, a, pl))
        {
            let wheel_tags: Vec<_> = w.filename.tags().collect();
            return Err(WheelError::new(
                &w.file_name,
                winst_python::tagnames::mismatch(&wheel_tags, &tags, &target.interpreter),
            ));
        }
    }
    Ok(())
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Installs the wheels into the target (or, with `dry_run`, only plans it).
pub fn install(target: &Target, options: &InstallOptions) -> Result<Report> {
    let start = Instant::now();
    let mut timings = Timings {
        plugins_load_ms: options.plugins.load_ms,
        ..Timings::default()
    };
    let plugins = options.plugins;
    let progress = options.progress;

    // Wheels installed already from the same files are left alone (part of opening them).
    progress.set_wheels(options.wheels.len());
    progress.stage(Stage::Opening);
    let lap = Instant::now();
    let scheme = &target.scheme;
    // The audit needs only the dist-info directories; every installed RECORD is read in full
    // (for the plan's conflict checks) only when something is left to do.
    let listed = installed::list(&[&scheme.purelib, &scheme.platlib]);
    let (paths, audited) = audit_wheels(options, &listed);
    let to_remove =
        |d: &installed::DistInfoDir| options.keep.is_some_and(|k| !k.contains(&d.normalized()));
    if paths.is_empty() && !listed.iter().any(to_remove) {
        timings.audit_ms = ms(lap);
        timings.total_ms = timings.plugins_load_ms + ms(start);
        let mut report = Report::new(target, &[], &NoPlan, Vec::new(), timings, options.dry_run);
        report.audited = audited;
        return Ok(report);
    }
    let installed = installed::read(listed);
    let remove: Vec<InstalledDist> = match options.keep {
        Some(keep) => (installed.iter())
            .filter(|d| !keep.contains(&d.normalized))
            .cloned()
            .collect(),
        None => Vec::new(),
    };
    timings.audit_ms = ms(lap);
    progress.set_wheels(paths.len());
    let lap = Instant::now();
    let open_options = OpenOptions {
        verify_record: options.verify_record,
        limits: options.limits,
    };
    let (wheels, found) = cache_use::open_all(&paths, open_options, options.cache)?;
    let opened_from_cache = found.iter().filter(|f| f.opened_from_cache()).count();
    let wheels: Arc<[OpenedWheel]> = wheels.into();
    check_tags(&wheels, target)?;
    timings.open_ms = ms(lap);

    progress.stage(Stage::Checking);
    let lap = Instant::now();
    let mut warnings: Vec<String> = wheels.iter().flat_map(|w| w.warnings.clone()).collect();
    warnings.extend(hooks::check(plugins, &wheels, target, &installed)?);
    timings.check_ms = ms(lap);

    let lap = Instant::now();
    let given: Vec<Option<String>> = wheels
        .iter()
        .map(|w| {
            let project = options.editable.iter().find(|(p, _)| *p == w.path)?;
            Some(dist_info::editable_direct_url(&project.1))
        })
        .collect();
    let (launchers, editable, direct_urls) = generated_files(plugins, &wheels, target, &given)?;
    timings.scripts_ms = ms(lap);

    let lap = Instant::now();
    let env = plan::DiskView::new(&scheme.purelib);
    let plan = plan::plan(
        &wheels,
        target,
        &installed,
        &env,
        &PlanOptions {
            allow_overwrite: options.allow_overwrite,
            verify_record: options.verify_record,
            requested: true,
            launchers: &launchers,
            editable: &editable,
            untrusted: options.limits.as_ref(),
            remove: &remove,
        },
    )?;
    warnings.extend(plan.warnings.iter().cloned());
    timings.plan_ms = ms(lap);

    if options.dry_run {
        timings.total_ms = timings.plugins_load_ms + ms(start);
        let mut report = Report::new(target, &wheels, &plan, warnings, timings, true);
        report.audited = audited;
        report.uninstalled = remove.iter().map(InstalledDist::spec).collect();
        return Ok(report);
    }

    winst_install::signals::check()?;
    let mut staged = write_stage(plan, &wheels, found, target, options, &mut timings)?;
    let from_cache = staged.from_cache;

    let mut extras = Vec::new();
    let mut compile_stats = None;
    if options.compile {
        winst_install::signals::check()?;
        progress.stage(Stage::Compiling);
        let lap = Instant::now();
        let (compiled, warns, stats) = compile::compile(
            &mut staged,
            &target.interpreter,
            options.cache.map(|c| c.base()),
            rayon::current_num_threads(),
            progress,
        )?;
        extras = compiled;
        warnings.extend(warns);
        compile_stats = Some(stats);
        timings.compile_ms = ms(lap);
    }

    progress.stage(Stage::Recording);
    let lap = Instant::now();
    if plugins.has(Role::PostInstall) {
        post_install(plugins, &wheels, &mut staged, target, &mut extras)?;
    }
    timings.post_install_ms = ms(lap);

    let lap = Instant::now();
    dist_info::write_files(&wheels, &mut staged, &direct_urls, &extras)?;
    timings.record_ms = ms(lap);

    winst_install::signals::check()?;
    progress.stage(Stage::Committing);
    let lap = Instant::now();
    // Unfinished cache entries are removed when dropped (on any error before they are finished).
    let cache_fill = std::mem::take(&mut staged.cache_fill);
    let cache_evict = std::mem::take(&mut staged.cache_evict);
    // What the report says of the files and wheels, taken before the commit consumes them.
    let mut report = Report::new(
        target,
        &wheels,
        &staged,
        Vec::new(),
        Timings::default(),
        false,
    );
    let committed = staged.commit()?;
    warnings.extend(committed.warnings);
    timings.commit_ms = ms(lap);

    let lap = Instant::now();
    if let Some(cache) = options.cache {
        write::finish_cache(cache, cache_fill, &cache_evict, &wheels);
    }
    timings.cache_fill_ms = ms(lap);
    timings.total_ms = timings.plugins_load_ms + ms(start);

    report.warnings = warnings;
    report.timings = timings;
    report.from_cache = from_cache;
    report.opened_from_cache = opened_from_cache;
    report.compile = compile_stats;
    report.audited = audited;
    report.uninstalled = remove.iter().map(InstalledDist::spec).collect();
    winst_install::release::in_background((wheels, installed, env));
    Ok(report)
}

/// The write stage: how each wheel uses the cache, then every file of every wheel written under
/// a temporary name (timed in `timings`).
fn write_stage(
    plan: plan::Plan,
    wheels: &[OpenedWheel],
    found: Vec<cache_use::Found>,
    target: &Target,
    options: &InstallOptions,
    timings: &mut Timings,
) -> Result<write::Staged> {
    let progress = options.progress;
    let mut per_wheel = vec![0; wheels.len()];
    for f in &plan.files {
        if let Some(n) = per_wheel.get_mut(f.wheel) {
            *n += 1;
        }
    }
    progress.start_writing(&per_wheel, plan.files.iter().map(|f| f.size_hint()).sum());
    let lap = Instant::now();
    let cache_plan = options.cache.map(|cache| {
        cache_use::plan_cache(
            cache,
            &plan,
            wheels,
            found,
            target.state_dir(),
            options.limits.is_some(),
        )
    });
    timings.cache_ms = ms(lap);

    let lap = Instant::now();
    let staged = write::write(
        plan,
        wheels,
        &target.interpreter.executable,
        target.state_dir(),
        cache_plan,
        &|p| options.known_sha256.get(p).copied(),
        progress,
    )?;
    timings.write_ms = ms(lap);
    Ok(staged)
}

/// Splits the wheels into those to install and those left alone because their projects are
/// installed already from the same files (none with `--reinstall`).
fn audit_wheels(
    options: &InstallOptions,
    installed: &[installed::DistInfoDir],
) -> (Vec<PathBuf>, Vec<Audited>) {
    let found = if options.reinstall {
        vec![None; options.wheels.len()]
    } else {
        let how = AuditOptions {
            cache: options.cache,
            untrusted: options.limits.is_some(),
            compile: options.compile,
            known_sha256: &|p| options.known_sha256.get(p).copied(),
        };
        let mut found = audit::audit(&options.wheels, installed, how);
        // An editable install is never "the same wheel again": its sources are elsewhere.
        for (path, audited) in options.wheels.iter().zip(found.iter_mut()) {
            if options.editable.iter().any(|(p, _)| p == path) {
                *audited = None;
            }
        }
        found
    };
    let paths = (options.wheels.iter().zip(&found))
        .filter(|(_, a)| a.is_none())
        .map(|(w, _)| w.clone())
        .collect();
    (paths, found.into_iter().flatten().collect())
}

/// Per wheel, what the scripts and editable plugins generate: the launchers of each entry
/// point, how an editable wheel's root files are laid out, and its `direct_url.json`.
type Generated = (
    Vec<Vec<winst_python::scripts::Launcher>>,
    Vec<Option<plan::EditableLayout>>,
    Vec<Option<String>>,
);

/// Asks the scripts plugin for the launchers and the editable plugin for the layout of each
/// editable wheel.
fn generated_files(
    plugins: &PluginHost,
    wheels: &Arc<[OpenedWheel]>,
    target: &Target,
    given_editable: &[Option<String>],
) -> Result<Generated> {
    let launchers = hooks::launchers(plugins, wheels, target)?;
    let overrides = hooks::editable(plugins, wheels, target, given_editable, |i| {
        // Only editable wheels need this before the write stage hashes every wheel anyway.
        let sha = std::fs::read(&wheels[i].path)
            .map(|b| sha2::Sha256::digest(&b).into())
            .unwrap_or([0u8; 32]);
        dist_info::archive_direct_url(&wheels[i].path, &sha)
    })?;
    let (editable, direct_urls): (Vec<Option<plan::EditableLayout>>, Vec<Option<String>>) =
        overrides
            .into_iter()
            .map(|o| match o {
                Some(o) => {
                    let layout = plan::EditableLayout {
                        drop: o.drop,
                        files: o.files,
                    };
                    (Some(layout), Some(o.direct_url))
                }
                None => (None, None),
            })
            .unzip();
    Ok((launchers, editable, direct_urls))
}

/// Runs the post-install plugins and stages the files they add to the projects' dist-info
/// directories, as extra RECORD rows.
fn post_install(
    plugins: &PluginHost,
    wheels: &[OpenedWheel],
    staged: &mut write::Staged,
    target: &Target,
    extras: &mut Vec<StagedExtra>,
) -> Result<()> {
    let projects = installed_projects(wheels, staged);
    let returned = plugins.after_install(&projects, &wit_target(target))?;
    for extra in hooks::extra_files(returned, wheels)? {
        let wp = &staged.wheels[extra.wheel];
        let lib_root = wp.lib_root;
        let rel = format!("{}/{}", wp.dist_info, extra.path);
        if let Some((parent, _)) = rel.rsplit_once('/') {
            staged.ensure_dir(lib_root, parent)?;
        }
        let written = staged.stage_bytes(lib_root, &rel, &extra.contents, false)?;
        extras.push(StagedExtra {
            wheel: extra.wheel,
            rel,
            written,
        });
    }
    Ok(())
}

/// What post-install plugins learn about each project: its files as RECORD will list them.
fn installed_projects(
    wheels: &[OpenedWheel],
    staged: &write::Staged,
) -> Vec<wit::InstalledProject> {
    // Each wheel's files, in one pass over the plan.
    let mut files: Vec<Vec<wit::InstalledFile>> = vec![Vec::new(); wheels.len()];
    for f in staged.files().iter() {
        if let Some(list) = files.get_mut(f.op.wheel) {
            list.push(wit::InstalledFile {
                path: f.record_path().into_owned(),
                hash: Some(write::record_hash(f.written)),
                size: Some(f.written.size),
            });
        }
    }
    (wheels.iter().zip(files).enumerate())
        .map(|(w, (wheel, files))| wit::InstalledProject {
            name: wheel.name().to_string(),
            version: wheel.version().to_string(),
            wheel: wheel.file_name.clone(),
            wheel_sha256: hex::encode(staged.wheel_hashes[w]),
            dist_info: staged.wheels[w].dist_info.clone(),
            files,
            scripts: staged.wheels[w].scripts.clone(),
            metadata: wheel.metadata.fields.clone(),
        })
        .collect()
}
