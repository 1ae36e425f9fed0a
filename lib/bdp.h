/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP buffer sizing from the bandwidth-delay product: pure arithmetic, no
 * I/O. Sizes in bytes, rates in bits per second, times in nanoseconds.
 */
#ifndef TUNEKIT_BDP_H
#define TUNEKIT_BDP_H

#include <stdint.h>

/* Kernel defaults (net/ipv4/tcp.c) that a recommendation never goes below. */
#define BDP_KERNEL_RMEM_MAX 6291456ULL  /* tcp_rmem[2] */
#define BDP_KERNEL_WMEM_MAX 4194304ULL  /* tcp_wmem[2] */
/* Largest buffer the kernel accepts in tcp_rmem/tcp_wmem (INT_MAX). */
#define BDP_KERNEL_LIMIT 2147483647ULL
/* The original script's fallback: 1/8 of RAM, at most 128 MiB. */
#define BDP_FALLBACK_CAP (128ULL << 20)
#define BDP_RAM_SHARE 8

enum bdp_limit {
	BDP_LIMIT_NONE = 0, /* the rule's size was used as is */
	BDP_LIMIT_FLOOR,    /* raised to the kernel default */
	BDP_LIMIT_MAX,      /* capped by the caller's maximum (--max) */
	BDP_LIMIT_RAM,      /* capped by the share of RAM */
	BDP_LIMIT_DEFAULT,  /* a cap went below the default: raised back to it */
};

struct bdp_sizing {
	uint64_t bdp;      /* rate x rtt in bytes, rounded up */
	uint64_t wanted;   /* 2 x bdp rounded up to a power of two (saturated) */
	uint64_t buffer;   /* after floor and caps */
	enum bdp_limit limit;
};

/* rate x rtt in bytes, rounded up. 0, -EINVAL (zero input) or -ERANGE. */
int bdp_bytes(uint64_t rate_bps, uint64_t rtt_ns, uint64_t *bytes);

/* Smallest power of two >= v (1 for 0); UINT64_MAX when it does not fit. */
uint64_t bdp_pow2_up(uint64_t v);

/*
 * The sizing rule: buffer = pow2(2 x BDP), at least floor, at most max and
 * ram / BDP_RAM_SHARE (each cap ignored when 0), never above
 * BDP_KERNEL_LIMIT. 0, -EINVAL or -ERANGE (rate x rtt overflows).
 */
int bdp_size_buffer(uint64_t rate_bps, uint64_t rtt_ns, uint64_t floor,
		    uint64_t max, uint64_t ram, struct bdp_sizing *out);

/* The fallback without rate and rtt: min(ram / 8, 128 MiB, max), at least floor. */
void bdp_fallback(uint64_t ram, uint64_t floor, uint64_t max, struct bdp_sizing *out);

/*
 * Whether tcp_mem's ceiling (pages) holds flows buffers of size bytes.
 * Returns 1 if it does, 0 if not; *need_pages gets the pages required.
 */
int bdp_tcp_mem_fits(uint64_t tcp_mem_max_pages, uint64_t page_size,
		     uint64_t flows, uint64_t buffer, uint64_t *need_pages);

/*
 * Keep a buffer range in order: a maximum below dflt (the default it caps)
 * is raised to dflt and s->limit becomes BDP_LIMIT_DEFAULT. 1 when raised.
 */
int bdp_keep_order(struct bdp_sizing *s, uint64_t dflt);

/*
 * 1 when min <= dflt <= max (a tcp_rmem/tcp_wmem triplet the kernel uses
 * as meant), 0 otherwise.
 */
int bdp_triplet_ordered(uint64_t min, uint64_t dflt, uint64_t max);

/* Short name of a limit for output: "none", "floor", "max", "ram", "default". */
const char *bdp_limit_name(enum bdp_limit limit);

#endif
