#!/usr/bin/env bats
# tunekit-compare (nettune compare): two saved reports with known numbers.

load helpers

B=$TUNEKIT_SRCDIR/tests/data/report-before.json
A=$TUNEKIT_SRCDIR/tests/data/report-after.json

@test "compare: matches rows by target and method even when the order differs" {
	run tunekit-compare "$B" "$A"
	assert_success
	assert_line --regexp '^probe targets 127\.0\.0\.1:80 tcp median_ms +2\.000 +1\.000 +-1\.000 +-50\.0% +better$'
	assert_line --regexp '^probe targets http://127\.0\.0\.2:8080/ http median_ms +10\.000 +7\.500 +-2\.500 +-25\.0% +better$'
	assert_line --regexp '^probe targets http://127\.0\.0\.2:8080/ http p95_ms +20\.000 +25\.000 +\+5\.000 +\+25\.0% +worse$'
}

@test "compare: loss falling is better, throughput rising is better, 1% is the same" {
	run tunekit-compare "$B" "$A"
	assert_line --regexp '^probe targets http://127\.0\.0\.2:8080/ http loss_pct +10\.000 +0\.000 .* better$'
	assert_line --regexp '^bandwidth bits_per_second +900000000\.000 +940000000\.000 .* better$'
	assert_line --regexp '^dns servers 127\.0\.0\.53:5353 median_ms +5\.000 +5\.050 .* same$'
}

@test "compare: --json gives rows with before, after, delta and verdict" {
	run tunekit-compare --json "$B" "$A"
	assert_success
	python3 - "$output" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
rows = {(r["label"], r["metric"]): r for r in d["rows"]}
r = rows[("probe targets 127.0.0.1:80 tcp", "median_ms")]
assert r["before"] == 2.0 and r["after"] == 1.0 and r["delta"] == -1.0 and r["delta_pct"] == -50.0, r
assert r["verdict"] == "better", r
assert "min_ms" not in [m for (_, m) in rows], "min is not compared"
PY
}

@test "compare: a broken report is exit 2 naming the file" {
	printf '{"probe": [1, 2' > "$BATS_TEST_TMPDIR/broken.json"
	run tunekit-compare "$B" "$BATS_TEST_TMPDIR/broken.json"
	assert_failure 2
	assert_output --partial "broken.json: not a JSON report"
	run tunekit-compare "$B"
	assert_failure 2
}

# --- hostile reports ------------------------------------------------------------

# run_bounded LIMIT_KB CMD...: run CMD under timeout and ulimit -v, through
# /usr/bin/time when there; sets rss_kb (empty when it cannot be measured).
# A sanitizer build reserves terabytes of shadow memory and inflates RSS: there
# only the time bound applies.
run_bounded() {
	local limit_kb=$1 bin
	shift
	rss_kb=''
	bin=$(command -v "$1")
	if grep -qa __asan_init "$bin"; then
		run timeout 60 "$@"
	elif [ -x /usr/bin/time ]; then
		run bash -c 'ulimit -v "$1"; shift; exec timeout 20 /usr/bin/time -f "rss_kb=%M" -o "$BATS_TEST_TMPDIR/time" "$@"' \
			_ "$limit_kb" "$@"
		rss_kb=$(sed -n 's/^rss_kb=//p' "$BATS_TEST_TMPDIR/time")
	else
		run bash -c 'ulimit -v "$1"; shift; exec timeout 20 "$@"' _ "$limit_kb" "$@"
	fi
}

# assert_rss_small FILE...: peak RSS under 10 times the reports' size + 8 MiB
assert_rss_small() {
	[ -n "$rss_kb" ] || return 0
	local bytes
	bytes=$(cat "$@" | wc -c)
	[ "$rss_kb" -lt $((bytes * 10 / 1024 + 8192)) ] || fail "peak RSS ${rss_kb} KiB for $bytes bytes of reports"
}

@test "compare: escape sequences in a report never reach the terminal" {
	require_cmd python3
	r=$BATS_TEST_TMPDIR/esc.json
	python3 - "$r" <<'PY'
import json, sys
evil = "\x1b[2J\x1b]0;pwned\x07\x1b[31mred\u009b1m\u009b\x7f\r\nnext\tcol\\"
json.dump({"probe": {"targets": [{"target": evil, "method": "tcp\x1bP", "median_ms": 1.0,
                                  "p95\x1b[5m_ms": 2.0}]},
           "dns\x07": {"median_ms": 3.0}}, open(sys.argv[1], "w"))
PY
	run tunekit-compare "$r" "$r"
	assert_success
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/out"
	run python3 - "$BATS_TEST_TMPDIR/out" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
bad = sorted({c for c in b if (c < 0x20 and c not in (9, 10)) or c == 0x7f})
c1 = "\x9b" in b.decode("utf-8", "replace")
print("bad bytes:", bad, "C1:", c1)
PY
	assert_output "bad bytes: [] C1: False"
	run tunekit-compare "$r" "$r"
	assert_line --partial 'probe targets \x1b[2J\x1b]0;pwned\x07\x1b[31mred\u009b1m\u009b\x7f\r\nnext\tcol\\ tcp\x1bP median_ms'
	assert_line --partial 'dns\x07 median_ms'
	run tunekit-compare --json "$r" "$r"
	assert_success
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/out"
	run python3 - "$BATS_TEST_TMPDIR/out" <<'PY'
import json, sys
b = open(sys.argv[1], "rb").read()
assert not [c for c in b if c < 0x20 and c != 10], "raw control bytes in JSON"
rows = json.loads(b)["rows"]
print(sorted(r["metric"] for r in rows))
PY
	assert_output "['median_ms', 'median_ms', 'p95\x1b[5m_ms']"
}

@test "compare: 100,000 short strings: small memory, quick (ulimit -v, timeout)" {
	require_cmd python3
	r=$BATS_TEST_TMPDIR/strings.json
	python3 -c '
import sys
sys.stdout.write("{\"probe\":{\"median_ms\":1,\"targets\":[" + ",".join(["\"a\""] * 100000) + "]}}")' >"$r"
	run_bounded 204800 tunekit-compare "$r" "$r"
	assert_success
	assert_line --regexp '^probe median_ms +1\.000 +1\.000 '
	assert_rss_small "$r" "$r"
}

@test "compare: 10,000 rows match by hash: small memory, quick" {
	require_cmd python3
	b=$BATS_TEST_TMPDIR/rows-b.json a=$BATS_TEST_TMPDIR/rows-a.json
	python3 - "$b" "$a" <<'PY'
import json, sys
n = 10000
json.dump({"probe": {"targets": [{"target": "h%d" % i, "median_ms": 1.0} for i in range(n)]}}, open(sys.argv[1], "w"))
json.dump({"probe": {"targets": [{"target": "h%d" % i, "median_ms": 2.0} for i in reversed(range(n))]}}, open(sys.argv[2], "w"))
PY
	run_bounded 204800 tunekit-compare "$b" "$a"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | grep -c ' worse$')" 10000
	assert_line --regexp '^probe targets h9999 median_ms +1\.000 +2\.000 '
	assert_rss_small "$b" "$a"
}

@test "compare: a report over 4 MiB is refused, exit 2 naming the file" {
	r=$BATS_TEST_TMPDIR/huge.json
	{ printf '{"median_ms":1,"pad":"'; head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' a; printf '"}'; } >"$r"
	run tunekit-compare "$B" "$r"
	assert_failure 2
	assert_output "tunekit-compare: $r: not a report: larger than 4 MiB"
}
