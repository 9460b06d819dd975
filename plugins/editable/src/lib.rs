//! winst's default `editable` plugin (PEP 660 wheels).
//!
//! By default it keeps what the build backend made (the `.pth` files and import-hook finder
//! modules) and marks `direct_url.json` editable, pointing at the project's source directory when
//! it can tell where that is. With `config = { mode = "static" }` it rewrites an import-hook
//! editable (setuptools' strict/compat finders) into a plain path `.pth`, which type checkers and
//! IDEs can follow.

use winst_plugin_sdk::types::{EditableLayout, EditableWheel};
use winst_plugin_sdk::{Context, Plugin, host, register_plugin};

#[derive(serde::Deserialize, Default)]
struct Config {
    #[serde(default)]
    mode: Option<String>,
}

/// Quoted strings in a line of Python source, in order.
fn quoted(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\'' || c == '"' {
            let s: String = chars.by_ref().take_while(|&d| d != c).collect();
            out.push(s);
        }
    }
    out
}

/// The `MAPPING = {'pkg': '/src/pkg', ...}` of a setuptools finder module: package directories.
fn finder_paths(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|l| l.trim_start().starts_with("MAPPING"))
        .flat_map(|l| quoted(l).into_iter().skip(1).step_by(2))
        .collect()
}

/// Absolute path lines of a `.pth` file (not `import` lines).
fn pth_paths(contents: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(contents)
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('/'))
        .map(str::to_string)
        .collect()
}

fn parent(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit_once('/')
        .map(|(p, _)| p)
        .filter(|p| !p.is_empty())
        .unwrap_or("/")
}

/// The project directory a source path belongs to: a `src` layout's parent, else the path.
fn project_dir(source_root: &str) -> &str {
    let trimmed = source_root.trim_end_matches('/');
    if trimmed.ends_with("/src") {
        parent(trimmed)
    } else {
        trimmed
    }
}

fn file_url(path: &str) -> String {
    let mut url = String::from("file://");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

struct Editable;

impl Plugin for Editable {
    type Config = Config;

    fn editable_layout(
        wheel: EditableWheel,
        cx: &Context<Config>,
    ) -> Result<EditableLayout, String> {
        let config = &cx.config;
        let finder_roots: Vec<String> = wheel
            .finder_modules
            .iter()
            .flat_map(|(_, src)| finder_paths(&String::from_utf8_lossy(src)))
            .map(|p| parent(&p).to_string())
            .collect();
        let pth_roots: Vec<String> = wheel
            .pth_files
            .iter()
            .flat_map(|(_, c)| pth_paths(c))
            .collect();
        let source_root = pth_roots.first().or(finder_roots.first()).cloned();

        let direct_url = match &source_root {
            Some(root) => serde_json::json!({
                "url": file_url(project_dir(root)),
                "dir_info": {"editable": true},
            })
            .to_string(),
            None => {
                host::warn(&format!(
                    "{}: cannot tell where the editable project's sources are; direct_url.json keeps the wheel's URL",
                    wheel.name
                ));
                wheel.direct_url.clone()
            }
        };

        let files = if config.mode.as_deref() == Some("static") && !finder_roots.is_empty() {
            let mut roots = finder_roots.clone();
            roots.sort();
            roots.dedup();
            let name = format!(
                "__editable__.{}-{}.pth",
                wheel.name.replace('-', "_"),
                wheel.version
            );
            vec![(name, format!("{}\n", roots.join("\n")).into_bytes())]
        } else {
            wheel
                .pth_files
                .iter()
                .chain(&wheel.finder_modules)
                .cloned()
                .collect()
        };
        Ok(EditableLayout { files, direct_url })
    }
}

register_plugin!(Editable, roles = ["editable"]);
