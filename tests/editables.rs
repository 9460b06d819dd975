//! Editable installs (PEP 660) from the build backends people use, built by their own
//! `build_editable` hooks (the backends and pyproject-hooks from `tests/corpus/tools.txt`,
//! installed into a build venv by winst), some through `winst install -e PROJECT
//! --build-python BUILD_VENV` and some by a frontend (pyproject-hooks) and given with
//! `--editable-wheel WHEEL PROJECT`, and installed all together with a dozen regular corpus
//! wheels in one parallel `winst install`.
//!
//! The projects: setuptools with a src layout (a plain path `.pth`) and with a flat layout
//! (setuptools' import-hook finder) carrying package data, hatchling with a namespace package
//! in a src layout, flit-core with a console script (its editable wheel's only root file is
//! `<name>.pth`, which content detection cannot tell from any `.pth`), pdm-backend with a src
//! layout, and poetry-core with a console script. Checked with the venv's Python: imports
//! resolve into the source trees, an edit is seen without reinstalling, console scripts run,
//! `pip list --editable` and `importlib.metadata` agree, uninstalling with winst and with pip
//! and replacing an editable with a regular wheel (and back) leave a clean environment; the
//! default editable plugin's `static` mode on each backend's output; editable wheels fighting
//! over a root file are refused before anything is written; `-e` without the backend fails
//! clearly.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// A project: its directory name, its files, the module to import, and its console script.
struct Project {
    dir: &'static str,
    dist: &'static str,
    module: &'static str,
    /// The source file whose `VALUE = 1` the edit test changes.
    source: &'static str,
    script: Option<&'static str>,
    files: &'static [(&'static str, &'static str)],
}

const VALUE: &str = "VALUE = 1\ndef main():\n    print('running', __name__, VALUE)\n";

const PROJECTS: &[Project] = &[
    Project {
        dir: "st-src",
        dist: "st-src",
        module: "st_src",
        source: "src/st_src/__init__.py",
        script: Some("st-src-run"),
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"setuptools>=64\"]\nbuild-backend = \"setuptools.build_meta\"\n\
                 [project]\nname = \"st-src\"\nversion = \"0.1\"\n\
                 [project.scripts]\nst-src-run = \"st_src:main\"\n",
            ),
            ("src/st_src/__init__.py", VALUE),
        ],
    },
    Project {
        dir: "st-flat",
        dist: "st-flat",
        module: "st_flat",
        source: "st_flat/__init__.py",
        script: None,
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"setuptools>=64\"]\nbuild-backend = \"setuptools.build_meta\"\n\
                 [project]\nname = \"st-flat\"\nversion = \"0.1\"\n\
                 [tool.setuptools]\npackages = [\"st_flat\"]\n\
                 [tool.setuptools.package-data]\nst_flat = [\"data.txt\"]\n",
            ),
            ("st_flat/__init__.py", VALUE),
            ("st_flat/data.txt", "package data of st_flat\n"),
        ],
    },
    Project {
        dir: "hatch-ns",
        dist: "hatch-ns",
        module: "hatchns.part",
        source: "src/hatchns/part/__init__.py",
        script: None,
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\
                 [project]\nname = \"hatch-ns\"\nversion = \"0.1\"\n\
                 [tool.hatch.build.targets.wheel]\npackages = [\"src/hatchns\"]\n",
            ),
            ("src/hatchns/part/__init__.py", VALUE),
        ],
    },
    Project {
        dir: "edflit",
        dist: "edflit",
        module: "edflit",
        source: "edflit/__init__.py",
        script: Some("edflit-run"),
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"flit_core>=3.2,<4\"]\nbuild-backend = \"flit_core.buildapi\"\n\
                 [project]\nname = \"edflit\"\nversion = \"0.1\"\ndescription = \"flit\"\n\
                 [project.scripts]\nedflit-run = \"edflit:main\"\n",
            ),
            ("edflit/__init__.py", VALUE),
        ],
    },
    Project {
        dir: "pdm-src",
        dist: "pdm-src",
        module: "pdm_src",
        source: "src/pdm_src/__init__.py",
        script: None,
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"pdm-backend\"]\nbuild-backend = \"pdm.backend\"\n\
                 [project]\nname = \"pdm-src\"\nversion = \"0.1\"\n",
            ),
            ("src/pdm_src/__init__.py", VALUE),
        ],
    },
    Project {
        dir: "poet-flat",
        dist: "poet-flat",
        module: "poet_flat",
        source: "poet_flat/__init__.py",
        script: Some("poet-flat-run"),
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"poetry-core>=2\"]\nbuild-backend = \"poetry.core.masonry.api\"\n\
                 [project]\nname = \"poet-flat\"\nversion = \"0.1\"\n\
                 [project.scripts]\npoet-flat-run = \"poet_flat:main\"\n\
                 [tool.poetry]\npackages = [{include = \"poet_flat\"}]\n",
            ),
            ("poet_flat/__init__.py", VALUE),
        ],
    },
];

/// The regular corpus wheels installed together with the editables.
const REGULAR: &[&str] = &[
    "requests",
    "urllib3",
    "idna",
    "charset-normalizer",
    "certifi",
    "six",
    "attrs",
    "click",
    "jinja2",
    "markupsafe",
    "pyyaml",
    "python-dateutil",
];

/// A venv with every build backend of `tools.txt` in it, installed by winst.
fn build_venv(tools: &[PathBuf]) -> Venv {
    let venv = Venv::new();
    let wheels: Vec<&PathBuf> = tools
        .iter()
        .filter(|w| !w.file_name().unwrap().to_string_lossy().starts_with("pip-"))
        .collect();
    let args: Vec<&dyn AsRef<std::ffi::OsStr>> = wheels.iter().map(|w| *w as _).collect();
    ok(&venv.install(&args));
    venv
}

/// Writes every project under `root`; returns their directories, in [`PROJECTS`] order.
fn write_projects(root: &Path) -> Vec<PathBuf> {
    PROJECTS
        .iter()
        .map(|p| {
            let dir = root.join(p.dir);
            for (rel, text) in p.files {
                let path = dir.join(rel);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, text).unwrap();
            }
            dir
        })
        .collect()
}

/// `winst install --python VENV --build-python BUILD -e P... EXTRA...`
fn install_editables(
    venv: &Venv,
    build: &Venv,
    projects: &[PathBuf],
    extra: &[&dyn AsRef<std::ffi::OsStr>],
) -> std::process::Output {
    let mut cmd = winst();
    cmd.arg("install")
        .arg("--python")
        .arg(venv.python())
        .arg("--build-python")
        .arg(build.python());
    for p in projects {
        cmd.arg("-e").arg(p);
    }
    for e in extra {
        cmd.arg(e);
    }
    cmd.output().unwrap()
}

/// Builds the editable wheel of `project` as a frontend does, through `pyproject-hooks` in the
/// build venv (the backend named by `pyproject.toml`), into `out`; returns its path.
fn frontend_build(build: &Venv, project: &Path, out: &Path) -> PathBuf {
    let code = "import sys, tomllib, pyproject_hooks\n\
        project, out = sys.argv[1:3]\n\
        system = tomllib.load(open(project + '/pyproject.toml', 'rb'))['build-system']\n\
        hooks = pyproject_hooks.BuildBackendHookCaller(project, system['build-backend'],\n\
            runner=pyproject_hooks.quiet_subprocess_runner)\n\
        print(hooks.build_editable(out))\n";
    let run = Command::new(build.python())
        .args(["-c", code])
        .arg(project)
        .arg(out)
        .output()
        .unwrap();
    out.join(ok(&run).0.trim())
}

/// Where `module` is imported from, by the venv's Python.
fn module_file(venv: &Venv, module: &str) -> String {
    venv.python_out(&format!(
        "import importlib, os; m = importlib.import_module({module:?}); \
         print(os.path.realpath(m.__file__))"
    ))
}

/// Names `pip list --editable` shows, with their project locations.
fn pip_editables(venv: &Venv) -> BTreeSet<(String, String)> {
    let out = venv.pip(&["list", "--editable", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&ok(&out).0).unwrap();
    rows.iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["editable_project_location"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// The editable rows of `winst list --format json`, as [`pip_editables`].
fn winst_editables(venv: &Venv) -> BTreeSet<(String, String)> {
    let out = winst()
        .args(["list", "--format", "json", "--python"])
        .arg(venv.python())
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&ok(&out).0).unwrap();
    rows.iter()
        .filter_map(|r| {
            let location = r.get("editable_project_location")?.as_str()?;
            Some((r["name"].as_str()?.to_string(), location.to_string()))
        })
        .collect()
}

/// What `importlib.metadata` says of each project's `direct_url.json`: (name, url, editable).
fn metadata_editables(venv: &Venv, names: &[&str]) -> BTreeSet<(String, String)> {
    let code = format!(
        "import importlib.metadata as m, json\n\
         for n in {names:?}:\n    d = json.loads(m.distribution(n).read_text('direct_url.json'))\n    \
         assert d['dir_info']['editable'] is True, d\n    print(m.metadata(n)['Name'], d['url'][len('file://'):])"
    );
    venv.python_out(&code)
        .lines()
        .map(|l| {
            let (n, u) = l.split_once(' ').unwrap();
            (n.to_string(), u.to_string())
        })
        .collect()
}

/// Relative paths of every file and directory under the venv's site-packages and bin,
/// bytecode caches left out.
fn tree(venv: &Venv) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for base in [venv.site_packages(), venv.root().join("bin")] {
        let mut stack = vec![base.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = e.path();
                if e.file_name() == "__pycache__" {
                    continue;
                }
                out.insert(
                    path.strip_prefix(venv.root())
                        .unwrap()
                        .display()
                        .to_string(),
                );
                if e.file_type().unwrap().is_dir() {
                    stack.push(path);
                }
            }
        }
    }
    out
}

struct Setup {
    _dir: tempfile::TempDir,
    build: Venv,
    projects: Vec<PathBuf>,
    regular: Vec<PathBuf>,
}

fn setup(test: &str) -> Option<Setup> {
    let tools = corpus::tools(test)?;
    let corpus = corpus::wheels(test)?;
    let dir = tempfile::tempdir().unwrap();
    let projects = write_projects(dir.path());
    Some(Setup {
        build: build_venv(&tools),
        projects,
        regular: REGULAR.iter().map(|n| corpus::wheel(&corpus, n)).collect(),
        _dir: dir,
    })
}

#[test]
fn real_backends_editables_install_together_with_regular_wheels_and_leave_clean() {
    let Some(s) = setup("real_backends_editables_install_together_with_regular_wheels") else {
        return;
    };
    let venv = Venv::new();
    // Every other project is built by a frontend (pyproject-hooks) and given with
    // `--editable-wheel`; the others are built by winst (`-e`); all go in one install.
    let built = tempfile::tempdir().unwrap();
    let mut extra: Vec<std::ffi::OsString> = Vec::new();
    let mut by_winst = Vec::new();
    for (i, dir) in s.projects.iter().enumerate() {
        if i % 2 == 1 {
            let wheel = frontend_build(&s.build, dir, built.path());
            extra.extend(["--editable-wheel".into(), wheel.into(), dir.into()]);
        } else {
            by_winst.push(dir.clone());
        }
    }
    extra.extend(s.regular.iter().map(|w| w.into()));
    let extra: Vec<&dyn AsRef<std::ffi::OsStr>> = extra.iter().map(|a| a as _).collect();
    let (_, stderr) = ok(&install_editables(&venv, &s.build, &by_winst, &extra));
    let regular: Vec<&dyn AsRef<std::ffi::OsStr>> = s.regular.iter().map(|w| w as _).collect();
    assert!(
        stderr.contains(&format!(
            "Installed {} packages",
            PROJECTS.len() + REGULAR.len()
        )),
        "{stderr}"
    );

    for (p, dir) in PROJECTS.iter().zip(&s.projects) {
        let file = module_file(&venv, p.module);
        let real_dir = std::fs::canonicalize(dir).unwrap();
        assert!(
            Path::new(&file).starts_with(&real_dir),
            "{}: {} imports from {file}, not from {}",
            p.dist,
            p.module,
            real_dir.display()
        );
        // An edit is seen without reinstalling.
        let source = dir.join(p.source);
        let text = std::fs::read_to_string(&source).unwrap();
        std::fs::write(&source, text.replace("VALUE = 1", "VALUE = 2")).unwrap();
        let value = venv.python_out(&format!(
            "import importlib; print(importlib.import_module({:?}).VALUE)",
            p.module
        ));
        assert_eq!(value, "2", "{}: the edit is not seen", p.dist);
        if let Some(script) = p.script {
            let out = Command::new(venv.bin(script)).output().unwrap();
            assert_eq!(ok(&out).0, format!("running {} 2\n", p.module), "{script}");
        }
    }
    let data = venv.python_out(
        "import importlib.resources as r; print(r.files('st_flat').joinpath('data.txt').read_text(), end='')",
    );
    assert_eq!(data, "package data of st_flat");
    venv.python_out("import requests, yaml, dateutil, jinja2, click, attrs");

    // pip and importlib.metadata see the same editables, at their project directories.
    let expected: BTreeSet<(String, String)> = PROJECTS
        .iter()
        .zip(&s.projects)
        .map(|(p, d)| (p.dist.to_string(), d.display().to_string()))
        .collect();
    assert_eq!(pip_editables(&venv), expected);
    assert_eq!(winst_editables(&venv), expected);
    let names: Vec<&str> = PROJECTS.iter().map(|p| p.dist).collect();
    assert_eq!(metadata_editables(&venv, &names), expected);

    // Uninstalling them (half with winst, half with pip) leaves what the regular wheels alone
    // leave.
    let (by_winst, by_pip) = names.split_at(names.len() / 2);
    ok(&winst()
        .args(["uninstall", "--python"])
        .arg(venv.python())
        .args(by_winst)
        .output()
        .unwrap());
    let mut args = vec!["uninstall", "-y"];
    args.extend(by_pip);
    ok(&venv.pip(&args));
    let alone = Venv::new();
    ok(&alone.install(&regular));
    assert_eq!(tree(&venv), tree(&alone));
}

/// Builds a regular wheel of `project` with the build venv's backend.
fn regular_wheel(build: &Venv, project: &Path, out: &Path) -> PathBuf {
    let code = format!(
        "import flit_core.buildapi as b; print(b.build_wheel({:?}))",
        out.display().to_string()
    );
    let out_text = Command::new(build.python())
        .args(["-c", &code])
        .current_dir(project)
        .output()
        .unwrap();
    out.join(ok(&out_text).0.trim())
}

#[test]
fn an_editable_replaced_by_a_regular_wheel_and_back_leaves_no_trace() {
    let Some(s) = setup("an_editable_replaced_by_a_regular_wheel_and_back") else {
        return;
    };
    let flit = &s.projects[3];
    let venv = Venv::new();
    ok(&install_editables(
        &venv,
        &s.build,
        std::slice::from_ref(flit),
        &[],
    ));
    let editable_tree = tree(&venv);
    let wheels = tempfile::tempdir().unwrap();
    let wheel = regular_wheel(&s.build, flit, wheels.path());
    ok(&venv.install(&[&wheel]));
    assert!(pip_editables(&venv).is_empty());
    assert!(module_file(&venv, "edflit").starts_with(&venv.site_packages().display().to_string()));
    let regular_tree = tree(&venv);
    let fresh = Venv::new();
    ok(&fresh.install(&[&wheel]));
    assert_eq!(regular_tree, tree(&fresh));

    ok(&install_editables(
        &venv,
        &s.build,
        std::slice::from_ref(flit),
        &[],
    ));
    assert_eq!(tree(&venv), editable_tree);
    assert_eq!(pip_editables(&venv).len(), 1);
    assert!(!venv.site_packages().join("edflit").exists());
}

#[test]
fn the_static_mode_gives_every_backend_a_plain_path_layout() {
    let Some(s) = setup("the_static_mode_gives_every_backend_a_plain_path_layout") else {
        return;
    };
    let config = tempfile::tempdir().unwrap();
    let toml = config.path().join("winst.toml");
    std::fs::write(
        &toml,
        format!(
            "[[plugin]]\nname = \"default-editable\"\nfile = {:?}\nconfig = {{ mode = \"static\" }}\n",
            plugin("editable").display().to_string()
        ),
    )
    .unwrap();
    let venv = Venv::new();
    ok(&install_editables(
        &venv,
        &s.build,
        &s.projects,
        &[&"--config", &toml],
    ));
    // No import hook is left: no finder module at the root, and every `.pth` holds plain
    // paths (pdm-backend's editable wheel also ships a root `.gitignore`, kept as it is).
    for e in std::fs::read_dir(venv.site_packages()).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".py"), "{name} is left in site-packages");
        if name.ends_with(".pth") {
            let text = std::fs::read_to_string(e.path()).unwrap();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                assert!(
                    line.starts_with('/'),
                    "{name}: `{line}` is not a plain path"
                );
            }
        }
    }
    for (p, dir) in PROJECTS.iter().zip(&s.projects) {
        let file = module_file(&venv, p.module);
        assert!(
            Path::new(&file).starts_with(std::fs::canonicalize(dir).unwrap()),
            "{}: {file}",
            p.dist
        );
    }
}

/// `winst install --python VENV ARGS...`, expected to fail: its output and stderr.
fn refused_install(venv: &Venv, args: &[std::ffi::OsString]) -> (std::process::Output, String) {
    let out = winst()
        .arg("install")
        .arg("--python")
        .arg(venv.python())
        .args(args)
        .output()
        .unwrap();
    let stderr = text(&out).1;
    (out, stderr)
}

#[test]
fn editable_wheels_fighting_over_a_root_file_are_refused_before_writing() {
    let dir = wheel_dir();
    let projects = tempfile::tempdir().unwrap();
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    for name in ["fight-a", "fight-b"] {
        let project = projects.path().join(name);
        std::fs::create_dir_all(&project).unwrap();
        let wheel = WheelBuilder::new(name, "0.1")
            .file("shared_editable.pth", format!("{}\n", project.display()))
            .build(dir.path());
        args.extend(["--editable-wheel".into(), wheel.into(), project.into()]);
    }
    let venv = Venv::new();
    let before = venv.snapshot();
    let (out, stderr) = refused_install(&venv, &args);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("shared_editable.pth") && stderr.contains("fight_a-0.1-py3-none-any.whl"),
        "{stderr}"
    );
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn an_editable_wheel_given_with_its_project_is_editable_whatever_its_files() {
    // A flit-core-style editable wheel: its only root file is `<name>.pth`.
    let dir = wheel_dir();
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(project.path().join("edplain")).unwrap();
    std::fs::write(
        project.path().join("edplain/__init__.py"),
        "X = 'from source'\n",
    )
    .unwrap();
    let wheel = WheelBuilder::new("edplain", "0.1")
        .file("edplain.pth", format!("{}\n", project.path().display()))
        .build(dir.path());
    let venv = Venv::new();
    ok(&winst()
        .arg("install")
        .arg("--python")
        .arg(venv.python())
        .arg("--editable-wheel")
        .arg(&wheel)
        .arg(project.path())
        .output()
        .unwrap());
    assert_eq!(
        pip_editables(&venv),
        [("edplain".to_string(), project.path().display().to_string())].into()
    );
    assert_eq!(
        venv.python_out("import edplain; print(edplain.X)"),
        "from source"
    );
    // The same wheel given plainly is a plain archive install, as before.
    let plain = Venv::new();
    ok(&plain.install(&[&wheel]));
    assert!(pip_editables(&plain).is_empty());
}

#[test]
fn dash_e_is_refused_in_untrusted_mode() {
    let projects = tempfile::tempdir().unwrap();
    let dirs = write_projects(projects.path());
    let venv = Venv::new();
    let before = venv.snapshot();
    let args = ["--untrusted".into(), "-e".into(), dirs[3].clone().into()];
    let (out, stderr) = refused_install(&venv, &args);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("-e runs the project's build backend, which untrusted mode does not allow"),
        "{stderr}"
    );
    assert!(!dirs[3].join("build").exists());
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn dash_e_without_the_backend_fails_clearly_and_changes_nothing() {
    let projects = tempfile::tempdir().unwrap();
    let dirs = write_projects(projects.path());
    let venv = Venv::new();
    let before = venv.snapshot();
    let (out, stderr) = refused_install(&venv, &["-e".into(), dirs[3].clone().into()]);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the build backend `flit_core.buildapi`")
            && stderr.contains("is not installed in the environment of")
            && stderr.contains("No module named 'flit_core'")
            && stderr.contains("--build-python"),
        "{stderr}"
    );
    assert_same_tree(&before, &venv.snapshot());
}
