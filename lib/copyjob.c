/* SPDX-License-Identifier: GPL-2.0-or-later */
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
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
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

/* Files from this size on are preallocated with fallocate and, when direct,
 * written with O_DIRECT; smaller ones are written through the page cache (on
 * a tree of small files the extra calls and synchronous block allocation of
 * O_DIRECT writes cost far more than they save). */
#define COPY_PREALLOC_MIN (1024 * 1024)
/* Progress is on by default (on a tty) from this many bytes on. */
#define COPY_PROGRESS_AUTO_MIN (64ULL * 1024 * 1024)

/* ---- temp files to remove when a signal ends the program ---------------- */

/* Written only with the signals below unblocked but as single pointer stores,
 * read by the handler: a slot is either a valid string or NULL. */
static char *volatile *tmp_slots;
static size_t tmp_nslots;
static const int cleanup_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGXFSZ };
static struct sigaction saved_actions[ARRAY_SIZE(cleanup_signals)];
static bool handler_installed[ARRAY_SIZE(cleanup_signals)];

static void on_fatal_signal(int sig)
{
	for (size_t i = 0; i < tmp_nslots; i++) {
		char *p = tmp_slots[i];
		if (p)
			unlink(p);
	}
	/* SA_RESETHAND restored the default action: die of the same signal */
	raise(sig);
}

static void tmp_register(char *path)
{
	for (size_t i = 0; i < tmp_nslots; i++)
		if (!tmp_slots[i]) {
			tmp_slots[i] = path;
			return;
		}
}

static void tmp_unregister(const char *path)
{
	for (size_t i = 0; i < tmp_nslots; i++)
		if (tmp_slots[i] == path) {
			tmp_slots[i] = NULL;
			return;
		}
}

static void signals_install(size_t slots)
{
	tmp_nslots = slots;
	tmp_slots = xcalloc(slots, sizeof(*tmp_slots));
	for (size_t i = 0; i < ARRAY_SIZE(cleanup_signals); i++) {
		struct sigaction sa = { 0 };
		sa.sa_handler = on_fatal_signal;
		sa.sa_flags = SA_RESETHAND;
		sigfillset(&sa.sa_mask);
		handler_installed[i] = false;
		if (sigaction(cleanup_signals[i], NULL, &saved_actions[i]) < 0)
			continue;
		/* keep "ignored" as it was (nohup) */
		if (saved_actions[i].sa_handler == SIG_IGN)
			continue;
		if (sigaction(cleanup_signals[i], &sa, NULL) == 0)
			handler_installed[i] = true;
	}
}

static void signals_restore(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cleanup_signals); i++)
		if (handler_installed[i])
			sigaction(cleanup_signals[i], &saved_actions[i], NULL);
	char *volatile *slots = tmp_slots;
	tmp_nslots = 0;
	tmp_slots = NULL;
	free((void *)slots);
}

/* ---- the queue ------------------------------------------------------------ */

struct copy_item {
	char *src, *dst;
	mode_t mode;   /* mode for the new file */
	bool nofollow; /* open the source with O_NOFOLLOW (inside a tree) */
};

struct copy_dir {
	char *src, *dst;
	struct stat st;
	bool created;
};

struct copy_queue {
	const struct copy_opts *o;
	struct copy_stats *stats;
	struct copy_item *items;
	size_t n_items, cap_items, next_item;
	struct copy_dir *dirs;
	size_t n_dirs, cap_dirs;
	uint64_t total_bytes;
	mode_t umask;
	struct progress *progress;
	bool warned_no_direct;
};

const struct copy_opts *copy_queue_opts(const struct copy_queue *q)
{
	return q->o;
}

struct copy_stats *copy_queue_stats(struct copy_queue *q)
{
	return q->stats;
}

static void report(struct copy_queue *q, const char *path, const char *op, int err,
		   const char *hint)
{
	struct copy_error e = { .path = path, .op = op, .err = err, .hint = hint };
	progress_clear(q->progress);
	if (q->o->report)
		q->o->report(&e);
	else if (err && hint)
		msg_warn("%s: %s: %s (%s)", path, op, strerror(err), hint);
	else if (err)
		msg_warn_errno(err, "%s: %s", path, op);
	else if (hint)
		msg_warn("%s: %s (%s)", path, op, hint);
	else
		msg_warn("%s: %s", path, op);
}

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

static void fail(struct copy_queue *q, const char *path, const char *op, int err,
		 const char *hint)
{
	report(q, path, op, err, hint);
	q->stats->failures++;
}

static void verbose_copied(struct copy_queue *q, const char *src, const char *dst)
{
	if (!q->o->verbose)
		return;
	progress_clear(q->progress);
	printf("'%s' -> '%s'\n", src, dst);
}

/* ---- small path helpers --------------------------------------------------- */

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	if (n && dir[n - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

char *copy_target_path(const char *src, const char *dst, bool dst_is_dir)
{
	if (!dst_is_dir)
		return xstrdup(dst);
	char *s = xstrdup(src);
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	char *slash = strrchr(s, '/');
	const char *base = slash && slash[1] ? slash + 1 : s;
	char *out = path_join(dst, base);
	free(s);
	return out;
}

/* ".NAME.XXXXXX" next to path, for symlinks and special files (regular files
 * get theirs from atomic_tmpfile()). */
static char *tmp_name(const char *path)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[6];
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		unsigned long v = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16) ^ (unsigned long)clock();
		for (size_t i = 0; i < sizeof(rnd); i++, v >>= 5)
			rnd[i] = (unsigned char)v;
	}
	char suffix[7];
	for (size_t i = 0; i < 6; i++)
		suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
	suffix[6] = '\0';
	char *d = xstrdup(path), *b = xstrdup(path);
	char *out = xasprintf("%s/.%s.%s", dirname(d), basename(b), suffix);
	free(d);
	free(b);
	return out;
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

/* ---- opening and finishing files ------------------------------------------ */

static void file_close(struct copy_file *f)
{
	if (f->src_dfd >= 0)
		close(f->src_dfd);
	if (f->dst_dfd >= 0)
		close(f->dst_dfd);
	if (f->src_fd >= 0)
		close(f->src_fd);
	if (f->dst_fd >= 0)
		close(f->dst_fd);
	f->src_fd = f->dst_fd = f->src_dfd = f->dst_dfd = -1;
}

static void file_free(struct copy_file *f)
{
	file_close(f);
	free(f->src);
	free(f->dst);
	free(f->tmp);
	free(f->ext);
	free(f);
}

/* Files whose size says 0 (empty, or /proc-like): copy with read/write until EOF. */
static int copy_by_reading(struct copy_file *f, uint64_t *bytes)
{
	char buf[65536];
	uint64_t off = 0;
	for (;;) {
		ssize_t r = read(f->src_fd, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			copy_file_fail(f, f->src, "read", errno);
			return -1;
		}
		if (r == 0)
			break;
		for (ssize_t w = 0; w < r;) {
			ssize_t n = pwrite(f->dst_fd, buf + w, (size_t)(r - w), (off_t)off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				copy_file_fail(f, f->dst, "write", n < 0 ? errno : EIO);
				return -1;
			}
			w += n;
			off += (uint64_t)n;
		}
	}
	*bytes = off;
	return 0;
}

static const char op_no_direct[] = "file system does not support O_DIRECT";

/* Open the O_DIRECT pair; false (and f stays buffered) where the file system
 * cannot do direct I/O. */
static bool open_direct(struct copy_queue *q, struct copy_file *f)
{
	size_t smem, soff, dmem, doff;
	int rc = copy_dio_align(f->src_fd, &smem, &soff);
	const char *where = f->src;
	if (rc == 0) {
		rc = copy_dio_align(f->dst_fd, &dmem, &doff);
		where = f->dst;
	}
	if (rc == 0) {
		size_t a = soff > doff ? soff : doff;
		size_t m = smem > dmem ? smem : dmem;
		if (q->o->block_size % a || m > COPY_BUFFER_ALIGN) {
			rc = -EINVAL;
		} else {
			char p[64];
			snprintf(p, sizeof(p), "/proc/self/fd/%d", f->src_fd);
			f->src_dfd = open(p, O_RDONLY | O_DIRECT | O_CLOEXEC);
			if (f->src_dfd < 0)
				f->src_dfd = open(f->src, O_RDONLY | O_DIRECT | O_CLOEXEC | O_NOFOLLOW);
			struct stat st;
			if (f->src_dfd < 0 || fstat(f->src_dfd, &st) < 0 ||
			    st.st_dev != f->st.st_dev || st.st_ino != f->st.st_ino)
				rc = f->src_dfd < 0 && errno != EINVAL ? -errno : -EINVAL;
			where = f->src;
			if (rc == 0) {
				f->dst_dfd = open(f->tmp, O_WRONLY | O_DIRECT | O_CLOEXEC | O_NOFOLLOW);
				if (f->dst_dfd < 0) {
					rc = -errno;
					where = f->dst;
				}
			}
			if (rc == 0) {
				f->dio_align = a;
				q->stats->direct = true;
				return true;
			}
			if (f->src_dfd >= 0)
				close(f->src_dfd);
			f->src_dfd = -1;
		}
	}
	if (q->o->direct_required) {
		copy_file_fail(f, where, op_no_direct, 0);
		return false;
	}
	if (!q->warned_no_direct) {
		progress_clear(q->progress);
		msg_warn("%s: no O_DIRECT on this file system, copying through the page cache", where);
		q->warned_no_direct = true;
	}
	return false;
}

struct copy_file *copy_queue_next(struct copy_queue *q)
{
	const struct copy_opts *o = q->o;
	while (q->next_item < q->n_items) {
		struct copy_item *it = &q->items[q->next_item++];
		struct copy_file *f = xcalloc(1, sizeof(*f));
		f->q = q;
		f->src = it->src;
		f->dst = it->dst;
		it->src = it->dst = NULL;
		f->src_fd = f->dst_fd = f->src_dfd = f->dst_dfd = -1;
		f->engine_slot = -1;
		f->dio_align = 1;

		f->src_fd = open(f->src, O_RDONLY | O_CLOEXEC | O_NOCTTY |
				 (it->nofollow ? O_NOFOLLOW : 0));
		if (f->src_fd < 0) {
			fail(q, f->src, "open", errno, NULL);
			file_free(f);
			continue;
		}
		if (fstat(f->src_fd, &f->st) < 0) {
			fail(q, f->src, "stat", errno, NULL);
			file_free(f);
			continue;
		}
		if (!S_ISREG(f->st.st_mode)) {
			fail(q, f->src, "not a regular file", 0, NULL);
			file_free(f);
			continue;
		}
		int fd = atomic_tmpfile(f->dst, &f->tmp);
		if (fd < 0) {
			fail(q, f->dst, "create temp file", -fd, NULL);
			file_free(f);
			continue;
		}
		f->dst_fd = fd;
		tmp_register(f->tmp);
		/* the mode set at the end; until then only we can open it */
		f->st.st_mode = (f->st.st_mode & ~07777u) | it->mode;

		if (o->direct && f->st.st_size > 0) {
			f->direct = open_direct(q, f);
			/* an O_DIRECT write that allocates blocks waits for the file
			 * system: small files are written through the page cache
			 * (their reads stay direct) */
			f->write_buffered = f->st.st_size < COPY_PREALLOC_MIN;
		}

		uint64_t size = (uint64_t)f->st.st_size;
		int rc = 0;
		if (f->err) {
			/* direct refused: finish (report, remove) right away */
		} else if (size == 0) {
			uint64_t n = 0;
			if (copy_by_reading(f, &n) == 0)
				q->stats->bytes += n;
		} else if ((uint64_t)f->st.st_blocks * 512 < size) {
			rc = copy_extents(f->src_fd, size, &f->ext, &f->n_ext);
			if (rc)
				copy_file_fail(f, f->src, "seek data", -rc);
		} else {
			f->ext = xmalloc(sizeof(*f->ext));
			f->ext[0].off = 0;
			f->ext[0].len = size;
			f->n_ext = 1;
		}
		if (!f->err && size >= COPY_PREALLOC_MIN) {
			for (size_t i = 0; i < f->n_ext; i++) {
				if (fallocate(f->dst_fd, 0, (off_t)f->ext[i].off, (off_t)f->ext[i].len) == 0)
					continue;
				if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
					copy_file_fail(f, f->dst, "preallocate", errno);
				break;
			}
		}
		return f;
	}
	return NULL;
}

static void apply_metadata(struct copy_queue *q, struct copy_file *f)
{
	const struct stat *st = &f->st;
	if (q->o->preserve) {
		if (fchown(f->dst_fd, st->st_uid, st->st_gid) < 0 && errno != EPERM) {
			copy_file_fail(f, f->dst, "preserve owner", errno);
			return;
		}
	}
	if (fchmod(f->dst_fd, st->st_mode & 07777) < 0) {
		copy_file_fail(f, f->dst, "set mode", errno);
		return;
	}
	if (q->o->preserve) {
		struct timespec ts[2] = { st->st_atim, st->st_mtim };
		if (futimens(f->dst_fd, ts) < 0)
			copy_file_fail(f, f->dst, "preserve timestamps", errno);
	}
}

void copy_queue_done(struct copy_queue *q, struct copy_file *f)
{
	const struct copy_opts *o = q->o;
	uint64_t size = (uint64_t)f->st.st_size;

	/* direct descriptors are done; what follows goes through dst_fd */
	if (f->src_dfd >= 0)
		close(f->src_dfd);
	if (f->dst_dfd >= 0)
		close(f->dst_dfd);
	f->src_dfd = f->dst_dfd = -1;

	if (!f->err && size) {
		/* a trailing hole leaves the file short */
		struct stat dst_st;
		if (fstat(f->dst_fd, &dst_st) < 0)
			copy_file_fail(f, f->dst, "stat", errno);
		else if ((uint64_t)dst_st.st_size != size && ftruncate(f->dst_fd, (off_t)size) < 0)
			copy_file_fail(f, f->dst, "truncate", errno);
	}
	if (!f->err)
		apply_metadata(q, f);
	if (!f->err && o->fsync && fsync(f->dst_fd) < 0)
		copy_file_fail(f, f->dst, "fsync", errno);
	if (!f->err && o->verify) {
		/* read the copy back from the device when it is on it */
		if (o->fsync)
			posix_fadvise(f->dst_fd, 0, 0, POSIX_FADV_DONTNEED);
		int rc = copy_verify_fds(f->src_fd, f->dst_fd);
		if (rc == -EBADMSG)
			copy_file_fail(f, f->dst, "verify: contents differ from the source", 0);
		else if (rc)
			copy_file_fail(f, f->dst, "verify", -rc);
	}
	if (!f->err) {
		unsigned flags = (o->fsync ? 0 : ATOMIC_NOSYNC) | (o->no_clobber ? ATOMIC_NOREPLACE : 0);
		int rc = atomic_commit_flags(f->dst_fd, f->tmp, f->dst, flags);
		if (rc == 0) {
			q->stats->files++;
			verbose_copied(q, f->src, f->dst);
		} else if (!(rc == -EEXIST && o->no_clobber)) {
			/* -n keeps a destination that appeared while we copied */
			copy_file_fail(f, f->dst, "rename into place", -rc);
		}
	}
	if (f->err) {
		unlink(f->tmp);
		fail(q, f->err_path, f->err_op, f->err > 0 ? f->err : 0,
		     f->err_op == op_no_direct ? o->direct_hint : NULL);
	}
	tmp_unregister(f->tmp);
	file_free(f);
}

/* ---- walking the sources --------------------------------------------------- */

static void add_item(struct copy_queue *q, const char *src, const char *dst, mode_t mode,
		     bool nofollow, uint64_t size)
{
	if (q->n_items == q->cap_items) {
		q->cap_items = q->cap_items ? q->cap_items * 2 : 64;
		q->items = xreallocarray(q->items, q->cap_items, sizeof(*q->items));
	}
	struct copy_item *it = &q->items[q->n_items++];
	it->src = xstrdup(src);
	it->dst = xstrdup(dst);
	it->mode = mode;
	it->nofollow = nofollow;
	q->total_bytes += size;
}

static void add_file(struct copy_queue *q, const char *src, const char *dst_in,
		     const struct stat *st, bool nofollow)
{
	const struct copy_opts *o = q->o;
	char *resolved = NULL;
	const char *dst = dst_in;
	struct stat dst_st;
	mode_t mode = o->preserve ? (st->st_mode & 07777) : (st->st_mode & 0777 & ~q->umask);

	if (lstat(dst, &dst_st) == 0) {
		if (S_ISLNK(dst_st.st_mode)) {
			/* like cp, write through a symlink to an existing file */
			if (stat(dst, &dst_st) < 0) {
				fail(q, dst, "not writing through dangling symlink", 0, NULL);
				return;
			}
			resolved = realpath(dst, NULL);
			if (!resolved) {
				fail(q, dst, "resolve symlink", errno, NULL);
				return;
			}
			dst = resolved;
		}
		if (S_ISDIR(dst_st.st_mode)) {
			fail(q, dst_in, "cannot overwrite directory with non-directory", 0, NULL);
			goto out;
		}
		if (dst_st.st_dev == st->st_dev && dst_st.st_ino == st->st_ino) {
			fail(q, src, "source and destination are the same file", 0, NULL);
			goto out;
		}
		if (o->no_clobber)
			goto out;
		if (!o->force && faccessat(AT_FDCWD, dst, W_OK, AT_EACCESS) < 0 && errno == EACCES) {
			fail(q, dst_in, "open for writing", EACCES, "-f replaces it");
			goto out;
		}
		if (!o->preserve)
			mode = dst_st.st_mode & 07777; /* cp keeps an existing file's mode */
	}
	add_item(q, src, dst, mode, nofollow, (uint64_t)st->st_size);
out:
	free(resolved);
}

/* Create a symlink or special file under a temp name, then rename it. */
static void add_other(struct copy_queue *q, const char *src, const char *dst, const struct stat *st)
{
	const struct copy_opts *o = q->o;
	struct stat dst_st;
	char *target = NULL, *tmp = NULL;

	if (lstat(dst, &dst_st) == 0) {
		if (S_ISDIR(dst_st.st_mode)) {
			fail(q, dst, "cannot overwrite directory with non-directory", 0, NULL);
			return;
		}
		if (dst_st.st_dev == st->st_dev && dst_st.st_ino == st->st_ino) {
			fail(q, src, "source and destination are the same file", 0, NULL);
			return;
		}
		if (o->no_clobber)
			return;
	}
	if (S_ISLNK(st->st_mode)) {
		size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : PATH_MAX;
		target = xmalloc(cap);
		ssize_t n = readlink(src, target, cap);
		if (n < 0 || (size_t)n >= cap) {
			fail(q, src, "read symlink", n < 0 ? errno : ENAMETOOLONG, NULL);
			goto out;
		}
		target[n] = '\0';
	}
	for (int tries = 0;; tries++) {
		free(tmp);
		tmp = tmp_name(dst);
		int rc = S_ISLNK(st->st_mode) ? symlink(target, tmp)
					      : mknod(tmp, st->st_mode & (S_IFMT | 0777), st->st_rdev);
		if (rc == 0)
			break;
		if (errno != EEXIST || tries > 100) {
			fail(q, dst, S_ISLNK(st->st_mode) ? "create symlink" : "create special file",
			     errno, NULL);
			goto out;
		}
	}
	tmp_register(tmp);
	if (o->preserve) {
		struct timespec ts[2] = { st->st_atim, st->st_mtim };
		if (lchown(tmp, st->st_uid, st->st_gid) < 0 && errno != EPERM) {
			fail(q, dst, "preserve owner", errno, NULL);
			unlink(tmp);
			goto unreg;
		}
		if (!S_ISLNK(st->st_mode))
			chmod(tmp, st->st_mode & 07777);
		utimensat(AT_FDCWD, tmp, ts, AT_SYMLINK_NOFOLLOW);
	}
	int rc = atomic_commit_flags(-1, tmp, dst, ATOMIC_NOSYNC | (o->no_clobber ? ATOMIC_NOREPLACE : 0));
	if (rc == 0 && o->fsync)
		rc = fsync_parent_dir(dst);
	if (rc && !(rc == -EEXIST && o->no_clobber))
		fail(q, dst, "rename into place", -rc, NULL);
	else if (rc == 0)
		verbose_copied(q, src, dst);
unreg:
	tmp_unregister(tmp);
out:
	free(target);
	free(tmp);
}

struct dir_entry {
	ino_t ino;
	char *name;
};

static int by_inode(const void *a, const void *b)
{
	const struct dir_entry *x = a, *y = b;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void walk(struct copy_queue *q, const char *src, const char *dst, const struct stat *st,
		 bool top);

static bool inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Would copying directory src to dst put dst inside src? */
static bool dir_into_itself(const char *src, const char *dst)
{
	char *rs = realpath(src, NULL), *rd = realpath(dst, NULL);
	bool bad = false;
	if (!rd) {
		char *d = xstrdup(dst), *b = xstrdup(dst);
		char *parent = realpath(dirname(d), NULL);
		if (parent) {
			rd = path_join(parent, basename(b));
			free(parent);
		}
		free(d);
		free(b);
	}
	if (rs && rd)
		bad = inside(rd, rs);
	free(rs);
	free(rd);
	return bad;
}

static void copy_dir(struct copy_queue *q, const char *src, const char *dst, const struct stat *st,
		     bool top)
{
	struct stat dst_st;
	bool created = false;

	if (top && dir_into_itself(src, dst)) {
		fail(q, src, "cannot copy a directory into itself", 0, NULL);
		return;
	}
	if (lstat(dst, &dst_st) == 0) {
		if (!S_ISDIR(dst_st.st_mode)) {
			fail(q, dst, "cannot overwrite non-directory with directory", 0, NULL);
			return;
		}
	} else if (mkdir(dst, (st->st_mode & 0777) | 0700) < 0) {
		fail(q, dst, "create directory", errno, NULL);
		return;
	} else {
		created = true;
		verbose_copied(q, src, dst);
	}
	if (q->n_dirs == q->cap_dirs) {
		q->cap_dirs = q->cap_dirs ? q->cap_dirs * 2 : 16;
		q->dirs = xreallocarray(q->dirs, q->cap_dirs, sizeof(*q->dirs));
	}
	struct copy_dir *cd = &q->dirs[q->n_dirs++];
	cd->src = xstrdup(src);
	cd->dst = xstrdup(dst);
	cd->st = *st;
	cd->created = created;

	int dfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		fail(q, src, "open directory", errno, NULL);
		if (dfd >= 0)
			close(dfd);
		return;
	}
	struct dir_entry *ents = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	for (;;) {
		errno = 0;
		if (!(de = readdir(d)))
			break;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			ents = xreallocarray(ents, cap, sizeof(*ents));
		}
		ents[n].ino = de->d_ino;
		ents[n].name = xstrdup(de->d_name);
		n++;
	}
	if (errno)
		fail(q, src, "read directory", errno, NULL);
	/* inode order: the stats of a cold tree read the inode table in sequence */
	if (n > 1)
		qsort(ents, n, sizeof(*ents), by_inode);
	for (size_t i = 0; i < n; i++) {
		struct stat cst;
		char *csrc = path_join(src, ents[i].name);
		char *cdst = path_join(dst, ents[i].name);
		if (fstatat(dirfd(d), ents[i].name, &cst, AT_SYMLINK_NOFOLLOW) < 0)
			fail(q, csrc, "stat", errno, NULL);
		else
			walk(q, csrc, cdst, &cst, false);
		free(csrc);
		free(cdst);
		free(ents[i].name);
	}
	free(ents);
	closedir(d);
}

static void walk(struct copy_queue *q, const char *src, const char *dst, const struct stat *st,
		 bool top)
{
	if (S_ISREG(st->st_mode))
		add_file(q, src, dst, st, !top || q->o->recursive);
	else if (S_ISDIR(st->st_mode)) {
		if (q->o->recursive)
			copy_dir(q, src, dst, st, top);
		else
			fail(q, src, "omitting directory", EISDIR, "use -r to copy directories");
	} else if (q->o->recursive)
		add_other(q, src, dst, st);
	else
		fail(q, src, "not a regular file", 0, "use -r to copy special files");
}

/* Modes and times of directories once their contents are in (deepest first). */
static void finish_dirs(struct copy_queue *q)
{
	const struct copy_opts *o = q->o;
	for (size_t i = q->n_dirs; i-- > 0;) {
		struct copy_dir *cd = &q->dirs[i];
		if (o->preserve) {
			struct timespec ts[2] = { cd->st.st_atim, cd->st.st_mtim };
			if (lchown(cd->dst, cd->st.st_uid, cd->st.st_gid) < 0 && errno != EPERM)
				fail(q, cd->dst, "preserve owner", errno, NULL);
			if (chmod(cd->dst, cd->st.st_mode & 07777) < 0)
				fail(q, cd->dst, "set mode", errno, NULL);
			if (utimensat(AT_FDCWD, cd->dst, ts, AT_SYMLINK_NOFOLLOW) < 0)
				fail(q, cd->dst, "preserve timestamps", errno, NULL);
		} else if (cd->created && chmod(cd->dst, cd->st.st_mode & 0777 & ~q->umask) < 0) {
			fail(q, cd->dst, "set mode", errno, NULL);
		}
		if (o->fsync && cd->created)
			fsync_parent_dir(cd->dst);
		free(cd->src);
		free(cd->dst);
	}
	free(q->dirs);
	q->dirs = NULL;
	q->n_dirs = 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int copy_run(const struct copy_opts *opts, char *const *srcs, size_t nsrc,
	     const char *dst, struct copy_engine *engine, struct copy_stats *stats)
{
	struct copy_queue q = { .o = opts, .stats = stats };
	struct stat dst_st;
	int rc = 0;

	memset(stats, 0, sizeof(*stats));
	if (nsrc == 0)
		return -EINVAL;
	q.umask = umask(0);
	umask(q.umask);

	uint64_t t0 = now_ns();
	/* temp files exist for the files in flight (at most one per chunk, plus
	 * the one being opened) and one symlink or special file */
	signals_install((size_t)opts->queue_depth * 2 + 8);

	int dst_errno = stat(dst, &dst_st) < 0 ? errno : 0;
	bool dst_is_dir = !dst_errno && S_ISDIR(dst_st.st_mode);
	size_t dlen = strlen(dst);
	if (nsrc > 1 && !dst_is_dir) {
		fail(&q, dst, "target directory", dst_errno ? dst_errno : ENOTDIR, NULL);
		rc = -ENOTDIR;
		goto out;
	}
	for (size_t i = 0; i < nsrc; i++) {
		struct stat st;
		int r = opts->recursive ? lstat(srcs[i], &st) : stat(srcs[i], &st);
		if (r < 0) {
			fail(&q, srcs[i], "stat", errno, NULL);
			continue;
		}
		if (!dst_is_dir && dlen && dst[dlen - 1] == '/' && !S_ISDIR(st.st_mode)) {
			fail(&q, dst, "create", ENOTDIR, NULL);
			continue;
		}
		char *target = copy_target_path(srcs[i], dst, dst_is_dir);
		walk(&q, srcs[i], target, &st, true);
		free(target);
	}

	bool show = opts->progress == COPY_PROGRESS_ON ||
		    (opts->progress == COPY_PROGRESS_AUTO && q.total_bytes >= COPY_PROGRESS_AUTO_MIN);
	q.progress = progress_new(stderr, q.total_bytes, show);

	if (q.n_items) {
		const char *what = NULL;
		rc = engine->run(engine, &q, &what);
		if (rc < 0) {
			report(&q, engine->name, what ? what : "engine", -rc, NULL);
			/* files the engine never took count as failed */
			stats->failures += (unsigned)(q.n_items - q.next_item) + 1;
		}
	}
	finish_dirs(&q);
	progress_finish(q.progress);
	q.progress = NULL;
out:
	stats->elapsed_ns = now_ns() - t0;
	for (size_t i = 0; i < q.n_items; i++) {
		free(q.items[i].src);
		free(q.items[i].dst);
	}
	free(q.items);
	finish_dirs(&q);
	signals_restore();
	return rc;
}

void copy_stats_print(FILE *out, const char *engine, const struct copy_stats *s)
{
	double secs = (double)s->elapsed_ns / 1e9;
	double mibs = secs > 0 ? (double)s->bytes / 1048576.0 / secs : 0.0;
	fprintf(out, "engine=%s files=%llu bytes=%llu seconds=%.3f mib_per_s=%.1f "
		"submissions=%llu completions=%llu resubmits=%llu direct=%d "
		"fixed_buffers=%d fixed_files=%d failures=%u\n",
		engine, (unsigned long long)s->files, (unsigned long long)s->bytes, secs, mibs,
		(unsigned long long)s->submissions, (unsigned long long)s->completions,
		(unsigned long long)s->resubmits, s->direct, s->fixed_buffers, s->fixed_files,
		s->failures);
}
