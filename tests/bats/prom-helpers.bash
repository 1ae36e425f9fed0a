# SPDX-License-Identifier: GPL-2.0-or-later
# The real consumers of our metrics files, for any suite (`load prom-helpers`
# after `load helpers`):
#
#   prom_check FILE            promtool check metrics < FILE: no error and no
#                              lint finding, or the test fails with its words
#   node_exporter_scrape DIR   node_exporter 1.5 with only the textfile
#                              collector over DIR, on a free loopback port;
#                              prints one scrape of /metrics and stops it
#
# Both come from Debian packages that .ci/deps unpacks (not installs: no
# services) under $TUNEKIT_PROM_PREFIX (default /opt/tunekit-ci/prometheus);
# an installed promtool or node_exporter on PATH is used first.

: "${TUNEKIT_PROM_PREFIX:=/opt/tunekit-ci/prometheus}"

# prom_find NAME...: print the path of the first program found
prom_find() {
	local n
	for n in "$@"; do
		if [ -x "$TUNEKIT_PROM_PREFIX/usr/bin/$n" ]; then
			printf '%s\n' "$TUNEKIT_PROM_PREFIX/usr/bin/$n"
			return 0
		fi
		if command -v "$n" >/dev/null 2>&1; then
			command -v "$n"
			return 0
		fi
	done
	return 1
}

# require_promtool / require_node_exporter: skip (fail in CI) without them
require_promtool() {
	PROMTOOL=$(prom_find promtool) ||
		skip_or_fail "promtool is not installed (.ci/deps unpacks it to $TUNEKIT_PROM_PREFIX)"
}

require_node_exporter() {
	NODE_EXPORTER=$(prom_find prometheus-node-exporter node_exporter) ||
		skip_or_fail "node_exporter is not installed (.ci/deps unpacks it to $TUNEKIT_PROM_PREFIX)"
	require_cmd curl
}

# prom_check FILE: promtool must accept FILE without any finding (its lint
# exits 3 on naming problems, which we count as failures too)
prom_check() {
	local file=$1 out rc=0 tool
	tool=${PROMTOOL:-$(prom_find promtool)} || {
		echo "prom_check: promtool not found" >&2
		return 2
	}
	out=$("$tool" check metrics <"$file" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		printf 'promtool check metrics < %s: exit %s\n%s\n' "$file" "$rc" "$out"
		return 1
	fi
}

# prom_free_port: a loopback TCP port nobody listens on now
prom_free_port() {
	local port _
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	return 1
}

# node_exporter_scrape DIR: one scrape of node_exporter's textfile collector
# over DIR on stdout. The exporter runs as init of its own PID namespace
# (unshare --kill-child): killing unshare takes it down, so nothing outlives
# the call; it is waited for by polling the port, never a fixed sleep.
node_exporter_scrape() {
	local dir=$1 exe port pid _ rc=1 log
	exe=${NODE_EXPORTER:-$(prom_find prometheus-node-exporter node_exporter)} || {
		echo "node_exporter_scrape: node_exporter not found" >&2
		return 2
	}
	local ns=()
	unshare --pid --fork --kill-child true 2>/dev/null && ns=(unshare --pid --fork --kill-child)
	log=$(mktemp "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/node-exporter.XXXXXX")
	for _ in 1 2 3 4 5; do
		port=$(prom_free_port) || break
		"${ns[@]}" "$exe" --collector.disable-defaults --collector.textfile \
			--collector.textfile.directory="$dir" \
			--web.listen-address="127.0.0.1:$port" >"$log" 2>&1 &
		pid=$!
		for _ in $(seq 200); do
			if curl -fsS --max-time 5 "http://127.0.0.1:$port/metrics"; then
				rc=0
				break
			fi
			kill -0 "$pid" 2>/dev/null || break # died: port taken after all?
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		[ "$rc" -eq 0 ] && break
		grep -q 'address already in use' "$log" || break
	done
	if [ "$rc" -ne 0 ]; then
		echo "node_exporter_scrape: no scrape from $exe on 127.0.0.1:$port:" >&2
		cat "$log" >&2
	fi
	rm -f "$log"
	return "$rc"
}

# node_exporter_value OUTPUT SERIES: the value of one series ("name" or
# 'name{label="v"}' exactly as node_exporter prints it) in a scrape
node_exporter_value() {
	awk -v s="$2" '$1 == s { print $2; found = 1 } END { exit !found }' <<<"$1"
}
