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
	assert_equal "$(pyjson "$out" 'sorted(k for k in d if d[k] is not None and k != "dns")')" '["buffers", "cc", "iface", "queues"]'
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
	man=$TUNEKIT_SRCDIR/man/nettune.1
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
		echo "snapshots: $(ls /var/lib/tunekit/snapshots | wc -l)"
		grep -c "^net\." /etc/sysctl.d/90-tunekit.conf | sed "s/^/persisted: /"
		nettune check && echo "check: clean"
		nettune optimize --profile latency >/dev/null 2>&1
		echo "snapshots after a second run: $(ls /var/lib/tunekit/snapshots | wc -l)"
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

@test "check: exit 3 and one line per drifted key; --prom writes one textfile" {
	require_sandbox
	run "$SANDBOX" bash -c '
		nettune optimize --profile balanced >/dev/null 2>&1 || exit 9
		echo 1 > /proc/sys/net/ipv4/tcp_slow_start_after_idle
		nettune check --prom /tmp/tk.prom; echo "rc=$?"
		grep -E "^tunekit_(sysctl_drift\{key=\"net.ipv4.tcp_slow_start_after_idle\"\}|check_status)" /tmp/tk.prom'
	assert_line "rc=3"
	assert_line "net.ipv4.tcp_slow_start_after_idle: 0 -> 1"
	assert_line 'tunekit_sysctl_drift{key="net.ipv4.tcp_slow_start_after_idle"} 1'
	assert_line "tunekit_check_status 3"
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
# metric to the file after --prom (or to stdout for a bare --prom), and
# prints {} for --json.
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
		-*) echo "stub_metric 1" ;;
		*) echo "stub_metric 1" >"$2" ;;
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
	assert_output --partial "tk.prom: not a regular file; not replaced"
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
	run grep -c -e '^stub_metric 1$' -e '^tunekit_check_status 0$' "$ADV/share/tk.prom"
	assert_output 5
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
