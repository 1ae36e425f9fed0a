# SPDX-License-Identifier: GPL-2.0-or-later
# The fleet test's helpers (tests/bats/ansible.bats): sandboxed hosts over
# ssh (tests/fleet/fleet), the package the role installs on them, and
# ansible-playbook with nothing taken from the machine's own configuration.

# require_fleet: every tool tests/fleet/fleet and the controller need.
# The require_* here return 1 after skip_or_fail, for callers without errexit.
require_fleet() {
	require_root || return 1
	local c
	for c in unshare nsenter ip ss ssh ssh-keygen ansible-playbook dpkg-deb; do
		require_cmd "$c" || return 1
	done
	if [ ! -x /usr/bin/python3 ]; then
		skip_or_fail "/usr/bin/python3 is missing (the hosts' Ansible interpreter)"
		return 1
	fi
	if ! /usr/bin/python3 -c 'import apt' 2>/dev/null; then
		skip_or_fail "python3-apt is missing (Ansible's apt module)"
		return 1
	fi
	if [ -z "${TUNEKIT_SSHD:-}" ] && [ ! -x /usr/sbin/sshd ] &&
		[ ! -x /opt/tunekit-ci/openssh-server/usr/sbin/sshd ]; then
		skip_or_fail "no sshd: .ci/deps unpacks one into /opt/tunekit-ci/openssh-server"
		return 1
	fi
}

# fleet_package DIR: print the path of a tunekit .deb for the hosts.
# $TUNEKIT_FLEET_PACKAGE when set (e.g. the one dpkg-buildpackage made);
# else the build under test, `make install DESTDIR=` into DIR/stage and
# packed with dpkg-deb (seconds, unlike a full dpkg-buildpackage).
fleet_package() {
	local dir=$1 version arch deb
	if [ -n "${TUNEKIT_FLEET_PACKAGE:-}" ]; then
		printf '%s\n' "$TUNEKIT_FLEET_PACKAGE"
		return 0
	fi
	version=$(sed -n 's/^PACKAGE_VERSION = //p' "$TUNEKIT_BUILDDIR/Makefile")
	arch=$(dpkg --print-architecture)
	rm -rf "$dir/stage"
	make -s -C "$TUNEKIT_BUILDDIR" install DESTDIR="$dir/stage" >"$dir/install.log" 2>&1 ||
		{ cat "$dir/install.log" >&2; return 1; }
	mkdir -p "$dir/stage/DEBIAN"
	cat >"$dir/stage/DEBIAN/control" <<EOF
Package: tunekit
Version: $version
Architecture: $arch
Maintainer: tunekit developers <dev@tunekit.invalid>
Depends: iproute2
Section: net
Priority: optional
Description: tunekit as built by make (fleet test package)
 The build under test, installed with make install DESTDIR=.
EOF
	deb=$dir/tunekit_${version}_$arch.deb
	dpkg-deb -Zgzip -z1 --root-owner-group --build "$dir/stage" "$deb" >/dev/null || return 1
	printf '%s\n' "$deb"
}

# require_optimize_json DEB DIR: the nettune in DEB prints the JSON object
# the role reads (`nettune optimize --json`): checked by a dry run in
# tests/sandbox, with DEB unpacked into DIR/pkg-x
require_optimize_json() {
	local x=${2:?}/pkg-x err=${2:?}/json.err nettune out rc=0
	rm -rf "$x"
	dpkg-deb -x "$1" "$x"
	nettune=$(find "$x" -path '*/bin/nettune' -type f | head -1)
	if [ -z "$nettune" ]; then
		skip_or_fail "$1 has no bin/nettune"
		return 1
	fi
	out=$("$SANDBOX" "$nettune" optimize --json --dry-run --profile balanced 2>"$err") || rc=$?
	if [ "$rc" -ne 0 ] || ! printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)
assert isinstance(o["changed"], int) and isinstance(o["changes"], list) and o["dry_run"] is True
' 2>/dev/null; then
		skip_or_fail "nettune optimize --json does not print the role's JSON object yet (exit $rc: $(head -c 200 "$err"))"
		return 1
	fi
}

# fleet_env DIR: inside tests/fleet/fleet, ansible-playbook gets its own
# empty configuration, HOME and temp dirs under DIR; nothing from the machine's
fleet_env() {
	local home=${1:?}/home
	mkdir -p "$home" "$1/cp"
	: >"$home/ansible.cfg"
	export HOME="$home" ANSIBLE_CONFIG="$home/ansible.cfg" \
		ANSIBLE_ROLES_PATH="$TUNEKIT_SRCDIR/contrib/ansible/roles" \
		ANSIBLE_LOCAL_TEMP="$home/tmp" ANSIBLE_SSH_CONTROL_PATH_DIR="$1/cp" \
		ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 \
		ANSIBLE_PIPELINING=1 ANSIBLE_FORKS=8 ANSIBLE_TIMEOUT=20
}

# on_host I COMMAND...: run COMMAND in host I's mount, network and UTS
# namespaces, with the PATH an ssh login there gets
on_host() {
	local pid
	pid=$(cat "$FLEET_DIR/h$1/pid")
	shift
	nsenter -t "$pid" -m -n -u -- env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
