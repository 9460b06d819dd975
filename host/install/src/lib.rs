//! winst's install steps, in pipeline order, plain data between them:
//!
//! - **plan** ([`plan`]): every file's destination from the opened wheels, the target's layout
//!   and the installed projects; conflicts, ownership, removals, directories.
//! - **write** ([`write`](mod@write)): all files of all wheels in parallel under temporary names through
//!   directory capabilities ([`roots`]), RECORD hashes verified while writing, files placed from
//!   the unpacked-wheel cache where it has them ([`cache`]); `.pyc` files ([`compile`]).
//! - **record** ([`dist_info`]): the installed `RECORD`, `INSTALLER`, `REQUESTED` and
//!   `direct_url.json` of each project.
//! - **commit** ([`txn`]): the journaled transaction that renames everything into place or rolls
//!   it all back, and recovers after a crash; [`lock`] keeps other winst processes out,
//!   [`signals`] turns Ctrl-C into a rollback; [`uninstall`] removes projects the same way.
//!
//! Before all of them, [`audit`] finds the wheels that are installed already from the very same
//! file (a no-op reinstall), which are left alone.
//!
//! Stages report how far they are through [`progress`] counters; they print nothing. What a big
//! install leaves to free is freed off the main thread ([`release`]).
//!
//! Not here: plugins (`winst-plugin-host`), the command line and output for people (the `winst`
//! binary), or reading wheels (`winst-wheel`).

pub mod audit;
pub mod cache;
pub mod cache_use;
pub mod compile;
pub mod dist_info;
pub mod lock;
pub mod manifest;
pub mod plan;
pub mod progress;
pub mod release;
pub mod roots;
pub mod signals;
pub mod txn;
pub mod uninstall;
pub mod write;
