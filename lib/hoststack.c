/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c.h"
#include "fileutil.h"
#include "hoststack.h"
#include "paths.h"
#include "sysctl.h"
#include "sysctld.h"
#include "xalloc.h"

/* ---- processes ------------------------------------------------------------- */

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return x < y ? -1 : x > y;
}

int proc_find_comm(const char *name, pid_t **pids, size_t *n)
{
	*pids = NULL;
	*n = 0;
	DIR *dir = opendir(tk_proc());
	if (!dir)
		return -errno;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		const char *d = de->d_name;
		long pid = 0;
		for (; *d >= '0' && *d <= '9' && pid < 1L << 30; d++)
			pid = pid * 10 + (*d - '0');
		if (*d || pid <= 0 || de->d_name[0] == '0')
			continue;
		char path[32], comm[32];
		snprintf(path, sizeof(path), "%ld/comm", pid);
		int fd = openat(dirfd(dir), path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			continue; /* the process went away */
		ssize_t r = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (r <= 0)
			continue;
		comm[r] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		if (strcmp(comm, name) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			*pids = xreallocarray(*pids, cap, sizeof(**pids));
		}
		(*pids)[(*n)++] = (pid_t)pid;
	}
	closedir(dir);
	if (*n > 1)
		qsort(*pids, *n, sizeof(**pids), pid_cmp);
	return 0;
}

/* ---- tuned.conf ------------------------------------------------------------- */

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void push_str(char ***v, size_t *n, const char *s, size_t len)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrndup(s, len);
}

static void push_setting(struct tuned_setting **v, size_t *n, const struct tuned_setting *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = *s;
}

static void setting_free(struct tuned_setting *s)
{
	free(s->key);
	free(s->value);
	free(s->profile);
	free(s->file);
}

/* Close a section: keep its sysctl keys when it is a sysctl section. */
static void section_end(struct tuned_conf *out, struct tuned_setting *sec, size_t nsec, int is_sysctl)
{
	for (size_t i = 0; i < nsec; i++) {
		/* plugin options (type, replace, devices...) hold no separator */
		if (is_sysctl && strpbrk(sec[i].key, "./"))
			push_setting(&out->sysctl, &out->nsysctl, &sec[i]);
		else
			setting_free(&sec[i]);
	}
}

void tuned_conf_parse(const char *buf, size_t len, const char *profile, const char *file,
		      struct tuned_conf *out)
{
	const char *p = buf, *end = buf + len;
	struct tuned_setting *sec = NULL;
	size_t nsec = 0;
	int in_main = 0, is_sysctl = 0;
	unsigned lineno = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *ls = p, *le = nl ? nl : end;
		p = nl ? nl + 1 : end;
		lineno++;
		while (ls < le && blank(*ls))
			ls++;
		while (le > ls && blank(le[-1]))
			le--;
		if (ls == le || *ls == '#' || *ls == ';' || memchr(ls, '\0', (size_t)(le - ls)))
			continue;
		if (*ls == '[') {
			const char *close = memchr(ls, ']', (size_t)(le - ls));
			if (!close)
				continue;
			section_end(out, sec, nsec, is_sysctl);
			free(sec);
			sec = NULL;
			nsec = 0;
			size_t nlen = (size_t)(close - ls - 1);
			in_main = nlen == 4 && memcmp(ls + 1, "main", 4) == 0;
			is_sysctl = nlen == 6 && memcmp(ls + 1, "sysctl", 6) == 0;
			continue;
		}
		const char *eq = memchr(ls, '=', (size_t)(le - ls));
		if (!eq)
			continue;
		/* an inline comment starts with '#' after a blank */
		for (const char *c = eq + 1; c < le; c++) {
			if (*c == '#' && blank(c[-1])) {
				le = c;
				break;
			}
		}
		const char *ke = eq, *vs = eq + 1, *ve = le;
		while (ke > ls && blank(ke[-1]))
			ke--;
		while (vs < ve && blank(*vs))
			vs++;
		while (ve > vs && blank(ve[-1]))
			ve--;
		if (ke == ls)
			continue;
		size_t klen = (size_t)(ke - ls), vlen = (size_t)(ve - vs);
		if (in_main && klen == 7 && memcmp(ls, "include", 7) == 0) {
			/* a later include= replaces an earlier one, as configparser does */
			for (size_t i = 0; i < out->nincludes; i++)
				free(out->includes[i]);
			out->nincludes = 0;
			for (const char *s = vs; s < ve;) {
				while (s < ve && (blank(*s) || *s == ','))
					s++;
				const char *t = s;
				while (t < ve && !blank(*t) && *t != ',')
					t++;
				if (t > s)
					push_str(&out->includes, &out->nincludes, s, (size_t)(t - s));
				s = t;
			}
			continue;
		}
		if (klen == 4 && memcmp(ls, "type", 4) == 0)
			is_sysctl = vlen == 6 && memcmp(vs, "sysctl", 6) == 0;
		char *key = xmalloc(klen + 1);
		if (sysctld_normalize(ls, klen, key) == 0) {
			free(key);
			continue;
		}
		/* strict=False: a key given twice keeps the last value */
		size_t i;
		for (i = 0; i < nsec && strcmp(sec[i].key, key) != 0; i++)
			;
		struct tuned_setting s = { key, xstrndup(vs, vlen), xstrdup(profile), xstrdup(file), lineno };
		if (i < nsec) {
			setting_free(&sec[i]);
			sec[i] = s;
		} else {
			push_setting(&sec, &nsec, &s);
		}
	}
	section_end(out, sec, nsec, is_sysctl);
	free(sec);
}

void tuned_conf_free(struct tuned_conf *c)
{
	for (size_t i = 0; i < c->nincludes; i++)
		free(c->includes[i]);
	free(c->includes);
	for (size_t i = 0; i < c->nsysctl; i++)
		setting_free(&c->sysctl[i]);
	free(c->sysctl);
	memset(c, 0, sizeof(*c));
}

/* ---- profiles ----------------------------------------------------------------- */

static const char *const tuned_dirs[] = {
	"/etc/tuned/profiles",
	"/etc/tuned",
	"/usr/lib/tuned/profiles",
	"/usr/lib/tuned",
	NULL,
};

/* A profile name that is a plain directory name (no variables to expand). */
static int profile_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 255 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (const char *c = name; *c; c++)
		if (*c == '/' || *c == '$' || (unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	return 1;
}

static int seen(char **files, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(files[i], path) == 0)
			return 1;
	return 0;
}

/* Merge one profile's settings: a later profile wins a key. */
static void merge(struct tuned_state *ts, struct tuned_conf *c)
{
	for (size_t i = 0; i < c->nsysctl; i++) {
		struct tuned_setting *s = &c->sysctl[i];
		size_t j;
		for (j = 0; j < ts->n && strcmp(ts->v[j].key, s->key) != 0; j++)
			;
		if (j < ts->n) {
			setting_free(&ts->v[j]);
			ts->v[j] = *s;
		} else {
			push_setting(&ts->v, &ts->n, s);
		}
	}
	free(c->sysctl);
	c->sysctl = NULL;
	c->nsysctl = 0;
}

static int load_profiles(struct tuned_state *ts, char **names, size_t nnames, unsigned depth)
{
	if (depth > TUNED_INCLUDE_DEPTH) {
		ts->too_deep = 1;
		return 0;
	}
	for (size_t i = 0; i < nnames; i++) {
		const char *name = names[i];
		int optional = name[0] == '-';
		if (optional)
			name++;
		if (!profile_name_ok(name)) {
			push_str(&ts->unresolved, &ts->nunresolved, names[i], strlen(names[i]));
			continue;
		}
		/* TuneD's locator: the first tuned.conf not read yet */
		char *found = NULL;
		int skipped = 0;
		for (size_t d = 0; tuned_dirs[d] && !found; d++) {
			char *path = xasprintf("%s/%s/tuned.conf", tuned_dirs[d], name);
			if (seen(ts->files, ts->nfiles, path)) {
				skipped = 1;
				free(path);
				continue;
			}
			int fd = sysctld_root_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
			if (fd >= 0) {
				close(fd);
				found = path;
			} else {
				free(path);
			}
		}
		if (!found) {
			if (skipped)
				ts->include_loop = 1;
			else if (!optional)
				push_str(&ts->unresolved, &ts->nunresolved, name, strlen(name));
			continue;
		}
		if (ts->nfiles >= TUNED_MAX_PROFILES) {
			free(found);
			ts->too_deep = 1;
			return 0;
		}
		push_str(&ts->files, &ts->nfiles, found, strlen(found));
		char *buf;
		size_t len;
		int fd = sysctld_root_open(found, O_RDONLY | O_NOCTTY | O_NONBLOCK);
		int rc = fd < 0 ? fd : read_fd(fd, TUNED_CONF_MAX, &buf, &len);
		if (fd >= 0)
			close(fd);
		if (rc < 0) {
			free(found);
			return rc;
		}
		struct tuned_conf c;
		tuned_conf_parse(buf, len, name, found, &c);
		free(buf);
		free(found);
		/* includes load first, so the including profile overrides them */
		rc = load_profiles(ts, c.includes, c.nincludes, depth + 1);
		if (rc < 0) {
			tuned_conf_free(&c);
			return rc;
		}
		merge(ts, &c);
		tuned_conf_free(&c);
	}
	return 0;
}

int tuned_load(struct tuned_state *ts)
{
	memset(ts, 0, sizeof(*ts));
	pid_t *pids;
	size_t npids;
	if (proc_find_comm("tuned", &pids, &npids) == 0) {
		if (npids)
			ts->pid = pids[0];
		free(pids);
	}

	char *buf;
	size_t len;
	int fd = sysctld_root_open(TUNED_ACTIVE_PROFILE, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return fd;
	int rc = read_fd(fd, 4096, &buf, &len);
	close(fd);
	if (rc < 0)
		return rc;
	char **names = NULL;
	size_t nnames = 0;
	for (const char *s = buf; s < buf + len;) {
		while (s < buf + len && (blank(*s) || *s == '\n'))
			s++;
		const char *t = s;
		while (t < buf + len && !blank(*t) && *t != '\n')
			t++;
		if (t > s)
			push_str(&names, &nnames, s, (size_t)(t - s));
		s = t;
	}
	free(buf);
	if (nnames) {
		size_t total = 0;
		for (size_t i = 0; i < nnames; i++)
			total += strlen(names[i]) + 1;
		ts->active = xmalloc(total);
		ts->active[0] = '\0';
		for (size_t i = 0; i < nnames; i++) {
			if (i)
				strcat(ts->active, " ");
			strcat(ts->active, names[i]);
		}
	}
	rc = load_profiles(ts, names, nnames, 0);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return rc;
}

void tuned_state_free(struct tuned_state *ts)
{
	free(ts->active);
	for (size_t i = 0; i < ts->n; i++)
		setting_free(&ts->v[i]);
	free(ts->v);
	for (size_t i = 0; i < ts->nfiles; i++)
		free(ts->files[i]);
	free(ts->files);
	for (size_t i = 0; i < ts->nunresolved; i++)
		free(ts->unresolved[i]);
	free(ts->unresolved);
	memset(ts, 0, sizeof(*ts));
}

/* ---- bpftune ------------------------------------------------------------------ */

/* The sysctl tunables of bpftune's tuners (the *_tuner.c files of oracle/bpftune). */
static const struct {
	const char *key, *tuner;
} bpftune_tunables[] = {
	{ "net.ipv4.tcp_rmem", "tcp_buffer" },
	{ "net.ipv4.tcp_wmem", "tcp_buffer" },
	{ "net.ipv4.tcp_mem", "tcp_buffer" },
	{ "net.ipv4.tcp_max_orphans", "tcp_buffer" },
	{ "net.core.netdev_max_backlog", "net_buffer" },
	{ "net.core.flow_limit_cpu_bitmap", "net_buffer" },
	{ "net.core.netdev_budget", "net_buffer" },
	{ "net.core.netdev_budget_usecs", "net_buffer" },
	{ "net.ipv4.udp_mem", "udp_buffer" },
	{ "net.core.rmem_max", "udp_buffer" },
	{ "net.core.rmem_default", "udp_buffer" },
	{ "net.ipv4.tcp_allowed_congestion_control", "tcp_conn" },
	{ "net.ipv4.ipfrag_high_thresh", "ip_frag" },
	{ "net.ipv6.ip6frag_high_thresh", "ip_frag" },
};

const char *bpftune_tuner_for(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(bpftune_tunables); i++)
		if (strcmp(bpftune_tunables[i].key, key) == 0)
			return bpftune_tunables[i].tuner;
	return NULL;
}
