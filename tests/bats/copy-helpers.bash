# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the uringcp/aiocp suites: load with `load copy-helpers`.

COPY_TOOLS="uringcp aiocp"

# copy_setup: a fresh work directory $W, reachable by other users (for the
# unprivileged tests), on a file system that does O_DIRECT when one exists.
copy_setup() {
	W=$(mktemp -d "${TUNEKIT_COPY_TMPDIR:-${TMPDIR:-/tmp}}/tk-copy.XXXXXX")
	chmod 0755 "$W"
	# aiocp is O_DIRECT only: on tmpfs (a CI /tmp) it needs --buffered
	AIOCP_FLAGS=
	if [ "$(findmnt -n -o FSTYPE -T "$W" 2>/dev/null)" = tmpfs ]; then
		AIOCP_FLAGS=--buffered
	fi
	export W AIOCP_FLAGS
}

copy_teardown() {
	if [ -n "${W:-}" ] && [ -d "$W" ]; then
		chmod -R u+rwX "$W" 2>/dev/null || true
		rm -rf "$W"
	fi
}

# tool_cmd TOOL: the command line to run TOOL here (aiocp gets --buffered on tmpfs).
tool_cmd() {
	if [ "$1" = aiocp ] && [ -n "$AIOCP_FLAGS" ]; then
		echo "aiocp $AIOCP_FLAGS"
	else
		echo "$1"
	fi
}

# mkdata FILE BYTES: BYTES of random data.
mkdata() {
	head -c "$2" /dev/urandom >"$1"
}

# temps_in DIR: temp files (".NAME.XXXXXX") the tools leave behind in DIR.
temps_in() {
	find "$1" -maxdepth 1 -name '.*.??????' | wc -l
}

# tree_listing DIR: one line per entry with type, mode and symlink target.
tree_listing() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %l\n' | sort)
}
