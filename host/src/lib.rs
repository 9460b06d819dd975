//! winst: install already-built Python wheels into an environment, in parallel, correctly.
//!
//! Follow `winst install` from the command line to the disk in a few hops:
//!
//! 1. [`cli`] parses the arguments and finds the target environment ([`discover`], [`target`],
//!    [`interpreter`]), refusing an externally managed one ([`pep668`]).
//! 2. [`install::install`] runs the pipeline, one module per stage, plain data in between:
//!    - **open** ([`wheel`]): parse each wheel's filename, `WHEEL`, `METADATA`, `RECORD` and
//!      entry points; check its tags against the interpreter ([`tags`]).
//!    - **check** ([`plugins::hooks`]): policy plugins allow, warn about or deny each wheel.
//!    - **plan** ([`plan`]): every file's destination, the generated files (launchers from the
//!      scripts plugin, editable layouts), conflicts between wheels and with installed projects
//!      ([`installed`]), and the files of replaced versions to remove.
//!    - **write** ([`write`]): all files of all wheels in parallel, each under a temporary name in
//!      its final directory, through a directory capability, hashing while writing.
//!    - **post-install** ([`plugins::hooks`]): plugins add dist-info files (an SBOM) or fail.
//!    - **record** ([`record`]): the installed `RECORD`, `INSTALLER`, `REQUESTED` and
//!      `direct_url.json` of each project.
//!    - **commit** ([`write::Staged::commit`]): rename everything into place, remove what the
//!      replaced versions had and the new ones do not.
//! 3. [`report`] turns the outcome into JSON, [`ui`] into the summary, progress and log lines;
//!    [`check`] warns about requirements of the installed projects that the environment does not
//!    satisfy.
//!
//! What this crate is not: a resolver or a downloader. It installs exactly the wheels it is given.

pub mod cache;
pub mod check;
pub mod cli;
pub mod compile;
pub mod discover;
pub mod error;
pub mod install;
pub mod installed;
pub mod interpreter;
pub mod lock;
pub mod name;
pub mod pep668;
pub mod plan;
pub mod plugins;
pub mod progress;
pub mod record;
pub mod report;
pub mod roots;
pub mod scripts;
pub mod show;
pub mod signals;
pub mod tagnames;
pub mod tags;
pub mod target;
pub mod txn;
pub mod ui;
pub mod uninstall;
pub mod wheel;
pub mod write;
