/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/interrupts: a header "CPU0 CPU1 ..." and one row per IRQ with a
 * count per CPU, the chip, and the action name last ("virtio2-input.0").
 * Only numbered IRQs are kept (NMI, LOC and friends are not devices).
 */
#ifndef TUNEKIT_IRQSTAT_H
#define TUNEKIT_IRQSTAT_H

#include <stddef.h>
#include <stdint.h>

#define IRQSTAT_MAX_CPUS 8192

struct irq_row {
	unsigned irq;
	uint64_t *counts; /* ncpu entries (missing ones are 0) */
	char *desc;       /* everything after the counts, blanks collapsed */
	char *name;       /* the last word of desc: the action name */
};

struct irq_table {
	unsigned ncpu;
	struct irq_row *rows;
	size_t n;
};

/* Parse the file's text. 0 or -EINVAL (*line: 1-based bad line), table empty on error. */
int irqstat_parse(const char *buf, size_t len, struct irq_table *t, unsigned *line);

/* Read and parse $TUNEKIT_PROC/interrupts. 0 or -errno. */
int irqstat_read(struct irq_table *t, unsigned *line);

/* Sum of a row's counts. */
uint64_t irqstat_total(const struct irq_table *t, const struct irq_row *r);

void irqstat_free(struct irq_table *t);

#endif
