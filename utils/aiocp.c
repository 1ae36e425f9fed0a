/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * aiocp - copy files with Linux AIO (io_submit/io_getevents) and O_DIRECT,
 * many chunks in flight; the unaligned tail goes through the page cache.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libaio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "c.h"
#include "closestream.h"
#include "copyjob.h"
#include "msg.h"
#include "units.h"
#include "xalloc.h"

/* io_getevents waits at most this long, so a stall is noticed and said */
#define AIO_WAIT_MS 1000
#define AIO_STALL_WARN_S 30

struct aio_engine {
	io_context_t ctx;
	struct copy_op *ops;
	struct iocb *iocbs;       /* iocbs[i] belongs to ops[i] */
	struct iocb **pending;    /* prepared, not yet accepted by io_submit */
	unsigned n_pending;
	struct copy_op **free_ops;
	unsigned n_free, n_ops;
	struct io_event *events;
	void *mem;
	size_t block;
	unsigned inflight;        /* ops holding a chunk (pending or in the kernel) */
	struct copy_file *cur;
};

static void queue_op(struct aio_engine *a, struct copy_op *op)
{
	struct iocb *cb = &a->iocbs[op->buf_index];
	struct copy_io io;
	copy_op_io(op, &io);
	if (io.write)
		io_prep_pwrite(cb, io.fd, io.buf, io.len, (long long)io.off);
	else
		io_prep_pread(cb, io.fd, io.buf, io.len, (long long)io.off);
	cb->data = op;
	a->pending[a->n_pending++] = cb;
}

static void complete_op(struct aio_engine *a, struct copy_queue *q, struct copy_op *op, long res)
{
	switch (copy_op_complete(op, res)) {
	case COPY_STEP_SUBMIT:
		queue_op(a, op);
		break;
	case COPY_STEP_DONE:
	case COPY_STEP_FAILED: {
		struct copy_file *f = op->f;
		op->f = NULL;
		a->free_ops[a->n_free++] = op;
		a->inflight--;
		if (f != a->cur && copy_file_drained(f))
			copy_queue_done(q, f);
		break;
	}
	}
}

static int engine_setup(struct aio_engine *a, unsigned qd, size_t block, const char **what)
{
	int rc = io_setup((int)qd, &a->ctx);
	if (rc < 0) {
		*what = "io_setup";
		return rc;
	}
	a->mem = copy_buffers_alloc((size_t)qd * block);
	if (!a->mem) {
		io_destroy(a->ctx);
		*what = "allocate buffers";
		return -ENOMEM;
	}
	a->block = block;
	a->n_ops = qd;
	a->ops = xcalloc(qd, sizeof(*a->ops));
	a->iocbs = xcalloc(qd, sizeof(*a->iocbs));
	a->pending = xcalloc(qd, sizeof(*a->pending));
	a->free_ops = xcalloc(qd, sizeof(*a->free_ops));
	a->events = xcalloc(qd, sizeof(*a->events));
	for (unsigned i = 0; i < qd; i++) {
		a->ops[i].buf = (char *)a->mem + (size_t)i * block;
		a->ops[i].buf_index = i;
		a->free_ops[a->n_free++] = &a->ops[qd - 1 - i];
	}
	return 0;
}

static void engine_teardown(struct aio_engine *a)
{
	io_destroy(a->ctx); /* waits for what is still in flight */
	free(a->mem);
	free(a->ops);
	free(a->iocbs);
	free(a->pending);
	free(a->free_ops);
	free(a->events);
}

/* After a fatal io_getevents error: fail every file still holding chunks. */
static void abort_files(struct aio_engine *a, struct copy_queue *q, int err)
{
	io_destroy(a->ctx);
	a->ctx = 0;
	for (unsigned i = 0; i < a->n_ops; i++) {
		struct copy_op *op = &a->ops[i];
		if (!op->f)
			continue;
		struct copy_file *f = op->f;
		op->f = NULL;
		copy_file_fail(f, f->dst, "libaio", err);
		if (--f->inflight == 0 && f != a->cur)
			copy_queue_done(q, f);
	}
	if (a->cur) {
		copy_file_fail(a->cur, a->cur->dst, "libaio", err);
		if (a->cur->inflight == 0)
			copy_queue_done(q, a->cur);
		a->cur = NULL;
	}
}

static int aio_run(struct copy_engine *e, struct copy_queue *q, const char **what)
{
	struct aio_engine a = { 0 };
	const struct copy_opts *o = copy_queue_opts(q);
	struct copy_stats *st = copy_queue_stats(q);
	unsigned idle_s = 0, starved = 0;
	bool more = true;

	(void)e;
	int rc = engine_setup(&a, o->queue_depth, o->block_size, what);
	if (rc < 0)
		return rc;

	for (;;) {
		while (a.n_free && more) {
			if (!a.cur) {
				a.cur = copy_queue_next(q);
				if (!a.cur) {
					more = false;
					break;
				}
			}
			struct copy_op *op = a.free_ops[a.n_free - 1];
			if (!copy_file_next_chunk(a.cur, a.block, op)) {
				struct copy_file *f = a.cur;
				a.cur = NULL;
				if (copy_file_drained(f))
					copy_queue_done(q, f);
				continue;
			}
			a.n_free--;
			a.inflight++;
			queue_op(&a, op);
		}
		if (!a.inflight)
			break;

		/* hand the kernel what is prepared; a request it refuses at
		 * submission completes with that error */
		while (a.n_pending) {
			int n = io_submit(a.ctx, (long)a.n_pending, a.pending);
			if (n == -EAGAIN || n == -EINTR)
				break; /* reap first, submit again after */
			if (n < 0) {
				struct iocb *cb = a.pending[0];
				memmove(a.pending, a.pending + 1, --a.n_pending * sizeof(*a.pending));
				st->submissions++;
				st->completions++;
				complete_op(&a, q, cb->data, n);
				continue;
			}
			st->submissions += (unsigned)n;
			a.n_pending -= (unsigned)n;
			memmove(a.pending, a.pending + n, a.n_pending * sizeof(*a.pending));
		}
		if (!a.inflight)
			continue;
		if (a.n_pending == a.inflight) {
			/* everything waits for submission (-EAGAIN): give the kernel a
			 * moment, but not forever */
			if (++starved > 5000) {
				*what = "io_submit";
				abort_files(&a, q, EAGAIN);
				engine_teardown(&a);
				return -EAGAIN;
			}
			usleep(1000);
			continue;
		}
		starved = 0;

		struct timespec ts = { AIO_WAIT_MS / 1000, (AIO_WAIT_MS % 1000) * 1000000L };
		int n = io_getevents(a.ctx, 1, (long)a.n_ops, a.events, &ts);
		if (n == -EINTR)
			continue;
		if (n < 0) {
			*what = "io_getevents";
			abort_files(&a, q, -n);
			engine_teardown(&a);
			return n;
		}
		if (n == 0) {
			if (++idle_s == AIO_STALL_WARN_S)
				msg_warn("no I/O completion for %d s, still waiting", AIO_STALL_WARN_S);
			continue;
		}
		idle_s = 0;
		st->completions += (unsigned)n;
		/* each event names its iocb, and the iocb its op: order does not matter */
		for (int i = 0; i < n; i++)
			complete_op(&a, q, a.events[i].data, (long)a.events[i].res);
	}
	engine_teardown(&a);
	return 0;
}

static void __attribute__((__noreturn__)) usage(void)
{
	FILE *out = stdout;
	fputs("Usage:\n"
	      " aiocp [options] SRC DST\n"
	      " aiocp [options] SRC... DIR\n"
	      "\nCopy files with Linux AIO (libaio) and O_DIRECT. A regular file appears\n"
	      "under its name only when complete (O_TMPFILE, or temp file + rename); an\n"
	      "existing device or FIFO is written into, never replaced. See SECURITY\n"
	      "CONSIDERATIONS in the man page for what root may rely on.\n"
	      "\nOptions:\n"
	      " -r, -R, --recursive      copy directories recursively\n"
	      " -p, --preserve           keep mode, owner and timestamps (set-uid/set-gid\n"
	      "                          only with the source's owner)\n"
	      " -f, --force              replace regular files we may not write\n"
	      " -n, --no-clobber         never replace an existing destination\n"
	      " -v, --verbose            print 'SRC' -> 'DST' for each copy\n"
	      " -q, --queue-depth N      chunks in flight (default 8, --buffered 32)\n"
	      " -b, --block-size SIZE    bytes per chunk, multiple of 4K\n"
	      "                          (default 4M, --buffered 256K)\n"
	      "     --buffered           go through the page cache (file systems without\n"
	      "                          O_DIRECT such as tmpfs; slower: AIO is synchronous there)\n"
	      "     --fsync              make the copy durable before exiting\n"
	      "     --verify             re-read both files and compare checksums\n"
	      "     --progress           show a progress bar (on a terminal)\n"
	      "     --no-progress        never show the progress bar\n"
	      "     --stats              print bytes, time, rate and I/O counts\n"
	      " -h, --help               display this help\n"
	      " -V, --version            display version\n", out);
	exit(TK_EXIT_OK);
}

int main(int argc, char **argv)
{
	enum { OPT_BUFFERED = 256, OPT_FSYNC, OPT_VERIFY, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_STATS };
	static const struct option longopts[] = {
		{ "recursive", no_argument, NULL, 'r' },
		{ "preserve", no_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "no-clobber", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "queue-depth", required_argument, NULL, 'q' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "buffered", no_argument, NULL, OPT_BUFFERED },
		{ "fsync", no_argument, NULL, OPT_FSYNC },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct copy_opts o = {
		.progress = COPY_PROGRESS_AUTO,
		/* libaio is only asynchronous with O_DIRECT: refuse rather than
		 * silently run synchronously */
		.direct = true,
		.direct_required = true,
		.direct_hint = "use --buffered",
	};
	struct copy_engine engine = { .name = "libaio", .run = aio_run };
	struct copy_stats stats;
	int ch;

	msg_init(argv[0]);
	close_stdout_atexit();

	while ((ch = getopt_long(argc, argv, "rRpfnvq:b:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
		case 'R':
			o.recursive = true;
			break;
		case 'p':
			o.preserve = true;
			break;
		case 'f':
			o.force = true;
			break;
		case 'n':
			o.no_clobber = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'q':
			if (copy_parse_queue_depth(optarg, &o.queue_depth) < 0) {
				msg_warn("invalid queue depth '%s' (1-%d)", optarg, COPY_MAX_QUEUE_DEPTH);
				usage_hint();
			}
			break;
		case 'b':
			if (copy_parse_block_size(optarg, &o.block_size) < 0) {
				msg_warn("invalid block size '%s' (a multiple of 4K, 4K-64M)", optarg);
				usage_hint();
			}
			break;
		case OPT_BUFFERED:
			o.direct = false;
			break;
		case OPT_FSYNC:
			o.fsync = true;
			break;
		case OPT_VERIFY:
			o.verify = true;
			break;
		case OPT_PROGRESS:
			o.progress = COPY_PROGRESS_ON;
			break;
		case OPT_NO_PROGRESS:
			o.progress = COPY_PROGRESS_OFF;
			break;
		case OPT_STATS:
			o.stats = true;
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
	if (argc < 1) {
		msg_warn("missing file operand");
		usage_hint();
	}
	if (argc < 2) {
		msg_warn("missing destination file operand after '%s'", argv[0]);
		usage_hint();
	}
	if (!o.queue_depth)
		o.queue_depth = o.direct ? COPY_DIRECT_QUEUE_DEPTH : COPY_BUFFERED_QUEUE_DEPTH;
	if (!o.block_size)
		o.block_size = o.direct ? COPY_DIRECT_BLOCK_SIZE : COPY_BUFFERED_BLOCK_SIZE;
	if ((uint64_t)o.queue_depth * o.block_size > COPY_MAX_BUFFER_BYTES) {
		msg_warn("queue depth x block size exceeds %d MiB", COPY_MAX_BUFFER_BYTES >> 20);
		usage_hint();
	}

	int rc = copy_run(&o, argv, (size_t)argc - 1, argv[argc - 1], &engine, &stats);
	if (o.stats)
		copy_stats_print(stdout, engine.name, &stats);
	return rc < 0 || stats.failures ? TK_EXIT_FAILURE : TK_EXIT_OK;
}
