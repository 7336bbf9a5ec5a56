# Two network namespaces, ${TAG}a and ${TAG}b, joined by one veth link (${TAG}-va in a, ${TAG}-vb in b), for the
# LAN discovery suites (scripts/test.d/31-dht-lan.sh, 33-dht-lan-ipv6.sh); nothing is linked to the host's
# interfaces. Sourced after common.sh with TAG and WORK set. On exit it kills the PIDs the suite put in `pids`,
# removes both namespaces and WORK (copied to $KEEP_LOGS first, when that is set).
pids=()
netns_pair_cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "${TAG}a" 2>/dev/null || true
    ip netns del "${TAG}b" 2>/dev/null || true
    if [ -n "${KEEP_LOGS:-}" ]; then cp -r "$WORK" "$KEEP_LOGS"; fi
    rm -rf "$WORK"
}
trap netns_pair_cleanup EXIT INT TERM

ip netns add "${TAG}a"
ip netns add "${TAG}b"
ip link add "${TAG}-va" type veth peer name "${TAG}-vb"
ip link set "${TAG}-va" netns "${TAG}a"
ip link set "${TAG}-vb" netns "${TAG}b"
