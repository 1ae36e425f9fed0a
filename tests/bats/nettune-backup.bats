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
		mount -t tmpfs -o size=8k,mode=0755 tiny "$1" && head -c 8192 /dev/zero > "$1/filler" 2>/dev/null;
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
	python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["snapshots"]; assert [x["note"] for x in s]==["first one","second"], s; assert all(x["valid"] is None and x["keys"]==5 for x in s)' <<<"$output"
	run nettune-backup list --json --verify
	python3 -c 'import json,sys; s=json.load(sys.stdin)["snapshots"]; assert all(x["valid"] is True for x in s), s' <<<"$output"
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
	base=$(sed -n 's/^base=//p' "$(STORE)/$id")
	sed -i 's/somaxconn = 4096/somaxconn = 1/' "$(STORE)/blobs/$base"
	before=$(tree_hash)
	run nettune-backup restore "$id"
	assert_failure 1
	assert_output --partial "$id: snapshot is corrupt"
	assert_output --partial "blobs/$base checksum mismatch"
	[ "$(tree_hash)" = "$before" ]
	run nettune-backup list
	refute_output --partial "[CORRUPT]" # list reads the index only
	run nettune-backup list --verify
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
	assert_output "net.core.somaxconn: 99 -> 1024"
	run cat "$T/tunekit.prom"
	assert_line 'tunekit_sysctl_drift{key="net.core.somaxconn"} 1'
	assert_line 'tunekit_sysctl_drift{key="net.ipv4.tcp_slow_start_after_idle"} 0'
	assert_line 'tunekit_sysctl_drifted_keys 1'
	# the timestamp is nettune's (tunekit-metrics merge --timestamp), not ours
	refute_line --partial 'timestamp'
	[ -z "$(find "$T" -maxdepth 1 -name '.tunekit.prom.*')" ]
}

@test "check: nothing persisted is not drift" {
	run nettune-backup check
	assert_success
	assert_output ""
}

@test "prune: keeps the newest N and the oldest (pristine); --keep 0 is refused" {
	for i in 1 2 3 4; do nettune-backup -q save -m "s$i" >/dev/null; sleep 1; done
	oldest=$(nettune-backup list | head -1 | cut -d' ' -f1)
	newest=$(nettune-backup list | tail -1 | cut -d' ' -f1)
	run nettune-backup prune --keep 1
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	run nettune-backup list
	assert_line --index 0 --regexp "^$oldest "
	assert_line --index 1 --regexp "^$newest "
	[ "${#lines[@]}" -eq 2 ]
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

@test "prune: automatic after every change (keep in tunekit.conf); the pristine and the undo walk stay" {
	mkdir -p "$TUNEKIT_ROOT/etc/tunekit"
	echo 'keep = 2' >"$TUNEKIT_ROOT/etc/tunekit/tunekit.conf"
	for i in 1 2 3 4 5 6; do nettune-backup -q apply - <<<"net.core.somaxconn = 100$i" >/dev/null; done
	run nettune-backup list
	[ "${#lines[@]}" -eq 3 ]
	run grep -c '^1 ' "$(STORE)/index"
	assert_output 1 # the pristine snapshot, taken before the first change
	nettune-backup -q restore >/dev/null
	[ "$(key_value net.core.somaxconn)" = 1005 ]
	nettune-backup -q restore >/dev/null
	[ "$(key_value net.core.somaxconn)" = 1004 ]
	run nettune-backup restore "$(head -1 <(nettune-backup list) | cut -d' ' -f1)"
	assert_success
	[ "$(key_value net.core.somaxconn)" = 4096 ]
	# no blob left that no snapshot refers to
	for b in "$(STORE)"/blobs/*; do
		grep -qr --exclude-dir=blobs "${b##*/}" "$(STORE)" || fail "unreferenced blob $b"
	done
}

@test "prune: keep = 0 in tunekit.conf turns automatic pruning off; --keep-days 0 is refused" {
	mkdir -p "$TUNEKIT_ROOT/etc/tunekit"
	echo 'keep = 0' >"$TUNEKIT_ROOT/etc/tunekit/tunekit.conf"
	for i in 1 2 3 4; do nettune-backup -q apply - <<<"net.core.somaxconn = 100$i" >/dev/null; done
	run nettune-backup list
	[ "${#lines[@]}" -eq 4 ]
	run nettune-backup prune --keep-days 0
	assert_failure 2
}

# --- safe as root: forged snapshots (valid MANIFEST, content by someone else) --

# forged_setup: a change to undo, a persisted file, and a snapshot $id to forge
forged_setup() {
	fake_proc "$TUNEKIT_PROC" kernel.core_pattern=core fs.protected_regular=1
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024'
	id=$(nettune-backup save -m victim)
	nettune-backup -q apply - <<<'net.core.somaxconn = 2048'
	S="$(STORE)/$id"
}

# refused_whole ENTRY WHY: restore of the forged $id is exit 2, names the
# entry, and nothing at all changed
refused_whole() {
	forge "$id"
	local before
	before=$(host_hash)
	run nettune-backup restore "$id"
	assert_failure 2
	assert_output --partial "$1"
	assert_output --partial "$2"
	assert_output --partial "nothing changed"
	[ "$(host_hash)" = "$before" ]
	[ "$(key_value net.core.somaxconn)" = 2048 ]
}

@test "forged: a file outside the managed set (/usr/local/bin) is refused whole" {
	forged_setup
	h=$(printf '#!/bin/sh\nid\n' | put_blob)
	echo "file $h 0755 /usr/local/bin/tunekit-evil" >> "$S"
	refused_whole /usr/local/bin/tunekit-evil "not a file tunekit manages"
	assert_file_not_exists "$TUNEKIT_ROOT/usr/local/bin/tunekit-evil"
}

@test "forged: a ../ path that leaves the managed set is refused whole" {
	forged_setup
	h=$(printf 'x\n' | put_blob)
	echo "file $h 0644 /etc/sysctl.d/../../usr/local/bin/x" >> "$S"
	refused_whole /etc/sysctl.d/../../usr/local/bin/x "not a file tunekit manages"
}

@test "forged: a set-uid mode (4755) on a managed file is refused whole" {
	forged_setup
	sed -i 's|^file \([^ ]*\) [0-7]* /etc/sysctl.d/90-tunekit.conf$|file \1 4755 /etc/sysctl.d/90-tunekit.conf|' "$S"
	grep -q ' 4755 ' "$S"
	refused_whole /etc/sysctl.d/90-tunekit.conf "set-uid, set-gid or sticky"
}

@test "forged: a group/world-writable mode (0666) on a managed file is refused whole" {
	forged_setup
	sed -i 's|^file \([^ ]*\) [0-7]* /etc/sysctl.d/90-tunekit.conf$|file \1 0666 /etc/sysctl.d/90-tunekit.conf|' "$S"
	refused_whole /etc/sysctl.d/90-tunekit.conf "group or others write"
}

@test "forged: the private sysctl file above 0600 is refused whole" {
	forged_setup
	h=$(printf 'net.ipv4.tcp_fastopen_key = 1-2-3-4\n' | put_blob)
	sed -i "s|^absent - /etc/sysctl.d/90-tunekit-private.conf\$|file $h 0644 /etc/sysctl.d/90-tunekit-private.conf|" "$S"
	grep -q "$h 0644" "$S"
	refused_whole /etc/sysctl.d/90-tunekit-private.conf "above 0600"
}

@test "forged: a symlink in place of the persisted sysctl file is refused whole" {
	forged_setup
	h=$(printf '/tmp/evil.conf' | put_blob)
	sed -i "s|^file [^ ]* [0-7]* /etc/sysctl.d/90-tunekit.conf\$|symlink $h /etc/sysctl.d/90-tunekit.conf|" "$S"
	refused_whole /etc/sysctl.d/90-tunekit.conf "symbolic link is not allowed"
}

@test "forged: unlinking an unmanaged file (absent /etc/passwd) is refused whole" {
	echo "root:x:0:0::/root:/bin/sh" > "$TUNEKIT_ROOT/etc/passwd"
	forged_setup
	echo "absent - /etc/passwd" >> "$S"
	refused_whole /etc/passwd "not a file tunekit manages"
	assert_file_exists "$TUNEKIT_ROOT/etc/passwd"
}

@test "forged: kernel.core_pattern in a snapshot is refused whole (apply's prefix policy)" {
	forged_setup
	echo 'kernel.core_pattern = |/tmp/evil %p' >> "$S"
	refused_whole kernel.core_pattern "outside the allowed prefixes"
	[ "$(key_value kernel.core_pattern)" = core ]
}

@test "forged: other prefixes (vm., fs.) are refused whole; --allow-prefix admits them as apply does" {
	forged_setup
	for line in 'vm.swappiness = 1' 'fs.protected_regular = 0'; do
		cp "$S" "$T/keys.orig"
		echo "$line" >> "$S"
		refused_whole "${line%% *}" "outside the allowed prefixes"
		cp "$T/keys.orig" "$S"
	done
	echo 'vm.swappiness = 1' >> "$S"
	forge "$id"
	run nettune-backup restore --allow-prefix vm "$id"
	assert_success
	[ "$(key_value vm.swappiness)" = 1 ]
	[ "$(key_value net.core.somaxconn)" = 1024 ]
}

@test "forged: kernel.core_pattern inside the snapshot's persisted sysctl file is refused whole" {
	forged_setup
	{ content_of "$id" /etc/sysctl.d/90-tunekit.conf; echo 'kernel.core_pattern = |/tmp/evil %p'; } >"$T/evil"
	grep -q '^kernel.core_pattern' "$T/evil"
	set_content "$id" /etc/sysctl.d/90-tunekit.conf <"$T/evil"
	refused_whole "kernel.core_pattern: key outside the allowed prefixes" /etc/sysctl.d/90-tunekit.conf
}

# --- safe as root: who owns the store ----------------------------------------

@test "untrusted: a snapshot owned by nobody is refused (exit 2)" {
	forged_setup
	chown 65534 "$S"
	before=$(host_hash)
	run nettune-backup restore "$id"
	assert_failure 2
	assert_output --partial "$S is not owned by root"
	[ "$(host_hash)" = "$before" ]
}

@test "untrusted: a content blob owned by nobody is refused (exit 2)" {
	forged_setup
	B="$(STORE)/blobs/$(sed -n 's/^base=//p' "$S")"
	chown 65534 "$B"
	before=$(host_hash)
	run nettune-backup restore "$id"
	assert_failure 2
	assert_output --partial "$B is not owned by root"
	[ "$(host_hash)" = "$before" ]
}

@test "untrusted: a group- or world-writable snapshot, blob or blob directory is refused (exit 2)" {
	forged_setup
	for p in "$S" "$(STORE)/blobs/$(sed -n 's/^base=//p' "$S")" "$(STORE)/blobs"; do
		for m in g+w o+w; do
			chmod "$m" "$p"
			before=$(host_hash)
			run nettune-backup restore "$id"
			assert_failure 2
			assert_output --partial "$p is writable by group or others"
			[ "$(host_hash)" = "$before" ]
			chmod go-w "$p"
		done
	done
}

@test "untrusted: a store (or state dir) owned by nobody or world-writable refuses restore and apply" {
	forged_setup
	for d in "$(STORE)" "$TUNEKIT_ROOT/var/lib/tunekit"; do
		for how in "chown 65534" "chmod 0777" "chmod 0770"; do
			$how "$d"
			before=$(host_hash)
			run nettune-backup restore "$id"
			assert_failure 2
			assert_output --partial "refusing"
			assert_output --partial "$d is"
			run nettune-backup apply - <<<'net.core.somaxconn = 7'
			assert_failure 1
			assert_output --partial "cannot save the snapshot, nothing changed: $d is"
			[ "$(host_hash)" = "$before" ]
			chown 0 "$d"
			chmod 0700 "$d"
		done
	done
}

@test "store: snapshots are 0600 files in 0700 directories; an older 0755 store is tightened" {
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024'
	[ "$(stat -c %a "$(STORE)")" = 700 ]
	run find "$(STORE)" -mindepth 1 \( -type d ! -perm 0700 -o -type f ! -perm 0600 \)
	assert_output ""
	chmod 0755 "$(STORE)"
	nettune-backup -q save >/dev/null
	[ "$(stat -c %a "$(STORE)")" = 700 ]
}

# --- safe as root: the lock ----------------------------------------------------

@test "lock: a lock file planted and held by nobody in /run/lock blocks nothing" {
	require_root
	command -v setpriv >/dev/null || skip_or_fail "setpriv missing"
	install -d -m 1777 "$TUNEKIT_ROOT/run/lock"
	d=$TUNEKIT_ROOT; while [ "$d" != / ]; do chmod a+x "$d"; d=$(dirname "$d"); done
	setpriv --reuid=65534 --regid=65534 --clear-groups flock "$TUNEKIT_ROOT/run/lock/tunekit.lock" sleep 60 &
	holder=$!
	for i in $(seq 50); do grep -q "^[0-9]*: FLOCK .* $holder " /proc/locks && break; sleep 0.1; done
	[ "$(stat -c %U "$TUNEKIT_ROOT/run/lock/tunekit.lock")" = nobody ]
	grep -q "^[0-9]*: FLOCK .* $holder " /proc/locks # nobody really holds it
	run timeout 10 nettune-backup apply - <<<'net.core.somaxconn = 1024'
	kill "$holder"
	assert_success
	[ "$(key_value net.core.somaxconn)" = 1024 ]
	[ "$(stat -c '%a %U' "$TUNEKIT_ROOT/run/tunekit")" = "700 root" ]
	[ "$(stat -c '%a %U' "$TUNEKIT_ROOT/run/tunekit/lock")" = "600 root" ]
}

@test "lock: /run/tunekit pre-created by nobody, world-writable or a symlink is refused clearly" {
	require_root
	before=$(host_hash)
	mkdir -p "$TUNEKIT_ROOT/run/tunekit"
	chown 65534 "$TUNEKIT_ROOT/run/tunekit"
	run nettune-backup apply - <<<'net.core.somaxconn = 1024'
	assert_failure 1
	assert_output --partial "lock directory $TUNEKIT_ROOT/run/tunekit is not owned by root"
	chown 0 "$TUNEKIT_ROOT/run/tunekit"
	chmod 1777 "$TUNEKIT_ROOT/run/tunekit"
	run nettune-backup apply - <<<'net.core.somaxconn = 1024'
	assert_failure 1
	assert_output --partial "lock directory $TUNEKIT_ROOT/run/tunekit is writable by group or others"
	rmdir "$TUNEKIT_ROOT/run/tunekit"
	mkdir "$T/elsewhere"
	ln -s "$T/elsewhere" "$TUNEKIT_ROOT/run/tunekit"
	run nettune-backup apply - <<<'net.core.somaxconn = 1024'
	assert_failure 1
	assert_output --partial "lock directory $TUNEKIT_ROOT/run/tunekit is a symbolic link"
	[ "$(key_value net.core.somaxconn)" = 4096 ]
	[ "$(snapshot_count)" -eq 0 ]
	assert_file_not_exists "$(PERSISTED)"
	assert_file_not_exists "$T/elsewhere/lock"
}

@test "lock: a held lock is waited for a bounded time, then exit 1 naming the holder's PID" {
	nettune-backup -q save >/dev/null # creates /run/tunekit
	flock "$TUNEKIT_ROOT/run/tunekit/lock" sleep 30 &
	holder=$!
	for i in $(seq 50); do grep -q "^[0-9]*: FLOCK .* $holder " /proc/locks && break; sleep 0.1; done
	start=$(date +%s%N)
	TUNEKIT_LOCK_TIMEOUT=1 run nettune-backup apply - <<<'net.core.somaxconn = 1024'
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	kill "$holder"
	assert_failure 1
	assert_output --partial "the lock $TUNEKIT_ROOT/run/tunekit/lock is held by PID $holder; gave up after 1 s"
	[ "$elapsed" -ge 1000 ] && [ "$elapsed" -lt 5000 ]
	[ "$(key_value net.core.somaxconn)" = 4096 ]
	run nettune-backup --help
	assert_output --partial "TUNEKIT_LOCK_TIMEOUT seconds (default 30)"
}

# --- safe as root: secrets -------------------------------------------------------

@test "secret: tcp_fastopen_key (0600 in proc) only in 0600 files, never shown or world-readable" {
	old=00000000-00000000-00000000-0000a1a1
	new=12345678-9abcdef0-0fedcba9-87654321
	fake_proc "$TUNEKIT_PROC" "net.ipv4.tcp_fastopen_key=$old"
	chmod 0600 "$TUNEKIT_PROC/sys/net/ipv4/tcp_fastopen_key"
	run nettune-backup apply - <<<$"net.ipv4.tcp_fastopen_key = $new"$'\nnet.core.somaxconn = 1024'
	assert_success
	refute_output --partial "$old"
	refute_output --partial "$new"
	assert_line "net.ipv4.tcp_fastopen_key: (secret) -> (secret)"
	[ "$(key_value net.ipv4.tcp_fastopen_key)" = "$new" ]
	priv="$TUNEKIT_ROOT/etc/sysctl.d/90-tunekit-private.conf"
	[ "$(stat -c %a "$priv")" = 600 ]
	grep -qx "net.ipv4.tcp_fastopen_key = $new" "$priv"
	run grep -c fastopen "$(PERSISTED)"
	assert_output 0
	# the old key is in the snapshot; no world-readable file anywhere holds either
	grep -rqF "$old" "$(STORE)"
	run find "$TUNEKIT_ROOT" -type f -perm /o+r -exec grep -lF -e "$old" -e "$new" {} +
	assert_output ""
	# restore brings the secret and the private file back
	run nettune-backup restore
	assert_success
	[ "$(key_value net.ipv4.tcp_fastopen_key)" = "$old" ]
	assert_file_not_exists "$priv"
}

@test "secret: a key an older tunekit persisted world-readable moves to the private file" {
	fake_proc "$TUNEKIT_PROC" net.ipv4.tcp_fastopen_key=1-2-3-4
	chmod 0600 "$TUNEKIT_PROC/sys/net/ipv4/tcp_fastopen_key"
	mkdir -p "$TUNEKIT_ROOT/etc/sysctl.d"
	echo "net.ipv4.tcp_fastopen_key = 1-2-3-4" > "$(PERSISTED)"
	nettune-backup -q apply - <<<'net.core.somaxconn = 1024'
	run grep -c fastopen "$(PERSISTED)"
	assert_output 0
	grep -qx 'net.ipv4.tcp_fastopen_key = 1-2-3-4' "$TUNEKIT_ROOT/etc/sysctl.d/90-tunekit-private.conf"
}

# --- restore verifies what it wrote --------------------------------------------

@test "restore: a key that does not come back (read-only bind mount) is exit 1, named; the others restored" {
	require_root
	fake_proc "$TUNEKIT_PROC" net.core.a=1
	nettune-backup -q apply - <<<$'net.core.a = 10\nnet.core.somaxconn = 100'
	run unshare --mount --propagation private sh -c '
		mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && nettune-backup restore' \
		sh "$TUNEKIT_PROC/sys/net/core/somaxconn"
	assert_failure 1
	assert_output --partial "net.core.somaxconn: not restored: write failed: Read-only file system"
	assert_output --partial "could not bring back 1 key or file: net.core.somaxconn"
	assert_line "net.core.a: 10 -> 1"
	[ "$(key_value net.core.a)" = 1 ]
	[ "$(key_value net.core.somaxconn)" = 100 ]
	assert_file_not_exists "$(PERSISTED)"
}

@test "restore: a changed key that is read-only now is exit 1, named, not skipped silently" {
	fake_proc "$TUNEKIT_PROC" net.core.a=1
	nettune-backup -q apply - <<<$'net.core.a = 10\nnet.core.somaxconn = 100'
	chmod 0444 "$TUNEKIT_PROC/sys/net/core/somaxconn"
	run nettune-backup restore
	assert_failure 1
	assert_output --partial "net.core.somaxconn: not restored: read-only here"
	[ "$(key_value net.core.a)" = 1 ]
	[ "$(key_value net.core.somaxconn)" = 100 ]
}

# --- order by sequence, not by the clock --------------------------------------

@test "order: after the clock steps back, restore undoes the newest change by sequence" {
	require_cmd faketime
	# libfaketime is preloaded ahead of a sanitizer build's ASan runtime
	if grep -qa __asan_init "$(command -v nettune-backup)"; then
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	fi
	faketime '2030-06-01 12:00:00' nettune-backup -q apply - <<<'net.core.somaxconn = 1000'
	faketime '2020-01-01 00:00:00' nettune-backup -q apply - <<<'net.core.somaxconn = 2000'
	run nettune-backup list
	assert_line --index 0 --partial "2030-06-01T12:00"
	assert_line --index 1 --partial "2020-01-01T00:00"
	run nettune-backup restore
	assert_success
	[ "$(key_value net.core.somaxconn)" = 1000 ]
	nettune-backup -q restore >/dev/null
	[ "$(key_value net.core.somaxconn)" = 4096 ]
	run nettune-backup diff
	assert_failure 3 # the newest snapshot (by sequence) is the last "before restore"
	assert_line "net.core.somaxconn: 1000 -> 4096"
}

@test "order: the index holds SEQ ID TIME NKEYS NOTE, one line per snapshot, 0600" {
	a=$(nettune-backup save -m first)
	b=$(nettune-backup save -m "second note")
	idx="$(STORE)/index"
	[ "$(stat -c %a "$idx")" = 600 ]
	run grep -v '^#' "$idx"
	assert_line --index 0 --regexp "^1 $a [0-9]+ 5 first\$"
	assert_line --index 1 --regexp "^2 $b [0-9]+ 5 second note\$"
	c=$(nettune-backup save -m third)
	nettune-backup -q prune --keep 1 >/dev/null
	run grep -v '^#' "$idx"
	assert_line --index 0 --regexp "^1 $a "
	assert_line --index 1 --regexp "^3 $c "
	[ "${#lines[@]}" -eq 2 ]
}

# v1_snapshot ID NOTE: a snapshot as an older tunekit wrote it: a directory,
# no seq, no index, 0755/0644
v1_snapshot() {
	local d
	d="$(STORE)/$1"
	mkdir -p "$d/files"
	printf 'net.core.somaxconn = 4096\n' >"$d/sysctl.conf"
	: >"$d/files.list"
	printf 'id=%s\ntime=%s\nnote=%s\nkeys=1\n' "$1" "$(date +%s)" "$2" >"$d/meta"
	(cd "$d" && sha256sum meta sysctl.conf files.list >MANIFEST)
	chmod -R go+rX,go-w "$d"
}

@test "order: an older store (directories, no index) is indexed once by ID and stays restorable" {
	mkdir -p "$(STORE)"
	chmod 0755 "$(STORE)"
	a=20200101-000000-001 b=20200101-000001-001
	v1_snapshot "$b" two
	v1_snapshot "$a" one
	run nettune-backup list --verify
	assert_success
	assert_line --index 0 --partial "$a"
	assert_line --index 1 --partial "$b"
	refute_output --partial CORRUPT
	run grep -v '^#' "$(STORE)/index"
	assert_line --index 0 --regexp "^1 $a "
	assert_line --index 1 --regexp "^2 $b "
	c=$(nettune-backup save -m three)
	run grep -c "^3 $c " "$(STORE)/index"
	assert_output 1
	echo 77 >"$TUNEKIT_PROC/sys/net/core/somaxconn"
	run nettune-backup restore "$a"
	assert_success
	[ "$(key_value net.core.somaxconn)" = 4096 ]
}
