/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileutil.h"
#include "paths.h"
#include "sysctl.h"
#include "sysctld.h"
#include "xalloc.h"

const char *const sysctld_dirs[] = {
	"/etc/sysctl.d",
	"/run/sysctl.d",
	"/usr/local/lib/sysctl.d",
	"/usr/lib/sysctl.d",
	"/lib/sysctl.d",
	NULL,
};

#define SYSCTL_CONF "/etc/sysctl.conf"

/* ---- parsing ------------------------------------------------------------- */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n';
}

size_t sysctld_normalize(const char *key, size_t len, char *out)
{
	const char *first = NULL;
	for (size_t i = 0; i < len; i++) {
		if (key[i] == '.' || key[i] == '/') {
			first = key + i;
			break;
		}
	}
	int swap = first && *first == '.';
	size_t n = 0, comp = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? key[i] : '/';
		if (swap && (c == '.' || c == '/') && i < len)
			c = c == '.' ? '/' : '.';
		if (c != '/') {
			out[n++] = c;
			continue;
		}
		/* end of a component: drop empty and "." ones */
		size_t clen = n - comp;
		if (clen == 0 || (clen == 1 && out[comp] == '.')) {
			n = comp;
			continue;
		}
		out[n++] = '/';
		comp = n;
	}
	if (n > 0)
		n--; /* the separator after the last component */
	out[n] = '\0';
	return n;
}

int sysctld_parse(const char *buf, size_t len, sysctld_line_fn fn, void *ctx)
{
	const char *p = buf, *end = buf + len;
	char *scratch = NULL;
	size_t scap = 0;
	unsigned lineno = 0;
	int bad = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *ls = p, *le = nl ? nl : end;
		p = nl ? nl + 1 : end;
		lineno++;

		while (ls < le && is_space(*ls))
			ls++;
		while (le > ls && is_space(le[-1]))
			le--;
		if (ls == le || *ls == '#' || *ls == ';')
			continue;
		if (memchr(ls, '\0', (size_t)(le - ls))) {
			bad++;
			continue;
		}

		struct sysctld_line l = { .line = lineno };
		const char *ks = ls, *ke, *vs = NULL, *ve = NULL;
		const char *eq = memchr(ls, '=', (size_t)(le - ls));
		if (eq) {
			if (*ks == '-') {
				l.ignore_errors = 1;
				ks++;
			}
			ke = eq;
			vs = eq + 1;
			ve = le;
			while (vs < ve && is_space(*vs))
				vs++;
		} else if (*ks == '-') {
			ks++; /* "-key": exclude key from globs */
			ke = le;
		} else {
			bad++;
			continue;
		}
		while (ks < ke && is_space(*ks))
			ks++;
		while (ke > ks && is_space(ke[-1]))
			ke--;

		size_t need = (size_t)(ke - ks) + 1 + (vs ? (size_t)(ve - vs) + 1 : 0);
		if (need > scap) {
			scap = need;
			scratch = xreallocarray(scratch, scap, 1);
		}
		size_t klen = sysctld_normalize(ks, (size_t)(ke - ks), scratch);
		if (klen == 0) {
			bad++;
			continue;
		}
		l.key = scratch;
		l.glob = strpbrk(scratch, "*?[") != NULL;
		if (vs) {
			char *v = scratch + klen + 1;
			memcpy(v, vs, (size_t)(ve - vs));
			v[ve - vs] = '\0';
			l.value = v;
		}
		int rc = fn(&l, ctx);
		if (rc < 0) {
			free(scratch);
			return rc;
		}
	}
	free(scratch);
	return bad;
}

/* ---- glob matching --------------------------------------------------------- */

/*
 * Does the single-character pattern item at p[*pi] match c? Advances *pi
 * past the item. A '[' without a closing ']' is a literal '['.
 */
static int item_match(const char *p, size_t plen, size_t *pi, char c)
{
	size_t i = *pi;
	if (p[i] == '?') {
		*pi = i + 1;
		return 1;
	}
	if (p[i] == '\\' && i + 1 < plen) {
		*pi = i + 2;
		return p[i + 1] == c;
	}
	if (p[i] == '[') {
		size_t j = i + 1;
		int neg = 0, hit = 0;
		if (j < plen && (p[j] == '!' || p[j] == '^')) {
			neg = 1;
			j++;
		}
		size_t start = j;
		while (j < plen && (p[j] != ']' || j == start)) {
			unsigned char lo = (unsigned char)p[j], hi = lo;
			if (j + 2 < plen && p[j + 1] == '-' && p[j + 2] != ']') {
				hi = (unsigned char)p[j + 2];
				j += 3;
			} else {
				j++;
			}
			if ((unsigned char)c >= lo && (unsigned char)c <= hi)
				hit = 1;
		}
		if (j < plen) { /* p[j] == ']' */
			*pi = j + 1;
			return hit != neg;
		}
		/* unterminated: a literal '[' */
	}
	*pi = i + 1;
	return p[i] == c;
}

/* One component: iterative, backtracking only to the last '*': O(plen * slen). */
static int component_match(const char *p, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
	while (si < slen) {
		if (pi < plen && p[pi] == '*') {
			star = pi++;
			mark = si;
			continue;
		}
		size_t next = pi;
		if (pi < plen && item_match(p, plen, &next, s[si])) {
			pi = next;
			si++;
			continue;
		}
		if (star == SIZE_MAX)
			return 0;
		pi = star + 1;
		si = ++mark;
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

int sysctld_glob_match(const char *pattern, const char *key)
{
	const char *p = pattern, *s = key;
	for (;;) {
		/* a '/' inside a bracket expression cannot match anything here:
		 * components split on every '/', as glob(3) does */
		const char *pe = strchr(p, '/'), *se = strchr(s, '/');
		size_t plen = pe ? (size_t)(pe - p) : strlen(p);
		size_t slen = se ? (size_t)(se - s) : strlen(s);
		if (!component_match(p, plen, s, slen))
			return 0;
		if (!pe || !se)
			return !pe && !se;
		p = pe + 1;
		s = se + 1;
	}
}

/* ---- a small string-keyed hash map (open addressing) ---------------------- */

struct strmap {
	const char **keys;
	size_t *vals;
	size_t cap, n;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t strmap_slot(const struct strmap *m, const char *key)
{
	size_t i = (size_t)str_hash(key) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Index stored for key, or SIZE_MAX. */
static size_t strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return SIZE_MAX;
	size_t i = strmap_slot(m, key);
	return m->keys[i] ? m->vals[i] : SIZE_MAX;
}

/* Store key (not copied: it must outlive the map) -> val. */
static void strmap_put(struct strmap *m, const char *key, size_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct strmap big = { 0 };
		big.cap = m->cap ? m->cap * 2 : 16;
		big.keys = xcalloc(big.cap, sizeof(*big.keys));
		big.vals = xcalloc(big.cap, sizeof(*big.vals));
		for (size_t i = 0; i < m->cap; i++) {
			if (m->keys[i]) {
				size_t j = strmap_slot(&big, m->keys[i]);
				big.keys[j] = m->keys[i];
				big.vals[j] = m->vals[i];
				big.n++;
			}
		}
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	size_t i = strmap_slot(m, key);
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val;
}

static void strmap_free(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- reading files under the root ------------------------------------------ */

int sysctld_root_open(const char *path, int flags)
{
	const char *root = tk_root();
	int rfd = open(*root ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	const char *rel = path;
	while (*rel == '/')
		rel++;
	if (!*rel)
		rel = ".";
	struct open_how how = {
		.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, rfd, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = openat(rfd, rel, flags | O_CLOEXEC);
	int e = errno;
	close(rfd);
	return fd < 0 ? -e : (int)fd;
}

struct cand {
	char *name;
	size_t dir; /* index in sysctld_dirs */
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static int has_conf_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

/* /lib/sysctl.d is the same directory as /usr/lib/sysctl.d on merged-/usr systems. */
static int lib_is_usr_lib(void)
{
	char *lib = tk_path("/lib");
	char target[PATH_MAX];
	ssize_t n = readlink(lib, target, sizeof(target) - 1);
	free(lib);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strcmp(target, "usr/lib") == 0 || strcmp(target, "/usr/lib") == 0 ||
	       strcmp(target, "usr/lib/") == 0 || strcmp(target, "/usr/lib/") == 0;
}

/* Add the *.conf names of directory d to the candidates. */
static int list_dir(size_t d, struct cand **v, size_t *n, size_t *cap)
{
	int fd = sysctld_root_open(sysctld_dirs[d], O_RDONLY | O_DIRECTORY);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return fd;
	DIR *dir = fdopendir(fd);
	if (!dir) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		/* as systemd's conf_files_list: no hidden files, no directories */
		if (de->d_name[0] == '.' || !has_conf_suffix(de->d_name))
			continue;
		unsigned char type = de->d_type;
		if (type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			type = S_ISREG(st.st_mode) ? DT_REG : S_ISLNK(st.st_mode) ? DT_LNK : DT_DIR;
		}
		if (type != DT_REG && type != DT_LNK)
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 32;
			*v = xreallocarray(*v, *cap, sizeof(**v));
		}
		(*v)[(*n)++] = (struct cand){ xstrdup(de->d_name), d };
	}
	closedir(dir);
	return 0;
}

/*
 * Read path (as on the target). *how is set, and *data NULL, when the file
 * reads as nothing: "symlink to /dev/null", "empty file", ...; a file that
 * does not exist (a dangling symlink) or is not regular reads as nothing too.
 */
static int read_conf(const char *path, char **data, size_t *len, const char **how)
{
	*data = NULL;
	*len = 0;
	*how = NULL;

	char *slash = strrchr(path, '/');
	char *dir = xstrndup(path, (size_t)(slash - path));
	int dfd = sysctld_root_open(*dir ? dir : "/", O_PATH | O_DIRECTORY);
	free(dir);
	if (dfd >= 0) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, slash + 1, target, sizeof(target) - 1);
		close(dfd);
		if (n >= 0) {
			target[n] = '\0';
			if (strcmp(target, "/dev/null") == 0) {
				*how = "symlink to /dev/null";
				return 0;
			}
		}
	}

	int fd = sysctld_root_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd == -ENOENT || fd == -ELOOP || fd == -ENOTDIR) {
		*how = "dangling symlink";
		return 0;
	}
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3) {
		*how = "/dev/null";
	} else if (!S_ISREG(st.st_mode)) {
		*how = "not a regular file";
	} else if (st.st_size == 0) {
		*how = "empty file";
	} else {
		int rc = read_fd(fd, SYSCTLD_FILE_MAX, data, len);
		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

/* ---- evaluation ------------------------------------------------------------ */

struct src {
	size_t file; /* index into files */
	unsigned line;
	char *value; /* owned; NULL for an exclusion */
	int set;
};

struct keystate {
	char *slash;  /* normalized key */
	/* systemd: the hashmap entry of the key (the last differing assignment) */
	struct src sd;
	/* procps: the last exact assignment with a value, and what keeps globs off */
	struct src pp;
	int pp_blocked;
	struct src pp_glob;
	size_t pp_glob_pat;
	/* our own file's last line for the key */
	struct src ours;
};

struct pattern {
	char *pattern;
	struct src cur; /* systemd: the pattern's hashmap entry */
	size_t pos;     /* order of that entry in systemd's ordered hashmap */
};

struct eval {
	struct keystate *keys;
	size_t nkeys;
	struct strmap keymap;
	struct pattern *pats;
	size_t npats, patcap;
	struct strmap patmap;
	char **files;
	size_t nfiles;
	size_t cur_file, our_file; /* our_file SIZE_MAX when ours is not read */
	int models;                /* bit per model reading the current file */
	size_t seq;
};

static void src_set(struct src *s, size_t file, unsigned line, const char *value)
{
	free(s->value);
	s->file = file;
	s->line = line;
	s->value = value ? xstrdup(value) : NULL;
	s->set = 1;
}

static int value_same(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

static int on_line(const struct sysctld_line *l, void *ctx)
{
	struct eval *ev = ctx;
	int sd = ev->models & (1 << SYSCTLD_SYSTEMD), pp = ev->models & (1 << SYSCTLD_PROCPS);

	if (!l->glob) {
		size_t i = strmap_get(&ev->keymap, l->key);
		if (i == SIZE_MAX)
			return 0;
		struct keystate *k = &ev->keys[i];
		/* systemd keeps the earlier entry when the value is the same */
		if (sd && !(k->sd.set && value_same(k->sd.value, l->value)))
			src_set(&k->sd, ev->cur_file, l->line, l->value);
		if (pp) {
			k->pp_blocked = 1;
			if (l->value)
				src_set(&k->pp, ev->cur_file, l->line, l->value);
		}
		if (ev->cur_file == ev->our_file && l->value)
			src_set(&k->ours, ev->cur_file, l->line, l->value);
		return 0;
	}

	if (pp) {
		for (size_t i = 0; i < ev->nkeys; i++) {
			struct keystate *k = &ev->keys[i];
			if (!sysctld_glob_match(l->key, k->slash))
				continue;
			if (!l->value) {
				k->pp_blocked = 1;
			} else {
				src_set(&k->pp_glob, ev->cur_file, l->line, l->value);
				k->pp_glob_pat = SIZE_MAX;
				/* remember the pattern text through the pattern table */
				size_t pi = strmap_get(&ev->patmap, l->key);
				if (pi == SIZE_MAX) {
					pi = ev->npats;
					if (ev->npats == ev->patcap) {
						ev->patcap = ev->patcap ? ev->patcap * 2 : 16;
						ev->pats = xreallocarray(ev->pats, ev->patcap, sizeof(*ev->pats));
					}
					ev->pats[ev->npats++] = (struct pattern){ xstrdup(l->key), { 0 }, 0 };
					strmap_put(&ev->patmap, ev->pats[pi].pattern, pi);
				}
				k->pp_glob_pat = pi;
			}
		}
	}
	if (sd) {
		size_t pi = strmap_get(&ev->patmap, l->key);
		if (pi == SIZE_MAX) {
			pi = ev->npats;
			if (ev->npats == ev->patcap) {
				ev->patcap = ev->patcap ? ev->patcap * 2 : 16;
				ev->pats = xreallocarray(ev->pats, ev->patcap, sizeof(*ev->pats));
			}
			ev->pats[ev->npats++] = (struct pattern){ xstrdup(l->key), { 0 }, 0 };
			strmap_put(&ev->patmap, ev->pats[pi].pattern, pi);
		}
		struct pattern *p = &ev->pats[pi];
		/* a changed value moves the entry to the end of the ordered hashmap */
		if (!(p->cur.set && value_same(p->cur.value, l->value))) {
			src_set(&p->cur, ev->cur_file, l->line, l->value);
			p->pos = ++ev->seq;
		}
	}
	return 0;
}

const char *sysctld_status_name(enum sysctld_status s)
{
	switch (s) {
	case SYSCTLD_OK:
		return "ok";
	case SYSCTLD_SHADOWED:
		return "shadowed";
	case SYSCTLD_EXCLUDED:
		return "excluded";
	case SYSCTLD_MASKED:
		return "masked";
	case SYSCTLD_MISSING:
		return "missing";
	case SYSCTLD_STALE:
		return "stale";
	}
	return "?";
}

const char *sysctld_model_name(enum sysctld_model m)
{
	return m == SYSCTLD_SYSTEMD ? "systemd" : "procps";
}

static void verdict_from(struct sysctld_verdict *v, const struct eval *ev, const struct src *s,
			 const char *pattern)
{
	v->value = s->value ? xstrdup(s->value) : NULL;
	v->file = xstrdup(ev->files[s->file]);
	v->line = s->line;
	v->pattern = pattern ? xstrdup(pattern) : NULL;
}

/* Where the value at boot comes from, under model m. */
static void decide(struct sysctld_verdict *v, const struct eval *ev, const struct keystate *k,
		   enum sysctld_model m)
{
	if (m == SYSCTLD_SYSTEMD) {
		if (k->sd.set) {
			verdict_from(v, ev, &k->sd, NULL);
			return;
		}
		/* globs, in the order of systemd's ordered hashmap: the last one wins */
		const struct pattern *best = NULL;
		for (size_t i = 0; i < ev->npats; i++) {
			const struct pattern *p = &ev->pats[i];
			if (p->cur.set && p->cur.value && (!best || p->pos > best->pos) &&
			    sysctld_glob_match(p->pattern, k->slash))
				best = p;
		}
		if (best)
			verdict_from(v, ev, &best->cur, best->pattern);
		return;
	}
	if (k->pp.set)
		verdict_from(v, ev, &k->pp, NULL);
	else if (!k->pp_blocked && k->pp_glob.set)
		verdict_from(v, ev, &k->pp_glob,
			     k->pp_glob_pat != SIZE_MAX ? ev->pats[k->pp_glob_pat].pattern : NULL);
}

static void add_file(struct eval *ev, const char *path)
{
	ev->files = xreallocarray(ev->files, ev->nfiles + 1, sizeof(*ev->files));
	ev->files[ev->nfiles++] = xstrdup(path);
}

/* Check that our_path is DIR/NAME.conf with DIR one of sysctld_dirs. */
static int our_dir_index(const char *our_path, size_t *d)
{
	const char *slash = strrchr(our_path, '/');
	if (!slash || !has_conf_suffix(slash + 1) || slash[1] == '.')
		return -EINVAL;
	for (size_t i = 0; sysctld_dirs[i]; i++) {
		if (strlen(sysctld_dirs[i]) == (size_t)(slash - our_path) &&
		    strncmp(sysctld_dirs[i], our_path, (size_t)(slash - our_path)) == 0) {
			*d = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int eval_file(struct eval *ev, const char *path, int models, struct sysctld_report *rep,
		     const char **how_out)
{
	char *data;
	size_t len;
	const char *how;
	int rc = read_conf(path, &data, &len, &how);
	if (how_out)
		*how_out = how;
	if (rc < 0)
		return rc;
	add_file(ev, path);
	if (!data)
		return 0;
	ev->cur_file = ev->nfiles - 1;
	ev->models = models;
	rc = sysctld_parse(data, len, on_line, ev);
	free(data);
	if (rc > 0)
		rep->malformed += (size_t)rc;
	return rc < 0 ? rc : 0;
}

int sysctld_lint(const char *our_path, const struct kv_list *want, struct sysctld_report *rep)
{
	struct eval ev = { .our_file = SIZE_MAX };
	struct cand *c = NULL;
	size_t nc = 0, capc = 0, our_dir;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	if (our_dir_index(our_path, &our_dir) < 0)
		return -EINVAL;
	const char *our_name = strrchr(our_path, '/') + 1;
	rep->our_path = xstrdup(our_path);

	ev.keys = xcalloc(want->n + 1, sizeof(*ev.keys));
	for (size_t i = 0; i < want->n; i++) {
		char rel[SYSCTL_KEY_MAX + 1];
		if (sysctl_key_parse(want->v[i].key, NULL, 0, rel, sizeof(rel), NULL) < 0) {
			rc = -EINVAL;
			goto out;
		}
		ev.keys[ev.nkeys].slash = xstrdup(rel);
		strmap_put(&ev.keymap, ev.keys[ev.nkeys].slash, ev.nkeys);
		ev.nkeys++;
	}

	int skip_lib = lib_is_usr_lib();
	for (size_t d = 0; sysctld_dirs[d]; d++) {
		if (skip_lib && strcmp(sysctld_dirs[d], "/lib/sysctl.d") == 0)
			continue;
		rc = list_dir(d, &c, &nc, &capc);
		if (rc < 0)
			goto out;
	}
	if (nc > 1)
		qsort(c, nc, sizeof(*c), cand_cmp);

	for (size_t i = 0, first = 0; i < nc; i++) {
		/* the first of a name (highest precedence directory) masks the rest */
		if (i > 0 && strcmp(c[i].name, c[first].name) == 0) {
			if (c[i].dir == our_dir && strcmp(c[i].name, our_name) == 0) {
				rep->our_exists = 1;
				free(rep->masked_by);
				rep->masked_by = xasprintf("%s/%s", sysctld_dirs[c[first].dir], c[i].name);
				rep->masked_how = "same name in a directory that takes precedence";
			}
			continue;
		}
		first = i;
		char *path = xasprintf("%s/%s", sysctld_dirs[c[i].dir], c[i].name);
		int ours = c[i].dir == our_dir && strcmp(c[i].name, our_name) == 0;
		const char *how = NULL;
		if (ours)
			ev.our_file = ev.nfiles; /* the index eval_file will give it */
		rc = eval_file(&ev, path, (1 << SYSCTLD_SYSTEMD) | (1 << SYSCTLD_PROCPS), rep, &how);
		if (rc < 0) {
			free(path);
			goto out;
		}
		rep->files_read++;
		if (ours) {
			rep->our_exists = 1;
			if (how) {
				rep->masked_by = xstrdup(path);
				rep->masked_how = how;
				ev.our_file = SIZE_MAX;
			}
		}
		free(path);
	}
	/* procps reads /etc/sysctl.conf last, when it is a regular file */
	int fd = sysctld_root_open(SYSCTL_CONF, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		struct stat st;
		int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
		close(fd);
		if (regular) {
			rc = eval_file(&ev, SYSCTL_CONF, 1 << SYSCTLD_PROCPS, rep, NULL);
			if (rc < 0)
				goto out;
		}
	}

	rep->v = xcalloc(ev.nkeys + 1, sizeof(*rep->v));
	for (size_t i = 0; i < ev.nkeys; i++) {
		const struct keystate *k = &ev.keys[i];
		struct sysctld_result *r = &rep->v[rep->n++];
		r->key = xstrdup(want->v[i].key);
		r->want = xstrdup(want->v[i].value);
		if (k->ours.set) {
			r->ours = xstrdup(k->ours.value);
			r->our_line = k->ours.line;
		}
		for (int m = 0; m < SYSCTLD_NMODELS; m++) {
			struct sysctld_verdict *v = &r->model[m];
			decide(v, &ev, k, (enum sysctld_model)m);
			if (rep->masked_by)
				v->status = SYSCTLD_MASKED;
			else if (!k->ours.set)
				v->status = SYSCTLD_MISSING;
			else if (!sysctl_value_equal(k->ours.value, r->want))
				v->status = SYSCTLD_STALE;
			else if (!v->value) /* a later "-key" (our line is explicit, so no glob) */
				v->status = SYSCTLD_EXCLUDED;
			else if (sysctl_value_equal(v->value, r->want))
				v->status = SYSCTLD_OK;
			else
				v->status = SYSCTLD_SHADOWED;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < nc; i++)
		free(c[i].name);
	free(c);
	for (size_t i = 0; i < ev.nkeys; i++) {
		free(ev.keys[i].slash);
		free(ev.keys[i].sd.value);
		free(ev.keys[i].pp.value);
		free(ev.keys[i].pp_glob.value);
		free(ev.keys[i].ours.value);
	}
	free(ev.keys);
	for (size_t i = 0; i < ev.npats; i++) {
		free(ev.pats[i].pattern);
		free(ev.pats[i].cur.value);
	}
	free(ev.pats);
	for (size_t i = 0; i < ev.nfiles; i++)
		free(ev.files[i]);
	free(ev.files);
	strmap_free(&ev.keymap);
	strmap_free(&ev.patmap);
	if (rc < 0)
		sysctld_report_free(rep);
	return rc;
}

void sysctld_report_free(struct sysctld_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->v[i].key);
		free(rep->v[i].want);
		free(rep->v[i].ours);
		for (int m = 0; m < SYSCTLD_NMODELS; m++) {
			free(rep->v[i].model[m].value);
			free(rep->v[i].model[m].file);
			free(rep->v[i].model[m].pattern);
		}
	}
	free(rep->v);
	free(rep->our_path);
	free(rep->masked_by);
	memset(rep, 0, sizeof(*rep));
}

void sysctld_put_text(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

void sysctld_format_finding(FILE *out, const struct sysctld_report *rep, const struct sysctld_result *r,
			    const struct sysctld_verdict *v, unsigned models, unsigned flags)
{
	int secret = (flags & SYSCTLD_FMT_SECRET) && sysctl_key_secret(r->key);
	int at_boot = 0;
	sysctld_put_text(out, r->key);
	fputs(": ", out);
	switch (v->status) {
	case SYSCTLD_OK:
		fputs("ok", out);
		break;
	case SYSCTLD_SHADOWED:
		fputs("shadowed by ", out);
		sysctld_put_text(out, v->file);
		fprintf(out, ":%u (value ", v->line);
		sysctld_put_text(out, secret ? "(secret)" : v->value);
		fputc(')', out);
		if (v->pattern) {
			fputs(" via glob ", out);
			sysctld_put_text(out, v->pattern);
		}
		break;
	case SYSCTLD_EXCLUDED:
		fputs("excluded by ", out);
		sysctld_put_text(out, v->file);
		fprintf(out, ":%u", v->line);
		break;
	case SYSCTLD_MASKED:
		fputs("masked by ", out);
		sysctld_put_text(out, rep->masked_by ? rep->masked_by : "?");
		fprintf(out, " (%s)", rep->masked_how ? rep->masked_how : "?");
		at_boot = 1;
		break;
	case SYSCTLD_MISSING:
		fputs("missing from ", out);
		sysctld_put_text(out, rep->our_path);
		at_boot = 1;
		break;
	case SYSCTLD_STALE:
		fputs("stale: ", out);
		sysctld_put_text(out, rep->our_path);
		fprintf(out, ":%u persists ", r->our_line);
		sysctld_put_text(out, secret ? "(secret)" : r->ours ? r->ours : "?");
		if (flags & SYSCTLD_FMT_WANTED) {
			fputs(", wanted ", out);
			sysctld_put_text(out, secret ? "(secret)" : r->want);
		}
		break;
	}
	if (at_boot && (flags & SYSCTLD_FMT_AT_BOOT)) {
		fputs("; at boot: ", out);
		if (!v->value) {
			fputs("not set", out);
		} else {
			sysctld_put_text(out, secret ? "(secret)" : v->value);
			fputs(" from ", out);
			sysctld_put_text(out, v->file);
			fprintf(out, ":%u", v->line);
		}
	}
	if (models == 1u << SYSCTLD_SYSTEMD)
		fputs(" [systemd-sysctl only]", out);
	else if (models == 1u << SYSCTLD_PROCPS)
		fputs(" [sysctl --system only]", out);
	fputc('\n', out);
}
