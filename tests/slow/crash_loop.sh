#!/usr/bin/env bash
# The crash test of tests/integration/test_crash.py, 100 cycles (not run by
# scripts/test): start canton serve, send hits from concurrent clients,
# SIGKILL it at a random moment, restart; every acknowledged hit must be in
# the hitlog exactly once. Usage: tests/slow/crash_loop.sh [CYCLES]
# Uses $CANTON_BIN (default: build/canton, built when missing).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
export CANTON_BIN=${CANTON_BIN:-$src/build/canton}
export CANTON_SHARED=${CANTON_SHARED:-$src/../shared}
export CANTON_SRC=$src
if [ ! -x "$CANTON_BIN" ]; then
    [ -d "$src/build" ] || meson setup "$src/build" --buildtype=release
    ninja -C "$src/build" canton
fi
export CANTON_CRASH_CYCLES=${1:-100}
export CANTON_CRASH_SECONDS=${CANTON_CRASH_SECONDS:-3600}
exec python3 "$src/tests/integration/test_crash.py"
