/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "fileutil.h"
#include "tap.h"
#include "xalloc.h"

static int count_entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	char tmpl[] = "/tmp/tk-atomic-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *path = xasprintf("%s/90-tunekit.conf", dir);
	char *data = NULL;
	size_t len = 0;
	struct stat st;

	is_int(atomic_write_file(path, "a = 1\n", 6, 0644), 0, "first write");
	is_int(read_file(path, 1024, &data, &len), 0, "read back");
	is_str(data, "a = 1\n", "contents");
	free(data);
	is_int(atomic_write_file(path, "b = 2\n", 6, 0600), 0, "replace");
	read_file(path, 1024, &data, &len);
	is_str(data, "b = 2\n", "replaced contents");
	free(data);
	stat(path, &st);
	is_int(st.st_mode & 0777, 0600, "mode applied");
	is_int(count_entries(dir), 1, "no temp file left behind");

	char *missing = xasprintf("%s/nodir/file", dir);
	is_int(atomic_write_file(missing, "x", 1, 0644), -ENOENT, "missing directory is -ENOENT");
	free(missing);

	is_int(read_file(path, 3, &data, &len), -EFBIG, "read_file honours max");
	char *deep = xasprintf("%s/a/b/c", dir);
	is_int(mkdir_p(deep, 0755), 0, "mkdir_p creates a chain");
	ok(stat(deep, &st) == 0 && S_ISDIR(st.st_mode), "chain exists");
	is_int(mkdir_p(path, 0755), -ENOTDIR, "mkdir_p on a file is -ENOTDIR");
	free(deep);

	is_int(remove_tree(dir), 0, "remove_tree");
	ok(stat(dir, &st) < 0 && errno == ENOENT, "tree gone");
	free(path);
	return done_testing();
}
