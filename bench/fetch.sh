#!/usr/bin/env bash
# Download a benchmark corpus (bench/corpora/NAME.txt, pinned with sha256) once into
# ${WINST_BENCH_CACHE:-~/.cache/winst-bench}/NAME; prints that directory as the last line.
# Usage: bench/fetch.sh NAME
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=${1:?usage: bench/fetch.sh NAME (one of: $(cd "$here/corpora" && ls | sed 's/\.txt$//' | tr '\n' ' '))}
list="$here/corpora/$name.txt"
[ -f "$list" ] || { echo "bench/fetch.sh: no corpus $list" >&2; exit 1; }
WINST_REQUIREMENTS="$list" exec bash "$here/../tests/corpus/fetch.sh" \
    "${WINST_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/winst-bench}/$name"
