#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# nettune-queues: ring sizes and interrupt coalescing applied through the
# engine (issue 19), keys ethtool:DEV/rings/... and ethtool:DEV/coalesce/...
# What this kernel offers: a tap device has coalescing rx-frames only (the
# kernel refuses rx-usecs; tun clamps rx-frames to 64); veth has neither
# rings nor coalescing; no virtual driver has RINGS_SET (netdevsim is not
# built), so rings are covered by tests/unit/test-nicval.c (the request
# decoded) and here only as "unsupported". The real consumer of every value
# is ethtool -c; the persisted RUN line is checked by udevadm test and run
# as udev would run it.

load helpers
load tuners-helpers

setup() {
	tuners_fake "$BATS_TEST_TMPDIR"
}

RULES=/etc/udev/rules.d/90-tunekit-queues.rules

# a tap device t0 (rx-frames 0), the fake /proc for the sysctls (no
# squeezes: check judges only the queue settings), the sandbox's real paths
tap_setup="ip tuntap add t0 mode tap && export TUNEKIT_PROC='$BATS_TEST_TMPDIR/proc' && unset TUNEKIT_ROOT
	rxf() { ethtool -c \"\$1\" | sed -n 's/^rx-frames: *//p'; }
	nsnap() { nettune-backup list 2>/dev/null | wc -l; }"

@test "queues ethtool: --help names the options; malformed values exit 2" {
	run nettune-queues --help
	assert_success
	for w in --rx-ring --tx-ring --coalesce ethtool:eth0/rings/rx rx-usecs adaptive-rx; do
		assert_output --partial -- "$w"
	done
	for bad in "--rx-ring -1" "--rx-ring 4294967296" "--rx-ring 1k" "--tx-ring 0x10" "--coalesce rx-usecs" \
		"--coalesce bogus=1" "--coalesce rx-usecs=1," "--coalesce adaptive-rx=2" "--coalesce rx-usecs=0x10" \
		"--coalesce rx-usecs=1;id" "--coalesce =1" "--coalesce rings/rx=1"; do
		run --separate-stderr nettune-queues $bad recommend
		assert_failure 2
		[[ "$stderr" == *"--"* ]]
	done
	run nettune-queues --coalesce '' recommend
	assert_failure 2
	run tunekit-nicset --help
	assert_success
	assert_output --partial "coalesce/rx-frames"
}

@test "queues ethtool: hostile keys, values and tunekit-nicset arguments exit 2 and change nothing" {
	for line in 'ethtool:../rings/rx = 1' 'ethtool:lo/../../etc/x = 1' 'ethtool:a/b/rings/rx = 1' \
		'ethtool:0123456789abcdef/rings/rx = 1' 'ethtool:lo/coalesce/rx-usecs-irq = 1' \
		'ethtool:lo/coalesce/bogus = 1' 'ethtool:lo/rings/rx/../tx = 1' 'ethtool:l*/rings/rx = 1' \
		'ethtool:lo/rings/rx = 1;reboot' 'ethtool:lo/rings/rx = 0x10' 'ethtool:lo/rings/rx = -1' \
		'ethtool:lo/coalesce/adaptive-rx = 2' 'ethtool:lo/coalesce/rx-frames = 4294967296'; do
		run --separate-stderr nettune-backup apply - <<<"$line"
		assert_failure 2
		[[ "$stderr" =~ "outside the schema"|"interface name"|"decimal number"|"adaptive coalescing" ]]
	done
	# nothing was written: no snapshot store, no rule file
	assert [ ! -e "$TUNEKIT_ROOT/var/lib/tunekit/snapshots" ]
	assert [ ! -e "$TUNEKIT_ROOT$RULES" ]
	for args in "../x rings/rx=1" "lo rings/rx=1;id" "lo coalesce/../x=1" "lo rings/rx=1 rings/rx=2" "lo" \
		"0123456789abcdef rings/rx=1" "lo rings/rx" "lo =1" "lo coalesce/adaptive-tx=on"; do
		run tunekit-nicset $args
		assert_failure 2
	done
}

@test "sandbox: tap rx-frames applied (ethtool -c shows it), snapshotted, drift checked, restored; a repeat changes nothing" {
	require_sandbox
	require_cmd ethtool
	run --separate-stderr in_sandbox_plain "$tap_setup
		echo before \$(rxf t0)
		nettune-queues -i 0 -I t0 --coalesce rx-frames=16 apply; echo apply=\$?
		echo live \$(rxf t0) snapshots \$(nsnap)
		grep -c 'RUN+=' $RULES | sed 's/^/run-lines=/'
		nettune-queues -i 0 -I t0 --coalesce rx-frames=16 apply 2>&1; echo apply2=\$?
		echo snapshots-after-repeat \$(nsnap)
		nettune-queues -i 0 check; echo check-clean=\$?
		ethtool -C t0 rx-frames 8
		nettune-queues -i 0 check; echo check-drift=\$?
		nettune check; echo nettune-check=\$?
		nettune-backup restore >/dev/null; echo restore=\$?
		echo restored \$(rxf t0)
		[ -e $RULES ] || echo rules-gone
		nettune-queues -i 0 check; echo check-after=\$?"
	assert_success
	assert_line "before 0"
	assert_line "apply=0"
	assert_line "ethtool:t0/coalesce/rx-frames: 0 -> 16"
	assert_line "live 16 snapshots 1"
	assert_line "run-lines=1"
	assert_line --partial "nothing to change"
	assert_line "apply2=0"
	assert_line "snapshots-after-repeat 1"
	assert_line "check-clean=0"
	assert_line "ethtool:t0/coalesce/rx-frames: 8 -> 16"
	assert_line "check-drift=3"
	assert_line "nettune-check=3"
	assert_line "restore=0"
	assert_line "restored 0"
	assert_line "rules-gone"
	assert_line "check-after=0"
}

@test "sandbox: a failure after the coalescing write rolls it back; so does a value the driver rounds" {
	require_sandbox
	require_cmd ethtool
	# one CPU past the last: the kernel refuses the mask (EINVAL) after the rx-frames write
	local wide
	wide=$(printf '%x' $((1 << $(nproc --all))))
	run --separate-stderr in_sandbox_plain "$tap_setup
		printf '%s\n' 'ethtool:t0/coalesce/rx-frames = 16' 'sysfs:net/t0/queues/rx-0/rps_cpus = $wide' |
			nettune-backup apply -; echo apply=\$?
		echo after-mask \$(rxf t0)
		[ -e $RULES ] || echo no-rules
		nettune-queues -i 0 -I t0 --coalesce rx-frames=16 --rps-cpus $wide apply; echo queues=\$?
		echo after-queues \$(rxf t0)
		# tun keeps at most 64: read back 64 for 100, a failed write
		nettune-queues -i 0 -I t0 --coalesce rx-frames=100 apply; echo rounded=\$?
		echo after-rounded \$(rxf t0)
		[ -e $RULES ] || echo still-no-rules"
	assert_success
	assert_line "apply=1"
	assert_line "after-mask 0"
	assert_line "no-rules"
	assert_line "queues=1"
	assert_line "after-queues 0"
	assert_line "rounded=1"
	assert_line "after-rounded 0"
	assert_line "still-no-rules"
	[[ "$stderr" == *"sysfs:net/t0/queues/rx-0/rps_cpus"* ]]
	[[ "$stderr" == *"ethtool:t0/coalesce/rx-frames: read back a different value"* ]]
	[[ "$stderr" == *"restored"* ]]
}

@test "sandbox: veth has no rings or coalescing: show, recommend and apply report it, exit 0, nothing changed" {
	require_sandbox
	require_cmd ethtool
	run --separate-stderr in_sandbox_plain "$tap_setup
		ip link add tkq0 type veth peer name tkq1
		nettune-queues show | grep tkq0; echo show=\$?
		nettune-queues -i 0 -I tkq0 --rx-ring 512 --tx-ring 512 --coalesce rx-usecs=50,adaptive-rx=1 recommend; echo recommend=\$?
		nettune-queues -i 0 -I tkq0 --rx-ring 512 --coalesce rx-usecs=50 apply; echo apply=\$?
		nettune-queues -i 0 -I tkq0 --rx-ring 512 check; echo check=\$?
		echo snapshots \$(nsnap)
		[ -e $RULES ] || echo no-rules"
	assert_success
	assert_line "ring tkq0 unsupported"
	assert_line "coalesce tkq0 unsupported"
	assert_line "show=0"
	assert_line "recommend=0"
	assert_line "apply=0"
	assert_line "check=0"
	assert_line "snapshots 0"
	assert_line "no-rules"
	refute_output --partial "ethtool:"
	[[ "$stderr" == *"tkq0: ring size rx not supported by the driver (veth); skipped"* ]]
	[[ "$stderr" == *"tkq0: ring size tx not supported by the driver (veth); skipped"* ]]
	[[ "$stderr" == *"tkq0: coalescing rx-usecs not supported by the driver (veth); skipped"* ]]
	[[ "$stderr" == *"tkq0: coalescing adaptive-rx not supported by the driver (veth); skipped"* ]]
	[[ "$stderr" == *"nothing to change"* ]]
}

@test "sandbox: rx-usecs on a tap (the kernel refuses it): said plainly, the engine exits 2, nothing changed" {
	require_sandbox
	require_cmd ethtool
	run --separate-stderr in_sandbox_plain "$tap_setup
		nettune-queues -i 0 -I t0 --coalesce rx-usecs=50 apply; echo queues=\$?
		echo 'ethtool:t0/coalesce/rx-usecs = 50' | nettune-backup apply -; echo backup=\$?
		tunekit-nicset t0 coalesce/rx-usecs=50; echo nicset=\$?
		ethtool -c t0 | grep '^rx-usecs:'
		echo rx-frames \$(rxf t0) snapshots \$(nsnap)
		[ -e $RULES ] || echo no-rules"
	assert_success
	# nettune-queues: a setting the driver lacks is reported and skipped (never an error)
	assert_line "queues=0"
	# the engine, asked for that key itself: invalid input, nothing changed
	assert_line "backup=2"
	assert_line "nicset=0"
	assert_line "rx-usecs: n/a"
	assert_line "rx-frames 0 snapshots 0"
	assert_line "no-rules"
	[[ "$stderr" == *"t0: coalescing rx-usecs not supported by the driver (tun); skipped"* ]]
	[[ "$stderr" == *"ethtool:t0/coalesce/rx-usecs: coalescing rx-usecs not supported by the driver (tun)"* ]]
	[[ "$stderr" == *"nothing changed"* ]]
}

@test "sandbox: the rule's RUN line: udevadm test lists it with the exact arguments; run as udev would, it sets a fresh tap" {
	require_sandbox
	require_cmd ethtool
	# installed, or unpacked by .ci/deps (never installed: it would start udevd)
	local udevadm=${UDEVADM:-$(command -v udevadm || true)}
	[ -n "$udevadm" ] || [ ! -x /opt/tunekit-ci/udev/bin/udevadm ] || udevadm=/opt/tunekit-ci/udev/bin/udevadm
	[ -n "$udevadm" ] || skip_or_fail "udevadm is not installed (.ci/deps unpacks it; or set UDEVADM)"
	run --separate-stderr in_sandbox_plain "$tap_setup
		nettune-queues -i 0 -I t0 --coalesce rx-frames=16 --txqueuelen 2000 apply >/dev/null; echo apply=\$?
		grep 'RUN+=' $RULES
		cp $RULES /tmp/keep.rules
		nettune-backup restore >/dev/null
		for d in /etc/udev/rules.d /run/udev/rules.d /usr/lib/udev/rules.d /lib/udev/rules.d; do
			[ -d \$d ] && mount -t tmpfs tk-rules \$d
		done
		mkdir -p /etc/udev/rules.d && cp /tmp/keep.rules $RULES
		'$udevadm' test --action=add /sys/class/net/t0 2>&1
		# a fresh tap, and the command line udev would run, with the program built here
		ip link del t0 && ip tuntap add t0 mode tap
		echo fresh \$(rxf t0)
		cmd=\$(sed -n 's/.*RUN+=\"\\([^\"]*\\)\"\$/\\1/p' $RULES)
		set -- \$cmd; shift
		echo args \"\$*\"
		tunekit-nicset \"\$@\"; echo nicset=\$?
		echo set-by-rule \$(rxf t0)"
	assert_success
	assert_line "apply=0"
	local prog
	prog=$(sed -n 's/.*RUN+="\([^ ]*\) .*/\1/p' <<<"$output" | head -1)
	[[ "$prog" == /*/tunekit-nicset ]]
	assert_line "ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"t0\", RUN+=\"$prog t0 coalesce/rx-frames=16\""
	refute_output --partial "Invalid"
	assert_output --partial "90-tunekit-queues.rules"
	assert_output --regexp "run: '$prog t0 coalesce/rx-frames=16'"
	assert_output --regexp "ATTR '/sys/devices/virtual/net/t0/tx_queue_len' writing '2000'"
	assert_line "fresh 0"
	assert_line "args t0 coalesce/rx-frames=16"
	assert_line "nicset=0"
	assert_line "set-by-rule 16"
}

@test "sandbox: a rule file or a snapshot with a RUN of another program or other arguments is refused, nothing changed" {
	require_sandbox
	require_cmd ethtool
	run --separate-stderr in_sandbox_plain "$tap_setup
		nettune-queues -i 0 -I t0 --coalesce rx-frames=16 apply >/dev/null
		prog=\$(sed -n 's/.*RUN+=\"\\([^ ]*\\) .*/\\1/p' $RULES)
		nettune-backup restore >/dev/null
		s0=\$(nsnap)
		echo start \$(rxf t0)
		m='ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\"t0\", '
		for bad in '/bin/sh -c id' '/tmp/tunekit-nicset t0 coalesce/rx-frames=16' \
			\"\$prog t0 coalesce/rx-frames=16 ; /bin/sh\" \"\$prog t0 coalesce/rx-frames=16 extra\" \
			\"\$prog t1 coalesce/rx-frames=16\" \"\$prog t0 coalesce/../rings/rx=1\" \
			\"\$prog t0 coalesce/rx-frames=016\" \"\$prog/../x t0 coalesce/rx-frames=16\"; do
			printf '%sRUN+=\"%s\"\n' \"\$m\" \"\$bad\" >$RULES
			cp $RULES /tmp/bad.rules
			nettune-queues -i 0 -I t0 --coalesce rx-frames=16 apply >/dev/null 2>&1; echo apply=\$?
			cmp -s $RULES /tmp/bad.rules && echo rule-file-kept
		done
		echo after \$(rxf t0)
		[ \$(nsnap) = \$s0 ] && echo no-new-snapshot
		# a snapshot that carries such a file: restore refuses it whole
		printf '%sRUN+=\"%s t0 coalesce/rx-frames=16 ; /bin/sh\"\n' \"\$m\" \"\$prog\" >$RULES
		id=\$(nettune-backup save)
		rm $RULES
		ethtool -C t0 rx-frames 4
		nettune-backup restore \$id; echo restore=\$?
		[ -e $RULES ] || echo no-rules
		echo end \$(rxf t0)"
	assert_success
	assert_line "start 0"
	[ "$(grep -c '^apply=2$' <<<"$output")" -eq 8 ]
	[ "$(grep -c '^rule-file-kept$' <<<"$output")" -eq 8 ]
	assert_line "after 0"
	assert_line "no-new-snapshot"
	assert_line "restore=2"
	assert_line "no-rules"
	assert_line "end 4"
	[[ "$stderr" == *"tunekit-nicset RUN lines"* ]]
}
