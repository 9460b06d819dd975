#!/usr/bin/env python3
"""The physical floor of a cold install of a corpus on this machine, measured three ways.

Usage: python3 bench/floor.py CORPUS [--dir /dev/shm]

- inflate: every member of every wheel inflated in memory with Python's zlib, in N processes
  (N = CPUs), nothing written: the decompression floor;
- inflate+sha256: the same, hashing each member (what RECORD verification needs);
- unzip: `unzip -q` of every wheel into a fresh directory, N processes at once: inflate plus file
  creation, no hashing, no bookkeeping;
- cp -a: copying the unpacked tree of all wheels: file creation alone.
The floor the issue states is roughly (inflate + hash + file creation) / cores.
"""
import hashlib, os, shutil, subprocess, sys, tempfile, time, zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

CACHE = Path(os.environ.get("WINST_BENCH_CACHE", Path.home() / ".cache/winst-bench"))


def inflate(path, hash_it):
    n = 0
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            data = z.read(info)
            n += len(data)
            if hash_it:
                hashlib.sha256(data).digest()
    return n


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main():
    corpus = sys.argv[1]
    base = sys.argv[sys.argv.index("--dir") + 1] if "--dir" in sys.argv else None
    wheels = sorted((CACHE / corpus).glob("*.whl"), key=lambda p: -p.stat().st_size)
    cpus = os.cpu_count() or 1
    with ProcessPoolExecutor(cpus) as pool:
        list(pool.map(inflate, wheels[:1], [False]))  # start the workers
        t_inflate = timed(lambda: list(pool.map(inflate, wheels, [False] * len(wheels))))
        t_hash = timed(lambda: list(pool.map(inflate, wheels, [True] * len(wheels))))
    work = Path(tempfile.mkdtemp(dir=base))
    (work / "u").mkdir()
    try:
        def unzip_all():
            procs, queue = [], list(wheels)
            while queue or procs:
                while queue and len(procs) < cpus:
                    w = queue.pop(0)
                    procs.append(subprocess.Popen(["unzip", "-q", "-o", str(w), "-d", str(work / "u" / w.name)]))
                procs[0].wait()
                procs.pop(0)
        t_unzip = timed(unzip_all)
        t_cp = timed(lambda: subprocess.run(["cp", "-a", str(work / "u"), str(work / "c")], check=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{corpus}: {len(wheels)} wheels, {cpus} CPUs")
    print(f"  inflate in memory          {t_inflate:.2f} s")
    print(f"  inflate + sha256           {t_hash:.2f} s")
    print(f"  unzip -q ({cpus} at once)       {t_unzip:.2f} s")
    print(f"  cp -a of the unpacked tree {t_cp:.2f} s")
    print(f"  floor ~ inflate+sha256 + cp -a/{cpus}: {t_hash + t_cp / cpus:.2f} s")


if __name__ == "__main__":
    main()
