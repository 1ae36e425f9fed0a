#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# ioring-batch: output equal to the coreutils/xxhsum peers, errors per path,
# bounded memory, order, SIGPIPE.

bats_require_minimum_version 1.5.0
load helpers
load batch-helpers

setup() {
	require_cmd ioring-batch
	# not under BATS_TEST_TMPDIR: its parents are private to root, and some
	# tests run the tool as an unprivileged user
	T=$(mktemp -d /tmp/ioring-batch-test.XXXXXX)
	chmod 755 "$T"
	cd "$T"
	make_mixed_tree tree
}

teardown() {
	cd /
	[ -n "${T:-}" ] && rm -rf "$T"
}

# run_split CMD...: like run, but stdout in $output and stderr in $stderr.
run_split() {
	run --separate-stderr "$@"
}

@test "sha256 output is byte-identical to sha256sum on a mixed tree" {
	list_tree tree | xargs -0 sha256sum >want
	list_tree tree | ioring-batch -0 --buffer-size $BATCH_BUF >got
	cmp want got
}

@test "sha256 output of the default buffer size is identical too, and sha256sum -c accepts it" {
	list_tree tree | xargs -0 sha256sum >want
	list_tree tree | ioring-batch -0 >got
	cmp want got
	run sha256sum -c got
	assert_success
	refute_output --partial FAILED
}

@test "names with spaces, backslash, newline and CR are escaped as sha256sum does" {
	printf 'tree/with  two spaces\0tree/back\\slash\0tree/new\nline\0tree/carriage\rreturn\0' >list
	xargs -0 sha256sum <list >want
	ioring-batch -0 <list >got
	cmp want got
	grep -q '^\\' got
}

@test "paths as arguments, newline-separated stdin and -0 give the same lines" {
	ioring-batch tree/one-byte tree/sub/large >a
	printf 'tree/one-byte\ntree/sub/large\n' | ioring-batch >b
	printf 'tree/one-byte\0tree/sub/large\0' | ioring-batch -0 >c
	cmp a b
	cmp a c
	assert_equal "$(wc -l <a)" 2
}

@test "-z ends lines with NUL and does not escape names" {
	ioring-batch -z "tree/new
line" tree/one-byte >got
	sha256sum -z "tree/new
line" tree/one-byte >want
	cmp want got
	assert_equal "$(tr -cd '\0' <got | wc -c)" 2
}

@test "missing, unreadable and directory entries: one error each, exit 1, others correct" {
	require_cmd setpriv
	chmod 000 tree/one-byte-over
	printf 'tree/empty\nnope/missing\ntree/one-byte-over\ntree\ntree/sub/large\n' >list
	run_split run_as_nobody ioring-batch <list
	chmod 644 tree/one-byte-over
	assert_failure 1
	sha256sum tree/empty tree/sub/large >want
	assert_equal "$output" "$(cat want)"
	assert_equal "$(printf '%s\n' "$stderr" | wc -l)" 3
	[[ "$stderr" == *"nope/missing: No such file or directory"* ]]
	[[ "$stderr" == *"tree/one-byte-over: Permission denied"* ]]
	[[ "$stderr" == *"tree: Is a directory"* ]]
}

@test "a failed linked open in every slot does not hang the loop (max-inflight 2)" {
	require_cmd setpriv
	mkdir locked
	for i in $(seq 1 50); do printf x >"locked/f$i"; chmod 000 "locked/f$i"; done
	printf x >locked/ok
	export -f run_as_nobody
	run_split timeout 20 bash -c 'find locked -type f | sort | run_as_nobody ioring-batch -m 2 -b 2'
	assert_failure 1
	assert_output "$(sha256sum locked/ok)"
	assert_equal "$(printf '%s\n' "$stderr" | grep -c 'Permission denied')" 50
}

@test "a FIFO and a device are refused without opening them" {
	mkfifo fifo
	run_split timeout 10 ioring-batch fifo /dev/null tree/one-byte
	assert_failure 1
	assert_output "$(sha256sum tree/one-byte)"
	[[ "$stderr" == *"fifo: not a regular file"* ]]
	[[ "$stderr" == *"/dev/null: not a regular file"* ]]
}

@test "xxh3 output equals xxhsum -H2" {
	require_cmd xxhsum
	list_plain tree >list
	xargs -0 xxhsum -H2 <list >want
	ioring-batch -0 --xxh3 --buffer-size $BATCH_BUF <list >got
	cmp want got
}

@test "--size equals stat sizes in du -b --apparent-size shape" {
	list_plain tree >list
	xargs -0 du -b --apparent-size <list >want
	ioring-batch -0 --size <list >got
	cmp want got
	grep -q "^3000000	tree/sub/large$" got
}

@test "--cat output equals cat of the same list, in input order" {
	list_tree tree >list
	xargs -0 cat <list >want
	ioring-batch -0 --cat --buffer-size $BATCH_BUF -m 4 <list >got
	cmp want got
}

@test "--cat keeps input order when early files are slower (large first)" {
	for i in $(seq 1 200); do printf 'line %d\n' "$i" >"s$i"; done
	{ echo tree/sub/large; seq 1 200 | sed 's/^/s/'; } >list
	xargs cat <list >want
	ioring-batch --cat --buffer-size 4096 -m 16 <list >got
	cmp want got
}

@test "--unordered prints the same set of lines" {
	list_plain tree >list
	xargs -0 sha256sum <list | sort >want
	ioring-batch -0 --unordered -m 3 --buffer-size $BATCH_BUF <list | sort >got
	cmp want got
}

@test "--unordered --cat writes every file whole" {
	for i in $(seq 1 100); do head -c $((i * 1000)) /dev/zero | tr '\0' "$(printf "\\$(printf '%03o' $((65 + i % 26)))")" >"c$i"; done
	seq 1 100 | sed 's/^/c/' >list
	ioring-batch --cat --unordered --buffer-size 4096 -m 8 <list >got
	assert_equal "$(wc -c <got)" "$(cat c* | wc -c)"
	# every file is one run of its letter: as many runs as files
	assert_equal "$(fold -w1 got | uniq | wc -l)" 100
}

@test "--warm reads every byte and prints a summary" {
	list_tree tree >list
	run ioring-batch -0 --warm <list
	assert_success
	files=$(tr -cd '\0' <list | wc -c)
	bytes=$(xargs -0 cat <list | wc -c)
	assert_output "files $files
bytes $bytes"
}

@test "100,000 paths on stdin run in bounded memory" {
	mkdir many
	(cd many && seq -f 'f%06g' 1 2000 | xargs touch)
	# 100,000 entries, 50 times over the 2,000 files
	for i in $(seq 1 50); do find many -type f; done >list
	assert_equal "$(wc -l <list)" 100000
	run_split ioring-batch --size --stats <list
	assert_success
	assert_equal "$(printf '%s\n' "$output" | wc -l)" 100000
	rss=$(printf '%s\n' "$stderr" | sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p')
	[ -n "$rss" ]
	# the list alone is ~1.5 MB; the tool must not hold it (ASan builds need more)
	limit=20000
	[ -n "${ASAN_OPTIONS:-}" ] && limit=200000
	echo "peak RSS ${rss} KiB" >&3
	[ "$rss" -lt "$limit" ]
	[[ "$stderr" == *"files=100000 errors=0"* ]]
}

@test "--stats reports files, bytes, seconds, files/s and average batch" {
	run_split ioring-batch --warm --stats tree/sub/large tree/one-byte
	assert_success
	[[ "$stderr" =~ stats:\ files=2\ errors=0\ bytes=3000001\ seconds=[0-9.]+\ files_per_s=[0-9]+\ avg_batch=[0-9.]+ ]]
}

@test "fixed --batch sizes give the same output as adaptive" {
	list_tree tree >list
	ioring-batch -0 <list >auto
	for b in 1 3 64; do
		ioring-batch -0 --batch "$b" -m 64 <list >fixed
		cmp auto fixed
	done
}

@test "SIGPIPE: | head -1 ends quietly" {
	for i in $(seq 1 3000); do echo tree/sub/large; done >list
	run_split bash -c 'ioring-batch --cat <list | head -c 10 >/dev/null; ioring-batch <list | head -1'
	assert_success
	assert_output "$(sha256sum tree/sub/large)"
	assert_equal "$stderr" ""
}

@test "a write error on stdout is reported" {
	[ -w /dev/full ] || skip "no /dev/full"
	run_split bash -c 'ioring-batch --cat tree/sub/large >/dev/full'
	assert_failure 1
	[[ "$stderr" == *"write error"* ]]
}

@test "--help, --version and bad options" {
	run ioring-batch --help
	assert_success
	assert_output --partial "--max-inflight"
	run ioring-batch --version
	assert_success
	assert_output --regexp "^ioring-batch from tunekit "
	run_split ioring-batch --bogus
	assert_failure 2
	[[ "$stderr" == *"Try 'ioring-batch --help'"* ]]
	run_split ioring-batch --batch 0 tree/empty
	assert_failure 2
	[[ "$stderr" == *"invalid --batch argument: '0'"* ]]
	run_split ioring-batch --size --cat tree/empty
	assert_failure 2
	[[ "$stderr" == *"--size and --cat are mutually exclusive"* ]]
	run_split ioring-batch --buffer-size 12 tree/empty
	assert_failure 2
}

@test "man page, --help and completion name the same options" {
	man="$TUNEKIT_SRCDIR/man/ioring-batch.1"
	comp="$TUNEKIT_SRCDIR/contrib/bash-completion/ioring-batch"
	for o in $(ioring-batch --help | sed -n 's/^ *\(-[a-zA-Z0-9], \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p'); do
		grep -q -- "Fl ${o#-}" "$man" || { echo "man lacks $o"; return 1; }
		grep -q -- "$o" "$comp" || { echo "completion lacks $o"; return 1; }
	done
	if command -v mandoc >/dev/null; then
		run mandoc -T lint -W warning "$man"
		assert_output ""
	fi
}
