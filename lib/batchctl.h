/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Adaptive batch size: a hill climb on the time per completed file, measured
 * over a window of files (not one sample). The batch grows while the time
 * per file falls, turns back when it rises, and holds inside a noise band.
 * Pure: the caller passes the clock.
 */
#ifndef TUNEKIT_BATCHCTL_H
#define TUNEKIT_BATCHCTL_H

#include <stdint.h>

struct batchctl {
	unsigned cur, min, max;
	int dir;                /* +1 growing, -1 shrinking */
	unsigned window;        /* files a window holds at least */
	unsigned win_files;
	uint64_t win_start_ns;
	double prev_ns;         /* ns per file of the previous window; 0: none */
	unsigned holds;         /* windows in a row inside the noise band */
	unsigned long long windows, changes;
};

/* Band (relative change) inside which two windows count as equal. */
#define BATCHCTL_NOISE 0.05

/* Start at start (clamped to [min, max]); a window is at least window files. */
void batchctl_init(struct batchctl *bc, unsigned start, unsigned min, unsigned max,
		   unsigned window, uint64_t now_ns);

/* Account files completed at now_ns; returns the batch size to use next. */
unsigned batchctl_done(struct batchctl *bc, unsigned files, uint64_t now_ns);

#endif
