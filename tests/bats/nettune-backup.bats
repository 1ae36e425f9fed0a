#!/usr/bin/env bats
# nettune-backup: snapshot, transactional apply, restore, drift check.

load helpers
load backup-helpers

setup() {
	fake_system
}

# --- contract ---------------------------------------------------------------

@test "backup: --help lists every command and exits 0" {
	run nettune-backup --help
	assert_success
	for c in save list show diff restore apply check prune; do
		assert_output --partial " $c"
	done
}

@test "backup: --version names the package" {
	run nettune-backup --version
	assert_success
	assert_output --regexp '^nettune-backup from tunekit [0-9]'
}

@test "backup: unknown command or option is a usage error (exit 2)" {
	run nettune-backup frobnicate
	assert_failure 2
	assert_output --partial "unknown command 'frobnicate'"
	run nettune-backup --bogus list
	assert_failure 2
	run nettune-backup --prom /tmp/x list
	assert_failure 2
	assert_output --partial "--prom is not an option of 'list'"
}

# --- apply ------------------------------------------------------------------

@test "apply: writes keys, reads them back, reports old -> new, persists sorted" {
	run nettune-backup apply - <<<$'net.ipv4.tcp_slow_start_after_idle = 0\nnet.core.somaxconn=1024\nnet.ipv4.tcp_rmem = 4096 65536 1048576'
	assert_success
	assert_line "net.core.somaxconn: 4096 -> 1024"
	assert_line "net.ipv4.tcp_slow_start_after_idle: 1 -> 0"
	assert_line "net.ipv4.tcp_rmem: 4096 131072 6291456 -> 4096 65536 1048576"
	[ "$(key_value net.core.somaxconn)" = 1024 ]
	[ "$(key_value net.ipv4.tcp_rmem)" = "4096 65536 1048576" ]
	run grep -v '^#' "$(PERSISTED)"
	assert_output $'net.core.somaxconn = 1024\nnet.ipv4.tcp_rmem = 4096 65536 1048576\nnet.ipv4.tcp_slow_start_after_idle = 0'
	[ "$(snapshot_count)" -eq 1 ]
}

@test "apply: merges with the persisted file, one line per key" {
	nettune-backup apply - <<<'net.core.somaxconn = 1024' 2>/dev/null
	nettune-backup apply - <<<$'net.core.somaxconn = 2048\nnet.ipv4.tcp_slow_start_after_idle = 0' 2>/dev/null
	run grep -v '^#' "$(PERSISTED)"
	assert_output $'net.core.somaxconn = 2048\nnet.ipv4.tcp_slow_start_after_idle = 0'
}

@test "apply: the persisted file is accepted back by apply (sysctl -p format)" {
	nettune-backup apply - <<<$'net.core.somaxconn = 1024\nnet.ipv4.tcp_rmem = 4096 65536 1048576' 2>/dev/null
	echo 5 > "$TUNEKIT_PROC/sys/net/core/somaxconn"
	run --separate-stderr nettune-backup apply "$(PERSISTED)"
	assert_success
	assert_output "net.core.somaxconn: 5 -> 1024"
}

@test "apply: --dry-run prints the changes and changes nothing" {
	before=$(tree_hash)
	run nettune-backup apply -n - <<<'net.core.somaxconn = 1024'
	assert_success
	assert_line "net.core.somaxconn: 4096 -> 1024"
	[ "$(tree_hash)" = "$before" ]
	assert_file_not_exists "$(PERSISTED)"
	[ "$(snapshot_count)" -eq 0 ]
}

@test "apply: applying the same input twice changes nothing and takes no second snapshot" {
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024'
	run --separate-stderr nettune-backup apply - <<<'net.core.somaxconn = 1024'
	assert_success
	assert_output ""
	[[ $stderr == *"nothing to change"* ]]
	[ "$(snapshot_count)" -eq 1 ]
	# restore still undoes the real change
	nettune-backup -q restore >/dev/null
	[ "$(key_value net.core.somaxconn)" = 4096 ]
}

@test "apply: a key already at its value is not rewritten but is persisted" {
	run nettune-backup apply - <<<'net.core.somaxconn = 4096'
	assert_success
	refute_output --partial "->"
	run grep -c 'net.core.somaxconn = 4096' "$(PERSISTED)"
	assert_output 1
}

@test "apply: a '-' prefixed key that does not exist is ignored, as sysctl -p does" {
	run --separate-stderr nettune-backup apply - <<<$'-net.ipv4.no_such_key = 1\nnet.core.somaxconn = 100'
	assert_success
	assert_output "net.core.somaxconn: 4096 -> 100"
}

# --- bad input: exit 2, the message names file and line, nothing changed -----

bad_input() { # bad_input TEXT EXPECTED-MESSAGE-PART
	local before
	before=$(tree_hash)
	printf '%s\n' "net.core.somaxconn = 1" "$1" > "$T/in.conf"
	run nettune-backup apply "$T/in.conf"
	assert_failure 2
	assert_output --partial "$T/in.conf:2:"
	assert_output --partial "$2"
	[ "$(tree_hash)" = "$before" ]
	assert_file_not_exists "$(PERSISTED)"
	[ "$(snapshot_count)" -eq 0 ]
}

@test "bad input: '..' component is refused" {
	bad_input "net/../../etc/passwd = 1" "'.' or '..' component"
}

@test "bad input: '..' spelt '//' in dot form is refused" {
	bad_input "net.//.//.etc = 1" "'.' or '..' component"
}

@test "bad input: empty component is refused" {
	bad_input "net..core.somaxconn = 1" "empty component"
}

@test "bad input: leading slash is refused" {
	bad_input "/proc/sys/net/core/somaxconn = 1" "starts with a separator"
}

@test "bad input: space inside a key is refused" {
	bad_input "net.core.some key = 1" "whitespace in key"
}

@test "bad input: control character in a key is refused" {
	bad_input $'net.core.\x01x = 1' "control character"
}

@test "bad input: unknown key is refused" {
	bad_input "net.core.no_such_key = 1" "unknown key"
}

@test "bad input: key outside net. is refused without --allow-prefix" {
	bad_input "vm.swappiness = 10" "outside the allowed prefixes"
}

@test "bad input: non-numeric value for a numeric key is refused" {
	bad_input "net.core.somaxconn = lots" "non-numeric value"
}

@test "bad input: wrong number of values for a triplet is refused" {
	bad_input "net.ipv4.tcp_rmem = 4096 65536" "three numbers"
}

@test "bad input: a line without '=' is refused" {
	bad_input "net.core.somaxconn 5" "no '='"
}

@test "bad input: a read-only key is refused" {
	bad_input "net.core.rmem_max = 1" "read-only key"
}

@test "bad input: a 1 MB line is refused" {
	before=$(tree_hash)
	{ echo "net.core.somaxconn = 1"; printf 'net.core.somaxconn = '; head -c 1048576 /dev/zero | tr '\0' 9; echo; } > "$T/big.conf"
	run nettune-backup apply "$T/big.conf"
	assert_failure 2
	assert_output --partial "$T/big.conf:2: line too long"
	[ "$(tree_hash)" = "$before" ]
	[ "$(snapshot_count)" -eq 0 ]
}

@test "bad input: a missing input file is exit 2 naming it" {
	run nettune-backup apply "$T/nope.conf"
	assert_failure 2
	assert_output --partial "$T/nope.conf: No such file"
}

@test "apply: --skip-read-only and '-' lines skip read-only keys and apply the rest" {
	run --separate-stderr nettune-backup apply --skip-read-only - <<<$'net.core.rmem_max = 1\nnet.core.somaxconn = 100'
	assert_success
	assert_output "net.core.somaxconn: 4096 -> 100"
	[[ $stderr == *"net.core.rmem_max: read-only here, skipped"* ]]
	run --separate-stderr nettune-backup apply - <<<$'-net.core.rmem_max = 1\nnet.core.somaxconn = 200'
	assert_success
	assert_output "net.core.somaxconn: 100 -> 200"
	[ "$(key_value net.core.rmem_max)" = 212992 ]
}

@test "apply: --allow-prefix lets keys outside net. through" {
	run --separate-stderr nettune-backup apply --allow-prefix vm - <<<'vm.swappiness = 10'
	assert_success
	assert_output "vm.swappiness: 60 -> 10"
	[ "$(key_value vm.swappiness)" = 10 ]
}

# --- faults -----------------------------------------------------------------

@test "fault: a key that fails to write midway restores every earlier key (exit 1, names the key)" {
	require_root
	# net.core.b is a read-only bind mount: its mode says writable, the write gets EROFS
	fake_proc "$TUNEKIT_PROC" net.core.a=1 net.core.b=2 net.core.c=3
	printf 'net.core.a = 10\nnet.core.somaxconn = 11\nnet.core.b = 20\nnet.core.c = 30\n' > "$T/in.conf"
	run unshare --mount --propagation private sh -c '
		mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
		nettune-backup apply "$2"' sh "$TUNEKIT_PROC/sys/net/core/b" "$T/in.conf"
	assert_failure 1
	assert_output --partial "in.conf:3: net.core.b: write failed: Read-only file system"
	assert_output --partial "every key written so far was restored"
	[ "$(key_value net.core.a)" = 1 ]
	[ "$(key_value net.core.somaxconn)" = 4096 ]
	[ "$(key_value net.core.c)" = 3 ]
	assert_file_not_exists "$(PERSISTED)"
}

@test "fault: ten parallel applies are serialized; every key persisted exactly once" {
	for i in 0 1 2 3 4 5 6 7 8 9; do fake_proc "$TUNEKIT_PROC" "net.core.k$i=0"; done
	for i in 0 1 2 3 4 5 6 7 8 9; do
		nettune-backup -q apply - <<<"net.core.k$i = $((i + 100))" &
	done
	wait
	run grep -c '^net.core.k' "$(PERSISTED)"
	assert_output 10
	for i in 0 1 2 3 4 5 6 7 8 9; do
		run grep -c "^net.core.k$i = $((i + 100))\$" "$(PERSISTED)"
		assert_output 1
		[ "$(key_value net.core.k$i)" = $((i + 100)) ]
	done
	[ "$(snapshot_count)" -eq 10 ]
}

@test "fault: SIGKILL during apply leaves the persisted file old or new, never partial" {
	for i in $(seq 0 399); do echo "net/core/p$i"; done | while read -r k; do
		mkdir -p "$TUNEKIT_PROC/sys/$(dirname "$k")"; echo 0 > "$TUNEKIT_PROC/sys/$k"; done
	nettune-backup -q apply - <<<'net.core.somaxconn = 1' # the "old" file
	old=$(sha256sum < "$(PERSISTED)")
	for i in $(seq 0 399); do echo "net.core.p$i = 7"; done > "$T/new.conf"
	for round in $(seq 1 15); do
		nettune-backup -q apply "$T/new.conf" &
		pid=$!
		sleep "0.0$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		now=$(sha256sum < "$(PERSISTED)")
		if [ "$now" != "$old" ]; then
			# must be the complete new version: every key once, parses back
			run grep -c '^net.core.p[0-9]* = 7$' "$(PERSISTED)"
			assert_output 400
			run nettune-backup apply -n "$(PERSISTED)"
			assert_success
			break
		fi
		[ "$now" = "$old" ]
		ls "$TUNEKIT_ROOT/etc/sysctl.d" | grep -v '^\.' | grep -qx '90-tunekit.conf'
	done
}

@test "fault: no space for the snapshot: apply refuses before changing anything" {
	require_root
	before=$(tree_hash)
	mkdir -p "$TUNEKIT_ROOT/var/lib/tunekit"
	run unshare --mount --propagation private sh -c '
		mount -t tmpfs -o size=8k tiny "$1" && head -c 8192 /dev/zero > "$1/filler" 2>/dev/null;
		echo "net.core.somaxconn = 1024" | nettune-backup apply -' sh "$TUNEKIT_ROOT/var/lib/tunekit"
	assert_failure 1
	assert_output --partial "cannot save the snapshot, nothing changed"
	assert_output --partial "No space left on device"
	[ "$(tree_hash)" = "$before" ]
	assert_file_not_exists "$(PERSISTED)"
}

@test "fault: as non-root, read-only commands work and changing ones say 'needs root'" {
	require_root
	command -v setpriv >/dev/null || skip_or_fail "setpriv missing"
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024'
	chmod -R a+rX "$T"
	d=$T; while [ "$d" != / ]; do chmod a+x "$d"; d=$(dirname "$d"); done
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env TUNEKIT_PROC="$TUNEKIT_PROC" TUNEKIT_ROOT="$TUNEKIT_ROOT" PATH="$PATH" "$@"; }
	run as_nobody nettune-backup list
	assert_success
	assert_output --partial "before apply"
	run as_nobody nettune-backup check
	assert_success
	run as_nobody nettune-backup diff
	assert_failure 3
	run as_nobody nettune-backup apply - <<<'net.core.somaxconn = 2048'
	assert_failure 1
	assert_output --partial "needs root"
	[ "$(key_value net.core.somaxconn)" = 1024 ]
	run as_nobody nettune-backup save
	assert_failure 1
	assert_output --partial "needs root"
}

# --- save, list, show, diff, restore ----------------------------------------

@test "save: prints a new ID; list shows it with its note and key count, newest last" {
	run nettune-backup save -m "first one"
	assert_success
	id1=$output
	sleep 1
	id2=$(nettune-backup save -m second)
	run nettune-backup list
	assert_success
	assert_line --index 0 --regexp "^$id1  .*  +5  first one\$"
	assert_line --index 1 --regexp "^$id2  .*second\$"
	run nettune-backup list --json
	python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["snapshots"]; assert [x["note"] for x in s]==["first one","second"], s; assert all(x["valid"] and x["keys"]==5 for x in s)' <<<"$output"
}

@test "save: snapshots only writable world-readable net keys, plus managed files" {
	echo "nameserver 192.0.2.53" > "$TUNEKIT_ROOT/etc/resolv.conf"
	id=$(nettune-backup save)
	run nettune-backup show "$id"
	assert_success
	assert_line "net.core.somaxconn = 4096"
	assert_line "net.ipv4.tcp_rmem = 4096 131072 6291456"
	refute_line --partial "rmem_max"
	refute_line --partial "vm.swappiness"
	assert_line "# file /etc/resolv.conf: 22 bytes, mode 0644"
	assert_line "# file /etc/sysctl.d/90-tunekit.conf: absent"
}

@test "round trip: save -> apply -> diff shows the change -> restore -> diff shows none" {
	id=$(nettune-backup save -m base)
	nettune-backup -q apply - <<<$'net.core.somaxconn = 1024\nnet.ipv4.tcp_rmem = 4096 65536 1048576'
	run nettune-backup diff "$id"
	assert_failure 3
	assert_line "net.core.somaxconn: 4096 -> 1024"
	assert_line "net.ipv4.tcp_rmem: 4096 131072 6291456 -> 4096 65536 1048576"
	assert_line --partial "/etc/sysctl.d/90-tunekit.conf: absent -> "
	run nettune-backup restore "$id"
	assert_success
	assert_line "net.core.somaxconn: 1024 -> 4096"
	assert_line "/etc/sysctl.d/90-tunekit.conf: removed"
	run nettune-backup diff "$id"
	assert_success
	assert_output ""
	[ "$(key_value net.core.somaxconn)" = 4096 ]
	assert_file_not_exists "$(PERSISTED)"
}

@test "restore: without an ID uses the newest snapshot (the one before the last apply)" {
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024'
	nettune-backup -q apply - <<<'net.core.somaxconn = 2048'
	run nettune-backup restore
	assert_success
	[ "$(key_value net.core.somaxconn)" = 1024 ]
	run grep -v '^#' "$(PERSISTED)"
	assert_output "net.core.somaxconn = 1024"
}

@test "restore: repeated restores walk back through the changes, then stop" {
	nettune-backup -q apply - <<<'net.core.somaxconn = 1000'
	nettune-backup -q apply - <<<'net.core.somaxconn = 2000'
	nettune-backup -q apply - <<<'net.core.somaxconn = 3000'
	nettune-backup -q restore >/dev/null
	[ "$(key_value net.core.somaxconn)" = 2000 ]
	nettune-backup -q restore >/dev/null
	[ "$(key_value net.core.somaxconn)" = 1000 ]
	nettune-backup -q restore >/dev/null
	[ "$(key_value net.core.somaxconn)" = 4096 ]
	run nettune-backup restore
	assert_failure 1
	assert_output --partial "every change is undone already"
	# a restore is undone by naming its snapshot
	id=$(nettune-backup list | tail -1 | cut -d' ' -f1)
	nettune-backup -q restore "$id" >/dev/null
	[ "$(key_value net.core.somaxconn)" = 1000 ]
}

@test "restore: brings managed files back (resolv.conf content, symlinks)" {
	echo "nameserver 192.0.2.1" > "$TUNEKIT_ROOT/etc/resolv.conf"
	id=$(nettune-backup save)
	rm "$TUNEKIT_ROOT/etc/resolv.conf"
	ln -s ../run/systemd/resolve/stub-resolv.conf "$TUNEKIT_ROOT/etc/resolv.conf"
	run nettune-backup restore "$id"
	assert_success
	[ ! -L "$TUNEKIT_ROOT/etc/resolv.conf" ]
	[ "$(cat "$TUNEKIT_ROOT/etc/resolv.conf")" = "nameserver 192.0.2.1" ]
	# and back again to the symlink through the "before restore" snapshot
	run nettune-backup restore "$(nettune-backup list | tail -1 | cut -d' ' -f1)"
	assert_success
	[ "$(readlink "$TUNEKIT_ROOT/etc/resolv.conf")" = ../run/systemd/resolve/stub-resolv.conf ]
}

@test "restore: a snapshot whose checksum fails is refused, exit 1, nothing changed" {
	id=$(nettune-backup save)
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024'
	sed -i 's/somaxconn = 4096/somaxconn = 1/' "$TUNEKIT_ROOT/var/lib/tunekit/snapshots/$id/sysctl.conf"
	before=$(tree_hash)
	run nettune-backup restore "$id"
	assert_failure 1
	assert_output --partial "$id: snapshot is corrupt"
	[ "$(tree_hash)" = "$before" ]
	run nettune-backup list
	assert_line --partial "[CORRUPT]"
}

@test "restore: --dry-run shows what would change and changes nothing" {
	id=$(nettune-backup save)
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024'
	before=$(tree_hash)
	run nettune-backup restore -n "$id"
	assert_success
	assert_line "net.core.somaxconn: 1024 -> 4096"
	assert_line "/etc/sysctl.d/90-tunekit.conf: would be restored"
	[ "$(tree_hash)" = "$before" ]
}

@test "restore/show: a bad or unknown ID is exit 2" {
	run nettune-backup show ../../etc
	assert_failure 2
	run nettune-backup restore 20990101-000000-001
	assert_failure 2
	assert_output --partial "no such snapshot"
}

@test "restore: with no snapshots at all is exit 1 with a message" {
	run nettune-backup restore
	assert_failure 1
	assert_output --partial "no snapshots"
}

# --- check, prune -----------------------------------------------------------

@test "check: silent and exit 0 when live values match the persisted file" {
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024'
	run nettune-backup check
	assert_success
	assert_output ""
}

@test "check: one line per drifted key and exit 3; --prom writes metrics atomically" {
	nettune-backup -q apply - <<<$'net.core.somaxconn = 1024\nnet.ipv4.tcp_slow_start_after_idle = 0'
	echo 99 > "$TUNEKIT_PROC/sys/net/core/somaxconn"
	run nettune-backup check --prom "$T/tunekit.prom"
	assert_failure 3
	assert_output "net.core.somaxconn: 1024 -> 99"
	run cat "$T/tunekit.prom"
	assert_line 'tunekit_sysctl_drift{key="net.core.somaxconn"} 1'
	assert_line 'tunekit_sysctl_drift{key="net.ipv4.tcp_slow_start_after_idle"} 0'
	assert_line 'tunekit_sysctl_drifted_keys 1'
	assert_line --regexp '^tunekit_check_timestamp_seconds [0-9]{10}$'
	[ -z "$(find "$T" -maxdepth 1 -name '.tunekit.prom.*')" ]
}

@test "check: nothing persisted is not drift" {
	run nettune-backup check
	assert_success
	assert_output ""
}

@test "prune: keeps the newest N, never the newest; --keep 0 is refused" {
	for i in 1 2 3 4; do nettune-backup -q save -m "s$i" >/dev/null; sleep 1; done
	newest=$(nettune-backup list | tail -1 | cut -d' ' -f1)
	run nettune-backup prune --keep 1
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	run nettune-backup list
	assert_output --regexp "^$newest "
	[ "${#lines[@]}" -eq 1 ]
	run nettune-backup prune --keep 0
	assert_failure 2
}

# --- real kernel, inside the sandbox ----------------------------------------

@test "sandbox: apply writes real per-namespace sysctls and restore undoes them" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run "$SANDBOX" bash -c '
		set -e
		id=$(nettune-backup save -m base)
		printf "net.core.somaxconn = 1234\nnet.ipv4.tcp_slow_start_after_idle = 0\nnet.ipv4.tcp_rmem = 4096 65536 2097152\n" | nettune-backup -q apply -
		echo "live: $(cat /proc/sys/net/core/somaxconn) $(cat /proc/sys/net/ipv4/tcp_slow_start_after_idle) $(cat /proc/sys/net/ipv4/tcp_rmem | tr "\t" " ")"
		grep -c . /etc/sysctl.d/90-tunekit.conf
		nettune-backup diff "$id" >/dev/null || echo "diff: $?"
		nettune-backup -q restore "$id" >/dev/null
		nettune-backup diff "$id" && echo "diff after restore: clean"
		test ! -e /etc/sysctl.d/90-tunekit.conf && echo "persisted file removed"'
	assert_success
	assert_line "live: 1234 0 4096 65536 2097152"
	assert_line "diff: 3"
	assert_line "diff after restore: clean"
	assert_line "persisted file removed"
}

@test "sandbox: a value the kernel refuses midway (cubic not allowed) rolls back earlier keys" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run "$SANDBOX" bash -c '
		before=$(cat /proc/sys/net/core/somaxconn)
		printf "net.core.somaxconn = 1111\nnet.ipv4.tcp_congestion_control = cubic\n" | nettune-backup apply -
		echo "rc=$?"
		echo "somaxconn: $before -> $(cat /proc/sys/net/core/somaxconn)"
		test -e /etc/sysctl.d/90-tunekit.conf && echo persisted || echo "not persisted"'
	assert_line "rc=1"
	assert_output --partial "net.ipv4.tcp_congestion_control: the kernel refused the value: Operation not permitted"
	assert_line --regexp '^somaxconn: ([0-9]+) -> \1$'
	assert_line "not persisted"
}
