//! A wheel's `RECORD`: `wheel::record::parse` on arbitrary text. Never panics; every row it
//! accepts survives `format_row` (how winst writes RECORD rows) and parses back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winst_wheel::record::{self, Algorithm, RecordHash};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rows) = record::parse(text) else {
        return;
    };
    for row in &rows {
        assert!(!row.path.is_empty());
        let hash = row.hash.as_ref().map(|h| {
            let len = match h.algorithm {
                Algorithm::Sha256 => 32,
                Algorithm::Sha384 => 48,
                Algorithm::Sha512 => 64,
            };
            assert_eq!(h.digest.len(), len);
            let s = record::format_hash(h);
            assert_eq!(
                RecordHash::parse(&s).as_ref(),
                Ok(h),
                "hash {s} does not round-trip"
            );
            s
        });
        let line = record::format_row(&row.path, hash.as_deref(), row.size);
        let back = record::parse(&line)
            .unwrap_or_else(|e| panic!("format_row wrote {line:?} which does not parse: {e}"));
        assert_eq!(
            back,
            std::slice::from_ref(row),
            "row does not round-trip via {line:?}"
        );
    }
});
