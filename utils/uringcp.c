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
	struct copy_stats *st;
	size_t block;
	bool fixed_buffers, fixed_files;
	int *free_groups; /* registered-file groups not in use */
	unsigned n_free_groups;
	unsigned busy_retries;
};

/* Give a file with more than one chunk a group of registered descriptors. */
static void uring_attach(struct copy_engine *e, struct copy_file *f)
{
	struct uring_engine *u = e->priv;
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

static void uring_detach(struct copy_engine *e, struct copy_file *f)
{
	struct uring_engine *u = e->priv;
	if (f->engine_slot >= 0) {
		/* drop the table's references before the file is renamed and closed */
		int fds[SLOTS_PER_FILE] = { -1, -1, -1, -1 };
		io_uring_register_files_update(&u->ring, (unsigned)f->engine_slot * SLOTS_PER_FILE,
					       fds, SLOTS_PER_FILE);
		u->free_groups[u->n_free_groups++] = f->engine_slot;
		f->engine_slot = -1;
	}
}

/* Prepare the SQE for op's next I/O (there is always room: one SQE per op). */
static void uring_prep(struct copy_engine *e, struct copy_op *op)
{
	struct uring_engine *u = e->priv;
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

static int uring_setup(struct copy_engine *e, struct copy_op *ops, unsigned qd, void *mem,
		       size_t block, struct copy_stats *st, const char **what)
{
	struct uring_engine *u = e->priv;
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
	u->st = st;
	u->block = block;
	(void)ops;
	struct iovec *iov = xcalloc(qd, sizeof(*iov));
	for (unsigned i = 0; i < qd; i++) {
		iov[i].iov_base = (char *)mem + (size_t)i * block;
		iov[i].iov_len = block;
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

static int uring_reap(struct copy_engine *e, struct copy_feed *feed, const char **what)
{
	struct uring_engine *u = e->priv;
	int rc;
	for (;;) {
		rc = io_uring_submit_and_wait(&u->ring, 1);
		if (rc >= 0)
			break;
		if (rc == -EINTR)
			continue;
		if ((rc == -EAGAIN || rc == -EBUSY) && u->busy_retries++ < COPY_MAX_RETRIES) {
			usleep(1000);
			continue;
		}
		*what = "io_uring_submit";
		return rc;
	}
	u->busy_retries = 0;
	u->st->submissions += (unsigned)rc;

	/* completions are matched to their op by user_data, in any order */
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		seen++;
		copy_feed_complete(feed, io_uring_cqe_get_data(cqe), cqe->res);
	}
	io_uring_cq_advance(&u->ring, seen);
	u->st->completions += seen;
	return 0;
}

static void uring_teardown(struct copy_engine *e)
{
	struct uring_engine *u = e->priv;
	io_uring_queue_exit(&u->ring);
	free(u->free_groups);
}

int main(int argc, char **argv)
{
	struct copy_engine engine = {
		.name = "io_uring",
		.summary = "Copy files through io_uring: reads and writes of many chunks (and of many\n"
		   "files in a tree) in flight at once.\n",
		.direct_default = false,
		.setup = uring_setup,
		.attach = uring_attach,
		.detach = uring_detach,
		.prep = uring_prep,
		.reap = uring_reap,
		.teardown = uring_teardown,
	};
	struct uring_engine u = { 0 };
	engine.priv = &u;
	return copy_main(argc, argv, &engine);
}
