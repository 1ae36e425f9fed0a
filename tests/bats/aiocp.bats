#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# What only aiocp does: O_DIRECT by design.

load helpers
load copy-helpers

setup() {
	copy_setup
}

teardown() {
	copy_teardown
}

@test "aiocp: copies with O_DIRECT by default where the file system allows it" {
	[ -z "$AIOCP_FLAGS" ] || skip_or_fail "the test directory is on tmpfs"
	mkdata "$W/src" $((1024 * 1024 + 1))
	run aiocp --stats "$W/src" "$W/dst"
	assert_success
	assert_output --partial "direct=1"
	cmp "$W/src" "$W/dst"
}

@test "aiocp: --buffered goes through the page cache" {
	mkdata "$W/src" $((1024 * 1024 + 1))
	run aiocp --buffered --stats "$W/src" "$W/dst"
	assert_success
	assert_output --partial "direct=0"
	cmp "$W/src" "$W/dst"
}

@test "aiocp: -r copies a tree of small files" {
	[ -z "$AIOCP_FLAGS" ] || skip_or_fail "the test directory is on tmpfs"
	mkdir -p "$W/many/sub"
	for i in $(seq 100); do
		head -c $((i * 51)) /dev/urandom >"$W/many/sub/f$i"
	done
	run aiocp -r -q 16 --stats "$W/many" "$W/copy"
	assert_success
	assert_output --partial "files=100"
	diff -r "$W/many" "$W/copy"
}
