#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/ansible against a fleet: 4 sandboxed hosts (tests/fleet/fleet),
# each its own network, mount and UTS namespace with overlays on /etc, /usr
# and /var and a real sshd, driven over ssh by ansible-playbook from a
# controller namespace. The role installs the build under test from a .deb
# (make install DESTDIR= packed by dpkg-deb, or $TUNEKIT_FLEET_PACKAGE),
# applies a profile and verifies it with nettune check.
# One fleet runs every play in order (setup_file); each test reads its part
# of the transcript: "LABEL hI ok=.. changed=.." recap lines, "LABEL rc=N",
# "LABEL hI key=value..." probes of each host's own /proc/sys and files.

load helpers
load fleet-helpers

HOSTS=4

# ---- run inside `fleet` (tests/fleet/fleet) ---------------------------------

# play LABEL ARGS...: ansible-playbook on the fleet; log in $LOGS/LABEL.log
play() {
	local label=$1 rc=0 start=$SECONDS
	shift
	ansible-playbook -i "$FLEET_DIR/inventory.ini" "$@" "$LOGS/play.yml" >"$LOGS/$label.log" 2>&1 || rc=$?
	echo "$label rc=$rc"
	echo "$label took $((SECONDS - start)) s" >&2
	sed -n "s/^\(h[0-9][0-9]*\) *: /$label \1 /p" "$LOGS/$label.log"
}

# probe LABEL: each host's state as seen inside its own namespaces
probe() {
	local label=$1 i
	for i in $(seq "$FLEET_HOSTS"); do
		printf '%s h%s ssai=%s mtu_probing=%s rmem=%s nettune=%s persisted=%s snapshots=%s leftovers=%s\n' \
			"$label" "$i" \
			"$(ip netns exec "fleet-h$i" cat /proc/sys/net/ipv4/tcp_slow_start_after_idle)" \
			"$(ip netns exec "fleet-h$i" cat /proc/sys/net/ipv4/tcp_mtu_probing)" \
			"$(ip netns exec "fleet-h$i" cat /proc/sys/net/ipv4/tcp_rmem | tr '\t' _)" \
			"$(on_host "$i" sh -c 'command -v nettune || echo none')" \
			"$(on_host "$i" sh -c 'test -e /etc/sysctl.d/90-tunekit.conf && echo yes || echo no')" \
			"$(on_host "$i" sh -c 'find /var/lib/tunekit/snapshots -mindepth 1 -maxdepth 1 -name "[0-9]*" 2>/dev/null | wc -l')" \
			"$(on_host "$i" sh -c 'ls -d /tmp/tunekit-pkg.* 2>/dev/null | wc -l')"
	done
}

# persisted_matches_live LABEL: "LABEL hI live-matches-persisted" when every
# line of the host's /etc/sysctl.d/90-tunekit.conf is what its /proc/sys says
persisted_matches_live() {
	local label=$1 i line key value live bad
	for i in $(seq "$FLEET_HOSTS"); do
		bad=0
		while IFS= read -r line; do
			case $line in '' | '#'*) continue ;; esac
			key=${line%% = *} value=${line#* = }
			live=$(ip netns exec "fleet-h$i" cat "/proc/sys/$(printf '%s' "$key" | tr . /)" | tr '\t' ' ')
			[ "$live" = "$value" ] || { echo "$label h$i $key: live '$live' persisted '$value'"; bad=1; }
		done <<EOF
$(on_host "$i" cat /etc/sysctl.d/90-tunekit.conf)
EOF
		[ "$bad" -eq 1 ] || echo "$label h$i live-matches-persisted"
	done
}

scenario() {
	local deb=$1
	fleet_env "$LOGS"
	probe before
	# the defaults on a host whose repositories have no tunekit
	play defaults --limit h1
	# check mode on clean hosts: apt would install; nothing is installed or changed
	play check1 --check -e "tunekit_package_file=$deb"
	probe check1
	# install, optimize, verify
	play apply1 -e "tunekit_package_file=$deb"
	probe apply1
	persisted_matches_live apply1
	# again: nothing to do
	play apply2 -e "tunekit_package_file=$deb"
	probe apply2
	# a profile nettune refuses: the task fails with nettune's message
	play badprofile --limit h1 -e tunekit_install=none -e tunekit_profile=fastest
	# two hosts drift; check mode reports them and changes nothing
	ip netns exec fleet-h2 sh -c 'echo 1 >/proc/sys/net/ipv4/tcp_slow_start_after_idle'
	ip netns exec fleet-h3 sh -c 'echo 0 >/proc/sys/net/ipv4/tcp_mtu_probing'
	play check2 --check -e tunekit_install=none
	probe check2
	# audit only: the drifted hosts fail, naming their keys
	play audit -e tunekit_install=none -e tunekit_apply=false
	# apply repairs them
	play apply3 -e tunekit_install=none
	probe apply3
}

# ---- bats ---------------------------------------------------------------------

# bats 1.8 cannot skip from setup_file: a reason to skip (or, in CI, to
# fail) is written to $LOGS/skip, and each fleet test reports it.
setup_file() {
	export LOGS=$BATS_FILE_TMPDIR
	cat >"$LOGS/play.yml" <<'YML'
- hosts: fleet
  gather_facts: false
  roles:
    - role: tunekit
      tunekit_profile: balanced
YML
	local rc=0
	(
		# shellcheck disable=SC2317 # called by skip_or_fail
		skip() {
			printf '%s\n' "$*" >"$LOGS/skip"
			exit 0
		}
		# errexit is off in a subshell left of ||: every step says so itself
		prefix=$(sed -n 's/^prefix = //p' "$TUNEKIT_BUILDDIR/Makefile")
		case ${TUNEKIT_FLEET_PACKAGE:+given}:$prefix in
		given:* | *:/usr | *:/usr/local) ;;
		*)
			# make distcheck (prefix .../_inst): a package of that tree would
			# install outside the hosts' overlays. The main make check runs it.
			echo "the build's prefix $prefix is not /usr or /usr/local: the hosts' overlays do not cover it" >"$LOGS/skip-anywhere"
			exit 0
			;;
		esac
		require_fleet || exit 1
		require_sandbox || exit 1
		deb=$(fleet_package "$LOGS") || { skip_or_fail "cannot make the tunekit package" || exit 1; }
		require_optimize_json "$deb" "$LOGS" || exit 1
		printf '%s\n' "$deb" >"$LOGS/deb"
	) 2>"$LOGS/setup.err" || rc=$?
	[ "$rc" -eq 0 ] || { sed "s/^cannot run in CI: //" "$LOGS/setup.err" >"$LOGS/skip"; return 0; }
	[ -f "$LOGS/deb" ] || return 0
	[ ! -f "$LOGS/skip-anywhere" ] || return 0
	"$TUNEKIT_SRCDIR/tests/fleet/fleet" "$HOSTS" "$LOGS/fleet" bash -c "set -u
		source '$TUNEKIT_SRCDIR/tests/bats/fleet-helpers.bash'
		$(declare -f play probe persisted_matches_live scenario)
		scenario '$(cat "$LOGS/deb")'" >"$LOGS/transcript" 2>"$LOGS/fleet.err" || rc=$?
	echo "$rc" >"$LOGS/fleet.rc"
}

# transcript: the fleet's transcript as $output/$lines
transcript() {
	if [ -f "$LOGS/skip-anywhere" ]; then
		skip "$(cat "$LOGS/skip-anywhere")"
	fi
	if [ -f "$LOGS/skip" ]; then
		skip_or_fail "$(cat "$LOGS/skip")"
	fi
	[ -f "$LOGS/transcript" ] || fail "the fleet did not run"
	[ "$(cat "$LOGS/fleet.rc")" = 0 ] ||
		fail "tests/fleet/fleet exited $(cat "$LOGS/fleet.rc"): $(tail -20 "$LOGS/fleet.err")"
	run cat "$LOGS/transcript"
}

@test "fleet: $HOSTS clean hosts, each its own namespaces: no tunekit, kernel defaults" {
	transcript
	for i in $(seq "$HOSTS"); do
		assert_line --regexp "^before h$i ssai=1 mtu_probing=0 rmem=[0-9_]+ nettune=none persisted=no snapshots=0 leftovers=0\$"
	done
}

@test "ansible role: with the defaults and no tunekit in the repositories, the failure says how to point it at a .deb" {
	transcript
	assert_line "defaults rc=2"
	assert_line --regexp '^defaults h1 ok=[0-9]+ +changed=0 +unreachable=0 +failed=1 '
	run cat "$LOGS/defaults.log"
	assert_output --partial "No package matching 'tunekit'"
	assert_output --partial "tunekit_package_file=/path/on/the/controller/tunekit_VERSION_ARCH.deb"
}

@test "ansible role: --check on clean hosts reports the install, installs nothing, changes nothing, leaves no file" {
	transcript
	assert_line "check1 rc=0"
	for i in $(seq "$HOSTS"); do
		assert_line --regexp "^check1 h$i ok=[0-9]+ +changed=[1-9][0-9]* +unreachable=0 +failed=0 "
		assert_line --regexp "^check1 h$i ssai=1 mtu_probing=0 rmem=[0-9_]+ nettune=none persisted=no snapshots=0 leftovers=0\$"
	done
	run grep -c 'tunekit would be installed first' "$LOGS/check1.log"
	assert_output "$HOSTS"
}

@test "ansible role: first run installs and applies the profile on every host (changed, failed=0); /proc/sys of each host equals the profile" {
	transcript
	assert_line "apply1 rc=0"
	for i in $(seq "$HOSTS"); do
		assert_line --regexp "^apply1 h$i ok=[0-9]+ +changed=[1-9][0-9]* +unreachable=0 +failed=0 "
		# balanced: 1 Gbit/s x 50 ms buffers, slow start after idle off, MTU probing on
		assert_line --regexp "^apply1 h$i ssai=0 mtu_probing=1 rmem=4096_131072_16777216 nettune=/usr/(local/)?bin/nettune persisted=yes snapshots=1 leftovers=0\$"
		assert_line "apply1 h$i live-matches-persisted"
	done
	# changed_when comes from the JSON: its changes are what the report lists
	run grep -c '"msg": "net.ipv4.tcp_slow_start_after_idle: 1 -> 0"' "$LOGS/apply1.log"
	assert_output "$HOSTS"
	run grep -c 'undo on this host with: nettune restore [0-9]' "$LOGS/apply1.log"
	assert_output "$HOSTS"
}

@test "ansible role: a second run reports changed=0 on every host and takes no new snapshot" {
	transcript
	assert_line "apply2 rc=0"
	for i in $(seq "$HOSTS"); do
		assert_line --regexp "^apply2 h$i ok=[0-9]+ +changed=0 +unreachable=0 +failed=0 "
		assert_line --regexp "^apply2 h$i ssai=0 mtu_probing=1 .* snapshots=1 leftovers=0\$"
	done
}

@test "ansible role: a profile nettune refuses fails the task with nettune's message (exit 2)" {
	transcript
	assert_line "badprofile rc=2"
	assert_line --regexp '^badprofile h1 ok=[0-9]+ +changed=0 +unreachable=0 +failed=1 '
	run cat "$LOGS/badprofile.log"
	assert_output --partial "'fastest'"
	assert_output --partial '"rc": 2'
}

@test "ansible role: --check on 2 drifted hosts of $HOSTS reports them changed and repairs nothing" {
	transcript
	assert_line "check2 rc=0"
	assert_line --regexp '^check2 h1 ok=[0-9]+ +changed=0 +unreachable=0 +failed=0 '
	assert_line --regexp '^check2 h2 ok=[0-9]+ +changed=1 +unreachable=0 +failed=0 '
	assert_line --regexp '^check2 h3 ok=[0-9]+ +changed=1 +unreachable=0 +failed=0 '
	assert_line --regexp '^check2 h4 ok=[0-9]+ +changed=0 +unreachable=0 +failed=0 '
	assert_line --regexp '^check2 h2 ssai=1 mtu_probing=1 .* snapshots=1 leftovers=0$'
	assert_line --regexp '^check2 h3 ssai=0 mtu_probing=0 .* snapshots=1 leftovers=0$'
}

@test "ansible role: verify (nettune check) fails exactly the drifted hosts and names the drifted keys" {
	transcript
	assert_line "audit rc=2"
	assert_line --regexp '^audit h1 ok=[0-9]+ +changed=0 +unreachable=0 +failed=0 '
	assert_line --regexp '^audit h2 ok=[0-9]+ +changed=0 +unreachable=0 +failed=1 '
	assert_line --regexp '^audit h3 ok=[0-9]+ +changed=0 +unreachable=0 +failed=1 '
	assert_line --regexp '^audit h4 ok=[0-9]+ +changed=0 +unreachable=0 +failed=0 '
	run grep -E '^fatal: \[h[0-9]\]' "$LOGS/audit.log"
	assert_line --index 0 --regexp '^fatal: \[h[23]\]: FAILED! => .*drifted from profile balanced \(exit 3\).*net\.ipv4\.tcp_(slow_start_after_idle|mtu_probing)'
	assert_line --index 1 --regexp '^fatal: \[h[23]\]: FAILED! => .*drifted from profile balanced \(exit 3\).*net\.ipv4\.tcp_(slow_start_after_idle|mtu_probing)'
	assert_equal "${#lines[@]}" 2
	run grep -E '^fatal: \[h2\]' "$LOGS/audit.log"
	assert_output --partial net.ipv4.tcp_slow_start_after_idle
	run grep -E '^fatal: \[h3\]' "$LOGS/audit.log"
	assert_output --partial net.ipv4.tcp_mtu_probing
}

@test "ansible role: the next run repairs the drifted hosts only" {
	transcript
	assert_line "apply3 rc=0"
	assert_line --regexp '^apply3 h1 ok=[0-9]+ +changed=0 +unreachable=0 +failed=0 '
	assert_line --regexp '^apply3 h2 ok=[0-9]+ +changed=1 +unreachable=0 +failed=0 '
	assert_line --regexp '^apply3 h3 ok=[0-9]+ +changed=1 +unreachable=0 +failed=0 '
	assert_line --regexp '^apply3 h4 ok=[0-9]+ +changed=0 +unreachable=0 +failed=0 '
	for i in $(seq "$HOSTS"); do
		assert_line --regexp "^apply3 h$i ssai=0 mtu_probing=1 rmem=4096_131072_16777216 .* leftovers=0\$"
	done
}

@test "ansible: site.yml and the role pass ansible-playbook --syntax-check" {
	require_cmd ansible-playbook
	: >"$BATS_TEST_TMPDIR/ansible.cfg"
	run env HOME="$BATS_TEST_TMPDIR" ANSIBLE_CONFIG="$BATS_TEST_TMPDIR/ansible.cfg" ANSIBLE_LOCAL_TEMP="$BATS_TEST_TMPDIR/tmp" \
		ANSIBLE_ROLES_PATH="$TUNEKIT_SRCDIR/contrib/ansible/roles" \
		ansible-playbook -i localhost, --syntax-check "$TUNEKIT_SRCDIR/contrib/ansible/site.yml"
	assert_success
}
