#!/usr/bin/env bash
# netlab-miniupnpd.sh ROUTER_NS WORKDIR LANNET LANADDR
# Starts a real UPnP IGD / NAT-PMP / PCP gateway (miniupnpd 2.3.9 from Debian 13, which accepts a WAN address in a
# reserved range) inside ROUTER_NS, with the nftables layout its backend needs. Writes WORKDIR/miniupnpd.pid.
# The unpacked packages are cached in .cache/netlab/miniupnpd-root (gitignored); the .debs are never committed.
source "$(dirname "$0")/common.sh"
router="$1" work="$2" lannet="$3" lanaddr="$4"
cache="$ROOT/.cache/netlab"
rootdir="$cache/miniupnpd-root"

if [ ! -x "$rootdir/usr/sbin/miniupnpd" ]; then
    log "fetching miniupnpd from Debian 13 (once; cached in $cache)"
    apt_dir="$cache/apt"
    mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/debs"
    # The same Debian mirror this machine's apt already uses, asked for the next release's suite.
    mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
    [ -n "$mirror" ] || mirror="$(awk '$1 == "deb" && $3 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)"
    [ -n "$mirror" ] || die "no Debian mirror in this machine's apt sources to fetch miniupnpd from"
    cat >"$apt_dir/sources/trixie.sources" <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    opts=(-oDir::Etc::SourceList=/dev/null -oDir::Etc::SourceParts="$apt_dir/sources"
        -oDir::State::Lists="$apt_dir/lists" -oDir::Cache="$apt_dir/cache" -oDebug::NoLocking=1)
    mkdir -p "$apt_dir/cache/archives/partial"
    apt-get "${opts[@]}" -qq update
    (cd "$apt_dir/debs" && apt-get "${opts[@]}" -qq download miniupnpd miniupnpd-nftables libc6 libmnl0 libnftnl11)
    rm -rf "$rootdir.tmp"
    mkdir -p "$rootdir.tmp"
    for deb in "$apt_dir"/debs/*.deb; do dpkg -x "$deb" "$rootdir.tmp"; done
    rm -rf "$rootdir"
    mv "$rootdir.tmp" "$rootdir"
fi
binary="$rootdir/usr/sbin/miniupnpd"
[ -x "$binary" ] || die "miniupnpd was not unpacked to $rootdir"

# The firewall layout miniupnpd's nftables backend expects: every chain in `table inet filter` (its default
# table for both filter and nat rules), one rule per line (nft rejects `rule }`).
ip netns exec "$router" nft -f - <<NFT
table inet filter {
    chain forward {
        type filter hook forward priority 0; policy drop;
        ct state established,related accept
        iifname "lan0" oifname "wan0" accept
        jump miniupnpd
    }
    chain miniupnpd {
    }
    chain wan_input {
        type filter hook input priority 0; policy accept;
        iifname "wan0" ct state new drop
    }
    chain prerouting {
        type nat hook prerouting priority -100; policy accept;
        jump prerouting_miniupnpd
    }
    chain prerouting_miniupnpd {
    }
    chain postrouting {
        type nat hook postrouting priority 100; policy accept;
        jump postrouting_miniupnpd
        oifname "wan0" masquerade
    }
    chain postrouting_miniupnpd {
    }
}
NFT

cat >"$work/miniupnpd.conf" <<CONF
ext_ifname=wan0
listening_ip=lan0
enable_upnp=yes
enable_pcp_pmp=yes
ext_allow_private_ipv4=yes
secure_mode=yes
system_uptime=yes
uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
allow 1024-65535 $lannet 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF

lib="$rootdir/usr/lib/x86_64-linux-gnu"
# -P: a pid file of this run's own. The default, /var/run/miniupnpd.pid, is shared by every namespace, so a second
# lab running at the same time (another worktree, another CI job) made miniupnpd exit with "already running".
ip netns exec "$router" "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$binary" -f "$work/miniupnpd.conf" -d \
    -P "$work/miniupnpd.own.pid" >"$work/miniupnpd.log" 2>&1 &
echo $! >"$work/miniupnpd.pid"
# Bounded wait until it listens for SSDP/HTTP (5 s).
for _ in $(seq 1 50); do
    grep -qiE "HTTP listening|Listening for NAT-PMP" "$work/miniupnpd.log" 2>/dev/null && exit 0
    kill -0 "$(cat "$work/miniupnpd.pid")" 2>/dev/null || die "miniupnpd exited: $(cat "$work/miniupnpd.log")"
    sleep 0.1
done
log "miniupnpd started (no listening line seen yet): $(tail -3 "$work/miniupnpd.log")"
