/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pathsrc.h"
#include "tap.h"

/* Join every entry of src with '|' (overlong ones as '!'). */
static void collect(struct pathsrc *ps, char *out, size_t cap)
{
	const char *p;
	size_t len, o = 0;
	int rc;
	out[0] = '\0';
	while ((rc = pathsrc_next(ps, &p, &len)) != 0) {
		const char *piece = rc > 0 ? p : "!";
		size_t n = rc > 0 ? len : 1;
		if (rc < 0 && rc != -ENAMETOOLONG)
			break;
		if (o + n + 2 >= cap)
			break;
		if (o)
			out[o++] = '|';
		memcpy(out + o, piece, n);
		o += n;
		out[o] = '\0';
	}
}

static void split(const char *data, size_t len, int delim, size_t max, const char *want,
		  const char *name)
{
	char got[4096];
	struct pathsrc *ps = pathsrc_from_mem(data, len, delim, max);
	collect(ps, got, sizeof(got));
	is_str(got, want, "%s", name);
	pathsrc_free(ps);
}

int main(void)
{
	split("a\nb c\n", 6, '\n', 100, "a|b c", "newline list");
	split("a\nb", 3, '\n', 100, "a|b", "last entry without newline");
	split("\n\na\n\n", 5, '\n', 100, "a", "empty lines skipped");
	split("x\ny\0z\0", 6, '\0', 100, "x\ny|z", "NUL list keeps newlines");
	split("", 0, '\n', 100, "", "empty input");
	split("abcdef\nab\n", 10, '\n', 4, "!|ab", "overlong entry reported, next one read");
	split("abcdef", 6, '\n', 4, "!", "overlong last entry");
	split("abcd\n", 5, '\n', 4, "abcd", "entry of exactly max_len");

	/* an entry that crosses the 64 KiB read chunk, through a pipe */
	size_t big = 70000;
	char *data = malloc(big * 2 + 2);
	memset(data, 'a', big);
	data[big] = '\n';
	memset(data + big + 1, 'b', big);
	data[2 * big + 1] = '\n';
	int fds[2];
	ok(pipe(fds) == 0, "pipe");
	if (fork() == 0) {
		close(fds[0]);
		size_t o = 0;
		while (o < 2 * big + 2) {
			ssize_t w = write(fds[1], data + o, 2 * big + 2 - o);
			if (w <= 0)
				_exit(1);
			o += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	struct pathsrc *ps = pathsrc_from_fd(fds[0], '\n', 100000);
	const char *p;
	size_t len;
	is_int(pathsrc_next(ps, &p, &len), 1, "first long entry");
	is_int((long long)len, (long long)big, "first long entry length");
	ok(p[0] == 'a' && p[big - 1] == 'a' && p[big] == '\0', "first long entry bytes");
	is_int(pathsrc_next(ps, &p, &len), 1, "second long entry");
	ok(len == big && p[0] == 'b', "second long entry bytes");
	is_int(pathsrc_next(ps, &p, &len), 0, "end");
	is_u64(pathsrc_count(ps), 2, "count");
	pathsrc_free(ps);
	close(fds[0]);
	free(data);

	char *argv[] = { "one", "", "three" };
	ps = pathsrc_from_argv(argv, 3);
	char got[256];
	collect(ps, got, sizeof(got));
	is_str(got, "one||three", "arguments, empty ones kept");
	pathsrc_free(ps);
	return done_testing();
}
