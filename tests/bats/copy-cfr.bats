#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The copy_file_range fast path of uringcp and aiocp: taken within one file
# system (no clone there) for files of 4 MiB or more, never with --direct,
# --verify, --manifest or --reflink=never, never across file systems; what
# strace sees, what --stats says, and that the copy is exact, sparse and
# atomic.

load helpers
load copy-helpers

setup() {
	require_cmd strace
	copy_setup
}

teardown() {
	reap_stopped
	copy_teardown
}

# cfr_calls TRACE: copy_file_range calls strace saw.
cfr_calls() {
	grep -c '^[0-9 ]*copy_file_range(' "$1" || true
}

# traced OUT TOOL ARGS...: run the tool under strace (copy_file_range only),
# the trace in OUT, its standard output on ours.
traced() {
	local out=$1
	shift
	strace -f -qq -o "$out" -e trace=copy_file_range "$@"
}

@test "cfr: a 6 MiB file within one file system goes by copy_file_range, exact" {
	mkdata "$W/src" $((6 << 20))
	# aiocp is O_DIRECT by default: the fast path is for its --buffered mode
	for t in uringcp "aiocp --buffered"; do
		# shellcheck disable=SC2086 # "aiocp --buffered"
		run traced "$W/trace" $t --stats "$W/src" "$W/dst"
		assert_success
		assert_output --partial "copy_file_range=1 method=copy_file_range"
		assert_output --partial "submissions=0"
		[ "$(cfr_calls "$W/trace")" -ge 1 ]
		cmp "$W/src" "$W/dst"
		[ "$(stat -c %a "$W/dst")" = "$(stat -c %a "$W/src")" ]
		[ "$(temps_in "$W")" -eq 0 ]
		rm "$W/dst"
	done
}

@test "cfr: sparse source stays sparse (data regions only, holes kept, trailing hole)" {
	# 5 MiB of data, a 32 MiB hole, 1 MiB of data, a 10 MiB trailing hole
	mkdata "$W/src" $((5 << 20))
	head -c 1M /dev/urandom | dd of="$W/src" bs=1M seek=37 conv=notrunc status=none
	truncate -s 48M "$W/src"
	src_blocks=$(stat -c %b "$W/src")
	[ "$src_blocks" -lt $((8 * 2048)) ] || skip_or_fail "this file system does not keep holes"
	for t in uringcp "aiocp --buffered"; do
		# shellcheck disable=SC2086
		run traced "$W/trace" $t --stats "$W/src" "$W/dst"
		assert_success
		assert_output --partial "method=copy_file_range"
		# one call per data region at most 16 MiB: the hole is never copied
		[ "$(cfr_calls "$W/trace")" -eq 2 ]
		cmp "$W/src" "$W/dst"
		[ "$(stat -c %s "$W/dst")" -eq $((48 << 20)) ]
		sync -f "$W/dst"
		[ "$(stat -c %b "$W/dst")" -le $((src_blocks + 64)) ]
		rm "$W/dst"
	done
}

@test "cfr: under 4 MiB, --reflink=never, --direct, --verify, --manifest: the engine copies" {
	mkdata "$W/small" $(((4 << 20) - 4096))
	mkdata "$W/big" $((5 << 20))
	for args in "uringcp SMALL" "aiocp --buffered SMALL" "uringcp --reflink=never BIG" \
		"aiocp --buffered --reflink=never BIG" "uringcp --verify BIG" \
		"aiocp --buffered --verify BIG" "uringcp --manifest $W/sums BIG" \
		"uringcp --direct BIG" "aiocp BIG"; do
		if [[ "$args" == *--direct* || "$args" == "aiocp BIG" ]] && on_tmpfs "$W"; then
			continue # no O_DIRECT on tmpfs
		fi
		src=$W/big
		[[ "$args" == *SMALL ]] && src=$W/small
		# shellcheck disable=SC2086
		run traced "$W/trace" ${args% *} --stats "$src" "$W/dst"
		assert_success
		assert_output --regexp "copy_file_range=0 method=(io_uring|libaio)$"
		[ "$(cfr_calls "$W/trace")" -eq 0 ]
		cmp "$src" "$W/dst"
		rm "$W/dst"
	done
}

@test "cfr: across file systems (tmpfs to this one and back) the engine copies" {
	require_root
	on_tmpfs "$W" && skip_or_fail "needs a work directory that is not tmpfs"
	mkdir "$W/t"
	run in_mountns '
		W='"$W"'
		mount -t tmpfs tmpfs "$W/t"
		head -c 6M /dev/urandom >"$W/t/src"
		head -c 6M /dev/urandom >"$W/src"
		for t in uringcp "aiocp --buffered"; do
			for pair in "$W/t/src $W/dst" "$W/src $W/t/dst"; do
				set -- $pair
				strace -f -qq -o "$W/trace" -e trace=copy_file_range $t --stats "$1" "$2" >"$W/stats"
				grep -Eq "copy_file_range=0 method=(io_uring|libaio)$" "$W/stats"
				[ "$(grep -c "^[0-9 ]*copy_file_range(" "$W/trace")" -eq 0 ]
				cmp "$1" "$2"
				rm "$2"
			done
		done
		# and within the tmpfs it is copy_file_range again
		uringcp --stats "$W/t/src" "$W/t/dst" | grep -q "method=copy_file_range"
		cmp "$W/t/src" "$W/t/dst"
		echo done-ok'
	assert_success
	assert_output "done-ok"
}

@test "cfr: SIGKILL or SIGTERM between two copy_file_range calls leaves the old destination whole" {
	# 40 MiB: three calls of at most 16 MiB; strace holds the second one
	# (20 s for SIGKILL, 2 s for SIGTERM, which is handled after it), so the
	# signal lands with 16 MiB in the temp file
	mkdata "$W/src" $((40 << 20))
	for t in uringcp aiocp; do
		for notmp_sig in 0:KILL 1:KILL 0:TERM 1:TERM; do
			notmp=${notmp_sig%:*} sig=${notmp_sig#*:}
			delay=20000000
			[ "$sig" = TERM ] && delay=2000000
			echo "old contents" >"$W/dst"
			flags=
			[ $t = aiocp ] && flags=--buffered
			env TUNEKIT_NO_TMPFILE=$notmp strace -f -qq -o /dev/null \
				-e trace=copy_file_range -e inject=copy_file_range:delay_enter=$delay:when=2 \
				$t $flags "$W/src" "$W/dst" &
			spid=$!
			STOPPED_PIDS="${STOPPED_PIDS:-} $spid" # reaped by teardown if we fail
			# the tool is strace's child; wait until its temp file holds data
			tpid=
			for i in $(seq 1000); do
				tpid=$(pgrep -P "$spid" | head -n1)
				if [ -n "$tpid" ]; then
					for l in /proc/"$tpid"/fd/*; do
						tgt=$(readlink "$l" 2>/dev/null) || continue
						case "$tgt" in
						"$W"/\#*|"$W"/.dst.tkcp-*) ;;
						*) continue ;;
						esac
						[ "$(stat -L -c %s "$l" 2>/dev/null || echo 0)" -gt 0 ] && break 2
					done
				fi
				sleep 0.01
			done
			[ -n "$tpid" ]
			size=$(for l in /proc/"$tpid"/fd/*; do stat -L -c '%s %F' "$l" 2>/dev/null; done |
				awk '$2 == "regular" && $1 > 0 && $1 < 40 * 1048576 { print $1 }' | head -n1)
			[ -n "$size" ] # caught between the calls, part of the data in
			kill -"$sig" "$tpid"
			wait "$spid" 2>/dev/null || true
			[ "$(cat "$W/dst")" = "old contents" ]
			# SIGTERM: the handler removed the named temp file itself
			[ "$sig" = KILL ] || [ "$(temps_in "$W")" -eq 0 ]
			# a named temp file the kill left is removed by the next copy that
			# makes named ones (an O_TMPFILE leaves nothing)
			TUNEKIT_NO_TMPFILE=$notmp $t $flags "$W/src" "$W/dst"
			cmp "$W/src" "$W/dst"
			[ "$(temps_in "$W")" -eq 0 ]
		done
	done
}
