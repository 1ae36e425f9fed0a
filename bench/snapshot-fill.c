/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/snapshot-fill N: N applies of one changed key through the real
 * engine (txn_apply: lock, snapshot, write, read back, persist, prune) in
 * one process, so bench/snapshots can build a store of 10,000 snapshots in
 * minutes instead of paying a process start and a loaded scheduler each
 * time. Runs on TUNEKIT_ROOT / TUNEKIT_PROC like the tools.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kvconf.h"
#include "msg.h"
#include "txn.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	msg_init("snapshot-fill");
	for (long i = 1; i <= n; i++) {
		struct kv_list change = { 0 };
		char value[32];
		snprintf(value, sizeof(value), "%ld", 1000 + i);
		kv_list_set(&change, "net.core.somaxconn", value);
		struct txn_opts opts = { 0 };
		struct txn_error err;
		int rc = txn_apply(&change, &opts, &err);
		kv_list_free(&change);
		if (rc) {
			txn_error_print(&err, NULL);
			return 1;
		}
	}
	return 0;
}
