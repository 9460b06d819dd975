//! A whole wheel from arbitrary bytes: `wheel::open` (untrusted and trusted modes), then
//! `plan::plan` of every wheel that opens, for a fake CPython 3.11 environment.
//!
//! Input: the wheel's file name, a newline, then the file's bytes. (The name matters: open checks
//! the dist-info directory and METADATA against it.) A name that is not one usable path component
//! is replaced by `fuzz-1.0-py3-none-any.whl`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (name, bytes) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (
            std::str::from_utf8(&data[..i]).unwrap_or(""),
            &data[i + 1..],
        ),
        None => ("", data),
    };
    winst_fuzz::with_wheel_file(name, bytes, winst_fuzz::open_and_plan);
});
