#!/usr/bin/env python3
"""Writes a deterministic synthetic wheel corpus for the scaling benchmarks (bench/run.py).

Usage:
    python3 bench/synth.py OUT_DIR [--wheels 1000] [--files 103] [--seed 0] [--jobs N]

Writes OUT_DIR/synth_0000-1.0-py3-none-any.whl ... synth_{N-1}-1.0-py3-none-any.whl: N pure
wheels of F archive members each (the .dist-info files included), so N x F files are installed
(plus one console script for every tenth wheel). The defaults, 1,000 x 103, are the issue's
"1,000 synthetic wheels x 103 files": 103,000 files, 173 MB unpacked, 83 MB compressed.

Each wheel follows the PyPA binary distribution format: a package `synth_NNNN` with six
subpackages (core, core/impl, utils, io, io/formats, tests), .py modules of mixed sizes
(log-normal, median about 1 KB, from 60 bytes to 64 KiB; valid Python, so `--compile` works),
`py.typed` and four data files (JSON, CSV, text, binary); then `synth_NNNN-1.0.dist-info/` with
METADATA (with a description body), WHEEL, top_level.txt, entry_points.txt (one
`console_scripts` entry, every tenth wheel) and RECORD (sha256 and size of every member; RECORD
itself without) last.

Deterministic: the same arguments give the same bytes on every run (content from `random.Random`
seeded per wheel with a string, members sorted, every timestamp 1980-01-01 00:00, fixed modes);
the bytes can differ only with another zlib build. Standard library only. Not a test fixture:
the content is realistic in shape, not in meaning, and the wheels install nothing useful.
"""

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import random
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

#: Bump when the bytes written for the same arguments change (bench/run.py regenerates then).
FORMAT = "synth-v1"
VERSION = "1.0"
EPOCH = (1980, 1, 1, 0, 0, 0)
SUBPACKAGES = ["core", "core/impl", "utils", "io", "io/formats", "tests"]
#: Where modules go, by weight: the top package and the subpackages (tests and impl get many).
MODULE_DIRS = ["", *SUBPACKAGES]
MODULE_WEIGHTS = [3, 3, 2, 2, 2, 1, 3]
WORDS = (
    "alpha beta gamma delta epsilon zeta theta kappa iota sigma omega array buffer cache "
    "chunk client codec config context cursor daemon data decode encode engine entry event "
    "field filter format frame graph handle header index item iter journal kernel key layer "
    "layout loader matrix merge meta model module node offset option packet parse path plan "
    "pool queue range reader record region registry request result route row schema scope "
    "segment select series session shape signal slice source spec stage state store stream "
    "table task token tree value vector view window worker writer"
).split()


def _ident(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)}_{rng.choice(WORDS)}"


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _function(rng: random.Random, i: int) -> str:
    name, a, b, v = _ident(rng), rng.choice(WORDS), rng.choice(WORDS) + "_b", _ident(rng)
    return (
        f"\n\ndef {name}_{i}({a}, {b}=None):\n"
        f'    """{_sentence(rng, rng.randint(4, 12))}"""\n'
        f"    {v} = {a} + {rng.randint(0, 9999)}\n"
        f"    if {b} is not None:\n"
        f"        {v} = {v} * {b}\n"
        f"    return {v}\n"
    )


def _class(rng: random.Random, i: int) -> str:
    name = "".join(w.capitalize() for w in _ident(rng).split("_"))
    field = rng.choice(WORDS)
    return (
        f"\n\nclass {name}{i}:\n"
        f'    """{_sentence(rng, rng.randint(6, 16))}"""\n\n'
        f"    def __init__(self, {field}=None):\n"
        f"        self.{field} = {field}\n"
        f"        self.{rng.choice(WORDS)}_count = {rng.randint(0, 99)}\n\n"
        f"    def {_ident(rng)}(self):\n"
        f"        return self.{field}\n"
    )


def python_source(rng: random.Random, size: int, doc: str) -> bytes:
    """Valid Python of at least `size` bytes (whole definitions, so a little more)."""
    parts = [f'"""{doc}"""\n\nimport os\nimport sys\n']
    total, i = len(parts[0]), 0
    while total < size:
        part = _class(rng, i) if rng.random() < 0.2 else _function(rng, i)
        parts.append(part)
        total, i = total + len(part), i + 1
    return "".join(parts).encode()


def module_size(rng: random.Random) -> int:
    return int(min(65536, max(60, rng.lognormvariate(6.9, 1.0))))


def data_files(rng: random.Random, pkg: str) -> dict[str, bytes]:
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(["id", "name", "value"])
    for i in range(rng.randint(20, 200)):
        writer.writerow([i, _ident(rng), round(rng.uniform(-1e3, 1e3), 4)])
    schema = {w: {"type": rng.choice(["int", "str", "float"]), "doc": _sentence(rng, 6)}
              for w in rng.sample(WORDS, 12)}
    return {
        f"{pkg}/data/schema.json": json.dumps(schema, indent=2, sort_keys=True).encode(),
        f"{pkg}/data/table.csv": rows.getvalue().encode(),
        f"{pkg}/data/README.txt": "\n".join(_sentence(rng, 10) for _ in range(8)).encode(),
        f"{pkg}/data/blob.bin": rng.randbytes(rng.randint(256, 8192)),
    }


def package_files(rng: random.Random, pkg: str, count: int, script: bool) -> dict[str, bytes]:
    """`count` members under `pkg/`: the fixed ones first (cut if `count` is small), then
    modules spread over the subpackages."""
    fixed = {f"{pkg}/__init__.py": python_source(rng, 200, f"Synthetic package {pkg}.")}
    if script:
        fixed[f"{pkg}/cli.py"] = (
            f'"""Console script of {pkg}."""\n\nimport sys\n\n\n'
            "def main():\n    print(sys.argv[1:])\n    return 0\n"
        ).encode()
    fixed[f"{pkg}/py.typed"] = b""
    fixed.update(data_files(rng, pkg))
    for sub in SUBPACKAGES:
        fixed[f"{pkg}/{sub}/__init__.py"] = python_source(rng, 100, f"Subpackage {sub}.")
    files = dict(list(fixed.items())[:count])
    for j in range(count - len(files)):
        where = rng.choices(MODULE_DIRS, MODULE_WEIGHTS)[0]
        prefix = "test_" if where == "tests" else ""
        name = f"{pkg}/{where}/{prefix}{rng.choice(WORDS)}_{j}.py".replace("//", "/")
        files[name] = python_source(rng, module_size(rng), _sentence(rng, 8))
    return files


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def dist_info_files(rng: random.Random, pkg: str, script: bool) -> dict[str, bytes]:
    """Every .dist-info member but RECORD."""
    di = f"{pkg}-{VERSION}.dist-info"
    body = "\n\n".join(_sentence(rng, rng.randint(10, 30)) for _ in range(rng.randint(3, 12)))
    files = {
        f"{di}/METADATA": (
            f"Metadata-Version: 2.1\nName: {pkg}\nVersion: {VERSION}\n"
            f"Summary: {_sentence(rng, 6)}\nLicense: MIT\nRequires-Python: >=3.8\n"
            f"Description-Content-Type: text/markdown\n\n# {pkg}\n\n{body}\n"
        ).encode(),
        f"{di}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: winst-bench-synth ({FORMAT})\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n"
        ).encode(),
        f"{di}/top_level.txt": f"{pkg}\n".encode(),
    }
    if script:
        name = pkg.replace("_", "-")
        files[f"{di}/entry_points.txt"] = (
            f"[console_scripts]\n{name} = {pkg}.cli:main\n"
        ).encode()
    return files


def build_wheel(out: Path, index: int, files: int, seed: int) -> tuple[int, int]:
    """Writes wheel number `index` into `out`; returns (compressed, unpacked) bytes."""
    rng = random.Random(f"winst-synth:{seed}:{index}")
    pkg, script = f"synth_{index:04d}", index % 10 == 0
    meta = dist_info_files(rng, pkg, script)
    members = package_files(rng, pkg, max(1, files - len(meta) - 1), script)
    members = dict(sorted(members.items())) | dict(sorted(meta.items()))
    record = f"{pkg}-{VERSION}.dist-info/RECORD"
    lines = io.StringIO()
    writer = csv.writer(lines, lineterminator="\n")
    for name, data in members.items():
        writer.writerow([name, record_hash(data), len(data)])
    writer.writerow([record, "", ""])
    members[record] = lines.getvalue().encode()
    path = out / f"{pkg}-{VERSION}-py3-none-any.whl"
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the mode below is read
            info.external_attr = 0o100644 << 16
            zf.writestr(info, data, compresslevel=6)
    os.replace(tmp, path)
    return path.stat().st_size, sum(len(d) for d in members.values())


def generate(out: Path, wheels: int, files: int, seed: int = 0, jobs: int = 0) -> tuple[int, int]:
    """Writes the corpus into `out` (created); returns total (compressed, unpacked) bytes."""
    out.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
        sizes = list(pool.map(build_wheel, [out] * wheels, range(wheels), [files] * wheels,
                              [seed] * wheels, chunksize=16))
    return sum(s[0] for s in sizes), sum(s[1] for s in sizes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--wheels", "-n", type=int, default=1000)
    ap.add_argument("--files", "-f", type=int, default=103,
                    help="archive members per wheel, .dist-info included (at least 8)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", "-j", type=int, default=0, help="processes (default: CPUs)")
    args = ap.parse_args()
    if not 1 <= args.wheels <= 10000 or args.files < 8:
        sys.exit("synth.py: --wheels must be 1..10000 (names have 4 digits), --files at least 8")
    packed, unpacked = generate(args.out, args.wheels, args.files, args.seed, args.jobs)
    print(f"{args.wheels} wheels x {args.files} files: {packed / 1e6:.1f} MB compressed, "
          f"{unpacked / 1e6:.1f} MB unpacked, in {args.out}")


if __name__ == "__main__":
    main()
