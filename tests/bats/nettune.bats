#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# nettune: the dispatcher script.

load helpers
load nettune-iface-helpers

bats_require_minimum_version 1.5.0

@test "nettune --help lists the commands and exits 0" {
	run "$NETTUNE" --help
	assert_success
	assert_line --index 0 "Usage:"
	assert_line --regexp '^ analyze +analyse network interfaces'
	assert_line --regexp '^ help '
	run "$NETTUNE" help
	assert_success
	assert_line --regexp '^ analyze '
}

@test "nettune --version names the package like the binaries" {
	PATH=$TUNEKIT_BUILDDIR:$PATH run "$NETTUNE" --version
	assert_success
	assert_output --regexp '^nettune from tunekit [0-9]'
	assert_equal "${output#nettune }" "$("$NETTUNE_IFACE" --version | sed 's/^nettune-iface //')"
}

@test "nettune: an unknown command prints the usage on stderr, exit 2" {
	run --separate-stderr "$NETTUNE" frobnicate
	assert_failure 2
	assert_output ""
	[[ $stderr == *"nettune: unknown command 'frobnicate'"* ]] || fail "stderr: $stderr"
	[[ $stderr == *"Usage:"* ]] || fail "no usage on stderr: $stderr"
}

@test "nettune: no command and unknown options are usage errors, exit 2" {
	run --separate-stderr "$NETTUNE"
	assert_failure 2
	[[ $stderr == *"no command given"* && $stderr == *"Usage:"* ]] || fail "stderr: $stderr"
	run --separate-stderr "$NETTUNE" --bogus
	assert_failure 2
	[[ $stderr == *"unrecognized option '--bogus'"* ]] || fail "stderr: $stderr"
}

@test "nettune analyze lists the sandbox's interfaces" {
	require_sandbox
	run in_sandbox "PATH=\"$TUNEKIT_BUILDDIR:\$PATH\"; $IFACE_SETUP \"\$NETTUNE\" analyze"
	assert_success
	assert_line --index 0 --regexp '^NAME +STATE +MTU '
	assert_line --regexp "^tkv0 +UP +$IFACE_MTU +10Gbit/s +full +veth .* $IFACE_V4/24,$IFACE_V6/64"
	refute_line --regexp '^lo '
}

@test "nettune analyze passes its arguments on (--json, -i, exit 2)" {
	require_sandbox
	require_cmd python3
	out=$BATS_TEST_TMPDIR/analyze.json
	run in_sandbox "PATH=\"$TUNEKIT_BUILDDIR:\$PATH\"; $IFACE_SETUP \"\$NETTUNE\" analyze --json -a >'$out'"
	assert_success
	assert_equal "$(pyjson "$out" '[i["name"] for i in d["interfaces"]]')" '["lo", "tkv0"]'
	PATH=$TUNEKIT_BUILDDIR:$PATH run "$NETTUNE" analyze -i tk-nosuch0
	assert_failure 2
	assert_output "nettune-iface: tk-nosuch0: no such interface"
}

@test "nettune runs the binary next to itself before the one in PATH" {
	dir=$BATS_TEST_TMPDIR/bin
	mkdir -p "$dir"
	cp "$NETTUNE" "$dir/nettune"
	printf '#!/bin/sh\necho "sibling $*"\n' >"$dir/nettune-iface"
	chmod +x "$dir/nettune-iface"
	PATH=$TUNEKIT_BUILDDIR:$PATH run "$dir/nettune" analyze -a --json
	assert_success
	assert_output "sibling -a --json"
}

@test "nettune falls back to PATH, and says so when the binary is nowhere" {
	dir=$BATS_TEST_TMPDIR/alone
	mkdir -p "$dir"
	cp "$NETTUNE" "$dir/nettune"
	PATH=$TUNEKIT_BUILDDIR:$PATH run "$dir/nettune" analyze --help
	assert_success
	assert_line --index 1 --partial "nettune-iface [options]"
	PATH=/usr/bin:/bin run "$dir/nettune" analyze
	assert_failure 1
	assert_output --partial "nettune: nettune-iface: not found next to $dir/nettune or in PATH"
}

@test "nettune is shellcheck clean and sources nothing" {
	require_cmd shellcheck
	run shellcheck -s sh "$NETTUNE"
	assert_success
	run shellcheck -s bash "$TUNEKIT_SRCDIR/contrib/bash-completion/nettune"
	assert_success
	run grep -nE '^[[:space:]]*(\.|source)[[:space:]]' "$NETTUNE"
	assert_failure 1
}

@test "nettune: man page is lint clean; help, man page and completion agree" {
	require_cmd mandoc
	man=$TUNEKIT_SRCDIR/man/nettune.1
	comp=$TUNEKIT_SRCDIR/contrib/bash-completion/nettune
	run mandoc -T lint -W warning "$man"
	assert_success
	assert_output ""
	for cmd in $("$NETTUNE" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }'); do
		grep -q "^\.It Cm $cmd" "$man" || fail "command $cmd missing from the man page"
		grep -q -- "$cmd" "$comp" || fail "command $cmd missing from the completion"
	done
	for opt in --help --version; do
		grep -q -- "Fl \\\\-${opt#--}" "$man" || fail "$opt missing from the man page"
		grep -q -- "$opt" "$comp" || fail "$opt missing from the completion"
	done
}
