/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ioring-batch: read many files through io_uring batches. For every path,
 * statx, openat, the reads and close go through the ring (openat and close
 * into direct file slots where the kernel has them); results come out in
 * input order unless --unordered.
 *
 * A file moves in rounds: its slot submits a few linked requests, waits
 * until every completion of the round is in (pending == 0), then decides the
 * next round. No request carries IOSQE_CQE_SKIP_SUCCESS, so every request
 * posts exactly one completion, the -ECANCELED ones of a broken chain
 * included: a failed linked open never leaves a slot waiting for
 * completions that do not come (see NOTES: with CQE_SKIP_SUCCESS the
 * cancelled rest of a chain posts none).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <liburing.h>

#include "batchctl.h"
#include "c.h"
#include "closestream.h"
#include "digest.h"
#include "hashpool.h"
#include "manifest.h"
#include "monoclock.h"
#include "msg.h"
#include "optval.h"
#include "pagecache.h"
#include "pathsrc.h"
#include "sumline.h"
#include "treewalk.h"
#include "xalloc.h"

/* Defaults, measured with bench/batch on 2 cores, ext4 on virtio (man page). */
#define DEF_MAX_INFLIGHT 64
#define DEF_BUFSIZE (64 * 1024)
#define DEF_BATCH_START 8
#define BATCH_WINDOW 512        /* files per adaptive window, at least */
#define MAX_INFLIGHT_LIMIT 4096
#define PATH_ENTRY_MAX (64 * 1024)

enum mode { MODE_SHA256, MODE_XXH3, MODE_SIZE, MODE_WARM, MODE_CAT, MODE_B2, MODE_RESIDENT,
	     MODE_EVICT };

enum op { OP_STATX = 1, OP_OPEN, OP_READ, OP_CLOSE, OP_WAKE };

/* Chunks smaller than this are hashed in the reading thread: a hand-off costs more. */
#define HASH_INLINE_MAX (16 * 1024)
/*
 * Bytes read for the hashing threads and not hashed yet, at most: about
 * what a core's L2 holds, so a chunk is still cached when a thread hashes
 * it (64 x 64 KiB waiting made SHA-256 40% slower here).
 */
#define HASH_BACKLOG (1024 * 1024)

enum slot_state {
	S_FREE,
	S_STATX,        /* statx round */
	S_IO,           /* open/read/close rounds */
	S_HELD,         /* --cat: a chunk waits until this file owns stdout */
	S_HASHING,      /* a hashing thread has the chunk */
	S_PARKED,       /* the next read waits for the hashing backlog to shrink */
	S_DONE,         /* finished (result or error), waiting for its turn */
};

/* Errors of ours beyond errno: not a regular file; a directory loop (-L). */
#define ERR_NOTREG (-1)
#define ERR_LOOP (-2)

struct slot {
	enum slot_state state;
	unsigned long long seq;
	char *path;
	size_t path_len, path_cap;
	struct statx stx;
	uint64_t size;          /* st_size from statx */
	char *buf;
	uint64_t off;           /* bytes consumed */
	uint32_t chunk;         /* bytes read in the last round, not consumed */
	uint32_t asked;         /* length of the last read */
	unsigned pending;       /* completions still to come this round */
	int err;                /* first error: positive errno or ERR_NOTREG */
	int fd;                 /* plain descriptor without direct slots */
	bool open;              /* a file is installed in the slot (or fd) */
	bool eof;
	bool retry;             /* the read said -EAGAIN: ask again */
	bool fed;               /* its read counts in the hashing backlog */
	struct digest *dg;
	char want[DIGEST_HEX_MAX];      /* -c: the listed digest (hex) */
	unsigned want_len;
	unsigned long long bad_line;    /* -c: an improperly formatted line, in order */
	struct pagecache_info pc;       /* --resident, --evict */
};

/* -c: what one manifest gave, for the summary (as sha256sum -c counts it). */
struct check_counts {
	unsigned long long misformatted, unreadable, mismatched, matched;
	bool proper;                    /* a properly formatted line was seen */
};

struct batch {
	struct io_uring ring;
	enum mode mode;
	bool ordered, zero, direct;
	unsigned max_inflight;
	size_t bufsize;
	struct slot *slots;
	unsigned *free_stack, nfree;    /* --unordered slot pool */
	unsigned busy;                  /* slots not free */
	unsigned long long next_seq, head_seq;
	int writer;                     /* --cat: slot owning stdout, or -1 */
	unsigned ring_pending;          /* completions the ring owes us */
	unsigned finished_now;          /* files finished since the last look */
	bool draining;
	/* -c */
	bool check, quiet, status_only, warn, strict, ignore_missing;
	struct check_counts cc;
	char next_want[DIGEST_HEX_MAX]; /* digest of the entry admit() takes */
	unsigned next_want_len;
	const char *type_name;          /* "SHA256", "BLAKE2b", "XXH128" */
	unsigned hex_len;               /* hex digits of a full digest */
	const char *manifest_name;      /* the manifest being checked */
	/* statistics */
	unsigned long long files_ok, files_err, bytes;
	unsigned long long rounds, admitted;
	int status;
	/* hashing threads (--threads) */
	struct hashpool *pool;
	int wake_fd;                    /* eventfd the workers write, read via the ring */
	uint64_t wake_val;
	bool wake_armed;
	unsigned hashing;               /* chunks with the workers */
	unsigned reading;               /* reads of chunks bound for them */
	unsigned hash_cap;              /* hashing + reading at most */
	unsigned *parked, phead, plen;  /* slots waiting to read, in order */
	unsigned *reaped;
	/* --resident, --evict totals (pages) */
	uint64_t pc_cached, pc_dirty, pc_size;
	bool pc_dirty_known;
};

static inline uint64_t pack(unsigned idx, enum op op)
{
	return ((uint64_t)idx << 8) | op;
}

static inline unsigned slot_index(const struct batch *b, const struct slot *s)
{
	return (unsigned)(s - b->slots);
}

/* Make room for need SQEs in a row, submitting first (a chain stays whole). */
static void sq_reserve(struct batch *b, unsigned need)
{
	if (io_uring_sq_space_left(&b->ring) < need) {
		int rc = io_uring_submit(&b->ring);
		if (rc < 0)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "io_uring_submit");
	}
}

/* The next SQE after sq_reserve(). */
static struct io_uring_sqe *get_sqe(struct batch *b)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	if (!sqe)
		msg_die(TK_EXIT_FAILURE, "io_uring: submission queue full");
	return sqe;
}

static void expect(struct batch *b, struct slot *s, struct io_uring_sqe *sqe, enum op op)
{
	io_uring_sqe_set_data64(sqe, pack(slot_index(b, s), op));
	s->pending++;
	b->ring_pending++;
}

static void submit_statx(struct batch *b, struct slot *s)
{
	struct io_uring_sqe *sqe;
	sq_reserve(b, 1);
	sqe = get_sqe(b);
	io_uring_prep_statx(sqe, AT_FDCWD, s->path, 0, STATX_TYPE | STATX_SIZE, &s->stx);
	expect(b, s, sqe, OP_STATX);
	s->state = S_STATX;
}

static void submit_close(struct batch *b, struct slot *s)
{
	struct io_uring_sqe *sqe;
	sq_reserve(b, 1);
	sqe = get_sqe(b);
	if (b->direct)
		io_uring_prep_close_direct(sqe, slot_index(b, s));
	else
		io_uring_prep_close(sqe, s->fd);
	expect(b, s, sqe, OP_CLOSE);
}

/*
 * One read round: open first when nothing is open (linked to the read with
 * direct slots; a round of its own with plain descriptors), and close linked
 * behind the read when it is expected to reach the end. The close is
 * hard-linked: a short read (the normal end of a file) breaks a plain link.
 */
static void submit_read_round(struct batch *b, struct slot *s)
{
	unsigned idx = slot_index(b, s);
	uint32_t len = (uint32_t)b->bufsize;
	bool chain_close = s->size > 0 && s->off + len > s->size;
	struct io_uring_sqe *sqe;

	if (!s->buf)
		s->buf = xmalloc(b->bufsize);
	if (!s->open) {
		const int flags = O_RDONLY | O_NOCTTY;
		if (!b->direct) {
			sq_reserve(b, 1);
			sqe = get_sqe(b);
			io_uring_prep_openat(sqe, AT_FDCWD, s->path, flags | O_CLOEXEC, 0);
			expect(b, s, sqe, OP_OPEN);
			return;
		}
		sq_reserve(b, chain_close ? 3 : 2);
		sqe = get_sqe(b);
		io_uring_prep_openat_direct(sqe, AT_FDCWD, s->path, flags, 0, idx);
		sqe->flags |= IOSQE_IO_LINK;
		expect(b, s, sqe, OP_OPEN);
	} else {
		sq_reserve(b, chain_close ? 2 : 1);
	}
	sqe = get_sqe(b);
	if (b->direct) {
		io_uring_prep_read(sqe, (int)idx, s->buf, len, s->off);
		sqe->flags |= IOSQE_FIXED_FILE;
	} else {
		io_uring_prep_read(sqe, s->fd, s->buf, len, s->off);
	}
	if (chain_close)
		sqe->flags |= IOSQE_IO_HARDLINK;
	expect(b, s, sqe, OP_READ);
	s->asked = len;
	if (chain_close) {
		sqe = get_sqe(b);
		if (b->direct)
			io_uring_prep_close_direct(sqe, idx);
		else
			io_uring_prep_close(sqe, s->fd);
		expect(b, s, sqe, OP_CLOSE);
	}
}

static void stdout_failed(void)
{
	int e = errno ? errno : EIO;
	if (e == EPIPE)
		_exit(TK_EXIT_FAILURE);       /* reader went away: quiet, like cat */
	msg_die_errno(TK_EXIT_FAILURE, e, "write error on standard output");
}

/*
 * A name on stderr as coreutils quotef() shows it (shell escaping): bare
 * when every byte is safe, else in single quotes, control bytes as $'\n'.
 */
static void quote_name(FILE *f, const char *name, size_t len)
{
	static const char safe[] = "%+,-./:=@_";
	bool plain = len > 0;
	for (size_t i = 0; i < len && plain; i++) {
		unsigned char c = (unsigned char)name[i];
		plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			(c >= 'A' && c <= 'Z') || (c && strchr(safe, c));
	}
	if (plain) {
		fwrite(name, 1, len, f);
		return;
	}
	bool in_quote = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 32 || c == 127) {
			static const char esc[] = "\\a\\b\\t\\n\\v\\f\\r";
			if (in_quote)
				fputc('\'', f);
			in_quote = false;
			if (c >= 7 && c <= 13)
				fprintf(f, "$'%.2s'", esc + 2 * (c - 7));
			else
				fprintf(f, "$'\\%03o'", c);
			continue;
		}
		if (!in_quote)
			fputc('\'', f);
		in_quote = true;
		if (c == '\'')
			fputs("'\\''", f);
		else
			fputc(c, f);
	}
	if (in_quote)
		fputc('\'', f);
	if (len == 0)
		fputs("''", f);
}

/* "prog: NAME: text" on stderr, after stdout as GNU error() does. */
static void check_warn(const char *name, size_t len, const char *text)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", msg_progname());
	quote_name(stderr, name, len);
	fprintf(stderr, ": %s\n", text);
}

/*
 * "NAME: WORD" on stdout. sha256sum -c (9.1) escapes a name only when it
 * holds a newline (then \\, \n and \r all), unlike the lines it writes.
 */
static void check_print(struct slot *s, const char *word)
{
	bool esc = memchr(s->path, '\n', s->path_len) != NULL;
	if (esc)
		putchar('\\');
	if (sumline_print_name(stdout, s->path, s->path_len, esc) < 0 ||
	    printf(": %s\n", word) < 0)
		stdout_failed();
}

/* One verified file, counted and printed as sha256sum -c does. */
static void emit_check(struct batch *b, struct slot *s)
{
	char hex[DIGEST_HEX_MAX];

	if (s->bad_line) {
		b->cc.misformatted++;
		if (b->warn) {
			fflush(stdout);
			fprintf(stderr, "%s: ", msg_progname());
			quote_name(stderr, b->manifest_name, strlen(b->manifest_name));
			fprintf(stderr, ": %llu: improperly formatted %s checksum line\n",
				s->bad_line, b->type_name);
		}
		return;
	}
	if (s->err) {
		if (b->ignore_missing && s->err == ENOENT)
			return;
		b->cc.unreadable++;
		b->files_err++;
		check_warn(s->path, s->path_len, s->err == ERR_NOTREG ? "not a regular file"
								   : strerror(s->err));
		if (!b->status_only)
			check_print(s, "FAILED open or read");
		return;
	}
	b->files_ok++;
	digest_final_hex(s->dg, hex);
	bool match = manifest_hex_equal(s->want, hex, s->want_len);
	if (match)
		b->cc.matched++;
	else
		b->cc.mismatched++;
	if (b->status_only)
		return;
	if (!match)
		check_print(s, "FAILED");
	else if (!b->quiet)
		check_print(s, "OK");
}

static void emit_result(struct batch *b, struct slot *s)
{
	char hex[DIGEST_HEX_MAX];
	char term = b->zero ? '\0' : '\n';

	if (b->check) {
		emit_check(b, s);
		return;
	}
	if (s->err) {
		b->files_err++;
		b->status = TK_EXIT_FAILURE;
		if (s->err == ERR_NOTREG)
			msg_warn("%s: not a regular file", s->path);
		else if (s->err == ERR_LOOP)
			msg_warn("%s: file system loop detected", s->path);
		else
			msg_warn_errno(s->err, "%s", s->path);
		return;
	}
	b->files_ok++;
	switch (b->mode) {
	case MODE_SHA256:
	case MODE_XXH3:
	case MODE_B2:
		digest_final_hex(s->dg, hex);
		if (sumline_print(stdout, hex, s->path, s->path_len, b->zero) < 0)
			stdout_failed();
		break;
	case MODE_SIZE:
		b->bytes += s->size;
		if (printf("%" PRIu64 "\t", s->size) < 0 ||
		    fwrite(s->path, 1, s->path_len, stdout) != s->path_len ||
		    putchar(term) == EOF)
			stdout_failed();
		break;
	case MODE_RESIDENT:
	case MODE_EVICT: {
		uint64_t ps = pagecache_page_size();
		char dirty[24] = "-";
		if (s->pc.dirty_known)
			snprintf(dirty, sizeof(dirty), "%" PRIu64, s->pc.dirty_pages * ps);
		else
			b->pc_dirty_known = false;
		b->pc_cached += s->pc.cached_pages;
		b->pc_dirty += s->pc.dirty_pages;
		b->pc_size += s->size;
		if (printf("%" PRIu64 "\t%s\t%" PRIu64 "\t", s->pc.cached_pages * ps, dirty,
			   s->size) < 0 ||
		    fwrite(s->path, 1, s->path_len, stdout) != s->path_len ||
		    putchar(term) == EOF)
			stdout_failed();
		break;
	}
	case MODE_WARM:
	case MODE_CAT:
		break;
	}
}

static void free_slot(struct batch *b, struct slot *s)
{
	s->state = S_FREE;
	b->busy--;
	if (!b->ordered)
		b->free_stack[b->nfree++] = slot_index(b, s);
}

/* May this slot write its data to stdout now? (--cat only) */
static bool owns_stdout(struct batch *b, struct slot *s)
{
	if (b->mode != MODE_CAT)
		return true;
	if (b->ordered)
		return s->seq == b->head_seq;
	if (b->writer < 0)
		b->writer = (int)slot_index(b, s);
	return b->writer == (int)slot_index(b, s);
}

static void consume(struct batch *b, struct slot *s)
{
	switch (b->mode) {
	case MODE_SHA256:
	case MODE_XXH3:
	case MODE_B2:
		digest_update(s->dg, s->buf, s->chunk);
		break;
	case MODE_CAT:
		if (fwrite(s->buf, 1, s->chunk, stdout) != s->chunk)
			stdout_failed();
		break;
	case MODE_WARM:
	case MODE_SIZE:
	case MODE_RESIDENT:
	case MODE_EVICT:
		break;
	}
	s->off += s->chunk;
	b->bytes += s->chunk;
	s->chunk = 0;
}

static void drain(struct batch *b);

static void finish(struct batch *b, struct slot *s)
{
	s->state = S_DONE;
	b->finished_now++;
	if (b->mode == MODE_CAT && b->writer == (int)slot_index(b, s))
		b->writer = -1;
	drain(b);
}

static bool cache_mode(const struct batch *b)
{
	return b->mode == MODE_RESIDENT || b->mode == MODE_EVICT;
}

/*
 * --resident, --evict on the descriptor the ring opened. A file with dirty
 * pages is not evicted: POSIX_FADV_DONTNEED would start their writeback.
 */
static void cache_op(struct batch *b, struct slot *s)
{
	int rc = pagecache_stat(s->fd, s->size, &s->pc);
	if (rc == 0 && b->mode == MODE_EVICT && s->pc.cached_pages > 0 &&
	    s->pc.dirty_pages == 0) {
		rc = pagecache_evict(s->fd);
		if (rc == 0)
			rc = pagecache_stat(s->fd, s->size, &s->pc);
	}
	if (rc < 0 && !s->err)
		s->err = -rc;
	s->eof = true;
}

/*
 * Read the next chunk, unless it is one for the hashing threads and enough
 * are read and not hashed yet: then the slot waits its turn (unpark).
 */
static void read_or_park(struct batch *b, struct slot *s)
{
	if (b->pool && s->dg && s->size > s->off && s->size - s->off >= HASH_INLINE_MAX) {
		if (b->hashing + b->reading >= b->hash_cap) {
			s->state = S_PARKED;
			b->parked[(b->phead + b->plen++) % b->max_inflight] = slot_index(b, s);
			return;
		}
		s->fed = true;
		b->reading++;
	}
	submit_read_round(b, s);
}

/* Parked slots read again while the backlog has room. */
static void unpark(struct batch *b)
{
	while (b->plen && b->hashing + b->reading < b->hash_cap) {
		struct slot *s = &b->slots[b->parked[b->phead]];
		b->phead = (b->phead + 1) % b->max_inflight;
		b->plen--;
		s->state = S_IO;
		read_or_park(b, s);
	}
}

/* Next round after every completion of the last one is in. */
static void continue_io(struct batch *b, struct slot *s)
{
	if (cache_mode(b) && s->open && !s->err && !s->eof)
		cache_op(b, s);
	if (s->err || s->eof) {
		if (s->open)
			submit_close(b, s);
		else
			finish(b, s);
		return;
	}
	read_or_park(b, s);
}

/* Have a worker wake us through the ring when it finishes a chunk. */
static void arm_wake(struct batch *b)
{
	struct io_uring_sqe *sqe;
	if (b->wake_armed)
		return;
	sq_reserve(b, 1);
	sqe = get_sqe(b);
	io_uring_prep_read(sqe, b->wake_fd, &b->wake_val, sizeof(b->wake_val), 0);
	io_uring_sqe_set_data64(sqe, pack(0, OP_WAKE));
	b->ring_pending++;
	b->wake_armed = true;
}

/* Complete the armed eventfd read ourselves (nothing is left to hash). */
static void wake_self(struct batch *b)
{
	uint64_t one = 1;
	while (write(b->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* Give a large chunk to the hashing threads; the slot waits for it. */
static bool hash_async(struct batch *b, struct slot *s)
{
	if (!b->pool || !s->dg || s->chunk < HASH_INLINE_MAX)
		return false;
	s->state = S_HASHING;
	b->hashing++;
	hashpool_submit(b->pool, s->dg, s->buf, s->chunk, slot_index(b, s));
	arm_wake(b);
	return true;
}

/* Data of the last round is in buf: hand it on, or hold it for its turn. */
static void advance_io(struct batch *b, struct slot *s)
{
	if (s->chunk > 0) {
		if (!owns_stdout(b, s)) {
			s->state = S_HELD;
			return;
		}
		if (hash_async(b, s))
			return;
		consume(b, s);
	}
	continue_io(b, s);
}

/* Chunks are hashed: account them and go on with those files. */
static void collect_hashed(struct batch *b)
{
	unsigned n = hashpool_reap(b->pool, b->reaped, b->max_inflight);
	for (unsigned i = 0; i < n; i++) {
		struct slot *s = &b->slots[b->reaped[i]];
		b->hashing--;
		s->state = S_IO;
		s->off += s->chunk;
		b->bytes += s->chunk;
		s->chunk = 0;
		continue_io(b, s);
	}
	unpark(b);
}

/* The workers finished chunks (the eventfd read completed). */
static void on_wake(struct batch *b)
{
	b->wake_armed = false;
	collect_hashed(b);
	if (b->hashing)
		arm_wake(b);
}

/* Print finished files in their order and wake the file now owning stdout. */
static void drain(struct batch *b)
{
	if (b->draining)
		return;
	b->draining = true;
	for (;;) {
		struct slot *s = NULL;
		if (b->ordered) {
			if (b->head_seq == b->next_seq)
				break;
			s = &b->slots[b->head_seq % b->max_inflight];
			if (s->state == S_DONE) {
				emit_result(b, s);
				free_slot(b, s);
				b->head_seq++;
				continue;
			}
			if (s->state != S_HELD)
				break;
		} else {
			for (unsigned i = 0; i < b->max_inflight; i++) {
				struct slot *t = &b->slots[i];
				if (t->state == S_DONE) {
					emit_result(b, t);
					free_slot(b, t);
				}
			}
			if (b->mode != MODE_CAT || b->writer >= 0)
				break;
			for (unsigned i = 0; i < b->max_inflight && !s; i++)
				if (b->slots[i].state == S_HELD)
					s = &b->slots[i];
			if (!s)
				break;
			b->writer = (int)slot_index(b, s);
		}
		/* a held chunk may go out now */
		s->state = S_IO;
		consume(b, s);
		continue_io(b, s);
	}
	b->draining = false;
}

static void on_round_done(struct batch *b, struct slot *s)
{
	if (s->fed) {
		s->fed = false;
		b->reading--;
	}
	if (s->state == S_STATX) {
		if (!s->err) {
			mode_t m = s->stx.stx_mode;
			if (S_ISDIR(m))
				s->err = EISDIR;
			else if (!S_ISREG(m))
				s->err = ERR_NOTREG;
		}
		if (s->err || b->mode == MODE_SIZE) {
			s->size = s->stx.stx_size;
			finish(b, s);
			return;
		}
		s->size = s->stx.stx_size;
		s->state = S_IO;
		read_or_park(b, s);
		return;
	}
	if (s->retry) {
		s->retry = false;
		s->chunk = 0;
		continue_io(b, s);
		return;
	}
	advance_io(b, s);
}

static void on_cqe(struct batch *b, const struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	struct slot *s = &b->slots[ud >> 8];
	int res = cqe->res;

	b->ring_pending--;
	if ((enum op)(ud & 0xff) == OP_WAKE) {
		if (res < 0 && res != -EINTR && res != -EAGAIN && res != -ECANCELED)
			msg_die_errno(TK_EXIT_FAILURE, -res, "reading the hashing threads' eventfd");
		on_wake(b);
		return;
	}
	s->pending--;
	switch ((enum op)(ud & 0xff)) {
	case OP_STATX:
		if (res < 0)
			s->err = -res;
		break;
	case OP_OPEN:
		if (res < 0) {
			if (!s->err && res != -ECANCELED)
				s->err = -res;
		} else if (b->direct) {
			s->open = true;
		} else {
			s->fd = res;
			s->open = true;
		}
		break;
	case OP_READ:
		if (res == -EAGAIN || res == -EINTR) {
			s->retry = true;
		} else if (res == -ECANCELED) {
			/* the open before it failed and said why */
		} else if (res < 0) {
			if (!s->err)
				s->err = -res;
		} else {
			s->chunk = (uint32_t)res;
			/*
			 * End of file: nothing more, or a short read that reaches
			 * the size statx gave (files claiming size 0, like those
			 * in /proc, are read until a read returns nothing).
			 */
			if (res == 0 || ((uint32_t)res < s->asked && s->size > 0 &&
					 s->off + (uint64_t)res >= s->size))
				s->eof = true;
		}
		break;
	case OP_CLOSE:
		if (res != -ECANCELED) {
			s->open = false;
			s->fd = -1;
		}
		break;
	case OP_WAKE:           /* handled above */
		break;
	}
	if (s->pending == 0)
		on_round_done(b, s);
}

/* Take a slot for one entry and copy its path. */
static struct slot *take_slot(struct batch *b, const char *path, size_t len)
{
	unsigned idx = b->ordered ? (unsigned)(b->next_seq % b->max_inflight)
				  : b->free_stack[--b->nfree];
	struct slot *s = &b->slots[idx];

	if (s->path_cap < len + 1) {
		s->path_cap = len + 1 > 256 ? len + 1 : 256;
		free(s->path);
		s->path = xmalloc(s->path_cap);
	}
	memcpy(s->path, path, len + 1);
	s->path_len = len;
	s->seq = b->next_seq++;
	s->off = 0;
	s->size = 0;
	s->chunk = 0;
	s->err = 0;
	s->fd = -1;
	s->open = false;
	s->eof = false;
	s->retry = false;
	s->bad_line = 0;
	memset(&s->pc, 0, sizeof(s->pc));
	if (s->dg)
		digest_reset(s->dg);
	if (b->check) {
		memcpy(s->want, b->next_want, b->next_want_len + 1);
		s->want_len = b->next_want_len;
	}
	b->busy++;
	return s;
}

/* Start one file: take a slot, submit its statx. */
static void admit(struct batch *b, const char *path, size_t len)
{
	submit_statx(b, take_slot(b, path, len));
}

/* -r: a directory that could not be walked, reported in its place. */
static void admit_error(struct batch *b, const char *path, size_t len, int err)
{
	struct slot *s = take_slot(b, path, len);
	s->err = err;
	finish(b, s);
}

/* -c: an improperly formatted line takes its turn in the output order. */
static void admit_bad_line(struct batch *b, unsigned long long line)
{
	unsigned idx = b->ordered ? (unsigned)(b->next_seq % b->max_inflight)
				  : b->free_stack[--b->nfree];
	struct slot *s = &b->slots[idx];

	s->seq = b->next_seq++;
	s->bad_line = line;
	s->err = 0;
	b->busy++;
	finish(b, s);
}

/* Where entries come from: a path list, or (-c) a manifest. */
struct input {
	struct pathsrc *ps;
	struct treewalk *tw;            /* -r */
	const struct pathsrc *names;    /* the names given (ps, or tw's roots) */
	int walk_err;                   /* the error of the last walk result 3 */
	FILE *mf;
	bool is_stdin;
	bool read_error;
	char *line;
	size_t cap;
	unsigned long long lineno;
	struct manifest_parser mp;
};

/*
 * Next entry: 1 with a path (and with -c b->next_want set), 2 for an
 * improperly formatted manifest line (in->lineno), 3 for a directory that
 * could not be walked (*path, in->walk_err), 0 at the end, -errno as
 * pathsrc_next.
 */
static int input_next(struct batch *b, struct input *in, const char **path, size_t *len)
{
	struct manifest_entry e;
	ssize_t n;
	int rc;

	if (in->tw) {
		rc = treewalk_next(in->tw, path, len);
		if (rc >= 0 || !*path)
			return rc;
		in->walk_err = rc == TREEWALK_ELOOP ? ERR_LOOP : -rc;
		return 3;
	}
	if (in->ps)
		return pathsrc_next(in->ps, path, len);
	for (;;) {
		errno = 0;
		n = getline(&in->line, &in->cap, in->mf);
		if (n <= 0) {
			if (ferror(in->mf))
				in->read_error = true;
			return 0;
		}
		in->lineno++;
		rc = manifest_parse(&in->mp, in->line, (size_t)n, in->is_stdin, &e);
		if (rc == 0)
			continue;
		/* libcrypto 3.0 has BLAKE2b-512 only: b2sum -l lines count as bad */
		if (rc < 0 || e.hex_len != b->hex_len)
			return 2;
		b->cc.proper = true;
		memcpy(b->next_want, e.hex, e.hex_len);
		b->next_want[e.hex_len] = '\0';
		b->next_want_len = e.hex_len;
		*path = e.name;
		*len = e.name_len;
		return 1;
	}
}

/* Free slots a new batch may take. */
static unsigned room(const struct batch *b)
{
	if (b->ordered)
		return b->max_inflight - (unsigned)(b->next_seq - b->head_seq);
	return b->nfree;
}

static void ring_setup(struct batch *b)
{
	struct io_uring_params p;
	unsigned entries = 1;
	int rc;

	/* a file has at most three requests queued at once */
	while (entries < b->max_inflight * 3)
		entries <<= 1;
	static const unsigned flag_sets[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	rc = -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(flag_sets) && rc < 0; i++) {
		memset(&p, 0, sizeof(p));
		p.flags = flag_sets[i] | IORING_SETUP_CQSIZE;
		p.cq_entries = entries * 2;
		rc = io_uring_queue_init_params(entries, &b->ring, &p);
		if (rc != -EINVAL)
			break;
	}
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "io_uring_queue_init");

	struct io_uring_probe *probe = io_uring_get_probe_ring(&b->ring);
	static const struct { int op; const char *name; } need[] = {
		{ IORING_OP_STATX, "statx" },
		{ IORING_OP_OPENAT, "openat" },
		{ IORING_OP_READ, "read" },
		{ IORING_OP_CLOSE, "close" },
	};
	for (size_t i = 0; probe && i < ARRAY_SIZE(need); i++)
		if (!io_uring_opcode_supported(probe, need[i].op))
			msg_die(TK_EXIT_FAILURE, "io_uring: the kernel has no %s operation", need[i].name);
	if (probe)
		io_uring_free_probe(probe);

	/* direct file slots: one per file in flight (Linux 5.15+) */
	/* (--resident and --evict need real descriptors for cachestat and fadvise) */
	b->direct = !cache_mode(b) &&
		    io_uring_register_files_sparse(&b->ring, b->max_inflight) == 0;
	if (!b->direct)
		msg_verbose("no direct file slots, using plain descriptors");

	/* statx and openat of cold inodes block in io-wq: let enough run at once */
	unsigned workers[2] = { b->max_inflight < 64 ? b->max_inflight : 64, 0 };
	(void)io_uring_register_iowq_max_workers(&b->ring, workers);
}

static void reap(struct batch *b)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&b->ring, head, cqe) {
		on_cqe(b, cqe);
		n++;
	}
	io_uring_cq_advance(&b->ring, n);
}

static void run(struct batch *b, struct input *src, unsigned fixed_batch)
{
	struct batchctl ctl;
	bool input_done = false;
	unsigned batch = fixed_batch ? fixed_batch : DEF_BATCH_START;

	if (batch > b->max_inflight)
		batch = b->max_inflight;
	batchctl_init(&ctl, batch, 1, b->max_inflight, BATCH_WINDOW, mono_ns());

	for (;;) {
		unsigned r = room(b);
		if (!input_done && r > 0 && (r >= batch || b->ring_pending == 0)) {
			unsigned n = 0;
			while (n < batch && n < r) {
				const char *path;
				size_t len;
				int rc = input_next(b, src, &path, &len);
				if (rc == 2) {
					admit_bad_line(b, src->lineno);
					n++;
					continue;
				}
				if (rc == 3) {
					admit_error(b, path, len, src->walk_err);
					n++;
					continue;
				}
				if (rc == 0) {
					input_done = true;
					break;
				}
				if (rc == -ENAMETOOLONG) {
					msg_warn("input entry %llu: %s", pathsrc_count(src->names),
						 strerror(ENAMETOOLONG));
					b->status = TK_EXIT_FAILURE;
					b->files_err++;
					continue;
				}
				if (rc < 0) {
					msg_warn_errno(-rc, "reading paths");
					b->status = TK_EXIT_FAILURE;
					input_done = true;
					break;
				}
				admit(b, path, len);
				n++;
			}
			if (n) {
				b->rounds++;
				b->admitted += n;
			}
		}
		if (b->ring_pending == 0) {
			if (input_done && b->busy == 0)
				break;
			if (input_done || room(b) == 0) {
				/* nothing owed by the ring yet slots are busy: a bug */
				msg_die(TK_EXIT_FAILURE, "internal error: %u files stuck", b->busy);
			}
			continue;
		}
		/*
		 * Chunks wait for a hashing thread and the ring has nothing
		 * ready: hash one here rather than sleep (the reading thread is
		 * one of the --threads hashers).
		 */
		if (b->hashing && io_uring_cq_ready(&b->ring) == 0) {
			int rc = io_uring_submit(&b->ring);
			if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
				msg_die_errno(TK_EXIT_FAILURE, -rc, "io_uring_submit");
			if (io_uring_cq_ready(&b->ring) == 0 && hashpool_help(b->pool)) {
				collect_hashed(b);
				/* the last chunk hashed here: the armed read must end */
				if (!b->hashing && b->wake_armed)
					wake_self(b);
				continue;
			}
		}
		int rc = io_uring_submit_and_wait(&b->ring, 1);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "io_uring_submit_and_wait");
		reap(b);
		if (b->finished_now) {
			if (!fixed_batch)
				batch = batchctl_done(&ctl, b->finished_now, mono_ns());
			b->finished_now = 0;
		}
	}
}

static long peak_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kib = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage: %s [options] [PATH...]\n", msg_progname());
	printf("       %s -c [options] [MANIFEST...]\n", msg_progname());
	fputs("\nRead many files through io_uring batches: hash them, print their sizes,\n"
	      "warm the page cache or concatenate them. Paths come from the arguments,\n"
	      "or from standard input, one a line (NUL-separated with -0).\n", stdout);
	fputs("\nModes (one per run):\n"
	      "     --sha256             SHA-256 lines as sha256sum prints them (default)\n"
	      "     --b2                 BLAKE2b-512 lines as b2sum prints them\n"
	      "     --xxh3               XXH3-128 lines as xxhsum -H2 prints them\n"
	      "     --size               size in bytes and path, as du -b --apparent-size\n"
	      "     --warm               read into the page cache, print a summary\n"
	      "     --cat                contents to standard output\n"
	      "     --resident           bytes in the page cache, dirty bytes, size, path;\n"
	      "                            a total line at the end (cachestat, or mincore)\n"
	      "     --evict              drop the files' clean pages from the page cache\n"
	      "                            (files with dirty pages are left alone), then\n"
	      "                            print what stays, as --resident\n", stdout);
	fputs("\nVerifying (as sha256sum -c / b2sum -c; output and exit status alike):\n"
	      " -c, --check              read checksums from MANIFESTs (- or none: stdin)\n"
	      " -w, --warn               name improperly formatted manifest lines\n"
	      "     --quiet              do not print OK for verified files\n"
	      "     --status             print nothing, the exit status tells\n"
	      "     --strict             exit 1 on improperly formatted lines\n"
	      "     --ignore-missing     say nothing of missing files\n", stdout);
	fputs("\nOptions:\n"
	      " -0, --null               input paths are separated by NUL, not newline\n"
	      " -z, --zero               end output lines with NUL, do not escape names\n"
	      " -r, --recursive          PATHs that are directories: every regular file\n"
	      "                            below, sorted as find | LC_ALL=C sort\n"
	      " -L, --dereference        with -r: follow symbolic links\n"
	      " -x, --one-file-system    with -r: stay on the file system of each PATH\n"
	      " -u, --unordered          print results as files complete, not in input order\n"
	      " -b, --batch N|auto       files submitted together (default: auto, adaptive)\n"
	      " -m, --max-inflight N     files in progress at most (default 64)\n"
	      "     --buffer-size SIZE   read buffer per file in progress (default 64KiB)\n"
	      "     --threads N          hashing threads (default: online CPUs; 1: hash\n"
	      "                            in the reading thread)\n"
	      " -s, --stats              print files, bytes, seconds, files/s, average batch\n"
	      "                            and peak memory on standard error\n"
	      " -v, --verbose            say what the ring could not do (direct slots)\n"
	      " -h, --help               display this help\n"
	      " -V, --version            display version\n", stdout);
	fputs("\nMemory: --max-inflight x --buffer-size bytes for the buffers.\n", stdout);
	printf("\nSee %s(1).\n", msg_progname());
	exit(TK_EXIT_OK);
}

/* -c options without -c, or -c with a mode it cannot check: exit 2. */
static void check_options(const struct batch *b, int delim)
{
	static const char *const names[] = { "--warn", "--quiet", "--status", "--strict",
					     "--ignore-missing" };
	const bool set[] = { b->warn, b->quiet, b->status_only, b->strict, b->ignore_missing };

	if (!b->check) {
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			if (set[i]) {
				msg_warn("the %s option is meaningful only when verifying checksums",
					 names[i]);
				usage_hint();
			}
		return;
	}
	if (b->mode != MODE_SHA256 && b->mode != MODE_XXH3 && b->mode != MODE_B2) {
		msg_warn("--check verifies --sha256, --xxh3 or --b2 manifests only");
		usage_hint();
	}
	if (b->zero || delim == '\0') {
		msg_warn("--check reads manifests, not path lists: -0 and -z do not apply");
		usage_hint();
	}
}

/* "prog: WARNING: N thing(s)" on stderr, after stdout. */
static void check_summary_line(unsigned long long n, const char *one, const char *many)
{
	fflush(stdout);
	fprintf(stderr, "%s: WARNING: %llu %s\n", msg_progname(), n, n == 1 ? one : many);
}

/* Verify one manifest as sha256sum -c does; false when it failed. */
static bool check_manifest(struct batch *b, struct input *in, const char *name,
			   unsigned fixed_batch)
{
	const struct check_counts *cc = &b->cc;

	in->is_stdin = strcmp(name, "-") == 0;
	in->mf = in->is_stdin ? stdin : fopen(name, "re");
	if (!in->mf) {
		check_warn(name, strlen(name), strerror(errno));
		return false;
	}
	in->lineno = 0;
	in->read_error = false;
	memset(&b->cc, 0, sizeof(b->cc));
	/* as sha256sum names it in messages */
	if (in->is_stdin)
		name = "standard input";
	b->manifest_name = name;
	run(b, in, fixed_batch);
	if (in->is_stdin)
		clearerr(stdin);
	else
		fclose(in->mf);
	in->mf = NULL;

	if (in->read_error) {
		check_warn(name, strlen(name), "read error");
		return false;
	}
	if (!cc->proper) {
		check_warn(name, strlen(name), "no properly formatted checksum lines found");
		return false;
	}
	if (!b->status_only) {
		if (cc->misformatted)
			check_summary_line(cc->misformatted, "line is improperly formatted",
					   "lines are improperly formatted");
		if (cc->unreadable)
			check_summary_line(cc->unreadable, "listed file could not be read",
					   "listed files could not be read");
		if (cc->mismatched)
			check_summary_line(cc->mismatched, "computed checksum did NOT match",
					   "computed checksums did NOT match");
		if (b->ignore_missing && !cc->matched)
			check_warn(name, strlen(name), "no file was verified");
	}
	return cc->mismatched == 0 && cc->unreadable == 0 &&
	       (!b->strict || cc->misformatted == 0) &&
	       (!b->ignore_missing || cc->matched);
}

int main(int argc, char **argv)
{
	/* the modes first, in the order of enum mode */
	enum { OPT_SHA256 = CHAR_MAX + 1, OPT_XXH3, OPT_SIZE, OPT_WARM, OPT_CAT, OPT_B2,
	       OPT_RESIDENT, OPT_EVICT, OPT_BUFSIZE, OPT_THREADS, OPT_QUIET, OPT_STATUS,
	       OPT_STRICT, OPT_IGNORE_MISSING };
	int walk_flags = 0;
	bool recursive = false;
	static const struct option longopts[] = {
		{ "sha256", no_argument, NULL, OPT_SHA256 },
		{ "xxh3", no_argument, NULL, OPT_XXH3 },
		{ "size", no_argument, NULL, OPT_SIZE },
		{ "warm", no_argument, NULL, OPT_WARM },
		{ "cat", no_argument, NULL, OPT_CAT },
		{ "b2", no_argument, NULL, OPT_B2 },
		{ "resident", no_argument, NULL, OPT_RESIDENT },
		{ "evict", no_argument, NULL, OPT_EVICT },
		{ "check", no_argument, NULL, 'c' },
		{ "recursive", no_argument, NULL, 'r' },
		{ "dereference", no_argument, NULL, 'L' },
		{ "one-file-system", no_argument, NULL, 'x' },
		{ "warn", no_argument, NULL, 'w' },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "status", no_argument, NULL, OPT_STATUS },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "ignore-missing", no_argument, NULL, OPT_IGNORE_MISSING },
		{ "null", no_argument, NULL, '0' },
		{ "zero", no_argument, NULL, 'z' },
		{ "unordered", no_argument, NULL, 'u' },
		{ "batch", required_argument, NULL, 'b' },
		{ "max-inflight", required_argument, NULL, 'm' },
		{ "buffer-size", required_argument, NULL, OPT_BUFSIZE },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "stats", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const mode_names[] = { "--sha256", "--xxh3", "--size", "--warm", "--cat", "--b2",
						 "--resident", "--evict" };
	struct batch b = { .ordered = true, .writer = -1, .pc_dirty_known = true };
	int delim = '\n', c, mode = -1;
	unsigned fixed_batch = 0;
	uint64_t bufsize = DEF_BUFSIZE;
	bool stats = false;
	unsigned threads = 0;

	msg_init(argv[0]);
	close_stdout_atexit();
	/* `ioring-batch ... | head` ends quietly, as cat does */
	signal(SIGPIPE, SIG_DFL);
	b.max_inflight = DEF_MAX_INFLIGHT;

	while ((c = getopt_long(argc, argv, "0zub:m:scwrLxvhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SHA256:
		case OPT_XXH3:
		case OPT_SIZE:
		case OPT_WARM:
		case OPT_CAT:
		case OPT_B2:
		case OPT_RESIDENT:
		case OPT_EVICT:
			if (mode >= 0 && mode != c - OPT_SHA256) {
				msg_warn("%s and %s are mutually exclusive",
					 mode_names[mode], mode_names[c - OPT_SHA256]);
				usage_hint();
			}
			mode = c - OPT_SHA256;
			break;
		case '0':
			delim = '\0';
			break;
		case 'z':
			b.zero = true;
			break;
		case 'u':
			b.ordered = false;
			break;
		case 'b':
			fixed_batch = strcmp(optarg, "auto") == 0 ? 0
				: (unsigned)optval_or_die(OPTVAL_COUNT, "--batch", optarg, 1, MAX_INFLIGHT_LIMIT);
			break;
		case 'm':
			b.max_inflight = (unsigned)optval_or_die(OPTVAL_COUNT, "--max-inflight", optarg, 1, MAX_INFLIGHT_LIMIT);
			break;
		case OPT_BUFSIZE:
			bufsize = optval_or_die(OPTVAL_SIZE, "--buffer-size", optarg, 4096, 1U << 30);
			break;
		case 's':
			stats = true;
			break;
		case OPT_THREADS:
			threads = (unsigned)optval_or_die(OPTVAL_COUNT, "--threads", optarg, 1, 256);
			break;
		case 'c':
			b.check = true;
			break;
		case 'w':
			b.warn = true;
			break;
		case 'r':
			recursive = true;
			break;
		case 'L':
			walk_flags |= TREEWALK_FOLLOW;
			break;
		case 'x':
			walk_flags |= TREEWALK_XDEV;
			break;
		case OPT_QUIET:
			b.quiet = true;
			break;
		case OPT_STATUS:
			b.status_only = true;
			break;
		case OPT_STRICT:
			b.strict = true;
			break;
		case OPT_IGNORE_MISSING:
			b.ignore_missing = true;
			break;
		case 'v':
			msg_verbosity++;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			usage_hint();
		}
	}
	argc -= optind;
	argv += optind;
	b.mode = mode < 0 ? MODE_SHA256 : (enum mode)mode;
	if (getenv("TUNEKIT_NO_CACHESTAT"))
		pagecache_force_mincore(true);
	b.bufsize = (size_t)bufsize;
	check_options(&b, delim);
	switch (b.mode) {
	case MODE_B2:
		b.type_name = "BLAKE2b";
		b.hex_len = 128;
		break;
	case MODE_XXH3:
		b.type_name = "XXH128";
		b.hex_len = 32;
		break;
	default:
		b.type_name = "SHA256";
		b.hex_len = 64;
		break;
	}

	if (walk_flags && !recursive) {
		msg_warn("-L and -x apply to -r only");
		usage_hint();
	}
	if (recursive && b.check) {
		msg_warn("-r and -c are mutually exclusive");
		usage_hint();
	}
	struct input in = { 0 };
	if (!b.check) {
		in.ps = argc > 0 ? pathsrc_from_argv(argv, argc)
				 : pathsrc_from_fd(STDIN_FILENO, delim, PATH_ENTRY_MAX);
		in.names = in.ps;
		if (recursive) {
			in.tw = treewalk_new(in.ps, walk_flags);
			in.ps = NULL;
		}
	}
	manifest_init(&in.mp, b.type_name, b.hex_len, b.mode == MODE_B2);

	b.slots = xcalloc(b.max_inflight, sizeof(*b.slots));
	b.free_stack = xcalloc(b.max_inflight, sizeof(*b.free_stack));
	for (unsigned i = 0; i < b.max_inflight; i++) {
		b.free_stack[i] = b.max_inflight - 1 - i;
		if (b.mode == MODE_SHA256 || b.mode == MODE_XXH3 || b.mode == MODE_B2)
			b.slots[i].dg = digest_new(b.mode == MODE_SHA256 ? DIGEST_SHA256
						   : b.mode == MODE_B2 ? DIGEST_BLAKE2B : DIGEST_XXH3);
	}
	b.nfree = b.max_inflight;
	ring_setup(&b);

	/* hashing threads: one per online CPU unless told; 1 hashes inline */
	if (!threads) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cpus < 1 ? 1 : cpus > 64 ? 64 : (unsigned)cpus;
	}
	if (threads > 1 && b.slots[0].dg) {
		b.wake_fd = eventfd(0, EFD_CLOEXEC);
		if (b.wake_fd < 0)
			msg_die_errno(TK_EXIT_FAILURE, errno, "eventfd");
		b.pool = hashpool_new(threads - 1, b.max_inflight, b.wake_fd);
		if (!b.pool)
			msg_die_errno(TK_EXIT_FAILURE, errno, "starting hashing threads");
		b.reaped = xcalloc(b.max_inflight, sizeof(*b.reaped));
		b.parked = xcalloc(b.max_inflight, sizeof(*b.parked));
		/* the reading thread hashes too (run): threads - 1 more */
		b.hash_cap = HASH_BACKLOG / b.bufsize;
		if (b.hash_cap < 2 * threads)
			b.hash_cap = 2 * threads;
	}

	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

	uint64_t t0 = mono_ns();
	if (!b.check) {
		run(&b, &in, fixed_batch);
	} else {
		static char dash[] = "-";
		static char *stdin_only[] = { dash, NULL };
		if (argc == 0) {
			argv = stdin_only;
			argc = 1;
		}
		for (int i = 0; i < argc; i++)
			if (!check_manifest(&b, &in, argv[i], fixed_batch))
				b.status = TK_EXIT_FAILURE;
		free(in.line);
	}
	double secs = (double)(mono_ns() - t0) / 1e9;

	if (b.mode == MODE_WARM)
		printf("files %llu\nbytes %llu\n", b.files_ok, b.bytes);
	if (cache_mode(&b)) {
		/* a du -c style total line */
		uint64_t ps = pagecache_page_size();
		char dirty[24] = "-";
		if (b.pc_dirty_known)
			snprintf(dirty, sizeof(dirty), "%" PRIu64, b.pc_dirty * ps);
		printf("%" PRIu64 "\t%s\t%" PRIu64 "\ttotal%c", b.pc_cached * ps, dirty, b.pc_size,
		       b.zero ? '\0' : '\n');
	}
	if (fflush(stdout) != 0)
		stdout_failed();
	if (stats) {
		unsigned long long files = b.files_ok + b.files_err;
		fprintf(stderr, "%s: stats: files=%llu errors=%llu bytes=%llu seconds=%.3f "
			"files_per_s=%.0f avg_batch=%.1f direct=%s peak_rss_kib=%ld\n",
			msg_progname(), files, b.files_err, b.bytes, secs,
			secs > 0 ? (double)files / secs : 0.0,
			b.rounds ? (double)b.admitted / (double)b.rounds : 0.0,
			b.direct ? "yes" : "no", peak_rss_kib());
	}

	hashpool_free(b.pool);
	if (b.pool)
		close(b.wake_fd);
	free(b.reaped);
	free(b.parked);
	io_uring_queue_exit(&b.ring);
	for (unsigned i = 0; i < b.max_inflight; i++) {
		free(b.slots[i].path);
		free(b.slots[i].buf);
		digest_free(b.slots[i].dg);
	}
	free(b.slots);
	free(b.free_stack);
	if (in.ps)
		pathsrc_free(in.ps);
	treewalk_free(in.tw);
	return b.status;
}
