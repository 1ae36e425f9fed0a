#!/usr/bin/env bats
# Metrics files against their real consumers: promtool (check metrics) and
# node_exporter 1.5's textfile collector. lib/prom writes them, tunekit-metrics
# merges the tools' fragments and lints.

load helpers
load tuners-helpers
load prom-helpers

OLD=$TUNEKIT_SRCDIR/tests/data/prom/old-nettune-check.prom

setup() {
	tuners_fake "$BATS_TEST_TMPDIR"
	D=$BATS_TEST_TMPDIR/textfile
	mkdir -p "$D"
}

teardown() {
	if [ -n "${STICKY:-}" ]; then
		rm -rf "$STICKY"
	fi
}

# fragments DIR: what each tuner's `check --prom` writes (the real writers)
fragments() {
	nettune-buffers check --rate 1gbit --rtt 20ms --prom "$1/buffers.prom" >/dev/null 2>&1 || true
	nettune-cc check --prom "$1/cc.prom" >/dev/null 2>&1 || true
	nettune-queues check --interval 0 --prom "$1/queues.prom" >/dev/null 2>&1 || true
}

@test "consumers: the old interleaved nettune check output is rejected by promtool and node_exporter" {
	require_promtool
	require_node_exporter
	run prom_check "$OLD"
	assert_failure
	assert_output --partial 'second HELP line for metric name "tunekit_tuner_key_ok"'
	cp "$OLD" "$D/tunekit.prom"
	run node_exporter_scrape "$D"
	assert_success
	assert_line 'node_textfile_scrape_error 1'
	refute_line --regexp '^tunekit_'
	# our own lint says why, with the line numbers
	run tunekit-metrics check "$OLD"
	assert_failure 3
	assert_line "$OLD:13: second HELP line for tunekit_tuner_key_ok (first at line 3)"
	assert_line "$OLD:15: samples of tunekit_tuner_key_ok are not grouped (also at line 9)"
}

@test "consumers: the tuners' fragments, merged, are accepted by both with the right values" {
	require_promtool
	require_node_exporter
	fragments "$BATS_TEST_TMPDIR"
	for f in buffers cc queues; do
		run prom_check "$BATS_TEST_TMPDIR/$f.prom"
		assert_success
	done
	# the old way (cat) is what both consumers refuse
	cat "$BATS_TEST_TMPDIR"/{buffers,cc,queues}.prom >"$BATS_TEST_TMPDIR/cat.prom"
	run prom_check "$BATS_TEST_TMPDIR/cat.prom"
	assert_failure
	t0=$(date +%s)
	run tunekit-metrics merge -o "$D/tunekit.prom" --build-info --success 0 --timestamp \
		"$BATS_TEST_TMPDIR"/{buffers,cc,queues}.prom
	assert_success
	assert_output ''
	t1=$(date +%s)
	run prom_check "$D/tunekit.prom"
	assert_success
	run grep -c '^# HELP tunekit_tuner_key_ok ' "$D/tunekit.prom"
	assert_output 1
	run tunekit-metrics check "$D/tunekit.prom"
	assert_success
	assert_output ''

	run node_exporter_scrape "$D"
	assert_success
	scrape=$output
	assert_line 'node_textfile_scrape_error 0'
	run node_exporter_value "$scrape" 'tunekit_tuner_drift_keys{tool="nettune-cc"}'
	assert_output 4
	run node_exporter_value "$scrape" 'tunekit_tuner_drift_keys{tool="nettune-queues"}'
	assert_output 0
	run node_exporter_value "$scrape" 'tunekit_tuner_key_ok{key="net.ipv4.tcp_window_scaling",tool="nettune-cc"}'
	assert_output 1
	run node_exporter_value "$scrape" 'tunekit_tuner_key_ok{key="net.core.rmem_max",tool="nettune-buffers"}'
	assert_output 0
	run node_exporter_value "$scrape" 'tunekit_check_success'
	assert_output 0
	version=$(tunekit-metrics --version | awk '{print $NF}')
	run node_exporter_value "$scrape" "tunekit_build_info{version=\"$version\"}"
	assert_output 1
	ts=$(node_exporter_value "$scrape" tunekit_check_timestamp_seconds)
	# node_exporter prints large floats with an exponent; compare as numbers
	run awk -v ts="$ts" -v a="$t0" -v b="$t1" 'BEGIN { exit !(ts + 0 >= a && ts + 0 <= b + 1) }'
	assert_success
	[ "$(grep -c '^tunekit_tuner_key_ok{' <<<"$scrape")" -eq 10 ]
}

@test "merge: repairs the old concatenated output into one both consumers accept" {
	require_promtool
	require_node_exporter
	run tunekit-metrics merge -o "$D/tunekit.prom" "$OLD"
	assert_success
	run prom_check "$D/tunekit.prom"
	assert_success
	run node_exporter_scrape "$D"
	assert_line 'node_textfile_scrape_error 0'
	assert_line 'tunekit_tuner_drift_keys{tool="nettune-buffers"} 4'
	# -v says what it repaired
	run --separate-stderr tunekit-metrics merge -v "$OLD"
	assert_success
	[[ "$stderr" == *"$OLD:13: second HELP line for tunekit_tuner_key_ok (first at line 3) (repaired)"* ]]
}

@test "writer: escaped label values, NaN and infinities reach node_exporter intact" {
	require_promtool
	require_node_exporter
	run tunekit-metrics merge -o "$D/odd.prom" --add $'# HELP tunekit_odd_ratio Odd values.\n# TYPE tunekit_odd_ratio gauge' \
		--add 'tunekit_odd_ratio{path="C:\\dir \"q\"\nx"} NaN' \
		--add 'tunekit_odd_ratio{path="up"} +Inf' --add 'tunekit_odd_ratio{path="down"} -inf' \
		--add 'tunekit_odd_ratio{path="big"} 1e17' --add 'tunekit_odd_ratio{path="third"} 0.3333333333333333'
	assert_success
	run cat "$D/odd.prom"
	assert_line 'tunekit_odd_ratio{path="C:\\dir \"q\"\nx"} NaN'
	assert_line 'tunekit_odd_ratio{path="down"} -Inf'
	assert_line 'tunekit_odd_ratio{path="big"} 100000000000000000'
	run prom_check "$D/odd.prom"
	assert_success
	run node_exporter_scrape "$D"
	assert_line 'node_textfile_scrape_error 0'
	assert_line 'tunekit_odd_ratio{path="C:\\dir \"q\"\nx"} NaN'
	assert_line 'tunekit_odd_ratio{path="up"} +Inf'
	assert_line 'tunekit_odd_ratio{path="big"} 1e+17'
}

@test "merge: a TYPE conflict, a duplicate series, a timestamp or a missing input is exit 2 and OUT stays" {
	echo 'previous' >"$D/tunekit.prom"
	printf '# HELP tunekit_a x\n# TYPE tunekit_a gauge\ntunekit_a{k="1"} 1\n' >"$BATS_TEST_TMPDIR/a.prom"
	printf '# HELP tunekit_b x\n# TYPE tunekit_b gauge\ntunekit_b 1\n# HELP tunekit_a x\n# TYPE tunekit_a untyped\n' \
		>"$BATS_TEST_TMPDIR/b.prom"
	run tunekit-metrics merge -o "$D/tunekit.prom" "$BATS_TEST_TMPDIR/a.prom" "$BATS_TEST_TMPDIR/b.prom"
	assert_failure 2
	assert_output "tunekit-metrics: $BATS_TEST_TMPDIR/b.prom:5: TYPE untyped for tunekit_a conflicts with TYPE gauge at $BATS_TEST_TMPDIR/a.prom:2"
	printf '\ntunekit_a{k="1"} 2\n' >"$BATS_TEST_TMPDIR/c.prom"
	run tunekit-metrics merge -o "$D/tunekit.prom" "$BATS_TEST_TMPDIR/a.prom" "$BATS_TEST_TMPDIR/c.prom"
	assert_failure 2
	assert_output --partial "c.prom:2: duplicate series tunekit_a"
	run tunekit-metrics merge -o "$D/tunekit.prom" "$BATS_TEST_TMPDIR/a.prom" --add 'tunekit_a{k="1"} 3'
	assert_failure 2
	assert_output --partial -- "--add:1: duplicate series tunekit_a"
	printf 'tunekit_t 1 1764633600000\n' >"$BATS_TEST_TMPDIR/t.prom"
	run tunekit-metrics merge -o "$D/tunekit.prom" "$BATS_TEST_TMPDIR/t.prom"
	assert_failure 2
	assert_output --partial "t.prom:1: sample with a timestamp (node_exporter's textfile collector refuses them)"
	run tunekit-metrics merge -o "$D/tunekit.prom" "$BATS_TEST_TMPDIR/nonexistent.prom"
	assert_failure 2
	assert_output --partial "nonexistent.prom: No such file or directory"
	run tunekit-metrics merge -o "$D/tunekit.prom" --success 2
	assert_failure 2
	assert_output --partial "invalid --success argument '2': takes 0 or 1"
	run tunekit-metrics merge --timestamp=yesterday
	assert_failure 2
	assert_output --partial "invalid --timestamp argument 'yesterday': not a number"
	run tunekit-metrics merge --timestamp=-5
	assert_failure 2
	assert_output --partial "invalid --timestamp argument '-5'"
	run tunekit-metrics frob
	assert_failure 2
	run cat "$D/tunekit.prom"
	assert_output 'previous'
	[ -z "$(find "$D" -name '.tunekit.prom.*')" ]
}

@test "node_exporter really refuses timestamps (why merge does)" {
	require_node_exporter
	printf '# HELP tunekit_t x\n# TYPE tunekit_t gauge\ntunekit_t 1 1764633600000\n' >"$D/t.prom"
	run node_exporter_scrape "$D"
	assert_line 'node_textfile_scrape_error 1'
	run tunekit-metrics check "$D/t.prom"
	assert_failure 3
	assert_output "$D/t.prom:3: sample with a timestamp (node_exporter's textfile collector refuses the file)"
}

@test "merge -o: atomic 0644 file, an existing stricter mode kept, stdout without -o" {
	umask 077
	run tunekit-metrics merge -o "$D/tunekit.prom" --success 1
	assert_success
	[ "$(stat -c %a "$D/tunekit.prom")" = 644 ]
	run cat "$D/tunekit.prom"
	assert_output $'# HELP tunekit_check_success 1 when every check ran to the end (drift or not), 0 when one could not run.\n# TYPE tunekit_check_success gauge\ntunekit_check_success 1'
	chmod 0600 "$D/tunekit.prom"
	run tunekit-metrics merge -o "$D/tunekit.prom" --success 0
	assert_success
	[ "$(stat -c %a "$D/tunekit.prom")" = 600 ]
	run tail -1 "$D/tunekit.prom"
	assert_output 'tunekit_check_success 0'
	run tunekit-metrics merge --success 1 - <<<'tunekit_check_success 0'
	assert_success
	assert_line 'tunekit_check_success 1'
	[ -z "$(find "$D" -name '.tunekit.prom.*')" ]
}

@test "merge -o as root in a sticky directory: a symlink or fifo planted by nobody is not followed or replaced" {
	require_root
	require_cmd setpriv
	STICKY=$(mktemp -d /tmp/tk-metrics.XXXXXX)
	chmod 1777 "$STICKY"
	echo 'secret' >"$BATS_TEST_TMPDIR/victim"
	chmod 0600 "$BATS_TEST_TMPDIR/victim"
	setpriv --reuid=nobody --regid=nogroup --clear-groups ln -s "$BATS_TEST_TMPDIR/victim" "$STICKY/tunekit.prom"
	run tunekit-metrics merge -o "$STICKY/tunekit.prom" --success 1
	assert_failure 1
	assert_output "tunekit-metrics: $STICKY/tunekit.prom: not a regular file: refusing to replace it"
	run cat "$BATS_TEST_TMPDIR/victim"
	assert_output 'secret'
	[ -L "$STICKY/tunekit.prom" ]
	setpriv --reuid=nobody --regid=nogroup --clear-groups mkfifo "$STICKY/fifo.prom"
	run timeout 10 tunekit-metrics merge -o "$STICKY/fifo.prom" --success 1
	assert_failure 1
	[ -p "$STICKY/fifo.prom" ]
	[ -z "$(find "$STICKY" -name '.*.prom.*')" ]
}

@test "check: a clean file passes, findings are FILE:LINE lines and exit 3" {
	printf '# HELP tunekit_ok_seconds x\n# TYPE tunekit_ok_seconds gauge\ntunekit_ok_seconds{a="b"} 1\n' >"$D/ok.prom"
	run tunekit-metrics check "$D/ok.prom"
	assert_success
	assert_output ''
	printf 'rtt_ms 1\n# HELP c x\n# TYPE c counter\nc 1\nbad{ 1\n' >"$D/bad.prom"
	run tunekit-metrics check "$D/bad.prom" "$D/ok.prom"
	assert_failure 3
	assert_output "$D/bad.prom:5: invalid label name"
	head -4 "$D/bad.prom" >"$D/lint.prom"
	run tunekit-metrics check "$D/lint.prom"
	assert_failure 3
	assert_line "$D/lint.prom:1: rtt_ms has no HELP line"
	assert_line "$D/lint.prom:1: rtt_ms: abbreviated unit in the name: spell out the base unit (seconds, bytes)"
	assert_line "$D/lint.prom:3: c: a counter's name ends in _total"
	printf '# HELP tunekit_x x\n# TYPE tunekit_x gauge\ntunekit_x 1' >"$D/noeol.prom"
	run tunekit-metrics check "$D/noeol.prom"
	assert_failure 3
	assert_output "$D/noeol.prom:3: the last line does not end with a newline"
	run tunekit-metrics check
	assert_failure 2
	run tunekit-metrics --help
	assert_success
	assert_output --partial 'merge [-o OUT]'
}

@test "check agrees with promtool on naming problems" {
	require_promtool
	printf '# HELP tunekit_rtt_ms x\n# TYPE tunekit_rtt_ms gauge\ntunekit_rtt_ms 1\n' >"$D/a.prom"
	printf '# HELP tunekit_requests x\n# TYPE tunekit_requests counter\ntunekit_requests 1\n' >"$D/b.prom"
	printf '# HELP tunekit_size_total x\n# TYPE tunekit_size_total gauge\ntunekit_size_total 1\n' >"$D/c.prom"
	printf '# HELP tunekit_rtt_milliseconds x\n# TYPE tunekit_rtt_milliseconds gauge\ntunekit_rtt_milliseconds 1\n' >"$D/d.prom"
	for f in a b c d; do
		run prom_check "$D/$f.prom"
		assert_failure
		run tunekit-metrics check "$D/$f.prom"
		assert_failure 3
	done
}
