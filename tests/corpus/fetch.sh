#!/usr/bin/env bash
# Download the pinned wheel corpus (tests/corpus/wheels.txt) into a cache directory.
#
# Usage: tests/corpus/fetch.sh [DEST]
#   WINST_REQUIREMENTS selects another pinned list (bench/fetch.sh uses it).
#   DEST defaults to ${WINST_CORPUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/winst-test-corpus}.
#   PYTHON (default: python3) selects the interpreter whose pip does the download.
#
# When every pinned wheel is already in DEST with the right sha256, nothing is
# downloaded and pip is not started. The absolute path of DEST is printed as the
# last line of stdout; everything else goes to stderr.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements=${WINST_REQUIREMENTS:-$script_dir/wheels.txt}
dest=${1:-${WINST_CORPUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/winst-test-corpus}}
python=${PYTHON:-python3}

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

# Sorted list of the sha256 digests pinned in wheels.txt.
pinned_hashes() {
    { grep -v '^[[:space:]]*#' "$requirements" | grep -o 'sha256:[0-9a-f]\{64\}' || true; } |
        cut -d: -f2 | sort -u
}

# Pinned digests not matched by any *.whl file in DEST.
missing_hashes() {
    local have
    have=$(find -H "$dest" -maxdepth 1 -type f -name '*.whl' -print0 |
        xargs -0 -r sha256sum | cut -c1-64 | sort -u)
    comm -23 <(pinned_hashes) <(printf '%s\n' "$have" | sed '/^$/d')
}

expected=$(pinned_hashes | wc -l)
if [ "$expected" -eq 0 ]; then
    echo "fetch.sh: no pinned hashes found in $requirements" >&2
    exit 1
fi

missing=$(missing_hashes)
if [ -n "$missing" ]; then
    echo "fetch.sh: $(printf '%s\n' "$missing" | wc -l) of $expected pinned wheels missing from $dest; downloading" >&2
    # The pins are the files pip picks for CPython 3.11 on manylinux x86_64; another
    # interpreter or platform makes pip pick other files and fail the hash check.
    "$python" -m pip download \
        --disable-pip-version-check --no-input --progress-bar off \
        --no-deps --only-binary=:all: --require-hashes \
        -r "$requirements" -d "$dest" >&2

    missing=$(missing_hashes)
    if [ -n "$missing" ]; then
        echo "fetch.sh: still missing after download (sha256):" >&2
        printf '  %s\n' $missing >&2
        exit 1
    fi
fi

echo "$dest"
