#!/usr/bin/env bats
# The sandbox itself: tests rely on it keeping the host untouched.

load helpers

setup() {
	require_sandbox
}

@test "sandbox: writes to /etc/sysctl.d stay inside the sandbox" {
	run "$SANDBOX" sh -c 'echo "net.core.somaxconn = 1" > /etc/sysctl.d/99-sandbox-probe.conf && cat /etc/sysctl.d/99-sandbox-probe.conf'
	assert_success
	assert_output "net.core.somaxconn = 1"
	assert_file_not_exists /etc/sysctl.d/99-sandbox-probe.conf
}

@test "sandbox: net sysctls are the namespace's own" {
	host=$(cat /proc/sys/net/core/somaxconn)
	new=$((host == 1234 ? 1235 : 1234))
	run "$SANDBOX" sh -c "echo $new > /proc/sys/net/core/somaxconn && cat /proc/sys/net/core/somaxconn"
	assert_success
	assert_output "$new"
	assert_equal "$(cat /proc/sys/net/core/somaxconn)" "$host"
}

@test "sandbox: non-net sysctls are read-only inside" {
	run "$SANDBOX" sh -c 'cat /proc/sys/vm/swappiness > /proc/sys/vm/swappiness'
	assert_failure
}

@test "sandbox: /var/lib/tunekit and /run/lock start empty and vanish" {
	run "$SANDBOX" sh -c 'test -z "$(ls -A /var/lib/tunekit)" && touch /var/lib/tunekit/x /run/lock/tunekit.lock && ls /var/lib/tunekit'
	assert_success
	assert_output "x"
	assert_file_not_exists /var/lib/tunekit/x
}

@test "sandbox: loopback is up and nothing else exists" {
	run "$SANDBOX" ip -o link show
	assert_success
	assert_line --partial "lo:"
	assert_line --partial "UP"
	[ "${#lines[@]}" -eq 1 ]
}

@test "sandbox: veth helper builds a pair that passes traffic" {
	run in_sandbox 'sandbox_veth tkv0 10.200.0.1/24 10.200.0.2/24 1400 && ping -c1 -W2 10.200.0.2 >/dev/null && cat /sys/class/net/tkv0/mtu'
	assert_success
	assert_output "1400"
}
