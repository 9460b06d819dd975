//! The command line: parse arguments, run the command, print the outcome, choose the exit code.
//!
//! Output: results on stdout (`--json`, `--dry-run`), the summary, progress, warnings and errors
//! on stderr, all through [`crate::ui`] (`-v`, `-q`, `--color`).
//! Exit codes: 0 success, 1 any error, 2 a usage error (from clap).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::cache::{LinkMode, WheelCache};
use crate::install::{self, InstallOptions};
use crate::installed;
use crate::lock::EnvLock;
use crate::plugins::config::{InstallSettings, LimitSettings};
use crate::plugins::{PluginConfig, PluginHost};
use crate::target::{Layout, Target};
use crate::txn::{self, Recovery};
use crate::ui::{self, ColorChoice, Paint, progress};
use crate::uninstall;
use crate::wheel::limits::Limits;

#[derive(Parser, Debug)]
#[command(
    name = "winst",
    version,
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
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// A winst.toml to read after the system, user and project ones (repeatable).
    #[arg(long, global = true, value_name = "FILE")]
    config: Vec<PathBuf>,

    /// A plugin component to add, serving the roles it declares (repeatable).
    #[arg(long, global = true, value_name = "FILE.wasm")]
    plugin: Vec<PathBuf>,

    /// More output: -v adds the environment and stage timings, -vv per-wheel detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    verbose: u8,

    /// Less output: -q shows only warnings and errors, -qq only errors (stdout results stay).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    quiet: u8,

    /// Color on stderr and stdout [auto: on a terminal, unless NO_COLOR or TERM=dumb].
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    color: ColorChoice,
}

#[derive(Subcommand, Debug)]
enum Command {
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
                      winst install --dry-run --json wheels/           what would happen, as JSON"
    )]
    Install(InstallArgs),
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
    /// Show the plugins in effect, where each comes from and which roles it serves.
    Plugins(PluginsArgs),
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
enum CacheCommand {
    /// Print the cache directory.
    Dir,
    /// Remove everything in the cache.
    Clean,
}

#[derive(Args, Debug)]
struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Which environment a command works on.
#[derive(Args, Debug)]
struct EnvArgs {
    /// The environment to work on: an interpreter's path, a virtual environment directory, a
    /// name on PATH (python3.12) or a version (3.12, 3, cpython3.12.4)
    /// [default: $VIRTUAL_ENV, then $CONDA_PREFIX, then .venv here or in a parent directory].
    #[arg(long, short = 'p', value_name = "PY")]
    python: Option<PathBuf>,

    /// A plain directory instead of an environment, laid out as `pip install --target` does
    /// (scripts in DIR/bin).
    #[arg(long, value_name = "DIR", conflicts_with = "prefix")]
    target: Option<PathBuf>,

    /// A prefix instead of an environment, laid out as `pip install --prefix` does
    /// (DIR/lib/pythonX.Y/site-packages).
    #[arg(long, value_name = "DIR")]
    prefix: Option<PathBuf>,
}

impl EnvArgs {
    fn resolve(&self) -> Result<Target> {
        let layout = match (&self.target, &self.prefix) {
            (Some(dir), _) => Layout::Target(dir.clone()),
            (None, Some(dir)) => Layout::Prefix(dir.clone()),
            (None, None) => Layout::Environment,
        };
        Target::resolve(self.python.as_deref().map(Path::new), layout)
    }
}

#[derive(Args, Debug)]
struct UninstallArgs {
    /// Names of installed projects.
    #[arg(required = true, value_name = "NAME")]
    names: Vec<String>,

    #[command(flatten)]
    env: EnvArgs,

    /// Show what would be removed, and change nothing.
    #[arg(long)]
    dry_run: bool,

    #[command(flatten)]
    pep668: Pep668Args,
}

/// PEP 668: an environment that the OS or another tool manages.
#[derive(Args, Debug)]
struct Pep668Args {
    /// Change an interpreter's environment even though it is marked EXTERNALLY-MANAGED (PEP 668).
    /// Also WINST_BREAK_SYSTEM_PACKAGES=1.
    #[arg(long)]
    break_system_packages: bool,
}

impl Pep668Args {
    fn check(&self, target: &Target) -> Result<()> {
        let allowed = self.break_system_packages || crate::pep668::override_from_env();
        crate::pep668::check(target, allowed)?;
        Ok(())
    }
}

#[derive(Args, Debug)]
struct ListArgs {
    #[command(flatten)]
    env: EnvArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "columns")]
    format: ListFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ListFormat {
    Columns,
    Json,
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    env: EnvArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: CheckFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
struct ShowArgs {
    /// Names of installed projects (any spelling).
    #[arg(required = true, value_name = "NAME")]
    names: Vec<String>,

    #[command(flatten)]
    env: EnvArgs,

    /// List the files each project's RECORD names.
    #[arg(long, short = 'f')]
    files: bool,
}

#[derive(Args, Debug)]
struct RepairArgs {
    #[command(flatten)]
    env: EnvArgs,
}

#[derive(Args, Debug)]
struct PluginsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct InstallArgs {
    /// Wheel files, or directories whose *.whl files are all installed.
    #[arg(required = true, value_name = "WHEEL|DIR")]
    wheels: Vec<PathBuf>,

    #[command(flatten)]
    env: EnvArgs,

    /// Number of threads writing files [default: number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,

    /// Show what would be installed where, and change nothing.
    #[arg(long)]
    dry_run: bool,

    /// Print a machine-readable JSON report on stdout.
    #[arg(long)]
    json: bool,

    /// Let a wheel overwrite files that belong to another installed project.
    #[arg(long)]
    allow_overwrite: bool,

    /// Do not check files against the wheel's RECORD (for broken wheels in the wild).
    #[arg(long, conflicts_with = "untrusted")]
    no_verify_record: bool,

    /// Compile the installed .py files to bytecode (.pyc), as `pip install` does by default;
    /// compiled code is cached by source hash, so a repeated install only copies it.
    #[arg(long, visible_alias = "compile-bytecode")]
    compile: bool,

    #[command(flatten)]
    cache: CacheArgs,

    #[command(flatten)]
    pep668: Pep668Args,

    #[command(flatten)]
    untrusted: UntrustedArgs,
}

/// The caches: unpacked wheels (and compiled bytecode).
#[derive(Args, Debug)]
struct CacheArgs {
    /// Neither use nor fill the wheel cache [env: WINST_NO_CACHE=1].
    #[arg(long, conflicts_with_all = ["cache_dir", "link_mode"])]
    no_cache: bool,
    /// The cache directory [default: $WINST_CACHE_DIR, else $XDG_CACHE_HOME/winst, else
    /// ~/.cache/winst].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// How cached files get into the environment: clone (copy-on-write), hardlink, or copy
    /// [default: hardlink; env: WINST_LINK_MODE]. Falls back to a copy across filesystems.
    #[arg(long, value_enum, value_name = "MODE")]
    link_mode: Option<LinkMode>,
}

impl CacheArgs {
    /// The wheel cache in effect, if any. A cache that cannot be opened is not an error.
    fn open(&self) -> Result<Option<WheelCache>> {
        let env_off = std::env::var("WINST_NO_CACHE").is_ok_and(|v| !v.is_empty() && v != "0");
        if self.no_cache || (env_off && self.cache_dir.is_none()) {
            return Ok(None);
        }
        let mode = match self.link_mode {
            Some(m) => m,
            None => LinkMode::from_env().map_err(anyhow::Error::msg)?,
        };
        let dir = match &self.cache_dir {
            Some(d) => {
                std::path::absolute(d).with_context(|| format!("cannot resolve {}", d.display()))?
            }
            None => match crate::interpreter::cache_dir() {
                Some(d) => d,
                None => return Ok(None),
            },
        };
        Ok(WheelCache::open(&dir, mode))
    }
}

/// Untrusted mode: resource limits and stricter rules (see SECURITY.md).
#[derive(Args, Debug)]
struct UntrustedArgs {
    /// Treat the wheels as hostile: enforce the limits below and refuse .pth files, executable
    /// bits outside the scripts directory and unverifiable RECORDs; plugins get tighter bounds.
    #[arg(long)]
    untrusted: bool,
    /// Untrusted: most bytes one wheel may unpack to [default: 2GiB].
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    max_total_size: Option<u64>,
    /// Untrusted: most bytes one member may unpack to [default: 512MiB].
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    max_member_size: Option<u64>,
    /// Untrusted: highest compression ratio, per wheel and per member over 1 MiB [default: 100].
    #[arg(long, value_name = "N")]
    max_ratio: Option<u64>,
    /// Untrusted: most members in one wheel [default: 100000].
    #[arg(long, value_name = "N")]
    max_members: Option<u64>,
    /// Untrusted: longest member path, in bytes [default: 512].
    #[arg(long, value_name = "N")]
    max_path_length: Option<u64>,
    /// Untrusted: deepest member path, in components [default: 32].
    #[arg(long, value_name = "N")]
    max_path_depth: Option<u64>,
    /// Untrusted: largest METADATA, WHEEL, RECORD or entry_points.txt [default: 4MiB].
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    max_metadata_size: Option<u64>,
    /// Untrusted: let .pth files (and sitecustomize.py, usercustomize.py) into site-packages.
    #[arg(long)]
    allow_pth: bool,
    /// Untrusted: let executable files outside the scripts directory in.
    #[arg(long)]
    allow_executable: bool,
}

fn size_arg(text: &str) -> Result<u64, String> {
    crate::wheel::limits::parse_size(text)
}

impl UntrustedArgs {
    /// The limits in effect: `None` unless untrusted mode is on (flag or `[install]` config);
    /// config first, then flags.
    fn limits(&self, settings: &InstallSettings) -> Result<Option<Limits>> {
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
        let mut limits = Limits::default();
        layered.apply(&mut limits)?;
        Ok(Some(limits))
    }
}

/// Runs winst with the process's arguments.
pub fn main() -> ExitCode {
    crate::signals::install();
    let cli = Cli::parse();
    ui::init(cli.verbose, cli.quiet, cli.color);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ui::error(format_args!("{e:#}"));
            if crate::signals::interrupted() {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    if let Command::Completions(args) = &cli.command {
        let mut cmd = <Cli as clap::CommandFactory>::command();
        clap_complete::generate(args.shell, &mut cmd, "winst", &mut std::io::stdout());
        return Ok(());
    }
    let plugin_config = PluginConfig::load(&cli.config, &cli.plugin)?;
    match cli.command {
        Command::Install(args) => run_install(args, &plugin_config),
        Command::Uninstall(args) => run_uninstall(args),
        Command::List(args) => run_list(args),
        Command::Check(args) => run_check(args),
        Command::Show(args) => run_show(args),
        Command::Repair(args) => run_repair(args),
        Command::Plugins(args) => run_plugins(args, &plugin_config),
        Command::Cache(cmd) => run_cache(cmd),
        Command::Completions(_) => Ok(()),
    }
}

fn run_cache(cmd: CacheCommand) -> Result<()> {
    let Some(dir) = crate::interpreter::cache_dir() else {
        bail!("no cache directory: set WINST_CACHE_DIR (or HOME)");
    };
    match cmd {
        CacheCommand::Dir => println!("{}", dir.display()),
        CacheCommand::Clean => match std::fs::remove_dir_all(&dir) {
            Ok(()) => ui::write_stderr(&format!("Removed {}\n", dir.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ui::write_stderr(&format!(
                "Nothing to clean: {} does not exist\n",
                dir.display()
            )),
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", dir.display())),
        },
    }
    Ok(())
}

/// Locks the environment, then finishes or undoes a transaction a killed winst left there.
/// Returns the lock and what recovery did.
fn open_env(target: &Target) -> Result<(EnvLock, Option<Recovery>)> {
    let lock = EnvLock::acquire(target.state_dir())?;
    let recovery = txn::recover(target.state_dir())?;
    if let Some(r) = &recovery {
        log::info!("{r}");
        for w in &r.warnings {
            ui::warn(w);
        }
    }
    Ok((lock, recovery))
}

fn run_uninstall(args: UninstallArgs) -> Result<()> {
    let target = args.env.resolve()?;
    args.pep668.check(&target)?;
    let _lock = open_env(&target)?;
    let start = std::time::Instant::now();
    let report = uninstall::uninstall(&target, &args.names, args.dry_run)?;
    let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
    for w in &report.warnings {
        ui::warn(w);
    }
    for p in &report.projects {
        log::debug!("{}=={}: {} files", p.name, p.version, p.files);
        for s in &p.shared {
            log::info!("kept {} (another installed project lists it)", s.display());
        }
    }
    if ui::settings().verbosity >= 0 {
        ui::write_stderr(&ui::summary::uninstall(
            &report,
            elapsed_ms,
            Paint::stderr(),
        ));
    }
    Ok(())
}

fn run_list(args: ListArgs) -> Result<()> {
    let target = args.env.resolve()?;
    let _lock = open_env(&target)?;
    let scheme = &target.scheme;
    let mut dists = installed::scan(&[&scheme.purelib, &scheme.platlib]);
    dists.sort_by(|a, b| a.normalized.cmp(&b.normalized));
    if args.format == ListFormat::Json {
        let rows: Vec<serde_json::Value> = dists
            .iter()
            .map(|d| {
                serde_json::json!({
                    "name": d.name,
                    "version": d.version,
                    "installer": d.installer,
                    "location": d.dist_info.parent(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let width = |f: &dyn Fn(&installed::InstalledDist) -> usize, min: usize| {
        dists.iter().map(f).max().unwrap_or(0).max(min)
    };
    let nw = width(&|d| d.name.len(), 7);
    let vw = width(&|d| d.version.len(), 7);
    println!("{:<nw$} {:<vw$} Installer", "Package", "Version");
    println!("{} {} {}", "-".repeat(nw), "-".repeat(vw), "-".repeat(9));
    for d in &dists {
        println!(
            "{:<nw$} {:<vw$} {}",
            d.name,
            d.version,
            d.installer.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// The projects installed in the target, with requirements evaluated for its interpreter.
fn load_projects(target: &Target) -> Result<Vec<crate::check::Project>> {
    let env = crate::check::marker_environment(&target.interpreter)?;
    let scheme = &target.scheme;
    Ok(crate::check::load(
        &[&scheme.purelib, &scheme.platlib],
        &env,
    ))
}

fn run_check(args: CheckArgs) -> Result<()> {
    let target = args.env.resolve()?;
    let _lock = open_env(&target)?;
    let problems = crate::check::check(&load_projects(&target)?, None);
    if args.format == CheckFormat::Json {
        println!("{}", serde_json::to_string_pretty(&problems)?);
    } else {
        for p in &problems {
            match p {
                crate::check::Problem::Unreadable { .. } => eprintln!("warning: {p}"),
                _ => println!("{p}"),
            }
        }
        if problems.is_empty() {
            println!("No broken requirements found.");
        }
    }
    if !problems.is_empty() {
        bail!(
            "{} broken requirement(s) in {}: install or upgrade the projects named above",
            problems.len(),
            target.scheme.purelib.display()
        );
    }
    Ok(())
}

fn run_show(args: ShowArgs) -> Result<()> {
    let target = args.env.resolve()?;
    let _lock = open_env(&target)?;
    let (found, missing) = crate::show::show(&load_projects(&target)?, &args.names);
    for (i, p) in found.iter().enumerate() {
        if i > 0 {
            println!("---");
        }
        print!("{}", p.text(args.files));
    }
    if !missing.is_empty() {
        bail!(
            "Package(s) not found: {} (not installed in {})",
            missing.join(", "),
            target.scheme.purelib.display()
        );
    }
    Ok(())
}

fn run_repair(args: RepairArgs) -> Result<()> {
    let target = args.env.resolve()?;
    let (_lock, recovery) = open_env(&target)?;
    if recovery.is_none() {
        log::info!(
            "nothing to repair in {}: no interrupted transaction",
            target.state_dir().display()
        );
    }
    Ok(())
}

fn run_plugins(args: PluginsArgs, config: &PluginConfig) -> Result<()> {
    if args.json {
        let plugins: Vec<serde_json::Value> = config
            .plugins
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name,
                    "roles": p.roles,
                    "file": p.file_display(),
                    "origin": p.origin,
                    "limits": p.limits,
                    "config": serde_json::from_str::<serde_json::Value>(&p.config_json).unwrap_or_default(),
                })
            })
            .collect();
        let out = serde_json::json!({
            "plugins": plugins,
            "config_files": config.files,
            "roles": config.by_role(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if config.files.is_empty() {
        println!("Configuration files: none found");
    } else {
        println!("Configuration files (later ones override earlier ones):");
        for f in &config.files {
            println!("  {}", f.display());
        }
    }
    println!();
    for role in crate::plugins::Role::ALL {
        let names: Vec<&str> = config.chain(role).map(|p| p.name.as_str()).collect();
        let shown = if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join(" → ")
        };
        println!("{:<13} {shown}", format!("{}:", role.as_str()));
    }
    println!();
    for p in &config.plugins {
        let roles: Vec<&str> = p.roles.iter().map(|r| r.as_str()).collect();
        println!("{}", p.name);
        println!("  roles:  {}", roles.join(", "));
        println!("  file:   {}", p.file_display());
        println!("  from:   {}", p.origin);
        println!(
            "  limits: {} fuel, {} MiB memory, {} MiB reads per call",
            p.limits.fuel,
            p.limits.memory_bytes >> 20,
            p.limits.read_bytes >> 20
        );
        if p.config_json != "{}" {
            println!("  config: {}", p.config_json);
        }
    }
    Ok(())
}

/// Turns the arguments into wheel paths: files as given, directories expanded to their wheels.
pub fn expand_wheel_args(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for arg in args {
        let meta = std::fs::metadata(arg).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow::anyhow!(
                "{}: no such file or directory; check the path (winst installs wheel files you \
                 already have; it does not download)",
                arg.display()
            ),
            _ => anyhow::anyhow!("cannot read {}: {e}", arg.display()),
        })?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(arg)
                .with_context(|| format!("cannot list {}", arg.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "whl") && p.is_file())
                .collect();
            if found.is_empty() {
                bail!(
                    "{} contains no .whl files; put the wheels there (for example with \
                     `python -m pip download --only-binary=:all: --dest {} NAME`) or pass them \
                     by path",
                    arg.display(),
                    arg.display()
                );
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(arg.clone());
        }
    }
    let mut absolute = Vec::with_capacity(out.len());
    for p in out {
        let abs =
            std::path::absolute(&p).with_context(|| format!("cannot resolve {}", p.display()))?;
        if !absolute.contains(&abs) {
            absolute.push(abs);
        }
    }
    Ok(absolute)
}

fn run_install(args: InstallArgs, plugin_config: &PluginConfig) -> Result<()> {
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            bail!("--jobs must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global()
            .context("cannot start the worker threads")?;
    }
    let wheels = expand_wheel_args(&args.wheels)?;
    let target = args.env.resolve()?;
    // Like pip, a `--dry-run` report (`--json`) may look at a protected environment.
    if !(args.dry_run && args.json) {
        args.pep668.check(&target)?;
    }
    let limits = args.untrusted.limits(&plugin_config.install)?;
    if limits.is_some() && args.no_verify_record {
        bail!(
            "--no-verify-record cannot be used in untrusted mode: RECORD is what proves the files"
        );
    }
    let plugins = if limits.is_some() {
        let mut tightened = plugin_config.clone();
        for p in &mut tightened.plugins {
            p.limits = p.limits.untrusted();
        }
        PluginHost::load(&tightened)?
    } else {
        PluginHost::load(plugin_config)?
    };
    // A dry run reads no cache and must not create one.
    let cache = if args.dry_run {
        None
    } else {
        args.cache.open()?
    };
    let _lock = open_env(&target)?;
    let progress = progress::Progress::new();
    let display = progress::Display::start(&progress);
    let report = install::install(
        &target,
        &InstallOptions {
            wheels,
            dry_run: args.dry_run,
            allow_overwrite: args.allow_overwrite,
            verify_record: !args.no_verify_record,
            limits,
            plugins: &plugins,
            cache: cache.as_ref(),
            compile: args.compile,
            progress: &progress,
        },
    );
    // The bar goes before anything else is printed, on success and on error alike.
    display.finish();
    let mut report = report?;
    // Warnings about the install itself come before the summary; unmet requirements of the
    // environment after it, as uv prints them.
    for w in &report.warnings {
        ui::warn(w);
    }
    let install_warnings = report.warnings.len();
    crate::check::add_to_report(&target, &mut report);
    ui::summary::log_details(&report);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if args.dry_run {
        print!("{}", ui::summary::install(&report, Paint::stdout()));
    } else if ui::settings().verbosity >= 0 {
        ui::write_stderr(&ui::summary::install(&report, Paint::stderr()));
    }
    for w in &report.warnings[install_warnings..] {
        ui::warn(w);
    }
    Ok(())
}
