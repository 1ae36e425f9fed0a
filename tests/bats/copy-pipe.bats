#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Pipes, /proc/self/fd paths and - (standard input) as sources.

load helpers
load copy-helpers

setup() {
	copy_setup
}

teardown() {
	copy_teardown
}

@test "pipe: <(cmd), /proc/self/fd/N and - are read to the end" {
	mkdata "$W/data" $((5 * 1024 * 1024 + 17))
	for t in $COPY_TOOLS; do
		run $(tool_cmd "$t") <(cat "$W/data") "$W/$t-procsub"
		assert_success
		cmp "$W/data" "$W/$t-procsub"
		exec 7< <(cat "$W/data")
		run $(tool_cmd "$t") /proc/self/fd/7 "$W/$t-fd"
		exec 7<&-
		assert_success
		cmp "$W/data" "$W/$t-fd"
		run bash -c "cat '$W/data' | $(tool_cmd "$t") - '$W/$t-stdin'"
		assert_success
		cmp "$W/data" "$W/$t-stdin"
		run bash -c "printf 'hi\n' | $(tool_cmd "$t") - '$W/$t-small'"
		assert_success
		assert_equal "$(cat "$W/$t-small")" "hi"
		# a FIFO by name, like cp without -r
		mkfifo "$W/fifo-$t"
		cat "$W/data" >"$W/fifo-$t" &
		run $(tool_cmd "$t") "$W/fifo-$t" "$W/$t-fifo"
		assert_success
		cmp "$W/data" "$W/$t-fifo"
		[ "$(temps_in "$W")" -eq 0 ]
	done
}

@test "pipe: - into a directory is refused and writes nothing" {
	mkdir "$W/dir"
	for t in $COPY_TOOLS; do
		run bash -c "echo x | $(tool_cmd "$t") - '$W/dir'"
		assert_failure 1
		assert_output --partial "name the destination file"
		[ -z "$(ls -A "$W/dir")" ]
	done
}

@test "pipe: a copy killed before its input ends leaves the old destination" {
	echo old >"$W/keep"
	for t in $COPY_TOOLS; do
		cp "$W/keep" "$W/$t"
		mkfifo "$W/in-$t"
		$(tool_cmd "$t") - "$W/$t" <"$W/in-$t" &
		pid=$!
		# a part of the input, then nothing: the copy waits mid-stream
		exec 8>"$W/in-$t"
		printf part >&8
		for i in $(seq 500); do
			has_temp "$pid" "$W" "$t" && break
			sleep 0.01
		done
		has_temp "$pid" "$W" "$t"
		kill -KILL "$pid"
		wait "$pid" || true
		exec 8>&-
		assert_equal "$(cat "$W/$t")" "old"
		[ "$(temps_in "$W")" -eq 0 ]
		rm "$W/in-$t"
	done
}
