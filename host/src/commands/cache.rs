//! `winst cache dir` and `winst cache clean`.

use anyhow::{Context, Result, bail};

use crate::args::CacheCommand;
use crate::ui;

pub(crate) fn run(cmd: CacheCommand) -> Result<()> {
    let Some(dir) = winst_python::interpreter::cache_dir() else {
        bail!(
            "no cache directory: set WINST_CACHE_DIR, or XDG_CACHE_HOME or HOME to an absolute path"
        );
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
