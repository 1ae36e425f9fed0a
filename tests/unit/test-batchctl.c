/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <math.h>

#include "batchctl.h"
#include "tap.h"

/* A made-up cost curve: ns per file, lowest at batch `best`. */
static double cost(unsigned batch, unsigned best)
{
	double r = (double)batch / best;
	return 1000.0 * (r + 1.0 / r);
}

/* Run windows of 1000 files under the curve; return the batch after them. */
static unsigned settle(struct batchctl *bc, unsigned best, int windows, uint64_t *t)
{
	for (int i = 0; i < windows; i++) {
		unsigned cur = bc->cur;
		*t += (uint64_t)(cost(cur, best) * 1000);
		batchctl_done(bc, 1000, *t);
	}
	return bc->cur;
}

int main(void)
{
	struct batchctl bc;
	uint64_t t = 0;

	batchctl_init(&bc, 8, 1, 256, 512, t);
	is_int(bc.cur, 8, "starts where told");
	is_int(batchctl_done(&bc, 100, t + 1000), 8, "no change before a window is full");

	batchctl_init(&bc, 1, 1, 256, 512, t);
	unsigned got = settle(&bc, 32, 40, &t);
	ok(got >= 16 && got <= 64, "climbs to the best batch (32): got %u", got);

	batchctl_init(&bc, 256, 1, 256, 512, t);
	got = settle(&bc, 4, 40, &t);
	ok(got >= 2 && got <= 8, "comes down to the best batch (4): got %u", got);

	batchctl_init(&bc, 8, 1, 16, 512, t);
	got = settle(&bc, 1000, 40, &t);
	is_int(got, 16, "stays at the ceiling when bigger is always better");

	/* flat curve: holds, probes now and then, stays inside bounds */
	batchctl_init(&bc, 8, 1, 64, 512, t);
	for (int i = 0; i < 100; i++) {
		t += 1000000;
		batchctl_done(&bc, 1000, t);
		if (bc.cur < 1 || bc.cur > 64)
			break;
	}
	ok(bc.cur >= 1 && bc.cur <= 64, "flat cost: stays within [1, 64]");
	ok(bc.windows == 100, "one decision per window");

	/* a single window of noise does not move it more than one step */
	batchctl_init(&bc, 16, 1, 64, 512, 0);
	t = 0;
	t += 1000000; batchctl_done(&bc, 1000, t);    /* first window: probe up to 32 */
	is_int(bc.cur, 32, "first window probes upwards");
	t += 2000000; batchctl_done(&bc, 1000, t);    /* twice slower: turn back */
	is_int(bc.cur, 16, "slower window turns back");
	return done_testing();
}
