//! `winst check`, the warnings after `winst install`, and `winst show`, compared with `pip check`
//! and `pip show` on the same real virtual environments.
//!
//! The environments hold real PyPI wheels from the pinned corpus (`tests/corpus`), installed in
//! subsets that leave requirements unmet, plus hand-built wheels for version conflicts,
//! pre-releases, local versions, markers that are false on this interpreter and extras-only
//! requirements. Without network access the corpus tests fail, unless
//! `WINST_SKIP_NETWORK_TESTS=1`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Output;

use support::*;

/// Stdout lines as a set, and whether the command succeeded.
fn lines(out: &Output) -> (BTreeSet<String>, bool) {
    let (stdout, _) = text(out);
    (
        stdout.lines().map(str::to_string).collect(),
        out.status.success(),
    )
}

fn winst_check(venv: &Venv) -> Output {
    winst()
        .arg("check")
        .arg("--python")
        .arg(venv.python())
        .output()
        .unwrap()
}

/// Asserts `winst check` and `pip check` print the same set of lines and agree on success;
/// returns pip's lines.
fn assert_check_matches_pip(venv: &Venv, what: &str) -> BTreeSet<String> {
    let winst_out = winst_check(venv);
    let pip_out = venv.pip(&["check"]);
    let (w, w_ok) = lines(&winst_out);
    let (p, p_ok) = lines(&pip_out);
    assert_eq!(
        w,
        p,
        "{what}: winst check and pip check disagree\nwinst: {:?}\npip: {:?}",
        text(&winst_out),
        text(&pip_out)
    );
    assert_eq!(
        w_ok, p_ok,
        "{what}: exit codes differ: {winst_out:?} {pip_out:?}"
    );
    if !w_ok {
        assert_eq!(winst_out.status.code(), Some(1), "{what}");
    }
    p
}

fn install_ok(venv: &Venv, wheels: &[PathBuf]) -> Output {
    let args: Vec<&dyn AsRef<std::ffi::OsStr>> = wheels
        .iter()
        .map(|p| p as &dyn AsRef<std::ffi::OsStr>)
        .collect();
    let out = venv.install(&args);
    assert!(out.status.success(), "install failed: {:?}", text(&out));
    out
}

/// The `warning: ` lines an install printed about requirements (pip check's wording).
fn requirement_warnings(out: &Output) -> BTreeSet<String> {
    let (_, stderr) = text(out);
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("warning: "))
        .filter(|l| l.contains(" requires ") || l.contains(" has requirement "))
        .map(str::to_string)
        .collect()
}

fn corpus() -> Option<Vec<PathBuf>> {
    corpus::wheels("check")
}

#[test]
fn check_matches_pip_on_corpus_subsets() {
    let Some(wheels) = corpus() else { return };
    let pick = |names: &[&str]| -> Vec<PathBuf> {
        names.iter().map(|n| corpus::wheel(&wheels, n)).collect()
    };
    let subsets: &[(&str, &[&str])] = &[
        // Missing dependencies; PySocks and chardet are behind extras.
        ("requests alone", &["requests"]),
        ("requests and some deps", &["requests", "idna", "urllib3"]),
        // tomli and typing-extensions are only for python_version < "3.11".
        ("black alone", &["black"]),
        (
            "black with its deps",
            &[
                "black",
                "click",
                "mypy_extensions",
                "packaging",
                "pathspec",
                "platformdirs",
                "pytokens",
            ],
        ),
        ("boto3 stack", &["boto3", "botocore", "jmespath"]),
        ("flake8 and friends", &["flake8", "mccabe", "pyflakes"]),
        ("pytest", &["pytest", "iniconfig", "packaging"]),
        ("jinja2 and qtconsole", &["jinja2", "qtconsole", "pygments"]),
    ];
    let mut broken = 0;
    for (what, names) in subsets {
        let venv = Venv::new();
        install_ok(&venv, &pick(names));
        let pip = assert_check_matches_pip(&venv, what);
        broken += usize::from(!pip.contains("No broken requirements found."));
    }
    assert!(broken >= 5, "the subsets should leave requirements unmet");

    // The whole corpus at once.
    let venv = Venv::new();
    install_ok(&venv, &wheels);
    assert_check_matches_pip(&venv, "whole corpus");
}

#[test]
fn conflicts_prereleases_markers_and_extras_match_pip() {
    let Some(wheels) = corpus() else { return };
    let dir = wheel_dir();
    let venv = Venv::new();
    // requests needs urllib3<3,>=1.21.1, idna<4,>=2.5, charset_normalizer<4,>=2, certifi>=2017.4.17.
    install_ok(&venv, &[corpus::wheel(&wheels, "requests")]);
    let built = [
        // A pre-release of 3 is not <3 (PEP 440), even with pre-releases allowed.
        WheelBuilder::new("urllib3", "3.0.0rc1").build(dir.path()),
        // Too old.
        WheelBuilder::new("idna", "2.0").build(dir.path()),
        // A local version satisfies the public one.
        WheelBuilder::new("charset-normalizer", "3.0.0+local.1").build(dir.path()),
        // A pre-release that satisfies >= (pip checks with prereleases=True).
        WheelBuilder::new("certifi", "2030.1.1b2").build(dir.path()),
    ];
    install_ok(&venv, &built);
    let pip = assert_check_matches_pip(&venv, "requests with built deps");
    assert_eq!(pip.len(), 2, "urllib3 and idna conflict: {pip:?}");

    // A hand-written METADATA with every kind of Requires-Dist.
    let venv = Venv::new();
    let mut app = WheelBuilder::new("App.Thing", "1.0").file("app_thing.py", "");
    app.metadata_extra = [
            "Requires-Dist: Needs_Newer (>=2.0)",
            "Requires-Dist: absent-one",
            "Requires-Dist: absent-one>=3",
            "Requires-Dist: old_python ; python_version < \"3.8\"",
            "Requires-Dist: only-with-extra ; extra == 'cli'",
            "Requires-Dist: not-without-extra ; extra != 'cli'",
            "Requires-Dist: linux_only[Fast,a] <2,>=1.0 ; sys_platform == 'linux' and (os_name=='posix' or platform_machine=='x')",
            "Requires-Dist: windows-only ; platform_system == 'Windows'",
            "Requires-Dist: exact==1.0.*",
            "Requires-Dist: fine~=1.2",
            "Requires-Dist: url-dep @ https://example.invalid/url_dep-1.0-py3-none-any.whl",
        "Provides-Extra: cli",
    ]
    .join("\n")
        + "\n";
    let deps = [
        app.build(dir.path()),
        WheelBuilder::new("needs-newer", "1.9").build(dir.path()),
        WheelBuilder::new("linux-only", "2.0").build(dir.path()),
        WheelBuilder::new("exact", "1.1").build(dir.path()),
        WheelBuilder::new("fine", "1.9").build(dir.path()),
        WheelBuilder::new("url_dep", "0.1").build(dir.path()),
    ];
    install_ok(&venv, &deps);
    let pip = assert_check_matches_pip(&venv, "hand-written requirements");
    let expected: BTreeSet<String> = [
        "app-thing 1.0 requires absent-one, which is not installed.",
        "app-thing 1.0 requires not-without-extra, which is not installed.",
        "app-thing 1.0 has requirement Needs_Newer>=2.0, but you have needs-newer 1.9.",
        "app-thing 1.0 has requirement linux_only[Fast,a]<2,>=1.0; sys_platform == \"linux\" and (os_name == \"posix\" or platform_machine == \"x\"), but you have linux-only 2.0.",
        "app-thing 1.0 has requirement exact==1.0.*, but you have exact 1.1.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(pip, expected, "pip's own view of this environment changed");

    // JSON output names the same problems.
    let out = winst()
        .args(["check", "--format", "json", "--python"])
        .arg(venv.python())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // One entry per unmet requirement, as pip prints one line per requirement (absent-one twice).
    let pip_lines = text(&venv.pip(&["check"])).0.lines().count();
    assert_eq!(pip_lines, expected.len() + 1);
    assert_eq!(json.as_array().map(Vec::len), Some(pip_lines), "{json}");

    // Fixing everything makes both happy.
    let fixes = [
        WheelBuilder::new("needs-newer", "2.0").build(dir.path()),
        WheelBuilder::new("linux-only", "1.5").build(dir.path()),
        WheelBuilder::new("exact", "1.0.3").build(dir.path()),
        WheelBuilder::new("absent-one", "3.0").build(dir.path()),
        WheelBuilder::new("not_without_extra", "1").build(dir.path()),
    ];
    install_ok(&venv, &fixes);
    let pip = assert_check_matches_pip(&venv, "fixed");
    assert_eq!(
        pip,
        BTreeSet::from(["No broken requirements found.".to_string()])
    );
}

#[test]
fn unreadable_requirements_fail_the_check() {
    let dir = wheel_dir();
    let venv = Venv::new();
    let mut bad = WheelBuilder::new("badreq", "1.0");
    bad.metadata_extra = "Requires-Dist: foo >=>= 1\n".to_string();
    install_ok(&venv, &[bad.build(dir.path())]);
    let out = winst_check(&venv);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("badreq") && stderr.contains("foo >=>= 1"),
        "the error names the project and the requirement: {stderr}"
    );
    assert!(!venv.pip(&["check"]).status.success());
}

#[test]
fn install_warns_about_requirements_it_leaves_unmet() {
    let Some(wheels) = corpus() else { return };
    let venv = Venv::new();
    // requests alone: every missing dependency is reported, as pip check reports it.
    let out = install_ok(&venv, &[corpus::wheel(&wheels, "requests")]);
    let warned = requirement_warnings(&out);
    let (pip, _) = lines(&venv.pip(&["check"]));
    assert_eq!(warned, pip);
    assert_eq!(warned.len(), 4, "{warned:?}");

    // An unrelated project: nothing about requests.
    let out = install_ok(&venv, &[corpus::wheel(&wheels, "six")]);
    assert_eq!(requirement_warnings(&out), BTreeSet::new());

    // urllib3 is required by requests, so requests' remaining problems are reported again.
    let out = install_ok(&venv, &[corpus::wheel(&wheels, "urllib3")]);
    let warned = requirement_warnings(&out);
    let (pip, _) = lines(&venv.pip(&["check"]));
    assert_eq!(warned, pip);
    assert_eq!(warned.len(), 3, "{warned:?}");

    // The JSON report carries them too, with the time the check took.
    let dir = wheel_dir();
    let old_idna = WheelBuilder::new("idna", "2.0").build(dir.path());
    let out = venv.install(&[&"--json", &old_idna]);
    assert!(out.status.success(), "{:?}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings: BTreeSet<String> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    assert!(
        warnings.contains("requests 2.34.2 has requirement idna<4,>=2.5, but you have idna 2.0."),
        "{warnings:?}"
    );
    assert!(report["timings"]["requirements_ms"].as_f64().unwrap() > 0.0);

    // A dry run checks nothing.
    let newer = WheelBuilder::new("idna", "2.1").build(dir.path());
    let out = venv.install(&[&"--dry-run", &newer]);
    assert_eq!(requirement_warnings(&out), BTreeSet::new());
}

/// `Field: value` blocks of `pip show` / `winst show` output, by Name.
fn show_fields(stdout: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for block in stdout.split("\n---\n") {
        let fields: BTreeMap<String, String> = block
            .lines()
            .filter(|l| !l.starts_with(' '))
            .filter_map(|l| {
                l.split_once(": ")
                    .or_else(|| l.strip_suffix(':').map(|k| (k, "")))
            })
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(name) = fields.get("Name") {
            out.insert(name.clone(), fields);
        }
    }
    out
}

#[test]
fn show_matches_pip_show() {
    let Some(wheels) = corpus() else { return };
    let venv = Venv::new();
    let names = [
        "requests",
        "urllib3",
        "idna",
        "certifi",
        "charset_normalizer",
        "black",
        "click",
        "packaging",
        "jinja2",
        "markupsafe",
    ];
    let picked: Vec<PathBuf> = names.iter().map(|n| corpus::wheel(&wheels, n)).collect();
    install_ok(&venv, &picked);
    let asked = [
        "requests",
        "URLLIB3",
        "charset_normalizer",
        "black",
        "MarkupSafe",
        "packaging",
    ];
    let winst_out = winst()
        .arg("show")
        .arg("--python")
        .arg(venv.python())
        .args(asked)
        .output()
        .unwrap();
    let mut pip_args = vec!["show"];
    pip_args.extend(asked);
    let pip_out = venv.pip(&pip_args);
    assert!(winst_out.status.success(), "{:?}", text(&winst_out));
    assert!(pip_out.status.success(), "{:?}", text(&pip_out));
    let w = show_fields(&text(&winst_out).0);
    let p = show_fields(&text(&pip_out).0);
    assert_eq!(w.len(), asked.len(), "{w:?}");
    assert_eq!(w.keys().collect::<Vec<_>>(), p.keys().collect::<Vec<_>>());
    for (name, pf) in &p {
        let wf = &w[name];
        for key in [
            "Name",
            "Version",
            "Summary",
            "Home-page",
            "Author",
            "Author-email",
            "Location",
            "Requires",
            "Required-by",
        ] {
            assert_eq!(wf.get(key), pf.get(key), "{name}: {key}");
        }
        assert_eq!(wf["Installer"], "winst", "{name}");
    }
    // Something real was compared.
    assert!(!p["requests"]["Requires"].is_empty() && !p["packaging"]["Required-by"].is_empty());

    // --files lists what pip lists, and File-count counts it.
    let winst_files = winst()
        .args(["show", "--files", "--python"])
        .arg(venv.python())
        .arg("requests")
        .output()
        .unwrap();
    let pip_files = venv.pip(&["show", "--files", "requests"]);
    let listed = |out: &Output| -> Vec<String> {
        text(out)
            .0
            .lines()
            .skip_while(|l| *l != "Files:")
            .skip(1)
            .map(|l| l.trim().to_string())
            .collect()
    };
    let files = listed(&winst_files);
    assert_eq!(files, listed(&pip_files));
    assert!(files.len() > 10);
    assert_eq!(
        show_fields(&text(&winst_files).0)["requests"]["File-count"],
        files.len().to_string()
    );

    // A name that is not installed: exit 1, named like pip names it.
    let out = winst()
        .args(["show", "--python"])
        .arg(venv.python())
        .args(["requests", "no-such-project"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("Package(s) not found: no-such-project"),
        "{stderr}"
    );
    assert!(stdout.contains("Name: requests"), "{stdout}");
}
