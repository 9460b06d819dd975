//! The `winst` binary: the command line, each command's orchestration, and everything printed for
//! people.
//!
//! Follow `winst install` from the command line to the disk:
//!
//! 1. [`args`] parses the arguments and [`commands`] runs the command; it finds the target environment (`winst_python::discover`,
//!    `winst_python::target`), refusing an externally managed one (`winst_python::pep668`).
//! 2. [`pipeline::install`] runs the pipeline, plain data between the stages:
//!    **open** (`winst_wheel::OpenedWheel::open`), **check** (policy plugins,
//!    `winst_plugin_host::hooks`), **plan** (`winst_install::plan`), **write**
//!    (`winst_install::write`), **record** (`winst_install::dist_info`), **commit**
//!    (`winst_install::txn`).
//! 3. [`report`] turns the outcome into JSON, [`ui`] into the summary, progress and log lines;
//!    [`check`] warns about requirements of the installed projects that the environment does not
//!    satisfy; [`show`] is `winst show`.
//!
//! What winst is not: a resolver or a downloader. It installs exactly the wheels it is given.
//!
//! It runs on Linux and macOS (`winst_platform` holds what differs). Built for any other system
//! (Windows), the binary is only [`refuse`]: it says what is missing and exits with status 2.

#[cfg(unix)]
mod args;
#[cfg(unix)]
mod check;
#[cfg(unix)]
mod commands;
#[cfg(unix)]
mod editable_build;
#[cfg(unix)]
mod pipeline;
#[cfg(unix)]
mod report;
#[cfg(unix)]
mod show;
#[cfg(unix)]
mod ui;

#[cfg(unix)]
fn main() -> std::process::ExitCode {
    commands::main()
}

#[cfg(not(unix))]
fn main() -> std::process::ExitCode {
    refuse()
}

/// What a Windows (or other non-Unix) build prints instead of running.
#[cfg(not(unix))]
const UNSUPPORTED: &str = "\
error: winst does not run on Windows (yet); it runs on Linux and macOS. What is missing:
  - script launchers: on Windows every console or GUI script of a wheel must be an .exe
    trampoline (as pip's and uv's are), and winst only writes POSIX shebang scripts;
  - the Windows install scheme (Lib\\site-packages, Scripts\\) and its wheel tags (win_amd64);
  - the file-system calls its transactions, cache and lock use (directory handles, flock,
    hard links and clones, syncfs).
hint: on Windows use `pip install --no-deps` or `uv pip install --no-deps` for the same job";

/// Prints [`UNSUPPORTED`] and fails: a Windows build refuses at startup instead of half working.
#[cfg(not(unix))]
fn refuse() -> std::process::ExitCode {
    eprintln!("{UNSUPPORTED}");
    std::process::ExitCode::from(2)
}
