#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# --manifest (SHA-256 from the copy's buffers, sha256sum format) and --verify
# through the same digest path.

load helpers
load copy-helpers

setup() {
	copy_setup
}

teardown() {
	copy_teardown
}

mksrc() {
	mkdir -p "$W/src/sub"
	mkdata "$W/src/big" $((5 * 1024 * 1024 + 4097))
	truncate -s 9M "$W/src/sparse"
	printf 'data' | dd of="$W/src/sparse" bs=1M seek=4 conv=notrunc status=none
	: >"$W/src/empty"
	printf 'x\n' >"$W/src/sub/$(printf 'new\nline')"
	printf 'y\n' >"$W/src/sub/back\\slash"
	printf 'z\n' >"$W/src/sub/  spaces  "
	ln "$W/src/big" "$W/src/sub/hard"
}

@test "manifest: sha256sum -c and ioring-batch -c accept it, names relative to the destination" {
	mksrc
	mkdir "$W/out"
	for t in $COPY_TOOLS; do
		# small chunks, several in flight: they complete out of order
		run $(tool_cmd "$t") -a -q 8 -b 4K --reflink=never --manifest "$W/$t.sum" "$W/src" "$W/out/$t"
		assert_success
		# one line per regular file, hard link included, sorted, relative names
		[ "$(wc -l <"$W/$t.sum")" -eq 7 ]
		grep -q "  $t/big\$" "$W/$t.sum"
		grep -q "  $t/sub/hard\$" "$W/$t.sum"
		run bash -c "cd '$W/out' && sha256sum -c --strict '$W/$t.sum'"
		assert_success
		refute_output --partial FAILED
		run bash -c "cd '$W/out' && ioring-batch -c '$W/$t.sum'"
		assert_success
		# the digests are the sources'
		assert_equal "$(grep "  $t/big\$" "$W/$t.sum" | cut -c1-64)" "$(sha256sum <"$W/src/big" | cut -c1-64)"
		assert_equal "$(grep "  $t/sparse\$" "$W/$t.sum" | cut -c1-64)" "$(sha256sum <"$W/src/sparse" | cut -c1-64)"
	done
	# into a directory: names relative to it
	run uringcp --manifest "$W/one.sum" "$W/src/big" "$W/src/empty" "$W/out"
	assert_success
	assert_equal "$(cut -c67- "$W/one.sum")" "$(printf 'big\nempty')"
	(cd "$W/out" && sha256sum -c --quiet "$W/one.sum")
}

@test "manifest: written atomically, replacing the old one; an unwritable one fails with 1" {
	mksrc
	echo stale >"$W/m.sum"
	ln "$W/m.sum" "$W/m.old"
	run uringcp -r --manifest "$W/m.sum" "$W/src" "$W/copy"
	assert_success
	# replaced by rename: the old inode keeps the old contents
	assert_equal "$(cat "$W/m.old")" "stale"
	(cd "$W" && sha256sum -c --quiet m.sum)
	[ "$(temps_in "$W")" -eq 0 ]
	run uringcp -r --manifest "$W/nodir/m.sum" "$W/src" "$W/copy2"
	assert_failure 1
	assert_output --partial "write manifest"
	cmp "$W/src/big" "$W/copy2/big"
	run uringcp --manifest "" "$W/src/big" "$W/x"
	assert_failure 2
}

@test "verify: a pipe source is verified from the buffers (no second read of the source)" {
	mkdata "$W/data" $((3 * 1024 * 1024 + 1))
	for t in $COPY_TOOLS; do
		run bash -c "cat '$W/data' | $(tool_cmd "$t") --verify --manifest '$W/$t.sum' - '$W/$t'"
		assert_success
		cmp "$W/data" "$W/$t"
		(cd "$W" && sha256sum -c --quiet "$t.sum")
		run $(tool_cmd "$t") --verify -q 4 -b 4K <(cat "$W/data") "$W/$t-2"
		assert_success
		cmp "$W/data" "$W/$t-2"
	done
}
