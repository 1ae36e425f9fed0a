#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# nettune-probe against local peers only: the HTTP fixture on 127.0.0.x, a
# user-space delay line to 10.200.9.2 in a namespace of the sandbox, a closed
# port, a blackholed address, iperf3 on loopback.

load helpers
load probe-helpers

PROBE="$TUNEKIT_BUILDDIR/nettune-probe"

setup() {
	OUT="$BATS_TEST_TMPDIR/out"
}

# ---- the tool contract ------------------------------------------------

@test "probe: --help names every option the man page and completion know" {
	run "$PROBE" --help
	assert_success
	assert_line --partial "Usage:"
	opts=$(printf '%s\n' "$output" | grep -o -- '--[a-z0-9-]*' | sort -u)
	for o in $opts; do
		grep -q -- "Fl -${o#--}\$\|Fl -${o#--} " "$TUNEKIT_SRCDIR/man/nettune-probe.1" ||
			fail "man page lacks $o"
		grep -q -- "$o" "$TUNEKIT_SRCDIR/contrib/bash-completion/nettune-probe" ||
			fail "completion lacks $o"
	done
	[ "$(printf '%s\n' "$opts" | wc -l)" -ge 21 ]
}

@test "probe: --version names the package" {
	run "$PROBE" --version
	assert_success
	assert_output --regexp '^nettune-probe from tunekit [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "probe: man page is clean under mandoc lint" {
	require_cmd mandoc
	run mandoc -T lint -W warning "$TUNEKIT_SRCDIR/man/nettune-probe.1"
	assert_success
	assert_output ""
}

@test "probe: bad option, count, duration, method or target exits 2 naming it" {
	run "$PROBE" --frobnicate 127.0.0.1
	assert_failure 2
	assert_line --index 1 "Try 'nettune-probe --help' for more information."
	run "$PROBE" -c 0 127.0.0.1
	assert_failure 2
	assert_line --index 0 "nettune-probe: invalid --count argument '0': out of range (1 to 100000)"
	# a count is never a size
	run "$PROBE" -c 1k 127.0.0.1
	assert_failure 2
	assert_line --index 0 "nettune-probe: invalid --count argument '1k': not a whole number"
	run "$PROBE" -W 5parsecs 127.0.0.1
	assert_failure 2
	assert_line --index 0 --partial "invalid --timeout argument '5parsecs'"
	run "$PROBE" -W 2h 127.0.0.1
	assert_failure 2
	assert_line --index 0 "nettune-probe: invalid --timeout argument '2h': out of range (0.001 s to 3600 s)"
	run "$PROBE" -m udp 127.0.0.1
	assert_failure 2
	assert_line --index 0 "nettune-probe: invalid --method argument 'udp': expected tcp, http or icmp"
	run "$PROBE" 'host:99999'
	assert_failure 2
	assert_line --index 0 "nettune-probe: invalid target 'host:99999': port out of range 1-65535"
	run "$PROBE" gopher://example.com/
	assert_failure 2
	assert_line --index 0 --partial "only http:// and https:// are supported"
	run "$PROBE" -P 0 127.0.0.1
	assert_failure 2
	assert_line --index 0 --partial "invalid --parallel argument '0': out of range (1 to 1024)"
	run "$PROBE" --cacert /nonexistent/ca.pem https://127.0.0.1/
	assert_failure 2
	assert_line --index 0 --partial "cannot load CA certificates from /nonexistent/ca.pem"
	run "$PROBE" --cacert /dev/null -k https://127.0.0.1/
	assert_failure 2
	assert_line --index 0 --partial "exclude each other"
	run "$PROBE" --duration 1.5s --bandwidth 127.0.0.1
	assert_failure 2
	assert_line --index 0 --partial "whole seconds"
	run "$PROBE"
	assert_failure 2
	assert_line --index 0 --partial "no targets"
}

@test "probe: -m tcp on a target without a port is a usage error" {
	run "$PROBE" -m tcp 127.0.0.1
	assert_failure 2
	assert_line --index 0 --partial "none of the methods applies (tcp needs a port"
}

@test "probe: a bad line in --targets names file:line, exits 2 and probes nothing" {
	printf '# peers\n\n127.0.0.1:22\nexample.com:http\n' >"$BATS_TEST_TMPDIR/targets"
	run "$PROBE" -v --targets "$BATS_TEST_TMPDIR/targets"
	assert_failure 2
	assert_output "nettune-probe: $BATS_TEST_TMPDIR/targets:4: port is not a number"
	run "$PROBE" --targets "$BATS_TEST_TMPDIR/missing"
	assert_failure 2
	assert_output --partial "cannot read targets file $BATS_TEST_TMPDIR/missing: No such file or directory"
}

@test "probe: --bandwidth without iperf3 installed says so and exits 1" {
	run env PATH=/nonexistent "$PROBE" --bandwidth 127.0.0.1 --duration 1
	assert_failure 1
	assert_line --partial "iperf3 is not installed"
	assert_line "BANDWIDTH 127.0.0.1: iperf3 is not installed (--bandwidth runs it; install the iperf3 package)"
}

# ---- measurements in the sandbox ---------------------------------------

@test "probe: TCP connect time through a 20 ms delay line is >= 40 ms, local is below it" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_delay_line 20; probe_httpd 10.200.9.2 8080 0 probe-peer; probe_httpd 127.0.0.2 8080 0;
		nettune-probe -c 4 -i 10ms --json 10.200.9.2:8080 127.0.0.2:8080 >'$OUT'"
	assert_success
	assert_equal "$(result "$OUT" 10.200.9.2:8080 tcp received)" 4
	ge "$(result "$OUT" 10.200.9.2:8080 tcp min_ms)" 40
	assert_equal "$(result "$OUT" 127.0.0.2:8080 tcp loss_pct)" 0.0
	# ordering, not an absolute figure: bench/probe-accuracy measures the error
	ge "$(result "$OUT" 10.200.9.2:8080 tcp median_ms)" "$(result "$OUT" 127.0.0.2:8080 tcp median_ms)"
	consistent "$OUT" 10.200.9.2:8080 tcp
	consistent "$OUT" 127.0.0.2:8080 tcp
}

@test "probe: HTTP time to first byte includes the server's 50 ms; total includes the slow body's 100 ms more" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 50;
		nettune-probe -c 3 -i 0 --json http://127.0.0.2:8080/ http://127.0.0.2:8080/slow/100 >'$OUT'"
	assert_success
	ge "$(result "$OUT" http://127.0.0.2:8080/ http_ttfb min_ms)" 50
	# each probe's first byte comes no later than its whole answer
	for k in min_ms median_ms max_ms; do
		ge "$(result "$OUT" http://127.0.0.2:8080/ http_total $k)" "$(result "$OUT" http://127.0.0.2:8080/ http_ttfb $k)"
	done
	consistent "$OUT" http://127.0.0.2:8080/ http_ttfb
	consistent "$OUT" http://127.0.0.2:8080/ http_total
	assert_equal "$(result "$OUT" http://127.0.0.2:8080/ http_total http_status)" 200
	ttfb=$(result "$OUT" http://127.0.0.2:8080/slow/100 http_ttfb min_ms)
	total=$(result "$OUT" http://127.0.0.2:8080/slow/100 http_total min_ms)
	ge "$ttfb" 50
	# both of the server's sleeps (50 ms before the headers, 100 ms before the
	# body) lie inside the timed interval, whatever the load; "total >= ttfb +
	# 100" does not hold when the client is scheduled late for the headers
	ge "$total" 150
	for k in min_ms median_ms max_ms; do
		ge "$(result "$OUT" http://127.0.0.2:8080/slow/100 http_total $k)" "$(result "$OUT" http://127.0.0.2:8080/slow/100 http_ttfb $k)"
	done
}

@test "probe: Content-Length, chunked and close-delimited bodies all complete" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0;
		nettune-probe -v -c 2 -i 0 --json http://127.0.0.2:8080/len/100000 http://127.0.0.2:8080/chunked/70000 \
			http://127.0.0.2:8080/close/3000 >'$OUT'"
	assert_success
	assert_line --partial "http://127.0.0.2:8080/len/100000 http #1: ok status 200"
	assert_line --partial "100000 body bytes"
	assert_line --partial "70000 body bytes"
	assert_line --partial "3000 body bytes"
	for u in len/100000 chunked/70000 close/3000; do
		assert_equal "$(result "$OUT" "http://127.0.0.2:8080/$u" http_total received)" 2
	done
}

@test "probe: 404 and 503 are statuses, not failures; a non-HTTP answer is a failure" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0;
		nettune-probe -c 2 -i 0 --json http://127.0.0.2:8080/status/404 http://127.0.0.2:8080/status/503 \
			http://127.0.0.2:8080/garbage >'$OUT'"
	assert_failure 1
	assert_equal "$(result "$OUT" http://127.0.0.2:8080/status/404 http_total http_status)" 404
	assert_equal "$(result "$OUT" http://127.0.0.2:8080/status/404 http_total received)" 2
	assert_equal "$(result "$OUT" http://127.0.0.2:8080/status/503 http_ttfb http_status)" 503
	assert_equal "$(result "$OUT" http://127.0.0.2:8080/garbage http_total error)" "malformed HTTP response"
	assert_equal "$(result "$OUT" http://127.0.0.2:8080/garbage http_ttfb loss_pct)" 100.0
	assert_equal "$(json_eval "$OUT" 'd["failed_targets"]')" 1
}

@test "probe: a refused port, a blackhole and an unknown name fail per target; the rest is measured; exit 1" {
	require_sandbox
	require_probe_fixtures
	# -W 1s: generous for the live peer under load (how long -W waits is the next test)
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0; probe_blackhole 127.0.0.9;
		nettune-probe -c 2 -i 0 -W 1s --json 127.0.0.2:8081 127.0.0.9:8080 127.0.0.9 nothing.probe.test \
			peer.probe.test:8080 >'$OUT'"
	assert_failure 1
	assert_line "nettune-probe: 127.0.0.2:8081: no answer to any probe"
	assert_line "nettune-probe: 127.0.0.9:8080: no answer to any probe"
	assert_line --partial "cannot resolve nothing.probe.test"
	assert_equal "$(result "$OUT" 127.0.0.2:8081 tcp error)" "connection refused"
	assert_equal "$(result "$OUT" 127.0.0.9:8080 tcp error)" "timeout"
	assert_equal "$(result "$OUT" 127.0.0.9:8080 tcp loss_pct)" 100.0
	assert_equal "$(result "$OUT" 127.0.0.9 icmp loss_pct)" 100.0
	assert_equal "$(result "$OUT" 127.0.0.9 icmp error)" "timeout"
	assert_equal "$(result "$OUT" nothing.probe.test icmp sent)" 0
	assert_equal "$(json_eval "$OUT" '[t["ok"] for t in d["targets"]]')" "[False, False, False, False, True]"
	assert_equal "$(json_eval "$OUT" 'd["targets"][3]["address"]')" "None"
	# the name from /etc/hosts was resolved and measured
	assert_equal "$(json_eval "$OUT" 'd["targets"][4]["address"]')" "127.0.0.2"
	assert_equal "$(result "$OUT" peer.probe.test:8080 tcp received)" 2
	assert_equal "$(json_eval "$OUT" 'd["failed_targets"]')" 4
}

@test "probe: -W bounds each wait: two blackholed rows of two probes take >= 4 x -W one by one (-P 1), far less than the default" {
	require_sandbox
	run in_probe_sandbox "probe_blackhole 127.0.0.9; start=\$(date +%s%N);
		rc=0; nettune-probe -P 1 -c 2 -i 0 -W 100ms --json 127.0.0.9:8080 127.0.0.9 >'$OUT' || rc=\$?;
		echo elapsed_ms=\$(( (\$(date +%s%N) - start) / 1000000 )); exit \$rc"
	assert_failure 1
	assert_equal "$(result "$OUT" 127.0.0.9:8080 tcp error)" "timeout"
	assert_equal "$(result "$OUT" 127.0.0.9 icmp error)" "timeout"
	assert_equal "$(json_eval "$OUT" 'd["timeout_ms"]')" 100.0
	# four 100 ms timeouts: >= 400 ms (semantics). The upper bound is about
	# hangs (15x), yet below the >= 8 s that the 2 s default would take.
	elapsed=$(printf '%s\n' "$output" | sed -n 's/^elapsed_ms=//p')
	ge "$elapsed" 400
	ge 6000 "$elapsed"
}

@test "probe: -q silences the notes on failed targets, not the report" {
	require_sandbox
	run in_probe_sandbox "nettune-probe -q -c 1 -W 100ms 127.0.0.2:8081 nothing.probe.test"
	assert_failure 1
	refute_line --partial "nettune-probe:"
	assert_line --regexp '^127\.0\.0\.2:8081 .* connection refused$'
	assert_line --regexp '^nothing\.probe\.test .* cannot resolve nothing\.probe\.test: .*$'
}

@test "probe: -i spaces rounds: 3 probes 250 ms apart take >= 500 ms" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0; start=\$(date +%s%N);
		nettune-probe -q -c 3 -i 250ms 127.0.0.2:8080 >/dev/null;
		echo elapsed_ms=\$(( (\$(date +%s%N) - start) / 1000000 ))"
	assert_success
	elapsed=$(printf '%s\n' "$output" | sed -n 's/^elapsed_ms=//p')
	ge "$elapsed" 500
	ge 5000 "$elapsed" # a hang guard (10x), not a speed claim
}

@test "probe: IPv6 in brackets and -m tcp,icmp on the same target" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_httpd ::1 8080 0; probe_ping_range '0 0';
		nettune-probe -c 2 -i 0 -m tcp,icmp --json '[::1]:8080' >'$OUT'"
	assert_success
	assert_equal "$(json_eval "$OUT" 'd["targets"][0]["address"]')" "::1"
	assert_equal "$(json_eval "$OUT" '[r["method"] for r in d["targets"][0]["results"]]')" "['icmp', 'tcp']"
	assert_equal "$(result "$OUT" '[::1]:8080' tcp received)" 2
	assert_equal "$(result "$OUT" '[::1]:8080' icmp received)" 2
}

@test "probe: ICMP through an unprivileged ping socket when ping_group_range allows it" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_ping_range '0 2147483647';
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			$PROBE -c 3 -i 0 -v --json 127.0.0.1 >'$OUT'"
	assert_success
	assert_line --partial "ICMP: using a ping (unprivileged) socket"
	assert_equal "$(json_eval "$OUT" 'd["icmp_socket"]')" dgram
	assert_equal "$(result "$OUT" 127.0.0.1 icmp received)" 3
	consistent "$OUT" 127.0.0.1 icmp
}

@test "probe: ICMP falls back to a raw socket as root when ping_group_range excludes us" {
	require_sandbox
	require_root
	run in_probe_sandbox "probe_ping_range '1 0'; nettune-probe -c 3 -i 0 -v --json 127.0.0.1 >'$OUT'"
	assert_success
	assert_line --partial "ICMP: using a raw socket"
	assert_equal "$(json_eval "$OUT" 'd["icmp_socket"]')" raw
	assert_equal "$(result "$OUT" 127.0.0.1 icmp received)" 3
}

@test "probe: without root and outside ping_group_range ICMP is unavailable, exit 1" {
	require_sandbox
	run in_probe_sandbox "probe_ping_range '1 0';
		setpriv --reuid=nobody --regid=nogroup --clear-groups $PROBE -c 1 --json 127.0.0.1 >'$OUT'"
	assert_failure 1
	assert_line --partial "ICMP: icmp unavailable: "
	assert_line --partial "needs root or a group in net.ipv4.ping_group_range"
	assert_equal "$(result "$OUT" 127.0.0.1 icmp sent)" 0
	assert_equal "$(json_eval "$OUT" 'd["icmp_socket"]')" None
}

@test "probe: --icmp-socket dgram refuses to fall back to raw" {
	require_sandbox
	run in_probe_sandbox "probe_ping_range '1 0'; nettune-probe -c 1 --icmp-socket dgram 127.0.0.1"
	assert_failure 1
	assert_line --partial "icmp unavailable"
}

@test "probe: ICMP echo through the 20 ms delay line takes >= 40 ms, both socket kinds" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_delay_line 20; probe_ping_range '0 0';
		nettune-probe -c 2 -i 0 --icmp-socket dgram --json 10.200.9.2 >'$OUT.dgram';
		nettune-probe -c 2 -i 0 --icmp-socket raw --json 10.200.9.2 >'$OUT.raw'"
	assert_success
	for kind in dgram raw; do
		assert_equal "$(json_eval "$OUT.$kind" 'd["icmp_socket"]')" "$kind"
		assert_equal "$(result "$OUT.$kind" 10.200.9.2 icmp received)" 2
		ge "$(result "$OUT.$kind" 10.200.9.2 icmp min_ms)" 40
	done
}

@test "probe: --json has the documented keys and types" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0;
		nettune-probe -c 2 -i 0 -W 1s --json 127.0.0.2:8080 http://127.0.0.2:8080/ 127.0.0.2:8081 >'$OUT'"
	assert_failure 1
	run python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["version", "count", "interval_ms", "timeout_ms", "icmp_socket", "tls_verify", "targets",
                   "bandwidth", "failed_targets"], list(d)
assert d["version"] == 1 and d["count"] == 2 and d["timeout_ms"] == 1000.0 and d["bandwidth"] is None
for t in d["targets"]:
    assert list(t) == ["target", "host", "address", "port", "ok", "error", "results"], list(t)
    for r in t["results"]:
        assert list(r) == ["method", "sent", "received", "loss_pct", "min_ms", "median_ms", "p95_ms",
                           "max_ms", "mean_ms", "stddev_ms", "http_status", "error"], list(r)
        assert r["method"] in ("icmp", "tcp", "http_dns", "http_connect", "http_tls", "http_ttfb", "http_total")
        if r["received"]:
            assert r["min_ms"] <= r["median_ms"] <= r["p95_ms"] <= r["max_ms"], r
        else:
            assert r["min_ms"] is None and r["error"], r
assert [r["method"] for r in d["targets"][1]["results"]] == ["http_dns", "http_connect", "http_ttfb", "http_total"]
assert d["tls_verify"] is True
assert d["targets"][0]["port"] == 8080 and d["targets"][1]["port"] == 8080
assert d["targets"][2]["ok"] is False and d["failed_targets"] == 1
print("ok")
PY
	assert_success
	assert_output ok
}

@test "probe: --csv has the documented header and one row per target and method" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0;
		nettune-probe -c 2 -i 0 --csv 127.0.0.2:8080 http://127.0.0.2:8080/status/404 2>/dev/null"
	assert_success
	assert_line --index 0 "target,address,method,sent,received,loss_pct,min_ms,median_ms,p95_ms,max_ms,mean_ms,stddev_ms,http_status,sender_bps,receiver_bps,retransmits,error"
	[ "${#lines[@]}" -eq 6 ]
	assert_line --index 1 --regexp '^127\.0\.0\.2:8080,127\.0\.0\.2,tcp,2,2,0\.0,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+,,,,,$'
	assert_line --index 2 --regexp '^http://127\.0\.0\.2:8080/status/404,127\.0\.0\.2,http_dns,2,2,0\.0,([0-9.]+,){6},,,,$'
	assert_line --index 5 --regexp '^http://127\.0\.0\.2:8080/status/404,127\.0\.0\.2,http_total,2,2,0\.0,([0-9.]+,){6}404,,,,$'
}

@test "probe: the table shows one line per target and method with loss and notes" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0;
		nettune-probe -c 2 -i 0 127.0.0.2:8080 127.0.0.2:8081 http://127.0.0.2:8080/status/302 2>/dev/null"
	assert_failure 1
	assert_line --index 0 --regexp '^TARGET +ADDRESS +METHOD +SENT +RECV +LOSS +MIN_MS +MEDIAN_MS +P95_MS +MAX_MS +NOTE$'
	assert_line --regexp '^127\.0\.0\.2:8081 +127\.0\.0\.2 +tcp +2 +0 +100\.0% +- +- +- +- +connection refused$'
	assert_line --regexp '^http://127\.0\.0\.2:8080/status/302 +127\.0\.0\.2 +http_total +2 +2 +0\.0% .* HTTP 302$'
}

@test "probe: targets from stdin, comments and blank lines allowed" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0;
		printf '# peers\n\n  127.0.0.2:8080   # the fixture\nhttp://127.0.0.2:8080/\n' |
		nettune-probe -c 1 -i 0 --csv -f - 2>/dev/null | cut -d, -f1,3,5"
	assert_success
	assert_output "target,method,received
127.0.0.2:8080,tcp,1
http://127.0.0.2:8080/,http_dns,1
http://127.0.0.2:8080/,http_connect,1
http://127.0.0.2:8080/,http_ttfb,1
http://127.0.0.2:8080/,http_total,1"
}

@test "probe: --bandwidth runs iperf3 against a loopback server and reports its numbers" {
	require_sandbox
	require_cmd iperf3
	run in_probe_sandbox "probe_iperf3_server 5299;
		nettune-probe --bandwidth 127.0.0.1:5299 --duration 1 --json >'$OUT'"
	assert_success
	run python3 - "$OUT" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["bandwidth"]
assert list(b) == ["target", "host", "port", "duration_s", "reverse", "sender_bps", "receiver_bps",
                   "retransmits", "error"], list(b)
assert b["target"] == "127.0.0.1:5299" and b["port"] == 5299 and b["duration_s"] == 1
# a figure, not a speed claim (bench/probe-accuracy reports the rate)
assert b["sender_bps"] > 0 and b["receiver_bps"] > 0, b
assert isinstance(b["retransmits"], int) and b["error"] is None, b
print("ok")
PY
	assert_output ok
}

@test "probe: --bandwidth reports iperf3's own error when no server listens" {
	require_sandbox
	require_cmd iperf3
	run in_probe_sandbox "nettune-probe --bandwidth 127.0.0.1:5298 --duration 1 -W 500ms"
	assert_failure 1
	assert_line --regexp '^BANDWIDTH 127\.0\.0\.1:5298: iperf3: unable to connect to server.*[Cc]onnection refused'
}

# ---- HTTPS --------------------------------------------------------------

# the CA and the four servers of the HTTPS tests, inside the sandbox
HTTPS_PEERS="echo '127.0.0.2 tls.probe.test' >>/etc/hosts; probe_tls_ca \"\$PROBE_TMP/ca\";
	probe_https 127.0.0.2 8443 good 0; probe_https 127.0.0.2 8444 wrongname 0;
	probe_https 127.0.0.2 8445 expired 0; probe_https 127.0.0.2 8446 selfsigned 0"

@test "probe: https verified against --cacert: dns <= connect <= tls <= ttfb <= total in every figure" {
	require_sandbox
	require_cmd openssl
	run in_probe_sandbox "$HTTPS_PEERS;
		nettune-probe -c 3 -i 0 --json --cacert \"\$PROBE_TMP/ca/ca.pem\" https://tls.probe.test:8443/ https://127.0.0.2:8443/health >'$OUT'"
	assert_success
	run python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tls_verify"] is True and d["failed_targets"] == 0, d
for t in d["targets"]:
    rows = {r["method"]: r for r in t["results"]}
    assert list(rows) == ["http_dns", "http_connect", "http_tls", "http_ttfb", "http_total"], list(rows)
    assert t["port"] == 8443 and t["ok"] is True, t
    for r in rows.values():
        assert r["received"] == 3 and r["error"] is None, r
    assert rows["http_total"]["http_status"] == 200
    for k in ("min_ms", "median_ms", "max_ms"):
        v = [rows["http_" + p][k] for p in ("dns", "connect", "tls", "ttfb", "total")]
        assert v == sorted(v) and v[0] >= 0, (k, v)
print("ok")
PY
	assert_output ok
}

@test "probe: wrong name, expired, self-signed and unknown CA fail with the reason, exit 1; --insecure passes and says so" {
	require_sandbox
	require_cmd openssl
	run in_probe_sandbox "$HTTPS_PEERS;
		ca=\"\$PROBE_TMP/ca/ca.pem\";
		for p in 8444 8445 8446; do
			nettune-probe -c 1 --cacert \"\$ca\" https://tls.probe.test:\$p/ 2>&1 && exit 9; echo \"rc=\$?\"
		done
		nettune-probe -c 1 https://tls.probe.test:8443/ 2>&1 && exit 9; echo \"rc=\$?\"
		nettune-probe -c 1 -k https://tls.probe.test:8446/ 2>&1; echo \"rc=\$?\""
	assert_success
	assert_line "nettune-probe: https://tls.probe.test:8444/: certificate verify failed: hostname mismatch"
	assert_line "nettune-probe: https://tls.probe.test:8445/: certificate verify failed: certificate has expired"
	assert_line "nettune-probe: https://tls.probe.test:8446/: certificate verify failed: self-signed certificate"
	assert_line "nettune-probe: https://tls.probe.test:8443/: certificate verify failed: unable to get local issuer certificate"
	assert_line --regexp '^https://tls\.probe\.test:8444/ +127\.0\.0\.2 +http_tls +1 +0 +100\.0% +- +- +- +- +certificate verify failed: hostname mismatch$'
	assert_line --regexp '^https://tls\.probe\.test:8446/ +127\.0\.0\.2 +http_tls +1 +1 +0\.0% .* certificate NOT verified \(--insecure\)$'
	assert_line --regexp '^https://tls\.probe\.test:8446/ +127\.0\.0\.2 +http_total +1 +1 +0\.0% .* HTTP 200$'
	assert_line "nettune-probe: --insecure: https certificates are not verified"
	[ "$(printf '%s\n' "$output" | grep -c '^rc=1$')" -eq 4 ]
	assert_line --index "$((${#lines[@]} - 1))" "rc=0"
}

@test "probe: a TLS handshake with a server that is not TLS fails with the reason, never hangs or crashes" {
	require_sandbox
	require_probe_fixtures
	require_cmd socat
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0;
		probe_bg plain socat TCP-LISTEN:8090,bind=127.0.0.2,reuseaddr,fork SYSTEM:'printf \"HTTP/1.1 400 Bad Request\\r\\n\\r\\n\"';
		for _ in \$(seq 200); do ss -ltn 'sport = :8090' | grep -q LISTEN && break; sleep 0.05; done
		nettune-probe -c 2 -W 1s -k --json https://127.0.0.2:8080/ https://127.0.0.2:8090/ >'$OUT'"
	assert_failure 1
	# a server that says nothing: the handshake ends at -W
	assert_equal "$(result "$OUT" https://127.0.0.2:8080/ http_tls error)" "TLS handshake timed out"
	assert_equal "$(result "$OUT" https://127.0.0.2:8080/ http_connect received)" 2
	# a server that answers in plain HTTP: OpenSSL's reason
	run result "$OUT" https://127.0.0.2:8090/ http_tls error
	assert_output --regexp '^TLS handshake failed: [a-z]'
	assert_equal "$(result "$OUT" https://127.0.0.2:8090/ http_ttfb received)" 0
}

@test "probe: https phases through the 20 ms delay line: connect >= 1 RTT, tls >= 2, ttfb >= 3 (TLS 1.3)" {
	require_sandbox
	require_probe_fixtures
	require_cmd openssl
	run in_probe_sandbox "probe_tls_ca \"\$PROBE_TMP/ca\"; probe_delay_line 20; probe_https 10.200.9.2 8443 good 0 probe-peer;
		nettune-probe -c 3 -i 0 --json --cacert \"\$PROBE_TMP/ca/ca.pem\" https://10.200.9.2:8443/ >'$OUT'"
	assert_success
	u=https://10.200.9.2:8443/
	ge "$(result "$OUT" $u http_connect min_ms)" 40
	ge "$(result "$OUT" $u http_tls min_ms)" 80
	ge "$(result "$OUT" $u http_ttfb min_ms)" 120
	ge "$(result "$OUT" $u http_total min_ms)" "$(result "$OUT" $u http_ttfb min_ms)"
	# an address literal: verified against the certificate's IP SANs, no SNI
	assert_equal "$(result "$OUT" $u http_tls error)" None
}

# ---- parallel targets and metrics ----------------------------------------

@test "probe: 20 targets behind a 100 ms round trip take < 2x one target; output in the order given" {
	require_sandbox
	require_probe_fixtures
	run in_probe_sandbox "probe_delay_line 50; probe_httpd 10.200.9.2 8080 0 probe-peer;
		for i in \$(seq 20); do echo \"10.200.9.2 p\$i.probe.test\" >>/etc/hosts; done
		s=\$(date +%s%N); nettune-probe -c 3 -i 0 -m tcp p1.probe.test:8080 >/dev/null; e=\$(date +%s%N)
		echo one=\$(( (e - s) / 1000000 ))
		s=\$(date +%s%N); nettune-probe -c 3 -i 0 --csv \$(for i in \$(seq 20); do echo p\$i.probe.test:8080; done) >'$OUT'; e=\$(date +%s%N)
		echo twenty=\$(( (e - s) / 1000000 ))
		s=\$(date +%s%N); nettune-probe -c 1 -i 0 -P 1 -m tcp p1.probe.test:8080 p2.probe.test:8080 p3.probe.test:8080 >/dev/null; e=\$(date +%s%N)
		echo serial3=\$(( (e - s) / 1000000 ))"
	assert_success
	one=$(printf '%s\n' "$output" | sed -n 's/^one=//p')
	twenty=$(printf '%s\n' "$output" | sed -n 's/^twenty=//p')
	serial3=$(printf '%s\n' "$output" | sed -n 's/^serial3=//p')
	# 3 probes of >= 100 ms each
	[ "$one" -ge 300 ]
	# one after another, 20 targets x 3 probes would take >= 6000 ms. The
	# bound the issue states is < 2x one target; bench/probe-accuracy measures
	# the ratio: 1.05x idle, at most 1.16x under stress-ng, far from 2x.
	[ "$twenty" -lt $((2 * one)) ] || fail "20 targets took ${twenty} ms, one took ${one} ms"
	# -P 1 is one target after another: 3 targets x 1 probe >= 3 round trips
	[ "$serial3" -ge 300 ]
	run cut -d, -f1,5 "$OUT"
	expected="target,received"
	for i in $(seq 20); do expected+=$'\n'"p$i.probe.test:8080,3"; done
	assert_output "$expected"
}

@test "probe: --prom writes per target, method and phase families that promtool accepts" {
	require_sandbox
	require_probe_fixtures
	load prom-helpers
	require_promtool
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0;
		nettune-probe -c 2 -i 0 -m tcp,http --prom '$OUT.prom' 127.0.0.2:8080 http://127.0.0.2:8080/ 127.0.0.2:8081 'http://127.0.0.2:8080/x\"y' >/dev/null 2>&1 && exit 9;
		echo rc=\$?"
	assert_output rc=1
	prom_check "$OUT.prom"
	run grep -c '^# HELP' "$OUT.prom"
	assert_output 8
	run grep -c '^# TYPE' "$OUT.prom"
	assert_output 8
	run cat "$OUT.prom"
	assert_line 'tunekit_probe_success{target="127.0.0.2:8080",method="tcp"} 1'
	assert_line 'tunekit_probe_success{target="127.0.0.2:8081",method="tcp"} 0'
	assert_line 'tunekit_probe_loss_ratio{target="127.0.0.2:8081",method="tcp"} 1'
	assert_line 'tunekit_probe_sent_probes{target="http://127.0.0.2:8080/",method="http"} 2'
	assert_line 'tunekit_probe_success{target="http://127.0.0.2:8080/x\"y",method="http"} 1'
	assert_line 'tunekit_probe_median_seconds{target="127.0.0.2:8081",method="tcp",phase="connect"} NaN'
	assert_line --regexp '^tunekit_probe_p95_seconds\{target="http://127\.0\.0\.2:8080/",method="http",phase="ttfb"\} [0-9.e-]+$'
	for ph in dns connect ttfb total; do
		assert_line --regexp "^tunekit_probe_max_seconds\{target=\"http://127\.0\.0\.2:8080/\",method=\"http\",phase=\"$ph\"\} "
	done
	# the file is replaced whole and readable by the exporter
	[ "$(stat -c %a "$OUT.prom")" = 644 ]
	# --prom - prints the metrics instead of the table
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0; nettune-probe -c 1 --prom - 127.0.0.2:8080"
	assert_success
	assert_line --index 0 '# HELP tunekit_probe_min_seconds fastest probe of the phase, from the start of the probe'
	refute_line --partial TARGET
}

@test "probe: the contrib timer's command line writes a metrics file promtool accepts, and its timer fires every minute" {
	require_sandbox
	require_probe_fixtures
	load prom-helpers
	require_promtool
	svc=$TUNEKIT_SRCDIR/contrib/systemd/nettune-probe-prom.service
	grep -qx 'OnCalendar=minutely' "$TUNEKIT_SRCDIR/contrib/systemd/nettune-probe-prom.timer"
	grep -qx 'SuccessExitStatus=1' "$svc"
	grep -qx 'StandardOutput=null' "$svc"
	cmd=$(sed -n 's/^ExecStart=//p' "$svc")
	[[ $cmd == /usr/bin/nettune-probe\ * ]]
	cmd=${cmd#/usr/bin/nettune-probe }
	cmd=${cmd//\/etc\/tunekit\/probe-targets/$BATS_TEST_TMPDIR/targets}
	cmd=${cmd//\/var\/lib\/prometheus\/node-exporter\/nettune-probe.prom/$OUT.prom}
	printf '127.0.0.2:8080\nhttp://127.0.0.2:8080/\n' >"$BATS_TEST_TMPDIR/targets"
	run in_probe_sandbox "probe_httpd 127.0.0.2 8080 0; nettune-probe ${cmd//--interval 1s/--interval 10ms}"
	assert_success
	prom_check "$OUT.prom"
	run grep -c '^tunekit_probe_success{.*} 1$' "$OUT.prom"
	assert_output 2
	# the example unit is sandboxed like the check unit; systemd-analyze
	# verifies it and scores it (6.6 before it was hardened)
	require_cmd systemd-analyze
	mkdir -p "$BATS_TEST_TMPDIR/units"
	sed "s|^ExecStart=/usr/bin/nettune-probe|ExecStart=$TUNEKIT_BUILDDIR/nettune-probe|" "$svc" \
		>"$BATS_TEST_TMPDIR/units/nettune-probe-prom.service"
	cp "$TUNEKIT_SRCDIR/contrib/systemd/nettune-probe-prom.timer" "$BATS_TEST_TMPDIR/units/"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/units/nettune-probe-prom.service" \
		"$BATS_TEST_TMPDIR/units/nettune-probe-prom.timer"
	assert_success
	refute_output --partial nettune-probe-prom
	run systemd-analyze security --offline=true --no-pager "$BATS_TEST_TMPDIR/units/nettune-probe-prom.service"
	assert_success
	score=$(printf '%s\n' "$output" | sed -n 's/.*Overall exposure level for nettune-probe-prom.service: \([0-9.]*\) .*/\1/p')
	[ -n "$score" ] || fail "no exposure level in: $output"
	awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure $score > 2.0"
}
