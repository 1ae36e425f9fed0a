/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unified diff of two small texts (config files), for -n/--dry-run output. */
#ifndef TUNEKIT_TEXTDIFF_H
#define TUNEKIT_TEXTDIFF_H

#include <stdio.h>

/*
 * Print a unified diff of old_text -> new_text (either may be NULL for an
 * absent file) with labels "--- a/LABEL" / "+++ b/LABEL" and 3 lines of
 * context. Prints nothing and returns 0 when equal, 1 when they differ,
 * -ENOMEM/-EFBIG for texts over 4096 lines.
 */
int text_diff(FILE *out, const char *label, const char *old_text, const char *new_text);

#endif
