#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The fast path of uringcp and aiocp: FICLONE on btrfs and XFS (loop-mounted
# images made here, mounted in a private mount namespace) and --reflink.

load helpers
load copy-helpers

setup() {
	[ "$(id -u)" -eq 0 ] || skip_or_fail "loop devices and mounts need root"
	copy_setup
	BTRFS=$(loop_fs btrfs)
	XFS=$(loop_fs xfs)
	export BTRFS XFS
	mkdir "$W/b" "$W/x"
}

teardown() {
	reap_stopped
	loop_teardown
	copy_teardown
}

# Both images mounted at $W/b and $W/x for the script that follows.
mounted() {
	in_mountns "mount $BTRFS $W/b; mount $XFS $W/x; $1"
}

@test "reflink: a file on btrfs and XFS is cloned: shared extents, holes kept, exact" {
	run mounted '
		for fs in b x; do
			d=$W/$fs
			# 4 MiB of data, a 16 MiB hole, 1 MiB of data, a trailing hole
			head -c 4M /dev/urandom >"$d/src"
			head -c 1M /dev/urandom | dd of="$d/src" bs=1M seek=20 conv=notrunc status=none
			truncate -s 32M "$d/src"
			sync -f "$d/src"
			for t in uringcp aiocp; do
				$t --stats --verify --manifest "$d/$t.sum" "$d/src" "$d/$t" >"$d/$t.stats"
				grep -q "cloned=1" "$d/$t.stats"
				cmp "$d/src" "$d/$t"
				(cd "$d" && sha256sum -c --quiet "$t.sum")
				[ "$(stat -c %s "$d/$t")" -eq $((32 << 20)) ]
				sync -f "$d/$t"
				# shared with the source, and no more blocks than it
				[ "$(filefrag -v "$d/$t" | grep -c shared)" -ge 2 ]
				[ "$(stat -c %b "$d/$t")" -le "$(stat -c %b "$d/src")" ]
				[ "$(stat -c %b "$d/$t")" -lt $((8 * 2048)) ]
				# nothing left behind
				[ -z "$(find "$d" -maxdepth 1 -name ".*")" ]
			done
		done
		echo done-ok'
	assert_success
	assert_output "done-ok"
}

@test "reflink: --reflink=always across file systems fails with 1 and leaves nothing" {
	run mounted '
		head -c 3M /dev/urandom >"$W/b/src"
		for t in uringcp aiocp; do
			for to in x/$t "$t-ext"; do
				rc=0
				$t --reflink=always "$W/b/src" "$W/$to" 2>"$W/err" || rc=$?
				[ "$rc" -eq 1 ]
				grep -q "cannot clone (--reflink=always)" "$W/err"
				[ ! -e "$W/$to" ]
			done
			[ -z "$(find "$W/x" -maxdepth 1 -name ".*")" ]
			# with named temp files too
			rc=0
			TUNEKIT_NO_TMPFILE=1 $t --reflink=always "$W/b/src" "$W/x/$t" 2>/dev/null || rc=$?
			[ "$rc" -eq 1 ]
			[ ! -e "$W/x/$t" ]
			[ -z "$(find "$W/x" -maxdepth 1 -name ".*")" ]
			# and it does clone where it can
			$t --reflink=always --stats "$W/b/src" "$W/b/$t" | grep -q cloned=1
			cmp "$W/b/src" "$W/b/$t"
		done
		echo done-ok'
	assert_success
	assert_output "done-ok"
}

@test "reflink: --reflink=never copies every byte (no shared extents)" {
	run mounted '
		for fs in b x; do
			d=$W/$fs
			head -c 5M /dev/urandom >"$d/src"
			sync -f "$d/src"
			for t in uringcp aiocp; do
				$t --reflink=never --stats "$d/src" "$d/$t" >"$d/$t.stats"
				grep -q "cloned=0" "$d/$t.stats"
				grep -q "bytes=$((5 << 20))" "$d/$t.stats"
				cmp "$d/src" "$d/$t"
				sync -f "$d/$t"
				[ "$(filefrag -v "$d/$t" | grep -c shared)" -eq 0 ]
			done
		done
		echo done-ok'
	assert_success
	assert_output "done-ok"
}

@test "reflink: SIGKILL while cloning leaves no destination and no temp file" {
	run mounted '
		head -c 64M /dev/urandom >"$W/x/src"
		echo old >"$W/x/old"
		for t in uringcp aiocp; do
			for tmpfile in 0 1; do
				bash -c "kill -STOP \$\$; exec env TUNEKIT_NO_TMPFILE=$tmpfile $t $W/x/src $W/x/$t" &
				pid=$!
				# run until the temp file is open, then kill it there
				for i in $(seq 2000); do
					ls -l /proc/$pid/fd 2>/dev/null | grep -Eq "$W/x/(#|\\.$t\\.tkcp-)" && break
					kill -CONT $pid 2>/dev/null || break; sleep 0.002; kill -STOP $pid 2>/dev/null || break
				done
				kill -KILL $pid 2>/dev/null || true
				wait $pid 2>/dev/null || true
				# never a partial destination: absent, or the whole copy
				if [ -e "$W/x/$t" ]; then cmp "$W/x/src" "$W/x/$t"; rm "$W/x/$t"; fi
				# a named temp file a SIGKILL left is removed by the next copy
				$t "$W/x/old" "$W/x/$t"
				[ -z "$(find "$W/x" -maxdepth 1 -name ".*")" ]
				rm "$W/x/$t"
			done
		done
		echo done-ok'
	assert_success
	assert_output "done-ok"
}
