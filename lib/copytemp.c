/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Temp files of the copy front end: an O_TMPFILE, else a named, locked
 * ".NAME.tkcp-XXXXXX" whose stale leftovers the next run removes safely;
 * the commit that gives an O_TMPFILE its name; removal of named temp files
 * when a signal ends the program.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "c.h"
#include "copyint.h"
#include "copyjob.h"
#include "digest.h"
#include "msg.h"
#include "progress.h"
#include "units.h"
#include "xalloc.h"
#include "atomicfile.h"

/* ---- temp files to remove when a signal ends the program ---------------- */

/* Written only with the signals below unblocked but as single pointer stores,
 * read by the handler: a slot is either a valid string or NULL. */
static char *volatile *tmp_slots;
static size_t tmp_nslots;
static const int cleanup_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGXFSZ };
static struct sigaction saved_actions[ARRAY_SIZE(cleanup_signals)];
static bool handler_installed[ARRAY_SIZE(cleanup_signals)];

static void on_fatal_signal(int sig)
{
	for (size_t i = 0; i < tmp_nslots; i++) {
		char *p = tmp_slots[i];
		if (p)
			unlink(p);
	}
	/* SA_RESETHAND restored the default action: die of the same signal */
	raise(sig);
}

void copy_tmp_register(char *path)
{
	for (size_t i = 0; i < tmp_nslots; i++)
		if (!tmp_slots[i]) {
			tmp_slots[i] = path;
			return;
		}
}

void copy_tmp_unregister(const char *path)
{
	for (size_t i = 0; i < tmp_nslots; i++)
		if (tmp_slots[i] == path) {
			tmp_slots[i] = NULL;
			return;
		}
}

void copy_signals_install(size_t slots)
{
	tmp_nslots = slots;
	tmp_slots = xcalloc(slots, sizeof(*tmp_slots));
	for (size_t i = 0; i < ARRAY_SIZE(cleanup_signals); i++) {
		struct sigaction sa = { 0 };
		sa.sa_handler = on_fatal_signal;
		sa.sa_flags = SA_RESETHAND;
		sigfillset(&sa.sa_mask);
		handler_installed[i] = false;
		if (sigaction(cleanup_signals[i], NULL, &saved_actions[i]) < 0)
			continue;
		/* keep "ignored" as it was (nohup) */
		if (saved_actions[i].sa_handler == SIG_IGN)
			continue;
		if (sigaction(cleanup_signals[i], &sa, NULL) == 0)
			handler_installed[i] = true;
	}
}

void copy_signals_restore(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cleanup_signals); i++)
		if (handler_installed[i])
			sigaction(cleanup_signals[i], &saved_actions[i], NULL);
	char *volatile *slots = tmp_slots;
	tmp_nslots = 0;
	tmp_slots = NULL;
	free((void *)slots);
}

static const char tmp_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/* ".NAME.tkcp-XXXXXX" next to path (NAME cut to TMP_BASE_MAX bytes). */
char *copy_tmp_name(const char *path)
{
	unsigned char rnd[6];
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		unsigned long v = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16) ^ (unsigned long)clock();
		for (size_t i = 0; i < sizeof(rnd); i++, v >>= 5)
			rnd[i] = (unsigned char)v;
	}
	char suffix[7];
	for (size_t i = 0; i < 6; i++)
		suffix[i] = tmp_chars[rnd[i] % (sizeof(tmp_chars) - 1)];
	suffix[6] = '\0';
	char *d = xstrdup(path), *b = xstrdup(path);
	char *out = xasprintf("%s/.%.*s" TMP_MARK "%s", dirname(d), TMP_BASE_MAX, basename(b), suffix);
	free(d);
	free(b);
	return out;
}

bool copy_tmp_name_ours(const char *name)
{
	size_t n = strlen(name), m = strlen(TMP_MARK);
	if (n < 1 + 1 + m + 6 || name[0] != '.')
		return false;
	const char *mark = name + n - 6 - m;
	if (memcmp(mark, TMP_MARK, m) != 0)
		return false;
	for (const char *c = name + n - 6; *c; c++)
		if (!strchr(tmp_chars, *c))
			return false;
	return true;
}

/* A second descriptor of fd's file (by /proc/self/fd: the same inode even
 * when it has no name), else of path when it has one. */
int copy_reopen_fd(int fd, const char *path, int flags)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	int r = open(p, flags | O_CLOEXEC);
	if (r < 0 && errno == ENOENT && path)
		r = open(path, flags | O_CLOEXEC | O_NOFOLLOW);
	return r;
}

/* ---- temp files: anonymous, else named, locked and cleaned up ------------- */

/* Is the entry name of directory dfd a temp file of ours whose copy died?
 * Only a regular file, ours, no mode bit beyond TMP_MODE, one link (a hard link a user
 * planted to a file of ours has two) and no lock: a live copy holds one.
 * Nothing is followed: the file is opened O_PATH, checked, and reopened
 * through /proc (the same inode; a planted FIFO or device is never opened). */
static void remove_if_stale(struct copy_queue *q, int dfd, const char *dir, const char *name)
{
	struct stat a, b;
	uid_t euid = geteuid();
	if (fstatat(dfd, name, &a, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(a.st_mode) ||
	    a.st_uid != euid || (a.st_mode & 07777 & ~TMP_MODE) || a.st_nlink != 1)
		return;
	int pfd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return;
	int fd = -1;
	if (fstat(pfd, &b) == 0 && S_ISREG(b.st_mode) && b.st_uid == euid &&
	    !(b.st_mode & 07777 & ~TMP_MODE) && b.st_nlink == 1 && b.st_dev == a.st_dev &&
	    b.st_ino == a.st_ino)
		fd = copy_reopen_fd(pfd, NULL, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	close(pfd);
	if (fd < 0)
		return;
	/* still that file under that name, and nobody's copy holds it */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    fstatat(dfd, name, &a, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino && unlinkat(dfd, name, 0) == 0 && q->o->verbose) {
		progress_clear(q->progress);
		printf("removed stale temp file '%s/%s'\n", dir, name);
	}
	close(fd);
}

/* Remove stale temp files of ours from dir, once per directory and run. */
static void clean_stale_temps(struct copy_queue *q, const char *dir)
{
	/* the common case, without a system call: the same directory as the
	 * file before (every file of a run asks) */
	if (q->last_cleaned && !strcmp(q->last_cleaned, dir))
		return;
	free(q->last_cleaned);
	q->last_cleaned = xstrdup(dir);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (dfd < 0)
		return;
	if (fstat(dfd, &st) < 0) {
		close(dfd);
		return;
	}
	for (size_t i = 0; i < q->n_cleaned; i++)
		if (q->cleaned[i].dev == st.st_dev && q->cleaned[i].ino == st.st_ino) {
			close(dfd);
			return;
		}
	if (q->n_cleaned == q->cap_cleaned) {
		q->cap_cleaned = q->cap_cleaned ? q->cap_cleaned * 2 : 8;
		q->cleaned = xreallocarray(q->cleaned, q->cap_cleaned, sizeof(*q->cleaned));
	}
	q->cleaned[q->n_cleaned].dev = st.st_dev;
	q->cleaned[q->n_cleaned].ino = st.st_ino;
	q->n_cleaned++;

	int lfd = dup(dfd);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		if (lfd >= 0)
			close(lfd);
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (copy_tmp_name_ours(de->d_name))
			remove_if_stale(q, dfd, dir, de->d_name);
	closedir(d);
	close(dfd);
}

/*
 * Lock the temp file fd of f through a descriptor of its own: the engine
 * never sees that one, so the lock goes with the process (io_uring keeps the
 * files of a killed process open until its ring is torn down, later).
 */
static int tmp_lock(struct copy_file *f, int fd)
{
	f->tmp_lock_fd = copy_reopen_fd(fd, NULL, O_RDONLY | O_NOCTTY);
	if (f->tmp_lock_fd < 0)
		f->tmp_lock_fd = dup(fd); /* no /proc: the lock lives as long as fd */
	if (f->tmp_lock_fd < 0 || flock(f->tmp_lock_fd, LOCK_EX | LOCK_NB) < 0)
		return -errno;
	return 0;
}

/*
 * The file f's data goes to until the commit. First choice: an O_TMPFILE in
 * the destination directory, which a killed copy cannot leave behind. Where
 * the file system has none (EOPNOTSUPP, EISDIR, EINVAL), a named temp file:
 * created with TMP_MODE, then locked. Either way the directory's stale named
 * temp files are removed first (once per directory and run). Until the lock, another run's cleaner may take the fresh file
 * for stale; the creator then finds the lock held (the cleaner's) or its name
 * gone or pointing elsewhere, and starts again under a new name. A kill at
 * any point leaves a file the next cleaner recognises.
 * Test seam: TUNEKIT_NO_TMPFILE=1 in the environment skips O_TMPFILE, so the
 * suites exercise the named fallback on any file system.
 * Returns the descriptor (f->tmp set when named), or -errno.
 */
int copy_tmp_create(struct copy_queue *q, struct copy_file *f)
{
	char *d = xstrdup(f->dst);
	const char *dir = dirname(d);
	int fd = -1, e = 0;

	/* whichever kind this run uses: a named temp a killed run left here
	 * (on this file system or when O_TMPFILE was off) goes now */
	clean_stale_temps(q, dir);
	if (!q->no_tmpfile) {
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, TMP_MODE);
		if (fd >= 0) {
			/* a lock like the named ones have, for the moment it is linked
			 * under a temp name at the commit */
			(void)tmp_lock(f, fd);
			f->anon_tmp = true;
			free(d);
			return fd;
		}
		e = errno;
		if (e != EOPNOTSUPP && e != EISDIR && e != EINVAL) {
			free(d);
			return -e;
		}
	}
	free(d);
	for (int tries = 0; tries < 100; tries++) {
		char *tmp = copy_tmp_name(f->dst);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, TMP_MODE);
		if (fd < 0) {
			e = errno;
			free(tmp);
			if (e == EEXIST)
				continue;
			return -e;
		}
		struct stat mine, named;
		e = -tmp_lock(f, fd);
		if (e == EWOULDBLOCK || e == 0) {
			bool lost = e != 0 || fstat(fd, &mine) < 0 || mine.st_nlink != 1 ||
				    lstat(tmp, &named) < 0 || named.st_dev != mine.st_dev ||
				    named.st_ino != mine.st_ino;
			if (lost) { /* a cleaner has it: its unlink, not ours */
				if (f->tmp_lock_fd >= 0)
					close(f->tmp_lock_fd);
				f->tmp_lock_fd = -1;
				close(fd);
				free(tmp);
				continue;
			}
			if (fchmod(fd, TMP_MODE) < 0) /* whatever the umask took */
				e = errno;
		}
		if (e) {
			unlink(tmp);
			close(fd);
			free(tmp);
			return -e;
		}
		f->tmp = tmp;
		copy_tmp_register(f->tmp);
		return fd;
	}
	return -EEXIST;
}

/* A name for fd's file (an O_TMPFILE): link it at path (never replacing). */
static int link_fd(int fd, const char *path)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, p, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT) /* no /proc: AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH) */
		return -errno;
	return linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0 ? 0 : -errno;
}

/* Put the anonymous file of f under its name: linked straight there when the
 * name is free (nothing to replace), else linked under a temp name and
 * renamed over the old file (unless -n). 0 or -errno. */
int copy_commit_anon(struct copy_file *f, unsigned flags)
{
	if (!(flags & ATOMIC_NOSYNC) && fsync(f->dst_fd) < 0)
		return -errno;
	int rc = link_fd(f->dst_fd, f->dst);
	if (rc == -EEXIST && !(flags & ATOMIC_NOREPLACE)) {
		for (int tries = 0; tries < 100; tries++) {
			free(f->tmp);
			f->tmp = copy_tmp_name(f->dst);
			rc = link_fd(f->dst_fd, f->tmp);
			if (rc != -EEXIST)
				break;
		}
		if (rc == 0) {
			copy_tmp_register(f->tmp);
			if (rename(f->tmp, f->dst) < 0) {
				rc = -errno;
				unlink(f->tmp);
			}
			copy_tmp_unregister(f->tmp);
		}
		free(f->tmp);
		f->tmp = NULL;
	}
	if (rc == 0 && !(flags & ATOMIC_NOSYNC))
		rc = fsync_parent_dir(f->dst);
	return rc;
}

