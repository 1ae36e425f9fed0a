/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "nicval.h"
#include "sysfsval.h"
#include "xalloc.h"

/* Longest value we read or write: a mask of 8192 CPUs is 2303 bytes. */
#define SYSFS_VALUE_MAX 4096

static const struct {
	enum sysfs_attr attr;
	const char *dir;  /* "rx-", "tx-" or NULL (the device itself) */
	const char *name;
	int mask;
} attrs[] = {
	{ SYSFS_TX_QUEUE_LEN, NULL, "tx_queue_len", 0 },
	{ SYSFS_RPS_CPUS, "rx-", "rps_cpus", 1 },
	{ SYSFS_RPS_FLOW_CNT, "rx-", "rps_flow_cnt", 0 },
	{ SYSFS_XPS_CPUS, "tx-", "xps_cpus", 1 },
};

int sysfs_key_is(const char *key)
{
	return key && !strncmp(key, SYSFS_KEY_PREFIX, strlen(SYSFS_KEY_PREFIX));
}

int sysfs_dev_name_valid(const char *name)
{
	size_t n = strlen(name);
	/* "a..b" is a legal kernel name, but ".." never appears in a path we build */
	if (n == 0 || n > SYSFS_DEV_MAX || !strcmp(name, ".") || strstr(name, ".."))
		return 0;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.@+-", *c))
			return 0;
	return 1;
}

/* A queue index: decimal, no sign, no leading zero, below 65536. */
static int parse_queue(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*out = v;
	return 0;
}

int sysfs_key_dev(const char *p, const char *no_rest, char *dev, const char **rest, const char **why)
{
	const char *slash = strchr(p, '/');
	if (!slash) {
		*why = no_rest;
		return -EINVAL;
	}
	size_t dlen = (size_t)(slash - p);
	if (dlen == 0 || dlen > SYSFS_DEV_MAX) {
		*why = dlen ? "interface name longer than 15 bytes" : "empty interface name";
		return -EINVAL;
	}
	memcpy(dev, p, dlen);
	dev[dlen] = '\0';
	if (!sysfs_dev_name_valid(dev)) {
		*why = "invalid interface name (allowed: A-Z a-z 0-9 _ . @ + -, not . and no ..)";
		return -EINVAL;
	}
	*rest = slash + 1;
	return 0;
}

int sysfs_key_parse(const char *key, struct sysfs_key *k, const char **why)
{
	struct sysfs_key tmp;
	const char *reason = NULL;
	if (!k)
		k = &tmp;
	memset(k, 0, sizeof(*k));
	if (!sysfs_key_is(key)) {
		reason = "not a sysfs key (sysfs:net/DEV/...)";
		goto bad;
	}
	const char *p = key + strlen(SYSFS_KEY_PREFIX);
	if (strncmp(p, "net/", 4)) {
		reason = "sysfs key outside the schema: only sysfs:net/DEV/... is managed";
		goto bad;
	}
	const char *rest;
	if (sysfs_key_dev(p + 4, "sysfs key outside the schema: no attribute after the device", k->dev, &rest,
			  &reason) < 0)
		goto bad;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (!attrs[i].dir) {
			if (strcmp(rest, attrs[i].name))
				continue;
			k->attr = attrs[i].attr;
			snprintf(k->rel, sizeof(k->rel), "%s", attrs[i].name);
			return 0;
		}
		size_t dn = strlen(attrs[i].dir);
		if (strncmp(rest, "queues/", 7) || strncmp(rest + 7, attrs[i].dir, dn))
			continue;
		const char *q = rest + 7 + dn, *qend = strchr(q, '/');
		if (!qend || strcmp(qend + 1, attrs[i].name))
			continue;
		if (parse_queue(q, (size_t)(qend - q), &k->queue) < 0) {
			reason = "bad queue number (rx-N/tx-N, N decimal without leading zeros)";
			goto bad;
		}
		k->attr = attrs[i].attr;
		snprintf(k->rel, sizeof(k->rel), "queues/%s%u/%s", attrs[i].dir, k->queue, attrs[i].name);
		return 0;
	}
	reason = "sysfs key outside the schema: tx_queue_len, queues/rx-N/rps_cpus, "
		 "queues/rx-N/rps_flow_cnt or queues/tx-N/xps_cpus";
bad:
	if (why)
		*why = reason;
	return -EINVAL;
}

int sysfs_key_make(char *out, size_t len, const char *dev, enum sysfs_attr attr, unsigned queue)
{
	int n = -1;
	if (!sysfs_dev_name_valid(dev))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (attrs[i].attr != attr)
			continue;
		if (attrs[i].dir)
			n = snprintf(out, len, SYSFS_KEY_PREFIX "net/%s/queues/%s%u/%s", dev, attrs[i].dir, queue,
				     attrs[i].name);
		else
			n = snprintf(out, len, SYSFS_KEY_PREFIX "net/%s/%s", dev, attrs[i].name);
	}
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

const char *sysfs_root(void)
{
	const char *env = getenv("TUNEKIT_SYS");
	return env && *env ? env : "/sys";
}

char *sysfs_key_path(const char *key)
{
	struct sysfs_key k;
	if (sysfs_key_parse(key, &k, NULL) < 0)
		return NULL;
	return xasprintf("%s/class/net/%s/%s", sysfs_root(), k.dev, k.rel);
}

static int attr_is_mask(enum sysfs_attr a)
{
	return a == SYSFS_RPS_CPUS || a == SYSFS_XPS_CPUS;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * A CPU mask as the kernel's bitmap_parse() reads it: comma-separated
 * groups of 1-8 hex digits, each group 32 bits. Out: grouped by 8 from the
 * right, no leading zeros.
 */
static int mask_normalize(const char *in, char *out, size_t outlen, const char **why)
{
	size_t n = strlen(in), ngroups = 1;
	if (n == 0 || n > SYSFS_VALUE_MAX) {
		*why = n ? "CPU mask too long" : "empty CPU mask";
		return -EINVAL;
	}
	for (const char *c = in; *c; c++)
		ngroups += *c == ',';
	char *flat = xmalloc(ngroups * 8 + 1);
	size_t f = 0;
	const char *g = in;
	for (;;) {
		const char *end = strchr(g, ',');
		size_t glen = end ? (size_t)(end - g) : strlen(g);
		if (glen == 0 || glen > 8) {
			free(flat);
			*why = "bad CPU mask: hex digit groups of 1-8, separated by commas";
			return -EINVAL;
		}
		for (size_t i = glen; i < 8; i++)
			flat[f++] = '0';
		for (size_t i = 0; i < glen; i++) {
			int v = hexval(g[i]);
			if (v < 0) {
				free(flat);
				*why = "bad CPU mask: not a hex digit";
				return -EINVAL;
			}
			flat[f++] = "0123456789abcdef"[v];
		}
		if (!end)
			break;
		g = end + 1;
	}
	flat[f] = '\0';
	const char *s = flat;
	while (*s == '0' && s[1])
		s++;
	size_t digits = strlen(s), o = 0;
	size_t need = digits + (digits - 1) / 8 + 1;
	if (need > outlen) {
		free(flat);
		*why = "CPU mask too long";
		return -EINVAL;
	}
	for (size_t i = 0; i < digits; i++) {
		if (i && (digits - i) % 8 == 0)
			out[o++] = ',';
		out[o++] = s[i];
	}
	out[o] = '\0';
	free(flat);
	return 0;
}

static int number_normalize(const char *in, char *out, size_t outlen, const char **why)
{
	size_t n = strlen(in);
	if (n == 0 || n > 20 || strspn(in, "0123456789") != n) {
		*why = "not a decimal number";
		return -EINVAL;
	}
	errno = 0;
	unsigned long long v = strtoull(in, NULL, 10);
	if (errno || v > UINT_MAX) {
		*why = "number out of range (at most 4294967295)";
		return -EINVAL;
	}
	if ((size_t)snprintf(out, outlen, "%llu", v) >= outlen) {
		*why = "value too long";
		return -EINVAL;
	}
	return 0;
}

int sysfs_value_normalize(const char *key, const char *value, char *out, size_t outlen, const char **why)
{
	struct sysfs_key k;
	const char *reason = "bad value";
	int rc = sysfs_key_parse(key, &k, &reason);
	if (rc == 0) {
		/* trim blanks the kernel or an editor added */
		size_t n = strlen(value);
		while (n && isspace((unsigned char)value[n - 1]))
			n--;
		while (n && isspace((unsigned char)*value))
			value++, n--;
		char *v = xstrndup(value, n);
		rc = attr_is_mask(k.attr) ? mask_normalize(v, out, outlen, &reason) :
					    number_normalize(v, out, outlen, &reason);
		free(v);
	}
	if (rc && why)
		*why = reason;
	return rc;
}

int sysfs_value_equal(const char *key, const char *a, const char *b)
{
	char na[SYSFS_VALUE_MAX + 1], nb[SYSFS_VALUE_MAX + 1];
	if (sysfs_value_normalize(key, a, na, sizeof(na), NULL) < 0 ||
	    sysfs_value_normalize(key, b, nb, sizeof(nb), NULL) < 0)
		return !strcmp(a, b);
	return !strcmp(na, nb);
}

/* The resolved file stays under the sysfs root (class/net/DEV links into devices/). */
static int inside_root(const char *path)
{
	char rroot[PATH_MAX], rpath[PATH_MAX];
	if (!realpath(sysfs_root(), rroot) || !realpath(path, rpath))
		return 0;
	size_t n = strlen(rroot);
	if (n == 1) /* "/" */
		return 1;
	return !strncmp(rroot, rpath, n) && rpath[n] == '/';
}

/* Open the key's file: a regular file under the root, not a symlink. fd or -errno. */
static int open_key(const char *key, int flags)
{
	char *path = sysfs_key_path(key);
	if (!path)
		return -EINVAL;
	struct stat st;
	int fd;
	if (lstat(path, &st) < 0)
		fd = -errno;
	else if (!S_ISREG(st.st_mode))
		fd = S_ISDIR(st.st_mode) ? -EISDIR : -EPERM;
	else if (!inside_root(path))
		fd = -EXDEV;
	else if ((fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW)) < 0)
		fd = -errno;
	free(path);
	return fd;
}

int sysfs_read(const char *key, char **value)
{
	int fd = open_key(key, O_RDONLY);
	if (fd < 0)
		return fd;
	char buf[SYSFS_VALUE_MAX + 1];
	ssize_t n = read(fd, buf, SYSFS_VALUE_MAX);
	int rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	buf[n] = '\0';
	char norm[SYSFS_VALUE_MAX + 1];
	if (sysfs_value_normalize(key, buf, norm, sizeof(norm), NULL) < 0)
		return -EBADMSG;
	*value = xstrdup(norm);
	return 0;
}

int sysfs_write(const char *key, const char *value)
{
	char norm[SYSFS_VALUE_MAX + 1];
	if (sysfs_value_normalize(key, value, norm, sizeof(norm) - 1, NULL) < 0)
		return -EINVAL;
	/* O_TRUNC: a no-op on sysfs, and a fake tree holds whole values */
	int fd = open_key(key, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return fd;
	/* the kernel parses one write(2); a short write is an error */
	strcat(norm, "\n");
	size_t len = strlen(norm);
	ssize_t w = write(fd, norm, len);
	int rc = w < 0 ? -errno : (size_t)w != len ? -EIO : 0;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

int sysfs_mode(const char *key, unsigned *mode)
{
	char *path = sysfs_key_path(key);
	if (!path)
		return -EINVAL;
	struct stat st;
	int rc = lstat(path, &st) < 0 ? -errno : 0;
	if (!rc)
		*mode = st.st_mode;
	free(path);
	return rc;
}

/* ---- the udev rule file ------------------------------------------------ */

static const char udev_header[] =
	"# Managed by tunekit (nettune-queues apply, nettune-backup apply): the\n"
	"# queue settings of network interfaces, applied when an interface appears\n"
	"# (add) or is renamed (move). Undo with `nettune-backup restore`.\n"
	"# One attribute a line, sorted, then one tunekit-nicset line a device\n"
	"# (rings, coalescing); other lines are refused.\n";

#define UDEV_MATCH "ACTION==\"add|move\", SUBSYSTEM==\"net\", KERNEL==\""
#define UDEV_RUN "\", RUN+=\""

/*
 * The arguments of a RUN line of device dev: "DEV REL=VALUE..." after the
 * program, single blanks, each setting once, values in tunekit's own
 * spelling (udev runs this line as root: nothing but what we would write).
 * Keys added to got. 0 or -EINVAL (*why).
 */
static int udev_run_parse(const char *dev, const char *args, struct kv_list *got, const char **why)
{
	size_t dn = strlen(dev);
	if (strncmp(args, dev, dn) || args[dn] != ' ') {
		*why = "RUN line: the first argument must be the device of KERNEL==";
		return -EINVAL;
	}
	struct kv_list mine = { 0 };
	int rc = 0;
	const char *a = args + dn + 1;
	for (;;) {
		const char *sp = strchr(a, ' ');
		char *arg = sp ? xstrndup(a, (size_t)(sp - a)) : xstrdup(a), *key, *value;
		rc = nic_arg_parse(dev, arg, 1, &key, &value, why);
		free(arg);
		if (rc)
			break;
		if (kv_list_find(&mine, key) >= 0) {
			*why = "RUN line: a setting given twice";
			rc = -EINVAL;
		} else {
			kv_list_set(&mine, key, value);
		}
		free(key);
		free(value);
		if (rc || !sp)
			break;
		a = sp + 1;
	}
	for (size_t i = 0; !rc && i < mine.n; i++)
		kv_list_set(got, mine.v[i].key, mine.v[i].value);
	kv_list_free(&mine);
	return rc;
}

int sysfs_udev_parse(const char *buf, size_t len, struct kv_list *list, struct kv_error *err)
{
	struct kv_list got = { 0 }, run_devs = { 0 };
	unsigned lineno = 0;
	const char *p = buf, *end = buf + len;
	int rc = 0;
	if (memchr(buf, '\0', len)) {
		err->line = 1;
		err->why = "NUL byte in the rule file";
		return -EINVAL;
	}
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xstrndup(p, n);
		lineno++;
		p += n + (nl ? 1 : 0);
		size_t m = strlen(UDEV_MATCH);
		if (!line[0] || line[0] == '#') {
			free(line);
			continue;
		}
		char *dev = line + m, *q = NULL;
		if (!strncmp(line, UDEV_MATCH, m))
			q = strchr(dev, '"');
		/* KERNEL=="DEV", RUN+="NICSET DEV REL=VALUE..." and nothing else */
		if (q && !strncmp(q, UDEV_RUN, strlen(UDEV_RUN))) {
			const char *prog = nic_set_program(), *why = NULL;
			char *args = q + strlen(UDEV_RUN), *aend = strchr(args, '"');
			size_t pn = strlen(prog);
			*q = '\0';
			if (!sysfs_dev_name_valid(dev))
				why = "invalid interface name (allowed: A-Z a-z 0-9 _ . @ + -, not . and no ..)";
			else if (!aend || aend[1] != '\0')
				why = "not a line of the tunekit rule format";
			else if (strncmp(args, prog, pn) || args[pn] != ' ')
				why = "RUN of a program other than tunekit-nicset (only its own path is allowed)";
			else if (kv_list_find(&run_devs, dev) >= 0)
				why = "a second RUN line for the same device";
			if (!why) {
				*aend = '\0';
				if (udev_run_parse(dev, args + pn + 1, &got, &why) == 0)
					kv_list_set(&run_devs, dev, "");
			}
			if (why) {
				err->line = lineno;
				err->why = why;
				rc = -EINVAL;
			}
			free(line);
			continue;
		}
		/* KERNEL=="DEV", ATTR{REL}="VALUE" and nothing else */
		char *rel = NULL, *val = NULL, *vend = NULL;
		if (q && !strncmp(q, "\", ATTR{", 8)) {
			*q = '\0';
			rel = q + 8;
			char *rend = strchr(rel, '}');
			if (rend && !strncmp(rend, "}=\"", 3)) {
				*rend = '\0';
				val = rend + 3;
				vend = strchr(val, '"');
			}
		}
		if (!vend || vend[1] != '\0') {
			err->line = lineno;
			err->why = "not a line of the tunekit rule format";
			rc = -EINVAL;
		} else {
			*vend = '\0';
			char *key = xasprintf(SYSFS_KEY_PREFIX "net/%s/%s", dev, rel);
			char norm[SYSFS_VALUE_MAX + 1];
			const char *why = NULL;
			if (sysfs_key_parse(key, NULL, &why) < 0 ||
			    sysfs_value_normalize(key, val, norm, sizeof(norm), &why) < 0) {
				err->line = lineno;
				err->why = why;
				rc = -EINVAL;
			} else {
				kv_list_set(&got, key, norm);
			}
			free(key);
		}
		free(line);
	}
	for (size_t i = 0; !rc && i < got.n; i++)
		kv_list_set(list, got.v[i].key, got.v[i].value);
	kv_list_free(&got);
	kv_list_free(&run_devs);
	return rc;
}

char *sysfs_udev_format(const struct kv_list *list)
{
	struct kv_list mine = { 0 }, nic = { 0 };
	for (size_t i = 0; i < list->n; i++) {
		if (sysfs_key_parse(list->v[i].key, NULL, NULL) == 0)
			kv_list_set(&mine, list->v[i].key, list->v[i].value);
		else if (nic_key_parse(list->v[i].key, NULL, NULL) == 0)
			kv_list_set(&nic, list->v[i].key, list->v[i].value);
	}
	kv_list_sort(&mine);
	kv_list_sort(&nic);
	size_t cap = sizeof(udev_header) + mine.n * 200 + 1, o = 0;
	char *text = xmalloc(cap);
	text[0] = '\0';
	xappend(&text, &o, &cap, udev_header);
	for (size_t i = 0; i < mine.n; i++) {
		struct sysfs_key k;
		char norm[SYSFS_VALUE_MAX + 1];
		sysfs_key_parse(mine.v[i].key, &k, NULL);
		if (sysfs_value_normalize(mine.v[i].key, mine.v[i].value, norm, sizeof(norm), NULL) < 0)
			continue;
		char *line = xasprintf(UDEV_MATCH "%s\", ATTR{%s}=\"%s\"\n", k.dev, k.rel, norm);
		xappend(&text, &o, &cap, line);
		free(line);
	}
	/* the ethtool keys sort by device: one RUN line for each run of one device */
	for (size_t i = 0; i < nic.n;) {
		struct nic_key k;
		size_t ao = 0, acap = 64;
		char *args = xmalloc(acap);
		args[0] = '\0';
		nic_key_parse(nic.v[i].key, &k, NULL);
		for (; i < nic.n; i++) {
			struct nic_key k2;
			char norm[16];
			nic_key_parse(nic.v[i].key, &k2, NULL);
			if (strcmp(k2.dev, k.dev))
				break;
			if (nic_value_normalize(nic.v[i].key, nic.v[i].value, norm, sizeof(norm), NULL) < 0)
				continue;
			char *arg = xasprintf(" %s=%s", nic_attr_rel(k2.attr), norm);
			xappend(&args, &ao, &acap, arg);
			free(arg);
		}
		if (ao) {
			char *line = xasprintf(UDEV_MATCH "%s" UDEV_RUN "%s %s%s\"\n", k.dev, nic_set_program(), k.dev, args);
			xappend(&text, &o, &cap, line);
			free(line);
		}
		free(args);
	}
	kv_list_free(&mine);
	kv_list_free(&nic);
	return text;
}
