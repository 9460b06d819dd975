//! Micro-benchmark for issue 14's cold path: SHA-256 throughput of `sha2` (its SHA-NI backend
//! is picked at run time), `ring` and `aws-lc-rs`, and inflate throughput of zlib-rs (through
//! flate2, streaming as the zip crate does it, and in one call) and libdeflate (whole member
//! into a buffer of the declared size). Not a test; run by hand:
//! `cargo run --release --manifest-path bench/micro/Cargo.toml -- ~/.cache/winst-bench/datasci`.

use std::io::Read;
use std::time::Instant;

fn best<F: FnMut()>(reps: usize, mut f: F) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn sha(chunks: &[&[u8]], name: &str, total: usize, f: &dyn Fn(&[&[u8]]) -> [u8; 32]) -> [u8; 32] {
    let mut out = [0; 32];
    let s = best(5, || out = f(chunks));
    println!("  {name:<10} {:>6.2} GB/s", total as f64 / s / 1e9);
    out
}

fn sha_bench(data: &[u8], chunk: usize) {
    let chunks: Vec<&[u8]> = data.chunks(chunk).collect();
    println!("sha256, {} MB in chunks of {} KiB (one digest per chunk)", data.len() >> 20, chunk >> 10);
    let a = sha(&chunks, "sha2", data.len(), &|cs| {
        use sha2::Digest;
        let mut last = [0; 32];
        for c in cs {
            last = sha2::Sha256::digest(c).into();
        }
        last
    });
    let b = sha(&chunks, "ring", data.len(), &|cs| {
        let mut last = [0; 32];
        for c in cs {
            last.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, c).as_ref());
        }
        last
    });
    let c = sha(&chunks, "aws-lc-rs", data.len(), &|cs| {
        let mut last = [0; 32];
        for c in cs {
            last.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, c).as_ref());
        }
        last
    });
    assert!(a == b && b == c);
}

/// Every deflated member of every wheel in `dir`: (compressed bytes, size, crc32).
fn members(dir: &str) -> Vec<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "whl") {
            continue;
        }
        let mut z = zip::ZipArchive::new(std::fs::File::open(&p).unwrap()).unwrap();
        for i in 0..z.len() {
            let mut m = z.by_index_raw(i).unwrap();
            if m.compression() != zip::CompressionMethod::Deflated {
                continue;
            }
            let size = m.size() as usize;
            let mut raw = Vec::new();
            m.read_to_end(&mut raw).unwrap();
            out.push((raw, size));
        }
    }
    out
}

fn inflate_bench(dir: &str) {
    let ms = members(dir);
    let total: usize = ms.iter().map(|m| m.1).sum();
    println!("inflate, {} members, {} MB out", ms.len(), total >> 20);
    let mut buf = vec![0u8; 256 << 10];
    let report = |name: &str, s: f64| println!("  {name:<28} {:>6.0} MB/s", total as f64 / s / 1e6);
    let s = best(3, || {
        for (raw, size) in &ms {
            let mut d = flate2::read::DeflateDecoder::new(&raw[..]);
            let mut n = 0;
            loop {
                let k = d.read(&mut buf).unwrap();
                if k == 0 {
                    break;
                }
                n += k;
            }
            assert_eq!(n, *size);
        }
    });
    report("zlib-rs streaming 256K", s);
    let s = best(3, || {
        for (raw, size) in &ms {
            let mut out = Vec::with_capacity(*size);
            let mut d = flate2::Decompress::new(false);
            d.decompress_vec(raw, &mut out, flate2::FlushDecompress::Finish).unwrap();
            assert_eq!(out.len(), *size);
        }
    });
    report("zlib-rs whole member", s);
    let mut dec = libdeflater::Decompressor::new();
    let s = best(3, || {
        for (raw, size) in &ms {
            let mut out = vec![0u8; *size];
            let n = dec.deflate_decompress(raw, &mut out).unwrap();
            assert_eq!(n, *size);
        }
    });
    report("libdeflate whole member", s);
}

fn main() {
    let mut data = vec![0u8; 256 << 20];
    let mut x = 0x9e3779b97f4a7c15u64;
    for b in data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    sha_bench(&data, 256 << 10);
    sha_bench(&data, 8 << 10);
    if let Some(dir) = std::env::args().nth(1) {
        inflate_bench(&dir);
    }
}
