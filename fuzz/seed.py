#!/usr/bin/env python3
"""Regenerates the committed seed corpora under fuzz/seeds/ from the pinned real wheels.

Usage: python3 fuzz/seed.py [WHEEL_DIR]   (default: ~/.cache/winst-test-corpus)

Per target:
  wheel_filename/  the file name of every wheel, plus a few hand-written edge cases
  metadata/        each wheel's WHEEL, and its METADATA header block (the long description
                   after the first blank line is cut: the parser stops there, and it keeps the
                   seeds small)
  record/          each wheel's RECORD, the first 64 rows (plus a few quoted-path rows)
  entry_points/    each wheel's entry_points.txt, plus hand-written cases
  wheel_open/      the smallest real wheels (< 64 KiB, at most 10), as `<file name>\\n<bytes>`,
                   plus small synthetic wheels written with zipfile (data dir, scripts, stored)

Seeds are named by content hash, so re-running is idempotent; stale seeds of a target are removed.
wheel_build takes structured input (arbitrary), so it has no file seeds: it starts from scratch.
"""

import hashlib
import io
import os
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds"
MAX_WHOLE_WHEEL = 64 << 10
MAX_WHOLE_WHEELS = 10
MAX_RECORD_ROWS = 64


def put(target: str, data: bytes, out: dict) -> None:
    out.setdefault(target, {})[hashlib.sha1(data).hexdigest()[:16]] = data


def dist_info_of(z: zipfile.ZipFile) -> str:
    tops = {n.split("/", 1)[0] for n in z.namelist() if "/" in n}
    return next(t for t in sorted(tops) if t.endswith(".dist-info"))


def header_block(text: bytes) -> bytes:
    text = text.replace(b"\r\n", b"\n")
    end = text.find(b"\n\n")
    return text if end < 0 else text[: end + 2] + b"(description cut by seed.py)\n"


def record_lines(text: bytes, n: int) -> bytes:
    lines = text.splitlines(keepends=True)
    return b"".join(lines[:n])


def synthetic_wheel(name: str, version: str, files: dict, purelib=True, entry_points=None,
                    stored=False, executable=()) -> tuple:
    """A small valid wheel: (file name, bytes)."""
    dist = f"{name}-{version}.dist-info"
    files = dict(files)
    files[f"{dist}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: seed.py\nRoot-Is-Purelib: {str(purelib).lower()}\n"
        "Tag: py3-none-any\n"
    ).encode()
    files[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    if entry_points is not None:
        files[f"{dist}/entry_points.txt"] = entry_points.encode()
    import base64

    def h(b):
        d = hashlib.sha256(b).digest()
        return "sha256=" + base64.urlsafe_b64encode(d).rstrip(b"=").decode()

    rows = [f"{p},{h(c)},{len(c)}\n" for p, c in files.items()]
    rows.append(f"{dist}/RECORD,,\n")
    files[f"{dist}/RECORD"] = "".join(rows).encode()
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", method) as z:
        for p, c in files.items():
            info = zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.external_attr = (0o755 if p in executable else 0o644) << 16
            z.writestr(info, c)
    return f"{name}-{version}-py3-none-any.whl", buf.getvalue()


def main() -> None:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/winst-test-corpus"))
    wheels = sorted(corpus.glob("*.whl"))
    if not wheels:
        sys.exit(f"no wheels in {corpus}")
    out: dict = {}

    for w in wheels:
        put("wheel_filename", w.name.encode(), out)
        with zipfile.ZipFile(w) as z:
            d = dist_info_of(z)
            names = set(z.namelist())
            put("metadata", z.read(f"{d}/WHEEL"), out)
            put("metadata", header_block(z.read(f"{d}/METADATA")), out)
            put("record", record_lines(z.read(f"{d}/RECORD"), MAX_RECORD_ROWS), out)
            if f"{d}/entry_points.txt" in names:
                put("entry_points", z.read(f"{d}/entry_points.txt"), out)

    for name in [
        "foo-1.0-2_x-py2.py3-none-any.whl",
        "Foo_Bar-1.0.post1+local-cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "foo-1!2.0-py3-none-any.whl",
        "foo-1.0-py3-none-any.zip",
        "foo-1.0-x-py3-none-any.whl",
        "..-1.0-py3-none-any.whl",
    ]:
        put("wheel_filename", name.encode(), out)
    put("record", b'"we,ird.py",,\n"quo""te.py",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n'
        b"a.py,sha512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg_SpIdNs6c5H0NE8XYXysP-DGNKHfuwvY7kxvUdBeoGlODJ6-SfaPg,0\r\n", out)
    put("entry_points", b"[console_scripts]\nfoo = foo.cli:main\nbar-baz=foo:app.run [extra]\n\n"
        b"[gui_scripts]\nfoow = foo.gui:main\n[pytest11]\nweird thing = not valid at all\n", out)
    put("metadata", b"Metadata-Version: 2.1\nName: Foo\nVersion: 1.0\nLicense: line one\n"
        b"        line two\nRequires-Dist: bar>=1\n\nName: not-a-header\n", out)

    small = sorted(wheels, key=lambda p: p.stat().st_size)
    small = [w for w in small if w.stat().st_size < MAX_WHOLE_WHEEL][:MAX_WHOLE_WHEELS]
    for w in small:
        put("wheel_open", w.name.encode() + b"\n" + w.read_bytes(), out)
    for fname, data in [
        synthetic_wheel("demo", "1.0", {"demo/__init__.py": b"x = 1\n"},
                        entry_points="[console_scripts]\ndemo = demo:main\n"),
        synthetic_wheel("demo_pkg", "2.0", {
            "demo_pkg/__init__.py": b"",
            "demo_pkg-2.0.data/scripts/run-demo": b"#!python\nprint('hi')\n",
            "demo_pkg-2.0.data/headers/demo.h": b"int x;\n",
            "demo_pkg-2.0.data/data/share/demo.txt": b"data\n",
            "demo_pkg-2.0.data/platlib/_demo.so": b"\x7fELF",
        }, purelib=False, stored=True, executable=("demo_pkg-2.0.data/scripts/run-demo",)),
    ]:
        put("wheel_open", fname.encode() + b"\n" + data, out)

    total = 0
    for target, seeds in sorted(out.items()):
        d = SEEDS / target
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            if old.name not in seeds:
                old.unlink()
        for name, data in seeds.items():
            (d / name).write_bytes(data)
        size = sum(len(b) for b in seeds.values())
        total += size
        print(f"{target:16} {len(seeds):4} seeds {size / 1024:8.1f} KiB")
    print(f"{'total':16} {total / 1024:19.1f} KiB")


if __name__ == "__main__":
    main()
