# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the nettune-buffers, nettune-cc and nettune-queues suites.

bats_require_minimum_version 1.5.0

TCP_FLOW="$TUNEKIT_BUILDDIR/tests/fixtures/tcp-flow"

# tuners_fake DIR: a fake /proc with the buffer, cc and queue sysctls at
# kernel defaults, 2 GiB of RAM and two idle CPUs; exports TUNEKIT_PROC and
# a temp --root (TUNEKIT_ROOT) under DIR.
tuners_fake() {
	local dir=$1
	fake_proc "$dir/proc" \
		net.core.rmem_max=212992 net.core.wmem_max=212992 \
		net.core.rmem_default=212992 net.core.wmem_default=212992 \
		net.ipv4.tcp_rmem=$'4096\t131072\t6291456' net.ipv4.tcp_wmem=$'4096\t16384\t4194304' \
		net.ipv4.tcp_mem=$'92160\t122880\t184320' \
		net.ipv4.tcp_moderate_rcvbuf=1 net.ipv4.tcp_window_scaling=1 \
		net.ipv4.tcp_adv_win_scale=1 \
		net.ipv4.tcp_available_congestion_control='reno cubic bbr' \
		net.ipv4.tcp_allowed_congestion_control='reno cubic' \
		net.ipv4.tcp_congestion_control=cubic net.core.default_qdisc=pfifo_fast \
		net.ipv4.tcp_slow_start_after_idle=1 net.ipv4.tcp_no_metrics_save=0 \
		net.ipv4.tcp_mtu_probing=0 net.ipv4.tcp_notsent_lowat=4294967295 \
		net.core.netdev_max_backlog=1000 net.core.netdev_budget=300 \
		net.core.netdev_budget_usecs=8000 net.core.dev_weight=64
	printf 'MemTotal:        2097152 kB\nMemFree:         1048576 kB\n' >"$dir/proc/meminfo"
	softnet_rows 0:100:0:0 1:200:0:0 >"$dir/proc/net/softnet_stat"
	printf '           CPU0       CPU1\n  0:         33          0   IO-APIC   2-edge      timer\n' \
		>"$dir/proc/interrupts"
	mkdir -p "$dir/root"
	export TUNEKIT_PROC="$dir/proc" TUNEKIT_ROOT="$dir/root"
}

# softnet_rows CPU:PROCESSED:DROPPED:SQUEEZED...: 15-column softnet_stat rows
softnet_rows() {
	local spec cpu p d s
	for spec in "$@"; do
		IFS=: read -r cpu p d s <<<"$spec"
		printf '%08x %08x %08x 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 %08x 00000000 00000000\n' \
			"$p" "$d" "$s" "$cpu"
	done
}

# fake_value KEY: a sysctl's value in the fake /proc (dot form)
fake_value() {
	cat "$TUNEKIT_PROC/sys/$(printf '%s' "$1" | tr . /)"
}

# in_sandbox_plain CMD: like in_sandbox, without set -e (to read exit codes)
in_sandbox_plain() {
	"$SANDBOX" bash -c "source '$TUNEKIT_SRCDIR/tests/bats/helpers-sandbox.bash'; set +e; $*"
}

require_tcp_flow() {
	[ -x "$TCP_FLOW" ] || skip_or_fail "tests/fixtures/tcp-flow is not built (make check builds it)"
}

# Shell functions for in_sandbox snippets that build a user's shaping setup
# on a veth left down (no traffic, so `tc -s` counters stay still):
#   shape_htb DEV: htb root 1: with classes 1:1, 1:10, 1:20 and a u32 filter
#   shape_tbf DEV: tbf root (it has one class of its own)
#   shape_mq DEV: a 2-queue veth with mq at the root and tbf under queue 1
#   tc_tree DEV: tc -s qdisc, class and filter output, to compare
SHAPE_FUNCS='
veth_down() { ip link add "$1" numtxqueues "${2:-1}" type veth peer name "$1-p" numtxqueues "${2:-1}"; }
shape_htb() {
	veth_down "$1"
	tc qdisc replace dev "$1" root handle 1: htb default 20
	tc class add dev "$1" parent 1: classid 1:1 htb rate 100mbit
	tc class add dev "$1" parent 1:1 classid 1:10 htb rate 60mbit ceil 100mbit
	tc class add dev "$1" parent 1:1 classid 1:20 htb rate 40mbit ceil 100mbit
	tc filter add dev "$1" parent 1: protocol ip prio 1 u32 match ip dport 22 0xffff flowid 1:10
}
shape_tbf() {
	veth_down "$1"
	tc qdisc replace dev "$1" root tbf rate 50mbit burst 32kb latency 40ms
}
shape_mq() {
	veth_down "$1" 2
	tc qdisc replace dev "$1" root handle 1: mq
	tc qdisc replace dev "$1" parent 1:1 tbf rate 10mbit burst 16kb latency 40ms
}
tc_tree() { tc -s qdisc show dev "$1"; tc -s class show dev "$1"; tc -s filter show dev "$1"; }
'
