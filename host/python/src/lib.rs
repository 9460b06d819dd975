//! winst's environment layer: what winst knows about the Python environment it installs into.
//!
//! - [`discover`] finds the environment from `--python`, `$VIRTUAL_ENV`, `$CONDA_PREFIX` or a
//!   nearby `.venv`; [`interpreter`] asks that interpreter once for its configuration and caches
//!   the answer; [`target`] lays out the scheme (`--target`, `--prefix` or the environment's own
//!   paths); [`pep668`] refuses an externally managed one.
//! - [`tags`] and [`tagnames`]: the compatibility tags the interpreter supports, and how to name
//!   them in errors.
//! - [`paths`]: lexical path normalization.
//! - [`installed`]: a snapshot of the projects already installed (their `RECORD` files).
//! - [`scripts`]: the shebang scripts get for this interpreter, and the checks on launcher names.
//! - `testing` (tests, and the `testing` feature): example interpreters as plain data.
//!
//! Not here: reading wheels (`winst-wheel`) or writing anything into the environment
//! (`winst-install`).

pub mod discover;
pub mod installed;
pub mod interpreter;
pub mod paths;
pub mod pep668;
pub mod scripts;
pub mod tagnames;
pub mod tags;
pub mod target;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
