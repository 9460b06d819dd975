//! `winst plugin build [DIR]` and `winst plugin check FILE.wasm`, for plugin authors.
//!
//! **build**: `cargo build --release --target wasm32-unknown-unknown` of the crate, with every
//! local path (the crate, path dependencies such as the SDK, `$CARGO_HOME`) remapped so the same
//! sources give the same bytes on another machine, then the core module made a component
//! in-process (`wit-component`, validated) and written as `NAME.wasm`. A missing wasm32 target is
//! said before cargo runs, with the command that adds it.
//!
//! **check**: what a component is (sha256, size, API version and where it was read from, roles,
//! imports, exports) and whether this winst can run it ([`winst_plugin_host::runtime::problems`]).
//!
//! Not here: writing a crate ([`super::plugin_new`]), or the configured plugins (`winst plugins`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::args::{PluginBuildArgs, PluginCheckArgs};
use winst_plugin_host::{Role, api, runtime};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// What `cargo metadata` says about the crate being built.
struct Crate {
    name: String,
    /// The cdylib's file stem (`-` become `_`).
    lib: String,
    target_dir: PathBuf,
    /// Directories of the local packages (the crate, path dependencies) and their remapped names.
    local: Vec<(PathBuf, String)>,
}

pub(crate) fn build(args: PluginBuildArgs) -> Result<()> {
    let dir = std::path::absolute(&args.dir)?;
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!(
            "{} has no Cargo.toml: give the directory of a plugin crate (`winst plugin new NAME` writes one)",
            dir.display()
        );
    }
    check_wasm_target(&dir)?;
    let krate = metadata(&manifest)?;
    let status = Command::new(cargo())
        .current_dir(&dir)
        .args([
            "build",
            "--release",
            "--target",
            WASM_TARGET,
            "--manifest-path",
        ])
        .arg(&manifest)
        .env("CARGO_ENCODED_RUSTFLAGS", remap_flags(&krate))
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!(
            "cargo could not build {} for {WASM_TARGET} ({status})",
            krate.name
        );
    }
    let core = krate
        .target_dir
        .join(WASM_TARGET)
        .join("release")
        .join(format!("{}.wasm", krate.lib));
    let module = std::fs::read(&core).with_context(|| format!("cannot read {}", core.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&module)
        .with_context(|| {
            format!(
                "{} is not a module built with the winst SDK (wit-bindgen)",
                core.display()
            )
        })?
        .validate(true)
        .encode()
        .with_context(|| format!("cannot make a component of {}", core.display()))?;
    let out = args
        .output
        .unwrap_or_else(|| dir.join(format!("{}.wasm", krate.name)));
    std::fs::write(&out, &component).with_context(|| format!("cannot write {}", out.display()))?;
    println!("Built {}", out.display());
    describe(&out, &component)
}

pub(crate) fn check(args: PluginCheckArgs) -> Result<()> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    describe(&args.file, &bytes)
}

/// Prints what a component is and whether this winst runs it; an error when it cannot.
fn describe(file: &Path, bytes: &[u8]) -> Result<()> {
    println!("{}", file.display());
    println!("  sha256:  {}", runtime::sha256_hex(bytes));
    println!("  size:    {} bytes", bytes.len());
    let source = if api::custom_section(bytes, api::SECTION).is_some() {
        format!("its `{}` section", api::SECTION)
    } else {
        "its interface names".to_string()
    };
    match api::declared(bytes) {
        Ok(v) => println!(
            "  API:     {v} (from {source}; this winst runs {})",
            supported()
        ),
        Err(e) => println!("  API:     unknown: {e}"),
    }
    let (imports, exports) = api::interfaces(bytes);
    // Roles it declares, else the roles it exports (a `[[plugin]]` entry must then name them).
    let declared = winst_plugin_host::config::declared_roles(bytes);
    let roles: Vec<Role> = declared.clone().unwrap_or_else(|| {
        exports
            .iter()
            .filter_map(|e| e.strip_prefix("winst:plugin/")?.split('@').next())
            .filter_map(Role::parse)
            .collect()
    });
    let names = roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match declared {
        Some(_) => println!("  roles:   {names}"),
        None => println!(
            "  roles:   none declared (it exports: {names}); its [[plugin]] entry must give `roles`"
        ),
    }
    println!("  imports: {}", list(&imports));
    println!("  exports: {}", list(&exports));
    let problems = runtime::problems(bytes, &roles);
    if problems.is_empty() {
        println!("  runs:    yes, with this winst");
        return Ok(());
    }
    for p in &problems {
        println!("  problem: {p}");
    }
    bail!("this winst cannot run {}", file.display())
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(", ")
    }
}

fn supported() -> String {
    api::SUPPORTED
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Fails with the fix when the toolchain used in `dir` has no wasm32-unknown-unknown standard
/// library.
fn check_wasm_target(dir: &Path) -> Result<()> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .current_dir(dir)
        .args(["--print", "sysroot"])
        .output()
        .with_context(|| {
            format!(
                "cannot run {}: install Rust (https://rustup.rs)",
                rustc.to_string_lossy()
            )
        })?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !out.status.success() || !sysroot.join("lib/rustlib").join(WASM_TARGET).is_dir() {
        bail!(
            "the {WASM_TARGET} target is not installed for this Rust toolchain ({}): add it with `rustup target add {WASM_TARGET}`, then run `winst plugin build` again",
            sysroot.display()
        );
    }
    Ok(())
}

/// The crate's name, cdylib and target directory, and its local packages, from `cargo metadata`.
fn metadata(manifest: &Path) -> Result<Crate> {
    let out = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(manifest)
        .output()
        .context("cannot run cargo")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed for {}:\n{}",
            manifest.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let packages = meta["packages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let package = packages
        .iter()
        .find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest))
        .with_context(|| format!("cargo metadata does not list {}", manifest.display()))?;
    let name = package["name"].as_str().unwrap_or_default().to_string();
    let lib = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["crate_types"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c == "cdylib"))
        })
        .and_then(|t| t["name"].as_str())
        .with_context(|| {
            format!(
                "{name} builds no cdylib: add `[lib] crate-type = [\"cdylib\"]` to its Cargo.toml"
            )
        })?
        .replace('-', "_");
    let local = packages
        .iter()
        .filter(|p| p["source"].is_null())
        .filter_map(|p| {
            let dir = Path::new(p["manifest_path"].as_str()?)
                .parent()?
                .to_path_buf();
            Some((dir, format!("/{}", p["name"].as_str()?)))
        })
        .collect();
    let target_dir = PathBuf::from(meta["target_directory"].as_str().unwrap_or("target"));
    Ok(Crate {
        name,
        lib,
        target_dir,
        local,
    })
}

/// `CARGO_ENCODED_RUSTFLAGS`: the caller's flags, then `--remap-path-prefix` for `$CARGO_HOME`
/// and every local package, so no path of this machine ends up in the component.
fn remap_flags(krate: &Crate) -> String {
    let mut flags: Vec<String> = match std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        Ok(f) if !f.is_empty() => f.split('\x1f').map(str::to_string).collect(),
        _ => std::env::var("RUSTFLAGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    };
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let mut remaps: Vec<(PathBuf, String)> = cargo_home
        .map(|h| (h, "/cargo".to_string()))
        .into_iter()
        .collect();
    remaps.extend(krate.local.iter().cloned());
    for (from, to) in remaps {
        flags.push(format!("--remap-path-prefix={}={to}", from.display()));
    }
    flags.join("\x1f")
}
