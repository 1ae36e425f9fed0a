#!/usr/bin/env bats
# nettune-queues: RPS/XPS masks, rps_flow_cnt and txqueuelen applied through
# the engine (issue 19): on veth devices in the sandbox, written and read
# back, rolled back on a value the kernel refuses, persisted as a udev rule
# (checked by udevadm where it is installed), restored by nettune-backup,
# drift reported by check. Hostile names and keys exit 2, nothing changed.

load helpers
load tuners-helpers

setup() {
	tuners_fake "$BATS_TEST_TMPDIR"
}

RULES=/etc/udev/rules.d/90-tunekit-queues.rules
Q=/sys/class/net/tkq0/queues

# the snippet every sandbox test starts with: a veth pair, the fake /proc
# for the sysctls (no squeezes: check judges only the queue settings), the
# real managed paths of the sandbox (no --root)
veth_setup="ip link add tkq0 type veth peer name tkq1 && export TUNEKIT_PROC='$BATS_TEST_TMPDIR/proc' && unset TUNEKIT_ROOT"

@test "queues sysfs: --help names the queue options; malformed masks and numbers exit 2" {
	run nettune-queues --help
	assert_success
	for w in --iface --rps-cpus --xps-cpus --rps-flow-cnt --txqueuelen TUNEKIT_SYS sysfs:net/; do
		assert_output --partial -- "$w"
	done
	for bad in "--rps-cpus zz" "--rps-cpus 0x3" "--rps-cpus 100000003" "--xps-cpus ,1" \
		"--txqueuelen -1" "--txqueuelen 4294967296" "--rps-flow-cnt 1k"; do
		run nettune-queues $bad recommend
		assert_failure 2
	done
}

@test "queues sysfs: hostile interface names and keys exit 2 and change nothing" {
	# outside the sandbox: a fake /sys, so even a regression could not reach the host's
	export TUNEKIT_SYS="$BATS_TEST_TMPDIR/sys"
	mkdir -p "$TUNEKIT_SYS/class/net/lo"
	for name in ../etc a/b .. . 0123456789abcdef 'a b' 'e*' 'a"b' ''; do
		run --separate-stderr nettune-queues --iface "$name" --txqueuelen 5 apply
		assert_failure 2
		[[ "$stderr" == *"not an interface name tunekit manages"* ]]
	done
	for key in 'sysfs:net/../tx_queue_len' 'sysfs:net/lo/../../../etc/x' 'sysfs:net/lo/address' \
		'sysfs:net/a/b/tx_queue_len' 'sysfs:block/sda/queue/scheduler' \
		'sysfs:net/0123456789abcdef/tx_queue_len' 'sysfs:net/lo/queues/rx-0/xps_cpus' \
		'sysfs:net/lo/queues/rx-00/rps_cpus'; do
		run --separate-stderr nettune-backup apply - <<<"$key = 1"
		assert_failure 2
		# refused by the schema, whatever the tree holds
		[[ "$stderr" =~ "outside the schema"|"interface name"|"queue number" ]]
	done
	# nothing was written: no snapshot store, no rule file
	assert [ ! -e "$TUNEKIT_ROOT/var/lib/tunekit/snapshots" ]
	assert [ ! -e "$TUNEKIT_ROOT$RULES" ]
}

@test "sandbox: queue settings on a veth applied, read back, persisted, drift checked, restored" {
	require_sandbox
	run --separate-stderr in_sandbox_plain "$veth_setup
		before=\$(cat $Q/rx-0/rps_cpus $Q/tx-0/xps_cpus $Q/rx-0/rps_flow_cnt /sys/class/net/tkq0/tx_queue_len | tr '\n' ' ')
		nettune-queues -i 0 -I tkq0 --rps-cpus 1 --xps-cpus 1 --rps-flow-cnt 4096 --txqueuelen 2000 apply; echo apply=\$?
		echo live \$(cat $Q/rx-0/rps_cpus $Q/tx-0/xps_cpus $Q/rx-0/rps_flow_cnt /sys/class/net/tkq0/tx_queue_len)
		grep -c '^ACTION' $RULES | sed 's/^/rules=/'
		nettune-queues -i 0 check; echo check-clean=\$?
		echo 0 > $Q/rx-0/rps_cpus
		nettune-queues -i 0 check; echo check-drift=\$?
		nettune-backup restore >/dev/null; echo restore=\$?
		after=\$(cat $Q/rx-0/rps_cpus $Q/tx-0/xps_cpus $Q/rx-0/rps_flow_cnt /sys/class/net/tkq0/tx_queue_len | tr '\n' ' ')
		[ \"\$before\" = \"\$after\" ] && echo same-as-before
		[ -e $RULES ] || echo rules-gone
		nettune-queues -i 0 check; echo check-after=\$?"
	assert_success
	assert_line "apply=0"
	assert_line "sysfs:net/tkq0/queues/rx-0/rps_cpus: 0 -> 1"
	assert_line "sysfs:net/tkq0/tx_queue_len: 1000 -> 2000"
	assert_line --regexp "^live 0*1 0*1 4096 2000$"
	assert_line "rules=4"
	assert_line "check-clean=0"
	assert_line "sysfs:net/tkq0/queues/rx-0/rps_cpus: 0 -> 1"
	assert_line "check-drift=3"
	assert_line "restore=0"
	assert_line "same-as-before"
	assert_line "rules-gone"
	assert_line "check-after=0"
}

@test "sandbox: a value the kernel refuses midway rolls back the queue settings written before it" {
	require_sandbox
	# one CPU past the last: the kernel refuses the mask (EINVAL) after two writes
	local wide
	wide=$(printf '%x' $((1 << $(nproc --all))))
	run --separate-stderr in_sandbox_plain "$veth_setup
		before=\$(cat $Q/tx-0/xps_cpus $Q/rx-0/rps_cpus /sys/class/net/tkq0/tx_queue_len | tr '\n' ' ')
		printf '%s\n' 'sysfs:net/tkq0/tx_queue_len = 3000' 'sysfs:net/tkq0/queues/tx-0/xps_cpus = 1' \
			'sysfs:net/tkq0/queues/rx-0/rps_cpus = $wide' | nettune-backup apply -; echo apply=\$?
		after=\$(cat $Q/tx-0/xps_cpus $Q/rx-0/rps_cpus /sys/class/net/tkq0/tx_queue_len | tr '\n' ' ')
		[ \"\$before\" = \"\$after\" ] && echo rolled-back
		[ -e $RULES ] || echo no-rules"
	assert_success
	assert_line "apply=1"
	assert_line "rolled-back"
	assert_line "no-rules"
	[[ "$stderr" == *"sysfs:net/tkq0/queues/rx-0/rps_cpus"* ]]
}

@test "sandbox: nettune check reports queue drift from the persisted settings" {
	require_sandbox
	run --separate-stderr in_sandbox_plain "$veth_setup
		nettune-queues -i 0 -I tkq0 --txqueuelen 2000 apply >/dev/null; echo apply=\$?
		ip link set tkq0 txqueuelen 1500
		nettune check; echo nettune-check=\$?"
	assert_success
	assert_line "apply=0"
	assert_output --partial "sysfs:net/tkq0/tx_queue_len: 1500 -> 2000"
	assert_line "nettune-check=3"
}

@test "sandbox: udevadm accepts the generated rule and would write each attribute" {
	require_sandbox
	# installed, or unpacked by .ci/deps (never installed: it would start udevd)
	local udevadm=${UDEVADM:-$(command -v udevadm || true)}
	[ -n "$udevadm" ] || [ ! -x /opt/tunekit-ci/udev/bin/udevadm ] || udevadm=/opt/tunekit-ci/udev/bin/udevadm
	[ -n "$udevadm" ] || skip_or_fail "udevadm is not installed (.ci/deps unpacks it; or set UDEVADM)"
	run --separate-stderr in_sandbox_plain "$veth_setup
		nettune-queues -i 0 -I tkq0 --rps-cpus 1 --txqueuelen 2000 apply >/dev/null; echo apply=\$?
		cp $RULES /tmp/keep.rules
		nettune-backup restore >/dev/null
		# only our rule in the rules directories udevadm reads
		for d in /etc/udev/rules.d /run/udev/rules.d /usr/lib/udev/rules.d /lib/udev/rules.d; do
			[ -d \$d ] && mount -t tmpfs tk-rules \$d
		done
		mkdir -p /etc/udev/rules.d && cp /tmp/keep.rules $RULES
		'$udevadm' test --action=add /sys/class/net/tkq0 2>&1
		echo live \$(cat $Q/rx-0/rps_cpus /sys/class/net/tkq0/tx_queue_len)"
	assert_success
	assert_line "apply=0"
	refute_output --partial "Invalid"
	assert_output --partial "90-tunekit-queues.rules"
	assert_output --regexp "ATTR '/sys/devices/virtual/net/tkq0/queues/rx-0/rps_cpus' writing '1'"
	assert_output --regexp "ATTR '/sys/devices/virtual/net/tkq0/tx_queue_len' writing '2000'"
	assert_line --regexp "^live 0*1 2000$"
}

@test "sandbox: veth has no rings or coalescing: show reports unsupported, never an error" {
	require_sandbox
	run --separate-stderr in_sandbox_plain "$veth_setup
		nettune-queues show; echo show=\$?
		nettune-queues show --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print([(r[\"iface\"], r[\"supported\"]) for r in d[\"rings\"] + d[\"coalesce\"] if r[\"iface\"] == \"tkq0\"])'
		nettune-queues -v -i 0 recommend; echo recommend=\$?"
	assert_success
	assert_line "ring tkq0 unsupported"
	assert_line "coalesce tkq0 unsupported"
	assert_line "show=0"
	assert_line "[('tkq0', False), ('tkq0', False)]"
	assert_line "recommend=0"
	[[ "$stderr" == *"tkq0: ring sizes and interrupt coalescing not supported by the driver"* ]]
}
