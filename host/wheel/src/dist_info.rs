//! The file names inside a `.dist-info` directory that the specifications give a meaning to
//! (the binary distribution format, PEP 376, PEP 610, PEP 627), and which of them an installer
//! writes itself. One list, used by the planner (which skips a wheel's own copies), the
//! dist-info writer and the checks on post-install plugin output.
//!
//! Not here: reading or writing those files.

/// The manifest of installed files.
pub const RECORD: &str = "RECORD";
/// The core metadata.
pub const METADATA: &str = "METADATA";
/// The wheel's format version and tags.
pub const WHEEL: &str = "WHEEL";
/// The name of the tool that installed the project (PEP 376).
pub const INSTALLER: &str = "INSTALLER";
/// Present when the user asked for the project, not a dependency (PEP 376).
pub const REQUESTED: &str = "REQUESTED";
/// Where the project came from (PEP 610).
pub const DIRECT_URL: &str = "direct_url.json";

/// Written by the installer for every project: a wheel's own `RECORD` is replaced by the
/// installed one, and its own copies of the other three are not installed (as pip does).
pub const INSTALLER_WRITTEN: [&str; 4] = [RECORD, INSTALLER, REQUESTED, DIRECT_URL];

/// Names a post-install plugin may not write: the installer's and the wheel's own metadata.
pub const RESERVED: [&str; 6] = [RECORD, INSTALLER, REQUESTED, DIRECT_URL, METADATA, WHEEL];
