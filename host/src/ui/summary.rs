//! The closing summary, uv style, and the numbers in it.
//!
//! ```text
//! Installed 3 packages (1,234 files, 5.6 MB) in 0.41s
//!  - six==1.15.0
//!  + six==1.16.0
//! ```
//!
//! One line for what happened, then ` - name==version` for each version removed or replaced and
//! ` + name==version` for each one added (` ~ name==version` for one installed again), sorted by
//! name. Wheels whose projects are installed already from the same files are counted in an
//! `Audited N packages` line (the only line when nothing else is installed, as uv says it). Also the `-v` details (environment,
//! per-stage timings). Not here: where the text goes or whether it is shown (see `cli.rs` and
//! [`super::settings`]); the `--json` report ([`crate::report`]).

use crate::report::{LockReport, Report};
use winst_install::uninstall::UninstallReport;

use super::Paint;

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Decimal units, as uv and pip print them: `422 B`, `5.6 MB`, `312 MB`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut unit = 0;
    while v >= 999.95 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b} B")
    } else if v >= 99.95 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `12ms` under a second, `0.41s`-style above.
pub fn human_ms(ms: f64) -> String {
    if ms < 999.5 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}

fn packages(n: usize) -> String {
    format!("{n} package{}", if n == 1 { "" } else { "s" })
}

/// What happened to one version of a project, in the order the summary lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    Removed,
    /// The same version, installed again.
    Reinstalled,
    Added,
}

/// ` - name==version` / ` ~ name==version` / ` + name==version` lines, sorted by name,
/// removals first.
fn change_lines(changes: &mut [(String, Change, String)], paint: Paint) -> String {
    changes.sort();
    let mut out = String::new();
    for (_, change, spec) in changes.iter() {
        let sign = match change {
            Change::Removed => paint.red("-"),
            Change::Reinstalled => paint.yellow("~"),
            Change::Added => paint.green("+"),
        };
        out.push_str(&format!(" {sign} {spec}\n"));
    }
    out
}

/// What `winst install` did, or with `--dry-run` would do (then with the scripts and the files
/// of replaced versions to remove, and where everything goes).
pub fn install(report: &Report, paint: Paint) -> String {
    let audited = report.audited.len();
    let lock = report
        .lock
        .as_ref()
        .map(|l| lock_lines(l, report.dry_run))
        .unwrap_or_default();
    if report.wheels.is_empty() && !report.uninstalled.is_empty() {
        return lock + &removal_only(report, paint);
    }
    if report.wheels.is_empty() && audited > 0 {
        // Nothing to install: every wheel's project is installed already from that file.
        return lock
            + &if report.dry_run {
                format!(
                    "Would make no changes: {} installed already from these wheels\n",
                    paint.bold(&packages(audited))
                )
            } else {
                format!(
                    "Audited {} {}\n",
                    paint.bold(&packages(audited)),
                    paint.dim(&format!("in {}", human_ms(report.timings.total_ms)))
                )
            };
    }
    let counts = format!(
        "({} files, {})",
        thousands(report.files as u64),
        human_bytes(report.bytes)
    );
    let mut out = if report.dry_run {
        format!(
            "Would install {} {} into {}\n",
            paint.bold(&packages(report.wheels.len())),
            counts,
            report.target.destination.display()
        )
    } else {
        format!(
            "Installed {} {} {}\n",
            paint.bold(&packages(report.wheels.len())),
            counts,
            paint.dim(&format!("in {}", human_ms(report.timings.total_ms)))
        )
    };
    out.insert_str(0, &lock);
    if !report.uninstalled.is_empty() {
        out.push_str(&format!(
            "{} {}\n",
            if report.dry_run {
                "Would uninstall"
            } else {
                "Uninstalled"
            },
            paint.bold(&packages(report.uninstalled.len()))
        ));
    }
    if audited > 0 {
        out.push_str(&format!(
            "Audited {} (installed already from the same wheels)\n",
            paint.bold(&packages(audited))
        ));
    }
    if let Some(c) = &report.compile
        && !report.dry_run
    {
        // As uv says it, with how much came from the bytecode cache.
        out.push_str(&format!(
            "Bytecode compiled {} {} {}{}\n",
            thousands(c.compiled as u64),
            if c.compiled == 1 { "file" } else { "files" },
            paint.dim(&format!("in {}", human_ms(report.timings.compile_ms))),
            if c.from_cache > 0 {
                format!(" ({} from the cache)", thousands(c.from_cache as u64))
            } else {
                String::new()
            }
        ));
    }
    let mut changes = Vec::new();
    for w in &report.wheels {
        let key = winst_wheel::name::normalize(&w.name);
        let spec = format!("{}=={}", w.name, w.version);
        let mut again = false;
        for r in &w.replaces {
            let same = r.split_once("==").is_some_and(|(n, v)| {
                winst_wheel::name::normalize(n) == key
                    && winst_wheel::name::same_version(v, &w.version)
            });
            if same {
                again = true;
            } else {
                // The installed directory spells the name escaped (`six_ish`); show the
                // project's own spelling, as for the new version.
                let shown = match r.split_once("==") {
                    Some((n, v)) if winst_wheel::name::normalize(n) == key => {
                        format!("{}=={v}", w.name)
                    }
                    _ => r.clone(),
                };
                changes.push((key.clone(), Change::Removed, shown));
            }
        }
        let change = if again {
            Change::Reinstalled
        } else {
            Change::Added
        };
        changes.push((key, change, spec));
    }
    changes.extend(uninstalled_changes(report));
    out.push_str(&change_lines(&mut changes, paint));
    if report.dry_run {
        let mut wheels: Vec<_> = report.wheels.iter().collect();
        wheels.sort_by_key(|w| winst_wheel::name::normalize(&w.name));
        for w in wheels {
            out.push_str(&format!(
                "   {}=={}: {} files, {} into {}\n",
                w.name,
                w.version,
                thousands(w.files as u64),
                human_bytes(w.bytes),
                w.root.display()
            ));
            for s in &w.scripts {
                out.push_str(&format!(
                    "     script {}\n",
                    report.target.scheme.scripts.join(s).display()
                ));
            }
        }
        for r in &report.removed {
            out.push_str(&format!("     remove {}\n", r.display()));
        }
    }
    out
}

/// ` - name==version` entries of the projects a sync removes whole.
fn uninstalled_changes(report: &Report) -> Vec<(String, Change, String)> {
    (report.uninstalled.iter())
        .map(|spec| {
            let name = spec.split_once("==").map_or(spec.as_str(), |(n, _)| n);
            (
                winst_wheel::name::normalize(name),
                Change::Removed,
                spec.clone(),
            )
        })
        .collect()
}

/// A sync that only removes projects.
fn removal_only(report: &Report, paint: Paint) -> String {
    let n = report.uninstalled.len();
    let mut out = uninstalled_line(n, report.dry_run, report.timings.total_ms, paint);
    if !report.audited.is_empty() {
        out.push_str(&format!(
            "Audited {} (installed already from the same wheels)\n",
            paint.bold(&packages(report.audited.len()))
        ));
    }
    out.push_str(&change_lines(&mut uninstalled_changes(report), paint));
    out
}

/// With `--dry-run`, what the locks selected: each package's wheel and why its other wheels
/// were not chosen, and the packages skipped for this target. Empty otherwise.
fn lock_lines(lock: &LockReport, dry_run: bool) -> String {
    if !dry_run {
        return String::new();
    }
    let mut out = String::new();
    for p in &lock.packages {
        let wheel = p.wheel.file_name().unwrap_or_default().to_string_lossy();
        let action = if p.action == "audited" {
            " (installed already)"
        } else {
            ""
        };
        out.push_str(&format!(
            "lock: {}=={}: {wheel}{action}\n",
            p.name, p.version
        ));
        for r in &p.rejected {
            out.push_str(&format!("lock:   not {}: {}\n", r.wheel, r.reason));
        }
    }
    for s in &lock.skipped {
        out.push_str(&format!(
            "lock: skipped {}=={}: {}\n",
            s.name, s.version, s.reason
        ));
    }
    out
}

/// `Uninstalled 2 packages in 12ms` (`Would uninstall 2 packages`).
fn uninstalled_line(n: usize, dry_run: bool, elapsed_ms: f64, paint: Paint) -> String {
    let n = paint.bold(&packages(n));
    if dry_run {
        format!("Would uninstall {n}\n")
    } else {
        format!(
            "Uninstalled {n} {}\n",
            paint.dim(&format!("in {}", human_ms(elapsed_ms)))
        )
    }
}

/// What `winst uninstall` did (`Uninstalled 2 packages in 12ms`) or would do.
pub fn uninstall(report: &UninstallReport, elapsed_ms: f64, paint: Paint) -> String {
    let mut out = uninstalled_line(report.projects.len(), report.dry_run, elapsed_ms, paint);
    let mut changes: Vec<(String, Change, String)> = report
        .projects
        .iter()
        .map(|p| {
            (
                winst_wheel::name::normalize(&p.name),
                Change::Removed,
                format!("{}=={}", p.name, p.version),
            )
        })
        .collect();
    out.push_str(&change_lines(&mut changes, paint));
    out
}

/// The `-v` lines about an install: the environment and the time of each stage. With `-vv`
/// (`trace`) also the scheme and each wheel.
pub fn log_details(report: &Report) {
    let t = &report.target;
    log::debug!(
        "environment: {} ({}), prefix {}",
        t.python.display(),
        t.version,
        t.prefix.display()
    );
    log::trace!(
        "scheme: purelib {}, platlib {}, scripts {}, data {}, headers {}",
        t.scheme.purelib.display(),
        t.scheme.platlib.display(),
        t.scheme.scripts.display(),
        t.scheme.data.display(),
        t.scheme.headers.display()
    );
    for w in &report.wheels {
        log::trace!(
            "{}=={}: {} files, {} into {}, from {}",
            w.name,
            w.version,
            thousands(w.files as u64),
            human_bytes(w.bytes),
            w.root.display(),
            w.wheel.display()
        );
    }
    let tm = &report.timings;
    let stages = [
        ("plugins", tm.plugins_load_ms),
        ("audit", tm.audit_ms),
        ("open", tm.open_ms),
        ("check", tm.check_ms),
        ("scripts", tm.scripts_ms),
        ("plan", tm.plan_ms),
        ("cache lookup", tm.cache_ms),
        ("write", tm.write_ms),
        ("compile", tm.compile_ms),
        ("post-install", tm.post_install_ms),
        ("record", tm.record_ms),
        ("commit", tm.commit_ms),
        ("cache fill", tm.cache_fill_ms),
        ("total", tm.total_ms),
    ];
    let shown: Vec<String> = stages
        .iter()
        .map(|(name, ms)| format!("{name} {ms:.1}ms"))
        .collect();
    log::debug!("timings: {}", shown.join(", "));
    log::debug!(
        "interpreter answer from {}; {} files placed from the wheel cache; {} wheels opened from \
         its manifests",
        t.interpreter_answer,
        thousands(report.from_cache as u64),
        report.opened_from_cache
    );
    if let Some(c) = &report.compile {
        log::debug!(
            "bytecode: {} .pyc files, {} from the bytecode cache, {} interpreter workers",
            thousands(c.compiled as u64),
            thousands(c.from_cache as u64),
            c.workers
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_uv() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(9814), "9,814");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(human_bytes(422), "422 B");
        assert_eq!(human_bytes(5_600_000), "5.6 MB");
        assert_eq!(human_bytes(312_400_000), "312 MB");
        assert_eq!(human_bytes(999_999), "1.0 MB");
        assert_eq!(human_ms(12.2), "12ms");
        assert_eq!(human_ms(410.0), "410ms");
        assert_eq!(human_ms(1410.0), "1.41s");
    }
}
