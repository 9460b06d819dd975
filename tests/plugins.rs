//! Plugins through real components: the default scripts plugin, policy and post-install chains,
//! configuration precedence, the compiled-code cache, editable layouts, and a hostile plugin
//! that tries to break out of its sandbox.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::*;

fn pkg(name: &str, version: &str) -> WheelBuilder {
    let module = name.replace(['-', '.'], "_");
    WheelBuilder::new(name, version).file(
        &format!("{module}/__init__.py"),
        format!("def main():\n    print('hello from {name}')\n"),
    )
}

/// Writes a winst.toml into `dir` and returns its path.
fn config_file(dir: &Path, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("winst.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn plugin_entry(name: &str, file: &str, extra: &str) -> String {
    format!(
        "[[plugin]]\nname = \"{name}\"\nfile = \"{}\"\n{extra}\n",
        plugin(file).display()
    )
}

/// Installs and expects a refusal that leaves the venv unchanged; returns stderr.
fn refused(venv: &Venv, args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let before = venv.snapshot();
    let out = venv.install(args);
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected a refusal:\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("error:"), "{stderr}");
    assert_same_tree(&before, &venv.snapshot());
    stderr
}

#[test]
fn default_scripts_plugin_writes_working_launchers() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("launch", "1.0")
        .file("launch/cli.py", "class App:\n    @staticmethod\n    def run():\n        print('dotted ok')\n        return 3\n")
        .entry_points("[console_scripts]\nlaunch = launch:main\nlaunch-dotted = launch.cli:App.run\n[gui_scripts]\nlaunch-gui = launch:main\n")
        .build(wheels.path());
    let out = venv.install(&[&whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    let run = std::process::Command::new(venv.bin("launch"))
        .output()
        .unwrap();
    assert_eq!(text(&run).0.trim(), "hello from launch");
    let dotted = std::process::Command::new(venv.bin("launch-dotted"))
        .output()
        .unwrap();
    assert_eq!(text(&dotted).0.trim(), "dotted ok");
    assert_eq!(dotted.status.code(), Some(3));
    let launcher = std::fs::read_to_string(venv.bin("launch-gui")).unwrap();
    assert!(
        launcher.starts_with(&format!("#!{}\n", venv.python().display())),
        "{launcher}"
    );
}

#[test]
fn plugins_command_shows_defaults_and_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let system = config_file(
        &dir.path().join("etc"),
        &(plugin_entry(
            "org-deny",
            "deny-list",
            "roles = [\"policy\"]\nconfig = { deny = { a = \"system\" } }",
        ) + &plugin_entry("org-sbom", "sbom", "")),
    );
    let user = config_file(
        &dir.path().join("xdg/winst"),
        &plugin_entry(
            "org-deny",
            "deny-list",
            "config = { deny = { a = \"user\" } }\nfuel = 5000000",
        ),
    );
    let project = config_file(
        &dir.path().join("project"),
        &plugin_entry("my-scripts", "hostile", "roles = [\"scripts\"]"),
    );
    let extra = config_file(
        &dir.path().join("extra"),
        "[[plugin]]\nname = \"org-sbom\"\nenabled = false\n",
    );
    let nested = dir.path().join("project/sub/dir");
    std::fs::create_dir_all(&nested).unwrap();
    let out = winst()
        .env("WINST_SYSTEM_CONFIG", &system)
        .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
        .current_dir(&nested)
        .args(["plugins", "--json", "--config"])
        .arg(&extra)
        .arg("--plugin")
        .arg(plugin("pth-policy"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = v["config_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            system.to_str().unwrap(),
            user.to_str().unwrap(),
            project.to_str().unwrap(),
            extra.to_str().unwrap()
        ]
    );
    let by_name = |n: &str| {
        v["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .cloned()
    };
    // The user file reconfigured the system's plugin (same name): its config and limits win.
    let deny = by_name("org-deny").expect("org-deny in effect");
    assert_eq!(deny["config"]["deny"]["a"], "user");
    assert_eq!(deny["limits"]["fuel"], 5000000);
    assert_eq!(deny["origin"], user.to_str().unwrap());
    // --config disabled the system's SBOM plugin.
    assert!(by_name("org-sbom").is_none());
    // The project file replaced the default scripts plugin; the default editable one stays.
    assert_eq!(v["roles"]["scripts"], serde_json::json!(["my-scripts"]));
    assert_eq!(
        v["roles"]["editable"],
        serde_json::json!(["default-editable"])
    );
    assert!(by_name("default-scripts").is_none());
    // --plugin adds to the policy chain, after the configured ones, with its declared roles.
    assert_eq!(
        v["roles"]["policy"],
        serde_json::json!(["org-deny", "pth-policy"])
    );
    assert_eq!(by_name("pth-policy").unwrap()["origin"], "--plugin");

    // The human table says the same.
    let table = winst()
        .env("WINST_SYSTEM_CONFIG", &system)
        .args(["plugins"])
        .output()
        .unwrap();
    let (stdout, _) = text(&table);
    let role_line = |role: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(role))
            .map(|l| l[role.len()..].trim().to_string())
    };
    assert_eq!(
        role_line("policy:").as_deref(),
        Some("org-deny"),
        "{stdout}"
    );
    assert_eq!(
        role_line("post-install:").as_deref(),
        Some("org-sbom"),
        "{stdout}"
    );
    assert_eq!(
        role_line("scripts:").as_deref(),
        Some("default-scripts"),
        "{stdout}"
    );
    assert!(stdout.contains("(built into winst)"), "{stdout}");
}

#[test]
fn deny_list_policy_refuses_with_its_reason_and_changes_nothing() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let good = pkg("fine", "1.0").build(wheels.path());
    let bad = pkg("PyYAML", "6.0").build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(
        dir.path(),
        &plugin_entry(
            "deny",
            "deny-list",
            "config = { deny = { \"pyyaml\" = \"use ruamel.yaml (policy SEC-12)\" } }",
        ),
    );
    let stderr = refused(&venv, &[&"--config", &cfg, &good, &bad]);
    assert!(stderr.contains("PyYAML-6.0-py3-none-any.whl"), "{stderr}");
    assert!(stderr.contains("refused by policy plugin deny"), "{stderr}");
    assert!(
        stderr.contains("use ruamel.yaml (policy SEC-12)"),
        "{stderr}"
    );
    // Without the policy the same install works.
    assert!(venv.install(&[&good, &bad]).status.success());
}

#[test]
fn system_config_policy_applies_to_every_install() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let bad = pkg("forbidden", "1.0").build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let system = config_file(
        dir.path(),
        &plugin_entry(
            "org-policy",
            "deny-list",
            "config = { deny = { forbidden = \"ask the platform team\" } }",
        ),
    );
    let before = venv.snapshot();
    let out = winst()
        .env("WINST_SYSTEM_CONFIG", &system)
        .args(["install", "--python"])
        .arg(venv.python())
        .arg(&bad)
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refused by policy plugin org-policy: forbidden is on the deny list: ask the platform team"), "{stderr}");
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn pth_policy_looks_inside_wheels() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let sneaky = pkg("sneaky", "1.0")
        .file("sneaky-startup.pth", "import os; os.system('echo owned')\n")
        .build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(
        dir.path(),
        &plugin_entry(
            "pth",
            "pth-policy",
            "config = { allow = [\"distutils-precedence.pth\"] }",
        ),
    );
    let stderr = refused(&venv, &[&"--config", &cfg, &sneaky]);
    assert!(stderr.contains("sneaky-startup.pth"), "{stderr}");
    // The plugin read the member's first line through the host.
    assert!(stderr.contains("os.system"), "{stderr}");
    let allowed = pkg("allowed", "1.0")
        .file("distutils-precedence.pth", "import os\n")
        .build(wheels.path());
    let out = venv.install(&[&"--config", &cfg, &allowed]);
    assert!(out.status.success(), "{:?}", text(&out));
}

#[test]
fn sbom_post_install_plugin_writes_a_recorded_sbom() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("sbommed", "1.0")
        .entry_points("[console_scripts]\nsbommed = sbommed:main\n")
        .build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(
        dir.path(),
        &plugin_entry("sbom", "sbom", "config = { author = \"ACME\" }"),
    );
    let out = venv.install(&[&"--config", &cfg, &whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    let di = venv.site_packages().join("sbommed-1.0.dist-info");
    let bom: serde_json::Value =
        serde_json::from_slice(&std::fs::read(di.join("sboms/winst.cdx.json")).unwrap()).unwrap();
    assert_eq!(bom["bomFormat"], "CycloneDX");
    let c = &bom["metadata"]["component"];
    assert_eq!(c["purl"], "pkg:pypi/sbommed@1.0");
    assert_eq!(
        c["hashes"][0]["content"],
        sha256_hex(&std::fs::read(&whl).unwrap())
    );
    assert_eq!(bom["metadata"]["authors"][0]["name"], "ACME");
    let files: Vec<&str> = c["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"sbommed/__init__.py") && files.contains(&"../../../bin/sbommed"),
        "{files:?}"
    );
    let record = std::fs::read_to_string(di.join("RECORD")).unwrap();
    assert!(
        record.contains("sbommed-1.0.dist-info/sboms/winst.cdx.json,sha256="),
        "{record}"
    );
    // pip sees the SBOM as the project's file and removes it on uninstall.
    let un = venv.pip(&["uninstall", "-y", "sbommed"]);
    assert!(un.status.success(), "{:?}", text(&un));
    assert!(!di.exists());
}

#[test]
fn compiled_plugins_are_cached() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("cachey", "1.0")
        .entry_points("[console_scripts]\ncachey = cachey:main\n")
        .build(wheels.path());
    let cache = tempfile::tempdir().unwrap();
    let run = |whl: &Path| {
        winst()
            .env("WINST_CACHE_DIR", cache.path())
            .args(["install", "--json", "--python"])
            .arg(venv.python())
            .arg(whl)
            .output()
            .unwrap()
    };
    let cold = run(&whl);
    assert!(cold.status.success(), "{:?}", text(&cold));
    let cached: Vec<PathBuf> = std::fs::read_dir(cache.path().join("plugins"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    assert_eq!(
        cached.len(),
        2,
        "default scripts and editable plugins: {cached:?}"
    );
    let mtimes: Vec<_> = cached
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    let warm = run(&whl);
    assert!(warm.status.success());
    let after: Vec<_> = cached
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    assert_eq!(mtimes, after, "a warm run must not compile again");
    // A damaged cache entry is recompiled, not trusted.
    for p in &cached {
        std::fs::write(p, b"garbage").unwrap();
    }
    let repaired = run(&whl);
    assert!(repaired.status.success(), "{:?}", text(&repaired));
    assert!(std::fs::read(&cached[0]).unwrap().len() > 1000);
}

fn hostile(venv: &Venv, mode: &str, extra: &str, whl: &Path) -> (std::process::Output, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(
        dir.path(),
        &plugin_entry(
            "hostile",
            "hostile",
            &format!("roles = [\"policy\"]\nconfig = {{ mode = \"{mode}\" {extra} }}"),
        ),
    );
    let start = Instant::now();
    let out = venv.install(&[&"--config", &cfg, &whl]);
    (out, start.elapsed())
}

#[test]
fn a_plugin_cannot_read_host_files() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "top secret").unwrap();
    let before = venv.snapshot();
    let (out, _) = hostile(
        &venv,
        "read-file",
        &format!(", path = \"{}\"", secret.path().display()),
        &whl,
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    // The plugin reports what happened: its read failed.
    assert!(stderr.contains("read failed"), "{stderr}");
    assert!(!stderr.contains("read 10 bytes"), "{stderr}");
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn an_endless_plugin_is_stopped() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let before = venv.snapshot();
    let (out, took) = hostile(&venv, "loop", "", &whl);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("plugin hostile failed in its policy hook"),
        "{stderr}"
    );
    assert!(stderr.contains("CPU budget"), "{stderr}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn a_plugin_cannot_take_a_gigabyte() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let before = venv.snapshot();
    let (out, _) = hostile(&venv, "alloc", ", bytes = 1073741824", &whl);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("plugin hostile failed in its policy hook"),
        "{stderr}"
    );
    assert!(stderr.contains("memory limit"), "{stderr}");
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn a_trapping_plugin_fails_the_install_by_name() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let before = venv.snapshot();
    let (out, _) = hostile(&venv, "trap", "", &whl);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("plugin hostile failed in its policy hook: it trapped"),
        "{stderr}"
    );
    assert_same_tree(&before, &venv.snapshot());
}

#[test]
fn a_noisy_plugin_is_bounded() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let (out, _) = hostile(&venv, "huge-log", "", &whl);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.len() < 64 * 4200, "{} bytes of stderr", stderr.len());
}

#[test]
fn bad_plugin_output_is_refused() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0")
        .entry_points("[console_scripts]\nvictim = victim:main\n")
        .build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let scripts = config_file(
        &dir.path().join("a"),
        &plugin_entry(
            "evil-scripts",
            "hostile",
            "roles = [\"scripts\"]\nconfig = { mode = \"bad-script\" }",
        ),
    );
    let stderr = refused(&venv, &[&"--config", &scripts, &whl]);
    assert!(stderr.contains("script `victim`"), "{stderr}");
    assert!(stderr.contains("../escape"), "{stderr}");
    assert!(!venv.root().parent().unwrap().join("escape").exists());

    let extra = config_file(
        &dir.path().join("b"),
        &plugin_entry(
            "evil-post",
            "hostile",
            "roles = [\"post-install\"]\nconfig = { mode = \"bad-extra\" }",
        ),
    );
    let stderr = refused(&venv, &[&"--config", &extra, &whl]);
    assert!(
        stderr.contains("plugin evil-post (post-install)"),
        "{stderr}"
    );

    let fail = config_file(
        &dir.path().join("c"),
        &plugin_entry(
            "evil-post",
            "hostile",
            "roles = [\"post-install\"]\nconfig = { mode = \"post-fail\" }",
        ),
    );
    let stderr = refused(&venv, &[&"--config", &fail, &whl]);
    assert!(
        stderr.contains("the hostile plugin fails the install"),
        "{stderr}"
    );
}

/// A setuptools-style (strict/compat mode) editable wheel for a project in `src`.
fn editable_wheel(dir: &Path, src: &Path) -> PathBuf {
    let finder = format!(
        "import sys\nMAPPING = {{'edpkg': '{}'}}\nclass _Finder:\n    @classmethod\n    def find_spec(cls, name, path=None, target=None):\n        if name in MAPPING:\n            import importlib.util\n            return importlib.util.spec_from_file_location(name, MAPPING[name] + '/__init__.py', submodule_search_locations=[MAPPING[name]])\n        return None\ndef install():\n    sys.meta_path.append(_Finder)\n",
        src.join("edpkg").display()
    );
    WheelBuilder::new("edpkg", "0.1")
        .file(
            "__editable__.edpkg-0.1.pth",
            "import __editable___edpkg_0_1_finder; __editable___edpkg_0_1_finder.install()\n",
        )
        .file("__editable___edpkg_0_1_finder.py", finder)
        .build(dir)
}

#[test]
fn editable_wheels_keep_their_layout_and_are_marked_editable() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let project = tempfile::tempdir().unwrap();
    let src = project.path().join("src");
    std::fs::create_dir_all(src.join("edpkg")).unwrap();
    std::fs::write(src.join("edpkg/__init__.py"), "WHERE = 'source tree'\n").unwrap();
    let whl = editable_wheel(wheels.path(), &src);
    let out = venv.install(&[&whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    let sp = venv.site_packages();
    assert!(sp.join("__editable__.edpkg-0.1.pth").is_file());
    assert!(sp.join("__editable___edpkg_0_1_finder.py").is_file());
    assert_eq!(
        venv.python_out("import edpkg; print(edpkg.WHERE)"),
        "source tree"
    );
    let direct: serde_json::Value = serde_json::from_slice(
        &std::fs::read(sp.join("edpkg-0.1.dist-info/direct_url.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(direct["dir_info"]["editable"], true);
    assert_eq!(
        direct["url"],
        format!("file://{}", project.path().display())
    );
    // pip agrees that it is an editable install of that project.
    let list = venv.pip(&["list", "--editable", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed[0]["name"], "edpkg", "{:?}", text(&list));
    assert_eq!(
        listed[0]["editable_project_location"],
        project.path().to_str().unwrap()
    );
}

#[test]
fn editable_static_mode_writes_a_plain_path_pth() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let project = tempfile::tempdir().unwrap();
    let src = project.path().join("src");
    std::fs::create_dir_all(src.join("edpkg")).unwrap();
    std::fs::write(src.join("edpkg/__init__.py"), "WHERE = 'static path'\n").unwrap();
    let whl = editable_wheel(wheels.path(), &src);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(
        dir.path(),
        &format!(
            "[[plugin]]\nname = \"default-editable\"\nfile = \"{}\"\nroles = [\"editable\"]\nconfig = {{ mode = \"static\" }}\n",
            plugin("editable").display()
        ),
    );
    let out = venv.install(&[&"--config", &cfg, &whl]);
    assert!(out.status.success(), "{:?}", text(&out));
    let sp = venv.site_packages();
    assert!(!sp.join("__editable___edpkg_0_1_finder.py").exists());
    let pth = std::fs::read_to_string(sp.join("__editable__.edpkg-0.1.pth")).unwrap();
    assert_eq!(pth.trim(), src.display().to_string());
    assert_eq!(
        venv.python_out("import edpkg; print(edpkg.WHERE)"),
        "static path"
    );
    let record = std::fs::read_to_string(sp.join("edpkg-0.1.dist-info/RECORD")).unwrap();
    assert!(
        record.contains("__editable__.edpkg-0.1.pth,sha256="),
        "{record}"
    );
    assert!(!record.contains("finder"), "{record}");
}

// ---------------------------------------------------------------------------------------------
// The example policies on real wheels from the pinned corpus

#[test]
fn license_policy_on_real_wheels() {
    let Some(corpus) = corpus::wheels("plugins") else {
        return;
    };
    // mutagen says `License-Expression: GPL-2.0-or-later`; six has only `License: MIT` and the
    // MIT trove classifier, which the plugin falls back to.
    let gpl = corpus::wheel(&corpus, "mutagen");
    let mit = corpus::wheel(&corpus, "six");
    let venv = Venv::new();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(
        dir.path(),
        &plugin_entry(
            "licenses",
            "license-policy",
            "config = { allow = [\"MIT\", \"BSD-3-Clause\", \"Apache-2.0\"] }",
        ),
    );
    let stderr = refused(&venv, &[&"--config", &cfg, &mit, &gpl]);
    assert!(
        stderr.contains("mutagen-1.48.1-py3-none-any.whl"),
        "{stderr}"
    );
    assert!(
        stderr.contains("refused by policy plugin licenses"),
        "{stderr}"
    );
    assert!(stderr.contains("GPL-2.0-or-later"), "{stderr}");
    assert!(
        !stderr.contains("six-"),
        "six is MIT and allowed:\n{stderr}"
    );

    let out = venv.install(&[&"--config", &cfg, &mit]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(
        venv.python_out("import six; print(six.__version__)"),
        "1.17.0"
    );

    // An organization that accepts the GPL says so, and mutagen installs and runs.
    let cfg = config_file(
        dir.path(),
        &plugin_entry(
            "licenses",
            "license-policy",
            "config = { allow = [\"MIT\", \"GPL-2.0-or-later\"] }",
        ),
    );
    let out = venv.install(&[&"--config", &cfg, &gpl]);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = check(std::process::Command::new(venv.bin("mid3v2")).arg("--version"));
    assert!(text(&out).0.contains("1.48.1"), "{:?}", text(&out));
}

#[test]
fn pth_policy_on_real_setuptools() {
    let Some(corpus) = corpus::wheels("plugins") else {
        return;
    };
    // setuptools ships distutils-precedence.pth, which runs code at every interpreter start.
    let setuptools = corpus::wheel(&corpus, "setuptools");
    let venv = Venv::new();
    let dir = tempfile::tempdir().unwrap();
    let strict = config_file(
        &dir.path().join("strict"),
        &plugin_entry("pth", "pth-policy", ""),
    );
    let stderr = refused(&venv, &[&"--config", &strict, &setuptools]);
    assert!(stderr.contains("distutils-precedence.pth"), "{stderr}");
    assert!(stderr.contains("refused by policy plugin pth"), "{stderr}");

    let allowing = config_file(
        &dir.path().join("allowing"),
        &plugin_entry(
            "pth",
            "pth-policy",
            "config = { allow = [\"distutils-precedence.pth\"] }",
        ),
    );
    let out = venv.install(&[&"--config", &allowing, &setuptools]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(
        venv.site_packages()
            .join("distutils-precedence.pth")
            .is_file()
    );
}

#[test]
fn a_plugin_configured_as_a_policy_it_does_not_implement_fails_closed() {
    // The default scripts plugin has no policy; configured as one, it must deny, not allow all.
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("anything", "1.0").build(wheels.path());
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(
        dir.path(),
        &plugin_entry("not-a-policy", "scripts", "roles = [\"policy\"]"),
    );
    let stderr = refused(&venv, &[&"--config", &cfg, &whl]);
    assert!(
        stderr.contains("refused by policy plugin not-a-policy: anything 1.0: this plugin is configured for the policy role but does not implement it"),
        "{stderr}"
    );
}
