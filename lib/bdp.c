/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdint.h>

#include "bdp.h"

int bdp_bytes(uint64_t rate_bps, uint64_t rtt_ns, uint64_t *bytes)
{
	if (!rate_bps || !rtt_ns)
		return -EINVAL;
	/* bits/s x ns / (8 x 10^9), rounded up, exact in 128 bits */
	unsigned __int128 prod = (unsigned __int128)rate_bps * rtt_ns;
	unsigned __int128 div = 8000000000ULL;
	unsigned __int128 b = (prod + div - 1) / div;
	if (b > UINT64_MAX)
		return -ERANGE;
	*bytes = (uint64_t)b;
	return 0;
}

uint64_t bdp_pow2_up(uint64_t v)
{
	if (v <= 1)
		return 1;
	if (v > (1ULL << 63))
		return UINT64_MAX;
	return 1ULL << (64 - __builtin_clzll(v - 1));
}

static void apply_caps(struct bdp_sizing *s, uint64_t size, uint64_t floor,
		       uint64_t max, uint64_t ram)
{
	s->buffer = size;
	s->limit = BDP_LIMIT_NONE;
	if (s->buffer < floor) {
		s->buffer = floor;
		s->limit = BDP_LIMIT_FLOOR;
	}
	if (max && s->buffer > max) {
		s->buffer = max;
		s->limit = BDP_LIMIT_MAX;
	}
	if (ram && s->buffer > ram / BDP_RAM_SHARE) {
		s->buffer = ram / BDP_RAM_SHARE;
		s->limit = BDP_LIMIT_RAM;
	}
	if (s->buffer > BDP_KERNEL_LIMIT) {
		s->buffer = BDP_KERNEL_LIMIT;
		s->limit = BDP_LIMIT_MAX;
	}
}

int bdp_size_buffer(uint64_t rate_bps, uint64_t rtt_ns, uint64_t floor,
		    uint64_t max, uint64_t ram, struct bdp_sizing *out)
{
	uint64_t bdp;
	int rc = bdp_bytes(rate_bps, rtt_ns, &bdp);
	if (rc < 0)
		return rc;
	out->bdp = bdp;
	/* the kernel advertises only part of the buffer as window: 2x */
	out->wanted = bdp > UINT64_MAX / 2 ? UINT64_MAX : bdp_pow2_up(2 * bdp);
	apply_caps(out, out->wanted, floor, max, ram);
	return 0;
}

void bdp_fallback(uint64_t ram, uint64_t floor, uint64_t max, struct bdp_sizing *out)
{
	uint64_t size = ram / BDP_RAM_SHARE;
	out->bdp = 0;
	out->wanted = size;
	if (size > BDP_FALLBACK_CAP)
		size = BDP_FALLBACK_CAP;
	/* the RAM share is already applied above */
	apply_caps(out, size, floor, max, 0);
	if (out->limit == BDP_LIMIT_NONE && out->wanted > size)
		out->limit = BDP_LIMIT_MAX;
}

int bdp_tcp_mem_fits(uint64_t tcp_mem_max_pages, uint64_t page_size,
		     uint64_t flows, uint64_t buffer, uint64_t *need_pages)
{
	if (!page_size)
		page_size = 4096;
	unsigned __int128 bytes = (unsigned __int128)flows * buffer;
	unsigned __int128 pages = (bytes + page_size - 1) / page_size;
	*need_pages = pages > UINT64_MAX ? UINT64_MAX : (uint64_t)pages;
	return pages <= tcp_mem_max_pages;
}

int bdp_keep_order(struct bdp_sizing *s, uint64_t dflt)
{
	if (s->buffer >= dflt)
		return 0;
	s->buffer = dflt;
	s->limit = BDP_LIMIT_DEFAULT;
	return 1;
}

int bdp_triplet_ordered(uint64_t min, uint64_t dflt, uint64_t max)
{
	return min <= dflt && dflt <= max;
}

const char *bdp_limit_name(enum bdp_limit limit)
{
	switch (limit) {
	case BDP_LIMIT_DEFAULT:
		return "default";
	case BDP_LIMIT_FLOOR:
		return "floor";
	case BDP_LIMIT_MAX:
		return "max";
	case BDP_LIMIT_RAM:
		return "ram";
	case BDP_LIMIT_NONE:
		break;
	}
	return "none";
}
