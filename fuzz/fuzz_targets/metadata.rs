//! The RFC 822-style header parser behind `WHEEL` and `METADATA`: `Headers::parse`,
//! `WheelInfo::parse` and `CoreMetadata::parse` on arbitrary text. Never panics; the typed parsers
//! agree with the raw headers they are built from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winst_wheel::metadata::{CoreMetadata, Headers, SUPPORTED_WHEEL_VERSION, WheelInfo};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let headers = Headers::parse(text);
    let wheel = WheelInfo::parse(text);
    let meta = CoreMetadata::parse(text);
    let Ok(h) = headers else {
        // Both typed parsers start with Headers::parse.
        assert!(wheel.is_err() && meta.is_err());
        return;
    };
    if let Ok(w) = wheel {
        assert!(w.wheel_version.0 <= SUPPORTED_WHEEL_VERSION.0);
        assert!(h.get("Wheel-Version").is_some());
        // As pip reads it: only `true` (any case) is purelib.
        assert_eq!(
            w.root_is_purelib,
            h.get("Root-Is-Purelib")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        );
        assert_eq!(w.tags, h.get_all("Tag").collect::<Vec<_>>());
        assert_eq!(w.generator.as_deref(), h.get("Generator"));
    }
    if let Ok(m) = meta {
        assert_eq!(Some(m.name.as_str()), h.get("Name"));
        assert_eq!(Some(m.version.as_str()), h.get("Version"));
        assert_eq!(
            m.requires_dist,
            h.get_all("Requires-Dist").collect::<Vec<_>>()
        );
        assert_eq!(m.classifiers, h.get_all("classifier").collect::<Vec<_>>());
        assert_eq!(m.requires_python.as_deref(), h.get("REQUIRES-PYTHON"));
        // What open() does with the name and version next.
        let _ = winst_wheel::name::is_valid_project_name(&m.name);
        let _ = winst_wheel::name::normalize(&m.name);
        let _ = winst_wheel::name::version_key(&m.version);
    }
});
