//! Writing plugins as an author outside winst's checkout would: `winst plugin new`, the README's
//! policy as `src/lib.rs`, `winst plugin build` (real cargo, real wasm32 target, the SDK as a
//! path dependency and no other file of the checkout), then installs that the policy refuses;
//! the same sources built elsewhere give the same bytes; `winst plugin check` and `winst plugins`
//! say what a component is and name the fix for each kind of broken one.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::plugins::*;
use support::*;

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The policy of the README's "Writing a policy plugin": its `rust` block with `AcmePolicy`.
fn readme_policy() -> String {
    let readme = std::fs::read_to_string(checkout().join("README.md")).unwrap();
    readme
        .split("```rust\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .find(|code| code.contains("register_plugin!(AcmePolicy"))
        .expect("README.md has the AcmePolicy example")
        .to_string()
}

fn wasm_target_installed() -> bool {
    Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|s| s.join("lib/rustlib/wasm32-unknown-unknown").is_dir())
}

/// `winst plugin ARGS` with a target directory shared by this file's tests (dependencies build
/// once; paths are remapped, so where they build does not change the bytes).
fn plugin_cmd(args: &[&dyn AsRef<std::ffi::OsStr>]) -> std::process::Output {
    let mut cmd = winst();
    cmd.arg("plugin")
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-authoring"),
        )
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    for a in args {
        cmd.arg(a);
    }
    cmd.output().unwrap()
}

/// Writes the README's plugin into `parent/acme-policy` with `winst plugin new` and builds it;
/// returns the component and what `build` printed.
fn new_and_build(parent: &Path) -> (PathBuf, String) {
    let dir = parent.join("acme-policy");
    let sdk = checkout().join("plugins/sdk");
    let out = plugin_cmd(&[&"new", &"acme-policy", &"--dir", &dir, &"--sdk", &sdk]);
    assert!(out.status.success(), "{:?}", text(&out));
    std::fs::write(dir.join("src/lib.rs"), readme_policy()).unwrap();
    let out = plugin_cmd(&[&"build", &dir]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (dir.join("acme-policy.wasm"), stdout)
}

#[test]
fn a_policy_written_from_the_readme_outside_the_checkout_builds_and_refuses_wheels() {
    if !prerequisite(
        wasm_target_installed(),
        "the wasm32-unknown-unknown target (rustup target add wasm32-unknown-unknown)",
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    assert!(!work.path().starts_with(checkout().canonicalize().unwrap()));
    let (component, built) = new_and_build(work.path());
    assert!(
        built.contains("API:     0.2.0 (from its `winst-api-version` section"),
        "{built}"
    );
    assert!(
        built.contains("roles:   policy") && built.contains("runs:    yes"),
        "{built}"
    );

    let venv = Venv::new();
    let wheels = wheel_dir();
    let reserved = pkg("acme-tools", "1.0").build(wheels.path());
    let unlicensed = pkg("nolicense", "1.0").build(wheels.path());
    let mut good = pkg("goodpkg", "1.0");
    good.metadata_extra = "License-Expression: MIT\n".to_string();
    let good = good.build(wheels.path());
    let cfg = config_file(
        work.path(),
        &entry_for(
            "acme-policy",
            &component,
            "config = { reserved_prefixes = [\"acme-\"], require_license_expression = true }",
        ),
    );
    let stderr = refused(&venv, &[&"--config", &cfg, &reserved, &unlicensed, &good]);
    assert!(stderr.contains("2 refusals by policy plugins"), "{stderr}");
    assert!(stderr.contains("acme_tools-1.0-py3-none-any.whl: refused by policy plugin acme-policy: acme-tools 1.0: names starting with `acme-` are reserved for ACME's internal index"), "{stderr}");
    assert!(stderr.contains("nolicense-1.0-py3-none-any.whl: refused by policy plugin acme-policy: nolicense 1.0 has no License-Expression in its METADATA (ACME policy LIC-1)"), "{stderr}");
    let out = venv.install(&[&"--config", &cfg, &good]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("plugin acme-policy: goodpkg 1.0 is allowed"),
        "{stderr}"
    );

    // Reproducible: the same sources in another directory give the same bytes.
    let elsewhere = tempfile::tempdir().unwrap();
    let (again, _) = new_and_build(elsewhere.path());
    assert_eq!(
        sha256_hex(&std::fs::read(&component).unwrap()),
        sha256_hex(&std::fs::read(&again).unwrap()),
        "builds in two directories differ"
    );
    let bytes = std::fs::read(&component).unwrap();
    let work_path = work.path().to_string_lossy();
    assert!(
        !bytes
            .windows(work_path.len())
            .any(|w| w == work_path.as_bytes()),
        "the component embeds the author's path"
    );
}

#[test]
fn plugin_build_names_a_missing_wasm_target_and_the_fix() {
    let work = tempfile::tempdir().unwrap();
    let out = plugin_cmd(&[&"new", &"nowasm", &"--dir", &work.path().join("nowasm")]);
    assert!(out.status.success(), "{:?}", text(&out));
    // A toolchain whose sysroot has no wasm32 standard library.
    let sysroot = work.path().join("sysroot");
    std::fs::create_dir_all(sysroot.join("lib/rustlib/x86_64-unknown-linux-gnu")).unwrap();
    let rustc = work.path().join("rustc");
    std::fs::write(&rustc, format!("#!/bin/sh\necho {}\n", sysroot.display())).unwrap();
    std::fs::set_permissions(&rustc, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = winst()
        .env("RUSTC", &rustc)
        .args(["plugin", "build"])
        .arg(work.path().join("nowasm"))
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .contains("the wasm32-unknown-unknown target is not installed for this Rust toolchain")
            && stderr.contains("add it with `rustup target add wasm32-unknown-unknown`"),
        "{stderr}"
    );
    // Bad names and occupied directories are refused before anything is written.
    let out = plugin_cmd(&[&"new", &"9lives", &"--dir", &work.path().join("x")]);
    assert!(
        text(&out).1.contains("cannot be a plugin name"),
        "{:?}",
        text(&out)
    );
    assert!(!work.path().join("x").exists());
    let out = plugin_cmd(&[&"new", &"again", &"--dir", &work.path().join("nowasm")]);
    assert!(
        text(&out).1.contains("exists and is not empty"),
        "{:?}",
        text(&out)
    );
}

#[test]
fn plugin_check_describes_components_and_says_why_one_cannot_run() {
    let out = plugin_cmd(&[&"check", &plugin("deny-list")]);
    let (stdout, _) = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("API:     0.2.0 (from its `winst-api-version` section"),
        "{stdout}"
    );
    assert!(stdout.contains("roles:   policy"), "{stdout}");
    assert!(
        stdout.contains("imports: winst:plugin/host@0.2.0"),
        "{stdout}"
    );
    let sha = sha256_hex(&std::fs::read(plugin("deny-list")).unwrap());
    assert!(stdout.contains(&format!("sha256:  {sha}")), "{stdout}");
    // A 0.1.0 fixture: read from its interface names, and it runs.
    let out = plugin_cmd(&[&"check", &plugin_v0_1_0("sbom")]);
    let (stdout, _) = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("API:     0.1.0 (from its interface names"),
        "{stdout}"
    );
    assert!(stdout.contains("runs:    yes"), "{stdout}");
    // A core module that was never made a component, and a component that imports WASI.
    let dir = tempfile::tempdir().unwrap();
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    for (file, problem) in [
        (
            core.clone(),
            "it is a core WebAssembly module, not a component: make it a component with `winst plugin build`",
        ),
        (
            plugin("hostile-wasi"),
            "may import only winst:plugin/host@0.1.0",
        ),
    ] {
        let out = plugin_cmd(&[&"check", &file]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains(problem), "{stdout}");
        assert!(stderr.contains("this winst cannot run"), "{stderr}");
    }
}

#[test]
fn winst_plugins_validates_every_configured_plugin_and_names_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let deny_sha = sha256_hex(&std::fs::read(plugin("deny-list")).unwrap());
    let entries = [
        plugin_entry("pinned", "deny-list", &format!("sha256 = \"{deny_sha}\"")),
        plugin_entry(
            "pinned-other",
            "deny-list",
            &format!("sha256 = \"{}\"", "0".repeat(64)),
        ),
        entry_for("core", &core, "roles = [\"policy\"]"),
        plugin_entry("wasi", "hostile-wasi", "roles = [\"policy\"]"),
        plugin_entry("wrong-role", "sbom", "roles = [\"policy\"]"),
        entry_for(
            "missing",
            &dir.path().join("nope.wasm"),
            "roles = [\"policy\"]",
        ),
        entry_for("old", &plugin_v0_1_0("deny-list"), ""),
    ]
    .concat();
    let cfg = config_file(dir.path(), &entries);
    let out = winst()
        .args(["plugins", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("5 of the configured plugins cannot run"),
        "{stderr}"
    );
    // A plugin's lines: its name alone on a line, then its indented fields.
    let section = |name: &str| -> String {
        let mut lines = stdout.lines().skip_while(|l| *l != name);
        assert!(lines.next().is_some(), "{name} is not listed:\n{stdout}");
        lines
            .take_while(|l| l.starts_with("  "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let pinned = section("pinned");
    assert!(
        pinned.contains(&format!("sha256: {deny_sha}")) && pinned.contains("status: ok"),
        "{pinned}"
    );
    let old = section("old");
    assert!(
        old.contains("API:    0.1.0") && old.contains("status: ok"),
        "{old}"
    );
    for (name, problem) in [
        (
            "pinned-other",
            "pins 0000000000000000000000000000000000000000000000000000000000000000: deploy the build with that hash, or update `sha256` there",
        ),
        (
            "core",
            "not a component: make it a component with `winst plugin build`",
        ),
        ("wasi", "may import only winst:plugin/host@0.1.0"),
        (
            "wrong-role",
            "is configured for policy but declares only post-install",
        ),
        (
            "missing",
            "nope.wasm: No such file or directory (os error 2); fix `file` in",
        ),
    ] {
        let s = section(name);
        assert!(
            s.contains("problem: ") && s.contains(problem),
            "{name}: {s}"
        );
    }
    // JSON carries the same.
    let out = winst()
        .args(["plugins", "--json", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "core")
        .unwrap();
    assert!(
        p["problems"][0]
            .as_str()
            .unwrap()
            .contains("core WebAssembly module"),
        "{p}"
    );
    let p = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "pinned")
        .unwrap();
    assert_eq!(p["sha256"], deny_sha);
    assert_eq!(p["api_version"], "0.2.0");
    // An install with a pinned plugin whose file changed is refused at load.
    let venv = Venv::new();
    let wheels = wheel_dir();
    let whl = pkg("anything", "1.0").build(wheels.path());
    let only = config_file(
        &dir.path().join("pin"),
        &plugin_entry(
            "pinned-other",
            "deny-list",
            &format!("sha256 = \"{}\"", "0".repeat(64)),
        ),
    );
    let stderr = refused(&venv, &[&"--config", &only, &whl]);
    assert!(
        stderr.contains("plugin pinned-other") && stderr.contains("its sha256 is"),
        "{stderr}"
    );
}
