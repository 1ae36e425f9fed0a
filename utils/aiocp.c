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
	struct copy_stats *st;
	struct iocb *iocbs;       /* iocbs[i] belongs to the op with buf_index i */
	struct iocb **pending;    /* prepared, not yet accepted by io_submit */
	unsigned n_pending;
	unsigned in_kernel;       /* submitted, not yet reaped */
	unsigned n_ops;
	struct io_event *events;
	unsigned idle_s, starved;
};

static void aio_prep(struct copy_engine *e, struct copy_op *op)
{
	struct aio_engine *a = e->priv;
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

static int aio_setup(struct copy_engine *e, struct copy_op *ops, unsigned qd, void *mem,
		     size_t block, struct copy_stats *st, const char **what)
{
	struct aio_engine *a = e->priv;
	(void)ops;
	(void)mem;
	(void)block;
	int rc = io_setup((int)qd, &a->ctx);
	if (rc < 0) {
		*what = "io_setup";
		return rc;
	}
	a->st = st;
	a->n_ops = qd;
	a->iocbs = xcalloc(qd, sizeof(*a->iocbs));
	a->pending = xcalloc(qd, sizeof(*a->pending));
	a->events = xcalloc(qd, sizeof(*a->events));
	return 0;
}

static void aio_teardown(struct copy_engine *e)
{
	struct aio_engine *a = e->priv;
	if (a->ctx)
		io_destroy(a->ctx); /* waits for what is still in flight */
	a->ctx = 0;
	free(a->iocbs);
	free(a->pending);
	free(a->events);
}

/* A fatal error: wait for the kernel to let go of every buffer first. */
static int aio_fail(struct aio_engine *a, const char **what, const char *call, int rc)
{
	io_destroy(a->ctx);
	a->ctx = 0;
	*what = call;
	return rc;
}

static int aio_reap(struct copy_engine *e, struct copy_feed *feed, const char **what)
{
	struct aio_engine *a = e->priv;
	struct copy_stats *st = a->st;

	/* hand the kernel what is prepared; a request it refuses at submission
	 * completes with that error */
	while (a->n_pending) {
		int n = io_submit(a->ctx, (long)a->n_pending, a->pending);
		if (n == -EAGAIN || n == -EINTR)
			break; /* reap first, submit again after */
		if (n < 0) {
			struct iocb *cb = a->pending[0];
			memmove(a->pending, a->pending + 1, --a->n_pending * sizeof(*a->pending));
			st->submissions++;
			st->completions++;
			copy_feed_complete(feed, cb->data, n);
			return 0;
		}
		st->submissions += (unsigned)n;
		a->in_kernel += (unsigned)n;
		a->n_pending -= (unsigned)n;
		memmove(a->pending, a->pending + n, a->n_pending * sizeof(*a->pending));
	}
	if (!a->in_kernel) {
		/* everything waits for submission (-EAGAIN): give the kernel a
		 * moment, but not forever */
		if (++a->starved > 5000)
			return aio_fail(a, what, "io_submit", -EAGAIN);
		usleep(1000);
		return 0;
	}
	a->starved = 0;

	struct timespec ts = { AIO_WAIT_MS / 1000, (AIO_WAIT_MS % 1000) * 1000000L };
	int n = io_getevents(a->ctx, 1, (long)a->n_ops, a->events, &ts);
	if (n == -EINTR)
		return 0;
	if (n < 0)
		return aio_fail(a, what, "io_getevents", n);
	if (n == 0) {
		if (++a->idle_s == AIO_STALL_WARN_S)
			msg_warn("no I/O completion for %d s, still waiting", AIO_STALL_WARN_S);
		return 0;
	}
	a->idle_s = 0;
	a->in_kernel -= (unsigned)n;
	st->completions += (unsigned)n;
	/* each event names its iocb, and the iocb its op: order does not matter */
	for (int i = 0; i < n; i++)
		copy_feed_complete(feed, a->events[i].data, (long)a->events[i].res);
	return 0;
}

int main(int argc, char **argv)
{
	struct copy_engine engine = {
		.name = "libaio",
		.summary = "Copy files with Linux AIO (libaio) and O_DIRECT.\n",
		.direct_default = true,
		.setup = aio_setup,
		.prep = aio_prep,
		.reap = aio_reap,
		.teardown = aio_teardown,
	};
	struct aio_engine a = { 0 };
	engine.priv = &a;
	return copy_main(argc, argv, &engine);
}
