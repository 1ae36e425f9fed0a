#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# uringcp -a and aiocp -a against cp -a: every file type, extended attributes
# in every namespace, an ACL, hard links, odd names; cp's modes without -p.

load helpers
load copy-helpers

setup() {
	copy_setup
	command -v getfattr >/dev/null && command -v setfacl >/dev/null ||
		skip_or_fail "getfattr/setfacl missing (apt-get install attr acl)"
}

teardown() {
	copy_teardown
}

# mktree DIR: a tree with every file type, xattrs, an ACL, hard links inside
# and outside it, odd names and old times.
mktree() {
	local d=$1
	mkdir -p "$d/sub dir/deep" "$d/-dash" "$W/outside"
	mkdata "$d/file" 70000
	mkdata "$d/sub dir/deep/big" $((3 * 1024 * 1024 + 5))
	printf 'x\n' >"$d/$(printf 'new\nline')"
	printf 'u\n' >"$d/ünïcødé ✓"
	: >"$d/-dash/empty"
	ln "$d/file" "$d/sub dir/hard link"
	ln "$d/file" "$d/-dash/third"
	echo out >"$W/outside/o"
	ln "$W/outside/o" "$d/linked-outside"
	ln -s file "$d/symlink"
	ln -s /nonexistent "$d/dangling"
	mkfifo "$d/fifo"
	ln "$d/fifo" "$d/fifo-link"
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$d/sock"
	if [ "$(id -u)" -eq 0 ]; then
		mknod "$d/null" c 1 3
		mknod -m 0640 "$d/loop" b 7 200
		setfattr -n trusted.tk -v secret "$d/file"
		setfattr -n security.tk -v label "$d/sub dir/deep/big"
		chown 65534:65534 "$d/-dash/empty"
		chown -h 65534:65534 "$d/symlink"
	fi
	setfattr -n user.tk -v "a value" "$d/file"
	setfattr -n user.dir -v 1 "$d/sub dir"
	setfattr -n user.empty "$d/ünïcødé ✓"
	setfacl -m u:65534:rw "$d/ünïcødé ✓"
	setfacl -d -m u:65534:rx "$d/sub dir"
	chmod 4755 "$d/-dash/empty" 2>/dev/null || true
	chmod 1777 "$d/-dash"
	touch -d '2001-02-03 04:05:06' "$d/file" "$d/fifo" "$d/sub dir/deep"
	touch -h -d '2002-03-04 05:06:07' "$d/symlink"
	touch -d '2003-04-05 06:07:08' "$d/sub dir" "$d"
}

# describe DIR: what must agree: xattrs (every namespace), then per entry
# mode, owner, group, link count, mtime, type, symlink target and content.
describe() {
	(
		cd "$1"
		getfattr -R -h -d -m - . 2>/dev/null
		find . -print0 | sort -z | while IFS= read -r -d '' p; do
			printf '%q %s %s' "$p" "$(stat -c '%a %u %g %h %Y %F' "$p")" "$(readlink "$p" || true)"
			[ -f "$p" ] && [ ! -L "$p" ] && printf ' %s' "$(sha256sum <"$p" | cut -c1-16)"
			echo
		done
	)
}

@test "archive: -a equals cp -a (getfattr, stat, link counts, content) for every file type" {
	mktree "$W/src"
	cp -a "$W/src" "$W/cp"
	want=$(describe "$W/cp")
	# the source tree really has what we compare
	grep -q 'user.tk="a value"' <<<"$want"
	grep -q 'system.posix_acl_access' <<<"$want"
	grep -q 'system.posix_acl_default' <<<"$want"
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") -a "$W/src" "$W/$t"
		assert_success
		assert_output ""
		assert_equal "$(describe "$W/$t")" "$want"
		# hard links are links, not copies (inside the set only)
		[ "$(stat -c %i "$W/$t/file")" = "$(stat -c %i "$W/$t/sub dir/hard link")" ]
		[ "$(stat -c %h "$W/$t/linked-outside")" -eq 1 ]
		[ -p "$W/$t/fifo" ] && [ -S "$W/$t/sock" ]
		[ "$(temps_in "$W/$t")" -eq 0 ]
	done
}

@test "archive: -a again onto its own copy changes nothing and leaves no temp file" {
	mktree "$W/src"
	for t in $COPY_TOOLS; do
		$(tool_cmd "$t") -a "$W/src" "$W/$t"
		before=$(describe "$W/$t")
		run $(tool_cmd "$t") -a "$W/src/." "$W/$t"
		assert_success
		assert_equal "$(describe "$W/$t")" "$before"
		[ -z "$(find "$W/$t" -name '.*.tkcp-*')" ]
	done
}

@test "archive: --preserve=links, --no-preserve=xattr and -p pick what is kept" {
	mktree "$W/src"
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") -r --preserve=links "$W/src" "$W/$t-links"
		assert_success
		[ "$(stat -c %i "$W/$t-links/file")" = "$(stat -c %i "$W/$t-links/-dash/third")" ]
		[ -z "$(getfattr -h -d -m '^user' "$W/$t-links/file" 2>/dev/null)" ]
		run $(tool_cmd "$t") -a --no-preserve=xattr "$W/src" "$W/$t-nox"
		assert_success
		[ -z "$(getfattr -h -d -m - "$W/$t-nox/file" 2>/dev/null)" ]
		[ "$(stat -c %h "$W/$t-nox/file")" -eq 3 ]
		run $(tool_cmd "$t") -rp "$W/src" "$W/$t-p"
		assert_success
		[ "$(stat -c %h "$W/$t-p/file")" -eq 1 ]
		[ "$(stat -c %Y "$W/$t-p/file")" = "$(stat -c %Y "$W/src/file")" ]
		run $(tool_cmd "$t") --preserve=bogus "$W/src/file" "$W/$t-bogus"
		assert_failure 2
		[ ! -e "$W/$t-bogus" ]
	done
}

@test "archive: without -p directory modes follow cp -r (umask, sticky kept)" {
	mkdir -p "$W/src"
	mkdir -m 1777 "$W/src/sticky"
	mkdir -m 2775 "$W/src/setgid"
	mkdir -m 3777 "$W/src/both"
	mkdir -m 0777 "$W/src/open"
	mkdata "$W/src/setgid/f" 10
	chmod 4755 "$W/src/setgid/f"
	(umask 022 && cp -r "$W/src" "$W/cp")
	want=$(cd "$W/cp" && find . -printf '%p %m\n' | sort)
	for t in $COPY_TOOLS; do
		(umask 022 && $(tool_cmd "$t") -r "$W/src" "$W/$t")
		assert_equal "$(cd "$W/$t" && find . -printf '%p %m\n' | sort)" "$want"
	done
	[ "$(stat -c %a "$W/uringcp/sticky")" = 1755 ]
}

@test "archive: SIGKILL during -a leaves no partial file under any name" {
	mkdir "$W/src"
	for i in 1 2 3 4 5 6; do
		mkdata "$W/src/f$i" $((6 * 1024 * 1024))
		setfattr -n user.n -v "$i" "$W/src/f$i"
	done
	ln "$W/src/f1" "$W/src/h1"
	for t in $COPY_TOOLS; do
		start_stopped $(tool_cmd "$t") -a -q 2 -b 64K --reflink=never "$W/src" "$W/$t"
		pid=$!
		step_until_temp "$pid" "$W/$t/f3" || step_until_temp "$pid" "$W/$t/f4" ||
			skip_or_fail "the copy finished before it could be stopped"
		kill -KILL "$pid"
		wait "$pid" || true
		# whatever has a name is complete
		for f in "$W/$t"/*; do
			[ -e "$f" ] || continue
			[ -d "$f" ] && continue
			cmp "$W/src/$(basename "$f")" "$f"
		done
		# and a second run completes the copy
		run $(tool_cmd "$t") -a "$W/src/." "$W/$t"
		assert_success
		for i in 1 2 3 4 5 6; do
			cmp "$W/src/f$i" "$W/$t/f$i"
			[ "$(getfattr --only-values -n user.n "$W/$t/f$i")" = "$i" ]
		done
		[ "$(stat -c %i "$W/$t/f1")" = "$(stat -c %i "$W/$t/h1")" ]
		[ "$(temps_in "$W/$t")" -eq 0 ]
	done
}

@test "archive: an xattr the destination cannot take warns with -a, fails with --preserve=xattr" {
	[ "$(id -u)" -eq 0 ] || skip_or_fail "mounting ramfs needs root"
	mkdir "$W/r"
	mkdata "$W/f" 5000
	setfattr -n user.k -v v "$W/f"
	mkdir "$W/d"
	setfattr -n user.k -v v "$W/d"
	# ramfs keeps no extended attributes; mounted in a private namespace
	run in_mountns "mount -t ramfs none '$W/r'
		for t in $COPY_TOOLS; do
			[ \$t = aiocp ] && t='aiocp --buffered'
			rc=0; \$t --preserve=xattr '$W/f' '$W/r/strict' 2>'$W/err' || rc=\$?
			[ \$rc -eq 1 ]; grep -q 'preserve extended attributes' '$W/err'
			[ ! -e '$W/r/strict' ]; [ -z \"\$(ls -A '$W/r')\" ]
			\$t -a '$W/f' '$W/r/lenient' 2>'$W/err'
			grep -q 'user.k not kept' '$W/err'; cmp '$W/f' '$W/r/lenient'
			rc=0; \$t -r --preserve=xattr '$W/d' '$W/r/dir' 2>/dev/null || rc=\$?
			[ \$rc -eq 1 ]
			rm -rf '$W/r/lenient' '$W/r/dir'
		done
		echo done-ok"
	assert_success
	assert_output "done-ok"
}
