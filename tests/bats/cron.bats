#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The cron path: `nettune check --prom FILE` in every state of a host, read by
# its real consumers (promtool, node_exporter 1.5's textfile collector), and
# the shipped cron line run the way cron runs it. The real tools throughout,
# inside tests/sandbox.

load helpers
load prom-helpers

setup() {
	require_sandbox
	require_promtool
	require_node_exporter
	export T=$BATS_TEST_TMPDIR
	VERSION=$(tunekit-metrics --version | awk '{ print $NF }')
}

# scrape STATE: promtool must accept $T/STATE/tunekit.prom with no finding;
# then node_exporter's scrape of that directory is in $scrape and must say
# node_textfile_scrape_error 0, tunekit_build_info of this version and a
# timestamp
scrape() {
	local dir=$T/$1
	[ -f "$dir/tunekit.prom" ] || fail "$1: no $dir/tunekit.prom"
	run prom_check "$dir/tunekit.prom"
	assert_success
	run node_exporter_scrape "$dir"
	assert_success
	scrape=$output
	assert_line 'node_textfile_scrape_error 0'
	value "tunekit_build_info{version=\"$VERSION\"}" 1
	grep -q '^tunekit_check_timestamp_seconds ' <<<"$scrape" || fail "$1: no timestamp"
}

# value SERIES WANT: the scraped value of SERIES is WANT
value() {
	local got
	got=$(node_exporter_value "$scrape" "$1") || fail "no $1 in the scrape"
	assert_equal "$1 $got" "$1 $2"
}

# absent PATTERN: no scraped series matches PATTERN
absent() {
	if grep -E "$1" <<<"$scrape"; then
		fail "series matching $1 in the scrape"
	fi
}

@test "check --prom: fresh, optimized, drifted, restored: one file both consumers accept, with the right values" {
	run "$SANDBOX" bash -c '
		for s in fresh optimized drifted restored; do mkdir -p "$T/$s"; done
		nettune check --prom "$T/fresh/tunekit.prom"; echo "fresh rc=$?"
		nettune optimize -p balanced >/dev/null 2>&1 || exit 9
		nettune check --prom "$T/optimized/tunekit.prom"; echo "optimized rc=$?"
		echo 1 >/proc/sys/net/ipv4/tcp_slow_start_after_idle
		nettune check --prom "$T/drifted/tunekit.prom"; echo "drifted rc=$?"
		nettune restore >/dev/null 2>&1 || exit 9
		nettune check --prom "$T/restored/tunekit.prom"; echo "restored rc=$?"'
	assert_success
	assert_line "fresh rc=0"
	assert_line "optimized rc=0"
	assert_line "drifted rc=3"
	assert_line "restored rc=0"
	assert_line --regexp '^nettune-backup: net\.ipv4\.tcp_slow_start_after_idle: '
	assert_line --regexp '^nettune-cc: .*net\.ipv4\.tcp_slow_start_after_idle'

	# nothing applied yet: the persisted keys only, no drift
	scrape fresh
	value tunekit_check_success 1
	value tunekit_check_status 0
	value tunekit_sysctl_drifted_keys 0
	absent '^tunekit_tuner_'

	scrape optimized
	value tunekit_check_success 1
	value tunekit_check_status 0
	value tunekit_sysctl_drifted_keys 0
	for t in nettune-buffers nettune-cc nettune-queues; do
		value "tunekit_tuner_drift_keys{tool=\"$t\"}" 0
	done
	value 'tunekit_sysctl_drift{key="net.ipv4.tcp_slow_start_after_idle"}' 0
	# one HELP per family although four tools wrote them
	assert_equal "$(grep -c '^# HELP tunekit_tuner_drift_keys ' "$T/optimized/tunekit.prom")" 1

	# every check ran, so success stays 1; the drift is in the counts
	scrape drifted
	value tunekit_check_success 1
	value tunekit_check_status 3
	value tunekit_sysctl_drifted_keys 1
	value 'tunekit_sysctl_drift{key="net.ipv4.tcp_slow_start_after_idle"}' 1
	value 'tunekit_tuner_drift_keys{tool="nettune-cc"}' 1
	value 'tunekit_tuner_key_ok{key="net.ipv4.tcp_slow_start_after_idle",tool="nettune-cc"}' 0
	value 'tunekit_tuner_drift_keys{tool="nettune-buffers"}' 0

	# restored: the recorded profile went with the keys
	scrape restored
	value tunekit_check_success 1
	value tunekit_check_status 0
	value tunekit_sysctl_drifted_keys 0
	absent '^tunekit_tuner_'
}

@test "check --prom with DNS configured: tunekit_dns_* series for the resolver in use, in time and when it stops answering" {
	require_cmd dnsmasq
	run "$SANDBOX" bash -c '
		mkdir -p "$T/dns-ok" "$T/dns-down" /etc/tunekit
		dnsmasq -C /dev/null --no-resolv --no-hosts --bind-interfaces --listen-address 127.0.0.2 \
			--port 53 --pid-file= --keep-in-foreground --local=/#/ 2>/dev/null &
		dns=$!
		trap "kill $dns 2>/dev/null" EXIT
		for _ in $(seq 100); do ss -Hlun "sport = :53" | grep -q 127.0.0.2 && break; sleep 0.05; done
		printf "nameserver 127.0.0.2\n" >/etc/resolv.conf
		printf "dns_max_ms = 500\n" >/etc/tunekit/tunekit.conf
		nettune optimize >/dev/null 2>&1 || exit 9
		nettune check --prom "$T/dns-ok/tunekit.prom" >"$T/ok.out" 2>&1; echo "ok rc=$?"
		kill $dns; wait $dns 2>/dev/null
		nettune check --prom "$T/dns-down/tunekit.prom"; echo "down rc=$?"'
	assert_success
	assert_line "ok rc=0"
	assert_line "down rc=3"
	assert_line --regexp '^nettune-dns: .*127\.0\.0\.2'
	assert_equal "$(wc -c <"$T/ok.out")" 0

	scrape dns-ok
	value tunekit_check_success 1
	value tunekit_check_status 0
	value 'tunekit_dns_check_ok{server="127.0.0.2"}' 1
	grep -q '^tunekit_dns_median_seconds{server="127.0.0.2"} ' <<<"$scrape" || fail "no median"

	scrape dns-down
	value tunekit_check_success 1
	value tunekit_check_status 3
	value 'tunekit_dns_check_ok{server="127.0.0.2"}' 0
}

@test "check: a check that cannot run is exit 1 with its words; the file still says so (success 0)" {
	run "$SANDBOX" bash -c '
		mkdir -p "$T/broken"
		nettune optimize -p balanced >/dev/null 2>&1 || exit 9
		# a /proc without softnet_stat: nettune-queues cannot read its counters
		mkdir -p "$T/proc/sys"
		cp -r /proc/sys/net "$T/proc/sys/" 2>/dev/null
		cp /proc/meminfo "$T/proc/"
		TUNEKIT_PROC=$T/proc nettune check --prom "$T/broken/tunekit.prom" >"$T/out" 2>"$T/err"
		echo "rc=$?"'
	assert_success
	assert_line "rc=1"
	run cat "$T/err"
	assert_line --regexp '^nettune: nettune-queues check did not run to the end \(exit 1\)$'
	assert_line --regexp '^nettune-queues: .*softnet_stat'
	scrape broken
	value tunekit_check_success 0
	value tunekit_check_status 1
	value 'tunekit_tuner_drift_keys{tool="nettune-cc"}' 0
}

# cron_line: the command of the shipped cron.d line, for the nettune on PATH
cron_line() {
	# the directory is the configure default (--with-textfile-dir), as in the .deb
	sed -n 's/^#[0-9*]* [*] [*] [*] [*] root //p' "$TUNEKIT_SRCDIR/contrib/cron/tunekit.in" |
		sed -e 's|@bindir@/nettune|nettune|' -e 's|@textfiledir@|/var/lib/prometheus/node-exporter|'
}

@test "the shipped cron line: zero bytes on a healthy optimized host; names the key and exits 3 on drift" {
	line=$(cron_line)
	[ -n "$line" ] || fail "no cron line in contrib/cron/tunekit.in"
	[[ $line == "nettune check --prom /var/lib/prometheus/node-exporter/tunekit.prom"* ]] || fail "cron line: $line"
	# cron's environment: a short PATH (ours first: nothing is installed), no terminal
	export CRON_PATH=$PATH
	LINE=$line run "$SANDBOX" bash -c '
		mkdir -p /var/lib/prometheus/node-exporter
		nettune optimize -p balanced >/dev/null 2>&1 || exit 9
		cron() {
			env -i PATH="$CRON_PATH" TUNEKIT_PROFILES_DIR="$TUNEKIT_PROFILES_DIR" \
				HOME=/root LOGNAME=root SHELL=/bin/sh sh -c "$LINE" </dev/null >"$T/$1.out" 2>"$T/$1.err"
		}
		cron healthy; echo "healthy rc=$?"
		echo "healthy bytes: $(cat "$T/healthy.out" "$T/healthy.err" | wc -c)"
		cp /var/lib/prometheus/node-exporter/tunekit.prom "$T/healthy.prom"
		echo 1 >/proc/sys/net/ipv4/tcp_slow_start_after_idle
		cron drifted; echo "drifted rc=$?"
		cp /var/lib/prometheus/node-exporter/tunekit.prom "$T/drifted.prom"'
	assert_success
	assert_line "healthy rc=0"
	assert_line "healthy bytes: 0"
	assert_line "drifted rc=3"
	run cat "$T/drifted.out"
	assert_line --regexp '^nettune-backup: net\.ipv4\.tcp_slow_start_after_idle: '
	run cat "$T/drifted.err"
	assert_output ''
	for s in healthy drifted; do
		mkdir -p "$T/cron-$s"
		cp "$T/$s.prom" "$T/cron-$s/tunekit.prom"
	done
	scrape cron-healthy
	value tunekit_check_status 0
	scrape cron-drifted
	value tunekit_check_status 3
	value 'tunekit_sysctl_drift{key="net.ipv4.tcp_slow_start_after_idle"}' 1
}

@test "check --prom: the old failures stay fixed (one HELP per family, never a stray stdout line)" {
	run "$SANDBOX" bash -c '
		mkdir -p "$T/once"
		nettune optimize -p throughput >/dev/null 2>&1 || exit 9
		nettune check --prom "$T/once/tunekit.prom" >"$T/out" 2>"$T/err"; echo "rc=$?"'
	assert_success
	assert_line "rc=0"
	assert_equal "$(cat "$T/out" "$T/err" | wc -c)" 0
	run tunekit-metrics check "$T/once/tunekit.prom"
	assert_success
	assert_output ''
	for f in tunekit_tuner_key_ok tunekit_tuner_drift_keys tunekit_check_success tunekit_build_info; do
		assert_equal "$f $(grep -c "^# HELP $f " "$T/once/tunekit.prom")" "$f 1"
	done
}

@test "check: a persisted key a later sysctl.d file shadows is drift, in the text and the metrics" {
	run "$SANDBOX" bash -c '
		mkdir -p "$T/shadowed"
		nettune optimize -p balanced >/dev/null 2>&1 || exit 9
		echo "net.ipv4.tcp_slow_start_after_idle = 1" >/etc/sysctl.d/99-local.conf
		nettune check --prom "$T/shadowed/tunekit.prom"; echo "rc=$?"'
	assert_success
	assert_line "rc=3"
	assert_line "nettune-backup: net.ipv4.tcp_slow_start_after_idle: shadowed by /etc/sysctl.d/99-local.conf:1 (value 1)"
	scrape shadowed
	value tunekit_check_success 1
	value tunekit_check_status 3
	value tunekit_boot_shadowed_keys 1
	value 'tunekit_boot_key_ok{key="net.ipv4.tcp_slow_start_after_idle"}' 0
	# live values still match: it is the next boot that would lose the key
	value tunekit_sysctl_drifted_keys 0
}
