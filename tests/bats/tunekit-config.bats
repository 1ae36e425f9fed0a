#!/usr/bin/env bats
# tunekit-config: profiles and tunekit.conf are parsed and validated, never run.

load helpers

setup() {
	export TUNEKIT_ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$TUNEKIT_ROOT/etc/tunekit"
}

@test "config: every shipped profile validates" {
	for p in "$TUNEKIT_SRCDIR"/profiles/*.conf; do
		run tunekit-config --check "$p"
		assert_success
	done
}

@test "config: default is the balanced profile with its settings" {
	run tunekit-config
	assert_success
	assert_line "profile=balanced"
	assert_line "rate=1gbit"
	assert_line "rtt=50ms"
	assert_line "cc_profile=balanced"
	refute_line --partial "sysctl."
}

@test "config: tunekit.conf picks the profile and overrides its values" {
	printf '# site\nprofile = throughput\nrtt = 30ms\nprobe_targets = 127.0.0.1:22\n' > "$TUNEKIT_ROOT/etc/tunekit/tunekit.conf"
	run tunekit-config
	assert_success
	assert_line "profile=throughput"
	assert_line "rate=10gbit"
	assert_line "rtt=30ms"
	assert_line "probe_targets=127.0.0.1:22"
}

@test "config: --profile on the command line beats tunekit.conf" {
	echo "profile = throughput" > "$TUNEKIT_ROOT/etc/tunekit/tunekit.conf"
	run tunekit-config --profile latency
	assert_success
	assert_line "profile=latency"
	assert_line "rate=1gbit"
}

@test "config: an unknown key in tunekit.conf is an error naming file and line (exit 2)" {
	printf 'profile = latency\n\ncolour = blue\n' > "$TUNEKIT_ROOT/etc/tunekit/tunekit.conf"
	run tunekit-config
	assert_failure 2
	assert_output --partial "tunekit.conf:3: unknown key"
}

@test "config: shell code in tunekit.conf is data, never executed" {
	printf 'probe_targets = $(touch %s/pwned)\n' "$BATS_TEST_TMPDIR" > "$TUNEKIT_ROOT/etc/tunekit/tunekit.conf"
	run tunekit-config
	assert_failure 2
	assert_output --partial "not a list of HOST[:PORT]"
	assert_file_not_exists "$BATS_TEST_TMPDIR/pwned"
}

@test "config: --sysctl prints the profile's sysctl lines in sysctl.d format" {
	run tunekit-config --sysctl --profile latency
	assert_success
	assert_line "net.ipv4.tcp_fastopen = 3"
	assert_line "net.core.somaxconn = 4096"
	refute_line --partial "rate"
}

@test "config: every profile's sysctl lines are valid for nettune-backup apply (in the sandbox)" {
	require_sandbox
	for p in throughput latency balanced; do
		run "$SANDBOX" sh -c "tunekit-config --sysctl --profile $p | nettune-backup apply -n -"
		assert_success
	done
}

@test "config: a bad --profile name is a usage error" {
	run tunekit-config --profile fastest
	assert_failure 2
	assert_output --partial "invalid --profile argument 'fastest': not one of throughput, latency, balanced"
}
