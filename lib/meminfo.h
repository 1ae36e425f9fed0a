/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Total RAM, from $TUNEKIT_PROC/meminfo ("MemTotal: N kB"). */
#ifndef TUNEKIT_MEMINFO_H
#define TUNEKIT_MEMINFO_H

#include <stddef.h>
#include <stdint.h>

/* Find "field: N kB" in meminfo text; bytes out. 0, -ENOENT or -EINVAL/-ERANGE. */
int meminfo_parse(const char *buf, size_t len, const char *field, uint64_t *bytes);

/* MemTotal in bytes from $TUNEKIT_PROC/meminfo. 0 or -errno. */
int meminfo_total(uint64_t *bytes);

#endif
