#!/usr/bin/env bats
# contrib/ansible: the role drives `nettune optimize` on localhost (connection:
# local) inside the sandbox: check mode changes nothing, a real run reports
# changed, a second run reports ok.

load helpers

setup() {
	require_sandbox
	require_cmd ansible-playbook
	cat > "$BATS_TEST_TMPDIR/play.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: tunekit
      tunekit_install: false
      tunekit_profile: throughput
YML
}

# play ARGS...: run the playbook in the sandbox, print the recap and a probe of the sysctl
play() {
	"$SANDBOX" env HOME="$BATS_TEST_TMPDIR" ANSIBLE_ROLES_PATH="$TUNEKIT_SRCDIR/contrib/ansible/roles" \
		ANSIBLE_LOCAL_TEMP="$BATS_TEST_TMPDIR/ansible-tmp" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
		bash -c '
		for args in "$@"; do
			# shellcheck disable=SC2086
			ansible-playbook -i localhost, $args "$0" | grep -E "^localhost +:" || exit 9
			echo "ssai=$(cat /proc/sys/net/ipv4/tcp_slow_start_after_idle)"
		done' "$BATS_TEST_TMPDIR/play.yml" "$@"
}

@test "ansible role: --check reports changed and changes nothing; apply changes; rerun is ok" {
	run play "--check" "" ""
	assert_success
	assert_line --index 0 --regexp 'ok=[0-9]+ +changed=1 +unreachable=0 +failed=0'
	assert_line --index 1 "ssai=1"
	assert_line --index 2 --regexp 'changed=1 +unreachable=0 +failed=0'
	assert_line --index 3 "ssai=0"
	assert_line --index 4 --regexp 'changed=0 +unreachable=0 +failed=0'
	assert_line --index 5 "ssai=0"
}

@test "ansible role: a profile that fails validation fails the task with tunekit's message" {
	run "$SANDBOX" env HOME="$BATS_TEST_TMPDIR" ANSIBLE_ROLES_PATH="$TUNEKIT_SRCDIR/contrib/ansible/roles" \
		ANSIBLE_LOCAL_TEMP="$BATS_TEST_TMPDIR/ansible-tmp" ANSIBLE_NOCOLOR=1 \
		ansible-playbook -i localhost, -e tunekit_profile=fastest "$BATS_TEST_TMPDIR/play.yml"
	assert_failure 2
	assert_output --partial "--profile 'fastest': not one of throughput, latency, balanced"
	assert_line --regexp '^localhost +:.*failed=1'
}
