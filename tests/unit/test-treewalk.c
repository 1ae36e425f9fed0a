/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/treewalk.c: the entry order equals find | LC_ALL=C sort of full paths. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "treewalk.h"

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* key order must equal the order of "NAME/x" (dir) or "NAME" (file) paths */
static void order(const char *a, int ad, const char *b, int bd)
{
	char pa[64], pb[64];
	snprintf(pa, sizeof(pa), "%s%s", a, ad ? "/x" : "");
	snprintf(pb, sizeof(pb), "%s%s", b, bd ? "/x" : "");
	is_int(sign(treewalk_keycmp(a, ad, b, bd)), sign(strcmp(pa, pb)),
	       "%s%s vs %s%s", a, ad ? "/" : "", b, bd ? "/" : "");
}

int main(void)
{
	static const char *const names[] = { "a", "a.b", "a.txt", "ab", "a-", "a0", "A", "\n", "a\n", "b" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			for (int ad = 0; ad < 2; ad++)
				for (int bd = 0; bd < 2; bd++)
					if (i != j || ad == bd)
						order(names[i], ad, names[j], bd);
	ok(treewalk_keycmp("a", 1, "a.txt", 0) > 0, "dir a/ after file a.txt");
	ok(treewalk_keycmp("a", 0, "a.txt", 0) < 0, "file a before file a.txt");
	ok(treewalk_keycmp("a", 1, "a", 1) == 0, "equal keys");
	return done_testing();
}
