//! What an install did (or would do), for people (text) and programs (`--json`).
//!
//! Built from the plan and the opened wheels; printing is separate from building so the CLI
//! decides where output goes. Not here: deciding anything.

use std::path::PathBuf;

use serde::Serialize;

use winst_install::plan::PlanView;
use winst_python::target::{Layout, Scheme, Target};
use winst_wheel::OpenedWheel;

/// Milliseconds per stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Loading (or compiling) the plugins in effect.
    pub plugins_load_ms: f64,
    /// Scanning the installed projects and finding the wheels that are installed already from
    /// the same files.
    pub audit_ms: f64,
    pub open_ms: f64,
    /// Policy plugins.
    pub check_ms: f64,
    /// Scripts and editable plugins (launchers and editable layouts).
    pub scripts_ms: f64,
    pub plan_ms: f64,
    pub write_ms: f64,
    /// Post-install plugins.
    pub post_install_ms: f64,
    pub record_ms: f64,
    pub commit_ms: f64,
    /// Bytecode compilation (`--compile`).
    pub compile_ms: f64,
    /// Keying wheels and looking up the wheel cache.
    pub cache_ms: f64,
    /// Completing new cache entries after the commit.
    pub cache_fill_ms: f64,
    /// Checking the installed projects' requirements afterwards ([`crate::check`]), not in total.
    pub requirements_ms: f64,
    /// The whole install: every stage above (the plugins' loading, before the install proper,
    /// included) and the time between them, the requirements check not.
    pub total_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WheelReport {
    pub wheel: PathBuf,
    pub name: String,
    pub version: String,
    /// Files written for this project (launchers included, bookkeeping files excluded).
    pub files: usize,
    pub bytes: u64,
    pub scripts: Vec<String>,
    /// Installed versions this one replaces, as `name==version`.
    pub replaces: Vec<String>,
    /// Where the project's root files go (purelib or platlib).
    pub root: PathBuf,
    /// Its dist-info directory's name, in `root`.
    #[serde(skip)]
    pub dist_info: String,
    /// The wheel's `Requires-Dist` fields, as its METADATA (installed as it is) has them.
    #[serde(skip)]
    pub requires_dist: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub python: PathBuf,
    /// Where winst's knowledge of the interpreter came from: `query` (Python ran), `cache`, or
    /// `venv-template` (another venv of the same base interpreter, rebased).
    pub interpreter_answer: &'static str,
    pub version: String,
    /// The interpreter's `sys.prefix`.
    pub prefix: PathBuf,
    /// Where the install goes: the environment's prefix, or the `--target`/`--prefix` directory.
    pub destination: PathBuf,
    pub scheme: Scheme,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub target: TargetReport,
    pub wheels: Vec<WheelReport>,
    pub files: usize,
    pub bytes: u64,
    /// Files of replaced versions removed (or, in a dry run, to be removed).
    pub removed: Vec<PathBuf>,
    pub warnings: Vec<String>,
    pub timings: Timings,
    /// Files placed from the wheel cache instead of inflated.
    pub from_cache: usize,
    /// Wheels opened from their wheel-cache manifest, their archives not read.
    pub opened_from_cache: usize,
    /// Bytecode compilation, with `--compile`.
    pub compile: Option<winst_install::compile::CompileStats>,
    /// Wheels left alone: their projects are installed already from the same wheel files (see
    /// `winst_install::audit`).
    pub audited: Vec<winst_install::audit::Audited>,
    /// Projects removed whole (`winst sync`), as `name==version`.
    pub uninstalled: Vec<String>,
    /// With `-r LOCK`: what the locks selected, and why (see [`LockReport`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<LockReport>,
}

/// What the locks selected for the target: each package's wheel (and why its other wheels were
/// not chosen), whether it is installed or left alone (audited), the packages skipped (marker
/// false), and for `winst sync` the projects removed.
#[derive(Debug, Clone, Serialize)]
pub struct LockReport {
    pub packages: Vec<LockedPackage>,
    pub skipped: Vec<winst_lock::Skipped>,
    /// `winst sync`: installed projects not in the locks, removed (`name==version`).
    pub remove: Vec<String>,
}

/// One package of a lock and its chosen wheel.
#[derive(Debug, Clone, Serialize)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    pub lock: PathBuf,
    pub wheel: PathBuf,
    /// `install`, or `audited`: installed already from this very wheel.
    pub action: &'static str,
    pub rejected: Vec<winst_lock::Rejected>,
}

impl LockReport {
    /// The report of a selection after the install (which wheels were audited).
    pub fn new(selection: winst_lock::Selection, report: &Report) -> LockReport {
        let packages = (selection.chosen.into_iter())
            .map(|c| LockedPackage {
                action: if report.audited.iter().any(|a| a.wheel == c.wheel) {
                    "audited"
                } else {
                    "install"
                },
                name: c.name,
                version: c.version,
                lock: c.lock,
                wheel: c.wheel,
                rejected: c.rejected,
            })
            .collect();
        LockReport {
            packages,
            skipped: selection.skipped,
            remove: report.uninstalled.clone(),
        }
    }
}

/// The plan of an install with nothing to install (every wheel audited).
pub struct NoPlan;

impl PlanView for NoPlan {
    fn file_ops(&self) -> impl Iterator<Item = &winst_install::plan::FileOp> {
        std::iter::empty()
    }
    fn wheel_plans(&self) -> &[winst_install::plan::WheelPlan] {
        &[]
    }
    fn removal_paths(&self) -> &[PathBuf] {
        &[]
    }
}

impl Report {
    pub fn new(
        target: &Target,
        wheels: &[OpenedWheel],
        plan: &impl PlanView,
        warnings: Vec<String>,
        timings: Timings,
        dry_run: bool,
    ) -> Report {
        // One pass over the files, not one per wheel.
        let mut counts = vec![(0usize, 0u64); wheels.len()];
        for f in plan.file_ops() {
            counts[f.wheel].0 += 1;
            counts[f.wheel].1 += f.size_hint();
        }
        let wheel_reports: Vec<WheelReport> = wheels
            .iter()
            .enumerate()
            .map(|(w, wheel)| WheelReport {
                wheel: wheel.path.clone(),
                name: wheel.name().to_string(),
                version: wheel.version().to_string(),
                files: counts[w].0,
                bytes: counts[w].1,
                scripts: plan.wheel_plans()[w].scripts.clone(),
                replaces: plan.wheel_plans()[w]
                    .replaces
                    .iter()
                    .map(|d| d.spec())
                    .collect(),
                root: plan.wheel_plans()[w].lib_path.clone(),
                dist_info: wheel.dist_info.clone(),
                requires_dist: wheel.metadata.requires_dist.clone(),
            })
            .collect();
        Report {
            dry_run,
            target: TargetReport {
                python: target.interpreter.executable.clone(),
                interpreter_answer: winst_python::interpreter::last_source(),
                version: target.interpreter.describe(),
                prefix: target.interpreter.prefix.clone(),
                destination: match &target.layout {
                    Layout::Target(dir) | Layout::Prefix(dir) => dir.clone(),
                    Layout::Environment => target.interpreter.prefix.clone(),
                },
                scheme: target.scheme.clone(),
            },
            files: wheel_reports.iter().map(|w| w.files).sum(),
            bytes: wheel_reports.iter().map(|w| w.bytes).sum(),
            wheels: wheel_reports,
            removed: plan.removal_paths().to_vec(),
            warnings,
            timings,
            from_cache: 0,
            opened_from_cache: 0,
            compile: None,
            audited: Vec::new(),
            uninstalled: Vec::new(),
            lock: None,
        }
    }
}
