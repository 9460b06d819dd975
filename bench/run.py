#!/usr/bin/env python3
"""winst against uv and pip, in one run, interleaved, on fresh venvs.

Usage:
    python3 bench/run.py [--winst target/release/winst] [--reps 5] [--dir /dev/shm]
                         [--corpus datasci,smallfiles,large,one] [--scenarios cold,...]
                         [--smoke] [--winst-before OLD_BINARY]

Corpora are pinned in bench/corpora/*.txt (sha256) and fetched once with `pip download` into
~/.cache/winst-bench/<corpus> (bench/fetch.sh). Synthetic corpora are generated instead, once, by
bench/synth.py into ~/.cache/winst-bench/synth-<N>x<F>: `synth1000` is 1,000 wheels of 103 files,
`synthN` N wheels of 103 files, `synth:NxF` N wheels of F files. uv comes from PyPI at the version pinned below,
installed into ~/.cache/winst-bench/tools. Each repetition copies a template venv (made once,
outside the timed part) into a new directory; the timed part is one installer process. For each
scenario and tool it prints the median wall time, CPU time (user + sys of the installer and its
children) and peak RSS, and the ratios winst/uv and winst/pip of wall and of CPU time (on a
loaded machine the CPU ratio is the steadier one).

Scenarios (per corpus; the large corpus skips the two bytecode ones):
  cold           no cache at all: winst --no-cache, uv --no-cache --link-mode copy,
                 pip --no-compile --no-cache-dir
  fill           an empty cache that the install fills (a fresh cache directory per run):
                 winst and uv with their default hard links
  warm hardlink  the caches already hold the wheels: winst and uv --link-mode hardlink
  warm copy      the same with --link-mode copy
  compile        cold with bytecode: winst --no-cache --compile, uv --no-cache --compile-bytecode
                 (--link-mode copy), pip (compiles by default)
  compile warm   warm hardlink with bytecode: winst --compile (its bytecode cache is warm too),
                 uv --compile-bytecode (uv has no bytecode cache)
  noop           the same wheels again into a venv the same tool installed them into (a copy
                 of it, made untimed): winst and uv both audit and change nothing
  lock cold      from a lock and a wheelhouse: a hashed requirements file of the corpus (made
                 untimed) and its directory: winst sync -r LOCK --find-links DIR --no-cache,
                 uv pip sync --offline --no-index --find-links DIR --no-cache --link-mode copy
  lock warm      the same with warm caches and hard links
  lock noop      the same lock again into a venv the same tool synced it into
Ratios compare winst with each other tool in the same scenario. With --winst-before, another
winst binary (an earlier build) runs every winst scenario too, interleaved, with caches of its
own, as the tool `winst-before`: a before/after comparison in one run.
"""

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("WINST_BENCH_CACHE", Path.home() / ".cache/winst-bench"))
UV_VERSION = "0.13.9"
SCENARIOS = ["cold", "fill", "warm hardlink", "warm copy", "compile", "compile warm", "noop",
             "lock cold", "lock warm", "lock noop"]


SYNTH = re.compile(r"synth(?:(\d+)|:(\d+)x(\d+))")


def synthetic(corpus: str) -> Path | None:
    """The directory of a synthetic corpus (`synthN`, `synth:NxF`), generated on first use and
    again when bench/synth.py's FORMAT changes; None for any other name."""
    match = SYNTH.fullmatch(corpus)
    if not match:
        return None
    import synth  # bench/, first on sys.path when this script runs

    wheels, files = int(match[1] or match[2]), int(match[3] or 103)
    path = CACHE / f"synth-{wheels}x{files}"
    stamp = path / ".format"
    if not stamp.exists() or stamp.read_text() != synth.FORMAT:
        partial = path.with_name(path.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        print(f"generating {corpus} into {path} ...", file=sys.stderr)
        synth.generate(partial, wheels, files)
        (partial / ".format").write_text(synth.FORMAT)
        shutil.rmtree(path, ignore_errors=True)
        partial.rename(path)
    return path


def fetch(corpus: str) -> list[Path]:
    if (path := synthetic(corpus)) is not None:
        return sorted(path.glob("*.whl"))
    out = subprocess.run(
        ["bash", str(ROOT / "bench/fetch.sh"), corpus], check=True, capture_output=True, text=True
    )
    return sorted(Path(out.stdout.strip().splitlines()[-1]).glob("*.whl"))


def uv_binary() -> Path:
    tools = CACHE / "tools"
    uv = tools / "bin/uv"
    if not uv.exists() or UV_VERSION not in subprocess.run(
        [str(uv), "--version"], capture_output=True, text=True
    ).stdout:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--prefix", str(tools), f"uv=={UV_VERSION}"],
            check=True,
        )
    return uv


GNU_TIME = "/usr/bin/time"


def timed(cmd: list[str], env: dict) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one command.

    The CPU time is wait4's: user + sys of the process and the children it waited for. The peak
    RSS is not wait4's: Linux counts a child's memory before its exec, so every child of this
    (large) Python would report at least this process's size. GNU time (`/usr/bin/time`, Debian's
    `time`), a small process, forks the installer and reports its own child's peak; without it
    the figure is 0. stderr goes to a file, not a pipe: winst prints about 57 KiB for a thousand
    wheels, near the 64 KiB a pipe holds, and a full pipe that nobody reads would stop the
    installer for good."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        wrapped = cmd
        if os.access(GNU_TIME, os.X_OK):
            wrapped = [GNU_TIME, "-f", "%M", "-o", rss.name, *cmd]
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            stderr = err.read().decode(errors="replace")[-4000:]
            sys.exit(f"failed: {' '.join(cmd[:4])} ...\n{stderr}")
        kib = rss.read().strip().splitlines()
        peak = int(kib[-1]) / 1024 if kib and kib[-1].isdigit() else 0
    return wall, usage.ru_utime + usage.ru_stime, peak


def untimed(cmd: list[str], env: dict) -> None:
    """Runs a preparation step; on failure, stops with the end of its stderr."""
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        stderr = proc.stderr.decode(errors="replace")[-4000:]
        sys.exit(f"failed (untimed): {' '.join(cmd[:4])} ...\n{stderr}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--winst", default=str(ROOT / "target/release/winst"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--dir", default=None, help="where venvs go (default: the system temp dir)")
    ap.add_argument("--corpus", default="datasci,smallfiles,large,one",
                    help="comma-separated: a bench/corpora name, synthN or synth:NxF")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--smoke", action="store_true", help="one repetition, `one` corpus only")
    ap.add_argument("--winst-before", default=None,
                    help="an earlier winst binary to compare with, as the tool winst-before")
    args = ap.parse_args()
    if args.smoke:
        args.reps, args.corpus = 1, "one"
    load = os.getloadavg()
    uv = str(uv_binary())
    winst = str(Path(args.winst).resolve())
    before = str(Path(args.winst_before).resolve()) if args.winst_before else None
    work = Path(tempfile.mkdtemp(prefix="winst-bench-", dir=args.dir))
    env = dict(os.environ)
    for k in ("VIRTUAL_ENV", "PIP_FIND_LINKS", "UV_CACHE_DIR"):
        env.pop(k, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if args.dir:
        # uv --no-cache unpacks into a temporary cache under $TMPDIR: keep it on the same
        # filesystem as everything else, or uv's cold runs measure /tmp's disk.
        env["TMPDIR"] = args.dir
    env["WINST_CACHE_DIR"] = str(work / "winst-cache")
    template = work / "template"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(template)], check=True)
    n = 0

    def fresh() -> Path:
        nonlocal n
        n += 1
        venv = work / f"venv-{n}"
        shutil.copytree(template, venv, symlinks=True)
        return venv

    def lock_of(wheels: list[Path]) -> Path:
        """A hashed requirements file of the wheels (one per project), as uv would write it."""
        lock = work / f"requirements-{len(wheels)}-{wheels[0].parent.name}.txt"
        if not lock.exists():
            lines = []
            for w in wheels:
                name, version = w.name.split("-")[:2]
                digest = hashlib.sha256(w.read_bytes()).hexdigest()
                lines.append(f"{name}=={version} \\\n    --hash=sha256:{digest}\n")
            lock.write_text("".join(lines))
        return lock

    def commands(venv: Path, wheels: list[Path], caches: dict) -> dict:
        py = str(venv / "bin/python")
        ws = [str(w) for w in wheels]
        lock, house = str(lock_of(wheels)), str(wheels[0].parent)
        uvs = [uv, "pip", "sync", "--python", py, "--offline", "--no-index", "--find-links",
               house, "-q"]
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", py,
               "install", "--no-deps", "--no-index", "--no-cache-dir", "-q"]
        uvi = [uv, "pip", "install", "--python", py, "--no-deps", "--offline", "-q"]
        uvc = ["--cache-dir", str(caches["uv"])]
        uvf = ["--cache-dir", str(caches["uv-fill"])]
        out = {
            ("cold", "uv"): uvi + ["--no-cache", "--link-mode", "copy", *ws],
            ("cold", "pip"): pip + ["--no-compile", *ws],
            ("fill", "uv"): uvi + uvf + ws,
            ("warm hardlink", "uv"): uvi + uvc + ["--link-mode", "hardlink", *ws],
            ("noop", "uv"): uvi + uvc + ["--link-mode", "hardlink", *ws],
            ("warm copy", "uv"): uvi + uvc + ["--link-mode", "copy", *ws],
            ("compile", "uv"): uvi + ["--no-cache", "--link-mode", "copy", "--compile-bytecode",
                                      *ws],
            ("compile", "pip"): pip + ws,
            ("compile warm", "uv"): uvi + uvc + ["--compile-bytecode", *ws],
            ("lock cold", "uv"): uvs + ["--no-cache", "--link-mode", "copy", lock],
            ("lock warm", "uv"): uvs + uvc + ["--link-mode", "hardlink", lock],
            ("lock noop", "uv"): uvs + uvc + ["--link-mode", "hardlink", lock],
        }
        for tool, binary in (("winst", winst), ("winst-before", before)):
            if binary is None:
                continue
            wi = [binary, "install", "--python", py]
            wc = ["--cache-dir", str(caches[tool])]
            wf = ["--cache-dir", str(caches[tool + "-fill"])]
            out.update({
                ("noop", tool): wi + wc + ["--link-mode", "hardlink", *ws],
                ("cold", tool): wi + ["--no-cache", *ws],
                ("fill", tool): wi + wf + ws,
                ("warm hardlink", tool): wi + wc + ["--link-mode", "hardlink", *ws],
                ("warm copy", tool): wi + wc + ["--link-mode", "copy", *ws],
                ("compile", tool): wi + ["--no-cache", "--compile", *ws],
                ("compile warm", tool): wi + wc + ["--compile", *ws],
            })
            ws_ = [binary, "sync", "--python", py, "-r", lock, "--find-links", house]
            out.update({
                ("lock cold", tool): ws_ + ["--no-cache"],
                ("lock warm", tool): ws_ + wc + ["--link-mode", "hardlink"],
                ("lock noop", tool): ws_ + wc + ["--link-mode", "hardlink"],
            })
        return out

    results: dict = {}
    scenarios = [s.strip() for s in args.scenarios.split(",")]
    try:
        for corpus in args.corpus.split(","):
            wheels = fetch(corpus)
            caches = {k: work / f"{k}-cache-{corpus}" for k in ("uv", "winst", "winst-before")}
            fills = [0]

            def with_fill(venv):
                fills[0] += 1
                return {**caches, **{f"{k}-fill": work / f"{k}-fill-{fills[0]}"
                                     for k in ("uv", "winst", "winst-before")}}

            # Warm both caches (and winst's interpreter cache, and its bytecode cache when a
            # bytecode scenario runs) once, untimed.
            warm = "compile warm" if "compile warm" in scenarios else "warm hardlink"
            warmups = [("warm hardlink", "uv"), (warm, "winst")]
            if before:
                warmups.append((warm, "winst-before"))
            for key in warmups:
                untimed(commands(fresh(), wheels, with_fill(None))[key], env)
            names = [k for k in commands(template, wheels, with_fill(None))
                     if k[0] in scenarios and not (corpus == "large" and "compile" in k[0])]
            # For `noop`: a venv each tool installed the corpus into, copied for every run.
            installed = {}
            for key in names:
                if key[0].endswith("noop"):
                    venv = fresh()
                    untimed(commands(venv, wheels, with_fill(None))[key], env)
                    installed[key] = venv
            for _ in range(args.reps):
                for key in names:  # interleaved: every tool once per repetition
                    if key[0].endswith("noop"):
                        n += 1
                        venv = work / f"venv-{n}"
                        subprocess.run(["cp", "-a", str(installed[key]), str(venv)],
                                       check=True)
                    else:
                        venv = fresh()
                    c = with_fill(venv)
                    results.setdefault((corpus, *key), []).append(
                        timed(commands(venv, wheels, c)[key], env))
                    shutil.rmtree(venv)
                    for k in ("uv-fill", "winst-fill", "winst-before-fill"):
                        shutil.rmtree(c[k], ignore_errors=True)
            size = sum(w.stat().st_size for w in wheels) / 1e6
            print(f"corpus {corpus}: {len(wheels)} wheels, {size:.0f} MB", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(key, i):
        rows = results.get(key)
        return statistics.median(r[i] for r in rows) if rows else None

    print(f"machine: {os.cpu_count()} CPUs, {os.uname().sysname} {os.uname().release}; "
          f"venvs in {args.dir or tempfile.gettempdir()}; uv {UV_VERSION}; {args.reps} reps, "
          f"medians; load average {load[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the "
          "end\n")
    print("| corpus | scenario | tool | wall s | CPU s | peak MiB | winst/this (wall) "
          "| winst/this (CPU) |")
    print("|---|---|---|---|---|---|---|---|")
    order = {name: i for i, name in enumerate(SCENARIOS)}
    for (corpus, scenario, tool) in sorted(
            results, key=lambda k: (k[0], order.get(k[1], 99), k[2] != "winst", k[2])):
        wall, cpu = med((corpus, scenario, tool), 0), med((corpus, scenario, tool), 1)
        base, base_cpu = med((corpus, scenario, "winst"), 0), med((corpus, scenario, "winst"), 1)
        ratio = "" if tool == "winst" or base is None else f"{base / wall:.2f}"
        ratio_cpu = "" if tool == "winst" or base is None or not cpu else f"{base_cpu / cpu:.2f}"
        print(f"| {corpus} | {scenario} | {tool} | {wall:.3f} | {cpu:.2f} | "
              f"{med((corpus, scenario, tool), 2):.0f} | {ratio} | {ratio_cpu} |")


if __name__ == "__main__":
    main()
