# SPDX-License-Identifier: GPL-2.0-or-later
# nettune-dns suite: a resolver lab inside tests/sandbox (private network and
# mount namespace, plus a PID namespace so nothing outlives it).
#
#   127.0.0.2:5353  dnsmasq, NXDOMAIN for every name (backend of .5)
#   127.0.0.3:5353  unbound: lab.test static (NXDOMAIN, www.lab.test A),
#                   everything else REFUSED (backend of .6)
#   127.0.0.4:53    dnsmasq; nftables drops ~30% of the queries to it and
#                   counts them (lab_dropped)
#   127.0.0.5:53    udp-delay-relay +5 ms  -> 127.0.0.2:5353
#   127.0.0.6:53    udp-delay-relay +40 ms -> 127.0.0.3:5353
#   127.0.0.9:53    dns-hostile mixed (UDP + TCP)
#   127.0.0.10:53   dns-hostile tc      (TC=1 over UDP, answers over TCP)
#   127.0.0.11:53   dns-hostile noedns  (FORMERR to EDNS queries)
#   127.0.0.12:53   dns-hostile loop    (only compression loops)

DNS_LAB_ADDRS="2 3 4 5 6 9 10 11 12"

# dns_lab_run DIR BUILDDIR WATCHPID: start the lab (run as init of the
# sandbox's PID namespace), touch DIR/ready, then live as long as the host
# process WATCHPID does (the kernel kills the whole namespace when it ends).
dns_lab_run() {
	local dir=$1 fx=$2/tests/fixtures watch=$3 i
	set -e
	for i in $DNS_LAB_ADDRS; do
		ip addr add "127.0.0.$i/8" dev lo
	done
	# real-time priority for the lab's servers: on a loaded 2-core machine the
	# injected delays must not grow with the run queue (they sleep otherwise)
	local rt=()
	chrt -f 10 true 2>/dev/null && rt=(chrt -f 10)
	local dm=(dnsmasq -C /dev/null --no-resolv --no-hosts --bind-interfaces
		--pid-file= --keep-in-foreground --log-facility=- --local=/#/ --user=root)
	"${rt[@]}" "${dm[@]}" --listen-address 127.0.0.2 --port 5353 >"$dir/dnsmasq-2.log" 2>&1 &
	"${rt[@]}" "${dm[@]}" --listen-address 127.0.0.4 --port 53 >"$dir/dnsmasq-4.log" 2>&1 &
	cat >"$dir/unbound.conf" <<-EOF
	server:
	  interface: 127.0.0.3@5353
	  port: 5353
	  do-daemonize: no
	  username: ""
	  chroot: ""
	  pidfile: ""
	  use-syslog: no
	  logfile: ""
	  verbosity: 0
	  do-ip6: no
	  num-threads: 1
	  access-control: 127.0.0.0/8 allow
	  module-config: "iterator"
	  local-zone: "." refuse
	  local-zone: "lab.test." static
	  local-data: "www.lab.test. 60 IN A 192.0.2.80"
	remote-control:
	  control-enable: no
	EOF
	"${rt[@]}" unbound -d -c "$dir/unbound.conf" >"$dir/unbound.log" 2>&1 &
	"${rt[@]}" "$fx/udp-delay-relay" 127.0.0.5:53 127.0.0.2:5353 5 >"$dir/relay-5.log" 2>&1 &
	"${rt[@]}" "$fx/udp-delay-relay" 127.0.0.6:53 127.0.0.3:5353 40 >"$dir/relay-6.log" 2>&1 &
	"${rt[@]}" "$fx/dns-hostile" 127.0.0.9:53 mixed >"$dir/hostile-9.log" 2>&1 &
	"${rt[@]}" "$fx/dns-hostile" 127.0.0.10:53 tc >"$dir/hostile-10.log" 2>&1 &
	"${rt[@]}" "$fx/dns-hostile" 127.0.0.11:53 noedns >"$dir/hostile-11.log" 2>&1 &
	"${rt[@]}" "$fx/dns-hostile" 127.0.0.12:53 loop >"$dir/hostile-12.log" 2>&1 &
	nft -f - <<-EOF
	table ip tunekit_lab {
	  chain input {
	    type filter hook input priority 0; policy accept;
	    ip daddr 127.0.0.4 udp dport 53 numgen random mod 100 < 30 counter drop
	  }
	}
	EOF
	local want="127.0.0.2:5353 127.0.0.3:5353 127.0.0.4:53 127.0.0.5:53 127.0.0.6:53
		127.0.0.9:53 127.0.0.10:53 127.0.0.11:53 127.0.0.12:53" a _
	# wait for a state (every server listening), up to 60 s: never a fixed time
	for _ in $(seq 1200); do
		local listening missing=0
		listening=$(ss -Hlun | awk '{print $4}')
		for a in $want; do
			grep -qx "$a" <<<"$listening" || missing=1
		done
		[ "$missing" -eq 0 ] && break
		sleep 0.05
	done
	[ "$missing" -eq 0 ] || { echo "lab: not every server is listening" >&2; exit 1; }
	touch "$dir/ready"
	while [ -d "/proc/$watch" ]; do
		sleep 0.5
	done
}

# dns_lab_start: in setup_file. Sets DNS_LAB_DIR; DNS_LAB_PID (in the file)
# when the lab runs.
dns_lab_start() {
	export DNS_LAB_DIR=$BATS_FILE_TMPDIR/lab
	mkdir -p "$DNS_LAB_DIR"
	local need
	for need in dnsmasq unbound nft nsenter ss; do
		if ! command -v "$need" >/dev/null 2>&1; then
			echo "$need is not installed" >"$DNS_LAB_DIR/why"
			return 0
		fi
	done
	[ -x "$TUNEKIT_BUILDDIR/tests/fixtures/udp-delay-relay" ] ||
		{ echo "fixtures not built (make check builds them)" >"$DNS_LAB_DIR/why"; return 0; }
	if [ "$(id -u)" -ne 0 ] || ! "$SANDBOX" true 2>/dev/null; then
		echo "tests/sandbox does not work here (needs root, unshare and overlayfs)" >"$DNS_LAB_DIR/why"
		return 0
	fi
	# no inherited descriptor may stay open, or bats waits for the lab forever
	(
		for fd in /proc/self/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec "$SANDBOX" unshare --pid --fork --kill-child bash -c \
			"source '$TUNEKIT_SRCDIR/tests/bats/dns-helpers.bash'; dns_lab_run '$DNS_LAB_DIR' '$TUNEKIT_BUILDDIR' $$"
	) </dev/null >"$DNS_LAB_DIR/lab.log" 2>&1 &
	echo $! >"$DNS_LAB_DIR/pid"
	local i
	# up to 90 s for the ready file (the lab itself gives up after 60 s)
	for i in $(seq 1800); do
		[ -e "$DNS_LAB_DIR/ready" ] && return 0
		kill -0 "$(cat "$DNS_LAB_DIR/pid")" 2>/dev/null || break
		sleep 0.05
	done
	echo "the lab did not start: $(cat "$DNS_LAB_DIR/lab.log")" >"$DNS_LAB_DIR/why"
}

# dns_lab_stop: unshare --fork blocks SIGTERM; SIGKILL takes the namespace
# down with it (--kill-child).
dns_lab_stop() {
	[ -e "$DNS_LAB_DIR/pid" ] && kill -KILL "$(cat "$DNS_LAB_DIR/pid")" 2>/dev/null
	return 0
}

# require_lab: in setup of a test that needs the lab.
require_lab() {
	if [ -e "$DNS_LAB_DIR/why" ] || [ ! -e "$DNS_LAB_DIR/ready" ]; then
		skip_or_fail "$(cat "$DNS_LAB_DIR/why" 2>/dev/null || echo "the lab did not start")"
	fi
	DNS_LAB_PID=$(cat "$DNS_LAB_DIR/pid")
}

# lab CMD...: run CMD inside the lab's network and mount namespace.
lab() {
	nsenter -t "$DNS_LAB_PID" -n -m -- "$@"
}

# lab_dropped: how many queries the nftables rule for 127.0.0.4 dropped so far.
lab_dropped() {
	lab nft list chain ip tunekit_lab input | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'
}

# jget JSON EXPR: evaluate a Python expression over the parsed JSON as `j`
# ("s" is the servers list keyed by "server").
jget() {
	python3 -c '
import json, sys
j = json.loads(sys.argv[1])
s = {x["server"]: x for x in j.get("servers", [])}
print(eval(sys.argv[2]))' "$1" "$2"
}

# fake_root DIR: an empty --root tree plus a fake /proc (restore never
# touches the host's sysctls).
fake_root() {
	local dir=$1
	mkdir -p "$dir/root/etc" "$dir/root/var/lib/tunekit" "$dir/root/run/lock"
	fake_proc "$dir/proc" net.core.somaxconn=4096
	export TUNEKIT_PROC=$dir/proc
}

# DNS_FAKE_PY: a small fake DNS server in Python, for one test at a time:
#   python3 -c "$DNS_FAKE_PY" ADDR PORT UDPMODE
# Over TCP it answers FORMERR to any query carrying an OPT record (ARCOUNT > 0)
# and 192.0.2.1 (A) to a plain one. Over UDP, UDPMODE tc: always TC=1 (every
# query goes on over TCP); formerr: FORMERR to OPT, TC=1 to a plain query.
# One line per query on stdout: "udp opt=1 tc", "tcp opt=0 answer"...
# It prints "ready" once both sockets listen.
DNS_FAKE_PY='
import socket, struct, sys, threading
addr, port, udpmode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
def log(s):
    with lock:
        print(s, flush=True)
def qend(q):
    off = 12
    while off < len(q) and q[off]:
        off += 1 + q[off]
    return off + 5
def reply(q, rcode, tc=False, answer=False):
    flags = 0x8000 | (struct.unpack("!H", q[2:4])[0] & 0x7900) | 0x80 | rcode | (0x200 if tc else 0)
    head = q[:2] + struct.pack("!HHHHH", flags, 1, 1 if answer else 0, 0, 0)
    body = q[12:qend(q)]
    if answer:
        body += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
    return head + body
def has_opt(q):
    return struct.unpack("!H", q[10:12])[0] > 0
def tcp_answer(q):
    if has_opt(q):
        log("tcp opt=1 formerr")
        return reply(q, 1)
    log("tcp opt=0 answer")
    return reply(q, 0, answer=True)
def udp_loop(s):
    while True:
        q, peer = s.recvfrom(4096)
        if len(q) < 17:
            continue
        if udpmode == "formerr" and has_opt(q):
            log("udp opt=1 formerr")
            s.sendto(reply(q, 1), peer)
        else:
            log("udp opt=%d tc" % has_opt(q))
            s.sendto(reply(q, 0, tc=True), peer)
def tcp_conn(c):
    with c:
        while True:
            n = c.recv(2, socket.MSG_WAITALL)
            if len(n) < 2:
                return
            q = c.recv(struct.unpack("!H", n)[0], socket.MSG_WAITALL)
            r = tcp_answer(q)
            c.sendall(struct.pack("!H", len(r)) + r)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((addr, port))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((addr, port))
t.listen(16)
threading.Thread(target=udp_loop, args=(u,), daemon=True).start()
log("ready")
while True:
    c, _ = t.accept()
    threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()
'

# DNS_BARRIER_PY: a UDP DNS server that proves concurrency without timing:
#   python3 -c "$DNS_BARRIER_PY" ADDR PORT K HOLD_S
# It answers nothing (NXDOMAIN, no OPT) until it holds K queries at once, or
# until HOLD_S seconds passed since the oldest one it holds; then it answers
# them all and prints "batch N". A client with K queries in flight gets
# "batch K" at once; a sequential one only ever "batch 1". Prints "ready".
DNS_BARRIER_PY='
import select, socket, struct, sys, time
addr, port, k, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
def qend(q):
    off = 12
    while off < len(q) and q[off]:
        off += 1 + q[off]
    return off + 5
def nxdomain(q):
    flags = 0x8000 | (struct.unpack("!H", q[2:4])[0] & 0x7900) | 0x80 | 3
    return q[:2] + struct.pack("!HHHHH", flags, 1, 0, 0, 0) + q[12:qend(q)]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((addr, port))
print("ready", flush=True)
held, first = [], 0.0
while True:
    wait = None if not held else max(0.0, first + hold - time.monotonic())
    r, _, _ = select.select([u], [], [], wait)
    if r:
        q, peer = u.recvfrom(4096)
        if len(q) >= 17:
            if not held:
                first = time.monotonic()
            held.append((q, peer))
    if held and (len(held) >= k or time.monotonic() >= first + hold):
        print("batch %d" % len(held), flush=True)
        for q, peer in held:
            u.sendto(nxdomain(q), peer)
        held = []
'

# ---- DNS over TLS (inside a sandbox that sourced probe-helpers.bash) ----

# dot_unbound ADDR CERTNAME [NETNS]: unbound answering DNS over TLS on
# ADDR@853 with the certificate CERTNAME of probe_tls_ca "$PROBE_TMP/ca";
# lab.test is a static zone (random names: NXDOMAIN), nothing else is
# resolved. Ready (listening) on return.
dot_unbound() {
	local addr=$1 cert=$2 ns=${3:-} conf=$PROBE_TMP/unbound-$1.conf _
	cat >"$conf" <<-EOF
	server:
	  interface: $addr@853
	  tls-port: 853
	  tls-service-key: "$PROBE_TMP/ca/$cert.key"
	  tls-service-pem: "$PROBE_TMP/ca/$cert.pem"
	  do-daemonize: no
	  username: ""
	  chroot: ""
	  pidfile: ""
	  use-syslog: no
	  logfile: ""
	  verbosity: 0
	  do-ip6: no
	  num-threads: 1
	  incoming-num-tcp: 64
	  tcp-idle-timeout: 30000
	  access-control: 0.0.0.0/0 allow
	  module-config: "iterator"
	  local-zone: "." refuse
	  local-zone: "lab.test." static
	  local-data: "www.lab.test. 60 IN A 192.0.2.80"
	remote-control:
	  control-enable: no
	EOF
	if [ -n "$ns" ]; then
		probe_bg "unbound-$addr" timeout 120 ip netns exec "$ns" unbound -d -c "$conf"
	else
		probe_bg "unbound-$addr" timeout 120 unbound -d -c "$conf"
	fi
	for _ in $(seq 1200); do
		if [ -n "$ns" ]; then
			ip netns exec "$ns" ss -Hltn "sport = :853" | grep -q . && return 0
		else
			ss -Hltn "src $addr and sport = :853" | grep -q . && return 0
		fi
		sleep 0.05
	done
	echo "unbound on $addr@853 did not start: $(cat "$PROBE_TMP/unbound-$addr.log")" >&2
	return 1
}

# ---- NetworkManager (under --root; nothing of the host's is touched) ----

# nm_owned_root R HOW: make NetworkManager own R/etc/resolv.conf, HOW is
# "link" (a symlink to ../run/NetworkManager/resolv.conf, as NetworkManager
# makes it) or "header" (a plain file with its header). The file lists the
# lab's servers, a search domain and options, as NetworkManager writes them.
nm_owned_root() {
	local r=$1 how=$2 body
	body=$(printf '# Generated by NetworkManager\nsearch lab.test\nnameserver 127.0.0.9\nnameserver 127.0.0.6\nnameserver 127.0.0.4\nnameserver 127.0.0.5\noptions edns0 trust-ad\n')
	mkdir -p "$r/run/NetworkManager" "$r/etc"
	rm -f "$r/etc/resolv.conf"
	if [ "$how" = link ]; then
		printf '%s\n' "$body" >"$r/run/NetworkManager/resolv.conf"
		ln -s ../run/NetworkManager/resolv.conf "$r/etc/resolv.conf"
	else
		printf '%s\n' "$body" >"$r/etc/resolv.conf"
	fi
}

# nm_fake_running R PROC: NetworkManager "runs": its pid file under R names
# a process whose comm (under the fake proc tree PROC) is NetworkManager.
nm_fake_running() {
	mkdir -p "$1/run/NetworkManager" "$2/4242"
	echo 4242 >"$1/run/NetworkManager/NetworkManager.pid"
	echo NetworkManager >"$2/4242/comm"
}

# fake_nmcli DIR STATUS: DIR/nmcli logs its arguments to DIR/nmcli.log and
# exits STATUS (put DIR first in PATH).
fake_nmcli() {
	mkdir -p "$1"
	printf '#!/bin/sh\necho "$*" >>"%s/nmcli.log"\nexit %s\n' "$1" "$2" >"$1/nmcli"
	chmod +x "$1/nmcli"
}
