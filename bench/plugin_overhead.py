#!/usr/bin/env python3
"""What plugins cost: cold and warm start-up, per-call overhead, and their share of a big install.

Usage: python3 bench/plugin_overhead.py [--winst target/release/winst] [--runs 5] [--dir /dev/shm]

Uses the pinned test corpus (tests/corpus/fetch.sh) and winst's own per-stage timings
(`--json`): plugins_load_ms (load or compile every plugin in effect), check_ms (policy plugins),
scripts_ms (scripts and editable plugins), post_install_ms. Each run installs into a fresh copy
of a template venv; wall time is measured around the whole process. Prints a Markdown table.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus() -> list[Path]:
    out = subprocess.run(
        ["bash", str(ROOT / "tests/corpus/fetch.sh")], check=True, capture_output=True, text=True
    )
    return sorted(Path(out.stdout.strip().splitlines()[-1]).glob("*.whl"))


def run(winst, venv, wheels, cache, extra=()):
    env = dict(os.environ, WINST_CACHE_DIR=str(cache))
    env.pop("VIRTUAL_ENV", None)
    start = time.perf_counter()
    out = subprocess.run(
        [winst, "install", "--json", "--python", str(venv / "bin/python"), *extra, *map(str, wheels)],
        capture_output=True, env=env,
    )
    if out.returncode != 0:
        sys.exit(f"winst failed:\n{out.stderr.decode()}")
    wall = (time.perf_counter() - start) * 1000
    report = json.loads(out.stdout)
    return wall, report["timings"], report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--winst", default=str(ROOT / "target/release/winst"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default=None, help="where to make the venvs (e.g. /dev/shm for tmpfs)")
    args = ap.parse_args()
    wheels = corpus()
    small = [w for w in wheels if w.name.startswith("six-")]
    work = Path(tempfile.mkdtemp(prefix="winst-plugin-bench-", dir=args.dir))
    try:
        template = work / "template"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(template)], check=True)
        cache = work / "cache"

        def fresh():
            venv = work / "venv"
            if venv.exists():
                shutil.rmtree(venv)
            shutil.copytree(template, venv, symlinks=True)
            return venv

        # Prime the interpreter cache so only plugins are cold below.
        run(args.winst, fresh(), small, cache)
        cold, warm, warm_wall = [], [], []
        for _ in range(args.runs):
            shutil.rmtree(cache / "plugins", ignore_errors=True)
            cold.append(run(args.winst, fresh(), small, cache)[1]["plugins_load_ms"])
        for _ in range(args.runs):
            wall, t, _ = run(args.winst, fresh(), small, cache)
            warm.append(t["plugins_load_ms"])
            warm_wall.append(wall)

        dist = ROOT / "plugins/dist"
        cfg = work / "winst.toml"
        cfg.write_text(
            f'[[plugin]]\nname = "deny"\nfile = "{dist / "deny-list.wasm"}"\n'
            'config = { deny = { "left-pad" = "example" } }\n\n'
            f'[[plugin]]\nname = "pth"\nfile = "{dist / "pth-policy.wasm"}"\n'
            'config = { allow = ["distutils-precedence.pth"] }\n\n'
            f'[[plugin]]\nname = "licenses"\nfile = "{dist / "license-policy.wasm"}"\n'
            'config = { unknown = "allow", allow_classifiers = ["License :: OSI Approved :: BSD License"], allow = ["MIT", "Zlib", "MIT-0", "MIT-CMU", "BSD-2-Clause", "BSD-3-Clause", '
            '"Apache-2.0", "MPL-2.0", "PSF-2.0", "Python-2.0", "ISC", "ZPL-2.1", "LGPL-3.0-or-later", '
            '"GPL-2.0-or-later", "HPND", "0BSD", "Unlicense", "CC0-1.0", "BSD-3-Clause-Clear"] }\n'
        )

        rows = []
        for label, extra in (("default plugins", []),
                             ("default + 3 policy plugins", ["--config", str(cfg)])):
            walls, shares, checks, scripts, n_scripts = [], [], [], [], 0
            for _ in range(args.runs):
                wall, t, report = run(args.winst, fresh(), wheels, cache, extra)
                plugin_ms = t["plugins_load_ms"] + t["check_ms"] + t["scripts_ms"] + t["post_install_ms"]
                walls.append(wall)
                shares.append(plugin_ms / wall * 100)
                checks.append(t["check_ms"])
                scripts.append(t["scripts_ms"])
                n_scripts = sum(len(w.get("scripts", [])) for w in report["wheels"])
            rows.append((label, statistics.median(walls), statistics.median(shares),
                         statistics.median(checks), statistics.median(scripts), n_scripts))

        print(f"machine: {os.cpu_count()} CPUs; winst: {args.winst}; venvs in {work}; "
              f"{args.runs} runs, medians\n")
        print("| measure | value |\n|---|---|")
        print(f"| plugin start-up, cold (compiling the default plugins) | {statistics.median(cold):.1f} ms |")
        print(f"| plugin start-up, warm (precompiled cache) | {statistics.median(warm):.2f} ms |")
        print(f"| one-wheel install (six), warm, wall | {statistics.median(warm_wall):.1f} ms |")
        for label, wall, share, check, scr, n in rows:
            print(f"| {len(wheels)}-wheel install, {label}: wall | {wall:.0f} ms |")
            print(f"| ... plugins' share of it (load + check + scripts + post-install) | {share:.2f} % |")
            if "policy" in label:
                print(f"| ... policy check, per wheel (3 plugins in parallel over wheels) | "
                      f"{check / len(wheels) * 1000:.0f} µs |")
            print(f"| ... scripts plugin, per launcher ({n} launchers) | {scr / max(n, 1) * 1000:.0f} µs |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
