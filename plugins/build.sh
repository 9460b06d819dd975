#!/usr/bin/env bash
# Rebuilds the plugin components committed in plugins/dist/ from their sources.
#
#   plugins/build.sh          rebuild dist/*.wasm
#   plugins/build.sh --check  rebuild into a scratch directory and fail if dist/ is stale
#
# Needs the wasm32-unknown-unknown target (`rustup target add wasm32-unknown-unknown`). Builds
# are reproducible: paths are remapped and Cargo.lock is committed, so the same sources give the
# same bytes on any machine with the same toolchain.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

check=false
[ "${1:-}" = "--check" ] && check=true

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown >&2
fi

cargo_home=${CARGO_HOME:-$HOME/.cargo}
export RUSTFLAGS="--remap-path-prefix=$here=/winst/plugins --remap-path-prefix=$cargo_home=/cargo"
export CARGO_TARGET_DIR="$here/target"
cargo build --quiet --release --locked --target wasm32-unknown-unknown
unset RUSTFLAGS
cargo build --quiet --release --locked --manifest-path componentize/Cargo.toml \
    --target-dir "$here/target/componentize"
componentize="$here/target/componentize/release/winst-componentize"

out="$here/dist"
if $check; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
# crate (as a file name) → component name
while read -r crate name; do
    "$componentize" "target/wasm32-unknown-unknown/release/$crate.wasm" "$out/$name.wasm"
done <<'LIST'
winst_default_scripts scripts
winst_default_editable editable
winst_example_license_policy license-policy
winst_example_deny_list deny-list
winst_example_pth_policy pth-policy
winst_example_sbom sbom
winst_example_version_policy version-policy
winst_hostile_plugin hostile
winst_hostile_wasi hostile-wasi
LIST

if $check; then
    stale=0
    for f in "$out"/*.wasm; do
        name=$(basename "$f")
        if ! cmp -s "$f" "dist/$name"; then
            echo "plugins/dist/$name is stale: run plugins/build.sh and commit the result" >&2
            stale=1
        fi
    done
    [ "$(ls dist/*.wasm | wc -l)" = "$(ls "$out"/*.wasm | wc -l)" ] || { echo "plugins/dist/ has other components than build.sh makes" >&2; stale=1; }
    exit $stale
fi
ls -l "$out"
