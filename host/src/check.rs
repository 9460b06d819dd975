//! Dependency sanity without a resolver: which installed projects' requirements the environment
//! does not satisfy, as `pip check` reports them (`winst check`, and the warnings after an install).
//!
//! Reads every installed project's `METADATA`, parses its `Requires-Dist` with `pep508_rs` (and
//! its re-exported `pep440_rs`), evaluates the markers for the target interpreter (from
//! [`winst_python::interpreter::Markers`]) and compares against what is installed. It follows pip 23's
//! `pip/_internal/operations/check.py`: a requirement counts when it has no marker or its marker is
//! true with `extra` set to `""` (so requirements guarded by an extra are ignored), names are
//! compared PEP 503-normalized, versions with the specifiers including pre-releases, and a project
//! whose requirements do not parse is reported and left out of the set.
//!
//! Why `pep508_rs`/`pep440_rs`: they are the standalone, published releases of the PEP 508/440
//! code uv uses (same author), with a stable public API; uv's own `uv-pep508`/`uv-pep440` crates
//! are published only as uv internals and change with every uv release.
//!
//! Not here: resolving, downloading or installing anything; `.egg-info` projects (winst and modern
//! pip only make `.dist-info` ones) are not read.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result};
use pep508_rs::pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, Requirement, VersionOrUrl};
use rayon::prelude::*;
use serde::Serialize;

use winst_python::interpreter::Interpreter;
use winst_wheel::metadata::Headers;
use winst_wheel::name;

/// One installed project, read from its dist-info directory.
#[derive(Debug, Clone)]
pub struct Project {
    /// `Name` from METADATA (the dist-info directory's name when METADATA has none).
    pub name: String,
    pub normalized: String,
    /// The version as pip prints it: PEP 440-normalized when it parses, else as written.
    pub version: String,
    /// `None` when the version is not PEP 440.
    pub parsed_version: Option<Version>,
    pub dist_info: PathBuf,
    /// METADATA's header fields (empty when METADATA is missing or unreadable).
    pub metadata: Headers,
    /// The requirements that apply on the target (marker true with no extra), or why they could
    /// not be read.
    pub requires: Result<Vec<Dependency>, String>,
}

/// One `Requires-Dist` entry whose marker holds on the target.
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The name as the requirement spells it.
    pub name: String,
    pub normalized: String,
    /// `None` for a URL requirement (any installed version satisfies it, as in pip).
    pub specifiers: Option<VersionSpecifiers>,
    /// The requirement as pip prints it (`name[extras]<2,>=1; marker`).
    pub display: String,
}

/// An unmet requirement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// `foo 1.0 requires bar, which is not installed.`
    Missing {
        project: String,
        version: String,
        dependency: String,
        requirement: String,
    },
    /// `foo 1.0 has requirement bar>=2, but you have bar 1.0.`
    Conflict {
        project: String,
        version: String,
        requirement: String,
        dependency: String,
        installed_version: String,
    },
    /// The project's `Requires-Dist` (or METADATA) could not be read; pip leaves it out too.
    Unreadable {
        project: String,
        dist_info: PathBuf,
        error: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing {
                project,
                version,
                dependency,
                ..
            } => write!(
                f,
                "{project} {version} requires {dependency}, which is not installed."
            ),
            Problem::Conflict {
                project,
                version,
                requirement,
                dependency,
                installed_version,
            } => write!(
                f,
                "{project} {version} has requirement {requirement}, but you have {dependency} \
                 {installed_version}."
            ),
            Problem::Unreadable {
                project,
                dist_info,
                error,
            } => write!(
                f,
                "Error parsing requirements for {project} ({}): {error}; reinstall it or fix its \
                 METADATA",
                dist_info.display()
            ),
        }
    }
}

/// The PEP 508 marker environment of the target interpreter.
pub fn marker_environment(interpreter: &Interpreter) -> Result<MarkerEnvironment> {
    let m = &interpreter.markers;
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: &m.implementation_name,
        implementation_version: &m.implementation_version,
        os_name: &m.os_name,
        platform_machine: &m.platform_machine,
        platform_python_implementation: &m.platform_python_implementation,
        platform_release: &m.platform_release,
        platform_system: &m.platform_system,
        platform_version: &m.platform_version,
        python_full_version: m.python_full_version.trim_end_matches('+'),
        python_version: &m.python_version,
        sys_platform: &m.sys_platform,
    })
    .with_context(|| {
        format!(
            "the interpreter {} reports marker values that are not PEP 440 versions \
             (python_full_version {:?}, implementation_version {:?}); requirements cannot be \
             checked for it",
            interpreter.executable.display(),
            m.python_full_version,
            m.implementation_version
        )
    })
}

/// Reads every project installed in the site directories (duplicates ignored), in parallel.
pub fn load(site_dirs: &[&Path], env: &MarkerEnvironment) -> Vec<Project> {
    load_with(site_dirs, env, &[])
}

/// A project an install has just put in place, known from its wheel: the installed METADATA is
/// the wheel's, byte for byte, so its fields need not be read back from the disk.
pub struct Known<'a> {
    /// Its dist-info directory (absolute).
    pub dist_info: PathBuf,
    /// `Name` and `Version` as METADATA has them.
    pub name: &'a str,
    pub version: &'a str,
    /// METADATA's `Requires-Dist` fields, in file order.
    pub requires_dist: &'a [String],
}

/// [`load`], taking the projects in `known` from memory instead of reading their METADATA (a
/// `known` directory that is not in the site directories is left out, as [`load`] would).
fn load_with(site_dirs: &[&Path], env: &MarkerEnvironment, known: &[Known]) -> Vec<Project> {
    let by_dir: HashMap<&Path, &Known> = known.iter().map(|k| (k.dist_info.as_path(), k)).collect();
    let dirs: BTreeSet<&Path> = site_dirs.iter().copied().collect();
    let mut dist_infos = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            if file_name
                .to_str()
                .is_some_and(|n| n.ends_with(".dist-info") && n.contains('-'))
                && entry.file_type().is_ok_and(|t| t.is_dir())
            {
                dist_infos.push(entry.path());
            }
        }
    }
    // The order decides which of two dist-infos of one project counts (see [`check`]).
    dist_infos.sort();
    dist_infos
        .into_par_iter()
        .map(|d| match by_dir.get(d.as_path()) {
            Some(k) => {
                let requires = k.requires_dist.iter().map(String::as_str);
                project(d, k.name, k.version, Headers::default(), requires, env)
            }
            None => read_project(d, env),
        })
        .collect()
}

fn read_project(dist_info: PathBuf, env: &MarkerEnvironment) -> Project {
    let dir_name = dist_info
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".dist-info"))
        .unwrap_or_default();
    let (dir_project, dir_version) = dir_name.split_once('-').unwrap_or((dir_name, ""));
    let metadata_path = dist_info.join("METADATA");
    let parsed = std::fs::read(&metadata_path)
        .map_err(|e| format!("cannot read {}: {e}", metadata_path.display()))
        .and_then(|bytes| {
            Headers::parse(&String::from_utf8_lossy(&bytes))
                .map_err(|e| format!("{}: {e}", metadata_path.display()))
        });
    let metadata = match parsed {
        Ok(headers) => headers,
        Err(e) => {
            let (name, version) = (dir_project.to_string(), dir_version.to_string());
            let none = std::iter::empty();
            let mut p = project(dist_info, &name, &version, Headers::default(), none, env);
            p.requires = Err(e);
            return p;
        }
    };
    let name = metadata
        .get("Name")
        .filter(|n| !n.is_empty())
        .unwrap_or(dir_project)
        .to_string();
    let version = metadata.get("Version").unwrap_or(dir_version).to_string();
    let requires: Vec<String> = metadata
        .get_all("Requires-Dist")
        .map(str::to_string)
        .collect();
    let requires = requires.iter().map(String::as_str);
    project(dist_info, &name, &version, metadata, requires, env)
}

/// A project from its METADATA's name, version and `Requires-Dist` fields (kept: those whose
/// marker holds on `env`; an error when one does not parse).
fn project<'r>(
    dist_info: PathBuf,
    name: &str,
    raw_version: &str,
    metadata: Headers,
    requires_dist: impl Iterator<Item = &'r str>,
    env: &MarkerEnvironment,
) -> Project {
    let requires = requires_dist
        .map(parse_requirement)
        .collect::<Result<Vec<_>, _>>()
        .map(|reqs| {
            reqs.into_iter()
                .filter(|(req, _)| req.marker.evaluate(env, &[]))
                .map(|(req, raw)| dependency(&req, raw))
                .collect()
        });
    let parsed_version = Version::from_str(raw_version).ok();
    Project {
        normalized: name::normalize(name),
        name: name.to_string(),
        version: parsed_version
            .as_ref()
            .map_or(raw_version.to_string(), ToString::to_string),
        parsed_version,
        dist_info,
        metadata,
        requires,
    }
}

fn parse_requirement(raw: &str) -> Result<(Requirement, &str), String> {
    Requirement::from_str(raw).map(|r| (r, raw)).map_err(|e| {
        let msg = e.to_string();
        format!(
            "invalid Requires-Dist `{raw}`: {}",
            msg.lines().next().unwrap_or_default()
        )
    })
}

fn dependency(req: &Requirement, raw: &str) -> Dependency {
    // The name as written: PEP 508 names are ASCII letters, digits, `-`, `_` and `.`.
    let written: String = raw
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let specifiers = match &req.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(s)) => Some(s.clone()),
        Some(VersionOrUrl::Url(_)) => None,
        None => Some(VersionSpecifiers::empty()),
    };
    Dependency {
        display: display_requirement(req, &written, raw),
        normalized: req.name.to_string(),
        name: written,
        specifiers,
    }
}

/// The requirement as pip's vendored `packaging` prints it: the name as written, sorted extras,
/// specifiers sorted as text and joined by `,`, then `; marker` with normalized spacing and
/// double quotes.
fn display_requirement(req: &Requirement, written_name: &str, raw: &str) -> String {
    let mut out = written_name.to_string();
    if !req.extras.is_empty() {
        // As written, like packaging (`[Fast,a]`), falling back to the normalized ones.
        let after_name = raw.trim_start()[written_name.len()..].trim_start();
        let mut extras: Vec<String> = after_name
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .map(|(inside, _)| inside.split(',').map(|e| e.trim().to_string()).collect())
            .filter(|e: &Vec<String>| e.len() == req.extras.len())
            .unwrap_or_else(|| req.extras.iter().map(ToString::to_string).collect());
        extras.sort();
        out.push_str(&format!("[{}]", extras.join(",")));
    }
    match &req.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specs)) => {
            let mut specs: Vec<String> = specs.iter().map(ToString::to_string).collect();
            specs.sort();
            out.push_str(&specs.join(","));
        }
        Some(VersionOrUrl::Url(url)) => out.push_str(&format!("@ {url} ")),
        None => {}
    }
    if req.marker.contents().is_some()
        && let Some((_, marker)) = raw.rsplit_once(';')
    {
        out.push_str("; ");
        out.push_str(&format_marker(marker));
    }
    out
}

/// Re-spaces a marker expression the way `packaging` prints it: tokens separated by one space,
/// none inside parentheses, strings in double quotes. Only for display; `pep508_rs` parses it.
fn format_marker(marker: &str) -> String {
    let mut tokens: Vec<String> = Vec::new();
    let mut chars = marker.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '\'' || c == '"' {
            chars.next();
            let value: String = chars.by_ref().take_while(|&d| d != c).collect();
            tokens.push(format!("\"{value}\""));
        } else if c == '(' || c == ')' {
            chars.next();
            tokens.push(c.to_string());
        } else {
            let op = |d: char| matches!(d, '<' | '>' | '=' | '!' | '~');
            let is_op = op(c);
            let mut token = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_whitespace() || matches!(d, '\'' | '"' | '(' | ')') || op(d) != is_op {
                    break;
                }
                token.push(d);
                chars.next();
            }
            tokens.push(token);
        }
    }
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 && tokens[i - 1] != "(" && t != ")" {
            out.push(' ');
        }
        out.push_str(t);
    }
    out
}

/// Checks the projects' requirements against the projects. With `only`, checks just the
/// projects with those normalized names and the projects that require one of them (what pip
/// reports after an install).
pub fn check(projects: &[Project], only: Option<&BTreeSet<String>>) -> Vec<Problem> {
    let mut problems = Vec::new();
    // pip's package set: one project per name (the last one read wins), unreadable ones left out.
    let mut by_name: BTreeMap<&str, &Project> = BTreeMap::new();
    for p in projects {
        match &p.requires {
            Ok(_) => {
                by_name.insert(&p.normalized, p);
            }
            Err(error) => {
                if only.is_none_or(|o| o.contains(&p.normalized)) {
                    problems.push(Problem::Unreadable {
                        project: p.normalized.clone(),
                        dist_info: p.dist_info.clone(),
                        error: error.clone(),
                    });
                }
            }
        }
    }
    for project in by_name.values() {
        let deps = project.requires.as_deref().unwrap_or_default();
        if let Some(only) = only
            && !only.contains(&project.normalized)
            && !deps.iter().any(|d| only.contains(&d.normalized))
        {
            continue;
        }
        let mut seen = BTreeSet::new();
        for dep in deps {
            let problem = match by_name.get(dep.normalized.as_str()) {
                None => Problem::Missing {
                    project: project.normalized.clone(),
                    version: project.version.clone(),
                    dependency: dep.normalized.clone(),
                    requirement: dep.display.clone(),
                },
                Some(installed) if !satisfies(dep, installed) => Problem::Conflict {
                    project: project.normalized.clone(),
                    version: project.version.clone(),
                    requirement: dep.display.clone(),
                    dependency: dep.normalized.clone(),
                    installed_version: installed.version.clone(),
                },
                Some(_) => continue,
            };
            // pip reports each distinct requirement once (a missing name once per requirement).
            let key = match &problem {
                Problem::Missing { requirement, .. } => requirement.clone(),
                other => other.to_string(),
            };
            if seen.insert(key) {
                problems.push(problem);
            }
        }
    }
    problems.sort();
    problems
}

/// Whether the installed version satisfies the requirement (pre-releases included, as pip's
/// `contains(version, prereleases=True)`; a non-PEP 440 version satisfies only an empty
/// specifier set).
fn satisfies(dep: &Dependency, installed: &Project) -> bool {
    match (&dep.specifiers, &installed.parsed_version) {
        (None, _) => true,
        (Some(specs), _) if specs.is_empty() => true,
        (Some(specs), Some(version)) => specs.contains(version),
        (Some(_), None) => false,
    }
}

/// After an install into an interpreter's environment (not `--target`/`--prefix`, whose projects
/// depend on what is outside them): adds the [`after_install`] warnings to the report and the time
/// they took to its timings.
pub fn add_to_report(target: &winst_python::target::Target, report: &mut crate::report::Report) {
    // Nothing installed (a no-op reinstall, a sync that only removes): no requirement involves
    // an installed project, so no METADATA need be read.
    if report.dry_run
        || report.wheels.is_empty()
        || !matches!(target.layout, winst_python::target::Layout::Environment)
    {
        return;
    }
    let start = std::time::Instant::now();
    let names: BTreeSet<String> = report
        .wheels
        .iter()
        .map(|w| name::normalize(&w.name))
        .collect();
    let known: Vec<Known> = (report.wheels.iter())
        .map(|w| Known {
            dist_info: w.root.join(&w.dist_info),
            name: &w.name,
            version: &w.version,
            requires_dist: &w.requires_dist,
        })
        .collect();
    let scheme = &target.scheme;
    let warnings = after_install(
        &target.interpreter,
        &[&scheme.purelib, &scheme.platlib],
        &names,
        &known,
    );
    report.warnings.extend(warnings);
    report.timings.requirements_ms = start.elapsed().as_secs_f64() * 1000.0;
}

/// The post-install warnings: unmet requirements involving the projects an install added or
/// changed (`installed`, normalized names; `known`, those of them whose METADATA need not be
/// read). Never fails: a problem reading the environment becomes one warning.
pub fn after_install(
    interpreter: &Interpreter,
    site_dirs: &[&Path],
    installed: &BTreeSet<String>,
    known: &[Known],
) -> Vec<String> {
    let env = match marker_environment(interpreter) {
        Ok(env) => env,
        Err(e) => return vec![format!("{e:#}")],
    };
    let projects = load_with(site_dirs, &env, known);
    check(&projects, Some(installed))
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_print_like_packaging() {
        assert_eq!(
            format_marker(r#"python_version<'3.8'"#),
            r#"python_version < "3.8""#
        );
        assert_eq!(
            format_marker(r#" (sys_platform=="win32"  or os_name != 'nt')and extra=="x""#),
            r#"(sys_platform == "win32" or os_name != "nt") and extra == "x""#
        );
        assert_eq!(
            format_marker(r#"platform_machine not in "arm64,aarch64""#),
            r#"platform_machine not in "arm64,aarch64""#
        );
    }

    #[test]
    fn requirements_print_like_packaging() {
        let raw = r#"Charset_Normalizer [socks, Abc] (>=2, <4) ; python_version >= "3.7""#;
        let (req, raw) = parse_requirement(raw).unwrap();
        let dep = dependency(&req, raw);
        assert_eq!(dep.name, "Charset_Normalizer");
        assert_eq!(dep.normalized, "charset-normalizer");
        assert_eq!(
            dep.display,
            r#"Charset_Normalizer[Abc,socks]<4,>=2; python_version >= "3.7""#
        );
    }

    #[test]
    fn bad_requirements_are_errors() {
        let err = parse_requirement("foo >=>= 1").unwrap_err();
        assert!(err.contains("invalid Requires-Dist `foo >=>= 1`"), "{err}");
    }
}
