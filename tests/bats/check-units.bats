#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/systemd and contrib/cron: the periodic `nettune check --prom` as
# built. The textfile directory comes from configure --with-textfile-dir
# (Debian's default here; the RPM spec passes the RPM layout's), the
# service is sandboxed the systemd way and scored offline, the cron line
# stays silent by itself instead of hiding its output.

load helpers

# systemd 252's `security` weights; 8.9 for the unit before hardening
MAX_EXPOSURE=2.0

setup() {
	SVC=$TUNEKIT_BUILDDIR/contrib/systemd/tunekit-check.service
	TIMER=$TUNEKIT_SRCDIR/contrib/systemd/tunekit-check.timer
	CRON=$TUNEKIT_BUILDDIR/contrib/cron/tunekit
	if [ ! -f "$SVC" ] || [ ! -f "$CRON" ]; then
		skip_or_fail "$SVC or $CRON not generated (run make)"
	fi
	TEXTFILEDIR=$(sed -n 's/^textfiledir = //p' "$TUNEKIT_BUILDDIR/Makefile")
	[ -n "$TEXTFILEDIR" ] || skip_or_fail "no textfiledir in $TUNEKIT_BUILDDIR/Makefile"
}

# unit_for_verify DIR: the built service with ExecStart on the nettune of
# this tree, so systemd-analyze finds an executable
unit_for_verify() {
	mkdir -p "$1"
	sed "s|^ExecStart=[^ ]*|ExecStart=$TUNEKIT_SRCDIR/utils/nettune|" "$SVC" >"$1/tunekit-check.service"
	cp "$TIMER" "$1/"
}

@test "check unit: runs nettune check --prom into the configured textfile dir; the condition names that dir" {
	run grep -E '^ExecStart=' "$SVC"
	assert_output --regexp "^ExecStart=/([^ ]+/)?bin/nettune check --prom $TEXTFILEDIR/tunekit\\.prom\$"
	run grep -E '^ConditionPathIsDirectory=' "$SVC"
	assert_output "ConditionPathIsDirectory=$TEXTFILEDIR"
	run grep -E '^ReadWritePaths=' "$SVC"
	assert_output "ReadWritePaths=$TEXTFILEDIR"
	run grep -c '@[a-z_]*@' "$SVC"
	assert_output "0"
	grep -qx 'SuccessExitStatus=3' "$SVC"
	grep -qx 'Type=oneshot' "$SVC"
	grep -qx 'OnCalendar=hourly' "$TIMER"
	grep -qx 'Unit=tunekit-check.service' "$TIMER"
	grep -qx 'WantedBy=timers.target' "$TIMER"
}

@test "check unit: systemd-analyze verify accepts the service and the timer" {
	require_cmd systemd-analyze
	unit_for_verify "$BATS_TEST_TMPDIR/units"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/units/tunekit-check.service" \
		"$BATS_TEST_TMPDIR/units/tunekit-check.timer"
	assert_success
	assert_output ""
}

@test "check unit: hardened (ProtectSystem=strict, writes only the textfile and lock dirs); exposure <= $MAX_EXPOSURE" {
	for setting in ProtectSystem=strict ProtectKernelModules=yes ProtectKernelTunables=yes \
		ProtectControlGroups=yes PrivateDevices=yes PrivateTmp=yes ProtectHome=yes \
		'RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6' RestrictNamespaces=yes \
		LockPersonality=yes MemoryDenyWriteExecute=yes SystemCallFilter=@system-service \
		NoNewPrivileges=yes RuntimeDirectory=tunekit ReadOnlyPaths=-/var/lib/tunekit; do
		grep -qxF "$setting" "$SVC" || fail "missing: $setting"
	done
	# the host's network namespace: its sysctls and links are what is checked
	run grep -E '^PrivateNetwork=yes|^ProcSubset=pid' "$SVC"
	assert_output ""
	require_cmd systemd-analyze
	unit_for_verify "$BATS_TEST_TMPDIR/units"
	run systemd-analyze security --offline=true --no-pager "$BATS_TEST_TMPDIR/units/tunekit-check.service"
	assert_success
	score=$(printf '%s\n' "$output" | sed -n 's/.*Overall exposure level for tunekit-check.service: \([0-9.]*\) .*/\1/p')
	[ -n "$score" ] || fail "no exposure level in: $output"
	echo "exposure $score (threshold $MAX_EXPOSURE)" >&3
	awk -v s="$score" -v max="$MAX_EXPOSURE" 'BEGIN { exit !(s <= max) }' ||
		fail "exposure $score > $MAX_EXPOSURE"
}

@test "cron.d file: ships commented out; the same command as the unit, no redirection" {
	run grep -vE '^[[:space:]]*(#|$)' "$CRON"
	assert_output "" # nothing active: installing the file enables nothing
	run grep -E '^#[0-9*]' "$CRON"
	assert_output --regexp "^#[0-9]+ \\* \\* \\* \\* root /([^ ]+/)?bin/nettune check --prom $TEXTFILEDIR/tunekit\\.prom\$"
	# silent when healthy by itself: nothing hides a failing check from cron's mail
	refute_output --partial '>'
	refute_output --partial '/dev/null'
	cmd=${output#* root }
	run grep -E '^ExecStart=' "$SVC"
	assert_output "ExecStart=$cmd"
}

@test "configure --with-textfile-dir: the RPM layout's directory reaches the condition, the sandbox, ExecStart and cron" {
	d=$BATS_TEST_TMPDIR/build
	mkdir -p "$d"
	fedora=/var/lib/node_exporter/textfile_collector
	(cd "$d" && "$TUNEKIT_SRCDIR/configure" -q --with-textfile-dir="$fedora" >/dev/null &&
		make -s contrib/systemd/tunekit-check.service contrib/cron/tunekit >/dev/null) ||
		fail "configure --with-textfile-dir=$fedora failed"
	run grep -E "^(ConditionPathIsDirectory|ReadWritePaths|ExecStart)=" "$d/contrib/systemd/tunekit-check.service"
	assert_line --index 0 "ConditionPathIsDirectory=$fedora"
	assert_line --index 1 --regexp "^ExecStart=/[^ ]*/nettune check --prom $fedora/tunekit\\.prom\$"
	assert_line --index 2 "ReadWritePaths=$fedora"
	# no setting or cron line keeps Debian's directory (comments may name it)
	run bash -c 'sed -e "/^# /d" "$@" | grep -c /var/lib/prometheus' _ \
		"$d/contrib/systemd/tunekit-check.service" "$d/contrib/cron/tunekit"
	assert_output "0"
	run grep -E '^#[0-9]' "$d/contrib/cron/tunekit"
	assert_output --regexp "nettune check --prom $fedora/tunekit\\.prom\$"
}

@test "configure --with-textfile-dir: a relative path or one a unit file cannot carry is refused" {
	for bad in relative/dir '/var/lib/100%'; do
		d=$BATS_TEST_TMPDIR/bad
		rm -rf "$d" && mkdir -p "$d"
		run bash -c 'cd "$1" && "$2/configure" -q --with-textfile-dir="$3"' _ "$d" "$TUNEKIT_SRCDIR" "$bad"
		assert_failure
		assert_output --partial "--with-textfile-dir=$bad: want an absolute path"
		assert_file_not_exists "$d/Makefile"
	done
}

@test "packaging: debian/rules passes Debian's textfile dir, the RPM spec the RPM layout's" {
	run grep -F -- '--with-textfile-dir=/var/lib/prometheus/node-exporter' "$TUNEKIT_SRCDIR/debian/rules"
	assert_success
	run grep -F -- '--with-textfile-dir=%{_sharedstatedir}/node_exporter/textfile_collector' \
		"$TUNEKIT_SRCDIR/rpm/tunekit.spec.in"
	assert_success
}

@test "configure without --with-textfile-dir: the build host's vendor picks the directory (Fedora: the RPM layout, Debian: Debian's)" {
	for vendor in 'ID=fedora' $'ID="rhel"\nID_LIKE="fedora"' $'ID=ubuntu\nID_LIKE=debian'; do
		d=$BATS_TEST_TMPDIR/vendor
		rm -rf "$d" && mkdir -p "$d"
		printf '%s\n' "$vendor" >"$d/os-release"
		case $vendor in
		*fedora*) want=/var/lib/node_exporter/textfile_collector ;;
		*) want=/var/lib/prometheus/node-exporter ;;
		esac
		(cd "$d" && TUNEKIT_OS_RELEASE="$d/os-release" "$TUNEKIT_SRCDIR/configure" -q >/dev/null &&
			make -s contrib/systemd/tunekit-check.service >/dev/null) || fail "configure for $vendor failed"
		run grep -E '^(ConditionPathIsDirectory|ReadWritePaths)=' "$d/contrib/systemd/tunekit-check.service"
		assert_line --index 0 "ConditionPathIsDirectory=$want"
		assert_line --index 1 "ReadWritePaths=$want"
	done
}
