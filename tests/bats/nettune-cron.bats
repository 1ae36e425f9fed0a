#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The cron path of the tools nettune drives: `check --prom FILE` files that
# promtool and node_exporter accept in every state, checks that print nothing
# when all is well, applies that change nothing the second time, impossible
# requests that leave every byte alone. A fake /proc and a private --root.

load helpers
load tuners-helpers
load prom-helpers

setup() {
	tuners_fake "$BATS_TEST_TMPDIR"
	D=$BATS_TEST_TMPDIR/textfile
	mkdir -p "$D"
	STORE=$TUNEKIT_ROOT/var/lib/tunekit/snapshots
	echo 4096 >"$TUNEKIT_PROC/sys/net/core/somaxconn"
}

# state_hash: every path, mode and byte of the fake sysctls, /etc and
# /var/lib/tunekit (the lock in /run records its holder's PID: left out)
state_hash() {
	(cd "$BATS_TEST_TMPDIR" && mkdir -p root/etc root/var/lib/tunekit &&
		find proc/sys root/etc root/var/lib/tunekit -printf '%p %m %y %s\n' | LC_ALL=C sort &&
		find proc/sys root/etc root/var/lib/tunekit -type f -print0 | LC_ALL=C sort -z | xargs -0 cat) |
		sha256sum
}

# all_checks STATE: every tool's check with --prom into $D/STATE-TOOL.prom;
# prints "TOOL=EXIT" lines
all_checks() {
	local s=$1 rc
	rc=0; nettune-buffers check --rate 1gbit --rtt 20ms --prom "$D/$s-buffers.prom" >/dev/null 2>&1 || rc=$?
	echo "buffers=$rc"
	rc=0; nettune-cc check --qdisc pfifo --prom "$D/$s-cc.prom" >/dev/null 2>&1 || rc=$?
	echo "cc=$rc"
	rc=0; nettune-queues check --interval 0 --prom "$D/$s-queues.prom" >/dev/null 2>&1 || rc=$?
	echo "queues=$rc"
	rc=0; nettune-backup check --prom "$D/$s-backup.prom" >/dev/null 2>&1 || rc=$?
	echo "backup=$rc"
}

apply_all() {
	nettune-buffers -q apply --rate 1gbit --rtt 20ms >/dev/null
	nettune-cc -q apply --qdisc pfifo >/dev/null
	nettune-queues -q apply --interval 0 >/dev/null
}

@test "prom: every --prom FILE passes promtool fresh, applied, drifted and after restore; node_exporter scrapes them all" {
	require_root
	require_promtool
	require_node_exporter
	run all_checks fresh
	assert_line buffers=3
	assert_line cc=3
	assert_line backup=0
	apply_all
	printf 'throughput\n' >"$TUNEKIT_ROOT/var/lib/tunekit/profile"
	run all_checks applied
	assert_output $'buffers=0\ncc=0\nqueues=0\nbackup=0'
	echo 212992 >"$TUNEKIT_PROC/sys/net/core/rmem_max"
	softnet_rows 0:100:7:0 >"$TUNEKIT_PROC/net/softnet_stat"
	run all_checks drifted
	assert_output $'buffers=3\ncc=0\nqueues=3\nbackup=3'
	softnet_rows 0:100:0:0 >"$TUNEKIT_PROC/net/softnet_stat"
	nettune-backup -q restore >/dev/null
	run all_checks restored
	assert_line backup=0 # restore undid the last change (cc's) and put rmem_max back
	assert_line cc=3
	for f in "$D"/*.prom; do
		run prom_check "$f"
		assert_success
		run tunekit-metrics check "$f"
		assert_success
		# the run's own families are nettune's (tunekit-metrics merge)
		run grep -E 'tunekit_(build_info|check_success|check_timestamp_seconds)' "$f"
		assert_failure
	done
	[ "$(ls "$D"/*.prom | wc -l)" -eq 16 ]
	# node_exporter reads a directory of them; one merged file per state
	mkdir "$D/scrape"
	tunekit-metrics merge -o "$D/scrape/tunekit.prom" --build-info --success 0 --timestamp "$D"/drifted-*.prom
	run node_exporter_scrape "$D/scrape"
	assert_success
	scrape=$output
	assert_line 'node_textfile_scrape_error 0'
	run node_exporter_value "$scrape" 'tunekit_sysctl_drift{key="net.core.rmem_max"}'
	assert_output 1
	run node_exporter_value "$scrape" 'tunekit_queues_dropped_packets'
	assert_output 7
	run node_exporter_value "$scrape" 'tunekit_comanager_keys{manager="tuned"}'
	assert_output 0
}

@test "silent: every check prints zero bytes on stdout and stderr when healthy, names the key and exits 3 when drifted" {
	require_root
	apply_all
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024' 2>/dev/null || true
	for cmd in "nettune-buffers check --rate 1gbit --rtt 20ms" "nettune-cc check --qdisc pfifo" \
		   "nettune-queues check --interval 0" "nettune-backup check" \
		   "nettune-buffers check --rate 1gbit --rtt 20ms --prom $D/b.prom" \
		   "nettune-queues check --interval 0 --prom $D/q.prom" "nettune-backup check --prom $D/k.prom"; do
		run bash -c "$cmd 2>&1"
		assert_success
		assert_output ""
	done
	echo 1 >"$TUNEKIT_PROC/sys/net/ipv4/tcp_slow_start_after_idle"
	run --separate-stderr nettune-cc check --qdisc pfifo --prom "$D/c.prom"
	assert_failure 3
	assert_output "net.ipv4.tcp_slow_start_after_idle: 1 -> 0"
	[ -z "$stderr" ]
	run --separate-stderr nettune-backup check
	assert_failure 3
	assert_output "net.ipv4.tcp_slow_start_after_idle: 1 -> 0"
	[ -z "$stderr" ]
}

@test "queues check: one sample window gives the text, the exit status and the metrics" {
	# drops appear while the window is open: a second sample (the old
	# text pass + metrics pass) could see a different window
	softnet_rows 0:100:50:0 >"$TUNEKIT_PROC/net/softnet_stat"
	( sleep 0.4; softnet_rows 0:300:58:0 >"$TUNEKIT_PROC/net/softnet_stat.new" &&
	  mv "$TUNEKIT_PROC/net/softnet_stat.new" "$TUNEKIT_PROC/net/softnet_stat" ) &
	# one window = softnet_stat read at its start and at its end; a second
	# pass would read it twice more (counted by strace, not by the clock)
	run --separate-stderr strace -f -qq -e trace=openat -e signal=none -o "$D/trace" \
		nettune-queues check --interval 1 --prom "$D/q.prom"
	wait
	assert_failure 3
	assert_output "net.core.netdev_max_backlog: 1000 -> 1250"
	[ -z "$stderr" ]
	assert_equal "$(grep -c 'softnet_stat"' "$D/trace")" 2
	run cat "$D/q.prom"
	assert_line 'tunekit_queues_dropped_packets 8'
	assert_line 'tunekit_queues_window_seconds 1'
	assert_line 'tunekit_tuner_drift_keys{tool="nettune-queues"} 1'
}

# snapshots: the index lines and the store's entries (snapshot files, blobs)
store_state() {
	{ cat "$STORE/index" 2>/dev/null; ls "$STORE" 2>/dev/null; } | sha256sum
}

@test "idempotent: a second identical apply takes no snapshot, writes nothing, prints nothing on stdout" {
	require_root
	softnet_rows 0:100:4:0 >"$TUNEKIT_PROC/net/softnet_stat"
	for cmd in "nettune-buffers apply --rate 1gbit --rtt 20ms" "nettune-cc apply --qdisc pfifo" \
		   "nettune-queues apply --rule cpus"; do
		run --separate-stderr $cmd
		assert_success
		[[ "$stderr" == *"undo with"* ]]
		before=$(store_state)
		conf=$(stat -c '%i %Y %s' "$TUNEKIT_ROOT/etc/sysctl.d/90-tunekit.conf")
		run --separate-stderr $cmd
		assert_success
		assert_output ""
		[[ "$stderr" == *"nothing to change"* ]]
		[[ "$stderr" != *"undo with"* ]]
		run --separate-stderr $cmd -q
		assert_success
		assert_output ""
		[ -z "$stderr" ]
		run --separate-stderr $cmd --json
		assert_success
		assert_output '{"changed":0,"snapshot":null,"dry_run":false,"changes":[]}'
		[ "$(store_state)" = "$before" ]
		# not even an identical rewrite of the persisted file
		[ "$(stat -c '%i %Y %s' "$TUNEKIT_ROOT/etc/sysctl.d/90-tunekit.conf")" = "$conf" ]
	done
	before=$(store_state)
	run --separate-stderr nettune-backup apply --json - <<<'net.core.somaxconn = 4096'
	assert_success
	assert_output '{"changed":1,"snapshot":"'"$(ls "$STORE" | grep '^[0-9]' | sort | tail -1)"'","dry_run":false,"changes":[{"key":"file:/etc/sysctl.d/90-tunekit.conf","old":"file","new":"file"}]}'
	run --separate-stderr nettune-backup apply --json - <<<'net.core.somaxconn = 4096'
	assert_output '{"changed":0,"snapshot":null,"dry_run":false,"changes":[]}'
}

@test "json: apply --json is one object with every change; -n says dry_run and changes nothing" {
	require_root
	before=$(state_hash)
	run --separate-stderr nettune-buffers apply -n --json --rate 1gbit --rtt 20ms
	assert_success
	[ "$(state_hash)" = "$before" ]
	run python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["changed"], d["snapshot"], d["dry_run"], len(d["changes"]), sorted(d["changes"][0]))' <<<"$output"
	assert_output "5 None True 5 ['key', 'new', 'old']"
	run --separate-stderr nettune-buffers apply --json --rate 1gbit --rtt 20ms
	assert_success
	run python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
c = {x["key"]: (x["old"], x["new"]) for x in d["changes"]}
print(d["changed"], d["snapshot"] is not None, d["dry_run"])
print(c["net.core.rmem_max"], c["file:/etc/sysctl.d/90-tunekit.conf"])' <<<"$output"
	assert_line "5 True False"
	assert_line "('212992', '8388608') (None, 'file')"
	[ "$(grep -c . <<<"$output")" -eq 2 ]
}

@test "exit 2: an unknown qdisc, a bad key or a bad value changes no byte of sysctls, /etc or the snapshot store" {
	require_root
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024' >/dev/null 2>&1 || true
	before=$(state_hash)
	for cmd in "nettune-cc apply --qdisc nosuchq" "nettune-cc apply -n --qdisc nosuchq" \
		   "nettune-cc apply --json --qdisc nosuchq --qdisc-ifaces lo" \
		   "nettune-buffers apply --max 1" "nettune-buffers apply -n --max 1" \
		   "nettune-buffers apply --rate 1gbit --rtt 5parsecs" "nettune-queues apply --rule magic" \
		   "nettune-cc apply --cc vegas" "nettune-buffers check --prom ''" \
		   "nettune-buffers check --json --prom -"; do
		run --separate-stderr bash -c "$cmd"
		assert_failure 2
		assert_output ""
		[ "$(state_hash)" = "$before" ]
	done
	for input in 'net.core.no_such_key = 1' 'net.core.somaxconn = lots' 'net.ipv4.tcp_rmem = 1 2' \
		     'kernel.core_pattern = |/tmp/x' 'net/../../etc/passwd = 1'; do
		for n in "" -n --json; do
			run --separate-stderr nettune-backup apply $n - <<<"$input"
			assert_failure 2
			assert_output ""
			[[ "$stderr" == *"nothing changed"* ]]
			[ "$(state_hash)" = "$before" ]
		done
	done
	# a malformed persisted file is found before anything changes too
	printf 'this is not a sysctl line\n' >>"$TUNEKIT_ROOT/etc/sysctl.d/90-tunekit.conf"
	before=$(state_hash)
	run --separate-stderr nettune-buffers apply --rate 1gbit --rtt 20ms
	assert_failure 2
	assert_output ""
	[ "$(state_hash)" = "$before" ]
}

@test "profile: snapshots hold /var/lib/tunekit/profile (0644); restore brings the recorded profile back" {
	require_root
	mkdir -p "$TUNEKIT_ROOT/var/lib/tunekit"
	printf 'throughput\n' >"$TUNEKIT_ROOT/var/lib/tunekit/profile"
	chmod 0644 "$TUNEKIT_ROOT/var/lib/tunekit/profile"
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024' >/dev/null
	id=$(nettune-backup list | tail -1 | cut -d' ' -f1)
	run nettune-backup show "$id"
	assert_line "# file /var/lib/tunekit/profile: 11 bytes, mode 0644"
	printf 'latency\n' >"$TUNEKIT_ROOT/var/lib/tunekit/profile"
	run nettune-backup diff "$id"
	assert_failure 3
	assert_line --partial "/var/lib/tunekit/profile: 11 bytes, mode 0644 -> 8 bytes"
	nettune-backup -q restore >/dev/null
	[ "$(cat "$TUNEKIT_ROOT/var/lib/tunekit/profile")" = throughput ]
	[ "$(stat -c %a "$TUNEKIT_ROOT/var/lib/tunekit/profile")" = 644 ]
	[ "$(fake_value net.core.somaxconn 2>/dev/null || echo absent)" != 1024 ]
}

@test "backup check: a later sysctl.d file, TuneD and bpftune on our keys are drift, in text and metrics" {
	require_root
	nettune-backup -q apply - <<<$'net.core.somaxconn = 1024\nnet.ipv4.tcp_rmem = 4096 131072 8388608' >/dev/null
	run nettune-backup check --prom "$D/k.prom"
	assert_success
	assert_output ""
	run grep -x 'tunekit_boot_shadowed_keys 0' "$D/k.prom"
	assert_success
	printf 'net.core.somaxconn = 4096\n' >"$TUNEKIT_ROOT/etc/sysctl.d/99-local.conf"
	run --separate-stderr nettune-backup check --prom "$D/k.prom"
	assert_failure 3
	assert_output "net.core.somaxconn: shadowed by /etc/sysctl.d/99-local.conf:1 (value 4096)"
	run cat "$D/k.prom"
	assert_line 'tunekit_boot_shadowed_keys 1'
	assert_line 'tunekit_boot_key_ok{key="net.core.somaxconn"} 0'
	assert_line 'tunekit_boot_key_ok{key="net.ipv4.tcp_rmem"} 1'
	assert_line 'tunekit_sysctl_drifted_keys 0'
	rm "$TUNEKIT_ROOT/etc/sysctl.d/99-local.conf"
	# TuneD enabled with a profile that sets our key; bpftune running
	mkdir -p "$TUNEKIT_ROOT/etc/tuned/profiles/net" "$TUNEKIT_ROOT/etc/systemd/system/multi-user.target.wants"
	echo net >"$TUNEKIT_ROOT/etc/tuned/active_profile"
	printf '[sysctl]\nnet.core.somaxconn = 512\n' >"$TUNEKIT_ROOT/etc/tuned/profiles/net/tuned.conf"
	ln -s /usr/lib/systemd/system/tuned.service "$TUNEKIT_ROOT/etc/systemd/system/multi-user.target.wants/tuned.service"
	mkdir -p "$TUNEKIT_PROC/4321"
	echo bpftune >"$TUNEKIT_PROC/4321/comm"
	run --separate-stderr nettune-backup check --prom "$D/k.prom"
	assert_failure 3
	assert_line "net.core.somaxconn: tuned profile net sets 512 (/etc/tuned/profiles/net/tuned.conf:2)"
	assert_line "net.ipv4.tcp_rmem: retuned at run time by bpftune (pid 4321, tuner tcp_buffer)"
	run cat "$D/k.prom"
	assert_line 'tunekit_comanager_keys{manager="tuned"} 1'
	assert_line 'tunekit_comanager_keys{manager="bpftune"} 1'
	if PROMTOOL=$(prom_find promtool); then
		run prom_check "$D/k.prom"
		assert_success
	fi
}
