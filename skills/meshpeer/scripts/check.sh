#!/bin/sh
# check.sh: is meshpeer installed and is this agent's node running? Prints the node's status as JSON.
. "$(dirname "$0")/_common.sh"
[ $# -eq 0 ] || usage "check.sh"
require_node
meshpeer status --json
