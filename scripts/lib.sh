#!/usr/bin/env bash
# Shared setup for scripts/run and scripts/test: installs the Debian packages
# in scripts/debian-packages.txt that are missing, the npm packages pinned by
# package-lock.json, and configures the Meson build folders. Idempotent.
set -euo pipefail

CANTON_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$CANTON_ROOT"

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_debian_packages() {
    local missing=() pkg
    while read -r pkg; do
        pkg=${pkg%%#*}
        pkg=$(echo "$pkg" | xargs)
        [ -n "$pkg" ] || continue
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done < scripts/debian-packages.txt
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing Debian packages: ${missing[*]}"
        as_root apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    fi
}

install_npm_packages() {
    [ -f package-lock.json ] || return 0
    # A node_modules that is a link to another tree's is that tree's to install: npm ci
    # would empty the folder it points to.
    if [ -L node_modules ]; then
        log "node_modules is a link to $(readlink node_modules): left as it is"
        return 0
    fi
    # npm ci only when the lockfile changed since the last install.
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        log "installing npm packages (package-lock.json)"
        npm ci --no-audit --no-fund --loglevel=error
    fi
}

# meson_setup DIR [options...]: configures DIR once; later calls reuse it.
meson_setup() {
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        log "configuring $dir"
        meson setup "$dir" "$@" >/dev/null
    else
        # Modules are found by their meson.build existing: look again.
        meson setup --reconfigure "$dir" >/dev/null
    fi
}

setup_all() {
    install_debian_packages
    install_npm_packages
}
