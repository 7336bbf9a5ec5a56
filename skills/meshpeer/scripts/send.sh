#!/bin/sh
# send.sh DID INTENT BODY_JSON [REPLY_TO]: sends a typed message to a contact. BODY_JSON must match the intent's
# schema: chat.message {"text": "..."}; task.request {"task": "...", "input": ...}; task.response {"status":
# "ok"|"error"|"partial", "output": ...}. REPLY_TO is the id of the message you answer. Prints the sent message
# as JSON (its id and delivery state).
. "$(dirname "$0")/_common.sh"
[ $# -ge 3 ] && [ $# -le 4 ] || usage "send.sh DID INTENT BODY_JSON [REPLY_TO]"
require_node
if [ $# -eq 4 ]; then
    meshpeer send "$1" --intent "$2" --body "$3" --reply-to "$4" --json
else
    meshpeer send "$1" --intent "$2" --body "$3" --json
fi
