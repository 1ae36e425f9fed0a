/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The feed loop both engines run: a pool of ops with their buffers, files
 * from the queue cut into chunks while ops are free, completions decided by
 * copy_op_complete(), files finished once drained, and every file in flight
 * failed and finished when the engine itself fails.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "copyjob.h"
#include "xalloc.h"

struct copy_feed {
	struct copy_engine *e;
	struct copy_queue *q;
	struct copy_op *ops;
	struct copy_op **free_ops;
	unsigned n_free, n_ops;
	unsigned inflight;     /* ops holding a chunk */
	struct copy_file *cur; /* the file handing out chunks */
};

static void finish(struct copy_feed *fd, struct copy_file *f)
{
	if (fd->e->detach)
		fd->e->detach(fd->e, f);
	copy_queue_done(fd->q, f);
}

void copy_feed_complete(struct copy_feed *fd, struct copy_op *op, long res)
{
	switch (copy_op_complete(op, res)) {
	case COPY_STEP_SUBMIT:
		fd->e->prep(fd->e, op);
		break;
	case COPY_STEP_DONE:
	case COPY_STEP_FAILED: {
		struct copy_file *f = op->f;
		op->f = NULL;
		fd->free_ops[fd->n_free++] = op;
		fd->inflight--;
		if (f != fd->cur && copy_file_drained(f))
			finish(fd, f);
		break;
	}
	}
}

/* After an engine failure: fail every file still holding chunks. */
static void abort_files(struct copy_feed *fd, int err)
{
	for (unsigned i = 0; i < fd->n_ops; i++) {
		struct copy_op *op = &fd->ops[i];
		if (!op->f)
			continue;
		struct copy_file *f = op->f;
		op->f = NULL;
		copy_file_fail(f, f->dst, fd->e->name, err);
		if (--f->inflight == 0 && f != fd->cur)
			finish(fd, f);
	}
	if (fd->cur) {
		copy_file_fail(fd->cur, fd->cur->dst, fd->e->name, err);
		if (fd->cur->inflight == 0)
			finish(fd, fd->cur);
		fd->cur = NULL;
	}
}

int copy_feed_run(struct copy_engine *e, struct copy_queue *q, const char **what)
{
	const struct copy_opts *o = copy_queue_opts(q);
	unsigned qd = o->queue_depth;
	size_t block = o->block_size;
	struct copy_feed fd = { .e = e, .q = q, .n_ops = qd };
	bool more = true;

	/* Files with nothing for the engine (cloned, copied by copy_file_range,
	 * read to EOF, failed) are finished before the engine is set up: a
	 * run of clones never pins buffers nor makes a ring. */
	for (;;) {
		fd.cur = copy_queue_next(q);
		if (!fd.cur)
			return 0;
		if (!copy_file_drained(fd.cur))
			break;
		copy_queue_done(q, fd.cur);
	}

	int rc = 0;
	void *mem = copy_buffers_alloc((size_t)qd * block);
	if (!mem) {
		*what = "allocate buffers";
		copy_file_fail(fd.cur, fd.cur->dst, e->name, ENOMEM);
		copy_queue_done(q, fd.cur);
		return -ENOMEM;
	}
	fd.ops = xcalloc(qd, sizeof(*fd.ops));
	fd.free_ops = xcalloc(qd, sizeof(*fd.free_ops));
	for (unsigned i = 0; i < qd; i++) {
		fd.ops[i].buf = (char *)mem + (size_t)i * block;
		fd.ops[i].buf_index = i;
		fd.free_ops[fd.n_free++] = &fd.ops[qd - 1 - i];
	}
	rc = e->setup(e, fd.ops, qd, mem, block, copy_queue_stats(q), what);
	if (rc < 0) {
		/* the file in hand fails with the engine */
		copy_file_fail(fd.cur, fd.cur->dst, e->name, -rc);
		copy_queue_done(q, fd.cur);
		goto out;
	}
	if (e->attach)
		e->attach(e, fd.cur);

	for (;;) {
		/* hand every free op a chunk: of the current file, else of the next */
		while (fd.n_free && more) {
			if (!fd.cur) {
				fd.cur = copy_queue_next(q);
				if (!fd.cur) {
					more = false;
					break;
				}
				if (e->attach)
					e->attach(e, fd.cur);
			}
			struct copy_op *op = fd.free_ops[fd.n_free - 1];
			if (!copy_file_next_chunk(fd.cur, block, op)) {
				struct copy_file *f = fd.cur;
				fd.cur = NULL;
				if (copy_file_drained(f))
					finish(&fd, f);
				continue;
			}
			fd.n_free--;
			fd.inflight++;
			e->prep(e, op);
		}
		if (!fd.inflight)
			break;
		rc = e->reap(e, &fd, what);
		if (rc < 0) {
			abort_files(&fd, -rc);
			break;
		}
	}
	e->teardown(e);
out:
	free(fd.ops);
	free(fd.free_ops);
	free(mem);
	return rc < 0 ? rc : 0;
}
