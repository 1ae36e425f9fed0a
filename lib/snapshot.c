/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
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
#include "sysctl.h"
#include "xalloc.h"

#define SNAP_FILE_MAX (16u << 20)

const char *const snapshot_managed_files[] = {
	TK_SYSCTL_CONF,
	TK_RESOLVED_DROPIN,
	TK_RESOLV_CONF,
	NULL,
};

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

/* ---- store -------------------------------------------------------------- */

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
	return isdigit((unsigned char)id[0]);
}

static int write_member(const char *dir, const char *name, const char *data, size_t len,
			mode_t mode, FILE *manifest)
{
	char hex[DIGEST_HEX_MAX];
	struct digest *d = digest_new(DIGEST_SHA256);
	digest_update(d, data, len);
	digest_final_hex(d, hex);
	digest_free(d);

	char *path = xasprintf("%s/%s", dir, name);
	int rc = atomic_write_file(path, data, len, mode);
	free(path);
	if (!rc)
		fprintf(manifest, "%s  %s\n", hex, name);
	return rc;
}

int snapshot_store(struct snapshot *s)
{
	char *store = store_dir();
	int rc = mkdir_p(store, 0755);
	if (rc) {
		free(store);
		return rc;
	}
	char *tmp = xasprintf("%s/.new-XXXXXX", store);
	if (!mkdtemp(tmp)) {
		rc = -errno;
		free(tmp);
		free(store);
		return rc;
	}
	chmod(tmp, 0755);

	char *mbuf = NULL;
	size_t mlen = 0;
	FILE *manifest = open_memstream(&mbuf, &mlen);
	char *files_list = NULL;
	size_t flen = 0;
	FILE *fl = open_memstream(&files_list, &flen);

	char *keys = kvconf_format(&s->keys, NULL);
	rc = write_member(tmp, "sysctl.conf", keys, strlen(keys), 0644, manifest);
	free(keys);

	if (!rc) {
		char *sub = xasprintf("%s/files", tmp);
		rc = mkdir(sub, 0755) < 0 ? -errno : 0;
		free(sub);
	}
	for (size_t i = 0; !rc && i < s->nfiles; i++) {
		const struct snapshot_file *f = &s->files[i];
		char name[32];
		snprintf(name, sizeof(name), "files/%zu", i);
		switch (f->type) {
		case SF_ABSENT:
			fprintf(fl, "absent - %s\n", f->path);
			break;
		case SF_SYMLINK:
			fprintf(fl, "symlink %s %s\n", name, f->path);
			rc = write_member(tmp, name, f->data, f->len, 0644, manifest);
			break;
		case SF_FILE:
			fprintf(fl, "file %s %04o %s\n", name, (unsigned)f->mode, f->path);
			rc = write_member(tmp, name, f->data, f->len, 0644, manifest);
			break;
		}
	}
	fclose(fl);
	if (!rc)
		rc = write_member(tmp, "files.list", files_list, flen, 0644, manifest);

	/* the ID: time to the second plus a sequence number, never reused */
	char stamp[32];
	struct tm tm;
	gmtime_r(&s->time, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	char *meta = NULL;
	if (!rc) {
		for (unsigned seq = 1; seq < 1000; seq++) {
			snprintf(s->id, sizeof(s->id), "%s-%03u", stamp, seq);
			char *final = xasprintf("%s/%s", store, s->id);
			struct stat st;
			int taken = lstat(final, &st) == 0;
			free(final);
			if (!taken)
				break;
		}
		meta = xasprintf("id=%s\ntime=%lld\nnote=%s\nkeys=%zu\n", s->id,
				 (long long)s->time, s->note, s->keys.n);
		rc = write_member(tmp, "meta", meta, strlen(meta), 0644, manifest);
	}
	fclose(manifest);
	if (!rc) {
		char *mpath = xasprintf("%s/MANIFEST", tmp);
		rc = atomic_write_file(mpath, mbuf, mlen, 0644);
		free(mpath);
	}
	if (!rc) {
		char *final = xasprintf("%s/%s", store, s->id);
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) < 0)
			rc = -errno;
		else
			rc = fsync_parent_dir(final);
		free(final);
	}
	if (rc) {
		remove_tree(tmp);
		s->id[0] = '\0';
	}
	free(meta);
	free(mbuf);
	free(files_list);
	free(tmp);
	free(store);
	return rc;
}

/* ---- load --------------------------------------------------------------- */

static int read_member(const char *dir, const char *name, const char *manifest,
		       char **data, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc = read_file(path, SNAP_FILE_MAX, data, len);
	free(path);
	if (rc)
		return rc == -ENOENT ? -EBADMSG : rc;

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
		return -EBADMSG;
	}
	return 0;
}

static int parse_meta(const char *meta, char *id, size_t idlen, time_t *t, char **note, size_t *nkeys)
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
		}
		free(line);
		p += n + (nl ? 1 : 0);
	}
	return have == 15 ? 0 : -EBADMSG;
}

int snapshot_load(const char *id, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	if (!snapshot_id_valid(id))
		return -EINVAL;
	char *store = store_dir();
	char *dir = xasprintf("%s/%s", store, id);
	free(store);

	char *manifest = NULL, *meta = NULL, *keys = NULL, *list = NULL;
	size_t mlen, len, nkeys = 0;
	int rc;
	char *mpath = xasprintf("%s/MANIFEST", dir);
	rc = read_file(mpath, SNAP_FILE_MAX, &manifest, &mlen);
	free(mpath);
	if (rc == -ENOENT) {
		struct stat st;
		rc = stat(dir, &st) == 0 ? -EBADMSG : -ENOENT;
	}
	if (rc)
		goto out;
	if ((rc = read_member(dir, "meta", manifest, &meta, &len)) ||
	    (rc = read_member(dir, "sysctl.conf", manifest, &keys, &len)) ||
	    (rc = read_member(dir, "files.list", manifest, &list, &len)))
		goto out;
	if ((rc = parse_meta(meta, s->id, sizeof(s->id), &s->time, &s->note, &nkeys)))
		goto out;
	if (strcmp(s->id, id) != 0) {
		rc = -EBADMSG;
		goto out;
	}
	struct kv_error kerr;
	if (kvconf_parse_buffer(keys, strlen(keys), &s->keys, &kerr) < 0 || s->keys.n != nkeys) {
		rc = -EBADMSG;
		goto out;
	}
	/* files.list */
	for (const char *p = list; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, n);
		char type[16], member[64], path[4096];
		unsigned mode = 0;
		struct snapshot_file f = { 0 };
		int ok = 0;
		if (sscanf(line, "absent - %4095s", path) == 1) {
			f.type = SF_ABSENT;
			ok = 1;
		} else if (sscanf(line, "symlink %63s %4095s", member, path) == 2) {
			f.type = SF_SYMLINK;
			ok = read_member(dir, member, manifest, &f.data, &f.len) == 0;
		} else if (sscanf(line, "file %63s %o %4095s", member, &mode, path) == 3) {
			f.type = SF_FILE;
			f.mode = mode & 07777;
			ok = read_member(dir, member, manifest, &f.data, &f.len) == 0;
		}
		(void)type;
		free(line);
		if (!ok || path[0] != '/' || strstr(path, "/../")) {
			free(f.data);
			rc = -EBADMSG;
			goto out;
		}
		f.path = xstrdup(path);
		s->files = xreallocarray(s->files, s->nfiles + 1, sizeof(*s->files));
		s->files[s->nfiles++] = f;
		p += n + (nl ? 1 : 0);
	}
out:
	if (rc)
		snapshot_free(s);
	free(manifest);
	free(meta);
	free(keys);
	free(list);
	free(dir);
	return rc;
}

/* ---- list, latest, remove ----------------------------------------------- */

/* Copy a validated ID (shorter than SNAPSHOT_ID_MAX by snapshot_id_valid). */
static void copy_id(char dst[SNAPSHOT_ID_MAX], const char *src)
{
	size_t n = strnlen(src, SNAPSHOT_ID_MAX - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct snapshot_info *)a)->id, ((const struct snapshot_info *)b)->id);
}

int snapshot_list(struct snapshot_info **out, size_t *n)
{
	char *store = store_dir();
	DIR *d = opendir(store);
	*out = NULL;
	*n = 0;
	if (!d) {
		int e = errno;
		free(store);
		return e == ENOENT ? 0 : -e;
	}
	struct dirent *de;
	size_t cap = 0;
	while ((de = readdir(d))) {
		if (!snapshot_id_valid(de->d_name))
			continue;
		struct snapshot_info info = { 0 };
		copy_id(info.id, de->d_name);
		struct snapshot s;
		if (snapshot_load(de->d_name, &s) == 0) {
			info.time = s.time;
			info.note = xstrdup(s.note);
			info.nkeys = s.keys.n;
			info.valid = 1;
			snapshot_free(&s);
		} else {
			/* still listed, marked corrupt, with what meta says */
			char *mp = xasprintf("%s/%s/meta", store, de->d_name);
			char *meta = NULL;
			size_t len;
			if (read_file(mp, 65536, &meta, &len) == 0)
				parse_meta(meta, NULL, 0, &info.time, &info.note, &info.nkeys);
			free(meta);
			free(mp);
			if (!info.note)
				info.note = xstrdup("");
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		(*out)[(*n)++] = info;
	}
	closedir(d);
	free(store);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_info);
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
	char *store = store_dir();
	DIR *d = opendir(store);
	free(store);
	if (!d)
		return errno == ENOENT ? -ENOENT : -errno;
	char best[SNAPSHOT_ID_MAX] = "";
	struct dirent *de;
	while ((de = readdir(d)))
		if (snapshot_id_valid(de->d_name) && strcmp(de->d_name, best) > 0)
			copy_id(best, de->d_name);
	closedir(d);
	if (!best[0])
		return -ENOENT;
	snprintf(id, len, "%s", best);
	return 0;
}

int snapshot_remove(const char *id)
{
	if (!snapshot_id_valid(id))
		return -EINVAL;
	char *store = store_dir();
	char *dir = xasprintf("%s/%s", store, id);
	int rc = remove_tree(dir);
	if (!rc)
		fsync_parent_dir(dir);
	free(dir);
	free(store);
	return rc;
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
