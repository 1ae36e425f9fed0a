# SPDX-License-Identifier: GPL-2.0-or-later
# nettune-probe suite helpers. Loaded by the suite (`load probe-helpers`)
# and sourced inside tests/sandbox by in_probe_sandbox, where the peers run.

: "${TUNEKIT_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${TUNEKIT_BUILDDIR:=$TUNEKIT_SRCDIR}"
PROBE_HELPERS="$TUNEKIT_SRCDIR/tests/bats/probe-helpers.bash"
PROBE_FIXTURES="$TUNEKIT_BUILDDIR/tests/fixtures"

# in_probe_sandbox SNIPPET: run SNIPPET in a fresh sandbox with these helpers.
# The sandbox's exit status is the snippet's; peers die with it.
in_probe_sandbox() {
	in_sandbox "source '$PROBE_HELPERS'; probe_sandbox_init; $*"
}

# require_probe_fixtures: the C peers are built by `make check`.
require_probe_fixtures() {
	if [ ! -x "$PROBE_FIXTURES/httpd-delay" ] || [ ! -x "$PROBE_FIXTURES/tun-delay" ]; then
		skip_or_fail "test fixtures not built (run make check)"
	fi
}

# ---- inside the sandbox ----------------------------------------------

PROBE_PIDS=()

probe_cleanup() {
	local pid
	for pid in "${PROBE_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
}

# probe_sandbox_init: a scratch dir, cleanup on exit, and a resolver that
# fails at once (nothing listens on 127.0.0.1:53) next to /etc/hosts names.
probe_sandbox_init() {
	PROBE_TMP=$(mktemp -d /tmp/tunekit-probe.XXXXXX)
	trap 'probe_cleanup; rm -rf "$PROBE_TMP"' EXIT
	echo "nameserver 127.0.0.1" >/etc/resolv.conf
	printf '127.0.0.2 peer.probe.test\n127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >/etc/hosts
}

# probe_wait_file FILE: wait for a peer's ready file (a state, not a time:
# up to 60 s, so a loaded machine only makes it slower).
probe_wait_file() {
	local _
	for _ in $(seq 1200); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "peer not ready: $1" >&2
	return 1
}

# probe_bg LOGNAME CMD...: start a peer in the background (output to a log,
# so it never holds the test's stdout open).
probe_bg() {
	local log=$PROBE_TMP/$1.log
	shift
	"$@" >"$log" 2>&1 &
	PROBE_PIDS+=("$!")
}

# probe_httpd ADDR PORT DELAY_MS [NETNS]: the HTTP fixture, ready on return.
probe_httpd() {
	local ready=$PROBE_TMP/httpd-$1-$2.ready ns=${4:-}
	if [ -n "$ns" ]; then
		probe_bg "httpd-$1-$2" ip netns exec "$ns" "$PROBE_FIXTURES/httpd-delay" -a "$1" -p "$2" -d "$3" -r "$ready" -l "${PROBE_LIFETIME:-60}"
	else
		probe_bg "httpd-$1-$2" "$PROBE_FIXTURES/httpd-delay" -a "$1" -p "$2" -d "$3" -r "$ready" -l "${PROBE_LIFETIME:-60}"
	fi
	probe_wait_file "$ready"
}

# probe_delay_line DELAY_MS: 10.200.9.2 in namespace probe-peer, reached
# through tun-delay (DELAY_MS each way, so a round trip >= 2 x DELAY_MS).
# The peers (this and probe_httpd) live PROBE_LIFETIME seconds (default 60).
probe_delay_line() {
	local ready=$PROBE_TMP/tun.ready
	probe_bg tun-delay "$PROBE_FIXTURES/tun-delay" -a tkpa -b tkpb -d "$1" -r "$ready" -l "${PROBE_LIFETIME:-60}"
	probe_wait_file "$ready"
	ip netns add probe-peer
	ip link set tkpb netns probe-peer
	ip addr add 10.200.9.1/30 dev tkpa
	ip link set tkpa up
	ip -n probe-peer addr add 10.200.9.2/30 dev tkpb
	ip -n probe-peer link set tkpb up
	ip -n probe-peer link set lo up
}

# probe_blackhole ADDR: every packet to ADDR vanishes (nftables, input hook,
# so TCP SYNs and echo requests leave and are never answered).
probe_blackhole() {
	nft add table inet probe_blackhole
	nft add chain inet probe_blackhole input '{ type filter hook input priority 0; }'
	nft add rule inet probe_blackhole input ip daddr "$1" drop
}

# probe_ping_range "LO HI": who may open unprivileged ping sockets here.
probe_ping_range() {
	echo "$1" >/proc/sys/net/ipv4/ping_group_range
}

# probe_iperf3_server PORT: one-shot iperf3 server on 127.0.0.1.
probe_iperf3_server() {
	probe_bg iperf3 timeout 30 iperf3 -s -1 -B 127.0.0.1 -p "$1"
	local _
	for _ in $(seq 1200); do
		ss -ltn "sport = :$1" | grep -q LISTEN && return 0
		sleep 0.05
	done
	return 1
}

# ---- outside: reading results ----------------------------------------

# json_eval FILE EXPR: evaluate a Python expression over the document d.
json_eval() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# result FILE TARGET METHOD KEY: one value from a --json report.
result() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for t in d["targets"]:
    if t["target"] == sys.argv[2]:
        for r in t["results"]:
            if r["method"] == sys.argv[3]:
                print(r[sys.argv[4]])
                sys.exit(0)
sys.exit("no result for %s %s" % (sys.argv[2], sys.argv[3]))
PY
}

# consistent FILE TARGET METHOD: the row's figures are positive and ordered,
# min <= median <= p95 <= max and min <= mean <= max (true at any load).
consistent() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = next(r for t in d["targets"] if t["target"] == sys.argv[2]
         for r in t["results"] if r["method"] == sys.argv[3])
assert r["received"] > 0, r
assert 0 < r["min_ms"] <= r["median_ms"] <= r["p95_ms"] <= r["max_ms"], r
assert r["min_ms"] <= r["mean_ms"] <= r["max_ms"] and r["stddev_ms"] >= 0, r
PY
}

# ge A B: A >= B for decimal numbers.
ge() {
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"
}

# ---- HTTPS peers -------------------------------------------------------

# probe_tls_ca DIR: a test CA and server certificates made by openssl:
#   ca.pem                the CA (pass it with --cacert)
#   good.pem/key          signed by the CA for tls.probe.test and 127.0.0.2, 10.200.9.2
#   wrongname.pem/key     signed by the CA for other.invalid only
#   expired.pem/key       signed by the CA for tls.probe.test, valid in 2020 only
#   selfsigned.pem/key    tls.probe.test, signed by itself
probe_tls_ca() {
	local d=$1
	mkdir -p "$d/ca.db"
	: >"$d/ca.db/index.txt"
	echo 01 >"$d/ca.db/serial"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
		-subj "/CN=tunekit test CA" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	cat >"$d/ca.cnf" <<CNF
[ca]
default_ca = tk
[tk]
database = $d/ca.db/index.txt
serial = $d/ca.db/serial
new_certs_dir = $d/ca.db
certificate = $d/ca.pem
private_key = $d/ca.key
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
CNF
	local name san
	for name in good wrongname expired; do
		case $name in
		wrongname) san="DNS:other.invalid" ;;
		*) san="DNS:tls.probe.test,IP:127.0.0.2,IP:10.200.9.2" ;;
		esac
		openssl req -newkey rsa:2048 -nodes -keyout "$d/$name.key" -out "$d/$name.csr" \
			-subj "/CN=${san%%,*}" -addext "subjectAltName=$san" 2>/dev/null
		if [ "$name" = expired ]; then
			openssl ca -batch -config "$d/ca.cnf" -in "$d/$name.csr" -out "$d/$name.pem" -notext \
				-startdate 20200101000000Z -enddate 20200102000000Z 2>/dev/null
		else
			openssl ca -batch -config "$d/ca.cnf" -in "$d/$name.csr" -out "$d/$name.pem" -notext -days 2 2>/dev/null
		fi
	done
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/selfsigned.key" -out "$d/selfsigned.pem" -days 2 \
		-subj "/CN=tls.probe.test" -addext "subjectAltName=DNS:tls.probe.test,IP:127.0.0.2" 2>/dev/null
	[ -s "$d/good.pem" ] && [ -s "$d/expired.pem" ] && [ -s "$d/wrongname.pem" ] && [ -s "$d/selfsigned.pem" ]
}

# probe_https ADDR PORT CERTNAME DELAY_MS [NETNS]: a python3 ssl HTTPS server
# (threaded, TLS 1.2/1.3) answering GET / with "hello" after DELAY_MS, with
# the certificate CERTNAME of probe_tls_ca "$PROBE_TMP/ca"; ready on return.
probe_https() {
	local ready=$PROBE_TMP/https-$1-$2.ready ns=${5:-} cmd
	cmd=(python3 -c '
import http.server, socketserver, ssl, sys, time
addr, port, cert, key, delay, ready = sys.argv[1:7]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        time.sleep(int(delay) / 1000)
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    def server_bind(self):
        import socket
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = S((addr, int(port)), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
open(ready, "w").close()
srv.serve_forever()
' "$1" "$2" "$PROBE_TMP/ca/$3.pem" "$PROBE_TMP/ca/$3.key" "$4" "$ready")
	if [ -n "$ns" ]; then
		probe_bg "https-$1-$2" timeout 120 ip netns exec "$ns" "${cmd[@]}"
	else
		probe_bg "https-$1-$2" timeout 120 "${cmd[@]}"
	fi
	probe_wait_file "$ready"
}
