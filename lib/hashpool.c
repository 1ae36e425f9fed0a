/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "hashpool.h"
#include "msg.h"
#include "xalloc.h"

struct job {
	struct digest *d;
	const void *buf;
	size_t len;
	unsigned tag;
};

struct hashpool {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct job *queue;              /* ring of max_jobs */
	unsigned qhead, qlen;
	unsigned *done;                 /* finished tags, max_jobs at most */
	unsigned ndone;
	unsigned max_jobs;
	unsigned low_water;             /* wake the caller at or below this qlen */
	bool notified;                  /* a wake is written and not reaped yet */
	bool stop;
	int wake_fd;
	unsigned nthreads;
	pthread_t *threads;
};

static void notify(struct hashpool *p)
{
	uint64_t one = 1;
	while (write(p->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *worker(void *arg)
{
	struct hashpool *p = arg;
	for (;;) {
		struct job j;
		pthread_mutex_lock(&p->lock);
		while (p->qlen == 0 && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->qlen == 0) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		j = p->queue[p->qhead];
		p->qhead = (p->qhead + 1) % p->max_jobs;
		p->qlen--;
		pthread_mutex_unlock(&p->lock);

		digest_update(j.d, j.buf, j.len);

		/*
		 * While the queue holds work for every thread, finished jobs
		 * pile up unannounced: the caller is woken once the queue runs
		 * low, and reaps many at a time instead of taking a core from
		 * a hasher for every chunk.
		 */
		bool wake = false;
		pthread_mutex_lock(&p->lock);
		p->done[p->ndone++] = j.tag;
		if (!p->notified && p->qlen <= p->low_water)
			wake = p->notified = true;
		pthread_mutex_unlock(&p->lock);
		if (wake)
			notify(p);
	}
}

struct hashpool *hashpool_new(unsigned threads, unsigned max_jobs, int wake_fd)
{
	struct hashpool *p = xcalloc(1, sizeof(*p));
	p->queue = xcalloc(max_jobs, sizeof(*p->queue));
	p->done = xcalloc(max_jobs, sizeof(*p->done));
	p->threads = xcalloc(threads, sizeof(*p->threads));
	p->max_jobs = max_jobs;
	/* half the queue still to hash: time enough to refill it */
	p->low_water = max_jobs / 2 > threads ? max_jobs / 2 : threads;
	p->wake_fd = wake_fd;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	for (unsigned i = 0; i < threads; i++) {
		int rc = pthread_create(&p->threads[i], NULL, worker, p);
		if (rc) {
			errno = rc;
			hashpool_free(p);
			return NULL;
		}
		p->nthreads++;
	}
	return p;
}

void hashpool_submit(struct hashpool *p, struct digest *d, const void *buf, size_t len,
		     unsigned tag)
{
	pthread_mutex_lock(&p->lock);
	if (p->qlen == p->max_jobs)
		msg_die(1, "internal error: hash queue full");
	p->queue[(p->qhead + p->qlen) % p->max_jobs] = (struct job){ d, buf, len, tag };
	p->qlen++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

bool hashpool_help(struct hashpool *p)
{
	struct job j;
	pthread_mutex_lock(&p->lock);
	if (p->qlen == 0) {
		pthread_mutex_unlock(&p->lock);
		return false;
	}
	j = p->queue[p->qhead];
	p->qhead = (p->qhead + 1) % p->max_jobs;
	p->qlen--;
	pthread_mutex_unlock(&p->lock);

	digest_update(j.d, j.buf, j.len);

	pthread_mutex_lock(&p->lock);
	p->done[p->ndone++] = j.tag;
	pthread_mutex_unlock(&p->lock);
	return true;
}

unsigned hashpool_reap(struct hashpool *p, unsigned *tags, unsigned max)
{
	unsigned n;
	pthread_mutex_lock(&p->lock);
	n = p->ndone < max ? p->ndone : max;
	for (unsigned i = 0; i < n; i++)
		tags[i] = p->done[i];
	for (unsigned i = n; i < p->ndone; i++)
		p->done[i - n] = p->done[i];
	p->ndone -= n;
	/* jobs left behind (max too small) get a wake of their own */
	bool left = p->ndone > 0;
	p->notified = left;
	pthread_mutex_unlock(&p->lock);
	if (left)
		notify(p);
	return n;
}

void hashpool_free(struct hashpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p->queue);
	free(p->done);
	free(p);
}
