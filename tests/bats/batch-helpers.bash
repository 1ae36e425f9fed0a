# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of tests/bats/ioring-batch.bats.

# Buffer size the tests use (small, so "one buffer" files stay small).
BATCH_BUF=16384

# make_mixed_tree DIR: files on the edges of the read loop, plus odd names.
make_mixed_tree() {
	local d=$1
	mkdir -p "$d/sub"
	: >"$d/empty"
	printf 'a' >"$d/one-byte"
	head -c "$BATCH_BUF" /dev/urandom >"$d/exactly-one-buffer"
	head -c $((BATCH_BUF + 1)) /dev/urandom >"$d/one-byte-over"
	head -c $((BATCH_BUF * 2)) /dev/urandom >"$d/two-buffers"
	head -c 3000000 /dev/urandom >"$d/sub/large"
	printf 'spaces' >"$d/with  two spaces"
	printf 'newline' >"$d/$(printf 'new\nline')"
	printf 'backslash' >"$d/back\\slash"
	printf 'cr' >"$d/$(printf 'carriage\rreturn')"
}

# run_as_nobody CMD...: run CMD as an unprivileged user (root reads anything).
run_as_nobody() {
	local group
	group=$(id -gn nobody 2>/dev/null || echo nogroup)
	setpriv --reuid=nobody --regid="$group" --clear-groups -- "$@"
}

# list_tree DIR: NUL-separated regular files under DIR, sorted.
list_tree() {
	find "$1" -type f -print0 | sort -z
}

# list_plain DIR: like list_tree, without names holding newline, CR or backslash
# (peers that do not escape names print them raw).
list_plain() {
	find "$1" -type f ! -name $'*\n*' ! -name $'*\r*' ! -name '*\\*' -print0 | sort -z
}

# check_like PEER [OPTIONS] MANIFEST...: run `PEER -c` and `ioring-batch -c`
# (--b2 for b2sum) on the same manifests, as nobody when AS_NOBODY=1; stdout
# byte-identical, stderr identical once the program name is swapped, same
# exit status. Leaves the files peer.out/ours.out/peer.err/ours.err.
check_like() {
	local peer=$1 mode=() pre=() rp=0 ro=0
	shift
	[ "$peer" = b2sum ] && mode=(--b2)
	[ "${AS_NOBODY:-0}" = 1 ] && pre=(run_as_nobody)
	"${pre[@]}" "$peer" -c "$@" >peer.out 2>peer.err || rp=$?
	"${pre[@]}" ioring-batch "${mode[@]}" -c "$@" >ours.out 2>ours.err.raw || ro=$?
	sed "s/^ioring-batch: /$peer: /" ours.err.raw >ours.err
	if ! cmp -s peer.out ours.out || ! cmp -s peer.err ours.err || [ "$rp" != "$ro" ]; then
		echo "check_like $peer $*: exit $rp vs $ro"
		diff -u peer.out ours.out || true
		diff -u peer.err ours.err || true
		return 1
	fi
	# shellcheck disable=SC2034 # read by the tests
	PEER_STATUS=$rp
}

# make_check_tree: files for -c tests (in the current directory).
make_check_tree() {
	mkdir -p ck/sub
	printf 'alpha\n' >ck/a
	printf 'beta\n' >ck/b
	head -c 200000 /dev/urandom >ck/sub/big
	printf 'nl' >"ck/new
line"
	printf 'bs' >'ck/back\slash'
	printf 'both' >"ck/b\\o
th"
	printf 'sp' >'ck/sp ace'
}

# make_walk_tree DIR: names that sort differently per directory and per path
# (a, a.b/, a.txt, a/, ab/), symlinks to a file and a directory, a FIFO.
make_walk_tree() {
	local d=$1
	make_mixed_tree "$d"
	mkdir -p "$d/a" "$d/a.b" "$d/ab/deep/er" "$d/$(printf 'dir\nnl')"
	printf 1 >"$d/a/f"
	printf 2 >"$d/a.b/f"
	printf 3 >"$d/a.txt"
	printf 4 >"$d/ab/deep/er/g"
	printf 5 >"$d/$(printf 'dir\nnl')/h"
	printf 6 >"$d/A"
	ln -s sub "$d/linkdir"
	ln -s one-byte "$d/linkfile"
	ln -s nowhere "$d/dangling"
	mkfifo "$d/fifo"
}

# vmtouch_pages FILE: resident pages of FILE as vmtouch counts them.
vmtouch_pages() {
	vmtouch "$1" | sed -n 's|^ *Resident Pages: \([0-9]*\)/.*|\1|p'
}

# make_partly_cached FILE: 2 MiB, written back, dropped, then two ranges read.
make_partly_cached() {
	head -c 2097152 /dev/urandom >"$1"
	sync "$1"
	vmtouch -e "$1" >/dev/null
	dd if="$1" of=/dev/null bs=4096 skip=10 count=20 status=none
	dd if="$1" of=/dev/null bs=4096 skip=300 count=7 status=none
}
