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
