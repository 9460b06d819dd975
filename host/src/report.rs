//! What an install did (or would do), for people (text) and programs (`--json`).
//!
//! Built from the plan and the opened wheels; printing is separate from building so the CLI
//! decides where output goes. Not here: deciding anything.

use std::path::PathBuf;

use serde::Serialize;

use crate::plan::Plan;
use crate::target::{Scheme, Target};
use crate::wheel::OpenedWheel;

/// Milliseconds per stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Loading (or compiling) the plugins in effect.
    pub plugins_load_ms: f64,
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
    /// Checking the installed projects' requirements afterwards ([`crate::check`]), not in total.
    pub requirements_ms: f64,
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
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub python: PathBuf,
    pub version: String,
    pub prefix: PathBuf,
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
}

impl Report {
    pub fn new(
        target: &Target,
        wheels: &[OpenedWheel],
        plan: &Plan,
        warnings: Vec<String>,
        timings: Timings,
        dry_run: bool,
    ) -> Report {
        let wheel_reports: Vec<WheelReport> = wheels
            .iter()
            .enumerate()
            .map(|(w, wheel)| {
                let ops = plan.files.iter().filter(|f| f.wheel == w);
                WheelReport {
                    wheel: wheel.path.clone(),
                    name: wheel.name().to_string(),
                    version: wheel.version().to_string(),
                    files: ops.clone().count(),
                    bytes: ops.map(|f| f.size_hint()).sum(),
                    scripts: plan.wheels[w].scripts.clone(),
                    replaces: plan.wheels[w].replaces.iter().map(|d| d.spec()).collect(),
                    root: plan.wheels[w].lib_path.clone(),
                }
            })
            .collect();
        Report {
            dry_run,
            target: TargetReport {
                python: target.interpreter.executable.clone(),
                version: target.interpreter.describe(),
                prefix: target.interpreter.prefix.clone(),
                scheme: target.scheme.clone(),
            },
            files: wheel_reports.iter().map(|w| w.files).sum(),
            bytes: wheel_reports.iter().map(|w| w.bytes).sum(),
            wheels: wheel_reports,
            removed: plan.removal_paths.clone(),
            warnings,
            timings,
        }
    }

    /// The human summary, uv style.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let n = self.wheels.len();
        let plural = if n == 1 { "" } else { "s" };
        if self.dry_run {
            out.push_str(&format!(
                "Would install {n} package{plural} into {}:\n",
                self.target.prefix.display()
            ));
            for w in &self.wheels {
                out.push_str(&format!(
                    " + {}=={} ({} files, {} bytes) into {}\n",
                    w.name,
                    w.version,
                    w.files,
                    w.bytes,
                    w.root.display()
                ));
                for s in &w.scripts {
                    out.push_str(&format!(
                        "     script {}\n",
                        self.target.scheme.scripts.join(s).display()
                    ));
                }
                for r in &w.replaces {
                    out.push_str(&format!(" - {r}\n"));
                }
            }
            for r in &self.removed {
                out.push_str(&format!("     remove {}\n", r.display()));
            }
            return out;
        }
        out.push_str(&format!(
            "Installed {n} package{plural} ({} files, {}) in {}\n",
            self.files,
            human_bytes(self.bytes),
            human_ms(self.timings.total_ms)
        ));
        let mut lines: Vec<(String, char, String)> = Vec::new();
        for w in &self.wheels {
            for r in &w.replaces {
                lines.push((w.name.to_lowercase(), '-', r.clone()));
            }
            lines.push((
                w.name.to_lowercase(),
                '+',
                format!("{}=={}", w.name, w.version),
            ));
        }
        lines.sort();
        for (_, sign, spec) in lines {
            out.push_str(&format!(" {sign} {spec}\n"));
        }
        out
    }
}

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = b as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn human_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}
