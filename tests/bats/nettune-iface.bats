#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# nettune-iface: against veth pairs built inside tests/sandbox, so every
# value checked is one the test configured or traffic it sent.

load helpers
load nettune-iface-helpers

# in_iface_sandbox SNIPPET: a fresh sandbox with the veth pair, then SNIPPET
in_iface_sandbox() {
	require_sandbox
	require_cmd python3
	in_sandbox "$IFACE_SETUP $*"
}

@test "nettune-iface --help lists every option and exits 0" {
	run "$NETTUNE_IFACE" --help
	assert_success
	assert_line --index 0 "Usage:"
	for opt in --interface --all --json --watch --help --version; do
		assert_output --partial -- "$opt"
	done
}

@test "nettune-iface --version names the package" {
	run "$NETTUNE_IFACE" --version
	assert_success
	assert_output --regexp '^nettune-iface from tunekit [0-9]'
}

@test "nettune-iface: a bad option is named, exit 2" {
	run "$NETTUNE_IFACE" --bogus
	assert_failure 2
	assert_output --partial "'--bogus'"
	assert_output --partial "Try 'nettune-iface --help'"
}

@test "nettune-iface: a stray argument is rejected with exit 2" {
	run "$NETTUNE_IFACE" eth0
	assert_failure 2
	assert_output --partial "unexpected argument: 'eth0'"
}

@test "nettune-iface: bad --watch intervals are rejected with exit 2" {
	for bad in 0 -1 abc 1x 100000; do
		run "$NETTUNE_IFACE" --watch "$bad"
		assert_failure 2
		assert_output --partial "invalid --watch argument '$bad'"
	done
}

@test "nettune-iface: an unknown interface is named, exit 2" {
	run "$NETTUNE_IFACE" -i tk-nosuch0
	assert_failure 2
	assert_output "nettune-iface: tk-nosuch0: no such interface"
	run "$NETTUNE_IFACE" --json -i lo -i tk-nosuch1
	assert_failure 2
	assert_output "nettune-iface: tk-nosuch1: no such interface"
}

@test "nettune-iface --json reports the veth pair exactly as configured" {
	out=$BATS_TEST_TMPDIR/iface.json
	peer=$BATS_TEST_TMPDIR/peer.json
	run in_iface_sandbox "\"\$NETTUNE_IFACE\" --json >'$out';
		ip netns exec tkv0-ns \"\$NETTUNE_IFACE\" --json >'$peer';
		ip -o link show tkv0 >'$BATS_TEST_TMPDIR/ip-link'"
	assert_success

	assert_equal "$(pyjson "$out" '[i["name"] for i in d["interfaces"]]')" '["tkv0"]'
	assert_equal "$(pyjson "$out" 'iface("tkv0")["kind"]')" veth
	assert_equal "$(pyjson "$out" 'iface("tkv0")["state"]')" UP
	assert_equal "$(pyjson "$out" 'iface("tkv0")["mtu"]')" "$IFACE_MTU"
	assert_equal "$(pyjson "$out" 'iface("tkv0")["txqueuelen"]')" "$IFACE_TXQLEN"
	assert_equal "$(pyjson "$out" 'iface("tkv0")["flags"]')" '["BROADCAST", "MULTICAST", "UP", "LOWER_UP"]'
	assert_equal "$(pyjson "$out" 'iface("tkv0")["speed_mbps"]')" 10000
	assert_equal "$(pyjson "$out" 'iface("tkv0")["duplex"]')" full
	assert_equal "$(pyjson "$out" 'iface("tkv0")["driver"]')" veth
	# the root qdisc is whatever the kernel attached; ip(8) must agree
	qdisc=$(pyjson "$out" 'iface("tkv0")["qdisc"]')
	assert_regex "$(cat "$BATS_TEST_TMPDIR/ip-link")" " qdisc $qdisc "
	assert_equal "$(pyjson "$out" '[a for a in iface("tkv0")["addresses"] if a["scope"] == "global"]')" \
		"[{\"family\": \"inet\", \"address\": \"$IFACE_V4\", \"prefixlen\": 24, \"scope\": \"global\"}, {\"family\": \"inet6\", \"address\": \"$IFACE_V6\", \"prefixlen\": 64, \"scope\": \"global\"}]"
	assert_equal "$(pyjson "$out" 'sorted(iface("tkv0")["stats"])')" \
		'["rx_bytes", "rx_dropped", "rx_errors", "rx_packets", "tx_bytes", "tx_dropped", "tx_errors", "tx_packets"]'

	# the other end, seen from its own namespace
	assert_equal "$(pyjson "$peer" '[i["name"] for i in d["interfaces"]]')" '["tkv0-p"]'
	assert_equal "$(pyjson "$peer" 'iface("tkv0-p")["mtu"]')" "$IFACE_MTU"
	assert_equal "$(pyjson "$peer" 'iface("tkv0-p")["txqueuelen"]')" 1000
	assert_equal "$(pyjson "$peer" '[a["address"] + "/" + str(a["prefixlen"]) for a in iface("tkv0-p")["addresses"] if a["family"] == "inet"]')" "[\"$IFACE_PEER_V4/24\"]"
}

@test "nettune-iface --json: the stable keys, in order" {
	out=$BATS_TEST_TMPDIR/iface.json
	run in_iface_sandbox "\"\$NETTUNE_IFACE\" --json -a >'$out'"
	assert_success
	assert_equal "$(pyjson "$out" 'list(d)')" '["interfaces"]'
	assert_equal "$(pyjson "$out" 'list(iface("tkv0"))')" \
		'["name", "ifindex", "kind", "state", "flags", "mtu", "txqueuelen", "qdisc", "speed_mbps", "duplex", "driver", "addresses", "stats"]'
	# loopback has no ethtool: unknown speed and duplex, no driver
	assert_equal "$(pyjson "$out" '[iface("lo")[k] for k in ("speed_mbps", "duplex", "driver", "kind")]')" \
		'[null, "unknown", null, null]'
}

@test "nettune-iface counters grow by the ping traffic sent across the pair" {
	n=5 size=1000
	frame=$((size + 8 + 20 + 14)) # ICMP + IPv4 + Ethernet headers
	run in_iface_sandbox "\"\$NETTUNE_IFACE\" --json -i tkv0 >'$BATS_TEST_TMPDIR/before.json';
		ip netns exec tkv0-ns \"\$NETTUNE_IFACE\" --json >'$BATS_TEST_TMPDIR/peer-before.json';
		ping -q -c $n -i 0.2 -s $size -W 2 \$IFACE_PEER_V4 >/dev/null;
		\"\$NETTUNE_IFACE\" --json -i tkv0 >'$BATS_TEST_TMPDIR/after.json';
		ip netns exec tkv0-ns \"\$NETTUNE_IFACE\" --json >'$BATS_TEST_TMPDIR/peer-after.json'"
	assert_success

	delta() { # delta FILE-PREFIX IFACE COUNTER
		echo $(( $(pyjson "$BATS_TEST_TMPDIR/$1-after.json" "iface('$2')['stats']['$3']") - \
			$(pyjson "$BATS_TEST_TMPDIR/$1-before.json" "iface('$2')['stats']['$3']") ))
	}
	mv "$BATS_TEST_TMPDIR/before.json" "$BATS_TEST_TMPDIR/here-before.json"
	mv "$BATS_TEST_TMPDIR/after.json" "$BATS_TEST_TMPDIR/here-after.json"
	for c in tx_packets rx_packets; do
		d=$(delta here tkv0 $c)
		[ "$d" -ge $n ] || fail "tkv0 $c grew by $d, want >= $n"
		d=$(delta peer tkv0-p $c)
		[ "$d" -ge $n ] || fail "tkv0-p $c grew by $d, want >= $n"
	done
	# the echo frames plus at most a little ARP and IPv6 chatter
	for c in tx_bytes rx_bytes; do
		d=$(delta here tkv0 $c)
		[ "$d" -ge $((n * frame)) ] && [ "$d" -lt $((n * frame + 4096)) ] ||
			fail "tkv0 $c grew by $d, want $((n * frame)) + at most 4096"
	done
	assert_equal "$(delta here tkv0 rx_errors)$(delta here tkv0 tx_errors)" 00
}

@test "nettune-iface table: one line per interface with the configured values" {
	run in_iface_sandbox '"$NETTUNE_IFACE"'
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp '^NAME +STATE +MTU +SPEED +DUPLEX +DRIVER +QDISC +TXQLEN +RX +RX-PKTS +RX-ERR +RX-DROP +TX +TX-PKTS +TX-ERR +TX-DROP +ADDRESSES$'
	assert_line --index 1 --regexp "^tkv0 +UP +$IFACE_MTU +10Gbit/s +full +veth +[a-z_]+ +$IFACE_TXQLEN +[0-9.]+[KMG]?i?B( +[0-9]+){3} +[0-9.]+[KMG]?i?B( +[0-9]+){3} +$IFACE_V4/24,$IFACE_V6/64(,fe80::[0-9a-f:]+/64)?$"
}

@test "nettune-iface hides loopback unless -a, shows it with -a or -i lo" {
	run in_iface_sandbox '"$NETTUNE_IFACE"'
	assert_success
	refute_line --regexp '^lo '
	run in_iface_sandbox '"$NETTUNE_IFACE" -a'
	assert_success
	assert_line --regexp '^lo +UNKNOWN +65536 +unknown +unknown +- .* 127\.0\.0\.1/8,::1/128$'
	assert_line --regexp '^tkv0 '
	run in_iface_sandbox '"$NETTUNE_IFACE" -i lo'
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp '^lo '
}

@test "nettune-iface shows a veth whose peer is down as DOWN" {
	out=$BATS_TEST_TMPDIR/iface.json
	run in_iface_sandbox "ip -n tkv0-ns link set tkv0-p down; wait_operstate tkv0 down; \"\$NETTUNE_IFACE\" --json -i tkv0 >'$out'"
	assert_success
	assert_equal "$(pyjson "$out" 'iface("tkv0")["state"]')" DOWN
	assert_equal "$(pyjson "$out" '"LOWER_UP" in iface("tkv0")["flags"]')" false
}

@test "nettune-iface works without root" {
	out=$BATS_TEST_TMPDIR/iface.json
	require_cmd setpriv
	chmod 0777 "$BATS_TEST_TMPDIR"
	run in_iface_sandbox "setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c 'id -u; \"\$NETTUNE_IFACE\" --json' >'$out.raw'"
	assert_success
	assert_equal "$(head -n1 "$out.raw")" 65534
	tail -n +2 "$out.raw" >"$out"
	assert_equal "$(pyjson "$out" '[iface("tkv0")[k] for k in ("mtu", "speed_mbps", "duplex", "driver")]')" \
		"[$IFACE_MTU, 10000, \"full\", \"veth\"]"
	assert_equal "$(pyjson "$out" '[a["address"] for a in iface("tkv0")["addresses"]][:2]')" \
		"[\"$IFACE_V4\", \"$IFACE_V6\"]"
}

# Watch tests wait for a state (N lines printed), never a time, then stop
# the watch with SIGINT. What they assert holds at any load: the format,
# the intervals adding up to at least one period each, and the rates times
# the intervals adding up to no more than the counters grew.

@test "nettune-iface --watch prints per-second rates of live traffic; SIGINT ends it with 0" {
	out=$BATS_TEST_TMPDIR/watch.txt
	# about 10 echo requests a second until the watch is over
	run in_iface_sandbox "ping -q -i 0.1 -w 120 \$IFACE_PEER_V4 >/dev/null & pinger=\$!;
		\"\$NETTUNE_IFACE\" -i tkv0 --watch 1 >'$out' & w=\$!;
		wait_lines '$out' 3;
		kill -INT \$w; wait \$w; echo \"watch exit \$?\"; kill \$pinger 2>/dev/null || true"
	assert_success
	assert_output "watch exit 0"
	run cat "$out"
	assert_line --index 0 --regexp '^NAME +RX +TX +RX-PKT/S +TX-PKT/S +RX-ERR/S +TX-ERR/S +RX-DROP/S +TX-DROP/S$'
	[ "${#lines[@]}" -ge 3 ] || fail "want at least 2 rate lines"
	txsum=0 rxsum=0
	for line in "${lines[@]:1}"; do
		read -r name rx tx rxp txp rxe txe rxd txd <<<"$line"
		assert_equal "$name" tkv0
		[[ $rx =~ ^[0-9.]+[kMG]?bit/s$ && $tx =~ ^[0-9.]+[kMG]?bit/s$ ]] || fail "rates: $line"
		[[ $rxp =~ ^[0-9]+\.[0-9]$ && $txp =~ ^[0-9]+\.[0-9]$ ]] || fail "packet rates: $line"
		txsum=$(awk -v a="$txsum" -v b="$txp" 'BEGIN { print a + b }')
		rxsum=$(awk -v a="$rxsum" -v b="$rxp" 'BEGIN { print a + b }')
		assert_equal "$rxe $txe $rxd $txd" "0.0 0.0 0.0 0.0"
	done
	# the pings went on through every interval: some traffic each way
	awk -v t="$txsum" -v r="$rxsum" 'BEGIN { exit !(t > 0 && r > 0) }' || fail "no packets counted: tx $txsum rx $rxsum"
}

@test "nettune-iface -a: one netlink session, whatever the number of interfaces (3 sockets, 4 requests)" {
	require_cmd strace
	out=$BATS_TEST_TMPDIR/many.json
	run in_iface_sandbox "for i in \$(seq 0 49); do echo \"link add tkm\$i type veth peer name tkn\$i\"; done | ip -batch -;
		strace -f -c -o '$BATS_TEST_TMPDIR/strace' -e trace=socket,sendto,sendmsg \"\$NETTUNE_IFACE\" -a --json >'$out'"
	assert_success
	run awk '$NF == "socket" { print "socket", $4 } $NF == "sendto" { print "sendto", $4 }' "$BATS_TEST_TMPDIR/strace"
	assert_line "socket 3"
	assert_line "sendto 4"
	# and speed came from the one dump: every veth at 10000, lo unknown
	assert_equal "$(pyjson "$out" 'len(d["interfaces"])')" 102 # lo, tkv0 and 50 pairs
	assert_equal "$(pyjson "$out" 'sorted(set(i["speed_mbps"] for i in d["interfaces"] if i["kind"] == "veth"))')" "[10000]"
	assert_equal "$(pyjson "$out" 'iface("lo")["speed_mbps"]')" null
}

@test "nettune-iface --watch --json prints one object per interval, rates that add up to the counters" {
	out=$BATS_TEST_TMPDIR/watch.json
	run in_iface_sandbox "ping -q -i 0.1 -s 1000 -w 120 \$IFACE_PEER_V4 >/dev/null & pinger=\$!;
		\"\$NETTUNE_IFACE\" --json -i tkv0 >'$BATS_TEST_TMPDIR/before.json';
		\"\$NETTUNE_IFACE\" -i tkv0 -j -w 1s >'$out' & w=\$!;
		wait_lines '$out' 2;
		kill -INT \$w; wait \$w; echo \"watch exit \$?\";
		\"\$NETTUNE_IFACE\" --json -i tkv0 >'$BATS_TEST_TMPDIR/after.json';
		kill \$pinger 2>/dev/null || true"
	assert_success
	assert_output "watch exit 0"
	run python3 - "$out" "$BATS_TEST_TMPDIR/before.json" "$BATS_TEST_TMPDIR/after.json" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
stats = [next(i for i in json.load(open(f))["interfaces"] if i["name"] == "tkv0")["stats"]
         for f in sys.argv[2:4]]
assert len(objs) >= 2, objs
for d in objs:
    assert list(d) == ["interval_sec", "interfaces"], d
    assert [i["name"] for i in d["interfaces"]] == ["tkv0"], d
    # an interval is positive; ten times the period is a hang, not load
    assert 0 < d["interval_sec"] < 10, d
# each sample waits for its deadline, period after period: k intervals add
# up to at least k seconds (less the 3-decimal rounding)
assert sum(d["interval_sec"] for d in objs) >= len(objs) - 0.001 * len(objs), objs
for k, slack in (("tx_bytes", 64), ("rx_bytes", 64), ("tx_packets", 1), ("rx_packets", 1)):
    seen = sum(d["interfaces"][0][k + "_per_sec"] * d["interval_sec"] for d in objs)
    grew = stats[1][k] - stats[0][k]
    # the watch saw part of what the counters did around it, and some of it
    assert 0 < seen <= grew + slack, (k, seen, grew)
    assert all(d["interfaces"][0][k + "_per_sec"] >= 0 for d in objs)
print("ok")
PY
	assert_output ok
}

@test "nettune-iface: --help, man page and completion describe the same options" {
	require_cmd mandoc
	man=$TUNEKIT_SRCDIR/man/nettune-iface.1
	comp=$TUNEKIT_SRCDIR/contrib/bash-completion/nettune-iface
	run mandoc -T lint -W warning "$man"
	assert_success
	assert_output ""
	opts=$("$NETTUNE_IFACE" --help | grep -o -- '--[a-z-]*' | sort -u)
	[ -n "$opts" ]
	for opt in $opts; do
		grep -q -- "Fl \\\\-${opt#--}" "$man" || fail "$opt missing from the man page"
		grep -q -- "$opt" "$comp" || fail "$opt missing from the completion"
	done
}
