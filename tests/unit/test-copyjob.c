/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/copyjob (chunks, completions, paths, extents, verify, temp names,
 * pseudo-FS sources), lib/progress and lib/atomicfile's atomic_commit_flags. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "copyjob.h"
#include "fileutil.h"
#include "progress.h"
#include "tap.h"
#include "xalloc.h"

static struct copy_file *fake_file(uint64_t size, bool direct, size_t align)
{
	struct copy_file *f = xcalloc(1, sizeof(*f));
	f->src = "src";
	f->dst = "dst";
	f->src_fd = 10;
	f->dst_fd = 11;
	f->src_dfd = direct ? 12 : -1;
	f->dst_dfd = direct ? 13 : -1;
	f->direct = direct;
	f->dio_align = align;
	f->ext = xmalloc(sizeof(*f->ext));
	f->ext[0].off = 0;
	f->ext[0].len = size;
	f->n_ext = size ? 1 : 0;
	return f;
}

static void free_fake(struct copy_file *f)
{
	free(f->ext);
	free(f);
}

static void test_paths(void)
{
	char *p;
	p = copy_target_path("a/b.txt", "dir", true);
	is_str(p, "dir/b.txt", "file into a directory");
	free(p);
	p = copy_target_path("a/tree/", "dir/", true);
	is_str(p, "dir/tree", "trailing slashes of both are ignored");
	free(p);
	p = copy_target_path("a/b.txt", "new", false);
	is_str(p, "new", "SRC DST names the destination itself");
	free(p);

	unsigned qd = 0;
	size_t bs = 0;
	is_int(copy_parse_queue_depth("16", &qd), 0, "queue depth 16");
	is_int(qd, 16, "parsed");
	is_int(copy_parse_queue_depth("0", &qd), -EINVAL, "queue depth 0 refused");
	is_int(copy_parse_queue_depth("-3", &qd), -EINVAL, "negative refused");
	is_int(copy_parse_queue_depth("9x", &qd), -EINVAL, "junk refused");
	is_int(copy_parse_queue_depth("100000", &qd), -EINVAL, "too deep refused");
	is_int(copy_parse_block_size("1M", &bs), 0, "block 1M");
	is_u64(bs, 1048576, "1M is 1 MiB");
	is_int(copy_parse_block_size("6000", &bs), -EINVAL, "not a multiple of 4K refused");
	is_int(copy_parse_block_size("128M", &bs), -EINVAL, "over 64M refused");
	is_int(copy_parse_block_size("2K", &bs), -EINVAL, "under 4K refused");
}

static void test_chunks(void)
{
	struct copy_op op = { 0 };
	struct copy_file *f = fake_file(3 * 1048576 + 5, false, 1);
	uint64_t lens[8];
	int n = 0;
	while (n < 8 && copy_file_next_chunk(f, 1048576, &op))
		lens[n++] = op.len;
	is_int(n, 4, "3 MiB + 5 in 1 MiB blocks is four chunks");
	is_u64(lens[3], 5, "the last chunk is the remainder");
	is_int(f->inflight, 4, "four chunks in flight");
	ok(!copy_file_drained(f), "not drained while chunks are in flight");
	f->inflight = 0;
	ok(copy_file_drained(f), "drained once they are done");
	free_fake(f);

	f = fake_file(4097, true, 512);
	struct copy_io io;
	char buf[8192];
	op.buf = buf;
	ok(copy_file_next_chunk(f, 1048576, &op), "direct 4097: one chunk");
	ok(op.len == 4097 && !op.buffered, "the whole file, direct");
	ok(!copy_file_next_chunk(f, 1048576, &op), "no second chunk");
	copy_op_io(&op, &io);
	ok(!io.write && io.fd == 12 && io.len == 4608, "direct read of whole 512-byte units");
	is_int(copy_op_complete(&op, 4097), COPY_STEP_SUBMIT, "read returns the bytes up to EOF");
	copy_op_io(&op, &io);
	ok(io.write && io.fd == 13 && io.len == 4096, "direct write of the aligned part");
	is_int(copy_op_complete(&op, 4096), COPY_STEP_SUBMIT, "then the tail");
	copy_op_io(&op, &io);
	ok(io.write && io.fd == 11 && io.len == 1 && io.off == 4096, "the 1-byte tail through the page cache");
	is_int(copy_op_complete(&op, 1), COPY_STEP_DONE, "chunk done");
	free_fake(f);

	f = fake_file(8192, true, 512);
	f->write_buffered = true;
	copy_file_next_chunk(f, 1048576, &op);
	copy_op_complete(&op, 8192);
	copy_op_io(&op, &io);
	ok(io.write && io.fd == 11 && io.len == 8192, "a small file is written through the page cache");
	free_fake(f);

	f = fake_file(100, true, 4096);
	ok(copy_file_next_chunk(f, 1048576, &op) && !op.buffered && op.len == 100,
	   "a file smaller than the alignment is one direct chunk");
	copy_op_io(&op, &io);
	ok(io.len == 4096, "read as one alignment unit");
	free_fake(f);

	/* holes: two data extents */
	f = fake_file(0, false, 1);
	free(f->ext);
	f->ext = xcalloc(2, sizeof(*f->ext));
	f->ext[0] = (struct copy_extent){ 0, 4096 };
	f->ext[1] = (struct copy_extent){ 1 << 20, 8192 };
	f->n_ext = 2;
	ok(copy_file_next_chunk(f, 4096, &op) && op.off == 0, "first extent");
	ok(copy_file_next_chunk(f, 4096, &op) && op.off == 1 << 20, "the hole is skipped");
	ok(copy_file_next_chunk(f, 4096, &op) && op.off == (1 << 20) + 4096, "second block of extent 2");
	ok(!copy_file_next_chunk(f, 4096, &op), "nothing after the extents");
	free_fake(f);
}

static void test_completions(void)
{
	struct copy_op op = { 0 };
	struct copy_io io;
	char buf[8192];
	op.buf = buf;

	struct copy_file *f = fake_file(8192, false, 1);
	copy_file_next_chunk(f, 8192, &op);
	copy_op_io(&op, &io);
	ok(!io.write && io.fd == 10 && io.len == 8192 && io.off == 0, "first I/O reads the chunk");
	is_int(copy_op_complete(&op, 3000), COPY_STEP_SUBMIT, "short read: submit again");
	copy_op_io(&op, &io);
	ok(!io.write && io.len == 8192 - 3000 && io.off == 3000 && io.buf == buf + 3000,
	   "the remainder, at its offset and place in the buffer");
	is_int(copy_op_complete(&op, -EAGAIN), COPY_STEP_SUBMIT, "-EAGAIN: retried");
	is_int(copy_op_complete(&op, 8192 - 3000), COPY_STEP_SUBMIT, "read complete: now write");
	copy_op_io(&op, &io);
	ok(io.write && io.fd == 11 && io.len == 8192 && io.off == 0, "the write covers the chunk");
	is_int(copy_op_complete(&op, 8192), COPY_STEP_DONE, "write complete: chunk done");
	is_int(f->inflight, 0, "nothing in flight");
	ok(copy_file_drained(f), "file drained");
	free_fake(f);

	f = fake_file(8192, false, 1);
	copy_file_next_chunk(f, 8192, &op);
	is_int(copy_op_complete(&op, 0), COPY_STEP_FAILED, "a read of 0 bytes before the end fails (no spin)");
	ok(f->err == -1 && f->err_op && strstr(f->err_op, "shrank"), "and says the file shrank");
	free_fake(f);

	f = fake_file(8192, false, 1);
	copy_file_next_chunk(f, 8192, &op);
	int i, step = COPY_STEP_SUBMIT;
	for (i = 0; i < 100 && step == COPY_STEP_SUBMIT; i++)
		step = copy_op_complete(&op, -EAGAIN);
	is_int(step, COPY_STEP_FAILED, "-EAGAIN forever: fails");
	is_int(i, COPY_MAX_RETRIES + 1, "after COPY_MAX_RETRIES retries");
	is_int(f->err, EAGAIN, "with EAGAIN");
	free_fake(f);

	f = fake_file(8192, false, 1);
	copy_file_next_chunk(f, 8192, &op);
	copy_op_complete(&op, 8192);
	is_int(copy_op_complete(&op, -ENOSPC), COPY_STEP_FAILED, "write error fails the file");
	ok(f->err == ENOSPC && !strcmp(f->err_op, "write") && !strcmp(f->err_path, "dst"),
	   "naming the destination, the operation and the errno");
	ok(!copy_file_next_chunk(f, 8192, &op), "a failed file hands out no more chunks");
	free_fake(f);

	f = fake_file(8192, true, 512);
	copy_file_next_chunk(f, 8192, &op);
	ok(!op.buffered, "direct chunk");
	is_int(copy_op_complete(&op, 1000), COPY_STEP_SUBMIT, "short direct read");
	copy_op_io(&op, &io);
	ok(op.buffered && io.fd == 10, "unaligned remainder goes through the page cache");
	free_fake(f);
}

static void test_files(const char *dir)
{
	char *a = xasprintf("%s/a", dir), *b = xasprintf("%s/b", dir);
	int fa = open(a, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int fb = open(b, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ok(fa >= 0 && fb >= 0, "temp files");

	/* sparse: 4 KiB data, 4 MiB hole, 4 KiB data, 1 MiB hole at the end */
	char blk[4096];
	memset(blk, 'x', sizeof(blk));
	ok(pwrite(fa, blk, sizeof(blk), 0) == 4096 && pwrite(fa, blk, sizeof(blk), 4 << 20) == 4096 &&
	   ftruncate(fa, (5 << 20) + 4096) == 0, "sparse file written");
	struct copy_extent *ext;
	size_t n;
	is_int(copy_extents(fa, (5 << 20) + 4096, &ext, &n), 0, "extents");
	ok(n == 2 && ext[0].off == 0 && ext[0].len == 4096 && ext[1].off == 4 << 20 && ext[1].len == 4096,
	   "two data extents, holes skipped");
	free(ext);

	ok(pwrite(fb, blk, sizeof(blk), 0) == 4096 && pwrite(fb, blk, sizeof(blk), 4 << 20) == 4096 &&
	   ftruncate(fb, (5 << 20) + 4096) == 0, "same contents in b");
	is_int(copy_verify_fds(fa, fb), 0, "verify: equal files");
	ok(pwrite(fb, "y", 1, 12345) == 1, "one byte changed in a hole");
	is_int(copy_verify_fds(fa, fb), -EBADMSG, "verify: a difference is -EBADMSG");
	close(fa);
	close(fb);

	/* atomic_commit_flags */
	char *tmp;
	int fd = atomic_tmpfile(b, &tmp);
	ok(fd >= 0, "temp file next to b");
	is_int(atomic_commit_flags(fd, tmp, b, ATOMIC_NOSYNC | ATOMIC_NOREPLACE), -EEXIST,
	       "NOREPLACE keeps an existing file");
	ok(access(tmp, F_OK) < 0, "and removes the temp file");
	close(fd);
	free(tmp);
	char *c = xasprintf("%s/c", dir);
	fd = atomic_tmpfile(c, &tmp);
	is_int(atomic_commit_flags(fd, tmp, c, ATOMIC_NOSYNC | ATOMIC_NOREPLACE), 0, "NOREPLACE to a new name");
	ok(access(c, F_OK) == 0 && access(tmp, F_OK) < 0, "renamed into place");
	close(fd);
	free(tmp);

	size_t mem, off;
	fd = open(a, O_RDONLY);
	int rc = copy_dio_align(fd, &mem, &off);
	ok(rc == 0 || rc == -EINVAL, "dio alignment of the test directory's file system: %d", rc);
	close(fd);
	fd = open("/dev/shm", O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		int r = copy_dio_align(fd, &mem, &off);
		is_int(r, -EINVAL, "tmpfs (/dev/shm) does no direct I/O");
		close(fd);
	}
	unlink(a);
	unlink(b);
	unlink(c);
	free(a);
	free(b);
	free(c);
}

static void test_progress(void)
{
	char buf[256];
	progress_format(buf, sizeof(buf), 100, 512ULL << 20, 1ULL << 30, 1000000000ULL);
	ok(strstr(buf, "512 MiB / 1 GiB") != NULL, "bytes done and total: %s", buf);
	ok(strstr(buf, " 50%") != NULL, "percent");
	ok(strstr(buf, "512 MiB/s") != NULL, "rate");
	ok(strstr(buf, "ETA 1 s") != NULL, "ETA");
	ok(strchr(buf, '[') != NULL, "a bar when there is room");
	progress_format(buf, sizeof(buf), 30, 0, 1ULL << 30, 0);
	ok(strlen(buf) <= 30, "fits a narrow terminal");
	ok(strstr(buf, "[") == NULL, "no bar without room");
	struct progress *p = progress_new(stderr, 100, false);
	ok(!progress_active(p), "disabled bar is inactive");
	progress_update(p, 50);
	progress_finish(p);
}

/* THPeligible of the mapping holding p, from /proc/self/smaps: -1 unknown. */
static int thp_eligible(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	int inside = 0, r = -1;
	uintptr_t a = (uintptr_t)p;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			inside = a >= lo && a < hi;
		else if (inside && sscanf(line, "THPeligible: %d", &r) == 1)
			break;
	}
	fclose(f);
	return r;
}

static void test_buffers(void)
{
	size_t big = 8u << 20, small = 64u << 10;
	char *p = copy_buffers_alloc(big), *q = copy_buffers_alloc(small);

	ok(p && (uintptr_t)p % COPY_HUGE_PAGE == 0, "a pool of 2 MiB or more is 2 MiB aligned");
	ok(q && (uintptr_t)q % COPY_BUFFER_ALIGN == 0, "a small pool is 4 KiB aligned");
	memset(p, 0xa5, big);
	memset(q, 0x5a, small);
	ok(p[0] == (char)0xa5 && p[big - 1] == (char)0xa5 && q[small - 1] == 0x5a,
	   "every byte of both pools is writable");

	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = '\0';
		fclose(f);
	}
	int e = thp_eligible(p);
	if (e == -1)
		skip("no THPeligible in /proc/self/smaps: huge-page advice not checked");
	else if (strstr(mode, "[madvise]") || strstr(mode, "[always]"))
		is_int(e, 1, "the large pool is advised onto transparent huge pages");
	else
		skip("transparent huge pages are off here (%s): plain pages", mode[0] ? "never" : "absent");
	free(p);
	free(q);
}

static void test_temp_names_and_sources(const char *dir)
{
	ok(copy_tmp_name_ours(".data.bin.tkcp-aZ09xY"), "our temp name");
	ok(copy_tmp_name_ours(".x.tkcp-AAAAAA"), "a short one");
	ok(!copy_tmp_name_ours("data.bin.tkcp-aZ09xY"), "not hidden: not ours");
	ok(!copy_tmp_name_ours(".data.bin.aZ09xY"), "mkstemp's (rsync, editors) are not ours");
	ok(!copy_tmp_name_ours(".data.tkcp-aZ09x"), "five random characters: not ours");
	ok(!copy_tmp_name_ours(".data.tkcp-aZ0-xY"), "a character outside the alphabet: not ours");
	ok(!copy_tmp_name_ours(".tkcp-aZ09xY"), "no name before the marker: not ours");

	int fd = open("/proc/self/status", O_RDONLY);
	ok(fd >= 0 && copy_fd_size_unreliable(fd), "procfs sizes are not the contents");
	if (fd >= 0)
		close(fd);
	fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);
	if (fd < 0)
		fd = open("/sys/kernel/uevent_seqnum", O_RDONLY);
	if (fd >= 0) {
		ok(copy_fd_size_unreliable(fd), "sysfs sizes are not the contents");
		close(fd);
	} else {
		skip("no sysfs attribute to open here");
	}
	char *a = xasprintf("%s/plain", dir);
	fd = open(a, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && !copy_fd_size_unreliable(fd), "a file in the test directory has a true size");
	if (fd >= 0)
		close(fd);
	unlink(a);
	free(a);
}

/* The method= of --stats for a run's counters (files, cloned, cfr). */
static bool method_is(uint64_t files, uint64_t cloned, uint64_t cfr, const char *want)
{
	struct copy_stats st = { .files = files, .cloned = cloned, .cfr = cfr };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out)
		return false;
	copy_stats_print(out, "io_uring", &st);
	fclose(out);
	char *m = strstr(buf, " method=");
	char *c = strstr(buf, " copy_file_range=");
	bool r = m && c && c < m && !strncmp(m + 8, want, strlen(want)) &&
		 m[8 + strlen(want)] == '\n';
	free(buf);
	return r;
}

static void test_stats_method(void)
{
	ok(method_is(3, 3, 0, "reflink"), "every file cloned: method=reflink");
	ok(method_is(2, 0, 2, "copy_file_range"), "every file by copy_file_range");
	ok(method_is(5, 0, 0, "io_uring"), "none by a fast path: the engine's name");
	ok(method_is(4, 1, 2, "mixed"), "some of each: mixed");
	ok(method_is(0, 0, 0, "none"), "no file: none");
}

int main(void)
{
	char tmpl[] = "/tmp/tk-copyjob-XXXXXX";
	char *dir = mkdtemp(tmpl);
	test_paths();
	test_chunks();
	test_completions();
	test_files(dir);
	test_temp_names_and_sources(dir);
	test_progress();
	test_buffers();
	test_stats_method();
	rmdir(dir);
	return done_testing();
}
