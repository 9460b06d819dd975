//! The `winst` binary: the command line, each command's orchestration, and everything printed for
//! people.
//!
//! Follow `winst install` from the command line to the disk:
//!
//! 1. [`args`] parses the arguments and [`commands`] runs the command; it and finds the target environment (`winst_python::discover`,
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

mod args;
mod check;
mod commands;
mod editable_build;
mod pipeline;
mod report;
mod show;
mod ui;

fn main() -> std::process::ExitCode {
    commands::main()
}
