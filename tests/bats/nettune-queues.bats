#!/usr/bin/env bats
# nettune-queues: backlog and NAPI budget from softnet_stat drop counters.

load helpers
load tuners-helpers

setup() {
	tuners_fake "$BATS_TEST_TMPDIR"
}

@test "queues: --help names every command and option; --version; bad input exits 2" {
	run nettune-queues --help
	assert_success
	for w in show recommend apply check --interval --rule --max-backlog --max-budget --json --prom --dry-run --root; do
		assert_output --partial -- "$w"
	done
	run nettune-queues --version
	assert_output --regexp '^nettune-queues from tunekit '
	run nettune-queues --rule magic recommend
	assert_failure 2
	assert_output --partial "invalid --rule argument 'magic'"
	# packet counts, not byte sizes
	run nettune-queues recommend --max-backlog 2k
	assert_failure 2
	assert_output --partial "invalid --max-backlog argument '2k': not a whole number"
	run nettune-queues frob
	assert_failure 2
	run nettune-queues --interval 5parsecs recommend
	assert_failure 2
}

@test "queues show: sysctls with units and one row per CPU, id from column 13" {
	softnet_rows 0:16:0:0 2:2508:3:4 >"$TUNEKIT_PROC/net/softnet_stat"
	run --separate-stderr nettune-queues show
	assert_success
	assert_line "net.core.netdev_max_backlog = 1000 packets"
	assert_line "net.core.netdev_budget_usecs = 8000 us"
	assert_line "cpu 0 processed 16 dropped 0 time_squeeze 0 received_rps 0 flow_limit 0"
	assert_line "cpu 2 processed 2508 dropped 3 time_squeeze 4 received_rps 0 flow_limit 0"
}

@test "queues show: short rows of old kernels (10 columns, no CPU id) are accepted" {
	printf '0000000a 00000001 00000002 0 0 0 0 0 0 00000000\n0000000b 00000000 00000000 0 0 0 0 0 0 00000000\n' \
		>"$TUNEKIT_PROC/net/softnet_stat"
	run --separate-stderr nettune-queues show
	assert_success
	assert_line "cpu 0 processed 10 dropped 1 time_squeeze 2 received_rps 0 flow_limit 0"
	assert_line "cpu 1 processed 11 dropped 0 time_squeeze 0 received_rps 0 flow_limit 0"
}

@test "queues show --json: one object with sysctls, cpus, irqs" {
	softnet_rows 0:16:1:0 >"$TUNEKIT_PROC/net/softnet_stat"
	run --separate-stderr nettune-queues show --json
	assert_success
	run python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["sysctls"]["net.core.netdev_budget"], d["cpus"][0]["dropped"], d["irqbalance"])' <<<"$output"
	assert_output "300 1 False"
}

@test "queues recommend: no drops, no squeezes -> says so and prints nothing" {
	run --separate-stderr nettune-queues recommend --interval 0
	assert_success
	assert_output ""
	[[ "$stderr" == *"no drops and no time squeezes since boot"*"nothing to change"* ]]
}

@test "queues recommend: drops raise netdev_max_backlog by 1.25" {
	softnet_rows 0:100:0:0 1:5000:17:3 >"$TUNEKIT_PROC/net/softnet_stat"
	run --separate-stderr nettune-queues recommend --interval 0
	assert_success
	assert_output "net.core.netdev_max_backlog = 1250"
	[[ "$stderr" == *"17 packets dropped since boot"* ]]
}

@test "queues recommend: the backlog stops at --max-backlog and says why at the cap" {
	softnet_rows 0:100:5:0 >"$TUNEKIT_PROC/net/softnet_stat"
	run --separate-stderr nettune-queues recommend --interval 0 --max-backlog 1100
	assert_output "net.core.netdev_max_backlog = 1100"
	echo 250000 >"$TUNEKIT_PROC/sys/net/core/netdev_max_backlog"
	run --separate-stderr nettune-queues recommend --interval 0
	assert_success
	assert_output ""
	[[ "$stderr" == *"already 250000"*"spread"* ]]
}

@test "queues recommend: squeezes without drops raise budget and budget_usecs together, capped" {
	softnet_rows 0:100:0:9 1:100:0:0 >"$TUNEKIT_PROC/net/softnet_stat"
	run --separate-stderr nettune-queues recommend --interval 0
	assert_success
	assert_output $'net.core.netdev_budget = 600\nnet.core.netdev_budget_usecs = 16000'
	echo 12000 >"$TUNEKIT_PROC/sys/net/core/netdev_budget_usecs"
	echo 2000 >"$TUNEKIT_PROC/sys/net/core/netdev_budget"
	run --separate-stderr nettune-queues recommend --interval 0
	assert_output $'net.core.netdev_budget = 3000\nnet.core.netdev_budget_usecs = 16000'
}

@test "queues recommend: samples twice and counts only drops inside the interval" {
	softnet_rows 0:100:50:0 1:100:0:0 >"$TUNEKIT_PROC/net/softnet_stat"
	# old drops only: nothing to do over an interval
	run --separate-stderr nettune-queues recommend --interval 0.3
	assert_output ""
	# softnet_stat as a FIFO: the test hands the tool its first sample, waits
	# until the tool is done reading it, then the second one, which the tool
	# can only read after its interval: no race with the clock at any load
	local f=$TUNEKIT_PROC/net/softnet_stat
	rm "$f" && mkfifo "$f"
	nettune-queues recommend --interval 1.5 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	export -f softnet_rows
	timeout 60 bash -c 'softnet_rows 0:100:50:0 1:100:0:0 >"$1"' _ "$f"
	local i
	for i in $(seq 600); do
		ls -l "/proc/$pid/fd" 2>/dev/null | grep -qF -- "$f" || break
		sleep 0.1
	done
	timeout 60 bash -c 'softnet_rows 0:300:58:0 1:100:0:0 >"$1"' _ "$f"
	wait "$pid"
	run cat "$BATS_TEST_TMPDIR/out"
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
	assert_output "net.core.netdev_max_backlog = 1250"
	[[ "$stderr" == *"8 packets dropped in 1.500 s on 1 CPU(s)"* ]]
}

@test "queues recommend --rule cpus: the original's 1000 a CPU, budget 600, weight 64, never lower" {
	softnet_rows 0:1:0:0 1:1:0:0 2:1:0:0 3:1:0:0 >"$TUNEKIT_PROC/net/softnet_stat"
	echo 16 >"$TUNEKIT_PROC/sys/net/core/dev_weight"
	run --separate-stderr nettune-queues recommend --rule cpus
	assert_success
	assert_output $'net.core.dev_weight = 64\nnet.core.netdev_budget = 600\nnet.core.netdev_max_backlog = 4000'
	echo 9000 >"$TUNEKIT_PROC/sys/net/core/netdev_max_backlog"
	run --separate-stderr nettune-queues recommend --rule cpus
	refute_line --partial netdev_max_backlog
}

@test "queues recommend: a malformed softnet_stat is a runtime error naming the line" {
	printf '00000001 00000002 00000003\nnot hex at all\n' >"$TUNEKIT_PROC/net/softnet_stat"
	run --separate-stderr nettune-queues recommend --interval 0
	assert_failure 1
	assert_output ""
	[[ "$stderr" == *"softnet_stat: line 2: not the softnet_stat format"* ]]
}

@test "queues check: exit 3 with drops (text, json, prom), 0 when quiet" {
	run nettune-queues check --interval 0
	assert_success
	assert_output ""
	softnet_rows 0:100:4:0 >"$TUNEKIT_PROC/net/softnet_stat"
	run --separate-stderr nettune-queues check --interval 0
	assert_failure 3
	assert_output "net.core.netdev_max_backlog: 1000 -> 1250"
	run --separate-stderr nettune-queues check --interval 0 --json
	assert_failure 3
	run python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ok"], d["keys"][0]["want"])' <<<"$output"
	assert_output "False 1250"
	run --separate-stderr nettune-queues check --interval 0 --prom "$BATS_TEST_TMPDIR/q.prom"
	assert_failure 3
	assert_output "net.core.netdev_max_backlog: 1000 -> 1250"
	run cat "$BATS_TEST_TMPDIR/q.prom"
	assert_line 'tunekit_tuner_key_ok{tool="nettune-queues",key="net.core.netdev_max_backlog"} 0'
	assert_line 'tunekit_queues_dropped_packets 4'
	assert_line 'tunekit_queues_window_seconds 0'
}

@test "queues apply: writes through the engine, reads back, persists under --root" {
	require_root
	softnet_rows 0:100:4:0 >"$TUNEKIT_PROC/net/softnet_stat"
	run --separate-stderr nettune-queues apply --interval 0 --dry-run
	assert_success
	assert_output "net.core.netdev_max_backlog: 1000 -> 1250"
	[ "$(fake_value net.core.netdev_max_backlog)" = 1000 ]
	run --separate-stderr nettune-queues apply --interval 0
	assert_success
	assert_output "net.core.netdev_max_backlog: 1000 -> 1250"
	[ "$(fake_value net.core.netdev_max_backlog)" = 1250 ]
	run grep -x 'net.core.netdev_max_backlog = 1250' "$TUNEKIT_ROOT/etc/sysctl.d/90-tunekit.conf"
	assert_success
}

@test "queues recommend | nettune-backup apply -: the pipeline applies the lines" {
	require_root
	softnet_rows 0:100:0:2 >"$TUNEKIT_PROC/net/softnet_stat"
	run bash -c 'nettune-queues recommend --interval 0 2>/dev/null | nettune-backup apply -'
	assert_success
	[ "$(fake_value net.core.netdev_budget)" = 600 ]
	[ "$(fake_value net.core.netdev_budget_usecs)" = 16000 ]
}

@test "queues show: IRQs of an interface by name, irqbalance seen in /proc/*/comm" {
	require_sandbox
	mkdir -p "$TUNEKIT_PROC/4242"
	echo irqbalance >"$TUNEKIT_PROC/4242/comm"
	printf '           CPU0       CPU1\n 40:          0       5000   PCI-MSI 1-edge      tkq0-TxRx-0\n 41:         7          0   PCI-MSI 2-edge      tkq00-TxRx-0\n' \
		>"$TUNEKIT_PROC/interrupts"
	run in_sandbox "ip link add tkq0 type veth peer name tkq1 && TUNEKIT_PROC='$TUNEKIT_PROC' nettune-queues show"
	assert_success
	assert_line "irqbalance running"
	assert_line "irq 40 tkq0 tkq0-TxRx-0 cpu0=0 cpu1=5000"
	refute_line --partial "irq 41 tkq0 "
	assert_line "rps tkq0 rx-0 0"
}

@test "queues recommend: when one CPU takes every IRQ, advice goes to stderr, stdout stays sysctl lines" {
	require_sandbox
	softnet_rows 0:100:4:0 >"$TUNEKIT_PROC/net/softnet_stat"
	printf '           CPU0       CPU1\n 40:          0       5000   PCI-MSI 1-edge      tkq0-TxRx-0\n' >"$TUNEKIT_PROC/interrupts"
	run --separate-stderr in_sandbox "ip link add tkq0 type veth peer name tkq1 && TUNEKIT_PROC='$TUNEKIT_PROC' nettune-queues recommend --interval 0"
	assert_success
	assert_output "net.core.netdev_max_backlog = 1250"
	[[ "$stderr" == *"tkq0: all 5000 interrupts of its 1 IRQ(s) land on CPU 1 and irqbalance is not running"* ]]
	[[ "$stderr" == *"rps_cpus"* ]]
}
