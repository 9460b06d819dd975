//! The commands: each runs one `winst` subcommand from its parsed arguments ([`crate::args`]),
//! prints the outcome and returns; [`main`] chooses the exit code.
//!
//! Output: results on stdout (`--json`, `--dry-run`, `winst list`), the summary, progress,
//! warnings and errors on stderr, all through [`crate::ui`] (`-v`, `-q`, `--color`).
//! Exit codes: 0 success, 1 any error, 2 a usage error (from clap), 130 after Ctrl-C.
//!
//! Not here: the install pipeline itself ([`crate::pipeline`]) or how things are drawn
//! ([`crate::ui`]).

mod cache;
mod environment;
mod install;
mod lockfile;
mod plugin_build;
mod plugin_new;
mod plugins;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use crate::args::{Cli, Command, PluginCommand};
use crate::ui;
use winst_install::lock::EnvLock;
use winst_install::txn::{self, Recovery};
use winst_plugin_host::PluginConfig;
use winst_python::target::Target;

/// Runs winst with the process's arguments.
pub fn main() -> ExitCode {
    winst_install::signals::install();
    raise_open_file_limit();
    let cli = Cli::parse();
    ui::init(cli.verbose, cli.quiet, cli.color);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ui::error(format_args!("{e:#}"));
            if winst_install::signals::interrupted() {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// See [`winst_platform::raise_open_file_limit`]; failure leaves the limit as it was.
fn raise_open_file_limit() {
    if let Err(e) = winst_platform::raise_open_file_limit() {
        log::debug!("cannot raise the open-file limit: {e}");
    }
    // Before any thread starts (see the function's doc). An install holds about one descriptor
    // per wheel it places from the cache.
    if let Err(e) = winst_platform::reserve_descriptors(RESERVED_DESCRIPTORS) {
        log::debug!("cannot reserve file descriptors: {e}");
    }
}

/// How many file descriptors the table is grown to hold at startup.
const RESERVED_DESCRIPTORS: u64 = 4096;

fn run(cli: Cli) -> Result<()> {
    if let Command::Completions(args) = &cli.command {
        let mut cmd = <Cli as clap::CommandFactory>::command();
        clap_complete::generate(args.shell, &mut cmd, "winst", &mut std::io::stdout());
        return Ok(());
    }
    // Plugin authoring needs no configuration (a broken winst.toml must not stop `plugin check`).
    if let Command::Plugin(cmd) = cli.command {
        return match cmd {
            PluginCommand::New(args) => plugin_new::run(args),
            PluginCommand::Build(args) => plugin_build::build(args),
            PluginCommand::Check(args) => plugin_build::check(args),
        };
    }
    let plugin_config = PluginConfig::load(&cli.config, &cli.plugin)?;
    match cli.command {
        Command::Install(args) => install::run(*args, &plugin_config, None),
        Command::Sync(args) => {
            let args = *args;
            install::run(args.install, &plugin_config, Some(args.exact))
        }
        Command::Uninstall(args) => environment::uninstall(args),
        Command::List(args) => environment::list(args),
        Command::Check(args) => environment::check(args),
        Command::Show(args) => environment::show(args),
        Command::Repair(args) => environment::repair(args),
        Command::Plugins(args) => plugins::run(args, &plugin_config),
        Command::Plugin(_) => Ok(()),
        Command::Cache(cmd) => cache::run(cmd),
        Command::Completions(_) => Ok(()),
    }
}

/// Locks the environment, then finishes or undoes a transaction a killed winst left there.
/// Returns the lock and what recovery did.
pub(crate) fn open_env(target: &Target) -> Result<(EnvLock, Option<Recovery>)> {
    let mut lock = EnvLock::acquire(target.state_dir())?;
    let recovery = txn::recover(target.state_dir())?;
    if let Some(r) = &recovery {
        lock.adopt(&r.made);
        log::info!("{r}");
        for w in &r.warnings {
            ui::warn(w);
        }
    }
    Ok((lock, recovery))
}
