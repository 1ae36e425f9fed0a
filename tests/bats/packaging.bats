#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The built packages, as dpkg and rpm see them. Run by .ci/run after it has
# built them (not part of make check, which builds no package):
#   TUNEKIT_DEB=.../tunekit_V_ARCH.deb        the package under test
#   TUNEKIT_DEB_PREV=.../tunekit_V~prev_ARCH.deb  the previous build
#   TUNEKIT_RPM=.../tunekit-V-R.ARCH.rpm      the RPM built from make dist
# Install, upgrade, remove and purge happen inside .ci/pkg-sandbox (tests/
# sandbox with /usr and the rest of the system overlaid): never on the host.

load helpers

ADMIN_TOOLS="nettune nettune-backup nettune-buffers nettune-cc nettune-dns nettune-queues"
USER_TOOLS="nettune-iface nettune-probe uringcp aiocp ioring-batch"
# systemd 252's `security` weights; the unit scores 1.8 (8.9 before hardening)
MAX_EXPOSURE=2.0

setup() {
	PKG_SANDBOX=$TUNEKIT_SRCDIR/.ci/pkg-sandbox
}

need_deb() {
	if [ -z "${TUNEKIT_DEB:-}" ] || [ ! -f "$TUNEKIT_DEB" ]; then
		skip_or_fail "TUNEKIT_DEB: no .deb given"
	fi
	require_cmd dpkg-deb
}

need_rpm() {
	if [ -z "${TUNEKIT_RPM:-}" ] || [ ! -f "$TUNEKIT_RPM" ]; then
		skip_or_fail "TUNEKIT_RPM: no .rpm given"
	fi
	require_cmd rpm
}

# in_pkg_sandbox SCRIPT: run a bash snippet inside .ci/pkg-sandbox
in_pkg_sandbox() {
	require_sandbox
	"$PKG_SANDBOX" bash -c "set -euo pipefail; $1"
}

@test "deb: Depends only on what runs; Suggests iperf3 and the node exporter; no iproute2" {
	need_deb
	run dpkg-deb -f "$TUNEKIT_DEB" Depends
	assert_success
	refute_output --partial iproute2
	refute_output --partial awk # lintian: needlessly-depends-on-awk
	# every Depends is a shared library the binaries link (shlibs) or
	# misc:Depends (empty for this package)
	for dep in $(printf '%s\n' "$output" | tr ',' '\n' | sed 's/(.*//; s/ //g'); do
		[[ $dep == lib* ]] || fail "Depends on $dep, which nothing links"
	done
	run dpkg-deb -f "$TUNEKIT_DEB" Suggests
	assert_output --partial iperf3
	assert_output --partial prometheus-node-exporter
}

@test "deb: man pages in their sections, completions, units and profiles where Debian expects them" {
	need_deb
	run dpkg-deb -c "$TUNEKIT_DEB"
	assert_success
	list=$output
	for t in $ADMIN_TOOLS; do
		grep -q "\./usr/share/man/man8/$t\.8\.gz\$" <<<"$list" || fail "no man8/$t.8.gz"
		grep -q "\./usr/share/man/man1/$t\.1\.gz\$" <<<"$list" && fail "$t.1 still shipped"
		grep -q "\./usr/share/bash-completion/completions/$t\$" <<<"$list" || fail "no completion for $t"
	done
	for t in $USER_TOOLS; do
		grep -q "\./usr/share/man/man1/$t\.1\.gz\$" <<<"$list" || fail "no man1/$t.1.gz"
	done
	for p in man5/tunekit.conf.5.gz man5/tunekit-profile.5.gz man7/tunekit.7.gz; do
		grep -q "\./usr/share/man/$p\$" <<<"$list" || fail "no $p"
	done
	grep -q '\./usr/lib/systemd/system/tunekit-check\.timer$' <<<"$list"
	grep -q '\./usr/share/tunekit/profiles/balanced\.conf$' <<<"$list"
	# nothing under /var/lib or /etc: state is created at run time
	run grep -E '\./(var|etc)/.+' <<<"$list"
	assert_failure
}

@test "deb: installs, upgrades over the previous build, removes (snapshots stay), purges leaving nothing behind" {
	need_deb
	if [ -z "${TUNEKIT_DEB_PREV:-}" ] || [ ! -f "$TUNEKIT_DEB_PREV" ]; then
		skip_or_fail "TUNEKIT_DEB_PREV: no previous .deb"
	fi
	prev_ver=$(dpkg-deb -f "$TUNEKIT_DEB_PREV" Version)
	new_ver=$(dpkg-deb -f "$TUNEKIT_DEB" Version)
	dpkg --compare-versions "$prev_ver" lt "$new_ver" || fail "previous $prev_ver is not older than $new_ver"
	out=$BATS_TEST_TMPDIR/lifecycle
	mkdir -p "$out"
	run in_pkg_sandbox "
		listing() { # every path dpkg or tunekit may leave, minus dpkg's and apt's own books
			{ find /usr /etc /var /opt /srv /run/tunekit 2>/dev/null || true; } |
				grep -vE '^/var/(lib/(dpkg|apt)|cache|log|tmp)(/|\$)' |
				grep -vE '^/etc/(ld\\.so\\.cache|\\.pwd\\.lock)\$' | LC_ALL=C sort
		}
		listing >'$out/before'
		dpkg -i '$TUNEKIT_DEB_PREV' >'$out/dpkg.log' 2>&1
		dpkg-query -W -f='\${Version}\n' tunekit >'$out/v1'
		nettune-backup save -m 'before the upgrade' >/dev/null
		ls /var/lib/tunekit/snapshots >'$out/snaps1'
		dpkg -i '$TUNEKIT_DEB' >>'$out/dpkg.log' 2>&1
		dpkg-query -W -f='\${Version} \${Status}\n' tunekit >'$out/v2'
		dpkg --audit >'$out/audit' 2>&1
		ls /var/lib/tunekit/snapshots >'$out/snaps2'
		# every file of the new package is there after the upgrade
		dpkg -L tunekit | while read -r f; do [ -e \"\$f\" ] || echo \"\$f\"; done >'$out/missing'
		/usr/bin/nettune-backup list >'$out/list2'
		dpkg -r tunekit >>'$out/dpkg.log' 2>&1
		dpkg-query -W -f='\${Status}\n' tunekit >'$out/status-removed'
		ls /var/lib/tunekit/snapshots >'$out/snaps-removed'
		[ ! -e /usr/bin/nettune ] && echo gone >'$out/bin-removed'
		dpkg -P tunekit >>'$out/dpkg.log' 2>&1
		dpkg-query -W -f='\${Status}\n' tunekit >'$out/status-purged' 2>&1 || true
		listing >'$out/after'
	"
	echo "$output"
	assert_success
	assert_equal "$(cat "$out/v1")" "$prev_ver"
	assert_equal "$(cat "$out/v2")" "$new_ver install ok installed"
	assert_equal "$(cat "$out/audit")" ""
	assert_equal "$(cat "$out/missing")" ""
	[ -s "$out/snaps1" ] || fail "no snapshot taken before the upgrade"
	# the snapshot survives the upgrade and the remove, and the new
	# nettune-backup still reads it
	assert_equal "$(cat "$out/snaps2")" "$(cat "$out/snaps1")"
	assert_equal "$(cat "$out/snaps-removed")" "$(cat "$out/snaps1")"
	grep -q 'before the upgrade' "$out/list2" || fail "the upgraded nettune-backup does not list the snapshot: $(cat "$out/list2")"
	assert_equal "$(cat "$out/status-removed")" "deinstall ok config-files"
	assert_equal "$(cat "$out/bin-removed")" "gone"
	run grep -c 'no packages found matching tunekit' "$out/status-purged"
	assert_output 1
	# purge: not one path more than before the first install
	run diff "$out/before" "$out/after"
	assert_success
	assert_output ""
}

@test "deb: the shipped check unit passes systemd-analyze verify and scores <= $MAX_EXPOSURE offline" {
	need_deb
	require_cmd systemd-analyze
	run in_pkg_sandbox "
		dpkg -i '$TUNEKIT_DEB' >/dev/null 2>&1
		u=/usr/lib/systemd/system
		grep -E '^(ExecStart|ConditionPathIsDirectory|ReadWritePaths)=' \$u/tunekit-check.service
		systemd-analyze verify --man=no \$u/tunekit-check.service \$u/tunekit-check.timer
		systemd-analyze security --offline=true --no-pager \$u/tunekit-check.service | tail -1
		# shipped disabled: nothing enabled it
		[ ! -e /etc/systemd/system/timers.target.wants/tunekit-check.timer ] && echo not-enabled
	"
	echo "$output"
	assert_success
	assert_line 'ExecStart=/usr/bin/nettune check --prom /var/lib/prometheus/node-exporter/tunekit.prom'
	assert_line 'ConditionPathIsDirectory=/var/lib/prometheus/node-exporter'
	assert_line 'not-enabled'
	score=$(printf '%s\n' "$output" | sed -n 's/.*Overall exposure level for tunekit-check.service: \([0-9.]*\) .*/\1/p')
	[ -n "$score" ] || fail "no exposure level"
	echo "exposure $score (threshold $MAX_EXPOSURE)" >&3
	awk -v s="$score" -v max="$MAX_EXPOSURE" 'BEGIN { exit !(s <= max) }' || fail "exposure $score > $MAX_EXPOSURE"
}

@test "rpm: units in %{_unitdir} with the RPM textfile layout, systemd scriptlets, man sections, Suggests iperf3, no iproute" {
	need_rpm
	run rpm -qpl "$TUNEKIT_RPM"
	assert_success
	list=$output
	grep -qx /usr/lib/systemd/system/tunekit-check.service <<<"$list"
	grep -qx /usr/lib/systemd/system/tunekit-check.timer <<<"$list"
	for t in $ADMIN_TOOLS; do
		grep -qx "/usr/share/man/man8/$t.8.gz" <<<"$list" || fail "no man8/$t.8.gz"
	done
	for t in $USER_TOOLS; do
		grep -qx "/usr/share/man/man1/$t.1.gz" <<<"$list" || fail "no man1/$t.1.gz"
	done
	grep -qx /usr/share/man/man5/tunekit.conf.5.gz <<<"$list"
	run rpm -qp --scripts "$TUNEKIT_RPM"
	assert_output --partial 'systemd-update-helper install-system-units tunekit-check.service tunekit-check.timer'
	assert_output --partial 'systemd-update-helper remove-system-units tunekit-check.service tunekit-check.timer'
	run rpm -qpR "$TUNEKIT_RPM"
	refute_output --partial iproute
	run rpm -qp --suggests "$TUNEKIT_RPM"
	assert_output "iperf3"
	# the unit itself: the RPM layout's textfile directory, verified
	d=$BATS_TEST_TMPDIR/rpm
	mkdir -p "$d"
	(cd "$d" && rpm2cpio "$TUNEKIT_RPM" | cpio -idm --quiet ./usr/lib/systemd/system/tunekit-check.service)
	svc=$d/usr/lib/systemd/system/tunekit-check.service
	run grep -E '^(ExecStart|ConditionPathIsDirectory|ReadWritePaths)=' "$svc"
	assert_line 'ConditionPathIsDirectory=/var/lib/node_exporter/textfile_collector'
	assert_line 'ExecStart=/usr/bin/nettune check --prom /var/lib/node_exporter/textfile_collector/tunekit.prom'
	assert_line 'ReadWritePaths=/var/lib/node_exporter/textfile_collector'
	require_cmd systemd-analyze
	sed -i "s|^ExecStart=/usr/bin/nettune|ExecStart=$TUNEKIT_SRCDIR/utils/nettune|" "$svc"
	run systemd-analyze verify --man=no "$svc"
	assert_success
	assert_output ""
}
