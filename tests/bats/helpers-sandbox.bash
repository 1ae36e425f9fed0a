# SPDX-License-Identifier: GPL-2.0-or-later
# Functions for commands run inside tests/sandbox (sourced by in_sandbox).
set -e

# sandbox_veth NAME ADDR/PFX PEERADDR/PFX [MTU]
# A veth pair: NAME stays here, NAME-p goes into namespace NAME-ns with
# PEERADDR. Both ends up. The namespace files live on the sandbox's private
# /run/netns tmpfs and the addresses exist only inside these namespaces.
sandbox_veth() {
	local name=$1 addr=$2 peeraddr=$3 mtu=${4:-1500}
	ip netns add "$name-ns"
	ip link add "$name" mtu "$mtu" type veth peer name "$name-p" mtu "$mtu"
	ip link set "$name-p" netns "$name-ns"
	ip addr add "$addr" dev "$name"
	ip link set "$name" up
	ip -n "$name-ns" addr add "$peeraddr" dev "$name-p"
	ip -n "$name-ns" link set "$name-p" up
	ip -n "$name-ns" link set lo up
}

# wait_listening PORT [NETNS]: until a TCP socket listens on PORT (at most 60 s).
wait_listening() {
	local i
	for i in $(seq 600); do
		if ${2:+ip netns exec "$2"} ss -Hltn "sport = :$1" | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2
	return 1
}

# wait_established PORT [NETNS]: until a TCP connection to or from PORT is
# established (at most 60 s). Tests wait for the state, not for a guess.
wait_established() {
	local i
	for i in $(seq 600); do
		if ${2:+ip netns exec "$2"} ss -Htn state established "( sport = :$1 or dport = :$1 )" | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	echo "no established connection on port $1" >&2
	return 1
}

# wait_flowing PORT [NETNS]: until the connection on local port PORT has
# received data (at most 60 s).
wait_flowing() {
	local i
	for i in $(seq 600); do
		if ${2:+ip netns exec "$2"} ss -Htni state established "( sport = :$1 )" | grep -q 'bytes_received:[1-9]'; then
			return 0
		fi
		sleep 0.1
	done
	echo "no data received on port $1" >&2
	return 1
}

# stop_jobs: end this shell's background peers quietly once the test has
# what it needs (peers run long enough for any load, not for a guess).
stop_jobs() {
	{ kill $(jobs -p) 2>/dev/null; wait; } 2>/dev/null || true
}
