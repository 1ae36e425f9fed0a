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
