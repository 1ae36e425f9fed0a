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
	for c in analyze optimize test compare restore check config help; do
		assert_line --regexp "^ $c( |\$)"
	done
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

@test "nettune analyze: one section per tool, the sandbox's veth in the interface table" {
	require_sandbox
	run in_sandbox "PATH=\"$TUNEKIT_BUILDDIR:\$PATH\"; $IFACE_SETUP \"\$NETTUNE\" analyze"
	assert_success
	for sec in iface buffers cc queues; do
		assert_line "== $sec"
	done
	assert_line --regexp '^NAME +STATE +MTU '
	assert_line --regexp "^tkv0 +UP +$IFACE_MTU +10Gbit/s +full +veth .* $IFACE_V4/24,$IFACE_V6/64"
	refute_line --regexp '^lo '
	assert_line --partial "net.ipv4.tcp_rmem"
}

@test "nettune analyze --json: one object with each tool's report; -a and -i go to nettune-iface" {
	require_sandbox
	require_cmd python3
	out=$BATS_TEST_TMPDIR/analyze.json
	run in_sandbox "PATH=\"$TUNEKIT_BUILDDIR:\$PATH\"; $IFACE_SETUP \"\$NETTUNE\" analyze --json -a >'$out'"
	assert_success
	assert_equal "$(pyjson "$out" '[i["name"] for i in d["iface"]["interfaces"]]')" '["lo", "tkv0"]'
	assert_equal "$(pyjson "$out" 'sorted(k for k in d if d[k] is not None and k != "dns")')" '["boot", "buffers", "cc", "iface", "queues"]'
	PATH=$TUNEKIT_BUILDDIR:$PATH run "$NETTUNE" analyze -i tk-nosuch0
	assert_failure 2
	assert_output --partial "nettune-iface: tk-nosuch0: no such interface"
}

@test "nettune runs the binary next to itself before the one in PATH" {
	dir=$BATS_TEST_TMPDIR/bin
	mkdir -p "$dir"
	cp "$NETTUNE" "$dir/nettune"
	printf '#!/bin/sh\necho "sibling $*"\n' >"$dir/nettune-backup"
	chmod +x "$dir/nettune-backup"
	PATH=$TUNEKIT_BUILDDIR:$PATH run "$dir/nettune" restore -n 20260101-000000-001
	assert_success
	assert_output "sibling restore -n 20260101-000000-001"
}

@test "nettune falls back to PATH, and says so when the binary is nowhere" {
	dir=$BATS_TEST_TMPDIR/alone
	mkdir -p "$dir"
	cp "$NETTUNE" "$dir/nettune"
	PATH=$TUNEKIT_BUILDDIR:$PATH run "$dir/nettune" restore --help
	assert_success
	assert_line --index 1 --partial "nettune-backup save"
	PATH=/usr/bin:/bin run "$dir/nettune" restore
	assert_failure 1
	assert_output --partial "nettune: nettune-backup: not found next to $dir/nettune or in PATH"
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
	man=$TUNEKIT_SRCDIR/man/nettune.8
	comp=$TUNEKIT_SRCDIR/contrib/bash-completion/nettune
	run mandoc -T lint -W warning "$man"
	assert_success
	assert_output ""
	for cmd in $("$NETTUNE" --help | sed -n '/^Commands:/,/^$/p' | awk '/^ [a-z]/ { print $1 }'); do
		grep -q "^\.It Cm $cmd" "$man" || fail "command $cmd missing from the man page"
		grep -q -- "$cmd" "$comp" || fail "command $cmd missing from the completion"
	done
	for opt in --help --version; do
		grep -qE -- "Fl (\\\\)?-${opt#--}" "$man" || fail "$opt missing from the man page"
		grep -q -- "$opt" "$comp" || fail "$opt missing from the completion"
	done
}

# --- optimize, restore, check: real per-namespace sysctls in the sandbox ------

@test "optimize -n: prints the changes of the whole profile and changes nothing" {
	require_sandbox
	run "$SANDBOX" bash -c '
		before=$(cat /proc/sys/net/ipv4/tcp_rmem /proc/sys/net/ipv4/tcp_slow_start_after_idle | md5sum)
		nettune optimize --profile throughput -n 2>/dev/null
		after=$(cat /proc/sys/net/ipv4/tcp_rmem /proc/sys/net/ipv4/tcp_slow_start_after_idle | md5sum)
		[ "$before" = "$after" ] && echo "unchanged"
		ls /var/lib/tunekit/snapshots 2>/dev/null | wc -l'
	assert_success
	assert_line --regexp '^net\.ipv4\.tcp_rmem: .* -> 4096 131072 268435456$'
	assert_line "net.ipv4.tcp_slow_start_after_idle: 1 -> 0"
	assert_line --regexp '^net\.ipv4\.tcp_max_syn_backlog: [0-9]+ -> 8192$'
	assert_line "unchanged"
	assert_line --index $((${#lines[@]} - 1)) "0"
}

@test "optimize: one snapshot covers buffers, cc, queues and profile sysctls; restore undoes it" {
	require_sandbox
	run "$SANDBOX" bash -c '
		orig=$(tr "\t" " " </proc/sys/net/ipv4/tcp_rmem)
		nettune optimize --profile latency >/dev/null 2>"$BATS_TEST_TMPDIR/err" || exit 9
		echo "rmem: $(tr "\t" " " </proc/sys/net/ipv4/tcp_rmem)"
		echo "lowat: $(cat /proc/sys/net/ipv4/tcp_notsent_lowat)"
		echo "ssai: $(cat /proc/sys/net/ipv4/tcp_slow_start_after_idle)"
		echo "snapshots: $(ls /var/lib/tunekit/snapshots | grep -c "^2")"
		grep -c "^net\." /etc/sysctl.d/90-tunekit.conf | sed "s/^/persisted: /"
		nettune check && echo "check: clean"
		nettune optimize --profile latency >/dev/null 2>&1
		echo "snapshots after a second run: $(ls /var/lib/tunekit/snapshots | grep -c "^2")"
		nettune restore >/dev/null 2>&1
		[ "$(tr "\t" " " </proc/sys/net/ipv4/tcp_rmem)" = "$orig" ] && echo "restored"
		test ! -e /etc/sysctl.d/90-tunekit.conf && echo "persisted file gone"'
	assert_success
	assert_line "rmem: 4096 131072 8388608"
	assert_line "lowat: 131072"
	assert_line "ssai: 0"
	assert_line "snapshots: 1"
	assert_line --regexp '^persisted: (9|1[0-9])$'
	assert_line "check: clean"
	assert_line "snapshots after a second run: 1"
	assert_line "restored"
	assert_line "persisted file gone"
	run cat "$BATS_TEST_TMPDIR/err"
	assert_line --partial "net.core.rmem_max: read-only here, skipped"
}

@test "optimize: a bad tunekit.conf stops before anything changes (exit 2, names the line)" {
	require_sandbox
	run "$SANDBOX" bash -c '
		mkdir -p /etc/tunekit && printf "profile = latency\nrtt = soon\n" > /etc/tunekit/tunekit.conf
		nettune optimize; echo "rc=$?"
		ls /var/lib/tunekit/snapshots 2>/dev/null | wc -l'
	assert_line "rc=2"
	assert_output --partial "tunekit.conf:2: not a duration"
	assert_line --index $((${#lines[@]} - 1)) "0"
}

# --- optimize: exit codes that never lie, one object with --json ---------------

# STATE_HASH: a shell function for sandbox snippets; state_hash prints one hash
# of every net.* sysctl value, /etc and /var/lib/tunekit (contents, names,
# modes, mtimes: a temp file created and removed in a directory shows too)
STATE_HASH='state_hash() {
	{
		sysctl -a -r "^net\." 2>/dev/null
		tar --sort=name -C / -cf - etc var/lib/tunekit 2>/dev/null | sha256sum
	} | sha256sum
}'

# impossible_profiles DIR: profile directories under DIR whose throughput
# profile asks for what this host cannot do: a sysctl key it does not have
# (nokey), a value the key cannot take (badval), a key profiles do not know
# (unknown)
impossible_profiles() {
	local d
	for d in nokey badval unknown; do
		mkdir -p "$1/$d"
		cp "$TUNEKIT_SRCDIR"/profiles/*.conf "$1/$d/"
	done
	echo 'sysctl.net.ipv4.tcp_nosuch_key = 1' >>"$1/nokey/throughput.conf"
	echo 'sysctl.net.ipv4.tcp_slow_start_after_idle = banana' >>"$1/badval/throughput.conf"
	echo 'frobnicate = 1' >>"$1/unknown/throughput.conf"
}

@test "optimize: an impossible request is exit 2 before the first change; sysctls, /etc and /var/lib/tunekit byte-identical" {
	require_sandbox
	impossible_profiles "$BATS_TEST_TMPDIR/p"
	P=$BATS_TEST_TMPDIR/p run "$SANDBOX" bash -c "$STATE_HASH"'
		# eth0 here is a veth: no fq in this kernel for the qdisc the profile picks
		ip link add eth0 type veth peer name eth0-p && ip link set eth0 up
		mkdir -p /etc/tunekit
		before=$(state_hash)
		try() { # try LABEL [ENV=VALUE...]: every optimize path, each must be 2
			local label=$1 args rc
			shift
			for args in "" "-n" "--json" "-n --json"; do
				rc=0
				# shellcheck disable=SC2086
				env "$@" nettune optimize -p throughput $args >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || rc=$?
				echo "$label [$args] rc=$rc"
				[ "$(state_hash)" = "$before" ] || echo "$label [$args]: CHANGED"
			done
			sed "s/^/$label: /" "$BATS_TEST_TMPDIR/err"
		}
		printf "qdisc_ifaces = eth0\n" >/etc/tunekit/tunekit.conf
		before=$(state_hash)
		try fq
		printf "qdisc_ifaces = tk-nosuch0\n" >/etc/tunekit/tunekit.conf
		before=$(state_hash)
		try noiface
		: >/etc/tunekit/tunekit.conf
		before=$(state_hash)
		try nokey TUNEKIT_PROFILES_DIR="$P/nokey"
		try badval TUNEKIT_PROFILES_DIR="$P/badval"
		try unknown TUNEKIT_PROFILES_DIR="$P/unknown"
		echo "snapshots: $(ls /var/lib/tunekit/snapshots 2>/dev/null | wc -l)"'
	assert_success
	refute_line --partial CHANGED
	for label in fq noiface nokey badval unknown; do
		for args in "" "-n" "--json" "-n --json"; do
			assert_line "$label [$args] rc=2"
		done
	done
	assert_line --regexp '^fq: nettune-cc: .*fq is not available'
	assert_line --regexp '^fq: nettune: .*nothing changed$'
	assert_line --partial 'nokey: nettune-backup: '
	assert_line --regexp '^nokey: .*net\.ipv4\.tcp_nosuch_key'
	assert_line --regexp '^badval: .*net\.ipv4\.tcp_slow_start_after_idle'
	assert_line --regexp '^unknown: tunekit-config: .*throughput\.conf:[0-9]+: unknown key'
	assert_line "snapshots: 0"
}

@test "optimize --json: one object from the tools' applies; a second identical run changes nothing and takes no snapshot" {
	require_sandbox
	require_cmd python3
	J=$BATS_TEST_TMPDIR run "$SANDBOX" bash -c '
		nettune optimize -p throughput -n --json >"$J/dry.json" 2>/dev/null || exit 9
		echo "after dry run: $(ls /var/lib/tunekit/snapshots 2>/dev/null | wc -l) snapshots"
		nettune optimize -p throughput --json >"$J/first.json" 2>/dev/null; echo "first rc=$?"
		nettune optimize -p throughput --json >"$J/second.json" 2>/dev/null; echo "second rc=$?"
		nettune-backup list | awk "{ print \$1 }" >"$J/ids"
		tr "\t" " " </proc/sys/net/ipv4/tcp_rmem >"$J/rmem"'
	assert_success
	assert_line "after dry run: 0 snapshots"
	assert_line "first rc=0"
	assert_line "second rc=0"
	# py FILE EXPR: EXPR over the object d, strings bare, anything else repr()
	py() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); v = ($2); print(v if isinstance(v, str) else repr(v))" "$BATS_TEST_TMPDIR/$1"; }
	# the dry run and the run report the same change, once each key
	assert_equal "$(py dry.json 'd["profile"], d["dry_run"], d["snapshot"]')" "('throughput', True, None)"
	assert_equal "$(py first.json 'd["profile"], d["dry_run"]')" "('throughput', False)"
	assert_equal "$(py first.json 'd["changed"] == len(d["changes"]) > 0')" True
	assert_equal "$(py first.json 'sorted(c["key"] for c in d["changes"])')" "$(py dry.json 'sorted(c["key"] for c in d["changes"])')"
	assert_equal "$(py first.json 'len(set(c["key"] for c in d["changes"])) == len(d["changes"])')" True
	assert_equal "$(py first.json 'next(c["new"] for c in d["changes"] if c["key"] == "net.ipv4.tcp_rmem")')" "$(cat "$BATS_TEST_TMPDIR/rmem")"
	assert_equal "$(py first.json 'd["snapshot"]')" "$(head -n 1 "$BATS_TEST_TMPDIR/ids")"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/ids")" 1
	assert_equal "$(py second.json 'd["changed"], d["snapshot"], d["changes"], d["dry_run"]')" "(0, None, [], False)"
}

@test "restore brings back the recorded profile with the keys: check agrees with config, exit 0" {
	require_sandbox
	run "$SANDBOX" bash -c '
		nettune optimize -p throughput >/dev/null 2>&1 || exit 9
		nettune restore >/dev/null 2>"$BATS_TEST_TMPDIR/restore.err" || exit 9
		test -e /var/lib/tunekit/profile && echo "recorded: $(cat /var/lib/tunekit/profile)"
		nettune check; echo "check after one restore rc=$?"
		nettune config | grep "^profile="
		# two changes, one restore: back to the first profile and its keys
		nettune optimize -p latency >/dev/null 2>&1 || exit 9
		nettune optimize -p throughput >/dev/null 2>&1 || exit 9
		nettune restore >/dev/null 2>>"$BATS_TEST_TMPDIR/restore.err" || exit 9
		echo "recorded: $(cat /var/lib/tunekit/profile)"
		echo "lowat: $(cat /proc/sys/net/ipv4/tcp_notsent_lowat)"
		nettune check; echo "check after the second restore rc=$?"'
	assert_success
	refute_line --partial "recorded: throughput"
	assert_line "check after one restore rc=0"
	assert_line "profile=balanced"
	assert_line "recorded: latency"
	assert_line "lowat: 131072"
	assert_line "check after the second restore rc=0"
	run cat "$BATS_TEST_TMPDIR/restore.err"
	assert_line "nettune: no profile recorded now: nettune check compares the persisted keys only"
	assert_line "nettune: recorded profile now: latency"
}

@test "analyze: what will not hold after a reboot (tunekit-bootlint), in the text and in --json" {
	require_sandbox
	require_cmd python3
	out=$BATS_TEST_TMPDIR/analyze.json
	run "$SANDBOX" bash -c '
		nettune analyze | sed -n "/^== boot\$/,/^\$/p"
		nettune optimize -p balanced >/dev/null 2>&1 || exit 9
		echo "net.ipv4.tcp_slow_start_after_idle = 1" >/etc/sysctl.d/99-local.conf
		nettune analyze | sed -n "/^== boot\$/,/^\$/p"
		nettune analyze --json >"'"$out"'"; echo "json rc=$?"'
	assert_success
	assert_line --index 0 "== boot"
	assert_line --index 1 --partial "no findings"
	assert_line "net.ipv4.tcp_slow_start_after_idle: shadowed by /etc/sysctl.d/99-local.conf:1 (value 1)"
	assert_line "json rc=0"
	assert_equal "$(pyjson "$out" '[(f["kind"], f["key"], f["file"]) for f in d["boot"]["findings"]]')" \
		'[["shadowed", "net.ipv4.tcp_slow_start_after_idle", "/etc/sysctl.d/99-local.conf"]]'
	assert_equal "$(pyjson "$out" 'd["boot"]["bpftune"]["running"]')" false
}

@test "compare: nettune compare runs tunekit-compare on two saved reports" {
	run "$NETTUNE" compare "$TUNEKIT_SRCDIR/tests/data/report-before.json" "$TUNEKIT_SRCDIR/tests/data/report-after.json"
	assert_success
	assert_line --regexp '^probe targets 127\.0\.0\.1:80 tcp median_ms +2\.000 +1\.000 '
}

@test "config: nettune config shows the effective settings" {
	run "$NETTUNE" config --profile throughput
	assert_success
	assert_line "profile=throughput"
	assert_line "rate=10gbit"
}

@test "test --save: probe + resolver benchmark in one JSON report that compare reads" {
	require_sandbox
	require_cmd dnsmasq
	require_cmd socat
	run "$SANDBOX" bash -c '
		dnsmasq -C /dev/null --no-resolv --no-hosts --bind-interfaces --listen-address 127.0.0.2 \
			--port 5353 --pid-file= --keep-in-foreground --local=/#/ 2>/dev/null &
		dns=$!
		socat TCP-LISTEN:8081,bind=127.0.0.1,fork,reuseaddr /dev/null &
		tcp=$!
		trap "kill $dns $tcp" EXIT
		for i in $(seq 600); do
			ss -Hlun "sport = :5353" | grep -q . && ss -Hltn "sport = :8081" | grep -q . && break
			sleep 0.1
		done
		mkdir -p /etc/tunekit
		printf "dns_servers = 127.0.0.2:5353\ndns_count = 5\nprobe_count = 3\n" > /etc/tunekit/tunekit.conf
		nettune test --save /tmp/before.json 127.0.0.1:8081 || exit 9
		nettune test --save /tmp/after.json 127.0.0.1:8081 || exit 9
		python3 -c "
import json
d = json.load(open(\"/tmp/before.json\"))
assert d[\"tunekit_report\"] == 1 and d[\"profile\"] == \"balanced\", d
print(\"probe:\", [r[\"method\"] for t in d[\"probe\"][\"targets\"] for r in t[\"results\"]])
print(\"dns:\", [s[\"server\"] for s in d[\"dns\"][\"servers\"]], [s[\"qualified\"] for s in d[\"dns\"][\"servers\"]])
"
		nettune compare /tmp/before.json /tmp/after.json'
	assert_success
	assert_line "probe: ['tcp']"
	assert_line "dns: ['127.0.0.2:5353'] [True]"
	assert_line --regexp '^probe targets 127\.0\.0\.1:8081 results tcp median_ms +[0-9.]+ +[0-9.]+ '
	assert_line --regexp '^dns servers 127\.0\.0\.2:5353 median_ms +[0-9.]+ +[0-9.]+ '
}

@test "optimize --dns: sysctls and the resolver change, each undone by restore" {
	require_sandbox
	require_cmd dnsmasq
	run "$SANDBOX" bash -c '
		dnsmasq -C /dev/null --no-resolv --no-hosts --bind-interfaces --listen-address 127.0.0.2 \
			--port 53 --pid-file= --keep-in-foreground --local=/#/ 2>/dev/null &
		trap "kill $!" EXIT
		for i in $(seq 600); do ss -Hlun "sport = :53" | grep -q . && break; sleep 0.1; done
		printf "search lab.example\nnameserver 192.0.2.1\n" > /etc/resolv.conf
		mkdir -p /etc/tunekit
		printf "dns_servers = 127.0.0.2\ndns_count = 5\n" > /etc/tunekit/tunekit.conf
		nettune optimize --dns >/dev/null 2>"$BATS_TEST_TMPDIR/err" || { cat "$BATS_TEST_TMPDIR/err"; exit 9; }
		echo "ssai: $(cat /proc/sys/net/ipv4/tcp_slow_start_after_idle)"
		grep -E "^(search|nameserver)" /etc/resolv.conf | sed "s/^/after: /"
		nettune restore >/dev/null 2>&1
		grep -E "^(search|nameserver)" /etc/resolv.conf | sed "s/^/restored: /"
		nettune restore >/dev/null 2>&1
		echo "ssai restored: $(cat /proc/sys/net/ipv4/tcp_slow_start_after_idle)"'
	assert_success
	assert_line "ssai: 0"
	assert_line "after: search lab.example"
	assert_line "after: nameserver 127.0.0.2"
	refute_line "after: nameserver 192.0.2.1"
	assert_line "restored: nameserver 192.0.2.1"
	assert_line "ssai restored: 1"
}

# --- hostile users and hostile configuration -------------------------------------

# stub_tools DIR: nettune and stubs of the tools it runs, side by side in DIR.
# Each stub records its arguments, one a line, in DIR/NAME.args, writes a
# metric of its own (stub_metric{tool="NAME"}) to the file after --prom (or
# to stdout for a bare --prom), and prints {} for --json.
stub_tools() {
	local dir=$1 name
	mkdir -p "$dir"
	cp "$NETTUNE" "$dir/nettune"
	for name in nettune-dns nettune-probe nettune-backup nettune-buffers nettune-cc nettune-queues nettune-iface; do
		cat >"$dir/$name" <<'STUB'
#!/bin/sh
printf '%s\n' "$@" >"${0}.args"
json=''
while [ $# -gt 0 ]; do
	case $1 in
	--prom)
		case ${2--} in
		-*) echo "stub_metric{tool=\"${0##*/}\"} 1" ;;
		*) echo "stub_metric{tool=\"${0##*/}\"} 1" >"$2" ;;
		esac
		;;
	--json) json=1 ;;
	esac
	shift
done
[ -z "$json" ] || echo '{}'
exit 0
STUB
		chmod 755 "$dir/$name"
	done
}

# shared_dir: a world-writable sticky directory (like /tmp) that nobody can reach
shared_dir() {
	require_root
	require_cmd setpriv
	require_cmd unshare
	ADV=$(mktemp -d /tmp/nettune-adv.XXXXXX)
	chmod 755 "$ADV"
	mkdir -m 1777 "$ADV/share"
	printf 'precious\n' >"$ADV/victim"
	chmod 644 "$ADV/victim"
}

teardown() {
	[ -z "${ADV:-}" ] || rm -rf "$ADV"
}

# as_nobody CMD...: run CMD as the hostile local user
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# plant_links PREFIX: as nobody, symlinks PREFIX1 .. PREFIX400 -> the victim
# (nettune runs in a new PID namespace below, so its PID is among them)
plant_links() {
	as_nobody sh -c 'i=1; while [ $i -le 400 ]; do ln -s "$2" "$1$i"; i=$((i + 1)); done' _ "$1" "$ADV/victim"
}

@test "test --save: symlinks nobody plants at the temp names never redirect root's write" {
	shared_dir
	stub_tools "$ADV/bin"
	mkdir -p "$ADV/root/etc/tunekit"
	plant_links "$ADV/share/report.json.tmp."
	TUNEKIT_ROOT=$ADV/root PATH=$TUNEKIT_BUILDDIR:$PATH run unshare --pid --fork "$ADV/bin/nettune" test --save "$ADV/share/report.json"
	assert_success
	assert_equal "$(cat "$ADV/victim")" "precious"
	[ -f "$ADV/share/report.json" ] && [ ! -L "$ADV/share/report.json" ] || fail "report.json is not a regular file"
	grep -q '"tunekit_report":1' "$ADV/share/report.json" || fail "no report in report.json"
	assert_equal "$(stat -c '%a %U' "$ADV/share/report.json")" "644 root"
	assert_equal "$(find "$ADV/share" -name '.report.json.*' | wc -l)" 0
}

@test "test --save and check --prom: a symlink at FILE itself is refused, its target untouched" {
	shared_dir
	stub_tools "$ADV/bin"
	mkdir -p "$ADV/root/etc/tunekit"
	as_nobody ln -s "$ADV/victim" "$ADV/share/report.json"
	as_nobody ln -s "$ADV/victim" "$ADV/share/tk.prom"
	as_nobody mkfifo "$ADV/share/fifo.prom"
	TUNEKIT_ROOT=$ADV/root PATH=$TUNEKIT_BUILDDIR:$PATH run "$ADV/bin/nettune" test --save "$ADV/share/report.json"
	assert_failure 1
	assert_output --partial "nettune: $ADV/share/report.json: not a regular file; not replaced"
	TUNEKIT_ROOT=$ADV/root PATH=$TUNEKIT_BUILDDIR:$PATH run "$ADV/bin/nettune" check --prom "$ADV/share/tk.prom"
	assert_failure 1
	assert_output --partial "tk.prom: not a regular file"
	TUNEKIT_ROOT=$ADV/root PATH=$TUNEKIT_BUILDDIR:$PATH run timeout 20 "$ADV/bin/nettune" check --prom "$ADV/share/fifo.prom"
	assert_failure 1
	assert_equal "$(cat "$ADV/victim")" "precious"
	[ -L "$ADV/share/report.json" ] && [ -L "$ADV/share/tk.prom" ] && [ -p "$ADV/share/fifo.prom" ] || fail "a planted file was replaced"
}

@test "check --prom: symlinks nobody plants at the temp names never redirect root's write; mode kept" {
	shared_dir
	stub_tools "$ADV/bin"
	mkdir -p "$ADV/root/etc/tunekit"
	plant_links "$ADV/share/tk.prom.tmp."
	TUNEKIT_ROOT=$ADV/root PATH=$TUNEKIT_BUILDDIR:$PATH run unshare --pid --fork "$ADV/bin/nettune" check --prom "$ADV/share/tk.prom"
	assert_success
	assert_equal "$(cat "$ADV/victim")" "precious"
	# nothing recorded under this root: only nettune-backup check runs
	run grep -c -e '^stub_metric{tool="nettune-backup"} 1$' -e '^tunekit_check_status 0$' "$ADV/share/tk.prom"
	assert_output 2
	assert_equal "$(stat -c %a "$ADV/share/tk.prom")" 644
	# a file root made private stays private when replaced
	chmod 600 "$ADV/share/tk.prom"
	TUNEKIT_ROOT=$ADV/root PATH=$TUNEKIT_BUILDDIR:$PATH run "$ADV/bin/nettune" check --prom "$ADV/share/tk.prom"
	assert_success
	assert_equal "$(stat -c %a "$ADV/share/tk.prom")" 600
}

@test "optimize: the applied profile is recorded without following planted symlinks" {
	shared_dir
	stub_tools "$ADV/bin"
	mkdir -p "$ADV/share/var/lib" "$ADV/share/etc/tunekit"
	mkdir -m 1777 "$ADV/share/var/lib/tunekit"
	plant_links "$ADV/share/var/lib/tunekit/profile.tmp."
	PATH=$TUNEKIT_BUILDDIR:$PATH run unshare --pid --fork "$ADV/bin/nettune" optimize --profile latency --root "$ADV/share"
	assert_success
	assert_equal "$(cat "$ADV/victim")" "precious"
	assert_equal "$(cat "$ADV/share/var/lib/tunekit/profile")" "latency"
	[ ! -L "$ADV/share/var/lib/tunekit/profile" ] || fail "profile is a symlink"
}

@test "test: lists from tunekit.conf are passed literally, never globbed in the current directory" {
	dir=$BATS_TEST_TMPDIR/bin root=$BATS_TEST_TMPDIR/root cwd=$BATS_TEST_TMPDIR/cwd
	stub_tools "$dir"
	mkdir -p "$root/etc/tunekit" "$cwd"
	touch "$cwd/a" "$cwd/b:80" "$cwd/1:53" "$cwd/::53" "$cwd/x"
	printf 'dns_servers = 127.0.0.1 [a] [::1]:53,127.0.0.2\nprobe_targets = [b]:80\n' >"$root/etc/tunekit/tunekit.conf"
	cd "$cwd"
	TUNEKIT_ROOT=$root PATH=$TUNEKIT_BUILDDIR:$PATH run "$dir/nettune" test
	assert_success
	run cat "$dir/nettune-dns.args"
	assert_output "$(printf '%s\n' bench --json -- 127.0.0.1 '[a]' '[::1]:53' 127.0.0.2)"
	run cat "$dir/nettune-probe.args"
	assert_output "$(printf '%s\n' --json -- '[b]:80')"
	# targets on the command line stay one word each, globs and blanks included
	TUNEKIT_ROOT=$root PATH=$TUNEKIT_BUILDDIR:$PATH run "$dir/nettune" test '[a]' 'x y' '*'
	assert_success
	run cat "$dir/nettune-probe.args"
	assert_output "$(printf '%s\n' --json -- '[a]' 'x y' '*')"
	# and so do interface names for nettune-iface
	PATH=$TUNEKIT_BUILDDIR:$PATH run "$dir/nettune" analyze -a -i '[a]' -i '*'
	run cat "$dir/nettune-iface.args"
	assert_output "$(printf '%s\n' -a -i '[a]' -i '*')"
}

@test "test and optimize --dns: '*' and '?' in dns_servers are refused (exit 2), nothing run" {
	dir=$BATS_TEST_TMPDIR/bin root=$BATS_TEST_TMPDIR/root cwd=$BATS_TEST_TMPDIR/cwd
	stub_tools "$dir"
	mkdir -p "$root/etc/tunekit" "$cwd"
	touch "$cwd/a" "$cwd/b"
	cd "$cwd"
	for v in '127.0.0.1 *' '127.0.0.1 ?'; do
		printf 'dns_servers = %s\n' "$v" >"$root/etc/tunekit/tunekit.conf"
		TUNEKIT_ROOT=$root PATH=$TUNEKIT_BUILDDIR:$PATH run "$dir/nettune" test
		assert_failure 2
		assert_output --partial "tunekit.conf:1: not a list of HOST[:PORT]"
		PATH=$TUNEKIT_BUILDDIR:$PATH run "$dir/nettune" optimize --dns --root "$root"
		assert_failure 2
	done
	[ ! -e "$dir/nettune-dns.args" ] || fail "nettune-dns ran with: $(cat "$dir/nettune-dns.args")"
	[ ! -e "$dir/nettune-backup.args" ] || fail "nettune-backup ran"
}

@test "optimize --dns: the servers reach nettune-dns apply literally" {
	dir=$BATS_TEST_TMPDIR/bin root=$BATS_TEST_TMPDIR/root cwd=$BATS_TEST_TMPDIR/cwd
	stub_tools "$dir"
	mkdir -p "$root/etc/tunekit" "$cwd"
	touch "$cwd/a" "$cwd/1:53"
	printf 'dns_servers = [a] [::1]:53\n' >"$root/etc/tunekit/tunekit.conf"
	cd "$cwd"
	PATH=$TUNEKIT_BUILDDIR:$PATH run "$dir/nettune" optimize --dns -n --root "$root"
	assert_success
	run cat "$dir/nettune-dns.args"
	assert_output "$(printf '%s\n' apply -n --root "$root" -- '[a]' '[::1]:53')"
}

@test "optimize: a step that fails after the keys were applied is exit 1, naming what was applied and what was not" {
	dir=$BATS_TEST_TMPDIR/bin root=$BATS_TEST_TMPDIR/root
	stub_tools "$dir"
	mkdir -p "$root/etc/tunekit"
	printf 'qdisc_ifaces = eth0\n' >"$root/etc/tunekit/tunekit.conf"
	# nettune-cc: every call logged; its dry run passes, its apply fails
	cat >"$dir/nettune-cc" <<'STUB'
#!/bin/sh
echo "$*" >>"${0}.calls"
case " $* " in
*" -n "*) exit 0 ;;
*" apply "*) echo "nettune-cc: eth0: the qdisc went away" >&2; exit 1 ;;
esac
exit 0
STUB
	printf '#!/bin/sh\necho "$*" >>"${0}.calls"\ncase " $* " in *" --json "*) echo %s ;; esac\n' \
		"'{\"changed\":1,\"snapshot\":\"20261201-000000-001\",\"dry_run\":false,\"changes\":[{\"key\":\"k\",\"old\":\"0\",\"new\":\"1\"}]}'" \
		>"$dir/nettune-backup"
	PATH=$TUNEKIT_BUILDDIR:$PATH run --separate-stderr "$dir/nettune" optimize --json --root "$root"
	assert_failure 1
	[[ $stderr == *"nettune: applied: the sysctls of profile balanced; NOT applied: the root qdisc of eth0 (nettune-cc apply: exit 1); undo with: nettune restore"* ]] ||
		fail "stderr: $stderr"
	assert_output '{"profile":"balanced","changed":1,"snapshot":"20261201-000000-001","dry_run":false,"changes":[{"key":"k","old":"0","new":"1"}]}'
	assert_equal "$(cat "$root/var/lib/tunekit/profile")" balanced
	# validation ran first, for both, before the first change
	run cat "$dir/nettune-backup.calls"
	assert_line --index 0 --regexp '^apply -n --skip-read-only --json --root '
	assert_line --index 1 --regexp '^apply --skip-read-only --json --root '
	run grep -n apply "$dir/nettune-cc.calls"
	assert_line --index 0 --regexp '^[0-9]+:apply -n --profile balanced --qdisc-ifaces eth0 --json --root '
	assert_line --index 1 --regexp '^[0-9]+:apply --profile balanced --qdisc-ifaces eth0 --json --root '
	# and when the dry run refuses, the keys are never applied: exit 2
	rm -f "$dir"/*.calls
	sed -i 's/^\*" -n "\*) exit 0 ;;/*" -n "*) echo "nettune-cc: no fq" >\&2; exit 2 ;;/' "$dir/nettune-cc"
	PATH=$TUNEKIT_BUILDDIR:$PATH run --separate-stderr "$dir/nettune" optimize --root "$root"
	assert_failure 2
	[[ $stderr == *"nettune-cc: no fq"*"nettune: qdisc: invalid or impossible here; nothing changed"* ]] || fail "stderr: $stderr"
	run grep -c -- '-n' "$dir/nettune-backup.calls"
	assert_output 1
	run wc -l <"$dir/nettune-backup.calls"
	assert_output 1
}
