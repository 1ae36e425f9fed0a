/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "atomicfile.h"
#include "copyint.h"
#include "copyjob.h"
#include "digest.h"
#include "monoclock.h"
#include "msg.h"
#include "progress.h"
#include "units.h"
#include "xalloc.h"

/* Network file systems whose copy_file_range copies on the server: the data
 * never crosses the network (linux/magic.h, fs/smb/client). */
#define NFS_FS_MAGIC 0x6969
#define SMB2_FS_MAGIC 0xfe534d42
#define CIFS_FS_MAGIC 0xff534d42

/* Files from this size on are preallocated with fallocate and, when direct,
 * written with O_DIRECT; smaller ones are written through the page cache (on
 * a tree of small files the extra calls and synchronous block allocation of
 * O_DIRECT writes cost far more than they save). */
#define COPY_PREALLOC_MIN (1024 * 1024)
/* copy_file_range within one file system from this size on (cfr_wins()),
 * and at most this many bytes a call. Measured on ext4 (trees of files of
 * one size, engine time / copy_file_range time, 4-5 interleaved rounds):
 * 64 KiB hot 0.8-2.2x cold 0.5x; 1 MiB hot 0.8-1.15x cold 0.3-0.96x; 4 MiB
 * hot 1.2-1.5x cold 0.5-1.4x; 16 MiB cold 0.7-1.8x; 1 GiB hot 1.2-4.9x
 * cold 0.9-4.3x (with POSIX_FADV_SEQUENTIAL). */
#define COPY_CFR_MIN (4 * 1024 * 1024)
#define COPY_CFR_CHUNK (16 * 1024 * 1024)
/* Progress is on by default (on a tty) from this many bytes on. */
#define COPY_PROGRESS_AUTO_MIN (64ULL * 1024 * 1024)

/* ---- the queue ------------------------------------------------------------ */
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

static void fail(struct copy_queue *q, const char *path, const char *op, int err,
		 const char *hint)
{
	report(q, path, op, err, hint);
	q->stats->failures++;
}

/* A warning that is not a failure (the copy went through). */
static void TK_PRINTF(2, 3) note(struct copy_queue *q, const char *fmt, ...)
{
	char buf[PATH_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	progress_clear(q->progress);
	msg_warn("%s", buf);
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
	if (f->tmp_lock_fd >= 0)
		close(f->tmp_lock_fd);
	f->src_fd = f->dst_fd = f->src_dfd = f->dst_dfd = f->tmp_lock_fd = -1;
}

static void file_free(struct copy_file *f)
{
	file_close(f);
	free(f->src);
	free(f->dst);
	free(f->tmp);
	free(f->ext);
	copy_hash_free(f->hash);
	free(f);
}

/* Read the source to EOF and write what read() returns: at increasing
 * offsets into the temp file, or in order into a device or FIFO (which
 * take no offsets). For files whose size says nothing: empty ones, /proc
 * and /sys files, and every copy into a device or FIFO. */
#define COPY_STREAM_BUF (128 * 1024)
static int copy_stream(struct copy_file *f, uint64_t *bytes)
{
	char *buf = xmalloc(COPY_STREAM_BUF);
	uint64_t off = 0;
	int rc = 0;
	for (;;) {
		ssize_t r = read(f->src_fd, buf, COPY_STREAM_BUF);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			copy_file_fail(f, f->src, "read", errno);
			rc = -1;
			break;
		}
		if (r == 0)
			break;
		if (f->hash)
			copy_hash_chunk(f->hash, NULL, 0, off, buf, (size_t)r);
		for (ssize_t w = 0; w < r;) {
			ssize_t n = f->stream_dst ? write(f->dst_fd, buf + w, (size_t)(r - w))
						  : pwrite(f->dst_fd, buf + w, (size_t)(r - w), (off_t)off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				copy_file_fail(f, f->dst, "write", n < 0 ? errno : EIO);
				rc = -1;
				goto out;
			}
			w += n;
			off += (uint64_t)n;
		}
		if (f->q)
			progress_update(f->q->progress, f->q->stats->bytes + off);
	}
out:
	free(buf);
	*bytes = off;
	return rc;
}

static const char op_no_direct[] = "file system does not support O_DIRECT";
static const char op_no_clone[] = "cannot clone (--reflink=always)";

/* Does copy_file_range from f's source copy without moving the bytes
 * through memory at all? On NFS and SMB the server copies (the data never
 * crosses the network). On local file systems that can share extents the
 * clone came first. */
static bool cfr_offloads(const struct copy_file *f)
{
	struct statfs a, b;
	if (fstatfs(f->src_fd, &a) < 0 || fstatfs(f->dst_fd, &b) < 0 || a.f_type != b.f_type)
		return false;
	switch ((unsigned long)a.f_type) {
	case NFS_FS_MAGIC:
	case SMB2_FS_MAGIC:
	case CIFS_FS_MAGIC:
		return true;
	default:
		return false;
	}
}

/*
 * Is copy_file_range faster than the engine for f? Within one local file
 * system without clones (ext4, tmpfs) the kernel copies page cache to page
 * cache, one copy fewer than read + write through our buffers: measured
 * faster hot and no slower cold from COPY_CFR_MIN on (figures there).
 * Below that the engine wins on a cold tree of small files: its queue
 * reads many at once, copy_file_range one after the other. Never with --direct (O_DIRECT is the engine's), nor when the
 * digest of --manifest or --verify comes from the buffers in flight (no
 * second read of the source).
 */
static bool cfr_wins(const struct copy_queue *q, const struct copy_file *f)
{
	const struct copy_opts *o = q->o;
	struct stat dst;
	if (o->direct || o->manifest || o->verify || (uint64_t)f->st.st_size < COPY_CFR_MIN)
		return false;
	return fstat(f->dst_fd, &dst) == 0 && dst.st_dev == f->st.st_dev;
}

/* copy_file_range over the data regions (holes stay holes), COPY_CFR_CHUNK
 * bytes a call (progress between them). 1 when all is in, 0 when the kernel
 * declined before the first byte (the engine copies), -1 when f failed. */
static int cfr_copy(struct copy_queue *q, struct copy_file *f)
{
	uint64_t done = 0, size = (uint64_t)f->st.st_size;
	if ((uint64_t)f->st.st_blocks * 512 < size) {
		if (copy_extents(f->src_fd, size, &f->ext, &f->n_ext) < 0)
			return 0;
	} else {
		f->ext = xmalloc(sizeof(*f->ext));
		f->ext[0].off = 0;
		f->ext[0].len = size;
		f->n_ext = 1;
	}
	/* cp does the same: twice the readahead when the source is cold */
	posix_fadvise(f->src_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (size_t i = 0; i < f->n_ext; i++) {
		loff_t in = (loff_t)f->ext[i].off, out = in;
		uint64_t left = f->ext[i].len;
		while (left) {
			size_t want = left < COPY_CFR_CHUNK ? (size_t)left : COPY_CFR_CHUNK;
			ssize_t n = copy_file_range(f->src_fd, &in, f->dst_fd, &out, want, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && !done && (errno == EXDEV || errno == EOPNOTSUPP ||
					       errno == ENOSYS || errno == EINVAL))
				return 0;
			if (n <= 0) {
				copy_file_fail(f, n < 0 ? f->dst : f->src,
					       n < 0 ? "copy_file_range" : "file shrank while copying",
					       n < 0 ? errno : 0);
				return -1;
			}
			left -= (uint64_t)n;
			done += (uint64_t)n;
			q->stats->bytes += (uint64_t)n;
			progress_update(q->progress, q->stats->bytes);
		}
	}
	return 1;
}

/*
 * The fast paths, tried before the engine: a clone of the whole file
 * (FICLONE) into the temp file where source and destination share a file
 * system that can, then copy_file_range where it offloads the copy. true
 * when the data is in (f has no chunks left); false when the engine copies
 * it, or f failed (--reflink=always and no clone: EXDEV across file
 * systems, EOPNOTSUPP where the file system cannot).
 */
static bool fast_copy(struct copy_queue *q, struct copy_file *f, bool size_lies)
{
	const struct copy_opts *o = q->o;
	uint64_t size = (uint64_t)f->st.st_size;
	bool plain = S_ISREG(f->st.st_mode) && !size_lies && size > 0;

	if (o->reflink == COPY_REFLINK_NEVER || (!plain && o->reflink != COPY_REFLINK_ALWAYS))
		return false;
	if (ioctl(f->dst_fd, FICLONE, f->src_fd) == 0) {
		q->stats->cloned++;
		q->stats->bytes += size;
		progress_update(q->progress, q->stats->bytes);
		free(f->ext);
		f->ext = NULL;
		f->n_ext = f->ext_idx = 0;
		return true;
	}
	if (o->reflink == COPY_REFLINK_ALWAYS) {
		copy_file_fail(f, f->dst, op_no_clone, errno);
		return false;
	}
	if (!cfr_offloads(f) && !cfr_wins(q, f))
		return false;
	int rc = cfr_copy(q, f);
	free(f->ext);
	f->ext = NULL;
	f->n_ext = f->ext_idx = 0;
	if (rc > 0)
		q->stats->cfr++;
	return rc != 0;
}

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
			f->src_dfd = copy_reopen_fd(f->src_fd, f->src, O_RDONLY | O_DIRECT);
			struct stat st;
			if (f->src_dfd < 0 || fstat(f->src_dfd, &st) < 0 ||
			    st.st_dev != f->st.st_dev || st.st_ino != f->st.st_ino)
				rc = f->src_dfd < 0 && errno != EINVAL ? -errno : -EINVAL;
			where = f->src;
			if (rc == 0) {
				f->dst_dfd = copy_reopen_fd(f->dst_fd, f->tmp, O_WRONLY | O_DIRECT);
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

/* Open an existing device or FIFO destination for writing into it: never
 * created, never truncated, never through a symlink (the path is resolved). */
static int open_stream_dst(struct copy_file *f)
{
	int fd = open(f->dst, O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		/* it was swapped since we looked: do not write into whatever it is now */
		close(fd);
		return -EAGAIN;
	}
	return fd;
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
		f->src_fd = f->dst_fd = f->src_dfd = f->dst_dfd = f->tmp_lock_fd = -1;
		f->engine_slot = -1;
		f->dio_align = 1;
		f->stream_dst = it->stream;
		f->replaces = it->replaces;
		f->dropped_setid = it->dropped_setid;

		if (it->from_stdin)
			f->src_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
		else
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
		if (!S_ISREG(f->st.st_mode) && !(it->stream_src && !S_ISDIR(f->st.st_mode))) {
			fail(q, f->src, "not a regular file", 0, NULL);
			file_free(f);
			continue;
		}
		/* the size of a /sys file says 4096 whatever it holds; a pipe's
		 * says nothing */
		bool size_lies = !S_ISREG(f->st.st_mode) || copy_fd_size_unreliable(f->src_fd);

		if (f->stream_dst) {
			int fd = open_stream_dst(f);
			if (fd < 0) {
				fail(q, f->dst, fd == -EAGAIN ? "destination changed while opening it"
							      : "open for writing",
				     fd == -EAGAIN ? 0 : -fd, NULL);
				file_free(f);
				continue;
			}
			f->dst_fd = fd;
			uint64_t n = 0;
			copy_stream(f, &n);
			q->stats->bytes += n;
			return f; /* no chunks: the engine hands it straight back */
		}

		int fd = copy_tmp_create(q, f);
		if (fd < 0) {
			fail(q, f->dst, "create temp file", -fd, NULL);
			file_free(f);
			continue;
		}
		f->dst_fd = fd;
		/* the mode set at the end; until then only we can open it */
		f->st.st_mode = (f->st.st_mode & ~07777u) | it->mode;
		if (o->manifest || o->verify)
			f->hash = copy_hash_new(o->manifest ? DIGEST_SHA256 : DIGEST_XXH3);

		if (fast_copy(q, f, size_lies) || f->err) {
			f->fast = !f->err;
			return f; /* no chunks: copied (or failed) already */
		}

		if (o->direct && f->st.st_size > 0 && !size_lies) {
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
		} else if (size == 0 || size_lies) {
			uint64_t n = 0;
			if (copy_stream(f, &n) == 0)
				q->stats->bytes += n;
			/* what read() gave is the file: the final truncate keeps it */
			f->st.st_size = (off_t)n;
			size = 0;
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

/* Copy the extended attributes (and so ACLs) of one file. A failure is a
 * warning, as with cp (once a run), unless --preserve=xattr asked for them:
 * then it is returned (-errno) for the caller to fail the file. */
static int xattrs_copied(struct copy_queue *q, int sfd, const char *spath, int dfd,
			 const char *dpath, const char *name)
{
	char attr[256];
	int rc = copy_xattrs(sfd, spath, dfd, dpath, attr, sizeof(attr));
	if (rc == 0 || (q->o->preserve_required & COPY_PRESERVE_XATTR))
		return rc;
	if (!q->warned_xattr++)
		note(q, "%s: extended attribute %s not kept: %s", name, attr[0] ? attr : "(list)",
		     strerror(-rc));
	return 0;
}

static void manifest_add(struct copy_queue *q, const char *dst, const char *hex)
{
	if (q->n_mf == q->cap_mf) {
		q->cap_mf = q->cap_mf ? q->cap_mf * 2 : 64;
		q->mf = xreallocarray(q->mf, q->cap_mf, sizeof(*q->mf));
	}
	struct manifest_entry *e = &q->mf[q->n_mf++];
	e->dst = xstrdup(dst);
	snprintf(e->hex, sizeof(e->hex), "%s", hex);
	q->mf_sorted = false;
}

static int by_dst(const void *a, const void *b)
{
	return strcmp(((const struct manifest_entry *)a)->dst, ((const struct manifest_entry *)b)->dst);
}

static const struct manifest_entry *manifest_find(struct copy_queue *q, const char *dst)
{
	if (!q->mf_sorted && q->n_mf > 1)
		qsort(q->mf, q->n_mf, sizeof(*q->mf), by_dst);
	q->mf_sorted = true;
	struct manifest_entry key = { .dst = (char *)dst };
	return q->n_mf ? bsearch(&key, q->mf, q->n_mf, sizeof(*q->mf), by_dst) : NULL;
}

/* The manifest, atomically: one sha256sum line per committed file, named
 * relative to base (the destination directory), sorted. */
static void manifest_write(struct copy_queue *q, const char *base)
{
	size_t blen = strlen(base);
	while (blen > 1 && base[blen - 1] == '/')
		blen--;
	if (!q->mf_sorted && q->n_mf > 1)
		qsort(q->mf, q->n_mf, sizeof(*q->mf), by_dst);
	q->mf_sorted = true;
	char *text = NULL;
	size_t len = 0, cap = 0;
	for (size_t i = 0; i < q->n_mf; i++) {
		const char *name = q->mf[i].dst;
		if (!strncmp(name, base, blen) && name[blen] == '/')
			name += blen + 1;
		char *line = copy_manifest_line(q->mf[i].hex, name);
		xappend(&text, &len, &cap, line);
		free(line);
	}
	int rc = atomic_write_file(q->o->manifest, text ? text : "", len, 0666 & ~q->umask);
	if (rc)
		fail(q, q->o->manifest, "write manifest", -rc, NULL);
	free(text);
}

/* Without -p, a replaced file keeps its owner and group (cp writes into the
 * inode, which has the same effect); say so when that is not possible. */
static void keep_owner(struct copy_queue *q, struct copy_file *f, const struct stat *old)
{
	struct stat cur;
	if (fstat(f->dst_fd, &cur) < 0)
		return;
	if (cur.st_uid == old->st_uid && cur.st_gid == old->st_gid)
		return;
	if (fchown(f->dst_fd, old->st_uid, old->st_gid) == 0)
		return;
	int e = errno;
	/* a user may still keep the group, when a member of it */
	if (cur.st_uid == old->st_uid && fchown(f->dst_fd, (uid_t)-1, old->st_gid) == 0)
		return;
	note(q, "%s: owner and group %u:%u of the replaced file not kept: %s", f->dst,
	     (unsigned)old->st_uid, (unsigned)old->st_gid, strerror(e));
}

/*
 * Owner, mode and times of the new file, set on the descriptor before it
 * gets its name. Set-uid/set-gid bits never come from the file replaced
 * (they were its owner's); with -p they come from the source, and only
 * when the source's owner could be kept too.
 */
static void apply_metadata(struct copy_queue *q, struct copy_file *f)
{
	const struct stat *st = &f->st;
	const unsigned keep = q->o->preserve;
	mode_t mode = st->st_mode & 07777;
	if (keep & COPY_PRESERVE_OWNER) {
		if (fchown(f->dst_fd, st->st_uid, st->st_gid) < 0) {
			if (errno != EPERM || (q->o->preserve_required & COPY_PRESERVE_OWNER)) {
				copy_file_fail(f, f->dst, "preserve owner", errno);
				return;
			}
			mode &= ~(mode_t)(S_ISUID | S_ISGID);
		}
	} else if (f->replaces) {
		/* the file there now (a symlink to it was resolved before) */
		struct stat old;
		if (lstat(f->dst, &old) == 0 && S_ISREG(old.st_mode)) {
			if (old.st_mode & (S_ISUID | S_ISGID))
				f->dropped_setid = true;
			keep_owner(q, f, &old);
		}
		mode &= ~(mode_t)(S_ISUID | S_ISGID);
	}
	if (fchmod(f->dst_fd, mode) < 0) {
		copy_file_fail(f, f->dst, "set mode", errno);
		return;
	}
	/* after the owner: chown clears security.capability */
	int rc = (keep & COPY_PRESERVE_XATTR) ? xattrs_copied(q, f->src_fd, NULL, f->dst_fd, NULL, f->dst) : 0;
	if (rc < 0) {
		copy_file_fail(f, f->dst, "preserve extended attributes", -rc);
		return;
	}
	if (keep & COPY_PRESERVE_TIMES) {
		struct timespec ts[2] = { st->st_atim, st->st_mtim };
		if (futimens(f->dst_fd, ts) < 0)
			copy_file_fail(f, f->dst, "preserve timestamps", errno);
	}
}

/* An existing device or FIFO was written in place: nothing to rename, and its
 * mode, owner and times stay the node's. */
static void finish_stream(struct copy_queue *q, struct copy_file *f)
{
	const struct copy_opts *o = q->o;
	if (!f->err && o->fsync && fsync(f->dst_fd) < 0 && errno != EINVAL && errno != EROFS)
		copy_file_fail(f, f->dst, "fsync", errno);
	if (!f->err && o->verify)
		note(q, "%s: not a regular file: not verified", f->dst);
	if (!f->err && close(f->dst_fd) < 0)
		copy_file_fail(f, f->dst, "close", errno);
	f->dst_fd = -1;
	if (f->err) {
		fail(q, f->err_path, f->err_op, f->err > 0 ? f->err : 0, NULL);
	} else {
		q->stats->files++;
		verbose_copied(q, f->src, f->dst);
	}
	file_free(f);
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

	if (f->stream_dst) {
		finish_stream(q, f);
		return;
	}
	if (!f->err && size) {
		/* a trailing hole leaves the file short */
		struct stat dst_st;
		if (fstat(f->dst_fd, &dst_st) < 0)
			copy_file_fail(f, f->dst, "stat", errno);
		else if ((uint64_t)dst_st.st_size != size && ftruncate(f->dst_fd, (off_t)size) < 0)
			copy_file_fail(f, f->dst, "truncate", errno);
	}
	char hex[DIGEST_HEX_MAX] = "";
	if (!f->err && f->hash) {
		/* the source's digest: from the buffers that went by, or (cloned,
		 * copy_file_range: no bytes went by) read once */
		enum digest_kind kind = o->manifest ? DIGEST_SHA256 : DIGEST_XXH3;
		int rc = f->fast ? digest_fd(kind, f->src_fd, hex)
				 : copy_hash_final(f->hash, f->ext, f->n_ext, size, hex);
		if (rc)
			copy_file_fail(f, f->src, "digest", -rc);
		if (!f->err && o->verify) {
			/* read the copy back from the device when it is on it */
			if (o->fsync) {
				if (fsync(f->dst_fd) < 0)
					copy_file_fail(f, f->dst, "fsync", errno);
				posix_fadvise(f->dst_fd, 0, 0, POSIX_FADV_DONTNEED);
			}
			char back[DIGEST_HEX_MAX];
			rc = f->err ? 0 : digest_fd(kind, f->dst_fd, back);
			if (rc)
				copy_file_fail(f, f->dst, "verify", -rc);
			else if (!f->err && strcmp(hex, back))
				copy_file_fail(f, f->dst, "verify: contents differ from the source", 0);
		}
	}
	/* owner and mode last: until then a named temp file is ours, TMP_MODE,
	 * and recognisably stale if we are killed */
	if (!f->err)
		apply_metadata(q, f);
	if (!f->err) {
		unsigned flags = (o->fsync ? 0 : ATOMIC_NOSYNC) | (o->no_clobber ? ATOMIC_NOREPLACE : 0);
		int rc = f->anon_tmp ? copy_commit_anon(f, flags)
				     : atomic_commit_flags(f->dst_fd, f->tmp, f->dst, flags);
		if (rc == 0) {
			q->stats->files++;
			verbose_copied(q, f->src, f->dst);
			if (o->manifest)
				manifest_add(q, f->dst, hex);
			if (f->dropped_setid && !(o->preserve & COPY_PRESERVE_MODE))
				note(q, "%s: the replaced file's set-uid/set-gid bits are not kept "
				     "(-p keeps a set-uid/set-gid source's)", f->dst);
		} else if (!(rc == -EEXIST && o->no_clobber)) {
			/* -n keeps a destination that appeared while we copied */
			copy_file_fail(f, f->dst, "rename into place", -rc);
		}
	}
	if (f->err) {
		if (f->tmp)
			unlink(f->tmp);
		fail(q, f->err_path, f->err_op, f->err > 0 ? f->err : 0,
		     f->err_op == op_no_direct ? o->direct_hint : NULL);
	}
	if (f->tmp)
		copy_tmp_unregister(f->tmp);
	file_free(f);
}

/* ---- walking the sources --------------------------------------------------- */

static struct copy_item *add_item(struct copy_queue *q, const char *src, const char *dst,
				  mode_t mode, bool nofollow, uint64_t size)
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
	it->stream = it->replaces = it->dropped_setid = false;
	it->stream_src = it->from_stdin = false;
	q->total_bytes += size;
	return it;
}

/* Would the kernel's fs.protected_symlinks refuse to follow link (st: its
 * lstat)? A symlink in a sticky world-writable directory is followed only
 * when it belongs to us or to the directory's owner: elsewhere another user
 * planted it. Checked here because that sysctl may be off. */
static bool symlink_planted(const char *link, const struct stat *st)
{
	if (st->st_uid == geteuid())
		return false;
	char *d = xstrdup(link);
	struct stat dir;
	bool planted = stat(dirname(d), &dir) == 0 && (dir.st_mode & S_ISVTX) &&
		       (dir.st_mode & S_IWOTH) && dir.st_uid != st->st_uid;
	free(d);
	return planted;
}

static struct copy_item *add_file(struct copy_queue *q, const char *src, const char *dst_in,
				   const struct stat *st, bool nofollow)
{
	struct copy_item *it = NULL;
	const struct copy_opts *o = q->o;
	char *resolved = NULL;
	const char *dst = dst_in;
	struct stat dst_st;
	mode_t mode = (o->preserve & COPY_PRESERVE_MODE) ? (st->st_mode & 07777)
							 : (st->st_mode & 0777 & ~q->umask);

	bool stream = false, replaces = false, dropped_setid = false;

	if (lstat(dst, &dst_st) == 0) {
		if (S_ISLNK(dst_st.st_mode)) {
			if (symlink_planted(dst, &dst_st)) {
				fail(q, dst, "not following a symlink of another user in a sticky "
				     "world-writable directory", 0, NULL);
				return NULL;
			}
			/* like cp, write through a symlink to an existing file */
			if (stat(dst, &dst_st) < 0) {
				fail(q, dst, "not writing through dangling symlink", 0, NULL);
				return NULL;
			}
			resolved = realpath(dst, NULL);
			if (!resolved) {
				fail(q, dst, "resolve symlink", errno, NULL);
				return NULL;
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
		if (S_ISSOCK(dst_st.st_mode)) {
			fail(q, dst_in, "open for writing", ENXIO, "a socket is never replaced");
			goto out;
		}
		if (S_ISCHR(dst_st.st_mode) || S_ISBLK(dst_st.st_mode) || S_ISFIFO(dst_st.st_mode)) {
			/* like cp, write into the node (the data goes to the device
			 * or reader); never replace it, -f or not */
			stream = true;
		} else {
			if (!o->force && faccessat(AT_FDCWD, dst, W_OK, AT_EACCESS) < 0 &&
			    errno == EACCES) {
				fail(q, dst_in, "open for writing", EACCES, "-f replaces it");
				goto out;
			}
			replaces = true;
			if (!(o->preserve & COPY_PRESERVE_MODE)) {
				/* cp keeps an existing file's mode, but set-uid/set-gid
				 * were its owner's: never ours to hand on */
				mode = dst_st.st_mode & 07777;
				dropped_setid = mode & (S_ISUID | S_ISGID);
				mode &= ~(mode_t)(S_ISUID | S_ISGID);
			}
		}
	}
	it = add_item(q, src, dst, mode, nofollow, (uint64_t)st->st_size);
	it->stream = stream;
	it->replaces = replaces;
	it->dropped_setid = dropped_setid;
out:
	free(resolved);
	return it;
}

/* dst is to be a hard link of target (the copy of an inode seen before). */
static void add_link(struct copy_queue *q, const char *src, const char *target, const char *dst)
{
	if (q->n_pending == q->cap_pending) {
		q->cap_pending = q->cap_pending ? q->cap_pending * 2 : 16;
		q->pending = xreallocarray(q->pending, q->cap_pending, sizeof(*q->pending));
	}
	struct copy_link *l = &q->pending[q->n_pending++];
	l->src = xstrdup(src);
	l->target = xstrdup(target);
	l->dst = xstrdup(dst);
}

/* The hard links, once the files they name are in: linked under a temp
 * name, then renamed into place (never replacing with -n). */
static void make_links(struct copy_queue *q)
{
	const struct copy_opts *o = q->o;
	for (size_t i = 0; i < q->n_pending; i++) {
		struct copy_link *l = &q->pending[i];
		struct stat a, b;
		char *tmp = NULL;
		if (lstat(l->target, &a) < 0) {
			fail(q, l->dst, "hard link", errno, NULL);
			goto next;
		}
		if (lstat(l->dst, &b) == 0) {
			if (b.st_dev == a.st_dev && b.st_ino == a.st_ino)
				goto next; /* linked already (a second run) */
			if (o->no_clobber)
				goto next;
			if (S_ISDIR(b.st_mode)) {
				fail(q, l->dst, "cannot overwrite directory with non-directory", 0, NULL);
				goto next;
			}
		}
		int rc = -EEXIST;
		for (int tries = 0; rc == -EEXIST && tries < 100; tries++) {
			free(tmp);
			tmp = copy_tmp_name(l->dst);
			rc = link(l->target, tmp) == 0 ? 0 : -errno;
		}
		if (rc == 0) {
			copy_tmp_register(tmp);
			rc = atomic_commit_flags(-1, tmp, l->dst,
						 ATOMIC_NOSYNC | (o->no_clobber ? ATOMIC_NOREPLACE : 0));
			if (rc)
				unlink(tmp);
			else if (o->fsync)
				rc = fsync_parent_dir(l->dst);
			copy_tmp_unregister(tmp);
		}
		if (rc && !(rc == -EEXIST && o->no_clobber))
			fail(q, l->dst, "hard link", -rc, NULL);
		else if (rc == 0) {
			verbose_copied(q, l->src, l->dst);
			const struct manifest_entry *e = o->manifest ? manifest_find(q, l->target) : NULL;
			if (e) {
				char hex[DIGEST_HEX_MAX];
				memcpy(hex, e->hex, sizeof(hex)); /* the array may move */
				manifest_add(q, l->dst, hex);
			}
		}
next:
		free(tmp);
		free(l->src);
		free(l->target);
		free(l->dst);
	}
	free(q->pending);
	q->pending = NULL;
	q->n_pending = q->cap_pending = 0;
	copy_links_free(q->links);
	q->links = NULL;
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
		if (S_ISCHR(dst_st.st_mode) || S_ISBLK(dst_st.st_mode) || S_ISFIFO(dst_st.st_mode) ||
		    S_ISSOCK(dst_st.st_mode)) {
			/* a special file is never replaced; one of the same kind
			 * (a FIFO, the same device) is the copy already */
			if ((dst_st.st_mode & S_IFMT) == (st->st_mode & S_IFMT) &&
			    (S_ISFIFO(st->st_mode) || dst_st.st_rdev == st->st_rdev))
				return;
			fail(q, dst, "not replacing a special file", 0, NULL);
			return;
		}
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
		tmp = copy_tmp_name(dst);
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
	copy_tmp_register(tmp);
	if ((o->preserve & COPY_PRESERVE_OWNER) && lchown(tmp, st->st_uid, st->st_gid) < 0 &&
	    (errno != EPERM || (o->preserve_required & COPY_PRESERVE_OWNER))) {
		fail(q, dst, "preserve owner", errno, NULL);
		unlink(tmp);
		goto unreg;
	}
	if ((o->preserve & COPY_PRESERVE_MODE) && !S_ISLNK(st->st_mode))
		chmod(tmp, st->st_mode & 07777);
	/* the kernel keeps user.* off symlinks and special files: cp says nothing */
	int xrc = (o->preserve & COPY_PRESERVE_XATTR) ? copy_xattrs(-1, src, -1, tmp, NULL, 0) : 0;
	if (xrc < 0 && (o->preserve_required & COPY_PRESERVE_XATTR) && xrc != -EPERM) {
		fail(q, dst, "preserve extended attributes", -xrc, NULL);
		unlink(tmp);
		goto unreg;
	}
	if (o->preserve & COPY_PRESERVE_TIMES) {
		struct timespec ts[2] = { st->st_atim, st->st_mtim };
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
	copy_tmp_unregister(tmp);
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
	if ((q->o->preserve & COPY_PRESERVE_LINKS) && !S_ISDIR(st->st_mode) && st->st_nlink > 1) {
		if (!q->links)
			q->links = copy_links_new();
		const char *first = copy_links_seen(q->links, st->st_dev, st->st_ino, dst);
		if (first) {
			add_link(q, src, first, dst);
			return;
		}
	}
	if (S_ISREG(st->st_mode))
		add_file(q, src, dst, st, !top || q->o->recursive);
	else if (S_ISDIR(st->st_mode)) {
		if (q->o->recursive)
			copy_dir(q, src, dst, st, top);
		else
			fail(q, src, "omitting directory", EISDIR, "use -r to copy directories");
	} else if (q->o->recursive) {
		add_other(q, src, dst, st);
	} else if (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		/* like cp: a pipe (<(cmd), /proc/self/fd/N) or device is read to EOF */
		struct copy_item *it = add_file(q, src, dst, st, false);
		if (it)
			it->stream_src = true;
	} else {
		fail(q, src, "not a regular file", 0, "use -r to copy special files");
	}
}

/* Modes and times of directories once their contents are in (deepest first). */
static void finish_dirs(struct copy_queue *q)
{
	const struct copy_opts *o = q->o;
	for (size_t i = q->n_dirs; i-- > 0;) {
		struct copy_dir *cd = &q->dirs[i];
		const unsigned keep = o->preserve;
		if ((keep & COPY_PRESERVE_OWNER) && lchown(cd->dst, cd->st.st_uid, cd->st.st_gid) < 0 &&
		    (errno != EPERM || (o->preserve_required & COPY_PRESERVE_OWNER)))
			fail(q, cd->dst, "preserve owner", errno, NULL);
		if (keep & COPY_PRESERVE_MODE) {
			if (chmod(cd->dst, cd->st.st_mode & 07777) < 0)
				fail(q, cd->dst, "set mode", errno, NULL);
		} else if (cd->created) {
			/* like cp: the umask applies, the sticky bit stays, set-gid
			 * is what mkdir gave (inherited from the parent) */
			struct stat now;
			mode_t setgid = lstat(cd->dst, &now) == 0 ? now.st_mode & S_ISGID : 0;
			if (chmod(cd->dst, (cd->st.st_mode & (0777 | S_ISVTX) & ~q->umask) | setgid) < 0)
				fail(q, cd->dst, "set mode", errno, NULL);
		}
		int xrc = (keep & COPY_PRESERVE_XATTR) ? xattrs_copied(q, -1, cd->src, -1, cd->dst, cd->dst) : 0;
		if (xrc < 0)
			fail(q, cd->dst, "preserve extended attributes", -xrc, NULL);
		if (keep & COPY_PRESERVE_TIMES) {
			struct timespec ts[2] = { cd->st.st_atim, cd->st.st_mtim };
			if (utimensat(AT_FDCWD, cd->dst, ts, AT_SYMLINK_NOFOLLOW) < 0)
				fail(q, cd->dst, "preserve timestamps", errno, NULL);
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
	const char *seam = getenv("TUNEKIT_NO_TMPFILE");
	q.no_tmpfile = seam && *seam && strcmp(seam, "0") != 0;

	uint64_t t0 = mono_ns();
	/* temp files exist for the files in flight (at most one per chunk, plus
	 * the one being opened) and one symlink or special file */
	copy_signals_install((size_t)opts->queue_depth * 2 + 8);

	if (lstat(dst, &dst_st) == 0 && S_ISLNK(dst_st.st_mode) && symlink_planted(dst, &dst_st)) {
		fail(&q, dst, "not following a symlink of another user in a sticky "
		     "world-writable directory", 0, NULL);
		rc = -EPERM;
		goto out;
	}
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
		if (!strcmp(srcs[i], "-")) {
			/* standard input, read to EOF into a file that needs a name */
			if (dst_is_dir || fstat(STDIN_FILENO, &st) < 0) {
				fail(&q, "-", "standard input", dst_is_dir ? EISDIR : errno,
				     dst_is_dir ? "name the destination file" : NULL);
				continue;
			}
			struct copy_item *it = add_file(&q, "-", dst, &st, false);
			if (it)
				it->stream_src = it->from_stdin = true;
			continue;
		}
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
		rc = copy_feed_run(engine, &q, &what);
		if (rc < 0) {
			report(&q, engine->name, what ? what : "engine", -rc, NULL);
			/* files the engine never took count as failed */
			stats->failures += (unsigned)(q.n_items - q.next_item) + 1;
		}
	}
	make_links(&q);
	finish_dirs(&q);
	if (opts->manifest) {
		char *d = xstrdup(dst);
		manifest_write(&q, dst_is_dir ? dst : dirname(d));
		free(d);
	}
	progress_finish(q.progress);
	q.progress = NULL;
out:
	stats->elapsed_ns = mono_ns() - t0;
	for (size_t i = 0; i < q.n_items; i++) {
		free(q.items[i].src);
		free(q.items[i].dst);
	}
	free(q.items);
	free(q.cleaned);
	free(q.last_cleaned);
	make_links(&q);
	for (size_t i = 0; i < q.n_mf; i++)
		free(q.mf[i].dst);
	free(q.mf);
	finish_dirs(&q);
	copy_signals_restore();
	return rc;
}

void copy_stats_print(FILE *out, const char *engine, const struct copy_stats *s)
{
	double secs = (double)s->elapsed_ns / 1e9;
	double mibs = secs > 0 ? (double)s->bytes / 1048576.0 / secs : 0.0;
	/* how the data went: one path for every file, or "mixed" */
	uint64_t fast = s->cloned + s->cfr;
	const char *method = !s->files ? "none" : !fast ? engine
			     : s->cloned == s->files ? "reflink"
			     : s->cfr == s->files ? "copy_file_range" : "mixed";
	fprintf(out, "engine=%s files=%llu bytes=%llu seconds=%.3f mib_per_s=%.1f "
		"submissions=%llu completions=%llu resubmits=%llu direct=%d "
		"fixed_buffers=%d fixed_files=%d failures=%u cloned=%llu copy_file_range=%llu "
		"method=%s\n",
		engine, (unsigned long long)s->files, (unsigned long long)s->bytes, secs, mibs,
		(unsigned long long)s->submissions, (unsigned long long)s->completions,
		(unsigned long long)s->resubmits, s->direct, s->fixed_buffers, s->fixed_files,
		s->failures, (unsigned long long)s->cloned, (unsigned long long)s->cfr, method);
}
