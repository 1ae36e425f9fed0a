/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * aiocp - copy files with Linux AIO (io_submit/io_getevents) and O_DIRECT,
 * many chunks in flight; the unaligned tail goes through the page cache.
 */
#include "config.h"

#include <errno.h>
#include <libaio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "c.h"
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

int main(int argc, char **argv)
{
	struct copy_engine engine = {
		.name = "libaio",
		.summary = "Copy files with Linux AIO (libaio) and O_DIRECT.\n",
		.direct_default = true,
		.run = aio_run,
	};
	return copy_main(argc, argv, &engine);
}
