//! `entry_points.txt`: `wheel::entry_points::parse_scripts` on arbitrary text. Never panics; what
//! it returns is what it promises to have validated (script names that are safe file names,
//! object references that are dotted identifiers, no name twice).
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use winst_wheel::entry_points::{self, is_identifier};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The pieces on their own, on the whole input.
    let _ = entry_points::validate_script_name(text);
    let _ = entry_points::parse_object_reference(text);
    let Ok(eps) = entry_points::parse_scripts(text) else {
        return;
    };
    let mut names = HashSet::new();
    for ep in &eps {
        assert!(names.insert(ep.name.as_str()), "script {} twice", ep.name);
        assert!(entry_points::validate_script_name(&ep.name).is_ok());
        // A script name becomes a file name in the scripts directory.
        assert!(!ep.name.contains(['/', '\\', '\0']) && !ep.name.starts_with('.'));
        assert!(
            ep.module.split('.').all(is_identifier),
            "module {:?}",
            ep.module
        );
        assert!(ep.attr.split('.').all(is_identifier), "attr {:?}", ep.attr);
        let reference = format!("{}:{}", ep.module, ep.attr);
        assert_eq!(
            entry_points::parse_object_reference(&reference),
            Ok((ep.module.clone(), ep.attr.clone()))
        );
    }
});
