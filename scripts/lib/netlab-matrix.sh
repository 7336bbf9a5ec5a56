#!/usr/bin/env bash
# netlab-matrix.sh PREFIX WORKDIR MESHPEER: ICE between every pair of lab topologies (run by scripts/netlab, which
# owns the namespaces and their cleanup). Prints the JSON matrix as the last stdout line; exits 1 when a cell the
# issue expects to be direct is not.
source "$(dirname "$0")/common.sh"
P="$1" work="$2" meshpeer="$3"
topologies=(open full-cone port-restricted symmetric udp-blocked double-nat upnp)
declare -A hostns=([open]=h-open [full-cone]=h-full [port-restricted]=h-prc [symmetric]=h-sym
    [udp-blocked]=h-blk [double-nat]=h-dbl [upnp]=h-upnp)
declare -A hostip=([open]=203.0.113.10 [full-cone]=192.0.2.2 [port-restricted]=192.0.2.18 [symmetric]=192.0.2.34
    [udp-blocked]=192.0.2.50 [double-nat]=198.51.100.18 [upnp]=192.0.2.66)

# A cell needs a relay when either side has no UDP, or for symmetric against symmetric, port-restricted or double
# NAT (port prediction comes with the direct-path issue). The UPnP side has a port-mapped candidate.
expect_direct() {
    local a="$1" b="$2"
    [ "$a" = udp-blocked ] || [ "$b" = udp-blocked ] && return 1
    for x in "$a:$b" "$b:$a"; do
        case "$x" in symmetric:symmetric | symmetric:port-restricted | symmetric:double-nat) return 1 ;; esac
    done
    return 0
}

# Every direct cell then moves this much over an encrypted direct channel (DirectPath), checked by SHA-256 at
# both ends (the direct-path issue's "10 MiB across each direct cell").
transfer_bytes="${NETLAB_TRANSFER_BYTES:-10485760}"  # 0: ICE only
cells=()
pairs=()
for ((i = 0; i < ${#topologies[@]}; i++)); do
    for ((j = i + 1; j < ${#topologies[@]}; j++)); do pairs+=("${topologies[$i]} ${topologies[$j]}"); done
done
# NETLAB_PAIRS="a:b c:d" runs only those cells (for debugging one cell; CI runs all 21).
if [ -n "${NETLAB_PAIRS:-}" ]; then
    pairs=()
    for pair in $NETLAB_PAIRS; do pairs+=("${pair%%:*} ${pair##*:}"); done
fi

run_cell() { # INDEX A B
    local n="$1" a="$2" b="$3" dir="$work/cell-$1"
    mkdir -p "$dir"
    local pa=0 pb=0
    [ "$a" = full-cone ] && pa=$((40100 + n))
    [ "$b" = full-cone ] && pb=$((40100 + n))
    local extra_a=() extra_b=()
    [ "$a" = upnp ] && extra_a=(--port-mapping)
    [ "$b" = upnp ] && extra_b=(--port-mapping)
    ip netns exec "$P-${hostns[$a]}" timeout 100 "$meshpeer" ice-connect --role controlling --host "${hostip[$a]}" \
        --port "$pa" --stun 203.0.113.1:3478 --local-out "$dir/a.json" --remote-in "$dir/b.json" --timeout 80 \
        --transfer-bytes "$transfer_bytes" "${extra_a[@]}" >"$dir/a.out" 2>"$dir/a.err" &
    local pid_a=$!
    ip netns exec "$P-${hostns[$b]}" timeout 100 "$meshpeer" ice-connect --role controlled --host "${hostip[$b]}" \
        --port "$pb" --stun 203.0.113.1:3478 --local-out "$dir/b.json" --remote-in "$dir/a.json" --timeout 80 \
        --transfer-bytes "$transfer_bytes" "${extra_b[@]}" >"$dir/b.out" 2>"$dir/b.err" &
    local pid_b=$!
    wait "$pid_a" "$pid_b" || true
}

# Four cells at a time: bounded parallelism on a 2-core machine.
batch=4
for ((k = 0; k < ${#pairs[@]}; k += batch)); do
    pids=()
    for ((m = k; m < k + batch && m < ${#pairs[@]}; m++)); do
        run_cell "$m" ${pairs[$m]} &
        pids+=($!)
    done
    wait "${pids[@]}" || true
done

direct=0
bad=0
for ((m = 0; m < ${#pairs[@]}; m++)); do
    read -r a b <<<"${pairs[$m]}"
    out="$work/cell-$m/a.out"
    path="$(grep -o '"path":"[^"]*"' "$out" 2>/dev/null | cut -d'"' -f4 || true)"
    ms="$(grep -o '"connect_ms":"[^"]*"' "$out" 2>/dev/null | cut -d'"' -f4 || true)"
    [ -n "$path" ] || path="needs-relay"
    [ -n "$ms" ] || ms="null"
    [ "$path" = direct ] && direct=$((direct + 1))
    if expect_direct "$a" "$b" && [ "$path" != direct ]; then
        log "cell $a <-> $b: expected direct, got $path: $(cat "$work/cell-$m/a.out" "$work/cell-$m/a.err" | head -5)"
        bad=$((bad + 1))
    fi
    transfer="null"
    if [ "$path" = direct ] && [ "$transfer_bytes" -gt 0 ]; then
        sent="$(grep -o '"transfer_sha256":"[0-9a-f]*"' "$out" 2>/dev/null | cut -d'"' -f4 || true)"
        got="$(grep -o '"transfer_sha256":"[0-9a-f]*"' "$work/cell-$m/b.out" 2>/dev/null | cut -d'"' -f4 || true)"
        mbps="$(grep -o '"transfer_mbps":"[^"]*"' "$out" 2>/dev/null | cut -d'"' -f4 || true)"
        if [ -n "$sent" ] && [ "$sent" = "$got" ]; then
            transfer="{\"bytes\":$transfer_bytes,\"sha256_match\":true,\"mbps\":${mbps:-null}}"
        else
            log "cell $a <-> $b: direct, but the $transfer_bytes-byte transfer failed: $(cat "$out" "$work/cell-$m/b.out" | head -4)"
            transfer="{\"bytes\":$transfer_bytes,\"sha256_match\":false}"
            [ -n "${NETLAB_KEEP_FAILED:-}" ] && cp -r "$work/cell-$m" "$NETLAB_KEEP_FAILED/cell-$a-$b" 2>/dev/null
            bad=$((bad + 1))
        fi
    fi
    cells+=("{\"a\":\"$a\",\"b\":\"$b\",\"path\":\"$path\",\"connect_ms\":$ms,\"transfer\":$transfer}")
done
rate="$(awk -v d="$direct" -v n="${#pairs[@]}" 'BEGIN { printf "%.3f", d / n }')"
joined="$(IFS=,; echo "${cells[*]}")"
echo "{\"cells\":[$joined],\"direct_rate\":$rate}"
[ "$bad" -eq 0 ]
