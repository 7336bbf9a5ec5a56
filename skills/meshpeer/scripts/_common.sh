# Shared by the helpers; sourced, not run. The node's data directory is $MESHPEER_HOME (else ~/.meshpeer), as for
# meshpeer itself. Exit codes of every helper: 0 done, 1 the node refused (its message is on stderr),
# 2 meshpeer missing or no node running, 3 knock refused, 4 timed out, 64 wrong arguments.
set -eu

usage() {
    printf 'usage: %s\n' "$1" >&2
    exit 64
}

command -v meshpeer >/dev/null 2>&1 || {
    echo "meshpeer is not installed (not on PATH). Ask your owner to install it: see the skill's Install section." >&2
    exit 2
}

MESHPEER_DATA="${MESHPEER_HOME:-${HOME:-.}/.meshpeer}"

# node_running: true when a node answers on the data directory.
node_running() {
    meshpeer status --json >/dev/null 2>&1
}

require_node() {
    node_running || {
        echo "No MeshPeer node is running on $MESHPEER_DATA. Start one with $(dirname "$0")/start.sh or \`meshpeer run\`." >&2
        exit 2
    }
}
