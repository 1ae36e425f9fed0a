/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-file chunk machine of the copy front end: data regions
 * (SEEK_DATA/SEEK_HOLE), O_DIRECT alignment, chunks handed to the engines
 * and the rules for their completions; the buffer pool and the -q/-b
 * parsers; verification of two open files.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "c.h"
#include "copyint.h"
#include "copyjob.h"
#include "digest.h"
#include "msg.h"
#include "progress.h"
#include "units.h"
#include "xalloc.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif
/* File systems whose st_size is not the contents (linux/magic.h). */
#define PROC_FS_MAGIC 0x9fa0
#define SYSFS_FS_MAGIC 0x62656572
#define DEBUGFS_FS_MAGIC 0x64626720
#define TRACEFS_FS_MAGIC 0x74726163
#define SECURITYFS_FS_MAGIC 0x73636673
#define CONFIGFS_FS_MAGIC 0x62656570
#define CGROUP_FS_MAGIC 0x27e0eb
#define CGROUP2_FS_MAGIC 0x63677270
#define EFIVARFS_FS_MAGIC 0xde5e81e4
#define PSTORE_FS_MAGIC 0x6165676c
#define FUSECTL_FS_MAGIC 0x65735543

/*
 * Huge pages matter for O_DIRECT: the kernel pins every page of a chunk for
 * the length of the I/O and builds the request from them. A 4 MiB chunk on
 * 4 KiB pages is 1024 pins and 1024 segments, which the virtio disk (254
 * segments a request) takes as five requests; on two huge pages it is two pins
 * and one 4 MiB request. Measured like bench/copy's direct case (2 GiB,
 * --fsync, caches dropped), 7 interleaved rounds, medians: aiocp 3.538 s ->
 * 2.141 s, uringcp --direct 2.410 s -> 2.098 s (fio's read+write ceiling
 * 2.185 s). Where THP is off ("never", or not built) the advice fails and
 * the pool is plain pages: nothing else changes.
 */
void *copy_buffers_alloc(size_t len)
{
	size_t align = len >= COPY_HUGE_PAGE ? COPY_HUGE_PAGE : COPY_BUFFER_ALIGN;
	void *p;

	if (posix_memalign(&p, align, len))
		return NULL;
#ifdef MADV_HUGEPAGE
	if (align == COPY_HUGE_PAGE)
		(void)madvise(p, len, MADV_HUGEPAGE);
#endif
	return p;
}

int copy_parse_queue_depth(const char *s, unsigned *qd)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < 1 || v > COPY_MAX_QUEUE_DEPTH)
		return -EINVAL;
	*qd = (unsigned)v;
	return 0;
}

int copy_parse_block_size(const char *s, size_t *bs)
{
	uint64_t v;
	if (units_parse_size(s, &v) < 0 || v < 4096 || v > COPY_MAX_BLOCK_SIZE || v % 4096)
		return -EINVAL;
	*bs = (size_t)v;
	return 0;
}

bool copy_fd_size_unreliable(int fd)
{
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0)
		return false;
	switch ((unsigned long)sfs.f_type) {
	case PROC_FS_MAGIC:
	case SYSFS_FS_MAGIC:
	case DEBUGFS_FS_MAGIC:
	case TRACEFS_FS_MAGIC:
	case SECURITYFS_FS_MAGIC:
	case CONFIGFS_FS_MAGIC:
	case CGROUP_FS_MAGIC:
	case CGROUP2_FS_MAGIC:
	case EFIVARFS_FS_MAGIC:
	case PSTORE_FS_MAGIC:
	case FUSECTL_FS_MAGIC:
		return true;
	default:
		return false;
	}
}

/* ---- extents, alignment, verification ------------------------------------- */

int copy_extents(int fd, uint64_t size, struct copy_extent **ext, size_t *n)
{
	struct copy_extent *v = NULL;
	size_t cnt = 0, cap = 0;
	uint64_t pos = 0;

	*ext = NULL;
	*n = 0;
	while (pos < size) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO) /* only a hole up to the end */
				break;
			if (errno == EINVAL && cnt == 0) { /* no SEEK_DATA here */
				data = (off_t)pos;
			} else {
				int e = errno;
				free(v);
				return -e;
			}
		}
		if ((uint64_t)data >= size)
			break;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0) {
			if (errno != EINVAL) {
				int e = errno;
				free(v);
				return -e;
			}
			hole = (off_t)size;
		}
		uint64_t end = (uint64_t)hole < size ? (uint64_t)hole : size;
		if (end <= (uint64_t)data) /* file changed under us: stop */
			break;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 4;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[cnt].off = (uint64_t)data;
		v[cnt].len = end - (uint64_t)data;
		cnt++;
		pos = end;
	}
	*ext = v;
	*n = cnt;
	return 0;
}

int copy_dio_align(int fd, size_t *mem, size_t *offset)
{
#if defined(HAVE_STATX) && defined(STATX_DIOALIGN)
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
	    (sx.stx_mask & STATX_DIOALIGN)) {
		if (!sx.stx_dio_offset_align || !sx.stx_dio_mem_align)
			return -EINVAL;
		*mem = sx.stx_dio_mem_align;
		*offset = sx.stx_dio_offset_align;
		return 0;
	}
#endif
	/* Older kernels, or a file system that does not say: tmpfs and ramfs
	 * accept O_DIRECT opens (6.6+) but do no direct I/O at all. */
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	if (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC)
		return -EINVAL;
	*mem = 4096;
	*offset = 4096;
	return 0;
}

int copy_verify_fds(int a, int b)
{
	char ha[DIGEST_HEX_MAX], hb[DIGEST_HEX_MAX];
	int rc = digest_fd(DIGEST_XXH3, a, ha);
	if (rc == 0)
		rc = digest_fd(DIGEST_XXH3, b, hb);
	if (rc)
		return rc;
	return strcmp(ha, hb) ? -EBADMSG : 0;
}

/* ---- chunks and their state ------------------------------------------------ */

void copy_file_fail(struct copy_file *f, const char *path, const char *op, int err)
{
	if (f->err)
		return;
	f->err = err ? err : -1;
	f->err_path = path;
	f->err_op = op;
}

bool copy_file_next_chunk(struct copy_file *f, size_t block, struct copy_op *op)
{
	if (f->err)
		return false;
	while (f->ext_idx < f->n_ext) {
		const struct copy_extent *e = &f->ext[f->ext_idx];
		if (f->ext_pos >= e->len) {
			f->ext_idx++;
			f->ext_pos = 0;
			continue;
		}
		uint64_t off = e->off + f->ext_pos;
		uint64_t left = e->len - f->ext_pos;
		uint64_t len = left < block ? left : block;
		/* direct chunks start aligned (extents are in file system blocks);
		 * an unaligned length happens only at the end of the file */
		bool buffered = !f->direct || off % f->dio_align;
		f->ext_pos += len;
		if (f->ext_pos >= e->len) {
			f->ext_idx++;
			f->ext_pos = 0;
		}
		op->f = f;
		op->off = off;
		op->len = (uint32_t)len;
		op->done = 0;
		op->phase = COPY_PHASE_READ;
		op->buffered = buffered;
		op->retries = 0;
		f->inflight++;
		return true;
	}
	return false;
}

bool copy_file_drained(const struct copy_file *f)
{
	return f->inflight == 0 && (f->err || f->ext_idx >= f->n_ext);
}

void copy_op_io(const struct copy_op *op, struct copy_io *io)
{
	const struct copy_file *f = op->f;
	size_t rem = op->len - op->done;
	size_t a = f->dio_align;

	io->write = op->phase == COPY_PHASE_WRITE;
	io->buf = (char *)op->buf + op->done;
	io->off = op->off + op->done;
	io->len = rem;
	if (!io->write) {
		/* a direct read of the tail asks for whole blocks and gets the
		 * bytes up to the end of the file */
		io->fd = op->buffered ? f->src_fd : f->src_dfd;
		if (!op->buffered)
			io->len = (rem + a - 1) / a * a;
	} else if (op->buffered || f->write_buffered || rem < a) {
		io->fd = f->dst_fd; /* the unaligned tail goes through the page cache */
	} else {
		io->fd = f->dst_dfd;
		io->len = rem / a * a;
	}
}

enum copy_step copy_op_complete(struct copy_op *op, long res)
{
	struct copy_file *f = op->f;
	struct copy_stats *st = f->q ? f->q->stats : NULL;
	bool reading = op->phase == COPY_PHASE_READ;

	if (f->err) { /* another chunk of this file failed: stop here */
		f->inflight--;
		return COPY_STEP_FAILED;
	}
	if (res == -EAGAIN || res == -EINTR) {
		if (op->retries < COPY_MAX_RETRIES) {
			op->retries++;
			if (st)
				st->resubmits++;
			return COPY_STEP_SUBMIT;
		}
	}
	if (res < 0) {
		copy_file_fail(f, reading ? f->src : f->dst, reading ? "read" : "write", (int)-res);
		f->inflight--;
		return COPY_STEP_FAILED;
	}
	if (res == 0) {
		/* never resubmit a transfer that made no progress */
		if (reading)
			copy_file_fail(f, f->src, "file shrank while copying", 0);
		else
			copy_file_fail(f, f->dst, "write", EIO);
		f->inflight--;
		return COPY_STEP_FAILED;
	}
	struct copy_io io;
	copy_op_io(op, &io);
	if ((unsigned long)res > op->len - op->done)
		res = (long)(op->len - op->done);
	op->done += (uint32_t)res;
	if (op->done < op->len) {
		/* the remainder: a short transfer, or the tail after the aligned
		 * part of a direct write; buffered when no longer aligned */
		if (!op->buffered && op->done % f->dio_align)
			op->buffered = true;
		if (st && (size_t)res < io.len)
			st->resubmits++;
		return COPY_STEP_SUBMIT;
	}
	if (reading) {
		/* the digest comes from the buffer on its way: no second read */
		if (f->hash)
			copy_hash_chunk(f->hash, f->ext, f->n_ext, op->off, op->buf, op->len);
		op->phase = COPY_PHASE_WRITE;
		op->done = 0;
		return COPY_STEP_SUBMIT;
	}
	f->inflight--;
	if (st) {
		st->bytes += op->len;
		progress_update(f->q->progress, st->bytes);
	}
	return COPY_STEP_DONE;
}

