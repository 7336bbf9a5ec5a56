# Shared helpers for scripts/*. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT

# Each line carries the wall-clock time, so that a CI log shows where its minutes went.
log() { printf '\033[1m==> [%s] %s\033[0m\n' "$(date +%T)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# wait_for FILE PATTERN SECONDS: polls FILE (a process's log) until a line matches PATTERN, or fails after SECONDS
# showing the log. For processes whose only event is a line they print; bounded by SECONDS.
wait_for() {
    local deadline=$((SECONDS + $3))
    until grep -q -- "$2" "$1" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || { cat "$1" >&2; die "timed out waiting for '$2' in $1"; }
        sleep 0.05
    done
}

# Debian packages every build needs, and the extra ones tests need.
BUILD_PACKAGES=(libsodium-dev libsqlite3-dev libminiupnpc-dev pkg-config)
TEST_PACKAGES=(python3 python3-venv openssl nftables)  # openssl: TLS tests make certificates; nft: DirectPathProcessTests cuts the path

_apt_updated=0
# ensure_packages PKG...: installs whichever of PKG are missing (root or sudo needed only when something is).
ensure_packages() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
        sudo=(sudo)
    fi
    log "installing ${missing[*]}"
    if [ "$_apt_updated" -eq 0 ]; then
        "${sudo[@]}" apt-get update -qq
        _apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_swift() {
    command -v swift >/dev/null || die "Swift 6.2 or newer must be on PATH (https://www.swift.org/install/linux/)"
}
