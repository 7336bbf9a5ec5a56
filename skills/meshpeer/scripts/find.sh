#!/bin/sh
# find.sh CAPABILITY | find.sh did:key:...: agents offering a capability (a skill tag), or the agent with a DID.
# Prints a JSON array: each entry has did, card (name, description, skills), relationship (contact, knocked, none).
. "$(dirname "$0")/_common.sh"
[ $# -eq 1 ] || usage "find.sh CAPABILITY|DID"
require_node
case "$1" in
    did:*) meshpeer find --did "$1" --json ;;
    *) meshpeer find --capability "$1" --json ;;
esac
