/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A one-line progress bar on a terminal (bytes, percent, rate, ETA),
 * redrawn at most a few times a second; silent when the stream is not a tty.
 */
#ifndef TUNEKIT_PROGRESS_H
#define TUNEKIT_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct progress;

/* New bar for total bytes drawn on stream when enabled and stream is a tty;
 * otherwise every call is a no-op. Exits on allocation failure. */
struct progress *progress_new(FILE *stream, uint64_t total, bool enabled);
/* Whether the bar draws anything (enabled and a tty). */
bool progress_active(const struct progress *p);
/* Set the bytes done so far; redraws when 200 ms passed since the last draw. */
void progress_update(struct progress *p, uint64_t done);
/* Draw the final state, end the line and free p (NULL is fine). */
void progress_finish(struct progress *p);
/* Erase the line (before an error message) without freeing. */
void progress_clear(struct progress *p);

/* Format one bar line into buf (width columns at most, no newline):
 * "1.2 GiB / 2 GiB  60% [######....] 1.1 GiB/s ETA 1 s". Returns buf. */
char *progress_format(char *buf, size_t len, unsigned width, uint64_t done,
		      uint64_t total, uint64_t elapsed_ns);

#endif
