/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's safety rules on a fake tree (TUNEKIT_ROOT, TUNEKIT_PROC):
 * key policy, secret keys, what a restore may write, the snapshot index
 * ordered by sequence rather than time, the store's owner and mode, and the
 * bounded lock.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "paths.h"
#include "snapshot.h"
#include "sysctl.h"
#include "tap.h"
#include "txn.h"
#include "xalloc.h"

static void put(const char *dir, const char *rel, const char *data, mode_t mode)
{
	char *p = xasprintf("%s/%s", dir, rel);
	char *d = xstrdup(p);
	*strrchr(d, '/') = '\0';
	mkdir_p(d, 0755);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, data, strlen(data)) < 0)
			diag("write failed");
		fchmod(fd, mode);
		close(fd);
	}
	free(d);
	free(p);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static int store_at(time_t t, const char *note, char *id)
{
	struct snapshot s;
	int rc = snapshot_capture(&s, note, NULL);
	if (rc)
		return rc;
	s.time = t;
	rc = snapshot_store(&s, NULL);
	snprintf(id, SNAPSHOT_ID_MAX, "%s", s.id);
	snapshot_free(&s);
	return rc;
}

static void test_policy(void)
{
	static const char *const vm[] = { "net.", "vm", NULL };
	static const char *const all[] = { "", NULL };
	ok(sysctl_key_allowed("net.core.somaxconn", NULL), "default policy: net. allowed");
	ok(!sysctl_key_allowed("kernel.core_pattern", NULL), "default policy: kernel. refused");
	ok(!sysctl_key_allowed("vm.swappiness", NULL), "default policy: vm. refused");
	ok(!sysctl_key_allowed("network.x", NULL), "net does not match network");
	ok(sysctl_key_allowed("vm.swappiness", vm), "--allow-prefix vm admits vm.");
	ok(!sysctl_key_allowed("fs.protected_regular", vm), "--allow-prefix vm does not admit fs.");
	ok(sysctl_key_allowed("kernel.core_pattern", all), "\"\" admits every key");

	struct snapshot_file f = { (char *)TK_SYSCTL_CONF, SF_FILE, 0644, (char *)"", 0 };
	const char *why = NULL;
	ok(snapshot_file_allowed(&f, &why), "managed file 0644 allowed");
	f.mode = 04755;
	ok(!snapshot_file_allowed(&f, &why) && strstr(why, "set-uid"), "4755 refused: %s", why);
	f.mode = 0664;
	ok(!snapshot_file_allowed(&f, &why) && strstr(why, "write"), "0664 refused: %s", why);
	f.mode = 0640;
	ok(snapshot_file_allowed(&f, NULL), "0640 (below 0644) allowed");
	f.path = (char *)TK_SYSCTL_PRIVATE_CONF;
	f.mode = 0644;
	ok(!snapshot_file_allowed(&f, &why) && strstr(why, "0600"), "private file 0644 refused: %s", why);
	f.mode = 0600;
	ok(snapshot_file_allowed(&f, NULL), "private file 0600 allowed");
	f.path = (char *)"/usr/local/bin/evil";
	ok(!snapshot_file_allowed(&f, &why) && strstr(why, "manage"), "unmanaged path refused");
	f.path = (char *)"/etc/sysctl.d/../passwd";
	ok(!snapshot_file_allowed(&f, NULL), "../ path refused");
	f.path = (char *)"/etc/passwd";
	f.type = SF_ABSENT;
	ok(!snapshot_file_allowed(&f, NULL), "unlink of an unmanaged file refused");
	f.path = (char *)TK_SYSCTL_CONF;
	f.type = SF_SYMLINK;
	f.data = (char *)"/tmp/x";
	f.len = 6;
	ok(!snapshot_file_allowed(&f, NULL), "symlink for the sysctl file refused");
	f.path = (char *)TK_RESOLV_CONF;
	ok(snapshot_file_allowed(&f, NULL), "symlink for resolv.conf allowed");
	f.type = SF_FILE;
	f.mode = 04644;
	ok(snapshot_file_restore(&f) == -EPERM, "snapshot_file_restore refuses what is not allowed");
}

static void test_secret(const char *proc)
{
	put(proc, "sys/net/ipv4/tcp_fastopen_key", "1-2-3-4\n", 0644);
	put(proc, "sys/net/ipv4/hidden", "7\n", 0600);
	put(proc, "sys/net/core/somaxconn", "4096\n", 0644);
	ok(sysctl_key_secret("net.ipv4.tcp_fastopen_key"), "tcp_fastopen_key is secret by name");
	ok(sysctl_key_secret("net/ipv4/tcp_fastopen_key"), "also in path form");
	ok(sysctl_key_secret("net.ipv4.hidden"), "a key not world-readable is secret");
	ok(!sysctl_key_secret("net.core.somaxconn"), "somaxconn is not secret");
}

static void test_store(const char *root)
{
	char a[SNAPSHOT_ID_MAX], b[SNAPSHOT_ID_MAX], c[SNAPSHOT_ID_MAX];
	is_int(store_at(1906977600, "first", a), 0, "store at 2030");     /* 2030-06-07 */
	is_int(store_at(1577836800, "second", b), 0, "store at 2020");    /* clock stepped back */
	is_int(store_at(1735689600, "third", c), 0, "store at 2025");
	char *store = tk_path(TK_SNAPSHOT_DIR);
	is_int(mode_of(store), 0700, "store is 0700");
	char *member = xasprintf("%s/%s", store, a);
	is_int(mode_of(member), 0600, "a snapshot is one file, 0600");
	char *idx = xasprintf("%s/index", store);
	is_int(mode_of(idx), 0600, "index is 0600");

	struct snapshot_info *v;
	size_t n;
	is_int(snapshot_list(&v, &n, 0, NULL), 0, "list");
	ok(n == 3 && !strcmp(v[0].id, a) && !strcmp(v[1].id, b) && !strcmp(v[2].id, c),
	   "list in sequence order, not time order");
	ok(n == 3 && v[0].seq == 1 && v[2].seq == 3 && v[2].valid == -1, "sequence numbers 1..3, not read by list");
	snapshot_info_free(v, n);
	is_int(snapshot_list(&v, &n, SNAPSHOT_LIST_VERIFY, NULL), 0, "list --verify");
	ok(n == 3 && v[0].valid == 1 && v[2].valid == 1, "verified valid");
	snapshot_info_free(v, n);
	char latest[SNAPSHOT_ID_MAX];
	is_int(snapshot_latest(latest, sizeof(latest)), 0, "latest");
	is_str(latest, c, "latest is the last stored, not the newest time");

	/* the index lost: rebuilt from the snapshots' seq */
	unlink(idx);
	is_int(snapshot_list(&v, &n, 0, NULL), 0, "list without index");
	ok(n == 3 && !strcmp(v[0].id, a) && !strcmp(v[2].id, c), "rebuilt index keeps the sequence");
	snapshot_info_free(v, n);
	ok(access(idx, F_OK) == 0, "index written back once");

	/* a snapshot an older tunekit renamed into place before its index line
	 * (a crash): a plain list does not read the store, list --verify adopts it */
	char *text = NULL;
	size_t len;
	read_file(idx, 1 << 20, &text, &len);
	char *cut = text ? strstr(text, "3 ") : NULL;
	if (cut)
		*cut = '\0';
	put(store, "index", text ? text : "", 0600);
	is_int(snapshot_list(&v, &n, SNAPSHOT_LIST_VERIFY, NULL), 0, "list --verify with a stale index");
	ok(n == 3 && !strcmp(v[2].id, c) && v[2].seq == 3, "the unlisted snapshot newer than the index is adopted");
	snapshot_info_free(v, n);
	free(text);
	read_file(idx, 1 << 20, &text, &len);
	ok(text && strstr(text, c) == NULL, "list does not write the index");
	free(text);
	/* put the line back as a writer would have */
	text = NULL;
	read_file(idx, 1 << 20, &text, &len);
	char *line = xasprintf("%s3 %s 1735689600 %zu third\n", text ? text : "", c, (size_t)0);
	put(store, "index", line, 0600);
	free(line);
	free(text);
	is_int(snapshot_latest(latest, sizeof(latest)), 0, "latest");
	is_str(latest, c, "latest is the third again");

	struct snapshot s;
	struct snapshot_problem p = { "", NULL };
	is_int(snapshot_load(a, &s, &p), 0, "load a trusted snapshot");
	snapshot_free(&s);

	chmod(member, 0666);
	is_int(snapshot_load(a, &s, &p), -EPERM, "world-writable snapshot refused");
	ok(p.why && strstr(p.what, a), "problem names it: %s %s", p.what, p.why);
	chmod(member, 0600);

	chmod(store, 0777);
	is_int(snapshot_load(a, &s, &p), -EPERM, "world-writable store refused");
	is_int(snapshot_list(&v, &n, 0, &p), -EPERM, "list refuses it too");
	struct snapshot s2;
	is_int(snapshot_capture(&s2, "x", NULL), 0, "capture");
	is_int(snapshot_store(&s2, &p), -EPERM, "store into it refused");
	snapshot_free(&s2);
	chmod(store, 0700);

	is_int(snapshot_remove(b), 0, "remove");
	is_int(snapshot_list(&v, &n, 0, NULL), 0, "list after remove");
	ok(n == 2 && !strcmp(v[0].id, a) && !strcmp(v[1].id, c), "index without the removed one");
	snapshot_info_free(v, n);
	(void)root;
	free(idx);
	free(member);
	free(store);
}


static char *snap_path(const char *id)
{
	char *store = tk_path(TK_SNAPSHOT_DIR);
	char *p = xasprintf("%s/%s", store, id);
	free(store);
	return p;
}

static size_t count_dir(const char *rel)
{
	char *store = tk_path(TK_SNAPSHOT_DIR);
	char *dir = xasprintf("%s%s", store, rel);
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	free(dir);
	free(store);
	return n;
}

/* every index line has a snapshot and every snapshot an index line */
static int index_consistent(size_t *nindex)
{
	char *store = tk_path(TK_SNAPSHOT_DIR);
	char *idx = xasprintf("%s/index", store), *text = NULL;
	size_t len, lines = 0;
	int ok = read_file(idx, 1 << 24, &text, &len) == 0;
	for (char *l = text; ok && l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (*l != '#') {
			char id[SNAPSHOT_ID_MAX + 1];
			unsigned long long seq;
			ok = sscanf(l, "%llu %64s", &seq, id) == 2;
			char *p = snap_path(id);
			ok = ok && access(p, F_OK) == 0;
			if (!ok)
				printf("# index line without a snapshot: %s\n", l);
			free(p);
			lines++;
		}
		l = nl ? nl + 1 : NULL;
	}
	size_t files = 0;
	DIR *d = opendir(store);
	struct dirent *de;
	while (d && (de = readdir(d)))
		files += snapshot_id_valid(de->d_name);
	if (d)
		closedir(d);
	if (files != lines)
		printf("# %zu snapshots, %zu index lines\n", files, lines);
	*nindex = lines;
	free(text);
	free(idx);
	free(store);
	return ok && files == lines;
}

static void set_key(const char *proc, const char *rel, const char *value)
{
	char *v = xasprintf("%s\n", value);
	put(proc, rel, v, 0644);
	free(v);
}

/* format 2: one file a snapshot, keys a delta against a shared base */
static void test_dedup(const char *proc)
{
	char ids[20][SNAPSHOT_ID_MAX];
	size_t blobs_before = count_dir("/blobs");
	for (int i = 0; i < 20; i++) {
		char v[16];
		snprintf(v, sizeof(v), "%d", 100 + i);
		set_key(proc, "sys/net/core/somaxconn", v);
		is_int(store_at(1735689600 + i, "dedup", ids[i]), 0, "store %d with one key changed", i);
	}
	ok(count_dir("/blobs") <= blobs_before + 2, "20 snapshots share their base: %zu blobs, %zu before",
	   count_dir("/blobs"), blobs_before);
	struct snapshot s;
	struct snapshot_problem p;
	is_int(snapshot_load(ids[7], &s, &p), 0, "load one in the middle");
	long j = kv_list_find(&s.keys, "net.core.somaxconn");
	is_str(j >= 0 ? s.keys.v[j].value : NULL, "107", "it holds the value of its own time");
	ok(s.keys.n >= 2, "and the base's other keys (%zu)", s.keys.n);
	snapshot_free(&s);
	char *path = snap_path(ids[7]);
	struct stat st;
	int statted = stat(path, &st) == 0;
	ok(statted && st.st_size < 2048, "a snapshot file is small (%lld bytes)", statted ? (long long)st.st_size : -1LL);
	free(path);
}

/* truncated at every length, a flipped byte, a changed or missing blob: refused */
static void test_corrupt(void)
{
	char id[SNAPSHOT_ID_MAX];
	is_int(store_at(1735700000, "victim", id), 0, "store a victim");
	char *path = snap_path(id), *text = NULL;
	size_t len;
	read_file(path, 1 << 20, &text, &len);
	struct snapshot s;
	struct snapshot_problem p;
	int all_refused = 1;
	for (size_t cut = 0; cut < len; cut++) {
		int fd = open(path, O_WRONLY | O_TRUNC);
		if (fd < 0 || write(fd, text, cut) != (ssize_t)cut)
			diag("truncate failed");
		close(fd);
		int rc = snapshot_load(id, &s, &p);
		if (rc != -EBADMSG) {
			all_refused = 0;
			if (!rc)
				snapshot_free(&s);
		}
	}
	ok(all_refused, "truncated at each of %zu lengths: -EBADMSG every time", len);
	int all_flips = 1;
	for (size_t at = 0; at < len; at += 7) {
		char *bad = xstrndup(text, len);
		bad[at] ^= 0x01;
		int fd = open(path, O_WRONLY | O_TRUNC);
		if (fd < 0 || write(fd, bad, len) != (ssize_t)len)
			diag("write failed");
		close(fd);
		free(bad);
		int rc = snapshot_load(id, &s, &p);
		if (rc != -EBADMSG) {
			all_flips = 0;
			if (!rc)
				snapshot_free(&s);
		}
	}
	ok(all_flips, "a flipped bit anywhere: -EBADMSG");
	int fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		diag("write failed");
	close(fd);
	is_int(snapshot_load(id, &s, &p), 0, "the intact bytes load again");
	snapshot_free(&s);

	/* the base blob changed or gone */
	char *base = NULL;
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, "base=", 5)) {
			base = xstrndup(l + 5, 64);
			break;
		}
	char *store = tk_path(TK_SNAPSHOT_DIR);
	char *bpath = xasprintf("%s/blobs/%s", store, base ? base : "x"), *bdata = NULL;
	size_t blen;
	read_file(bpath, 1 << 24, &bdata, &blen);
	char *brel = xasprintf("blobs/%s", base ? base : "x");
	put(store, brel, "net.core.somaxconn = 1\n", 0600);
	free(brel);
	is_int(snapshot_load(id, &s, &p), -EBADMSG, "a changed base blob is refused");
	ok(p.why && strstr(p.why, "checksum"), "by its checksum: %s %s", p.what, p.why ? p.why : "");
	unlink(bpath);
	is_int(snapshot_load(id, &s, &p), -EBADMSG, "a missing base blob is refused");
	fd = open(bpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, bdata, blen) != (ssize_t)blen)
		diag("write failed");
	close(fd);
	is_int(snapshot_load(id, &s, &p), 0, "restored blob: loads");
	snapshot_free(&s);
	free(bdata);
	free(bpath);
	free(store);
	free(base);
	free(text);
	free(path);
}

static struct snapshot_info mk(unsigned long long seq, const char *id, const char *note, time_t t)
{
	struct snapshot_info x = { 0 };
	snprintf(x.id, sizeof(x.id), "%s", id);
	x.seq = seq;
	x.note = (char *)note;
	x.time = t;
	return x;
}

static void test_prune_plan(void)
{
	struct snapshot_info v[8];
	char rm[8];
	struct snapshot_prune_policy pol = { 2, 0, 1000000 };
	for (int i = 0; i < 8; i++) {
		char id[32];
		snprintf(id, sizeof(id), "2025010%d-000000-001", i + 1);
		v[i] = mk((unsigned long long)i + 1, id, "before apply", 1000000 - (8 - i) * 86400);
	}
	snapshot_prune_plan(v, 8, &pol, rm);
	is_str((char[]){ rm[0] + '0', rm[1] + '0', rm[5] + '0', rm[6] + '0', rm[7] + '0', 0 }, "01100",
	       "keep 2: the pristine and the newest two stay");
	/* the user walked back two steps: markers name the undone ones */
	v[6].note = "before restore of 20250106-000000-001";
	v[7].note = "before restore of 20250105-000000-001";
	snapshot_prune_plan(v, 8, &pol, rm);
	ok(!rm[7] && !rm[6], "the markers are the newest two and stay");
	ok(rm[5] && rm[4], "the undone steps themselves may go (their markers keep the walk)");
	ok(!rm[3] && !rm[2], "the next two undo steps stay (%d%d)", rm[3], rm[2]);
	ok(rm[1] && !rm[0], "older steps go, the pristine stays");
	pol.keep = 0;
	pol.keep_days = 0;
	snapshot_prune_plan(v, 8, &pol, rm);
	ok(memchr(rm, 1, 8) == NULL, "keep 0 and keep_days 0: nothing pruned");
	pol.keep = 1;
	pol.keep_days = 3;
	for (int i = 0; i < 8; i++)
		v[i].note = "before apply";
	snapshot_prune_plan(v, 8, &pol, rm);
	ok(!rm[5] && !rm[6] && !rm[7] && rm[4] && rm[1], "keep_days 3: the last three days stay");
}

/* a crash between the snapshot file and the index, or in the middle of a prune */
static void test_prune_crash(void)
{
	size_t n = 0;
	char a[SNAPSHOT_ID_MAX], b[SNAPSHOT_ID_MAX];
	int agree = index_consistent(&n);
	ok(agree, "before: index and snapshots agree (%zu)", n);
	is_int(store_at(1735800000, "crash-a", a), 0, "store a");
	char *store = tk_path(TK_SNAPSHOT_DIR);
	char *idx = xasprintf("%s/index", store), *saved = NULL;
	size_t len;
	/* a crash between the index line and the rename: a last line without its snapshot */
	read_file(idx, 1 << 24, &saved, &len);
	char *torn = xasprintf("%s999 20991231-000000-001 4102358400 3 crashed\n", saved);
	put(store, "index", torn, 0600);
	free(torn);
	struct snapshot_info *v;
	size_t nv;
	is_int(snapshot_list(&v, &nv, 0, NULL), 0, "list after the crash");
	ok(nv && !strcmp(v[nv - 1].id, a), "the line without a snapshot is not listed");
	unsigned long long aseq = nv ? v[nv - 1].seq : 0;
	snapshot_info_free(v, nv);
	is_int(store_at(1735800001, "crash-b", b), 0, "store after the crash");
	is_int(snapshot_list(&v, &nv, 0, NULL), 0, "list");
	ok(nv && !strcmp(v[nv - 1].id, b) && v[nv - 1].seq == aseq + 1, "the next seq follows the last real one");
	snapshot_info_free(v, nv);
	ok(index_consistent(&n), "index and snapshots agree again (%zu)", n);

	/* a torn append (no newline): the index is rebuilt from the snapshots */
	free(saved);
	read_file(idx, 1 << 24, &saved, &len);
	torn = xasprintf("%s1000 2099", saved);
	put(store, "index", torn, 0600);
	free(torn);
	is_int(snapshot_list(&v, &nv, 0, NULL), 0, "list with a torn index");
	ok(nv == n && !strcmp(v[nv - 1].id, b), "rebuilt from the snapshots, same order (%zu)", nv);
	snapshot_info_free(v, nv);

	/* a prune that died after writing the index, before removing a snapshot */
	char c[SNAPSHOT_ID_MAX];
	is_int(store_at(1735800002, "leftover", c), 0, "store c");
	free(saved);
	read_file(idx, 1 << 24, &saved, &len);
	char *line = saved ? strstr(saved, c) : NULL;
	while (line && line > saved && line[-1] != '\n')
		line--;
	char *eol = line ? strchr(line, '\n') : NULL;
	if (line && eol)
		memmove(line, eol + 1, strlen(eol + 1) + 1);
	char *mid = xasprintf("%s%s", saved, ""); /* c's line gone, c a leftover in the middle */
	put(store, "index", mid, 0600);
	free(mid);
	char d[SNAPSHOT_ID_MAX];
	is_int(store_at(1735800003, "after", d), 0, "store d");
	is_int(snapshot_list(&v, &nv, 0, NULL), 0, "list after a half prune");
	int listed = 0;
	for (size_t i = 0; i < nv; i++)
		listed |= !strcmp(v[i].id, c);
	ok(!listed, "the snapshot the prune meant to remove is not listed");
	snapshot_info_free(v, nv);
	char *cp = snap_path(c);
	ok(access(cp, F_OK) == 0, "its file is still there until the next prune");

	/* an orphan blob (crash between a blob and its snapshot) */
	put(store, "blobs/0000000000000000000000000000000000000000000000000000000000000000", "x", 0600);
	size_t blobs = count_dir("/blobs");
	struct snapshot_prune_policy pol = { 3, 0, time(NULL) };
	char **gone;
	size_t ngone;
	is_int(snapshot_prune(&pol, &gone, &ngone, NULL), 0, "prune --keep 3");
	ok(ngone > 0, "removed %zu", ngone);
	ok(access(cp, F_OK) != 0, "the leftover of the interrupted prune is removed");
	free(cp);
	for (size_t i = 0; i < ngone; i++)
		free(gone[i]);
	free(gone);
	ok(index_consistent(&n), "after prune: index and snapshots agree (%zu)", n);
	is_int((long long)n, 4, "three newest and the pristine remain");
	ok(count_dir("/blobs") < blobs, "unreferenced blobs removed (%zu -> %zu)", blobs, count_dir("/blobs"));
	is_int(snapshot_list(&v, &nv, SNAPSHOT_LIST_VERIFY, NULL), 0, "list --verify");
	int valid = nv == 4;
	for (size_t i = 0; i < nv; i++)
		valid &= v[i].valid == 1;
	ok(valid, "every snapshot left loads: no blob they need was removed");
	snapshot_info_free(v, nv);
	free(saved);
	free(idx);
	free(store);
}

/* contents small enough are inline (base64), larger ones blobs: both round-trip */
static void test_inline(const char *root)
{
	static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 64, 1000, 3000, 70000 };
	char *conf = xasprintf("%s%s", root, TK_SYSCTL_CONF);
	int all = 1;
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		char *data = xmalloc(lens[k] + 1);
		for (size_t i = 0; i < lens[k]; i++)
			data[i] = (char)((i * 131 + k) & 0xff);
		char *d = xstrdup(conf);
		*strrchr(d, '/') = '\0';
		mkdir_p(d, 0755);
		free(d);
		int fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, data, lens[k]) != (ssize_t)lens[k])
			diag("write failed");
		close(fd);
		char id[SNAPSHOT_ID_MAX];
		struct snapshot s;
		struct snapshot_problem p;
		int ok1 = store_at(1735900000 + (time_t)k, "inline", id) == 0 && snapshot_load(id, &s, &p) == 0;
		int same = 0;
		for (size_t i = 0; ok1 && i < s.nfiles; i++)
			if (!strcmp(s.files[i].path, TK_SYSCTL_CONF))
				same = s.files[i].type == SF_FILE && s.files[i].len == lens[k] &&
				       !memcmp(s.files[i].data, data, lens[k]);
		if (!same) {
			all = 0;
			printf("# %zu bytes did not round-trip\n", lens[k]);
		}
		if (ok1)
			snapshot_free(&s);
		free(data);
	}
	ok(all, "file contents of 0 to 70000 bytes round-trip, inline or as a blob");
	unlink(conf);
	free(conf);
}

static void test_lock(void)
{
	struct txn_error err;
	int fd;
	memset(&err, 0, sizeof(err));
	is_int(txn_lock_acquire(&fd, &err), 0, "lock taken");
	char *dir = tk_path(TK_RUN_DIR);
	is_int(mode_of(dir), 0700, "lock directory created 0700");
	/* a second open file description conflicts even within this process */
	setenv("TUNEKIT_LOCK_TIMEOUT", "0", 1);
	int fd2;
	struct txn_error err2;
	memset(&err2, 0, sizeof(err2));
	is_int(txn_lock_acquire(&fd2, &err2), -ETIMEDOUT, "held lock: bounded wait fails");
	char want[64];
	snprintf(want, sizeof(want), "held by PID %ld", (long)getpid());
	ok(err2.why && strstr(err2.why, want), "message names the holder: %s", err2.why ? err2.why : "");
	txn_lock_release(fd);
	is_int(txn_lock_acquire(&fd2, &err2), 0, "free again after release");
	txn_lock_release(fd2);
	chmod(dir, 0777);
	memset(&err2, 0, sizeof(err2));
	is_int(txn_lock_acquire(&fd2, &err2), -EPERM, "world-writable lock directory refused");
	ok(err2.why && strstr(err2.why, "writable by group or others"), "says why: %s", err2.why ? err2.why : "");
	chmod(dir, 0700);
	free(dir);
}

int main(void)
{
	char tmpl[] = "/tmp/tk-snapshot-XXXXXX";
	char *dir = mkdtemp(tmpl);
	ok(dir != NULL, "temp dir");
	char *proc = xasprintf("%s/proc", dir), *root = xasprintf("%s/root", dir);
	mkdir_p(root, 0755);
	setenv("TUNEKIT_PROC", proc, 1);
	tk_set_root(root);

	test_policy();
	test_secret(proc);
	test_store(root);
	test_dedup(proc);
	test_inline(root);
	test_corrupt();
	test_prune_plan();
	test_prune_crash();
	test_lock();

	remove_tree(dir);
	free(proc);
	free(root);
	return done_testing();
}
