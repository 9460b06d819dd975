//! The command line's shape: every command, argument and flag, parsed by clap, and the small
//! conversions from arguments to what the commands need (the target environment, the cache, the
//! untrusted-mode limits).
//!
//! Not here: running anything ([`crate::commands`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::ui::ColorChoice;
use winst_install::cache::{LinkMode, WheelCache};
use winst_plugin_host::config::{InstallSettings, LimitSettings};
use winst_python::target::{Layout, Target};
use winst_wheel::limits::UntrustedLimits;

#[derive(Parser, Debug)]
#[command(
    name = "winst",
    version = env!("WINST_VERSION"),
    about = "Install Python wheels into an environment, in parallel",
    long_about = "winst installs wheels you already have into a Python environment, all files of \
                  all wheels in parallel, checking every file against its RECORD hash as it \
                  writes. It does not resolve or download anything.\n\n\
                  The environment is --python if given, else $VIRTUAL_ENV, else $CONDA_PREFIX, \
                  else a .venv in the current directory or the nearest parent that has one.",
    after_help = "Examples:\n  \
                  winst install wheels/*.whl              into the active or nearby environment\n  \
                  winst install --python 3.12 dist/       into a Python 3.12 environment\n  \
                  winst uninstall --python .venv requests\n  \
                  winst completions bash > ~/.local/share/bash-completion/completions/winst"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    /// A winst.toml to read after the system, user and project ones (repeatable).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Vec<PathBuf>,

    /// A plugin component to add, serving the roles it declares (repeatable).
    #[arg(long, global = true, value_name = "FILE.wasm")]
    pub(crate) plugin: Vec<PathBuf>,

    /// More output: -v adds the environment and stage timings, -vv per-wheel detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub(crate) verbose: u8,

    /// Less output: -q shows only warnings and errors, -qq only errors (stdout results stay).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) quiet: u8,

    /// Color on stderr and stdout [auto: on a terminal, unless NO_COLOR or TERM=dumb].
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub(crate) color: ColorChoice,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Install wheel files into a Python environment.
    #[command(
        long_about = "Install wheel files into a Python environment, all or nothing. The wheels \
                      are installed exactly as given: nothing is resolved or downloaded \
                      (like `pip install --no-deps`).",
        after_help = "Examples:\n  \
                      winst install requests-2.32.3-py3-none-any.whl   into $VIRTUAL_ENV or ./.venv\n  \
                      winst install --python .venv wheels/             every *.whl in wheels/\n  \
                      winst install --python 3.12 dist/*.whl           a Python 3.12 environment\n  \
                      winst install --target build/site wheels/        a plain directory\n  \
                      winst install --dry-run --json wheels/           what would happen, as JSON\n  \
                      winst install -r pylock.toml --find-links wheels/  a lock's wheels"
    )]
    Install(Box<InstallArgs>),
    /// Make the environment hold exactly what lock files list, in one transaction.
    #[command(
        long_about = "Make the environment hold exactly the packages of the lock files (and the \
                      wheels given) for this interpreter: installs, upgrades, downgrades and \
                      removals in one transaction, so a failure anywhere leaves the environment \
                      as it was. pip, setuptools and wheel stay unless --exact or the locks list \
                      them.",
        after_help = "Examples:\n  \
                      winst sync -r pylock.toml --find-links wheels/\n  \
                      winst sync -r requirements.txt -f wheels/ --dry-run --json"
    )]
    Sync(Box<SyncArgs>),
    /// Remove installed projects (RECORD-driven), all or nothing.
    Uninstall(UninstallArgs),
    /// List the projects installed in an environment.
    List(ListArgs),
    /// Report installed projects' requirements the environment does not satisfy (like pip check).
    Check(CheckArgs),
    /// Show information about installed projects (like pip show).
    Show(ShowArgs),
    /// Finish or undo an interrupted install or uninstall (any winst command does this first).
    Repair(RepairArgs),
    /// Show the plugins in effect, where each comes from and which roles it serves, and check
    /// that this winst can run each one.
    Plugins(PluginsArgs),
    /// Write, build and check plugins (for plugin authors).
    #[command(
        subcommand,
        after_help = "Examples:\n  \
                      winst plugin new acme-policy --role policy   a crate with a working policy\n  \
                      winst plugin build acme-policy               acme-policy/acme-policy.wasm\n  \
                      winst plugin check acme-policy/acme-policy.wasm"
    )]
    Plugin(PluginCommand),
    /// Manage winst's cache (unpacked wheels, compiled bytecode, interpreter answers).
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    #[command(after_help = "Examples:\n  \
                  winst completions bash > ~/.local/share/bash-completion/completions/winst\n  \
                  winst completions zsh > ~/.zfunc/_winst\n  \
                  winst completions fish > ~/.config/fish/completions/winst.fish")]
    Completions(CompletionsArgs),
}

#[derive(Subcommand, Debug)]
pub(crate) enum PluginCommand {
    /// Write a new plugin crate: Cargo.toml, src/lib.rs with a working example and its unit test,
    /// and a README.
    New(PluginNewArgs),
    /// Build a plugin crate for wasm32-unknown-unknown and make its component, in-process
    /// (NAME.wasm next to its Cargo.toml). Paths are remapped so the same sources give the same
    /// bytes on any machine with the same toolchain.
    Build(PluginBuildArgs),
    /// Show a component's API version, roles, imports, exports and sha256, and whether this winst
    /// can run it (exit status 1 when it cannot).
    Check(PluginCheckArgs),
}

/// The role a new plugin serves.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NewRole {
    Policy,
    PostInstall,
    Scripts,
    Editable,
}

#[derive(Args, Debug)]
pub(crate) struct PluginNewArgs {
    /// The crate's name (letters, digits, `-` and `_`, starting with a letter); also the
    /// component's file name and the plugin's default name.
    pub(crate) name: String,
    /// The role the example implements.
    #[arg(long, value_enum, default_value = "policy")]
    pub(crate) role: NewRole,
    /// Where to write the crate [default: ./NAME]. Must not exist, or be empty.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    /// Where the SDK comes from: a directory (a winst checkout's plugins/sdk) or a git URL
    /// [default: winst-plugin-sdk from crates.io].
    #[arg(long, value_name = "DIR|URL")]
    pub(crate) sdk: Option<String>,
}

#[derive(Args, Debug)]
pub(crate) struct PluginBuildArgs {
    /// The plugin crate (the directory of its Cargo.toml).
    #[arg(default_value = ".")]
    pub(crate) dir: PathBuf,
    /// Where to write the component [default: DIR/NAME.wasm].
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct PluginCheckArgs {
    /// The component.
    pub(crate) file: PathBuf,
}

#[derive(Subcommand, Debug)]
pub(crate) enum CacheCommand {
    /// Print the cache directory.
    Dir,
    /// Remove everything in the cache.
    Clean,
}

#[derive(Args, Debug)]
pub(crate) struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// Which environment a command works on.
#[derive(Args, Debug)]
pub(crate) struct EnvArgs {
    /// The environment to work on: an interpreter's path, a virtual environment directory, a
    /// name on PATH (python3.12) or a version (3.12, 3, cpython3.12.4)
    /// [default: $VIRTUAL_ENV, then $CONDA_PREFIX, then .venv here or in a parent directory].
    #[arg(long, short = 'p', value_name = "PY")]
    pub(crate) python: Option<PathBuf>,

    /// A plain directory instead of an environment, laid out as `pip install --target` does
    /// (scripts in DIR/bin).
    #[arg(long, value_name = "DIR", conflicts_with = "prefix")]
    pub(crate) target: Option<PathBuf>,

    /// A prefix instead of an environment, laid out as `pip install --prefix` does
    /// (DIR/lib/pythonX.Y/site-packages).
    #[arg(long, value_name = "DIR")]
    pub(crate) prefix: Option<PathBuf>,
}

impl EnvArgs {
    pub(crate) fn resolve(&self) -> Result<Target> {
        let layout = match (&self.target, &self.prefix) {
            (Some(dir), _) => Layout::Target(dir.clone()),
            (None, Some(dir)) => Layout::Prefix(dir.clone()),
            (None, None) => Layout::Environment,
        };
        Target::resolve(self.python.as_deref().map(Path::new), layout)
    }
}

#[derive(Args, Debug)]
pub(crate) struct UninstallArgs {
    /// Names of installed projects.
    #[arg(required = true, value_name = "NAME")]
    pub(crate) names: Vec<String>,

    #[command(flatten)]
    pub(crate) env: EnvArgs,

    /// Show what would be removed, and change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,

    #[command(flatten)]
    pub(crate) pep668: Pep668Args,
}

/// PEP 668: an environment that the OS or another tool manages.
#[derive(Args, Debug)]
pub(crate) struct Pep668Args {
    /// Change an interpreter's environment even though it is marked EXTERNALLY-MANAGED (PEP 668).
    /// Also WINST_BREAK_SYSTEM_PACKAGES=1.
    #[arg(long)]
    pub(crate) break_system_packages: bool,
}

impl Pep668Args {
    pub(crate) fn check(&self, target: &Target) -> Result<()> {
        let allowed = self.break_system_packages || winst_python::pep668::override_from_env();
        winst_python::pep668::check(target, allowed)?;
        Ok(())
    }
}

#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) env: EnvArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "columns")]
    pub(crate) format: ListFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListFormat {
    Columns,
    Json,
}

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) env: EnvArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: CheckFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CheckFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    /// Names of installed projects (any spelling).
    #[arg(required = true, value_name = "NAME")]
    pub(crate) names: Vec<String>,

    #[command(flatten)]
    pub(crate) env: EnvArgs,

    /// List the files each project's RECORD names.
    #[arg(long, short = 'f')]
    pub(crate) files: bool,
}

#[derive(Args, Debug)]
pub(crate) struct RepairArgs {
    #[command(flatten)]
    pub(crate) env: EnvArgs,
}

#[derive(Args, Debug)]
pub(crate) struct PluginsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args, Debug)]
pub(crate) struct InstallArgs {
    /// Wheel files, or directories whose *.whl files are all installed.
    #[arg(
        required_unless_present_any = ["editable", "editable_wheel", "requirement"],
        value_name = "WHEEL|DIR"
    )]
    pub(crate) wheels: Vec<PathBuf>,

    /// Install the project in PROJECT_DIR in editable mode (PEP 660): winst calls its build
    /// backend's build_editable hook with the target's Python (or --build-python), as
    /// `pip install --no-build-isolation -e PROJECT_DIR` does, and installs that wheel.
    #[arg(long, short = 'e', value_name = "PROJECT_DIR")]
    pub(crate) editable: Vec<PathBuf>,

    /// Install WHEEL as an editable install of the project in PROJECT_DIR: for frontends that
    /// called the project's build_editable hook themselves (direct_url.json points at
    /// PROJECT_DIR, marked editable).
    #[arg(long, num_args = 2, value_names = ["WHEEL", "PROJECT_DIR"])]
    pub(crate) editable_wheel: Vec<PathBuf>,

    /// The Python whose environment has the build backends `-e` needs [default: the target's].
    #[arg(long, value_name = "PY", requires = "editable")]
    pub(crate) build_python: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) lock: LockArgs,

    #[command(flatten)]
    pub(crate) env: EnvArgs,

    /// Number of threads writing files [default: number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,

    /// Show what would be installed where, and change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Print a machine-readable JSON report on stdout.
    #[arg(long)]
    pub(crate) json: bool,

    /// Let a wheel overwrite files that belong to another installed project.
    #[arg(long)]
    pub(crate) allow_overwrite: bool,

    /// Install every wheel again, even one whose project is installed already from the same
    /// wheel file (which is otherwise left alone and reported as audited).
    #[arg(long, visible_alias = "force-reinstall")]
    pub(crate) reinstall: bool,

    /// Do not check files against the wheel's RECORD (for broken wheels in the wild).
    #[arg(long, conflicts_with = "untrusted")]
    pub(crate) no_verify_record: bool,

    /// Compile the installed .py files to bytecode (.pyc), as `pip install` does by default;
    /// compiled code is cached by source hash, so a repeated install only copies it.
    #[arg(long, visible_alias = "compile-bytecode")]
    pub(crate) compile: bool,

    #[command(flatten)]
    pub(crate) cache: CacheArgs,

    #[command(flatten)]
    pub(crate) pep668: Pep668Args,

    #[command(flatten)]
    pub(crate) untrusted: UntrustedArgs,
}

/// Lock files and the wheelhouse their wheels come from.
#[derive(Args, Debug)]
pub(crate) struct LockArgs {
    /// A lock: a pylock.toml (PEP 751) or a pinned requirements file with hashes (repeatable).
    /// Each package that applies to the target is installed from its best wheel.
    #[arg(long = "requirement", short = 'r', value_name = "LOCK")]
    pub(crate) requirement: Vec<PathBuf>,

    /// A directory of wheels (for example from `pip download`) where the locks' wheels are
    /// found by file name (repeatable, searched in order).
    #[arg(long, short = 'f', value_name = "DIR", requires = "requirement")]
    pub(crate) find_links: Vec<PathBuf>,

    /// A pylock.toml extra to install ('NAME' in extras markers; repeatable).
    #[arg(long, value_name = "NAME", requires = "requirement")]
    pub(crate) extra: Vec<String>,

    /// A pylock.toml dependency group to install (repeatable) [default: the lock's
    /// default-groups].
    #[arg(long, value_name = "NAME", requires = "requirement")]
    pub(crate) group: Vec<String>,
}

#[derive(Args, Debug)]
pub(crate) struct SyncArgs {
    /// Also remove what a fresh environment starts with (pip, setuptools, wheel) when the locks
    /// do not list it.
    #[arg(long)]
    pub(crate) exact: bool,

    #[command(flatten)]
    pub(crate) install: InstallArgs,
}

/// The caches: unpacked wheels (and compiled bytecode).
#[derive(Args, Debug)]
pub(crate) struct CacheArgs {
    /// Neither use nor fill the wheel cache [env: WINST_NO_CACHE=1].
    #[arg(long, conflicts_with_all = ["cache_dir", "link_mode"])]
    pub(crate) no_cache: bool,
    /// The cache directory, for the wheel cache and the interpreter and compiled-plugin caches
    /// [default: $WINST_CACHE_DIR, else $XDG_CACHE_HOME/winst, else ~/.cache/winst].
    #[arg(long, value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// How cached files get into the environment: clone (copy-on-write), hardlink, or copy
    /// [default: hardlink; env: WINST_LINK_MODE]. Falls back to a copy across filesystems.
    #[arg(long, value_enum, value_name = "MODE")]
    pub(crate) link_mode: Option<LinkMode>,
}

impl CacheArgs {
    /// Puts every cache of this command under `--cache-dir`, when it is given: call before the
    /// interpreter is queried or a plugin loaded. A dry run does not create that directory: when
    /// it does not exist, the interpreter and plugin caches stay where they would be without it.
    pub(crate) fn set_dir(&self, dry_run: bool) -> Result<()> {
        if let Some(dir) = self.given_dir()?
            && (!dry_run || dir.is_dir())
        {
            winst_python::interpreter::set_cache_dir(dir);
        }
        Ok(())
    }

    /// `--cache-dir` as an absolute path, when it is given.
    fn given_dir(&self) -> Result<Option<PathBuf>> {
        (self.cache_dir.as_deref())
            .map(|d| {
                std::path::absolute(d).with_context(|| format!("cannot resolve {}", d.display()))
            })
            .transpose()
    }

    /// The wheel cache in effect, if any, and the warning printed about it. A cache that cannot
    /// be opened (a file in its place, no permission) is not an error: the install goes on
    /// without it, with a warning when the directory was given by `--cache-dir` (printed here,
    /// and returned for the `--json` report), a debug line for the default one (which a
    /// read-only home would otherwise turn into a warning at every install).
    pub(crate) fn open(&self) -> Result<(Option<WheelCache>, Option<String>)> {
        let env_off = std::env::var("WINST_NO_CACHE").is_ok_and(|v| !v.is_empty() && v != "0");
        if self.no_cache || (env_off && self.cache_dir.is_none()) {
            return Ok((None, None));
        }
        let mode = match self.link_mode {
            Some(m) => m,
            None => LinkMode::from_env().map_err(anyhow::Error::msg)?,
        };
        let Some(dir) = self
            .given_dir()?
            .or_else(winst_python::interpreter::cache_dir)
        else {
            return Ok((None, None));
        };
        match WheelCache::open(&dir, mode) {
            Ok(cache) => Ok((Some(cache), None)),
            Err(e) => {
                // A link to nowhere fails with "File exists" when its directory is made.
                let why = match std::fs::read_link(&dir) {
                    Ok(to) if !dir.exists() => {
                        format!(
                            "it is a symbolic link to {}, which does not exist",
                            to.display()
                        )
                    }
                    _ => e.to_string(),
                };
                let message = format!(
                    "cannot use the cache directory {}: {why}; installing without the wheel cache",
                    dir.display()
                );
                match self.cache_dir {
                    Some(_) => {
                        crate::ui::warn(&message);
                        Ok((None, Some(message)))
                    }
                    None => {
                        log::debug!("{message}");
                        Ok((None, None))
                    }
                }
            }
        }
    }
}

/// Untrusted mode: resource limits and stricter rules (see SECURITY.md).
#[derive(Args, Debug)]
pub(crate) struct UntrustedArgs {
    /// Treat the wheels as hostile: enforce the limits below and refuse .pth files, executable
    /// bits outside the scripts directory and unverifiable RECORDs; plugins get tighter bounds.
    #[arg(long)]
    pub(crate) untrusted: bool,
    /// Untrusted: most bytes one wheel may unpack to [default: 2GiB].
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    pub(crate) max_total_size: Option<u64>,
    /// Untrusted: most bytes one member may unpack to [default: 512MiB].
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    pub(crate) max_member_size: Option<u64>,
    /// Untrusted: highest compression ratio, per wheel and per member over 1 MiB [default: 100].
    #[arg(long, value_name = "N")]
    pub(crate) max_ratio: Option<u64>,
    /// Untrusted: most members in one wheel [default: 100000].
    #[arg(long, value_name = "N")]
    pub(crate) max_members: Option<u64>,
    /// Untrusted: longest member path, in bytes [default: 512].
    #[arg(long, value_name = "N")]
    pub(crate) max_path_length: Option<u64>,
    /// Untrusted: deepest member path, in components [default: 32].
    #[arg(long, value_name = "N")]
    pub(crate) max_path_depth: Option<u64>,
    /// Untrusted: largest METADATA, WHEEL, RECORD or entry_points.txt [default: 4MiB].
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    pub(crate) max_metadata_size: Option<u64>,
    /// Untrusted: let .pth files (and sitecustomize.py, usercustomize.py) into site-packages.
    #[arg(long)]
    pub(crate) allow_pth: bool,
    /// Untrusted: let executable files outside the scripts directory in.
    #[arg(long)]
    pub(crate) allow_executable: bool,
}

pub(crate) fn size_arg(text: &str) -> Result<u64, String> {
    winst_wheel::limits::parse_size(text)
}

impl UntrustedArgs {
    /// The limits in effect: `None` unless untrusted mode is on (flag or `[install]` config);
    /// config first, then flags.
    pub(crate) fn limits(&self, settings: &InstallSettings) -> Result<Option<UntrustedLimits>> {
        let any_flag = self.max_total_size.is_some()
            || self.max_member_size.is_some()
            || self.max_ratio.is_some()
            || self.max_members.is_some()
            || self.max_path_length.is_some()
            || self.max_path_depth.is_some()
            || self.max_metadata_size.is_some()
            || self.allow_pth
            || self.allow_executable;
        if !(self.untrusted || settings.untrusted == Some(true)) {
            if any_flag {
                bail!(
                    "the --max-* and --allow-* limits apply in untrusted mode: add --untrusted \
                     (or `untrusted = true` under [install] in winst.toml)"
                );
            }
            return Ok(None);
        }
        // The flags are one more layer over the configuration files, applied the same way.
        let size =
            |v: Option<u64>| v.map(|n| toml::Value::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
        let mut layered = settings.limits.clone();
        layered.merge(LimitSettings {
            max_total_size: size(self.max_total_size),
            max_member_size: size(self.max_member_size),
            max_ratio: self.max_ratio,
            max_members: self.max_members,
            max_path_length: self.max_path_length,
            max_path_depth: self.max_path_depth,
            max_metadata_size: size(self.max_metadata_size),
            allow_pth: self.allow_pth.then_some(true),
            allow_executable: self.allow_executable.then_some(true),
        });
        let mut limits = UntrustedLimits::default();
        layered.apply(&mut limits)?;
        Ok(Some(limits))
    }
}
