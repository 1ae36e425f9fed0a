# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of nettune-iface.bats and nettune.bats (load after helpers).

# The binary under test, exported so sandbox snippets (bash -c) see it.
NETTUNE_IFACE=${NETTUNE_IFACE:-$TUNEKIT_BUILDDIR/nettune-iface}
NETTUNE=${NETTUNE:-$TUNEKIT_SRCDIR/utils/nettune}
export NETTUNE_IFACE NETTUNE

# The veth pair of the sandbox tests: tkv0 here, tkv0-p in namespace
# tkv0-ns. Addresses only inside the namespaces the test creates.
IFACE_V4=10.200.1.1
IFACE_PEER_V4=10.200.1.2
IFACE_V6=fd00:200:1::1
IFACE_MTU=1400
IFACE_TXQLEN=777
export IFACE_V4 IFACE_PEER_V4 IFACE_V6 IFACE_MTU IFACE_TXQLEN

# The sandbox snippet that builds the pair with every value the tests check.
# wait_operstate IFACE STATE: the kernel sets operstate from linkwatch, a
# moment after the carrier changes; wait for that state (up to 30 s).
# wait_lines FILE N: until FILE has N complete lines (up to 60 s).
IFACE_SETUP='wait_operstate() {
	for i in $(seq 300); do
		[ "$(cat /sys/class/net/$1/operstate)" = "$2" ] && return 0; sleep 0.1;
	done; echo "$1 did not become $2" >&2; return 1;
};
wait_lines() {
	for i in $(seq 1200); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0; sleep 0.05;
	done; echo "$1: fewer than $2 lines" >&2; return 1;
};
sandbox_veth tkv0 $IFACE_V4/24 $IFACE_PEER_V4/24 $IFACE_MTU;
ip link set tkv0 txqueuelen $IFACE_TXQLEN;
ip addr add $IFACE_V6/64 dev tkv0 nodad;
wait_operstate tkv0 up;'

# pyjson FILE EXPR: evaluate the Python expression EXPR with d = the JSON
# document in FILE and iface(NAME) = its interface object; print the
# result (strings bare, everything else as JSON).
pyjson() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
def iface(name):
    return next(i for i in d["interfaces"] if i["name"] == name)
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# pyjson_lines FILE EXPR: like pyjson, once per line of a JSON-lines file
# (watch mode), with d bound to each line's object.
pyjson_lines() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    v = eval(sys.argv[2])
    print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}
