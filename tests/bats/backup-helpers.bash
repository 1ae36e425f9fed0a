# SPDX-License-Identifier: GPL-2.0-or-later
# nettune-backup suites: a fake /proc tree (TUNEKIT_PROC) and a private
# --root (TUNEKIT_ROOT) under the test's temp dir, so nothing on the host
# is read or written.

# fake_system: a fake proc with a few net keys, one non-net key, and an
# empty root. Sets T, TUNEKIT_PROC, TUNEKIT_ROOT.
fake_system() {
	T=$BATS_TEST_TMPDIR
	export TUNEKIT_PROC=$T/proc TUNEKIT_ROOT=$T/root
	mkdir -p "$TUNEKIT_ROOT/etc"
	fake_proc "$TUNEKIT_PROC" \
		net.core.somaxconn=4096 \
		net.core.rmem_max=212992 \
		"net.ipv4.tcp_rmem=4096	131072	6291456" \
		net.ipv4.tcp_slow_start_after_idle=1 \
		net.ipv4.tcp_congestion_control=bbr \
		net.ipv4.ip_local_reserved_ports= \
		vm.swappiness=60
	chmod 0444 "$TUNEKIT_PROC/sys/net/core/rmem_max"
}

# key_value KEY: the value in the fake tree
key_value() {
	cat "$TUNEKIT_PROC/sys/$(printf '%s' "$1" | tr . /)"
}

# tree_hash: one hash of every value in the fake tree (to prove nothing changed)
tree_hash() {
	(cd "$TUNEKIT_PROC/sys" && find . -type f -print0 | sort -z | xargs -0 cat | sha256sum)
}

snapshot_count() {
	find "$TUNEKIT_ROOT/var/lib/tunekit/snapshots" -mindepth 1 -maxdepth 1 -name '2*' 2>/dev/null | wc -l
}

PERSISTED() { echo "$TUNEKIT_ROOT/etc/sysctl.d/90-tunekit.conf"; }

STORE() { echo "$TUNEKIT_ROOT/var/lib/tunekit/snapshots"; }

# host_hash: every path, mode, owner and byte under the fake root and proc
# (to prove a refused restore changed nothing at all, the store included;
# the lock file is left out: it records the PID of its last holder)
host_hash() {
	(cd "$T" && find root proc ! -path root/run/tunekit/lock -printf '%p %m %u %y %s\n' | LC_ALL=C sort &&
		find root proc -type f ! -path root/run/tunekit/lock -print0 | LC_ALL=C sort -z |
		xargs -0 cat) | sha256sum
}

# forge ID: what an attacker does after editing a snapshot (one file, format 2):
# put appended entries where they belong, fix the key count and write the
# sha256= trailer again so every checksum is valid
forge() {
	python3 - "$(STORE)/$1" "$(STORE)/blobs" <<'PY'
import hashlib, re, sys
path, blobs = sys.argv[1], sys.argv[2]
lines = [l for l in open(path).read().splitlines() if not l.startswith("sha256=")]
k = lines.index("[keys]")
head, keys = lines[:k], []
for l in lines[k + 1:]:
    (head if re.match(r"(file|symlink|absent) |drop=", l) else keys).append(l)
def kv(ls):
    d = {}
    for l in ls:
        if "=" in l and not l.startswith("#"):
            a, b = l.split("=", 1)
            d[a.strip()] = b.strip()
    return d
base = [l[5:] for l in head if l.startswith("base=")][0]
allk = kv(open(blobs + "/" + base).read().splitlines())
allk.update(kv(keys))
for l in head:
    if l.startswith("drop="):
        allk.pop(l[5:], None)
head = [("keys=%d" % len(allk)) if l.startswith("keys=") else l for l in head]
body = "\n".join(head + ["[keys]"] + keys) + "\n"
open(path, "w").write(body + "sha256=" + hashlib.sha256(body.encode()).hexdigest() + "\n")
PY
}

# put_blob < DATA: store DATA as a content blob (0600) and print its name
put_blob() {
	local tmp h
	tmp=$(mktemp "$(STORE)/.blob.XXXXXX")
	cat >"$tmp"
	h=$(sha256sum <"$tmp" | cut -d' ' -f1)
	chmod 0600 "$tmp"
	mv "$tmp" "$(STORE)/blobs/$h"
	echo "$h"
}

# content_of ID PATH: the recorded content of the managed file PATH in
# snapshot ID (inline "b64:..." or a blob)
content_of() {
	local ref
	ref=$(sed -n "s|^file \([^ ]*\) [0-7]* $2\$|\1|p" "$(STORE)/$1")
	case $ref in
	b64:*) printf '%s' "${ref#b64:}" | base64 -d ;;
	*) cat "$(STORE)/blobs/$ref" ;;
	esac
}

# set_content ID PATH < DATA: record DATA inline as the content of PATH
set_content() {
	local enc
	enc=$(base64 -w0)
	sed -i "s|^file [^ ]* \([0-7]*\) $2\$|file b64:$enc \1 $2|" "$(STORE)/$1"
}
