#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# nettune optimize --verify: the closed loop in a lab whose effect is known.
# The client (the sandbox's namespace) downloads from httpd-delay behind the
# user-space delay relay (5 ms each way); the time of a 128 KiB download
# depends on the receiver's tcp_rmem: a window of a few KiB takes ~8x as
# long as the default (~60 ms vs ~500 ms here, idle or under stress-ng), so
# the verdicts hold under load.

load helpers
load probe-helpers

bats_require_minimum_version 1.5.0

setup() {
	require_sandbox
	require_probe_fixtures
}

# lab_setup: inside the sandbox, the delay line and its HTTP server, the
# lab's profiles dir ($PROBE_TMP/prof, the shipped profiles) and state().
LAB='
# peers that outlive a slow run under load (the default lifetime is 60 s)
PROBE_LIFETIME=600
probe_delay_line 5
probe_httpd 10.200.9.2 8080 0 probe-peer
URL=http://10.200.9.2:8080/len/131072
mkdir -p "$PROBE_TMP/prof"
cp "$TUNEKIT_PROFILES_DIR"/*.conf "$PROBE_TMP/prof/"
export TUNEKIT_PROFILES_DIR=$PROBE_TMP/prof
# state: every readable net sysctl and every file tunekit manages, except
# the snapshot store (the history grows by design)
state() {
	find /proc/sys/net -type f -perm -u+r -print0 | sort -z | xargs -0 grep -H "" 2>/dev/null |
		grep -v "^/proc/sys/net/ipv6/conf/[^/]*/stable_secret"
	find /etc/sysctl.d /var/lib/tunekit /etc/tunekit -path /var/lib/tunekit/snapshots -prune -o -print 2>/dev/null |
		sort | while read -r f; do
			stat -c "%n %a %u %F" "$f"
			[ ! -f "$f" ] || md5sum "$f"
		done
}
'

@test "verify: a worse candidate (receiver tcp_rmem far below the BDP) is restored, exit 1, host byte-identical" {
	run in_probe_sandbox "$LAB"'
		echo "sysctl.net.ipv4.tcp_rmem = 4096 4096 8192" >>"$PROBE_TMP/prof/latency.conf"
		state >"$PROBE_TMP/before"
		rc=0
		nettune optimize --verify -p latency --count 3 --save "$PROBE_TMP/r.json" "$URL" \
			>"$PROBE_TMP/out" 2>"$PROBE_TMP/err" || rc=$?
		echo "rc=$rc"
		state >"$PROBE_TMP/after"
		diff "$PROBE_TMP/before" "$PROBE_TMP/after" && echo "host identical"
		cat "$PROBE_TMP/out" "$PROBE_TMP/err"
		python3 -c "import json,sys; d=json.load(open(sys.argv[1])); v=d[\"verify\"]; print(\"report:\", v[\"verdict\"], v[\"action\"], v[\"baseline_rounds\"], v[\"candidate_rounds\"], len(d[\"rounds\"]), [r[\"side\"][0] for r in d[\"rounds\"]])" "$PROBE_TMP/r.json"
		nettune compare "$PROBE_TMP/r.json"
		test ! -e /var/lib/tunekit/profile && echo "no profile recorded"
		nettune check && echo "check: clean"'
	assert_success
	assert_line "rc=1"
	assert_line "host identical"
	assert_line --regexp '^latency +baseline median [0-9.]+ ms \(n=9\), candidate median [0-9.]+ ms \(n=9\)$'
	assert_line --regexp '^ +U [0-9.]+, z [0-9.]+, p [0-9.e-]+; shift \+[0-9.]+ ms .*: worse$'
	assert_line "verdict: worse: the start state comes back"
	assert_line "report: worse restore 3 3 6 ['b', 'c', 'b', 'c', 'b', 'c']"
	assert_line --regexp '^latency median_ms +[0-9.]+ +[0-9.]+ +\+[0-9.]+ +\+[0-9.]+% +worse$'
	assert_line "no profile recorded"
	assert_line "check: clean"
}

@test "verify: a better candidate (the reverse: tcp_rmem back to the BDP) is kept, exit 0, then restore gets back" {
	run in_probe_sandbox "$LAB"'
		echo "4096 4096 8192" >/proc/sys/net/ipv4/tcp_rmem
		state >"$PROBE_TMP/before"
		rc=0
		nettune optimize --verify -p latency --count 3 --keep-if better "$URL" \
			>"$PROBE_TMP/out" 2>"$PROBE_TMP/err" || rc=$?
		echo "rc=$rc"
		cat "$PROBE_TMP/out" "$PROBE_TMP/err"
		echo "rmem: $(tr "\t" " " </proc/sys/net/ipv4/tcp_rmem)"
		echo "recorded: $(cat /var/lib/tunekit/profile)"
		nettune check && echo "check: clean"
		nettune restore >/dev/null 2>&1 || echo "restore failed"
		state >"$PROBE_TMP/after"
		diff "$PROBE_TMP/before" "$PROBE_TMP/after" && echo "restore: host identical"'
	assert_success
	assert_line "rc=0"
	assert_line --regexp '^ +U [0-9.]+, z [0-9.-]+, p [0-9.e-]+; shift -[0-9.]+ ms .*: better$'
	assert_line "verdict: better: the candidate stays"
	# the profile's maximum (nettune-buffers keeps the default in the middle)
	assert_line --regexp '^rmem: 4096 [0-9]+ 8388608$'
	assert_line "recorded: latency"
	assert_line "check: clean"
	assert_line "restore: host identical"
}

@test "verify: a candidate with no effect on the path ends 'no measurable difference' and is kept (not-worse)" {
	# the latency profile changes tcp_rmem's maximum (still far above the
	# BDP), the sender's settings and idle behaviour: nothing this client's
	# downloads can see
	run in_probe_sandbox "$LAB"'
		rc=0
		nettune optimize --verify -p latency --count 3 --alpha 0.01 "$URL" \
			>"$PROBE_TMP/out" 2>"$PROBE_TMP/err" || rc=$?
		echo "rc=$rc"
		cat "$PROBE_TMP/out" "$PROBE_TMP/err"
		echo "recorded: $(cat /var/lib/tunekit/profile 2>/dev/null)"'
	assert_success
	assert_line "rc=0"
	assert_line --regexp '^verdict: (inconclusive, handled as )?no measurable difference: the candidate stays \(--keep-if not-worse\)$'
	assert_line "recorded: latency"
}

@test "verify: a target that answers nothing before the change is exit 2, nothing changed, no snapshot" {
	run in_probe_sandbox '
		probe_httpd 127.0.0.1 8080 0
		state_rmem=$(cat /proc/sys/net/ipv4/tcp_rmem)
		rc=0
		nettune optimize --verify -p latency --count 2 127.0.0.1:8080 127.0.0.1:9 \
			>"$PROBE_TMP/out" 2>"$PROBE_TMP/err" || rc=$?
		echo "rc=$rc"
		cat "$PROBE_TMP/err"
		[ "$(cat /proc/sys/net/ipv4/tcp_rmem)" = "$state_rmem" ] && echo "rmem unchanged"
		echo "snapshots: $(ls /var/lib/tunekit/snapshots 2>/dev/null | wc -l)"
		test ! -e /etc/sysctl.d/90-tunekit.conf && echo "nothing persisted"'
	assert_success
	assert_line "rc=2"
	assert_line --partial "127.0.0.1:9: no answer"
	assert_line --partial "refusing to verify against it; nothing changed"
	assert_line "rmem unchanged"
	assert_line "snapshots: 0"
	assert_line "nothing persisted"
}

@test "verify: bad settings are exit 2 before anything is measured or changed" {
	run in_probe_sandbox '
		for args in "--rounds 2" "--rounds x" "--count 0" "--keep-if maybe" "--alpha 0.5" "--alpha 0" \
			"--alpha .05x" "--max-duration 5q" "--max-duration 0" "--dns" "-n" "--json" ""; do
			rc=0
			# shellcheck disable=SC2086 # the cases are word lists
			nettune optimize --verify -p latency $args ${args:+127.0.0.1:1} >/dev/null 2>"$PROBE_TMP/err" || rc=$?
			echo "[$args] rc=$rc"
		done
		# and a valid run (the control: the same words, valid values)
		probe_httpd 127.0.0.1 8080 0
		rc=0; nettune optimize --verify -p latency --rounds 3 --count 1 --keep-if better --alpha 0.01 \
			--max-duration 5m 127.0.0.1:8080 >/dev/null 2>&1 || rc=$?; echo "[valid] rc=$rc"
		rc=0; nettune optimize -p latency --rounds 5 >/dev/null 2>&1 || rc=$?; echo "[rounds without verify] rc=$rc"
		rc=0; nettune optimize -p latency 127.0.0.1:1 >/dev/null 2>&1 || rc=$?; echo "[target without verify] rc=$rc"
		'
	assert_success
	for a in "--rounds 2" "--rounds x" "--count 0" "--keep-if maybe" "--alpha 0.5" "--alpha 0" "--alpha .05x" \
		"--max-duration 5q" "--max-duration 0" "--dns" "-n" "--json" "" "rounds without verify" "target without verify"; do
		assert_line "[$a] rc=2"
	done
	assert_line "[valid] rc=0"
}

@test "verify: --max-duration ends the run in the start state, exit 1" {
	run in_probe_sandbox "$LAB"'
		echo "sysctl.net.ipv4.tcp_rmem = 4096 4096 8192" >>"$PROBE_TMP/prof/latency.conf"
		state >"$PROBE_TMP/before"
		rc=0
		start=$(date +%s)
		nettune optimize --verify -p latency --count 20 --rounds 50 --max-duration 4 "$URL" \
			>"$PROBE_TMP/out" 2>"$PROBE_TMP/err" || rc=$?
		echo "rc=$rc took=$(($(date +%s) - start))"
		cat "$PROBE_TMP/err"
		state >"$PROBE_TMP/after"
		diff "$PROBE_TMP/before" "$PROBE_TMP/after" && echo "host identical"'
	assert_success
	assert_line --regexp '^rc=1 took=[4-9]$'
	assert_line --regexp 'verify: --max-duration reached .*; the host is in its start state$'
	assert_line "host identical"
}

@test "verify: killed at random points (10 SIGTERM, 10 SIGKILL): start or candidate state, check and the snapshots agree, restore gets back" {
	run in_probe_sandbox '
		# answers after 30 ms, so a round lasts and kills land inside rounds
		# too; alive for the whole test
		PROBE_LIFETIME=600 probe_httpd 127.0.0.1 8080 30
		URL=http://127.0.0.1:8080/
		K="tcp_rmem tcp_wmem tcp_mtu_probing tcp_notsent_lowat tcp_slow_start_after_idle tcp_fastopen"
		keys() { for k in $K; do printf "%s=%s;" "$k" "$(tr "\t" " " </proc/sys/net/ipv4/$k)"; done; }
		start=$(keys)
		# the candidate state, seen once
		nettune optimize -p latency >/dev/null 2>&1 || exit 9
		cand=$(keys)
		cand_conf=$(md5sum </etc/sysctl.d/90-tunekit.conf)
		nettune restore >/dev/null 2>&1 || exit 9
		[ "$(keys)" = "$start" ] && [ "$cand" != "$start" ] || exit 9
		# one whole run sets the range of the kill times (kills land anywhere in it)
		t0=$(date +%s%N)
		nettune optimize --verify -p latency --count 2 --keep-if better "$URL" >/dev/null 2>&1 || :
		run_ms=$((($(date +%s%N) - t0) / 1000000))
		nettune restore >/dev/null 2>&1 || :
		[ "$(keys)" = "$start" ] || exit 9
		echo "one run: $run_ms ms"
		seen_start=0 seen_cand=0
		for i in $(seq 20); do
			sig=TERM
			[ $((i % 2)) -eq 0 ] && sig=KILL
			delay=$(awk -v s="$RANDOM$i" -v ms="$run_ms" "BEGIN { srand(s); printf \"%.3f\", rand() * ms / 1000 }")
			# job control: the run is the leader of its own process group
			set -m
			nettune optimize --verify -p latency --count 2 "$URL" >/dev/null 2>&1 &
			pid=$!
			set +m
			sleep "$delay"
			kill -s "$sig" "$pid" 2>/dev/null || :
			krc=0
			wait "$pid" 2>/dev/null || krc=$?
			# a step the killed script had started (an apply, a restore) ends on its own
			for _ in $(seq 1200); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.05; done
			! kill -0 -- "-$pid" 2>/dev/null || echo "run $i: its processes did not end"
			now=$(keys) st=between
			if [ "$now" = "$start" ]; then
				st=start seen_start=$((seen_start + 1))
				[ ! -e /etc/sysctl.d/90-tunekit.conf ] || echo "run $i: start keys but a persisted file"
				[ ! -e /var/lib/tunekit/profile ] || echo "run $i: start keys but a recorded profile"
			elif [ "$now" = "$cand" ]; then
				st=candidate seen_cand=$((seen_cand + 1))
				[ "$(md5sum </etc/sysctl.d/90-tunekit.conf)" = "$cand_conf" ] || echo "run $i: candidate keys, another persisted file"
				[ "$(cat /var/lib/tunekit/profile 2>/dev/null || echo latency)" = latency ] || echo "run $i: candidate keys, another profile recorded"
			else
				echo "run $i: $sig after ${delay}s: IN BETWEEN: $now"
			fi
			rc=0; nettune check >"$PROBE_TMP/check" 2>&1 || rc=$?
			[ "$rc" -eq 0 ] || { echo "run $i: check disagrees with the $st state (exit $rc)"; cat "$PROBE_TMP/check"; }
			nettune-backup list --verify >/dev/null 2>&1 || echo "run $i: a snapshot does not verify"
			if [ "$st" = candidate ]; then
				# the undo step nettune-backup would take holds the start state
				nettune restore >/dev/null 2>&1 || echo "run $i: restore failed"
			else
				nettune restore >/dev/null 2>"$PROBE_TMP/restore" ||
					grep -q "every change is undone already" "$PROBE_TMP/restore" || echo "run $i: restore failed"
			fi
			[ "$(keys)" = "$start" ] || echo "run $i: restore did not get back to the start"
			[ ! -e /etc/sysctl.d/90-tunekit.conf ] || echo "run $i: persisted file left after restore"
			# SIGTERM handled (exit 143): the way back always ends in the start state
			[ "$sig:$krc" != TERM:143 ] || [ "$st" = start ] || echo "run $i: SIGTERM handled, but the $st state"
			echo "run $i: $sig after ${delay}s: exit $krc, $st"
		done
		echo "seen: start $seen_start, candidate $seen_cand"'
	assert_success
	refute_line --partial "IN BETWEEN"
	refute_line --partial "disagrees"
	refute_line --partial "does not verify"
	refute_line --partial "restore failed"
	refute_line --partial "did not get back"
	refute_line --partial "persisted file"
	refute_line --partial "another profile"
	refute_line --partial "SIGTERM handled, but"
	refute_line --partial "did not end"
	refute_line --regexp 'exit 2, '
	# the kills landed inside runs: some were handled, some left a candidate
	assert_line --regexp '^run [0-9]+: TERM after [0-9.]+s: exit 143, start$'
	assert_line --regexp '^run [0-9]+: KILL after [0-9.]+s: exit 137, '
	assert_line --regexp '^run 20: KILL after'
}

# round FILE LATENCIES...: a round file as tunekit-verify measure writes it
round() {
	local f=$1
	shift
	printf '{"tunekit_verify_round":1,"targets":[],"latency_ms":[%s],"throughput_bps":[]}\n' "$(IFS=,; echo "$*")" >"$f"
}

@test "verify decide: the stated rule on crafted rounds (worse, better, same, inconclusive) and its exit codes" {
	local d=$BATS_TEST_TMPDIR V="$TUNEKIT_BUILDDIR/tunekit-verify"
	round "$d/b1" 10 11 12 10 11; round "$d/b2" 11 10 12 11 10; round "$d/b3" 10 12 11 10 11
	round "$d/c1" 20 21 22 20 21; round "$d/c2" 21 20 22 21 20; round "$d/c3" 20 22 21 20 21
	run "$V" decide baseline="$d/b1" candidate="$d/c1" baseline="$d/b2" candidate="$d/c2" baseline="$d/b3" candidate="$d/c3"
	assert_failure 1
	assert_line --regexp '^latency +baseline median 11\.000 ms \(n=15\), candidate median 21\.000 ms \(n=15\)$'
	assert_line --regexp 'shift \+10\.000 ms \(\+90\.9%\).*: worse$'
	run "$V" decide --keep-if better baseline="$d/c1" candidate="$d/b1" baseline="$d/c2" candidate="$d/b2" baseline="$d/c3" candidate="$d/b3"
	assert_success
	assert_line "verdict: better: the candidate stays"
	# the same values on both sides: no measurable difference; --keep-if decides what stays
	run "$V" decide baseline="$d/b1" candidate="$d/b2" baseline="$d/b2" candidate="$d/b3" baseline="$d/b3" candidate="$d/b1"
	assert_failure 3
	assert_line "verdict: no measurable difference: the candidate stays (--keep-if not-worse)"
	run "$V" decide --keep-if better baseline="$d/b1" candidate="$d/b2" baseline="$d/b2" candidate="$d/b3" baseline="$d/b3" candidate="$d/b1"
	assert_failure 3
	assert_line "verdict: no measurable difference: the start state comes back (--keep-if better)"
	# baseline rounds that drift (medians 10.45 ... 50.45 in steps of 10: one
	# round is up to 20 ms from the pooled median 30.45, while the test
	# resolves ~8 ms), the candidate 5 ms above each: not beyond the noise of
	# the start state alone -> inconclusive
	local args=() k v
	for k in 1 2 3 4 5; do
		v=$((k * 10))
		round "$d/n$k" $(for i in 0 1 2 3 4 5 6 7 8 9; do echo "$v.$i"; done)
		round "$d/m$k" $(for i in 0 1 2 3 4 5 6 7 8 9; do echo "$((v + 5)).$i"; done)
		args+=(baseline="$d/n$k" candidate="$d/m$k")
	done
	run "$V" decide --save "$d/r.json" "${args[@]}"
	assert_failure 3
	assert_line --partial "inconclusive: the noise between baseline rounds alone exceeds the effect the test could detect"
	assert_line "verdict: inconclusive, handled as no measurable difference: the candidate stays (--keep-if not-worse)"
	run python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verify"]; print(v["verdict"], v["latency"]["baseline_noise_ms"], v["latency"]["verdict"])' "$d/r.json"
	assert_output "inconclusive 20.0 inconclusive"
	# not rounds: exit 2
	echo '{"latency_ms":[1,"x"],"throughput_bps":[]}' >"$d/bad"
	run "$V" decide baseline="$d/bad" candidate="$d/c1"
	assert_failure 2
	run "$V" decide baseline="$d/b1" baseline="$d/b2"
	assert_failure 2
	run "$V" decide --alpha 0.7 baseline="$d/b1" candidate="$d/c1"
	assert_failure 2
}

@test "verify --bandwidth: iperf3 interval throughputs are a measure of their own, in the summary and the report" {
	require_cmd iperf3
	run in_probe_sandbox '
		probe_httpd 127.0.0.1 8080 0
		probe_bg iperf3-loop timeout 120 iperf3 -s -B 127.0.0.1 -p 5301
		for _ in $(seq 1200); do ss -ltn "sport = :5301" | grep -q LISTEN && break; sleep 0.05; done
		rc=0
		nettune optimize --verify -p latency --count 1 --bandwidth 127.0.0.1:5301 --save "$PROBE_TMP/r.json" \
			127.0.0.1:8080 >"$PROBE_TMP/out" 2>"$PROBE_TMP/err" || rc=$?
		echo "rc=$rc"
		cat "$PROBE_TMP/out" "$PROBE_TMP/err"
		python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(\"report throughput:\", d[\"baseline\"][\"throughput\"][\"n\"] >= 15, d[\"candidate\"][\"throughput\"][\"median_mbit\"] > 0, d[\"verify\"][\"throughput\"][\"verdict\"] != None)" "$PROBE_TMP/r.json"'
	assert_success
	assert_line --regexp '^rc=[01]$'
	assert_line --regexp '^throughput +baseline median [0-9.]+ Mbit/s \(n=[0-9]+\), candidate median [0-9.]+ Mbit/s \(n=[0-9]+\)$'
	assert_line "report throughput: True True True"
}
