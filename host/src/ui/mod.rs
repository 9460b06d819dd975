//! Terminal output for people: how loud (`-v`/`-q`), whether in color (`--color`, `NO_COLOR`,
//! `FORCE_COLOR`/`CLICOLOR_FORCE`, `TERM=dumb`), the logger behind the `log` facade, warnings and
//! errors, the closing summary ([`summary`]) and the live progress display ([`progress`]).
//!
//! Everything winst says on stderr goes through here, so that a line printed while the progress
//! bar is on screen is printed above it instead of through it, and so that `-q` silences it.
//! Other modules log with `log::info!` (shown by default, as `winst: ...`), `log::debug!` (`-v`)
//! and `log::trace!` (`-vv`); `log::warn!`/`log::error!` print `warning:`/`error:`.
//!
//! Not here: what to say (the callers decide) or machine-readable output (`--json`, `winst list`,
//! which go to stdout from `cli.rs` and are printed whatever the verbosity).

pub mod progress;
pub mod summary;

use std::fmt::Display;
use std::io::{IsTerminal as _, Write as _};
use std::sync::OnceLock;

/// `--color`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Color on a terminal, unless `NO_COLOR` or `TERM=dumb`; forced by `FORCE_COLOR` or
    /// `CLICOLOR_FORCE`.
    #[default]
    Auto,
    Always,
    Never,
}

/// The output settings of this process, fixed once at start-up by [`init`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    /// `-v` count minus `-q` count: -2 errors only, -1 warnings and errors, 0 normal, 1 debug
    /// (stage timings, environment), 2 trace (per-wheel detail), 3 also other crates' debug logs.
    pub verbosity: i8,
    /// Color on stderr.
    pub color: bool,
    /// Color on stdout (for `--dry-run`).
    pub color_stdout: bool,
    /// Whether the live progress display may be drawn: stderr is a terminal that understands
    /// control codes, not quiet, `NO_COLOR` unset and not `--color never`.
    pub progress: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// The settings in effect (plain, normal verbosity, no progress before [`init`]).
pub fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or_default()
}

/// Whether an environment variable is set to something other than empty.
fn env_set(get: &dyn Fn(&str) -> Option<String>, name: &str) -> bool {
    get(name).is_some_and(|v| !v.is_empty())
}

/// Whether to color a stream, given `--color`, the environment and whether it is a terminal.
///
/// `--color always/never` win. Otherwise `NO_COLOR` (any non-empty value, see no-color.org)
/// turns color off, `CLICOLOR_FORCE` or `FORCE_COLOR` (non-empty, not `0`) turn it on,
/// `TERM=dumb` turns it off, and else it is on for a terminal.
pub fn use_color(
    choice: ColorChoice,
    is_terminal: bool,
    get: &dyn Fn(&str) -> Option<String>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env_set(get, "NO_COLOR") {
                return false;
            }
            let forced = |name: &str| get(name).is_some_and(|v| !v.is_empty() && v != "0");
            if forced("CLICOLOR_FORCE") || forced("FORCE_COLOR") {
                return true;
            }
            if get("TERM").is_some_and(|t| t == "dumb") {
                return false;
            }
            is_terminal
        }
    }
}

/// Whether the live progress display may be drawn (see [`Settings::progress`]).
pub fn use_progress(
    choice: ColorChoice,
    verbosity: i8,
    stderr_is_terminal: bool,
    get: &dyn Fn(&str) -> Option<String>,
) -> bool {
    stderr_is_terminal
        && verbosity >= 0
        && choice != ColorChoice::Never
        && !env_set(get, "NO_COLOR")
        && get("TERM").is_none_or(|t| t != "dumb")
}

/// Fixes the settings from the command line and the environment and installs the logger.
/// Call once, right after parsing the arguments; later calls change nothing.
pub fn init(verbose: u8, quiet: u8, color: ColorChoice) {
    let get = |name: &str| std::env::var(name).ok();
    let verbosity = (i16::from(verbose) - i16::from(quiet)).clamp(-2, 3) as i8;
    let stderr_tty = std::io::stderr().is_terminal();
    let settings = Settings {
        verbosity,
        color: use_color(color, stderr_tty, &get),
        color_stdout: use_color(color, std::io::stdout().is_terminal(), &get),
        progress: use_progress(color, verbosity, stderr_tty, &get),
    };
    if SETTINGS.set(settings).is_err() {
        return;
    }
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(match verbosity {
            ..=-2 => log::LevelFilter::Error,
            -1 => log::LevelFilter::Warn,
            0 => log::LevelFilter::Info,
            1 => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        });
    }
}

/// ANSI styling that is a no-op when color is off.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    /// Styling for stderr under the current settings.
    pub fn stderr() -> Paint {
        Paint {
            on: settings().color,
        }
    }

    /// Styling for stdout under the current settings.
    pub fn stdout() -> Paint {
        Paint {
            on: settings().color_stdout,
        }
    }

    fn wrap(self, codes: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{codes}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    pub fn red_bold(self, text: &str) -> String {
        self.wrap("1;31", text)
    }
    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
    pub fn yellow_bold(self, text: &str) -> String {
        self.wrap("1;33", text)
    }
    pub fn cyan_bold(self, text: &str) -> String {
        self.wrap("1;36", text)
    }
    pub fn blue(self, text: &str) -> String {
        self.wrap("34", text)
    }
}

/// Writes text to stderr, above the progress bar if one is on screen. Write errors (a closed
/// pipe) are ignored: there is nowhere left to report them.
pub fn write_stderr(text: &str) {
    progress::suspend(|| {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    });
}

fn line(tag: &str, message: &dyn Display) {
    write_stderr(&format!("{tag} {message}\n"));
}

/// `error: MESSAGE`, always printed.
pub fn error(message: impl Display) {
    line(&Paint::stderr().red_bold("error:"), &message);
}

/// `warning: MESSAGE`, unless `-qq`.
pub fn warn(message: impl Display) {
    if settings().verbosity >= -1 {
        line(&Paint::stderr().yellow_bold("warning:"), &message);
    }
}

/// The `log` facade's backend: one line per record on stderr, above the progress bar.
struct Logger;

static LOGGER: Logger = Logger;

impl log::Log for Logger {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        // Other crates (wasmtime, cranelift) log a lot at debug level: only from -vvv.
        meta.level() <= log::Level::Warn
            || meta.target().starts_with("winst")
            || settings().verbosity >= 3
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let paint = Paint::stderr();
        let plugin = record.target() == winst_plugin_host::PLUGIN_LOG_TARGET;
        let tag = match record.level() {
            log::Level::Error => paint.red_bold("error:"),
            log::Level::Warn => paint.yellow_bold("warning:"),
            // A plugin's info lines are its own words, not winst's.
            log::Level::Info if plugin => paint.bold("info:"),
            log::Level::Info => "winst:".to_string(),
            log::Level::Debug => paint.blue("debug:"),
            // Plugins have no trace level: their debug lines are shown from `-v`.
            log::Level::Trace if plugin => paint.blue("debug:"),
            log::Level::Trace => paint.dim("trace:"),
        };
        line(&tag, record.args());
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn color_follows_flag_then_environment_then_terminal() {
        use ColorChoice::*;
        assert!(use_color(Auto, true, &env(&[])));
        assert!(!use_color(Auto, false, &env(&[])));
        assert!(!use_color(Auto, true, &env(&[("NO_COLOR", "1")])));
        assert!(use_color(Auto, true, &env(&[("NO_COLOR", "")])));
        assert!(use_color(Auto, false, &env(&[("FORCE_COLOR", "1")])));
        assert!(!use_color(Auto, false, &env(&[("FORCE_COLOR", "0")])));
        assert!(use_color(Auto, false, &env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!use_color(
            Auto,
            false,
            &env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])
        ));
        assert!(!use_color(Auto, true, &env(&[("TERM", "dumb")])));
        assert!(use_color(Always, false, &env(&[("NO_COLOR", "1")])));
        assert!(!use_color(Never, true, &env(&[("FORCE_COLOR", "1")])));
    }

    #[test]
    fn progress_only_on_a_capable_terminal() {
        use ColorChoice::*;
        assert!(use_progress(Auto, 0, true, &env(&[])));
        assert!(use_progress(Always, 1, true, &env(&[])));
        assert!(!use_progress(Auto, 0, false, &env(&[])));
        assert!(!use_progress(Auto, -1, true, &env(&[])));
        assert!(!use_progress(Never, 0, true, &env(&[])));
        assert!(!use_progress(Auto, 0, true, &env(&[("NO_COLOR", "1")])));
        assert!(!use_progress(Auto, 0, true, &env(&[("TERM", "dumb")])));
    }
}
