//! Example interpreters as plain data, for unit tests here and in other crates (the `testing`
//! feature): no Python runs. Not for anything but tests.

use std::path::PathBuf;

use crate::interpreter::{Interpreter, Libc, SchemePaths};

/// CPython 3.11.7 in a venv at `/v`, on x86_64 Linux with glibc 2.36.
pub fn cpython311() -> Interpreter {
    let p = SchemePaths {
        purelib: PathBuf::from("/v/lib/python3.11/site-packages"),
        platlib: PathBuf::from("/v/lib/python3.11/site-packages"),
        scripts: PathBuf::from("/v/bin"),
        data: PathBuf::from("/v"),
        include: PathBuf::from("/usr/include/python3.11"),
    };
    Interpreter {
        executable: PathBuf::from("/v/bin/python"),
        prefix: PathBuf::from("/v"),
        base_prefix: PathBuf::from("/usr"),
        version: (3, 11, 7),
        implementation: "cpython".into(),
        abiflags: String::new(),
        soabi: Some("cpython-311-x86_64-linux-gnu".into()),
        platform: "linux-x86_64".into(),
        pointer_bits: 64,
        gil_disabled: false,
        libc: Some(Libc {
            name: "glibc".into(),
            version: "2.36".into(),
        }),
        mac_version: None,
        cache_tag: Some("cpython-311".into()),
        magic: "a70d0d0a".into(),
        paths: p.clone(),
        prefix_paths: p,
        stdlib: PathBuf::from("/usr/lib/python3.11"),
        markers: Default::default(),
    }
}
