//! Terminal output: the closing summary, `-q`/`-v`, color, and the progress bar on a real
//! pseudo-terminal (util-linux `script`), with the real `winst` binary and real venvs.

mod support;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::{Venv, WheelBuilder, assert_same_tree, text, wheel_dir, winst};

fn wheel(dir: &Path, name: &str, version: &str) -> PathBuf {
    WheelBuilder::new(name, version)
        .file(
            &format!("{}/__init__.py", name.replace('-', "_").to_lowercase()),
            format!("VERSION = {version:?}\n"),
        )
        .build(dir)
}

/// The summary's first line: `Installed 3 packages (1,234 files, 5.6 MB) in 0.41s`; returns
/// (packages, files).
fn parse_summary(line: &str, verb: &str) -> (usize, u64) {
    let rest = line
        .strip_prefix(verb)
        .and_then(|r| r.strip_prefix(' '))
        .unwrap_or_else(|| panic!("not a `{verb}` summary: {line:?}"));
    let (count, rest) = rest.split_once(' ').expect("count");
    let packages: usize = count.parse().expect("package count");
    let word = if packages == 1 {
        "package ("
    } else {
        "packages ("
    };
    let rest = rest
        .strip_prefix(word)
        .unwrap_or_else(|| panic!("{line:?}: expected {word:?}"));
    let (files, rest) = rest.split_once(" files, ").expect("files");
    assert!(
        files.split(',').enumerate().all(|(i, g)| !g.is_empty()
            && g.chars().all(|c| c.is_ascii_digit())
            && (i == 0 && g.len() <= 3 || g.len() == 3)),
        "{line:?}: files not grouped by thousands"
    );
    let files: u64 = files.replace(',', "").parse().expect("files");
    let (size, rest) = rest.split_once(") in ").expect("size and time");
    let (number, unit) = size.split_once(' ').expect("size unit");
    assert!(["B", "KB", "MB", "GB"].contains(&unit), "{line:?}: unit");
    assert!(number.parse::<f64>().is_ok(), "{line:?}: size");
    let time_ok = rest
        .strip_suffix("ms")
        .is_some_and(|n| n.parse::<u64>().is_ok())
        || rest.strip_suffix('s').is_some_and(|n| {
            n.split_once('.')
                .is_some_and(|(a, b)| a.parse::<u64>().is_ok() && b.len() == 2)
        });
    assert!(time_ok, "{line:?}: time");
    (packages, files)
}

fn assert_plain(bytes: &[u8], what: &str) {
    assert!(
        !bytes.contains(&0x1b),
        "{what} has control codes:\n{}",
        String::from_utf8_lossy(bytes).escape_debug()
    );
}

#[test]
fn plain_summary_has_uv_shape_and_matches_the_json_report() {
    let dir = wheel_dir();
    let wheels = [
        wheel(dir.path(), "zeta", "1.0"),
        wheel(dir.path(), "Alpha", "2.0"),
        wheel(dir.path(), "mid-pkg", "0.3"),
    ];
    let venv = Venv::new();
    let out = venv.install(&[&wheels[0], &wheels[1], &wheels[2]]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_plain(&out.stderr, "stderr");
    assert!(stdout.is_empty(), "{stdout}");
    let lines: Vec<&str> = stderr.lines().collect();
    let (packages, files) = parse_summary(lines[0], "Installed");
    assert_eq!(packages, 3);
    assert_eq!(
        lines[1..],
        [" + Alpha==2.0", " + mid-pkg==0.3", " + zeta==1.0"],
        "{stderr}"
    );

    // The same wheels into another venv with --json: the summary counted the same files.
    let other = Venv::new();
    let out = other.install(&[&"--json", &wheels[0], &wheels[1], &wheels[2]]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_plain(&out.stdout, "--json");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(json["files"].as_u64(), Some(files), "{stdout}");
    assert_eq!(
        venv.python_out("import alpha, zeta, mid_pkg; print(alpha.VERSION, zeta.VERSION)"),
        "2.0 1.0"
    );
}

#[test]
fn upgrade_lists_removed_then_added_and_reinstall_is_a_tilde() {
    let dir = wheel_dir();
    let old = wheel(dir.path(), "six-ish", "1.15.0");
    let newer = wheel(dir.path(), "six-ish", "1.16.0");
    let venv = Venv::new();
    assert!(venv.install(&[&old]).status.success());

    let out = venv.install(&[&newer]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_plain(&out.stderr, "stderr");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(parse_summary(lines[0], "Installed").0, 1, "{stderr}");
    assert!(lines[0].starts_with("Installed 1 package ("), "{stderr}");
    assert_eq!(
        lines[1..],
        [" - six-ish==1.15.0", " + six-ish==1.16.0"],
        "{stderr}"
    );
    assert_eq!(
        venv.python_out("import importlib.metadata as m; print(m.version('six-ish'))"),
        "1.16.0"
    );

    // The same wheel again: left alone, and said so as uv says it.
    let before = venv.snapshot();
    let out = venv.install(&[&newer]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("Audited 1 package in "), "{stderr}");
    assert_same_tree(&before, &venv.snapshot());

    // Forced, it is installed again: a tilde.
    for flag in ["--reinstall", "--force-reinstall"] {
        let out = venv.install(&[&flag, &newer]);
        let (_, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert_eq!(
            stderr.lines().skip(1).collect::<Vec<_>>(),
            [" ~ six-ish==1.16.0"]
        );
    }

    let out = winst()
        .args(["uninstall", "--python"])
        .arg(venv.python())
        .arg("SIX_ISH")
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_plain(&out.stderr, "stderr");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    let time = lines[0]
        .strip_prefix("Uninstalled 1 package in ")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        time.strip_suffix("ms")
            .is_some_and(|n| n.parse::<u64>().is_ok())
            || time.ends_with('s'),
        "{stderr}"
    );
    assert_eq!(lines[1], " - six-ish==1.16.0");
    assert!(!venv.run_python("import six_ish").status.success());
}

#[test]
fn dry_run_says_would_install_on_stdout() {
    let dir = wheel_dir();
    let a = wheel(dir.path(), "dry-a", "1.0");
    let b = wheel(dir.path(), "dry-b", "1.0");
    let venv = Venv::new();
    let out = venv.install(&[&"--dry-run", &a, &b]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_plain(&out.stdout, "stdout");
    let first = stdout.lines().next().unwrap_or("");
    let (before, prefix) = first.split_once(" into ").expect("into PREFIX");
    assert!(
        before.starts_with("Would install 2 packages (") && before.ends_with(')'),
        "{stdout}"
    );
    assert_eq!(Path::new(prefix), venv.root());
    assert!(
        stdout.contains("\n + dry-a==1.0\n + dry-b==1.0\n"),
        "{stdout}"
    );
    assert!(!venv.run_python("import dry_a").status.success());
}

#[test]
fn quiet_hides_the_summary_then_the_warnings_but_never_errors() {
    let dir = wheel_dir();
    let mut future = WheelBuilder::new("future-format", "1.0").file("future_format.py", "");
    future.wheel_file = Some(
        "Wheel-Version: 1.9\nGenerator: winst-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
            .into(),
    );
    let future = future.build(dir.path());
    let plain = wheel(dir.path(), "quiet-pkg", "1.0");

    let venv = Venv::new();
    let out = venv.install(&[&"-q", &plain]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!((stdout.as_str(), stderr.as_str()), ("", ""));
    assert!(venv.run_python("import quiet_pkg").status.success());

    // The warning is printed by default and with -q, not with -qq (each time installed again).
    let out = venv.install(&[&"--reinstall", &future]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("warning:") && l.contains("1.9")),
        "{stderr}"
    );
    assert!(stderr.contains("Installed 1 package"), "{stderr}");
    let out = venv.install(&[&"-q", &"--reinstall", &future]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("warning:"), "{stderr}");
    let out = venv.install(&[&"-qq", &"--reinstall", &future]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr, "");

    // Errors are printed however quiet.
    let missing = dir.path().join("missing-1.0-py3-none-any.whl");
    let out = venv.install(&[&"-qq", &missing]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.starts_with("error: ") && stderr.contains("missing-1.0"),
        "{stderr}"
    );

    // -q keeps results that were asked for on stdout.
    let out = venv.install(&[&"-q", &"--dry-run", &"--reinstall", &plain]);
    let (stdout, _) = text(&out);
    assert!(stdout.starts_with("Would install 1 package"), "{stdout}");

    let out = venv.install(&[&"-q", &"-v", &plain]);
    assert_eq!(out.status.code(), Some(2), "-q and -v conflict");
}

#[test]
fn verbose_shows_environment_and_stage_timings_before_the_summary() {
    let dir = wheel_dir();
    let w = wheel(dir.path(), "loud", "1.0");
    let venv = Venv::new();
    let out = venv.install(&[&"-v", &w]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_plain(&out.stderr, "stderr");
    let env_line = stderr
        .lines()
        .find(|l| l.starts_with("debug: environment: "))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        env_line.contains(&venv.python().display().to_string()),
        "{env_line}"
    );
    let timings = stderr
        .lines()
        .find(|l| l.starts_with("debug: timings: "))
        .unwrap_or_else(|| panic!("{stderr}"));
    for stage in [
        "audit", "open", "plan", "write", "record", "commit", "total",
    ] {
        assert!(timings.contains(&format!(" {stage} ")), "{timings}");
    }
    assert!(!stderr.contains("trace:"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.last(), Some(&" + loud==1.0"), "{stderr}");

    let out = venv.install(&[&"-vv", &"--reinstall", &w]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("trace: loud==1.0: ") && l.contains("loud-1.0-py3-none-any.whl")),
        "{stderr}"
    );
}

#[test]
fn color_follows_the_flag_and_the_environment() {
    let dir = wheel_dir();
    let old = wheel(dir.path(), "tint", "1.0");
    let new = wheel(dir.path(), "tint", "2.0");
    let venv = Venv::new();
    assert!(venv.install(&[&old]).status.success());

    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = winst();
        cmd.args(args)
            .arg("install")
            .arg("--reinstall")
            .arg("--python")
            .arg(venv.python())
            .arg(&new);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", text(&out).1);
        text(&out).1
    };
    let colored = run(&["--color", "always"], &[("NO_COLOR", "1")]);
    assert!(
        colored.contains(" \x1b[31m-\x1b[0m tint==1.0\n"),
        "{colored:?}"
    );
    assert!(
        colored.contains(" \x1b[32m+\x1b[0m tint==2.0\n"),
        "{colored:?}"
    );
    assert!(
        colored.starts_with("Installed \x1b[1m1 package\x1b[0m ("),
        "{colored:?}"
    );

    let forced = run(&[], &[("FORCE_COLOR", "1")]);
    assert!(forced.contains('\x1b'), "{forced:?}");
    let no_color = run(&[], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]);
    assert_plain(no_color.as_bytes(), "NO_COLOR=1");
    let never = run(&["--color", "never"], &[("FORCE_COLOR", "1")]);
    assert_plain(never.as_bytes(), "--color never");
    assert!(
        never.ends_with("\n - tint==2.0\n + tint==2.0\n") || never.contains(" ~ tint==2.0"),
        "{never}"
    );

    // Errors are red and bold with color, plain without.
    let missing = dir.path().join("gone-1.0-py3-none-any.whl");
    let out = winst()
        .args(["--color", "always", "install", "--python"])
        .arg(venv.python())
        .arg(&missing)
        .output()
        .unwrap();
    assert!(
        text(&out).1.starts_with("\x1b[1;31merror:\x1b[0m "),
        "{:?}",
        text(&out).1
    );
}

// ---- pseudo-terminal -------------------------------------------------------------------------

/// The screen a terminal shows after these bytes: enough of a VT100 for what winst and
/// indicatif emit (text, CR, LF, BS, erase in line, erase below, cursor up/down/column, SGR and
/// cursor visibility, which change nothing on screen).
struct Screen {
    lines: Vec<Vec<char>>,
    row: usize,
    col: usize,
    cursor_visible: bool,
}

impl Screen {
    fn run(bytes: &[u8]) -> Screen {
        let mut s = Screen {
            lines: vec![Vec::new()],
            row: 0,
            col: 0,
            cursor_visible: true,
        };
        let text = String::from_utf8_lossy(bytes);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => s.col = 0,
                '\n' => {
                    s.row += 1;
                    if s.row == s.lines.len() {
                        s.lines.push(Vec::new());
                    }
                }
                '\x08' => s.col = s.col.saturating_sub(1),
                '\x1b' => {
                    assert_eq!(chars.next(), Some('['), "only CSI sequences expected");
                    let mut params = String::new();
                    let mut fin = ' ';
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() {
                            fin = c;
                            break;
                        }
                        params.push(c);
                    }
                    let n = params.parse::<usize>().unwrap_or(1).max(1);
                    let line = &mut s.lines[s.row];
                    match (fin, params.as_str()) {
                        ('m', _) => {}
                        ('K', "2") => line.clear(),
                        ('K', "" | "0") => line.truncate(s.col),
                        ('J', "" | "0") => {
                            line.truncate(s.col);
                            s.lines.truncate(s.row + 1);
                        }
                        ('A', _) => s.row = s.row.saturating_sub(n),
                        ('B', _) => {
                            s.row += n;
                            while s.lines.len() <= s.row {
                                s.lines.push(Vec::new());
                            }
                        }
                        ('G', _) => s.col = n - 1,
                        ('D', _) => s.col = s.col.saturating_sub(n),
                        ('C', _) => s.col += n,
                        ('l', "?25") => s.cursor_visible = false,
                        ('h', "?25") => s.cursor_visible = true,
                        other => panic!("unexpected control sequence {other:?}"),
                    }
                }
                c if c.is_control() => panic!("unexpected control character {c:?}"),
                c => {
                    let line = &mut s.lines[s.row];
                    while line.len() < s.col {
                        line.push(' ');
                    }
                    if s.col < line.len() {
                        line[s.col] = c;
                    } else {
                        line.push(c);
                    }
                    s.col += 1;
                }
            }
        }
        s
    }

    /// The non-empty lines, trailing spaces trimmed.
    fn text(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| l.iter().collect::<String>().trim_end().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }
}

/// Strips SGR color sequences.
fn uncolor(s: &str) -> String {
    let mut out = String::new();
    let mut in_seq = false;
    for c in s.chars() {
        match (in_seq, c) {
            (false, '\x1b') => in_seq = true,
            (true, c) if c.is_ascii_alphabetic() => in_seq = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs a `winst` command on a 120x30 pseudo-terminal with util-linux `script`; returns the
/// exit status and every byte the terminal received.
fn on_pty(cmd: &Command) -> (Option<i32>, Vec<u8>) {
    let mut line = String::from("stty cols 120 rows 30 && exec");
    line.push(' ');
    line.push_str(&shell_quote(&cmd.get_program().to_string_lossy()));
    for a in cmd.get_args() {
        line.push(' ');
        line.push_str(&shell_quote(&a.to_string_lossy()));
    }
    let mut script = Command::new("script");
    script
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    let mut child = script
        .spawn()
        .expect("util-linux `script` runs (it makes the pseudo-terminal)");
    let mut bytes = Vec::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_end(&mut bytes)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code(), bytes)
}

fn install_cmd(venv: &Venv, wheels: &[PathBuf]) -> Command {
    let mut cmd = winst();
    cmd.arg("install")
        .arg("--python")
        .arg(venv.python())
        .args(wheels);
    cmd
}

#[test]
fn progress_bar_on_a_terminal_is_drawn_cleared_and_leaves_the_summary_last() {
    let Some(wheels) = support::corpus::wheels("output: progress") else {
        return;
    };
    let venv = Venv::new();
    let mut cmd = install_cmd(&venv, &wheels);
    cmd.env("WINST_PROGRESS_MIN_MS", "0");
    let (code, bytes) = on_pty(&cmd);
    let raw = String::from_utf8_lossy(&bytes);
    assert_eq!(code, Some(0), "{}", raw.escape_debug());

    // The bar was drawn, with the stages and the write counters.
    let plain = uncolor(&raw);
    assert!(plain.contains("   Opening "), "no Opening stage drawn");
    let n = wheels.len();
    let writing = plain
        .split('\r')
        .find(|l| l.contains("   Writing [") && l.contains(&format!("/{n} wheels")))
        .unwrap_or_else(|| panic!("no write bar drawn:\n{}", plain.escape_debug()));
    assert!(writing.contains(" files · "), "{writing}");
    assert!(
        plain
            .split('\r')
            .any(|l| l.contains("   Writing [==") && l.contains(" MB/")),
        "the write bar never advanced:\n{}",
        plain.escape_debug()
    );

    // It was cleared: the last erase-line comes before the summary, and the final screen is the
    // summary and its lines, nothing of the bar.
    let summary_at = raw.find("Installed ").expect("summary printed");
    let last_clear = raw.rfind("\x1b[2K").expect("the bar was erased");
    assert!(
        last_clear < summary_at,
        "the bar was redrawn after the summary"
    );
    let screen = Screen::run(&bytes);
    assert!(screen.cursor_visible, "the cursor was left hidden");
    let shown: Vec<String> = screen.text().iter().map(|l| uncolor(l)).collect();
    let (packages, _) = parse_summary(&shown[0], "Installed");
    assert_eq!(packages, n);
    assert!(shown.len() > n, "{shown:#?}");
    assert!(
        shown[1..=n].iter().all(|l| l.starts_with(" + ")),
        "{shown:#?}"
    );
    // Then the environment's unmet requirements (the corpus has some), after the summary.
    assert!(
        shown[n + 1..].iter().all(|l| l.starts_with("warning: ")),
        "{shown:#?}"
    );
    assert!(
        shown
            .iter()
            .all(|l| !l.contains("Writing") && !l.contains("wheels"))
    );
    // On a terminal, color is on by default.
    assert!(raw.contains(" \x1b[32m+\x1b[0m "), "no color on a terminal");
    assert!(
        venv.run_python("import requests, six, yaml")
            .status
            .success(),
        "the corpus did not install"
    );
}

#[test]
fn quick_installs_and_plain_terminals_get_no_control_codes() {
    let dir = wheel_dir();
    let wheels: Vec<PathBuf> = (0..20)
        .map(|i| wheel(dir.path(), &format!("many-{i}"), "1.0"))
        .collect();

    // NO_COLOR and TERM=dumb: plain lines on a terminal even with the bar forced on at once.
    for (k, v) in [("NO_COLOR", "1"), ("TERM", "dumb")] {
        let venv = Venv::new();
        let mut cmd = install_cmd(&venv, &wheels);
        cmd.env("WINST_PROGRESS_MIN_MS", "0").env(k, v);
        let (code, bytes) = on_pty(&cmd);
        assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&bytes));
        assert_plain(&bytes, &format!("{k}={v} on a terminal"));
        let out = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
        assert!(out.starts_with("Installed 20 packages ("), "{out}");
        assert_eq!(out.lines().count(), 21, "{out}");
    }

    // -q on a terminal: nothing at all.
    let venv = Venv::new();
    let mut cmd = install_cmd(&venv, &wheels);
    cmd.env("WINST_PROGRESS_MIN_MS", "0").arg("-q");
    let (code, bytes) = on_pty(&cmd);
    assert_eq!(code, Some(0));
    assert!(
        bytes.is_empty(),
        "{}",
        String::from_utf8_lossy(&bytes).escape_debug()
    );
    assert!(venv.run_python("import many_0, many_19").status.success());

    // An install quicker than the threshold never draws the bar: only the colored summary.
    let venv = Venv::new();
    let mut cmd = install_cmd(&venv, &wheels[..1]);
    cmd.env("WINST_PROGRESS_MIN_MS", "10000");
    let (code, bytes) = on_pty(&cmd);
    assert_eq!(code, Some(0));
    let raw = String::from_utf8_lossy(&bytes);
    assert!(
        !raw.contains("\x1b[2K") && !raw.contains("Opening"),
        "{}",
        raw.escape_debug()
    );
    assert_eq!(
        uncolor(&raw).lines().nth(1).map(str::trim_end),
        Some(" + many-0==1.0")
    );
}
