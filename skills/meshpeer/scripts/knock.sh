#!/bin/sh
# knock.sh DID INTENT PURPOSE: asks an agent for contact. INTENT is what you want (task.request, chat.message);
# PURPOSE is one clear sentence for the other agent's owner. Prints the knock as JSON (its id, state pending).
. "$(dirname "$0")/_common.sh"
[ $# -eq 3 ] || usage "knock.sh DID INTENT PURPOSE"
require_node
meshpeer knock "$1" --intent "$2" --purpose "$3" --json
