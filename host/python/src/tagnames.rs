//! Wheel tags in words, for error messages: `win_amd64` is "Windows (win_amd64)", `cp312` is
//! "CPython 3.12", `manylinux_2_28_aarch64` is "Linux with glibc 2.28 or newer on aarch64".
//!
//! Also the message for a wheel the target cannot run, naming only the side that does not fit
//! (the Python, the platform, or both). Not here: deciding which tags are supported
//! ([`crate::tags`]).

use crate::interpreter::Interpreter;
use crate::tags::SupportedTags;

/// A Python tag in words: `cp312` → `CPython 3.12`, `py3` → `Python 3`, `pp310` → `PyPy 3.10`.
pub(crate) fn python_tag(tag: &str) -> String {
    let (name, digits) = [
        ("cp", "CPython"),
        ("pp", "PyPy"),
        ("py", "Python"),
        ("ip", "IronPython"),
        ("jy", "Jython"),
        ("gp", "GraalPy"),
    ]
    .iter()
    .find_map(|(prefix, name)| tag.strip_prefix(prefix).map(|rest| (*name, rest)))
    .unwrap_or(("", ""));
    if name.is_empty() || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return tag.to_string();
    }
    let (major, minor) = digits.split_at(1);
    if minor.is_empty() {
        format!("{name} {major}")
    } else {
        format!("{name} {major}.{minor}")
    }
}

/// A platform tag in words, without the tag itself.
pub(crate) fn platform_tag(tag: &str) -> String {
    if tag == "any" {
        return "any platform".to_string();
    }
    if tag == "win32" {
        return "32-bit Windows".to_string();
    }
    if let Some(arch) = tag.strip_prefix("win_") {
        return match arch {
            "amd64" => "Windows".to_string(),
            other => format!("Windows on {other}"),
        };
    }
    if let Some(rest) = tag.strip_prefix("macosx_") {
        // macosx_11_0_arm64, macosx_10_9_universal2
        let mut parts = rest.splitn(3, '_');
        if let (Some(major), Some(minor), Some(arch)) = (parts.next(), parts.next(), parts.next()) {
            return format!("macOS {major}.{minor} or newer on {arch}");
        }
        return "macOS".to_string();
    }
    for (legacy, glibc) in [
        ("manylinux1_", "2.5"),
        ("manylinux2010_", "2.12"),
        ("manylinux2014_", "2.17"),
    ] {
        if let Some(arch) = tag.strip_prefix(legacy) {
            return format!("Linux with glibc {glibc} or newer on {arch}");
        }
    }
    for (prefix, libc) in [("manylinux_", "glibc"), ("musllinux_", "musl")] {
        if let Some(rest) = tag.strip_prefix(prefix) {
            let mut parts = rest.splitn(3, '_');
            if let (Some(major), Some(minor), Some(arch)) =
                (parts.next(), parts.next(), parts.next())
            {
                return format!("Linux with {libc} {major}.{minor} or newer on {arch}");
            }
        }
    }
    if let Some(arch) = tag.strip_prefix("linux_") {
        return format!("Linux on {arch} (built for one machine, not portable)");
    }
    if tag.starts_with("android_") {
        return "Android".to_string();
    }
    if tag.starts_with("ios_") {
        return "iOS".to_string();
    }
    tag.to_string()
}

/// Tags grouped by their description, in first-seen order: `Windows (win_amd64)`,
/// `Linux with glibc 2.17 or newer on x86_64 (manylinux_2_17_x86_64, manylinux2014_x86_64)`.
fn grouped<'a>(tags: impl Iterator<Item = &'a str>, describe: fn(&str) -> String) -> String {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for tag in tags {
        let words = describe(tag);
        match groups.iter_mut().find(|(w, _)| *w == words) {
            Some((_, list)) => {
                if !list.contains(&tag) {
                    list.push(tag);
                }
            }
            None => groups.push((words, vec![tag])),
        }
    }
    groups
        .iter()
        .map(|(words, list)| {
            if list.len() == 1 && list[0] == words {
                words.clone()
            } else {
                format!("{words} ({})", list.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Why a wheel with these `(python, abi, platform)` tags cannot be installed for the target,
/// naming what does not fit, the target, and what to do.
pub fn mismatch(
    wheel_tags: &[(&str, &str, &str)],
    supported: &SupportedTags,
    interp: &Interpreter,
) -> String {
    let python_fits = wheel_tags
        .iter()
        .any(|(py, abi, _)| supported.supports_python(py, abi));
    let platform_fits = wheel_tags
        .iter()
        .any(|(_, _, plat)| supported.supports_platform(plat));
    let pythons = || {
        let tags: Vec<String> = wheel_tags
            .iter()
            .map(|(py, abi, _)| match *abi {
                "abi3" => format!("{py}-abi3"),
                _ => py.to_string(),
            })
            .collect();
        grouped(tags.iter().map(String::as_str), |t| {
            match t.strip_suffix("-abi3") {
                Some(py) => format!("{} or newer (stable ABI)", python_tag(py)),
                None => python_tag(t),
            }
        })
    };
    let platforms = || grouped(wheel_tags.iter().map(|(_, _, p)| *p), platform_tag);
    let is_for = match (python_fits, platform_fits) {
        (true, false) => platforms(),
        (false, true) => pythons(),
        _ => format!("{}, and for {}", pythons(), platforms()),
    };
    format!(
        "this wheel is for {is_for}; the target is {} on {} ({}); get the wheel built for the \
         target's Python and platform, or choose a matching interpreter with --python",
        interp.describe(),
        supported.best_platform,
        interp.executable.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_tags() {
        assert_eq!(python_tag("cp312"), "CPython 3.12");
        assert_eq!(python_tag("cp39"), "CPython 3.9");
        assert_eq!(python_tag("py3"), "Python 3");
        assert_eq!(python_tag("pp310"), "PyPy 3.10");
        assert_eq!(python_tag("weird"), "weird");
        assert_eq!(python_tag("cp"), "cp");
    }

    #[test]
    fn platform_tags() {
        assert_eq!(platform_tag("win_amd64"), "Windows");
        assert_eq!(platform_tag("win_arm64"), "Windows on arm64");
        assert_eq!(
            platform_tag("macosx_11_0_arm64"),
            "macOS 11.0 or newer on arm64"
        );
        assert_eq!(
            platform_tag("manylinux2014_aarch64"),
            "Linux with glibc 2.17 or newer on aarch64"
        );
        assert_eq!(
            platform_tag("manylinux_2_17_aarch64"),
            "Linux with glibc 2.17 or newer on aarch64"
        );
        assert_eq!(
            platform_tag("musllinux_1_2_x86_64"),
            "Linux with musl 1.2 or newer on x86_64"
        );
        assert_eq!(platform_tag("any"), "any platform");
    }

    #[test]
    fn groups_aliases() {
        let tags = [
            "manylinux_2_17_aarch64",
            "manylinux2014_aarch64",
            "win_amd64",
        ];
        assert_eq!(
            grouped(tags.into_iter(), platform_tag),
            "Linux with glibc 2.17 or newer on aarch64 (manylinux_2_17_aarch64, \
             manylinux2014_aarch64) or Windows (win_amd64)"
        );
    }
}
