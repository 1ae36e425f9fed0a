#!/usr/bin/env bats
# tunekit-bootlint: will the persisted sysctls be in force after the next
# boot? Fake trees under --root / TUNEKIT_ROOT and a fake /proc.

load helpers

setup() {
	export TUNEKIT_ROOT=$BATS_TEST_TMPDIR/root
	export TUNEKIT_PROC=$BATS_TEST_TMPDIR/proc
	mkdir -p "$TUNEKIT_ROOT/etc/sysctl.d" "$TUNEKIT_ROOT/usr/lib/sysctl.d" "$TUNEKIT_PROC"
	ours=$TUNEKIT_ROOT/etc/sysctl.d/90-tunekit.conf
}

# running NAME PID: a fake process in the fake /proc
running() {
	mkdir -p "$TUNEKIT_PROC/$2"
	printf '%s\n' "$1" >"$TUNEKIT_PROC/$2/comm"
}

@test "bootlint: nothing persisted, nothing to say" {
	run tunekit-bootlint
	assert_success
	assert_output ""
}

@test "bootlint: our values in force: exit 0, --all says ok per key" {
	printf 'net.core.rmem_max = 1000\nnet.ipv4.tcp_rmem = 4096 131072 6291456\n' >"$ours"
	printf 'net.core.rmem_max = 212992\n' >"$TUNEKIT_ROOT/usr/lib/sysctl.d/50-vendor.conf"
	run tunekit-bootlint
	assert_success
	assert_output ""
	run tunekit-bootlint --all
	assert_success
	assert_output $'net.core.rmem_max: ok\nnet.ipv4.tcp_rmem: ok'
}

@test "bootlint: a later file shadows ours: one line, exit 3" {
	printf 'net.core.rmem_max = 1000\n' >"$ours"
	printf '# vendor\nnet/core/rmem_max=212992\n' >"$TUNEKIT_ROOT/usr/lib/sysctl.d/99-vendor.conf"
	run tunekit-bootlint
	assert_failure 3
	assert_output "net.core.rmem_max: shadowed by /usr/lib/sysctl.d/99-vendor.conf:2 (value 212992)"
	# masking the vendor file in /etc puts ours back in force
	ln -s /dev/null "$TUNEKIT_ROOT/etc/sysctl.d/99-vendor.conf"
	run tunekit-bootlint
	assert_success
}

@test "bootlint: /etc/sysctl.conf and '-key' differ between the boot paths" {
	printf 'net.core.somaxconn = 4096\nnet.core.wmem_max = 1000\n' >"$ours"
	printf 'net.core.somaxconn = 128\n' >"$TUNEKIT_ROOT/etc/sysctl.conf"
	printf -- '-net.core.wmem_max\n' >"$TUNEKIT_ROOT/usr/lib/sysctl.d/99-vendor.conf"
	run tunekit-bootlint
	assert_failure 3
	assert_line "net.core.somaxconn: shadowed by /etc/sysctl.conf:1 (value 128) [sysctl --system only]"
	assert_line "net.core.wmem_max: excluded by /usr/lib/sysctl.d/99-vendor.conf:1 [systemd-sysctl only]"
	run tunekit-bootlint --model systemd
	assert_failure 3
	assert_output "net.core.wmem_max: excluded by /usr/lib/sysctl.d/99-vendor.conf:1"
	run tunekit-bootlint --model procps
	assert_failure 3
	assert_output "net.core.somaxconn: shadowed by /etc/sysctl.conf:1 (value 128)"
}

@test "bootlint: our file masked, wanted values from stdin" {
	ln -s /dev/null "$ours"
	printf 'net.ipv4.conf.*.rp_filter = 2\n' >"$TUNEKIT_ROOT/usr/lib/sysctl.d/50-default.conf"
	run tunekit-bootlint --want - <<<'net.ipv4.conf.eth0.rp_filter = 1'
	assert_failure 3
	assert_line --index 0 "/etc/sysctl.d/90-tunekit.conf: masked by /etc/sysctl.d/90-tunekit.conf (symlink to /dev/null)"
	assert_line --index 1 "net.ipv4.conf.eth0.rp_filter: masked by /etc/sysctl.d/90-tunekit.conf (symlink to /dev/null); at boot: 2 from /usr/lib/sysctl.d/50-default.conf:1"
}

@test "bootlint: --json is one object with stable keys" {
	require_cmd jq
	printf 'net.ipv4.tcp_rmem = 4096 131072 6291456\nnet.core.somaxconn = 4096\n' >"$ours"
	printf 'net.ipv4.tcp_rmem = 4096 87380 6291456\n' >"$TUNEKIT_ROOT/usr/lib/sysctl.d/99-vendor.conf"
	running bpftune 4242
	run tunekit-bootlint --json
	assert_failure 3
	echo "$output" | jq -e '.file == "/etc/sysctl.d/90-tunekit.conf" and .masked_by == null and .files_read == 2' >/dev/null
	echo "$output" | jq -e '.keys | length == 2' >/dev/null
	echo "$output" | jq -e '.keys[0].systemd.status == "shadowed" and .keys[0].procps.line == 1' >/dev/null
	echo "$output" | jq -e '.bpftune.running and .bpftune.pids == [4242]' >/dev/null
	echo "$output" | jq -e '[.findings[].kind] == ["shadowed", "bpftune"]' >/dev/null
	echo "$output" | jq -e '.findings[0].model == "both" and .findings[1].tuner == "tcp_buffer"' >/dev/null
}

@test "bootlint: a running bpftune retunes tcp_rmem, not somaxconn" {
	printf 'net.ipv4.tcp_rmem = 4096 131072 6291456\nnet.core.somaxconn = 4096\n' >"$ours"
	running bash 10
	running bpftunex 11
	run tunekit-bootlint
	assert_success
	running bpftune 77
	run tunekit-bootlint
	assert_failure 3
	assert_output "net.ipv4.tcp_rmem: retuned at run time by bpftune (pid 77, tuner tcp_buffer)"
	run tunekit-bootlint --no-comanagers
	assert_success
}

@test "bootlint: TuneD's active profile and its include chain" {
	printf 'net.core.rmem_max = 1000\nnet.core.wmem_max = 1000\n' >"$ours"
	mkdir -p "$TUNEKIT_ROOT/etc/tuned/site" "$TUNEKIT_ROOT/usr/lib/tuned/network-throughput"
	echo site >"$TUNEKIT_ROOT/etc/tuned/active_profile"
	printf '[main]\ninclude=network-throughput\n[sysctl]\nnet.core.wmem_max=1000\n' \
		>"$TUNEKIT_ROOT/etc/tuned/site/tuned.conf"
	printf '[main]\ninclude=site\n\n[sysctl]\nnet.core.rmem_max=16777216\nnet.core.wmem_max=16777216\n' \
		>"$TUNEKIT_ROOT/usr/lib/tuned/network-throughput/tuned.conf"
	# neither running nor enabled: a leftover profile fights nobody
	run tunekit-bootlint
	assert_success
	mkdir -p "$TUNEKIT_ROOT/etc/systemd/system/multi-user.target.wants"
	ln -s /usr/lib/systemd/system/tuned.service "$TUNEKIT_ROOT/etc/systemd/system/multi-user.target.wants/tuned.service"
	run tunekit-bootlint
	assert_failure 3
	assert_output "net.core.rmem_max: tuned profile network-throughput sets 16777216 (/usr/lib/tuned/network-throughput/tuned.conf:5)"
	run tunekit-bootlint --json
	echo "$output" | jq -e '.tuned.include_loop and .tuned.considered and (.tuned.files | length == 2)' >/dev/null
}

@test "bootlint: an absolute symlink resolves inside the root, not on the host" {
	printf 'net.core.rmem_max = 1000\n' >"$ours"
	printf 'net.core.rmem_max = 1\n' >"$BATS_TEST_TMPDIR/outside.conf"
	ln -s "$BATS_TEST_TMPDIR/outside.conf" "$TUNEKIT_ROOT/etc/sysctl.d/99-escape.conf"
	ln -s "../../../../../../../../../../$BATS_TEST_TMPDIR/outside.conf" "$TUNEKIT_ROOT/etc/sysctl.d/98-escape.conf"
	run tunekit-bootlint
	assert_success
	assert_output ""
}

@test "bootlint: control characters from files never reach the terminal" {
	printf 'net.core.rmem_max = 1000\n' >"$ours"
	printf 'net.core.rmem_max = 1\033[2J\n' >"$TUNEKIT_ROOT/etc/sysctl.d/99-evil.conf"
	run tunekit-bootlint
	assert_failure 3
	assert_output "net.core.rmem_max: shadowed by /etc/sysctl.d/99-evil.conf:1 (value 1?[2J)"
}

@test "bootlint: usage and input errors exit 2" {
	run tunekit-bootlint --bogus
	assert_failure 2
	run tunekit-bootlint --model sysv
	assert_failure 2
	assert_output --partial "invalid --model argument 'sysv': not one of systemd, procps, both"
	run tunekit-bootlint --file /etc/90-tunekit.conf
	assert_failure 2
	printf 'net.core.rmem_max 1000\n' >"$ours"
	run tunekit-bootlint
	assert_failure 2
	assert_output --partial "90-tunekit.conf:1: no '=' in line"
	run tunekit-bootlint extra
	assert_failure 2
	run tunekit-bootlint --help
	assert_success
	assert_output --partial "Exit status: 0 no finding, 1 failure, 2 invalid input, 3 findings."
}
