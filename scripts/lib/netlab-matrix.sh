#!/usr/bin/env bash
# netlab-matrix.sh PREFIX WORKDIR MESHLAB: ICE between every pair of lab topologies (run by scripts/netlab, which
# owns the namespaces and their cleanup). Prints the JSON matrix as the last stdout line; exits 1 when a cell the
# issue expects to be direct is not.
#
# NETLAB_PREDICTION=0 runs every cell without port prediction. Otherwise the cells where prediction ran are run a
# second time without it, and the matrix reports both `direct_rate` and `direct_rate_without_prediction`.
source "$(dirname "$0")/common.sh"
P="$1" work="$2" meshlab="$3"
topologies=(open full-cone port-restricted symmetric udp-blocked double-nat upnp)
declare -A hostns=([open]=h-open [full-cone]=h-full [port-restricted]=h-prc [symmetric]=h-sym
    [udp-blocked]=h-blk [double-nat]=h-dbl [upnp]=h-upnp)
declare -A hostip=([open]=203.0.113.10 [full-cone]=192.0.2.2 [port-restricted]=192.0.2.18 [symmetric]=192.0.2.34
    [udp-blocked]=192.0.2.50 [double-nat]=198.51.100.18 [upnp]=192.0.2.66)

prediction="${NETLAB_PREDICTION:-1}"

# A cell needs a relay when either side has no UDP, or for symmetric against symmetric. Symmetric against
# port-restricted or double NAT (endpoint-independent mapping, port-dependent filtering) is direct only by port
# prediction (docs/ice.md). The UPnP side has a port-mapped candidate.
expect_direct() { # A B PREDICTION
    local a="$1" b="$2" predict="${3:-$prediction}"
    [ "$a" = udp-blocked ] || [ "$b" = udp-blocked ] && return 1
    for x in "$a:$b" "$b:$a"; do
        case "$x" in
        symmetric:symmetric) return 1 ;;
        symmetric:port-restricted | symmetric:double-nat) [ "$predict" != 0 ] || return 1 ;;
        esac
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

# Two STUN servers, so gathering sees whether a NAT maps per destination (the hint port prediction needs).
stun=(--stun 203.0.113.1:3478 --stun 203.0.113.3:3478)

run_cell() { # INDEX A B [DIR PREDICTION]
    local n="$1" a="$2" b="$3" dir="${4:-$work/cell-$1}" predict="${5:-$prediction}"
    mkdir -p "$dir"
    local pa=0 pb=0
    [ "$a" = full-cone ] && pa=$((40100 + n))
    [ "$b" = full-cone ] && pb=$((40100 + n))
    local extra_a=() extra_b=()
    [ "$a" = upnp ] && extra_a=(--port-mapping)
    [ "$b" = upnp ] && extra_b=(--port-mapping)
    [ "$predict" = 0 ] && extra_a+=(--no-port-prediction) && extra_b+=(--no-port-prediction)
    ip netns exec "$P-${hostns[$a]}" timeout 100 "$meshlab" ice-connect --role controlling --host "${hostip[$a]}" \
        --port "$pa" "${stun[@]}" --local-out "$dir/a.json" --remote-in "$dir/b.json" --timeout 80 \
        --transfer-bytes "$transfer_bytes" "${extra_a[@]}" >"$dir/a.out" 2>"$dir/a.err" &
    local pid_a=$!
    ip netns exec "$P-${hostns[$b]}" timeout 100 "$meshlab" ice-connect --role controlled --host "${hostip[$b]}" \
        --port "$pb" "${stun[@]}" --local-out "$dir/b.json" --remote-in "$dir/a.json" --timeout 80 \
        --transfer-bytes "$transfer_bytes" "${extra_b[@]}" >"$dir/b.out" 2>"$dir/b.err" &
    local pid_b=$!
    wait "$pid_a" "$pid_b" || true
}

# field FILE NAME: a string field of a cell's JSON line.
field() { grep -o "\"$2\":\"[^\"]*\"" "$1" 2>/dev/null | cut -d'"' -f4 || true; }

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

# Prediction's share: the cells where it ran (either side opened sockets or probed) again, without it. ICE only.
predicted=()
if [ "$prediction" != 0 ]; then
    for ((m = 0; m < ${#pairs[@]}; m++)); do
        case "$(field "$work/cell-$m/a.out" prediction) $(field "$work/cell-$m/b.out" prediction)" in
        *opener* | *prober*) predicted+=("$m") ;;
        esac
    done
    for ((k = 0; k < ${#predicted[@]}; k += batch)); do
        pids=()
        for ((m = k; m < k + batch && m < ${#predicted[@]}; m++)); do
            idx="${predicted[$m]}"
            transfer_bytes=0 run_cell "$((idx + 200))" ${pairs[$idx]} "$work/off-$idx" 0 &
            pids+=($!)
        done
        wait "${pids[@]}" || true
    done
fi

# NETLAB_KEEP_CELLS=DIR keeps every cell's outputs (JSON lines, descriptions, logs) for a closer look.
if [ -n "${NETLAB_KEEP_CELLS:-}" ]; then
    mkdir -p "$NETLAB_KEEP_CELLS"
    cp -r "$work"/cell-* "$work"/off-* "$NETLAB_KEEP_CELLS/" 2>/dev/null || true
fi

direct=0
direct_off=0
bad=0
for ((m = 0; m < ${#pairs[@]}; m++)); do
    read -r a b <<<"${pairs[$m]}"
    out="$work/cell-$m/a.out"
    path="$(grep -o '"path":"[^"]*"' "$out" 2>/dev/null | cut -d'"' -f4 || true)"
    ms="$(grep -o '"connect_ms":"[^"]*"' "$out" 2>/dev/null | cut -d'"' -f4 || true)"
    [ -n "$path" ] || path="needs-relay"
    [ -n "$ms" ] || ms="null"
    [ "$path" = direct ] && direct=$((direct + 1))
    role_a="$(field "$out" prediction)" role_b="$(field "$work/cell-$m/b.out" prediction)"
    predicted_by="${role_a:-none}/${role_b:-none}"
    path_off="$path"
    if [ -f "$work/off-$m/a.out" ]; then
        path_off="$(field "$work/off-$m/a.out" path)"
        [ -n "$path_off" ] || path_off="needs-relay"
        if expect_direct "$a" "$b" 0 && [ "$path_off" != direct ]; then
            log "cell $a <-> $b without prediction: expected direct, got $path_off"
            bad=$((bad + 1))
        fi
    fi
    [ "$path_off" = direct ] && direct_off=$((direct_off + 1))
    if expect_direct "$a" "$b" && [ "$path" != direct ]; then
        log "cell $a <-> $b: expected direct, got $path: $(cat "$work/cell-$m/a.out" "$work/cell-$m/a.err" | head -5)"
        bad=$((bad + 1))
    fi
    transfer="null"
    if [ "$path" = direct ] && [ "$transfer_bytes" -gt 0 ]; then
        sent="$(grep -o '"transfer_sha256":"[0-9a-f]*"' "$out" 2>/dev/null | cut -d'"' -f4 || true)"
        got="$(grep -o '"transfer_sha256":"[0-9a-f]*"' "$work/cell-$m/b.out" 2>/dev/null | cut -d'"' -f4 || true)"
        mbps="$(grep -o '"transfer_mbps":"[^"]*"' "$out" 2>/dev/null | cut -d'"' -f4 || true)"
        cipher="$(grep -o '"transfer_cipher":"[^"]*"' "$out" 2>/dev/null | cut -d'"' -f4 || true)"
        if [ -n "$sent" ] && [ "$sent" = "$got" ]; then
            transfer="{\"bytes\":$transfer_bytes,\"sha256_match\":true,\"mbps\":${mbps:-null},\"cipher\":\"${cipher:-unknown}\"}"
        else
            log "cell $a <-> $b: direct, but the $transfer_bytes-byte transfer failed: $(cat "$out" "$work/cell-$m/b.out" | head -4)"
            transfer="{\"bytes\":$transfer_bytes,\"sha256_match\":false}"
            [ -n "${NETLAB_KEEP_FAILED:-}" ] && cp -r "$work/cell-$m" "$NETLAB_KEEP_FAILED/cell-$a-$b" 2>/dev/null
            bad=$((bad + 1))
        fi
    fi
    cell="{\"a\":\"$a\",\"b\":\"$b\",\"path\":\"$path\",\"connect_ms\":$ms,\"transfer\":$transfer"
    cell+=",\"prediction\":\"$predicted_by\",\"path_without_prediction\":\"$path_off\"}"
    cells+=("$cell")
done
rate="$(awk -v d="$direct" -v n="${#pairs[@]}" 'BEGIN { printf "%.3f", d / n }')"
rate_off="$(awk -v d="$direct_off" -v n="${#pairs[@]}" 'BEGIN { printf "%.3f", d / n }')"
joined="$(IFS=,; echo "${cells[*]}")"
echo "{\"cells\":[$joined],\"direct_rate\":$rate,\"direct_rate_without_prediction\":$rate_off,\"prediction\":$([ "$prediction" = 0 ] && echo false || echo true)}"
[ "$bad" -eq 0 ]
