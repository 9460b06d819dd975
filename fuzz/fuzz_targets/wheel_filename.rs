//! `WheelFilename::parse` on arbitrary strings: never panics; what it accepts re-renders to the
//! same name and re-parses to the same value.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use winst_python::tags::SupportedTags;
use winst_wheel::WheelFilename;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let w = match WheelFilename::parse(name) {
        Ok(w) => w,
        Err(rule) => {
            let _ = rule.len();
            return;
        }
    };
    // The parts join back into the name exactly (parse splits on `-` and `.`, and no part may
    // contain either).
    let rendered = match &w.build {
        Some(b) => format!("{}-{}-{}-{}.whl", w.name, w.version, b, w.tag_string()),
        None => format!("{}-{}-{}.whl", w.name, w.version, w.tag_string()),
    };
    assert_eq!(
        rendered, name,
        "parsed {w:?} does not re-render to the input"
    );
    assert_eq!(WheelFilename::parse(&rendered).as_ref(), Ok(&w));
    assert!(winst_wheel::name::is_valid_project_name(&w.name));
    assert!(!w.python.is_empty() && !w.abi.is_empty() && !w.platform.is_empty());
    assert_eq!(
        w.tags().count(),
        w.python.len() * w.abi.len() * w.platform.len()
    );
    // What install.rs does with the tags: check them against an interpreter's supported set.
    static TAGS: OnceLock<SupportedTags> = OnceLock::new();
    let tags =
        TAGS.get_or_init(|| SupportedTags::for_interpreter(&winst_fuzz::fake_target().interpreter));
    let _ = w.tags().any(|(p, a, pl)| tags.is_supported(p, a, pl));
    // Escaping the name for a dist-info directory must give a valid project name again.
    let escaped = winst_wheel::name::escape(&w.name);
    assert!(
        winst_wheel::name::is_valid_project_name(&escaped),
        "escape({}) = {escaped}",
        w.name
    );
});
