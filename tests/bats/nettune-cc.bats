#!/usr/bin/env bats
# nettune-cc: congestion control, qdisc choice, root qdisc replacement.

load helpers
load tuners-helpers

setup() {
	tuners_fake "$BATS_TEST_TMPDIR"
}

@test "cc: --help names every command and option; --version; bad input exits 2" {
	run nettune-cc --help
	assert_success
	for w in show recommend apply check --profile --cc --qdisc --qdisc-ifaces --sockets --explain --json --prom --dry-run --root; do
		assert_output --partial -- "$w"
	done
	run nettune-cc --version
	assert_output --regexp '^nettune-cc from tunekit '
	run nettune-cc --profile fastest recommend
	assert_failure 2
	run nettune-cc --qdisc 'f q' recommend
	assert_failure 2
	run nettune-cc --qdisc-ifaces eth0 recommend
	assert_failure 2
	assert_output --partial "--qdisc-ifaces is for apply"
}

@test "cc recommend: BBR; without fq it says so, explains BBR paces itself, leaves default_qdisc" {
	run --separate-stderr nettune-cc recommend
	assert_success
	assert_output "net.ipv4.tcp_congestion_control = bbr
net.ipv4.tcp_mtu_probing = 1
net.ipv4.tcp_no_metrics_save = 1
net.ipv4.tcp_slow_start_after_idle = 0
net.ipv4.tcp_window_scaling = 1"
	[[ "$stderr" == *"qdisc fq is not available in this kernel"* ]]
	[[ "$stderr" == *"TCP paces BBR flows itself"* ]]
}

@test "cc recommend: fq where the kernel has sch_fq (modules.builtin under --root)" {
	mkdir -p "$TUNEKIT_ROOT/lib/modules/$(uname -r)"
	echo kernel/net/sched/sch_fq.ko >"$TUNEKIT_ROOT/lib/modules/$(uname -r)/modules.builtin"
	run --separate-stderr nettune-cc recommend
	assert_success
	assert_line "net.core.default_qdisc = fq"
	assert_line "net.ipv4.tcp_congestion_control = bbr"
	[[ "$stderr" != *"not available"* ]]
}

@test "cc recommend: CUBIC when bbr is not in the kernel; latency profile picks fq_codel and notsent_lowat" {
	echo 'reno cubic' >"$TUNEKIT_PROC/sys/net/ipv4/tcp_available_congestion_control"
	mkdir -p "$TUNEKIT_ROOT/lib/modules/$(uname -r)"
	echo 'kernel/net/sched/sch_fq_codel.ko.zst: ' >"$TUNEKIT_ROOT/lib/modules/$(uname -r)/modules.dep"
	run --separate-stderr nettune-cc recommend --profile latency
	assert_success
	assert_line "net.ipv4.tcp_congestion_control = cubic"
	assert_line "net.core.default_qdisc = fq_codel"
	assert_line "net.ipv4.tcp_no_metrics_save = 0"
	assert_line "net.ipv4.tcp_notsent_lowat = 131072"
	[[ "$stderr" == *"bbr is not available in this kernel"* ]]
	run --separate-stderr nettune-cc recommend --profile throughput
	refute_line --partial default_qdisc
	assert_line "net.ipv4.tcp_no_metrics_save = 1"
}

@test "cc recommend --cc: an algorithm the kernel lacks is a usage error" {
	run --separate-stderr nettune-cc recommend --cc vegas
	assert_failure 2
	assert_output ""
	[[ "$stderr" == *"congestion control 'vegas' is not available in this kernel (reno cubic bbr)"* ]]
}

@test "cc check: exit 3 on drift, json and prom forms" {
	run --separate-stderr nettune-cc check
	assert_failure 3
	assert_line "net.ipv4.tcp_congestion_control: cubic -> bbr"
	[ -z "$stderr" ]
	run --separate-stderr nettune-cc check --json
	assert_failure 3
	run python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["tool"], d["drift"], d["ok"])' <<<"$output"
	assert_output "nettune-cc 4 False"
}

@test "cc apply against a fake /proc: default_qdisc (not per netns) is written and persisted" {
	require_root
	run --separate-stderr nettune-cc apply --qdisc pfifo
	assert_success
	assert_line "net.core.default_qdisc: pfifo_fast -> pfifo"
	assert_line "net.ipv4.tcp_congestion_control: cubic -> bbr"
	[ "$(fake_value net.core.default_qdisc)" = pfifo ]
	run --separate-stderr nettune-cc check --qdisc pfifo
	assert_success
}

@test "cc show: algorithms, default_qdisc, root qdisc of each interface (sandbox)" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox 'sandbox_veth tkc0 10.200.2.1/24 10.200.2.2/24 && tc qdisc replace dev tkc0 root pfifo_fast && nettune-cc show'
	assert_success
	assert_line --regexp '^available .*bbr'
	assert_line --regexp '^allowed '
	assert_line "qdisc lo noqueue"
	assert_line "qdisc tkc0 pfifo_fast"
}

@test "cc show --sockets: the algorithm each connection uses, from sock_diag" {
	require_sandbox
	require_tcp_flow
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox "echo bbr > /proc/sys/net/ipv4/tcp_congestion_control
		'$TCP_FLOW' sink 127.0.0.1 5002 30 >/dev/null &
		wait_listening 5002
		'$TCP_FLOW' source 127.0.0.1 5002 30 reno &
		wait_established 5002
		nettune-cc show --sockets
		nettune-cc show --json > /tmp/cc.json
		stop_jobs
		python3 -c 'import json; d=json.load(open(\"/tmp/cc.json\")); print(\"json\", d[\"connections\"])'"
	assert_success
	assert_line "connections bbr 1"
	assert_line "connections reno 1"
	assert_line --regexp '^socket 127\.0\.0\.1:[0-9]+ 127\.0\.0\.1:5002 ESTAB reno$'
	assert_line --regexp '^socket 127\.0\.0\.1:5002 127\.0\.0\.1:[0-9]+ ESTAB bbr$'
	assert_line "json {'bbr': 1, 'reno': 1}"
}

@test "cc apply --qdisc-ifaces: sysctls and the root qdisc change in one transaction (tc sees it)" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox 'sandbox_veth tkc0 10.200.2.1/24 10.200.2.2/24
		tc qdisc replace dev tkc0 root pfifo_fast
		nettune-cc apply --profile latency --qdisc pfifo --qdisc-ifaces tkc0
		tc qdisc show dev tkc0
		cat /proc/sys/net/ipv4/tcp_slow_start_after_idle /proc/sys/net/ipv4/tcp_notsent_lowat
		grep -c "^net" /etc/sysctl.d/90-tunekit.conf'
	assert_success
	assert_line "qdisc dev tkc0: pfifo_fast -> pfifo"
	assert_line "net.ipv4.tcp_slow_start_after_idle: 1 -> 0"
	assert_line --regexp '^qdisc pfifo [0-9a-f]+: root '
	assert_line 0
	assert_line 131072
	assert_line 6
}

@test "cc apply: an unknown qdisc kind is refused before anything changes, dry run alike" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox_plain 'sandbox_veth tkc0 10.200.2.1/24 10.200.2.2/24
		tc qdisc replace dev tkc0 root pfifo_fast
		before=$(tc qdisc show dev tkc0)
		nettune-cc apply -n --profile throughput --qdisc nosuchq --qdisc-ifaces tkc0; echo "dry=$?"
		nettune-cc apply --profile throughput --qdisc nosuchq --qdisc-ifaces tkc0; echo "rc=$?"
		nettune-cc apply -n --qdisc fq; echo "fq-dry=$?"
		[ "$(tc qdisc show dev tkc0)" = "$before" ] && echo qdisc-unchanged
		cat /proc/sys/net/ipv4/tcp_slow_start_after_idle /proc/sys/net/ipv4/tcp_no_metrics_save
		test -e /etc/sysctl.d/90-tunekit.conf || echo not-persisted
		ls /var/lib/tunekit/snapshots 2>/dev/null | wc -l'
	assert_line "dry=2"
	assert_line "rc=2"
	# fq is not in this kernel (doc/platform-notes.md): the dry run asks the kernel too
	assert_line "fq-dry=2"
	assert_line qdisc-unchanged
	assert_line 1
	assert_line 0
	assert_line not-persisted
	refute_line --partial -- "->"
	[[ "$stderr" == *"qdisc nosuchq is not available in this kernel; nothing changed"* ]]
	[[ "$stderr" == *"qdisc fq is not available in this kernel; nothing changed"* ]]
}

@test "cc apply: a replacement the kernel refuses mid-transaction puts qdiscs and sysctls back" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	# mq is a known kind; tkc0 (a veth with a queue per CPU) takes it, the
	# single-queue tko0 cannot (EOPNOTSUPP): tkc0 must get pfifo_fast back
	run --separate-stderr in_sandbox_plain "$SHAPE_FUNCS"'
		sandbox_veth tkc0 10.200.2.1/24 10.200.2.2/24; veth_down tko0 1
		tc qdisc replace dev tkc0 root pfifo_fast; tc qdisc replace dev tko0 root pfifo_fast
		before=$(tc qdisc show dev tkc0; tc qdisc show dev tko0)
		nettune-cc apply --profile throughput --qdisc mq --qdisc-ifaces tkc0,tko0; echo "rc=$?"
		[ "$(tc qdisc show dev tkc0; tc qdisc show dev tko0)" = "$before" ] && echo qdisc-unchanged
		cat /proc/sys/net/ipv4/tcp_slow_start_after_idle /proc/sys/net/ipv4/tcp_no_metrics_save
		test -e /etc/sysctl.d/90-tunekit.conf || echo not-persisted'
	assert_line "rc=1"
	assert_line qdisc-unchanged
	assert_line 1
	assert_line 0
	assert_line not-persisted
	refute_line --partial -- "->"
	[[ "$stderr" == *"qdisc dev tko0: cannot replace the root qdisc with mq"* ]]
}

@test "cc apply: a named htb or tbf shaping setup is refused (exit 2), tree and sysctls unchanged" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox_plain "$SHAPE_FUNCS"'
		shape_htb tkh0; shape_tbf tkt0
		h=$(tc_tree tkh0); t=$(tc_tree tkt0)
		nettune-cc apply --qdisc pfifo --qdisc-ifaces tkh0; echo "htb=$?"
		nettune-cc apply -n --qdisc pfifo --qdisc-ifaces tkh0; echo "htb-dry=$?"
		nettune-cc apply --qdisc pfifo --qdisc-ifaces tkt0; echo "tbf=$?"
		nettune-cc apply --qdisc pfifo --qdisc-ifaces lo,tkt0; echo "lo-tbf=$?"
		[ "$(tc_tree tkh0)" = "$h" ] && echo htb-unchanged
		[ "$(tc_tree tkt0)" = "$t" ] && echo tbf-unchanged
		tc class show dev tkh0 | wc -l; tc filter show dev tkh0 | grep -c flowid
		cat /proc/sys/net/ipv4/tcp_slow_start_after_idle
		test -e /etc/sysctl.d/90-tunekit.conf || echo not-persisted'
	assert_line "htb=2"
	assert_line "htb-dry=2"
	assert_line "tbf=2"
	assert_line "lo-tbf=2"
	assert_line htb-unchanged
	assert_line tbf-unchanged
	assert_line 3
	assert_line 1
	assert_line not-persisted
	refute_line --partial -- "->"
	[[ "$stderr" == *"nettune-cc: tkh0: root qdisc htb (3 classes, 1 filter) is a shaping setup; tunekit does not replace it"* ]]
	[[ "$stderr" == *"nettune-cc: tkt0: root qdisc tbf (1 class) is a shaping setup; tunekit does not replace it"* ]]
	[[ "$stderr" == *"nothing changed"* ]]
}

@test "cc apply: with every sysctl already set, a shaping setup is still refused and no change is reported" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox_plain "$SHAPE_FUNCS"'
		shape_htb tkh0
		h=$(tc_tree tkh0)
		nettune-cc apply -q --qdisc pfifo >/dev/null || echo first-apply-failed
		nettune-cc apply --qdisc pfifo --qdisc-ifaces tkh0; echo "rc=$?"
		[ "$(tc_tree tkh0)" = "$h" ] && echo htb-unchanged'
	assert_line "rc=2"
	assert_line htb-unchanged
	refute_line first-apply-failed
	refute_line --partial "htb -> pfifo"
}

@test "cc apply: mq with a tbf below it is a shaping setup too" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox_plain "$SHAPE_FUNCS"'
		shape_mq tkm0
		m=$(tc_tree tkm0)
		nettune-cc apply --qdisc pfifo --qdisc-ifaces tkm0; echo "rc=$?"
		[ "$(tc_tree tkm0)" = "$m" ] && echo mq-unchanged'
	assert_line "rc=2"
	assert_line mq-unchanged
	[[ "$stderr" == *"tkm0: root qdisc mq holds tbf below it, a shaping setup; tunekit does not replace it"* ]]
}

@test "cc apply --qdisc-ifaces all: shaping setups left alone with a note, the rest replaced" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox_plain "$SHAPE_FUNCS"'
		shape_htb tkh0; shape_tbf tkt0; veth_down tkp0
		tc qdisc replace dev tkp0 root pfifo_fast
		h=$(tc_tree tkh0); t=$(tc_tree tkt0)
		nettune-cc apply -n --qdisc pfifo --qdisc-ifaces all; echo "dry=$?"
		tc qdisc show dev tkp0 | cut -d" " -f2
		nettune-cc apply --qdisc pfifo --qdisc-ifaces all; echo "rc=$?"
		[ "$(tc_tree tkh0)" = "$h" ] && echo htb-unchanged
		[ "$(tc_tree tkt0)" = "$t" ] && echo tbf-unchanged
		tc qdisc show dev tkp0 | cut -d" " -f2
		tc qdisc show dev lo | cut -d" " -f2
		nettune-cc apply --qdisc pfifo --qdisc-ifaces all; echo "again=$?"
		nettune-cc apply --qdisc pfifo --qdisc-ifaces all,lo; echo "mixed=$?"'
	assert_line "dry=0"
	assert_line "rc=0"
	assert_line "again=0"
	assert_line "mixed=2"
	assert_line "qdisc dev tkp0: pfifo_fast -> pfifo (dry run)"
	assert_line "qdisc dev tkp0: pfifo_fast -> pfifo"
	assert_line htb-unchanged
	assert_line tbf-unchanged
	assert_line pfifo_fast
	assert_line pfifo
	assert_line noqueue
	refute_line --partial "htb ->"
	refute_line --partial "tbf ->"
	refute_line --partial "pfifo -> pfifo"
	[ "$(grep -c 'qdisc dev' <<<"$output")" -eq 2 ]
	[[ "$stderr" == *"tkh0: root qdisc htb (3 classes, 1 filter) is a shaping setup; left alone"* ]]
	[[ "$stderr" == *"tkt0: root qdisc tbf (1 class) is a shaping setup; left alone"* ]]
}

@test "cc apply: with every sysctl already set the root qdisc is still replaced, and only a real change is reported" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox_plain 'sandbox_veth tkc0 10.200.2.1/24 10.200.2.2/24
		tc qdisc replace dev tkc0 root pfifo_fast
		nettune-cc apply -q --qdisc pfifo >/dev/null || echo first-apply-failed
		nettune-cc apply --qdisc pfifo --qdisc-ifaces tkc0; echo "rc=$?"
		tc qdisc show dev tkc0 | cut -d" " -f2
		nettune-cc apply --qdisc pfifo --qdisc-ifaces tkc0; echo "again=$?"'
	assert_line "rc=0"
	assert_line "again=0"
	refute_line first-apply-failed
	assert_line pfifo
	[ "$(grep -c '^qdisc dev tkc0: pfifo_fast -> pfifo$' <<<"$output")" -eq 1 ]
	refute_line --partial "pfifo -> pfifo"
}

@test "cc apply: the qdisc step alone runs in the transaction (lock, snapshot); --json names qdisc/IFACE; then nothing to change" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox_plain 'sandbox_veth tkc0 10.200.2.1/24 10.200.2.2/24
		tc qdisc replace dev tkc0 root pfifo_fast
		nettune-cc apply -q --qdisc pfifo >/dev/null || echo first-apply-failed
		echo "snaps=$(ls /var/lib/tunekit/snapshots | grep -c "^[0-9]")"
		nettune-cc apply -n --json --qdisc pfifo --qdisc-ifaces tkc0; echo "dry=$?"
		nettune-cc apply --json --qdisc pfifo --qdisc-ifaces tkc0; echo "rc=$?"
		echo "snaps=$(ls /var/lib/tunekit/snapshots | grep -c "^[0-9]")"
		tc qdisc show dev tkc0 | cut -d" " -f2
		nettune-cc apply --json --qdisc pfifo --qdisc-ifaces tkc0; echo "again=$?"
		echo "snaps=$(ls /var/lib/tunekit/snapshots | grep -c "^[0-9]")"
		# the step waits for the lock like every change: held elsewhere, it gives up
		tc qdisc replace dev tkc0 root pfifo_fast
		flock /run/tunekit/lock sleep 3 & sleep 0.5
		TUNEKIT_LOCK_TIMEOUT=1 nettune-cc apply --qdisc pfifo --qdisc-ifaces tkc0; echo "locked=$?"
		tc qdisc show dev tkc0 | cut -d" " -f2
		wait'
	refute_line first-apply-failed
	assert_line "snaps=1"
	assert_line --regexp '^\{"changed":1,"snapshot":null,"dry_run":true,"changes":\[\{"key":"qdisc/tkc0","old":"pfifo_fast","new":"pfifo"\}\]\}$'
	assert_line "dry=0"
	assert_line --regexp '^\{"changed":1,"snapshot":"[0-9-]+","dry_run":false,"changes":\[\{"key":"qdisc/tkc0","old":"pfifo_fast","new":"pfifo"\}\]\}$'
	assert_line "rc=0"
	assert_line "snaps=2"
	assert_line '{"changed":0,"snapshot":null,"dry_run":false,"changes":[]}'
	assert_line "again=0"
	refute_line "snaps=3"
	assert_line "locked=1"
	assert_line pfifo_fast
	[[ "$stderr" == *"is held by PID"* ]]
}

@test "cc apply: a missing interface is a usage error before anything changes" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox_plain 'nettune-cc apply --qdisc pfifo --qdisc-ifaces lo,nosuch0; echo "rc=$?"; cat /proc/sys/net/ipv4/tcp_slow_start_after_idle; tc qdisc show dev lo'
	assert_line "rc=2"
	assert_line 1
	assert_line --partial "qdisc noqueue 0: root"
	[[ "$stderr" == *"nosuch0: no such interface; nothing changed"* ]]
}

@test "cc apply: an algorithm not allowed in the namespace is reported as EPERM plainly" {
	require_sandbox
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox_plain 'echo reno > /proc/sys/net/ipv4/tcp_congestion_control
		allowed=$(cat /proc/sys/net/ipv4/tcp_allowed_congestion_control)
		case " $allowed " in *" cubic "*) echo "cubic-allowed"; exit 0;; esac
		nettune-cc apply --cc cubic; echo "rc=$?"
		cat /proc/sys/net/ipv4/tcp_congestion_control /proc/sys/net/ipv4/tcp_slow_start_after_idle'
	[[ "$output" == *cubic-allowed* ]] && skip "cubic is allowed on this host"
	assert_line "rc=1"
	assert_line reno
	assert_line 1
	[[ "$stderr" == *"the kernel refused the algorithm (EPERM)"*"tcp_allowed_congestion_control"* ]]
}

@test "cc recommend | sysctl -p -: the lines are what sysctl(8) reads (sandbox)" {
	require_sandbox
	require_cmd sysctl
	unset TUNEKIT_PROC TUNEKIT_ROOT
	run --separate-stderr in_sandbox 'nettune-cc recommend --profile latency 2>/dev/null | sysctl -q -p - && cat /proc/sys/net/ipv4/tcp_notsent_lowat /proc/sys/net/ipv4/tcp_mtu_probing && nettune-cc check --profile latency >/dev/null && echo check-ok'
	assert_success
	assert_line 131072
	assert_line 1
	assert_line check-ok
}
