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
	[ -n "${TSAN_OPTIONS:-}" ] && limit=400000
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
	[[ "$stderr" == *"invalid --batch argument '0': out of range (1 to"* ]]
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

# --- -c/--check: side by side with sha256sum -c and b2sum -c -----------------

@test "-c: all OK, same stdout, stderr and exit as sha256sum -c and b2sum -c" {
	make_check_tree
	find ck -type f -print0 | LC_ALL=C sort -z >list
	xargs -0 sha256sum <list >m.sha
	xargs -0 b2sum <list >m.b2
	for peer in sha256sum:m.sha b2sum:m.b2; do
		for opt in "" --quiet --status --warn --strict; do
			check_like "${peer%%:*}" $opt "${peer#*:}"
			assert_equal "$PEER_STATUS" 0
		done
	done
	grep -q 'new\\nline: OK' ours.out || grep -q OK peer.out
}

@test "-c: the manifest ioring-batch writes is read back (sha256, b2, xxh3, escaped names)" {
	make_check_tree
	find ck -type f -print0 | ioring-batch -0 >m.sha
	find ck -type f -print0 | ioring-batch -0 --b2 >m.b2
	find ck -type f -print0 | ioring-batch -0 --xxh3 >m.xxh
	run ioring-batch -c m.sha
	assert_success
	assert_equal "$(grep -c ': OK$' <<<"$output")" 7
	run ioring-batch --b2 -c m.b2
	assert_success
	run ioring-batch --xxh3 -c m.xxh
	assert_success
	assert_equal "$(grep -c ': OK$' <<<"$output")" 7
	if command -v xxhsum >/dev/null; then
		# xxhsum reads our lines for plain names
		grep -v '^\\' m.xxh >m.plain
		run xxhsum -c m.plain
		assert_success
	fi
}

@test "-c: one modified, one missing, one unreadable (as nobody), a malformed line" {
	require_cmd setpriv
	make_check_tree
	chmod -R a+rX ck
	find ck -type f -print0 | LC_ALL=C sort -z >list
	xargs -0 sha256sum <list >m.sha
	xargs -0 b2sum <list >m.b2
	for m in m.sha m.b2; do
		sed -n 1p "$m" | sed 's|ck/a$|ck/gone|' >>"$m"
		echo 'this is not a checksum line' >>"$m"
	done
	chmod a+r m.sha m.b2
	printf 'changed\n' >ck/b
	chmod 000 ck/sub/big
	for opt in "" --quiet --status --warn --strict --ignore-missing; do
		AS_NOBODY=1 check_like sha256sum $opt m.sha
		assert_equal "$PEER_STATUS" 1
		AS_NOBODY=1 check_like b2sum $opt m.b2
		assert_equal "$PEER_STATUS" 1
	done
	# the last run (--ignore-missing) left these
	AS_NOBODY=1 check_like sha256sum --warn m.sha
	grep -qx 'ck/b: FAILED' ours.out
	grep -qx 'ck/sub/big: FAILED open or read' ours.out
	grep -qx 'ck/gone: FAILED open or read' ours.out
	grep -q 'sha256sum: m.sha: 9: improperly formatted SHA256 checksum line' ours.err
	grep -qx 'sha256sum: ck/sub/big: Permission denied' ours.err
	grep -qx 'sha256sum: WARNING: 1 computed checksum did NOT match' ours.err
	grep -qx 'sha256sum: WARNING: 2 listed files could not be read' ours.err
	grep -qx 'sha256sum: WARNING: 1 line is improperly formatted' ours.err
}

@test "-c: names with newline and backslash, missing and failing, escaped as sha256sum -c" {
	make_check_tree
	sha256sum "ck/new
line" 'ck/back\slash' "ck/b\\o
th" 'ck/sp ace' >m.sha
	check_like sha256sum m.sha
	grep -qx '\\ck/new\\nline: OK' ours.out
	grep -qx 'ck/back\\slash: OK' ours.out
	printf 'x' >>"ck/new
line"
	rm "ck/b\\o
th" 'ck/sp ace'
	check_like sha256sum m.sha
	assert_equal "$PEER_STATUS" 1
	grep -qx '\\ck/new\\nline: FAILED' ours.out
	grep -qx "sha256sum: 'ck/sp ace': No such file or directory" ours.err
}

@test "-c: BSD tags, binary marks, CRLF, upper-case digests, comments, reversed lines" {
	make_check_tree
	{
		sha256sum --tag ck/a 'ck/sp ace' 'ck/back\slash' "ck/new
line"
		sha256sum -b ck/b
		sha256sum ck/a | sed 's/$/\r/'
		sha256sum ck/a | tr a-f A-F | sed 's|Ck/A$|ck/a|'
		echo '# a comment'
		echo
	} >m.sha
	check_like sha256sum --strict m.sha
	assert_equal "$PEER_STATUS" 0
	{ b2sum --tag ck/a; b2sum -b ck/b; } >m.b2
	check_like b2sum --strict m.b2
	assert_equal "$PEER_STATUS" 0
	# "HEX NAME" (md5 -r style) when the first line uses it
	sha256sum ck/a ck/b | sed 's/  / /' >m.rev
	check_like sha256sum m.rev
	assert_equal "$PEER_STATUS" 0
}

@test "-c: --ignore-missing, 'no file was verified', missing manifest, no proper lines" {
	make_check_tree
	sha256sum ck/a >m.sha
	sed 's|ck/a|ck/none|' m.sha >m.none
	echo garbage >m.junk
	check_like sha256sum --ignore-missing m.sha
	assert_equal "$PEER_STATUS" 0
	check_like sha256sum --ignore-missing m.none
	assert_equal "$PEER_STATUS" 1
	grep -qx 'sha256sum: m.none: no file was verified' ours.err
	check_like sha256sum --ignore-missing --status m.none
	check_like sha256sum m.junk
	assert_equal "$PEER_STATUS" 1
	check_like sha256sum no-such-manifest m.sha
	assert_equal "$PEER_STATUS" 1
	# several manifests: a summary after each
	cat m.none >>m.sha
	check_like sha256sum --warn m.sha m.junk m.none
}

@test "-c: manifest on standard input ('-' and no argument), '-' as a name is malformed there" {
	make_check_tree
	sha256sum ck/a ck/b >m.sha
	sha256sum ck/a | sed 's|ck/a|-|' >>m.sha
	sha256sum -c --warn - <m.sha >want 2>want.err || true
	run_split ioring-batch -c --warn - <m.sha
	# a malformed line is a warning only (exit 0), as in sha256sum -c
	assert_success
	[[ "$stderr" == *"improperly formatted"* ]]
	assert_equal "$output" "$(cat want)"
	assert_equal "$stderr" "$(sed 's/^sha256sum:/ioring-batch:/' want.err)"
	run_split ioring-batch -c <m.sha
	assert_equal "$output" "$(cat want)"
}

@test "-c: usage errors exit 2 (check options without -c, -c with --size, -z)" {
	run_split ioring-batch --strict tree/empty
	assert_failure 2
	[[ "$stderr" == *"--strict option is meaningful only when verifying checksums"* ]]
	run_split ioring-batch -c --size m
	assert_failure 2
	run_split ioring-batch -c -z m
	assert_failure 2
}

@test "-c: 200,000 manifest lines check in bounded memory (peak RSS)" {
	[ -x /usr/bin/time ] || skip_or_fail "/usr/bin/time (package time) is not installed"
	mkdir many
	(cd many && seq -f 'f%05g' 1 2000 | xargs touch)
	e=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	seq -f "$e  many/f%05g" 1 2000 >m1
	for i in $(seq 1 10); do cat m1; done >m.small
	for i in $(seq 1 10); do cat m.small; done >m.big
	mv m.big m.200k
	assert_equal "$(wc -l <m.200k)" 200000
	# a sanitizer build keeps freed memory in quarantine, which grows with
	# every allocation: turn it off so RSS shows what the tool holds
	if grep -qa __asan_init "$(command -v ioring-batch)"; then
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	fi
	/usr/bin/time -f %M -o rss.small ioring-batch -c --quiet m.small
	/usr/bin/time -f %M -o rss.big ioring-batch -c --quiet m.200k
	small=$(tail -1 rss.small) big=$(tail -1 rss.big)
	echo "peak RSS: 20,000 lines ${small} KiB, 200,000 lines ${big} KiB" >&3
	# the 200,000-line manifest is 15 MB: held whole it would show
	[ "$big" -lt $((small + 2048)) ]
	run ioring-batch -c m.200k
	assert_success
	assert_equal "$(grep -c ': OK$' <<<"$output")" 200000
}

@test "--b2 output is byte-identical to b2sum on a mixed tree" {
	require_cmd b2sum
	list_tree tree | xargs -0 b2sum >want
	list_tree tree | ioring-batch -0 --b2 --buffer-size $BATCH_BUF >got
	cmp want got
	run b2sum -c got
	assert_success
}

# --- -r/--recursive ----------------------------------------------------------

@test "-r: the order of find -type f | LC_ALL=C sort, output equal to sha256sum of that list" {
	make_walk_tree w
	find w -type f -print0 | LC_ALL=C sort -z >list
	xargs -0 sha256sum <list >want
	ioring-batch -r w >got
	cmp want got
	# --size -z gives the names raw: the same list, byte for byte
	ioring-batch -r -z --size w | cut -z -f2- >names
	cmp list names
	# a trailing slash on the root is not doubled, as find prints it
	find w/ -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum >want
	ioring-batch -r w/ >got
	cmp want got
}

@test "-r: symlinks are not followed; -L follows them (find -L), a loop is named, exit 1" {
	make_walk_tree w
	run ioring-batch -r --size w
	assert_success
	refute_output --partial linkdir
	refute_output --partial linkfile
	find -L w -type f -print0 | LC_ALL=C sort -z >want
	ioring-batch -r -L -z --size w | cut -z -f2- >got
	cmp want got
	ln -s .. w/sub/up
	run_split ioring-batch -r -L --size w
	assert_failure 1
	[[ "$stderr" == *"w/sub/up: file system loop detected"* ]]
	[[ "$output" == *"w/two-buffers"* ]]
}

@test "-r: several roots in argument order, a file root as given, FIFO and devices skipped inside" {
	make_walk_tree w
	mkdir v && printf x >v/x
	ioring-batch -r --size v w/one-byte w >got
	{ printf '1\tv/x\n1\tw/one-byte\n'; find w -type f -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%s	%n'; } >want
	cmp want got
	! grep -q fifo got
}

@test "-r: an unreadable directory (as nobody) is named on stderr, exit 1, the rest listed" {
	require_cmd setpriv
	make_walk_tree w
	mkdir -p w/locked/in && printf s >w/locked/in/secret && chmod 000 w/locked
	run_split run_as_nobody ioring-batch -r -z --size w
	chmod 755 w/locked
	assert_failure 1
	assert_equal "$stderr" "ioring-batch: w/locked: Permission denied"
	run_as_nobody find w -type f -print0 2>/dev/null | LC_ALL=C sort -z >want || true
	printf '%s' "$output" >got.raw
	run_as_nobody ioring-batch -r -z --size w 2>/dev/null | cut -z -f2- >got || true
	cmp want got
}

@test "-r: another file system is crossed, not with -x (tmpfs in a mount namespace)" {
	[ "$(id -u)" = 0 ] || skip_or_fail "needs root for unshare --mount"
	require_cmd unshare
	make_walk_tree w
	mkdir w/mnt
	printf under >w/mnt/hidden-under-mount
	run unshare --mount --propagation private bash -c '
		mount -t tmpfs tmpfs w/mnt || exit 99
		printf on >w/mnt/on-tmpfs; mkdir w/mnt/d; printf d >w/mnt/d/f
		find w -type f -print0 | LC_ALL=C sort -z >want.all
		find w -xdev -type f -print0 | LC_ALL=C sort -z >want.x
		ioring-batch -r -z --size w | cut -z -f2- >got.all
		ioring-batch -r -x -z --size w | cut -z -f2- >got.x
		cmp want.all got.all && cmp want.x got.x'
	[ "$status" != 99 ] || skip_or_fail "tmpfs mount failed in the namespace"
	assert_success
	tr '\0' '\n' <got.all | grep -qx 'w/mnt/on-tmpfs'
	! tr '\0' '\n' <got.x | grep -q 'w/mnt/'
}

@test "-r: usage errors (-L without -r, -r with -c)" {
	run_split ioring-batch -L tree
	assert_failure 2
	[[ "$stderr" == *"-L and -x apply to -r only"* ]]
	run_split ioring-batch -r -c m
	assert_failure 2
	[[ "$stderr" == *"-r and -c are mutually exclusive"* ]]
}

# --- hashing threads -----------------------------------------------------------

@test "--threads 1, 2 and 8 print identical lines on 3,000 mixed files (sha256, b2, xxh3, -c)" {
	make_mixed_tree tree
	mkdir mix
	# sizes around the inline/hand-off edge (16 KiB) and the buffer (16 KiB here)
	for i in $(seq 1 3000); do
		case $((i % 6)) in
		0) : ;;
		1) printf '%s' "$i" ;;
		2) head -c $((16383 + i % 3)) /dev/zero ;;
		3) head -c $((40000 + i)) /dev/zero ;;
		4) head -c 200000 /dev/zero; printf '%s' "$i" ;;
		5) head -c 4096 /dev/zero ;;
		esac >"mix/f$i"
	done
	head -c 5000000 /dev/urandom >mix/big
	find mix tree -type f -print0 | LC_ALL=C sort -z >list
	xargs -0 sha256sum <list >want
	for mode in --sha256 --b2 --xxh3; do
		for t in 1 2 8; do
			for buf in $BATCH_BUF 65536; do
				ioring-batch -0 $mode --threads $t --buffer-size $buf <list >"got$mode.$t.$buf"
			done
		done
		for f in got$mode.*; do cmp "got$mode.1.$BATCH_BUF" "$f"; done
	done
	cmp want "got--sha256.8.65536"
	for t in 1 2 8; do
		run ioring-batch -c --quiet --threads $t want
		assert_success
		assert_output ""
		ioring-batch -u --threads $t -0 <list | LC_ALL=C sort >unordered.$t
		LC_ALL=C sort want | cmp - unordered.$t
	done
}

@test "--threads: bad values exit 2" {
	run_split ioring-batch --threads 0 tree/empty
	assert_failure 2
	[[ "$stderr" == *"invalid --threads argument '0': out of range (1 to 256)"* ]]
	run_split ioring-batch --threads lots tree/empty
	assert_failure 2
	[[ "$stderr" == *"invalid --threads argument 'lots': not a whole number"* ]]
}

# --- page cache: --resident, --evict -------------------------------------------

@test "--resident equals vmtouch on partly read files (cachestat and mincore), with a total line" {
	require_cmd vmtouch
	: >p0
	# The page cache is shared with the rest of the machine: memory pressure
	# or a drop_caches elsewhere can evict pages between vmtouch and us. A
	# comparison counts only when vmtouch saw the same pages before and after
	# our run; a changed cache is retried, never asserted.
	local try cmp mode
	for mode in cachestat mincore; do
		cmp=
		for try in 1 2 3 4 5; do
			make_partly_cached p1
			make_partly_cached p2
			v1=$(vmtouch_pages p1) v2=$(vmtouch_pages p2)
			[ "$v1" -gt 0 ] && [ "$v1" -lt 512 ]
			want="$((v1 * 4096))	0	2097152	p1
$((v2 * 4096))	0	2097152	p2
0	0	0	p0
$(((v1 + v2) * 4096))	0	4194304	total"
			if [ $mode = cachestat ]; then
				run_split ioring-batch --resident p1 p2 p0
			else # mincore: the same pages, dirty unknown
				run_split env TUNEKIT_NO_CACHESTAT=1 ioring-batch --resident p1 p2 p0
				want=$(printf '%s\n' "$want" | sed 's/\t0\t/\t-\t/')
			fi
			assert_success
			# looking did not read: vmtouch sees what it saw
			if [ "$(vmtouch_pages p1)" = "$v1" ] && [ "$(vmtouch_pages p2)" = "$v2" ]; then
				echo "$mode: vmtouch pages p1 $v1, p2 $v2 (attempt $try)" >&3
				assert_equal "$output" "$want"
				cmp=1
				break
			fi
			echo "$mode: the page cache changed during attempt $try; again" >&3
		done
		[ -n "$cmp" ] || skip "the page cache changed underneath in 5 attempts ($mode)"
	done
}

@test "--evict drops clean pages (vmtouch sees none)" {
	require_cmd vmtouch python3
	make_partly_cached p1
	[ "$(vmtouch_pages p1)" -gt 0 ]
	run_split ioring-batch --evict p1
	assert_success
	assert_equal "$output" "0	0	2097152	p1
0	0	2097152	total"
	assert_equal "$(vmtouch_pages p1)" 0
}

@test "--evict leaves a file with dirty pages alone and reports them" {
	require_cmd vmtouch python3
	# dirty pages through a shared mapping: reported, not written back, not dropped
	head -c 1048576 /dev/zero >dirty
	sync dirty
	python3 -c '
import mmap, os, sys, time
fd = os.open("dirty", os.O_RDWR)
m = mmap.mmap(fd, 1048576)
m[0:8] = b"modified"
m.close()
os.close(fd)'
	run_split ioring-batch --resident dirty
	d=$(printf '%s\n' "$output" | sed -n '1s/^[0-9]*\t\([0-9]*\)\t.*/\1/p')
	# not skip_or_fail: whether the kernel writes back at once is the
	# machine's writeback policy, not a missing dependency (seen here)
	[ "${d:-0}" -gt 0 ] || skip "no dirty pages seen: the kernel wrote them back at once"
	before=$(vmtouch_pages dirty)
	run_split ioring-batch --evict dirty
	assert_success
	d2=$(printf '%s\n' "$output" | sed -n '1s/^[0-9]*\t\([0-9]*\)\t.*/\1/p')
	# a sync elsewhere (stress-ng --io runs sync() in a loop) can write the
	# pages back between the two calls; then they were clean and --evict
	# rightly dropped them: nothing left to assert about dirty pages
	[ "${d2:-0}" -gt 0 ] || skip "the dirty pages were written back between --resident and --evict (a concurrent sync)"
	assert_equal "$(vmtouch_pages dirty)" "$before"
}

@test "--resident: a file the caller may not write is refused as the kernel does (as nobody)" {
	require_cmd setpriv
	printf data >ro
	chmod 644 ro
	run_split run_as_nobody ioring-batch --resident ro
	assert_failure 1
	assert_equal "$stderr" "ioring-batch: ro: Operation not permitted"
	chown nobody ro
	run_split run_as_nobody ioring-batch --resident ro
	assert_success
}

@test "--resident and --evict are modes: mutually exclusive with the others, -c refuses them" {
	run_split ioring-batch --resident --evict tree/empty
	assert_failure 2
	[[ "$stderr" == *"--resident and --evict are mutually exclusive"* ]]
	run_split ioring-batch -c --resident m
	assert_failure 2
}
