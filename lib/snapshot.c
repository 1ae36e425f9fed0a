/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "digest.h"
#include "fileutil.h"
#include "paths.h"
#include "snapshot.h"
#include "sysfsval.h"
#include "sysctl.h"
#include "xalloc.h"

#define SNAP_FILE_MAX (16u << 20)

const char *const snapshot_managed_files[] = {
	TK_SYSCTL_CONF,
	TK_RESOLVED_DROPIN,
	TK_RESOLV_CONF,
	TK_SYSCTL_PRIVATE_CONF,
	TK_PROFILE_FILE,
	TK_NM_DROPIN,
	TK_UDEV_RULES,
	NULL,
};

/* What each managed file may be: restore never goes beyond it. */
static const struct {
	const char *path;
	mode_t max_mode;
	int symlink_ok;
} managed_rules[] = {
	{ TK_SYSCTL_CONF, 0644, 0 },
	{ TK_RESOLVED_DROPIN, 0644, 0 },
	{ TK_RESOLV_CONF, 0644, 1 }, /* a link to resolved's stub file is normal */
	{ TK_SYSCTL_PRIVATE_CONF, 0600, 0 },
	{ TK_PROFILE_FILE, 0644, 0 },
	{ TK_NM_DROPIN, 0644, 0 },
	{ TK_UDEV_RULES, 0644, 0 },
};

int snapshot_managed_max_mode(const char *abs_path)
{
	for (size_t i = 0; i < sizeof(managed_rules) / sizeof(managed_rules[0]); i++)
		if (!strcmp(abs_path, managed_rules[i].path))
			return (int)managed_rules[i].max_mode;
	return -1;
}

int snapshot_file_allowed(const struct snapshot_file *f, const char **why)
{
	const char *reason = NULL;
	int max = f->path ? snapshot_managed_max_mode(f->path) : -1;
	int symlink_ok = 0;
	for (size_t i = 0; max >= 0 && i < sizeof(managed_rules) / sizeof(managed_rules[0]); i++)
		if (!strcmp(f->path, managed_rules[i].path))
			symlink_ok = managed_rules[i].symlink_ok;
	if (max < 0)
		reason = "not a file tunekit manages";
	else if (f->type == SF_SYMLINK && !symlink_ok)
		reason = "a symbolic link is not allowed for this file";
	else if (f->type == SF_SYMLINK && (!f->len || memchr(f->data, '\0', f->len) || memchr(f->data, '\n', f->len)))
		reason = "bad symbolic link target";
	else if (f->type == SF_FILE && (f->mode & 07000))
		reason = "mode has set-uid, set-gid or sticky bits";
	else if (f->type == SF_FILE && (f->mode & 0022))
		reason = "mode lets group or others write";
	else if (f->type == SF_FILE && (f->mode & ~(mode_t)max))
		reason = max == 0600 ? "mode above 0600 (the file holds secrets)" : "mode above 0644";
	if (why)
		*why = reason;
	return reason == NULL;
}

/* ---- capture ---------------------------------------------------------- */

struct capture_ctx {
	struct kv_list *keys;
};

static int capture_key(const char *key, void *ctx)
{
	struct capture_ctx *c = ctx;
	unsigned mode;
	char *value;

	if (sysctl_mode(key, &mode) < 0 || !S_ISREG(mode))
		return 0;
	/* only settings: writable by root and readable by everyone */
	if (!(mode & 0200) || !(mode & 0004))
		return 0;
	if (sysctl_read(key, &value) < 0)
		return 0; /* write-only or unreadable in this state (stable_secret) */
	if (strchr(value, '\n')) { /* multi-line tables are not settings */
		free(value);
		return 0;
	}
	kv_list_set(c->keys, key, value);
	free(value);
	return 0;
}

int snapshot_file_capture(const char *abs_path, struct snapshot_file *f)
{
	char *path = tk_path(abs_path);
	struct stat st;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	f->path = xstrdup(abs_path);
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			f->type = SF_ABSENT;
		else
			rc = -errno;
	} else if (S_ISLNK(st.st_mode)) {
		char buf[4096];
		ssize_t n = readlink(path, buf, sizeof(buf) - 1);
		if (n < 0)
			rc = -errno;
		else {
			f->type = SF_SYMLINK;
			f->data = xstrndup(buf, (size_t)n);
			f->len = (size_t)n;
		}
	} else if (S_ISREG(st.st_mode)) {
		f->type = SF_FILE;
		f->mode = st.st_mode & 07777;
		/* a restore never writes more than the file may have: bits above are not kept */
		int max = snapshot_managed_max_mode(abs_path);
		if (max >= 0)
			f->mode &= (mode_t)max;
		rc = read_file(path, SNAP_FILE_MAX, &f->data, &f->len);
	} else {
		rc = -EINVAL;
	}
	free(path);
	return rc;
}

int snapshot_capture(struct snapshot *s, const char *note, const struct kv_list *extra)
{
	memset(s, 0, sizeof(*s));
	s->time = time(NULL);
	s->note = xstrdup(note ? note : "");
	for (char *p = s->note; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';

	struct capture_ctx ctx = { &s->keys };
	int rc = sysctl_walk("net", capture_key, &ctx);
	if (rc < 0)
		goto fail;
	for (size_t i = 0; extra && i < extra->n; i++) {
		char *value;
		if (kv_list_find(&s->keys, extra->v[i].key) >= 0)
			continue;
		if (sysctl_read(extra->v[i].key, &value) == 0) {
			kv_list_set(&s->keys, extra->v[i].key, value);
			free(value);
		}
	}
	kv_list_sort(&s->keys);

	size_t n = 0;
	while (snapshot_managed_files[n])
		n++;
	s->files = xcalloc(n, sizeof(*s->files));
	for (size_t i = 0; i < n; i++) {
		rc = snapshot_file_capture(snapshot_managed_files[i], &s->files[i]);
		s->nfiles = i + 1;
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	snapshot_free(s);
	return rc;
}

/* ---- restore of one file ----------------------------------------------- */

int snapshot_file_matches(const struct snapshot_file *f)
{
	struct snapshot_file live;
	if (snapshot_file_capture(f->path, &live) < 0)
		return 0;
	int same = live.type == f->type;
	if (same && f->type != SF_ABSENT)
		same = live.len == f->len && memcmp(live.data, f->data, f->len) == 0 &&
		       (f->type != SF_FILE || live.mode == f->mode);
	free(live.path);
	free(live.data);
	return same;
}

int snapshot_file_restore(const struct snapshot_file *f)
{
	if (!snapshot_file_allowed(f, NULL))
		return -EPERM;
	char *path = tk_path(f->path);
	int rc = 0;

	if (f->type == SF_ABSENT) {
		if (unlink(path) < 0) {
			if (errno != ENOENT)
				rc = -errno;
		} else {
			fsync_parent_dir(path);
		}
	} else {
		char *dir = xstrdup(path);
		*strrchr(dir, '/') = '\0';
		rc = mkdir_p(dir, 0755);
		free(dir);
		if (!rc && f->type == SF_FILE) {
			rc = atomic_write_file(path, f->data, f->len, f->mode);
		} else if (!rc) {
			char *tmp = xasprintf("%s.tunekit-link", path);
			unlink(tmp);
			if (symlink(f->data, tmp) < 0)
				rc = -errno;
			else if (rename(tmp, path) < 0) {
				rc = -errno;
				unlink(tmp);
			} else
				rc = fsync_parent_dir(path);
			free(tmp);
		}
	}
	free(path);
	return rc;
}

/* ---- trust ---------------------------------------------------------------- */

static int problem(struct snapshot_problem *p, const char *what, const char *why, int rc)
{
	if (p) {
		snprintf(p->what, sizeof(p->what), "%s", what);
		p->why = why;
	}
	return rc;
}

/*
 * The state dir and the store must be ours: whoever can write them can
 * plant a snapshot that root later restores. create: make them (the store
 * 0700) and take away the group and other bits an older tunekit left.
 */
static int store_check(int create, struct snapshot_problem *p)
{
	char *state = tk_path(TK_STATE_DIR), *store = tk_path(TK_SNAPSHOT_DIR);
	const char *why = NULL;
	int rc = create ? tk_dir_ensure(state, 0755, &why) : tk_dir_trusted(state, &why);
	const char *bad = state;
	if (!rc) {
		bad = store;
		rc = create ? tk_dir_ensure(store, 0700, &why) : tk_dir_trusted(store, &why);
	}
	if (!rc && create) {
		struct stat st;
		if (lstat(store, &st) == 0 && (st.st_mode & 0077) && st.st_uid == geteuid())
			chmod(store, 0700);
	}
	if (rc && rc != -ENOENT)
		problem(p, bad, why ? why : strerror(-rc), rc == -ENOTDIR ? -EPERM : rc);
	if (rc == -ENOTDIR)
		rc = -EPERM;
	free(state);
	free(store);
	return rc;
}

/* Read a file that must be a regular file we trust (not a symlink). */
static int read_trusted(const char *path, size_t max, char **data, size_t *len,
			struct snapshot_problem *p)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? problem(p, path, "is a symbolic link", -EPERM) : -errno;
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = problem(p, path, "is not a regular file", -EPERM);
	else if (!tk_stat_trusted(&st))
		rc = problem(p, path, st.st_mode & (S_IWGRP | S_IWOTH) ? "is writable by group or others"
								    : "is not owned by root",
			     -EPERM);
	else
		rc = read_fd(fd, max, data, len);
	close(fd);
	return rc;
}

/* ---- index ----------------------------------------------------------------- */

#define INDEX_NAME "index"
#define INDEX_MAX (64u << 20)
static const char index_header[] = "# tunekit snapshot index 1: SEQ ID TIME NKEYS NOTE\n";

static char *store_dir(void)
{
	return tk_path(TK_SNAPSHOT_DIR);
}

int snapshot_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n >= SNAPSHOT_ID_MAX)
		return 0;
	for (const char *p = id; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '-' && *p != 'T')
			return 0;
	return isdigit((unsigned char)id[0]) != 0;
}

/* Copy a validated ID (shorter than SNAPSHOT_ID_MAX by snapshot_id_valid). */
static void copy_id(char dst[SNAPSHOT_ID_MAX], const char *src)
{
	size_t n = strnlen(src, SNAPSHOT_ID_MAX - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int parse_meta(const char *meta, char *id, size_t idlen, time_t *t, char **note, size_t *nkeys,
		      unsigned long long *seq)
{
	int have = 0;
	const char *p = meta;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, n);
		if (!strncmp(line, "id=", 3) && id) {
			snprintf(id, idlen, "%s", line + 3);
			have |= 1;
		} else if (!strncmp(line, "time=", 5)) {
			*t = (time_t)strtoll(line + 5, NULL, 10);
			have |= 2;
		} else if (!strncmp(line, "note=", 5)) {
			free(*note);
			*note = xstrdup(line + 5);
			have |= 4;
		} else if (!strncmp(line, "keys=", 5)) {
			*nkeys = (size_t)strtoull(line + 5, NULL, 10);
			have |= 8;
		} else if (!strncmp(line, "seq=", 4) && seq) {
			*seq = strtoull(line + 4, NULL, 10);
		}
		free(line);
		p += n + (nl ? 1 : 0);
	}
	return (have | (id ? 0 : 1)) == 15 ? 0 : -EBADMSG;
}

static void info_push(struct snapshot_info **v, size_t *n, size_t *cap, const struct snapshot_info *x)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[(*n)++] = *x;
}

static int cmp_id_ref(const void *a, const void *b)
{
	const struct snapshot_info *const *x = a, *const *y = b;
	return strcmp((*x)->id, (*y)->id);
}

/* v[i] for id through byid (v's entries sorted by ID), or -1. */
static long info_find(const struct snapshot_info *v, struct snapshot_info **byid, size_t n, const char *id)
{
	struct snapshot_info key, *kp = &key;
	copy_id(key.id, id);
	struct snapshot_info **hit = n ? bsearch(&kp, byid, n, sizeof(*byid), cmp_id_ref) : NULL;
	return hit ? (long)(*hit - v) : -1;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct snapshot_info *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* One unsigned decimal field and the blank after it; NULL if malformed. */
static const char *field_u64(const char *p, unsigned long long *v)
{
	if (*p < '0' || *p > '9')
		return NULL;
	unsigned long long x = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (~0ULL - 9) / 10)
			return NULL;
		x = x * 10 + (unsigned)(*p - '0');
	}
	*v = x;
	return *p == ' ' ? p + 1 : NULL;
}

/* Parse the index text; lines that do not parse make it corrupt. */
static int index_parse(const char *text, struct snapshot_info **v, size_t *n)
{
	size_t cap = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *line = p, *end = p + len, *q = p;
		p += len + (nl ? 1 : 0);
		if (!nl) /* a torn last line (crash during an append) */
			return -EBADMSG;
		if (len == 0 || line[0] == '#')
			continue;
		struct snapshot_info x = { 0 };
		unsigned long long t, nkeys;
		const char *id = (q = field_u64(q, &x.seq)), *idend = q ? memchr(q, ' ', (size_t)(end - q)) : NULL;
		if (!idend || idend - id >= SNAPSHOT_ID_MAX || x.seq == 0)
			return -EBADMSG;
		memcpy(x.id, id, (size_t)(idend - id));
		x.id[idend - id] = '\0';
		q = field_u64(idend + 1, &t);
		q = q ? field_u64(q, &nkeys) : NULL;
		if (!q || !snapshot_id_valid(x.id) || t > (unsigned long long)INT64_MAX)
			return -EBADMSG;
		x.time = (time_t)t;
		x.nkeys = (size_t)nkeys;
		x.note = xstrndup(q, (size_t)(end - q));
		info_push(v, n, &cap, &x);
	}
	return 0;
}

static char *index_format(const struct snapshot_info *v, size_t n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	fputs(index_header, f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%llu %s %lld %zu %s\n", v[i].seq, v[i].id, (long long)v[i].time, v[i].nkeys,
			v[i].note ? v[i].note : "");
	fclose(f);
	return buf;
}

/* All of data into the temp file fd, mode 0600; 0 or -errno. */
static int write_0600(int fd, const char *data, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno != EINTR)
			return -errno;
		if (w > 0)
			off += (size_t)w;
	}
	return fchmod(fd, 0600) < 0 ? -errno : 0;
}

static int index_write(const char *store, const struct snapshot_info *v, size_t n, unsigned flags)
{
	size_t len;
	char *text = index_format(v, n, &len);
	char *path = xasprintf("%s/%s", store, INDEX_NAME), *tmp;
	int fd = atomic_tmpfile(path, &tmp);
	int rc = fd < 0 ? fd : 0;
	if (fd >= 0) {
		rc = write_0600(fd, text, len);
		if (!rc)
			rc = atomic_commit_flags(fd, tmp, path, flags);
		else
			unlink(tmp);
		close(fd);
		free(tmp);
	}
	free(path);
	free(text);
	return rc;
}

/* What one snapshot's header says (unverified: for the index only). */
static int meta_peek(const char *store, const char *id, struct snapshot_info *x)
{
	char *path = xasprintf("%s/%s", store, id), *mp = xasprintf("%s/meta", path);
	char *meta = NULL;
	size_t len;
	struct stat st;
	/* format 1: ID/meta; format 2: the file ID itself */
	int rc = lstat(path, &st) < 0 ? -errno
		 : read_trusted(S_ISDIR(st.st_mode) ? mp : path, SNAP_FILE_MAX, &meta, &len, NULL);
	free(mp);
	free(path);
	copy_id(x->id, id);
	if (rc == 0)
		rc = parse_meta(meta, NULL, 0, &x->time, &x->note, &x->nkeys, &x->seq);
	free(meta);
	if (!x->note)
		x->note = xstrdup("");
	return rc;
}

/*
 * The store's snapshots by sequence, from the index. Writers keep it ahead
 * of the store: store appends the line before the snapshot is renamed into
 * place, prune rewrites it before removing snapshots. So a crash leaves at
 * most a last line without its snapshot (dropped here, one stat) or
 * snapshots without a line (prune leftovers: invisible, removed by the next
 * prune). full (prune, list --verify): also read the store's entries, drop
 * every line whose snapshot is gone, adopt a snapshot newer than the index
 * (an older tunekit wrote the snapshot first) and name the leftovers in
 * *left. Without an index (older tunekit) every snapshot is numbered in the
 * order of its meta seq, then its ID, and that index is written if nobody
 * wrote one meanwhile (RENAME_NOREPLACE). *changed: the result differs from
 * the index on disk.
 */
static int index_load_full(const char *store, struct snapshot_info **out, size_t *n, int *changed, int full,
			   char ***left, size_t *nleft, struct snapshot_problem *p)
{
	struct snapshot_info *v = NULL;
	size_t nv = 0, cap;
	char *ipath = xasprintf("%s/%s", store, INDEX_NAME), *text = NULL;
	size_t len;
	int have_index = 1;
	*out = NULL;
	*n = 0;
	*changed = 0;
	if (left)
		*left = NULL, *nleft = 0;
	int rc = read_trusted(ipath, INDEX_MAX, &text, &len, p);
	if (rc == -ENOENT) {
		have_index = 0;
		rc = 0;
	} else if (rc == 0) {
		rc = index_parse(text, &v, &nv);
		if (rc) /* a corrupt index is rebuilt, like a missing one */
			have_index = 0, rc = 0, snapshot_info_free(v, nv), v = NULL, nv = 0;
	}
	free(text);
	free(ipath);
	if (rc)
		return rc;
	cap = nv;
	if (have_index && nv > 1)
		qsort(v, nv, sizeof(*v), cmp_seq);

	if (have_index && !full) {
		/* the one line a crash can leave without its snapshot: the last */
		struct stat st;
		char *last = nv ? xasprintf("%s/%s", store, v[nv - 1].id) : NULL;
		if (last && lstat(last, &st) < 0 && errno == ENOENT) {
			free(v[nv - 1].note);
			nv--;
			*changed = 1;
		}
		free(last);
		*out = v;
		*n = nv;
		return 0;
	}

	DIR *d = opendir(store);
	if (!d) {
		rc = errno == ENOENT ? 0 : -errno;
		if (rc)
			snapshot_info_free(v, nv);
		else
			*out = v, *n = nv;
		return rc;
	}
	char *present = xcalloc(nv + 1, 1);
	struct snapshot_info **byid = xcalloc(nv + 1, sizeof(*byid));
	for (size_t i = 0; i < nv; i++)
		byid[i] = &v[i];
	if (nv > 1)
		qsort(byid, nv, sizeof(*byid), cmp_id_ref);
	struct snapshot_info *extra = NULL;
	size_t nextra = 0, capextra = 0, nl = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && left) {
			/* a temp file of an interrupted store (atomic_tmpfile: .ID.XXXXXX) */
			char id[SNAPSHOT_ID_MAX];
			const char *dot = strchr(de->d_name + 1, '.');
			size_t idlen = dot ? (size_t)(dot - de->d_name - 1) : 0;
			if (idlen && idlen < sizeof(id)) {
				memcpy(id, de->d_name + 1, idlen);
				id[idlen] = '\0';
				if (snapshot_id_valid(id)) {
					*left = xreallocarray(*left, nl + 1, sizeof(**left));
					(*left)[nl++] = xstrdup(de->d_name);
				}
			}
			continue;
		}
		if (!snapshot_id_valid(de->d_name))
			continue;
		long i = info_find(v, byid, nv, de->d_name);
		if (i >= 0) {
			present[i] = 1;
			continue;
		}
		struct snapshot_info x = { 0 };
		meta_peek(store, de->d_name, &x);
		info_push(&extra, &nextra, &capextra, &x);
	}
	closedir(d);
	free(byid);

	/* index lines whose snapshot is gone */
	size_t k = 0;
	for (size_t i = 0; i < nv; i++) {
		if (present[i])
			v[k++] = v[i];
		else
			free(v[i].note), *changed = 1;
	}
	nv = k;
	free(present);
	if (nextra) {
		qsort(extra, nextra, sizeof(*extra), cmp_seq);
		if (!have_index) {
			/* rebuild: seq from meta where there is one, old snapshots (0) by ID first */
			for (size_t i = 0; i < nextra; i++)
				extra[i].seq = i + 1;
		}
		unsigned long long max = nv ? v[nv - 1].seq : 0;
		for (size_t i = 0; i < nextra; i++) {
			if (have_index && extra[i].seq <= max) {
				/* left by an interrupted prune: not a snapshot of the list any more */
				if (left) {
					*left = xreallocarray(*left, nl + 1, sizeof(**left));
					(*left)[nl++] = xstrdup(extra[i].id);
				}
				free(extra[i].note);
				continue;
			}
			max = extra[i].seq;
			info_push(&v, &nv, &cap, &extra[i]);
			*changed = 1;
		}
	}
	if (left)
		*nleft = nl;
	free(extra);
	if (nv > 1)
		qsort(v, nv, sizeof(*v), cmp_seq);
	if (!have_index && nv) {
		struct stat st;
		/* once, by whoever owns the store; a concurrent writer's index wins */
		if (stat(store, &st) == 0 && st.st_uid == geteuid())
			index_write(store, v, nv, ATOMIC_NOREPLACE);
	}
	*out = v;
	*n = nv;
	return 0;
}

static int index_load(const char *store, struct snapshot_info **out, size_t *n, int *changed,
		      struct snapshot_problem *p)
{
	return index_load_full(store, out, n, changed, 0, NULL, NULL, p);
}

/* Append one line to the index (O_APPEND, synced); -errno. */
static int index_append(const char *store, const struct snapshot_info *x)
{
	char *path = xasprintf("%s/%s", store, INDEX_NAME);
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0)
		return -errno;
	char *line = xasprintf("%llu %s %lld %zu %s\n", x->seq, x->id, (long long)x->time, x->nkeys,
			       x->note ? x->note : "");
	size_t len = strlen(line);
	ssize_t w = write(fd, line, len);
	int rc = w < 0 ? -errno : (size_t)w != len ? -EIO : 0;
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	free(line);
	return rc;
}

/* ---- load --------------------------------------------------------------- */

static int read_member(const char *dir, const char *name, const char *manifest,
		       char **data, size_t *len, struct snapshot_problem *p)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc = read_trusted(path, SNAP_FILE_MAX, data, len, p);
	if (rc == -ENOENT)
		rc = problem(p, path, "missing", -EBADMSG);
	free(path);
	if (rc)
		return rc;

	char hex[DIGEST_HEX_MAX];
	struct digest *d = digest_new(DIGEST_SHA256);
	digest_update(d, *data, *len);
	digest_final_hex(d, hex);
	digest_free(d);
	char *want = xasprintf("%s  %s\n", hex, name);
	/* the line must start the manifest or follow a newline */
	const char *hit = strstr(manifest, want);
	int found = hit && (hit == manifest || hit[-1] == '\n');
	free(want);
	if (!found) {
		free(*data);
		*data = NULL;
		return problem(p, name, "checksum mismatch", -EBADMSG);
	}
	return 0;
}

/* A directory of the snapshot: ours, not a symlink, not writable by others. */
static int dir_check(const char *path, struct snapshot_problem *p)
{
	const char *why;
	int rc = tk_dir_trusted(path, &why);
	if (rc == -ENOENT)
		return rc;
	if (rc)
		return problem(p, path, why ? why : strerror(-rc), -EPERM);
	return 0;
}

/* Load a format 1 snapshot (a directory, written by older tunekit). */
static int load_v1(const char *store, const char *id, struct snapshot *s, struct snapshot_problem *p)
{
	int rc;
	char *dir = xasprintf("%s/%s", store, id);
	char *sub = xasprintf("%s/files", dir);

	char *manifest = NULL, *meta = NULL, *keys = NULL, *list = NULL;
	size_t mlen, len, nkeys = 0;
	char *mpath = xasprintf("%s/MANIFEST", dir);
	if ((rc = dir_check(dir, p)) == 0 && (rc = dir_check(sub, p)) == -ENOENT)
		rc = 0; /* a snapshot without files */
	if (!rc) {
		rc = read_trusted(mpath, SNAP_FILE_MAX, &manifest, &mlen, p);
		if (rc == -ENOENT)
			rc = problem(p, mpath, "missing", -EBADMSG);
	}
	free(mpath);
	if (rc)
		goto out;
	if ((rc = read_member(dir, "meta", manifest, &meta, &len, p)) ||
	    (rc = read_member(dir, "sysctl.conf", manifest, &keys, &len, p)) ||
	    (rc = read_member(dir, "files.list", manifest, &list, &len, p)))
		goto out;
	if ((rc = parse_meta(meta, s->id, sizeof(s->id), &s->time, &s->note, &nkeys, &s->seq)) ||
	    strcmp(s->id, id) != 0) {
		rc = problem(p, "meta", "malformed or names another snapshot", -EBADMSG);
		goto out;
	}
	struct kv_error kerr;
	if (kvconf_parse_buffer(keys, strlen(keys), &s->keys, &kerr) < 0 || s->keys.n != nkeys) {
		rc = problem(p, "sysctl.conf", "malformed", -EBADMSG);
		goto out;
	}
	/* files.list */
	for (const char *q = list; *q;) {
		const char *nl = strchr(q, '\n');
		size_t n = nl ? (size_t)(nl - q) : strlen(q);
		char *line = xstrndup(q, n);
		char member[64], path[4096] = "";
		unsigned mode = 0;
		struct snapshot_file f = { 0 };
		int ok = 0, mrc = 0, end = 0;
		if (sscanf(line, "absent - %4095s%n", path, &end) == 1) {
			f.type = SF_ABSENT;
			ok = 1;
		} else if (sscanf(line, "symlink %63s %4095s%n", member, path, &end) == 2) {
			f.type = SF_SYMLINK;
			ok = (mrc = read_member(dir, member, manifest, &f.data, &f.len, p)) == 0;
		} else if (sscanf(line, "file %63s %o %4095s%n", member, &mode, path, &end) == 3) {
			f.type = SF_FILE;
			f.mode = mode;
			ok = (mrc = read_member(dir, member, manifest, &f.data, &f.len, p)) == 0;
		}
		ok = ok && line[end] == '\0' && mode <= 07777;
		for (size_t i = 0; ok && i < s->nfiles; i++)
			ok = strcmp(s->files[i].path, path) != 0; /* one record per file */
		if (!ok) {
			free(f.data);
			rc = mrc ? mrc : problem(p, line, "malformed files.list entry", -EBADMSG);
			free(line);
			goto out;
		}
		free(line);
		f.path = xstrdup(path);
		s->files = xreallocarray(s->files, s->nfiles + 1, sizeof(*s->files));
		s->files[s->nfiles++] = f;
		q += n + (nl ? 1 : 0);
	}
out:
	if (rc)
		snapshot_free(s);
	free(manifest);
	free(meta);
	free(keys);
	free(list);
	free(sub);
	free(dir);
	return rc;
}

/* ---- store (format 2: one file a snapshot, contents in blobs) ------------ */

/*
 * A snapshot is one file, store/ID (0600):
 *   tunekit-snapshot 2
 *   id=ID  seq=N  time=T  note=TEXT  keys=N      (one a line)
 *   base=HEX                 the full key capture it is a delta against
 *   file HEX MODE PATH | symlink HEX PATH | absent - PATH
 *   drop=KEY                 a key of the base this capture does not have
 *   [keys]
 *   KEY = VALUE              keys whose value differs from the base
 *   sha256=HEX               of every byte above this line
 * Contents live once in store/blobs/HEX (0600, named by their sha256 and
 * checked against it on every read): the base capture and the managed
 * files, shared by every snapshot that holds the same bytes. A new base is
 * written when more than SNAP_DELTA_MAX keys differ from the last one, so a
 * snapshot costs one small file (doc/design.md, "Snapshots").
 */
#define SNAP_MAGIC "tunekit-snapshot 2\n"
#define SNAP_DELTA_MAX 64
#define BLOB_DIR "blobs"

static void sha256_hex(const void *data, size_t len, char hex[DIGEST_HEX_MAX])
{
	struct digest *d = digest_new(DIGEST_SHA256);
	digest_update(d, data, len);
	digest_final_hex(d, hex);
	digest_free(d);
}

static int hex_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
			return 0;
	return n == 64;
}

/*
 * Small contents (the persisted sysctl file changes with every apply) are
 * kept inline, base64 after "b64:", so they cost no file of their own; the
 * rest goes to a blob. SNAP_INLINE_MAX bounds the inline bytes of one
 * snapshot so the file stays within one 4 KiB block.
 */
#define SNAP_INLINE_MAX 2400
static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *in, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1), *o = out;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);
		*o++ = b64_chars[v >> 18 & 63];
		*o++ = b64_chars[v >> 12 & 63];
		*o++ = i + 1 < len ? b64_chars[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64_chars[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Strict: canonical padding only; -EBADMSG otherwise. */
static int b64_decode(const char *in, char **out, size_t *outlen)
{
	size_t n = strlen(in);
	if (n % 4)
		return -EBADMSG;
	char *buf = xmalloc(n / 4 * 3 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			const char *c = in[i + k] ? strchr(b64_chars, in[i + k]) : NULL;
			if (in[i + k] == '=' && i + 4 == n && k >= 2 && (k == 3 || in[i + 3] == '=')) {
				pad++;
				v <<= 6;
			} else if (c && !pad) {
				v = v << 6 | (uint32_t)(c - b64_chars);
			} else {
				free(buf);
				return -EBADMSG;
			}
		}
		buf[o++] = (char)(v >> 16);
		if (pad < 2)
			buf[o++] = (char)(v >> 8 & 0xff);
		if (pad < 1)
			buf[o++] = (char)(v & 0xff);
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;
}

/* Read blob hex and check its bytes against its name. */
static int blob_get(const char *store, const char *hex, char **data, size_t *len, struct snapshot_problem *p)
{
	if (!hex_valid(hex))
		return problem(p, hex, "not a content reference", -EBADMSG);
	char *path = xasprintf("%s/" BLOB_DIR "/%s", store, hex);
	int rc = read_trusted(path, SNAP_FILE_MAX, data, len, p);
	if (rc == -ENOENT)
		rc = problem(p, path, "missing", -EBADMSG);
	if (!rc) {
		char got[DIGEST_HEX_MAX];
		sha256_hex(*data, *len, got);
		if (strcmp(got, hex)) {
			free(*data);
			*data = NULL;
			rc = problem(p, path, "checksum mismatch", -EBADMSG);
		}
	}
	free(path);
	return rc;
}

/* Store data as a blob (once: a blob already there with the right bytes is kept). */
static int blob_put(const char *store, const void *data, size_t len, char hex[DIGEST_HEX_MAX])
{
	sha256_hex(data, len, hex);
	char *dir = xasprintf("%s/" BLOB_DIR, store);
	const char *why;
	int rc = tk_dir_ensure(dir, 0700, &why);
	if (!rc) {
		char *path = xasprintf("%s/%s", dir, hex), *old = NULL;
		size_t oldlen;
		if (blob_get(store, hex, &old, &oldlen, NULL) != 0)
			rc = atomic_write_file(path, data, len, 0600);
		free(old);
		free(path);
	}
	free(dir);
	return rc == -ENOTDIR ? -EPERM : rc;
}

/* The header field name= of a format 2 text (a copy), NULL if absent. */
static char *field(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == 6 && !strncmp(p, "[keys]", 6))
			break;
		if (len > n && !strncmp(p, name, n) && p[n] == '=')
			return xstrndup(p + n + 1, len - n - 1);
		p += len + (nl ? 1 : 0);
	}
	return NULL;
}

/* Check the trailer of a format 2 text; 0 or -EBADMSG (truncated, changed). */
static int v2_verify(const char *text, size_t len)
{
	static const char tag[] = "sha256=";
	if (len < sizeof(SNAP_MAGIC) || memcmp(text, SNAP_MAGIC, sizeof(SNAP_MAGIC) - 1) ||
	    text[len - 1] != '\n' || memchr(text, '\0', len))
		return -EBADMSG;
	size_t end = len - 1, start = end;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	if (end - start != sizeof(tag) - 1 + 64 || memcmp(text + start, tag, sizeof(tag) - 1))
		return -EBADMSG;
	char hex[DIGEST_HEX_MAX];
	sha256_hex(text, start, hex);
	return memcmp(hex, text + start + sizeof(tag) - 1, 64) ? -EBADMSG : 0;
}

/* The base (HEX, or "" for none) and its keys of the newest format 2 snapshot. */
static void last_base(const char *store, const struct snapshot_info *v, size_t n, char hex[DIGEST_HEX_MAX],
		      struct kv_list *keys)
{
	hex[0] = '\0';
	if (!n)
		return;
	char *path = xasprintf("%s/%s", store, v[n - 1].id), *text = NULL, *data = NULL, *b = NULL;
	size_t len, dlen;
	struct kv_error kerr;
	if (read_trusted(path, SNAP_FILE_MAX, &text, &len, NULL) == 0 && v2_verify(text, len) == 0 &&
	    (b = field(text, "base")) && blob_get(store, b, &data, &dlen, NULL) == 0 &&
	    kvconf_parse_buffer(data, dlen, keys, &kerr) == 0)
		snprintf(hex, DIGEST_HEX_MAX, "%s", b);
	else
		kv_list_free(keys);
	free(b);
	free(data);
	free(text);
	free(path);
}

int snapshot_store(struct snapshot *s, struct snapshot_problem *p)
{
	int rc = store_check(1, p);
	if (rc)
		return rc;
	char *store = store_dir();
	struct snapshot_info *index;
	size_t nindex;
	int changed;
	rc = index_load(store, &index, &nindex, &changed, p);
	if (rc) {
		free(store);
		return rc;
	}
	s->seq = (nindex ? index[nindex - 1].seq : 0) + 1;

	/* the keys as a delta against the last base, or a new base */
	char base[DIGEST_HEX_MAX];
	struct kv_list bkeys = { 0 }, delta = { 0 }, drops = { 0 };
	last_base(store, index, nindex, base, &bkeys);
	for (size_t i = 0; base[0] && i < s->keys.n; i++) {
		long j = kv_list_find(&bkeys, s->keys.v[i].key);
		if (j < 0 || strcmp(bkeys.v[j].value, s->keys.v[i].value))
			kv_list_set(&delta, s->keys.v[i].key, s->keys.v[i].value);
	}
	for (size_t i = 0; base[0] && i < bkeys.n; i++)
		if (kv_list_find(&s->keys, bkeys.v[i].key) < 0)
			kv_list_set(&drops, bkeys.v[i].key, "");
	if (!base[0] || delta.n + drops.n > SNAP_DELTA_MAX) {
		kv_list_free(&delta);
		kv_list_free(&drops);
		char *all = kvconf_format(&s->keys, NULL);
		rc = blob_put(store, all, strlen(all), base);
		free(all);
	}

	char *text = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	char stamp[32];
	struct tm tm;
	gmtime_r(&s->time, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (unsigned n = 1; n < 1000; n++) {
		snprintf(s->id, sizeof(s->id), "%s-%03u", stamp, n);
		char *path = xasprintf("%s/%s", store, s->id);
		struct stat st;
		int taken = lstat(path, &st) == 0;
		free(path);
		if (!taken)
			break;
	}
	fprintf(f, SNAP_MAGIC "id=%s\nseq=%llu\ntime=%lld\nnote=%s\nkeys=%zu\nbase=%s\n", s->id, s->seq,
		(long long)s->time, s->note, s->keys.n, base);
	size_t inline_used = 0;
	for (size_t i = 0; !rc && i < s->nfiles; i++) {
		const struct snapshot_file *sf = &s->files[i];
		char hex[DIGEST_HEX_MAX];
		if (sf->type == SF_ABSENT) {
			fprintf(f, "absent - %s\n", sf->path);
			continue;
		}
		char *ref;
		if (inline_used + 4 * ((sf->len + 2) / 3) <= SNAP_INLINE_MAX) {
			char *enc = b64_encode((const unsigned char *)sf->data, sf->len);
			inline_used += strlen(enc);
			ref = xasprintf("b64:%s", enc);
			free(enc);
		} else {
			rc = blob_put(store, sf->data, sf->len, hex);
			ref = xstrdup(hex);
		}
		if (sf->type == SF_SYMLINK)
			fprintf(f, "symlink %s %s\n", ref, sf->path);
		else
			fprintf(f, "file %s %04o %s\n", ref, (unsigned)sf->mode, sf->path);
		free(ref);
	}
	for (size_t i = 0; i < drops.n; i++)
		fprintf(f, "drop=%s\n", drops.v[i].key);
	fputs("[keys]\n", f);
	kvconf_print(f, &delta);
	fclose(f);
	char hex[DIGEST_HEX_MAX];
	sha256_hex(text, tlen, hex);
	char *all = xasprintf("%ssha256=%s\n", text, hex);
	free(text);

	char *final = xasprintf("%s/%s", store, s->id), *tmp = NULL;
	int fd = -1;
	if (!rc) {
		fd = atomic_tmpfile(final, &tmp);
		rc = fd < 0 ? fd : write_0600(fd, all, strlen(all));
	}
	/* the index line first: a crash before the rename leaves a last line
	 * without its snapshot, which index_load drops */
	struct snapshot_info x = { 0 };
	size_t cap = nindex;
	if (!rc) {
		copy_id(x.id, s->id);
		x.seq = s->seq;
		x.time = s->time;
		x.nkeys = s->keys.n;
		x.note = xstrdup(s->note);
		info_push(&index, &nindex, &cap, &x);
		/* appended when the index on disk is what we read, else written whole */
		rc = changed ? -ENOENT : index_append(store, &x);
		if (rc)
			rc = index_write(store, index, nindex, 0);
	}
	if (fd >= 0) {
		if (!rc) {
			/* whole or absent, never over another snapshot */
			rc = atomic_commit_flags(fd, tmp, final, ATOMIC_NOREPLACE);
			if (rc) /* take the line back */
				index_write(store, index, nindex - 1, 0);
		} else {
			unlink(tmp);
		}
		close(fd);
	}
	if (rc) {
		s->id[0] = '\0';
		s->seq = 0;
	}
	kv_list_free(&bkeys);
	kv_list_free(&delta);
	kv_list_free(&drops);
	snapshot_info_free(index, nindex);
	free(all);
	free(tmp);
	free(final);
	free(store);
	return rc;
}

/* Load a format 2 snapshot from its verified text. */
static int load_v2(const char *store, const char *id, const char *text, struct snapshot *s,
		   struct snapshot_problem *p)
{
	char *b = field(text, "base"), *data = NULL;
	size_t len = 0, nkeys = 0;
	struct kv_error kerr;
	int rc = parse_meta(text, s->id, sizeof(s->id), &s->time, &s->note, &nkeys, &s->seq);
	if (rc || strcmp(s->id, id) != 0) {
		rc = problem(p, "meta", "malformed or names another snapshot", -EBADMSG);
		goto out;
	}
	if (!b || (rc = blob_get(store, b, &data, &len, p)))
		goto out_bad;
	if (kvconf_parse_buffer(data, len, &s->keys, &kerr) < 0) {
		rc = problem(p, "base", "malformed", -EBADMSG);
		goto out;
	}
	const char *keys = strstr(text, "\n[keys]\n");
	if (!keys) {
		rc = problem(p, id, "no [keys] section", -EBADMSG);
		goto out;
	}
	keys += 8;
	const char *end = text + strlen(text);
	while (end > keys && end[-1] == '\n')
		end--;
	while (end > keys && end[-1] != '\n') /* the sha256= line */
		end--;
	struct kv_list delta = { 0 };
	if (kvconf_parse_buffer(keys, (size_t)(end - keys), &delta, &kerr) < 0) {
		kv_list_free(&delta);
		rc = problem(p, id, "malformed [keys] section", -EBADMSG);
		goto out;
	}
	for (size_t i = 0; i < delta.n; i++)
		kv_list_set(&s->keys, delta.v[i].key, delta.v[i].value);
	kv_list_free(&delta);

	/* header lines: files and dropped keys */
	for (const char *q = text; *q && q < keys;) {
		const char *nl = strchr(q, '\n');
		size_t n = nl ? (size_t)(nl - q) : strlen(q);
		char *line = xstrndup(q, n);
		q += n + (nl ? 1 : 0);
		char *f[5] = { NULL };
		size_t nf = 0;
		for (char *t = line, *save = NULL; nf < 5 && (t = strtok_r(t, " ", &save)); t = NULL)
			f[nf++] = t;
		const char *path = "";
		unsigned mode = 0;
		int ok = 1, is_file = 0;
		struct snapshot_file sf = { 0 };
		if (!strncmp(line, "drop=", 5)) {
			struct kv_list one = { 0 };
			long j = kv_list_find(&s->keys, line + 5);
			if (j >= 0) { /* rebuild without it: rare (a key gone since the base) */
				for (size_t i = 0; i < s->keys.n; i++)
					if ((long)i != j)
						kv_list_set(&one, s->keys.v[i].key, s->keys.v[i].value);
				kv_list_free(&s->keys);
				s->keys = one;
			}
		} else if (nf && !strcmp(f[0], "absent")) {
			sf.type = SF_ABSENT, is_file = 1;
			ok = nf == 3 && !strcmp(f[1], "-");
			path = nf == 3 ? f[2] : "";
		} else if (nf && (!strcmp(f[0], "symlink") || !strcmp(f[0], "file"))) {
			int link = f[0][0] == 's';
			char *mend = NULL;
			sf.type = link ? SF_SYMLINK : SF_FILE, is_file = 1;
			ok = nf == (link ? 3u : 4u);
			if (ok && !link) {
				errno = 0;
				mode = (unsigned)strtoul(f[2], &mend, 8);
				ok = !errno && *f[2] && !*mend;
				sf.mode = mode;
			}
			path = ok ? f[nf - 1] : "";
			if (ok && !strncmp(f[1], "b64:", 4))
				ok = (rc = b64_decode(f[1] + 4, &sf.data, &sf.len)) == 0;
			else if (ok)
				ok = (rc = blob_get(store, f[1], &sf.data, &sf.len, p)) == 0;
		}
		if (is_file) {
			ok = ok && mode <= 07777 && path[0] == '/' && strlen(path) < 4096;
			for (size_t i = 0; ok && i < s->nfiles; i++)
				ok = strcmp(s->files[i].path, path) != 0; /* one record per file */
			if (!ok) {
				free(sf.data);
				rc = rc ? rc : problem(p, line, "malformed file entry", -EBADMSG);
				free(line);
				goto out;
			}
			sf.path = xstrdup(path);
			s->files = xreallocarray(s->files, s->nfiles + 1, sizeof(*s->files));
			s->files[s->nfiles++] = sf;
		}
		free(line);
	}
	kv_list_sort(&s->keys);
	if (s->keys.n != nkeys)
		rc = problem(p, id, "key count does not match", -EBADMSG);
	goto out;
out_bad:
	if (!rc)
		rc = problem(p, id, "no base reference", -EBADMSG);
out:
	free(b);
	free(data);
	return rc;
}

int snapshot_load(const char *id, struct snapshot *s, struct snapshot_problem *p)
{
	memset(s, 0, sizeof(*s));
	if (p)
		p->what[0] = '\0', p->why = NULL;
	if (!snapshot_id_valid(id))
		return -EINVAL;
	int rc = store_check(0, p);
	if (rc)
		return rc;
	char *store = store_dir();
	char *path = xasprintf("%s/%s", store, id), *text = NULL;
	char *blobs = xasprintf("%s/" BLOB_DIR, store);
	size_t len;
	struct stat st;
	if (lstat(path, &st) < 0)
		rc = -errno;
	else if (S_ISDIR(st.st_mode))
		rc = load_v1(store, id, s, p);
	else if ((rc = dir_check(blobs, p)) == -ENOENT)
		rc = problem(p, blobs, "missing", -EBADMSG);
	else if (!rc && (rc = read_trusted(path, SNAP_FILE_MAX, &text, &len, p)) == 0) {
		if (v2_verify(text, len))
			rc = problem(p, path, "checksum mismatch or truncated", -EBADMSG);
		else
			rc = load_v2(store, id, text, s, p);
		if (rc)
			snapshot_free(s);
	}
	free(text);
	free(blobs);
	free(path);
	free(store);
	return rc;
}

/* ---- list, latest, remove ----------------------------------------------- */

int snapshot_list(struct snapshot_info **out, size_t *n, unsigned flags, struct snapshot_problem *p)
{
	*out = NULL;
	*n = 0;
	int rc = store_check(0, p);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	char *store = store_dir();
	int changed;
	rc = index_load_full(store, out, n, &changed, (flags & SNAPSHOT_LIST_VERIFY) != 0, NULL, NULL, p);
	free(store);
	if (rc)
		return rc;
	/* the index is the list; reading every snapshot is for --verify only */
	for (size_t i = 0; i < *n; i++) {
		struct snapshot s;
		(*out)[i].valid = -1;
		if (!(flags & SNAPSHOT_LIST_VERIFY))
			continue;
		(*out)[i].valid = snapshot_load((*out)[i].id, &s, NULL) == 0;
		if ((*out)[i].valid)
			snapshot_free(&s);
	}
	return 0;
}

void snapshot_info_free(struct snapshot_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].note);
	free(v);
}

int snapshot_latest(char *id, size_t len)
{
	int rc = store_check(0, NULL);
	if (rc)
		return rc;
	char *store = store_dir();
	struct snapshot_info *v;
	size_t n;
	int changed;
	rc = index_load(store, &v, &n, &changed, NULL);
	free(store);
	if (rc)
		return rc;
	if (n == 0)
		rc = -ENOENT;
	else
		snprintf(id, len, "%s", v[n - 1].id);
	snapshot_info_free(v, n);
	return rc;
}

int snapshot_remove(const char *id)
{
	if (!snapshot_id_valid(id))
		return -EINVAL;
	int rc = store_check(0, NULL);
	if (rc)
		return rc;
	char *store = store_dir();
	char *path = xasprintf("%s/%s", store, id);
	struct snapshot_info *v;
	size_t n, k = 0;
	int changed;
	/* the index first, as prune does */
	rc = index_load(store, &v, &n, &changed, NULL);
	if (!rc) {
		struct snapshot_info *kept = xcalloc(n + 1, sizeof(*kept));
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i].id, id))
				kept[k++] = v[i];
		if (k < n || changed)
			rc = index_write(store, kept, k, 0);
		free(kept);
		snapshot_info_free(v, n);
	}
	if (!rc && (rc = remove_tree(path)) == 0)
		fsync_parent_dir(path);
	free(path);
	free(store);
	return rc;
}

/* ---- prune ---------------------------------------------------------------- */

static const char undo_prefix[] = "before restore of ";

void snapshot_prune_plan(const struct snapshot_info *v, size_t n, const struct snapshot_prune_policy *pol,
			 char *remove)
{
	if (!n)
		return;
	memset(remove, 0, n);
	if (pol->keep <= 0 && pol->keep_days <= 0)
		return;
	char *keep = xcalloc(n, 1);
	keep[0] = 1; /* the pristine baseline: the state before tunekit's first change */
	for (size_t i = 0; pol->keep > 0 && i < n && i < (size_t)pol->keep; i++)
		keep[n - 1 - i] = 1;
	for (size_t i = 0; pol->keep_days > 0 && i < n; i++)
		if (v[i].time >= pol->now - (time_t)pol->keep_days * 86400)
			keep[i] = 1;
	/* the undo walk (nettune-backup restore without an ID): its next keep steps stay */
	const char **undone = xcalloc(n, sizeof(*undone));
	size_t nundone = 0, steps = 0;
	for (size_t i = n; pol->keep > 0 && i-- > 0 && steps < (size_t)pol->keep;) {
		if (!strncmp(v[i].note, undo_prefix, sizeof(undo_prefix) - 1)) {
			undone[nundone++] = v[i].note + sizeof(undo_prefix) - 1;
			continue;
		}
		int seen = 0;
		for (size_t k = 0; k < nundone && !seen; k++)
			seen = !strcmp(undone[k], v[i].id);
		if (!seen)
			keep[i] = 1, steps++;
	}
	/* a "before restore of X" marker goes with X: without it the walk would redo X */
	for (size_t i = 0; i < n; i++) {
		if (keep[i] || strncmp(v[i].note, undo_prefix, sizeof(undo_prefix) - 1))
			continue;
		for (size_t k = 0; k < i && !keep[i]; k++)
			if (keep[k] && !strcmp(v[k].id, v[i].note + sizeof(undo_prefix) - 1))
				keep[i] = 1;
	}
	for (size_t i = 0; i < n; i++)
		remove[i] = !keep[i];
	free(undone);
	free(keep);
}

/* Add the blobs a format 2 snapshot refers to; -EBADMSG if it cannot be read whole. */
static int blob_refs(const char *store, const char *id, struct kv_list *refs)
{
	char *path = xasprintf("%s/%s", store, id), *text = NULL;
	size_t len;
	struct stat st;
	int rc = 0;
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		free(path);
		return 0; /* format 1 keeps its contents in its directory */
	}
	if ((rc = read_trusted(path, SNAP_FILE_MAX, &text, &len, NULL)) == 0 && (rc = v2_verify(text, len)) == 0) {
		for (const char *q = text; *q;) {
			const char *nl = strchr(q, '\n');
			size_t n = nl ? (size_t)(nl - q) : strlen(q);
			char hex[65];
			if (n == 6 && !strncmp(q, "[keys]", 6))
				break;
			if (sscanf(q, "base=%64[0-9a-f]", hex) == 1 || sscanf(q, "file %64[0-9a-f] ", hex) == 1 ||
			    sscanf(q, "symlink %64[0-9a-f] ", hex) == 1)
				kv_list_set(refs, hex, "");
			q += n + (nl ? 1 : 0);
		}
	}
	free(text);
	free(path);
	return rc;
}

/*
 * Remove the blobs no snapshot refers to (left by pruning, or by a crash
 * between a blob and its snapshot). Any snapshot that cannot be read whole
 * stops it: its blobs are not known, so none is removed.
 */
static int blob_gc(const char *store, const struct snapshot_info *v, size_t n, const char *const *gone,
		   size_t ngone)
{
	struct kv_list refs = { 0 };
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		int skip = 0;
		for (size_t k = 0; k < ngone && !skip; k++)
			skip = !strcmp(gone[k], v[i].id);
		if (!skip)
			rc = blob_refs(store, v[i].id, &refs);
	}
	char *dir = xasprintf("%s/" BLOB_DIR, store);
	DIR *d = rc ? NULL : opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!hex_valid(de->d_name) || kv_list_find(&refs, de->d_name) >= 0)
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		unlink(path);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	kv_list_free(&refs);
	return rc;
}

int snapshot_prune(const struct snapshot_prune_policy *pol, char ***removed, size_t *nremoved,
		   struct snapshot_problem *p)
{
	*removed = NULL;
	*nremoved = 0;
	if (pol->keep <= 0 && pol->keep_days <= 0)
		return 0; /* pruning is off */
	int rc = store_check(0, p);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	char *store = store_dir();
	struct snapshot_info *v;
	size_t n;
	int changed;
	/* the common case after a change: nothing beyond keep, one read of the index */
	if (pol->keep_days <= 0 && index_load(store, &v, &n, &changed, p) == 0) {
		snapshot_info_free(v, n);
		if (n <= (size_t)pol->keep + 1 && !changed) {
			free(store);
			return 0;
		}
	}
	char **left;
	size_t nleft;
	rc = index_load_full(store, &v, &n, &changed, 1, &left, &nleft, p);
	if (rc) {
		free(store);
		return rc;
	}
	char *remove = xcalloc(n + 1, 1);
	snapshot_prune_plan(v, n, pol, remove);
	char **gone = xcalloc(n + 1, sizeof(*gone));
	size_t ngone = 0, k = 0;
	struct snapshot_info *kept = xcalloc(n + 1, sizeof(*kept));
	for (size_t i = 0; i < n; i++)
		if (!remove[i])
			kept[k++] = v[i];
	/* the index first: a crash after it leaves snapshots without a line,
	 * which nobody lists and the next prune removes */
	if (k < n || changed)
		rc = index_write(store, kept, k, 0);
	free(kept);
	for (size_t i = 0; !rc && i < n; i++) {
		if (!remove[i])
			continue;
		char *path = xasprintf("%s/%s", store, v[i].id);
		int r = remove_tree(path);
		free(path);
		if (r)
			rc = r;
		else
			gone[ngone++] = xstrdup(v[i].id);
	}
	for (size_t i = 0; i < nleft; i++) {
		char *path = xasprintf("%s/%s", store, left[i]);
		if (!rc)
			remove_tree(path);
		free(path);
		free(left[i]);
	}
	free(left);
	if (ngone || nleft)
		fsync_parent_dir(store);
	if (!rc && (ngone || nleft || changed))
		blob_gc(store, v, n, (const char *const *)gone, ngone);
	*removed = gone;
	*nremoved = ngone;
	if (!ngone) {
		free(gone);
		*removed = NULL;
	}
	free(remove);
	snapshot_info_free(v, n);
	free(store);
	return rc;
}

void snapshot_prune_policy_default(struct snapshot_prune_policy *pol)
{
	pol->keep = SNAPSHOT_KEEP_DEFAULT;
	pol->keep_days = 0;
	pol->now = time(NULL);
}

void snapshot_free(struct snapshot *s)
{
	free(s->note);
	kv_list_free(&s->keys);
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].data);
	}
	free(s->files);
	memset(s, 0, sizeof(*s));
}
