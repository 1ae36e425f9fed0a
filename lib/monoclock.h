/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one monotonic clock of every tool: CLOCK_MONOTONIC in nanoseconds. */
#ifndef TUNEKIT_MONOCLOCK_H
#define TUNEKIT_MONOCLOCK_H

#include <stdint.h>

uint64_t mono_ns(void);

#endif
