//! `winst show NAME...`: what `pip show` prints about installed projects, plus the installer and
//! the number of files.
//!
//! Fields and order follow pip 23's `pip show` (Name, Version, Summary, Home-page, Author,
//! Author-email, License, Location, Requires, Required-by), then Installer, Project-URLs and
//! File-count; `--files` lists the files as RECORD names them, like `pip show --files`. Requires
//! and Required-by use the requirements that apply on the target interpreter, as pip's do (see
//! [`crate::check`]). Not here: anything that changes the environment.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::check::Project;
use winst_wheel::name;

/// What `winst show` prints about one project.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub name: String,
    pub version: String,
    pub summary: String,
    pub home_page: String,
    pub author: String,
    pub author_email: String,
    pub license: String,
    /// The site directory the project's dist-info is in.
    pub location: String,
    pub requires: Vec<String>,
    pub required_by: Vec<String>,
    pub installer: String,
    pub project_urls: Vec<String>,
    /// The files RECORD lists, relative to `location` as written there, sorted; `None` when the
    /// project has no RECORD.
    pub files: Option<Vec<String>>,
}

/// Finds each requested name (any spelling) among the projects. Returns what was found, in the
/// order asked, and the names that are not installed, sorted.
pub fn show(projects: &[Project], names: &[String]) -> (Vec<Shown>, Vec<String>) {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for asked in names {
        let wanted = name::normalize(asked);
        // pip keeps the last project of a name it meets.
        match projects.iter().rev().find(|p| p.normalized == wanted) {
            Some(p) => found.push(describe(p, projects)),
            None => missing.push(asked.clone()),
        }
    }
    missing.sort();
    (found, missing)
}

fn describe(p: &Project, projects: &[Project]) -> Shown {
    let field = |key: &str| p.metadata.get(key).unwrap_or_default().to_string();
    let mut requires: Vec<String> = p
        .requires
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|d| d.name.clone())
        .collect();
    requires.sort_by_key(|n| n.to_lowercase());
    let mut required_by: Vec<String> = projects
        .iter()
        .filter(|other| {
            other
                .requires
                .as_deref()
                .unwrap_or_default()
                .iter()
                .any(|d| d.normalized == p.normalized)
        })
        .map(|other| other.name.clone())
        .collect();
    required_by.sort_by_key(|n| n.to_lowercase());
    let location = p
        .dist_info
        .parent()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let installer = std::fs::read_to_string(p.dist_info.join("INSTALLER"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    Shown {
        name: p.name.clone(),
        version: p.version.clone(),
        summary: field("Summary"),
        home_page: field("Home-page"),
        author: field("Author"),
        author_email: field("Author-email"),
        license: field("License"),
        location,
        requires,
        required_by,
        installer,
        project_urls: p
            .metadata
            .get_all("Project-URL")
            .map(str::to_string)
            .collect(),
        files: record_entries(&p.dist_info),
    }
}

/// The paths RECORD lists, as written (relative to the site directory), sorted.
fn record_entries(dist_info: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(dist_info.join("RECORD")).ok()?;
    let mut files: Vec<String> = winst_python::installed::record_rows(&text)
        .map(Cow::into_owned)
        .collect();
    files.sort();
    Some(files)
}

impl Shown {
    /// The text block for this project, in `pip show`'s `Field: value` format.
    pub fn text(&self, list_files: bool) -> String {
        let mut out = String::new();
        let mut line = |key: &str, value: &str| {
            let _ = writeln!(out, "{key}: {value}");
        };
        line("Name", &self.name);
        line("Version", &self.version);
        line("Summary", &self.summary);
        line("Home-page", &self.home_page);
        line("Author", &self.author);
        line("Author-email", &self.author_email);
        line("License", &self.license);
        line("Location", &self.location);
        line("Requires", &self.requires.join(", "));
        line("Required-by", &self.required_by.join(", "));
        line("Installer", &self.installer);
        let count = self
            .files
            .as_ref()
            .map_or("unknown (no RECORD)".to_string(), |f| f.len().to_string());
        line("File-count", &count);
        out.push_str("Project-URLs:\n");
        for url in &self.project_urls {
            let _ = writeln!(out, "  {url}");
        }
        if list_files {
            out.push_str("Files:\n");
            match &self.files {
                None => out.push_str("Cannot locate RECORD\n"),
                Some(files) => {
                    for f in files {
                        let _ = writeln!(out, "  {f}");
                    }
                }
            }
        }
        out
    }
}
