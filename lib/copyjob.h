/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The copy front end uringcp and aiocp share: cp(1) argument semantics,
 * tree walking, an anonymous (O_TMPFILE) or named temp file next to each
 * regular destination that gets its name only when complete, in-place
 * writes into existing devices and FIFOs, sparse extents, preallocation,
 * metadata (never more privilege than the file replaced), --fsync,
 * --verify, --manifest, progress and statistics; the fast paths (clone,
 * copy_file_range) before any engine. The feed loop (lib/copyfeed.c) takes
 * files from the queue, splits them into chunks with copy_file_next_chunk()
 * and decides every completion through copy_op_complete() (short
 * transfers, retries, errors in one place); an engine (io_uring, libaio) is
 * only setup, prep, reap and teardown. The main both tools share is
 * copy_main() (lib/copymain.c); xattrs and hard links are lib/copymeta.c,
 * digests of the buffers in flight lib/copyhash.c.
 */
#ifndef TUNEKIT_COPYJOB_H
#define TUNEKIT_COPYJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "digest.h"

enum copy_progress_mode { COPY_PROGRESS_AUTO, COPY_PROGRESS_ON, COPY_PROGRESS_OFF };

/* --reflink: clone where the file system can (auto), only clone (always),
 * or always move the bytes through the engine (never). */
enum copy_reflink { COPY_REFLINK_AUTO, COPY_REFLINK_ALWAYS, COPY_REFLINK_NEVER };

/* What --preserve keeps (cp's names: mode ownership timestamps links xattr). */
#define COPY_PRESERVE_MODE 0x01u
#define COPY_PRESERVE_OWNER 0x02u
#define COPY_PRESERVE_TIMES 0x04u
#define COPY_PRESERVE_LINKS 0x08u
#define COPY_PRESERVE_XATTR 0x10u
#define COPY_PRESERVE_DEFAULT (COPY_PRESERVE_MODE | COPY_PRESERVE_OWNER | COPY_PRESERVE_TIMES)
#define COPY_PRESERVE_ALL (COPY_PRESERVE_DEFAULT | COPY_PRESERVE_LINKS | COPY_PRESERVE_XATTR)

/* What went wrong with one path, for the tool to word. err is an errno value
 * or 0 when op alone says it (e.g. "file shrank while copying"). */
struct copy_error {
	const char *path;
	const char *op;
	int err;
	const char *hint; /* advice for the user, or NULL */
};

struct copy_opts {
	bool recursive, force, no_clobber, verbose;
	unsigned preserve;          /* COPY_PRESERVE_* */
	unsigned preserve_required; /* ...asked for by name: failing to keep them fails */
	enum copy_reflink reflink;
	const char *manifest; /* --manifest: SHA-256 list of the copies */
	bool fsync, verify, stats;
	bool direct;          /* O_DIRECT for the data */
	bool direct_required; /* refuse (not fall back) where O_DIRECT is unsupported */
	const char *direct_hint; /* shown with that refusal ("use --buffered") */
	enum copy_progress_mode progress;
	size_t block_size;    /* bytes per chunk; multiple of 4096 */
	unsigned queue_depth; /* chunks in flight */
	/* called once per failure; NULL prints "prog: PATH: OP: strerror (hint)" */
	void (*report)(const struct copy_error *e);
};

/* Counters of one run, printed by --stats. */
struct copy_stats {
	uint64_t bytes;       /* data bytes written (holes not counted) */
	uint64_t files;       /* regular files committed */
	uint64_t submissions; /* I/O requests handed to the kernel */
	uint64_t completions; /* completions reaped */
	uint64_t resubmits;   /* short transfers and -EAGAIN retried */
	uint64_t cloned;      /* files whose data was cloned (FICLONE), not copied */
	uint64_t cfr;         /* files whose data went by copy_file_range */
	uint64_t elapsed_ns;
	unsigned failures;    /* paths that failed */
	bool fixed_buffers, fixed_files; /* what the engine could register */
	bool direct;          /* at least one file went through O_DIRECT */
};

/* One data region [off, off + len) of a source file. */
struct copy_extent {
	uint64_t off, len;
};

struct copy_queue;

/* One regular file on its way; engines read the fds and may use engine_slot. */
struct copy_file {
	struct copy_queue *q;
	char *src, *dst, *tmp;   /* source, final name, temp file */
	int src_fd, dst_fd;      /* buffered descriptors */
	int src_dfd, dst_dfd;    /* O_DIRECT descriptors, -1 unless direct */
	bool direct;             /* reads (and writes) with O_DIRECT */
	bool write_buffered;     /* ...but writes through the page cache (small file) */
	size_t dio_align;        /* offset and length alignment when direct */
	struct stat st;          /* source */
	struct copy_extent *ext; /* data regions, sorted */
	size_t n_ext;
	size_t ext_idx;          /* chunking cursor: extent and offset in it */
	uint64_t ext_pos;
	unsigned inflight;       /* chunks handed out and not finished */
	int err;                 /* first failure (errno), or -1 for a message-only one */
	const char *err_op;
	const char *err_path;
	int engine_slot;         /* free for the engine (e.g. registered file index) */
	int tmp_lock_fd;         /* holds the flock that marks the temp file live */
	bool stream_dst;         /* dst is an existing device or FIFO, written in place, in order */
	bool anon_tmp;           /* data in an O_TMPFILE: no name until the commit */
	bool replaces;           /* an existing regular file is replaced */
	bool dropped_setid;      /* ...and its set-uid/set-gid bits are not kept */
	bool fast;               /* data cloned or copied by copy_file_range */
	struct copy_hash *hash;  /* digest of the data as it goes by, or NULL */
};

enum copy_phase { COPY_PHASE_READ, COPY_PHASE_WRITE };

/* One chunk in flight: read it into buf, then write it out. */
struct copy_op {
	struct copy_file *f;
	void *buf;
	unsigned buf_index;   /* index of buf in the engine's pool */
	uint64_t off;         /* file offset of the chunk */
	uint32_t len;         /* bytes of the chunk */
	uint32_t done;        /* bytes done in this phase */
	uint8_t phase;        /* enum copy_phase */
	bool buffered;        /* use the buffered descriptors */
	uint8_t retries;      /* -EAGAIN/-EINTR retries of this chunk */
};

/* The next I/O of an op, for the engine to submit. */
struct copy_io {
	int fd;
	bool write;
	void *buf;
	size_t len;
	uint64_t off;
};

enum copy_step {
	COPY_STEP_SUBMIT,   /* submit copy_op_io() again (next phase or remainder) */
	COPY_STEP_DONE,     /* chunk finished; op is free */
	COPY_STEP_FAILED,   /* file failed (recorded in op->f); op is free */
};

/* Bound on -EAGAIN/-EINTR retries of one chunk. */
#define COPY_MAX_RETRIES 32

struct copy_feed;

/*
 * An engine moves the chunks; the front end (lib/copyfeed.c) owns the op
 * pool and its buffers, the feed loop that takes files from the queue and
 * chunks them, the completion rules and the abort path. An engine is setup,
 * prep (one I/O per op), reap (submit, wait, report) and teardown.
 */
struct copy_engine {
	const char *name;
	const char *summary;  /* first lines of --help */
	bool direct_default;  /* O_DIRECT unless --buffered (and refuse without it) */
	/* Ready for qd ops (ops[i].buf: block bytes at mem + i x block, buf_index
	 * i). 0, or -errno with *what set to the failing call. */
	int (*setup)(struct copy_engine *e, struct copy_op *ops, unsigned qd, void *mem,
		     size_t block, struct copy_stats *st, const char **what);
	/* Optional: a file starts handing out chunks / is about to be finished. */
	void (*attach)(struct copy_engine *e, struct copy_file *f);
	void (*detach)(struct copy_engine *e, struct copy_file *f);
	/* Prepare op's next I/O (copy_op_io()); the next reap submits it. */
	void (*prep)(struct copy_engine *e, struct copy_op *op);
	/* Submit what is prepared, wait for a completion, report every one with
	 * copy_feed_complete(). 0, or -errno when the engine failed (*what set;
	 * nothing it holds may still be in the kernel's hands afterwards, or
	 * teardown must wait for it). */
	int (*reap)(struct copy_engine *e, struct copy_feed *feed, const char **what);
	void (*teardown)(struct copy_engine *e);
	void *priv;
};

/* An I/O of op finished with res (bytes or -errno): the front end decides
 * (resubmit through prep, next chunk, finish the file). */
void copy_feed_complete(struct copy_feed *feed, struct copy_op *op, long res);
/* The feed loop over engine e: every file of q. 0, or -errno when the
 * engine failed (files in flight are failed and finished). */
int copy_feed_run(struct copy_engine *e, struct copy_queue *q, const char **what);

/* Engines align every buffer to this (O_DIRECT memory alignment larger
 * than this makes a file fall back to buffered I/O). */
#define COPY_BUFFER_ALIGN 4096

#define COPY_HUGE_PAGE (2u * 1024 * 1024)

/* A pool of len bytes for an engine's chunks, aligned to COPY_BUFFER_ALIGN;
 * from COPY_HUGE_PAGE on, aligned to it and advised onto transparent huge
 * pages. NULL when out of memory. Release with free(). */
void *copy_buffers_alloc(size_t len);

/* Defaults shared by both tools (chosen by bench/copy on ext4/virtio):
 * through the page cache many small chunks win, with O_DIRECT a few large
 * ones (the disk takes requests of up to 4 MiB). */
#define COPY_BUFFERED_BLOCK_SIZE (256 * 1024)
#define COPY_BUFFERED_QUEUE_DEPTH 32
#define COPY_DIRECT_BLOCK_SIZE (4 * 1024 * 1024)
#define COPY_DIRECT_QUEUE_DEPTH 8
#define COPY_MAX_BLOCK_SIZE (64 * 1024 * 1024)
#define COPY_MAX_QUEUE_DEPTH 1024
#define COPY_MAX_BUFFER_BYTES (1024 * 1024 * 1024) /* queue depth x block size */

/* The whole program of a copy tool over engine: options, copy_run(), exit
 * status (0, 1 when anything failed, 2 on a usage error). */
int copy_main(int argc, char **argv, struct copy_engine *engine);
/* --preserve=LIST: comma-separated cp names into COPY_PRESERVE_* bits. 0 or -EINVAL. */
int copy_parse_preserve(const char *list, unsigned *bits);
/* --reflink=WHEN (NULL: auto). 0 or -EINVAL. */
int copy_parse_reflink(const char *s, enum copy_reflink *r);

/* -q: 1..COPY_MAX_QUEUE_DEPTH. 0 or -EINVAL. */
int copy_parse_queue_depth(const char *s, unsigned *qd);
/* -b: a size (units.h) that is a multiple of 4 KiB, 4 KiB..64 MiB. 0 or -EINVAL. */
int copy_parse_block_size(const char *s, size_t *bs);

/*
 * Copy like cp(1): srcs[0..nsrc) to dst (a file, or a directory that receives
 * them). Failures are reported through opts->report and counted in
 * stats->failures; the copy goes on with the next path. Returns 0, or -errno
 * when nothing could be done (e.g. the engine failed; already reported).
 */
int copy_run(const struct copy_opts *opts, char *const *srcs, size_t nsrc,
	     const char *dst, struct copy_engine *engine, struct copy_stats *stats);

/* The queue's options (engines read queue_depth, block_size). */
const struct copy_opts *copy_queue_opts(const struct copy_queue *q);
/* Next file with descriptors open and its temp file created, or NULL when
 * none is left. Files that fail to open are reported and skipped. A file
 * with no chunks comes back already copied (read to EOF: an existing device
 * or FIFO destination, an empty or /proc- or /sys-like source). */
struct copy_file *copy_queue_next(struct copy_queue *q);
/* Finish f once f->inflight is 0: commit (metadata, fsync, verify, rename) or,
 * when it failed, report and remove the temp file. Frees f. */
void copy_queue_done(struct copy_queue *q, struct copy_file *f);
/* The engine's counters (submissions, completions, resubmits, registration). */
struct copy_stats *copy_queue_stats(struct copy_queue *q);

/* Fill op with the next chunk of f (at most block bytes); false when f has
 * no chunk left or failed. */
bool copy_file_next_chunk(struct copy_file *f, size_t block, struct copy_op *op);
/* True when f has handed out all its chunks (or failed) and none is in flight. */
bool copy_file_drained(const struct copy_file *f);
/* Record the first failure of f (err: errno, or 0 for a message-only op). */
void copy_file_fail(struct copy_file *f, const char *path, const char *op, int err);

/* The I/O op needs next. Direct reads ask for whole alignment units (the
 * tail read returns the bytes up to EOF); direct writes cover the aligned
 * part and the unaligned tail follows through the page cache. */
void copy_op_io(const struct copy_op *op, struct copy_io *io);
/* Account a completion (res: bytes or -errno) and say what comes next. */
enum copy_step copy_op_complete(struct copy_op *op, long res);

/* One line of key=value pairs (engine files bytes seconds mib_per_s
 * submissions completions resubmits direct fixed_buffers fixed_files failures
 * cloned copy_file_range method). method: reflink or copy_file_range when
 * every file went that way, the engine's name when none did, none without
 * files, else mixed. */
void copy_stats_print(FILE *out, const char *engine, const struct copy_stats *s);

/* Helpers the front end uses, exposed for the unit tests. */

/* Data regions of fd (size bytes) through SEEK_DATA/SEEK_HOLE; one region
 * when the file has no holes. *ext is malloc'd. 0 or -errno. */
int copy_extents(int fd, uint64_t size, struct copy_extent **ext, size_t *n);
/* Compare the contents of two open files (XXH3-128 of each, read from
 * offset 0). 0 when equal, -EBADMSG when they differ, or -errno. */
int copy_verify_fds(int a, int b);
/* Where src lands: dst itself, or dst/basename(src) when dst_is_dir.
 * Trailing slashes of src are ignored. Returns a malloc'd path. */
char *copy_target_path(const char *src, const char *dst, bool dst_is_dir);
/* O_DIRECT alignment of fd's file (statx STATX_DIOALIGN with fallbacks):
 * 0 and *mem, *offset set, or -EINVAL when the file system cannot do
 * direct I/O (e.g. tmpfs), or -errno. */
int copy_dio_align(int fd, size_t *mem, size_t *offset);
/* Is name the shape of our named temp files (".NAME.tkcp-XXXXXX")? */
bool copy_tmp_name_ours(const char *name);
/* Is fd's file on a file system whose sizes are not its contents (procfs,
 * sysfs, debugfs...: a sysfs file says 4096 and holds a line)? Such files
 * are copied by reading to EOF. */
bool copy_fd_size_unreliable(int fd);


/* A file's digest from the copy's buffers, chunks in any order. */
struct copy_hash;
struct copy_hash *copy_hash_new(enum digest_kind kind);
/* The chunk [off, off + len) of a file with data regions ext[0..n) (NULL: a
 * stream without holes); kept (copied) until the chunks before it came. */
void copy_hash_chunk(struct copy_hash *h, const struct copy_extent *ext, size_t n, uint64_t off,
		     const void *data, size_t len);
/* The digest of [0, size), holes as zeros, in hex: 0, or -EIO when a chunk
 * is missing. */
int copy_hash_final(struct copy_hash *h, const struct copy_extent *ext, size_t n, uint64_t size,
		    char *hex);
void copy_hash_free(struct copy_hash *h);
/* A sha256sum(1) line for name: "HEX  NAME\n", or with a leading backslash
 * and NAME's newlines and backslashes escaped, as sha256sum writes them.
 * Returns a malloc'd string. */
char *copy_manifest_line(const char *hex, const char *name);

/* Copy every extended attribute of the source to the destination, each
 * named by a descriptor (path NULL) or a path that is not followed (for
 * symlinks and directories). Goes on past a failure; returns 0 or the
 * first -errno, with the attribute's name in failed (cap bytes). */
int copy_xattrs(int sfd, const char *spath, int dfd, const char *dpath, char *failed, size_t cap);

/* Hard links within the copied set: the first copy of an inode. */
struct copy_links;
struct copy_links *copy_links_new(void);
/* The destination of the first copy of (dev, ino), or NULL when this is the
 * first (dst is remembered). */
const char *copy_links_seen(struct copy_links *l, dev_t dev, ino_t ino, const char *dst);
void copy_links_free(struct copy_links *l);

#endif
