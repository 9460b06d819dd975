//! Pinned requirements files (pip's "requirements file format"), as `pip-compile`,
//! `uv pip compile --generate-hashes` and `uv export` write them.
//!
//! Read: `name==version` (or `===`) pins with `--hash=ALGO:HEX` options and environment markers,
//! `name @ URL` requirements with a hash, comments, `\` line continuations, `-r`/`-c` includes
//! (relative to the including file), `--find-links` lines (relative to the file when that
//! directory exists, as pip does), `--require-hashes`, and the index options (`--index-url`,
//! `--no-index`, ...), which change nothing since winst never downloads. winst does not resolve:
//! a requirement not pinned with `==`/`===`, a URL without a hash and an editable line are
//! errors naming the file, the line and the requirement. As in pip, once any requirement has a
//! hash (or `--require-hashes` is given) every requirement must have one. Constraints (`-c`) add
//! no packages; a requirement pinned to a version its constraint excludes is an error.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::pep440_rs::{Operator, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, Requirement, VersionOrUrl};
use winst_wheel::name::normalize;

use crate::select::{self, Candidate, Wheelhouse};
use crate::{Chosen, LockError, LockTarget, Rejected, Selection, Skipped};

/// One requirement line.
struct Line {
    file: PathBuf,
    number: usize,
    requirement: Requirement,
    /// `(algorithm, hex digest)` of each `--hash`.
    hashes: Vec<(String, String)>,
}

impl Line {
    fn what(&self) -> String {
        format!("line {}: {}", self.number, self.requirement.name)
    }
}

/// Everything read from a requirements file and its includes.
#[derive(Default)]
struct Parsed {
    requirements: Vec<Line>,
    constraints: Vec<Line>,
    require_hashes: bool,
    seen: HashSet<PathBuf>,
}

/// The pinned requirements of one file (and its includes) that apply to the target, each with
/// its wheel from the `--find-links` directories.
pub(crate) fn select(
    lock: &Path,
    target: &LockTarget,
    house: &mut Wheelhouse,
) -> Result<Selection, LockError> {
    let mut parsed = Parsed::default();
    read(lock, false, &mut parsed, house)?;
    let mut selection = Selection::default();
    let mut applying = Vec::new();
    for line in parsed.requirements {
        if marker_holds(&line, target.markers) {
            applying.push(line);
        } else {
            selection.skipped.push(Skipped {
                name: line.requirement.name.to_string(),
                version: pinned_version(&line).unwrap_or_default(),
                lock: line.file.clone(),
                reason: format!(
                    "marker false: {}",
                    line.requirement.marker.try_to_string().unwrap_or_default()
                ),
            });
        }
    }
    let hashed = parsed.require_hashes || applying.iter().any(|l| !l.hashes.is_empty());
    for line in &applying {
        if hashed && line.hashes.is_empty() {
            return Err(LockError::package(
                &line.file,
                &line.what(),
                "has no --hash, but other requirements do (or --require-hashes is given); as in \
                 pip, then every requirement needs one",
            ));
        }
        check_constraints(line, &parsed.constraints)?;
        selection.chosen.push(choose(line, target, house)?);
    }
    Ok(selection)
}

fn marker_holds(line: &Line, env: &MarkerEnvironment) -> bool {
    line.requirement.marker.evaluate(env, &[])
}

/// The version a `==`/`===` pin names.
fn pinned_version(line: &Line) -> Option<String> {
    match &line.requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specs)) => {
            let [spec] = specs.iter().collect::<Vec<_>>()[..] else {
                return None;
            };
            matches!(spec.operator(), Operator::Equal | Operator::ExactEqual)
                .then(|| spec.version().to_string())
        }
        _ => None,
    }
}

/// Reads one file into `parsed`: its lines, then its includes where they appear.
fn read(
    path: &Path,
    constraint: bool,
    parsed: &mut Parsed,
    house: &mut Wheelhouse,
) -> Result<(), LockError> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if !parsed.seen.insert(abs.clone()) {
        return Ok(());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| LockError::file(path, format!("cannot read: {e}")))?;
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    for (number, line) in logical_lines(&text) {
        let err = |rule: String| LockError::package(path, &format!("line {number}"), rule);
        if line.starts_with('-') {
            option_line(path, &dir, number, &line, parsed, house)?;
            continue;
        }
        let (requirement, hashes) = requirement_line(&line).map_err(err)?;
        let entry = Line {
            file: path.to_path_buf(),
            number,
            requirement,
            hashes,
        };
        if constraint {
            parsed.constraints.push(entry);
        } else {
            check_pinned(&entry)?;
            parsed.requirements.push(entry);
        }
    }
    Ok(())
}

/// Lines joined across `\` continuations, comments removed, empty ones dropped: (first line's
/// number, text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = i + 1;
        }
        let is_comment = raw.trim_start().starts_with('#');
        if let Some(joined) = raw.strip_suffix('\\')
            && !is_comment
        {
            current.push_str(joined);
            current.push(' ');
            continue;
        }
        if !is_comment {
            current.push_str(raw);
        }
        let line = strip_comment(&current).trim().to_string();
        if !line.is_empty() {
            out.push((start, line));
        }
        current.clear();
    }
    let line = strip_comment(&current).trim().to_string();
    if !line.is_empty() {
        out.push((start, line));
    }
    out
}

/// Removes a `#` comment: at the start of the line or after whitespace (pip's rule; a `#` inside
/// a URL fragment stays).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// A requirement and its `--hash` options. Other per-requirement options are errors.
fn requirement_line(line: &str) -> Result<(Requirement, Vec<(String, String)>), String> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let split = tokens
        .iter()
        .position(|t| t.starts_with('-'))
        .unwrap_or(tokens.len());
    let text = tokens[..split].join(" ");
    let requirement = Requirement::from_str(&text).map_err(|e| {
        let msg = e.to_string();
        format!(
            "`{text}` is not a PEP 508 requirement: {}",
            msg.lines().next().unwrap_or_default()
        )
    })?;
    let mut hashes = Vec::new();
    let mut rest = tokens[split..].iter();
    while let Some(t) = rest.next() {
        let value = if let Some(v) = t.strip_prefix("--hash=") {
            v
        } else if *t == "--hash" {
            rest.next().copied().ok_or("--hash needs a value")?
        } else {
            return Err(format!(
                "{}: unsupported option {t} on a requirement line",
                requirement.name
            ));
        };
        let (algo, digest) = value
            .split_once(':')
            .ok_or_else(|| format!("{}: --hash {value} is not ALGORITHM:HEX", requirement.name))?;
        hashes.push((algo.to_ascii_lowercase(), digest.to_ascii_lowercase()));
    }
    Ok((requirement, hashes))
}

/// winst does not resolve: a requirement must be `==`/`===` pinned, or a URL with a hash.
fn check_pinned(line: &Line) -> Result<(), LockError> {
    let req = &line.requirement;
    let rule = match &req.version_or_url {
        Some(VersionOrUrl::Url(_)) if line.hashes.is_empty() => {
            "a URL requirement needs a --hash; winst installs only wheels it can verify"
        }
        Some(VersionOrUrl::Url(_)) => return Ok(()),
        _ if pinned_version(line).is_some() => return Ok(()),
        _ => {
            "is not pinned with == or ===; winst does not resolve: pin every requirement \
              (`uv pip compile --generate-hashes` or `pip-compile --generate-hashes` write such a file)"
        }
    };
    Err(LockError::package(&line.file, &line.what(), rule))
}

/// A constraint on the same project must admit the pinned version.
fn check_constraints(line: &Line, constraints: &[Line]) -> Result<(), LockError> {
    let Some(version) = pinned_version(line) else {
        return Ok(());
    };
    let Ok(version) = pep508_rs::pep440_rs::Version::from_str(&version) else {
        return Ok(());
    };
    for c in constraints
        .iter()
        .filter(|c| c.requirement.name == line.requirement.name)
    {
        if let Some(VersionOrUrl::VersionSpecifier(specs)) = &c.requirement.version_or_url
            && !VersionSpecifiers::contains(specs, &version)
        {
            return Err(LockError::package(
                &line.file,
                &line.what(),
                format!(
                    "is pinned to {version}, which the constraint `{}` ({} line {}) excludes",
                    c.requirement,
                    c.file.display(),
                    c.number
                ),
            ));
        }
    }
    Ok(())
}

/// An option line: includes, `--find-links`, `--require-hashes`, index options (ignored).
fn option_line(
    path: &Path,
    dir: &Path,
    number: usize,
    line: &str,
    parsed: &mut Parsed,
    house: &mut Wheelhouse,
) -> Result<(), LockError> {
    let err = |rule: String| LockError::package(path, &format!("line {number}"), rule);
    let (name, value) = split_option(line);
    let need = || {
        value
            .clone()
            .ok_or_else(|| err(format!("{name} needs a value")))
    };
    match name.as_str() {
        "-r" | "--requirement" | "-c" | "--constraint" => {
            let included = dir.join(need()?);
            read(
                &included,
                name.starts_with("-c") || name == "--constraint",
                parsed,
                house,
            )
        }
        "-f" | "--find-links" => {
            let value = need()?;
            if value.contains("://") && !value.starts_with("file://") {
                return Err(err(format!(
                    "--find-links {value}: winst does not download; give a local directory of wheels"
                )));
            }
            let given = PathBuf::from(value.trim_start_matches("file://"));
            let relative = dir.join(&given);
            house.add_dir(if relative.is_dir() {
                relative
            } else {
                std::path::absolute(&given).unwrap_or(given)
            });
            Ok(())
        }
        "--require-hashes" => {
            parsed.require_hashes = true;
            Ok(())
        }
        "-e" | "--editable" => Err(err(format!(
            "an editable requirement ({}); winst installs built wheels: build it first \
             (`pip wheel --no-deps`) and pin the wheel",
            value.unwrap_or_default()
        ))),
        "-i" | "--index-url" | "--extra-index-url" | "--no-index" | "--trusted-host" | "--pre"
        | "--prefer-binary" | "--only-binary" | "--no-binary" => Ok(()),
        _ => Err(err(format!("unsupported option {name}"))),
    }
}

/// `-rfile`, `-r file`, `--requirement=file`, `--requirement file`: (option, value).
fn split_option(line: &str) -> (String, Option<String>) {
    let (head, tail) = match line.split_once(char::is_whitespace) {
        Some((h, t)) => (h, Some(t.trim().to_string()).filter(|t| !t.is_empty())),
        None => (line, None),
    };
    if let Some((name, value)) = head.split_once('=') {
        return (name.to_string(), Some(value.to_string()));
    }
    if !head.starts_with("--") && head.len() > 2 {
        return (head[..2].to_string(), Some(head[2..].to_string()));
    }
    (head.to_string(), tail)
}

/// The wheel for one requirement: a URL's file, or the best wheel of the pinned version in the
/// `--find-links` directories.
fn choose(line: &Line, target: &LockTarget, house: &mut Wheelhouse) -> Result<Chosen, LockError> {
    let err = |rule: String| LockError::package(&line.file, &line.what(), rule);
    let sha256: Vec<String> = line
        .hashes
        .iter()
        .filter(|(a, _)| a == "sha256")
        .map(|(_, h)| h.clone())
        .collect();
    if sha256.is_empty() && !line.hashes.is_empty() {
        return Err(err(
            "has hashes, but no sha256 among them; winst verifies wheels by sha256".to_string(),
        ));
    }
    let normalized = normalize(line.requirement.name.as_ref());
    let candidates = match &line.requirement.version_or_url {
        Some(VersionOrUrl::Url(url)) => url_candidate(line, url, house).map_err(err)?,
        _ => {
            let version = pinned_version(line).unwrap_or_default();
            house
                .wheels_of(&normalized)
                .map_err(err)?
                .into_iter()
                .filter(|(_, p)| crate::pylock::same_version(&version, &p.version))
                .map(|(path, parsed)| Candidate {
                    file_name: path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or_default()
                        .to_string(),
                    parsed,
                    path: Some(std::path::absolute(&path).unwrap_or(path)),
                })
                .collect()
        }
    };
    let (best, rejected) = select::choose(&candidates, target.tags);
    let Some(best) = best else {
        return Err(err(no_wheel(line, target, &rejected, house)));
    };
    let c = &candidates[best];
    Ok(Chosen {
        name: line.requirement.name.to_string(),
        normalized,
        version: pinned_version(line).unwrap_or_else(|| c.parsed.version.clone()),
        lock: line.file.clone(),
        wheel: c.path.clone().unwrap_or_default(),
        size: None,
        sha256,
        rejected,
    })
}

fn no_wheel(line: &Line, target: &LockTarget, rejected: &[Rejected], house: &Wheelhouse) -> String {
    if rejected.is_empty() {
        return format!(
            "no wheel of {}=={} in the --find-links directories ({}); download it first \
             (`pip download --only-binary=:all: --no-deps -d DIR ...`)",
            line.requirement.name,
            pinned_version(line).unwrap_or_default(),
            select::dir_list(house.dirs())
        );
    }
    select::no_wheel(rejected, target, house.dirs())
}

/// `name @ URL`: a `file:` URL is the wheel itself; another URL's file name is looked up in the
/// wheelhouse.
fn url_candidate(
    line: &Line,
    url: &pep508_rs::VerbatimUrl,
    house: &mut Wheelhouse,
) -> Result<Vec<Candidate>, String> {
    let raw = url.raw();
    let file_name = raw
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default()
        .to_string();
    if !file_name.ends_with(".whl") {
        return Err(format!(
            "{url} is not a wheel; winst installs built wheels: build {} first",
            line.requirement.name
        ));
    }
    let parsed =
        winst_wheel::WheelFilename::parse(&file_name).map_err(|e| format!("{file_name}: {e}"))?;
    let path = if raw.scheme() == "file" {
        raw.to_file_path().ok().filter(|p| p.is_file())
    } else {
        house.find(&file_name)?
    };
    Ok(vec![Candidate {
        file_name,
        parsed,
        path,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_and_comments() {
        let text = "# header\nsix==1.17.0 \\\n    --hash=sha256:AA \\\n    --hash=sha256:bb\n    # via x\n\nidna==3.7 # trailing\nfoo @ https://x/y.whl#sha256=cc\n";
        let lines = logical_lines(text);
        assert_eq!(
            lines,
            vec![
                (
                    2,
                    "six==1.17.0      --hash=sha256:AA      --hash=sha256:bb".to_string()
                ),
                (7, "idna==3.7".to_string()),
                (8, "foo @ https://x/y.whl#sha256=cc".to_string()),
            ]
        );
        let (req, hashes) = requirement_line(&lines[0].1).unwrap();
        assert_eq!(req.name.to_string(), "six");
        assert_eq!(
            hashes,
            vec![
                ("sha256".into(), "aa".into()),
                ("sha256".into(), "bb".into())
            ]
        );
    }

    #[test]
    fn options_split_like_pip() {
        assert_eq!(
            split_option("-r base.txt"),
            ("-r".into(), Some("base.txt".into()))
        );
        assert_eq!(
            split_option("-rbase.txt"),
            ("-r".into(), Some("base.txt".into()))
        );
        assert_eq!(
            split_option("--requirement=base.txt"),
            ("--requirement".into(), Some("base.txt".into()))
        );
        assert_eq!(split_option("--no-index"), ("--no-index".into(), None));
        assert!(requirement_line("six==1 --install-option=x").is_err());
        assert!(requirement_line("./six.whl").is_err());
    }
}
