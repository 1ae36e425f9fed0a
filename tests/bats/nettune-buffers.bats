#!/usr/bin/env bats
# nettune-buffers: BDP sizing, check, apply, and observe on a real transfer.

load helpers
load tuners-helpers

setup() {
	tuners_fake "$BATS_TEST_TMPDIR"
}

@test "buffers: --help names every command and option; --version" {
	run nettune-buffers --help
	assert_success
	for w in show recommend apply check observe --rate --rtt --rtt-from --max --flows --interval --threshold --all --explain --json --prom --dry-run --root; do
		assert_output --partial -- "$w"
	done
	run nettune-buffers --version
	assert_output --regexp '^nettune-buffers from tunekit '
}

@test "buffers recommend 1gbit/20ms: 2 x BDP rounded up to 8 MiB, kernel min and default kept" {
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt 20ms
	assert_success
	assert_output "net.core.rmem_max = 8388608
net.core.wmem_max = 8388608
net.ipv4.tcp_moderate_rcvbuf = 1
net.ipv4.tcp_rmem = 4096 131072 8388608
net.ipv4.tcp_wmem = 4096 16384 8388608"
	[ -z "$stderr" ]
}

@test "buffers recommend 100mbit/300ms is 8 MiB; 1gbit/1ms stays at the kernel defaults" {
	run --separate-stderr nettune-buffers recommend --rate 100mbit --rtt 300ms
	assert_line "net.ipv4.tcp_rmem = 4096 131072 8388608"
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt 1ms
	assert_line "net.ipv4.tcp_rmem = 4096 131072 6291456"
	assert_line "net.ipv4.tcp_wmem = 4096 16384 4194304"
}

@test "buffers recommend 10gbit/100ms: capped by the RAM share, then by --max, and says so" {
	# 2 GiB of RAM: 1/8 is 256 MiB, exactly what the path needs
	run --separate-stderr nettune-buffers recommend --rate 10gbit --rtt 100ms
	assert_line "net.ipv4.tcp_rmem = 4096 131072 268435456"
	printf 'MemTotal: 1048576 kB\n' >"$TUNEKIT_PROC/meminfo"
	run --separate-stderr nettune-buffers recommend --rate 10gbit --rtt 100ms
	assert_line "net.ipv4.tcp_rmem = 4096 131072 134217728"
	[[ "$stderr" == *"needs 256 MiB per buffer; capped at 1/8 of RAM: 128 MiB"* ]]
	run --separate-stderr nettune-buffers recommend --rate 10gbit --rtt 100ms --max 32MiB
	assert_line "net.core.rmem_max = 33554432"
	[[ "$stderr" == *"capped at 32 MiB (--max)"* ]]
}

@test "buffers recommend without rate and rtt: the original's 1/8 of RAM rule, stated" {
	printf 'MemTotal: 524288 kB\n' >"$TUNEKIT_PROC/meminfo"
	run --separate-stderr nettune-buffers recommend
	assert_success
	assert_line "net.ipv4.tcp_rmem = 4096 131072 67108864"
	[[ "$stderr" == *"no --rate/--rtt given: using the fallback rule: 1/8 of RAM (512 MiB), at most 128 MiB"* ]]
}

@test "buffers recommend: tcp_mem that cannot hold --flows buffers is reported" {
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt 20ms --flows 100
	assert_success
	[[ "$stderr" == *"net.ipv4.tcp_mem allows 184320 pages"*"100 flow(s) of 8 MiB need 204800 pages"* ]]
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt 20ms --flows 10
	[[ "$stderr" != *"tcp_mem"* ]]
}

@test "buffers recommend: junk units, overflow and half inputs are usage errors with nothing on stdout" {
	for args in "--rate 10gbits --rtt 1ms" "--rate 1gbit --rtt 5parsecs" "--rate fast --rtt 1ms" \
		    "--rate 1gbit" "--rtt 20ms" "--rate 0 --rtt 1ms" "--max 0" "--flows -1"; do
		run --separate-stderr nettune-buffers recommend $args
		assert_failure 2
		assert_output ""
	done
	run --separate-stderr nettune-buffers recommend --rate 18446744073709551615 --rtt 1h
	assert_failure 2
	[[ "$stderr" == *"rate x rtt is too large"* ]]
	# a count is not a byte size: 1k flows is refused, not read as 1024
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt 20ms --flows 1k
	assert_failure 2
	assert_output ""
	[[ "$stderr" == *"invalid --flows argument '1k': not a whole number"* ]]
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt 20ms --threshold 1k
	assert_failure 2
}

@test "buffers recommend --explain: reasons on stderr, stdout unchanged" {
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt 20ms --explain
	assert_success
	[ "${#lines[@]}" -eq 5 ]
	[[ "$stderr" == *"# net.ipv4.tcp_rmem = 4096 131072 8388608: 2 x BDP of 1 Gbit/s x 20 ms"* ]]
}

@test "buffers recommend: keys this system lacks are left out, with a note" {
	rm "$TUNEKIT_PROC/sys/net/core/rmem_max"
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt 20ms
	assert_success
	refute_line --partial "net.core.rmem_max"
	[[ "$stderr" == *"net.core.rmem_max does not exist here"* ]]
}

@test "buffers recommend --rtt-from: RTT measured with TCP connects on loopback" {
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt-from 127.0.0.1:9
	assert_success
	assert_line "net.ipv4.tcp_moderate_rcvbuf = 1"
	[[ "$stderr" == *"RTT to 127.0.0.1 port 9: "*"(median of 5 connects)"* ]]
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt-from '[::1'
	assert_failure 2
}

@test "buffers show: values with units; --json is one object" {
	run --separate-stderr nettune-buffers show
	assert_success
	assert_line "net.ipv4.tcp_rmem = 4096 131072 6291456 (4 KiB, 128 KiB, 6 MiB)"
	assert_line "net.ipv4.tcp_mem = 92160 122880 184320 (360 MiB, 480 MiB, 720 MiB)"
	assert_line "ram = 2147483648 (2 GiB)"
	run --separate-stderr nettune-buffers show --json
	run python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ram_bytes"], d["sysctls"]["net.ipv4.tcp_rmem"])' <<<"$output"
	assert_output "2147483648 4096 131072 6291456"
}

@test "buffers check: exit 3 while live values fall short, 0 once they meet it; larger is fine" {
	run --separate-stderr nettune-buffers check --rate 1gbit --rtt 20ms
	assert_failure 3
	assert_line "net.ipv4.tcp_rmem: 4096 131072 6291456 -> 4096 131072 8388608"
	refute_line --partial "net.ipv4.tcp_moderate_rcvbuf"
	[ -z "$stderr" ]
	run --separate-stderr nettune-buffers -v check --rate 1gbit --rtt 20ms
	[[ "$stderr" == *"net.ipv4.tcp_moderate_rcvbuf: ok (1)"* ]]
	for k in core/rmem_max core/wmem_max; do echo 16777216 >"$TUNEKIT_PROC/sys/net/$k"; done
	printf '4096\t131072\t16777216\n' >"$TUNEKIT_PROC/sys/net/ipv4/tcp_rmem"
	printf '4096\t16384\t16777216\n' >"$TUNEKIT_PROC/sys/net/ipv4/tcp_wmem"
	run nettune-buffers check --rate 1gbit --rtt 20ms
	assert_success
	assert_output ""
	chmod 0444 "$TUNEKIT_PROC/sys/net/core/rmem_max"
	echo 1 >"$TUNEKIT_PROC/sys/net/core/rmem_max"
	run nettune-buffers check --rate 1gbit --rtt 20ms
	assert_success  # read-only here (a netns): not drift
	assert_output ""
	chmod 0644 "$TUNEKIT_PROC/sys/net/core/rmem_max"
	echo 16777216 >"$TUNEKIT_PROC/sys/net/core/rmem_max"
	run nettune-buffers check --rate 1gbit --rtt 20ms --prom "$BATS_TEST_TMPDIR/b.prom"
	assert_success
	assert_output ""
	run grep -x 'tunekit_tuner_drift_keys{tool="nettune-buffers"} 0' "$BATS_TEST_TMPDIR/b.prom"
	assert_success
	run --separate-stderr nettune-buffers check --rate 1gbit --rtt 20ms --prom -
	assert_success
	assert_line 'tunekit_tuner_drift_keys{tool="nettune-buffers"} 0'
}

@test "buffers apply: one transaction against a fake /proc, persisted under --root; dry run changes nothing" {
	require_root
	run --separate-stderr nettune-buffers apply --rate 1gbit --rtt 20ms -n
	assert_success
	assert_line "net.ipv4.tcp_rmem: 4096 131072 6291456 -> 4096 131072 8388608"
	[ "$(fake_value net.ipv4.tcp_rmem)" = $'4096\t131072\t6291456' ]
	run --separate-stderr nettune-buffers apply --rate 1gbit --rtt 20ms
	assert_success
	assert_line "net.core.rmem_max: 212992 -> 8388608"
	[ "$(fake_value net.ipv4.tcp_rmem)" = "4096 131072 8388608" ]
	run grep -c '^net\.' "$TUNEKIT_ROOT/etc/sysctl.d/90-tunekit.conf"
	assert_output 5
	[[ "$stderr" == *"undo with: nettune-backup restore "* ]]
}

@test "buffers apply: unprivileged, it says so and changes nothing" {
	require_root
	command -v setpriv >/dev/null || skip "setpriv missing"
	# the bats temp dir is private: a world-readable fake elsewhere
	local pub
	pub=$(mktemp -d /tmp/tunekit-unpriv.XXXXXX)
	tuners_fake "$pub"
	chmod -R a+rX "$pub"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		env PATH="$PATH" TUNEKIT_PROC="$TUNEKIT_PROC" TUNEKIT_ROOT="$TUNEKIT_ROOT" \
		nettune-buffers apply --rate 1gbit --rtt 20ms
	assert_failure
	[[ "$stderr" == *"needs root or CAP_NET_ADMIN"* ]]
	[ "$(fake_value net.core.rmem_max)" = 212992 ]
	rm -rf "$pub"
}

@test "buffers recommend | nettune-backup apply -: the pipeline applies every line" {
	require_root
	run bash -c 'nettune-buffers recommend --rate 10gbit --rtt 50ms 2>/dev/null | nettune-backup apply -'
	assert_success
	[ "$(fake_value net.core.wmem_max)" = 134217728 ]
	[ "$(fake_value net.ipv4.tcp_wmem)" = "4096 16384 134217728" ]
}

@test "buffers apply in a namespace: per-netns keys change, read-only rmem_max is left out" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox 'echo "4096 131072 6291456" > /proc/sys/net/ipv4/tcp_rmem; nettune-buffers apply --rate 1gbit --rtt 20ms && cat /proc/sys/net/ipv4/tcp_rmem && grep tcp_rmem /etc/sysctl.d/90-tunekit.conf'
	assert_success
	assert_line $'4096\t131072\t8388608'
	assert_line "net.ipv4.tcp_rmem = 4096 131072 8388608"
	[[ "$stderr" == *"net.core.rmem_max is read-only here"* ]]
}

# A real transfer over a veth pair shaped by tbf at 1 Gbit/s: the receiver's
# tcp_rmem decides whether the sender is held back by the receive window.
observe_flow() { # observe_flow RMEM_DEFAULT RMEM_MAX: observe from the sender
	in_sandbox "sandbox_veth tkb0 10.200.1.1/24 10.200.1.2/24
		tc qdisc add dev tkb0 root tbf rate 1gbit burst 256k latency 50ms
		ip netns exec tkb0-ns sh -c 'echo 4096 $1 $2 > /proc/sys/net/ipv4/tcp_rmem'
		ip netns exec tkb0-ns '$TCP_FLOW' sink 10.200.1.2 5001 30 >/dev/null &
		wait_listening 5001 tkb0-ns
		'$TCP_FLOW' source 10.200.1.2 5001 30 &
		wait_established 5001
		nettune-buffers observe --interval 1 --all
		stop_jobs"
}

@test "buffers observe: a tiny receiver tcp_rmem shows the flow as receive-window limited" {
	require_sandbox
	require_tcp_flow
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr observe_flow 4096 4096
	assert_success
	assert_output --regexp '^10\.200\.1\.1:[0-9]+ 10\.200\.1\.2:5001 rwnd [0-9]+% current=[0-9]+ suggest=[0-9]+ net\.ipv4\.tcp_rmem \(peer\)$'
	[[ "$stderr" == *"1 of 1 connection(s) held back"* ]]
}

@test "buffers observe: a large receiver tcp_rmem does not limit the same flow" {
	require_sandbox
	require_tcp_flow
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr observe_flow 131072 67108864
	assert_success
	assert_output --regexp '^10\.200\.1\.1:[0-9]+ 10\.200\.1\.2:5001 - '
	[[ "$stderr" == *"no connection held back by its buffers (1 checked)"* ]]
}

@test "buffers observe --json: the receiving side reports its buffer at tcp_rmem max" {
	require_sandbox
	require_tcp_flow
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox "sandbox_veth tkb0 10.200.1.1/24 10.200.1.2/24
		echo '4096 8192 8192' > /proc/sys/net/ipv4/tcp_rmem
		'$TCP_FLOW' sink 10.200.1.1 5001 30 >/dev/null &
		wait_listening 5001
		ip netns exec tkb0-ns '$TCP_FLOW' source 10.200.1.1 5001 30 &
		wait_established 5001
		wait_flowing 5001
		nettune-buffers observe --interval 0.5 --json
		stop_jobs"
	assert_success
	run python3 -c 'import json,sys; d=json.load(sys.stdin); f=d["flows"][0]; print(d["limited"], f["limit"], f["local"], f["rcvbuf"], f["setting"], f["suggest_bytes"] >= 6291456)' <<<"$output"
	assert_output "1 rcvbuf 10.200.1.1:5001 8192 net.ipv4.tcp_rmem True"
}

# ordered_output: every tcp_rmem/tcp_wmem line has min <= default <= max and
# each core *_max is at least its *_default in the fake /proc
ordered_output() {
	local rdef wdef
	rdef=$(fake_value net.core.rmem_default)
	wdef=$(fake_value net.core.wmem_default)
	awk -v rdef="$rdef" -v wdef="$wdef" '
		/^net\.ipv4\.tcp_[rw]mem = / { if (!($3 <= $4 && $4 <= $5)) { print "disordered: " $0; bad = 1 } }
		/^net\.core\.rmem_max = / { if ($3 < rdef) { print "below rmem_default: " $0; bad = 1 } }
		/^net\.core\.wmem_max = / { if ($3 < wdef) { print "below wmem_default: " $0; bad = 1 } }
		END { exit bad }' <<<"$1"
}

@test "buffers: --max below a default it caps is a usage error naming --max, in every command" {
	for cmd in recommend check apply observe "apply -n"; do
		run --separate-stderr nettune-buffers $cmd -m 1
		assert_failure 2
		assert_output ""
		[[ "$stderr" == *"invalid --max argument '1': below the default of net.core.rmem_default (212992 bytes, 208 KiB)"*"use --max 212992 or more"* ]]
	done
	[ "$(fake_value net.ipv4.tcp_rmem)" = $'4096\t131072\t6291456' ]
	run --separate-stderr nettune-buffers recommend --rate 1gbit --rtt 20ms --max 131071
	assert_failure 2
	assert_output ""
}

@test "buffers: --max at the boundary: one byte under the largest default fails, at it every range is in order" {
	run --separate-stderr nettune-buffers recommend -m 212991
	assert_failure 2
	run --separate-stderr nettune-buffers recommend -m 212992
	assert_success
	assert_output "net.core.rmem_max = 212992
net.core.wmem_max = 212992
net.ipv4.tcp_moderate_rcvbuf = 1
net.ipv4.tcp_rmem = 4096 131072 212992
net.ipv4.tcp_wmem = 4096 16384 212992"
	for max in 212992 212993 1MiB 4194303 4194304 6291455 6291456 6291457 256MiB 2GiB 8GiB; do
		for path in "" "--rate 1kbit --rtt 1ms" "--rate 1gbit --rtt 20ms" "--rate 100tbit --rtt 1s"; do
			run --separate-stderr nettune-buffers recommend -m "$max" $path
			assert_success
			ordered_output "$output"
		done
	done
}

@test "buffers: a TCP default above --max names that key; core defaults and tcp_wmem count too" {
	printf '4096\t8388608\t16777216\n' >"$TUNEKIT_PROC/sys/net/ipv4/tcp_rmem"
	run --separate-stderr nettune-buffers recommend --max 4MiB
	assert_failure 2
	[[ "$stderr" == *"below the default of net.ipv4.tcp_rmem (8388608 bytes, 8 MiB)"* ]]
	printf '4096\t16384\t4194304\n' >"$TUNEKIT_PROC/sys/net/ipv4/tcp_rmem"
	printf '4096\t1048576\t4194304\n' >"$TUNEKIT_PROC/sys/net/ipv4/tcp_wmem"
	run --separate-stderr nettune-buffers recommend --max 1048575
	assert_failure 2
	[[ "$stderr" == *"below the default of net.ipv4.tcp_wmem (1048576 bytes"* ]]
	run --separate-stderr nettune-buffers recommend --max 1MiB
	assert_success
	assert_line "net.ipv4.tcp_wmem = 4096 1048576 1048576"
	ordered_output "$output"
}

@test "buffers: a RAM share under the defaults raises the maximum to the default and says so" {
	printf 'MemTotal: 512 kB\n' >"$TUNEKIT_PROC/meminfo"
	run --separate-stderr nettune-buffers recommend --rate 10gbit --rtt 100ms
	assert_success
	assert_line "net.ipv4.tcp_rmem = 4096 131072 212992"
	assert_line "net.ipv4.tcp_wmem = 4096 16384 212992"
	assert_line "net.core.rmem_max = 212992"
	ordered_output "$output"
	[[ "$stderr" == *"net.ipv4.tcp_rmem: the cap (64 KiB) is below the default (208 KiB): maximum raised to the default"* ]]
	# the fallback rule never goes under the kernel's own maximum
	run --separate-stderr nettune-buffers recommend
	assert_success
	assert_line "net.ipv4.tcp_rmem = 4096 131072 6291456"
	ordered_output "$output"
}

@test "buffers: a live minimum above its default is recommended down to the default" {
	printf '262144\t131072\t6291456\n' >"$TUNEKIT_PROC/sys/net/ipv4/tcp_rmem"
	run --separate-stderr nettune-buffers recommend
	assert_success
	assert_line --regexp '^net\.ipv4\.tcp_rmem = 131072 131072 [0-9]+$'
	ordered_output "$output"
	[[ "$stderr" == *"net.ipv4.tcp_rmem: the live minimum 262144 is above the default 131072: recommending minimum 131072"* ]]
}
