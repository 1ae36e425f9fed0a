/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uringcp - copy files through io_uring: reads and writes of many chunks
 * (and of many files in a tree) in flight at once.
 */
#include "config.h"

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "c.h"
#include "copyjob.h"
#include "msg.h"
#include "units.h"
#include "xalloc.h"

/* descriptors a file takes in the registered table: src, dst, src/dst O_DIRECT */
#define SLOTS_PER_FILE 4

struct uring_engine {
	struct io_uring ring;
	struct copy_op *ops;
	struct copy_op **free_ops;
	unsigned n_free, n_ops;
	void *mem;
	size_t block;
	bool fixed_buffers, fixed_files;
	int *free_groups; /* registered-file groups not in use */
	unsigned n_free_groups;
};

/* Give a file with more than one chunk a group of registered descriptors. */
static void attach_file(struct uring_engine *u, struct copy_file *f)
{
	f->engine_slot = -1;
	if (!u->fixed_files || !u->n_free_groups ||
	    (uint64_t)f->st.st_size <= u->block)
		return;
	int g = u->free_groups[u->n_free_groups - 1];
	int fds[SLOTS_PER_FILE] = { f->src_fd, f->dst_fd, f->src_dfd, f->dst_dfd };
	if (io_uring_register_files_update(&u->ring, (unsigned)g * SLOTS_PER_FILE, fds,
					   SLOTS_PER_FILE) == SLOTS_PER_FILE) {
		u->n_free_groups--;
		f->engine_slot = g;
	}
}

static void finish_file(struct uring_engine *u, struct copy_queue *q, struct copy_file *f)
{
	if (f->engine_slot >= 0) {
		/* drop the table's references before the file is renamed and closed */
		int fds[SLOTS_PER_FILE] = { -1, -1, -1, -1 };
		io_uring_register_files_update(&u->ring, (unsigned)f->engine_slot * SLOTS_PER_FILE,
					       fds, SLOTS_PER_FILE);
		u->free_groups[u->n_free_groups++] = f->engine_slot;
		f->engine_slot = -1;
	}
	copy_queue_done(q, f);
}

/* Prepare the SQE for op's next I/O (there is always room: one SQE per op). */
static void queue_op(struct uring_engine *u, struct copy_op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	struct copy_io io;
	const struct copy_file *f = op->f;
	int fd;
	unsigned flags = 0;

	copy_op_io(op, &io);
	fd = io.fd;
	if (f->engine_slot >= 0) {
		int idx = io.fd == f->src_fd ? 0 : io.fd == f->dst_fd ? 1 : io.fd == f->src_dfd ? 2 : 3;
		fd = f->engine_slot * SLOTS_PER_FILE + idx;
		flags |= IOSQE_FIXED_FILE;
	}
	if (u->fixed_buffers) {
		if (io.write)
			io_uring_prep_write_fixed(sqe, fd, io.buf, (unsigned)io.len, io.off, (int)op->buf_index);
		else
			io_uring_prep_read_fixed(sqe, fd, io.buf, (unsigned)io.len, io.off, (int)op->buf_index);
	} else if (io.write) {
		io_uring_prep_write(sqe, fd, io.buf, (unsigned)io.len, io.off);
	} else {
		io_uring_prep_read(sqe, fd, io.buf, (unsigned)io.len, io.off);
	}
	sqe->flags |= (uint8_t)flags;
	io_uring_sqe_set_data(sqe, op);
}

static int engine_setup(struct uring_engine *u, unsigned qd, size_t block, struct copy_stats *st,
			const char **what)
{
	struct io_uring_params p = { 0 };
	/* room for a completion of every op twice over: the CQ never overflows */
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
	p.cq_entries = qd * 2;
	int rc = io_uring_queue_init_params(qd, &u->ring, &p);
	if (rc == -EINVAL) { /* kernels before 6.0 */
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_CQSIZE;
		p.cq_entries = qd * 2;
		rc = io_uring_queue_init_params(qd, &u->ring, &p);
	}
	if (rc < 0) {
		*what = "io_uring_queue_init";
		return rc;
	}

	u->block = block;
	u->n_ops = qd;
	u->mem = copy_buffers_alloc((size_t)qd * block);
	if (!u->mem) {
		io_uring_queue_exit(&u->ring);
		*what = "allocate buffers";
		return -ENOMEM;
	}
	u->ops = xcalloc(qd, sizeof(*u->ops));
	u->free_ops = xcalloc(qd, sizeof(*u->free_ops));
	struct iovec *iov = xcalloc(qd, sizeof(*iov));
	for (unsigned i = 0; i < qd; i++) {
		u->ops[i].buf = (char *)u->mem + (size_t)i * block;
		u->ops[i].buf_index = i;
		iov[i].iov_base = u->ops[i].buf;
		iov[i].iov_len = block;
		u->free_ops[u->n_free++] = &u->ops[qd - 1 - i];
	}
	/* fails with ENOMEM over RLIMIT_MEMLOCK (8 MiB for users): plain buffers then */
	u->fixed_buffers = io_uring_register_buffers(&u->ring, iov, qd) == 0;
	free(iov);

	unsigned groups = qd + 1;
	u->fixed_files = io_uring_register_files_sparse(&u->ring, groups * SLOTS_PER_FILE) == 0;
	u->free_groups = xcalloc(groups, sizeof(*u->free_groups));
	if (u->fixed_files)
		for (unsigned g = 0; g < groups; g++)
			u->free_groups[u->n_free_groups++] = (int)(groups - 1 - g);

	st->fixed_buffers = u->fixed_buffers;
	st->fixed_files = u->fixed_files;
	return 0;
}

static void engine_teardown(struct uring_engine *u)
{
	io_uring_queue_exit(&u->ring);
	free(u->mem);
	free(u->ops);
	free(u->free_ops);
	free(u->free_groups);
}

/* After a ring failure: fail every file still holding chunks. */
static void abort_files(struct uring_engine *u, struct copy_queue *q, struct copy_file *cur, int err)
{
	for (unsigned i = 0; i < u->n_ops; i++) {
		struct copy_op *op = &u->ops[i];
		if (!op->f)
			continue;
		struct copy_file *f = op->f;
		op->f = NULL;
		copy_file_fail(f, f->dst, "io_uring", err);
		if (--f->inflight == 0 && f != cur)
			finish_file(u, q, f);
	}
	if (cur) {
		copy_file_fail(cur, cur->dst, "io_uring", err);
		if (cur->inflight == 0)
			finish_file(u, q, cur);
	}
}

static int uring_run(struct copy_engine *e, struct copy_queue *q, const char **what)
{
	struct uring_engine u = { 0 };
	const struct copy_opts *o = copy_queue_opts(q);
	struct copy_stats *st = copy_queue_stats(q);
	struct copy_file *cur = NULL;
	unsigned inflight = 0, busy_retries = 0;
	bool more = true;
	int rc;

	(void)e;
	rc = engine_setup(&u, o->queue_depth, o->block_size, st, what);
	if (rc < 0)
		return rc;

	for (;;) {
		/* hand every free op a chunk: of the current file, else of the next */
		while (u.n_free && more) {
			if (!cur) {
				cur = copy_queue_next(q);
				if (!cur) {
					more = false;
					break;
				}
				attach_file(&u, cur);
			}
			struct copy_op *op = u.free_ops[u.n_free - 1];
			if (!copy_file_next_chunk(cur, u.block, op)) {
				struct copy_file *f = cur;
				cur = NULL;
				if (copy_file_drained(f))
					finish_file(&u, q, f);
				continue;
			}
			u.n_free--;
			queue_op(&u, op);
			inflight++;
		}
		if (!inflight)
			break;

		rc = io_uring_submit_and_wait(&u.ring, 1);
		if (rc < 0) {
			if (rc == -EINTR)
				continue;
			if ((rc == -EAGAIN || rc == -EBUSY) && busy_retries++ < COPY_MAX_RETRIES) {
				usleep(1000);
				continue;
			}
			*what = "io_uring_submit";
			abort_files(&u, q, cur, -rc);
			engine_teardown(&u);
			return rc;
		}
		busy_retries = 0;
		st->submissions += (unsigned)rc;

		/* completions are matched to their op by user_data, in any order */
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&u.ring, head, cqe) {
			struct copy_op *op = io_uring_cqe_get_data(cqe);
			seen++;
			switch (copy_op_complete(op, cqe->res)) {
			case COPY_STEP_SUBMIT:
				queue_op(&u, op);
				break;
			case COPY_STEP_DONE:
			case COPY_STEP_FAILED: {
				struct copy_file *f = op->f;
				op->f = NULL;
				u.free_ops[u.n_free++] = op;
				inflight--;
				if (f != cur && copy_file_drained(f))
					finish_file(&u, q, f);
				break;
			}
			}
		}
		io_uring_cq_advance(&u.ring, seen);
		st->completions += seen;
	}
	engine_teardown(&u);
	return 0;
}

int main(int argc, char **argv)
{
	struct copy_engine engine = {
		.name = "io_uring",
		.summary = "Copy files through io_uring: reads and writes of many chunks (and of many\n"
		   "files in a tree) in flight at once.\n",
		.direct_default = false,
		.run = uring_run,
	};
	return copy_main(argc, argv, &engine);
}
