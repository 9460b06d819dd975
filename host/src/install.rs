//! `winst install`: the pipeline from wheel paths to a committed install.
//!
//! open (parallel) → check tags → scan installed → plan → write (parallel) → record → commit.
//! Each stage is a function in its own module taking and returning plain data; this module only
//! sequences them and times them. An error at any stage before commit leaves the environment as
//! it was.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;

use crate::error::WheelError;
use crate::installed;
use crate::plan::{self, PlanOptions};
use crate::record;
use crate::report::{Report, Timings};
use crate::scripts::ScriptGenerator;
use crate::tags::SupportedTags;
use crate::target::Target;
use crate::wheel::{self, OpenOptions, OpenedWheel};
use crate::write;

/// What the user asked for.
pub struct InstallOptions<'a> {
    /// Absolute paths of the wheels, in command-line order.
    pub wheels: Vec<PathBuf>,
    pub dry_run: bool,
    pub allow_overwrite: bool,
    pub verify_record: bool,
    pub scripts: &'a dyn ScriptGenerator,
}

/// Opens every wheel in parallel; the first failure in argument order wins.
pub fn open_all(paths: &[PathBuf], options: OpenOptions) -> Result<Vec<OpenedWheel>, WheelError> {
    paths
        .par_iter()
        .map(|p| wheel::open(p, options))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
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
            return Err(WheelError::new(
                &w.file_name,
                format!(
                    "this wheel is for {}; the target is {} ({}-{})",
                    w.filename.tag_string(),
                    target.interpreter.describe(),
                    tags.interpreter_tag,
                    tags.best_platform
                ),
            ));
        }
    }
    Ok(())
}

/// Installs the wheels into the target (or, with `dry_run`, only plans it).
pub fn install(target: &Target, options: &InstallOptions) -> Result<Report> {
    let start = Instant::now();
    let mut timings = Timings::default();
    let mut lap = Instant::now();
    let mut split = |slot: &mut f64| {
        *slot = lap.elapsed().as_secs_f64() * 1000.0;
        lap = Instant::now();
    };

    let wheels = open_all(
        &options.wheels,
        OpenOptions {
            verify_record: options.verify_record,
        },
    )?;
    check_tags(&wheels, target)?;
    split(&mut timings.open_ms);

    let scheme = &target.scheme;
    let installed = installed::scan(&[&scheme.purelib, &scheme.platlib]);
    let mut plan = plan::plan(
        &wheels,
        target,
        &installed,
        &PlanOptions {
            allow_overwrite: options.allow_overwrite,
            verify_record: options.verify_record,
            requested: true,
            scripts: options.scripts,
        },
    )?;
    split(&mut timings.plan_ms);

    let mut warnings: Vec<String> = wheels.iter().flat_map(|w| w.warnings.clone()).collect();
    warnings.extend(plan.warnings.iter().cloned());
    if options.dry_run {
        timings.total_ms = start.elapsed().as_secs_f64() * 1000.0;
        return Ok(Report::new(target, &wheels, &plan, warnings, timings, true));
    }

    let mut staged = write::write(&mut plan, &wheels, &target.interpreter.executable)?;
    split(&mut timings.write_ms);
    record::record(&plan, &wheels, &mut staged)?;
    split(&mut timings.record_ms);
    let committed = staged.commit(&plan.removals, &plan.stale_dist_infos)?;
    warnings.extend(committed.warnings);
    split(&mut timings.commit_ms);
    timings.total_ms = start.elapsed().as_secs_f64() * 1000.0;

    Ok(Report::new(
        target, &wheels, &plan, warnings, timings, false,
    ))
}
