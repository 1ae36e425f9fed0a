#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# nettune-probe HTTPS: what the phases include (man nettune-probe, HTTP
# phases), against the python3 ssl server of probe-helpers on 127.0.0.2.

load helpers
load probe-helpers

setup() {
	OUT="$BATS_TEST_TMPDIR/out"
}

# The TLS context and its CA store are set up once, before the first probe:
# loading a CA bundle is the client's cost, not the server's, and must not
# appear in http_tls (a one-shot curl's time_appconnect includes it). The
# bundle's load time is measured here as the run's extra wall time, so the
# bound scales with the machine's speed and load: loaded once, the extra is
# one load and the handshakes carry none of it; loaded per probe, the extra
# is two loads and each handshake carries one.
@test "probe-https: a 3000-certificate --cacert bundle is loaded before the clock: http_tls holds none of its load time" {
	require_sandbox
	require_cmd openssl
	run in_probe_sandbox "echo '127.0.0.2 tls.probe.test' >>/etc/hosts; probe_tls_ca \"\$PROBE_TMP/ca\";
		probe_https 127.0.0.2 8443 good 0; ca=\"\$PROBE_TMP/ca/ca.pem\"; big=\"\$PROBE_TMP/big.pem\"
		for i in \$(seq 3000); do cat \"\$ca\"; done >\"\$big\"
		t0=\$(date +%s%N); nettune-probe -c 2 -i 0 --json --cacert \"\$ca\" https://tls.probe.test:8443/ >'$OUT.small' || exit 1
		t1=\$(date +%s%N); nettune-probe -c 2 -i 0 --json --cacert \"\$big\" https://tls.probe.test:8443/ >'$OUT' || exit 1
		t2=\$(date +%s%N); echo \$(( (t2 - t1 - (t1 - t0)) / 1000000 )) >'$OUT.load'"
	assert_success
	[ "$(cat "$OUT.load")" -ge 100 ] || skip "the 3000-certificate bundle loaded in $(cat "$OUT.load") ms: too fast to tell on this machine"
	run python3 - "$OUT.small" "$OUT" "$(cat "$OUT.load")" <<'PY'
import json, sys
def rows(path):
    return {r["method"]: r for r in json.load(open(path))["targets"][0]["results"]}
small, big, load_ms = rows(sys.argv[1]), rows(sys.argv[2]), int(sys.argv[3])
for r in (small, big):
    assert r["http_tls"]["received"] == 2 and r["http_total"]["http_status"] == 200, r
# the bundle costs the run real time (once: the run's extra wall time) ...
# ... and no handshake carries it (loaded per probe, each would add all of it)
extra = big["http_tls"]["median_ms"] - small["http_tls"]["median_ms"]
assert extra < load_ms / 4, (extra, load_ms, small["http_tls"], big["http_tls"])
print("ok")
PY
	assert_output ok
}
