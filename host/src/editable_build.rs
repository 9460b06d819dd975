//! `winst install -e PROJECT_DIR`: builds a project's editable wheel with its PEP 517 backend's
//! PEP 660 `build_editable` hook, without build isolation (as `pip install
//! --no-build-isolation -e`): the backend must already be installed in the environment of the
//! Python that runs it (the target's, or `--build-python`).
//!
//! The hook runs in a child process of that Python, in the project directory, as
//! `pyproject-hooks` runs it: `[build-system] build-backend` (default
//! `setuptools.build_meta:__legacy__`) and `backend-path` from `pyproject.toml`. What the hook
//! prints is shown only when it fails. Not here: installing build requirements, resolving
//! anything, or installing the wheel (the install pipeline does that, told the wheel is
//! editable and where its project is).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The hook runner: `python -c RUNNER PROJECT OUT_DIR RESULT_FILE`. It writes one JSON object to
/// RESULT_FILE: `{"wheel": NAME}`, or `{"error": KIND, "backend": ..., "detail": ...}`.
const RUNNER: &str = r#"
import importlib, json, os, sys, traceback
project, out, result = sys.argv[1:4]
def answer(**kw):
    with open(result, "w") as f:
        json.dump(kw, f)
    sys.exit(0)
system = {}
pyproject = os.path.join(project, "pyproject.toml")
if os.path.exists(pyproject):
    try:
        import tomllib
    except ImportError:
        try:
            import tomli as tomllib
        except ImportError:
            answer(error="toml", detail="Python %d.%d has no tomllib; install tomli" % sys.version_info[:2])
    with open(pyproject, "rb") as f:
        system = tomllib.load(f).get("build-system", {})
elif not os.path.exists(os.path.join(project, "setup.py")):
    answer(error="not-a-project")
backend = system.get("build-backend", "setuptools.build_meta:__legacy__")
requires = system.get("requires", ["setuptools"])
sys.path[:0] = [os.path.join(project, p) for p in system.get("backend-path", [])]
module, _, attr = backend.partition(":")
try:
    hooks = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        hooks = getattr(hooks, part)
except Exception as e:
    answer(error="missing", backend=backend, requires=requires, detail="%s: %s" % (type(e).__name__, e))
if not hasattr(hooks, "build_editable"):
    answer(error="no-hook", backend=backend)
try:
    name = hooks.build_editable(out, None, None)
except Exception:
    answer(error="failed", backend=backend, detail=traceback.format_exc())
answer(wheel=name)
"#;

/// The Python that runs the backend: `--build-python` (an interpreter, or a virtual
/// environment's directory) or the target's interpreter.
pub(crate) fn build_python(given: Option<&Path>, target_python: &Path) -> Result<PathBuf> {
    let python = match given {
        Some(p) if p.is_dir() => p.join("bin").join("python"),
        Some(p) => p.to_path_buf(),
        None => target_python.to_path_buf(),
    };
    // The hook runs in the project directory, so a relative path would change meaning.
    std::path::absolute(&python).with_context(|| format!("cannot resolve {}", python.display()))
}

/// Builds the editable wheel of the project in `project` (absolute) into `out` with `python`.
/// Returns the wheel's path. Errors name the project, the backend and what to do.
pub(crate) fn build(project: &Path, python: &Path, out: &Path) -> Result<PathBuf> {
    let result = out.join(".winst-build-result.json");
    let run = Command::new(python)
        .arg("-c")
        .arg(RUNNER)
        .arg(project)
        .arg(out)
        .arg(&result)
        .current_dir(project)
        .output()
        .with_context(|| {
            format!(
                "cannot run {} to build {}",
                python.display(),
                project.display()
            )
        })?;
    let shown = || {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        text.trim_end().to_string()
    };
    let answer: serde_json::Value = std::fs::read(&result)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .with_context(|| {
            format!(
                "{}: the build backend runner under {} stopped without an answer ({}):\n{}",
                project.display(),
                python.display(),
                run.status,
                shown()
            )
        })?;
    let field = |k: &str| answer[k].as_str().unwrap_or_default().to_string();
    if let Some(name) = answer["wheel"].as_str() {
        let wheel = out.join(name);
        if !wheel.is_file() || name.contains('/') {
            bail!(
                "{}: the build backend said it built `{name}` but there is no such wheel in {}",
                project.display(),
                out.display()
            );
        }
        return Ok(wheel);
    }
    let (p, py) = (project.display(), python.display());
    match field("error").as_str() {
        "not-a-project" => bail!(
            "{p}: not a Python project (no pyproject.toml or setup.py); -e takes a project \
             directory"
        ),
        "missing" => bail!(
            "{p}: the build backend `{}` (pyproject.toml [build-system]) is not installed in the \
             environment of {py} ({}); install its build requirements ({}) there, or name a \
             Python that has them with --build-python",
            field("backend"),
            field("detail"),
            requires(&answer)
        ),
        "no-hook" => bail!(
            "{p}: the build backend `{}` has no build_editable hook, so it cannot make editable \
             installs (PEP 660); upgrade it",
            field("backend")
        ),
        "toml" => bail!(
            "{p}: cannot read pyproject.toml with {py}: {}",
            field("detail")
        ),
        _ => bail!(
            "{p}: the build backend `{}` failed to build an editable wheel:\n{}\n{}",
            field("backend"),
            field("detail").trim_end(),
            shown()
        ),
    }
}

fn requires(answer: &serde_json::Value) -> String {
    answer["requires"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}
