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
