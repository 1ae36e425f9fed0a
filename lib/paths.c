/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "xalloc.h"

static char *root_override;
static int root_set;

static char *strip_trailing_slashes(const char *s)
{
	char *r = xstrdup(s ? s : "");
	size_t n = strlen(r);
	while (n > 0 && r[n - 1] == '/')
		r[--n] = '\0';
	return r;
}

void tk_set_root(const char *dir)
{
	free(root_override);
	root_override = strip_trailing_slashes(dir);
	root_set = 1;
}

const char *tk_root(void)
{
	if (!root_set) {
		root_override = strip_trailing_slashes(getenv("TUNEKIT_ROOT"));
		root_set = 1;
	}
	return root_override;
}

char *tk_path(const char *abs)
{
	return xasprintf("%s%s", tk_root(), abs);
}

const char *tk_proc(void)
{
	static char *proc;
	if (!proc) {
		const char *env = getenv("TUNEKIT_PROC");
		proc = strip_trailing_slashes(env && *env ? env : "/proc");
	}
	return proc;
}

char *tk_proc_path(const char *rel)
{
	return xasprintf("%s/%s", tk_proc(), rel);
}
