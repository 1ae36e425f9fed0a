# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by every bats suite: load with `load helpers`.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

: "${TUNEKIT_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${TUNEKIT_BUILDDIR:=$TUNEKIT_SRCDIR}"
SANDBOX="$TUNEKIT_SRCDIR/tests/sandbox"

# skip_or_fail REASON: outside CI a test that cannot run here is skipped
# with the reason; in CI (CI=true) it fails, so a broken runner is noticed.
skip_or_fail() {
	if [ "${CI:-}" = "true" ]; then
		echo "cannot run in CI: $*" >&2
		return 1
	fi
	skip "$*"
}

# require_sandbox: the test needs tests/sandbox (root, unshare, overlayfs).
require_sandbox() {
	if [ -n "${TUNEKIT_SANDBOX:-}" ]; then
		return 0
	fi
	if ! "$SANDBOX" true 2>/dev/null; then
		skip_or_fail "tests/sandbox does not work here (needs root, unshare and overlayfs)"
	fi
}

# in_sandbox CMD...: run CMD (a shell snippet or command) inside a fresh sandbox.
# Functions of this file are available inside through bash -c.
in_sandbox() {
	"$SANDBOX" bash -c "source '$TUNEKIT_SRCDIR/tests/bats/helpers-sandbox.bash'; $*"
}

# require_cmd CMD: the test needs this program.
require_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip_or_fail "$1 is not installed"
}

# require_root: the test needs uid 0.
require_root() {
	[ "$(id -u)" -eq 0 ] || skip_or_fail "needs root"
}

# fake_proc DIR: build a minimal fake /proc tree under DIR, for TUNEKIT_PROC.
# KEY=VALUE arguments after DIR set sysctls (dot form).
fake_proc() {
	local dir=$1 kv key val path
	shift
	mkdir -p "$dir/sys/net/core" "$dir/sys/net/ipv4" "$dir/net"
	for kv in "$@"; do
		key=${kv%%=*}
		val=${kv#*=}
		path="$dir/sys/$(printf '%s' "$key" | tr . /)"
		mkdir -p "$(dirname "$path")"
		printf '%s\n' "$val" >"$path"
	done
}
