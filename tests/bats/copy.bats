#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# What uringcp and aiocp share (lib/copyjob.c): every test runs both tools.

load helpers
load copy-helpers

setup() {
	copy_setup
}

teardown() {
	copy_teardown
}

@test "copy: sizes around block and page boundaries are byte-exact" {
	for s in 0 1 4095 4096 4097 1048575 1048576 1048577; do
		mkdata "$W/src-$s" "$s"
	done
	for t in $COPY_TOOLS; do
		for s in 0 1 4095 4096 4097 1048575 1048576 1048577; do
			run $(tool_cmd "$t") "$W/src-$s" "$W/$t-$s"
			assert_success
			cmp "$W/src-$s" "$W/$t-$s"
		done
	done
	for s in 4095 4096 4097 1048577; do
		run uringcp --direct "$W/src-$s" "$W/direct-$s"
		assert_success
		cmp "$W/src-$s" "$W/direct-$s"
	done
	[ "$(temps_in "$W")" -eq 0 ]
}

@test "copy: a file larger than queue depth x block size is pipelined and exact" {
	mkdata "$W/src" $((3 * 1024 * 1024 + 123))
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") -q 2 -b 64K --stats "$W/src" "$W/$t"
		assert_success
		cmp "$W/src" "$W/$t"
		# 49 chunks, a read and a write each (tail: +1 chunk when direct)
		subs=$(sed -n 's/.*submissions=\([0-9]*\).*/\1/p' <<<"$output")
		[ "$subs" -ge 98 ]
		assert_output --partial "bytes=$((3 * 1024 * 1024 + 123))"
		assert_output --partial "failures=0"
	done
}

@test "copy: holes of a sparse file stay holes" {
	truncate -s 16M "$W/sparse"
	printf 'head' | dd of="$W/sparse" conv=notrunc status=none
	printf 'middle' | dd of="$W/sparse" bs=1 seek=$((8 * 1024 * 1024)) conv=notrunc status=none
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") "$W/sparse" "$W/$t"
		assert_success
		cmp "$W/sparse" "$W/$t"
		[ "$(stat -c %s "$W/$t")" -eq $((16 * 1024 * 1024)) ]
		# two 4 KiB blocks of data, not 16 MiB
		[ "$(du -k "$W/$t" | cut -f1)" -le 64 ]
	done
}

@test "copy: -r copies a tree with symlinks, modes and empty directories" {
	mkdir -p "$W/tree/sub/deeper" "$W/tree/empty"
	mkdata "$W/tree/a" 5000
	mkdata "$W/tree/sub/b" 70000
	mkdata "$W/tree/sub/deeper/c" 1
	: >"$W/tree/zero"
	chmod 0600 "$W/tree/a"
	chmod 0755 "$W/tree/sub/b"
	chmod 0640 "$W/tree/sub/deeper/c"
	chmod 0700 "$W/tree/sub/deeper"
	ln -s a "$W/tree/link-to-a"
	ln -s ../nowhere "$W/tree/sub/dangling"
	ln -s sub "$W/tree/link-to-dir"
	mkfifo "$W/tree/fifo"
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") -r "$W/tree" "$W/$t"
		assert_success
		diff -r --no-dereference -x fifo "$W/tree" "$W/$t"
		assert_equal "$(tree_listing "$W/$t")" "$(tree_listing "$W/tree")"
		[ "$(temps_in "$W/$t")" -eq 0 ]
	done
}

@test "copy: -r into an existing directory lands under its name, -p keeps times" {
	mkdir -p "$W/tree/sub" "$W/dest"
	mkdata "$W/tree/sub/f" 10000
	touch -d '2001-02-03 04:05:06' "$W/tree/sub/f" "$W/tree/sub" "$W/tree"
	for t in $COPY_TOOLS; do
		mkdir -p "$W/dest-$t"
		run $(tool_cmd "$t") -rp "$W/tree" "$W/dest-$t"
		assert_success
		cmp "$W/tree/sub/f" "$W/dest-$t/tree/sub/f"
		assert_equal "$(stat -c %Y "$W/dest-$t/tree/sub/f")" "$(stat -c %Y "$W/tree/sub/f")"
		assert_equal "$(stat -c %Y "$W/dest-$t/tree/sub")" "$(stat -c %Y "$W/tree/sub")"
	done
}

@test "copy: SRC... DIR copies each file into DIR; -v says what it copied" {
	mkdata "$W/one" 100
	mkdata "$W/two" 200
	for t in $COPY_TOOLS; do
		mkdir "$W/into-$t"
		run $(tool_cmd "$t") -v "$W/one" "$W/two" "$W/into-$t"
		assert_success
		assert_line "'$W/one' -> '$W/into-$t/one'"
		assert_line "'$W/two' -> '$W/into-$t/two'"
		cmp "$W/one" "$W/into-$t/one"
		cmp "$W/two" "$W/into-$t/two"
	done
}

@test "copy: several sources to a non-directory fail with exit 1" {
	mkdata "$W/one" 10
	mkdata "$W/two" 10
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") "$W/one" "$W/two" "$W/missing-$t"
		assert_failure 1
		assert_output --partial "missing-$t: target directory: No such file or directory"
	done
}

@test "copy: a file onto itself is refused and left alone" {
	mkdata "$W/self" 5000
	cp "$W/self" "$W/orig"
	ln "$W/self" "$W/hardlink"
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") "$W/self" "$W/self"
		assert_failure 1
		assert_output --partial "same file"
		run $(tool_cmd "$t") "$W/self" "$W/hardlink"
		assert_failure 1
		assert_output --partial "same file"
		cmp "$W/self" "$W/orig"
	done
}

@test "copy: a directory into itself is refused" {
	mkdir -p "$W/d/sub"
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") -r "$W/d" "$W/d/sub"
		assert_failure 1
		assert_output --partial "into itself"
		[ ! -e "$W/d/sub/d" ]
	done
}

@test "copy: replaces an existing destination; -n keeps it" {
	mkdata "$W/new" 3000
	for t in $COPY_TOOLS; do
		echo old >"$W/dst-$t"
		chmod 0604 "$W/dst-$t"
		run $(tool_cmd "$t") -n "$W/new" "$W/dst-$t"
		assert_success
		assert_equal "$(cat "$W/dst-$t")" old
		run $(tool_cmd "$t") "$W/new" "$W/dst-$t"
		assert_success
		cmp "$W/new" "$W/dst-$t"
		# like cp, an existing file keeps its mode
		assert_equal "$(stat -c %a "$W/dst-$t")" 604
	done
}

@test "copy: missing source is an error naming it; the other sources are copied" {
	mkdata "$W/there" 10
	for t in $COPY_TOOLS; do
		mkdir "$W/d-$t"
		run $(tool_cmd "$t") "$W/nope" "$W/there" "$W/d-$t"
		assert_failure 1
		assert_output --partial "$W/nope: stat: No such file or directory"
		cmp "$W/there" "$W/d-$t/there"
	done
}

@test "copy: a directory without -r is omitted with exit 1" {
	mkdir "$W/dir"
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") "$W/dir" "$W/out-$t"
		assert_failure 1
		assert_output --partial "omitting directory"
		assert_output --partial "-r"
		[ ! -e "$W/out-$t" ]
	done
}

@test "copy: a missing destination directory is an error naming the path" {
	mkdata "$W/f" 10
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") "$W/f" "$W/no/such/dir/f"
		assert_failure 1
		assert_output --partial "$W/no/such/dir/f: create temp file: No such file or directory"
	done
}

@test "copy: an unreadable source fails as a user, leaving no temp and the old destination" {
	require_root
	require_cmd setpriv
	mkdata "$W/secret" 5000
	chmod 0600 "$W/secret"
	mkdir "$W/out"
	chmod 0777 "$W/out"
	for t in $COPY_TOOLS; do
		echo old >"$W/out/$t"
		chmod 0666 "$W/out/$t"
		run setpriv --reuid=65534 --regid=65534 --clear-groups $(tool_cmd "$t") "$W/secret" "$W/out/$t"
		assert_failure 1
		assert_output --partial "$W/secret: open: Permission denied"
		assert_equal "$(cat "$W/out/$t")" old
		[ "$(temps_in "$W/out")" -eq 0 ]
	done
}

@test "copy: without -f a destination we may not write is refused; -f replaces it" {
	require_root
	require_cmd setpriv
	mkdata "$W/src" 2000
	chmod 0644 "$W/src"
	mkdir "$W/out"
	chmod 0777 "$W/out"
	for t in $COPY_TOOLS; do
		echo old >"$W/out/$t"
		chmod 0444 "$W/out/$t"
		chown 65534 "$W/out/$t"
		run setpriv --reuid=65534 --regid=65534 --clear-groups $(tool_cmd "$t") "$W/src" "$W/out/$t"
		assert_failure 1
		assert_output --partial "Permission denied"
		assert_equal "$(cat "$W/out/$t")" old
		run setpriv --reuid=65534 --regid=65534 --clear-groups $(tool_cmd "$t") -f "$W/src" "$W/out/$t"
		assert_success
		cmp "$W/src" "$W/out/$t"
		# the old file's group (root's) is not nobody's to give: said so
		assert_output --partial "$W/out/$t: owner and group 65534:0 of the replaced file not kept"
	done
}

@test "copy: full destination: exit 1, no temp file, the old destination unchanged" {
	require_root
	require_cmd unshare
	mkdata "$W/big" $((3 * 1024 * 1024))
	mkdata "$W/small" 4096
	for t in uringcp "aiocp --buffered"; do
		run unshare --mount --propagation private bash -c "
			set -e
			mkdir -p '$W/mnt'
			mount -t tmpfs -o size=2m tk-full '$W/mnt'
			cp '$W/small' '$W/mnt/dst'
			rc=0; $t '$W/big' '$W/mnt/dst' || rc=\$?
			echo rc=\$rc
			cmp '$W/small' '$W/mnt/dst' && echo unchanged
			echo temps=\$(find '$W/mnt' -name '.*' -type f | wc -l)"
		assert_success
		assert_line rc=1
		assert_line unchanged
		assert_line temps=0
		assert_output --partial "No space left on device"
	done
}

@test "copy: destination on tmpfs" {
	[ -d /dev/shm ] && [ -w /dev/shm ] || skip_or_fail "no writable /dev/shm"
	local shm
	shm=$(mktemp -d /dev/shm/tk-copy.XXXXXX)
	mkdata "$W/src" $((1024 * 1024 + 1))
	run uringcp "$W/src" "$shm/u"
	assert_success
	cmp "$W/src" "$shm/u"
	run aiocp --buffered "$W/src" "$shm/a"
	assert_success
	cmp "$W/src" "$shm/a"
	rm -rf "$shm"
}

@test "copy: --direct on tmpfs: uringcp falls back and says so, aiocp refuses unless --buffered" {
	[ -d /dev/shm ] && [ -w /dev/shm ] || skip_or_fail "no writable /dev/shm"
	local shm
	shm=$(mktemp -d /dev/shm/tk-copy.XXXXXX)
	mkdata "$shm/src" 10000
	run uringcp --direct "$shm/src" "$shm/u"
	assert_success
	assert_output --partial "no O_DIRECT"
	cmp "$shm/src" "$shm/u"
	run aiocp "$shm/src" "$shm/a"
	assert_failure 1
	assert_output --partial "file system does not support O_DIRECT (use --buffered)"
	[ ! -e "$shm/a" ]
	[ "$(temps_in "$shm")" -eq 0 ]
	run aiocp --buffered "$shm/src" "$shm/a"
	assert_success
	cmp "$shm/src" "$shm/a"
	rm -rf "$shm"
}

@test "copy: SIGKILL at a random point never leaves a partial file under the name" {
	mkdata "$W/src" $((8 * 1024 * 1024))
	for t in $COPY_TOOLS; do
		for i in 1 2 3 4 5; do
			rm -f "$W/dst"
			$(tool_cmd "$t") -q 1 -b 4K --fsync "$W/src" "$W/dst" &
			pid=$!
			sleep "0.0$((RANDOM % 60 + 5))"
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" || true
			if [ -e "$W/dst" ]; then
				cmp "$W/src" "$W/dst"
			fi
		done
	done
}

@test "copy: SIGTERM and SIGINT remove the temp file and leave the old destination" {
	mkdata "$W/src" $((16 * 1024 * 1024))
	for t in $COPY_TOOLS; do
		for seam in 0 1; do
			for sig in TERM INT; do
				echo old >"$W/dst"
				# caught mid-copy, with its temp file (O_TMPFILE, or named); the
				# engine in 4K steps (copy_file_range would be one quick call:
				# copy-cfr.bats catches that one between its calls)
				start_stopped env TUNEKIT_NO_TMPFILE=$seam $(tool_cmd "$t") --reflink=never -q 1 -b 4K "$W/src" "$W/dst"
				pid=$!
				step_until_temp "$pid" "$W/dst"
				kill -"$sig" "$pid"
				kill -CONT "$pid"
				rc=0
				wait "$pid" || rc=$?
				[ "$rc" -gt 128 ]
				assert_equal "$(cat "$W/dst")" old
				[ "$(temps_in "$W")" -eq 0 ]
			done
		done
	done
}

@test "copy: --verify and --fsync copy and check" {
	mkdata "$W/src" $((2 * 1024 * 1024 + 17))
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") --verify --fsync "$W/src" "$W/$t"
		assert_success
		cmp "$W/src" "$W/$t"
	done
}

@test "copy: /proc files whose size says 0 are copied by reading to the end" {
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") /proc/self/status "$W/status-$t"
		assert_success
		grep -q '^Name:' "$W/status-$t"
	done
}

@test "copy: usage errors exit 2 and name the problem" {
	for t in $COPY_TOOLS; do
		run "$t"
		assert_failure 2
		assert_output --partial "missing file operand"
		run "$t" "$W/only"
		assert_failure 2
		assert_output --partial "missing destination"
		run "$t" -q 0 a b
		assert_failure 2
		assert_output --partial "invalid --queue-depth argument '0': out of range (1 to"
		# a queue depth is a count, never a size
		run "$t" -q 1k a b
		assert_failure 2
		assert_output --partial "invalid --queue-depth argument '1k': not a whole number"
		run "$t" -b 5000 a b
		assert_failure 2
		assert_output --partial "invalid --block-size argument '5000': a multiple of 4K, 4K-64M"
		run "$t" --reflink=sometimes a b
		assert_failure 2
		assert_output --partial "invalid --reflink argument 'sometimes': expected auto, always or never"
		run "$t" --bogus a b
		assert_failure 2
		assert_output --partial "Try '$t --help'"
	done
}

@test "copy: --help and --version exit 0; help, man page and completion agree" {
	for t in $COPY_TOOLS; do
		run "$t" --help
		assert_success
		assert_output --partial "Usage:"
		help_opts=$(grep -o -- '--[a-z][a-z-]*' <<<"$output" | sort -u)
		man_opts=$(grep '^\.It Fl' "$TUNEKIT_SRCDIR/man/$t.1" | grep -o -- 'Fl -[a-z][a-z-]*' |
			sed 's/^Fl /-/' | sort -u)
		comp_opts=$(grep -o -- '--[a-z][a-z-]*' "$TUNEKIT_SRCDIR/contrib/bash-completion/$t" | sort -u)
		assert_equal "$man_opts" "$help_opts"
		assert_equal "$comp_opts" "$help_opts"
		run "$t" --version
		assert_success
		assert_output --partial "$t from tunekit"
	done
}

@test "copy: --stats reports bytes, time, rate and I/O counts" {
	mkdata "$W/src" 300000
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") --stats "$W/src" "$W/$t"
		assert_success
		assert_output --regexp "files=1 bytes=300000 seconds=[0-9.]+ mib_per_s=[0-9.]+ submissions=[1-9][0-9]* completions=[1-9]"
	done
}

@test "copy: --progress draws on a terminal only" {
	require_cmd script
	mkdata "$W/src" $((2 * 1024 * 1024))
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") --progress "$W/src" "$W/notty-$t"
		assert_success
		assert_output ""
		run script -qec "$(tool_cmd "$t") --progress '$W/src' '$W/tty-$t'" /dev/null
		assert_success
		assert_output --partial "ETA"
		assert_output --partial "100%"
		cmp "$W/src" "$W/tty-$t"
	done
}

# ---- safe as root next to hostile local users --------------------------------

@test "copy: an existing device is written into, never replaced; /dev/full fails with ENOSPC" {
	require_root
	require_cmd unshare
	require_cmd setpriv
	mkdata "$W/src" $((3 * 1024 * 1024 + 5))
	mkdir -p "$W/tree"
	mkfifo "$W/tree/fifo"
	for t in uringcp "aiocp --buffered" aiocp; do
		run unshare --mount --propagation private bash -c "
			set -e
			mkdir -p '$W/mnt'
			mount -t tmpfs -o mode=1777 tk-dev '$W/mnt'
			mknod -m 666 '$W/mnt/null' c 1 3
			mknod -m 666 '$W/mnt/full' c 1 7
			mknod -m 600 '$W/mnt/rootonly' c 1 3
			mkdir -p '$W/mnt/dest/tree' && mknod -m 666 '$W/mnt/dest/tree/fifo' c 1 3
			rc=0; $t '$W/src' '$W/mnt/null' || rc=\$?
			echo null rc=\$rc \$(stat -c '%F %t:%T %a %U' '$W/mnt/null')
			rc=0; $t --verify --fsync -p '$W/src' '$W/mnt/null' || rc=\$?
			echo null-p rc=\$rc \$(stat -c '%F %t:%T %a %U' '$W/mnt/null')
			rc=0; $t '$W/src' '$W/mnt/full' || rc=\$?
			echo full rc=\$rc \$(stat -c '%F %t:%T %a %U' '$W/mnt/full')
			# -f never turns a device into a file, whoever asks
			rc=0; setpriv --reuid=65534 --regid=65534 --clear-groups \
				$t -f '$W/src' '$W/mnt/rootonly' || rc=\$?
			echo rootonly rc=\$rc \$(stat -c '%F %t:%T %a %U' '$W/mnt/rootonly')
			# -r does not replace a device with the tree's FIFO
			rc=0; $t -r '$W/tree' '$W/mnt/dest' || rc=\$?
			echo tree rc=\$rc \$(stat -c '%F %t:%T' '$W/mnt/dest/tree/fifo')
			echo temps=\$(find '$W/mnt' -name '.*' | wc -l)"
		assert_success
		assert_line "null rc=0 character special file 1:3 666 root"
		assert_line "null-p rc=0 character special file 1:3 666 root"
		assert_output --partial "$W/mnt/null: not a regular file: not verified"
		assert_line "full rc=1 character special file 1:7 666 root"
		assert_output --partial "$W/mnt/full: write: No space left on device"
		assert_line "rootonly rc=1 character special file 1:3 600 root"
		assert_output --partial "$W/mnt/rootonly: open for writing: Permission denied"
		assert_line "tree rc=1 character special file 1:3"
		assert_output --partial "$W/mnt/dest/tree/fifo: not replacing a special file"
		assert_line temps=0
	done
}

@test "copy: a FIFO destination gets the bytes through its reader and stays a FIFO" {
	mkdata "$W/src" $((2 * 1024 * 1024 + 77))
	mkfifo "$W/fifo"
	for t in $COPY_TOOLS; do
		rm -f "$W/got"
		timeout 20 cat "$W/fifo" >"$W/got" &
		reader=$!
		run timeout 20 $(tool_cmd "$t") "$W/src" "$W/fifo"
		assert_success
		wait "$reader"
		cmp "$W/src" "$W/got"
		[ -p "$W/fifo" ]
	done
	[ "$(temps_in "$W")" -eq 0 ]
}

@test "copy: a socket destination is refused and left a socket" {
	require_cmd python3
	mkdata "$W/src" 1000
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$W/sock"
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") -f "$W/src" "$W/sock"
		assert_failure 1
		assert_output --partial "$W/sock: open for writing: No such device or address"
		[ -S "$W/sock" ]
	done
	[ "$(temps_in "$W")" -eq 0 ]
}

@test "copy: another user's set-uid file keeps its owner and loses the bit (warned); -p takes the source's" {
	require_root
	mkdata "$W/src" $((1024 * 1024 + 3))
	chmod 0644 "$W/src"
	cp "$W/src" "$W/suid-src"
	chmod 4755 "$W/suid-src"
	for t in $COPY_TOOLS; do
		for m in 4755 4711 6755; do
			echo old >"$W/dst"
			chown nobody:nogroup "$W/dst"
			chmod "$m" "$W/dst"
			run $(tool_cmd "$t") "$W/src" "$W/dst"
			assert_success
			cmp "$W/src" "$W/dst"
			assert_equal "$(stat -c '%U:%G %a' "$W/dst")" "nobody:nogroup ${m#[46]}"
			assert_output --partial "$W/dst: the replaced file's set-uid/set-gid bits are not kept"
		done
		# a plain file of another user: its owner too, no warning
		echo old >"$W/dst"
		chown nobody:nogroup "$W/dst"
		chmod 0640 "$W/dst"
		run $(tool_cmd "$t") "$W/src" "$W/dst"
		assert_success
		assert_output ""
		assert_equal "$(stat -c '%U:%G %a' "$W/dst")" "nobody:nogroup 640"
		# -p: the source's owner and mode, set-uid only from the source
		chmod 4755 "$W/dst"
		run $(tool_cmd "$t") -p "$W/src" "$W/dst"
		assert_success
		assert_equal "$(stat -c '%U:%G %a' "$W/dst")" "root:root 644"
		chown nobody:nogroup "$W/dst"
		run $(tool_cmd "$t") -p "$W/suid-src" "$W/dst"
		assert_success
		assert_equal "$(stat -c '%U:%G %a' "$W/dst")" "root:root 4755"
	done
	[ "$(temps_in "$W")" -eq 0 ]
}

@test "copy: another user's set-gid file keeps its owner and group and loses the bit (warned)" {
	require_root
	mkdata "$W/src" 5000
	for t in $COPY_TOOLS; do
		echo old >"$W/dst"
		chown nobody:nogroup "$W/dst"
		chmod 2775 "$W/dst"
		run $(tool_cmd "$t") "$W/src" "$W/dst"
		assert_success
		cmp "$W/src" "$W/dst"
		assert_equal "$(stat -c '%U:%G %a' "$W/dst")" "nobody:nogroup 775"
		assert_output --partial "$W/dst: the replaced file's set-uid/set-gid bits are not kept"
		# through a symlink of ours to it: the same
		ln -sfn dst "$W/link"
		chmod 2775 "$W/dst"
		run $(tool_cmd "$t") "$W/src" "$W/link"
		assert_success
		assert_equal "$(stat -c '%U:%G %a' "$W/dst")" "nobody:nogroup 775"
		[ -L "$W/link" ]
	done
}

@test "copy: a symlink another user planted in a sticky directory is not followed, as file or directory" {
	require_root
	require_cmd setpriv
	mkdata "$W/src" 3000
	echo precious >"$W/precious"
	chmod 0600 "$W/precious"
	mkdir -m 1777 "$W/sticky"
	mkdir "$W/protected"
	as_nobody "ln -s '$W/precious' '$W/sticky/dst' && ln -s '$W/protected' '$W/sticky/dir'"
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") "$W/src" "$W/sticky/dst"
		assert_failure 1
		assert_output --partial "$W/sticky/dst: not following a symlink of another user"
		assert_equal "$(cat "$W/precious")" precious
		[ -L "$W/sticky/dst" ]
		# nor as the directory to copy into
		run $(tool_cmd "$t") "$W/src" "$W/sticky/dir"
		assert_failure 1
		assert_output --partial "$W/sticky/dir: not following a symlink of another user"
		[ -z "$(ls -A "$W/protected")" ]
		# a link of root's own there is followed, as cp does
		ln -sfn "$W/protected" "$W/sticky/mine"
		run $(tool_cmd "$t") "$W/src" "$W/sticky/mine"
		assert_success
		cmp "$W/src" "$W/protected/src"
		rm -f "$W/protected/src"
	done
}

@test "copy: temp look-alikes another user planted are never followed or removed; a stale temp of ours is" {
	require_root
	require_cmd setpriv
	mkdata "$W/src" 100000
	echo precious >"$W/precious"
	chmod 0600 "$W/precious"
	mkdir -m 1777 "$W/sticky"
	for t in $COPY_TOOLS; do
		rm -rf "$W/sticky/"* "$W/sticky/".[!.]*
		# nobody's: a file, a symlink to a file of root's, a FIFO, a directory
		as_nobody "cd '$W/sticky' && umask 077 && echo mine >.f.tkcp-AAAAAA &&
			ln -s '$W/precious' .f.tkcp-BBBBBB && mkfifo -m 600 .f.tkcp-CCCCCC &&
			mkdir .f.tkcp-DDDDDD"
		# root's but not ours to remove: a second link of a file, another mode
		ln "$W/precious" "$W/sticky/.f.tkcp-EEEEEE"
		echo keep >"$W/sticky/.f.tkcp-FFFFFF"
		chmod 0644 "$W/sticky/.f.tkcp-FFFFFF"
		# copies that died: ours, 0600 (or less, as a umask leaves it), one
		# link, nobody holds them
		echo stale >"$W/sticky/.g.tkcp-SSSSSS"
		chmod 0600 "$W/sticky/.g.tkcp-SSSSSS"
		echo stale >"$W/sticky/.h.tkcp-RRRRRR"
		chmod 0400 "$W/sticky/.h.tkcp-RRRRRR"
		run env TUNEKIT_NO_TMPFILE=1 timeout 20 $(tool_cmd "$t") "$W/src" "$W/sticky/f"
		assert_success
		cmp "$W/src" "$W/sticky/f"
		[ ! -e "$W/sticky/.g.tkcp-SSSSSS" ]
		[ ! -e "$W/sticky/.h.tkcp-RRRRRR" ]
		assert_equal "$(cat "$W/sticky/.f.tkcp-AAAAAA")" mine
		[ -L "$W/sticky/.f.tkcp-BBBBBB" ]
		[ -p "$W/sticky/.f.tkcp-CCCCCC" ]
		[ -d "$W/sticky/.f.tkcp-DDDDDD" ]
		assert_equal "$(cat "$W/sticky/.f.tkcp-EEEEEE")" precious
		assert_equal "$(cat "$W/sticky/.f.tkcp-FFFFFF")" keep
		assert_equal "$(cat "$W/precious")" precious
		assert_equal "$(stat -c '%U %a %h' "$W/precious")" "root 600 2"
		[ "$(temps_in "$W/sticky")" -eq 6 ]
	done
}

@test "copy: a fresh temp file another run's cleaner takes before its lock is made again under a new name" {
	require_cmd strace
	mkdata "$W/src" 300000
	mkdir "$W/out"
	for t in $COPY_TOOLS; do
		export TUNEKIT_NO_TMPFILE=1
		# A: held for 2 s between creating its temp file and locking it
		strace -f -o /dev/null -e trace=flock -e inject=flock:delay_enter=2000000 \
			$(tool_cmd "$t") "$W/src" "$W/out/a" 2>"$W/a.err" &
		a=$!
		for i in $(seq 400); do
			[ -n "$(find "$W/out" -name '.a.tkcp-*')" ] && break
			sleep 0.005
		done
		first=$(find "$W/out" -name '.a.tkcp-*')
		[ -n "$first" ]
		# B, into the same directory meanwhile: its cleaner finds A's file
		# unlocked and takes it
		run $(tool_cmd "$t") -v "$W/src" "$W/out/b"
		assert_success
		assert_output --partial "removed stale temp file '$first'"
		# A notices and finishes under another name
		wait "$a"
		cmp "$W/src" "$W/out/a"
		cmp "$W/src" "$W/out/b"
		[ ! -s "$W/a.err" ]
		[ "$(temps_in "$W/out")" -eq 0 ]
		rm -f "$W/out/"*
		unset TUNEKIT_NO_TMPFILE
	done
}

@test "copy: SIGKILL mid-copy leaves no temp file behind (O_TMPFILE)" {
	# the engine in 4K steps: copy_file_range is caught in copy-cfr.bats
	mkdata "$W/src" $((32 * 1024 * 1024))
	mkdir "$W/out"
	for t in $COPY_TOOLS; do
		start_stopped $(tool_cmd "$t") --reflink=never -q 1 -b 4K "$W/src" "$W/out/dst"
		pid=$!
		step_until_temp "$pid" "$W/out/dst"
		kill -KILL "$pid"
		wait "$pid" || true
		[ ! -e "$W/out/dst" ]
		[ "$(temps_in "$W/out")" -eq 0 ]
	done
}

@test "copy: without O_TMPFILE a killed copy's temp is removed by the next run (O_TMPFILE or not), a live copy's is not" {
	mkdata "$W/src" $((32 * 1024 * 1024))
	mkdir "$W/out"
	for t in $COPY_TOOLS; do
		export TUNEKIT_NO_TMPFILE=1
		# a copy killed mid-way leaves its named temp file
		start_stopped $(tool_cmd "$t") --reflink=never -q 1 -b 4K "$W/src" "$W/out/killed"
		pid=$!
		step_until_temp "$pid" "$W/out/killed"
		kill -KILL "$pid"
		wait "$pid" || true
		stale=$(find "$W/out" -name '.killed.tkcp-*')
		[ -n "$stale" ]
		# its lock went with the process
		flock -n "$stale" true
		# a live copy, held still, with its temp file
		start_stopped $(tool_cmd "$t") --reflink=never -q 1 -b 4K "$W/src" "$W/out/live"
		live=$!
		step_until_temp "$live" "$W/out/live"
		live_tmp=$(find "$W/out" -name '.live.tkcp-*')
		[ -n "$live_tmp" ]
		# the next run into the directory, even one with O_TMPFILE
		run env -u TUNEKIT_NO_TMPFILE $(tool_cmd "$t") "$W/src" "$W/out/next"
		assert_success
		[ ! -e "$stale" ]
		[ -f "$live_tmp" ]
		kill -CONT "$live"
		wait "$live"
		cmp "$W/src" "$W/out/live"
		cmp "$W/src" "$W/out/next"
		[ "$(temps_in "$W/out")" -eq 0 ]
		rm -f "$W/out/"*
		unset TUNEKIT_NO_TMPFILE
	done
}

@test "copy: a sysfs file whose size says 4096 is copied as cat reads it" {
	local f=/sys/kernel/mm/transparent_hugepage/enabled
	[ -r "$f" ] || f=/sys/kernel/uevent_seqnum
	[ -r "$f" ] || skip_or_fail "no readable sysfs attribute"
	[ "$(stat -c %s "$f")" -gt "$(cat "$f" | wc -c)" ] || skip_or_fail "$f: size is not larger than its contents"
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") "$f" "$W/sys-$t"
		assert_success
		cat "$f" >"$W/cat-$t"
		cmp "$W/cat-$t" "$W/sys-$t"
		run $(tool_cmd "$t") /proc/self/mounts "$W/mounts-$t"
		assert_success
		grep -q ' / ' "$W/mounts-$t"
	done
}

@test "copy: libcrypto is loaded only to hash, and a broken one is an error that leaves nothing" {
	require_cmd readelf
	require_cmd cc
	mkdata "$W/src" 300000
	for b in $COPY_TOOLS ioring-batch; do
		# not linked: a plain copy or a size listing never maps it
		run readelf -d "$(command -v "$b")"
		assert_success
		refute_output --partial libcrypto
	done
	for t in $COPY_TOOLS; do
		run env LD_DEBUG=files $(tool_cmd "$t") "$W/src" "$W/plain-$t"
		assert_success
		refute_output --partial libcrypto
		# --verify's digest is XXH3 (libxxhash); a manifest is SHA-256
		run env LD_DEBUG=files $(tool_cmd "$t") --verify "$W/src" "$W/verified-$t"
		assert_success
		refute_output --partial libcrypto
		run env LD_DEBUG=files $(tool_cmd "$t") --manifest "$W/m-$t" "$W/src" "$W/hashed-$t"
		assert_success
		assert_output --partial libcrypto
		cmp "$W/src" "$W/verified-$t"
		(cd "$W" && sha256sum -c "m-$t")
	done
	# a libcrypto without the digests, found first: exit 1 naming it, and
	# no destination, no temp file
	mkdir "$W/lib" "$W/out"
	: >"$W/lib/empty.c"
	cc -shared -fPIC -Wl,-soname,libcrypto.so.3 -o "$W/lib/libcrypto.so.3" "$W/lib/empty.c"
	cp "$W/lib/libcrypto.so.3" "$W/lib/libcrypto.so.1.1"
	for t in $COPY_TOOLS; do
		run env LD_LIBRARY_PATH="$W/lib" $(tool_cmd "$t") --manifest "$W/out/m" "$W/src" "$W/out/dst"
		assert_failure 1
		assert_output --regexp "cannot load libcrypto\.so\.[0-9.]+ .*EVP_MD_CTX_new"
		[ ! -e "$W/out/dst" ] && [ ! -e "$W/out/m" ]
		[ "$(temps_in "$W/out")" -eq 0 ]
	done
	echo "$W/src" | { run env LD_LIBRARY_PATH="$W/lib" ioring-batch; echo "$status $output" >"$W/batch"; }
	grep -q "^1 .*cannot load libcrypto" "$W/batch"
	# xxh3 needs no libcrypto
	echo "$W/src" | env LD_LIBRARY_PATH="$W/lib" ioring-batch --xxh3 >"$W/x"
	grep -q "  $W/src\$" "$W/x"
}
