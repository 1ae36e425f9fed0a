#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# What only uringcp does: registration of buffers and files, --direct.

load helpers
load copy-helpers

setup() {
	copy_setup
}

teardown() {
	copy_teardown
}

@test "uringcp: registers buffers and files when it may" {
	require_root
	mkdata "$W/src" $((3 * 1024 * 1024))
	run uringcp --stats "$W/src" "$W/dst"
	assert_success
	assert_output --partial "fixed_buffers=1 fixed_files=1"
	cmp "$W/src" "$W/dst"
}

@test "uringcp: falls back to plain buffers when RLIMIT_MEMLOCK refuses registration" {
	require_root
	require_cmd setpriv
	require_cmd prlimit
	mkdata "$W/src" $((5 * 1024 * 1024 + 3))
	chmod 0644 "$W/src"
	mkdir "$W/out"
	chmod 0777 "$W/out"
	# 16 x 1 MiB of buffers over a 1 MiB memlock limit, as a user
	run prlimit --memlock=1048576 setpriv --reuid=65534 --regid=65534 --clear-groups \
		uringcp -q 16 -b 1M --stats "$W/src" "$W/out/dst"
	assert_success
	assert_output --partial "fixed_buffers=0"
	cmp "$W/src" "$W/out/dst"
}

@test "uringcp: --direct copies exactly, with the unaligned tail through the page cache" {
	mkdata "$W/src" $((2 * 1024 * 1024 + 4097))
	run uringcp --direct --stats -b 64K "$W/src" "$W/dst"
	assert_success
	cmp "$W/src" "$W/dst"
	if ! on_tmpfs "$W"; then
		assert_output --partial "direct=1"
	fi
}

@test "uringcp: -r copies many small files in flight at once" {
	mkdir -p "$W/many"
	for i in $(seq 200); do
		head -c $((i * 37)) /dev/urandom >"$W/many/f$i"
	done
	run uringcp -r -q 32 --stats "$W/many" "$W/copy"
	assert_success
	assert_output --partial "files=200"
	diff -r "$W/many" "$W/copy"
}
