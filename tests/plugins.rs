//! Plugins through real components: the default scripts plugin, policy and post-install chains,
//! configuration precedence, the compiled-code cache, editable layouts, and hostile plugins that
//! cross every bound of the sandbox (fuel, memory, stack, reads, logs, reasons) and of plugin
//! output (launcher names, post-install and editable files), or import WASI.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::plugins::*;
use support::*;

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

/// A TOML string literal for `s` (a JSON string is a valid TOML basic string).
fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// A `[[plugin]]` entry for the hostile plugin named `name` serving `role`, with extra `fields`
/// (`fuel = 1000`...) and `config` (the inside of the config table, `mode = "spin", count = 3`).
fn hostile_entry(name: &str, role: &str, fields: &str, config: &str) -> String {
    plugin_entry(
        name,
        "hostile",
        &format!("roles = [\"{role}\"]\n{fields}\nconfig = {{ {config} }}"),
    )
}

/// Runs `winst install --config <winst.toml with entries>` of `whl` into `venv`.
fn install_with(venv: &Venv, entries: &str, whl: &Path) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(dir.path(), entries);
    // Installed again each time, so that the plugins run even when the wheel is installed
    // already (a no-op reinstall runs none).
    venv.install(&[&"--reinstall", &"--config", &cfg, &whl])
}

/// Expects `install_with` to succeed; returns stderr.
fn passes(venv: &Venv, entries: &str, whl: &Path) -> String {
    let out = install_with(venv, entries, whl);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "expected success:\n{stdout}\n{stderr}"
    );
    stderr
}

/// Expects `install_with` to be refused and leave `venv` as it was; returns stderr.
fn fails(venv: &Venv, entries: &str, whl: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(dir.path(), entries);
    refused(venv, &[&"--reinstall", &"--config", &cfg, &whl])
}

/// The lines of `stderr` that plugin `name` logged at info level, without the prefix.
fn info_lines<'a>(stderr: &'a str, name: &str) -> Vec<&'a str> {
    let prefix = format!("info: plugin {name}: ");
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .collect()
}

#[test]
fn a_plugin_that_imports_wasi_is_refused_at_load() {
    // hostile-wasi imports wasi:filesystem/preopens and wasi:cli/environment (with their real
    // WASI 0.2.0 types) besides winst's host interface, and denies with the directories and
    // environment it was given. winst must refuse to instantiate it at all.
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let entry = plugin_entry("wasi-policy", "hostile-wasi", "roles = [\"policy\"]");
    let stderr = fails(&venv, &entry, &whl);
    assert!(
        stderr.contains("plugin wasi-policy cannot serve the policy role: its imports cannot be satisfied (a plugin built against API 0.1.0 may import only winst:plugin/host@0.1.0)"),
        "{stderr}"
    );
    assert!(stderr.contains("wasi:"), "names the WASI import: {stderr}");
    assert!(!stderr.contains("escaped the sandbox"), "{stderr}");
    // Dry runs call policies too: the same refusal, before any call.
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(dir.path(), &entry);
    let out = venv.install(&[&"--dry-run", &"--config", &cfg, &whl]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert!(text(&out).1.contains("its imports cannot be satisfied"));
    // The control: the same role and wheel with a component that imports only `host` runs.
    let stderr = passes(
        &venv,
        &hostile_entry("host-only", "policy", "", "mode = \"log\", text = \"ran\""),
        &whl,
    );
    assert_eq!(info_lines(&stderr, "host-only"), ["ran"], "{stderr}");
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
    let corpus = corpus::wheels("license_policy_on_real_wheels");
    if !support::prerequisite(
        corpus.is_some(),
        "the pinned wheel corpus could not be fetched",
    ) {
        return;
    }
    let corpus = corpus.expect("checked by prerequisite");
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
    let corpus = corpus::wheels("pth_policy_on_real_setuptools");
    if !support::prerequisite(
        corpus.is_some(),
        "the pinned wheel corpus could not be fetched",
    ) {
        return;
    }
    let corpus = corpus.expect("checked by prerequisite");
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

// ---------------------------------------------------------------------------------------------
// Every bound of the sandbox and of plugin output, crossed by the hostile plugin. Each setting
// (`fuel`, `memory_mb`, `read_limit_mb`) is shown to move the bound: just under passes, just
// over fails.

#[test]
fn fuel_bounds_each_call_as_configured() {
    // Measured on the committed hostile.wasm: `spin` costs 21 fuel per count, plus about 18,000
    // for the call itself. 1,000,000 counts need about 21.0M fuel: 10% less fails, 10% more
    // passes, and twice the work needs twice the fuel.
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let spin = |fuel: u64, count: u64| {
        hostile_entry(
            "spinner",
            "policy",
            &format!("fuel = {fuel}"),
            &format!("mode = \"spin\", count = {count}"),
        )
    };
    let stderr = fails(&venv, &spin(19_000_000, 1_000_000), &whl);
    assert!(
        stderr.contains("plugin spinner failed in its policy hook: it ran out of its CPU budget (19000000 fuel per call)"),
        "{stderr}"
    );
    let stderr = passes(&venv, &spin(23_000_000, 1_000_000), &whl);
    assert_eq!(
        info_lines(&stderr, "spinner"),
        ["spun 1000000 times"],
        "{stderr}"
    );
    let venv = Venv::new();
    let stderr = fails(&venv, &spin(23_000_000, 2_000_000), &whl);
    assert!(stderr.contains("(23000000 fuel per call)"), "{stderr}");
    passes(&venv, &spin(46_000_000, 2_000_000), &whl);
}

#[test]
fn a_scripts_plugin_has_one_fuel_budget_per_wheel() {
    // One instance writes all of a wheel's launchers, so its entry points share one budget:
    // 1,000,000 counts (about 21M fuel) per launcher fit 50M fuel twice, not three times.
    let wheels = wheel_dir();
    let with_entries = |name: &str, n: usize| {
        let eps: String = (0..n)
            .map(|i| format!("{name}-{i} = {name}:main\n"))
            .collect();
        pkg(name, "1.0")
            .entry_points(&format!("[console_scripts]\n{eps}"))
            .build(wheels.path())
    };
    let entry = hostile_entry(
        "spinning-scripts",
        "scripts",
        "fuel = 50_000_000",
        "mode = \"spin\", count = 1_000_000",
    );
    let venv = Venv::new();
    let stderr = fails(&venv, &entry, &with_entries("three", 3));
    assert!(
        stderr.contains("plugin spinning-scripts failed in its scripts hook: it ran out of its CPU budget (50000000 fuel per call)"),
        "{stderr}"
    );
    let stderr = passes(&venv, &entry, &with_entries("two", 2));
    assert_eq!(info_lines(&stderr, "spinning-scripts").len(), 2, "{stderr}");
    assert!(venv.bin("two-0").is_file() && venv.bin("two-1").is_file());
}

#[test]
fn memory_mb_caps_each_call_as_configured() {
    // The hostile plugin starts with about 1.1 MiB of linear memory (its 1 MiB shadow stack and
    // data); `alloc` adds `bytes` on top. As a post-install plugin, it fails the install after
    // everything was written, and nothing of it may stay.
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let alloc = |mb: u64, bytes: u64| {
        hostile_entry(
            "hungry",
            "post-install",
            &format!("memory_mb = {mb}"),
            &format!("mode = \"alloc\", bytes = {bytes}"),
        )
    };
    let stderr = fails(&venv, &alloc(8, 15 << 19), &whl); // 7.5 MiB + 1.1 MiB > 8 MiB
    assert!(
        stderr.contains("plugin hungry failed in its post-install hook: it tried to use more than its memory limit (8 MiB)"),
        "{stderr}"
    );
    let stderr = passes(&venv, &alloc(8, 13 << 19), &whl); // 6.5 MiB + 1.1 MiB < 8 MiB
    assert_eq!(
        info_lines(&stderr, "hungry"),
        [format!("allocated {} bytes", 13 << 19)],
        "{stderr}"
    );
    let venv = Venv::new();
    passes(&venv, &alloc(9, 15 << 19), &whl);
    // The cap counts the memory a component starts with: 1 MiB is not enough to instantiate it.
    let stderr = fails(&venv, &alloc(1, 0), &whl);
    assert!(
        stderr.contains("plugin hungry failed in its post-install hook: it tried to use more than its memory limit (1 MiB)"),
        "{stderr}"
    );
}

#[test]
fn the_wasm_stack_is_bounded() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let recurse = |count: u64| {
        hostile_entry(
            "deep",
            "policy",
            "",
            &format!("mode = \"recurse\", count = {count}"),
        )
    };
    let stderr = passes(&venv, &recurse(1000), &whl);
    assert_eq!(
        info_lines(&stderr, "deep"),
        ["recursed 1000 calls deep"],
        "{stderr}"
    );
    let venv = Venv::new();
    // Ten million frames are far more than 1 MiB, and far less than the fuel budget.
    let stderr = fails(&venv, &recurse(10_000_000), &whl);
    assert!(
        stderr.contains(
            "plugin deep failed in its policy hook: it overflowed its wasm stack (1 MiB)"
        ),
        "{stderr}"
    );
    // One line: the cause, not a wasm backtrace.
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

/// A wheel with members `big/a.bin` and `big/b.bin` of 512 KiB each and `big/c.bin` of 1 byte.
fn readable_wheel(dir: &Path) -> PathBuf {
    pkg("victim", "1.0")
        .file("big/a.bin", vec![b'a'; 512 << 10])
        .file("big/b.bin", vec![b'b'; 512 << 10])
        .file("big/c.bin", "c")
        .build(dir)
}

#[test]
fn read_limit_mb_bounds_what_a_call_reads_in_total() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = readable_wheel(wheels.path());
    let read = |limit_mb: u64, paths: &[&str]| {
        let paths: Vec<String> = paths.iter().map(|p| toml_str(p)).collect();
        hostile_entry(
            "reader",
            "policy",
            &format!("read_limit_mb = {limit_mb}"),
            &format!("mode = \"read\", paths = [{}]", paths.join(", ")),
        )
    };
    // Exactly 1 MiB in two reads fits a 1 MiB limit.
    let stderr = passes(&venv, &read(1, &["big/a.bin", "big/b.bin"]), &whl);
    assert_eq!(
        info_lines(&stderr, "reader"),
        ["read 1048576 bytes"],
        "{stderr}"
    );
    let venv = Venv::new();
    // One byte more does not; the budget is per call, across reads.
    let stderr = fails(
        &venv,
        &read(1, &["big/a.bin", "big/b.bin", "big/c.bin"]),
        &whl,
    );
    assert!(
        stderr.contains("refused by policy plugin reader: read-member failed: big/c.bin is 1 bytes, more than the 0 bytes left of the 1048576 bytes this plugin may read per call (read_limit_mb)"),
        "{stderr}"
    );
    // A 2 MiB limit lets the same reads through.
    let stderr = passes(
        &venv,
        &read(2, &["big/a.bin", "big/b.bin", "big/c.bin"]),
        &whl,
    );
    assert_eq!(
        info_lines(&stderr, "reader"),
        ["read 1048577 bytes"],
        "{stderr}"
    );
}

#[test]
fn read_member_max_bytes_is_a_bound() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = readable_wheel(wheels.path());
    let read = |max: u64| {
        hostile_entry(
            "reader",
            "policy",
            "",
            &format!("mode = \"read\", paths = [\"big/a.bin\"], max_bytes = {max}"),
        )
    };
    let stderr = fails(&venv, &read((512 << 10) - 1), &whl);
    assert!(
        stderr.contains("refused by policy plugin reader: read-member failed: big/a.bin is 524288 bytes, more than the 524287 bytes the plugin asked for at most (max-bytes)"),
        "{stderr}"
    );
    let stderr = passes(&venv, &read(512 << 10), &whl);
    assert_eq!(
        info_lines(&stderr, "reader"),
        ["read 524288 bytes"],
        "{stderr}"
    );
}

#[test]
fn plugin_logs_are_capped_at_200_lines_per_call() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let log = |count: u64, text: &str| {
        hostile_entry(
            "noisy",
            "policy",
            "",
            &format!("mode = \"log\", count = {count}, text = {}", toml_str(text)),
        )
    };
    let stderr = passes(&venv, &log(200, "line"), &whl);
    assert_eq!(info_lines(&stderr, "noisy").len(), 200, "{stderr}");
    let venv = Venv::new();
    let stderr = passes(&venv, &log(201, "line"), &whl);
    assert_eq!(info_lines(&stderr, "noisy").len(), 200, "{stderr}");
    assert!(
        stderr.contains(
            "plugin noisy logged more than 200 lines in its policy hook; the rest were dropped"
        ),
        "{stderr}"
    );
    // Newlines inside a message count as lines, and every line carries the plugin's name: a
    // plugin cannot print lines that look like winst's own.
    let venv = Venv::new();
    let stderr = passes(
        &venv,
        &log(100, "one\nerror: forged by the plugin\nthree"),
        &whl,
    );
    assert_eq!(info_lines(&stderr, "noisy").len(), 200, "{stderr}");
    assert!(!stderr.lines().any(|l| l.starts_with("error:")), "{stderr}");
    let winst_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("info: plugin noisy: "))
        .collect();
    assert_eq!(winst_lines.len(), 3, "{winst_lines:?}");
    assert!(
        winst_lines[0].starts_with("warning: plugin noisy logged more than 200 lines"),
        "{winst_lines:?}"
    );
    assert!(
        winst_lines[1].starts_with("Installed 1 package"),
        "{winst_lines:?}"
    );
    assert_eq!(winst_lines[2], " + victim==1.0");
}

#[test]
fn plugin_log_lines_are_cut_at_4096_bytes() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let log = |text: &str, repeat: usize| {
        hostile_entry(
            "noisy",
            "policy",
            "",
            &format!(
                "mode = \"log\", text = {}, repeat = {repeat}",
                toml_str(text)
            ),
        )
    };
    let stderr = passes(&venv, &log("x", 4096), &whl);
    assert_eq!(info_lines(&stderr, "noisy"), ["x".repeat(4096)], "{stderr}");
    let stderr = passes(&venv, &log("x", 4097), &whl);
    assert_eq!(
        info_lines(&stderr, "noisy"),
        [format!("{}…", "x".repeat(4096))],
        "{stderr}"
    );
    // A cut in the middle of a character backs up to the character before it: 1365 `€` are
    // 4095 bytes, the next one would end at 4098.
    let stderr = passes(&venv, &log("€", 2000), &whl);
    assert_eq!(
        info_lines(&stderr, "noisy"),
        [format!("{}…", "€".repeat(1365))],
        "{stderr}"
    );
    // Control characters are replaced, so a plugin cannot drive the terminal.
    let stderr = passes(&venv, &log("\u{1b}[2Jcleared\u{7}", 1), &whl);
    assert_eq!(info_lines(&stderr, "noisy"), ["?[2Jcleared?"], "{stderr}");
}

/// A run of `c` of exactly `n` characters appears in `s`, and no longer run.
fn has_run_of(s: &str, c: char, n: usize) -> bool {
    let mut longest = 0;
    let mut run = 0;
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest == n
}

#[test]
fn plugin_reasons_are_cut_at_2000_characters() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let reason = |mode: &str, role: &str, repeat: usize| {
        hostile_entry(
            "wordy",
            role,
            "",
            &format!("mode = \"{mode}\", text = \"ü\", repeat = {repeat}"),
        )
    };
    // A deny: exactly 2000 characters are kept, of 2000 or of 5000 (characters, not bytes).
    let stderr = fails(&venv, &reason("deny", "policy", 2000), &whl);
    assert!(
        stderr.contains("refused by policy plugin wordy: üü"),
        "{stderr}"
    );
    assert!(has_run_of(&stderr, 'ü', 2000), "{stderr}");
    let stderr = fails(&venv, &reason("deny", "policy", 5000), &whl);
    assert!(has_run_of(&stderr, 'ü', 2000), "{stderr}");
    // A warning.
    let stderr = passes(&venv, &reason("warn", "policy", 5000), &whl);
    assert!(stderr.contains("policy plugin wordy: üü"), "{stderr}");
    assert!(has_run_of(&stderr, 'ü', 2000), "{stderr}");
    // A post-install failure.
    let venv = Venv::new();
    let stderr = fails(&venv, &reason("post-fail", "post-install", 5000), &whl);
    assert!(
        stderr.contains("plugin wordy failed the install in its post-install hook: üü"),
        "{stderr}"
    );
    assert!(has_run_of(&stderr, 'ü', 2000), "{stderr}");
    // An editable layout failure, with a control character that must not reach the terminal.
    let project = tempfile::tempdir().unwrap();
    let ed = editable_wheel(wheels.path(), &project.path().join("src"));
    let stderr = fails(
        &venv,
        &hostile_entry(
            "wordy",
            "editable",
            "",
            "mode = \"editable-fail\", text = \"\\u001b[2Jü\", repeat = 3000",
        ),
        &ed,
    );
    // Control characters become spaces (and the reason is trimmed).
    assert!(
        stderr.contains("plugin wordy could not lay out the editable wheel edpkg: [2Jü [2Jü"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    // 2000 characters: 400 times `\e[2Jü`.
    assert_eq!(stderr.matches("[2Jü").count(), 400, "{stderr}");
}

#[test]
fn post_install_files_are_capped_at_64_mib_in_total() {
    // Two post-install plugins: the bound is on what they return together.
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let extra = |name: &str, path: &str, bytes: usize| {
        hostile_entry(
            name,
            "post-install",
            "",
            &format!("mode = \"extra\", path = \"{path}\", bytes = {bytes}"),
        )
    };
    let half = 32 << 20;
    let stderr = fails(
        &venv,
        &(extra("post-a", "a.bin", half) + &extra("post-b", "b.bin", half + 1)),
        &whl,
    );
    assert!(
        stderr.contains("plugin post-b (post-install) returned more than the 64 MiB (67108864 bytes) all post-install plugins together may return"),
        "{stderr}"
    );
    passes(
        &venv,
        &(extra("post-a", "a.bin", half) + &extra("post-b", "b.bin", half)),
        &whl,
    );
    let di = venv.site_packages().join("victim-1.0.dist-info");
    assert_eq!(
        std::fs::metadata(di.join("a.bin")).unwrap().len(),
        half as u64
    );
    assert_eq!(
        std::fs::metadata(di.join("b.bin")).unwrap().len(),
        half as u64
    );
    let record = std::fs::read_to_string(di.join("RECORD")).unwrap();
    assert!(
        record.contains("victim-1.0.dist-info/b.bin,sha256="),
        "{record}"
    );
}

#[test]
fn post_install_files_may_not_replace_reserved_or_wheel_files() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0")
        .file("victim-1.0.dist-info/licenses/LICENSE", "MIT\n")
        .entry_points("[console_scripts]\nvictim = victim:main\n")
        .build(wheels.path());
    let extra = |path: &str| {
        hostile_entry(
            "evil-post",
            "post-install",
            "",
            &format!("mode = \"extra\", path = {}", toml_str(path)),
        )
    };
    for name in [
        "RECORD",
        "INSTALLER",
        "REQUESTED",
        "direct_url.json",
        "METADATA",
        "WHEEL",
    ] {
        let stderr = fails(&venv, &extra(name), &whl);
        assert!(
            stderr.contains(&format!(
                "plugin evil-post (post-install) may not write `{name}` into victim-1.0.dist-info: winst writes that file itself"
            )),
            "{name}: {stderr}"
        );
    }
    // Files the wheel already has.
    for name in ["licenses/LICENSE", "entry_points.txt"] {
        let stderr = fails(&venv, &extra(name), &whl);
        assert!(
            stderr.contains(&format!("plugin evil-post (post-install) asked to write victim-1.0.dist-info/{name}, which already exists")),
            "{name}: {stderr}"
        );
    }
    // Ways around the names.
    for (name, rule) in [
        ("./RECORD", "a `.` path component is not allowed"),
        ("RECORD/", "not a file path"),
        ("sub/../RECORD", "a `..` path component is not allowed"),
        ("/RECORD", "an absolute path is not allowed"),
    ] {
        let stderr = fails(&venv, &extra(name), &whl);
        assert!(
            stderr.contains("plugin evil-post (post-install)") && stderr.contains(rule),
            "{name}: {stderr}"
        );
    }
    // The same plugin writing a name of its own works, and the reserved files are winst's.
    passes(&venv, &extra("notes/RECORD"), &whl);
    let di = venv.site_packages().join("victim-1.0.dist-info");
    assert_eq!(std::fs::read(di.join("notes/RECORD")).unwrap(), b"xxxxxxx");
    assert_eq!(
        std::fs::read_to_string(di.join("INSTALLER")).unwrap(),
        "winst\n"
    );
}

#[test]
fn post_install_paths_have_at_most_four_components() {
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0").build(wheels.path());
    let extra = |path: &str| {
        hostile_entry(
            "deep-post",
            "post-install",
            "",
            &format!("mode = \"extra\", path = \"{path}\""),
        )
    };
    let stderr = fails(&venv, &extra("a/b/c/d/e.txt"), &whl);
    assert!(
        stderr.contains(
            "plugin deep-post (post-install) may not write `a/b/c/d/e.txt` into victim-1.0.dist-info: more than 4 path components"
        ),
        "{stderr}"
    );
    passes(&venv, &extra("a/b/c/d.txt"), &whl);
    let di = venv.site_packages().join("victim-1.0.dist-info");
    assert!(di.join("a/b/c/d.txt").is_file());
    let record = std::fs::read_to_string(di.join("RECORD")).unwrap();
    assert!(
        record.contains("victim-1.0.dist-info/a/b/c/d.txt,sha256="),
        "{record}"
    );
}

#[test]
fn launcher_names_follow_the_rules() {
    let wheels = wheel_dir();
    let whl = pkg("victim", "1.0")
        .entry_points("[console_scripts]\nvictim = victim:main\n")
        .build(wheels.path());
    let named = |text: &str, repeat: usize| {
        hostile_entry(
            "evil-scripts",
            "scripts",
            "",
            &format!(
                "mode = \"script-name\", text = {}, repeat = {repeat}",
                toml_str(text)
            ),
        )
    };
    let venv = Venv::new();
    let refusals = [
        ("", 1, "a script name must be 1 to 200 bytes long"),
        ("x", 201, "a script name must be 1 to 200 bytes long"),
        (".hidden", 1, "must not start with a dot"),
        ("..", 1, "must not start with a dot"),
        ("a/b", 1, "contains `/`"),
        ("a\\b", 1, "contains `\\\\`"),
        ("a b", 1, "contains ` `"),
        ("a\u{1b}b", 1, "contains `\\u{1b}`"),
    ];
    for (text, repeat, rule) in refusals {
        let stderr = fails(&venv, &named(text, repeat), &whl);
        assert!(
            stderr.contains(
                "script `victim`: the scripts plugin evil-scripts generated an invalid file name"
            ),
            "{text:?}: {stderr}"
        );
        assert!(stderr.contains(rule), "{text:?}: {stderr}");
    }
    // At the bound, and every allowed character.
    passes(&venv, &named("x", 200), &whl);
    assert!(venv.bin(&"x".repeat(200)).is_file());
    let venv = Venv::new();
    passes(&venv, &named("ok.Name+1-x_y", 1), &whl);
    assert!(venv.bin("ok.Name+1-x_y").is_file());
}

#[test]
fn editable_layouts_are_checked() {
    let wheels = wheel_dir();
    let project = tempfile::tempdir().unwrap();
    let whl = editable_wheel(wheels.path(), &project.path().join("src"));
    let layout = |mode: &str, field: &str| {
        hostile_entry(
            "evil-editable",
            "editable",
            "",
            &format!("mode = \"{mode}\", {field}"),
        )
    };
    let venv = Venv::new();
    for (path, rule) in [
        ("../escape.pth", "a `..` path component is not allowed"),
        ("/tmp/escape.pth", "an absolute path is not allowed"),
        (
            "edpkg-0.1.dist-info/RECORD",
            "not a file path under site-packages outside the dist-info",
        ),
        (
            "other-1.0.dist-info/evil.txt",
            "not a file path under site-packages outside the dist-info",
        ),
        (
            "dir/",
            "not a file path under site-packages outside the dist-info",
        ),
        ("", "an empty member name"),
    ] {
        let stderr = fails(
            &venv,
            &layout("editable-file", &format!("path = {}", toml_str(path))),
            &whl,
        );
        assert!(
            stderr.contains(&format!(
                "the editable plugin evil-editable asked to write `{path}`: {rule}"
            )),
            "{path}: {stderr}"
        );
    }
    let stderr = fails(&venv, &layout("editable-url", "text = \"{not json\""), &whl);
    assert!(
        stderr.contains(
            "the editable plugin evil-editable returned a direct_url.json that is not JSON"
        ),
        "{stderr}"
    );
    // A layout that keeps to the rules is installed as asked.
    passes(
        &venv,
        &layout("editable-file", "path = \"edpkg-src.pth\""),
        &whl,
    );
    let sp = venv.site_packages();
    assert_eq!(
        std::fs::read_to_string(sp.join("edpkg-src.pth")).unwrap(),
        "/tmp\n"
    );
    assert!(!sp.join("__editable__.edpkg-0.1.pth").exists());
}
