/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/net/softnet_stat: one row per online CPU, hex columns. Column 1
 * processed, 2 dropped (backlog full), 3 time_squeeze (budget or time ran
 * out), 10 received_rps, 11 flow_limit_count, 12 backlog length, 13 the CPU
 * id (kernels since 5.10; before that the row index stands for it).
 */
#ifndef TUNEKIT_SOFTNET_H
#define TUNEKIT_SOFTNET_H

#include <stddef.h>
#include <stdint.h>

#define SOFTNET_MIN_COLUMNS 3
#define SOFTNET_MAX_COLUMNS 32
#define SOFTNET_MAX_ROWS 8192

struct softnet_cpu {
	unsigned cpu;          /* column 13, or the row index */
	unsigned columns;      /* how many the row had */
	int cpu_from_column;   /* 1 when cpu came from column 13 */
	uint32_t processed;
	uint32_t dropped;
	uint32_t time_squeeze;
	uint32_t received_rps; /* 0 when the row is shorter */
	uint32_t flow_limit;
	uint32_t backlog_len;
};

struct softnet_stat {
	struct softnet_cpu *cpus;
	size_t n;
};

/* Totals over all CPUs of the difference between two samples. */
struct softnet_delta {
	uint64_t processed;
	uint64_t dropped;
	uint64_t time_squeeze;
	uint64_t flow_limit;
	size_t cpus_dropping;   /* CPUs with dropped > 0 */
	size_t cpus_squeezing;  /* CPUs with time_squeeze > 0 */
};

/*
 * Parse the file's text. Rows need 3 to 32 hex columns of at most 8 digits;
 * blank lines are skipped. 0, or -EINVAL (*line gets the 1-based bad line)
 * with out left empty.
 */
int softnet_parse(const char *buf, size_t len, struct softnet_stat *out, unsigned *line);

/* Read and parse $TUNEKIT_PROC/net/softnet_stat. 0 or -errno. */
int softnet_read(struct softnet_stat *out, unsigned *line);

/* Difference later - earlier, CPUs matched by id (32-bit counters wrap). */
void softnet_diff(const struct softnet_stat *earlier, const struct softnet_stat *later,
		  struct softnet_delta *delta);

/* Per-CPU difference of one CPU of later against earlier (zeroed if unmatched). */
void softnet_cpu_diff(const struct softnet_stat *earlier, const struct softnet_cpu *later,
		      struct softnet_cpu *delta);

void softnet_free(struct softnet_stat *s);

#endif
