/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/copymain's option parsers and lib/copymeta: --preserve lists,
 * --reflink, the hard-link table, extended attributes. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "copyjob.h"
#include "digest.h"
#include "tap.h"
#include "xalloc.h"

static void test_preserve_lists(void)
{
	unsigned b = 0;
	ok(copy_parse_preserve("mode", &b) == 0 && b == COPY_PRESERVE_MODE, "mode");
	ok(copy_parse_preserve("mode,ownership,timestamps", &b) == 0 && b == COPY_PRESERVE_DEFAULT,
	   "-p's three names");
	ok(copy_parse_preserve("links,xattr", &b) == 0 &&
	   b == (COPY_PRESERVE_LINKS | COPY_PRESERVE_XATTR), "links and xattr");
	ok(copy_parse_preserve("all", &b) == 0 && b == COPY_PRESERVE_ALL, "all");
	ok(copy_parse_preserve("mode,bogus", &b) == -EINVAL, "an unknown name is refused");
	ok(copy_parse_preserve("", &b) == -EINVAL, "an empty list is refused");
	ok(copy_parse_preserve(",", &b) == -EINVAL, "a list of nothing is refused");
	ok(copy_parse_preserve("Mode", &b) == -EINVAL, "names are lowercase, as cp's");

	enum copy_reflink r = COPY_REFLINK_NEVER;
	ok(copy_parse_reflink(NULL, &r) == 0 && r == COPY_REFLINK_AUTO, "--reflink alone is auto");
	ok(copy_parse_reflink("always", &r) == 0 && r == COPY_REFLINK_ALWAYS, "always");
	ok(copy_parse_reflink("never", &r) == 0 && r == COPY_REFLINK_NEVER, "never");
	ok(copy_parse_reflink("sometimes", &r) == -EINVAL, "an unknown --reflink is refused");
}

static void test_links(void)
{
	struct copy_links *l = copy_links_new();
	char name[32];
	bool all = true;
	/* enough inodes to grow the table several times */
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "d/%u", i);
		all &= copy_links_seen(l, 1, i, name) == NULL;
	}
	ok(all, "the first copy of every inode is new");
	const char *first = copy_links_seen(l, 1, 4321, "d/other");
	ok(first && !strcmp(first, "d/4321"), "a second name of an inode finds the first copy");
	ok(copy_links_seen(l, 2, 4321, "e/4321") == NULL, "the same inode number on another device is new");
	first = copy_links_seen(l, 2, 4321, "e/x");
	ok(first && !strcmp(first, "e/4321"), "...and then known");
	copy_links_free(l);
	copy_links_free(NULL);
	ok(1, "freeing nothing is fine");
}

static void test_xattrs(const char *dir)
{
	char *a = xasprintf("%s/a", dir), *b = xasprintf("%s/b", dir);
	int fa = open(a, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int fb = open(b, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char big[3000];
	memset(big, 'v', sizeof(big));
	if (fsetxattr(fa, "user.one", "1", 1, 0) < 0) {
		ok(1, "no user xattrs on this file system: skipped");
		goto out;
	}
	fsetxattr(fa, "user.empty", "", 0, 0);
	fsetxattr(fa, "user.big", big, sizeof(big), 0);
	char failed[64] = "x";
	ok(copy_xattrs(fa, NULL, fb, NULL, failed, sizeof(failed)) == 0 && !failed[0],
	   "every attribute copied");
	char v[4000];
	ok(fgetxattr(fb, "user.one", v, sizeof(v)) == 1 && v[0] == '1', "a short value");
	ok(fgetxattr(fb, "user.empty", v, sizeof(v)) == 0, "an empty value");
	ok(fgetxattr(fb, "user.big", v, sizeof(v)) == (ssize_t)sizeof(big) &&
	   !memcmp(v, big, sizeof(big)), "a value larger than the first buffer");
	ok(copy_xattrs(-1, a, -1, b, NULL, 0) == 0, "by path as well");
	/* a destination that takes no attributes: the first failure comes back
	 * with its name, the copy of the others goes on */
	ok(copy_xattrs(fa, NULL, -1, "/proc/self/status", failed, sizeof(failed)) < 0 &&
	   !strncmp(failed, "user.", 5), "a refused attribute is named");
out:
	close(fa);
	close(fb);
	unlink(a);
	unlink(b);
	free(a);
	free(b);
}

/* Chunks of a sparse file fed out of order give the digest of the whole file. */
static void test_hash(void)
{
	enum { SIZE = 64 * 1024 };
	static char file[SIZE];
	for (size_t i = 0; i < SIZE; i++)
		file[i] = (char)(i * 7 + 1);
	memset(file + 8192, 0, 16384); /* a hole [8192, 24576) */
	memset(file + 57344, 0, SIZE - 57344); /* a trailing hole */
	struct copy_extent ext[2] = { { 0, 8192 }, { 24576, 57344 - 24576 } };
	char want[DIGEST_HEX_MAX], got[DIGEST_HEX_MAX];
	struct digest *d = digest_new(DIGEST_SHA256);
	digest_update(d, file, SIZE);
	digest_final_hex(d, want);
	digest_free(d);

	/* 4 KiB chunks, reversed in pairs: every other one arrives early */
	struct copy_hash *h = copy_hash_new(DIGEST_SHA256);
	uint64_t offs[64];
	size_t n = 0;
	for (size_t e = 0; e < 2; e++)
		for (uint64_t o = ext[e].off; o < ext[e].off + ext[e].len; o += 4096)
			offs[n++] = o;
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint64_t t = offs[i];
		offs[i] = offs[i + 1];
		offs[i + 1] = t;
	}
	for (size_t i = 0; i < n; i++)
		copy_hash_chunk(h, ext, 2, offs[i], file + offs[i], 4096);
	ok(copy_hash_final(h, ext, 2, SIZE, got) == 0 && !strcmp(got, want),
	   "out-of-order chunks and holes digest as the file");
	copy_hash_free(h);

	h = copy_hash_new(DIGEST_SHA256);
	copy_hash_chunk(h, ext, 2, 4096, file + 4096, 4096);
	ok(copy_hash_final(h, ext, 2, SIZE, got) == -EIO, "a missing chunk is not a digest");
	copy_hash_free(h);

	char *l = copy_manifest_line("ab", "plain name");
	ok(!strcmp(l, "ab  plain name\n"), "a plain line");
	free(l);
	l = copy_manifest_line("ab", "new\nline\\x");
	ok(!strcmp(l, "\\ab  new\\nline\\\\x\n"), "newline and backslash escaped as sha256sum does");
	free(l);
}

int main(void)
{
	test_hash();
	char tmpl[] = "/tmp/tk-copymeta-XXXXXX";
	char *dir = mkdtemp(tmpl);
	test_preserve_lists();
	test_links();
	if (dir) {
		test_xattrs(dir);
		rmdir(dir);
	}
	return done_testing();
}
