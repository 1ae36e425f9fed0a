/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "batchctl.h"

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void batchctl_init(struct batchctl *bc, unsigned start, unsigned min, unsigned max,
		   unsigned window, uint64_t now_ns)
{
	if (min < 1)
		min = 1;
	if (max < min)
		max = min;
	*bc = (struct batchctl){
		.cur = clamp(start, min, max),
		.min = min,
		.max = max,
		.dir = 1,
		.window = window ? window : 1,
		.win_start_ns = now_ns,
	};
}

/* One step in the current direction: double or halve (no move at a bound). */
static void step(struct batchctl *bc)
{
	unsigned next = bc->dir > 0 ? bc->cur * 2 : bc->cur / 2;
	next = clamp(next, bc->min, bc->max);
	if (next != bc->cur)
		bc->changes++;
	bc->cur = next;
}

unsigned batchctl_done(struct batchctl *bc, unsigned files, uint64_t now_ns)
{
	unsigned need = bc->window > 4 * bc->cur ? bc->window : 4 * bc->cur;
	double per_file;

	bc->win_files += files;
	if (bc->win_files < need || now_ns <= bc->win_start_ns)
		return bc->cur;

	per_file = (double)(now_ns - bc->win_start_ns) / bc->win_files;
	bc->windows++;
	if (bc->prev_ns <= 0) {
		/* first window: nothing to compare with, probe upwards */
		step(bc);
	} else if (per_file < bc->prev_ns * (1 - BATCHCTL_NOISE)) {
		/* faster: keep going the same way */
		bc->holds = 0;
		step(bc);
	} else if (per_file > bc->prev_ns * (1 + BATCHCTL_NOISE)) {
		/* slower: the last move hurt, turn back */
		bc->holds = 0;
		bc->dir = -bc->dir;
		step(bc);
	} else if (++bc->holds >= 4) {
		/* flat for a while: probe again in case the load changed */
		bc->holds = 0;
		if ((bc->dir > 0 && bc->cur >= bc->max) || (bc->dir < 0 && bc->cur <= bc->min))
			bc->dir = -bc->dir;
		step(bc);
	}
	bc->prev_ns = per_file;
	bc->win_files = 0;
	bc->win_start_ns = now_ns;
	return bc->cur;
}
