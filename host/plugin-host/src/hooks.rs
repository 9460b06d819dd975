//! The plugin-backed steps of an install, between pipeline data and the plugin interface.
//!
//! - **check** (policy chain): every wheel goes to every policy plugin before anything is
//!   written; a deny stops the install, a warn is reported.
//! - **launchers** (scripts role): the files for each wheel's entry points, validated.
//! - **editable** (editable role): how a PEP 660 wheel's `.pth` files and finder modules are laid
//!   out, and its `direct_url.json`.
//! - **post-install** (post-install chain): extra dist-info files, validated, or a failure.
//!
//! Wheels are checked in parallel (one instance per call, no lock between them).

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use rayon::prelude::*;

use super::Role;
use super::runtime::{CallInput, PluginHost, sanitize, wit, wit_host};
use winst_python::installed::InstalledDist;
use winst_python::scripts::{self, Launcher, ScriptFile};
use winst_python::target::Target;
use winst_wheel::archive::check_member_name;
use winst_wheel::error::WheelError;
use winst_wheel::{EntryPoint, OpenedWheel, ScriptKind};

/// The `target` record plugins receive.
pub fn wit_target(target: &Target) -> wit::Target {
    let i = &target.interpreter;
    wit::Target {
        interpreter: i.executable.display().to_string(),
        platform: i.platform.clone(),
        python_version: format!("{}.{}.{}", i.version.0, i.version.1, i.version.2),
        implementation: i.implementation.clone(),
        prefix: i.prefix.display().to_string(),
        scripts_dir: target.scheme.scripts.display().to_string(),
        purelib: target.scheme.purelib.display().to_string(),
        shebang: scripts::shebang(&i.executable),
    }
}

fn wit_entry(ep: &EntryPoint) -> wit::EntryPoint {
    wit::EntryPoint {
        name: ep.name.clone(),
        module: ep.module.clone(),
        attr: ep.attr.clone(),
        kind: match ep.kind {
            ScriptKind::Console => wit::ScriptKind::Console,
            ScriptKind::Gui => wit::ScriptKind::Gui,
        },
    }
}

/// The `wheel` record a policy plugin receives.
pub(crate) fn wit_wheel(id: usize, w: &OpenedWheel) -> wit::Wheel {
    wit::Wheel {
        id: id as u32,
        filename: w.file_name.clone(),
        name: w.name().to_string(),
        version: w.version().to_string(),
        tags: w
            .filename
            .tags()
            .map(|(p, a, pl)| format!("{p}-{a}-{pl}"))
            .collect(),
        metadata: w.metadata.fields.clone(),
        members: w
            .archive
            .members
            .iter()
            .filter(|m| !m.is_dir)
            .map(|m| wit::Member {
                path: m.name.clone(),
                size: m.size,
                hash: w.record_hash(m.index).map(winst_wheel::record::format_hash),
                executable: m.executable,
            })
            .collect(),
        entry_points: w.entry_points.iter().map(wit_entry).collect(),
    }
}

/// Runs the policy chain on every wheel, giving the plugins the projects `installed` in the
/// target. Returns the warnings. Every verdict of every wheel is collected first, so a refusal
/// names all the wheels denied (and all the plugins that failed), not just the first: one run
/// shows everything to fix. One deny is a [`WheelError`] naming the wheel, the plugin and its
/// reason; several are one error with a line each.
pub fn check(
    host: &PluginHost,
    wheels: &Arc<[OpenedWheel]>,
    target: &Target,
    installed: &[InstalledDist],
) -> Result<Vec<String>> {
    if !host.has(Role::Policy) {
        return Ok(Vec::new());
    }
    let t = wit_target(target);
    let input = CallInput {
        wheels: Some(wheels.clone()),
        installed: installed
            .iter()
            .map(|d| wit_host::InstalledDist {
                name: d.name.clone(),
                version: d.version.clone(),
            })
            .collect(),
    };
    let results: Vec<Result<Vec<(String, wit::Verdict)>>> = (0..wheels.len())
        .into_par_iter()
        .map(|i| host.check(&input, &wit_wheel(i, &wheels[i]), &t))
        .collect();
    let mut warnings = Vec::new();
    let mut refusals: Vec<WheelError> = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        let file = &wheels[i].file_name;
        let verdicts = match r {
            Ok(v) => v,
            Err(e) => {
                refusals.push(WheelError::new(file, format!("{e:#}")));
                continue;
            }
        };
        for (plugin, verdict) in verdicts {
            match verdict {
                wit::Verdict::Allow => {}
                wit::Verdict::Warn(reason) => warnings.push(format!(
                    "{file}: policy plugin {plugin}: {}",
                    sanitize(&reason)
                )),
                wit::Verdict::Deny(reason) => refusals.push(WheelError::new(
                    file,
                    format!("refused by policy plugin {plugin}: {}", sanitize(&reason)),
                )),
            }
        }
    }
    match refusals.len() {
        0 => Ok(warnings),
        1 => Err(refusals.remove(0).into()),
        n => {
            let lines: Vec<String> = refusals.iter().map(|r| format!("  {r}")).collect();
            bail!(
                "{n} refusals by policy plugins (every one, so one run shows all there is to fix):\n{}",
                lines.join("\n")
            )
        }
    }
}

/// The launcher files of every wheel (per wheel, per command of [`scripts::commands`]),
/// generated in parallel.
pub fn launchers(
    host: &PluginHost,
    wheels: &[OpenedWheel],
    target: &Target,
) -> Result<Vec<Vec<Launcher>>> {
    let t = wit_target(target);
    let plugin = host.serving(Role::Scripts).unwrap_or_default();
    let (major, minor, _) = target.interpreter.version;
    wheels
        .par_iter()
        .map(|w| -> Result<Vec<Launcher>> {
            let commands = scripts::commands(&w.entry_points, (major, minor));
            let entries: Vec<wit::EntryPoint> = commands.iter().map(wit_entry).collect();
            let generated = host
                .generate_scripts(&entries, &t)
                .map_err(|e| anyhow!("{}: {e:#}", w.file_name))?;
            let member = format!("{}/entry_points.txt", w.dist_info);
            let refused = |ep: &EntryPoint, rule: String| {
                WheelError::member(
                    &w.file_name,
                    &member,
                    format!("script `{}`: the scripts plugin {plugin} {rule}", ep.name),
                )
            };
            let mut out = Vec::with_capacity(generated.len());
            for (ep, files) in commands.iter().zip(generated) {
                let files: Vec<ScriptFile> = files
                    .map_err(|rule| refused(ep, format!("refused it: {}", sanitize(&rule))))?
                    .into_iter()
                    .map(|f| ScriptFile {
                        name: f.name,
                        contents: f.contents,
                        executable: f.executable,
                    })
                    .collect();
                scripts::validate_generated(&files).map_err(|rule| refused(ep, rule))?;
                out.push(Launcher {
                    entry_point: ep.name.clone(),
                    files,
                });
            }
            Ok(out)
        })
        .collect()
}

/// How an editable wheel is laid out, decided by the editable plugin.
#[derive(Debug, Clone)]
pub struct EditableOverride {
    /// Root members not to install (the backend's `.pth` files and finder modules).
    pub drop: HashSet<String>,
    /// Root files to install instead: (path relative to the lib root, contents).
    pub files: Vec<(String, Vec<u8>)>,
    pub direct_url: String,
}

/// Whether a wheel is a PEP 660 editable wheel, guessed from its root files by the conventions
/// of the common backends (setuptools' `__editable__*`, scikit-build/pdm's `_editable_impl_*`,
/// hatchling's `_<name>.pth`). Only a fallback: flit-core's and poetry-core's editable wheels
/// (a plain `<name>.pth`) look like any wheel with a `.pth` file, so a frontend says which
/// wheels are editable (`given` in [`editable`]).
pub(crate) fn is_editable(w: &OpenedWheel) -> bool {
    let hatch = format!("_{}.pth", winst_wheel::name::escape(w.name()));
    // Asked of every wheel of an install: the prefixes first, which fail at the first bytes of
    // nearly every member name, and only then whether the member is at the root.
    w.archive.members.iter().any(|m| {
        (m.name.starts_with("__editable__")
            || m.name.starts_with("_editable_impl_")
            || m.name == hatch)
            && !m.name.contains('/')
    })
}

/// Asks the editable plugin how to lay out each editable wheel: the wheels a frontend said are
/// editable (`given[i]` holds the `direct_url.json` for their project directory, from
/// `winst install -e` or `--editable-wheel`) and, as a fallback, those [`is_editable`]
/// recognizes. For a given wheel the host knows where the sources are, so its
/// `direct_url.json` is the given one whatever the plugin guessed.
pub fn editable(
    host: &PluginHost,
    wheels: &[OpenedWheel],
    target: &Target,
    given: &[Option<String>],
    default_direct_url: impl Fn(usize) -> String + Sync,
) -> Result<Vec<Option<EditableOverride>>> {
    let t = wit_target(target);
    let plugin = host.serving(Role::Editable).unwrap_or_default();
    wheels
        .par_iter()
        .enumerate()
        .map(|(i, w)| -> Result<Option<EditableOverride>> {
            let given = given.get(i).cloned().flatten();
            if given.is_none() && !is_editable(w) {
                return Ok(None);
            }
            let read = |name: &str| -> Result<Vec<u8>> {
                let m = w
                    .archive
                    .members
                    .iter()
                    .find(|m| m.name == name)
                    .ok_or_else(|| anyhow!("{}: {name} vanished", w.file_name))?;
                w.archive
                    .read_small(m.index, 16 << 20)
                    .map_err(|rule| WheelError::member(&w.file_name, name, rule).into())
            };
            let mut pth_files = Vec::new();
            let mut finder_modules = Vec::new();
            for m in w.archive.members.iter().filter(|m| !m.name.contains('/')) {
                if m.name.ends_with(".pth") {
                    pth_files.push((m.name.clone(), read(&m.name)?));
                } else if m.name.ends_with(".py")
                    && (m.name.starts_with("__editable__") || m.name.ends_with("_finder.py"))
                {
                    finder_modules.push((m.name.clone(), read(&m.name)?));
                }
            }
            let drop: HashSet<String> = pth_files
                .iter()
                .chain(&finder_modules)
                .map(|(n, _)| n.clone())
                .collect();
            let layout = host.editable_layout(
                &wit::EditableWheel {
                    name: w.name().to_string(),
                    version: w.version().to_string(),
                    pth_files,
                    finder_modules,
                    direct_url: given.clone().unwrap_or_else(|| default_direct_url(i)),
                },
                &t,
            )?;
            for (path, _) in &layout.files {
                check_member_name(path)
                    .and_then(|()| {
                        if path.ends_with('/') || path.contains(".dist-info/") {
                            Err("not a file path under site-packages outside the dist-info"
                                .to_string())
                        } else {
                            Ok(())
                        }
                    })
                    .map_err(|rule| {
                        anyhow!(
                            "{}: the editable plugin {plugin} asked to write `{}`: {rule}",
                            w.file_name,
                            path.escape_default()
                        )
                    })?;
            }
            if serde_json::from_str::<serde_json::Value>(&layout.direct_url).is_err() {
                bail!(
                    "{}: the editable plugin {plugin} returned a direct_url.json that is not JSON",
                    w.file_name
                );
            }
            Ok(Some(EditableOverride {
                drop,
                files: layout.files,
                direct_url: given.unwrap_or(layout.direct_url),
            }))
        })
        .collect()
}

/// The most a post-install chain may add, in bytes.
const MAX_EXTRA_BYTES: usize = 64 << 20;

/// A file a post-install plugin asked for: which wheel's dist-info, the path inside it, contents.
pub struct ExtraFile {
    pub wheel: usize,
    pub path: String,
    pub contents: Vec<u8>,
}

/// Validates what post-install plugins returned.
pub fn extra_files(
    returned: Vec<(String, Vec<wit::ExtraFile>)>,
    wheels: &[OpenedWheel],
) -> Result<Vec<ExtraFile>> {
    let mut out: Vec<ExtraFile> = Vec::new();
    let mut total = 0usize;
    for (plugin, files) in returned {
        for f in files {
            let wheel = wheels
                .iter()
                .position(|w| winst_wheel::name::normalize(w.name()) == winst_wheel::name::normalize(&f.project))
                .ok_or_else(|| {
                    anyhow!(
                        "plugin {plugin} (post-install) returned a file for `{}`, which this install does not contain",
                        sanitize(&f.project)
                    )
                })?;
            let path = f.file.name;
            let reserved = winst_wheel::dist_info::RESERVED;
            if let Err(rule) = check_member_name(&path) {
                bail!(
                    "plugin {plugin} (post-install) asked to write `{}` into {}: {rule}",
                    path.escape_default(),
                    wheels[wheel].dist_info
                );
            }
            let rule = if reserved.contains(&path.as_str()) {
                Some("winst writes that file itself")
            } else if path.ends_with('/') {
                Some("not a file path")
            } else if path.split('/').count() > 4 {
                Some("more than 4 path components")
            } else {
                None
            };
            if let Some(rule) = rule {
                bail!(
                    "plugin {plugin} (post-install) may not write `{path}` into {}: {rule}",
                    wheels[wheel].dist_info
                );
            }
            if out.iter().any(|e| e.wheel == wheel && e.path == path)
                || wheels[wheel]
                    .archive
                    .members
                    .iter()
                    .any(|m| m.name == format!("{}/{path}", wheels[wheel].dist_info))
            {
                bail!(
                    "plugin {plugin} (post-install) asked to write {}/{path}, which already exists",
                    wheels[wheel].dist_info
                );
            }
            total += f.file.contents.len();
            if total > MAX_EXTRA_BYTES {
                bail!(
                    "plugin {plugin} (post-install) returned more than the {} MiB ({MAX_EXTRA_BYTES} bytes) all post-install plugins together may return",
                    MAX_EXTRA_BYTES >> 20
                );
            }
            out.push(ExtraFile {
                wheel,
                path,
                contents: f.file.contents,
            });
        }
    }
    Ok(out)
}
