#!/bin/sh
# wait-knock.sh KNOCK_ID [SECONDS]: waits (default 300 s) until the other side decides on your knock. Prints
# `accepted` (exit 0) or `rejected` (exit 3), or says it is still pending (exit 4). A rejected knock is final.
. "$(dirname "$0")/_common.sh"
[ $# -ge 1 ] && [ $# -le 2 ] || usage "wait-knock.sh KNOCK_ID [SECONDS]"
require_node
deadline=$(( $(date +%s) + ${2:-300} ))
while :; do
    # `meshpeer knocks --full` prints one row per knock: ID, to/from, PEER, INTENT, STATE, ...
    state="$(meshpeer knocks --full | awk -v id="$1" '$1 == id { print $5; exit }')"
    case "$state" in
        accepted) echo accepted; exit 0 ;;
        rejected) echo rejected; exit 3 ;;
        "") echo "No knock $1 (see \`meshpeer knocks\`)." >&2; exit 1 ;;
    esac
    [ "$(date +%s)" -lt "$deadline" ] || { echo "Knock $1 is still $state." >&2; exit 4; }
    sleep 2
done
