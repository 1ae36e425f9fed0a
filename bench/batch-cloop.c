/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plain C baseline of bench/batch: open, read to the end, close, one
 * file after the other. Paths NUL-separated on stdin (find -print0).
 * Prints "files bytes" on stdout.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	static char buf[128 * 1024];
	char *path = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long long files = 0, bytes = 0;
	int status = 0;

	while ((n = getdelim(&path, &cap, '\0', stdin)) > 0) {
		if (path[n - 1] == '\0')
			n--;
		path[n] = '\0';
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror(path);
			status = 1;
			continue;
		}
		ssize_t r;
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			bytes += (unsigned long long)r;
		if (r < 0) {
			perror(path);
			status = 1;
		}
		close(fd);
		files++;
	}
	printf("%llu %llu\n", files, bytes);
	free(path);
	return status;
}
