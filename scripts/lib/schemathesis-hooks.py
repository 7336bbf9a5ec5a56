"""Schemathesis hooks for the MeshPeer local API (loaded through SCHEMATHESIS_HOOKS by schemathesis-run.py).

`GET /v1/messages?wait=S` is a long poll: a valid `wait` of up to 60 s holds the request that long whenever the
inbox has nothing newer, so a run would take hours and hit its request timeout. Just before each call, in every
phase, a valid wait above 0.2 s becomes 0.2 s. Invalid values (negative, over 60, not a number) still reach the
server unchanged, so its validation is tested as before.
"""

import schemathesis

LONGEST_WAIT = 0.2


def _shortened(value):
    if isinstance(value, bool):
        return value
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return value
    if LONGEST_WAIT < seconds <= 60:
        return LONGEST_WAIT
    return value


@schemathesis.hook
def before_call(context, case, kwargs):
    query = case.query
    if isinstance(query, dict) and "wait" in query:
        query["wait"] = _shortened(query["wait"])
