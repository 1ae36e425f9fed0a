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
	if on_tmpfs "$W"; then
		AIOCP_FLAGS=--buffered
	fi
	export W AIOCP_FLAGS
}

# on_tmpfs DIR: DIR is on tmpfs (statfs: findmnt prints one line per mount
# stacked on the mount point, e.g. twice "tmpfs" for /dev/shm here).
on_tmpfs() {
	[ "$(stat -f -c %T "$1" 2>/dev/null)" = tmpfs ]
}

copy_teardown() {
	reap_stopped
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

# temps_in DIR: hidden entries in DIR: the tools' named temp files
# (".NAME.tkcp-XXXXXX", before that ".NAME.XXXXXX") and anything else hidden.
temps_in() {
	find "$1" -mindepth 1 -maxdepth 1 -name '.*' | wc -l
}

# has_temp PID DIR NAME: the copy PID has the temp file of DIR/NAME open: an
# O_TMPFILE ("DIR/#123 (deleted)") or a named one (".NAME.tkcp-XXXXXX") past
# its creation and its lock (PID's flock in /proc/locks: live, not stale).
# Other temp files it may hold for a moment (the stale ones it removes) do
# not count.
has_temp() {
	local l t ino
	for l in /proc/"$1"/fd/*; do
		t=$(readlink "$l" 2>/dev/null) || continue
		case "$t" in
		"$2"/\#*" (deleted)") return 0 ;;
		"$2/.$3".tkcp-??????)
			ino=$(stat -c %i "$t" 2>/dev/null) || continue
			grep -Eq "FLOCK +ADVISORY +WRITE +$1 +[0-9a-f]+:[0-9a-f]+:$ino " /proc/locks && return 0 ;;
		esac
	done
	return 1
}

# start_stopped CMD...: run CMD in the background, stopped before it execs
# (PID in $!): step it with step_until_temp. Signals are reset to their
# defaults (a background job of a script starts with SIGINT ignored).
start_stopped() {
	bash -c 'kill -STOP $$; exec env --default-signal "$@"' _ "$@" &
	STOPPED_PIDS="${STOPPED_PIDS:-} $!"
}

# reap_stopped: kill what start_stopped started and a failed test left behind.
reap_stopped() {
	local p
	for p in ${STOPPED_PIDS:-}; do
		kill -KILL "$p" 2>/dev/null || true
	done
	STOPPED_PIDS=
}

# step_until_temp PID DEST: let the stopped PID run in 5 ms slices until it
# has the temp file of its destination DEST open, and leave it stopped there.
# Fails when PID ended first (the copy was too quick to catch).
step_until_temp() {
	local i
	for i in $(seq 2000); do
		has_temp "$1" "$(dirname "$2")" "$(basename "$2")" && return 0
		kill -CONT "$1" 2>/dev/null || return 1
		sleep 0.005
		kill -STOP "$1" 2>/dev/null || return 1
	done
	return 1
}

# as_nobody SNIPPET: run a shell snippet as nobody (the hostile local user).
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "$1"
}

# tree_listing DIR: one line per entry with type, mode and symlink target.
tree_listing() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %l\n' | sort)
}

# loop_fs KIND: a fresh KIND (btrfs or xfs) file system image in $W, attached
# to a loop device (printed). The device is listed in $W.loops for
# loop_teardown; mount it only inside in_mountns, so no mount outlives the test.
loop_fs() {
	local img="$W/$1.img" dev
	command -v "mkfs.$1" >/dev/null || skip_or_fail "mkfs.$1 is missing (apt-get install ${1/xfs/xfsprogs}${1/btrfs/-progs})"
	grep -qw "$1" /proc/filesystems || skip_or_fail "this kernel has no $1"
	truncate -s 300M "$img"
	"mkfs.$1" -q "$img" >/dev/null
	dev=$(losetup -f --show "$img") || skip_or_fail "no loop device here"
	echo "$dev" >>"$W.loops"
	echo "$dev"
}

# loop_teardown: detach what loop_fs attached (also after a failed test).
loop_teardown() {
	local d
	if [ -n "${W:-}" ] && [ -f "$W.loops" ]; then
		while read -r d; do
			losetup -d "$d" 2>/dev/null || true
		done <"$W.loops"
		rm -f "$W.loops"
	fi
}

# in_mountns SCRIPT: run a bash script in a private mount namespace: what it
# mounts disappears with it, whatever happens.
in_mountns() {
	unshare --mount --propagation private bash -euo pipefail -c "$1"
}

# shared_extents FILE: the number of extents filefrag reports as shared.
shared_extents() {
	filefrag -v "$1" | grep -c shared || true
}
